"""Experiences's event handlers: one function per consumed event type.

The consumer runs each handler and records the event id in the inbox in one transaction, so a
redelivered event changes nothing. Beyond that, the handlers are idempotent on their own:
- an approval, refusal or reroute that finds the experience already where the event would put it
  does nothing (a second moderation decision for the same case, replayed from a DLQ, ...);
- a decision that the status machine refuses (e.g. a refusal after publication) is logged and
  dropped: retrying cannot make it legal;
- a decision about an experience we do not know raises `UnknownExperience`, so the consumer
  retries it with back-off and dead-letters it in the end (our own `experience.submitted` is
  committed before moderation can see it, so this is an anomaly worth keeping).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.chassis.catalogue import EventType
from services.chassis.events import Event, publish
from services.chassis.revocation import with_revocation
from services.experiences import domain
from services.experiences.domain import Status
from services.experiences.models import (
    Comment,
    Experience,
    ExperienceMove,
    Network,
    Structure,
    utcnow,
)

log = logging.getLogger(__name__)
SERVICE = "experiences"


class UnknownExperience(LookupError):
    pass


# Built once: Session.get builds its select, and works out its cache key, at every call.
# populate_existing: an approval earlier in the same batch may have changed the row by a plain
# UPDATE, which an object already in the session would not show.
_EXPERIENCE_FOR_UPDATE = (sa.select(Experience).where(Experience.id == sa.bindparam("exp_id"))
                          .with_for_update().execution_options(populate_existing=True))


def _unknown(experience_id: str) -> UnknownExperience:
    return UnknownExperience(f"experience {experience_id} unknown here (yet)")


def _experience(session: Session, experience_id: str) -> Experience:
    exp = session.execute(_EXPERIENCE_FOR_UPDATE, {"exp_id": experience_id}).scalar()
    if exp is None:
        raise _unknown(experience_id)
    return exp


# Replica of identity's tree -------------------------------------------------------------------

def upsert_network(session: Session, event: Event, payload: dict) -> None:
    network = session.get(Network, payload["id"]) or Network(id=payload["id"])
    network.code = payload["code"]
    network.name = payload["name"]
    network.requires_validation = payload["requires_validation"]
    network.target_delay_days = payload["target_delay_days"]
    session.add(network)


def upsert_structure(session: Session, event: Event, payload: dict) -> None:
    structure = session.get(Structure, payload["id"]) or Structure(id=payload["id"])
    structure.network_id = payload["network_id"]
    structure.parent_id = payload["parent_id"]
    structure.name = payload["name"]
    structure.postal_code = payload["postal_code"]
    structure.city = payload["city"]
    session.add(structure)


# Moderation decisions -------------------------------------------------------------------------

# The approval, one per experience, in columns and statements built once: loading and flushing
# an ORM object cost more than the rest of the handler. The select names the mapped columns so
# that the session flushes first what earlier events of the same batch changed.
_experiences = Experience.__table__
_TO_APPROVE = (sa.select(Experience.id, Experience.status, Experience.title,
                         Experience.structure_hint, Experience.author_email, Experience.author_name)
               .where(Experience.id == sa.bindparam("exp_id")).with_for_update())
_APPROVE = (_experiences.update().where(_experiences.c.id == sa.bindparam("exp_id"))
            .values(status=sa.bindparam("new_status"), published_at=sa.bindparam("at"),
                    structure_id=sa.bindparam("to_structure"), network_id=sa.bindparam("to_network"),
                    published_body=sa.bindparam("text"), edited=sa.bindparam("was_edited"),
                    title=sa.bindparam("public_title"),
                    structure_hint=sa.bindparam("public_hint"),
                    author_name=sa.bindparam("public_author"),
                    submitted_title=sa.bindparam("own_title"),
                    submitted_structure_hint=sa.bindparam("own_hint"),
                    submitted_author_name=sa.bindparam("own_author")))


def _moderated(payload: dict, key: str, submitted: str) -> str:
    """The field as moderation published it. An approval written before moderation screened
    every field carries only the body: the other fields stay as submitted, as they were then."""
    value = payload.get(key)
    return submitted if value is None else value


def publish_experience(session: Session, event: Event, payload: dict) -> None:
    exp = session.execute(_TO_APPROVE, {"exp_id": payload["experience_id"]}).first()
    if exp is None:
        raise _unknown(payload["experience_id"])
    if exp.status in domain.PUBLISHED:
        log.info("experience %s already published; approval %s ignored", exp.id, event.id)
        return
    try:
        status = domain.approve(exp.status)
    except domain.IllegalTransition as exc:
        log.warning("approval %s for experience %s dropped: %s", event.id, exp.id, exc)
        return
    at = utcnow()
    title = _moderated(payload, "title", exp.title)
    author_name = _moderated(payload, "author_name", exp.author_name)
    session.execute(_APPROVE, {
        "exp_id": exp.id, "new_status": status, "at": at, "to_structure": payload["structure_id"],
        "to_network": payload["network_id"], "text": payload["body"],
        "was_edited": payload["edited"], "public_title": title,
        "public_hint": _moderated(payload, "structure_hint", exp.structure_hint),
        "public_author": author_name, "own_title": exp.title, "own_hint": exp.structure_hint,
        "own_author": exp.author_name})
    publish(session, EventType.EXPERIENCE_PUBLISHED, {
        "id": exp.id, "title": title, "structure_id": payload["structure_id"],
        "network_id": payload["network_id"], "published_at": at, "edited": payload["edited"],
        "author_email": exp.author_email, "author_name": author_name}, SERVICE)


def reject_experience(session: Session, event: Event, payload: dict) -> None:
    exp = _experience(session, payload["experience_id"])
    if exp.status == Status.REJECTED:
        return
    try:
        exp.status = domain.reject(exp.status)
    except domain.IllegalTransition as exc:
        log.warning("refusal %s for experience %s dropped: %s", event.id, exp.id, exc)
        return
    exp.rejection_reason = payload["reason"]
    exp.rejection_comment = payload["comment"]
    publish(session, EventType.EXPERIENCE_REJECTED, {
        "id": exp.id, "title": exp.title, "reason": payload["reason"],
        "comment": payload["comment"], "author_email": exp.author_email,
        "author_name": exp.author_name}, SERVICE)


def reroute_experience(session: Session, event: Event, payload: dict) -> None:
    exp = _experience(session, payload["experience_id"])
    if exp.structure_id == payload["structure_id"]:
        return
    try:
        new_status = domain.move(exp.status)
    except domain.IllegalTransition as exc:
        log.warning("reroute %s for experience %s dropped: %s", event.id, exp.id, exc)
        return
    previous = exp.structure_id
    session.add(ExperienceMove(experience_id=exp.id, kind=domain.MoveKind.REROUTE,
                               from_structure_id=previous, to_structure_id=payload["structure_id"],
                               by_user_id=payload["moderator_id"]))
    exp.structure_id = payload["structure_id"]
    exp.network_id = payload["network_id"]
    exp.status = new_status
    exp.reorientation_reason = None
    exp.drop_draft()
    # A reroute is moderation accepting the structure's request: the notifier tells it.
    publish(session, EventType.EXPERIENCE_REASSIGNED, {
        "id": exp.id, "title": exp.title, "from_structure_id": previous or "",
        "structure_id": exp.structure_id, "network_id": exp.network_id,
        "by_user_id": payload["moderator_id"], "kind": str(domain.MoveKind.REROUTE)}, SERVICE)


def decline_reorientation(session: Session, event: Event, payload: dict) -> None:
    """Moderation keeps the experience where it is: the structure may answer again, and reads
    why in an internal comment."""
    exp = _experience(session, payload["experience_id"])
    if exp.reorientation_reason is None:
        return  # already settled (a redelivery, or rerouted meanwhile)
    exp.reorientation_reason = None
    session.add(Comment(experience_id=exp.id, author_id=payload["moderator_id"] or "moderation",
                        author_name="Modération", network_id=exp.network_id,
                        body=f"Demande de réorientation refusée : {payload['comment']}"))
    publish(session, EventType.EXPERIENCE_REORIENTATION_DECLINED, {
        "id": exp.id, "title": exp.title, "structure_id": exp.structure_id,
        "network_id": exp.network_id, "comment": payload["comment"]}, SERVICE)


HANDLERS: dict = with_revocation({
    EventType.NETWORK_CREATED: upsert_network,
    EventType.NETWORK_UPDATED: upsert_network,
    EventType.STRUCTURE_CREATED: upsert_structure,
    EventType.STRUCTURE_UPDATED: upsert_structure,
    EventType.MODERATION_APPROVED: publish_experience,
    EventType.MODERATION_REJECTED: reject_experience,
    EventType.MODERATION_REROUTED: reroute_experience,
    EventType.MODERATION_REORIENTATION_DECLINED: decline_reorientation,
})
