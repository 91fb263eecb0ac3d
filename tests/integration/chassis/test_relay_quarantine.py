"""The relay's quarantine and the outbox's secrets, on PostgreSQL and SQLite, against the real broker.

A row the broker refuses (or that no AMQP message can carry) leaves the outbox for
`outbox_quarantine` with its reason, and the rows behind it are published; the dead-letter
command lists, shows, retries and discards it; a confirmed event's secret fields are blanked.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from datetime import UTC, datetime

import pika
import pytest
import sqlalchemy as sa

from services.chassis import deadletter
from services.chassis.amqp import PublishError, connection_parameters
from services.chassis.catalogue import TEST_EVENT, EventType
from services.chassis.db import Database, add_messaging_tables, outbox_gauges
from services.chassis.events import InvalidEvent, make_event, parse_event, publish
from services.chassis.relay import OutboxRelay

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
outbox, inbox = add_messaging_tables(metadata)
quarantine = metadata.tables["outbox_quarantine"]
RABBITMQ_DEFAULT_MAX_MESSAGE = 128 * 1024 * 1024


@pytest.fixture(params=["postgresql", "sqlite"])
def db(request, create_database, tmp_path):
    if request.param == "postgresql":
        url = create_database("quarantine")
    else:
        url = f"sqlite:///{tmp_path / 'quarantine.db'}"
    database = Database(url)
    metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def sink(amqp_url, broker_names):
    """A queue bound to everything on the test's exchange."""
    queue = f"{broker_names['prefix']}.chassis"
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    ch = conn.channel()
    ch.exchange_declare(broker_names["exchange"], "topic", durable=True)
    ch.queue_declare(queue, durable=True)
    ch.queue_bind(queue, broker_names["exchange"], routing_key="#")
    conn.close()
    return queue


def _drain(amqp_url, queue) -> list[tuple]:
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    ch = conn.channel()
    got = []
    while True:
        method, props, body = ch.basic_get(queue, auto_ack=True)
        if method is None:
            break
        got.append((props, json.loads(body)))
    conn.close()
    return got


def _broker_max_message_size() -> int:
    """The broker's max_message_size (rabbitmqctl beside it), else RabbitMQ's default."""
    try:
        out = subprocess.run(["rabbitmqctl", "-q", "eval",
                              "application:get_env(rabbit, max_message_size)."],
                             capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return RABBITMQ_DEFAULT_MAX_MESSAGE
    found = re.search(r"\{ok,(\d+)\}", out)
    return int(found.group(1)) if found else RABBITMQ_DEFAULT_MAX_MESSAGE


def _good(db, n: int) -> str:
    with db.transaction() as session:
        return publish(session, TEST_EVENT, {"n": n}, producer="chassis").id


def _raw_row(db, envelope: dict) -> int:
    """A row as an older producer could have written it, past today's bounds."""
    with db.transaction() as session:
        return session.execute(sa.insert(outbox).values(
            event_id=envelope["id"], event_type=envelope["type"],
            body=json.dumps(envelope, separators=(",", ":")),
            created_at=datetime.now(UTC)).returning(outbox.c.id)).scalar_one()


def _envelope(n: int, **changes) -> dict:
    envelope = json.loads(make_event(TEST_EVENT, {"n": n}, producer="chassis").to_json())
    envelope.update(changes)
    return envelope


def _quarantined(db) -> list:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(quarantine).order_by(quarantine.c.id)).all()


def _unpublished(db) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(outbox)
                            .where(outbox.c.published_at.is_(None))).scalar_one()


def _run_until_empty(relay: OutboxRelay) -> None:
    for _ in range(5):
        if relay.run_once() == 0:
            return
    raise AssertionError("the relay never emptied the outbox")


def test_poisoned_rows_are_quarantined_with_their_reason_and_the_rows_behind_them_leave(
        db, amqp_url, broker_names, sink):
    first = _good(db, 0)
    long_id = _envelope(100, correlation_id="c" * 300)  # over what an AMQP property holds
    long_id_row = _raw_row(db, long_id)
    second = _good(db, 1)
    too_big = _envelope(101)
    too_big["payload"]["note"] = "x" * (_broker_max_message_size() + 1)
    too_big_row, too_big_id = _raw_row(db, too_big), too_big["id"]
    del too_big
    third = _good(db, 2)

    relay = OutboxRelay(db, amqp_url, broker_names["exchange"], confirm_timeout=120)
    try:
        _run_until_empty(relay)
    finally:
        relay.close()

    received = _drain(amqp_url, sink)
    # Rows the refused batch carried before the culprit may arrive twice: consumers dedupe.
    assert {body["id"] for _, body in received} == {first, second, third}
    assert all(body["payload"]["n"] in (0, 1, 2) for _, body in received)
    assert _unpublished(db) == 0
    rows = _quarantined(db)
    assert [(r.outbox_id, r.event_id) for r in rows] == [(long_id_row, long_id["id"]),
                                                          (too_big_row, too_big_id)]
    assert "correlation_id does not fit an AMQP property (300 characters" in rows[0].reason
    assert "c" * 50 not in rows[0].reason  # the reason never repeats the value
    assert rows[1].reason.startswith("refused by the broker: 406 PRECONDITION_FAILED")
    assert "message size" in rows[1].reason
    assert json.loads(rows[0].body)["correlation_id"] == "c" * 300  # kept whole, to retry
    assert rows[0].created_at is not None and rows[0].quarantined_at is not None
    assert outbox_gauges(db) == (0, 2)
    with db.engine.connect() as conn:
        left = conn.execute(sa.select(outbox.c.event_id)).scalars().all()
    assert sorted(left) == sorted([first, second, third])


def test_a_broker_that_refuses_every_message_quarantines_nothing(db, amqp_url, broker_names):
    _good(db, 0)
    _good(db, 1)
    # No exchange of that name: the broker answers NOT_FOUND, the same for any message.
    relay = OutboxRelay(db, amqp_url, f"{broker_names['exchange']}.absent")
    try:
        with pytest.raises(PublishError):
            relay.run_once()
    finally:
        relay.close()
    assert _unpublished(db) == 2 and _quarantined(db) == []


def test_an_unreadable_body_is_quarantined_at_once(db, amqp_url, broker_names, sink):
    with db.transaction() as session:
        session.execute(sa.insert(outbox).values(event_id=str(uuid.uuid4()), event_type=TEST_EVENT,
                                                 body="{not json", created_at=datetime.now(UTC)))
    good = _good(db, 3)
    relay = OutboxRelay(db, amqp_url, broker_names["exchange"])
    try:
        assert relay.run_once() == 2
    finally:
        relay.close()
    assert [b["id"] for _, b in _drain(amqp_url, sink)] == [good]
    [row] = _quarantined(db)
    assert row.reason.startswith("body is not JSON")


def test_the_deadletter_command_lists_shows_retries_and_discards(
        db, amqp_url, broker_names, sink, monkeypatch, capsys):
    monkeypatch.setenv("EXPERIENCES_DATABASE_URL", db.url)
    monkeypatch.setenv("AMQP_URL", amqp_url)
    monkeypatch.setenv("SPP_QUEUE_PREFIX", broker_names["prefix"])
    monkeypatch.setenv("SPP_EXCHANGE", broker_names["exchange"])
    long_id = _envelope(7, correlation_id="c" * 300)
    _raw_row(db, long_id)
    _raw_row(db, _envelope(8, correlation_id="d" * 300))
    relay = OutboxRelay(db, amqp_url, broker_names["exchange"])
    try:
        relay.run_once()
        capsys.readouterr()
        row, other = [r.id for r in _quarantined(db)]

        assert deadletter.main(["list", "experiences"]) == 0
        listed = capsys.readouterr().out
        assert "outbox quarantine: 2 row(s)" in listed
        assert f"  {row}  {TEST_EVENT}  {long_id['id']}  quarantined" in listed
        assert "correlation_id does not fit" in listed

        assert deadletter.main(["show", "experiences"]) == 0
        shown = [json.loads(line) for line in capsys.readouterr().out.splitlines()
                 if line.startswith("{")]
        assert [s["quarantined_row"] for s in shown] == [row, other]
        assert json.loads(shown[0]["body"])["payload"] == {"n": 7}

        # As it was, it is refused again; with a fresh correlation id, it leaves.
        assert deadletter.main(["retry", "experiences", str(row)]) == 0
        relay.run_once()
        [again] = [r for r in _quarantined(db) if r.event_id == long_id["id"]]
        assert again.id != row and "correlation_id does not fit" in again.reason
        again = again.id
        assert deadletter.main(["retry", "experiences", str(again), "--new-correlation-id"]) == 0
        assert relay.run_once() == 1
    finally:
        relay.close()
    [(props, body)] = _drain(amqp_url, sink)
    assert body["id"] == long_id["id"] and props.message_id == long_id["id"]
    assert props.correlation_id == body["correlation_id"] and len(props.correlation_id) == 36

    assert deadletter.main(["discard", "experiences", str(other)]) == 0
    assert _quarantined(db) == []
    assert deadletter.main(["discard", "experiences", str(other)]) == 1
    capsys.readouterr()
    with pytest.raises(SystemExit):
        deadletter.main(["retry", "experiences"])


# Secrets at rest -----------------------------------------------------------------------------
def test_a_confirmed_events_secret_fields_are_blanked_and_a_replay_is_set_aside(
        db, amqp_url, broker_names, sink):
    reset_token, evaluation_token = "reset-" + uuid.uuid4().hex, "eval-" + uuid.uuid4().hex
    with db.transaction() as session:
        reset = publish(session, EventType.USER_PASSWORD_RESET_REQUESTED, {
            "user_id": "u-1", "email": "agent@example.fr", "name": "Agent",
            "token": reset_token, "expires_at": datetime.now(UTC)}, producer="identity")
        answered = publish(session, EventType.EXPERIENCE_ANSWERED, {
            "id": "e-1", "title": "Accueil", "structure_id": "s-1", "network_id": "n-1",
            "answered_at": datetime.now(UTC), "author_email": "auteur@example.org",
            "author_name": "Camille", "evaluation_token": evaluation_token},
            producer="experiences")
        plain = publish(session, TEST_EVENT, {"n": 1, "note": "nothing secret"}, producer="chassis")
    with db.engine.connect() as conn:  # waiting for the broker, the outbox needs them
        waiting = dict(conn.execute(sa.select(outbox.c.event_id, outbox.c.body)).all())
    assert reset_token in waiting[reset.id] and evaluation_token in waiting[answered.id]
    # What an operator's `show` prints of such a row hides the token
    assert reset_token not in deadletter.shown_body(waiting[reset.id])
    assert json.loads(deadletter.shown_body(waiting[reset.id]))["payload"]["token"] == "(secret)"

    relay = OutboxRelay(db, amqp_url, broker_names["exchange"])
    try:
        assert relay.run_once() == 3
        received = {body["id"]: body for _, body in _drain(amqp_url, sink)}
        assert received[reset.id]["payload"]["token"] == reset_token  # the consumer gets it
        assert received[answered.id]["payload"]["evaluation_token"] == evaluation_token
        with db.engine.connect() as conn:
            bodies = {r.event_id: json.loads(r.body) for r in conn.execute(sa.select(outbox))}
        everything = json.dumps(bodies)
        assert reset_token not in everything and evaluation_token not in everything
        assert bodies[reset.id]["purged"] == ["token"]
        assert bodies[reset.id]["payload"]["token"] is None
        assert bodies[reset.id]["payload"]["email"] == "agent@example.fr"
        assert bodies[answered.id]["purged"] == ["evaluation_token"]
        assert "purged" not in bodies[plain.id]
        assert bodies[plain.id]["payload"] == {"n": 1, "note": "nothing secret"}

        # Replayed by hand, the purged copy is set aside, never published without its token.
        with db.transaction() as session:
            session.execute(sa.update(outbox).where(outbox.c.event_id == reset.id)
                            .values(published_at=None))
        assert relay.run_once() == 1
    finally:
        relay.close()
    assert _drain(amqp_url, sink) == []
    [row] = _quarantined(db)
    assert row.event_id == reset.id and "purged after the first delivery" in row.reason
    with pytest.raises(InvalidEvent, match="purged"):
        parse_event(row.body)


def test_a_row_id_that_sqlite_hands_out_again_is_quarantined_again(db, amqp_url, broker_names):
    relay = OutboxRelay(db, amqp_url, broker_names["exchange"])
    try:
        for n in (1, 2):  # the outbox is empty between the two: SQLite reuses the row id
            _raw_row(db, _envelope(n, correlation_id="c" * 300))
            assert relay.run_once() == 1
    finally:
        relay.close()
    assert len(_quarantined(db)) == 2 and _unpublished(db) == 0
