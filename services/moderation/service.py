"""Moderation's use cases: load, apply the domain rules, change, publish — in the caller's
transaction (a view's unit of work, or the consumer's session for an event)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.chassis import clock
from services.chassis.catalogue import EventType
from services.chassis.db import new_id
from services.chassis.events import publish
from services.chassis.pagination import page_of
from services.moderation import domain, queries
from services.moderation.domain import Action, CaseKind, CaseStatus
from services.moderation.models import Case, Decision

SERVICE = "moderation"

# A case as a view shows it: the ORM object, or the row a decision read.
CaseLike = Case | SimpleNamespace | sa.Row


# ---- a case as the API answers it

def _flag_count(case: CaseLike) -> int:
    return len(case.flags or []) + sum(len(f) for f in (case.field_flags or {}).values())


def summary(case: CaseLike, moderator_id: str, now: datetime) -> dict:
    return {
        "id": case.id, "experience_id": case.experience_id, "kind": case.kind,
        "status": case.status, "title": case.title, "flag_count": _flag_count(case),
        "created_at": clock.as_utc(case.created_at),
        "decided_at": case.decided_at and clock.as_utc(case.decided_at),
        "age_seconds": domain.age_seconds(case.created_at, case.decided_at or now),
        "claimed_by": case.claimed_by,
        "claimed_until": case.claimed_until and clock.as_utc(case.claimed_until),
        "claim": domain.claim_state(case.status, case.claimed_by, case.claimed_until,
                                    moderator_id, now),
    }


def _suggestions(session: Session, case: CaseLike) -> list[dict]:
    """The likeliest structures, each with its network's name (one query for them all)."""
    refs = [domain.StructureRef(r.id, r.name, r.postal_code, r.city, network_id=r.network_id)
            for r in queries.active_structures(session) if r.id != case.current_structure_id]
    found = domain.suggest_structures(refs, case.postal_code, case.structure_hint,
                                      f"{case.title}\n{case.body}")
    names = queries.network_names(session, {s["network_id"] for s in found if s["network_id"]})
    return [s | {"network_name": names.get(s["network_id"])} for s in found]


def _decision_of(session: Session, case: CaseLike, decision: Decision | None = None,
                 names: dict | None = None) -> dict | None:
    """The case's latest decision (`decision`: the one just taken), with the names of the
    structure and network it sent the experience to (`names`: read with the target)."""
    if decision is None:  # the one just made needs no query
        decision = queries.latest_decision(session, case.id)
    if decision is None:
        return None
    if names is None:
        structure_name, network_name = (
            queries.place_names(session, decision.structure_id, decision.network_id)
            if decision.structure_id or decision.network_id else (None, None))
        names = {"structure_name": structure_name, "network_name": network_name}
    return {column: getattr(decision, column) for column in (
        "id", "action", "moderator_id", "structure_id", "network_id", "reason", "comment",
        "published_body", "edited", "published", "changes")} | {
        "decided_at": clock.as_utc(decision.decided_at),
        "structure_name": names.get("structure_name"), "network_name": names.get("network_name")}


def _fields(case: CaseLike) -> list[domain.ScreenedField]:
    return domain.case_fields({name: getattr(case, name) for name in domain.SCREENED_FIELDS},
                              case.flags, case.field_flags)


def _current_names(session: Session, case: CaseLike) -> dict:
    """Who asks for a re-orientation: the names of the structure holding the experience and
    of its network (none for a submission, which no structure holds yet)."""
    names = (queries.place_names(session, case.current_structure_id, case.current_network_id)
             if case.current_structure_id else (None, None))
    return {"current_structure_name": names[0], "current_network_name": names[1]}


def detail(session: Session, case: CaseLike, moderator_id: str, now: datetime,
           decision: Decision | None = None, names: dict | None = None) -> dict:
    return summary(case, moderator_id, now) | {
        "body": case.body, "structure_hint": case.structure_hint,
        "postal_code": case.postal_code, "flags": case.flags or [],
        "redacted_body": case.redacted_body,
        "author_name": case.author_name or "", "channel": case.channel or "",
        "occurred_on": case.occurred_on, "feeling": case.feeling or "",
        "fields": [field.as_json() for field in _fields(case)],
        "current_structure_id": case.current_structure_id,
        "current_network_id": case.current_network_id, "reason": case.reason,
        **_current_names(session, case),
        # Routing suggestions help only while the case waits for a decision.
        "suggested_structures": (_suggestions(session, case)
                                 if case.status == CaseStatus.PENDING else []),
        "decision": _decision_of(session, case, decision, names),
    }


# ---- reading

def queue(session: Session, moderator_id: str, status: str, kind: str | None, page: int,
          per_page: int) -> dict:
    now = clock.now()
    found = page_of(session, queries.queue(status, kind, moderator_id, now), page, per_page)
    return found | {"items": [summary(case, moderator_id, now) for case in found["items"]]}


def case_detail(session: Session, moderator_id: str, case_id: str) -> dict:
    case = session.get(Case, case_id)
    if case is None:
        raise domain.CaseNotFound()
    return detail(session, case, moderator_id, clock.now())


def search_structures(session: Session, q: str, page: int, per_page: int) -> dict:
    found = page_of(session, queries.structure_search(q), page, per_page, rows=True)
    return found | {"items": [
        {"id": s.id, "name": s.name, "postal_code": s.postal_code, "city": s.city,
         "active": s.active, "parent_id": s.parent_id, "network_id": s.network_id,
         "network_name": network_name} for s, network_name in found["items"]]}


def stats(session: Session) -> dict:
    """Cases per status and the median time to decision over each window."""
    now = clock.now()
    counts = queries.status_counts(session)
    decided = queries.decided_since(session, now - timedelta(days=max(domain.STATS_WINDOWS_DAYS)))
    return {**{s.value: counts.get(s.value, 0) for s in CaseStatus},
            "time_to_decision": domain.time_to_decision(decided, now)}


def preview(session: Session, case_id: str, decisions: dict | None) -> dict:
    """What an approval with these field decisions would publish; changes and claims nothing."""
    case = queries.case_row(session, case_id)
    if case is None:
        raise domain.CaseNotFound()
    domain.check_applies(Action.APPROVE, case.kind)
    return {"fields": [domain.preview(outcome)
                       for outcome in domain.decide_fields(_fields(case), decisions)]}


def screen_staff_texts(texts: dict[str, str]) -> dict:
    """The passages of a staff text to show its writer before it is published."""
    return {"texts": [{"name": name, "flags": [domain.flag_to_json(f) for f in
                                               domain.screen_staff_text(texts[name], name)]}
                      for name in domain.STAFF_TEXTS if name in texts]}


# ---- claiming and deciding

def claim(session: Session, moderator_id: str, case_id: str) -> dict:
    """Take the case for CLAIM_DURATION: other moderators can neither see it in the queue nor
    decide it until the claim lapses or a decision closes it."""
    now = clock.now()
    case = queries.locked_case(session, case_id)
    if case is None:
        raise domain.CaseNotFound()
    domain.check_open(case.status, case.claimed_by, case.claimed_until, moderator_id, now)
    case.claimed_by, case.claimed_until = moderator_id, now + domain.CLAIM_DURATION
    return detail(session, case, moderator_id, now)


def _pending_case(session: Session, case_id: str, action: Action, moderator_id: str,
                  now: datetime) -> SimpleNamespace:
    """The case's columns, locked, if `action` may be taken on it now."""
    row = queries.case_row(session, case_id, for_update=True)
    if row is None:
        raise domain.CaseNotFound()
    case = SimpleNamespace(**row._mapping)
    domain.check_open(case.status, case.claimed_by, case.claimed_until, moderator_id, now)
    domain.check_applies(action, case.kind)
    return case


# Said in a decision's answer, never recorded nor published: identity's names may change.
PLACE_NAMES = ("structure_name", "network_name")


def _decide(session: Session, case: SimpleNamespace, action: Action, moderator_id: str,
            now: datetime, **what) -> tuple[Decision, dict]:
    """Close the case and record the decision (`what`: its columns that depend on `action`,
    and the names of its target, which are returned aside)."""
    names = {name: what.pop(name) for name in PLACE_NAMES if name in what}
    case.status, case.decided_at = domain.OUTCOME[action], now
    case.claimed_by = case.claimed_until = None
    queries.close_case(session, case.id, case.status, now)
    values = dict(id=new_id(), case_id=case.id, moderator_id=moderator_id,
                  action=action, decided_at=now, **what)
    queries.insert_decision(session, values)
    return Decision(**values), names  # for the answer only: the row went in by the insert


def _target(session: Session, structure_id: str) -> tuple[dict, dict]:
    """Where a decision sends the experience: a known, active structure, and its network; and
    their names for the answer (read in the same query)."""
    structure = queries.structure_row(session, structure_id)
    domain.check_target(structure and structure.active)
    return ({"structure_id": structure.id, "network_id": structure.network_id},
            {"structure_name": structure.name, "network_name": structure.network_name})


def _approval_decisions(args: dict) -> dict:
    """The field decisions of an approval, the legacy `body` as the body's replacement text."""
    decisions = dict(args["fields"] or {})
    if args["body"] is not None:
        decisions["body"] = (decisions.get("body") or {}) | {"text": args["body"]}
    return decisions


def _event(case: SimpleNamespace, moderator_id: str, fields: dict) -> dict:
    return {"case_id": case.id, "experience_id": case.experience_id, **fields,
            "moderator_id": moderator_id}


# Each decision publishes its event and says what its record holds besides the common columns.
def _approve(session: Session, case: SimpleNamespace, moderator_id: str, args: dict) -> dict:
    target, names = _target(session, args["structure_id"])
    outcomes = domain.decide_fields(_fields(case), _approval_decisions(args))
    published, edited = domain.published_fields(outcomes), domain.edited_fields(outcomes)
    publish(session, EventType.MODERATION_APPROVED, _event(case, moderator_id, target | {
        "body": published["body"], "edited": bool(edited), "title": published["title"],
        "author_name": published["author_name"], "structure_hint": published["structure_hint"],
        "edited_fields": edited}), producer=SERVICE)
    return target | names | {"published_body": published["body"], "edited": bool(edited),
                             "published": published, "changes": domain.changes(outcomes)}


def _reject(session: Session, case: SimpleNamespace, moderator_id: str, args: dict) -> dict:
    terms = {"reason": args["reason"], "comment": args["comment"]}
    publish(session, EventType.MODERATION_REJECTED, _event(case, moderator_id, terms),
            producer=SERVICE)
    return terms


def _reroute(session: Session, case: SimpleNamespace, moderator_id: str, args: dict) -> dict:
    target, names = _target(session, args["structure_id"])
    terms = target | {"comment": args["comment"]}
    domain.check_moves(terms["structure_id"], case.current_structure_id)
    publish(session, EventType.MODERATION_REROUTED, _event(case, moderator_id, terms),
            producer=SERVICE)
    return terms | names


def _decline(session: Session, case: SimpleNamespace, moderator_id: str, args: dict) -> dict:
    terms = {"comment": args["comment"].strip()}
    publish(session, EventType.MODERATION_REORIENTATION_DECLINED,
            _event(case, moderator_id, terms), producer=SERVICE)
    return terms


_DECISIONS: dict[Action, Callable[[Session, SimpleNamespace, str, dict], dict]] = {
    Action.APPROVE: _approve,
    Action.REJECT: _reject,
    Action.REROUTE: _reroute,
    Action.DECLINE: _decline,
}


def decide(session: Session, moderator_id: str, case_id: str, action: Action,
           args: dict) -> dict:
    """Take a decision on a pending case: publish its event, close the case, record the
    decision; the answer is the case as decided."""
    now = clock.now()
    case = _pending_case(session, case_id, action, moderator_id, now)
    decision, names = _decide(session, case, action, moderator_id, now,
                              **_DECISIONS[action](session, case, moderator_id, args))
    return detail(session, case, moderator_id, now, decision, names)


# ---- opening cases (experiences' events)

def open_submission_case(session: Session, payload: dict,
                         screened: dict[str, list[dict]]) -> None:
    """One case per submitted experience, however often the event is delivered. `screened`:
    `domain.screen_fields(payload)`, worked out before the transaction (handlers.py)."""
    if queries.has_submission_case(session, payload["id"]):
        return
    # Every field that can become public is screened; the body keeps its own columns.
    body_flags = screened["body"]
    field_flags = {name: flags for name, flags in screened.items() if name != "body"}
    queries.insert_case(session, dict(
        id=new_id(), experience_id=payload["id"], kind=CaseKind.SUBMISSION,
        status=CaseStatus.PENDING, title=payload["title"], body=payload["body"],
        structure_hint=payload["structure_hint"], postal_code=payload["postal_code"],
        author_name=payload["author_name"], channel=payload["channel"],
        occurred_on=payload["occurred_on"], feeling=payload["feeling"],
        flags=body_flags, redacted_body=domain.default_redaction(payload["body"], body_flags),
        field_flags=field_flags,
        created_at=clock.as_utc(payload["submitted_at"]),
    ))


def open_reorientation_case(session: Session, payload: dict, requested_at: datetime) -> None:
    """A structure asks to move an experience elsewhere: one pending case at a time."""
    if queries.has_pending_reorientation(session, payload["id"]):
        return
    # Structures near the current one are the likeliest destinations.
    postal_code = queries.postal_code_of(session, payload["structure_id"])
    session.add(Case(
        id=new_id(), experience_id=payload["id"], kind=CaseKind.REORIENTATION,
        status=CaseStatus.PENDING, title=payload["title"], body=payload["body"],
        structure_hint="", postal_code=postal_code or "", flags=[],
        redacted_body=payload["body"], field_flags={},
        current_structure_id=payload["structure_id"], current_network_id=payload["network_id"],
        reason=payload["reason"], requested_by=payload.get("requested_by"),
        created_at=clock.as_utc(requested_at),
    ))
