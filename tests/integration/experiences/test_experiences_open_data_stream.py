"""An open-data download that lasts longer than gunicorn's worker timeout arrives whole: the
streamed answer reports its worker alive at each chunk (services/chassis/heartbeat.py). Before,
a sync worker silent for `timeout` seconds was killed mid-stream and the CSV came truncated."""

from __future__ import annotations

import csv
import http.client
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.chassis.db import migrate

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
ROWS = 30_000
TIMEOUT_S = 2  # gunicorn's --timeout for this run: the download takes several times longer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def filled_url(create_database):
    url = create_database("open_data_stream")
    migrate("experiences", url)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO experiences (id, status, title, body, published_body, edited, "
            "structure_hint, postal_code, channel, occurred_on, feeling, author_name, "
            "author_email, submitted_at, published_at, general_tags, business_tags, "
            "channel_feelings, improvement_to_consider) "
            "SELECT md5(k::text)::uuid::text, 'to_process', 'Titre ' || k, 'privé', "
            "repeat('Texte publié. ', 40), false, 'CAF', '75001', 'in_person', DATE '2026-01-01', "
            "'positive', 'A', 'a@example.org', now(), now() + k * interval '1 second', "
            "'[]', '[]', '[]', false FROM generate_series(1, :n) k"), {"n": ROWS})
    engine.dispose()
    return url


def test_a_download_longer_than_the_worker_timeout_arrives_whole(filled_url, tmp_path):
    port = _free_port()
    env = dict(os.environ, EXPERIENCES_DATABASE_URL=filled_url, SPP_VAR_DIR=str(tmp_path))
    with open(tmp_path / "gunicorn.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "services.experiences.wsgi:app", "--bind",
             f"127.0.0.1:{port}", "--workers", "1", "-c", "python:services.chassis.gunicorn_conf",
             "--timeout", str(TIMEOUT_S)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                assert time.time() < deadline, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.2)

        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/open-data/experiences.csv")
        response = conn.getresponse()
        assert response.status == 200
        received = bytearray()
        while True:  # a slow reader: the worker waits on the socket between its chunks
            try:
                data = response.read1(1 << 16)
            except (http.client.IncompleteRead, OSError) as exc:
                pytest.fail(f"cut after {len(received)} bytes: {exc!r}; "
                            f"{(tmp_path / 'gunicorn.log').read_text()[-2000:]}")
            if not data:
                break
            received += data
            time.sleep(0.03)
        elapsed = time.monotonic() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    assert elapsed > 2 * TIMEOUT_S, f"the download took {elapsed:.1f} s: too fast to test"
    rows = list(csv.reader(io.StringIO(received.decode("utf-8"), newline="")))
    assert len(rows) == ROWS + 1  # and the header
    assert rows[-1][rows[0].index("title")] == f"Titre {ROWS}"
    assert "WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_text()
