"""PostgreSQL behind a TLS proxy, as operators run it (tests/support/pgproxy.py): every service and
worker reaches its database through the proxy, over TLS only, and goes on when the proxy cuts
the connections that sat idle."""

from __future__ import annotations

import time

import psycopg
import pytest
import sqlalchemy as sa
from psycopg.rows import dict_row

from tests.support.e2e import ADMIN, Api, url, wait_until
from tests.support.pgproxy import CUT, IDLE_TIMEOUT_S
from tests.support.scenarios import experience_lifecycle

pytestmark = [pytest.mark.e2e,
              pytest.mark.parametrize("platform", ["postgresql"], indirect=True)]


@pytest.fixture
def proxy(pg_tls_proxy):
    if pg_tls_proxy is None:
        pytest.skip("PgBouncer is not installed (Debian's pgbouncer: `make test` installs it)")
    return pg_tls_proxy


def _libpq(database_url: str) -> str:
    return sa.engine.make_url(database_url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def _clients(proxy) -> list[dict]:
    with psycopg.connect(_libpq(proxy.admin_url), autocommit=True, row_factory=dict_row) as conn:
        return conn.execute("SHOW CLIENTS").fetchall()


def test_every_service_reaches_its_database_through_the_proxy_over_tls(platform, proxy):
    wanted = {sa.engine.make_url(u).database for u in platform["database_urls"].values()}
    clients = [c for c in _clients(proxy) if c["database"] in wanted]
    assert {c["database"] for c in clients} == wanted
    assert all(c["tls"].startswith("TLS") for c in clients), clients
    # The proxy takes no plain connection: the platform's could only be TLS.
    plain = sa.engine.make_url(proxy.behind(next(iter(platform["database_urls"].values()))))
    plain = plain.set(query={"sslmode": "disable"})
    with pytest.raises(psycopg.OperationalError, match="SSL required"):
        psycopg.connect(_libpq(plain.render_as_string(hide_password=False))).close()


def test_connections_cut_while_idle_are_replaced_and_nothing_is_lost(platform, proxy):
    before = {(c["addr"], c["port"]) for c in _clients(proxy)}
    cuts = proxy.log().count(CUT)
    time.sleep(IDLE_TIMEOUT_S + 2)
    assert wait_until(lambda: proxy.log().count(CUT) > cuts, 15), \
        "no idle connection was cut: the test proves nothing"
    assert before - {(c["addr"], c["port"]) for c in _clients(proxy)}
    experience_lifecycle(Api(url), platform["mail"], ADMIN)
