"""Moderation against its database (fixtures in tests/integration/moderation/conftest.py): events
delivered as the consumer does, a network, structures, cases, what the outbox and the audit hold;
a case with personal data in every field; a case written before every field was screened.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa

from services.chassis.catalogue import EventType
from services.chassis.consumer import EventConsumer
from services.chassis.db import Database
from services.chassis.events import make_event, parse_event
from services.moderation.handlers import HANDLERS
from services.moderation.models import Case, Decision


def deliver(db, event_type, payload, event=None):
    """Hand an event to moderation's handler the way the consumer does (inbox included)."""
    event = event or make_event(event_type, payload, producer="test")
    event, loaded = parse_event(event.to_json())
    consumer = EventConsumer(None, db, HANDLERS, topology=None)
    consumer.handle(HANDLERS[event_type], event, loaded)
    return event


def add_network(db, code="caf"):
    payload = {"id": str(uuid.uuid4()), "code": code, "name": f"Réseau {code}",
               "requires_validation": False, "target_delay_days": 15}
    deliver(db, EventType.NETWORK_CREATED, payload)
    return payload


def add_structure(db, network_id, name, postal_code="69003", city="Lyon", active=True):
    payload = {"id": str(uuid.uuid4()), "network_id": network_id, "parent_id": None,
               "name": name, "postal_code": postal_code, "city": city, "channels": [],
               "active": active}
    deliver(db, EventType.STRUCTURE_CREATED, payload)
    return payload


def submit(db, body="J'ai attendu deux heures au guichet.", submitted_at=None, **extra):
    payload = {
        "id": str(uuid.uuid4()), "title": "Attente interminable", "body": body,
        "structure_hint": "CAF de Lyon", "postal_code": "69003", "channel": "guichet",
        "occurred_on": date(2026, 11, 20), "feeling": "negative", "author_name": "Un usager",
        "submitted_at": submitted_at or datetime.now(UTC),
    } | extra
    deliver(db, EventType.EXPERIENCE_SUBMITTED, payload)
    return payload


def request_reorientation(db, structure, reason="Ne relève pas de notre agence."):
    payload = {"id": str(uuid.uuid4()), "title": "Dossier égaré", "body": "Mon dossier est perdu.",
               "structure_id": structure["id"], "network_id": structure["network_id"],
               "reason": reason, "requested_by": str(uuid.uuid4())}
    deliver(db, EventType.EXPERIENCE_REORIENTATION_REQUESTED, payload)
    return payload


def case_of(db, experience_id, kind="submission"):
    with db.transaction() as session:
        return session.execute(sa.select(Case).where(
            Case.experience_id == experience_id, Case.kind == kind)).scalar_one()


def outbox_events(db, event_type=None):
    with db.transaction() as session:
        rows = session.execute(sa.text("SELECT event_type, body FROM outbox ORDER BY id")).all()
    return [json.loads(body) for t, body in rows if event_type in (None, t)]


def audit_rows(db, case_id):
    with db.transaction() as session:
        query = sa.select(Decision).where(Decision.case_id == case_id)
        return session.execute(query).scalars().all()


# --- a case with personal data in its fields --------------------------------------------------

TITLE = "Rappelez-moi au 06 12 34 56 78"
AUTHOR = "camille.martin@example.org"
HINT = "CAF de Lyon, guichet du 06 11 22 33 44"
PHONE_AT = TITLE.index("06")


def flagged_case(db):
    """A case whose title, author name and place each hold personal data."""
    payload = submit(db, title=TITLE, author_name=AUTHOR, structure_hint=HINT,
                     body="Accueil correct, attente longue.")
    return payload, case_of(db, payload["id"]).id


def kinds(field):
    return [(flag["kind"], flag["start"], flag["end"], flag["masked"]) for flag in field["flags"]]


# --- a case opened before every field was screened (revision 0003) ----------------------------

def insert_case_of_before(db_url: str) -> dict:
    """A case and a decided one written by the schema of revision 0003 (no per-field data)."""
    ids = {"pending": str(uuid.uuid4()), "decided": str(uuid.uuid4()),
           "experience": str(uuid.uuid4())}
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    now = datetime.now(UTC)
    row = {"kind": "submission", "title": "Rappelez-moi au 06 12 34 56 78",
           "body": "Mon mail : camille@example.org", "structure_hint": "CAF de Lyon",
           "postal_code": "69003", "flags": [{"kind": "email", "start": 11, "end": 30}],
           "redacted_body": "Mon mail : [courriel masqué]", "created_at": now}
    with engine.begin() as conn:
        # the tables as that revision left them, read from the database itself
        cases, decisions = (sa.Table(name, sa.MetaData(), autoload_with=conn)
                            for name in ("cases", "decisions"))
        assert "field_flags" not in cases.c and "changes" not in decisions.c
        conn.execute(cases.insert(), [
            row | {"id": ids["pending"], "experience_id": ids["experience"], "status": "pending"},
            row | {"id": ids["decided"], "experience_id": str(uuid.uuid4()), "status": "approved",
                   "decided_at": now}])
        conn.execute(decisions.insert(), {
            "id": str(uuid.uuid4()), "case_id": ids["decided"], "moderator_id": "m-0",
            "action": "approve", "structure_id": "s", "network_id": "n", "decided_at": now,
            "published_body": "Mon mail : [courriel masqué]", "edited": True})
    engine.dispose()
    return ids


def check_case_of_before(db: Database, app, headers: dict, ids: dict) -> None:
    """Read and approve the cases `insert_case_of_before` wrote, once migrated to head."""
    client = app.test_client()
    detail = client.get(f"/cases/{ids['pending']}", headers=headers)
    assert detail.status_code == 200, detail.get_json()
    detail = detail.get_json()
    title, body, author, hint = detail["fields"]
    assert title == {"name": "title", "text": "Rappelez-moi au 06 12 34 56 78", "flags": [],
                     "redacted": "Rappelez-moi au 06 12 34 56 78"}
    assert kinds(body) == [("email", 11, 30, True)]
    assert body["redacted"] == "Mon mail : [courriel masqué]"
    assert (author["text"], hint["text"], hint["flags"]) == ("", "CAF de Lyon", [])
    assert (detail["author_name"], detail["channel"], detail["occurred_on"], detail["feeling"]) \
        == ("", "", None, "")
    decided = client.get(f"/cases/{ids['decided']}", headers=headers).get_json()
    assert decided["decision"]["published_body"] == "Mon mail : [courriel masqué]"
    assert decided["decision"]["published"] is None and decided["decision"]["changes"] is None
    assert client.get("/cases", headers=headers).status_code == 200

    structure = add_structure(db, add_network(db)["id"], "CAF de Lyon")
    preview = client.post(f"/cases/{ids['pending']}/preview", headers=headers,
                          json={"fields": {"title": {"masks": [{"start": 16, "end": 30,
                                                                "kind": "phone"}]}}})
    assert preview.get_json()["fields"][0]["published"] == "Rappelez-moi au [téléphone masqué]"
    approved = client.post(f"/cases/{ids['pending']}/approve", headers=headers,
                           json={"structure_id": structure["id"]})
    assert approved.status_code == 200, approved.get_json()
    # the author name was never kept: None leaves the usager's own where experiences has it
    assert approved.get_json()["decision"]["published"]["author_name"] is None
    with db.transaction() as session:
        body = session.execute(sa.text("SELECT body FROM outbox WHERE event_type = "
                                       "'moderation.approved'")).scalar_one()
    payload = json.loads(body)["payload"]
    assert (payload["title"], payload["author_name"], payload["edited_fields"]) == \
        ("Rappelez-moi au 06 12 34 56 78", None, ["body"])
