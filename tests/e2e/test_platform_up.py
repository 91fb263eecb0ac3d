"""`make up` as a user runs it: every service answers, and a killed process comes back."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support.e2e import PORT_BASE, SERVICES

pytestmark = pytest.mark.e2e


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


def test_access_logs_keep_no_query_string(platform):
    """Links carry their tokens in the query (evaluation, password): never in the logs."""
    base = f"http://127.0.0.1:{PORT_BASE}"
    requests.get(f"{base}/mot-de-passe?token=un-jeton-secret-e2e", timeout=20)
    requests.get(f"{base}/experiences?q=camille.secret", timeout=20)
    log = Path(platform["var"]) / "log" / "gateway.log"
    deadline = time.time() + 10
    while time.time() < deadline and "/mot-de-passe" not in log.read_text():
        time.sleep(0.2)
    text = log.read_text()
    assert "GET /mot-de-passe 200" in text
    assert "un-jeton-secret-e2e" not in text and "camille.secret" not in text
    access = [line for line in text.splitlines() if line.split(" ")[1:2] == ["GET"]]  # after its time
    assert access and not any("127.0.0.1" in line for line in access)  # no client address
