"""Moderation's pure rules: no Flask, no SQLAlchemy (screening is pure too)."""

from __future__ import annotations

import functools
import re
import statistics
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.chassis.clock import as_utc
from services.chassis.refusals import Conflict, Forbidden, Invalid, NotFound
from services.chassis.vocabulary import breaks_line
from services.moderation.screening import (
    ADVISORY_KINDS,
    FLAG_KINDS,
    Flag,
    FlagKind,
    default_masks,
    redact,
    screen,
)


class CaseKind(StrEnum):
    """What moderation is asked: to publish a new experience, or to move a published one
    to another structure at that structure's request."""

    SUBMISSION = "submission"
    REORIENTATION = "reorientation"


class CaseStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REROUTED = "rerouted"
    DECLINED = "declined"  # a re-orientation request refused: the structure keeps it


class Action(StrEnum):
    """What a moderator decides on a case."""

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


# --- refusals: chassis errors, which the API answers with their status and fields


class NotAModerator(Forbidden):
    message = ("La modération n'appartient à aucun réseau : un membre d'une administration "
               "ne modère pas.")


class CaseNotFound(NotFound):
    message = "Dossier introuvable."


class AlreadyDecided(Conflict):
    def __init__(self, status: str):
        super().__init__("Ce dossier a déjà été traité (statut : "
                         f"{STATUS_LABELS[CaseStatus(status)]}).", status=status)


class ClaimedByOther(Conflict):
    def __init__(self, claimed_until: datetime):
        super().__init__("Un autre modérateur traite ce dossier ; réessayez quand il l'aura "
                         "libéré.", claimed_until=as_utc(claimed_until).isoformat())


class NotForThisKind(Conflict):
    def __init__(self, action: Action, kind: str):
        super().__init__(f"{ACTION_LABELS[action]} : impossible pour une "
                         f"{KIND_LABELS[CaseKind(kind)]}.", kind=kind)


class InvalidStructure(Invalid):
    """The structure a decision names cannot take the experience."""

    def __init__(self, why: str):
        super().__init__("Certains champs sont invalides.", structure_id=why)


def check_moderator(network_id: str | None) -> None:
    """An administration never moderates: a caller who belongs to a network is refused."""
    if network_id is not None:
        raise NotAModerator()


def check_open(status: str, claimed_by: str | None, claimed_until: datetime | None,
               moderator_id: str, now: datetime) -> None:
    """A case this moderator may claim or decide now: pending, not another's claim."""
    if status != CaseStatus.PENDING:
        raise AlreadyDecided(status)
    if is_claimed_by_other(claimed_by, claimed_until, moderator_id, now):
        raise ClaimedByOther(claimed_until)


def check_applies(action: Action, kind: str) -> None:
    if kind not in APPLIES_TO[action]:
        raise NotForThisKind(action, kind)


def check_target(active: bool | None) -> None:
    """A decision sends an experience to a known structure that is active (None: unknown)."""
    if not active:
        raise InvalidStructure("Structure inconnue ou inactive.")


def check_moves(structure_id: str, current_structure_id: str | None) -> None:
    """A re-orientation sends the experience somewhere else."""
    if structure_id == current_structure_id:
        raise InvalidStructure("L'expérience est déjà rattachée à cette structure.")


def age_seconds(created_at: datetime, now: datetime) -> int:
    return max(0, int((as_utc(now) - as_utc(created_at)).total_seconds()))


def claim_state(status: str, claimed_by: str | None, claimed_until: datetime | None,
                moderator_id: str, now: datetime) -> str:
    """`mine`, `other` or `free`: who may decide the case now (`closed` once decided)."""
    if status != CaseStatus.PENDING:
        return "closed"
    if is_claimed_by_other(claimed_by, claimed_until, moderator_id, now):
        return "other"
    if claimed_by == moderator_id and claimed_until is not None \
            and as_utc(claimed_until) > as_utc(now):
        return "mine"
    return "free"


def is_claimed_by_other(claimed_by: str | None, claimed_until: datetime | None,
                        moderator_id: str, now: datetime) -> bool:
    """A case opened by another moderator is theirs until the claim lapses."""
    return (claimed_by is not None and claimed_by != moderator_id
            and claimed_until is not None and as_utc(claimed_until) > as_utc(now))


def median_seconds(durations: Iterable[timedelta]) -> float | None:
    values = [d.total_seconds() for d in durations]
    return statistics.median(values) if values else None


def time_to_decision(decided: Iterable[tuple[datetime, datetime]], now: datetime) -> list[dict]:
    """For each window of STATS_WINDOWS_DAYS, the cases decided in it and their median time
    from opening to decision; `decided` holds (created_at, decided_at) pairs."""
    pairs = [(as_utc(created), as_utc(decided_at)) for created, decided_at in decided]
    windows = []
    for days in STATS_WINDOWS_DAYS:
        since = now - timedelta(days=days)
        durations = [d - c for c, d in pairs if d >= since]
        windows.append({"days": days, "decided": len(durations),
                        "median_seconds": median_seconds(durations)})
    return windows


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
    network_id: str | None = None


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


def suggest_structures(structures: Iterable[StructureRef], postal_code: str, hint: str,
                       text: str, limit: int = SUGGESTION_LIMIT) -> list[dict]:
    """The active structures most likely meant, best first: [{id, name, network_id, score}]."""
    query = _Query.of(postal_code, hint, text)
    scored = [(_score(s, query), s) for s in structures if s.active]
    ranked = sorted((pair for pair in scored if pair[0] > 0),
                    key=lambda pair: (-pair[0], pair[1].name, pair[1].id))
    return [{"id": s.id, "name": s.name, "network_id": s.network_id, "score": score}
            for score, s in ranked[:limit]]


# --- per-field screening and the moderator's masks

# The fields of an experience that can become public, in the order the moderator sees them.
SCREENED_FIELDS: tuple[str, ...] = ("title", "body", "author_name", "structure_hint")
FIELD_MAX_LENGTH: dict[str, int] = {"title": 300, "body": 20_000, "author_name": 200,
                                    "structure_hint": 400}
NOT_BLANK: frozenset[str] = frozenset({"title", "body"})
# Enough for any real text; a bound keeps one request from asking for millions of spans.
MAX_MASKS = 500


def flag_to_json(flag: Flag) -> dict:
    return {"kind": str(flag.kind), "start": flag.start, "end": flag.end, "note": flag.note}


def mask_to_json(flag: Flag) -> dict:
    return {"kind": str(flag.kind), "start": flag.start, "end": flag.end}


def flag_from_json(row: dict) -> Flag:
    # A kind the detectors no longer know still masks its span.
    kind = row["kind"] if row["kind"] in FLAG_KINDS else FlagKind.OTHER
    return Flag(FlagKind(kind), int(row["start"]), int(row["end"]), row.get("note"))


def screen_field(text: str, field: str = "body") -> list[Flag]:
    """screen()'s flags for the text of `field`, keeping only spans that redact() accepts: a
    detector's slip must not stop a case from opening."""
    return _kept(screen(text, field=field), text)


def _kept(flags: list[Flag], text: str) -> list[Flag]:
    kept: list[Flag] = []
    end = 0
    for flag in sorted(flags, key=lambda f: f.start):
        if end <= flag.start < flag.end <= len(text):
            kept.append(flag)
            end = flag.end
    return kept


# What the staff write for the public (an agent's response, a structure's improvement action)
# is screened by the same rules before it is sent, and shown to its writer: it is not moderated,
# the writer decides. Rules only: the web process does not load the name model.
STAFF_TEXTS = ("body", "closing", "signature", "title", "description")
STAFF_TEXT_MAX = 10_000


def screen_staff_text(text: str, name: str) -> list[Flag]:
    """The passages to show the writer of a staff text: no advisory kind, and in a signature
    no person's name (an agent may sign with hers, « Marie, conseillère »)."""
    return [f for f in _kept(screen(text, use_model=False), text) if f.kind not in ADVISORY_KINDS
            and not (name == "signature" and f.kind == FlagKind.PERSON_NAME)]


def screen_fields(texts: Mapping[str, str]) -> dict[str, list[dict]]:
    """The flags of every screened field, as stored on a case."""
    return {name: [flag_to_json(f) for f in screen_field(texts[name], name)] for name in SCREENED_FIELDS}


@dataclass(frozen=True)
class ScreenedField:
    name: str
    text: str
    flags: tuple[Flag, ...] = ()
    # False for an author name a case opened before it was kept never had: nothing to publish.
    known: bool = True

    @property
    def default_masks(self) -> list[Flag]:
        return default_masks(list(self.flags))

    @property
    def redacted(self) -> str:
        return redact(self.text, self.default_masks)

    def as_json(self) -> dict:
        masked = set(self.default_masks)
        return {"name": self.name, "text": self.text, "redacted": self.redacted,
                "flags": [flag_to_json(f) | {"masked": f in masked} for f in self.flags]}


def default_redaction(text: str, flags: list[dict]) -> str:
    """`text` with the stored `flags` masked as they are unless the moderator decides otherwise."""
    return ScreenedField("", text, tuple(flag_from_json(f) for f in flags)).redacted


def case_fields(texts: Mapping[str, str | None], body_flags: list[dict] | None,
                other_flags: Mapping[str, list[dict]] | None) -> list[ScreenedField]:
    """The four screened fields of a case. `other_flags` is None on a case opened before
    every field was screened: its other fields show no flag and its author name is unknown."""
    fields = []
    for name in SCREENED_FIELDS:
        rows = body_flags if name == "body" else (other_flags or {}).get(name)
        known = not (name == "author_name" and other_flags is None)
        fields.append(ScreenedField(name, texts.get(name) or "",
                                    tuple(flag_from_json(r) for r in rows or []), known))
    return fields


@dataclass(frozen=True)
class FieldOutcome:
    """What one field publishes once the moderator's decision is applied to it."""

    name: str
    original: str
    published: str
    masks: tuple[Flag, ...] = ()  # applied on the original; none when the text was replaced
    text_edited: bool = False
    unmasked: tuple[Flag, ...] = ()  # flags masked by default that the moderator left out
    added: tuple[Flag, ...] = ()  # masks that were not a default mask (span and kind)
    known: bool = True

    @property
    def edited(self) -> bool:
        return self.published != self.original

    @property
    def changed(self) -> bool:
        return self.text_edited or bool(self.unmasked or self.added)

    @property
    def public(self) -> str | None:
        """The text to publish, or None to leave the field as the usager submitted it."""
        return self.published if self.known or self.text_edited else None


class InvalidDecision(Invalid):
    """Field decisions that cannot apply: `errors` maps a field to its messages."""

    def __init__(self, errors: dict):
        super().__init__("Certains champs sont invalides.", listed={"fields": dict(errors)})
        self.errors = errors


def text_errors(name: str, text: str) -> list[str]:
    """French messages for a replacement text the field cannot take."""
    errors = []
    if name in NOT_BLANK and not text.strip():
        errors.append("Le texte publié ne peut pas être vide.")
    if len(text) > FIELD_MAX_LENGTH[name]:
        errors.append(f"Le texte publié dépasse {FIELD_MAX_LENGTH[name]} caractères.")
    if "\x00" in text:  # PostgreSQL keeps no NUL in a text column
        errors.append("Le texte publié contient un caractère nul.")
    if name != "body" and breaks_line(text):
        errors.append("Le texte publié doit tenir sur une ligne, sans retour à la ligne ni "
                      "caractère invisible de mise en forme.")
    return errors


def mask_errors(text: str, masks: Iterable[Mapping]) -> list[str]:
    """French messages for the masks that cannot apply to `text`, numbered from 1."""
    errors: list[str] = []
    spans: list[tuple[int, int, int]] = []
    for number, mask in enumerate(masks, 1):
        start, end = mask["start"], mask["end"]
        kind = mask.get("kind", FlagKind.OTHER)
        if kind not in FLAG_KINDS:
            errors.append(f"Masque {number} : type « {kind} » inconnu.")
        if start >= end:
            errors.append(f"Masque {number} : le début ({start}) doit précéder la fin ({end}).")
        elif start < 0 or end > len(text):
            errors.append(f"Masque {number} : le passage de {start} à {end} sort du texte, "
                          f"qui compte {len(text)} caractères.")
        else:
            spans.append((start, end, number))
    furthest: tuple[int, int, int] | None = None
    for span in sorted(spans):
        if furthest is not None and span[0] < furthest[1]:
            errors.append(f"Masques {furthest[2]} et {span[2]} : les passages se chevauchent.")
        if furthest is None or span[1] > furthest[1]:
            furthest = span
    return errors


def _mask(row: Mapping) -> Flag:
    return Flag(FlagKind(row.get("kind", FlagKind.OTHER)), row["start"], row["end"])


def decide_field(field: ScreenedField, masks: list[Flag] | None = None,
                 text: str | None = None) -> FieldOutcome:
    """Apply a moderator's decision: `text` replaces the field; otherwise `masks` (all the spans
    to mask) replace the default masks; with neither, the default redaction is published."""
    if text is not None:
        return FieldOutcome(field.name, field.text, text, text_edited=True, known=field.known)
    defaults = field.default_masks
    applied = defaults if masks is None else sorted(masks, key=lambda m: m.start)
    unmasked = tuple(f for f in defaults
                     if not any(m.start <= f.start and f.end <= m.end for m in applied))
    default_spans = {(f.start, f.end, FlagKind(f.kind)) for f in defaults}
    added = tuple(m for m in applied if (m.start, m.end, FlagKind(m.kind)) not in default_spans)
    return FieldOutcome(field.name, field.text, redact(field.text, applied), tuple(applied),
                        unmasked=unmasked, added=added, known=field.known)


def decide_fields(fields: list[ScreenedField],
                  decisions: Mapping[str, Mapping] | None) -> list[FieldOutcome]:
    """Every field's outcome under `decisions` ({name: {"masks"?, "text"?}}); a field not named
    publishes its default redaction. Raises InvalidDecision naming each field at fault."""
    decisions = decisions or {}
    by_name = {f.name: f for f in fields}
    errors: dict = {name: ["Champ inconnu."] for name in decisions if name not in by_name}
    for name, decision in decisions.items():
        if name not in by_name or not decision:
            continue
        field_errors = {}
        if decision.get("masks") is not None:
            field_errors["masks"] = mask_errors(by_name[name].text, decision["masks"])
        if decision.get("text") is not None:
            field_errors["text"] = text_errors(name, decision["text"])
        if any(field_errors.values()):
            errors[name] = {key: value for key, value in field_errors.items() if value}
    if errors:
        raise InvalidDecision(errors)
    outcomes = []
    for field in fields:
        decision = decisions.get(field.name) or {}
        masks = decision.get("masks")
        outcomes.append(decide_field(field, None if masks is None else [_mask(m) for m in masks],
                                     decision.get("text")))
    return outcomes


def published_fields(outcomes: list[FieldOutcome]) -> dict[str, str | None]:
    return {o.name: o.public for o in outcomes}


def edited_fields(outcomes: list[FieldOutcome]) -> list[str]:
    """The fields whose published text differs from what the usager wrote."""
    return [o.name for o in outcomes if o.public is not None and o.edited]


def changes(outcomes: list[FieldOutcome]) -> dict[str, dict]:
    """The audit of what the moderator changed from the default redaction, field by field."""
    return {o.name: {"unmasked": [flag_to_json(f) for f in o.unmasked],
                     "added": [mask_to_json(m) for m in o.added], "text_edited": o.text_edited}
            for o in outcomes if o.changed}


def preview(outcome: FieldOutcome) -> dict:
    """One field as it would be published; a replaced text is screened again so the page can
    warn of personal data the moderator left in it."""
    warnings = [mask_to_json(f) for f in screen_field(outcome.published, outcome.name)] \
        if outcome.text_edited else []
    return {"name": outcome.name, "text": outcome.original, "published": outcome.published,
            "masks": [mask_to_json(m) for m in outcome.masks], "edited": outcome.edited,
            "text_edited": outcome.text_edited, "warnings": warnings}
