"""Thirteenth round of the screening, tuned on dev13: a phone number in a text typed in
capitals whose word before it reads as letters, a mobile's number never an office's
switchboard, an IBAN in groups split by slashes, a NIR with letters typed for digits inside
one word, a first name before « chez » and a mail provider, an address cut by a line break
inside its local part or its domain.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import of_kind


def test_a_phone_in_capitals_after_a_word_read_as_letters() -> None:
    text = "MON TEL C LE 07 61 24 88 30 ET PERSONNE NE ME RAPPELLE"
    assert of_kind(text, "phone") == ["07 61 24 88 30"]
    assert of_kind(text, "identifier") == []


def test_a_mobile_given_for_an_office_is_a_persons() -> None:
    text = "Le numéro de l'agence qu'on m'a donné : 06 31 77 20 45, c'est celui d'un conseiller."
    assert of_kind(text, "phone") == ["06 31 77 20 45"]


def test_an_iban_in_groups_split_by_slashes() -> None:
    text = "IBAN : FR21 / 1027 / 8060 / 4100 / 0123 / 4567 / 859 merci"
    assert of_kind(text, "iban") == ["FR21 / 1027 / 8060 / 4100 / 0123 / 4567 / 859"]


def test_a_nir_with_letters_for_digits_in_one_word() -> None:
    assert of_kind("numero secu l85O375ll2O33l8 merci", "nir") == ["l85O375ll2O33l8"]
    # the same shape whose key proves nothing is left to the other rules
    assert of_kind("code l85O375ll2O3399 du colis", "nir") == []


def test_a_first_name_before_chez_and_a_provider() -> None:
    assert of_kind("écrivez-moi : mathilde chez orange point fr", "email") == [
        "mathilde chez orange point fr"
    ]
    assert of_kind("je suis cliente chez orange.fr depuis dix ans", "email") == []


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("sa signature : « j.lemai\nre@ars-bretagne.fr », coupée", "j.lemai\nre@ars-bretagne.fr"),
        ("noté sur un post-it : paul.roy@douane.fin\nances.gouv.fr — en erreur",
         "paul.roy@douane.fin\nances.gouv.fr"),
    ],
)  # fmt: skip
def test_an_address_cut_inside_its_local_part_or_its_domain(text: str, email: str) -> None:
    assert of_kind(text, "email") == [email]


# From the spent heldout13's misses, by general means.


def test_a_provider_glued_to_its_end_after_an_at_sign() -> None:
    assert of_kind("écrivez sur paulinefaure@hotmailfr svp", "email") == ["paulinefaure@hotmailfr"]


def test_a_dictated_at_sign_heard_as_a_robe() -> None:
    assert of_kind("mon mail : marc.petit à robe yahoo.fr merci", "email") == [
        "marc.petit à robe yahoo.fr"
    ]


def test_a_domain_said_in_two_words_before_its_dot() -> None:
    text = "l'adresse de mon conseiller c'est p point roux arobase pole emploi point fr"
    assert of_kind(text, "email") == ["p point roux arobase pole emploi point fr"]


def test_a_nir_key_after_a_hesitation() -> None:
    text = "numéro de sécu 2 85 03 75 112 033 euh clé 65 voilà"
    assert of_kind(text, "nir") == ["2 85 03 75 112 033 euh clé 65"]


def test_a_card_with_letters_typed_for_digits() -> None:
    assert of_kind("carte bleue 497312345678SO18 recopiée", "card") == ["497312345678SO18"]
    assert of_kind("carte bleue 497312345678SO19 recopiée", "card") == []  # its key proves nothing
