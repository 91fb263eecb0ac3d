"""/metrics under gunicorn adds up every worker's counters (services/chassis/gunicorn_conf.py):
a scrape answered by any worker gives the same totals, and they never go down."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def notifier(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PROMETHEUS_MULTIPROC_DIR", "SPP_OWN_METRICS_DIR")}
    env.update(SPP_VAR_DIR=str(tmp_path))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "services.notifier.wsgi:app", "--bind",
                             f"127.0.0.1:{port}", "--workers", "3",
                             "-c", "python:services.chassis.gunicorn_conf"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        yield base
    finally:  # also when the start fails: no server is left behind
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _healthz_total(base: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=5).text
    found = re.search(r'^http_requests_total\{endpoint="/healthz",method="GET",status="200"\} '
                      r"(\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_every_scrape_counts_every_workers_requests(notifier):
    before = _healthz_total(notifier)
    for _ in range(60):  # a new connection each: the workers share them out
        assert requests.get(f"{notifier}/healthz", timeout=5).ok
    totals = [_healthz_total(notifier) for _ in range(8)]
    assert totals == [before + 60] * 8, totals
