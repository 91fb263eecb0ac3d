"""End-to-end pipeline benchmark: submit → moderate → publish → agent's e-mail.

Starts a platform exactly as `make up` does (embedded SQLite per service unless
`*_DATABASE_URL` is set) on its own ports, submits N experiences over HTTP, approves them through
the moderation API as a bench moderator, waits for every agent's e-mail in the mail catcher, and
measures the raw pika pipelined-confirm rate of the same broker in the same run.

    .venv/bin/python bench/pipeline.py --experiences 300 [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pika
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.chassis.amqp import Message, PipelinedPublisher, connection_parameters  # noqa: E402

PORT_BASE = 38000
SERVICES = ["gateway", "identity", "experiences", "moderation", "diagnostic", "notifier"]
ADMIN = ("bench-admin@spp.localhost", "un-mot-de-passe-de-bench-solide")
PASSWORD = "bench password that is long enough"


def url(service: str, path: str) -> str:
    return f"http://127.0.0.1:{PORT_BASE + SERVICES.index(service)}{path}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class MemorySampler(threading.Thread):
    """Peak resident memory of a process tree, from /proc."""

    def __init__(self, root_pid: int):
        super().__init__(daemon=True)
        self.root_pid, self.peak, self.stop = root_pid, 0, threading.Event()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                continue
        pids, todo = [], [self.root_pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(children.get(pid, []))
        return pids

    def run(self):
        while not self.stop.wait(0.5):
            total = 0
            for pid in self._tree():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
                except OSError:
                    pass
            self.peak = max(self.peak, total)


def raw_broker_rate(amqp_url: str, n: int = 20000, batch: int = 500) -> float:
    exchange, queue = f"spp.bench.{uuid.uuid4().hex[:8]}", f"spp.bench.{uuid.uuid4().hex[:8]}"
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    ch = conn.channel()
    ch.exchange_declare(exchange, "topic", durable=True)
    ch.queue_declare(queue, durable=True)
    ch.queue_bind(queue, exchange, "#")
    body = b'{"id":"00000000-0000-0000-0000-000000000000","payload":{"title":"' + b"x" * 300 + b'"}}'
    messages = [Message(exchange=exchange, routing_key="experience.published", body=body,
                        message_id=str(i)) for i in range(n)]
    try:
        with PipelinedPublisher(amqp_url) as publisher:
            t0 = time.perf_counter()
            for i in range(0, n, batch):
                publisher.publish_batch(messages[i:i + batch])
            elapsed = time.perf_counter() - t0
    finally:
        ch.queue_delete(queue)
        ch.exchange_delete(exchange)
        conn.close()
    return n / elapsed


def start_platform(var: Path, amqp_url: str) -> subprocess.Popen:
    env = dict(os.environ, SPP_PORT_BASE=str(PORT_BASE), SPP_VAR_DIR=str(var), AMQP_URL=amqp_url,
               SPP_ADMIN_EMAIL=ADMIN[0], SPP_ADMIN_PASSWORD=ADMIN[1],
               SPP_PUBLIC_RATE_LIMIT="1000000/minute",
               SPP_EXCHANGE=f"spp.bench.{uuid.uuid4().hex[:8]}",
               SPP_QUEUE_PREFIX=f"sppbench{uuid.uuid4().hex[:8]}")
    env.pop("SMTP_URL", None)
    log = open(var / "up.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "services.chassis.up"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    for service in SERVICES:
        deadline = time.time() + 120
        while True:
            try:
                if requests.get(url(service, "/readyz"), timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                raise SystemExit(f"{service} never became ready; see {var}/log")
            time.sleep(0.3)
    return proc


def post(session, service, path, body, headers=None, expect=(200, 201, 202)):
    response = session.post(url(service, path), json=body, headers=headers, timeout=30)
    if response.status_code not in expect:
        raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    return response.json()


def login(session, email, password):
    token = post(session, "identity", "/auth/token", {"email": email, "password": password})
    return {"Authorization": f"Bearer {token['access_token']}"}


def run(n: int, amqp_url: str) -> dict:
    var = Path(tempfile.mkdtemp(prefix="spp-bench-"))
    proc = start_platform(var, amqp_url)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    http = requests.Session()
    try:
        admin = login(http, *ADMIN)
        tag = uuid.uuid4().hex[:6]
        network = post(http, "identity", "/networks",
                       {"code": f"BENCH{tag}", "name": "Réseau de bench", "requires_validation": False},
                       admin)
        structure = post(http, "identity", "/structures",
                         {"network_id": network["id"], "name": f"Agence de bench {tag}",
                          "postal_code": "75011", "city": "Paris"}, admin)
        agent_email = f"agent.{tag}@bench.example.fr"
        post(http, "identity", "/users", {
            "email": agent_email, "name": "Agent de bench", "profile": "agent",
            "missions": ["answer"], "network_id": network["id"],
            "structure_ids": [structure["id"]], "password": PASSWORD}, admin)
        post(http, "identity", "/users", {
            "email": f"moderateur.{tag}@bench.example.fr", "name": "Modérateur de bench",
            "profile": "moderator", "missions": [], "network_id": None, "structure_ids": [],
            "password": PASSWORD}, admin)
        moderator = login(http, f"moderateur.{tag}@bench.example.fr", PASSWORD)
        # Replicas learn of the structure through events: wait until moderation knows it.
        deadline = time.time() + 60
        while not http.get(url("moderation", f"/structures?q=bench {tag}"), headers=moderator,
                           timeout=10).json().get("items"):
            if time.time() > deadline:
                raise SystemExit("moderation never learnt the bench structure")
            time.sleep(0.2)
        time.sleep(1.0)  # the notifier's replica of the agent, too

        submitted_at: dict[str, float] = {}

        def submit(i: int):
            s = requests.Session()
            t = time.time()
            answer = post(s, "experiences", "/experiences", {
                "title": f"Expérience de bench {i}", "body": "Un accueil rapide et clair.",
                "structure_hint": "Agence de bench Paris", "postal_code": "75011",
                "channel": "in_person", "occurred_on": "2026-11-02", "feeling": "positive",
                "author_name": "Bench", "author_email": f"usager{i}.{tag}@bench.example.org"},
                expect=(202,))
            submitted_at[answer["id"]] = t

        approved_at: dict[str, float] = {}
        approved_ids: set[str] = set()
        done_submitting = threading.Event()

        def moderate():
            s = requests.Session()
            pool = ThreadPoolExecutor(8)
            while len(approved_ids) < n:
                cases = s.get(url("moderation", "/cases?status=pending&per_page=100"),
                              headers=moderator, timeout=30).json()["items"]
                fresh = [c for c in cases if c["id"] not in approved_ids]
                if not fresh:
                    time.sleep(0.05)
                    continue

                def approve(case):
                    s2 = requests.Session()
                    post(s2, "moderation", f"/cases/{case['id']}/approve",
                         {"structure_id": structure["id"]}, moderator)
                    approved_at[case["experience_id"]] = time.time()

                for case in fresh:
                    approved_ids.add(case["id"])
                list(pool.map(approve, fresh))
            pool.shutdown()

        t_start = time.time()
        moderator_thread = threading.Thread(target=moderate, daemon=True)
        moderator_thread.start()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(submit, range(n)))
        done_submitting.set()

        mail_dir = var / "mail"
        mailed_at: dict[str, float] = {}
        deadline = time.time() + max(120, n)
        pattern = re.compile(rb"/experiences/([0-9a-f\-]{36})")
        seen: set[Path] = set()
        while len(mailed_at) < n and time.time() < deadline:
            for path in mail_dir.glob("*.eml") if mail_dir.exists() else []:
                if path in seen:
                    continue
                seen.add(path)
                data = path.read_bytes()
                if f"X-Envelope-To: {agent_email}".encode() not in data.split(b"\r\n", 1)[0]:
                    continue
                flat = data.replace(b"=\r\n", b"").replace(b"=\n", b"").replace(b"=2D", b"-")
                found = pattern.search(flat)
                if found:
                    mailed_at[found.group(1).decode()] = int(path.name.split("-")[0]) / 1e9
            time.sleep(0.1)
        t_end = max(mailed_at.values()) if mailed_at else time.time()
        moderator_thread.join(timeout=5)

        published: list[float] = []
        for exp_id, t in submitted_at.items():
            data = http.get(url("experiences", f"/experiences/{exp_id}"), timeout=10).json()
            if data.get("published_at"):
                published.append(datetime.fromisoformat(data["published_at"]).timestamp() - t)
        approve_to_mail = [mailed_at[e] - approved_at[e] for e in mailed_at if e in approved_at]
        raw = raw_broker_rate(amqp_url)
        return {
            "n": n, "mailed": len(mailed_at), "elapsed": t_end - t_start,
            "rate": len(mailed_at) / (t_end - t_start),
            "submit_published_p50": percentile(published, 50) * 1000 if published else None,
            "submit_published_p99": percentile(published, 99) * 1000 if published else None,
            "approve_mail_p50": percentile(approve_to_mail, 50) * 1000 if approve_to_mail else None,
            "approve_mail_p99": percentile(approve_to_mail, 99) * 1000 if approve_to_mail else None,
            "raw": raw, "peak_rss": sampler.peak,
        }
    finally:
        sampler.stop.set()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiences", type=int, default=300)
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL",
                                                             "amqp://guest:guest@127.0.0.1:5672//"))
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    r = run(args.experiences, args.amqp_url)
    lines = [
        f"experiences mailed to the agent: {r['mailed']}/{r['n']} in {r['elapsed']:.1f} s",
        f"submit → published: p50 {r['submit_published_p50']:.0f} ms, "
        f"p99 {r['submit_published_p99']:.0f} ms",
        f"approve → agent's mail: p50 {r['approve_mail_p50']:.0f} ms, "
        f"p99 {r['approve_mail_p99']:.0f} ms",
        f"platform peak resident memory: {r['peak_rss'] / 2**20:.0f} MiB (target ≤ 2048 MiB)",
    ]
    last = (f"pipeline: {r['rate']:.1f} exp/s, p99 approve→mail {r['approve_mail_p99']:.0f} ms, "
            f"raw broker {r['raw']:.0f} msg/s")
    print("\n".join(lines + [last]))
    if args.write_docs:
        docs = ROOT / "docs" / "benchmarks.md"
        text = docs.read_text() if docs.exists() else "# Benchmarks\n"
        text = re.sub(r"\n## End-to-end pipeline.*?(?=\n## |\Z)", "", text, flags=re.S)
        text += (f"\n## End-to-end pipeline\n\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
                 f"with `.venv/bin/python bench/pipeline.py --experiences {args.experiences}` on "
                 f"{os.cpu_count()} CPUs, the platform started as `make up` starts it (SQLite per "
                 "service, gunicorn with 2 workers per service, one worker process per service, "
                 "local mail catcher), the benchmark client on the same machine.\n\n"
                 + "\n".join(f"- {line}" for line in lines) + f"\n\n`{last}`\n\n"
                 "Method: N experiences submitted over HTTP by 16 client threads; a bench moderator "
                 "polls the pending queue and approves each case (8 threads); the agent's e-mails are "
                 "read from the mail catcher's files, whose names carry their arrival time in ns. "
                 "Submit → published uses the experience's `published_at`; approve → mail uses the "
                 "approval answer's time and the mail file's time. The raw rate publishes 20,000 "
                 "persistent 330-byte messages with pika's pipelined confirms (batches of 500) to the "
                 "same broker in the same run.\n")
        docs.write_text(text)
    return 0 if r["mailed"] == r["n"] else 1


if __name__ == "__main__":
    sys.exit(main())
