"""Fifteenth round of the screening, tuned on dev15 and the spent halves: the author's name
field read up to where it stops being a name, a place named after someone there, a surname in
capitals behind its particle (« DA COSTA Manuel ») or before a lower-case first name, a first
name that is also a word after a word of kinship, and a few words that speak of a person.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from services.moderation.screening import screen
from services.moderation.screening_eval import evaluate, load_corpus
from tests.support.screening import rules, spans


def names(text: str) -> list[str]:
    return [s for k, s in rules(text) if k == "person_name"]


def author_names(text: str) -> list[str]:
    return [text[f.start : f.end] for f in screen(text, use_model=False, field="author_name")
            if str(f.kind) == "person_name"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("GARNIER Odile, 4 impasse des Saules", "GARNIER Odile"),
        ("Yannick B., bénévole au Secours populaire", "Yannick B."),
        ("Maëlle.R 07 12 34 56 78", "Maëlle.R"),
        ("Linh NGUYEN pour son père", "Linh NGUYEN"),
        ("R. LAMBERT, menuisier", "R. LAMBERT"),
    ],
)  # fmt: skip
def test_the_author_field_named_before_what_follows(text: str, name: str) -> None:
    assert author_names(text) == [name]


@pytest.mark.parametrize(
    "text",
    [
        "Le surveillant du lycée Jules Verne",
        "Parent d'élève, école Louise Michel",
        "Maman de 3 enfants, Tours",
        "kader59",  # a first name glued to digits stays a handle
    ],
)
def test_the_author_field_names_no_one_here(text: str) -> None:
    assert author_names(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("mon père (DOS SANTOS Joaquim) touche sa retraite au Portugal", "DOS SANTOS Joaquim"),
        ("la fiche dit LE BRIS Anne-Sophie, c'est bien moi", "LE BRIS Anne-Sophie"),
    ],
)  # fmt: skip
def test_a_surname_in_capitals_behind_its_particle(text: str, name: str) -> None:
    assert names(text) == [name]


def test_an_acronym_before_a_first_name_is_no_particle() -> None:
    assert "LA POSTE Agnès" not in names("LA POSTE Agnès")


def test_a_lower_case_first_name_after_a_surname_in_capitals() -> None:
    assert names("mme TRAORE fatoumata, 3 enfants à charge") == ["mme TRAORE fatoumata"]


def test_a_first_name_that_is_a_word_after_kinship_with_a_surname() -> None:
    assert [s for k, s in spans("mon frere pierre mbappou est à l'hôpital") if k == "person_name"] \
        == ["pierre mbappou"]


def test_a_first_name_that_is_a_word_alone_after_kinship_stays_a_word() -> None:
    assert [s for k, s in spans("ma fille rose adore les fleurs") if k == "person_name"] == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("pour le suivi, demander Solène au 01 44 55 66 77", "Solène"),
        ("nous trois, moi (Gérard) compris, on l'aide", "Gérard"),
    ],
)  # fmt: skip
def test_words_that_speak_of_a_person(text: str, name: str) -> None:
    assert name in names(text)


def test_the_corpus_writers_fields_load_as_the_form_screens_them(tmp_path) -> None:
    corpus = tmp_path / "corpus.yaml"
    corpus.write_text("- {field: author, text: Yvonne, expect: [[person_name, Yvonne]]}\n"
                      "- {field: place, text: CAF de Lyon, expect: []}\n", encoding="utf-8")
    entries = load_corpus(corpus)
    assert [e.field for e in entries] == ["author_name", "structure_hint"]
    # « Yvonne » alone names the author in her name field
    assert evaluate(entries[:1]).per_kind["person_name"].found == 1
