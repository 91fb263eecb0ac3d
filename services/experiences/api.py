"""Experiences's HTTP API (flask-smorest blueprints)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import sqlalchemy as sa
from flask import Response
from flask.views import MethodView
from sqlalchemy.orm import Session

from services.chassis.auth import Principal, current_principal, require
from services.chassis.catalogue import EventType
from services.chassis.db import LIKE_ESCAPE, contains_pattern
from services.chassis.errors import ApiError, conflict, not_found
from services.chassis.events import publish
from services.chassis.exports import spreadsheet_row
from services.chassis.permissions import Permission
from services.chassis.ratelimit import hit
from services.chassis.web import Blueprint, client_address, db_of, settings_of
from services.experiences import domain, schemas
from services.experiences.domain import PUBLISHED, ScopeKind, Status
from services.experiences.models import (
    Comment,
    Experience,
    ExperienceMove,
    ImprovementAction,
    Network,
    Structure,
    action_ids_by_experience,
    descendant_ids,
    improvement_action_experiences,
    new_id,
    utcnow,
)

SERVICE = "experiences"

experiences = Blueprint("experiences", __name__, url_prefix="/experiences",
                        description="Users' experiences, responses and evaluations")
actions = Blueprint("improvement_actions", __name__, url_prefix="/improvement-actions",
                    description="Improvement actions linked to experiences")
open_data = Blueprint("open_data", __name__, url_prefix="/open-data",
                      description="Published experiences for reuse")
dashboard = Blueprint("dashboard", __name__, url_prefix="/dashboard",
                      description="Figures for a scope and a period")


# Scope ----------------------------------------------------------------------------------------

class Scope:
    """Where a staff member works: everything, a network, or structures (with their children)."""

    def __init__(self, session: Session, principal: Principal, include_children: bool = True):
        self.principal = principal
        self.kind = domain.scope_kind(principal.profile, principal.network_id)
        self.structure_ids: set[str] = set()
        if self.kind is ScopeKind.STRUCTURES:
            roots = list(principal.structure_ids)
            self.structure_ids = descendant_ids(session, roots) if include_children else set(roots)

    def covers(self, exp: Experience) -> bool:
        if self.kind is ScopeKind.ALL:
            return True
        if self.kind is ScopeKind.NETWORK:
            return exp.network_id is not None and exp.network_id == self.principal.network_id
        if self.kind is ScopeKind.STRUCTURES:
            return exp.structure_id in self.structure_ids
        return False

    def covers_structure(self, structure: Structure) -> bool:
        if self.kind is ScopeKind.ALL:
            return True
        if self.kind is ScopeKind.NETWORK:
            return structure.network_id == self.principal.network_id
        if self.kind is ScopeKind.STRUCTURES:
            return structure.id in self.structure_ids
        return False

    def condition(self):
        if self.kind is ScopeKind.ALL:
            return sa.true()
        if self.kind is ScopeKind.NETWORK:
            return Experience.network_id == self.principal.network_id
        if self.kind is ScopeKind.STRUCTURES:
            return Experience.structure_id.in_(sorted(self.structure_ids))
        return sa.false()


def _plausible_id(experience_id: str) -> bool:
    return len(experience_id) <= 36 and "\x00" not in experience_id


def _load_in_scope(session: Session, experience_id: str, lock: bool = False) -> Experience:
    """The experience for a staff action: 404 when unknown, 403 when outside the caller's scope."""
    if not _plausible_id(experience_id):
        raise not_found("Expérience")
    query = sa.select(Experience).where(Experience.id == experience_id)
    exp = session.scalars(query.with_for_update() if lock else query).first()
    if exp is None:
        raise not_found("Expérience")
    if not Scope(session, current_principal()).covers(exp):
        if exp.status not in PUBLISHED:  # as for GET: an unpublished one is not even shown
            raise not_found("Expérience")
        raise ApiError(403, "out_of_scope", "Cette expérience n'est pas dans votre périmètre.")
    return exp


def _reader() -> Principal | None:
    """The staff caller who reads internal views; without `experience:read`, the public view."""
    principal = current_principal(optional=True)
    return principal if principal is not None and principal.can(Permission.EXPERIENCE_READ) \
        else None


def _domain_call(fn, *args):
    try:
        return fn(*args)
    except domain.IllegalTransition as exc:
        raise conflict(str(exc), status=exc.current.value) from None
    except domain.ReorientationPending as exc:
        raise conflict(str(exc), reorientation_reason=(
            "Une demande de réorientation attend la décision de la modération.")) from None
    except domain.DomainError as exc:
        raise ApiError(403, "forbidden", str(exc)) from None


# Rendering ------------------------------------------------------------------------------------

def _public_view(exp: Experience, structure_name: str | None, actions_: list) -> dict:
    answered = exp.status == Status.ANSWERED
    return {
        "id": exp.id, "status": exp.status, "title": exp.title, "body": exp.published_body,
        "structure_id": exp.structure_id, "structure_name": structure_name,
        "network_id": exp.network_id, "postal_code": exp.postal_code, "channel": exp.channel,
        "occurred_on": exp.occurred_on, "feeling": exp.feeling, "author_name": exp.author_name,
        "published_at": exp.published_at, "first_response_at": exp.first_response_at,
        "response": _response(exp) if answered else None,
        "improvement_actions": [_action_view(a, [exp.id]) for a in actions_],
    }


def _internal_view(exp: Experience, structure_name: str | None, actions_: list,
                   target_delay_days: int | None = None,
                   editable: frozenset[str] = frozenset()) -> dict:
    view = _public_view(exp, structure_name, actions_)
    view.update(
        submitted_at=exp.submitted_at, edited=exp.edited, rejection_reason=exp.rejection_reason,
        reorientation_reason=exp.reorientation_reason,
        response_draft=_response(exp) if exp.response_body else None,
        response_updated_at=exp.response_updated_at if exp.response_body else None,
        answer_due_at=domain.answer_due_at(exp.published_at, target_delay_days),
        improvement_actions=[_action_view(a, [exp.id], a.structure_id in editable)
                             for a in actions_],
        general_tags=exp.general_tags or [], business_tags=exp.business_tags or [],
        channel_feelings=exp.channel_feelings or [],
        improvement_to_consider=exp.improvement_to_consider,
        evaluation=None if exp.evaluated_at is None else {
            "useful": exp.evaluation_useful, "feeling_after": exp.evaluation_feeling_after,
            "comment": exp.evaluation_comment, "evaluated_at": exp.evaluated_at},
    )
    return view


def _response(exp: Experience) -> dict:
    return {"body": exp.response_body, "closing": exp.response_closing,
            "signature": exp.response_signature}


def _action_view(action: ImprovementAction, experience_ids: list[str],
                 editable: bool | None = None) -> dict:
    view = {"id": action.id, "title": action.title, "description": action.description,
            "date": action.date, "structure_id": action.structure_id,
            "experience_ids": experience_ids}
    if editable is not None:  # said to staff only: whether they may change or delete it
        view["editable"] = editable
    return view


def _editable_structures(session: Session, structure_ids) -> frozenset[str]:
    """Those of the structures whose improvement actions the caller may change or delete."""
    principal = current_principal(optional=True)
    ids = sorted({i for i in structure_ids if i})
    if principal is None or not ids or not principal.can(Permission.IMPROVEMENT_WRITE):
        return frozenset()
    scope = Scope(session, principal)
    structures = session.scalars(sa.select(Structure).where(Structure.id.in_(ids)))
    return frozenset(s.id for s in structures if scope.covers_structure(s))


def _target_delays(session: Session, network_ids) -> dict[str, int]:
    ids = sorted({i for i in network_ids if i})
    if not ids:
        return {}
    return dict(session.execute(sa.select(Network.id, Network.target_delay_days)
                                .where(Network.id.in_(ids))).all())


def _structure_names(session: Session, ids) -> dict[str, str]:
    ids = [i for i in set(ids) if i]
    if not ids:
        return {}
    return dict(session.execute(sa.select(Structure.id, Structure.name)
                                .where(Structure.id.in_(ids))).all())


def _render(session: Session, rows: list[Experience], internal_for) -> list[dict]:
    names = _structure_names(session, [e.structure_id for e in rows])
    linked = action_ids_by_experience(session, [e.id for e in rows])
    inside = [e for e in rows if internal_for(e)]
    targets = _target_delays(session, [e.network_id for e in inside])
    editable = _editable_structures(
        session, [a.structure_id for e in inside for a in linked.get(e.id, [])])
    inside_ids = {e.id for e in inside}
    return [_internal_view(e, names.get(e.structure_id), linked.get(e.id, []),
                           targets.get(e.network_id), editable)
            if e.id in inside_ids else
            _public_view(e, names.get(e.structure_id), linked.get(e.id, [])) for e in rows]


# Experiences ----------------------------------------------------------------------------------

_INSERT_EXPERIENCE = Experience.__table__.insert()  # Core: the ORM bulk path costs more


@experiences.route("")
class ExperienceCollection(MethodView):
    @experiences.arguments(schemas.ExperienceSubmit)
    @experiences.response(202, schemas.Submitted)
    def post(self, data):
        """Post an experience (public, rate-limited per address)."""
        # A Core connection, not a session: nothing here needs an ORM object, and a session
        # cost a tenth of the request.
        with db_of().engine.begin() as conn:
            # An insert, not an ORM object: the unit of work cost a sixth of the request.
            exp = {"id": new_id(), "status": Status.SUBMITTED, "submitted_at": utcnow(), **data}
            conn.execute(_INSERT_EXPERIENCE, exp)
            payload = {k: exp[k] for k in (
                "id", "title", "body", "structure_hint", "postal_code", "channel", "occurred_on",
                "feeling", "author_name", "submitted_at")}
            publish(conn, EventType.EXPERIENCE_SUBMITTED, payload, SERVICE)
            # Counted last, in the same transaction: one commit per submission, and the
            # counter's row (PostgreSQL) is locked only for the end of it. Past the limit, the
            # 429 rolls the experience back with the count.
            hit(conn, f"submit:{client_address()}", settings_of().public_rate_limit,
                commit=False)
            return {"id": exp["id"], "status": exp["status"]}

    @experiences.arguments(schemas.ExperienceQuery, location="query")
    @experiences.response(200, schemas.ExperiencePage)
    def get(self, args):
        """List experiences: the public sees published ones; staff their scope."""
        principal = _reader()
        with db_of().transaction() as session:
            query = sa.select(Experience)
            if principal is None:
                query = query.where(Experience.status.in_([s.value for s in PUBLISHED]))
                if args.get("include_children") and args.get("structure_id"):
                    query = query.where(Experience.structure_id.in_(
                        descendant_ids(session, [args["structure_id"]])))
                elif args.get("structure_id"):
                    query = query.where(Experience.structure_id == args["structure_id"])
                order = (Experience.published_at.desc(), Experience.id)
            else:
                scope = Scope(session, principal, include_children=args["include_children"])
                query = query.where(scope.condition())
                if args.get("structure_id"):
                    wanted = descendant_ids(session, [args["structure_id"]]) \
                        if args["include_children"] else {args["structure_id"]}
                    query = query.where(Experience.structure_id.in_(sorted(wanted)))
                # oldest to process first
                order = (Experience.published_at.asc().nulls_first(), Experience.submitted_at,
                         Experience.id)
            for name in ("status", "network_id", "channel", "feeling", "postal_code"):
                if args.get(name):
                    query = query.where(getattr(Experience, name) == args[name])
            if args.get("department"):
                query = query.where(_in_department(args["department"]))
            if "answered" in args:
                query = query.where((Experience.status == Status.ANSWERED) if args["answered"]
                                    else (Experience.status != Status.ANSWERED))
            if args.get("q"):
                like = contains_pattern(args["q"])
                # The structure's name too: « CAF de Lyon » finds what was routed there.
                named = sa.select(Structure.id).where(Structure.name.ilike(like, escape=LIKE_ESCAPE))
                query = query.where(sa.or_(Experience.title.ilike(like, escape=LIKE_ESCAPE),
                                           Experience.published_body.ilike(like, escape=LIKE_ESCAPE),
                                           Experience.structure_id.in_(named)))
            if args.get("date_from"):
                query = query.where(Experience.published_at >= datetime.combine(
                    args["date_from"], time.min, UTC))
            if args.get("date_to"):
                query = query.where(Experience.published_at <= datetime.combine(
                    args["date_to"], time.max, UTC))
            total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
            page, per_page = args["page"], args["per_page"]
            rows = list(session.scalars(query.order_by(*order)
                                        .limit(per_page).offset((page - 1) * per_page)))
            items = _render(session, rows, lambda e: principal is not None)
            found = {"items": items, "total": total, "page": page, "per_page": per_page}
            if args["choices"]:
                found.update(_filter_choices(session, args.get("network_id")))
        return found


# Corse's postal codes: 200xx-201xx in Corse-du-Sud, 202xx-206xx in Haute-Corse.
_DEPARTMENT_PREFIXES = {"2A": ("200", "201"), "2B": ("202", "203", "204", "205", "206")}
MAX_STRUCTURE_CHOICES = 1000


def _in_department(code: str):
    """Experiences whose postal code lies in the département (read from its first digits)."""
    prefixes = _DEPARTMENT_PREFIXES.get(code, (code,))
    return sa.or_(*(Experience.postal_code.startswith(p, autoescape=True) for p in prefixes))


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


def _filter_choices(session: Session, network_id: str | None) -> dict:
    """What the public list's filters offer: every network; the structures of the chosen one."""
    networks = [{"id": nid, "name": name or code} for nid, code, name in session.execute(
        sa.select(Network.id, Network.code, Network.name).order_by(Network.name, Network.id))]
    structures, truncated = [], False
    if network_id:
        structures, truncated = tree_order(session.execute(
            sa.select(Structure.id, Structure.parent_id, Structure.name)
            .where(Structure.network_id == network_id)).all())
    return {"networks": networks, "structures": structures, "structures_truncated": truncated}


@experiences.route("/<experience_id>")
@experiences.response(200, schemas.ExperienceInternalOut)
def get_experience(experience_id: str):
    """One experience: published ones for everyone; the internal view for staff in scope."""
    principal = _reader()
    with db_of().transaction() as session:
        exp = session.get(Experience, experience_id) if _plausible_id(experience_id) else None
        in_scope = exp is not None and principal is not None \
            and Scope(session, principal).covers(exp)
        if exp is None or (not in_scope and exp.status not in PUBLISHED):
            raise not_found("Expérience")
        return _render(session, [exp], lambda e: in_scope)[0]


@experiences.route("/<experience_id>/response", methods=["PUT"])
@require(Permission.RESPONSE_DRAFT)
@experiences.arguments(schemas.ResponseDraft)
@experiences.response(200, schemas.ExperienceInternalOut)
def draft_response(data, experience_id: str):
    """Write or amend the draft response."""
    with db_of().transaction() as session:
        exp = _load_in_scope(session, experience_id, lock=True)
        _domain_call(domain.draft_response, exp.status)
        exp.response_body = data["body"]
        exp.response_closing = data.get("closing")
        exp.response_signature = data.get("signature")
        exp.response_drafted_by = current_principal().user_id
        exp.response_updated_at = utcnow()
        return _render(session, [exp], lambda e: True)[0]


def _answer(session: Session, exp: Experience, validated_by: str | None) -> None:
    """Make the response public and invite the author to evaluate it."""
    now = utcnow()
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


def _requires_validation(session: Session, network_id: str | None) -> bool:
    network = session.get(Network, network_id) if network_id else None
    return True if network is None else network.requires_validation  # unknown: the safe side


@experiences.route("/<experience_id>/response/submit", methods=["POST"])
@require(Permission.RESPONSE_DRAFT)
@experiences.response(200, schemas.ExperienceInternalOut)
def submit_response(experience_id: str):
    """Submit the draft: to a super agent's validation, or public where none is required."""
    principal = current_principal()
    with db_of().transaction() as session:
        exp = _load_in_scope(session, experience_id, lock=True)
        new = _domain_call(domain.submit_response, exp.status,
                           _requires_validation(session, exp.network_id),
                           exp.reorientation_reason is not None)
        if not exp.response_body:
            raise ApiError(422, "validation_error", "Aucune réponse n'a été rédigée.",
                           {"body": ["Rédigez la réponse avant de la soumettre."]})
        exp.response_submitted_by = principal.user_id
        if new is Status.ANSWERED:
            _answer(session, exp, None)
        else:
            exp.status = new
            publish(session, EventType.EXPERIENCE_RESPONSE_SUBMITTED, {
                "id": exp.id, "title": exp.title, "structure_id": exp.structure_id,
                "network_id": exp.network_id, "submitted_by": principal.user_id}, SERVICE)
        return _render(session, [exp], lambda e: True)[0]


@experiences.route("/<experience_id>/response/validate", methods=["POST"])
@require(Permission.RESPONSE_VALIDATE)
@experiences.response(200, schemas.ExperienceInternalOut)
def validate_response(experience_id: str):
    """Validate the submitted response (super agent of the scope): it becomes public."""
    principal = current_principal()
    with db_of().transaction() as session:
        exp = _load_in_scope(session, experience_id, lock=True)
        _domain_call(domain.validate_response, exp.status, principal.profile,
                     exp.reorientation_reason is not None)
        _answer(session, exp, principal.user_id)
        return _render(session, [exp], lambda e: True)[0]


@experiences.route("/<experience_id>/evaluation", methods=["POST"])
@experiences.arguments(schemas.Evaluation)
@experiences.response(201)
def evaluate(data, experience_id: str):
    """The author evaluates the response through the single-use link (public)."""
    with db_of().transaction() as session:
        exp = session.scalars(sa.select(Experience).where(Experience.id == experience_id)
                              .with_for_update()).first() if _plausible_id(experience_id) else None
        if exp is None or exp.status not in PUBLISHED:
            raise not_found("Expérience")
        _check_evaluation_link(exp, data["token"])
        exp.evaluated_at = utcnow()
        exp.evaluation_useful = data["useful"]
        exp.evaluation_feeling_after = data["feeling_after"]
        exp.evaluation_comment = data.get("comment")
        publish(session, EventType.EXPERIENCE_EVALUATED, {
            "id": exp.id, "structure_id": exp.structure_id, "useful": data["useful"],
            "feeling_after": data["feeling_after"], "title": exp.title,
            "feeling": exp.feeling}, SERVICE)
    return {"status": "recorded"}


def _check_evaluation_link(exp: Experience, token: str) -> None:
    """The link's token is this experience's and the response may still be evaluated."""
    if not domain.token_matches(token, exp.evaluation_token_hash):
        raise ApiError(403, "invalid_token", "Lien d'évaluation invalide.",
                       {"token": ["Le jeton d'évaluation est invalide."]})
    try:
        domain.evaluate(exp.status, exp.evaluated_at is not None)
    except domain.AlreadyEvaluated as exc:
        raise ApiError(410, "already_evaluated", str(exc),
                       {"token": ["Ce lien a déjà été utilisé."]}) from None
    except domain.IllegalTransition as exc:
        raise conflict(str(exc), status=exc.current.value) from None


@experiences.route("/<experience_id>/evaluation", methods=["GET"])
@experiences.arguments(schemas.EvaluationLinkQuery, location="query")
@experiences.response(200, schemas.EvaluationLinkOut)
def evaluation_link(args, experience_id: str):
    """Whether an evaluation link may still be used (public; records nothing): 200 open,
    403 a wrong token, 410 already used, 404 unknown, 409 nothing to evaluate."""
    with db_of().transaction() as session:
        exp = session.get(Experience, experience_id) if _plausible_id(experience_id) else None
        if exp is None or exp.status not in PUBLISHED:
            raise not_found("Expérience")
        _check_evaluation_link(exp, args["token"])
    return {"state": "open"}


@experiences.route("/<experience_id>/reassign", methods=["POST"])
@require(Permission.EXPERIENCE_MOVE)
@experiences.arguments(schemas.Reassign)
@experiences.response(200, schemas.ExperienceInternalOut)
def reassign(data, experience_id: str):
    """Move the experience to a child structure of its current one (audit trail kept)."""
    principal = current_principal()
    with db_of().transaction() as session:
        exp = _load_in_scope(session, experience_id, lock=True)
        new_status = _domain_call(domain.move, exp.status)
        target = data["structure_id"]
        below = descendant_ids(session, [exp.structure_id])
        if not domain.may_reassign(exp.structure_id, target, below):
            raise ApiError(422, "validation_error",
                           "Seule une structure fille de la structure actuelle est possible ; "
                           "sinon, demandez une réorientation.",
                           {"structure_id": ["Le champ « structure_id » doit désigner une "
                                             "structure fille de la structure actuelle."]})
        _move(session, exp, session.get(Structure, target), domain.MoveKind.REASSIGN,
              principal.user_id, new_status)
        return _render(session, [exp], lambda e: True)[0]


def _move(session: Session, exp: Experience, target: Structure, kind: domain.MoveKind,
          by: str | None, new_status: Status) -> None:
    previous = exp.structure_id
    session.add(ExperienceMove(experience_id=exp.id, kind=kind, from_structure_id=previous,
                               to_structure_id=target.id, by_user_id=by))
    exp.structure_id, exp.network_id, exp.status = target.id, target.network_id, new_status
    exp.reorientation_reason = None
    exp.drop_draft()
    publish(session, EventType.EXPERIENCE_REASSIGNED, {
        "id": exp.id, "title": exp.title, "from_structure_id": previous or "",
        "structure_id": target.id, "network_id": target.network_id, "by_user_id": by,
        "kind": str(kind)}, SERVICE)


@experiences.route("/<experience_id>/reorientation", methods=["POST"])
@require(Permission.EXPERIENCE_REORIENT)
@experiences.arguments(schemas.Reorientation)
@experiences.response(202, schemas.ExperienceInternalOut)
def request_reorientation(data, experience_id: str):
    """Ask moderation to send the experience elsewhere (another branch or network)."""
    principal = current_principal()
    with db_of().transaction() as session:
        exp = _load_in_scope(session, experience_id, lock=True)
        _domain_call(domain.request_reorientation, exp.status,
                     exp.reorientation_reason is not None)
        exp.reorientation_reason = data["reason"]
        publish(session, EventType.EXPERIENCE_REORIENTATION_REQUESTED, {
            "id": exp.id, "title": exp.title, "body": exp.published_body or "",
            "structure_id": exp.structure_id, "network_id": exp.network_id,
            "reason": data["reason"], "requested_by": principal.user_id}, SERVICE)
        return _render(session, [exp], lambda e: True)[0]


@experiences.route("/<experience_id>/annotations", methods=["PATCH"])
@require(Permission.EXPERIENCE_ANNOTATE)
@experiences.arguments(schemas.Annotations)
@experiences.response(200, schemas.ExperienceInternalOut)
def annotate(data, experience_id: str):
    """Set general tags (with a feeling), business tags, feeling per channel, improvement flag."""
    with db_of().transaction() as session:
        exp = _load_in_scope(session, experience_id, lock=True)
        if exp.status not in PUBLISHED:
            raise conflict(str(domain.IllegalTransition(Status(exp.status), "annoter")),
                           status=exp.status)
        for name, value in data.items():
            setattr(exp, name, value)
        return _render(session, [exp], lambda e: True)[0]


@experiences.route("/<experience_id>/comments")
class CommentCollection(MethodView):
    @require(Permission.EXPERIENCE_READ)
    @experiences.response(200, schemas.CommentList)
    def get(self, experience_id: str):
        """Internal comments (moderators and the structures concerned)."""
        with db_of().transaction() as session:
            _load_in_scope(session, experience_id)
            query = sa.select(Comment).where(Comment.experience_id == experience_id)
            network_id = current_principal().network_id
            if network_id is not None:  # moderators and admins (no network) read them all
                query = query.where(sa.or_(Comment.network_id.is_(None),
                                           Comment.network_id == network_id))
            rows = session.scalars(query.order_by(Comment.created_at, Comment.id)).all()
            return {"items": list(rows)}

    @require(Permission.EXPERIENCE_ANNOTATE)
    @experiences.arguments(schemas.CommentCreate)
    @experiences.response(201, schemas.CommentOut)
    def post(self, data, experience_id: str):
        """Add an internal comment."""
        principal = current_principal()
        with db_of().transaction() as session:
            exp = _load_in_scope(session, experience_id)
            comment = Comment(experience_id=experience_id, author_id=principal.user_id,
                              author_name=principal.name, body=data["body"], created_at=utcnow(),
                              network_id=exp.network_id)
            session.add(comment)
            session.flush()
            return comment


_WORD = re.compile(r"[^\W\d_]{3,}")  # letters only: safe inside to_tsquery


@experiences.route("/<experience_id>/similar")
@require(Permission.RESPONSE_DRAFT)
@experiences.response(200, schemas.SimilarList)
def similar(experience_id: str):
    """The most similar answered experiences of the network, as a starting point for a draft."""
    with db_of().transaction() as session:
        exp = _load_in_scope(session, experience_id)
        words = sorted(set(_WORD.findall(f"{exp.title} {exp.published_body or ''}".lower())))[:40]
        if not words or session.get_bind().dialect.name != "postgresql":
            return {"items": []}
        # the very expression of the GIN index ix_experiences_fts (migration 0002)
        document = sa.func.to_tsvector(
            sa.literal_column("'french'"),
            Experience.title.op("||")(sa.literal_column("' '")).op("||")(
                sa.func.coalesce(Experience.published_body, sa.literal_column("''"))))
        query = sa.func.to_tsquery("french", " | ".join(words))
        rank = sa.func.ts_rank(document, query).label("score")
        rows = session.execute(
            sa.select(Experience, rank)
            .where(Experience.network_id == exp.network_id, Experience.id != exp.id,
                   Experience.status == Status.ANSWERED, document.op("@@")(query))
            .order_by(rank.desc()).limit(5)).all()
        return {"items": [{"id": e.id, "title": e.title, "body": e.published_body,
                           "response": _response(e), "score": round(float(score), 4)}
                          for e, score in rows]}


# Improvement actions --------------------------------------------------------------------------

def _action_structure(session: Session, scope: Scope, structure_id: str) -> Structure:
    """The structure an action is attached to: 422 when unknown, 403 outside the scope."""
    structure = session.get(Structure, structure_id)
    if structure is None:
        raise ApiError(422, "validation_error", "Structure inconnue.",
                       {"structure_id": ["Le champ « structure_id » désigne une "
                                         "structure inconnue."]})
    if not scope.covers_structure(structure):
        raise ApiError(403, "out_of_scope", "Cette structure n'est pas dans votre "
                       "périmètre.")
    return structure


def _linkable(session: Session, scope: Scope, ids: list[str],
              already: frozenset[str] = frozenset()) -> list[str]:
    """The experiences to link, checked: published and in the caller's scope (those already
    linked stay, even moved elsewhere since). 422 naming the others."""
    ids = sorted(set(ids))
    new = [i for i in ids if i not in already]
    found = list(session.scalars(sa.select(Experience).where(Experience.id.in_(new)))) \
        if new else []
    bad = [e.id for e in found if e.status not in PUBLISHED or not scope.covers(e)]
    missing = sorted(set(new) - {e.id for e in found})
    if bad or missing:
        raise ApiError(422, "validation_error", "Certaines expériences sont invalides.",
                       {"experience_ids": [
                           "Expériences inconnues, non publiées ou hors de votre "
                           "périmètre : " + ", ".join(missing + bad)]})
    return ids


def _linked_ids(session: Session, action_id: str) -> list[str]:
    link = improvement_action_experiences
    return sorted(session.scalars(sa.select(link.c.experience_id)
                                  .where(link.c.action_id == action_id)))


def _action_in_scope(session: Session, action_id: str) -> tuple[ImprovementAction, Scope]:
    """An action the caller changes: 404 unknown, 403 when its structure is outside the scope."""
    action = session.scalars(sa.select(ImprovementAction)
                             .where(ImprovementAction.id == action_id)
                             .with_for_update()).first() if _plausible_id(action_id) else None
    if action is None:
        raise not_found("Action d'amélioration")
    scope = Scope(session, current_principal())
    structure = session.get(Structure, action.structure_id)
    if structure is None or not scope.covers_structure(structure):
        raise ApiError(403, "out_of_scope", "Cette action d'amélioration n'est pas dans votre "
                       "périmètre.")
    return action, scope


@actions.route("")
class ImprovementActionCollection(MethodView):
    @require(Permission.IMPROVEMENT_WRITE)
    @actions.arguments(schemas.ImprovementActionCreate)
    @actions.response(201, schemas.ImprovementActionOut)
    def post(self, data):
        """Create an improvement action for experiences of the caller's scope."""
        principal = current_principal()
        with db_of().transaction() as session:
            scope = Scope(session, principal)
            structure = _action_structure(session, scope, data["structure_id"])
            ids = _linkable(session, scope, data["experience_ids"])
            action = ImprovementAction(title=data["title"], description=data["description"],
                                       date=data["date"], structure_id=structure.id,
                                       created_by=principal.user_id)
            session.add(action)
            session.flush()
            session.execute(sa.insert(improvement_action_experiences),
                            [{"action_id": action.id, "experience_id": i} for i in ids])
            publish(session, EventType.IMPROVEMENT_ACTION_CREATED, {
                "id": action.id, "structure_id": action.structure_id, "title": action.title,
                "experience_ids": ids}, SERVICE)
            return _action_view(action, ids, True)

    @actions.arguments(schemas.ImprovementActionQuery, location="query")
    @actions.response(200, schemas.ImprovementActionPage)
    def get(self, args):
        """List improvement actions (public); `in_scope=true`: those of the caller's scope."""
        link = improvement_action_experiences
        with db_of().transaction() as session:
            query = sa.select(ImprovementAction)
            if args["in_scope"]:
                principal = _reader()
                if principal is None:
                    raise ApiError(401, "unauthorized", "Authentification requise pour "
                                   "« in_scope ».")
                scope = Scope(session, principal)
                if scope.kind is ScopeKind.NETWORK:
                    query = query.where(ImprovementAction.structure_id.in_(
                        sa.select(Structure.id).where(
                            Structure.network_id == principal.network_id)))
                elif scope.kind is not ScopeKind.ALL:
                    query = query.where(ImprovementAction.structure_id.in_(
                        sorted(scope.structure_ids)))
            if args.get("structure_id"):
                query = query.where(ImprovementAction.structure_id == args["structure_id"])
            if args.get("experience_id"):
                query = query.where(ImprovementAction.id.in_(
                    sa.select(link.c.action_id).where(link.c.experience_id == args["experience_id"])))
            total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
            page, per_page = args["page"], args["per_page"]
            rows = list(session.scalars(query.order_by(ImprovementAction.date.desc(),
                                                       ImprovementAction.id)
                                        .limit(per_page).offset((page - 1) * per_page)))
            linked: dict[str, list[str]] = {}
            if rows:
                for action_id, exp_id in session.execute(
                        sa.select(link.c.action_id, link.c.experience_id)
                        .where(link.c.action_id.in_([r.id for r in rows]))):
                    linked.setdefault(action_id, []).append(exp_id)
            editable = _editable_structures(session, [r.structure_id for r in rows])
            staff = current_principal(optional=True) is not None
            items = [_action_view(r, sorted(linked.get(r.id, [])),
                                  r.structure_id in editable if staff else None) for r in rows]
        return {"items": items, "total": total, "page": page, "per_page": per_page}


@actions.route("/<action_id>")
class ImprovementActionItem(MethodView):
    @actions.response(200, schemas.ImprovementActionOut)
    def get(self, action_id: str):
        """One improvement action (public)."""
        with db_of().transaction() as session:
            action = session.get(ImprovementAction, action_id) \
                if _plausible_id(action_id) else None
            if action is None:
                raise not_found("Action d'amélioration")
            staff = current_principal(optional=True) is not None
            editable = action.structure_id in _editable_structures(session, [action.structure_id])
            return _action_view(action, _linked_ids(session, action.id),
                                editable if staff else None)

    @require(Permission.IMPROVEMENT_WRITE)
    @actions.arguments(schemas.ImprovementActionUpdate)
    @actions.response(200, schemas.ImprovementActionOut)
    def patch(self, data, action_id: str):
        """Change an improvement action of the caller's scope (the fields given only)."""
        with db_of().transaction() as session:
            action, scope = _action_in_scope(session, action_id)
            if "structure_id" in data:
                action.structure_id = _action_structure(session, scope, data["structure_id"]).id
            for name in ("title", "description", "date"):
                if name in data:
                    setattr(action, name, data[name])
            ids = _linked_ids(session, action.id)
            if "experience_ids" in data:
                ids = _linkable(session, scope, data["experience_ids"], frozenset(ids))
                link = improvement_action_experiences
                session.execute(sa.delete(link).where(link.c.action_id == action.id))
                session.execute(sa.insert(link),
                                [{"action_id": action.id, "experience_id": i} for i in ids])
            publish(session, EventType.IMPROVEMENT_ACTION_UPDATED, {
                "id": action.id, "structure_id": action.structure_id, "title": action.title,
                "experience_ids": ids}, SERVICE)
            return _action_view(action, ids, True)

    @require(Permission.IMPROVEMENT_WRITE)
    @actions.response(204)
    def delete(self, action_id: str):
        """Delete an improvement action of the caller's scope: it leaves the public pages."""
        with db_of().transaction() as session:
            action, _scope = _action_in_scope(session, action_id)
            link = improvement_action_experiences
            session.execute(sa.delete(link).where(link.c.action_id == action.id))
            publish(session, EventType.IMPROVEMENT_ACTION_DELETED, {
                "id": action.id, "structure_id": action.structure_id}, SERVICE)
            session.delete(action)
        return ""


# Dashboards ----------------------------------------------------------------------------------

def _seconds_between(later, earlier, session: Session):
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", later - earlier)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400


def _month_of(column, session: Session):
    """'YYYY-MM' of a timestamp, in UTC like the period bounds."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def _period(query, args):
    if args.get("date_from"):
        query = query.where(Experience.published_at >= datetime.combine(
            args["date_from"], time.min, UTC))
    if args.get("date_to"):
        query = query.where(Experience.published_at <= datetime.combine(
            args["date_to"], time.max, UTC))
    return query


@dashboard.route("")
@require(Permission.DASHBOARD_READ)
@dashboard.arguments(schemas.DashboardQuery, location="query")
@dashboard.response(200, schemas.DashboardOut)
def get_dashboard(args):
    """Figures of a scope (a structure, with its children or not) over a period."""
    principal = current_principal()
    with db_of().transaction() as session:
        scope = Scope(session, principal, include_children=args["include_children"])
        condition = scope.condition()
        if args.get("structure_id"):
            structure = session.get(Structure, args["structure_id"])
            if structure is None:
                raise not_found("Structure")
            if not Scope(session, principal).covers_structure(structure):
                raise ApiError(403, "out_of_scope", "Cette structure n'est pas dans votre "
                               "périmètre.")
            wanted = descendant_ids(session, [structure.id]) if args["include_children"] \
                else {structure.id}
            condition = Experience.structure_id.in_(sorted(wanted))
        if args.get("network_id"):
            condition = sa.and_(condition, Experience.network_id == args["network_id"])
        delay = _seconds_between(Experience.first_response_at, Experience.published_at, session)
        answered = Experience.first_response_at.is_not(None)
        evaluated = Experience.evaluated_at.is_not(None)
        negative = sa.and_(evaluated, Experience.feeling == "negative")
        target = sa.func.coalesce(Network.target_delay_days, 15) * 86400

        def count_if(cond):
            return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

        query = _period(
            sa.select(
                sa.func.count(), count_if(answered), sa.func.sum(sa.case((answered, delay))),
                count_if(sa.and_(answered, delay <= target)), count_if(evaluated),
                count_if(sa.and_(evaluated, Experience.evaluation_useful.is_(True))),
                count_if(negative),
                count_if(sa.and_(negative, Experience.evaluation_feeling_after == "positive")),
            ).select_from(Experience)
            .outerjoin(Network, Network.id == Experience.network_id)
            .where(condition, Experience.status.in_([s.value for s in PUBLISHED])), args)
        published, answered_n, delay_sum, within, evaluations, useful, neg, neg_to_pos = \
            session.execute(query).one()
        month = _month_of(Experience.published_at, session)
        by_month = session.execute(_period(
            sa.select(month, sa.func.count(), count_if(answered)).select_from(Experience)
            .where(condition, Experience.status.in_([s.value for s in PUBLISHED]))
            .group_by(month).order_by(month), args)).all()
    figures = domain.dashboard_figures(
        int(published), int(answered_n), None if delay_sum is None else float(delay_sum),
        int(within), int(evaluations), int(useful), int(neg), int(neg_to_pos))
    figures["by_month"] = [{"month": m, "published": int(p), "answered": int(a)}
                           for m, p, a in by_month]
    return figures


# Open data -----------------------------------------------------------------------------------

OPEN_DATA_COLUMNS = ["id", "title", "description", "feeling", "status", "network_id",
                     "structure_path", "postal_code", "written_on", "published_at",
                     "first_response_at", "general_tags", "improvement_to_consider", "response",
                     "improvement_actions"]


def _open_data_rows(session: Session):
    """Published experiences, oldest first, in batches (never all in memory)."""
    tree = {sid: (name, parent) for sid, name, parent in
            session.execute(sa.select(Structure.id, Structure.name, Structure.parent_id))}

    def path(sid):
        names, seen = [], set()
        while sid in tree and sid not in seen:
            seen.add(sid)
            names.append(tree[sid][0])
            sid = tree[sid][1]
        return " > ".join(reversed(names))

    query = (sa.select(Experience)
             .where(Experience.status.in_([s.value for s in PUBLISHED]))
             .order_by(Experience.published_at, Experience.id)
             .execution_options(yield_per=500))
    batch: list[Experience] = []

    def flush():
        linked = action_ids_by_experience(session, [e.id for e in batch])
        for e in batch:
            yield {
                "id": e.id, "title": e.title, "description": e.published_body or "",
                "feeling": e.feeling, "status": e.status, "network_id": e.network_id or "",
                "structure_path": path(e.structure_id), "postal_code": e.postal_code,
                "written_on": e.occurred_on.isoformat(),
                "published_at": e.published_at.isoformat() if e.published_at else "",
                "first_response_at": e.first_response_at.isoformat()
                if e.first_response_at else "",
                "general_tags": " | ".join(f"{t['tag']}:{t['feeling']}"
                                           for t in e.general_tags or []),
                "improvement_to_consider": "oui" if e.improvement_to_consider else "non",
                "response": e.response_body or "" if e.status == Status.ANSWERED else "",
                "improvement_actions": " | ".join(a.title for a in linked.get(e.id, [])),
            }

    for exp in session.scalars(query):
        batch.append(exp)
        if len(batch) >= 500:
            yield from flush()
            batch = []
    yield from flush()


@open_data.route("/experiences.csv")
@open_data.response(200, content_type="text/csv")
def open_data_csv():
    """Published experiences as CSV (streamed)."""
    import csv
    import io

    db = db_of()  # the generator runs after the request context is gone: it needs only the db

    def generate():
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=OPEN_DATA_COLUMNS)
        writer.writeheader()
        with db.transaction() as session:
            for row in _open_data_rows(session):
                writer.writerow(spreadsheet_row(row))
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return Response(generate(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=experiences.csv"})


@open_data.route("/experiences.json")
@open_data.response(200)
def open_data_json():
    """Published experiences as a JSON array (streamed)."""
    import json

    db = db_of()

    def generate():
        yield "["
        first = True
        with db.transaction() as session:
            for row in _open_data_rows(session):
                yield ("" if first else ",") + json.dumps(row, ensure_ascii=False)
                first = False
        yield "]"

    return Response(generate(), mimetype="application/json")


BLUEPRINTS: list = [experiences, actions, dashboard, open_data]
