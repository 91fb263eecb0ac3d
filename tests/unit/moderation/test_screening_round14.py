"""Fourteenth round of the screening, tuned on dev14: an abbreviated title in lower case
after « au » or « une » is still a title (« merci au dr haddad »), and a surname that
starts with « n' » is a name, where « madame n'est pas là » stays a sentence.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import rules, spans


def names(text: str) -> list[str]:
    return [s for k, s in rules(text) if k == "person_name"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("merci au dr benhamou du centre de santé", "dr benhamou"),
        ("la conseillère c'était mme n'dour je crois", "mme n'dour"),
    ],
)  # fmt: skip
def test_a_lower_case_abbreviated_title_with_its_surname(text: str, name: str) -> None:
    assert names(text) == [name]


@pytest.mark.parametrize(
    "text",
    ["madame n'est pas là le lundi", "un monsieur âgé attendait", "la mme est gentille"],
)
def test_a_lower_case_title_without_a_name_names_no_one(text: str) -> None:
    assert names(text) == []


# A first and last name in lower case: the surname is a word the French model's lexicon does
# not know (its lemmatizer's tables), after a first name found or a common one.


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("contactez mon mari youssef belkacem il a les papiers", "youssef belkacem"),
        ("il s'appelle jordan lemarchal et il travaille au noir", "jordan lemarchal"),
        ("mon nom karim el haddaoui, merci", "karim el haddaoui"),
    ],
)  # fmt: skip
def test_a_lower_case_surname_unknown_to_the_lexicon(text: str, name: str) -> None:
    assert [s for k, s in screen_with_model(text) if k == "person_name"] == [name]


@pytest.mark.parametrize(
    "text",
    [
        "merci a julie gentille et patiente",
        "ya une manif rue victor hugo aujourd'hui",
        "wsh jsuis dans la file depuis 2h",
    ],
)
def test_a_word_of_the_lexicon_or_a_place_is_no_surname(text: str) -> None:
    assert all(" " not in s for k, s in screen_with_model(text) if k == "person_name")


def screen_with_model(text: str) -> list[tuple[str, str]]:
    return spans(text)
