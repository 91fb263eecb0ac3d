"""Moderation's pure rules: no Flask, no SQLAlchemy."""

from __future__ import annotations

import functools
import re
import statistics
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class CaseKind(StrEnum):
    SUBMISSION = "submission"
    REORIENTATION = "reorientation"


class CaseStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REROUTED = "rerouted"
    DECLINED = "declined"  # a re-orientation request refused: the structure keeps it


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REROUTE = "reroute"
    DECLINE = "decline"


# How API messages name them: these sentences reach moderators' pages as they are.
STATUS_LABELS = {CaseStatus.PENDING: "en attente", CaseStatus.APPROVED: "publié",
                 CaseStatus.REJECTED: "refusé", CaseStatus.REROUTED: "réorienté",
                 CaseStatus.DECLINED: "réorientation refusée"}
KIND_LABELS = {CaseKind.SUBMISSION: "nouvelle expérience",
               CaseKind.REORIENTATION: "demande de réorientation"}
ACTION_LABELS = {Action.APPROVE: "Publier", Action.REJECT: "Refuser",
                 Action.REROUTE: "Réorienter", Action.DECLINE: "Refuser la réorientation"}


class RejectReason(StrEnum):
    """Policy reason codes for a refusal (DOMAIN.md, Moderation policy)."""

    INSULT = "insult"
    PERSONAL_DATA = "personal_data"
    OFF_TOPIC = "off_topic"
    ADVERTISING = "advertising"
    DUPLICATE = "duplicate"
    UNINTELLIGIBLE = "unintelligible"
    OTHER = "other"


# What each decision leaves the case in, and which kind of case it applies to.
OUTCOME: dict[Action, CaseStatus] = {
    Action.APPROVE: CaseStatus.APPROVED,
    Action.REJECT: CaseStatus.REJECTED,
    Action.REROUTE: CaseStatus.REROUTED,
    Action.DECLINE: CaseStatus.DECLINED,
}
APPLIES_TO: dict[Action, frozenset[CaseKind]] = {
    Action.APPROVE: frozenset({CaseKind.SUBMISSION}),
    Action.REJECT: frozenset({CaseKind.SUBMISSION}),
    Action.REROUTE: frozenset({CaseKind.REORIENTATION}),
    Action.DECLINE: frozenset({CaseKind.REORIENTATION}),
}

CLAIM_DURATION = timedelta(minutes=5)
SUGGESTION_LIMIT = 5
STATS_WINDOWS_DAYS = (7, 30)


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime (SQLite hands back naive ones)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def age_seconds(created_at: datetime, now: datetime) -> int:
    return max(0, int((utc(now) - utc(created_at)).total_seconds()))


def is_claimed_by_other(claimed_by: str | None, claimed_until: datetime | None,
                        moderator_id: str, now: datetime) -> bool:
    """A case opened by another moderator is theirs until the claim lapses."""
    return (claimed_by is not None and claimed_by != moderator_id
            and claimed_until is not None and utc(claimed_until) > utc(now))


def published_text(original: str, redacted: str, edited_body: str | None) -> tuple[str, bool]:
    """The text to publish and whether it differs from what the author wrote."""
    text = redacted if edited_body is None else edited_body
    return text, text != original


def median_seconds(durations: Iterable[timedelta]) -> float | None:
    values = [d.total_seconds() for d in durations]
    return statistics.median(values) if values else None


# --- routing suggestions

_STOPWORDS = frozenset({
    "de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en", "sur", "sous",
    "pour", "par", "un", "une",
    # words every other structure's name has: they say nothing about which one is meant
    "centre", "service", "services", "agence", "bureau", "point", "maison", "public",
    "publique", "publics", "france",
})


def normalise(text: str) -> str:
    """Lower case, no accents, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def tokens(text: str) -> set[str]:
    return {t for t in normalise(text).split() if len(t) >= 3 and t not in _STOPWORDS}


def departement(postal_code: str | None) -> str | None:
    """The département of a French postal code (three digits overseas)."""
    code = (postal_code or "").strip()
    if not re.fullmatch(r"\d{5}", code):
        return None
    return code[:3] if code.startswith(("97", "98")) else code[:2]


@dataclass(frozen=True)
class StructureRef:
    id: str
    name: str
    postal_code: str | None = None
    city: str | None = None
    active: bool = True


# Points per clue; a full name match in the hint outweighs a bare département match.
SCORE_POSTAL_EXACT = 40
SCORE_DEPARTEMENT = 15
SCORE_CITY = 20
SCORE_NAME_HINT = 40
SCORE_NAME_TEXT = 15


@dataclass(frozen=True)
class _Query:
    """What a case says about where it happened, normalised once for all structures."""

    postal_code: str
    departement: str | None
    hint: str
    text: str
    hint_words: frozenset[str]
    text_words: frozenset[str]

    @classmethod
    def of(cls, postal_code: str, hint: str, text: str) -> _Query:
        code = (postal_code or "").strip()
        hint_n, text_n = normalise(hint), normalise(text)
        return cls(code, departement(code), f" {hint_n} ", f" {text_n} ",
                   frozenset(hint_n.split()), frozenset(text_n.split()))


@functools.lru_cache(maxsize=200_000)
def _structure_words(name: str, city: str | None) -> tuple[str, frozenset[str]]:
    """(normalised city, name tokens without the city's): kept across cases, per process."""
    return normalise(city or ""), frozenset(tokens(name) - tokens(city or ""))


def _score(structure: StructureRef, query: _Query) -> float:
    score = 0.0
    if query.postal_code and structure.postal_code == query.postal_code:
        score += SCORE_POSTAL_EXACT
    elif query.departement and query.departement == departement(structure.postal_code):
        score += SCORE_DEPARTEMENT
    city, name_tokens = _structure_words(structure.name, structure.city)
    if city and (f" {city} " in query.hint or f" {city} " in query.text):
        score += SCORE_CITY
    if name_tokens:
        in_hint = len(name_tokens & query.hint_words) / len(name_tokens)
        in_text = len(name_tokens & query.text_words) / len(name_tokens)
        score += SCORE_NAME_HINT * in_hint + SCORE_NAME_TEXT * in_text
    return round(score, 1)


def score_structure(structure: StructureRef, postal_code: str, hint: str, text: str) -> float:
    return _score(structure, _Query.of(postal_code, hint, text))


def suggest_structures(structures: Iterable[StructureRef], postal_code: str, hint: str,
                       text: str, limit: int = SUGGESTION_LIMIT) -> list[dict]:
    """The active structures most likely meant, best first: [{id, name, score}]."""
    query = _Query.of(postal_code, hint, text)
    scored = [(_score(s, query), s) for s in structures if s.active]
    ranked = sorted((pair for pair in scored if pair[0] > 0),
                    key=lambda pair: (-pair[0], pair[1].name, pair[1].id))
    return [{"id": s.id, "name": s.name, "score": score} for score, s in ranked[:limit]]
