"""Tenth round of the screening: a phone found wherever the usager leaves it. Her own
number stays hers when a switchboard is named after it; the parts of a number given apart
are masked; a number typed without its zero or with the letter O is a phone, not a file
number.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from services.moderation.screening import screen
from tests.support.screening import rules


def phones(text: str) -> list[str]:
    return [s for k, s in rules(text) if k == "phone"]


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("g donné mon tel 07 58 33 14 92 au standard hier", "07 58 33 14 92"),
        ("Mon numéro 06 41 27 90 38 leur standard ne rappelle jamais", "06 41 27 90 38"),
        ("je vous ai laissé mon portable : o7 12 84 39 51 à l'accueil téléphonique",
         "o7 12 84 39 51"),
    ],
)  # fmt: skip
def test_the_authors_own_number_is_no_switchboard_named_after_it(text: str, phone: str) -> None:
    assert phones(text) == [phone]


@pytest.mark.parametrize(
    "text",
    [
        "j'ai appelé le standard de la mairie au 02 41 80 60 00, rien",
        "Numéro de l'agence 03 87 12 45 00, leur standard ne répond jamais",
    ],
)
def test_an_offices_switchboard_stays_unmasked(text: str) -> None:
    assert phones(text) == []


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Mon portable se termine par 83 16, le début c'est 07 29 54.", ["83 16", "07 29 54"]),
        ("les deux derniers chiffres de mon tel sont 47 pas 74", ["47"]),
        ("mon numéro commence par 06 48 71 et finit par 20 95", ["06 48 71", "20 95"]),
    ],
)  # fmt: skip
def test_the_parts_of_a_number_given_apart_are_masked(text: str, parts: list[str]) -> None:
    assert phones(text) == parts


@pytest.mark.parametrize(
    "text",
    [
        "un numéro qui commence par 09 70 m'appelle tous les jours",
        "mon numéro de dossier finit par 4521, pas mon tel",
        "Mon portable a fini par 40 euros de réparation",
        "au téléphone l'attente commence par 10 minutes de musique",
    ],
)
def test_a_prefix_an_amount_or_a_file_number_is_no_part_of_a_phone(text: str) -> None:
    assert phones(text) == []


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("mon numéro : 7 81 20 46 39", "7 81 20 46 39"),
        ("numéro: O6 35 72 18 40 merci", "O6 35 72 18 40"),
    ],
)
def test_a_number_after_numero_read_as_a_phone_not_a_file(text: str, phone: str) -> None:
    assert phones(text) == [phone]


def names(text: str) -> list[str]:
    return [s for k, s in rules(text) if k == "person_name"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("yasmine d. du ccas m'a rappelée le jour meme", "yasmine d."),
        ("bravo a tous mais surtout mehdi de l'accueil", "mehdi"),
        ("KARIM DE L'ACCUEIL A ETE TOP", "KARIM"),
        ("ines r. 12 bd victor hugo 06000 nice", "ines r."),
    ],
)  # fmt: skip
def test_a_lower_case_first_name_with_its_initial_or_its_office(text: str, name: str) -> None:
    assert names(text) == [name]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("c florence, jattends ma carte depuis mars", "florence"),
        ("jsui valentin, 3 imp des lilas", "valentin"),
        ("au tel une certaine jessica m'a raccroché au nez", "jessica"),
        ("reçu par un certain romain, très froid", "romain"),
    ],
)  # fmt: skip
def test_a_first_name_that_is_also_a_word_after_a_self_introduction(text: str, name: str) -> None:
    assert names(text) == [name]


@pytest.mark.parametrize(
    "text",
    [
        "je suis marie, deux enfants, et toujours pas de réponse",
        "la caf a rendu une certaine somme, rien de plus",
        "le bureau a. de la mairie est fermé",
    ],
)
def test_no_name_without_a_first_name_set_apart(text: str) -> None:
    assert names(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("pour lucas mon neveu, la cantine refuse encore", "lucas"),
        ("france travail encore, nadia ma referente est partie", "nadia"),
        ("un agent au tel, kevin il disait s'appeler", "kevin"),
        ("bon courage a vous\nsophie", "sophie"),
        ("nicolas garnier\n5 imp des roses\n35000 rennes", "nicolas garnier"),
    ],
)  # fmt: skip
def test_a_lower_case_first_name_named_by_what_follows_or_signing(text: str, name: str) -> None:
    assert names(text) == [name]


def test_chez_typed_che_before_a_kin_word_is_no_name() -> None:
    assert names("jhabite ché ma soeur 4 rue des ormes 21000 dijon") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Dossier suivi par Tran Van Long depuis mai", "Tran Van Long"),
        ("Mme Pham Thi Hoa attend sa carte vitale", "Pham Thi Hoa"),
        ("signé Thu Trang L.", "Thu Trang L."),
    ],
)  # fmt: skip
def test_a_vietnamese_name_family_name_first(text: str, name: str) -> None:
    assert any(name in n for n in names(text))


def author_names(text: str) -> list[str]:
    return [text[f.start : f.end] for f in screen(text, use_model=False, field="author_name")
            if f.kind == "person_name"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("ines k", "ines k"),
        ("yanis le bihan", "yanis le bihan"),
        ("sofia d du 69", "sofia d"),
        ("valentin, 12 rue des acacias 44000 nantes", "valentin"),
    ],
)  # fmt: skip
def test_an_authors_lower_case_name_with_its_surname_or_initial(text: str, name: str) -> None:
    assert author_names(text) == [name]


def test_a_first_name_before_a_public_figures_surname_names_a_private_person() -> None:
    assert names("Mon oncle, Bertrand Macron, attend sa pension") == ["Bertrand Macron"]
    assert names("M. Macron a parlé hier soir") == []


def test_a_first_name_that_is_also_a_word_with_its_initial_after_a_cue() -> None:
    assert names("rdv avec aurore t. au guichet 3") == ["aurore t."]


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("ma tante au Mali, 00223 65 40 21 87, n'a rien reçu", "00223 65 40 21 87"),
        ("mon cousin à Istanbul : 0090 533 412 87 06", "0090 533 412 87 06"),
        ("whatsapp de mon père 00 261 32 45 678 90", "00 261 32 45 678 90"),
    ],
)  # fmt: skip
def test_a_foreign_number_dialled_with_00_and_any_country_code(text: str, phone: str) -> None:
    assert phones(text) == [phone]


def test_a_code_beginning_with_00_is_no_phone() -> None:
    assert phones("le code d'accès du portail est 0041 2356 7891") == []
