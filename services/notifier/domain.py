"""Notifier's pure rules: no Flask, no SQLAlchemy.

Routing decision: an experience of a structure notifies only the agents assigned to that very
structure (profile agent or super_agent with mission `answer`), not the agents of its ancestors:
ancestors already see child experiences in their lists and dashboards, and mailing every level
would flood regional accounts. A response waiting for validation is different: a small agency
often has no super agent of its own, and its answers would wait for ever, so the super agents of
the structure AND of every ancestor are told (any of them may validate), except the one who
submitted it: a response is validated by another (four eyes).

Every mail to staff about an experience follows the recipient's frequency: at once, in the
daily or weekly digest, or never.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from urllib.parse import parse_qs, quote, unquote, urlparse
from zoneinfo import ZoneInfo

from services.chassis.vocabulary import NotificationFrequency

PARIS = ZoneInfo("Europe/Paris")
DIGEST_HOUR = time(8, 0)
Frequency = NotificationFrequency  # the staff member's choice, kept by identity


class EmailStatus(StrEnum):
    """Queued until the relay accepts it (sent) or its tries run out (failed, see
    after_failure)."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class EmailKind(StrEnum):
    """What an e-mail tells; each kind has its own template."""

    PUBLISHED_AUTHOR = "experience_published_author"
    TO_PROCESS = "experience_to_process"
    REASSIGNED = "experience_reassigned"
    REORIENTATION_DECLINED = "reorientation_declined"
    REJECTED_AUTHOR = "experience_rejected_author"
    RESPONSE_TO_VALIDATE = "response_to_validate"
    RESPONSE_VALIDATED = "response_validated"
    REORIENTATION_ACCEPTED = "reorientation_accepted"
    EVALUATED = "experience_evaluated"
    ANSWERED_AUTHOR = "experience_answered_author"
    USER_INVITED = "user_invited"
    PASSWORD_RESET = "password_reset"
    DIGEST = "digest"


# Mails to the usager who wrote the experience: their address is private (DOMAIN.md).
AUTHOR_KINDS = frozenset({EmailKind.PUBLISHED_AUTHOR, EmailKind.REJECTED_AUTHOR,
                          EmailKind.ANSWERED_AUTHOR})
AUTHOR_ADDRESS_SHOWN = "auteur (adresse masquée)"
_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")


def for_operators(kind: str, address: str, last_error: str | None) -> tuple[str, str | None]:
    """The recipient and error shown to operators: an author's address never leaves the notifier."""
    if kind not in AUTHOR_KINDS:
        return address, last_error
    error = last_error.replace(address, AUTHOR_ADDRESS_SHOWN) if last_error else last_error
    return AUTHOR_ADDRESS_SHOWN, error and _ADDRESS.sub(AUTHOR_ADDRESS_SHOWN, error)


SUBJECTS: dict[EmailKind, str] = {
    EmailKind.PUBLISHED_AUTHOR: "Votre expérience est publiée",
    EmailKind.TO_PROCESS: "Nouvelle expérience à traiter : {title}",
    EmailKind.REASSIGNED: "Expérience transférée à votre structure : {title}",
    EmailKind.REORIENTATION_DECLINED: "Réorientation refusée, expérience à traiter : {title}",
    EmailKind.REJECTED_AUTHOR: "Votre expérience n'a pas été publiée",
    EmailKind.RESPONSE_TO_VALIDATE: "Une réponse attend votre validation : {title}",
    EmailKind.RESPONSE_VALIDATED: "Votre réponse est validée et publiée : {title}",
    EmailKind.REORIENTATION_ACCEPTED: "Réorientation acceptée : {title}",
    EmailKind.EVALUATED: "L'usager a évalué la réponse : {title}",
    EmailKind.ANSWERED_AUTHOR: "Votre expérience a reçu une réponse",
    EmailKind.USER_INVITED: "Votre compte Services Publics+",
    EmailKind.PASSWORD_RESET: "Réinitialisation de votre mot de passe",
    EmailKind.DIGEST: "{headline}",
}

# A digest lists its items under one heading per kind, in this order. A new experience and one
# moved to the structure share a heading; a declined re-orientation has its own, for the
# moderator's explanation.
NEW_KINDS = (EmailKind.TO_PROCESS, EmailKind.REASSIGNED)
DIGEST_SECTIONS: tuple[tuple[tuple[EmailKind, ...], str], ...] = (
    (NEW_KINDS, "Nouvelles expériences à traiter pour votre structure"),
    ((EmailKind.REORIENTATION_DECLINED,),
     "Demandes de réorientation refusées par la modération : ces expériences restent à traiter "
     "par votre structure"),
    ((EmailKind.RESPONSE_TO_VALIDATE,), "Réponses qui attendent votre validation"),
    ((EmailKind.RESPONSE_VALIDATED,), "Vos réponses validées et publiées"),
    ((EmailKind.REORIENTATION_ACCEPTED,),
     "Expériences réorientées par la modération, comme vous l'avez demandé"),
    ((EmailKind.EVALUATED,), "Réponses évaluées par les usagers"),
)
DIGEST_KINDS = frozenset(k for kinds, _ in DIGEST_SECTIONS for k in kinds)
# All three say « this experience is to process by your structure »: a digest lists only the
# latest of them for an experience (published then declined: the declined line).
TO_PROCESS_KINDS = (*NEW_KINDS, EmailKind.REORIENTATION_DECLINED)


def _is_new(kind: str) -> bool:
    """An item of an unknown kind counts as a new experience, as all did before kinds were kept."""
    return kind in NEW_KINDS or kind not in DIGEST_KINDS


def digest_sections(items: list[dict]) -> list[dict]:
    """The digest's items ({kind, ...}) under their headings, in the order above."""
    sections = []
    for kinds, heading in DIGEST_SECTIONS:
        found = [i for i in items
                 if i["kind"] in kinds or (kinds is NEW_KINDS and _is_new(i["kind"]))]
        if found:
            sections.append({"heading": heading, "items": found})
    return sections


def plural(count: int, one: str, many: str) -> str:
    """French: singular for 0 and 1."""
    return one if count < 2 else many


def digest_headline(items: list[dict]) -> str:
    """The digest's subject, counting what it lists: the short one when it lists only new
    experiences to process."""
    count = len(items)
    if all(_is_new(i["kind"]) for i in items):
        return (f"Services Publics+ : {count} "
                f"{plural(count, 'nouvelle expérience', 'nouvelles expériences')} à traiter")
    return (f"Votre récapitulatif Services Publics+ : {count} "
            f"{plural(count, 'notification', 'notifications')}")


class Progress(StrEnum):
    """How far an experience went, as its events tell the notifier (the codes of the
    experiences service's status, which owns it)."""

    TO_PROCESS = "to_process"
    AWAITING_VALIDATION = "awaiting_validation"
    ANSWERED = "answered"


@dataclass(frozen=True)
class ExperienceState:
    """Where an experience is and how far it went, from the latest event the notifier handled."""

    structure_id: str
    progress: str


def _family(kind: str) -> str:
    return EmailKind.TO_PROCESS if kind in TO_PROCESS_KINDS or _is_new(kind) else kind


def _still_current(item: dict, state: ExperienceState | None, structures: Collection[str]) -> bool:
    """Whether what the item says still holds, by the experience's latest state."""
    if state is None:
        return True  # nothing heard since (or only before the notifier kept states)
    kind = item["kind"]
    if _family(kind) == EmailKind.TO_PROCESS:
        # Answered, or rerouted / moved away from the recipient's structures (its page would
        # answer 403): nothing left to process.
        return state.progress != Progress.ANSWERED and state.structure_id in structures
    if kind == EmailKind.RESPONSE_TO_VALIDATE:
        # Validated meanwhile, or moved (a move drops the draft): nothing waits any more.
        return (state.progress == Progress.AWAITING_VALIDATION
                and item.get("structure_id") in (None, state.structure_id))
    if kind == EmailKind.REORIENTATION_ACCEPTED:
        return state.structure_id not in structures  # not since sent back to them
    return True  # what happened stays true: validated, evaluated


def current_items(items: list[dict], states: Mapping[str, ExperienceState],
                  structures: Collection[str]) -> list[dict]:
    """What a digest lists of its items ({kind, experience_id, structure_id, ...}, in the order
    things happened): per experience and section, the latest item only (of the three kinds « to
    process », the latest of all three), and none the experience's latest state contradicts.
    `structures`: the recipient's own."""
    latest: dict[tuple[str, str], dict] = {}
    for item in items:
        key = (_family(item["kind"]), item["experience_id"])
        latest.pop(key, None)  # listed where its latest item falls
        latest[key] = item
    return [i for i in latest.values()
            if _still_current(i, states.get(i["experience_id"]), structures)]


def reference(experience_id: str) -> str:
    """A short reference the author can quote to the service: ours, not their words."""
    return str(experience_id).replace("-", "")[:8].upper()


def public_link(gateway: str, experience_id: str) -> str:
    """The published experience, as its author and the public see it."""
    return f"{gateway}/experiences/{quote(str(experience_id), safe='')}"


def staff_link(gateway: str, kind: str, experience_id: str) -> str:
    """Where a mail to staff about an experience leads: the agents' page, except after a
    re-orientation, when the experience has left their scope and only its public page remains."""
    if kind == EmailKind.REORIENTATION_ACCEPTED:
        return public_link(gateway, experience_id)
    return agent_link(gateway, experience_id)


def agent_link(gateway: str, experience_id: str | None = None) -> str:
    """The agents' page of an experience (where they answer), or their list without an id."""
    if experience_id is None:
        return f"{gateway}/agent/experiences"
    return f"{gateway}/agent/experiences/{quote(str(experience_id), safe='')}"


# Moderation reason codes (DOMAIN.md) in plain French for the author.
REJECTION_REASONS: dict[str, str] = {
    "insult": "Votre texte contient des propos injurieux, diffamatoires ou discriminatoires.",
    "personal_data": ("Votre texte contient des données personnelles (nom d'un agent ou d'un tiers, "
                      "adresse e-mail, numéro de téléphone, adresse, numéro de sécurité sociale "
                      "ou fiscal, coordonnées bancaires)."),
    "off_topic": "Votre texte ne concerne pas un service public.",
    "advertising": "Votre texte a un caractère publicitaire.",
    "duplicate": "Vous avez déjà partagé cette expérience.",
    "unintelligible": "Votre texte n'a pas pu être compris.",
    "other": "Votre texte ne respecte pas la charte de publication.",
}


def rejection_sentence(reason: str) -> str:
    return REJECTION_REASONS.get(reason, REJECTION_REASONS["other"])


FEELINGS = {"positive": "positif", "neutral": "neutre", "negative": "négatif"}


def feeling_word(code: str | None) -> str:
    return FEELINGS.get(code or "", "non indiqué")


# Recipients ------------------------------------------------------------------------------------
AGENT_PROFILES = ("agent", "super_agent")
SUPER_AGENT = "super_agent"
ANSWER = "answer"


@dataclass(frozen=True)
class Recipient:
    id: str
    email: str
    name: str
    profile: str
    missions: tuple[str, ...]
    frequency: str
    active: bool


def answers(r: Recipient) -> bool:
    return r.active and r.profile in AGENT_PROFILES and ANSWER in r.missions


def validates(r: Recipient) -> bool:
    return r.active and r.profile == SUPER_AGENT


class Delivery(StrEnum):
    NOW = "now"
    DIGEST = "digest"
    NOTHING = "nothing"


def delivery_for(r: Recipient) -> Delivery:
    """How an agent hears of a new experience to process, from their frequency."""
    if not r.active or r.frequency == Frequency.NONE:
        return Delivery.NOTHING
    if r.frequency in (Frequency.DAILY, Frequency.WEEKLY):
        return Delivery.DIGEST
    return Delivery.NOW


def ancestors(structure_id: str, parent_of: Mapping[str, str | None]) -> list[str]:
    """The structure and those above it, nearest first (a loop in the replica stops the walk)."""
    chain: list[str] = []
    current: str | None = structure_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parent_of.get(current)
    return chain


def response_authors(drafted_by: str | None, submitted_by: str | None,
                     validated_by: str | None) -> list[str]:
    """Who hears that a response was validated: whoever wrote or sent it, not the validator."""
    if validated_by is None:
        return []  # answered without validation: its author published it themselves
    out: list[str] = []
    for user_id in (submitted_by, drafted_by):
        if user_id and user_id != validated_by and user_id not in out:
            out.append(user_id)
    return out


def validators(supers: list[Recipient], *authors: str | None) -> list[Recipient]:
    """Who is asked to validate a response: the super agents told, but not its `authors` (who
    submitted it, who wrote its text: four eyes), nor an account of theirs under the same
    address."""
    theirs = {r.email.lower() for r in supers if r.id in authors}
    return [r for r in supers if r.id not in authors and r.email.lower() not in theirs]


def unique_by_email(recipients: list[Recipient]) -> list[Recipient]:
    seen: set[str] = set()
    out = []
    for r in recipients:
        key = r.email.lower()
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


# Digest windows ----------------------------------------------------------------------------------
def _at_8(day: date) -> datetime:
    return datetime.combine(day, DIGEST_HOUR, tzinfo=PARIS)


def digest_window(frequency: str, now: datetime) -> tuple[datetime, datetime]:
    """The last completed period [start, end) at `now`, in UTC.

    daily: from one 08:00 Paris to the next; weekly: Monday 08:00 to the next Monday 08:00.
    Edges are computed on local dates, so a period across a DST change lasts 23 or 25 hours
    (or 167/169 for a week) and always ends at 08:00 wall-clock time.
    """
    local = now.astimezone(PARIS)
    end_day = local.date() if local >= _at_8(local.date()) else local.date() - timedelta(days=1)
    if frequency == Frequency.DAILY:
        start_day = end_day - timedelta(days=1)
    elif frequency == Frequency.WEEKLY:
        end_day = end_day - timedelta(days=end_day.weekday())
        start_day = end_day - timedelta(days=7)
    else:
        raise ValueError(f"no digest for frequency {frequency!r}")
    return _at_8(start_day).astimezone(UTC), _at_8(end_day).astimezone(UTC)


# Sending -----------------------------------------------------------------------------------------
def retry_delay(attempts: int, base_s: float = 30.0, cap_s: float = 3600.0) -> timedelta:
    """Exponential back-off after `attempts` failed tries (1 → base, 2 → 2×base, ...)."""
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(attempts - 1, 0)))


def after_failure(attempts: int, max_attempts: int | None, age: timedelta | None = None,
                  max_age: timedelta | None = None) -> EmailStatus:
    """Failed once `max_attempts` tries are spent (when there is a cap) or the e-mail is older
    than `max_age`; queued for another try otherwise."""
    if max_attempts is not None and attempts >= max_attempts:
        return EmailStatus.FAILED
    if max_age is not None and age is not None and age >= max_age:
        return EmailStatus.FAILED
    return EmailStatus.QUEUED


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    ssl: bool = False
    starttls: bool = False
    user: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpConfig:
    """smtp://[user:password@]host[:port][?starttls=1] or smtps://... (implicit TLS)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {parsed.scheme!r}")
    ssl = parsed.scheme == "smtps"
    query = parse_qs(parsed.query)
    starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
    return SmtpConfig(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or (465 if ssl else 25),
        ssl=ssl,
        starttls=starttls and not ssl,
        user=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
    )
