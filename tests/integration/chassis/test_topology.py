"""Every service's queue exists before anything publishes: a first start loses no event; the
classic retry queues of earlier versions become quorum queues without losing a message."""

from __future__ import annotations

import time

import pika
import pytest

from services.chassis.amqp import connection_parameters
from services.chassis.config import Settings
from services.chassis.consumer import Topology, open_connection
from services.chassis.topology import RetryQueueNotEmpty, declare_all, migrate_retry_queues

pytestmark = pytest.mark.integration


def test_declared_queues_receive_events_before_any_worker_ran(amqp_url, broker_names,
                                                               monkeypatch):
    monkeypatch.setenv("AMQP_URL", amqp_url)
    monkeypatch.setenv("SPP_EXCHANGE", broker_names["exchange"])
    monkeypatch.setenv("SPP_QUEUE_PREFIX", broker_names["prefix"])
    monkeypatch.setenv("SPP_RETRY_DELAYS_MS", "500,2000,10000,30000")
    declared = declare_all()
    prefix = broker_names["prefix"]
    assert f"{prefix}.moderation" in declared and f"{prefix}.notifier" in declared
    assert declare_all() == declared  # idempotent: the workers declare them again alike

    connection = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        # mandatory: an unroutable message would raise UnroutableError here
        channel.basic_publish(broker_names["exchange"], "experience.submitted", b"{}",
                              pika.BasicProperties(delivery_mode=2), mandatory=True)
        waiting = channel.queue_declare(f"{prefix}.moderation", passive=True)
        assert waiting.method.message_count == 1
    finally:
        connection.close()
    assert Settings.from_env("moderation").queue_prefix == prefix


# Retry queues of an earlier version: classic queues, replaced by quorum queues --------------
OLD_DELAYS = (500, 2000)


def _declare_as_before(amqp_url, exchange, queue, delays=OLD_DELAYS, ttl=None):
    """The topology as the previous version declared it: retry queues were classic."""
    with open_connection(amqp_url) as conn:
        Topology.build(exchange, queue, ["experience.submitted"], delays).declare(
            conn.default_channel, retry_queues=False)
    connection = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        channel = connection.channel()
        for ms in delays:
            channel.queue_declare(f"{queue}.retry.{ms}", durable=True, arguments={
                "x-message-ttl": ttl or ms, "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": queue})
    finally:
        connection.close()


def _publish_to(amqp_url, queue, body: bytes, headers=None):
    connection = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2,
                                                                    headers=headers),
                              mandatory=True)
    finally:
        connection.close()


def _count(amqp_url, queue) -> int:
    connection = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()


def _refused(amqp_url, queue, arguments) -> str | None:
    """Why the broker refuses to declare `queue` with `arguments` (None if it accepts)."""
    connection = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        connection.channel().queue_declare(queue, durable=True, arguments=arguments)
        return None
    except pika.exceptions.ChannelClosedByBroker as exc:
        return f"{exc.reply_code} {exc.reply_text}"
    finally:
        if connection.is_open:
            connection.close()


def _retry_arguments(queue: str, ms: int) -> dict:
    return Topology.build("x", queue, [], (ms,)).retry_queues[ms].queue_arguments


def test_retry_queues_are_quorum_queues(amqp_url, broker_names):
    queue = f"{broker_names['prefix']}.chassis"
    topology = Topology.build(broker_names["exchange"], queue, ["experience.submitted"], (500,))
    arguments = topology.retry_queues[500].queue_arguments
    assert arguments["x-queue-type"] == "quorum"
    assert arguments["x-dead-letter-strategy"] == "at-least-once"
    assert arguments["x-overflow"] == "reject-publish"
    with open_connection(amqp_url) as conn:
        topology.declare(conn.default_channel)
    # a message comes back to the main queue after its delay (quorum queues expire messages)
    _publish_to(amqp_url, f"{queue}.retry.500", b"{}")
    deadline = time.time() + 10
    while _count(amqp_url, queue) != 1 and time.time() < deadline:
        time.sleep(0.1)
    assert _count(amqp_url, queue) == 1
    assert "inequivalent arg 'x-queue-type'" in _refused(
        amqp_url, f"{queue}.retry.500", {**arguments, "x-queue-type": "classic"})


def test_the_topology_step_replaces_classic_retry_queues_once_empty_losing_nothing(
        amqp_url, broker_names, monkeypatch):
    monkeypatch.setenv("AMQP_URL", amqp_url)
    monkeypatch.setenv("SPP_EXCHANGE", broker_names["exchange"])
    monkeypatch.setenv("SPP_QUEUE_PREFIX", broker_names["prefix"])
    monkeypatch.setenv("SPP_RETRY_DELAYS_MS", ",".join(map(str, OLD_DELAYS)))
    queue = f"{broker_names['prefix']}.moderation"
    _declare_as_before(amqp_url, broker_names["exchange"], queue)
    # Two events waiting for their retry, as a worker of the previous version left them.
    _publish_to(amqp_url, f"{queue}.retry.500", b'{"n": 1}', {"x-spp-attempts": 1})
    _publish_to(amqp_url, f"{queue}.retry.2000", b'{"n": 2}', {"x-spp-attempts": 2})
    # What the workers of this version would meet without the migration (the broker names the
    # first argument that differs, x-overflow on 3.10, not necessarily x-queue-type):
    assert "406 PRECONDITION_FAILED - inequivalent arg" in _refused(
        amqp_url, f"{queue}.retry.500", _retry_arguments(queue, 500))

    said = []
    t0 = time.time()
    assert declare_all(("moderation",), report=said.append) == [queue]
    took = time.time() - t0
    assert took < 2 + 5, took  # no longer than the longest delay, and a little
    assert any("replaced" in line and f"{queue}.retry.500" in line for line in said), said
    assert any("replaced" in line and f"{queue}.retry.2000" in line for line in said), said
    # Both messages went back to the main queue before their retry queue was deleted.
    assert _count(amqp_url, queue) == 2
    for ms in OLD_DELAYS:  # now quorum queues, with the arguments the workers declare
        assert _refused(amqp_url, f"{queue}.retry.{ms}", _retry_arguments(queue, ms)) is None
        assert _count(amqp_url, f"{queue}.retry.{ms}") == 0
    said.clear()
    assert declare_all(("moderation",), report=said.append) == [queue]  # nothing left to migrate
    assert said == []


def test_a_classic_retry_queue_that_never_empties_is_left_as_it_was(amqp_url, broker_names):
    queue = f"{broker_names['prefix']}.chassis"
    # As if workers of the previous version kept feeding it: its message stays 30 s.
    _declare_as_before(amqp_url, broker_names["exchange"], queue, delays=(500,), ttl=30000)
    _publish_to(amqp_url, f"{queue}.retry.500", b'{"n": 1}')
    topology = Topology.build(broker_names["exchange"], queue, ["experience.submitted"], (500,))
    with open_connection(amqp_url) as conn:
        with pytest.raises(RetryQueueNotEmpty, match=r"retry\.500 still holds 1 message"):
            migrate_retry_queues(conn, topology, drain_margin_s=0.5, report=lambda _line: None)
    assert _count(amqp_url, f"{queue}.retry.500") == 1  # not deleted: nothing lost
    assert "inequivalent arg" in _refused(amqp_url, f"{queue}.retry.500",
                                      _retry_arguments(queue, 500))


def test_a_worker_started_before_the_migration_says_so_then_consumes_after_it(
        tmp_path, amqp_url, broker_names, caplog):
    import threading

    import sqlalchemy as sa

    from services.chassis.catalogue import TEST_EVENT
    from services.chassis.consumer import EventConsumer
    from services.chassis.db import Database, add_messaging_tables

    queue = f"{broker_names['prefix']}.chassis"
    _declare_as_before(amqp_url, broker_names["exchange"], queue, delays=(500,))
    topology = Topology.build(broker_names["exchange"], queue, [TEST_EVENT], (500,))
    metadata = sa.MetaData()
    add_messaging_tables(metadata)
    db = Database(f"sqlite:///{tmp_path / 'worker.db'}")
    metadata.create_all(db.engine)
    consumer = EventConsumer(open_connection(amqp_url), db, {TEST_EVENT: lambda *_: None},
                             topology, retry_delays_ms=(500,))
    thread = threading.Thread(target=consumer.run, daemon=True)
    caplog.set_level("ERROR", logger="services.chassis.consumer")
    thread.start()
    try:
        deadline = time.time() + 10
        while "services.chassis.topology" not in caplog.text and time.time() < deadline:
            time.sleep(0.05)
        assert "run `python -m services.chassis.topology`" in caplog.text
        assert getattr(consumer, "_producer", None) is None
        with open_connection(amqp_url) as conn:
            assert migrate_retry_queues(conn, topology, report=lambda _line: None) == [
                f"{queue}.retry.500"]
        deadline = time.time() + 10  # kombu's loop tries again every second
        while getattr(consumer, "_producer", None) is None and time.time() < deadline:
            time.sleep(0.05)
        assert consumer._producer is not None
    finally:
        consumer.should_stop = True
        thread.join(timeout=10)
        consumer.connection.release()
        db.dispose()
