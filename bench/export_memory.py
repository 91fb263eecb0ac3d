"""The open-data export of 1,000,000 published experiences: peak resident memory and time.

    .venv/bin/python bench/export_memory.py [--experiences 1000000] [--write-docs]

Creates a database `spp_bench_export_<random>` on TEST_DATABASE_URL's server (default the local
one), migrates experiences, fills it with published experiences by SQL (`generate_series`,
the same rows as bench/agents_list.py's, every one published: to process, awaiting validation
or answered, with some improvement actions linked), then runs the experiences service as
`make up` runs it (gunicorn, 2 sync workers, the shared gunicorn settings) and downloads
`GET /open-data/experiences.csv` whole while sampling every gunicorn process's resident memory
(VmRSS in /proc/<pid>/status, every 50 ms). Checks the row count against the database's and
drops the database at the end. Target: the serving worker under 200 MiB resident.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from agents_list import SERVER, fill  # noqa: E402

from services.chassis import gunicorn_conf  # noqa: E402
from services.chassis.db import migrate  # noqa: E402

PORT = 38102
TARGET_MIB = 200


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Sampler(threading.Thread):
    """Peak VmRSS of the gunicorn master and of each of its workers."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master, self.peaks, self.stop = master, {}, threading.Event()
        self.idle: dict[int, int] = {}

    def sample(self) -> None:
        for pid in [self.master, *children(self.master)]:
            kib = rss_kib(pid)
            self.peaks[pid] = max(self.peaks.get(pid, 0), kib)
            self.idle.setdefault(pid, kib)

    def run(self):
        while not self.stop.wait(0.05):
            self.sample()


def start_service(url: str, var: Path, timeout: int | None, extra: list[str]) -> subprocess.Popen:
    env = dict(os.environ, EXPERIENCES_DATABASE_URL=url, SPP_VAR_DIR=str(var))
    log = open(var / "experiences.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "services.experiences.wsgi:app", "--bind",
         f"127.0.0.1:{PORT}", "--workers", os.environ.get("SPP_WEB_WORKERS", "2"),
         "-c", "python:services.chassis.gunicorn_conf",
         *(["--timeout", str(timeout)] if timeout else []), *extra],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the experiences service never answered; see {var}/experiences.log")


def download() -> tuple[int, int, float, float, str]:
    """(data rows, bytes, seconds to the first byte, seconds in all, how it ended)."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
    conn.request("GET", "/open-data/experiences.csv")
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"export: {response.status} {response.read()[:300]!r}")
    first = None
    size = 0
    ended = "complete"

    def chunks():
        nonlocal first, size, ended
        while True:
            try:
                data = response.read1(1 << 16)
            except (http.client.IncompleteRead, OSError) as exc:
                ended = f"cut: {type(exc).__name__}"
                return
            if not data:
                return
            if first is None:
                first = time.perf_counter() - t0
            size += len(data)
            yield data

    text = io.TextIOWrapper(_Stream(chunks()), encoding="utf-8", newline="")
    rows = sum(1 for _ in csv.reader(text)) - 1  # the header
    return rows, size, first or 0.0, time.perf_counter() - t0, ended


class _Stream(io.RawIOBase):
    def __init__(self, chunks):
        self.chunks, self.rest = chunks, b""

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self.rest:
            try:
                self.rest = next(self.chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self.rest))
        buffer[:n], self.rest = self.rest[:n], self.rest[n:]
        return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiences", type=int, default=1_000_000)
    parser.add_argument("--database", help="an already filled database (kept)")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--gunicorn-timeout", type=int,
                        help="gunicorn's worker timeout (default: services.chassis.gunicorn_conf's)")
    parser.add_argument("--gunicorn-arg", action="append", default=[],
                        help="one more gunicorn argument (repeat: --gunicorn-arg=--threads "
                             "--gunicorn-arg=4)")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = args.database or f"spp_bench_export_{uuid.uuid4().hex[:8]}"
    url = sa.engine.make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    var = Path(tempfile.mkdtemp(prefix="spp-bench-export-"))
    fill_s = None
    proc = None
    if not args.database:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        if not args.database:
            migrate("experiences", url)
            t0 = time.perf_counter()
            fill(engine, args.experiences, 1, 20, 100,
                 statuses=("to_process", "awaiting_validation", "answered", "answered"),
                 progress=lambda line: print(line, flush=True))
            with engine.begin() as conn:  # some improvement actions, each on 1 experience in 1,000
                conn.execute(sa.text(
                    "INSERT INTO improvement_actions (id, title, description, date, structure_id, "
                    "created_at) SELECT 'a' || k, 'Action ' || k, 'Ce qui change', "
                    "DATE '2025-01-01', 'l' || (1 + k % 2000), now() "
                    "FROM generate_series(1, :n) k"), {"n": args.experiences // 1000})
                conn.execute(sa.text(
                    "INSERT INTO improvement_action_experiences (action_id, experience_id) "
                    "SELECT 'a' || k, md5((k * 1000)::text)::uuid::text "
                    "FROM generate_series(1, :n) k"), {"n": args.experiences // 1000})
            fill_s = time.perf_counter() - t0
        with engine.connect() as conn:
            expected = conn.execute(sa.text(
                "SELECT count(*) FROM experiences WHERE status IN "
                "('to_process', 'awaiting_validation', 'answered')")).scalar()
        engine.dispose()
        print(f"{expected:,} published experiences" +
              (f" (filled in {fill_s:.0f} s)" if fill_s else ""), flush=True)

        proc = start_service(url, var, args.gunicorn_timeout, args.gunicorn_arg)
        sampler = Sampler(proc.pid)
        sampler.sample()
        time.sleep(1.0)
        sampler.idle.clear()
        sampler.sample()
        sampler.start()
        rows, size, first, elapsed, ended = download()
        sampler.stop.set()
        sampler.join()
        workers = {pid: peak for pid, peak in sampler.peaks.items() if pid != proc.pid}
        serving = max(workers, key=lambda pid: workers[pid] - sampler.idle.get(pid, 0))
        log = (var / "experiences.log").read_text(errors="replace")
        killed = "WORKER TIMEOUT" in log
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        if not (args.database or args.keep):
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        elif not args.database:
            print(f"kept database {name}")

    worker_timeout = args.gunicorn_timeout or gunicorn_conf.timeout
    source = "--gunicorn-timeout" if args.gunicorn_timeout else "services.chassis.gunicorn_conf"
    if args.gunicorn_arg:
        source += "; with " + " ".join(args.gunicorn_arg)
    peak = workers[serving] / 1024
    idle = sampler.idle.get(serving, 0) / 1024
    ok = rows == expected and ended == "complete" and peak < TARGET_MIB
    timeout = "; gunicorn killed the worker: WORKER TIMEOUT" if killed else ""
    lines = [
        f"rows: {rows:,} of {expected:,} ({ended}{timeout})",
        f"{size / 2**20:,.0f} MiB of CSV in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s, "
        f"first byte after {first * 1000:.0f} ms)",
        f"serving worker: {idle:.0f} MiB resident before, peak {peak:.0f} MiB "
        f"(target < {TARGET_MIB} MiB); master {sampler.peaks[proc.pid] / 1024:.0f} MiB",
        f"gunicorn worker timeout {worker_timeout} s ({source}): each streamed chunk reports "
        "the worker alive (services/chassis/heartbeat.py), so a longer download is not cut",
        f"open data export: peak {peak:.0f} MiB, {elapsed:.1f} s, {rows:,} rows: "
        + ("target met" if ok else "TARGET MISSED"),
    ]
    print("\n".join(lines))
    if args.write_docs:
        write_docs(args, lines)
    return 0 if ok else 1


def write_docs(args, lines: list[str]) -> None:
    docs = ROOT / "docs" / "benchmarks.md"
    text = docs.read_text()
    title = "## Open-data export of 1,000,000 experiences: memory"
    text = re.sub(r"\n" + re.escape(title) + r"\n.*?(?=\n## |\Z)", "", text, flags=re.S)
    text += (f"\n{title}\n\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
             f"`.venv/bin/python bench/export_memory.py --experiences {args.experiences}` on "
             f"{os.cpu_count()} CPUs shared with other work, PostgreSQL on the same machine.\n\n"
             "```\n" + "\n".join(lines) + "\n```\n\n"
             "Method: a fresh database filled by SQL with published experiences (the rows of "
             "`bench/agents_list.py`, statuses to process / awaiting validation / answered, one "
             "in 1,000 linked to an improvement action); the experiences service under gunicorn "
             "as `make up` starts it (2 sync workers, `services.chassis.gunicorn_conf`); one "
             "client downloads `GET /open-data/experiences.csv` and parses it with `csv` to "
             "count the rows; every gunicorn process's VmRSS is read from /proc every 50 ms; "
             "the serving worker is the one whose memory grew. The target is met when every "
             "row arrives and that worker stays under 200 MiB; gunicorn's sync worker only tells "
             "its master it is alive between requests, so an export that lasts longer than the "
             "worker timeout is killed mid-stream and the client gets a cut file.\n")
    docs.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
