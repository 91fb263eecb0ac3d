"""Moderation's pure rules: routing suggestions, claims, published text, medians."""

from datetime import UTC, datetime, timedelta

import pytest

from services.moderation import domain
from services.moderation.domain import StructureRef, suggest_structures

LYON_CAF = StructureRef("1", "CAF de Lyon", "69003", "Lyon")
LYON_CPAM = StructureRef("2", "CPAM du Rhône", "69003", "Lyon")
VILLEURBANNE = StructureRef("3", "France Travail Villeurbanne", "69100", "Villeurbanne")
MARSEILLE = StructureRef("4", "CAF des Bouches-du-Rhône", "13001", "Marseille")
CLOSED = StructureRef("5", "CAF de Lyon Vaise", "69009", "Lyon", active=False)
ALL = [LYON_CAF, LYON_CPAM, VILLEURBANNE, MARSEILLE, CLOSED]


def ids(suggestions):
    return [s["id"] for s in suggestions]


def test_exact_postal_code_and_name_in_hint_rank_first():
    ranked = suggest_structures(ALL, "69003", "la CAF", "Attente au guichet.")
    assert ids(ranked)[0] == "1"
    assert ranked[0]["name"] == "CAF de Lyon"


def test_exact_postal_code_beats_same_departement():
    ranked = suggest_structures(ALL, "69003", "", "")
    assert ids(ranked) == ["1", "2", "3"]  # 69003 twice (by name), then the 69 département
    assert ranked[0]["score"] == ranked[1]["score"] > ranked[2]["score"] > 0


def test_city_named_in_the_text_counts():
    ranked = suggest_structures(ALL, "", "", "Je suis allé à Villeurbanne hier.")
    assert ids(ranked) == ["3"]


def test_city_matches_without_accents_or_case():
    refs = [StructureRef("9", "Mairie", "42000", "Saint-Étienne")]
    assert ids(suggest_structures(refs, "", "mairie de saint etienne", "")) == ["9"]


def test_name_tokens_in_hint_weigh_more_than_in_text():
    in_hint = suggest_structures([LYON_CPAM], "", "CPAM", "")[0]["score"]
    in_text = suggest_structures([LYON_CPAM], "", "", "la CPAM m'a répondu")[0]["score"]
    assert in_hint > in_text > 0


def test_overseas_departement_has_three_digits():
    refs = [StructureRef("a", "CAF", "97400", "Saint-Denis"),
            StructureRef("b", "CAF", "97100", "Basse-Terre")]
    assert ids(suggest_structures(refs, "97410", "", "")) == ["a"]


def test_inactive_and_unrelated_structures_are_left_out():
    ranked = suggest_structures(ALL, "69009", "", "")
    assert "5" not in ids(ranked)
    assert "4" not in ids(ranked)


def test_nothing_matches_nothing_suggested():
    assert suggest_structures(ALL, "", "", "Texte sans indice.") == []


def test_at_most_five_suggestions():
    refs = [StructureRef(str(i), f"Agence {i}", "75001", "Paris") for i in range(8)]
    assert len(suggest_structures(refs, "75001", "", "")) == domain.SUGGESTION_LIMIT


@pytest.mark.parametrize("code, expected", [("69003", "69"), ("97411", "974"), ("2A004", None),
                                            ("", None), (None, None), ("123", None)])
def test_departement(code, expected):
    assert domain.departement(code) == expected


def test_claim_by_another_moderator_lapses():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = now + domain.CLAIM_DURATION
    assert domain.is_claimed_by_other("m1", later, "m2", now)
    assert not domain.is_claimed_by_other("m1", later, "m1", now)
    assert not domain.is_claimed_by_other("m1", now - timedelta(seconds=1), "m2", now)
    assert not domain.is_claimed_by_other(None, None, "m2", now)


def test_published_text_and_edited():
    assert domain.published_text("a", "a", None) == ("a", False)
    masked = "[téléphone masqué]"
    assert domain.published_text("06 12", masked, None) == (masked, True)
    assert domain.published_text("a", "a", "b") == ("b", True)
    assert domain.published_text("a", "[x]", "a") == ("a", False)


def test_median_and_age():
    assert domain.median_seconds([]) is None
    assert domain.median_seconds([timedelta(hours=h) for h in (1, 3, 10)]) == 3 * 3600
    naive = datetime(2026, 1, 1, 12, 0)
    assert domain.age_seconds(naive, datetime(2026, 1, 1, 12, 1, tzinfo=UTC)) == 60
