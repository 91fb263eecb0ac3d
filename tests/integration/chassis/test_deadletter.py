"""The dead-letter queue's commands on the real broker: a replay reaches only the service the
letter came from, and a poison can be listed and dropped by its message id."""

from __future__ import annotations

import json

import pika
import pytest
from kombu import Connection

from services.chassis import deadletter
from services.chassis.amqp import connection_parameters
from services.chassis.config import Settings
from services.chassis.consumer import ATTEMPTS_HEADER, REASON_HEADER, ROUTING_KEY_HEADER, Topology

EVENT = "experience.published"


@pytest.fixture
def broker(amqp_url, broker_names, monkeypatch, tmp_path):
    """experiences and moderation both bound to EVENT, as in the platform; a pika channel."""
    monkeypatch.setenv("EXPERIENCES_DATABASE_URL", f"sqlite:///{tmp_path / 'experiences.db'}")
    monkeypatch.setenv("AMQP_URL", amqp_url)
    monkeypatch.setenv("SPP_QUEUE_PREFIX", broker_names["prefix"])
    monkeypatch.setenv("SPP_EXCHANGE", broker_names["exchange"])
    with Connection(amqp_url) as conn:
        for service in ("experiences", "moderation"):
            Topology.build(broker_names["exchange"], f"{broker_names['prefix']}.{service}",
                           [EVENT], (50,)).declare(conn.default_channel, retry_queues=False)
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    yield conn.channel()
    conn.close()


def _dead_letter(ch, message_id: str, reason: str = "handler: boom") -> None:
    settings = Settings.from_env("experiences")
    ch.basic_publish("", deadletter.dlq_name(settings), json.dumps({"id": message_id}).encode(),
                     pika.BasicProperties(
                         delivery_mode=2, message_id=message_id, correlation_id="corr-1",
                         type=EVENT, content_type="application/json",
                         headers={ROUTING_KEY_HEADER: EVENT, ATTEMPTS_HEADER: 5,
                                  REASON_HEADER: reason, "x-other": "kept"}))


def _drain(ch, queue: str) -> list:
    got = []
    while True:
        method, props, body = ch.basic_get(queue, auto_ack=True)
        if method is None:
            return got
        got.append((props, json.loads(body)))


def test_a_replay_reaches_only_the_service_whose_dead_letter_it_was(broker, broker_names, capsys):
    _dead_letter(broker, "evt-1")
    assert deadletter.main(["replay", "experiences"]) == 0
    assert f"replayed 1 message(s) to {broker_names['prefix']}.experiences" in capsys.readouterr().out
    [(props, body)] = _drain(broker, f"{broker_names['prefix']}.experiences")
    assert body == {"id": "evt-1"} and props.message_id == "evt-1"
    assert props.correlation_id == "corr-1" and props.type == EVENT and props.delivery_mode == 2
    assert props.headers[ROUTING_KEY_HEADER] == EVENT and props.headers["x-other"] == "kept"
    assert props.headers["x-spp-replayed-reason"] == "handler: boom"
    assert ATTEMPTS_HEADER not in props.headers and REASON_HEADER not in props.headers
    assert _drain(broker, f"{broker_names['prefix']}.moderation") == []  # not sent again there
    assert _drain(broker, f"{broker_names['prefix']}.experiences.dlq") == []


def test_a_poison_is_listed_then_dropped_by_its_id(broker, broker_names, capsys):
    _dead_letter(broker, "poison-1", reason="handler: KeyError\nline two")
    _dead_letter(broker, "evt-2")
    assert deadletter.main(["list", "experiences"]) == 0
    listed = capsys.readouterr().out
    assert "2 message(s)" in listed
    assert f"  poison-1  {EVENT}  attempts 5: handler: KeyError line two" in listed
    assert "  evt-2  " in listed

    assert deadletter.main(["drop", "experiences", "poison-1"]) == 0
    assert "dead letter poison-1 dropped" in capsys.readouterr().out
    assert deadletter.main(["drop", "experiences", "poison-1"]) == 1
    assert "no dead letter poison-1" in capsys.readouterr().err
    [(props, _)] = _drain(broker, f"{broker_names['prefix']}.experiences.dlq")
    assert props.message_id == "evt-2"  # the other letter stays
    with pytest.raises(SystemExit):
        deadletter.main(["drop", "experiences"])
