"""Moderation's event handlers: one function per consumed event type."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.chassis import replica
from services.chassis.catalogue import EventType
from services.chassis.events import Event
from services.chassis.revocation import with_revocation
from services.moderation import service
from services.moderation.models import Network, Structure


def open_submission_case(session: Session, event: Event, payload: dict) -> None:
    service.open_submission_case(session, payload)


def open_reorientation_case(session: Session, event: Event, payload: dict) -> None:
    service.open_reorientation_case(session, payload, event.occurred_at)


HANDLERS: dict = with_revocation(replica.handlers(network=Network, structure=Structure) | {
    EventType.EXPERIENCE_SUBMITTED: open_submission_case,
    EventType.EXPERIENCE_REORIENTATION_REQUESTED: open_reorientation_case,
})
