"""Ninth round of the screening: general signals before shapes. A gazetteer of the French
communes anchors an address's town (after its postal code, glued or in lower case, after a
street or a locality) and tells a town from a person; first names typed on a phone after a
self-introduction, with their lower-case surname or initial.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from services.moderation.screening import _commune_at, _is_commune, _town_not_a_person
from tests.support.screening import rules


def addresses(text: str) -> list[str]:
    return [s for k, s in rules(text) if k == "address"]


def names(text: str) -> list[str]:
    return [s for k, s in rules(text) if k == "person_name"]


@pytest.mark.parametrize(
    ("text", "postcode", "town"),
    [
        ("Saint-Jean-de-Luz, voila", None, "Saint-Jean-de-Luz"),
        ("st jean de luz voila", "64500", "st jean de luz"),
        ("chalons en champagne. merci", "51000", "chalons en champagne"),
        ("boulogne", "62200", "boulogne"),  # the short name of « Boulogne-sur-Mer »
        ("Le Puy-en-Velay", None, "Le Puy-en-Velay"),
    ],
)  # fmt: skip
def test_the_gazetteer_reads_a_commune_in_any_case_with_st_and_hyphens_or_spaces(
    text: str, postcode: str | None, town: str
) -> None:
    assert text[: _commune_at(text, 0, postcode)] == town


def test_the_gazetteer_asks_the_postcodes_department() -> None:
    assert _commune_at("brest ensuite", 0, "13008") is None
    assert _is_commune("Langeac") and not _is_commune("Dupontel")


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("jhabite 14 all des cerisiers 86000 poitiers depuis 2 ans",
         "14 all des cerisiers 86000 poitiers"),
        ("renvoyez au 6 ru du lavoir29200 brest svp", "6 ru du lavoir29200 brest"),
        ("ma tante, 2 bis imp des pecheurs 17000la rochelle, attend encore",
         "2 bis imp des pecheurs 17000la rochelle"),
        ("nouvelle adresse 31 r jean moulin 42000 st etienne merci",
         "31 r jean moulin 42000 st etienne"),
    ],
)  # fmt: skip
def test_a_postcode_and_its_commune_anchor_a_typed_street(text: str, address: str) -> None:
    assert addresses(text) == [address]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Ma tante habite 8 chemin des Crêtes, Le Chambon-sur-Lignon. Le car ne passe plus.",
         "8 chemin des Crêtes, Le Chambon-sur-Lignon"),
        ("Courrier perdu : 12 rue des Forges – Marvejols", "12 rue des Forges – Marvejols"),
        ("Mon grand-père vit hameau Les Pradels, Saugues, tout seul.", "hameau Les Pradels, Saugues"),
        ("Ils sont au Bourg, numéro 3, à Pradelles, depuis toujours.", "Bourg, numéro 3, à Pradelles"),
        ("Elle vit quartier Fond Lahaye, Schœlcher, sans voiture.", "quartier Fond Lahaye, Schœlcher"),
    ],
)  # fmt: skip
def test_a_known_commune_ends_a_street_or_a_locality(text: str, address: str) -> None:
    assert addresses(text) == [address]


def test_a_commune_among_other_towns_is_no_person() -> None:
    text = "Brioude, Murat, Langeac : les bus ne passent plus."
    assert _town_not_a_person(text, 9, 14)  # « Murat », a first name too, among towns
    assert _town_not_a_person(text, 16, 23)  # « Langeac »
    assert not _town_not_a_person("Murat m'a bien reçue.", 0, 5)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("slt c ines moreau, jai pas recu ma bourse", "ines moreau"),
        ("jsui lucas p, le dossier est bloqué", "lucas p"),
        ("elle sappelle nadia benali, elle attend depuis mai", "nadia benali"),
        ("je m'appel kevin, 20 ans", "kevin"),
        ("mon coloc samir et moi on paye 2 fois", "samir"),
    ],
)  # fmt: skip
def test_names_typed_on_a_phone_after_a_self_introduction(text: str, name: str) -> None:
    assert names(text) == [name]


@pytest.mark.parametrize(
    "text",
    [
        "c normal ke ca prenne 3 mois ?",
        "ma soeur rose a 80 ans et vit seule",
        "jsui perdu avec ce formulaire",
    ],
)  # fmt: skip
def test_phone_typed_words_after_a_cue_are_no_names(text: str) -> None:
    assert [s for s in names(text) if " " in s] == []
