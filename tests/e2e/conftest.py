"""One platform started as `make up` starts it, on its own ports, for the whole e2e session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.browser import CHROMIUM, LAUNCH_ARGS
from tests.support.e2e import ADMIN, PORT_BASE, SERVICES, url, wait_until

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def platform(tmp_path_factory, amqp_url, broker_names_session):
    var = tmp_path_factory.mktemp("var")
    env = dict(os.environ, SPP_PORT_BASE=str(PORT_BASE), SPP_VAR_DIR=str(var), AMQP_URL=amqp_url,
               SPP_WEB_WORKERS="1", SPP_ADMIN_EMAIL=ADMIN[0], SPP_ADMIN_PASSWORD=ADMIN[1],
               SPP_EXCHANGE=broker_names_session["exchange"],
               SPP_QUEUE_PREFIX=broker_names_session["prefix"],
               SPP_PUBLIC_RATE_LIMIT="1000/minute", GATEWAY_URL=url("gateway"))
    for key in list(env):
        if key.endswith("_DATABASE_URL") or key == "SMTP_URL" or key.endswith("_URL") and \
                key.split("_")[0].lower() in SERVICES:
            env.pop(key)
    log = open(var / "up.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "services.chassis.up"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    for service in SERVICES:
        ok = wait_until(lambda s=service: requests.get(url(s, "/readyz"), timeout=10).ok, 120)
        assert ok, f"{service} never became ready; see {var / 'log'}"
    yield {"proc": proc, "var": var, "mail": var / "mail"}
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


@pytest.fixture(scope="session")
def broker_names_session(amqp_url):
    import uuid

    from services.chassis.amqp import delete_broker_names

    suffix = uuid.uuid4().hex[:10]
    names = {"exchange": f"spp.e2e.{suffix}", "prefix": f"sppe2e{suffix}"}
    yield names
    delete_broker_names(amqp_url, names["exchange"], names["prefix"], SERVICES[1:],
                        (500, 2000, 10000, 30000))


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
