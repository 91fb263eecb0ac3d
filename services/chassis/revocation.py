"""Ended sessions and deactivated accounts are refused at once, not when their 15-minute tokens
expire.

Each service that checks tokens keeps `revoked_users`, fed by identity's events. Its key column
holds three kinds of entries (one table, so no service needs a migration for them):

- `<user id>`: the account was deactivated at `revoked_at`; its tokens issued at or before that
  moment are refused (401 `account_disabled`). A newer event showing the account active again
  turns it into the next kind: a reactivation does not revive the old tokens.
- `nbf:<user id>`: the account was deactivated and reactivated since; its tokens issued at or
  before the deactivation stay refused (401 `session_revoked`). Only tokens without a session
  need it: identity ended every session at the deactivation, and revoked their `sid`s.
- `sid:<session id>`: the session ended (`user.sessions_revoked`: logout, new password,
  deactivation, fewer rights, a refresh token used twice); every access token carrying that
  `sid` is refused (401 `session_revoked`). Kept for `SESSION_KEEP`, longer than those tokens
  live, then purged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.chassis.catalogue import EventType
from services.chassis.db import LIKE_ESCAPE, UTCDateTime
from services.chassis.errors import ApiError
from services.chassis.events import Event

USER_EVENTS = (EventType.USER_CREATED, EventType.USER_UPDATED, EventType.USER_DEACTIVATED)
SESSION_EVENTS = (EventType.USER_SESSIONS_REVOKED,)
NOT_BEFORE = "nbf:"
SESSION = "sid:"
SESSION_KEEP = timedelta(hours=1)  # access tokens live 15 minutes

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


def _when(event: Event) -> datetime:
    return _aware(event.occurred_at).astimezone(UTC)  # SQLite keeps the wall time only


def _known(session: Session, key: str) -> datetime | None:
    found = session.execute(sa.select(_table.c.revoked_at).where(_table.c.user_id == key)).scalar()
    return _aware(found) if found is not None else None


def _keep_latest(session: Session, key: str, when: datetime) -> None:
    """Record `when` under `key`, unless a later moment is recorded already."""
    known = _known(session, key)
    if known is None:
        session.execute(sa.insert(_table).values(user_id=key, revoked_at=when))
    elif known < when:
        session.execute(sa.update(_table).where(_table.c.user_id == key).values(revoked_at=when))


def note_user(session: Session, event: Event, payload: dict) -> None:
    """Record a deactivation; when a newer event shows the account active, keep refusing the
    tokens issued before the deactivation, and only those."""
    user_id = str(payload["id"])
    when = _when(event)
    active = bool(payload.get("active")) and event.type != EventType.USER_DEACTIVATED
    if not active:
        _keep_latest(session, user_id, when)
        return
    deactivated_at = _known(session, user_id)
    if deactivated_at is not None and deactivated_at < when:
        _keep_latest(session, NOT_BEFORE + user_id, deactivated_at)
        session.execute(sa.delete(_table).where(_table.c.user_id == user_id))


def note_sessions(session: Session, event: Event, payload: dict) -> None:
    """Record ended sessions; forget those whose tokens have all expired."""
    when = _when(event)
    for session_id in dict.fromkeys(str(s) for s in payload["session_ids"]):
        _keep_latest(session, SESSION + session_id, when)
    session.execute(sa.delete(_table).where(
        _table.c.user_id.like(SESSION + "%", escape=LIKE_ESCAPE),
        _table.c.revoked_at < datetime.now(UTC) - SESSION_KEEP))


def with_revocation(handlers: dict) -> dict:
    """The service's handlers, with user and session events also keeping `revoked_users`."""
    merged = dict(handlers)
    for event_types, note in ((USER_EVENTS, note_user), (SESSION_EVENTS, note_sessions)):
        for event_type in event_types:
            own = handlers.get(event_type)

            def both(session, event, payload, own=own, note=note):
                note(session, event, payload)
                if own is not None:
                    own(session, event, payload)

            both.__name__ = getattr(own, "__name__", note.__name__)
            merged[event_type] = both
    return merged


# Built once: every authenticated request runs it, and a new select cost its cache key again.
_REVOKED = sa.select(_table.c.user_id, _table.c.revoked_at).where(_table.c.user_id.in_(
    [sa.bindparam("account"), sa.bindparam("not_before"), sa.bindparam("session")]))


def check(connection: sa.Connection, user_id: str, issued_at: int | float | None,
          session_id: str | None = None) -> None:
    """401 when the token's session ended, or the account was deactivated after (or when) this
    token was issued."""
    rows = dict(connection.execute(_REVOKED, {
        "account": user_id, "not_before": NOT_BEFORE + user_id,
        "session": SESSION + session_id if session_id else SESSION}).all())
    if not rows:
        return
    if session_id and SESSION + session_id in rows:
        raise ApiError(401, "session_revoked", "Votre session a pris fin. Veuillez vous reconnecter.")

    def before(key: str) -> bool:
        return key in rows and (issued_at is None
                                or float(issued_at) <= _aware(rows[key]).timestamp())

    if before(user_id):
        raise ApiError(401, "account_disabled", "Ce compte est désactivé.")
    # A token with a session was ended with it at the deactivation: its `sid` says so, with no
    # clock to compare (a login in the same second as the deactivation is not caught).
    if not session_id and before(NOT_BEFORE + user_id):
        raise ApiError(401, "session_revoked", "Votre session a pris fin. Veuillez vous reconnecter.")
