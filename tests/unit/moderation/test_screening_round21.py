"""Twenty-first round of the screening, tuned on dev21 and the spent halves: housing, police and
justice, état civil and family events.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from services.moderation.screening import screen
from tests.support.screening import of_kind, spans


def _names(text: str) -> list[str]:
    return [s for k, s in spans(text) if k == "person_name"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Merci au brigadier-chef Lagarde, le maréchal des logis Sarrazin m'a aussi aidée", "Sarrazin"),
        ("Ma plainte a été prise par l'OPJ Mercier, très correct.", "Mercier"),
        ("le lieutenant Berger m'a rappelé le soir même", "Berger"),
        ("Ma grand-mère Odette Marchal épouse Fournier attend sa pension", "Fournier"),
        ("On a choisi Pascal comme premier prénom pour notre fils.", "Pascal"),
        ("la mairie a écrit « Mathys » au lieu de « Matisse » sur l'acte", "Mathys"),
        ("on nous refuse le double nom Perrin-Lacombe pour le bébé", "Perrin-Lacombe"),
        ("Je remercie Florence et Karim, de l'accueil, pour leur patience.", "Florence"),
        ("Mes jumeaux Rose et Victor Lenoir sont dans deux classes.", "Rose"),
        ("Mon voisin s'appelle N'Dour et il nous aide beaucoup.", "N'Dour"),
        ("Sur l'acte vietnamien c'est Trần Minh Anh, sur le français Anh TRAN.", "Trần Minh Anh"),
        ("bonjour je suis Mlle garnier léa, je voudrais m'inscrire sur les listes", "Mlle garnier léa"),
    ],
)
def test_names_of_this_round(text: str, name: str) -> None:
    assert any(name in found for found in _names(text))


@pytest.mark.parametrize(
    "text",
    [
        "J'habite rue du Colonel Fabien depuis dix ans.",
        "La station Commandant Mouchotte est fermée.",
        "Le formulaire a écrit « Urgent » au lieu de « Prioritaire ».",
        "La hauteur sous plafond est de 2,20 m. Pourtant le bail dit le contraire.",
    ],
)
def test_streets_words_and_units_name_no_one(text: str) -> None:
    assert of_kind(text, "person_name") == []


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Mon frère est détenu à Fresnes, numéro d'écrou 71254.", "71254"),
        ("Mon numéro national d'électeur : 20487713.", "20487713"),
        ("Mon numéro unique de demande de logement : 075112233445566.", "075112233445566"),
    ],
)
def test_identifiers_of_this_round(text: str, number: str) -> None:
    assert of_kind(text, "identifier") == [number]


def test_children_listed_with_their_dates_of_birth() -> None:
    text = "Mes enfants : Inès 03/09/2012, Noah 17/01/2016."
    assert of_kind(text, "birth_date") == ["03/09/2012", "17/01/2016"]


def test_a_date_of_birth_with_spaces_after_ne_le() -> None:
    assert of_kind("je suis né le 4 7 1985 à Dakar", "birth_date") == ["4 7 1985"]


@pytest.mark.parametrize(
    "text",
    [
        "Le numéro de l'accueil de la mairie, c'est le 03 20 49 50 00, personne ne décroche.",
        "Le 02 31 30 41 00 de la mairie sonne dans le vide.",
    ],
)
def test_an_office_number_named_so_is_public(text: str) -> None:
    assert of_kind(text, "phone") == []


def test_an_office_address_before_a_visit_is_public() -> None:
    text = "Les bureaux de la CPAM sont au 8 rue Jean Jaurès, 59000 Lille, j'y suis allée deux fois."
    assert of_kind(text, "address") == []


def test_the_address_of_a_social_action_centre_in_the_place_field_is_public() -> None:
    hint = "Centre communal d'action sociale de Vénissieux, 5 avenue Marcel Houël"
    assert [f for f in screen(hint, field="structure_hint") if f.kind == "address"] == []


@pytest.mark.parametrize(
    "text",
    [
        "Il m'a écrit : « vos enfants vont avoir des problèmes ».",
        "Mon ex a crié « je te coupe en deux » devant les voisins.",
        "Le message disait « on sait où est l'école de ta fille ».",
    ],
)
def test_threats_of_this_round(text: str) -> None:
    assert "threat" in {k for k, _ in spans(text)}


def test_cowards_called_so_are_insulted() -> None:
    assert of_kind("Personne n'a voulu témoigner. Bande de lâches.", "insult") == ["Bande de lâches"]
