"""Sixteenth round of the screening, tuned on dev16 and the spent halves: a title and an
initial before the surname (« Mme F. Dubreuil »), a first name alone on a text's last line,
a university's mailboxes, and a handle's digits after « prénom.nom ».

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import of_kind


def test_a_title_then_an_initial_then_the_surname() -> None:
    assert of_kind("le dossier de mon oncle (M. R. Lemarchand) est bloqué", "person_name") \
        == ["M. R. Lemarchand"]


def test_a_first_name_alone_on_the_last_line_signs_the_text() -> None:
    assert of_kind("Toujours pas de réponse depuis juin.\nMerci d'avance,\nLudivine", "person_name") \
        == ["Ludivine"]


def test_a_first_name_that_is_a_word_on_the_last_line_stays_a_word() -> None:
    assert of_kind("Je garde espoir.\nPatience", "person_name") == []


@pytest.mark.parametrize(
    "text",
    [
        "le bureau des relations internationales répond vite : international@univ-orleans.fr",
        "écrire à scolarite.master@univ-tours.fr pour l'inscription",
    ],
)
def test_a_universitys_mailbox_that_shows_no_person_is_public(text: str) -> None:
    assert of_kind(text, "email") == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("mon adresse étudiante : ines.bernard@etu.univ-nantes.fr", "ines.bernard@etu.univ-nantes.fr"),
        ("écrivez-moi sur kofi.mensah33@etu.univ-amu.fr", "kofi.mensah33@etu.univ-amu.fr"),
    ],
)  # fmt: skip
def test_a_students_university_address_is_personal(text: str, address: str) -> None:
    assert of_kind(text, "email") == [address]
