"""Moderation on its embedded SQLite (as `make up` runs it), which ignores FOR UPDATE itself."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from services.chassis.config import Settings
from services.chassis.db import Database, alembic_config, migrate
from services.moderation import service as api
from services.moderation.app import create_app
from services.moderation.domain import Action
from tests.support.moderation import (
    AUTHOR,
    HINT,
    TITLE,
    add_network,
    add_structure,
    case_of,
    check_case_of_before,
    flagged_case,
    insert_case_of_before,
    outbox_events,
    submit,
)


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


def test_every_field_screened_masked_and_approved(sqlite_db, tokens):
    db = sqlite_db
    structure = add_structure(db, add_network(db)["id"], "CAF de Lyon")
    _, case_id = flagged_case(db)
    app = create_app(Settings.from_env("moderation", database_url=db.url),
                     verifier=tokens.verifier("moderation"), db=db)
    headers = tokens.headers("moderator")
    client = app.test_client()
    detail = client.get(f"/cases/{case_id}", headers=headers).get_json()
    assert [f["text"] for f in detail["fields"]][::2] == [TITLE, AUTHOR]
    assert [[flag["kind"] for flag in f["flags"]] for f in detail["fields"]] == \
        [["phone"], [], ["email"], ["phone"]]
    assert detail["occurred_on"] == "2026-11-20"
    bad = client.post(f"/cases/{case_id}/preview", headers=headers,
                      json={"fields": {"structure_hint": {"masks": [{"start": 3, "end": 999}]}}})
    assert bad.status_code == 422 and bad.get_json()["errors"]["fields"]["structure_hint"]["masks"]
    answer = client.post(f"/cases/{case_id}/approve", headers=headers, json={
        "structure_id": structure["id"], "fields": {"structure_hint": {"masks": []}}})
    assert answer.status_code == 200, answer.get_json()
    decision = answer.get_json()["decision"]
    assert decision["published"]["structure_hint"] == HINT
    assert [f["kind"] for f in decision["changes"]["structure_hint"]["unmasked"]] == ["phone"]
    [event] = outbox_events(db, "moderation.approved")
    assert event["payload"]["author_name"] == "[courriel masqué]"
    assert event["payload"]["edited_fields"] == ["title", "author_name"]


def test_a_case_from_before_the_migration_still_renders(tmp_path, tokens):
    url = f"sqlite:///{tmp_path / 'before.db'}"
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


def test_the_migration_goes_down_and_up_again(sqlite_db):
    from alembic import command

    db = sqlite_db
    case_id = case_of(db, submit(db)["id"]).id
    command.downgrade(alembic_config("moderation", db.url), "0003")
    engine = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert "field_flags" not in {c["name"] for c in sa.inspect(conn).get_columns("cases")}
        # the partial unique index survives the table's copy
        index = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = "
                                     "'uq_cases_submission_experience'")).scalar_one()
        assert index.endswith("WHERE kind = 'submission'")
        assert conn.execute(sa.text("SELECT id FROM cases")).scalars().all() == [case_id]
    engine.dispose()
    migrate("moderation", db.url)
