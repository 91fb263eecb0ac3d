"""Experiences's use cases, for the HTTP views and the event handlers alike: each loads in the
caller's transaction, applies the domain rules, changes, and publishes through the outbox."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.chassis import clock, replica
from services.chassis.auth import Principal
from services.chassis.catalogue import EventType
from services.chassis.db import new_id
from services.chassis.errors import Invalid, NotFound
from services.chassis.events import publish
from services.chassis.pagination import envelope, page_of, total_of
from services.chassis.permissions import Permission
from services.chassis.ratelimit import hit
from services.experiences import domain, queries
from services.experiences.domain import PUBLISHED, MoveKind, OutOfScope, Status
from services.experiences.models import (
    Comment,
    Experience,
    ExperienceMove,
    ImprovementAction,
    Structure,
)
from services.experiences.queries import Scope

SERVICE = "experiences"
log = logging.getLogger(__name__)

EXPERIENCE_NOT_FOUND = "Expérience introuvable."
ACTION_NOT_FOUND = "Action d'amélioration introuvable."


class UnknownExperience(LookupError):
    """A decision about an experience not known here (yet): the consumer retries it."""


def _plausible_id(some_id: str) -> bool:
    return len(some_id) <= 36 and "\x00" not in some_id


def _find(session: Session, experience_id: str, lock: bool = False) -> Experience | None:
    return queries.experience(session, experience_id, lock) if _plausible_id(experience_id) \
        else None


def _in_scope(session: Session, principal: Principal, experience_id: str,
              lock: bool = False) -> Experience:
    """The experience for a staff action: 404 when unknown, 403 when outside the caller's scope."""
    exp = _find(session, experience_id, lock)
    if exp is None:
        raise NotFound(EXPERIENCE_NOT_FOUND)
    if not Scope(session, principal).covers(exp):
        if exp.status not in PUBLISHED:  # as for GET: an unpublished one is not even shown
            raise NotFound(EXPERIENCE_NOT_FOUND)
        raise OutOfScope("Cette expérience n'est pas dans votre périmètre.")
    return exp


def _published(session: Session, experience_id: str, lock: bool = False) -> Experience:
    exp = _find(session, experience_id, lock)
    if exp is None or exp.status not in PUBLISHED:
        raise NotFound(EXPERIENCE_NOT_FOUND)
    return exp


# Rendering ------------------------------------------------------------------------------------

def _response(exp: Experience) -> dict:
    return {"body": exp.response_body, "closing": exp.response_closing,
            "signature": exp.response_signature}


def action_view(action: ImprovementAction, experience_ids: list[str],
                editable: bool | None = None) -> dict:
    view = {"id": action.id, "title": action.title, "description": action.description,
            "date": action.date, "structure_id": action.structure_id,
            "experience_ids": experience_ids}
    if editable is not None:  # said to staff only: whether they may change or delete it
        view["editable"] = editable
    return view


def _public_view(exp: Experience, structure_name: str | None, actions: list) -> dict:
    answered = exp.status == Status.ANSWERED
    return {
        "id": exp.id, "status": exp.status, "title": exp.title, "body": exp.published_body,
        "structure_id": exp.structure_id, "structure_name": structure_name,
        "network_id": exp.network_id, "postal_code": exp.postal_code, "channel": exp.channel,
        "occurred_on": exp.occurred_on, "feeling": exp.feeling, "author_name": exp.author_name,
        "published_at": exp.published_at, "first_response_at": exp.first_response_at,
        "response": _response(exp) if answered else None,
        "improvement_actions": [action_view(a, [exp.id]) for a in actions],
    }


def _internal_view(exp: Experience, structure_name: str | None, actions: list,
                   target_delay_days: int | None, editable: frozenset[str],
                   reads_comment: bool) -> dict:
    view = _public_view(exp, structure_name, actions)
    view.update(
        submitted_at=exp.submitted_at, edited=exp.edited, rejection_reason=exp.rejection_reason,
        reorientation_reason=exp.reorientation_reason,
        response_draft=_response(exp) if exp.response_body else None,
        response_updated_at=exp.response_updated_at if exp.response_body else None,
        response_submitted_by=exp.response_submitted_by if exp.response_body else None,
        response_drafted_by=exp.response_drafted_by if exp.response_body else None,
        answer_due_at=domain.answer_due_at(exp.published_at, target_delay_days),
        improvement_actions=[action_view(a, [exp.id], a.structure_id in editable)
                             for a in actions],
        general_tags=exp.general_tags or [], business_tags=exp.business_tags or [],
        channel_feelings=exp.channel_feelings or [],
        improvement_to_consider=exp.improvement_to_consider,
        evaluation=None if exp.evaluated_at is None else {
            "useful": exp.evaluation_useful, "feeling_after": exp.evaluation_feeling_after,
            "comment": exp.evaluation_comment if reads_comment else None,
            "evaluated_at": exp.evaluated_at},
    )
    return view


def _editable_structures(session: Session, principal: Principal | None,
                         structure_ids) -> frozenset[str]:
    """Those of the structures whose improvement actions the caller may change or delete."""
    ids = sorted({i for i in structure_ids if i})
    if principal is None or not ids or not principal.can(Permission.IMPROVEMENT_WRITE):
        return frozenset()
    scope = Scope(session, principal)
    return frozenset(s.id for s in queries.structures_in(session, ids)
                     if scope.covers_structure(s))


def _views(session: Session, principal: Principal | None, rows: list[Experience],
           internal: bool) -> list[dict]:
    """The experiences as the public sees them, or as the staff in scope (`internal`) do."""
    names = queries.structure_names(session, [e.structure_id for e in rows])
    linked = queries.actions_by_experience(session, [e.id for e in rows])
    if not internal:
        return [_public_view(e, names.get(e.structure_id), linked.get(e.id, [])) for e in rows]
    targets = queries.target_delays(session, [e.network_id for e in rows])
    editable = _editable_structures(
        session, principal, [a.structure_id for e in rows for a in linked.get(e.id, [])])
    reads_comment = principal is not None and domain.reads_evaluation_comment(principal.profile)
    return [_internal_view(e, names.get(e.structure_id), linked.get(e.id, []),
                           targets.get(e.network_id), editable, reads_comment) for e in rows]


def _internal(session: Session, principal: Principal, exp: Experience) -> dict:
    return _views(session, principal, [exp], internal=True)[0]


# Submitting and reading -----------------------------------------------------------------------

# Past this many matches a text search answers « more than » (`total_capped`) instead of a count.
SEARCH_COUNT_CAP = 1000

_SUBMITTED_FIELDS = ("id", "title", "body", "structure_hint", "postal_code", "channel",
                     "occurred_on", "feeling", "author_name", "submitted_at")


def submit_experience(session: Session, data: dict, limit_key: str, limit: str) -> dict:
    """A usager's experience, to moderation; `limit` counts the submissions of `limit_key`."""
    # Through the table, not an ORM object: nothing here needs one, and it costs more.
    exp = {"id": new_id(), "status": Status.SUBMITTED, "submitted_at": clock.now(), **data}
    session.execute(queries.INSERT_EXPERIENCE, exp)
    publish(session, EventType.EXPERIENCE_SUBMITTED, {k: exp[k] for k in _SUBMITTED_FIELDS},
            SERVICE)
    # Counted last, in the same transaction: one commit per submission, and the counter's row
    # (PostgreSQL) is locked only for the end of it. Past the limit, the 429 rolls the
    # experience back with the count.
    hit(session, limit_key, limit, commit=False)
    return {"id": exp["id"], "status": exp["status"]}


def list_experiences(session: Session, reader: Principal | None, args: dict) -> dict:
    """A page of experiences: the public's published ones, or the staff reader's scope."""
    scope = None if reader is None else Scope(session, reader, args["include_children"])
    query = queries.experience_list(session, scope, args)
    page, per_page = args["page"], args["per_page"]
    # A text search stops counting past SEARCH_COUNT_CAP: a frequent word would otherwise have
    # every experience of the scope read twice (the page, then the count).
    cap = SEARCH_COUNT_CAP if args.get("q") else None
    # Over several structures, how often the planner expects the words says whether the
    # trigram index reads less than the structures' lists (a rare word) or not.
    trigrams = queries.reads_trigrams(session, scope, args)
    items = queries.merged_page(session, scope, args, page, per_page, trigrams)
    if items is None:
        items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    found = envelope(items, *total_of(
        page, per_page, len(items),
        lambda: queries.count_in_scope(session, scope, args, query, cap, trigrams), cap),
        page, per_page)
    found["items"] = _views(session, reader, found["items"], internal=reader is not None)
    if args["choices"]:
        found.update(queries.filter_choices(session, args.get("network_id")))
    return found


def experience_for(session: Session, reader: Principal | None, experience_id: str) -> dict:
    """Published ones for everyone; the internal view for staff in scope."""
    exp = _find(session, experience_id)
    in_scope = exp is not None and reader is not None and Scope(session, reader).covers(exp)
    if exp is None or (not in_scope and exp.status not in PUBLISHED):
        raise NotFound(EXPERIENCE_NOT_FOUND)
    return _views(session, reader, [exp], internal=in_scope)[0]


# Responses ------------------------------------------------------------------------------------

def draft_response(session: Session, principal: Principal, experience_id: str,
                   data: dict) -> dict:
    exp = _in_scope(session, principal, experience_id, lock=True)
    domain.draft_response(exp.status)
    exp.response_body = data["body"]
    exp.response_closing = data.get("closing")
    exp.response_signature = data.get("signature")
    exp.response_drafted_by = principal.user_id
    exp.response_updated_at = clock.now()
    return _internal(session, principal, exp)


def _answer(session: Session, exp: Experience, validated_by: str | None) -> None:
    """Make the response public and invite the author to evaluate it."""
    now = clock.now()
    exp.status = Status.ANSWERED
    exp.response_validated_by = validated_by
    if exp.first_response_at is None:
        exp.first_response_at = now
    token, exp.evaluation_token_hash = domain.new_evaluation_token()
    publish(session, EventType.EXPERIENCE_ANSWERED, {
        "id": exp.id, "title": exp.title, "structure_id": exp.structure_id,
        "network_id": exp.network_id, "answered_at": now, "author_email": exp.author_email,
        "author_name": exp.author_name, "evaluation_token": token,
        "drafted_by": exp.response_drafted_by, "submitted_by": exp.response_submitted_by,
        "validated_by": validated_by}, SERVICE)


def submit_response(session: Session, principal: Principal, experience_id: str) -> dict:
    """To a super agent's validation, or public where the network requires none."""
    exp = _in_scope(session, principal, experience_id, lock=True)
    new = domain.submit_response(exp.status,
                                 queries.requires_validation(session, exp.network_id),
                                 exp.reorientation_reason is not None)
    if not exp.response_body:
        raise Invalid("Aucune réponse n'a été rédigée.",
                      body="Rédigez la réponse avant de la soumettre.")
    exp.response_submitted_by = principal.user_id
    if new is Status.ANSWERED:
        _answer(session, exp, None)
    else:
        exp.status = new
        publish(session, EventType.EXPERIENCE_RESPONSE_SUBMITTED, {
            "id": exp.id, "title": exp.title, "structure_id": exp.structure_id,
            "network_id": exp.network_id, "submitted_by": principal.user_id,
            "drafted_by": exp.response_drafted_by}, SERVICE)
    return _internal(session, principal, exp)


def validate_response(session: Session, principal: Principal, experience_id: str,
                      read_at: datetime | None = None) -> dict:
    """`read_at`: the `response_updated_at` the validator read; the lock keeps an amendment
    from slipping in between the check and the publication."""
    exp = _in_scope(session, principal, experience_id, lock=True)
    domain.validate_response(exp.status, principal.profile, exp.reorientation_reason is not None,
                             read=read_at, saved=exp.response_updated_at,
                             own=principal.user_id in (exp.response_submitted_by,
                                                       exp.response_drafted_by))
    _answer(session, exp, principal.user_id)
    return _internal(session, principal, exp)


# Evaluation -----------------------------------------------------------------------------------

def _check_evaluation_link(exp: Experience, token: str) -> None:
    """The link's token is this experience's and the response may still be evaluated."""
    if not domain.token_matches(token, exp.evaluation_token_hash):
        raise domain.InvalidEvaluationLink()
    domain.evaluate(exp.status, exp.evaluated_at is not None)


def check_evaluation_link(session: Session, experience_id: str, token: str) -> None:
    _check_evaluation_link(_published(session, experience_id), token)


def evaluate(session: Session, experience_id: str, data: dict) -> None:
    """The author's evaluation, through the single-use link."""
    exp = _published(session, experience_id, lock=True)
    _check_evaluation_link(exp, data["token"])
    exp.evaluated_at = clock.now()
    exp.evaluation_useful = data["useful"]
    exp.evaluation_feeling_after = data["feeling_after"]
    exp.evaluation_comment = data.get("comment")
    publish(session, EventType.EXPERIENCE_EVALUATED, {
        "id": exp.id, "structure_id": exp.structure_id, "useful": data["useful"],
        "feeling_after": data["feeling_after"], "title": exp.title,
        "feeling": exp.feeling}, SERVICE)


# Moves ----------------------------------------------------------------------------------------

def move_experience(session: Session, exp: Experience, kind: MoveKind, structure_id: str,
                    network_id: str | None, by: str | None) -> None:
    """Reassigned by its structure or rerouted by moderation: the new structure starts afresh
    (to process, no draft, no pending request); the move is kept and published."""
    new_status = domain.move(exp.status)
    previous = exp.structure_id
    session.add(ExperienceMove(experience_id=exp.id, kind=kind, from_structure_id=previous,
                               to_structure_id=structure_id, by_user_id=by))
    if network_id != exp.network_id:
        # Each network labels in its own words: another network's business tags would show on
        # the new one's pages and in the open data under its name.
        exp.business_tags = []
    exp.structure_id, exp.network_id, exp.status = structure_id, network_id, new_status
    exp.reorientation_reason = None
    exp.drop_draft()
    publish(session, EventType.EXPERIENCE_REASSIGNED, {
        "id": exp.id, "title": exp.title, "from_structure_id": previous or "",
        "structure_id": structure_id, "network_id": network_id, "by_user_id": by,
        "kind": str(kind)}, SERVICE)


def reassign(session: Session, principal: Principal, experience_id: str,
             structure_id: str) -> dict:
    """To a structure below the current one (audit trail kept)."""
    exp = _in_scope(session, principal, experience_id, lock=True)
    below = replica.subtree_ids(session, Structure, [exp.structure_id])
    target = session.get(Structure, structure_id) if structure_id in below else None
    domain.check_reassign(exp.status, exp.structure_id, structure_id, below,
                          target_active=target is None or target.active,
                          reorientation_pending=exp.reorientation_reason is not None)
    move_experience(session, exp, MoveKind.REASSIGN, target.id, target.network_id,
                    principal.user_id)
    return _internal(session, principal, exp)


def request_reorientation(session: Session, principal: Principal, experience_id: str,
                          reason: str) -> dict:
    """Ask moderation to send the experience elsewhere (another branch or network)."""
    exp = _in_scope(session, principal, experience_id, lock=True)
    domain.request_reorientation(exp.status, exp.reorientation_reason is not None)
    exp.reorientation_reason = reason
    publish(session, EventType.EXPERIENCE_REORIENTATION_REQUESTED, {
        "id": exp.id, "title": exp.title, "body": exp.published_body or "",
        "structure_id": exp.structure_id, "network_id": exp.network_id,
        "reason": reason, "requested_by": principal.user_id}, SERVICE)
    return _internal(session, principal, exp)


# Annotations, comments, similar experiences ---------------------------------------------------

def annotate(session: Session, principal: Principal, experience_id: str, data: dict) -> dict:
    exp = _in_scope(session, principal, experience_id, lock=True)
    domain.annotate(exp.status)
    for name, value in data.items():
        setattr(exp, name, value)
    return _internal(session, principal, exp)


def comments_of(session: Session, principal: Principal, experience_id: str) -> list[Comment]:
    _in_scope(session, principal, experience_id)
    return queries.comments(session, experience_id, principal.network_id)


def add_comment(session: Session, principal: Principal, experience_id: str,
                body: str) -> Comment:
    exp = _in_scope(session, principal, experience_id)
    comment = Comment(experience_id=exp.id, author_id=principal.user_id,
                      author_name=principal.name, body=body, created_at=clock.now(),
                      network_id=exp.network_id)
    session.add(comment)
    session.flush()
    return comment


def similar_to(session: Session, principal: Principal, experience_id: str) -> list[dict]:
    """The most similar answered experiences of the network, as a starting point for a draft."""
    exp = _in_scope(session, principal, experience_id)
    words = domain.search_words(f"{exp.title} {exp.published_body or ''}")
    return [{"id": e.id, "title": e.title, "body": e.published_body, "response": _response(e),
             "score": round(float(score), 4)}
            for e, score in queries.similar_answered(session, exp, words)]


# Moderation's decisions (event handlers) ------------------------------------------------------

def _unknown(experience_id: str) -> UnknownExperience:
    return UnknownExperience(f"experience {experience_id} unknown here (yet)")


def _decided(session: Session, experience_id: str) -> Experience:
    exp = session.execute(queries.EXPERIENCE_FOR_UPDATE, {"exp_id": experience_id}).scalar()
    if exp is None:
        raise _unknown(experience_id)
    return exp


@contextmanager
def _dropped_if_illegal(decision: str, event_id: str, experience_id: str) -> Iterator[None]:
    """A decision the status machine refuses is logged and dropped: retrying cannot make it
    legal."""
    try:
        yield
    except domain.IllegalTransition as exc:
        log.warning("%s %s for experience %s dropped: %s", decision, event_id, experience_id,
                    exc)


def _moderated(value: str | None, submitted: str) -> str:
    """A field as moderation published it. An approval written before moderation screened
    every field carries only the body: the other fields stay as submitted, as they were then."""
    return submitted if value is None else value


def approve_experience(session: Session, event_id: str, experience_id: str, *,
                       structure_id: str, network_id: str, body: str, edited: bool,
                       title: str | None = None, structure_hint: str | None = None,
                       author_name: str | None = None) -> None:
    """Published with moderation's text; the usager's own words are kept aside. Read and
    changed through the statements built once in `queries`: the pipeline's hot path."""
    exp = session.execute(queries.TO_APPROVE, {"exp_id": experience_id}).first()
    if exp is None:
        raise _unknown(experience_id)
    if exp.status in PUBLISHED:
        log.info("experience %s already published; approval %s ignored", exp.id, event_id)
        return
    with _dropped_if_illegal("approval", event_id, exp.id):
        status = domain.approve(exp.status)
        at = clock.now()
        title = _moderated(title, exp.title)
        author_name = _moderated(author_name, exp.author_name)
        session.execute(queries.APPROVE, {
            "exp_id": exp.id, "new_status": status, "at": at, "to_structure": structure_id,
            "to_network": network_id, "text": body, "was_edited": edited,
            "public_title": title, "public_hint": _moderated(structure_hint, exp.structure_hint),
            "public_author": author_name, "own_title": exp.title,
            "own_hint": exp.structure_hint, "own_author": exp.author_name})
        publish(session, EventType.EXPERIENCE_PUBLISHED, {
            "id": exp.id, "title": title, "structure_id": structure_id,
            "network_id": network_id, "published_at": at, "edited": edited,
            "author_email": exp.author_email, "author_name": author_name}, SERVICE)


def reject_experience(session: Session, event_id: str, experience_id: str, reason: str,
                      comment: str) -> None:
    exp = _decided(session, experience_id)
    if exp.status == Status.REJECTED:
        return
    with _dropped_if_illegal("refusal", event_id, exp.id):
        exp.status = domain.reject(exp.status)
        exp.rejection_reason = reason
        exp.rejection_comment = comment
        publish(session, EventType.EXPERIENCE_REJECTED, {
            "id": exp.id, "title": exp.title, "reason": reason, "comment": comment,
            "author_email": exp.author_email, "author_name": exp.author_name}, SERVICE)


def reroute_experience(session: Session, event_id: str, experience_id: str, structure_id: str,
                       network_id: str, moderator_id: str | None,
                       comment: str | None = None) -> None:
    """Moderation accepting a structure's request: the notifier tells the new structure, which
    reads the moderator's comment, if any, among its internal comments."""
    exp = _decided(session, experience_id)
    if exp.structure_id == structure_id:
        return
    with _dropped_if_illegal("reroute", event_id, exp.id):
        move_experience(session, exp, MoveKind.REROUTE, structure_id, network_id, moderator_id)
        if comment and comment.strip():
            session.add(Comment(experience_id=exp.id, author_id=moderator_id or "moderation",
                                author_name="Modération", network_id=network_id,
                                body=f"Réorientée vers votre structure : {comment.strip()}"))


def decline_reorientation(session: Session, experience_id: str, moderator_id: str | None,
                          comment: str) -> None:
    """Moderation keeps the experience where it is: the structure may answer again, and reads
    why in an internal comment."""
    exp = _decided(session, experience_id)
    if exp.reorientation_reason is None:
        return  # already settled (a redelivery, or rerouted meanwhile)
    exp.reorientation_reason = None
    session.add(Comment(experience_id=exp.id, author_id=moderator_id or "moderation",
                        author_name="Modération", network_id=exp.network_id,
                        body=f"Demande de réorientation refusée : {comment}"))
    publish(session, EventType.EXPERIENCE_REORIENTATION_DECLINED, {
        "id": exp.id, "title": exp.title, "structure_id": exp.structure_id,
        "network_id": exp.network_id, "comment": comment}, SERVICE)


# Improvement actions --------------------------------------------------------------------------

def _action_structure(session: Session, scope: Scope, structure_id: str) -> Structure:
    """The structure an action is attached to: 422 when unknown, 403 outside the scope."""
    structure = session.get(Structure, structure_id)
    if structure is None:
        raise Invalid("Structure inconnue.", structure_id="Le champ « structure_id » désigne "
                                                          "une structure inconnue.")
    if not scope.covers_structure(structure):
        raise OutOfScope("Cette structure n'est pas dans votre périmètre.")
    return structure


def _linkable(session: Session, scope: Scope, ids: list[str],
              already: frozenset[str] = frozenset()) -> list[str]:
    """The experiences to link, checked: published and in the caller's scope (those already
    linked stay, even moved elsewhere since). 422 naming the others."""
    ids = sorted(set(ids))
    new = [i for i in ids if i not in already]
    found = queries.experiences_in(session, new)
    bad = [e.id for e in found if e.status not in PUBLISHED or not scope.covers(e)]
    missing = sorted(set(new) - {e.id for e in found})
    if bad or missing:
        raise Invalid("Certaines expériences sont invalides.", experience_ids=(
            "Expériences inconnues, non publiées ou hors de votre périmètre : "
            + ", ".join(missing + bad)))
    return ids


def _action(session: Session, action_id: str, lock: bool = False) -> ImprovementAction:
    action = queries.action(session, action_id, lock) if _plausible_id(action_id) else None
    if action is None:
        raise NotFound(ACTION_NOT_FOUND)
    return action


def _action_in_scope(session: Session, principal: Principal,
                     action_id: str) -> tuple[ImprovementAction, Scope]:
    """An action the caller changes: 404 unknown, 403 when its structure is outside the scope."""
    action = _action(session, action_id, lock=True)
    scope = Scope(session, principal)
    structure = session.get(Structure, action.structure_id)
    if structure is None or not scope.covers_structure(structure):
        raise OutOfScope("Cette action d'amélioration n'est pas dans votre périmètre.")
    return action, scope


def _action_event(action: ImprovementAction, experience_ids: list[str]) -> dict:
    return {"id": action.id, "structure_id": action.structure_id, "title": action.title,
            "experience_ids": experience_ids}


def create_action(session: Session, principal: Principal, data: dict) -> dict:
    """An improvement action for experiences of the caller's scope."""
    scope = Scope(session, principal)
    structure = _action_structure(session, scope, data["structure_id"])
    ids = _linkable(session, scope, data["experience_ids"])
    action = ImprovementAction(title=data["title"], description=data["description"],
                               date=data["date"], structure_id=structure.id,
                               created_by=principal.user_id)
    session.add(action)
    session.flush()
    queries.link(session, action.id, ids)
    publish(session, EventType.IMPROVEMENT_ACTION_CREATED, _action_event(action, ids), SERVICE)
    return action_view(action, ids, True)


def list_actions(session: Session, principal: Principal | None, args: dict) -> dict:
    """A page of improvement actions; `in_scope`: those of the (staff) caller's scope."""
    scope = Scope(session, principal) if args["in_scope"] else None
    found = page_of(session, queries.action_list(scope, args), args["page"], args["per_page"])
    rows = found["items"]
    linked = queries.experience_ids_by_action(session, [r.id for r in rows])
    editable = _editable_structures(session, principal, [r.structure_id for r in rows])
    staff = principal is not None
    found["items"] = [action_view(r, linked.get(r.id, []), r.structure_id in editable
                                  if staff else None) for r in rows]
    return found


def action_for(session: Session, principal: Principal | None, action_id: str) -> dict:
    """One improvement action (public; staff also learn whether they may change it)."""
    action = _action(session, action_id)
    editable = action.structure_id in _editable_structures(session, principal,
                                                           [action.structure_id])
    return action_view(action, queries.linked_ids(session, action.id),
                       editable if principal is not None else None)


def update_action(session: Session, principal: Principal, action_id: str, data: dict) -> dict:
    """Change the fields given of an action of the caller's scope."""
    action, scope = _action_in_scope(session, principal, action_id)
    if "structure_id" in data:
        action.structure_id = _action_structure(session, scope, data["structure_id"]).id
    for name in ("title", "description", "date"):
        if name in data:
            setattr(action, name, data[name])
    ids = queries.linked_ids(session, action.id)
    if "experience_ids" in data:
        ids = _linkable(session, scope, data["experience_ids"], frozenset(ids))
        queries.unlink_all(session, action.id)
        queries.link(session, action.id, ids)
    publish(session, EventType.IMPROVEMENT_ACTION_UPDATED, _action_event(action, ids), SERVICE)
    return action_view(action, ids, True)


def delete_action(session: Session, principal: Principal, action_id: str) -> None:
    """It leaves the public pages."""
    action, _scope = _action_in_scope(session, principal, action_id)
    queries.unlink_all(session, action.id)
    publish(session, EventType.IMPROVEMENT_ACTION_DELETED, {
        "id": action.id, "structure_id": action.structure_id}, SERVICE)
    session.delete(action)


# Dashboard ------------------------------------------------------------------------------------

def dashboard(session: Session, principal: Principal, args: dict) -> dict:
    """Figures of the caller's scope, or of one of its structures (with its children or not),
    over a period."""
    if args.get("structure_id"):
        structure = session.get(Structure, args["structure_id"])
        if structure is None:
            raise NotFound("Structure introuvable.")
        if not Scope(session, principal).covers_structure(structure):
            raise OutOfScope("Cette structure n'est pas dans votre périmètre.")
        condition = queries.in_structure(session, structure.id, args["include_children"])
    else:
        condition = Scope(session, principal, args["include_children"]).condition()
    if args.get("network_id"):
        condition = sa.and_(condition, Experience.network_id == args["network_id"])
    published, answered, delay_sum, within, evaluations, useful, negative, turned = \
        queries.dashboard_counts(session, condition, args)
    figures = domain.dashboard_figures(
        int(published), int(answered), None if delay_sum is None else float(delay_sum),
        int(within), int(evaluations), int(useful), int(negative), int(turned))
    figures["by_month"] = [{"month": m, "published": int(p), "answered": int(a)}
                           for m, p, a in queries.dashboard_months(session, condition, args)]
    return figures


# Open data ------------------------------------------------------------------------------------

def count_public_request(session: Session, limit_key: str, limit: str) -> None:
    """One more costly public request (a download, a text search) for the caller's address; a
    429 ApiError past `limit`, not counted."""
    hit(session, limit_key, limit, commit=False)


OPEN_DATA_COLUMNS = ["id", "title", "description", "feeling", "status", "network_id",
                     "structure_path", "postal_code", "written_on", "published_at",
                     "first_response_at", "general_tags", "business_tags", "channel_feelings",
                     "improvement_to_consider", "response", "improvement_actions"]


def _path(tree: dict[str, tuple[str, str | None]], structure_id: str | None) -> str:
    """« National > Regional > Local » for a structure."""
    names, seen = [], set()
    while structure_id in tree and structure_id not in seen:
        seen.add(structure_id)
        names.append(tree[structure_id][0])
        structure_id = tree[structure_id][1]
    return " > ".join(reversed(names))


def open_data_rows(session: Session) -> Iterator[dict]:
    """Published experiences, oldest first, as open data rows (never all in memory)."""
    tree = queries.structure_tree(session)
    for batch in queries.published_batches(session):
        linked = queries.actions_by_experience(session, [e.id for e in batch])
        for e in batch:
            yield {
                "id": e.id, "title": e.title, "description": e.published_body or "",
                "feeling": e.feeling, "status": e.status, "network_id": e.network_id or "",
                "structure_path": _path(tree, e.structure_id), "postal_code": e.postal_code,
                "written_on": e.occurred_on.isoformat(),
                "published_at": e.published_at.isoformat() if e.published_at else "",
                "first_response_at": e.first_response_at.isoformat()
                if e.first_response_at else "",
                "general_tags": domain.open_data_cell(f"{t['tag']}:{t['feeling']}"
                                                      for t in e.general_tags or []),
                "business_tags": domain.open_data_cell(e.business_tags or []),
                "channel_feelings": domain.open_data_cell(f"{c['channel']}:{c['feeling']}"
                                                          for c in e.channel_feelings or []),
                "improvement_to_consider": "oui" if e.improvement_to_consider else "non",
                "response": e.response_body or "" if e.status == Status.ANSWERED else "",
                "improvement_actions": domain.open_data_cell(a.title for a in linked.get(e.id, [])),
            }
