"""Moderation's event handlers: one function per consumed event type."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.chassis import replica
from services.chassis.catalogue import EventType
from services.chassis.consumer import Prepared
from services.chassis.events import Event
from services.chassis.revocation import with_revocation
from services.moderation import domain, service
from services.moderation.models import Network, Structure


def _screen_submission(event: Event, payload: dict) -> dict[str, list[dict]]:
    return domain.screen_fields(payload)


def _open_submission_case(session: Session, event: Event, payload: dict,
                          field_flags: dict[str, list[dict]]) -> None:
    service.open_submission_case(session, payload, field_flags)


# The screening, the costly part, runs before the batch's transaction.
open_submission_case = Prepared(_screen_submission, _open_submission_case)


def open_reorientation_case(session: Session, event: Event, payload: dict) -> None:
    service.open_reorientation_case(session, payload, event.occurred_at)


HANDLERS: dict = with_revocation(replica.handlers(network=Network, structure=Structure) | {
    EventType.EXPERIENCE_SUBMITTED: open_submission_case,
    EventType.EXPERIENCE_REORIENTATION_REQUESTED: open_reorientation_case,
})
