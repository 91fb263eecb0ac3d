"""Notifier's event handlers: replicas of users and structures, and who gets which e-mail.

Handlers only insert rows (replicas, queued e-mails, digest items) in the consumer's transaction;
the sender job does the SMTP part.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.chassis import clock, replica
from services.chassis.catalogue import EventType
from services.chassis.config import gateway_url
from services.chassis.events import Event
from services.chassis.revocation import with_revocation
from services.notifier import domain
from services.notifier.domain import Delivery, EmailKind, Progress
from services.notifier.mailer import queue_email
from services.notifier.models import (
    DigestItem,
    Experience,
    Recipient,
    RecipientStructure,
    Structure,
)

SERVICE = "notifier"


def gateway() -> str:
    return gateway_url().rstrip("/")  # not all the settings: this runs twice per event


def _as_domain(r) -> domain.Recipient:
    """From a row of `_ACTIVE`."""
    return domain.Recipient(id=r.id, email=r.email, name=r.name, profile=r.profile,
                            missions=tuple(r.missions or ()), frequency=r.notification_frequency,
                            active=r.active)


# Columns, not ORM objects, and statements built once: they run for every published experience.
# An invited user who has not set a password yet gets no work mail (Recipient.activated).
_ACTIVE = sa.select(Recipient.id, Recipient.email, Recipient.name, Recipient.profile,
                    Recipient.missions, Recipient.notification_frequency,
                    Recipient.active).where(Recipient.active.is_(True),
                                            Recipient.activated.is_(True))
_OF_STRUCTURE = (
    _ACTIVE.join(RecipientStructure, RecipientStructure.recipient_id == Recipient.id)
    .where(RecipientStructure.structure_id == sa.bindparam("structure_id"))
    .order_by(Recipient.id))


def _of_structure(session: Session, structure_id: str) -> list[domain.Recipient]:
    return [_as_domain(r) for r in session.execute(_OF_STRUCTURE, {"structure_id": structure_id})]


def _by_ids(session: Session, user_ids: list[str]) -> list[domain.Recipient]:
    if not user_ids:
        return []
    found = {r.id: _as_domain(r)
             for r in session.execute(_ACTIVE.where(Recipient.id.in_(user_ids)))}
    return [found[i] for i in user_ids if i in found]


def _expires(value: datetime) -> str:
    return value.astimezone(domain.PARIS).strftime("%d/%m/%Y à %H:%M")


# Replicas ----------------------------------------------------------------------------------------
def replicate_user(session: Session, event: Event, payload: dict) -> None:
    values = dict(
        email=payload["email"], name=payload["name"], profile=payload["profile"],
        missions=list(payload["missions"]),
        structure_ids=[str(s) for s in payload["structure_ids"]],
        notification_frequency=payload["notification_frequency"],
        active=payload["active"] and event.type != EventType.USER_DEACTIVATED,
        activated=payload["activated"],
        updated_at=event.occurred_at,
    )
    recipient = session.get(Recipient, payload["id"])
    if recipient is None:
        session.add(Recipient(id=payload["id"], **values))
    elif clock.as_utc(recipient.updated_at) > event.occurred_at:
        return  # an older event arriving late must not undo a newer one
    else:
        for key, value in values.items():
            setattr(recipient, key, value)
    session.flush()
    session.execute(sa.delete(RecipientStructure).where(
        RecipientStructure.recipient_id == payload["id"]))
    for structure_id in sorted(set(values["structure_ids"])):
        session.add(RecipientStructure(recipient_id=payload["id"], structure_id=structure_id))


# Experiences -------------------------------------------------------------------------------------
# One statement for the read, the insert and the update an ORM row took (the pipeline's hot path:
# every experience event). Written as text, as the e-mails' insert is: SQLAlchemy does not cache
# its compiled ON CONFLICT for SQLite. The same SQL on both databases (SQLite 3.24+); timestamps
# compare as values on PostgreSQL and as one fixed UTC text format on SQLite.
_TRACK = sa.text(
    "INSERT INTO experiences (id, structure_id, progress, updated_at) "
    "VALUES (:id, :structure_id, :first_progress, :at) "
    "ON CONFLICT (id) DO UPDATE SET structure_id = excluded.structure_id, "
    "progress = COALESCE(:progress, experiences.progress), updated_at = excluded.updated_at "
    "WHERE experiences.updated_at <= excluded.updated_at"
).bindparams(sa.bindparam("id", type_=Experience.id.type),
             sa.bindparam("structure_id", type_=Experience.structure_id.type),
             sa.bindparam("first_progress", type_=Experience.progress.type),
             sa.bindparam("progress", type_=Experience.progress.type),
             sa.bindparam("at", type_=Experience.updated_at.type))


def track(session: Session, event: Event, payload: dict, progress: Progress | None) -> None:
    """Where the experience is and how far it went (None: as before), as this event says,
    unless a later event already said more: a digest lists only what still holds."""
    session.execute(_TRACK, {
        "id": payload["id"], "structure_id": payload["structure_id"],
        "first_progress": str(progress or Progress.TO_PROCESS),
        "progress": None if progress is None else str(progress), "at": event.occurred_at})


def _notify_staff(session: Session, event: Event, recipients: list[domain.Recipient],
                  payload: dict, title: str, kind: EmailKind, **context) -> None:
    """Each recipient (once per address) as their frequency says: a mail now, an item of their
    next digest, or nothing."""
    experience_id = payload["id"]
    link = domain.staff_link(gateway(), kind, experience_id)
    for recipient in domain.unique_by_email(recipients):
        delivery = domain.delivery_for(recipient)
        if delivery is Delivery.NOW:
            queue_email(session, address=recipient.email, kind=kind, event_id=event.id,
                        recipient_id=recipient.id, name=recipient.name, title=title, link=link,
                        **context)
        elif delivery is Delivery.DIGEST:
            session.add(DigestItem(recipient_id=recipient.id, event_id=event.id,
                                   experience_id=experience_id, title=title,
                                   created_at=clock.now(), kind=str(kind),
                                   occurred_at=event.occurred_at,
                                   structure_id=payload["structure_id"],
                                   comment=context.get("comment")))


def _answer_agents(session: Session, structure_id: str) -> list[domain.Recipient]:
    return [r for r in _of_structure(session, structure_id) if domain.answers(r)]


def _notify_answer_agents(session: Session, event: Event, payload: dict, title: str,
                          kind: EmailKind, **context) -> None:
    _notify_staff(session, event, _answer_agents(session, payload["structure_id"]), payload,
                  title, kind, **context)


def notify_publication(session: Session, event: Event, payload: dict) -> None:
    """The author (publication, and the moderator's edit) and the answer agents of the structure."""
    track(session, event, payload, Progress.TO_PROCESS)
    # The author's address was never confirmed: the mail carries nothing the author (or
    # whoever typed that address) wrote, so it can relay no one's text or link.
    queue_email(session, address=payload["author_email"], kind=EmailKind.PUBLISHED_AUTHOR,
                event_id=event.id, edited=payload["edited"],
                link=domain.public_link(gateway(), payload["id"]))
    _notify_answer_agents(session, event, payload, payload["title"], EmailKind.TO_PROCESS)


def notify_reassignment(session: Session, event: Event, payload: dict) -> None:
    """The answer agents of the structure the experience was moved to; after a reroute
    (moderation accepted a re-orientation request), those of the structure it left too."""
    track(session, event, payload, Progress.TO_PROCESS)  # a move starts afresh
    arriving = _answer_agents(session, payload["structure_id"])
    _notify_staff(session, event, arriving, payload, payload["title"], EmailKind.REASSIGNED)
    if payload.get("kind") == "reroute" and payload.get("from_structure_id"):
        # Someone in both structures hears of it once, as one of the new structure's agents.
        told = {r.id for r in arriving} | {r.email.lower() for r in arriving}
        leaving = [r for r in _answer_agents(session, payload["from_structure_id"])
                   if r.id not in told and r.email.lower() not in told]
        _notify_staff(session, event, leaving, payload, payload["title"],
                      EmailKind.REORIENTATION_ACCEPTED)


def notify_reorientation_declined(session: Session, event: Event, payload: dict) -> None:
    """The answer agents of the structure, which keeps the experience: moderation says why."""
    track(session, event, payload, None)
    _notify_answer_agents(session, event, payload, payload["title"],
                          EmailKind.REORIENTATION_DECLINED, comment=payload["comment"])


def notify_rejection(session: Session, event: Event, payload: dict) -> None:
    """The author, with the reason in plain French."""
    queue_email(session, address=payload["author_email"], kind=EmailKind.REJECTED_AUTHOR,
                event_id=event.id, reference=domain.reference(payload["id"]),
                reason=domain.rejection_sentence(payload["reason"]),
                comment=payload["comment"], link=f"{gateway()}/donner-mon-avis")


def notify_response_to_validate(session: Session, event: Event, payload: dict) -> None:
    """The super agents of the structure and of every structure above it (any may validate),
    but not the one who submitted it: another must validate (four eyes)."""
    track(session, event, payload, Progress.AWAITING_VALIDATION)
    supers = [r for structure_id in replica.ancestor_ids(session, Structure,
                                                         payload["structure_id"])
              for r in _of_structure(session, structure_id) if domain.validates(r)]
    _notify_staff(session, event, domain.validators(supers, payload.get("submitted_by"),
                                                    payload.get("drafted_by")),
                  payload, payload["title"], EmailKind.RESPONSE_TO_VALIDATE)


def notify_answer(session: Session, event: Event, payload: dict) -> None:
    """The author, with the evaluation link; after a validation, whoever wrote or sent the
    response."""
    track(session, event, payload, Progress.ANSWERED)
    link = (f"{domain.public_link(gateway(), payload['id'])}/evaluation"
            f"?token={payload['evaluation_token']}")
    queue_email(session, address=payload["author_email"], kind=EmailKind.ANSWERED_AUTHOR,
                event_id=event.id, link=link)
    authors = domain.response_authors(payload.get("drafted_by"), payload.get("submitted_by"),
                                      payload.get("validated_by"))
    _notify_staff(session, event, _by_ids(session, authors), payload, payload["title"],
                  EmailKind.RESPONSE_VALIDATED)


def notify_evaluation(session: Session, event: Event, payload: dict) -> None:
    """The answer agents of the structure: how the usager rated its response. The usager's
    free comment is not sent: it was never moderated."""
    track(session, event, payload, Progress.ANSWERED)
    title = payload.get("title") or f"expérience {domain.reference(payload['id'])}"
    _notify_answer_agents(session, event, payload, title, EmailKind.EVALUATED,
                          useful=payload["useful"],
                          feeling_before=domain.feeling_word(payload.get("feeling"))
                          if payload.get("feeling") else None,
                          feeling_after=domain.feeling_word(payload["feeling_after"]))


# Accounts ----------------------------------------------------------------------------------------
def _mail_link(session: Session, event: Event, payload: dict, kind: EmailKind) -> None:
    known = session.get(Recipient, payload["user_id"])
    if known is not None and not known.active:
        return  # a deactivated user gets nothing
    queue_email(session, address=payload["email"], kind=kind, event_id=event.id,
                recipient_id=payload["user_id"], name=payload["name"],
                link=f"{gateway()}/mot-de-passe?token={payload['token']}",
                expires=_expires(payload["expires_at"]))


def mail_invitation(session: Session, event: Event, payload: dict) -> None:
    _mail_link(session, event, payload, EmailKind.USER_INVITED)


def mail_password_reset(session: Session, event: Event, payload: dict) -> None:
    _mail_link(session, event, payload, EmailKind.PASSWORD_RESET)


HANDLERS: dict = with_revocation(replica.handlers(structure=Structure) | {
    EventType.USER_CREATED: replicate_user,
    EventType.USER_UPDATED: replicate_user,
    EventType.USER_DEACTIVATED: replicate_user,
    EventType.EXPERIENCE_PUBLISHED: notify_publication,
    EventType.EXPERIENCE_REASSIGNED: notify_reassignment,
    EventType.EXPERIENCE_REORIENTATION_DECLINED: notify_reorientation_declined,
    EventType.EXPERIENCE_REJECTED: notify_rejection,
    EventType.EXPERIENCE_RESPONSE_SUBMITTED: notify_response_to_validate,
    EventType.EXPERIENCE_ANSWERED: notify_answer,
    EventType.EXPERIENCE_EVALUATED: notify_evaluation,
    EventType.USER_INVITED: mail_invitation,
    EventType.USER_PASSWORD_RESET_REQUESTED: mail_password_reset,
})
