"""Notifier against a real PostgreSQL (a database per test module, emptied before each test) and
a mail catcher per test (helpers in tests.support.notifier)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.chassis.config import Settings
from services.chassis.db import Database, migrate
from tests.support.notifier import GATEWAY, Env, Mailbox, free_port


@pytest.fixture(scope="module")
def db_url(create_database):
    url = create_database("notifier")
    migrate("notifier", url)
    return url


@pytest.fixture
def env(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("GATEWAY_URL", GATEWAY)
    db = Database(db_url)
    with db.transaction() as s:
        for table in ("emails", "digest_items", "digest_runs", "recipient_structures",
                      "recipients", "structures", "experiences", "inbox"):
            s.execute(sa.text(f"DELETE FROM {table}"))
    port = free_port()
    settings = Settings.from_env("notifier", database_url=db_url,
                                 smtp_url=f"smtp://127.0.0.1:{port}", gateway_url=GATEWAY)
    settings.extra = {"email_retry_base_s": 1, "email_max_attempts": 3}
    box = Mailbox(tmp_path / "mail", port)
    box.start()
    yield Env(db, settings, box)
    box.stop()
    db.dispose()
