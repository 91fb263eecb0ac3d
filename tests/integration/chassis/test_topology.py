"""Every service's queue exists before anything publishes: a first start loses no event."""

from __future__ import annotations

import pika
import pytest

from services.chassis.amqp import connection_parameters
from services.chassis.config import Settings
from services.chassis.topology import declare_all

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
