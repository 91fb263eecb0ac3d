"""Eleventh round of the screening: the author's line « au bureau » is hers, a NIR glued to
the word before is one when its key proves it, a NIR proven whole leaves the street number
after it to the address, an address keeps the street after a number that won over it, and a
switchboard named after the number (« … est le standard de … ») stays unmasked.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import of_kind


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Je suis joignable au bureau : 0596 61 48 27.", "0596 61 48 27"),
        ("Nous sommes joignables à l'agence, 02 98 44 17 63, le matin.", "02 98 44 17 63"),
    ],
)  # fmt: skip
def test_the_authors_line_at_an_office_is_hers(text: str, phone: str) -> None:
    assert of_kind(text, "phone") == [phone]


def test_an_offices_landline_named_as_its_desk_stays_unmasked() -> None:
    assert of_kind("La mairie, au bureau de l'état civil : 05 59 44 10 00.", "phone") == []


def test_a_switchboard_named_after_the_number_stays_unmasked() -> None:
    text = "Le 05 61 33 47 47 est le standard de la préfecture, ils transfèrent sans fin."
    assert of_kind(text, "phone") == []


def test_a_nir_glued_to_the_word_before_is_one_when_its_key_proves_it() -> None:
    assert of_kind("ma carte vitale n°secu285077511203332 ne passe pas", "nir") == [
        "285077511203332"
    ]
    # the same digits with a wrong key, glued to letters: a reference, not a NIR
    assert of_kind("code client REF285077511203331 sur la facture", "nir") == []


def test_a_nir_proven_whole_leaves_the_street_number_after_it() -> None:
    text = "NIR 2 85 07 75 112 033 32, 3 rue des Tanneurs, 67000 Strasbourg."
    assert of_kind(text, "nir") == ["2 85 07 75 112 033 32"]
    assert of_kind(text, "address") == ["3 rue des Tanneurs, 67000 Strasbourg"]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("tél 07 61 22 48 39 / 5 allée des Pins, 33600 Pessac",
         "5 allée des Pins, 33600 Pessac"),
        ("portable 06 18 27 55 90 - 3 rue du Moulin, 35000 Rennes",
         "3 rue du Moulin, 35000 Rennes"),
    ],
)  # fmt: skip
def test_an_address_keeps_the_street_after_a_number_that_won_over_it(text: str, address: str) -> None:
    assert of_kind(text, "address") == [address]
