"""The outbox relay: publishes committed events with pipelined confirms, then marks them sent.

Batches are locked with FOR UPDATE SKIP LOCKED on `published_at IS NULL`, so any number of relays
can share one outbox without publishing an event twice and without an `id > last` cursor that
would skip a row committed late by a slower transaction.

A row that cannot be published (its body cannot be encoded, a property would not fit AMQP, or the
broker refuses the message itself) is moved to the `outbox_quarantine` table with its reason, and
the rows behind it go on: one bad row must not hold back a service's every event. When the broker
refuses a batch, its rows are published again one by one to find the culprit; a broker that does
not answer, or refuses everything (no exchange, no right), quarantines nothing. Once the broker has
confirmed an event, the payload fields that the catalogue marks secret are blanked in the outbox.
`python -m services.chassis.deadletter` lists, shows and retries the quarantine.
"""

from __future__ import annotations

import json
import logging
import select
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pika.exceptions
import sqlalchemy as sa

from services.chassis.amqp import Message, PipelinedPublisher, PublishError
from services.chassis.db import QUARANTINE_TABLE, Database, UTCDateTime, is_postgres
from services.chassis.events import (
    OUTBOX_CHANNEL,
    PURGED,
    SECRET_TYPES,
    envelope_json,
    purge_secrets,
    secret_fields,
)

log = logging.getLogger(__name__)

_outbox = sa.table(
    "outbox",
    sa.column("id"),
    sa.column("event_id"),
    sa.column("event_type"),
    sa.column("body"),
    sa.column("created_at"),
    sa.column("published_at"),
    sa.column("attempts"),
)
_quarantine = sa.table(
    QUARANTINE_TABLE,
    sa.column("id"),
    sa.column("outbox_id"),
    sa.column("event_id"),
    sa.column("event_type"),
    sa.column("body"),
    sa.column("created_at"),
    sa.column("quarantined_at"),
    sa.column("reason"),
)
_MARK_PUBLISHED = (sa.update(_outbox).where(_outbox.c.id.in_(sa.bindparam("ids", expanding=True)))
                   .values(published_at=sa.bindparam("at"), attempts=_outbox.c.attempts + 1))
_PURGE = (sa.update(_outbox).where(_outbox.c.id == sa.bindparam("row_id"))
          .values(body=sa.bindparam("purged_body")))
# Copied in the database: a body the broker found too large need not travel through Python again.
_QUARANTINE = sa.insert(_quarantine).from_select(
    ["outbox_id", "event_id", "event_type", "body", "created_at", "quarantined_at", "reason"],
    sa.select(_outbox.c.id, _outbox.c.event_id, _outbox.c.event_type, _outbox.c.body,
              _outbox.c.created_at, sa.bindparam("at", type_=UTCDateTime()),
              sa.bindparam("reason", type_=sa.Text()))
    .where(_outbox.c.id == sa.bindparam("row_id")))
_FORGET = sa.delete(_outbox).where(_outbox.c.id.in_(sa.bindparam("ids", expanding=True)))
# After a NOTIFY, the events that commit within this window leave in the same batch: fewer
# transactions and broker confirms under load, for a few milliseconds of latency.
COALESCE_S = 0.01
SQLITE_POLL = 0.05  # SQLite has no NOTIFY: a cheap look for commits this often keeps latency low
# The LISTEN connection only receives: a TLS proxy or a firewall in front of PostgreSQL closes a
# connection that sends nothing for a while, so the listener says something this often.
LISTENER_KEEPALIVE_S = 10.0
AMQP_SHORTSTR = 255  # bytes: the most an AMQP property such as correlation_id may hold
# What the broker answers about one message (AMQP reply codes): PRECONDITION_FAILED (a body over
# its max_message_size), FRAME_ERROR, SYNTAX_ERROR. NOT_FOUND (no exchange), ACCESS_REFUSED and
# the like would refuse every message alike: then the relay waits and quarantines nothing.
MESSAGE_REFUSALS = frozenset({406, 501, 502})
MAX_REASON = 2000


class Unpublishable(Exception):
    """A row that cannot become an AMQP message; the text is its reason, free of its values."""


class _Publisher(PipelinedPublisher):
    """Remembers why the broker closed the channel or the connection over a message."""

    refusal: str | None = None

    def _on_channel_closed(self, channel, reason):
        self._note(reason)
        super()._on_channel_closed(channel, reason)

    def _on_close(self, conn, reason):
        self._note(reason)
        super()._on_close(conn, reason)

    def _note(self, reason) -> None:
        if isinstance(reason, (pika.exceptions.ChannelClosedByBroker,
                               pika.exceptions.ConnectionClosedByBroker)) \
                and reason.reply_code in MESSAGE_REFUSALS and self.refusal is None:
            self.refusal = f"{reason.reply_code} {reason.reply_text}"


class OutboxRelay:
    def __init__(self, db: Database, amqp_url: str, exchange: str, batch_size: int = 500,
                 poll_interval: float = 0.5, confirm_timeout: float = 10.0,
                 heartbeat: Callable[[], None] | None = None):
        self.db = db
        self.heartbeat = heartbeat  # after each look into the outbox (services.chassis.alive)
        self.amqp_url = amqp_url
        self.exchange = exchange
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.confirm_timeout = confirm_timeout
        self._publisher: _Publisher | None = None
        self._next_node = 0  # where the next connection begins in AMQP_URL's list of nodes
        self._listener = None
        self._listener_spoke = 0.0  # monotonic time of the listener's last statement
        # Built once: a statement's cache key is memoized on it (a new select per poll cost its
        # key each time, most of what an idle worker spent).
        self._due = (sa.select(_outbox.c.id, _outbox.c.event_id, _outbox.c.event_type,
                               _outbox.c.body)
                     .where(_outbox.c.published_at.is_(None))
                     .order_by(_outbox.c.id)
                     .limit(batch_size)
                     .with_for_update(skip_locked=True))
        self._seen_version = None

    def _get_publisher(self) -> _Publisher:
        if self._publisher is None or self._publisher.broken:
            if self._publisher is not None:
                # AMQP_URL may list several nodes: begin after the one whose connection broke
                # (a crashed host may take a whole connect timeout to refuse).
                self._next_node = (self._publisher.node or 0) + 1
                self._publisher.close()
            self._publisher = None  # a failed connection must not leave the old refusal behind
            self._publisher = _Publisher(self.amqp_url, confirm_timeout=self.confirm_timeout,
                                         first_node=self._next_node)
        return self._publisher

    def run_once(self) -> int:
        """Publish one batch; returns how many rows left the outbox (published or quarantined).

        What was published or quarantined before a broker failure is recorded, then the failure
        is raised (the caller backs off)."""
        failure: PublishError | None = None
        with self.db.transaction() as session:
            rows = session.execute(self._due).all()
            if not rows:
                return 0
            ready, refused = [], []
            for row in rows:
                try:
                    ready.append(self._message(row))
                except Unpublishable as exc:
                    refused.append((row, str(exc)))
            published, more, failure = self._publish(ready)
            refused += more
            if published:
                self._mark_published(session, published)
            if refused:
                self._quarantine(session, refused)
        if failure is not None:
            raise failure
        return len(published) + len(refused)

    def _message(self, row) -> tuple:
        """(row, message, secret fields) for a row, or Unpublishable."""
        try:
            envelope = json.loads(row.body)
        except (ValueError, RecursionError) as exc:
            raise Unpublishable(f"body is not JSON ({type(exc).__name__} at "
                                f"{getattr(exc, 'pos', '?')})") from None
        if not isinstance(envelope, dict):
            raise Unpublishable("body is not a JSON object")
        if envelope.get(PURGED):
            raise Unpublishable(f"secret fields {envelope[PURGED]} were purged after the first "
                                "delivery: this copy cannot be published again")
        correlation_id = envelope.get("correlation_id")
        if correlation_id is not None and not (
                isinstance(correlation_id, str)
                and len(correlation_id.encode("utf-8", "replace")) <= AMQP_SHORTSTR):
            raise Unpublishable(f"correlation_id does not fit an AMQP property "
                                f"({len(str(correlation_id))} characters, {AMQP_SHORTSTR} "
                                f"bytes at most)")
        try:
            body = row.body.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Unpublishable(f"body cannot be encoded in UTF-8 (character {exc.start})") from None
        secrets = secret_fields(envelope) if row.event_type in SECRET_TYPES else frozenset()
        return row, Message(exchange=self.exchange, routing_key=row.event_type, body=body,
                            message_id=row.event_id, type=row.event_type,
                            correlation_id=correlation_id), secrets

    def _publish(self, ready: list[tuple]) -> tuple[list, list, PublishError | None]:
        """(published, refused with reasons, a failure that stopped the rest)."""
        if not ready:
            return [], [], None
        try:
            self._unroutable(self._get_publisher().publish_batch([m for _, m, _ in ready]))
            return ready, [], None
        except PublishError as exc:
            if not self._refused():
                return [], [], exc
            log.warning("the broker refused a batch of %d event(s) (%s): publishing them one "
                        "by one", len(ready), self._publisher.refusal)
        published, refused = [], []
        for item in ready:
            try:
                self._unroutable(self._get_publisher().publish_batch([item[1]]))
            except PublishError as exc:
                if not self._refused():
                    return published, refused, exc
                refused.append((item[0], f"refused by the broker: {self._publisher.refusal}"))
                continue
            published.append(item)
        return published, refused, None

    def _refused(self) -> bool:
        return self._publisher is not None and self._publisher.refusal is not None

    def _unroutable(self, returned: set[str]) -> None:
        for event_id in returned:
            # Nobody subscribes to this type yet: not an error, but worth seeing.
            log.warning("event %s was unroutable on %s", event_id, self.exchange)

    @staticmethod
    def _mark_published(session, published: list[tuple]) -> None:
        session.execute(_MARK_PUBLISHED, {"ids": [row.id for row, _, _ in published],
                                          "at": datetime.now(UTC)})
        purged = [{"row_id": row.id, "purged_body": purge_secrets(row.body, secrets)}
                  for row, _, secrets in published if secrets]
        if purged:  # the broker has it: the link's token needs no copy here any more
            session.execute(_PURGE, purged)

    @staticmethod
    def _quarantine(session, refused: list[tuple]) -> None:
        now = datetime.now(UTC)
        for row, reason in refused:
            log.error("outbox row %s (%s, event %s) quarantined: %s", row.id, row.event_type,
                      row.event_id, reason)
        session.execute(_QUARANTINE, [{"row_id": row.id, "at": now, "reason": reason[:MAX_REASON]}
                                      for row, reason in refused])
        session.execute(_FORGET, {"ids": [row.id for row, _ in refused]})

    def _wait(self, timeout: float) -> None:
        """Sleep until a NOTIFY from a committing transaction (PostgreSQL) or the timeout."""
        if not is_postgres(self.db.engine):
            self._wait_sqlite(timeout)
            return
        try:
            if self._listener is None:
                self._listener = self.db.engine.raw_connection()
                self._listener.driver_connection.autocommit = True
                self._listener.driver_connection.execute(f"LISTEN {OUTBOX_CHANNEL}")
                self._listener_spoke = time.monotonic()
            conn = self._listener.driver_connection
            deadline = time.monotonic() + timeout
            while True:
                keepalive = self._listener_spoke + LISTENER_KEEPALIVE_S
                ready, _, _ = select.select([conn.pgconn.socket], [], [],
                                            max(0.0, min(deadline, keepalive) - time.monotonic()))
                if ready:
                    time.sleep(COALESCE_S)
                    conn.pgconn.consume_input()
                    while conn.pgconn.notifies() is not None:
                        pass
                if time.monotonic() >= keepalive:
                    conn.execute("SELECT 1")
                    self._listener_spoke = time.monotonic()
                if ready or time.monotonic() >= deadline:
                    return
        except Exception as exc:
            log.warning("outbox listener failed, polling instead: %s", exc)
            self._close_listener()
            time.sleep(timeout)

    def _wait_sqlite(self, timeout: float) -> None:
        """Sleep until another connection commits to the database file, or the timeout.

        `PRAGMA data_version` changes when any other connection has committed: reading it costs
        less than a look into the outbox, a whole transaction, so an idle relay takes little CPU.
        The timeout still polls, whatever the version says.
        """
        deadline = time.monotonic() + timeout
        try:
            if self._listener is None:
                self._listener = self.db.engine.raw_connection()
            while True:
                time.sleep(min(SQLITE_POLL, max(0.0, deadline - time.monotonic())))
                (version,) = self._listener.driver_connection.execute(
                    "PRAGMA data_version").fetchone()
                changed, self._seen_version = version != self._seen_version, version
                if changed or time.monotonic() >= deadline:
                    return
        except Exception as exc:
            log.warning("outbox watch failed, polling instead: %s", exc)
            self._close_listener()

    def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.invalidate()
            except Exception:
                pass
            self._listener = None

    def run_forever(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                n = self.run_once()
                backoff = 0.5
                if self.heartbeat is not None:
                    self.heartbeat()
                if n < self.batch_size:
                    self._wait(self.poll_interval)
            except (PublishError, sa.exc.OperationalError) as exc:
                log.warning("relay paused %.1fs: %s", backoff, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, 10)
            except Exception:  # a bug must not end the thread: nothing would ever leave again
                log.exception("relay failed, paused %.1fs", backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 10)
        self.close()

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        self._close_listener()


# The quarantine, for `python -m services.chassis.deadletter` ----------------------------------
_QUARANTINED = (sa.select(_quarantine.c.id, _quarantine.c.outbox_id, _quarantine.c.event_id,
                          _quarantine.c.event_type, _quarantine.c.body, _quarantine.c.created_at,
                          _quarantine.c.quarantined_at, _quarantine.c.reason)
                .order_by(_quarantine.c.id))


def quarantined(db: Database, limit: int = 100, row_id: int | None = None) -> list:
    """Quarantined rows, in the order they were set aside (or the one `row_id`)."""
    query = _QUARANTINED if row_id is None else _QUARANTINED.where(_quarantine.c.id == row_id)
    with db.engine.connect() as conn:
        return conn.execute(query.limit(limit)).all()


def retry_quarantined(db: Database, row_id: int, new_correlation_id: bool = False) -> str | None:
    """Put a quarantined row back in the outbox, behind the rows waiting there; returns its event
    id (None if no such row). `new_correlation_id` replaces one the broker could not carry."""
    with db.transaction() as session:
        row = session.execute(_QUARANTINED.where(_quarantine.c.id == row_id)
                              .with_for_update()).first()
        if row is None:
            return None
        body = row.body
        if new_correlation_id:
            envelope = json.loads(body)
            envelope["correlation_id"] = str(uuid.uuid4())
            body = envelope_json(envelope)
        session.execute(sa.insert(_outbox).values(
            event_id=row.event_id, event_type=row.event_type, body=body,
            created_at=row.created_at, attempts=0))
        session.execute(sa.delete(_quarantine).where(_quarantine.c.id == row_id))
        if is_postgres(session):
            session.execute(sa.text(f"NOTIFY {OUTBOX_CHANNEL}"))
    return row.event_id


def discard_quarantined(db: Database, row_id: int) -> bool:
    """Delete a quarantined row for good (an event nobody should receive any more)."""
    with db.transaction() as session:
        deleted = session.execute(sa.delete(_quarantine).where(_quarantine.c.id == row_id))
    return deleted.rowcount == 1
