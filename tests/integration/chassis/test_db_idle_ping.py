"""PostgreSQL connections are pinged when taken from the pool only after sitting idle
(services/chassis/db.py, `ping_when_idle`)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from services.chassis import db as chassis_db


@pytest.fixture
def engine(create_database, monkeypatch):
    monkeypatch.setattr(chassis_db, "PING_IDLE_S", 0.2)
    url = create_database("idle_ping")
    engine = chassis_db.make_engine(url, pool_size=1, max_overflow=0)
    pings: list[float] = []
    real = engine.dialect.do_ping

    def counting(dbapi_conn):
        pings.append(time.monotonic())
        return real(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    engine.pings = pings
    yield engine
    engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT pg_backend_pid()"))


def test_a_busy_connection_is_not_pinged_an_idle_one_is(engine):
    pid = _backend_pid(engine)
    before = len(engine.pings)
    for _ in range(20):
        assert _backend_pid(engine) == pid
    assert len(engine.pings) == before  # taken again at once: no round trip spent
    time.sleep(chassis_db.PING_IDLE_S + 0.2)
    assert _backend_pid(engine) == pid
    assert len(engine.pings) == before + 1


def test_an_idle_connection_the_server_cut_is_replaced_before_use(engine, create_database):
    pid = _backend_pid(engine)
    admin = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    time.sleep(chassis_db.PING_IDLE_S + 0.2)
    # The pooled connection is dead: the ping finds it and the pool opens another one.
    assert _backend_pid(engine) != pid
