"""A deactivated account's token is refused at once by the other services, not at its expiry."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.chassis.config import Settings
from services.chassis.consumer import EventConsumer
from services.chassis.db import Database, migrate
from services.chassis.events import Event, parse_event
from services.experiences.app import create_app
from services.experiences.handlers import HANDLERS


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def service(request, create_database, tokens, tmp_path_factory):
    # SQLite as `make up` runs it: it hands datetimes back as text unless typed.
    url = create_database("revocation") if request.param == "postgresql" else \
        f"sqlite:///{tmp_path_factory.mktemp('revocation') / 'experiences.db'}"
    migrate("experiences", url)
    db = Database(url)
    app = create_app(Settings.from_env("experiences", database_url=url), db=db,
                     verifier=tokens.verifier("experiences"))
    yield app.test_client(), db
    db.dispose()


def _user_event(db, event_type: str, user_id: str, active: bool, at: datetime) -> None:
    payload = {"id": user_id, "email": "agent@spp.test", "name": "Agent", "profile": "agent",
               "missions": ["answer"], "network_id": None, "structure_ids": [],
               "notification_frequency": "immediate", "active": active}
    event = Event(type=event_type, payload=payload, producer="identity", occurred_at=at)
    parsed, loaded = parse_event(event.to_json())
    EventConsumer(None, db, HANDLERS, None).handle(HANDLERS[event_type], parsed, loaded)


def _status(client, token: str) -> tuple[int, dict]:
    response = client.get("/experiences", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.get_json()


def test_deactivation_refuses_tokens_already_issued(service, tokens):
    client, db = service
    user_id = str(uuid.uuid4())
    token = tokens.issue("agent", sub=user_id)
    assert _status(client, token)[0] == 200
    _user_event(db, "user.deactivated", user_id, False, datetime.now(UTC))
    status, body = _status(client, token)
    assert status == 401 and body["code"] == "account_disabled"
    other = tokens.issue("agent")  # someone else is not concerned
    assert _status(client, other)[0] == 200


def test_reactivation_lifts_it_but_a_late_older_event_does_not(service, tokens):
    client, db = service
    user_id = str(uuid.uuid4())
    token = tokens.issue("agent", sub=user_id)
    now = datetime.now(UTC)
    _user_event(db, "user.deactivated", user_id, False, now)
    _user_event(db, "user.updated", user_id, True, now - timedelta(minutes=1))  # late, older
    assert _status(client, token)[0] == 401
    _user_event(db, "user.updated", user_id, True, now + timedelta(seconds=1))
    assert _status(client, token)[0] == 200


def test_a_token_issued_after_the_deactivation_is_not_caught_by_it(service, tokens):
    client, db = service
    user_id = str(uuid.uuid4())
    _user_event(db, "user.deactivated", user_id, False,
                datetime.now(UTC) - timedelta(seconds=5))
    time.sleep(0.01)
    # Identity issues none to an inactive account; one issued after a reactivation whose
    # event has not arrived yet must still work.
    assert _status(client, tokens.issue("agent", sub=user_id))[0] == 200
