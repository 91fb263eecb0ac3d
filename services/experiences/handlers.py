"""Experiences's event handlers: one function per consumed event type, each calling one use case.

The consumer runs each handler and records the event id in the inbox in one transaction, so a
redelivered event changes nothing. Beyond that, the use cases are idempotent on their own:
- an approval, refusal or reroute that finds the experience already where the event would put it
  does nothing (a second moderation decision for the same case, replayed from a DLQ, ...);
- a decision that the status machine refuses (e.g. a refusal after publication) is logged and
  dropped: retrying cannot make it legal;
- a decision about an experience we do not know raises `UnknownExperience`, so the consumer
  retries it with back-off and dead-letters it in the end (our own `experience.submitted` is
  committed before moderation can see it, so this is an anomaly worth keeping).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.chassis import replica
from services.chassis.catalogue import EventType
from services.chassis.events import Event
from services.chassis.revocation import with_revocation
from services.experiences import service
from services.experiences.models import Network, Structure


def publish_experience(session: Session, event: Event, payload: dict) -> None:
    service.approve_experience(
        session, event.id, payload["experience_id"], structure_id=payload["structure_id"],
        network_id=payload["network_id"], body=payload["body"], edited=payload["edited"],
        title=payload.get("title"), structure_hint=payload.get("structure_hint"),
        author_name=payload.get("author_name"))


def reject_experience(session: Session, event: Event, payload: dict) -> None:
    service.reject_experience(session, event.id, payload["experience_id"], payload["reason"],
                              payload["comment"])


def reroute_experience(session: Session, event: Event, payload: dict) -> None:
    service.reroute_experience(session, event.id, payload["experience_id"],
                               payload["structure_id"], payload["network_id"],
                               payload["moderator_id"], payload.get("comment"))


def decline_reorientation(session: Session, event: Event, payload: dict) -> None:
    service.decline_reorientation(session, payload["experience_id"], payload["moderator_id"],
                                  payload["comment"])


HANDLERS: dict = with_revocation(replica.handlers(network=Network, structure=Structure) | {
    EventType.MODERATION_APPROVED: publish_experience,
    EventType.MODERATION_REJECTED: reject_experience,
    EventType.MODERATION_REROUTED: reroute_experience,
    EventType.MODERATION_REORIENTATION_DECLINED: decline_reorientation,
})
