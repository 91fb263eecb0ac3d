"""Each service's models are what its migrations build: a column, table or index declared in
models.py without a migration (or the reverse) is found here, on PostgreSQL, where the
deployment runs, and on SQLite, where `make up` does."""

from __future__ import annotations

import importlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.chassis.db import migrate

pytestmark = pytest.mark.integration

SERVICES = ["identity", "experiences", "moderation", "diagnostic", "notifier"]
# Written by migrations only: the list-order indexes of experiences 0007 sort NULLs first, which
# an index of models.py cannot say for both databases; the full-text GIN index (0002) and the
# trigram one (0009) are PostgreSQL's own.
MIGRATION_ONLY_INDEXES = {"ix_experiences_structure_order", "ix_experiences_structure_status_order",
                          "ix_experiences_fts", "ix_experiences_search_trgm"}
# SQLite keeps the declared length of a column it never enforces (experiences 0005 widens them on
# PostgreSQL only).
SQLITE_TYPE_ONLY = {("experiences", "title"), ("experiences", "structure_hint"),
                    ("experiences", "author_name")}


def _differences(url: str, service: str) -> list:
    migrate(service, url)
    models = importlib.import_module(f"services.{service}.models")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            found = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    finally:
        engine.dispose()
    kept = []
    for diff in found:
        change = diff[0] if isinstance(diff, list) else diff
        if change[0] == "remove_index" and change[1].name in MIGRATION_ONLY_INDEXES:
            continue
        if change[0] == "modify_type" and url.startswith("sqlite") and \
                (change[2], change[3]) in SQLITE_TYPE_ONLY:
            continue
        kept.append(diff)
    return kept


@pytest.mark.parametrize("service", SERVICES)
def test_postgresql(service, create_database):
    assert _differences(create_database(f"drift_{service}"), service) == []


@pytest.mark.parametrize("service", SERVICES)
def test_sqlite(service, tmp_path):
    assert _differences(f"sqlite:///{tmp_path}/{service}.db", service) == []
