"""On SQLite, which ignores FOR UPDATE, a select asking for it still keeps a second writer out."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from services.chassis.db import Database

_meta = sa.MetaData()
_counter = sa.Table("counter", _meta, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("value", sa.Integer, nullable=False))
_READ = sa.select(_counter.c.value).where(_counter.c.id == 1)


def _database(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'lock.db'}")
    _meta.create_all(db.engine)
    with db.transaction() as session:
        session.execute(_counter.insert().values(id=1, value=0))
    return db


def _increment(db: Database, read: sa.Select, read_done: threading.Event | None = None,
               core: bool = False) -> None:
    with (db.engine.begin() if core else db.transaction()) as session:
        value = session.execute(read).scalar_one()
        if read_done is not None:
            read_done.set()
            time.sleep(0.3)  # the other transaction reads now
        session.execute(_counter.update().values(value=value + 1))


def _two_increments_at_once(db: Database, read: sa.Select, core: bool = False) -> int:
    first_read = threading.Event()
    first = threading.Thread(target=_increment, args=(db, read, first_read, core))
    first.start()
    assert first_read.wait(5)
    _increment(db, read, core=core)
    first.join(5)
    with db.transaction() as session:
        return session.execute(_READ).scalar_one()


def test_a_read_for_update_makes_the_second_writer_wait(tmp_path):
    db = _database(tmp_path)
    assert _two_increments_at_once(db, _READ.with_for_update()) == 2
    db.dispose()


def test_a_read_for_update_on_a_core_connection_makes_the_second_writer_wait(tmp_path):
    db = _database(tmp_path)
    assert _two_increments_at_once(db, _READ.with_for_update(), core=True) == 2
    db.dispose()


def test_without_for_update_sqlite_loses_one_of_the_two(tmp_path):
    db = _database(tmp_path)  # what FOR UPDATE protects against, shown to happen
    assert _two_increments_at_once(db, _READ) == 1
    db.dispose()
