"""Moderation on its embedded SQLite (as `make up` runs it), where FOR UPDATE locks nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from services.chassis.config import Settings
from services.chassis.db import Database, migrate
from services.chassis.errors import ApiError
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


def test_two_decisions_on_one_case_read_pending_together_only_one_counts(sqlite_db, tokens):
    db = sqlite_db
    structure = add_structure(db, add_network(db)["id"], "CAF de Lyon")
    case = case_of(db, submit(db)["id"])
    app = create_app(Settings.from_env("moderation", database_url=db.url),
                     verifier=tokens.verifier("moderation"), db=db)
    other = tokens.headers("moderator", sub=str(uuid.uuid4()))
    now = datetime.now(UTC)

    with pytest.raises(ApiError) as refused, db.transaction() as session:
        # This moderator has read the case, still pending...
        mine = api._pending_case(session, case.id, Action.APPROVE, "m-1", now)
        # ...when another one approves it, in a transaction of their own.
        answer = app.test_client().post(f"/cases/{case.id}/approve", headers=other,
                                        json={"structure_id": structure["id"]})
        assert answer.status_code == 200
        api._decide(session, mine, Action.APPROVE, "m-1", now,
                    structure_id=structure["id"], network_id=structure["network_id"])
    assert refused.value.status == 409
    with db.transaction() as session:
        decisions = session.execute(sa.text("SELECT count(*) FROM decisions")).scalar()
        events = session.execute(sa.text(
            "SELECT count(*) FROM outbox WHERE event_type = 'moderation.approved'")).scalar()
    assert (decisions, events) == (1, 1)
