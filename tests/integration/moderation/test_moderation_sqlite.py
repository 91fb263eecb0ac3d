"""Moderation on its embedded SQLite (as `make up` runs it), which ignores FOR UPDATE itself."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from services.chassis.config import Settings
from services.chassis.db import Database, migrate
from services.moderation import api
from services.moderation.app import create_app
from services.moderation.domain import Action

from .test_moderation_api import add_network, add_structure, case_of, submit


@pytest.fixture
def sqlite_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'moderation.db'}"
    migrate("moderation", url)
    db = Database(url)
    yield db
    db.dispose()


def test_a_second_decision_waits_for_the_first_and_is_refused(sqlite_db, tokens):
    db = sqlite_db
    structure = add_structure(db, add_network(db)["id"], "CAF de Lyon")
    case = case_of(db, submit(db)["id"])
    app = create_app(Settings.from_env("moderation", database_url=db.url),
                     verifier=tokens.verifier("moderation"), db=db)
    other = tokens.headers("moderator", sub=str(uuid.uuid4()))
    read = threading.Event()

    def first_moderator():
        now = datetime.now(UTC)
        with db.transaction() as session:
            mine = api._pending_case(session, case.id, Action.APPROVE, "m-1", now)
            read.set()
            time.sleep(0.3)  # the other moderator decides now
            api._decide(session, mine, Action.APPROVE, "m-1", now,
                        structure_id=structure["id"], network_id=structure["network_id"])

    thread = threading.Thread(target=first_moderator)
    thread.start()
    assert read.wait(5)
    answer = app.test_client().post(f"/cases/{case.id}/approve", headers=other,
                                    json={"structure_id": structure["id"]})
    thread.join(5)
    assert answer.status_code == 409, answer.get_json()
    assert "déjà été traité" in answer.get_json()["message"]
    with db.transaction() as session:
        decisions = session.execute(sa.text("SELECT moderator_id FROM decisions")).scalars().all()
    assert decisions == ["m-1"]
