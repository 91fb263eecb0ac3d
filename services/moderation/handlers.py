"""Moderation's event handlers: one function per consumed event type."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.chassis.catalogue import EventType
from services.chassis.events import Event
from services.chassis.revocation import with_revocation
from services.moderation import domain
from services.moderation.domain import CaseKind, CaseStatus, utc
from services.moderation.models import Case, Network, Structure


def replicate_network(session: Session, event: Event, payload: dict) -> None:
    network = session.get(Network, payload["id"]) or Network(id=payload["id"])
    network.code, network.name = payload["code"], payload["name"]
    session.add(network)


def replicate_structure(session: Session, event: Event, payload: dict) -> None:
    structure = session.get(Structure, payload["id"]) or Structure(id=payload["id"])
    for column in ("network_id", "parent_id", "name", "postal_code", "city", "active"):
        setattr(structure, column, payload[column])
    session.add(structure)


# Built once (its cache key is memoized on the object): one lookup per submitted experience.
_SUBMISSION_CASE = sa.select(Case.id).where(Case.experience_id == sa.bindparam("experience_id"),
                                            Case.kind == CaseKind.SUBMISSION)
_INSERT_CASE = Case.__table__.insert()  # Core: the ORM bulk path rebuilt statements per call


def open_submission_case(session: Session, event: Event, payload: dict) -> None:
    """One case per submitted experience, however often the event is delivered."""
    exists = session.execute(_SUBMISSION_CASE, {"experience_id": payload["id"]}).first()
    if exists:
        return
    # Every field that can become public is screened; the body keeps its own columns.
    field_flags = domain.screen_fields(payload)
    body_flags = field_flags.pop("body")
    # An insert, not an ORM object: the unit of work cost more than the screening.
    session.execute(_INSERT_CASE, dict(
        id=str(uuid.uuid4()), experience_id=payload["id"], kind=CaseKind.SUBMISSION,
        status=CaseStatus.PENDING, title=payload["title"], body=payload["body"],
        structure_hint=payload["structure_hint"], postal_code=payload["postal_code"],
        author_name=payload["author_name"], channel=payload["channel"],
        occurred_on=payload["occurred_on"], feeling=payload["feeling"],
        flags=body_flags, redacted_body=domain.default_redaction(payload["body"], body_flags),
        field_flags=field_flags,
        created_at=utc(payload["submitted_at"]),
    ))


def open_reorientation_case(session: Session, event: Event, payload: dict) -> None:
    """A structure asks to move an experience elsewhere: one pending case at a time."""
    pending = session.execute(sa.select(Case.id).where(
        Case.experience_id == payload["id"], Case.kind == CaseKind.REORIENTATION,
        Case.status == CaseStatus.PENDING)).first()
    if pending:
        return
    # Structures near the current one are the likeliest destinations.
    current = session.get(Structure, payload["structure_id"])
    occurred_at = event.occurred_at if isinstance(event.occurred_at, datetime) \
        else datetime.fromisoformat(str(event.occurred_at))
    session.add(Case(
        id=str(uuid.uuid4()), experience_id=payload["id"], kind=CaseKind.REORIENTATION,
        status=CaseStatus.PENDING, title=payload["title"], body=payload["body"],
        structure_hint="", postal_code=(current and current.postal_code) or "", flags=[],
        redacted_body=payload["body"], field_flags={},
        current_structure_id=payload["structure_id"], current_network_id=payload["network_id"],
        reason=payload["reason"], requested_by=payload.get("requested_by"),
        created_at=utc(occurred_at),
    ))


HANDLERS: dict = with_revocation({
    EventType.NETWORK_CREATED: replicate_network,
    EventType.NETWORK_UPDATED: replicate_network,
    EventType.STRUCTURE_CREATED: replicate_structure,
    EventType.STRUCTURE_UPDATED: replicate_structure,
    EventType.EXPERIENCE_SUBMITTED: open_submission_case,
    EventType.EXPERIENCE_REORIENTATION_REQUESTED: open_reorientation_case,
})
