"""Seventeenth round of the screening, tuned on dev17 and the spent halves: the Pacific's
local numbers after words about a phone (six digits in New Caledonia and Wallis, eight in
Polynesia, « vini » for a mobile there), « tél. » with its dot, a title glued to a surname in
capitals, an initial and a surname that sign a letter, « doctoresse ».

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import of_kind


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("à Koné, mon fixe : 47 21 36, le soir", "47 21 36"),
        ("mon vini c'est 89 54 12 30", "89 54 12 30"),
        ("Tél. 40 81 22 19 (Punaauia)", "40 81 22 19"),
        ("portable : 79.14.52", "79.14.52"),
    ],
)  # fmt: skip
def test_a_pacific_local_number_after_words_about_a_phone(text: str, number: str) -> None:
    assert of_kind(text, "phone") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "appel du 14 05 23 resté sans réponse",  # a date
        "rappel le 03/11/24",
        "j'ai payé 47 21 36 F CFP",  # no word about a phone
        "Rappel au 01 45 67… non pardon, c'est le 06 21 45 78 90",  # a French number cut short
    ],
)
def test_six_digits_that_are_no_pacific_number(text: str) -> None:
    assert all(len([c for c in n if c.isdigit()]) == 10 for n in of_kind(text, "phone"))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Réponse écrite de M.LEGRAND : « refus »", "M.LEGRAND"),
        ("Signé : R. Benali, gestionnaire conseil", "R. Benali"),
        ("« … votre dossier est complet. Cordialement, F. Hoarau, conseillère »", "F. Hoarau"),
        ("le rapport de la doctoresse Perrin dit l'inverse", "doctoresse Perrin"),
    ],
)  # fmt: skip
def test_titles_and_signatures(text: str, name: str) -> None:
    assert of_kind(text, "person_name") == [name]


def test_a_title_glued_to_an_acronym_names_no_one() -> None:
    assert of_kind("rendez-vous pris via M.CAF demain", "person_name") == []
