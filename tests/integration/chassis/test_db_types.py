"""Timestamps and text search behave the same on SQLite (`make up`) and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from services.chassis.db import LIKE_ESCAPE, Database, UTCDateTime, contains_pattern

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
things = sa.Table("things", metadata, sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("name", sa.String(50)), sa.Column("at", UTCDateTime()))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, create_database):
    url = (f"sqlite:///{tmp_path / 'types.db'}" if request.param == "sqlite"
           else create_database("types"))
    database = Database(url)
    metadata.create_all(database.engine)
    yield database
    database.dispose()


def test_timestamps_come_back_aware_in_utc(db):
    paris = timezone(timedelta(hours=1))
    written = datetime(2026, 11, 28, 21, 30, tzinfo=paris)
    with db.transaction() as session:
        session.execute(things.insert().values(id=1, name="a", at=written))
    with db.transaction() as session:
        read = session.execute(sa.select(things.c.at)).scalar_one()
        later = session.execute(sa.select(things.c.id).where(
            things.c.at > datetime(2026, 11, 28, 20, 0, tzinfo=UTC))).scalars().all()
    assert read.tzinfo is not None and read.utcoffset() == timedelta(0)
    assert read == written and read.isoformat() == "2026-11-28T20:30:00+00:00"
    assert later == [1]


def test_search_takes_wildcards_literally(db):
    with db.transaction() as session:
        session.execute(things.insert(), [{"id": 1, "name": "100% en ligne"},
                                          {"id": 2, "name": "accueil_guichet"},
                                          {"id": 3, "name": "autre"}])

    def search(text):
        with db.transaction() as session:
            return session.execute(sa.select(things.c.id).where(
                things.c.name.ilike(contains_pattern(text), escape=LIKE_ESCAPE))
                .order_by(things.c.id)).scalars().all()

    assert search("%") == [1]
    assert search("_") == [2]
    assert search("0% EN") == [1]
    assert search("\\") == []
