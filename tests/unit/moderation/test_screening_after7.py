"""Shapes tuned after the seventh held-out half was scored: threats said as a condition
(« si je le recroise … il va comprendre »), animals let loose in an office; addresses whose
details follow the street; names before an envelope's address, typed without apostrophes,
in three parts, with particles in the author's field.

Every sentence here is invented for the shape it tests; none comes from the corpus.
"""

import pytest

from services.moderation.screening import screen
from tests.support.screening import kinds, rules


def author(text: str) -> list[tuple[str, str]]:
    return [(str(f.kind), text[f.start : f.end])
            for f in screen(text, use_model=False, field="author_name")]


# --- threats


@pytest.mark.parametrize(
    ("text", "threat"),
    [
        ("Le type de l'accueil m'a humilié. Si je le croise au marché il va comprendre.",
         "Si je le croise au marché il va comprendre"),
        ("si je la recroise elle va le regretter", "si je la recroise elle va le regretter"),
        ("Coupez encore l'eau et je descends à la sous-préfecture avec mes chèvres et je vous "
         "les lâche dans l'accueil.", "je vous les lâche dans l'accueil"),
        ("je vous lâche mes chiens au prochain courrier", "je vous lâche mes chiens"),
    ],
)  # fmt: skip
def test_conditional_threats_and_animals_let_loose(text, threat):
    flagged = [s for k, s in rules(text) if k == "threat"]
    assert any(threat in s for s in flagged), flagged


@pytest.mark.parametrize(
    "text",
    [
        "si je la revois demain elle va comprendre le dossier",
        "si je le croise au marché il va comprendre la fiche ?",
        "le vétérinaire nous lâche avec nos brebis malades",
    ],
)
def test_no_threat_in_a_condition_without_harm(text):
    assert "threat" not in kinds(text)
