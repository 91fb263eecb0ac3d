"""Seventh round of the screening: rural addresses without a street number (a hamlet, a
mill, « la Combe » after « habite »), the town written first, addresses in capitals.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import rules

# --- addresses without a street number, and in capitals


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("ma tante vit à la Chaumette 19340 Merlines depuis toujours", "la Chaumette 19340 Merlines"),
        ("il habite le Puy Larron 87120 Nedde.", "le Puy Larron 87120 Nedde"),
        ("mes coordonnées : moulin de la Brégère 23400 Ars", "moulin de la Brégère 23400 Ars"),
        ("écrire à la ferme des Aulnes 24390 Hautefort svp", "ferme des Aulnes 24390 Hautefort"),
        ("Écrire à : Chez Baudinet, 87250 Bessines", "Chez Baudinet, 87250 Bessines"),
        ("Mme Paule Vergnaud\nLa Croix Blanche\n19170 Bonnefond", "La Croix Blanche\n19170 Bonnefond"),
        ("j'habite à Bonnat (23220), lieu-dit le Puy Mory.", "Bonnat (23220), lieu-dit le Puy Mory"),
        ("adresse : 23220 Bonnat, lieu-dit les Combettes", "23220 Bonnat, lieu-dit les Combettes"),
        ("il habite au lieu-dit la Veyssière à Chamberet", "lieu-dit la Veyssière à Chamberet"),
    ],
)
def test_rural_places_without_a_number_are_addresses(text, address):
    assert ("address", address) in rules(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("JE SUIS AU 14 RUE DES TANNEURS 23200 AUBUSSON TEL 05 55 00 00 00",
         "14 RUE DES TANNEURS 23200 AUBUSSON"),
        ("NOUS HABITONS 4 IMPASSE DU LAVOIR 19200 USSEL DEPUIS 1970",
         "4 IMPASSE DU LAVOIR 19200 USSEL"),
        ("LIEU DIT LE CHATELET 23400 SAINT DIZIER", "LIEU DIT LE CHATELET 23400 SAINT DIZIER"),
        ("au 3 rue Haute 13090 Aix en Provence.", "3 rue Haute 13090 Aix en Provence"),
        ("3 rue Haute, 23000 Guéret Cedex 9", "3 rue Haute, 23000 Guéret Cedex"),
    ],
)  # fmt: skip
def test_the_city_in_capitals_stops_where_the_sentence_goes_on(text, address):
    assert ("address", address) in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "la CAF de la Creuse 23000 Guéret m'a répondu",
        "je suis allé à la Poste 23000 Guéret",
        "la permanence a lieu à la Grange aux Moines 23000 Guéret",
        "bureau de la Souterraine 23300 ouvert le lundi",
        "je suis allée à la Maison France services, 23200 Aubusson",
    ],
)
def test_offices_and_towns_after_an_article_are_no_addresses(text):
    assert "address" not in {kind for kind, _ in rules(text)}
