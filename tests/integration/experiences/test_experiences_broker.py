"""The worker's pieces on the real broker: moderation.approved in, experience.published out."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pika
import pytest

from services.chassis.amqp import Message, PipelinedPublisher, connection_parameters
from services.chassis.consumer import EventConsumer, Topology, open_connection
from services.chassis.events import make_event
from services.chassis.relay import OutboxRelay
from services.experiences.handlers import HANDLERS
from services.experiences.models import Experience

pytestmark = pytest.mark.integration


def _wait_for(predicate, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_approval_through_the_broker_publishes_once(env, amqp_url, broker_names):
    exchange, queue = broker_names["exchange"], f"{broker_names['prefix']}.experiences"
    ids = env.tree()
    exp_id = env.submit()
    # a sink that sees what the relay sends
    sink = f"{broker_names['prefix']}.experiences.retry.30000"  # a name the fixture deletes; unused here
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    channel = conn.channel()
    channel.exchange_declare(exchange, "topic", durable=True)
    channel.queue_declare(sink, durable=True)
    channel.queue_bind(sink, exchange, routing_key="experience.published")

    topology = Topology.build(exchange, queue, list(HANDLERS), (50, 100))
    consumer = EventConsumer(open_connection(amqp_url), env.db, HANDLERS, topology,
                             max_attempts=3, retry_delays_ms=(50, 100))
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        _wait_for(lambda: getattr(consumer, "_producer", None))  # queue declared and bound
        event = make_event("moderation.approved", {
            "case_id": "c", "experience_id": exp_id, "structure_id": ids["loc"],
            "network_id": ids["net"], "body": "Publié via le broker.", "edited": False},
            "moderation")
        with PipelinedPublisher(amqp_url) as publisher:  # delivered twice: handled once
            publisher.publish_batch([
                Message(exchange=exchange, routing_key=event.type, body=event.to_json(),
                        message_id=event.id) for _ in range(2)])
        _wait_for(lambda: consumer.handled >= 2)
    finally:
        consumer.should_stop = True
        thread.join(timeout=10)
        consumer.connection.release()
    with env.db.transaction() as session:
        exp = session.get(Experience, exp_id)
        assert exp.status == "to_process" and exp.published_body == "Publié via le broker."
    assert len(env.outbox_for("experience.published", exp_id)) == 1

    OutboxRelay(env.db, amqp_url, exchange).run_once()

    def ours():
        while True:
            method, _props, body = channel.basic_get(sink, auto_ack=True)
            if method is None:
                return None
            message = json.loads(body)
            if message["payload"]["id"] == exp_id:
                return message

    message = _wait_for(ours)
    assert message["type"] == "experience.published"
    assert uuid.UUID(message["id"])
    conn.close()
