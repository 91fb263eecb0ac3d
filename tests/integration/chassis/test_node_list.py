"""AMQP_URL listing several nodes (`url1;url2;…`, kombu's failover syntax): the relay, the
dead-letter tools and the readiness check take the first node that answers."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pika
import pytest
import sqlalchemy as sa

from services.chassis.amqp import (
    Message,
    PipelinedPublisher,
    PublishError,
    connection_parameters,
    delete_broker_names,
)
from services.chassis.catalogue import TEST_EVENT
from services.chassis.consumer import EventConsumer, Topology, broker_reachable, open_connection
from services.chassis.db import Database, add_messaging_tables
from services.chassis.events import make_event, publish
from services.chassis.relay import OutboxRelay

pytestmark = pytest.mark.integration


def _dead_url() -> str:
    """A node that refuses connections: a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"amqp://guest:guest@127.0.0.1:{port}//"


def _sink(amqp_url, broker_names) -> str:
    queue = f"{broker_names['prefix']}.chassis"
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    channel = conn.channel()
    channel.exchange_declare(broker_names["exchange"], "topic", durable=True)
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, broker_names["exchange"], routing_key="#")
    conn.close()
    return queue


def _count(amqp_url, queue) -> int:
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        return conn.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        conn.close()


def test_connection_parameters_has_one_entry_per_node(amqp_url):
    dead = _dead_url()
    (live,) = connection_parameters(amqp_url)
    nodes = connection_parameters(f"{dead}; {amqp_url};")
    assert [(p.host, p.port) for p in nodes] == [("127.0.0.1", int(dead.split(":")[-1][:-2])),
                                                 (live.host, live.port)]
    # each node's own vhost (a single URLParameters read `/;amqp://…` as the first one's vhost)
    assert [p.virtual_host for p in nodes] == ["/", live.virtual_host]
    assert all(p.connection_attempts == 1 for p in nodes)


def test_the_publisher_takes_the_first_node_that_answers(amqp_url, broker_names):
    queue = _sink(amqp_url, broker_names)
    with PipelinedPublisher(f"{_dead_url()};{amqp_url}", connect_timeout=5) as publisher:
        assert publisher.node == 1
        publisher.publish_batch([Message(exchange=broker_names["exchange"], routing_key=TEST_EVENT,
                                         body=b"{}", message_id=str(uuid.uuid4()))])
    assert _count(amqp_url, queue) == 1
    with pytest.raises(PublishError, match=r"127\.0\.0\.1:\d+ did not accept.*127\.0\.0\.1:\d+ "
                                           r"did not accept"):
        PipelinedPublisher(f"{_dead_url()};{_dead_url()}", connect_timeout=5)


def test_the_relay_publishes_along_a_node_list_and_moves_on_after_a_broken_node(
        tmp_path, amqp_url, broker_names):
    queue = _sink(amqp_url, broker_names)
    metadata = sa.MetaData()
    add_messaging_tables(metadata)
    db = Database(f"sqlite:///{tmp_path / 'relay.db'}")
    metadata.create_all(db.engine)
    try:
        with db.transaction() as session:
            for i in range(3):
                publish(session, TEST_EVENT, {"n": i}, producer="chassis")
        # The same broker listed twice stands for two nodes of a cluster.
        relay = OutboxRelay(db, f"{_dead_url()};{amqp_url};{amqp_url}", broker_names["exchange"])
        assert relay.run_once() == 3
        assert relay._publisher.node == 1
        relay._publisher.broken = True  # its connection broke: the next one starts after it
        with db.transaction() as session:
            publish(session, TEST_EVENT, {"n": 3}, producer="chassis")
        assert relay.run_once() == 1
        assert relay._publisher.node == 2
        relay._publisher.broken = True  # then round to the start of the list (dead), and on
        with db.transaction() as session:
            publish(session, TEST_EVENT, {"n": 4}, producer="chassis")
        assert relay.run_once() == 1
        assert relay._publisher.node == 1
        relay.close()
        assert _count(amqp_url, queue) == 5
    finally:
        db.dispose()


def test_the_consumer_takes_a_node_list_too(tmp_path, amqp_url, broker_names):
    metadata = sa.MetaData()
    add_messaging_tables(metadata)
    db = Database(f"sqlite:///{tmp_path / 'consumer.db'}")
    metadata.create_all(db.engine)
    topology = Topology.build(broker_names["exchange"], f"{broker_names['prefix']}.chassis",
                              [TEST_EVENT], (50,))
    seen = []
    consumer = EventConsumer(open_connection(f"{_dead_url()};{amqp_url}", timeout=2), db,
                             {TEST_EVENT: lambda _s, event, _p: seen.append(event.id)}, topology)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 20
        while not getattr(consumer, "_producer", None) and time.time() < deadline:
            time.sleep(0.05)
        event = make_event(TEST_EVENT, {"n": 1}, producer="test")
        with PipelinedPublisher(amqp_url) as publisher:
            publisher.publish_batch([Message(exchange=broker_names["exchange"],
                                             routing_key=TEST_EVENT, body=event.to_json(),
                                             message_id=event.id)])
        deadline = time.time() + 15
        while not seen and time.time() < deadline:
            time.sleep(0.05)
        assert seen == [event.id]
    finally:
        consumer.should_stop = True
        thread.join(timeout=10)
        consumer.connection.release()
        db.dispose()


def test_the_broker_is_reachable_when_any_listed_node_answers(amqp_url):
    dead = _dead_url()
    assert broker_reachable(amqp_url)
    assert broker_reachable(f"{dead};{amqp_url}")
    assert broker_reachable(f"{amqp_url};{dead}")
    assert not broker_reachable(dead)
    t0 = time.time()
    assert not broker_reachable(f"{dead};{_dead_url()};{_dead_url()}", timeout=1)
    assert time.time() - t0 < 1.5


def test_delete_broker_names_takes_a_node_list(amqp_url, broker_names):
    queue = _sink(amqp_url, broker_names)
    delete_broker_names(f"{_dead_url()};{amqp_url}", broker_names["exchange"],
                        broker_names["prefix"], ("chassis",), ())
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        with pytest.raises(pika.exceptions.ChannelClosedByBroker, match="NOT_FOUND"):
            conn.channel().queue_declare(queue, passive=True)
    finally:
        if conn.is_open:
            conn.close()


def test_a_nacked_batch_sends_the_relay_to_a_new_connection_on_the_next_node(
        tmp_path, amqp_url, broker_names):
    queue = f"{broker_names['prefix']}.chassis"
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    channel = conn.channel()
    channel.exchange_declare(broker_names["exchange"], "topic", durable=True)
    channel.queue_declare(queue, durable=True, arguments={
        "x-queue-type": "quorum", "x-max-length": 1, "x-overflow": "reject-publish"})
    channel.queue_bind(queue, broker_names["exchange"], routing_key="#")
    channel.confirm_delivery()
    for _ in range(2):  # full (quorum queues apply the limit once it is passed)
        channel.basic_publish("", queue, b"{}")
    conn.close()
    metadata = sa.MetaData()
    add_messaging_tables(metadata)
    db = Database(f"sqlite:///{tmp_path / 'relay.db'}")
    metadata.create_all(db.engine)
    try:
        with db.transaction() as session:
            for i in range(5):
                publish(session, TEST_EVENT, {"n": i}, producer="chassis")
        relay = OutboxRelay(db, f"{amqp_url};{amqp_url}", broker_names["exchange"])
        with pytest.raises(PublishError, match="nacked"):
            relay.run_once()
        assert relay._publisher.node == 0 and relay._publisher.broken
        with pytest.raises(PublishError, match="nacked"):
            relay.run_once()  # still full, but through a new connection to the next node
        assert relay._publisher.node == 1
        relay.close()
    finally:
        db.dispose()
