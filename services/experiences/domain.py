"""Experiences's pure rules: no Flask, no SQLAlchemy.

The status machine of an experience (DOMAIN.md "Experience"):

    submitted ──approve──► to_process ──submit_response──► awaiting_validation ──validate──► answered
        └──reject──► rejected             └──────────submit_response (no validation)─────────►┘

Decision on submitting a response: where the network requires validation, every submit (agent or
super agent) goes to `awaiting_validation` and a super agent then validates it (four eyes, even on
their own draft); where the network does not require validation, any submit answers directly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from services.chassis.clock import as_utc
from services.chassis.permissions import Profile
from services.chassis.refusals import Conflict, Forbidden, Gone, Invalid
from services.chassis.refusals import DomainError as DomainError  # the base of every refusal here
from services.chassis.vocabulary import Channel as Channel  # noqa: F401


class Status(StrEnum):
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    TO_PROCESS = "to_process"
    AWAITING_VALIDATION = "awaiting_validation"
    ANSWERED = "answered"


STATUS_LABELS = {
    Status.SUBMITTED: "en modération",
    Status.REJECTED: "refusée",
    Status.TO_PROCESS: "à traiter",
    Status.AWAITING_VALIDATION: "en attente de validation",
    Status.ANSWERED: "réponse apportée",
}

# Open data joins a list's items in one cell with it: a business tag holding one would read as two.
OPEN_DATA_SEPARATOR = "|"
# An improvement action's title may hold one (titles are free text): in the cell it reads as this.
OPEN_DATA_SEPARATOR_IN_ITEM = "¦"


def open_data_cell(items: Iterable[str]) -> str:
    """One cell listing `items`, which a reader splits back on the separator."""
    return f" {OPEN_DATA_SEPARATOR} ".join(
        item.replace(OPEN_DATA_SEPARATOR, OPEN_DATA_SEPARATOR_IN_ITEM) for item in items)


# What the public may ever see: never a pending or a rejected experience.
PUBLISHED = frozenset({Status.TO_PROCESS, Status.AWAITING_VALIDATION, Status.ANSWERED})


class Feeling(StrEnum):
    """How the usager felt; agents give one too, to a theme or a channel they qualify."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class GeneralTag(StrEnum):
    """The programme's themes an agent qualifies an experience with."""

    ACCESSIBILITY = "accessibility"
    INFORMATION = "information"
    RELATIONSHIP = "relationship"
    RESPONSIVENESS = "responsiveness"
    SIMPLICITY = "simplicity"


class MoveKind(StrEnum):
    REASSIGN = "reassign"  # by the structure, to one of its child structures
    REROUTE = "reroute"  # by moderation, after a re-orientation request


class OutOfScope(Forbidden):
    """The experience, structure or action is outside the caller's scope."""

    code = "out_of_scope"


class ReorientationPending(Conflict):
    """The structure asked moderation to send the experience elsewhere: it waits for that."""

    def __init__(self, action: str):
        self.action = action
        super().__init__(
            f"Action « {action} » impossible : une demande de réorientation est en cours "
            "auprès de la modération.",
            reorientation_reason="Une demande de réorientation attend la décision de la "
                                 "modération.")


class IllegalTransition(Conflict):
    def __init__(self, current: Status, action: str):
        self.current = Status(current)
        self.action = action
        super().__init__(
            f"Action « {action} » impossible : l'expérience est au statut "
            f"« {STATUS_LABELS[self.current]} » ({self.current.value}).",
            status=self.current.value)


class ResponseChanged(Conflict):
    """The draft was saved again after the validator read it."""

    message = ("La réponse a été modifiée depuis que vous l'avez lue : relisez-la avant de la "
               "valider.")
    field = "response_updated_at"


class AlreadyEvaluated(Gone):
    code = "already_evaluated"
    message = "Cette réponse a déjà été évaluée : le lien n'est plus valable."
    details = {"token": "Ce lien a déjà été utilisé."}


class InvalidEvaluationLink(Forbidden):
    code = "invalid_token"
    message = "Lien d'évaluation invalide."
    details = {"token": "Le jeton d'évaluation est invalide."}


class InactiveTarget(Invalid):
    """A deactivated structure receives no experience."""

    message = "Cette structure est désactivée : elle ne reçoit plus d'expériences."
    details = {"structure_id": "Le champ « structure_id » désigne une structure désactivée."}


class NotBelow(Invalid):
    """A structure moves an experience only down its own tree."""

    message = ("Seule une structure fille de la structure actuelle est possible ; sinon, "
               "demandez une réorientation.")
    details = {"structure_id": "Le champ « structure_id » doit désigner une structure fille de "
                               "la structure actuelle."}


def _expect(current: str, allowed: Iterable[Status], action: str) -> Status:
    status = Status(current)
    if status not in allowed:
        raise IllegalTransition(status, action)
    return status


def approve(current: str) -> Status:
    """Moderation approved it: published, to process by its structure."""
    _expect(current, {Status.SUBMITTED}, "publier")
    return Status.TO_PROCESS


def reject(current: str) -> Status:
    _expect(current, {Status.SUBMITTED}, "refuser")
    return Status.REJECTED


def draft_response(current: str) -> Status:
    """A draft may be written or amended until the response is public."""
    return _expect(current, {Status.TO_PROCESS, Status.AWAITING_VALIDATION}, "rédiger la réponse")


def submit_response(current: str, requires_validation: bool,
                    reorientation_pending: bool = False) -> Status:
    _expect(current, {Status.TO_PROCESS}, "soumettre la réponse")
    if reorientation_pending:
        raise ReorientationPending("soumettre la réponse")
    return Status.AWAITING_VALIDATION if requires_validation else Status.ANSWERED


OWN_SUBMISSION = ("Vous avez rédigé ou envoyé cette réponse : un autre super agent de la "
                  "structure ou d'une structure au-dessus doit la valider.")


def validate_response(current: str, profile: str, reorientation_pending: bool = False, *,
                      read: datetime | None = None, saved: datetime | None = None,
                      own: bool = False) -> Status:
    """`read`: when the response the validator read was saved (None: the client did not say);
    `saved`: when the draft was saved last. A draft amended in between would publish a text
    nobody reviewed. `own`: the validator wrote the text as it stands or sent it to validation:
    another must validate (four eyes); a validator who amends a waiting response hands its
    validation to another."""
    _expect(current, {Status.AWAITING_VALIDATION}, "valider la réponse")
    if reorientation_pending:
        raise ReorientationPending("valider la réponse")
    if profile not in (Profile.SUPER_AGENT, Profile.ADMIN):
        raise Forbidden("Seul un super agent peut valider une réponse.")
    if own:
        raise Forbidden(OWN_SUBMISSION)
    if read is not None and (saved is None or as_utc(read) != as_utc(saved)):
        raise ResponseChanged()
    return Status.ANSWERED


def move(current: str) -> Status:
    """Reassigned or rerouted: the new structure starts from a fresh `to_process`."""
    _expect(current, {Status.TO_PROCESS, Status.AWAITING_VALIDATION}, "réaffecter")
    return Status.TO_PROCESS


def check_reassign(current: str, current_structure: str, target: str,
                   below_current: Iterable[str], target_active: bool = True,
                   reorientation_pending: bool = False) -> None:
    """A structure's own move: the status allows a move, no re-orientation request waits for
    moderation (whose case names this structure and its reason: it decides where the
    experience goes, a reroute may send it below), and the target is below it and active (a
    closed office answers nobody)."""
    move(current)
    if reorientation_pending:
        raise ReorientationPending("réaffecter")
    if not may_reassign(current_structure, target, below_current):
        raise NotBelow()
    if not target_active:
        raise InactiveTarget()


def request_reorientation(current: str, already_pending: bool = False) -> Status:
    status = _expect(current, {Status.TO_PROCESS, Status.AWAITING_VALIDATION},
                     "demander une réorientation")
    if already_pending:
        raise ReorientationPending("demander une réorientation")
    return status


def evaluate(current: str, already_evaluated: bool) -> None:
    _expect(current, {Status.ANSWERED}, "évaluer la réponse")
    if already_evaluated:
        raise AlreadyEvaluated()


def reads_evaluation_comment(profile: str) -> bool:
    """The author's evaluation comment is neither screened nor published: the programme's
    administrators read it, not the structures it may name."""
    return profile == Profile.ADMIN


def annotate(current: str) -> None:
    """Tags and flags go on what the public may see."""
    _expect(current, PUBLISHED, "annoter")


# Evaluation links -----------------------------------------------------------------------------

def new_evaluation_token() -> tuple[str, str]:
    """A random token (192 bits) for the author's link, and the hash we keep."""
    token = secrets.token_urlsafe(24)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_hash: str | None) -> bool:
    return stored_hash is not None and hmac.compare_digest(hash_token(token), stored_hash)


# Scope ----------------------------------------------------------------------------------------

class ScopeKind(StrEnum):
    ALL = "all"  # moderators and administrators
    NETWORK = "network"  # referents
    STRUCTURES = "structures"  # agents and super agents
    NONE = "none"


def scope_kind(profile: str, network_id: str | None) -> ScopeKind:
    if profile in (Profile.ADMIN, Profile.MODERATOR):
        return ScopeKind.ALL
    if profile == Profile.REFERENT:
        return ScopeKind.NETWORK if network_id else ScopeKind.NONE
    if profile in (Profile.AGENT, Profile.SUPER_AGENT):
        return ScopeKind.STRUCTURES
    return ScopeKind.NONE


def descendants(roots: Iterable[str], parent_of: Mapping[str, str | None]) -> set[str]:
    """The roots and every structure below them, from a {structure: parent} map."""
    children: dict[str, list[str]] = {}
    for child, parent in parent_of.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(children.get(node, ()))
    return seen


def answer_due_at(published_at: datetime | None, target_delay_days: int | None) -> datetime | None:
    """When the answer is due: publication plus the network's target delay (15 days unknown)."""
    if published_at is None:
        return None
    return published_at + timedelta(days=DEFAULT_TARGET_DELAY_DAYS if target_delay_days is None
                                    else target_delay_days)


DEFAULT_TARGET_DELAY_DAYS = 15


def may_reassign(current_structure: str, target: str, below_current: Iterable[str]) -> bool:
    """An agent moves an experience only down its own tree (to a child structure, at any depth)."""
    return target != current_structure and target in set(below_current)


# Public filters and search -------------------------------------------------------------------

# Corse's postal codes: 200xx-201xx in Corse-du-Sud, 202xx-206xx in Haute-Corse.
_DEPARTMENT_PREFIXES = {"2A": ("200", "201"), "2B": ("202", "203", "204", "205", "206")}
MAX_STRUCTURE_CHOICES = 1000
_WORD = re.compile(r"[^\W\d_]{3,}")  # letters only: safe inside to_tsquery


def postal_prefixes(department: str) -> tuple[str, ...]:
    """The first digits of the postal codes of a département."""
    return _DEPARTMENT_PREFIXES.get(department, (department,))


def search_words(text: str) -> list[str]:
    """The words to look for in other experiences (at most 40)."""
    return sorted(set(_WORD.findall(text.lower())))[:40]


def tree_order(rows, limit: int = MAX_STRUCTURE_CHOICES) -> tuple[list[dict], bool]:
    """A network's structures (id, parent_id, name) depth first, each with its depth; True when
    some were left out. Past `limit` the deepest levels go first: a regional office still
    filters its agencies (the filter includes children), while a list cut at an arbitrary
    branch would hide whole regions."""
    by_id = {sid: (parent, name or "") for sid, parent, name in rows}
    children: dict[str | None, list[str]] = {}
    for sid, (parent, _name) in by_id.items():
        children.setdefault(parent if parent in by_id else None, []).append(sid)

    def after(sid: str) -> list[str]:  # reversed: the stack pops them in alphabetical order
        return sorted(children.get(sid, []), key=lambda c: (by_id[c][1].lower(), c), reverse=True)

    ordered: list[dict] = []
    seen: set[str] = set()
    stack = [(sid, 0) for sid in after(None)]
    while stack:
        sid, depth = stack.pop()
        if sid in seen:
            continue
        seen.add(sid)
        parent, name = by_id[sid]
        ordered.append({"id": sid, "name": name, "depth": depth,
                        "parent_id": parent if parent in by_id else None})
        stack.extend((child, depth + 1) for child in after(sid))
    if len(ordered) <= limit:
        return ordered, False
    cut = sorted(item["depth"] for item in ordered)[limit - 1]  # the level that does not fit
    room = limit - sum(1 for item in ordered if item["depth"] < cut)
    kept = []
    for item in ordered:
        if item["depth"] == cut and room > 0:
            room -= 1
            kept.append(item)
        elif item["depth"] < cut:
            kept.append(item)
    return kept, True


# Dashboards -----------------------------------------------------------------------------------

def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def dashboard_figures(published: int, answered: int, delay_seconds_sum: float | None,
                      within_target: int, evaluations: int, useful: int,
                      negative_evaluations: int, negative_to_positive: int) -> dict:
    """The figures agents expect for a scope and a period, from aggregate counts."""
    return {
        "published": published,
        "answered": answered,
        "answered_share": share(answered, published),
        "average_delay_days": round(delay_seconds_sum / answered / 86400, 2)
        if answered and delay_seconds_sum is not None else None,
        "within_target_share": share(within_target, answered),
        "evaluations": evaluations,
        "useful_share": share(useful, evaluations),
        "negative_to_positive_share": share(negative_to_positive, negative_evaluations),
    }
