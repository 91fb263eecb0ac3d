"""pika with pipelined publisher confirms: many messages in flight, one wait per batch.

A relay that waits for each confirm in turn pays one round trip a message; keeping the whole
batch in flight pays one a batch (docs/benchmarks.md). The ioloop runs in its own thread; callers stay
synchronous and get an exception when a batch is not fully confirmed in time.

`AMQP_URL` may list the nodes of a cluster, separated by `;` (as kombu, the consumers, takes it):
the publisher connects to the first that accepts, and the relay starts its next connection after
the node whose connection broke (docs/cluster.md).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import pika
from pika.spec import Basic

log = logging.getLogger(__name__)


class PublishError(RuntimeError):
    """A batch was not confirmed: nacked, timed out or the connection dropped."""


def pika_url(url: str) -> str:
    """kombu writes the default vhost as `//`; pika wants it quoted as `/%2F`."""
    head, sep, vhost = url.partition("://")
    host, slash, path = vhost.partition("/")
    if path == "/" or (slash and path == ""):
        path = "%2F"
    return f"{head}{sep}{host}/{path}"


def amqp_urls(url: str) -> list[str]:
    """The nodes of `AMQP_URL`: one address, or several separated by `;` (kombu's failover
    syntax, `amqp://u:p@rmq-1:5672/%2F;amqp://u:p@rmq-2:5672/%2F;…`), in their order."""
    urls = [part.strip() for part in url.split(";") if part.strip()]
    if not urls:
        raise ValueError("AMQP_URL names no broker")
    return urls


def connection_parameters(url: str, heartbeat: int = 60,
                          timeout: float = 10.0) -> list[pika.URLParameters]:
    """One parameters object per node listed in `url`, in order: `pika.BlockingConnection` takes
    the list (and tries each node in turn), `PipelinedPublisher` iterates on it."""
    nodes = []
    for node_url in amqp_urls(url):
        params = pika.URLParameters(pika_url(node_url))
        params.heartbeat = heartbeat
        params.socket_timeout = timeout
        params.stack_timeout = timeout
        params.blocked_connection_timeout = timeout * 3
        params.connection_attempts = 1
        nodes.append(params)
    return nodes


def _where(params: pika.connection.Parameters) -> str:
    """A node for the logs: host and port, never the credentials."""
    return f"{params.host}:{params.port}"


def queue_names(prefix: str, service: str, retry_delays_ms) -> list[str]:
    """A service's queues as `Topology.build` names them: main, dead-letter, retries."""
    base = f"{prefix}.{service}"
    return [base, f"{base}.dlq"] + [f"{base}.retry.{ms}" for ms in retry_delays_ms]


def delete_broker_names(url: str, exchange: str, prefix: str, services, retry_delays_ms) -> None:
    """Remove a run's queues and exchanges (tests, benchmarks: anything with its own names).
    `url` may list several nodes: the first that answers does it."""
    conn = pika.BlockingConnection(connection_parameters(url))
    try:
        channel = conn.channel()
        for service in services:
            for name in queue_names(prefix, service, retry_delays_ms):
                channel.queue_delete(name)
        channel.exchange_delete(exchange)
        channel.exchange_delete(f"{exchange}.dlx")
    finally:
        conn.close()


@dataclass
class Message:
    routing_key: str
    body: bytes | str
    message_id: str
    exchange: str = ""
    headers: dict | None = None
    content_type: str = "application/json"
    correlation_id: str | None = None
    type: str | None = None
    app_id: str | None = None


@dataclass
class _Batch:
    outstanding: int = 0
    nacked: int = 0
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


class PipelinedPublisher:
    """One connection to the first node of `url` that accepts it, from `first_node` on (the
    relay starts after the node whose connection broke); PublishError if none does."""

    def __init__(self, url: str, confirm_timeout: float = 10.0, connect_timeout: float = 10.0,
                 first_node: int = 0):
        self.confirm_timeout = confirm_timeout
        self._tag = 0
        self._pending: dict[int, _Batch] = {}
        self._returned: set[str] = set()
        nodes = connection_parameters(url, timeout=connect_timeout)
        self.nodes = len(nodes)
        self.node: int | None = None  # the index in `url` of the node this connection is on
        failures = []
        for k in range(len(nodes)):
            i = (first_node + k) % len(nodes)
            reason = self._open(nodes[i], connect_timeout)
            if reason is None:
                self.node = i
                if failures:
                    log.warning("publishing through broker node %s (%s)", _where(nodes[i]),
                                "; ".join(failures))
                return
            failures.append(f"{_where(nodes[i])} did not accept: {reason}")
        raise PublishError(f"cannot connect to the broker: {'; '.join(failures)}")

    def _open(self, params: pika.connection.Parameters, timeout: float) -> str | None:
        """Connect to one node and open the confirming channel; None, or why not."""
        self._ready = threading.Event()
        self._open_error: str | None = None
        self._channel = None
        self.broken = False
        self._conn = pika.SelectConnection(
            params,
            on_open_callback=self._on_open,
            on_open_error_callback=self._on_open_error,
            on_close_callback=self._on_close,
        )
        self._thread = threading.Thread(target=self._conn.ioloop.start, name="pika-ioloop",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._open_error:
            reason = self._open_error or "timed out"
            self.close()
            return reason
        return None

    # ioloop callbacks -------------------------------------------------------------------
    def _on_open(self, conn):
        conn.channel(on_open_callback=self._on_channel)

    def _on_open_error(self, conn, error):
        conn.ioloop.stop()
        if conn is not self._conn:
            return  # an earlier node's attempt, given up already
        self._open_error = str(error) or type(error).__name__
        self.broken = True
        self._ready.set()

    def _on_channel(self, channel):
        self._channel = channel
        channel.add_on_return_callback(self._on_return)
        channel.add_on_close_callback(self._on_channel_closed)
        channel.confirm_delivery(self._on_confirm, callback=lambda _frame: self._ready.set())

    def _on_channel_closed(self, _channel, reason):
        self._fail_all(f"channel closed: {reason}")
        if self._conn.is_open:
            self._conn.close()

    def _on_close(self, conn, reason):
        conn.ioloop.stop()
        if conn is not self._conn:
            return  # an earlier node's attempt, given up already
        self._fail_all(f"connection closed: {reason}")
        if not self._ready.is_set():
            self._open_error = str(reason)
            self._ready.set()

    def _fail_all(self, reason: str):
        self.broken = True
        for batch in list(self._pending.values()):
            batch.error = reason
            batch.done.set()
        self._pending.clear()

    def _on_return(self, _channel, _method, properties, _body):
        if properties.message_id:
            self._returned.add(properties.message_id)

    def _on_confirm(self, frame):
        method = frame.method
        ack = isinstance(method, Basic.Ack)
        if method.multiple:
            tags = [t for t in self._pending if t <= method.delivery_tag]
        else:
            tags = [method.delivery_tag] if method.delivery_tag in self._pending else []
        for tag in tags:
            batch = self._pending.pop(tag)
            if not ack:
                batch.nacked += 1
            batch.outstanding -= 1
            if batch.outstanding == 0:
                batch.done.set()

    def _publish_in_loop(self, batch: _Batch, messages: list[Message], mandatory: bool):
        if self._channel is None or not self._channel.is_open:
            batch.error = "channel not open"
            batch.done.set()
            return
        try:
            for m in messages:
                props = pika.BasicProperties(
                    delivery_mode=2, message_id=m.message_id, content_type=m.content_type,
                    headers=m.headers, correlation_id=m.correlation_id, type=m.type,
                    app_id=m.app_id,
                )
                body = m.body.encode() if isinstance(m.body, str) else m.body
                self._tag += 1
                self._pending[self._tag] = batch
                batch.outstanding += 1
                self._channel.basic_publish(m.exchange, m.routing_key, body, props,
                                            mandatory=mandatory)
        except Exception as exc:  # a closed channel mid-batch: the caller retries the batch
            batch.error = f"publish failed: {exc}"
            batch.done.set()

    # caller API ---------------------------------------------------------------------------
    def publish_batch(self, messages: list[Message], mandatory: bool = True) -> set[str]:
        """Publish and wait until the broker confirmed every message; returns unroutable ids."""
        if not messages:
            return set()
        if self.broken:
            raise PublishError("publisher connection is broken")
        batch = _Batch()
        self._conn.ioloop.add_callback_threadsafe(
            lambda: self._publish_in_loop(batch, messages, mandatory))
        if not batch.done.wait(self.confirm_timeout):
            self.broken = True
            raise PublishError(f"no confirm within {self.confirm_timeout} s")
        if batch.error:
            raise PublishError(batch.error)
        if batch.nacked:
            # Publish again on a new connection: a channel that first published to a quorum
            # queue while it elected a leader may be nacked until the old leader's node returns
            # (seen in the cluster test, docs/cluster.md); a new channel is not. Rare: no cost.
            self.broken = True
            raise PublishError(f"{batch.nacked} message(s) nacked by the broker")
        ids = {m.message_id for m in messages}
        returned = self._returned & ids
        self._returned -= ids
        return returned

    def close(self) -> None:
        try:
            if self._conn.is_open:
                self._conn.ioloop.add_callback_threadsafe(self._conn.close)
            elif self._thread.is_alive():
                self._conn.ioloop.add_callback_threadsafe(self._conn.ioloop.stop)
        except Exception:  # the loop may already be gone
            pass
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
