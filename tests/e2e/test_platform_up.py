"""`make up` as a user runs it: every service answers, and a killed process comes back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PORT_BASE = 18000
SERVICES = ["gateway", "identity", "experiences", "moderation", "diagnostic", "notifier"]


def _wait(url: str, timeout: float = 120) -> requests.Response | None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            response = requests.get(url, timeout=10)
            if response.status_code == 200:
                return response
        except requests.RequestException:
            pass
        time.sleep(0.3)
    return None


@pytest.fixture(scope="module")
def platform(tmp_path_factory, amqp_url):
    var = tmp_path_factory.mktemp("var")
    env = dict(os.environ, SPP_PORT_BASE=str(PORT_BASE), SPP_VAR_DIR=str(var), AMQP_URL=amqp_url,
               SPP_WEB_WORKERS="1")
    for key in list(env):
        if key.endswith("_DATABASE_URL") or key == "SMTP_URL":
            env.pop(key)
    proc = subprocess.Popen([sys.executable, "-m", "services.chassis.up"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    yield {"proc": proc, "var": var}
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def test_every_service_is_alive_and_ready(platform):
    for i, service in enumerate(SERVICES):
        base = f"http://127.0.0.1:{PORT_BASE + i}"
        assert _wait(f"{base}/healthz"), f"{service} never answered /healthz"
        ready = requests.get(f"{base}/readyz", timeout=20)
        assert ready.status_code == 200, (service, ready.text)
        if service != "gateway":
            spec = requests.get(f"{base}/openapi.json", timeout=20).json()
            assert spec["openapi"].startswith("3.")


def test_the_supervisor_restarts_a_killed_worker(platform):
    assert _wait(f"http://127.0.0.1:{PORT_BASE + 1}/healthz")
    out = subprocess.run(["pgrep", "-f", "services.experiences.worker"], capture_output=True,
                         text=True).stdout.split()
    mine = [int(pid) for pid in out
            if f"SPP_PORT_BASE={PORT_BASE}" in Path(f"/proc/{pid}/environ").read_bytes()
            .decode(errors="replace").replace("\0", " ")]
    assert mine, "the experiences worker is not running"
    os.kill(mine[0], signal.SIGKILL)
    deadline = time.time() + 30
    while time.time() < deadline:
        again = subprocess.run(["pgrep", "-f", "services.experiences.worker"], capture_output=True,
                               text=True).stdout.split()
        if any(int(p) not in mine and f"SPP_PORT_BASE={PORT_BASE}" in Path(f"/proc/{p}/environ")
               .read_bytes().decode(errors="replace").replace("\0", " ") for p in again
               if Path(f"/proc/{p}").exists()):
            return
        time.sleep(0.3)
    pytest.fail("the killed worker was not restarted")
