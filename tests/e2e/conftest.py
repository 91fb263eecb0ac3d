"""Platforms started as `make up` starts them, on their own ports, for the e2e session.

`platform` is the SQLite platform (what a bare `make up` runs) unless a module parametrizes it
indirectly: `pytest.mark.parametrize("platform", ["sqlite", "postgresql"], indirect=True)` runs
its tests on both. The PostgreSQL platform has its own ports (`PG_PORT_BASE`), its own exchange and
queue prefix, and fresh databases (`spp_test_e2e_<service>_<random>`, dropped at the end of the
session by `create_database`), reached as operators reach theirs: through a TLS proxy
(`tests/support/pgproxy.py`, where Debian's PgBouncer is installed); it is stopped after the last
test that uses it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests.support import pgproxy
from tests.support.browser import CHROMIUM, LAUNCH_ARGS
from tests.support.e2e import (
    ADMIN,
    PG_PORT_BASE,
    PORT_BASE,
    SERVICES,
    url,
    use_platform,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = SERVICES[1:]
DATABASES = ("sqlite", "postgresql")


def _start(var: Path, port_base: int, amqp_url: str, names: dict,
           database_urls: dict[str, str] | None = None) -> dict:
    env = dict(os.environ, SPP_PORT_BASE=str(port_base), SPP_VAR_DIR=str(var), AMQP_URL=amqp_url,
               SPP_WEB_WORKERS="1", SPP_ADMIN_EMAIL=ADMIN[0], SPP_ADMIN_PASSWORD=ADMIN[1],
               SPP_EXCHANGE=names["exchange"], SPP_QUEUE_PREFIX=names["prefix"],
               SPP_PUBLIC_RATE_LIMIT="1000/minute",
               GATEWAY_URL=url("gateway", port_base=port_base))
    for key in list(env):
        if key.endswith("_DATABASE_URL") or key == "SMTP_URL" or key.endswith("_URL") and \
                key.split("_")[0].lower() in SERVICES:
            env.pop(key)
    for service, database_url in (database_urls or {}).items():
        env[f"{service.upper()}_DATABASE_URL"] = database_url
    log = open(var / "up.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "services.chassis.up"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    started = {"proc": proc, "var": var, "mail": var / "mail", "port_base": port_base,
               "database": "postgresql" if database_urls else "sqlite", "log": log}
    try:
        for service in SERVICES:
            ok = wait_until(lambda s=service: requests.get(
                url(s, "/readyz", port_base=port_base), timeout=10).ok, 120)
            assert ok, f"{service} never became ready; see {var / 'log'}"
    except BaseException:
        _stop(started)
        raise
    return started


def _stop(started: dict) -> None:
    proc = started["proc"]
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    started["log"].close()


def _broker_names(label: str) -> dict:
    suffix = uuid.uuid4().hex[:10]
    return {"exchange": f"spp.{label}.{suffix}", "prefix": f"spp{label}{suffix}"}


def _delete_broker_names(amqp_url: str, names: dict) -> None:
    from services.chassis.amqp import delete_broker_names

    delete_broker_names(amqp_url, names["exchange"], names["prefix"], BACKENDS,
                        (500, 2000, 10000, 30000))


@pytest.fixture(scope="session")
def sqlite_platform(tmp_path_factory, amqp_url, broker_names_session):
    started = _start(tmp_path_factory.mktemp("var"), PORT_BASE, amqp_url, broker_names_session)
    yield started
    _stop(started)


@pytest.fixture(scope="session")
def pg_tls_proxy(pg_server_url):
    """PgBouncer requiring TLS in front of the test server, or None where it is not installed
    (`make test` installs it, as it installs Chromium)."""
    if not pgproxy.available():
        yield None
        return
    with pgproxy.tls_proxy(pg_server_url) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def postgresql_platform(tmp_path_factory, amqp_url, create_database, pg_server_url, pg_tls_proxy):
    names = _broker_names("e2epg")
    databases = {service: create_database(f"e2e_{service}") for service in BACKENDS}
    if pg_tls_proxy is not None:
        for database_url in databases.values():
            pgproxy.cut_when_idle(pg_server_url, database_url)
        databases = {service: pg_tls_proxy.behind(u) for service, u in databases.items()}
    started = _start(tmp_path_factory.mktemp("var-pg"), PG_PORT_BASE, amqp_url, names, databases)
    started["database_urls"] = databases
    _RUNNING["postgresql"] = started
    try:
        yield started
    finally:
        _RUNNING.pop("postgresql", None)
        _stop(started)
        _delete_broker_names(amqp_url, names)


_RUNNING: dict[str, dict] = {}  # the PostgreSQL platform while it runs (stopped early, see below)


def _database_of(item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("platform") if callspec else None


def pytest_runtest_teardown(item, nextitem):
    """Stop the PostgreSQL platform after the last test that uses it, rather than at the end of
    the session: its 18 processes and their connections would idle through every later test.
    (Its session fixture's own teardown then finds it stopped; its databases are dropped at the
    end of the session.)"""
    started = _RUNNING.get("postgresql")
    if started is None:
        return
    items = item.session.items
    later = items[items.index(item) + 1:] if item in items else []
    if not any(_database_of(i) == "postgresql" for i in later):
        _RUNNING.pop("postgresql", None)
        _stop(started)


@pytest.fixture(scope="module")
def platform(request):
    """The platform of this module's tests: SQLite unless parametrized (see the docstring)."""
    database = getattr(request, "param", "sqlite")
    assert database in DATABASES, database
    started = request.getfixturevalue(f"{database}_platform")
    assert started["proc"].poll() is None, f"the {database} platform is not running"
    use_platform(started["port_base"])
    yield started
    use_platform(PORT_BASE)


@pytest.fixture(scope="session")
def broker_names_session(amqp_url):
    names = _broker_names("e2e")
    yield names
    _delete_broker_names(amqp_url, names)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright, for one test module (tests.support.browser.Visitor)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium from Debian (/usr/bin/chromium) is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=LAUNCH_ARGS)
        yield launched
        launched.close()
