"""A platform started as `make up` starts it, on its own ports and var dir, for the fault tests.

The fault tests stop the app of this machine's shared RabbitMQ, so the platform's whole lifetime
(start, faults, checks, teardown) runs under an exclusive lock on /tmp/spp-broker.lock: every other
run that needs the broker takes the same lock and waits instead of failing unannounced.
"""

from __future__ import annotations

import fcntl
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
    PORT_BASE,
    RETRY_DELAYS_MS,
    SERVICES,
    url,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
BROKER_LOCK = Path("/tmp/spp-broker.lock")


def pytest_configure(config):
    config.addinivalue_line("markers", "chaos: fault injection against a live platform and broker")


def _ancestors() -> set[int]:
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return pids


def _lock_holders(path: Path) -> set[int]:
    """Pids holding a flock on the file, from /proc/locks ("1: FLOCK ADVISORY WRITE pid maj:min:inode …")."""
    inode, holders = os.stat(path).st_ino, set()
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        if len(parts) > 5 and parts[1] == "FLOCK" and "->" not in parts:
            if int(parts[5].rsplit(":", 1)[1]) == inode:
                holders.add(int(parts[4]))
    return holders


@pytest.fixture(scope="module")
def broker_lock():
    """Exclusive hold of the machine's broker lock, for the whole platform lifetime.

    When a parent process already holds it (`flock /tmp/spp-broker.lock make test`), waiting for
    it would wait forever: that parent's hold covers this run too.
    """
    with open(BROKER_LOCK, "a+") as handle:
        t0 = time.time()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if _lock_holders(BROKER_LOCK) & _ancestors():
                yield 0.0
                return
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield time.time() - t0
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def local_broker(amqp_url):
    """The faults drive the broker with rabbitmqctl: only a broker on this machine will do."""
    host = urlparse(amqp_url).hostname or "127.0.0.1"
    if shutil.which("rabbitmqctl") is None or host not in ("127.0.0.1", "localhost", "::1"):
        pytest.skip(f"the fault tests drive a local RabbitMQ with rabbitmqctl, not {host}")
    return amqp_url


@pytest.fixture(scope="module")
def chaos_platform(tmp_path_factory, local_broker, broker_lock):
    amqp_url = local_broker
    var = tmp_path_factory.mktemp("chaos-var")
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
    log = open(var / "up.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "services.chassis.up"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for service in SERVICES:
            ok = wait_until(lambda s=service: requests.get(url(s, "/readyz"), timeout=10).ok, 120)
            assert ok, f"{service} never became ready; see {var / 'log'}"
        yield {"proc": proc, "var": var, "mail": var / "mail", "amqp_url": amqp_url,
               "names": names, "lock_waited": broker_lock}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        _delete_broker_names(amqp_url, names)


def _delete_broker_names(amqp_url: str, names: dict) -> None:
    try:
        amqp.delete_broker_names(amqp_url, names["exchange"], names["prefix"], BACKENDS,
                                 RETRY_DELAYS_MS)
    except pika.exceptions.AMQPError:
        return  # the broker is down: nothing more to do here, the test reports it
