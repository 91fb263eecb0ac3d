"""The idempotent event consumer (kombu): topology, inbox, retries with back-off, dead letters.

Topology per service `<prefix>.<service>`:
- a durable quorum queue bound to `spp.events` for each handled type, with an explicit delivery
  limit and a dead-letter exchange (what crashes a worker repeatedly ends in the DLQ too);
- retry queues `<queue>.retry.<ms>` whose TTL sends a message back to the main queue;
- the DLQ `<queue>.dlq`, where a message lands with `x-spp-reason` after the last attempt, or at
  once when its envelope is invalid.

Messages that arrive together are handled together: one transaction (and one commit) for up to
`batch_size` events, acknowledged after it commits. If any of them fails, nothing of that
transaction is kept and each is handled again alone, so only the failing one is retried.
"""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count

import sqlalchemy as sa
from kombu import Connection, Exchange, Producer, Queue, binding
from kombu.mixins import ConsumerMixin
from sqlalchemy.orm import Session

from services.chassis.context import reset_correlation_id, set_correlation_id
from services.chassis.db import Database
from services.chassis.events import Event, InvalidEvent, parse_event

log = logging.getLogger(__name__)

Handler = Callable[[Session, Event, dict], None]

_inbox = sa.table("inbox", sa.column("event_id"), sa.column("event_type"), sa.column("handled_at"))
# Built once (their cache keys are memoized on the objects): one of each per event handled.
_HANDLED = sa.select(_inbox.c.event_id).where(_inbox.c.event_id == sa.bindparam("event_id"))
_HANDLED_AMONG = sa.select(_inbox.c.event_id).where(
    _inbox.c.event_id.in_(sa.bindparam("event_ids", expanding=True)))
_RECORD = sa.insert(_inbox)

ATTEMPTS_HEADER = "x-spp-attempts"
REASON_HEADER = "x-spp-reason"
ROUTING_KEY_HEADER = "x-spp-routing-key"


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
                "x-message-ttl": ms,
                "x-dead-letter-exchange": "",  # back to the main queue through the default exchange
                "x-dead-letter-routing-key": queue_name,
            })
            for ms in sorted(set(retry_delays_ms))
        }
        return cls(exchange, dlx, queue, dlq, retry_queues)

    def declare(self, channel) -> None:
        self.exchange.bind(channel).declare()
        self.dlx.bind(channel).declare()
        self.dlq.bind(channel).declare()
        self.queue.bind(channel).declare()
        for q in self.retry_queues.values():
            q.bind(channel).declare()


def log_safe(exc: BaseException) -> str:
    """An exception for the logs: its type and first line only. Database errors go on with the
    offending row's values (DETAIL, [parameters: …]), which may be personal data."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:300] if lines else ''}"


def already_handled(session: Session, event_id: str) -> bool:
    return session.execute(_HANDLED, {"event_id": event_id}).first() is not None


class EventConsumer(ConsumerMixin):
    def __init__(self, connection: Connection, db: Database, handlers: dict[str, Handler],
                 topology: Topology, max_attempts: int = 5, prefetch: int = 100,
                 retry_delays_ms: tuple[int, ...] = (500, 2000, 10000, 30000),
                 batch_size: int = 50):
        self.connection = connection
        self.db = db
        self.handlers = {str(k): v for k, v in handlers.items()}
        self.topology = topology
        self.max_attempts = max_attempts
        self.prefetch = prefetch
        self.retry_delays_ms = tuple(retry_delays_ms) or (1000,)
        self.batch_size = max(1, min(batch_size, prefetch))
        self.handled = 0  # for tests and metrics
        self.batches = 0  # transactions that committed more than one event
        self._received: list = []

    def get_consumers(self, Consumer, channel):
        self.topology.declare(channel)
        self._producer = Producer(channel)
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
                self.handle_received()
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
                self._send(message, self.topology.dlq.name,
                           {REASON_HEADER: f"invalid: {exc}"[:1000]})
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
                self._send(message, self.topology.dlq.name,
                           {ATTEMPTS_HEADER: attempts, REASON_HEADER: reason})
            else:
                delay = self.retry_delays_ms[min(attempts - 1, len(self.retry_delays_ms) - 1)]
                log.warning("event %s (%s) failed, retry %d in %d ms: %s\n%s", event.id,
                            event.type, attempts, delay, summary,
                            "".join(traceback.format_tb(exc.__traceback__, limit=-3)))
                self._send(message, self.topology.retry_queues[delay].name,
                           {ATTEMPTS_HEADER: attempts, REASON_HEADER: reason})
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

    def _send(self, message, queue_name: str, extra_headers: dict) -> None:
        headers = dict(message.headers or {})
        headers.update(extra_headers)
        headers.setdefault(ROUTING_KEY_HEADER, message.delivery_info.get("routing_key"))
        props = message.properties or {}
        self._producer.publish(
            message.body, exchange="", routing_key=queue_name, headers=headers,
            content_type=message.content_type or "application/json",
            content_encoding=message.content_encoding or "utf-8",
            delivery_mode=2, message_id=props.get("message_id"),
            correlation_id=props.get("correlation_id"), type=props.get("type"),
            retry=True,
        )


def open_connection(amqp_url: str, heartbeat: int = 60, timeout: float = 10.0) -> Connection:
    return Connection(amqp_url, heartbeat=heartbeat, connect_timeout=timeout,
                      transport_options={"confirm_publish": True})


def broker_reachable(amqp_url: str, timeout: float = 1.0) -> bool:
    """A TCP check: web workers never open AMQP connections."""
    conn = Connection(amqp_url)
    host, port = conn.hostname or "127.0.0.1", conn.port or 5672
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
