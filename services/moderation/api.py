"""Moderation's HTTP API (flask-smorest blueprints)."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from flask.views import MethodView
from sqlalchemy.orm import Session

from services.chassis.auth import current_principal, require
from services.chassis.catalogue import EventType
from services.chassis.errors import ApiError, conflict, not_found
from services.chassis.events import publish
from services.chassis.permissions import Permission
from services.chassis.web import Blueprint, db_of
from services.moderation import domain
from services.moderation.domain import Action, CaseKind, CaseStatus
from services.moderation.models import Case, Decision, Network, Structure
from services.moderation.schemas import (
    ApproveRequest,
    CaseOut,
    CasePage,
    CaseQuery,
    DeclineRequest,
    PreviewOut,
    PreviewRequest,
    RejectRequest,
    RerouteRequest,
    StatsOut,
    StructurePage,
    StructureQuery,
)

SERVICE = "moderation"
DECIDE = Permission.MODERATION_DECIDE

cases = Blueprint("cases", __name__, url_prefix="/cases", description="The moderation queue")
structures = Blueprint("structures", __name__, url_prefix="/structures",
                       description="Structures known to moderation (replica of identity's)")
stats = Blueprint("stats", __name__, url_prefix="/stats", description="Queue figures")

BLUEPRINTS: list = [cases, structures, stats]


def _decides(view):
    """`moderation:decide`, held by someone outside every network: an administration never
    moderates, so a caller who belongs to a network is refused."""

    @functools.wraps(view)
    def outside_networks(*args, **kwargs):
        if current_principal().network_id is not None:
            raise ApiError(403, "forbidden", "La modération n'appartient à aucun réseau : "
                           "un membre d'une administration ne modère pas.")
        return view(*args, **kwargs)

    return require(DECIDE)(outside_networks)


def _now() -> datetime:
    return datetime.now(UTC)


def _page(query: sa.Select, session: Session, page: int, per_page: int) -> tuple[list, int]:
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


def _flag_count(case: Case | SimpleNamespace) -> int:
    return len(case.flags or []) + sum(len(f) for f in (case.field_flags or {}).values())


def _summary(case: Case, now: datetime) -> dict:
    return {
        "id": case.id, "experience_id": case.experience_id, "kind": case.kind,
        "status": case.status, "title": case.title, "flag_count": _flag_count(case),
        "created_at": domain.utc(case.created_at),
        "decided_at": case.decided_at and domain.utc(case.decided_at),
        "age_seconds": domain.age_seconds(case.created_at, case.decided_at or now),
        "claimed_by": case.claimed_by,
        "claimed_until": case.claimed_until and domain.utc(case.claimed_until),
        "claim": domain.claim_state(case.status, case.claimed_by, case.claimed_until,
                                    current_principal().user_id, now),
    }


def _suggestions(session: Session, case: Case) -> list[dict]:
    # Columns, not ORM objects: at 50,000 structures the loading would cost more than scoring.
    rows = session.execute(sa.select(Structure.id, Structure.name, Structure.postal_code,
                                     Structure.city).where(Structure.active.is_(True)))
    refs = [domain.StructureRef(r.id, r.name, r.postal_code, r.city) for r in rows
            if r.id != case.current_structure_id]
    return domain.suggest_structures(refs, case.postal_code, case.structure_hint,
                                     f"{case.title}\n{case.body}")


def _decision_of(session: Session, case: Case, decision: Decision | None = None) -> dict | None:
    if decision is None:  # the one just made needs no query
        decision = session.execute(sa.select(Decision).where(Decision.case_id == case.id)
                                   .order_by(Decision.decided_at.desc())).scalars().first()
    if decision is None:
        return None
    return {column: getattr(decision, column) for column in (
        "id", "action", "moderator_id", "structure_id", "network_id", "reason", "comment",
        "published_body", "edited", "published", "changes")} | {
        "decided_at": domain.utc(decision.decided_at)}


def _fields(case: Case | SimpleNamespace | sa.Row) -> list[domain.ScreenedField]:
    return domain.case_fields({name: getattr(case, name) for name in domain.SCREENED_FIELDS},
                              case.flags, case.field_flags)


def _outcomes(case: Case | SimpleNamespace | sa.Row,
              decisions: dict | None) -> list[domain.FieldOutcome]:
    try:
        return domain.decide_fields(_fields(case), decisions)
    except domain.InvalidDecision as exc:
        raise ApiError(422, "validation_error", "Certains champs sont invalides.",
                       {"fields": exc.errors}) from None


def _detail(session: Session | sa.Connection, case: Case | SimpleNamespace, now: datetime,
            decision: Decision | None = None) -> dict:
    return _summary(case, now) | {
        "body": case.body, "structure_hint": case.structure_hint,
        "postal_code": case.postal_code, "flags": case.flags or [],
        "redacted_body": case.redacted_body,
        "author_name": case.author_name or "", "channel": case.channel or "",
        "occurred_on": case.occurred_on, "feeling": case.feeling or "",
        "fields": [field.as_json() for field in _fields(case)],
        "current_structure_id": case.current_structure_id,
        "current_network_id": case.current_network_id, "reason": case.reason,
        # Routing suggestions help only while the case waits for a decision.
        "suggested_structures": (_suggestions(session, case)
                                 if case.status == CaseStatus.PENDING else []),
        "decision": _decision_of(session, case, decision),
    }


@cases.route("")
class CaseList(MethodView):
    @_decides
    @cases.arguments(CaseQuery, location="query")
    @cases.response(200, CasePage)
    def get(self, args):
        """Cases by status; pending ones oldest first, without those another moderator opened."""
        moderator, now = current_principal().user_id, _now()
        query = sa.select(Case).where(Case.status == args["status"])
        if args["kind"]:
            query = query.where(Case.kind == args["kind"])
        if args["status"] == CaseStatus.PENDING:
            query = query.where(sa.or_(
                Case.claimed_by.is_(None), Case.claimed_by == moderator,
                Case.claimed_until.is_(None), Case.claimed_until <= now,
            )).order_by(Case.created_at, Case.id)
        else:
            query = query.order_by(Case.decided_at.desc(), Case.id)
        with db_of().transaction() as session:
            rows, total = _page(query, session, args["page"], args["per_page"])
            items = [_summary(case, now) for (case,) in rows]
        return {"items": items, "total": total, "page": args["page"],
                "per_page": args["per_page"]}


@cases.route("/<case_id>")
class CaseDetail(MethodView):
    @_decides
    @cases.response(200, CaseOut)
    def get(self, case_id):
        """One case, with its flags and routing suggestions. Reading it claims nothing."""
        with db_of().transaction() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise not_found("Dossier")
            return _detail(session, case, _now())


@cases.route("/<case_id>/claim")
class Claim(MethodView):
    @_decides
    @cases.response(200, CaseOut)
    def post(self, case_id):
        """Take the case for a while: other moderators no longer see it in the queue, and
        cannot decide it until the claim lapses or a decision closes it."""
        moderator, now = current_principal().user_id, _now()
        with db_of().transaction() as session:
            case = session.execute(_CASE_FOR_UPDATE, {"case_id": case_id}).scalar()
            if case is None:
                raise not_found("Dossier")
            if case.status != CaseStatus.PENDING:
                raise conflict("Ce dossier a déjà été traité (statut : "
                               f"{domain.STATUS_LABELS[CaseStatus(case.status)]}).",
                               status=case.status)
            if domain.is_claimed_by_other(case.claimed_by, case.claimed_until, moderator, now):
                raise _claimed_by_other(case.claimed_until)
            case.claimed_by, case.claimed_until = moderator, now + domain.CLAIM_DURATION
            return _detail(session, case, now)


def _claimed_by_other(claimed_until: datetime):
    return conflict("Un autre modérateur traite ce dossier ; réessayez quand il l'aura "
                    "libéré.", claimed_until=domain.utc(claimed_until).isoformat())


# Built once, unlike Session.get's own select: the cache key of a statement is memoized on it, and
# working it out again on every decision cost a tenth of the request.
_CASE_FOR_UPDATE = sa.select(Case).where(Case.id == sa.bindparam("case_id")).with_for_update()
_STRUCTURE = (sa.select(Structure.id, Structure.network_id, Structure.active)
              .where(Structure.id == sa.bindparam("structure_id")))
# A decision reads and closes its case as a row, not an ORM object: loading and flushing one cost
# a fifth of the request.
_cases = Case.__table__
_CASE_ROW = sa.select(*_cases.c).where(_cases.c.id == sa.bindparam("case_id"))
_CASE_ROW_FOR_UPDATE = _CASE_ROW.with_for_update()
_CLOSE_CASE = (_cases.update().where(_cases.c.id == sa.bindparam("case_id"))
               .values(status=sa.bindparam("outcome"), decided_at=sa.bindparam("at"),
                       claimed_by=None, claimed_until=None))
_INSERT_DECISION = Decision.__table__.insert()


def _kind_allows(case: SimpleNamespace | sa.Row, action: Action) -> None:
    if case.kind not in domain.APPLIES_TO[action]:
        raise conflict(f"{domain.ACTION_LABELS[action]} : impossible pour une "
                       f"{domain.KIND_LABELS[CaseKind(case.kind)]}.",
                       kind=case.kind)


def _pending_case(conn: sa.Connection, case_id: str, action: Action, moderator: str,
                  now: datetime) -> SimpleNamespace:
    """The case's columns, locked, if `action` may be taken on it now."""
    row = conn.execute(_CASE_ROW_FOR_UPDATE, {"case_id": case_id}).first()
    if row is None:
        raise not_found("Dossier")
    case = SimpleNamespace(**row._mapping)
    if case.status != CaseStatus.PENDING:
        raise conflict("Ce dossier a déjà été traité (statut : "
                       f"{domain.STATUS_LABELS[CaseStatus(case.status)]}).",
                       status=case.status)
    if domain.is_claimed_by_other(case.claimed_by, case.claimed_until, moderator, now):
        raise _claimed_by_other(case.claimed_until)
    _kind_allows(case, action)
    return case


def _target_structure(conn: sa.Connection, structure_id: str) -> sa.Row:
    """The structure's id, network and state: a row, as an ORM object is not needed here."""
    structure = conn.execute(_STRUCTURE, {"structure_id": structure_id}).first()
    if structure is None or not structure.active:
        raise ApiError(422, "validation_error", "Certains champs sont invalides.",
                       {"structure_id": ["Structure inconnue ou inactive."]})
    return structure


def _decide(conn: sa.Connection, case: SimpleNamespace, action: Action, moderator: str,
            now: datetime, **what) -> Decision:
    case.status, case.decided_at = domain.OUTCOME[action], now
    case.claimed_by = case.claimed_until = None
    conn.execute(_CLOSE_CASE, {"case_id": case.id, "outcome": case.status, "at": now})
    values = dict(id=str(uuid.uuid4()), case_id=case.id, moderator_id=moderator, action=action,
                  decided_at=now, **what)
    conn.execute(_INSERT_DECISION, values)
    return Decision(**values)  # for the answer only: the row went in through the insert


@cases.route("/<case_id>/preview")
class Preview(MethodView):
    @_decides
    @cases.arguments(PreviewRequest)
    @cases.response(200, PreviewOut)
    def post(self, args, case_id):
        """What an approval with these field decisions would publish; changes and claims nothing."""
        with db_of().engine.connect() as conn:
            case = conn.execute(_CASE_ROW, {"case_id": case_id}).first()
        if case is None:
            raise not_found("Dossier")
        _kind_allows(case, Action.APPROVE)
        return {"fields": [domain.preview(outcome) for outcome in _outcomes(case, args["fields"])]}


def _approval_decisions(args: dict) -> dict:
    """The field decisions of an approval, the legacy `body` as the body's replacement text."""
    decisions = dict(args["fields"] or {})
    if args["body"] is not None:
        decisions["body"] = (decisions.get("body") or {}) | {"text": args["body"]}
    return decisions


@cases.route("/<case_id>/approve")
class Approve(MethodView):
    @_decides
    @cases.arguments(ApproveRequest)
    @cases.response(200, CaseOut)
    def post(self, args, case_id):
        """Publish the experience for a structure, each field masked as the moderator decided."""
        moderator, now = current_principal().user_id, _now()
        with db_of().engine.begin() as conn:
            case = _pending_case(conn, case_id, Action.APPROVE, moderator, now)
            structure = _target_structure(conn, args["structure_id"])
            outcomes = _outcomes(case, _approval_decisions(args))
            published, edited_fields = (domain.published_fields(outcomes),
                                        domain.edited_fields(outcomes))
            decision = _decide(conn, case, Action.APPROVE, moderator, now,
                               structure_id=structure.id, network_id=structure.network_id,
                               published_body=published["body"], edited=bool(edited_fields),
                               published=published, changes=domain.changes(outcomes))
            publish(conn, EventType.MODERATION_APPROVED, {
                "case_id": case.id, "experience_id": case.experience_id,
                "structure_id": structure.id, "network_id": structure.network_id,
                "body": published["body"], "edited": bool(edited_fields),
                "title": published["title"], "author_name": published["author_name"],
                "structure_hint": published["structure_hint"], "edited_fields": edited_fields,
                "moderator_id": moderator,
            }, producer=SERVICE)
            return _detail(conn, case, now, decision)


@cases.route("/<case_id>/reject")
class Reject(MethodView):
    @_decides
    @cases.arguments(RejectRequest)
    @cases.response(200, CaseOut)
    def post(self, args, case_id):
        """Refuse the experience with a policy reason code."""
        moderator, now = current_principal().user_id, _now()
        with db_of().engine.begin() as conn:
            case = _pending_case(conn, case_id, Action.REJECT, moderator, now)
            decision = _decide(conn, case, Action.REJECT, moderator, now,
                               reason=args["reason"], comment=args["comment"])
            publish(conn, EventType.MODERATION_REJECTED, {
                "case_id": case.id, "experience_id": case.experience_id,
                "reason": args["reason"], "comment": args["comment"], "moderator_id": moderator,
            }, producer=SERVICE)
            return _detail(conn, case, now, decision)


@cases.route("/<case_id>/reroute")
class Reroute(MethodView):
    @_decides
    @cases.arguments(RerouteRequest)
    @cases.response(200, CaseOut)
    def post(self, args, case_id):
        """Send a re-orientation case to another structure (in this network or another)."""
        moderator, now = current_principal().user_id, _now()
        with db_of().engine.begin() as conn:
            case = _pending_case(conn, case_id, Action.REROUTE, moderator, now)
            structure = _target_structure(conn, args["structure_id"])
            if structure.id == case.current_structure_id:
                raise ApiError(422, "validation_error", "Certains champs sont invalides.", {
                    "structure_id": ["L'expérience est déjà rattachée à cette structure."]})
            decision = _decide(conn, case, Action.REROUTE, moderator, now,
                               structure_id=structure.id, network_id=structure.network_id,
                               comment=args["comment"])
            publish(conn, EventType.MODERATION_REROUTED, {
                "case_id": case.id, "experience_id": case.experience_id,
                "structure_id": structure.id, "network_id": structure.network_id,
                "comment": args["comment"], "moderator_id": moderator,
            }, producer=SERVICE)
            return _detail(conn, case, now, decision)


@cases.route("/<case_id>/decline")
class Decline(MethodView):
    @_decides
    @cases.arguments(DeclineRequest)
    @cases.response(200, CaseOut)
    def post(self, args, case_id):
        """Refuse a re-orientation request: the structure keeps the experience, told why."""
        moderator, now = current_principal().user_id, _now()
        comment = args["comment"].strip()
        with db_of().engine.begin() as conn:
            case = _pending_case(conn, case_id, Action.DECLINE, moderator, now)
            decision = _decide(conn, case, Action.DECLINE, moderator, now, comment=comment)
            publish(conn, EventType.MODERATION_REORIENTATION_DECLINED, {
                "case_id": case.id, "experience_id": case.experience_id,
                "comment": comment, "moderator_id": moderator,
            }, producer=SERVICE)
            return _detail(conn, case, now, decision)


@structures.route("")
class StructureSearch(MethodView):
    @_decides
    @structures.arguments(StructureQuery, location="query")
    @structures.response(200, StructurePage)
    def get(self, args):
        """Find any structure by name, city or postal code."""
        query = (sa.select(Structure, Network.name)
                 .outerjoin(Network, Network.id == Structure.network_id)
                 .order_by(Structure.name, Structure.id))
        for word in args["q"].split():
            like = f"%{word.replace('%', '').replace('_', '')}%"
            query = query.where(sa.or_(Structure.name.ilike(like), Structure.city.ilike(like),
                                       Structure.postal_code.ilike(f"{word}%")))
        with db_of().transaction() as session:
            rows, total = _page(query, session, args["page"], args["per_page"])
            items = [{"id": s.id, "name": s.name, "postal_code": s.postal_code, "city": s.city,
                      "active": s.active, "parent_id": s.parent_id, "network_id": s.network_id,
                      "network_name": network_name} for s, network_name in rows]
        return {"items": items, "total": total, "page": args["page"],
                "per_page": args["per_page"]}


@stats.route("")
class Stats(MethodView):
    @_decides
    @stats.response(200, StatsOut)
    def get(self):
        """Cases per status and the median time to decision over 7 and 30 days."""
        now = _now()
        longest = max(domain.STATS_WINDOWS_DAYS)
        with db_of().transaction() as session:
            counts = dict(session.execute(
                sa.select(Case.status, sa.func.count()).group_by(Case.status)).all())
            decided = session.execute(sa.select(Case.created_at, Case.decided_at).where(
                Case.decided_at >= now - timedelta(days=longest))).all()
        windows = []
        for days in domain.STATS_WINDOWS_DAYS:
            since = now - timedelta(days=days)
            durations = [domain.utc(d) - domain.utc(c) for c, d in decided
                         if domain.utc(d) >= since]
            windows.append({"days": days, "decided": len(durations),
                            "median_seconds": domain.median_seconds(durations)})
        return {**{s.value: counts.get(s.value, 0) for s in CaseStatus},
                "time_to_decision": windows}
