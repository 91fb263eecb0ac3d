"""A platform started as `make up` starts it, on its own ports and var dir, for the fault tests.

`chaos_platform` runs on SQLite per service (a bare `make up`) unless a test parametrizes it
indirectly with "postgresql": then every service has a fresh PostgreSQL database of its own
(`spp_test_chaos_<service>_<random>`, dropped at the end of the session by `create_database`),
and the mail catcher the platform sends to is run by the test (`MailRelay`), not by the
supervisor, so that a test can stop it for a while.

The fault tests stop the app of this machine's shared RabbitMQ, so the platform's whole lifetime
(start, faults, checks, teardown) runs under an exclusive lock on /tmp/spp-broker.lock: every other
run that needs the broker takes the same lock and waits instead of failing unannounced. The
PostgreSQL restart also takes /tmp/spp-postgres.lock (test_chaos.py, docs/chaos.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pika
import pytest
import requests

from services.chassis import amqp
from tests.support.chaos import (
    ADMIN,
    BACKENDS,
    BROKER_LOCK,
    MAIL_PORT,
    PORT_BASE,
    RETRY_DELAYS_MS,
    SERVICES,
    Databases,
    MailRelay,
    exclusive_lock,
    url,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line("markers", "chaos: fault injection against a live platform and broker")


@pytest.fixture(scope="module")
def broker_lock():
    """Exclusive hold of the machine's broker lock, for the whole platform lifetime (waited for
    as long as it takes; an ancestor's hold counts, see `exclusive_lock`)."""
    with exclusive_lock(BROKER_LOCK) as waited:
        yield waited


@pytest.fixture(scope="module")
def local_broker(amqp_url):
    """The faults drive the broker with rabbitmqctl: only a broker on this machine will do."""
    host = urlparse(amqp_url).hostname or "127.0.0.1"
    if shutil.which("rabbitmqctl") is None or host not in ("127.0.0.1", "localhost", "::1"):
        pytest.skip(f"the fault tests drive a local RabbitMQ with rabbitmqctl, not {host}")
    return amqp_url


@pytest.fixture(scope="module")
def chaos_platform(request, tmp_path_factory, local_broker, broker_lock):
    database = getattr(request, "param", "sqlite")
    assert database in ("sqlite", "postgresql"), database
    amqp_url = local_broker
    var = tmp_path_factory.mktemp(f"chaos-var-{database}")
    suffix = uuid.uuid4().hex[:10]
    names = {"exchange": f"spp.chaos.{suffix}", "prefix": f"sppchaos{suffix}"}
    env = dict(os.environ, SPP_PORT_BASE=str(PORT_BASE), SPP_VAR_DIR=str(var), AMQP_URL=amqp_url,
               SPP_WEB_WORKERS="2", SPP_ADMIN_EMAIL=ADMIN[0], SPP_ADMIN_PASSWORD=ADMIN[1],
               SPP_EXCHANGE=names["exchange"], SPP_QUEUE_PREFIX=names["prefix"],
               SPP_RETRY_DELAYS_MS=",".join(map(str, RETRY_DELAYS_MS)),
               SPP_PUBLIC_RATE_LIMIT="100000/minute", GATEWAY_URL=url("gateway"))
    for key in list(env):
        # SQLite per service and the local mail catcher, as a bare `make up` runs them.
        if key.endswith("_DATABASE_URL") or key == "SMTP_URL" or key.endswith("_URL") and \
                key.split("_")[0].lower() in SERVICES:
            env.pop(key)
    urls, relay = {}, None
    if database == "postgresql":
        create_database = request.getfixturevalue("create_database")
        urls = {service: create_database(f"chaos_{service}") for service in BACKENDS}
        for service, database_url in urls.items():
            env[f"{service.upper()}_DATABASE_URL"] = database_url
        # The same catcher as up.py's, on the same port, but stopped and started by the test.
        relay = MailRelay(MAIL_PORT, var / "mail", var / "mail-relay.log", env)
        relay.start()
        env["SMTP_URL"] = f"smtp://127.0.0.1:{MAIL_PORT}"
    db = Databases(var, urls)
    log = open(var / "up.log", "w")
    t0 = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "services.chassis.up"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for service in SERVICES:
            ok = wait_until(lambda s=service: requests.get(url(s, "/readyz"), timeout=10).ok, 120)
            assert ok, f"{service} never became ready; see {var / 'log'}"
        yield {"proc": proc, "var": var, "mail": var / "mail", "amqp_url": amqp_url,
               "names": names, "lock_waited": broker_lock, "database": database, "db": db,
               "urls": urls, "relay": relay, "started_in": round(time.time() - t0, 1)}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        if relay is not None:
            relay.close()
        db.dispose()
        _delete_broker_names(amqp_url, names)


def _delete_broker_names(amqp_url: str, names: dict) -> None:
    try:
        amqp.delete_broker_names(amqp_url, names["exchange"], names["prefix"], BACKENDS,
                                 RETRY_DELAYS_MS)
    except pika.exceptions.AMQPError:
        return  # the broker is down: nothing more to do here, the test reports it
