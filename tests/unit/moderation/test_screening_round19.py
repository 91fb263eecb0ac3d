"""Nineteenth round of the screening, tuned on dev19 and the spent halves: a surname opened by
a particle after a word for a person, a baby named, « ton nom X », a common first name that is
the author's whole field, a lower-case name after a capitalised title when it reads as no verb.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import in_field, of_kind


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("le brigadier Le Gall a pris ma plainte sans soupirer", "Le Gall"),
        ("ma voisine Van Hoeck m'a prêté son scanner", "Van Hoeck"),
        ("la carte vitale de mon bébé Noham n'arrive pas", "Noham"),
        ("je sais votre nom Perrichon, vous ne m'impressionnez pas", "Perrichon"),
        ("Hier Mme de Castelnau m'a reçue à l'accueil", "Mme de Castelnau"),
        ("Merci encore Monsieur kaddouri pour le dossier", "Monsieur kaddouri"),
    ],
)
def test_names_of_this_round(text: str, name: str) -> None:
    assert of_kind(text, "person_name") == [name]


@pytest.mark.parametrize(
    "text",
    [
        "Madame voulait seulement un rendez-vous avant midi.",
        "Je m'adresse à Madame la Conciliatrice pour ce litige.",
        "Monsieur le Délégué du Défenseur des droits a été saisi.",
        "Mr le numéro de dossier vous a été envoyé par SMS.",
    ],
)
def test_a_capitalised_title_before_a_verb_or_a_function_names_no_one(text: str) -> None:
    assert of_kind(text, "person_name") == []


def test_a_common_first_name_alone_in_lower_case_names_the_author() -> None:
    assert in_field("mathieu", "author_name") == ["mathieu"]


def test_a_plain_word_alone_in_the_author_field_is_no_name() -> None:
    assert in_field("lapin", "author_name") == []
