"""The quarantine table in every service's history, and the secrets blanked in published rows."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from services.chassis.db import QUARANTINE_TABLE, add_messaging_tables, alembic_config, migrate

pytestmark = pytest.mark.integration

# Each service's revision with the quarantine, and the one before it.
REVISIONS = {"identity": ("0005", "0004"), "experiences": ("0006", "0005"),
             "moderation": ("0005", "0004"), "diagnostic": ("0004", "0003"),
             "notifier": ("0004", "0003")}
_model = sa.MetaData()
add_messaging_tables(_model)


def _url(kind: str, label: str, create_database, tmp_path) -> str:
    if kind == "postgresql":
        return create_database(label)
    return f"sqlite:///{tmp_path / (label + '.db')}"


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
@pytest.mark.parametrize("service", sorted(REVISIONS))
def test_each_service_gets_the_quarantine_and_can_step_back(service, kind, create_database,
                                                            tmp_path):
    url = _url(kind, f"mig_{service}", create_database, tmp_path)
    migrate(service, url)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        columns = {c["name"] for c in sa.inspect(engine).get_columns(QUARANTINE_TABLE)}
        assert columns == set(_model.tables[QUARANTINE_TABLE].columns.keys())
        ours, before = REVISIONS[service]
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() \
                >= ours
        command.downgrade(alembic_config(service, url), before)
        assert QUARANTINE_TABLE not in sa.inspect(engine).get_table_names()
        migrate(service, url)
        assert QUARANTINE_TABLE in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _row(event_type: str, payload: dict, published: bool) -> dict:
    event_id = str(uuid.uuid4())
    body = json.dumps({"id": event_id, "type": event_type, "version": 1,
                       "occurred_at": datetime.now(UTC).isoformat(), "producer": "p",
                       "correlation_id": None, "payload": payload}, separators=(",", ":"))
    return {"event_id": event_id, "event_type": event_type, "body": body,
            "created_at": datetime.now(UTC), "published_at": datetime.now(UTC) if published else None}


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
@pytest.mark.parametrize("service,event_type,field", [
    ("identity", "user.invited", "token"),
    ("identity", "user.password_reset_requested", "token"),
    ("experiences", "experience.answered", "evaluation_token"),
])
def test_the_upgrade_blanks_the_tokens_of_events_already_published(
        service, event_type, field, kind, create_database, tmp_path):
    url = _url(kind, f"purge_{service}", create_database, tmp_path)
    migrate(service, url, REVISIONS[service][1])
    sent, waiting = "sent-" + uuid.uuid4().hex, "waiting-" + uuid.uuid4().hex
    rows = [_row(event_type, {field: sent, "email": "a@b.fr"}, published=True),
            _row(event_type, {field: waiting, "email": "a@b.fr"}, published=False),
            _row("network.created", {"token": "not-a-secret-here"}, published=True)]
    outbox = _model.tables["outbox"]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(outbox), rows)
        migrate(service, url)
        with engine.connect() as conn:
            bodies = {r.event_id: json.loads(r.body)
                      for r in conn.execute(sa.select(outbox.c.event_id, outbox.c.body))}
    finally:
        engine.dispose()
    published, unpublished, other = (bodies[r["event_id"]] for r in rows)
    assert sent not in json.dumps(bodies)
    assert published["payload"] == {field: None, "email": "a@b.fr"}
    assert published["purged"] == [field]
    assert unpublished["payload"][field] == waiting and "purged" not in unpublished
    assert other["payload"] == {"token": "not-a-secret-here"} and "purged" not in other
