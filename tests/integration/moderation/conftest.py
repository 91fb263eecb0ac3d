"""Moderation against a real PostgreSQL: a database per test module, emptied before each test,
its app and a moderator (helpers in tests.support.moderation)."""

from __future__ import annotations

import uuid

import pytest

from services.chassis.config import Settings
from services.chassis.db import Database, migrate
from services.moderation.app import create_app
from services.moderation.models import Base


@pytest.fixture(scope="module")
def database(create_database):
    url = create_database("moderation")
    migrate("moderation", url)
    db = Database(url)
    yield db
    db.dispose()


@pytest.fixture
def db(database):
    with database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    return database


@pytest.fixture
def client(db, tokens):
    settings = Settings.from_env("moderation", database_url=db.url)
    app = create_app(settings, verifier=tokens.verifier("moderation"), db=db)
    return app.test_client()


@pytest.fixture
def moderator(tokens):
    sub = str(uuid.uuid4())
    return {"id": sub, "headers": tokens.headers("moderator", sub=sub)}
