"""Eighteenth round of the screening, tuned on dev18 and the spent halves, for precision:
brands named after their founders and a saying are no persons, « accueil général » names an
office's number, a national service number is no personal identifier.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import of_kind, spans


@pytest.mark.parametrize(
    "text",
    [
        "des chaussures Dr Martens achetées avec la prime",
        "un stage chez Leroy Merlin trouvé par France Travail",
        "ce n'est pas à Pierre, Paul ou Jacques de juger mon dossier",
    ],
)
def test_brands_and_sayings_name_no_one(text: str) -> None:
    assert [s for k, s in spans(text) if k == "person_name"] == []


def test_a_private_person_with_a_famous_surname_is_still_named() -> None:
    assert of_kind("hébergée chez Mme Zidane depuis mars", "person_name") == ["Mme Zidane"]


def test_the_general_desk_number_of_an_office_is_public() -> None:
    assert of_kind("Pour l'accueil général de la sous-préfecture : 03 21 55 60 00.", "phone") == []


def test_a_national_service_number_is_no_identifier() -> None:
    assert of_kind("le seul numéro de France Travail, c'est le 3949", "identifier") == []


def test_a_file_number_after_the_same_label_is_still_one() -> None:
    assert of_kind("mon identifiant France Travail : 4812377K", "identifier") == ["4812377K"]
