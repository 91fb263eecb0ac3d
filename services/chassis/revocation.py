"""Deactivated accounts are refused at once, not when their 15-minute token expires.

Each service that checks tokens keeps `revoked_users` from identity's user events: a
deactivation records when it happened; a later event showing the account active again removes
it. A token issued at or before that moment is refused with a 401, whatever its `exp`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.chassis.catalogue import EventType
from services.chassis.db import UTCDateTime
from services.chassis.errors import ApiError
from services.chassis.events import Event

USER_EVENTS = (EventType.USER_CREATED, EventType.USER_UPDATED, EventType.USER_DEACTIVATED)

_table = sa.table("revoked_users", sa.column("user_id", sa.String),
                  sa.column("revoked_at", UTCDateTime()))


def add_revocation_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "revoked_users",
        metadata,
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=False),
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def note_user(session: Session, event: Event, payload: dict) -> None:
    """Record a deactivation, or forget it when a newer event shows the account active."""
    user_id = str(payload["id"])
    when = _aware(event.occurred_at).astimezone(UTC)  # SQLite keeps the wall time only
    known = session.execute(sa.select(_table.c.revoked_at).where(
        _table.c.user_id == user_id)).scalar()
    active = bool(payload.get("active")) and event.type != EventType.USER_DEACTIVATED
    if not active:
        if known is None:
            session.execute(sa.insert(_table).values(user_id=user_id, revoked_at=when))
        elif _aware(known) < when:
            session.execute(sa.update(_table).where(_table.c.user_id == user_id)
                            .values(revoked_at=when))
    elif known is not None and _aware(known) < when:
        session.execute(sa.delete(_table).where(_table.c.user_id == user_id))


def with_revocation(handlers: dict) -> dict:
    """The service's handlers, with user events also keeping `revoked_users` up to date."""
    merged = dict(handlers)
    for event_type in USER_EVENTS:
        own = handlers.get(event_type)

        def both(session, event, payload, own=own):
            note_user(session, event, payload)
            if own is not None:
                own(session, event, payload)

        both.__name__ = getattr(own, "__name__", "note_user")
        merged[event_type] = both
    return merged


# Built once: every authenticated request runs it, and a new select cost its cache key again.
_REVOKED_AT = sa.select(_table.c.revoked_at).where(_table.c.user_id == sa.bindparam("user_id"))


def check(connection: sa.Connection, user_id: str, issued_at: int | float | None) -> None:
    """401 when the account was deactivated after (or when) this token was issued."""
    revoked_at = connection.execute(_REVOKED_AT, {"user_id": user_id}).scalar()
    if revoked_at is None:
        return
    if issued_at is None or float(issued_at) <= _aware(revoked_at).timestamp():
        raise ApiError(401, "account_disabled", "Ce compte est désactivé.")
