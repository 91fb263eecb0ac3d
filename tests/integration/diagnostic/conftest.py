"""Diagnostic against a real PostgreSQL: one database per test module, its app, a fresh tree of
structures per test (helpers in tests.support.diagnostic_db)."""

import pytest

from services.chassis.catalogue import EventType
from services.chassis.config import Settings
from services.chassis.db import Database, migrate
from services.diagnostic.app import create_app
from tests.support.diagnostic_db import structure_event, uid


@pytest.fixture(scope="module")
def env(create_database, tokens):
    url = create_database("diagnostic")
    migrate("diagnostic", url)
    db = Database(url)
    app = create_app(Settings.from_env("diagnostic", database_url=url), db=db,
                     verifier=tokens.verifier("diagnostic"))
    yield app, db
    db.dispose()


@pytest.fixture
def client(env):
    return env[0].test_client()


@pytest.fixture
def db(env):
    return env[1]


@pytest.fixture
def world(db):
    """Two networks: N1 with A (child A1) and B; N2 with C."""
    ids = {"N1": uid(), "N2": uid(), "A": uid(), "A1": uid(), "B": uid(), "C": uid()}
    for name, network, parent in (("A", "N1", None), ("A1", "N1", "A"), ("B", "N1", None),
                                  ("C", "N2", None)):
        structure_event(db, EventType.STRUCTURE_CREATED, id=ids[name], network_id=ids[network],
                        parent_id=ids[parent] if parent else None, name=f"Structure {name}")
    return ids
