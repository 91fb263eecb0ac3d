"""The idempotent event consumer (kombu): topology, inbox, retries with back-off, dead letters.

Topology per service `<prefix>.<service>`:
- a durable quorum queue bound to `spp.events` for each handled type, with an explicit delivery
  limit and a dead-letter exchange (what crashes a worker repeatedly ends in the DLQ too);
- retry queues `<queue>.retry.<ms>` whose TTL sends a message back to the main queue;
- the DLQ `<queue>.dlq`, where a message lands with `x-spp-reason` after the last attempt, or at
  once when its envelope is invalid.
All are quorum queues: replicated on every node of a cluster (services/chassis/topology.py
replaces the classic retry queues of earlier versions).

A copy sent to a retry queue or to the DLQ is published `mandatory` and confirmed before the
original is acknowledged: if the broker cannot take it (no such queue, a nack), the original is
not acknowledged but delivered again, never lost.

Messages that arrive together are handled together: one transaction (and one commit) for up to
`batch_size` events, acknowledged after it commits. If any of them fails, nothing of that
transaction is kept and each is handled again alone, so only the failing one is retried. A
handler with CPU work to do before it writes is a `Prepared`: that work runs for the whole batch
before the transaction opens.
"""

from __future__ import annotations

import logging
import socket
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any

import sqlalchemy as sa
from amqp.exceptions import ConnectionError as AMQPConnectionError
from amqp.exceptions import MessageNacked, PreconditionFailed
from kombu import Connection, Exchange, Producer, Queue, binding
from kombu.mixins import ConsumerMixin
from sqlalchemy.orm import Session

from services.chassis.context import reset_correlation_id, set_correlation_id
from services.chassis.db import Database
from services.chassis.events import Event, InvalidEvent, parse_event
from services.chassis.logs import log_safe

log = logging.getLogger(__name__)

Handler = Callable[[Session, Event, dict], None]


class Prepared:
    """A handler in two steps: `prepare(event, payload)` works without the database, then
    `apply(session, event, payload, prepared)` reads and writes with what it returned.

    A batch prepares all its events before it opens its transaction. On SQLite a transaction
    holds the database's write lock from its first write until it commits, and the web
    process's writes wait for it meanwhile: the lock is no longer held while the CPU works.
    Called as a plain handler (an event handled alone), it prepares, then applies."""

    def __init__(self, prepare: Callable[[Event, dict], Any],
                 apply: Callable[[Session, Event, dict, Any], None]):
        self.prepare, self.apply = prepare, apply
        self.__name__ = apply.__name__

    def __call__(self, session: Session, event: Event, payload: dict) -> None:
        self.apply(session, event, payload, self.prepare(event, payload))


_inbox = sa.table("inbox", sa.column("event_id"), sa.column("event_type"), sa.column("handled_at"))
# Built once (their cache keys are memoized on the objects): one of each per event handled.
_HANDLED = sa.select(_inbox.c.event_id).where(_inbox.c.event_id == sa.bindparam("event_id"))
_HANDLED_AMONG = sa.select(_inbox.c.event_id).where(
    _inbox.c.event_id.in_(sa.bindparam("event_ids", expanding=True)))
_RECORD = sa.insert(_inbox)

ATTEMPTS_HEADER = "x-spp-attempts"
REASON_HEADER = "x-spp-reason"
ROUTING_KEY_HEADER = "x-spp-routing-key"


class CopyRefused(AMQPConnectionError):
    """The broker nacked a copy to a retry queue or the DLQ: the consumer reconnects (kombu's
    loop catches connection errors), and the original, unacknowledged, is delivered again."""


@dataclass(frozen=True)
class Topology:
    exchange: Exchange
    dlx: Exchange
    queue: Queue
    dlq: Queue
    retry_queues: dict[int, Queue]

    @classmethod
    def build(cls, exchange_name: str, queue_name: str, event_types: list[str],
              retry_delays_ms: tuple[int, ...], delivery_limit: int = 10) -> Topology:
        exchange = Exchange(exchange_name, type="topic", durable=True)
        dlx = Exchange(f"{exchange_name}.dlx", type="direct", durable=True)
        dlq = Queue(f"{queue_name}.dlq", exchange=dlx, routing_key=queue_name, durable=True,
                    queue_arguments={"x-queue-type": "quorum"})
        queue = Queue(
            queue_name,
            bindings=[binding(exchange, routing_key=t) for t in sorted(event_types)],
            durable=True,
            queue_arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": delivery_limit,
                "x-dead-letter-exchange": dlx.name,
                "x-dead-letter-routing-key": queue_name,
            },
        )
        retry_queues = {
            ms: Queue(f"{queue_name}.retry.{ms}", durable=True, queue_arguments={
                # Replicated like the others: a classic queue lives on one node, and while that
                # node is away no consumer can declare its topology (docs/cluster.md).
                "x-queue-type": "quorum",
                "x-message-ttl": ms,  # quorum queues expire messages since RabbitMQ 3.10
                "x-dead-letter-exchange": "",  # back to the main queue through the default exchange
                "x-dead-letter-routing-key": queue_name,
                # Expired messages leave only once the main queue has confirmed them (a quorum
                # queue's default, at-most-once, could drop one on the way); the strategy needs
                # reject-publish.
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            })
            for ms in sorted(set(retry_delays_ms))
        }
        return cls(exchange, dlx, queue, dlq, retry_queues)

    def declare(self, channel, retry_queues: bool = True) -> None:
        self.exchange.bind(channel).declare()
        self.dlx.bind(channel).declare()
        self.dlq.bind(channel).declare()
        self.queue.bind(channel).declare()
        if retry_queues:
            for q in self.retry_queues.values():
                q.bind(channel).declare()


def already_handled(session: Session, event_id: str) -> bool:
    return session.execute(_HANDLED, {"event_id": event_id}).first() is not None


class EventConsumer(ConsumerMixin):
    def __init__(self, connection: Connection, db: Database, handlers: dict[str, Handler],
                 topology: Topology, max_attempts: int = 5, prefetch: int = 100,
                 retry_delays_ms: tuple[int, ...] = (500, 2000, 10000, 30000),
                 batch_size: int = 50, confirm_timeout: float = 10.0,
                 requeue_pause: float = 1.0, heartbeat: Callable[[], None] | None = None):
        self.connection = connection
        self.heartbeat = heartbeat  # called on each turn of the loop (services.chassis.alive)
        self.db = db
        self.handlers = {str(k): v for k, v in handlers.items()}
        self.topology = topology
        self.max_attempts = max_attempts
        self.prefetch = prefetch
        self.retry_delays_ms = tuple(retry_delays_ms) or (1000,)
        self.batch_size = max(1, min(batch_size, prefetch))
        self.confirm_timeout = confirm_timeout  # for a copy to a retry queue or the DLQ
        self.requeue_pause = requeue_pause  # before an original goes back (its copy refused)
        self.handled = 0  # for tests and metrics
        self.batches = 0  # transactions that committed more than one event
        self.refused_copies = 0  # copies to a retry queue or the DLQ the broker refused
        self._received: list = []
        self._returned: str | None = None

    def get_consumers(self, Consumer, channel):
        try:
            self.topology.declare(channel)
        except PreconditionFailed as exc:
            log.error("the broker holds this service's queues with other arguments (%s): run "
                      "`python -m services.chassis.topology` (make up and the compose migrate "
                      "job do) before the workers", exc)
            raise
        self._producer = Producer(channel, on_return=self._on_return)
        consumer = Consumer(queues=[self.topology.queue], on_message=self.on_message,
                            auto_declare=False, prefetch_count=self.prefetch)
        return [consumer]

    @contextmanager
    def establish_connection(self):
        # kombu's default back-off grows to 30 s: after a broker restart the consumer would sit
        # idle that long. Retry every second, then at most every 5 s.
        with self.create_connection() as conn:
            conn.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                   interval_start=1, interval_step=1, interval_max=5)
            yield conn

    def on_iteration(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat()

    def on_connection_error(self, exc, interval):
        log.warning("broker connection lost (%s), retrying in %ss", exc, interval)

    def consume(self, limit=None, timeout=None, safety_interval=1, **kwargs):
        """kombu's loop, plus: after a delivery, take what has already arrived, then handle it."""
        elapsed = 0
        with self.consumer_context(**kwargs) as (conn, _channel, _consumers):
            for _ in limit and range(limit) or count():
                if self.should_stop:
                    break
                self.on_iteration()
                try:
                    conn.drain_events(timeout=safety_interval)
                except TimeoutError:
                    conn.heartbeat_check()
                    elapsed += safety_interval
                    if timeout and elapsed >= timeout:
                        raise
                    continue
                except OSError:
                    self._received.clear()  # unacknowledged: the broker delivers them again
                    if not self.should_stop:
                        raise
                    continue
                try:
                    while len(self._received) < self.batch_size:
                        conn.drain_events(timeout=0.002)
                except TimeoutError:
                    pass
                except OSError:
                    self._received.clear()
                    raise
                try:
                    self.handle_received()
                except Exception:
                    # Going to reconnect: what arrived meanwhile is delivered again on the new
                    # channel, where these messages' delivery tags mean nothing.
                    self._received.clear()
                    raise
                elapsed = 0
                yield

    def on_message(self, message) -> None:
        self._received.append(message)
        if len(self._received) >= self.prefetch:
            self.handle_received()  # never sit on more than the broker lets us hold

    def handle_received(self) -> None:
        received, self._received = self._received, []
        ready = []
        for message in received:
            try:
                event, payload = parse_event(message.body)
            except InvalidEvent as exc:
                # The reason names fields and rules, never their values (events.parse_event).
                log.error("malformed message %s to the dead-letter queue: %s",
                          message.properties.get("message_id", "-"), str(exc)[:300])
                if self._send(message, self.topology.dlq.name,
                              {REASON_HEADER: f"invalid: {exc}"[:1000]}):
                    message.ack()
                continue
            handler = self.handlers.get(event.type)
            if handler is None:
                message.ack()
                continue
            ready.append((message, handler, event, payload))
        if len(ready) > 1 and self._handle_together(ready):
            return
        for item in ready:
            self._handle_alone(*item)

    def _handle_together(self, ready: list) -> bool:
        """All in one transaction; False (and nothing kept) if any of them fails.

        The inbox is read and written once for the batch (one select, one multi-row insert)
        rather than twice per event."""
        try:
            prepared = {event.id: handler.prepare(event, payload)
                        for _message, handler, event, payload in ready
                        if isinstance(handler, Prepared)}
            with self.db.transaction() as session:
                seen = set(session.execute(
                    _HANDLED_AMONG, {"event_ids": [event.id for _, _, event, _ in ready]}
                ).scalars())
                handled = []
                for _message, handler, event, payload in ready:
                    if event.id in seen:
                        continue  # handled before, or earlier in this batch
                    seen.add(event.id)
                    token = set_correlation_id(event.correlation_id)
                    try:
                        if event.id in prepared:
                            handler.apply(session, event, payload, prepared[event.id])
                        else:
                            handler(session, event, payload)
                    finally:
                        reset_correlation_id(token)
                    handled.append(event)
                if handled:
                    now = datetime.now(UTC)
                    session.execute(_RECORD, [{"event_id": e.id, "event_type": e.type,
                                               "handled_at": now} for e in handled])
        except Exception as exc:
            log.info("batch of %d events rolled back (%s): handling each alone",
                     len(ready), log_safe(exc))
            return False
        # One acknowledgement for the batch: every earlier delivery on this channel was handled
        # (and acknowledged) before it, in order, so `multiple` covers exactly these messages.
        ready[-1][0].ack(multiple=True)
        self.handled += len(ready)
        self.batches += 1
        return True

    def _handle_alone(self, message, handler: Handler, event: Event, payload: dict) -> None:
        headers = message.headers or {}
        token = set_correlation_id(event.correlation_id)
        try:
            self.handle(handler, event, payload)
        except Exception as exc:
            attempts = int(headers.get(ATTEMPTS_HEADER, 0)) + 1
            reason = f"{type(exc).__name__}: {exc}"[:1000]  # in the DLQ, beside the payload
            summary = log_safe(exc)
            if attempts >= self.max_attempts:
                log.error("event %s (%s) dead-lettered after %d attempts: %s",
                          event.id, event.type, attempts, summary)
                sent = self._send(message, self.topology.dlq.name,
                                  {ATTEMPTS_HEADER: attempts, REASON_HEADER: reason})
            else:
                delay = self.retry_delays_ms[min(attempts - 1, len(self.retry_delays_ms) - 1)]
                log.warning("event %s (%s) failed, retry %d in %d ms: %s\n%s", event.id,
                            event.type, attempts, delay, summary,
                            "".join(traceback.format_tb(exc.__traceback__, limit=-3)))
                sent = self._send(message, self.topology.retry_queues[delay].name,
                                  {ATTEMPTS_HEADER: attempts, REASON_HEADER: reason})
            if sent:
                message.ack()
        else:
            self.handled += 1
            message.ack()
        finally:
            reset_correlation_id(token)

    def handle(self, handler: Handler, event: Event, payload: dict) -> None:
        """Run the handler and record the event id in one transaction; a repeat changes nothing."""
        try:
            with self.db.transaction() as session:
                if already_handled(session, event.id):
                    return
                handler(session, event, payload)
                self._record(session, event)
        except sa.exc.IntegrityError:
            # A competing consumer handled the same event at the same moment.
            with self.db.transaction() as session:
                if already_handled(session, event.id):
                    return
            raise

    @staticmethod
    def _record(session: Session, event: Event) -> None:
        session.execute(_RECORD, {"event_id": event.id, "event_type": event.type,
                                  "handled_at": datetime.now(UTC)})

    def _send(self, message, queue_name: str, extra_headers: dict) -> bool:
        """Copy `message` to a retry queue or the DLQ; True once the broker has confirmed the
        copy into that queue, and only then may the original be acknowledged.

        - The copy is returned (`mandatory`: no such queue): the original goes back to its queue
          after a pause, to be delivered again; False.
        - The copy is nacked: the same, through a new connection (CopyRefused). A channel that
          first published to a quorum queue while it elected a leader may be nacked until the
          old leader's node returns (seen in the cluster test); a new channel is not.
        - No confirm in time, or the connection dropped: the error goes up, and the consumer
          reconnects.
        Whatever was not acknowledged is delivered again; each return counts towards the main
        queue's `x-delivery-limit`, past which the broker dead-letters the message itself."""
        headers = dict(message.headers or {})
        headers.update(extra_headers)
        headers.setdefault(ROUTING_KEY_HEADER, message.delivery_info.get("routing_key"))
        props = message.properties or {}
        self._returned = None
        try:
            # No `retry`: kombu would reconnect under this consumer, and the original's delivery
            # tag would then mean nothing (or another message) on the new channel.
            self._producer.publish(
                message.body, exchange="", routing_key=queue_name, headers=headers,
                content_type=message.content_type or "application/json",
                content_encoding=message.content_encoding or "utf-8",
                delivery_mode=2, message_id=props.get("message_id"),
                correlation_id=props.get("correlation_id"), type=props.get("type"),
                mandatory=True, confirm_timeout=self.confirm_timeout,
            )
        except MessageNacked:
            self.refused_copies += 1
            log.error("copy of message %s to %s nacked by the broker: reconnecting, the original "
                      "will be delivered again", props.get("message_id"), queue_name)
            time.sleep(self.requeue_pause)
            raise CopyRefused(f"copy to {queue_name} nacked") from None
        if self._returned is None:
            return True
        self.refused_copies += 1
        log.error("copy of message %s to %s returned by the broker (%s): the original goes back "
                  "to its queue", props.get("message_id"), queue_name, self._returned)
        time.sleep(self.requeue_pause)  # or the broker delivers it again at once, many times over
        message.requeue()
        return False

    def _on_return(self, exc, _exchange, routing_key, _message) -> None:
        """basic.return of a mandatory copy (before its confirm): remember why."""
        self._returned = f"{exc.reply_code} {exc.reply_text} ({routing_key})"


def open_connection(amqp_url: str, heartbeat: int = 60, timeout: float = 10.0) -> Connection:
    return Connection(amqp_url, heartbeat=heartbeat, connect_timeout=timeout,
                      transport_options={"confirm_publish": True})


def broker_addresses(amqp_url: str) -> list[tuple[str, int]]:
    """(host, port) of each node listed in AMQP_URL (one, or several separated by `;`)."""
    addresses = []
    for part in amqp_url.split(";"):
        if part.strip():
            conn = Connection(part.strip())  # parses only
            addresses.append((conn.hostname or "127.0.0.1", conn.port or 5672))
    return addresses


def _answers(address: tuple[str, int], timeout: float) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def broker_reachable(amqp_url: str, timeout: float = 1.0) -> bool:
    """A TCP check (web workers never open AMQP connections): True when any listed node
    answers. Several nodes are tried at once, so that a dead one costs no more than `timeout`."""
    addresses = broker_addresses(amqp_url)
    if len(addresses) <= 1:
        return bool(addresses) and _answers(addresses[0], timeout)
    pool = ThreadPoolExecutor(max_workers=len(addresses), thread_name_prefix="broker-check")
    try:
        futures = [pool.submit(_answers, address, timeout) for address in addresses]
        return any(future.result() for future in as_completed(futures))
    finally:
        pool.shutdown(wait=False)
