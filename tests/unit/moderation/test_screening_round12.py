"""Twelfth round of the screening: text pasted or dictated. An address cut by a line break,
« à robe base » for the "@", a card typed digit by digit or with letters for digits, a lone
« l » typed for the first digit of a NIR, a mobile number that no label makes a file number,
an office's line that is a named person's, and streets misspelt (« ru », « avenu »).
Then, from the spent heldout12's misses: a number said in words before the dictated "@", an
office's name in a domain it does not own, an IBAN whose country is dictated apart or with
letters typed for digits, a number cut by a blank line, an office's label that names the
next number, a surname that is also a word after a title and a first name.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import of_kind


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("Sur le courrier :\nanne-sophie.beaumont-\nlacroix@free.fr\net rien d'autre",
         "anne-sophie.beaumont-\nlacroix@free.fr"),
        ("adresse imprimée : k.moreau.caf@hot\nmail.fr sur deux lignes", "k.moreau.caf@hot\nmail.fr"),
    ],
)  # fmt: skip
def test_an_address_cut_by_a_line_break_is_masked_whole(text: str, email: str) -> None:
    assert of_kind(text, "email") == [email]


def test_a_line_that_ends_before_an_address_is_no_cut() -> None:
    text = "Mme Roux\n12 rue des Lilas\n13001 Marseille\nroux.m@orange.fr"
    assert of_kind(text, "email") == ["roux.m@orange.fr"]
    assert of_kind(text, "address") == ["12 rue des Lilas\n13001 Marseille"]


def test_a_dictated_at_sign_cut_in_words() -> None:
    text = "mon mail c'est paulo à robe base yahoo point fr merci"
    assert of_kind(text, "email") == ["paulo à robe base yahoo point fr"]


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("5 1 3 2 4 7 8 9 0 1 2 3 4 5 6 5 débitée deux fois", "5 1 3 2 4 7 8 9 0 1 2 3 4 5 6 5"),
        ("ma carte c est la 4970 l012 3456 78O2 svp", "4970 l012 3456 78O2"),
    ],
)  # fmt: skip
def test_a_card_typed_digit_by_digit_or_with_letters(text: str, card: str) -> None:
    assert of_kind(text, "card") == [card]


def test_a_lone_l_for_the_first_digit_of_a_nir() -> None:
    assert of_kind("secu:l 85 O7 75 112 O33 32 merci", "nir") == ["l 85 O7 75 112 O33 32"]


def test_a_mobile_number_after_a_word_that_labels_files_is_a_phone() -> None:
    assert of_kind("Usager en colère (0694 12 58 33)", "phone") == ["0694 12 58 33"]
    assert of_kind("Usager en colère (0694 12 58 33)", "identifier") == []


def test_an_offices_line_said_to_be_a_named_persons_is_hers() -> None:
    text = "Numéro donné par l'accueil : 02 41 22 57 19, c'est le bureau de Mme Gaillard."
    assert of_kind(text, "phone") == ["02 41 22 57 19"]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("jabite au 8 ru des glycines 80000 amiens depuis un an", "8 ru des glycines 80000 amiens"),
        ("ma nouvel adresse : 31 avenu de la gare 21000 dijon", "31 avenu de la gare 21000 dijon"),
    ],
)  # fmt: skip
def test_a_misspelt_street_type(text: str, address: str) -> None:
    assert of_kind(text, "address") == [address]


def test_a_number_said_in_words_ends_a_dictated_local_part() -> None:
    text = "mon mail c'est lucie underscore morel quarante-deux arobase free point fr merci"
    assert of_kind(text, "email") == ["lucie underscore morel quarante-deux arobase free point fr"]


def test_an_offices_name_in_a_domain_it_does_not_own_is_no_office_mailbox() -> None:
    assert of_kind("le faux mail venait de verification-ameli@ameli-fr.info hier", "email") == [
        "verification-ameli@ameli-fr.info"
    ]
    assert of_kind("le vrai répond depuis service@ameli.fr", "email") == []


@pytest.mark.parametrize(
    ("text", "iban"),
    [
        ("mon iban F R 21 1027 8060 4100 0123 4567 859 merci", "F R 21 1027 8060 4100 0123 4567 859"),
        ("IBAN:FR2l lO278O6O4lOOOl23456785g", None),
        ("IBAN:FR2ll0278O6O4lOOOl234567859", "FR2ll0278O6O4lOOOl234567859"),
    ],
)  # fmt: skip
def test_an_iban_proven_by_its_key_through_spacing_or_lookalike_letters(text: str, iban: str | None) -> None:
    assert of_kind(text, "iban") == ([iban] if iban else [])


def test_a_phone_number_cut_by_a_blank_line() -> None:
    text = "Voici mon numéro : 07 41 28\n\n63 90. Ne le publiez pas."
    assert of_kind(text, "phone") == ["07 41 28\n\n63 90"]
    assert of_kind(text, "identifier") == []


def test_an_offices_label_before_the_next_number_does_not_name_this_one() -> None:
    text = "Ligne de mon référent : 06 44 18 27 93, numéro de la mairie : 02 99 28 55 55."
    assert of_kind(text, "phone")[0] == "06 44 18 27 93"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("J'accompagne M. Gérard PRINTEMPS, 81 ans, pour son dossier.", "M. Gérard PRINTEMPS"),
        ("Ma voisine, Mme Odile Rennes (c'est son nom), attend.", "Mme Odile Rennes"),
    ],
)  # fmt: skip
def test_a_surname_that_is_also_a_word_after_a_title_and_a_first_name(text: str, name: str) -> None:
    assert of_kind(text, "person_name") == [name]


def test_the_defenseur_des_droits_number_is_public() -> None:
    assert of_kind("Le 09 69 39 00 00 du Défenseur des droits m'a aidée.", "phone") == []
