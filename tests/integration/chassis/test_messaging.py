"""The chassis against the real PostgreSQL and RabbitMQ: outbox, relay, consumer, dead letters."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import threading
import time
import uuid

import pika
import pytest
import sqlalchemy as sa

from services.chassis import alive
from services.chassis import amqp as amqp_mod
from services.chassis import relay as relay_mod
from services.chassis.amqp import Message, PipelinedPublisher, connection_parameters
from services.chassis.catalogue import TEST_EVENT
from services.chassis.consumer import (
    ATTEMPTS_HEADER,
    REASON_HEADER,
    EventConsumer,
    Prepared,
    Topology,
    open_connection,
)
from services.chassis.db import Database, add_messaging_tables
from services.chassis.events import make_event, publish
from services.chassis.relay import OutboxRelay

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
outbox, inbox = add_messaging_tables(metadata)
effects = sa.Table("effects", metadata, sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("event_id", sa.String(36)), sa.Column("n", sa.Integer))


@pytest.fixture
def db(create_database):
    database = Database(create_database("chassis"))
    metadata.create_all(database.engine)
    yield database
    database.dispose()


def _declare_sink(amqp_url, exchange, queue):
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    ch = conn.channel()
    ch.exchange_declare(exchange, "topic", durable=True)
    ch.queue_declare(queue, durable=True)
    ch.queue_bind(queue, exchange, routing_key="#")
    conn.close()


def _drain(amqp_url, queue, expect, timeout=10.0):
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    ch = conn.channel()
    got = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        method, props, body = ch.basic_get(queue, auto_ack=True)
        if method is None:
            if len(got) >= expect:
                break
            time.sleep(0.05)
            continue
        got.append((props, body))
    conn.close()
    return got


def _write_events(db, n, start=0):
    with db.transaction() as session:
        for i in range(start, start + n):
            publish(session, TEST_EVENT, {"n": i}, producer="chassis")


def _count_unpublished(db):
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(outbox)
                            .where(outbox.c.published_at.is_(None))).scalar_one()


def test_only_committed_events_leave_and_each_carries_its_id(db, amqp_url, broker_names):
    sink = f"{broker_names['prefix']}.chassis"
    _declare_sink(amqp_url, broker_names["exchange"], sink)
    _write_events(db, 5)
    with pytest.raises(RuntimeError):
        with db.transaction() as session:
            publish(session, TEST_EVENT, {"n": 99}, producer="chassis")
            raise RuntimeError("the state change failed")
    relay = OutboxRelay(db, amqp_url, broker_names["exchange"])
    assert relay.run_once() == 5
    assert relay.run_once() == 0
    relay.close()
    got = _drain(amqp_url, sink, 5)
    assert sorted(json.loads(b)["payload"]["n"] for _, b in got) == [0, 1, 2, 3, 4]
    for props, body in got:
        assert props.message_id == json.loads(body)["id"]
        assert props.delivery_mode == 2


def test_a_relay_dying_before_the_confirm_loses_nothing(db, amqp_url, broker_names, monkeypatch):
    sink = f"{broker_names['prefix']}.chassis"
    _declare_sink(amqp_url, broker_names["exchange"], sink)
    _write_events(db, 20)
    dying = OutboxRelay(db, amqp_url, broker_names["exchange"])

    def crash(self, messages, mandatory=True):
        raise amqp_mod.PublishError("process killed before the confirms came back")

    monkeypatch.setattr(PipelinedPublisher, "publish_batch", crash)
    with pytest.raises(amqp_mod.PublishError):
        dying.run_once()
    dying.close()
    monkeypatch.undo()
    assert _count_unpublished(db) == 20
    relay = OutboxRelay(db, amqp_url, broker_names["exchange"])
    assert relay.run_once() == 20
    relay.close()
    assert len(_drain(amqp_url, sink, 20)) == 20


def test_a_killed_writer_process_loses_no_committed_event(db, amqp_url, broker_names):
    sink = f"{broker_names['prefix']}.chassis"
    _declare_sink(amqp_url, broker_names["exchange"], sink)
    script = (
        "import os, sys\n"
        "from services.chassis.db import Database\n"
        "from services.chassis.events import publish\n"
        "db = Database(sys.argv[1])\n"
        "with db.transaction() as s:\n"
        "    [publish(s, 'test.happened', {'n': i}, producer='chassis') for i in range(7)]\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, db.url], capture_output=True)
    assert proc.returncode == -9
    relay = OutboxRelay(db, amqp_url, broker_names["exchange"])
    assert relay.run_once() == 7
    relay.close()
    assert len(_drain(amqp_url, sink, 7)) == 7


def test_two_relays_on_one_outbox_publish_each_event_once(db, amqp_url, broker_names):
    sink = f"{broker_names['prefix']}.chassis"
    _declare_sink(amqp_url, broker_names["exchange"], sink)
    _write_events(db, 3000)
    relays = [OutboxRelay(db, amqp_url, broker_names["exchange"], batch_size=100)
              for _ in range(2)]
    counts = [0, 0]

    def run(i):
        while (n := relays[i].run_once()) > 0:
            counts[i] += n

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    [r.close() for r in relays]
    assert sum(counts) == 3000 and all(counts), counts
    got = _drain(amqp_url, sink, 3000)
    ids = [p.message_id for p, _ in got]
    assert len(ids) == 3000 and len(set(ids)) == 3000


def test_an_idle_relay_on_sqlite_does_not_query_yet_publishes_a_new_event_at_once(
        tmp_path, amqp_url, broker_names):
    sink = f"{broker_names['prefix']}.chassis"
    _declare_sink(amqp_url, broker_names["exchange"], sink)
    url = f"sqlite:///{tmp_path / 'relay.db'}"
    db, writer = Database(url), Database(url)  # the writer: another connection, as a web process
    metadata.create_all(db.engine)
    looks = []
    sa.event.listen(db.engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *a: looks.append(statement)
                    if "FROM outbox" in statement else None)
    relay = OutboxRelay(db, amqp_url, broker_names["exchange"], poll_interval=0.5)
    stopping = threading.Event()
    running = threading.Thread(target=relay.run_forever, args=(stopping,))
    running.start()
    try:
        time.sleep(1.2)
        # polling every 50 ms would have looked 24 times; the safety poll every 0.5 s stays
        assert 1 <= len(looks) <= 5, len(looks)
        t0 = time.time()
        _write_events(writer, 1)
        got = _drain(amqp_url, sink, 1, timeout=5)
        assert len(got) == 1 and time.time() - t0 < 0.4
    finally:
        stopping.set()
        running.join(5)
        db.dispose()
        writer.dispose()


def test_an_idle_relay_on_postgresql_wakes_at_the_commit_only(db, amqp_url, broker_names):
    """The outbox row and its NOTIFY go in one statement: a relay polling only every 5 s still
    publishes a committed event at once, and a rolled-back one never."""
    sink = f"{broker_names['prefix']}.chassis"
    _declare_sink(amqp_url, broker_names["exchange"], sink)
    relay = OutboxRelay(db, amqp_url, broker_names["exchange"], poll_interval=5.0)
    stopping = threading.Event()
    running = threading.Thread(target=relay.run_forever, args=(stopping,))
    running.start()
    try:
        time.sleep(0.3)  # the relay's first look, then its wait on LISTEN
        with pytest.raises(RuntimeError):
            with db.transaction() as session:
                publish(session, TEST_EVENT, {"n": -1}, producer="chassis")
                raise RuntimeError("rolled back: no row, no wake-up")
        t0 = time.time()
        _write_events(db, 1)
        got = _drain(amqp_url, sink, 1, timeout=3)
        assert [json.loads(b)["payload"]["n"] for _, b in got] == [0]
        assert time.time() - t0 < 0.4
    finally:
        stopping.set()
        running.join(5)
        relay.close()


def test_an_idle_relays_listener_outlives_a_proxy_that_cuts_silent_connections(
        db, amqp_url, broker_names, monkeypatch, caplog):
    """A proxy in front of PostgreSQL closes a connection that says nothing for a while (here
    the server's idle_session_timeout does it): the LISTEN connection keeps itself alive, and
    a commit still wakes the relay at once."""
    monkeypatch.setattr(relay_mod, "LISTENER_KEEPALIVE_S", 0.3)
    name = db.engine.url.database
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f"ALTER DATABASE \"{name}\" SET idle_session_timeout = '1s'"))
    db.engine.dispose()  # sessions take the setting when they start
    sink = f"{broker_names['prefix']}.chassis"
    _declare_sink(amqp_url, broker_names["exchange"], sink)
    relay = OutboxRelay(db, amqp_url, broker_names["exchange"], poll_interval=5.0)
    stopping = threading.Event()
    running = threading.Thread(target=relay.run_forever, args=(stopping,))
    caplog.set_level(logging.WARNING, logger="services.chassis.relay")
    running.start()
    try:
        time.sleep(0.3)
        listener = relay._listener.driver_connection.info.backend_pid
        time.sleep(2.5)  # idle: 2.5 times what the server allows a silent session
        assert relay._listener is not None, "the listener was cut"
        assert relay._listener.driver_connection.info.backend_pid == listener
        t0 = time.time()
        _write_events(db, 1)
        assert len(_drain(amqp_url, sink, 1, timeout=3)) == 1
        assert time.time() - t0 < 0.4  # woken by the NOTIFY, not by its 5 s poll
        assert not [r for r in caplog.records if "listener failed" in r.getMessage()]
    finally:
        stopping.set()
        running.join(10)
        relay.close()


# --- consumer ---------------------------------------------------------------------------

class Recorder:
    def __init__(self, fail_for=()):
        self.fail_for = set(fail_for)

    def __call__(self, session, event, payload):
        if payload["n"] in self.fail_for:
            raise ValueError(f"cannot handle n={payload['n']}")
        session.execute(sa.insert(effects).values(event_id=event.id, n=payload["n"]))


def _topology(broker_names) -> Topology:
    return Topology.build(broker_names["exchange"], f"{broker_names['prefix']}.chassis",
                          [TEST_EVENT], (50, 100))


def _queue_before_consuming(amqp_url, broker_names, events) -> None:
    """Declare the consumer's queue and fill it, so the consumer starts with a backlog."""
    with open_connection(amqp_url) as conn:
        _topology(broker_names).declare(conn.default_channel)
    with PipelinedPublisher(amqp_url) as publisher:
        publisher.publish_batch([Message(exchange=broker_names["exchange"], routing_key=TEST_EVENT,
                                         body=e.to_json(), message_id=e.id) for e in events])


@pytest.fixture
def consumer_factory(db, amqp_url, broker_names):
    running = []

    def start(handler, max_attempts=3, heartbeat=None):
        consumer = EventConsumer(open_connection(amqp_url), db, {TEST_EVENT: handler},
                                 _topology(broker_names), max_attempts=max_attempts,
                                 retry_delays_ms=(50, 100), batch_size=20, heartbeat=heartbeat)
        thread = threading.Thread(target=consumer.run, daemon=True)
        thread.start()
        running.append((consumer, thread))
        deadline = time.time() + 10
        while time.time() < deadline:  # wait until the queue is declared and bound
            if consumer.connection.connected and getattr(consumer, "_producer", None):
                break
            time.sleep(0.05)
        return consumer

    yield start
    for consumer, thread in running:
        consumer.should_stop = True
        thread.join(timeout=10)
        consumer.connection.release()


def test_a_consumer_beats_while_it_runs_and_a_refused_login_never_does(
        consumer_factory, db, amqp_url, broker_names, tmp_path, monkeypatch):
    """The worker's health check (services.chassis.alive) reads these beats."""
    monkeypatch.setattr(alive, "VAR", tmp_path)
    monkeypatch.setattr(alive, "BEAT_EVERY_S", 0.2)
    consumer_factory(Recorder(), heartbeat=alive.Heartbeat("running"))
    assert _wait_for(lambda: alive.main(["running", "2"]) == 0)
    first = alive.age("running")
    time.sleep(1.5)  # idle: the loop still turns once a second
    assert alive.age("running") < first + 1.0

    refused_url = amqp_url.replace("guest:guest@", "guest:wrong-password@", 1)
    assert refused_url != amqp_url
    refused = EventConsumer(open_connection(refused_url), db, {TEST_EVENT: Recorder()},
                            _topology(broker_names), heartbeat=alive.Heartbeat("refused"))
    thread = threading.Thread(target=refused.run, daemon=True)
    thread.start()
    time.sleep(3)  # it tries to log in again and again
    refused.should_stop = True
    thread.join(timeout=30)
    assert alive.age("refused") is None
    assert alive.main(["refused", "60"]) == 1


def _raw_publish(amqp_url, exchange, body: bytes | str, routing_key=TEST_EVENT, message_id=None):
    with PipelinedPublisher(amqp_url) as publisher:
        publisher.publish_batch([Message(exchange=exchange, routing_key=routing_key, body=body,
                                         message_id=message_id or str(uuid.uuid4()))])


def _effects(db):
    with db.engine.connect() as conn:
        return conn.execute(sa.select(effects.c.event_id, effects.c.n).order_by(effects.c.n)).all()


def _wait_for(predicate, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _dlq(amqp_url, broker_names, expect=1):
    return _drain(amqp_url, f"{broker_names['prefix']}.chassis.dlq", expect, timeout=10)


def test_a_redelivered_event_is_handled_once(db, amqp_url, broker_names, consumer_factory):
    consumer_factory(Recorder())
    event = make_event(TEST_EVENT, {"n": 1}, producer="test")
    for _ in range(3):
        _raw_publish(amqp_url, broker_names["exchange"], event.to_json(), message_id=event.id)
    _raw_publish(amqp_url, broker_names["exchange"],
                 make_event(TEST_EVENT, {"n": 2}, producer="test").to_json())
    assert _wait_for(lambda: len(_effects(db)) == 2)
    time.sleep(0.3)
    assert [r.n for r in _effects(db)] == [1, 2]


def test_a_failing_handler_ends_in_the_dlq_and_the_worker_goes_on(db, amqp_url, broker_names,
                                                                   consumer_factory):
    consumer_factory(Recorder(fail_for={13}), max_attempts=3)
    bad = make_event(TEST_EVENT, {"n": 13}, producer="test")
    _raw_publish(amqp_url, broker_names["exchange"], bad.to_json(), message_id=bad.id)
    _raw_publish(amqp_url, broker_names["exchange"],
                 make_event(TEST_EVENT, {"n": 14}, producer="test").to_json())
    assert _wait_for(lambda: [r.n for r in _effects(db)] == [14])
    letters = _dlq(amqp_url, broker_names)
    assert len(letters) == 1
    props, body = letters[0]
    assert json.loads(body)["id"] == bad.id
    assert props.headers[ATTEMPTS_HEADER] == 3
    assert "cannot handle n=13" in props.headers[REASON_HEADER]


def test_a_backlog_is_handled_in_batches_each_event_once(db, amqp_url, broker_names,
                                                         consumer_factory):
    events = [make_event(TEST_EVENT, {"n": i}, producer="test") for i in range(120)]
    _queue_before_consuming(amqp_url, broker_names, events + events[:10])  # 10 published twice
    consumer = consumer_factory(Recorder())
    assert _wait_for(lambda: len(_effects(db)) == 120)
    time.sleep(0.3)
    assert [r.n for r in _effects(db)] == list(range(120))
    assert consumer.batches >= 2  # several events per transaction, not one each
    assert consumer.batches < 120
    # One acknowledgement per batch covered every message: once the consumer has gone, none
    # comes back to the queue.
    consumer.should_stop = True
    time.sleep(1.5)
    consumer.connection.release()
    with pika.BlockingConnection(connection_parameters(amqp_url)) as conn:
        queue = _topology(broker_names).queue.name
        assert _wait_for(lambda: conn.channel().queue_declare(
            queue, passive=True).method.message_count == 0)
        time.sleep(0.5)
        assert conn.channel().queue_declare(queue, passive=True).method.message_count == 0


def test_a_failing_event_in_a_batch_costs_the_others_nothing(db, amqp_url, broker_names,
                                                            consumer_factory):
    events = [make_event(TEST_EVENT, {"n": i}, producer="test") for i in range(30)]
    _queue_before_consuming(amqp_url, broker_names, events)
    consumer_factory(Recorder(fail_for={13}), max_attempts=3)
    assert _wait_for(lambda: len(_effects(db)) == 29)
    letters = _dlq(amqp_url, broker_names)
    assert [json.loads(body)["id"] for _, body in letters] == [events[13].id]
    assert letters[0][0].headers[ATTEMPTS_HEADER] == 3
    time.sleep(0.3)
    assert [r.n for r in _effects(db)] == [i for i in range(30) if i != 13]




class TwoSteps:
    """A `Prepared` handler's steps, noting whether a connection was in use when preparing."""

    def __init__(self, db, fail_for=()):
        self.db, self.fail_for, self.in_use_when_prepared = db, set(fail_for), []

    def prepare(self, event, payload):
        if payload["n"] in self.fail_for:
            raise ValueError(f"cannot prepare n={payload['n']}")
        self.in_use_when_prepared.append(self.db.engine.pool.checkedout())
        return payload["n"] * 10

    def apply(self, session, event, payload, tenfold):
        session.execute(sa.insert(effects).values(event_id=event.id, n=tenfold))


@pytest.fixture
def probe(db):
    """Reads with a pool of its own: the consumer's pool then counts the consumer only."""
    database = Database(db.url)
    yield database
    database.dispose()


def test_a_batch_prepares_its_events_before_it_opens_its_transaction(db, amqp_url, broker_names,
                                                                    consumer_factory, probe):
    steps = TwoSteps(db)
    events = [make_event(TEST_EVENT, {"n": i}, producer="test") for i in range(30)]
    _queue_before_consuming(amqp_url, broker_names, events)
    consumer = consumer_factory(Prepared(steps.prepare, steps.apply))
    assert _wait_for(lambda: len(_effects(probe)) == 30)
    time.sleep(0.3)
    assert [r.n for r in _effects(probe)] == [10 * i for i in range(30)]
    assert consumer.batches >= 1
    # Prepared in a batch, no connection was in use: no transaction open, no lock held.
    assert steps.in_use_when_prepared.count(0) >= 2


def test_a_failing_preparation_costs_the_others_nothing(db, amqp_url, broker_names,
                                                       consumer_factory, probe):
    steps = TwoSteps(db, fail_for={13})
    events = [make_event(TEST_EVENT, {"n": i}, producer="test") for i in range(30)]
    _queue_before_consuming(amqp_url, broker_names, events)
    consumer_factory(Prepared(steps.prepare, steps.apply), max_attempts=3)
    assert _wait_for(lambda: len(_effects(probe)) == 29)
    letters = _dlq(amqp_url, broker_names)
    assert [json.loads(body)["id"] for _, body in letters] == [events[13].id]
    assert "cannot prepare n=13" in letters[0][0].headers[REASON_HEADER]
    time.sleep(0.3)
    assert [r.n for r in _effects(probe)] == [10 * i for i in range(30) if i != 13]

def test_a_malformed_message_goes_to_the_dlq_without_retries(db, amqp_url, broker_names,
                                                             consumer_factory, caplog):
    caplog.set_level(logging.ERROR, logger="services.chassis.consumer")
    consumer_factory(Recorder())
    _raw_publish(amqp_url, broker_names["exchange"], b"{not json")
    _raw_publish(amqp_url, broker_names["exchange"], json.dumps({"id": "x", "type": TEST_EVENT}))
    _raw_publish(amqp_url, broker_names["exchange"],
                 make_event(TEST_EVENT, {"n": 5}, producer="test").to_json())
    assert _wait_for(lambda: len(_effects(db)) == 1)
    letters = _dlq(amqp_url, broker_names, expect=2)
    assert len(letters) == 2
    for props, _ in letters:
        assert props.headers[REASON_HEADER].startswith("invalid:")
        assert ATTEMPTS_HEADER not in props.headers
    # The operator reads it in the worker's log too.
    said = [r.getMessage() for r in caplog.records if "malformed message" in r.getMessage()]
    assert len(said) == 2 and any("not JSON" in line for line in said), said


def test_the_consumer_recovers_after_the_broker_closes_its_connections(db, amqp_url, broker_names,
                                                                       consumer_factory):
    consumer = consumer_factory(Recorder())
    _raw_publish(amqp_url, broker_names["exchange"],
                 make_event(TEST_EVENT, {"n": 1}, producer="test").to_json())
    assert _wait_for(lambda: len(_effects(db)) == 1)
    # Close only this consumer's connection: other runs may share the broker.
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed beside this broker")
    local = consumer.connection.connection.transport.sock.getsockname()
    name = f"{local[0]}:{local[1]} -> "
    listing = subprocess.run(["rabbitmqctl", "-q", "list_connections", "pid", "name"],
                             capture_output=True, text=True, check=True).stdout
    pids = [line.split("\t")[0] for line in listing.splitlines() if name in line]
    assert pids, listing
    subprocess.run(["rabbitmqctl", "close_connection", pids[0], "test: broker restart"],
                   capture_output=True, text=True, check=True)
    time.sleep(1.0)
    _raw_publish(amqp_url, broker_names["exchange"],
                 make_event(TEST_EVENT, {"n": 2}, producer="test").to_json())
    assert _wait_for(lambda: len(_effects(db)) == 2, timeout=30)


class FailsOnce:
    """Fails the first delivery of each event, then records it."""

    def __init__(self):
        self.calls = []

    def __call__(self, session, event, payload):
        self.calls.append(event.id)
        if self.calls.count(event.id) == 1:
            raise ValueError("fails once")
        session.execute(sa.insert(effects).values(event_id=event.id, n=payload["n"]))


def _retry_queue(broker_names, ms=50) -> str:
    return _topology(broker_names).retry_queues[ms].name


def test_a_failed_event_whose_retry_queue_is_gone_is_delivered_again_not_lost(
        db, amqp_url, broker_names, consumer_factory):
    handler = FailsOnce()
    consumer = consumer_factory(handler)
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    conn.channel().queue_delete(_retry_queue(broker_names))  # the copy will be unroutable
    conn.close()
    event = make_event(TEST_EVENT, {"n": 7}, producer="test")
    _raw_publish(amqp_url, broker_names["exchange"], event.to_json(), message_id=event.id)
    # Its copy returned (312 NO_ROUTE), the original was not acknowledged but given back:
    # delivered again, and handled.
    assert _wait_for(lambda: [r.n for r in _effects(db)] == [7])
    assert handler.calls == [event.id, event.id]
    assert consumer.refused_copies == 1


def test_a_failed_event_whose_copy_is_nacked_is_delivered_again_not_lost(
        db, amqp_url, broker_names, consumer_factory):
    handler = FailsOnce()
    consumer = consumer_factory(handler)
    full = _retry_queue(broker_names)
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    channel = conn.channel()
    channel.queue_delete(full)  # in its place, a queue that refuses what it gets
    channel.queue_declare(full, durable=True, arguments={
        "x-queue-type": "quorum", "x-max-length": 1, "x-overflow": "reject-publish"})
    channel.confirm_delivery()
    for _ in range(2):
        channel.basic_publish("", full, b"{}", mandatory=True)
    conn.close()
    event = make_event(TEST_EVENT, {"n": 8}, producer="test")
    _raw_publish(amqp_url, broker_names["exchange"], event.to_json(), message_id=event.id)
    assert _wait_for(lambda: consumer.refused_copies == 1)
    assert not _effects(db)
    # The consumer reconnects (and declares its topology again: the real retry queue this time).
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    conn.channel().queue_delete(full)
    conn.close()
    # The original, never acknowledged, came again.
    assert _wait_for(lambda: [r.n for r in _effects(db)] == [8])
    assert handler.calls == [event.id, event.id]
    assert consumer.refused_copies == 1


def test_a_failed_event_goes_to_its_retry_queue_and_comes_back(db, amqp_url, broker_names,
                                                               consumer_factory):
    handler = FailsOnce()
    consumer = consumer_factory(handler)
    event = make_event(TEST_EVENT, {"n": 9}, producer="test")
    _raw_publish(amqp_url, broker_names["exchange"], event.to_json(), message_id=event.id)
    assert _wait_for(lambda: [r.n for r in _effects(db)] == [9])
    assert handler.calls == [event.id, event.id]
    assert consumer.refused_copies == 0  # taken: the quorum retry queue sent it back
