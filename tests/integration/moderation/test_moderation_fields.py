"""Per-field screening against a real PostgreSQL (and RabbitMQ for the round trip): every public
field flagged and masked, the moderator's masks previewed and approved, the audit of changes."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, date, datetime

import pika
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.chassis.amqp import Message, PipelinedPublisher, connection_parameters
from services.chassis.catalogue import EventType
from services.chassis.config import Settings
from services.chassis.consumer import EventConsumer, Topology, open_connection
from services.chassis.db import Database, alembic_config, migrate
from services.chassis.events import make_event
from services.chassis.relay import OutboxRelay
from services.moderation.app import create_app
from services.moderation.handlers import HANDLERS
from services.moderation.models import Case, Structure
from tests.support.moderation import (
    AUTHOR,
    HINT,
    PHONE_AT,
    TITLE,
    add_network,
    add_structure,
    audit_rows,
    case_of,
    check_case_of_before,
    flagged_case,
    insert_case_of_before,
    kinds,
    outbox_events,
    request_reorientation,
    submit,
)


def fields_by_name(answer):
    return {field["name"]: field for field in answer["fields"]}


# --- the case ---------------------------------------------------------------------------------

def test_every_public_field_is_screened_and_shown_with_its_flags(db, client, moderator):
    payload, case_id = flagged_case(db)
    detail = client.get(f"/cases/{case_id}", headers=moderator["headers"]).get_json()
    assert [f["name"] for f in detail["fields"]] == ["title", "body", "author_name",
                                                      "structure_hint"]
    title, body, author, hint = detail["fields"]
    assert kinds(title) == [("phone", PHONE_AT, PHONE_AT + 14, True)]
    assert title["text"] == TITLE and title["redacted"] == "Rappelez-moi au [téléphone masqué]"
    assert kinds(author) == [("email", 0, len(AUTHOR), True)]
    assert author["redacted"] == "[courriel masqué]"
    assert [f["kind"] for f in hint["flags"]] == ["phone"]
    assert hint["redacted"] == "CAF de Lyon, guichet du [téléphone masqué]"
    assert body["flags"] == [] and body["redacted"] == payload["body"]
    assert (detail["author_name"], detail["channel"], detail["occurred_on"], detail["feeling"]) \
        == (AUTHOR, "guichet", "2026-11-20", "negative")
    # the keys of before stay: the body's
    assert detail["body"] == payload["body"] and detail["flags"] == []
    assert detail["redacted_body"] == payload["body"]
    [row] = client.get("/cases", headers=moderator["headers"]).get_json()["items"]
    assert row["flag_count"] == 3


def test_an_advisory_flag_is_shown_but_not_masked(db, client, moderator, monkeypatch):
    # the detectors change while this is written: the rule is about what a vulgarity flag does
    from services.moderation import domain
    from services.moderation.screening import Flag, FlagKind, screen

    def with_vulgarity(text, field="body"):
        found = screen(text, field=field)
        return found if "bordel" not in text else [
            Flag(FlagKind.VULGARITY, text.index("bordel"), text.index("bordel") + 6)]

    monkeypatch.setattr(domain, "screen", with_vulgarity)
    case_id = case_of(db, submit(db, body="Quel bordel ce guichet.")["id"]).id
    body = fields_by_name(client.get(f"/cases/{case_id}",
                                     headers=moderator["headers"]).get_json())["body"]
    assert kinds(body) == [("vulgarity", 5, 11, False)]
    assert body["redacted"] == "Quel bordel ce guichet."


def test_a_reorientation_case_shows_its_published_texts_without_flags(db, client, moderator):
    structure = add_structure(db, add_network(db)["id"], "CAF de Lyon")
    payload = request_reorientation(db, structure)
    case_id = case_of(db, payload["id"], kind="reorientation").id
    detail = client.get(f"/cases/{case_id}", headers=moderator["headers"]).get_json()
    title, body, author, hint = detail["fields"]
    assert (title["text"], body["text"]) == (payload["title"], payload["body"])
    assert all(f["flags"] == [] and f["redacted"] == f["text"] for f in detail["fields"])
    preview = client.post(f"/cases/{case_id}/preview", json={}, headers=moderator["headers"])
    assert preview.status_code == 409


# --- preview ----------------------------------------------------------------------------------

def test_preview_with_a_flag_unmasked_and_a_passage_added(db, client, moderator):
    payload, case_id = flagged_case(db)
    passage = {"start": 0, "end": 12}  # "Rappelez-moi"
    answer = client.post(f"/cases/{case_id}/preview", headers=moderator["headers"], json={
        "fields": {"title": {"masks": [passage]},
                   "author_name": {"text": "Camille, 06 98 76 54 32"}}})
    assert answer.status_code == 200, answer.get_json()
    title, body, author, hint = answer.get_json()["fields"]
    assert title == {"name": "title", "text": TITLE,
                     "published": "[passage masqué] au 06 12 34 56 78",
                     "masks": [{"kind": "other", "start": 0, "end": 12}], "edited": True,
                     "text_edited": False, "warnings": []}
    assert author["published"] == "Camille, 06 98 76 54 32" and author["masks"] == []
    assert author["text_edited"] and author["edited"] and author["text"] == AUTHOR
    assert {"kind": "phone", "start": 9, "end": 23} in author["warnings"]  # the data left in it
    assert hint["published"] == "CAF de Lyon, guichet du [téléphone masqué]"
    assert body["edited"] is False and body["published"] == payload["body"]
    # nothing changed, nothing claimed
    case = case_of(db, payload["id"])
    assert case.status == "pending" and case.claimed_by is None
    assert outbox_events(db) == [] and audit_rows(db, case_id) == []


def test_preview_needs_the_moderation_permission(db, client, tokens):
    _, case_id = flagged_case(db)
    agent = tokens.headers("agent", network_id=str(uuid.uuid4()))
    assert client.post(f"/cases/{case_id}/preview", json={}, headers=agent).status_code == 403
    assert client.post(f"/cases/{case_id}/preview", json={}).status_code == 401


def test_preview_of_an_unknown_case_is_404(client, moderator):
    answer = client.post(f"/cases/{uuid.uuid4()}/preview", json={}, headers=moderator["headers"])
    assert answer.status_code == 404


# --- approve ----------------------------------------------------------------------------------

def test_approve_publishes_every_field_masked_and_records_the_changes(db, client, moderator):
    network = add_network(db)
    structure = add_structure(db, network["id"], "CAF de Lyon")
    payload, case_id = flagged_case(db)
    answer = client.post(f"/cases/{case_id}/approve", headers=moderator["headers"], json={
        "structure_id": structure["id"],
        "fields": {"title": {"masks": [{"start": 0, "end": 12}]}}})
    assert answer.status_code == 200, answer.get_json()
    published = {"title": "[passage masqué] au 06 12 34 56 78", "body": payload["body"],
                 "author_name": "[courriel masqué]",
                 "structure_hint": "CAF de Lyon, guichet du [téléphone masqué]"}
    phone = {"kind": "phone", "start": PHONE_AT, "end": PHONE_AT + 14, "note": None}
    changes = {"title": {"unmasked": [phone], "added": [{"kind": "other", "start": 0, "end": 12}],
                         "text_edited": False}}
    decision = answer.get_json()["decision"]
    assert decision["published"] == published and decision["changes"] == changes
    assert decision["edited"] is True and decision["published_body"] == payload["body"]

    [event] = outbox_events(db, "moderation.approved")
    assert event["payload"] == {
        "case_id": case_id, "experience_id": payload["id"], "structure_id": structure["id"],
        "network_id": network["id"], "moderator_id": moderator["id"], "edited": True,
        "body": payload["body"], "title": published["title"],
        "author_name": published["author_name"], "structure_hint": published["structure_hint"],
        "edited_fields": ["title", "author_name", "structure_hint"]}
    # the audit: who changed what, kept on the decision row; the usager's words stay private
    [audit] = audit_rows(db, case_id)
    assert (audit.moderator_id, audit.published, audit.changes) == \
        (moderator["id"], published, changes)
    assert AUTHOR not in json.dumps(event) and AUTHOR not in json.dumps(audit.changes)
    # and the decided case shows it
    again = client.get(f"/cases/{case_id}", headers=moderator["headers"]).get_json()
    assert again["decision"]["changes"] == changes


def test_approve_with_edited_texts_and_legacy_body(db, client, moderator):
    structure = add_structure(db, add_network(db)["id"], "CAF de Lyon")
    payload, case_id = flagged_case(db)
    answer = client.post(f"/cases/{case_id}/approve", headers=moderator["headers"], json={
        "structure_id": structure["id"], "body": "Texte reformulé.",
        "fields": {"author_name": {"text": "Camille"}, "title": {"text": TITLE}}})
    assert answer.status_code == 200, answer.get_json()
    decision = answer.get_json()["decision"]
    assert decision["published"]["body"] == "Texte reformulé."
    assert decision["published"]["author_name"] == "Camille"
    assert decision["published"]["title"] == TITLE  # her choice: the text as written
    assert decision["changes"] == {
        name: {"unmasked": [], "added": [], "text_edited": True}
        for name in ("title", "body", "author_name")}
    [event] = outbox_events(db, "moderation.approved")
    assert event["payload"]["edited_fields"] == ["body", "author_name", "structure_hint"]


def test_approve_without_changes_records_none(db, client, moderator):
    structure = add_structure(db, add_network(db)["id"], "CAF de Lyon")
    case_id = case_of(db, submit(db, body="Accueil aimable.")["id"]).id
    answer = client.post(f"/cases/{case_id}/approve", headers=moderator["headers"],
                         json={"structure_id": structure["id"]})
    decision = answer.get_json()["decision"]
    assert decision["changes"] == {} and decision["edited"] is False
    [event] = outbox_events(db, "moderation.approved")
    assert event["payload"]["edited_fields"] == [] and event["payload"]["edited"] is False


def test_a_rejection_has_no_published_texts(db, client, moderator):
    _, case_id = flagged_case(db)
    answer = client.post(f"/cases/{case_id}/reject", json={"reason": "personal_data"},
                         headers=moderator["headers"]).get_json()
    assert answer["decision"]["published"] is None and answer["decision"]["changes"] is None


# --- bad input --------------------------------------------------------------------------------

MASK_SHAPES = {
    "out of range": [{"start": 0, "end": len(TITLE) + 1}],
    "negative": [{"start": -2, "end": 3}],
    "overlap": [{"start": 0, "end": 10}, {"start": 5, "end": 12}],
    "unknown kind": [{"start": 0, "end": 3, "kind": "secret"}],
    "start equals end": [{"start": 4, "end": 4}],
    "start after end": [{"start": 9, "end": 4}],
}


@pytest.mark.parametrize("action", ["preview", "approve"])
@pytest.mark.parametrize("shape", list(MASK_SHAPES))
def test_bad_masks_are_422_under_the_field(db, client, moderator, action, shape):
    structure = add_structure(db, add_network(db)["id"], "CAF de Lyon")
    payload, case_id = flagged_case(db)
    answer = client.post(f"/cases/{case_id}/{action}", headers=moderator["headers"], json={
        "structure_id": structure["id"],
        "fields": {"title": {"masks": MASK_SHAPES[shape]}}} if action == "approve" else {
        "fields": {"title": {"masks": MASK_SHAPES[shape]}}})
    assert answer.status_code == 422, answer.get_json()
    messages = answer.get_json()["errors"]["fields"]["title"]["masks"]
    assert messages and all(m.startswith("Masque") for m in messages)
    assert case_of(db, payload["id"]).status == "pending" and outbox_events(db) == []


@pytest.mark.parametrize("decisions, path", [
    ({"title": {"text": "   "}}, ("title", "text")),
    ({"body": {"text": ""}}, ("body", "text")),
    ({"title": {"text": "x" * 301}}, ("title", "text")),
    ({"body": {"text": "x" * 20_001}}, ("body", "text")),
    ({"author_name": {"text": "x" * 201}}, ("author_name", "text")),
    ({"structure_hint": {"text": "x" * 401}}, ("structure_hint", "text")),
    ({"place": {"text": "x"}}, ("place",)),
    ({"title": {"masks": "0-3"}}, ("title", "masks")),
    ({"title": {"masks": [{"start": "a", "end": 3}]}}, ("title", "masks")),
    ({"title": {"masks": [{"start": 1}]}}, ("title", "masks")),
    ({"title": {"masks": [{"start": 0, "end": 3}] * 501}}, ("title", "masks")),
    ({"title": {"colour": "red"}}, ("title", "colour")),
    ({"title": "masqué"}, ("title",)),
])
@pytest.mark.parametrize("action", ["preview", "approve"])
def test_bad_field_decisions_are_422_naming_the_field(db, client, moderator, decisions, path,
                                                      action):
    structure = add_structure(db, add_network(db)["id"], "CAF de Lyon")
    _, case_id = flagged_case(db)
    body = {"fields": decisions} | ({"structure_id": structure["id"]} if action == "approve"
                                    else {})
    answer = client.post(f"/cases/{case_id}/{action}", json=body, headers=moderator["headers"])
    assert answer.status_code == 422, answer.get_json()
    errors = answer.get_json()["errors"]["fields"]
    for key in path:
        errors = errors[key]
    assert errors


_SPAN = st.integers(min_value=-3, max_value=45)
_MASK = st.fixed_dictionaries({"start": _SPAN, "end": _SPAN},
                              optional={"kind": st.sampled_from(["phone", "other", "", "x"])})
_DECISION = st.fixed_dictionaries({}, optional={
    "masks": st.none() | st.lists(_MASK, max_size=4),
    "text": st.none() | st.text(max_size=40) | st.sampled_from(["", " ", "x" * 301])})
_DECISIONS = st.dictionaries(st.sampled_from(["title", "body", "author_name", "structure_hint",
                                              "place"]), _DECISION, max_size=4)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(decisions=_DECISIONS)
def test_any_field_decision_is_answered_200_or_422(db, client, moderator, decisions):
    # preview changes nothing: the case made by the first example serves them all
    with db.transaction() as session:
        case_id = session.execute(sa.select(Case.id)).scalar() or flagged_case(db)[1]
    answer = client.post(f"/cases/{case_id}/preview", json={"fields": decisions},
                         headers=moderator["headers"])
    assert answer.status_code in (200, 422), (decisions, answer.get_json())
    if answer.status_code == 200:
        for field in answer.get_json()["fields"]:
            if not field["text_edited"] and not field["masks"]:
                assert field["published"] == field["text"]


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(decisions=_DECISIONS, text=st.text(max_size=20))
def test_any_approval_is_answered_200_or_422(db, client, moderator, decisions, text):
    with db.transaction() as session:
        structure_id = session.execute(sa.select(Structure.id)).scalar() or add_structure(
            db, add_network(db)["id"], "CAF de Lyon")["id"]
    _, case_id = flagged_case(db)
    decisions.setdefault("author_name", {})["text"] = text  # any character, NUL included
    answer = client.post(f"/cases/{case_id}/approve", headers=moderator["headers"],
                         json={"structure_id": structure_id, "fields": decisions})
    assert answer.status_code in (200, 422), (decisions, answer.get_json())
    if answer.status_code == 422:
        assert answer.get_json()["errors"]["fields"] and not audit_rows(db, case_id)


def test_two_different_body_texts_are_422(db, client, moderator):
    structure = add_structure(db, add_network(db)["id"], "CAF de Lyon")
    _, case_id = flagged_case(db)
    answer = client.post(f"/cases/{case_id}/approve", headers=moderator["headers"], json={
        "structure_id": structure["id"], "body": "Un texte.", "fields": {"body": {"text": "Un autre."}}})
    assert answer.status_code == 422 and "body" in answer.get_json()["errors"]


# --- a case opened before every field was screened ----------------------------------------------

def test_a_case_from_before_the_migration_still_renders(create_database, tokens):
    url = create_database("moderation_before")
    migrate("moderation", url, "0003")
    ids = insert_case_of_before(url)
    migrate("moderation", url)
    db = Database(url)
    try:
        app = create_app(Settings.from_env("moderation", database_url=url),
                         verifier=tokens.verifier("moderation"), db=db)
        check_case_of_before(db, app, tokens.headers("moderator"), ids)
    finally:
        db.dispose()


def test_the_migration_goes_down_and_up_again(create_database):
    from alembic import command

    url = create_database("moderation_migration")
    migrate("moderation", url)
    command.downgrade(alembic_config("moderation", url), "0003")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("cases")}
    assert "field_flags" not in columns and "author_name" not in columns
    engine.dispose()
    migrate("moderation", url)


# --- the round trip through RabbitMQ ------------------------------------------------------------

def _wait_for(predicate, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_submitted_through_the_broker_approved_event_out(db, client, moderator, amqp_url,
                                                         broker_names):
    exchange, queue = broker_names["exchange"], f"{broker_names['prefix']}.moderation"
    sink = f"{broker_names['prefix']}.moderation.retry.30000"  # a name the fixture deletes
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    channel = conn.channel()
    channel.exchange_declare(exchange, "topic", durable=True)
    channel.queue_declare(sink, durable=True)
    channel.queue_bind(sink, exchange, routing_key="moderation.approved")
    structure = add_structure(db, add_network(db)["id"], "CAF de Lyon")

    topology = Topology.build(exchange, queue, list(HANDLERS), (50, 100))
    consumer = EventConsumer(open_connection(amqp_url), db, HANDLERS, topology,
                             max_attempts=3, retry_delays_ms=(50, 100))
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    experience_id = str(uuid.uuid4())
    try:
        _wait_for(lambda: getattr(consumer, "_producer", None))
        event = make_event(EventType.EXPERIENCE_SUBMITTED, {
            "id": experience_id, "title": TITLE, "body": "Attente longue.",
            "structure_hint": HINT, "postal_code": "69003", "channel": "guichet",
            "occurred_on": date(2026, 11, 20), "feeling": "negative", "author_name": AUTHOR,
            "submitted_at": datetime.now(UTC)}, "experiences")
        with PipelinedPublisher(amqp_url) as publisher:
            publisher.publish_batch([Message(exchange=exchange, routing_key=event.type,
                                             body=event.to_json(), message_id=event.id)])
        _wait_for(lambda: consumer.handled >= 1)
    finally:
        consumer.should_stop = True
        thread.join(timeout=10)
        consumer.connection.release()
    case_id = case_of(db, experience_id).id
    detail = client.get(f"/cases/{case_id}", headers=moderator["headers"]).get_json()
    assert [f["kind"] for f in fields_by_name(detail)["author_name"]["flags"]] == ["email"]
    approved = client.post(f"/cases/{case_id}/approve", headers=moderator["headers"],
                           json={"structure_id": structure["id"]})
    assert approved.status_code == 200, approved.get_json()

    OutboxRelay(db, amqp_url, exchange).run_once()

    def ours():
        while True:
            method, _props, body = channel.basic_get(sink, auto_ack=True)
            if method is None:
                return None
            message = json.loads(body)
            if message["payload"]["experience_id"] == experience_id:
                return message

    message = _wait_for(ours)
    conn.close()
    assert message["payload"]["title"] == "Rappelez-moi au [téléphone masqué]"
    assert message["payload"]["author_name"] == "[courriel masqué]"
    assert message["payload"]["structure_hint"] == "CAF de Lyon, guichet du [téléphone masqué]"
    assert message["payload"]["edited_fields"] == ["title", "author_name", "structure_hint"]
