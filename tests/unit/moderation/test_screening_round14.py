"""Fourteenth round of the screening, tuned on dev14: an abbreviated title in lower case
after « au » or « une » is still a title (« merci au dr haddad »), and a surname that
starts with « n' » is a name, where « madame n'est pas là » stays a sentence.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from tests.support.screening import rules


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
