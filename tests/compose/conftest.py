"""deploy/docker-compose.yml run as host processes, with no Docker engine (issue #22).

services.chassis.composerun runs the compose file's own commands, environment and health checks
against this machine's PostgreSQL (the init script's databases, renamed for this run) and
RabbitMQ (a vhost and user of this run), and a mail catcher; only host names, ports, database
and vhost names change. Everything it made is removed after.
"""

from __future__ import annotations

import fcntl
import secrets
import shutil
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from services.chassis.composerun import ComposeRun, read_env_file
from tests.support.chaos import ancestors, lock_holders

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
BROKER_LOCK = Path("/tmp/spp-broker.lock")
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"


def compose_environment(run_id: str, pg_server_url: str) -> dict[str, str]:
    """deploy/.env.example as an operator fills it, for this run: the only environment compose
    sees (never the test's own)."""
    env = read_env_file(ENV_EXAMPLE)
    for key, value in env.items():
        if value.startswith("change-me"):  # every secret, new for each run
            env[key] = secrets.token_hex(24)  # never a leading "-", which rabbitmqctl reads as an option
    env.update({
        "POSTGRES_PASSWORD": sa.engine.make_url(pg_server_url).password or env["POSTGRES_PASSWORD"],
        "RABBITMQ_DEFAULT_USER": f"spp-compose-{run_id}",  # made for the run, deleted after
        # The scenarios post more than the public limit an operator would keep.
        "SPP_PUBLIC_RATE_LIMIT": "1000/minute",
        # The compose network is the loopback on the host: the services trust the gateway there.
        "SPP_COMPOSE_SUBNET": "127.0.0.0/8",
    })
    return env


@pytest.fixture(scope="module")
def broker_shared_lock():
    """A shared hold of /tmp/spp-broker.lock: the fault tests (exclusive) never restart the
    broker under this run; other runs share it (a parent's `flock … make test` covers it)."""
    with open(BROKER_LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            if lock_holders(BROKER_LOCK) & ancestors():
                yield
                return
            fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def local_servers(pg_server_url, amqp_url):
    """The run gives itself a vhost with rabbitmqctl: only a broker on this machine will do."""
    host = urlparse(amqp_url).hostname or "127.0.0.1"
    if shutil.which("rabbitmqctl") is None or host not in ("127.0.0.1", "localhost", "::1"):
        pytest.skip(f"the compose run makes its vhost with rabbitmqctl, on this machine, not {host}")
    return pg_server_url, amqp_url


@pytest.fixture(scope="module")
def compose_runner(tmp_path_factory, local_servers, broker_shared_lock):
    """Factory: a ComposeRun of a compose file for this run (the caller starts it; stopped after)."""
    pg_server_url, amqp_url = local_servers
    runs: list[ComposeRun] = []

    def _run(compose_file: Path = COMPOSE, **overrides) -> ComposeRun:
        run_id = uuid.uuid4().hex[:8]
        env = {**compose_environment(run_id, pg_server_url), **overrides}
        run = ComposeRun(compose_file, env, workdir=tmp_path_factory.mktemp(f"compose-{run_id}"),
                         postgres_url=pg_server_url, amqp_url=amqp_url,
                         db_prefix=f"spp_test_{run_id}_", vhost=f"spp-test-compose-{run_id}",
                         project_dir=COMPOSE.parent)
        runs.append(run)
        return run

    yield _run
    for run in runs:
        run.stop()


@pytest.fixture(scope="module")
def compose_platform(compose_runner):
    """deploy/docker-compose.yml up and healthy; its addresses, mail folder and start time."""
    t0 = time.monotonic()
    run = compose_runner().start()
    started = time.monotonic() - t0
    yield {"run": run, "mail": run.mail_folder, "started_in": started}
