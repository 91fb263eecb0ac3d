"""The web pages under concurrent users, on PostgreSQL: p50/p95/p99 per page kind (locust).

    .venv/bin/python bench/pages.py [--visitors 200] [--experiences 5000] [--duration 240]
        [--warmup 40] [--wait 5,15] [--write-docs]

Needs locust (`pip install -e '.[bench]'`). Starts a platform exactly as `make up` does, on
its own ports (bench/pipeline.py's `start_platform`) with a fresh PostgreSQL database per
service (dropped after), then seeds it:

- through the APIs: a network requiring validation, its tree (1 national, 10 regional and 100
  local structures), 90 agents (one local office each) and 10 regional super agents, 5
  moderators; `--pending` experiences posted to `POST /experiences` and screened by moderation,
  so the queue holds real cases (`--approved` of them approved through the API);
- by SQL, for volume, into experiences' own `experiences` table and moderation's `cases` and
  `decisions` (through the services' SQLAlchemy tables, with the columns an approval, a
  response and its validation write): `--experiences` published experiences over the local
  offices, 20 % to process, 10 % awaiting validation, 70 % answered.

Then runs locust headless (`bench/pages_locust.py`, FastHttpUser, each user thinking
`--wait` seconds between pages): the 100 agents (list, by status, search, later pages, an
experience of their scope), `--visitors` public visitors (home, list, later pages,
search/filters, an experience), the 5 moderators (queue, a case). Requests after `--warmup`
seconds count. Also reads each service's gunicorn access lines (time per API request) and
the CPU of the platform's processes and PostgreSQL over the measured window: where the time
goes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from pipeline import (  # noqa: E402
    ADMIN,
    PORT_BASE,
    SERVICES,
    _machine_cpu,
    databases,
    login,
    percentile,
    platform_running,
    post,
    url,
)

from services.experiences.models import Experience  # noqa: E402
from services.moderation.models import Case, Decision  # noqa: E402

PASSWORD = "bench password that is long enough"
TARGET_P99_MS = 300
REGIONS, LOCALS_PER_REGION = 10, 10
DEPARTMENTS = ["75", "69", "13", "33", "59", "31", "44", "67", "35", "34"]  # one per region
TERMS = ["téléphone", "dossier", "accueil", "attente", "courrier", "rendez-vous"]
TITLES = ["Accueil au guichet", "Attente au téléphone", "Dossier perdu", "Rendez-vous annulé",
          "Réponse rapide", "Courrier sans réponse", "Agent très aimable", "Site en panne",
          "Pièce justificative refusée", "Délai de traitement", "Erreur de calcul",
          "Accompagnement personnalisé"]
SENTENCES = ["J'ai attendu longtemps avant d'être reçu.", "L'agent a pris le temps de m'expliquer.",
             "Personne ne répond au téléphone depuis deux semaines.",
             "Mon dossier a été traité en trois jours, merci.",
             "On m'a demandé trois fois les mêmes documents.",
             "Le formulaire en ligne ne fonctionne pas sur mon téléphone.",
             "Je n'ai reçu aucun courrier malgré mes relances.", "Très bon accueil, efficace.",
             "Le rendez-vous a été déplacé sans prévenir.",
             "La personne à l'accueil connaissait bien mon dossier."]
RESPONSE = ("Bonjour, merci d'avoir pris le temps de nous écrire. Nous avons regardé votre "
            "dossier avec l'équipe : {}. Nous restons à votre disposition à l'accueil ou par "
            "téléphone.")


def text(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(sentences))


# Seeding -------------------------------------------------------------------------------------

def seed_identity(http: requests.Session) -> dict:
    admin = login(http, *ADMIN)
    tag = uuid.uuid4().hex[:6]
    network = post(http, "identity", "/networks", {
        "code": f"BENCH{tag}", "name": "Caisse de bench", "requires_validation": True}, admin)
    national = post(http, "identity", "/structures", {
        "network_id": network["id"], "name": "Direction nationale de bench"}, admin)
    regions, offices = [], []
    for r, dep in enumerate(DEPARTMENTS):
        region = post(http, "identity", "/structures", {
            "network_id": network["id"], "parent_id": national["id"],
            "name": f"Direction régionale {r + 1}", "postal_code": f"{dep}000",
            "city": f"Ville {r + 1}"}, admin)
        regions.append(region)
        for k in range(LOCALS_PER_REGION):
            office = post(http, "identity", "/structures", {
                "network_id": network["id"], "parent_id": region["id"],
                "name": f"Agence {r + 1}-{k + 1}", "postal_code": f"{dep}{k + 1:03d}",
                "city": f"Commune {r + 1}-{k + 1}"}, admin)
            offices.append(dict(office, region=region["id"], department=dep))

    def user(email, profile, missions, structure_ids, network_id):
        return post(http, "identity", "/users", {
            "email": email, "name": email.split("@")[0], "profile": profile,
            "missions": missions, "network_id": network_id, "structure_ids": structure_ids,
            "password": PASSWORD}, admin)

    jobs = [(f"agent{i}.{tag}@bench.example.fr", "agent", ["answer"],
             [offices[i]["id"]], network["id"]) for i in range(90)]
    jobs += [(f"superagent{r}.{tag}@bench.example.fr", "super_agent", ["answer"],
              [regions[r]["id"]], network["id"]) for r in range(10)]
    jobs += [(f"moderateur{m}.{tag}@bench.example.fr", "moderator", [], [], None)
             for m in range(5)]
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda job: user(*job), jobs))
    return {"tag": tag, "network": network, "national": national, "regions": regions,
            "offices": offices, "agents": made[:100], "moderators": made[100:]}


def wait_for_replicas(urls: dict[str, str], network_id: str, expected: int) -> None:
    """experiences and moderation learn of the structures through events."""
    deadline = time.time() + 120
    for service in ("experiences", "moderation"):
        engine = sa.create_engine(urls[f"{service.upper()}_DATABASE_URL"],
                                  poolclass=sa.pool.NullPool)
        while True:
            with engine.connect() as conn:
                found = conn.execute(sa.text("SELECT count(*) FROM structures WHERE "
                                             "network_id = :n"), {"n": network_id}).scalar()
            if found >= expected:
                break
            if time.time() > deadline:
                raise SystemExit(f"{service} knows {found} of {expected} structures")
            time.sleep(0.5)
        engine.dispose()


def submit_pending(seed: dict, urls: dict[str, str], n: int, approved: int) -> None:
    """n experiences through the public API, screened by moderation into pending cases;
    `approved` of them approved by a moderator through the API."""
    rng = random.Random(7)
    session = requests.Session()

    def submit(i):
        office = rng.choice(seed["offices"])
        response = session.post(url("experiences", "/experiences"), json={
            "title": rng.choice(TITLES), "body": text(rng, 3),
            "structure_hint": office["name"], "postal_code": office["postal_code"],
            "channel": rng.choice(["in_person", "phone", "email", "online"]),
            "occurred_on": (date.today() - timedelta(days=rng.randint(1, 60))).isoformat(),
            "feeling": rng.choice(["positive", "neutral", "negative"]),
            "author_name": "Camille", "author_email": f"usager{i}.{seed['tag']}@example.org"},
            timeout=30)
        if response.status_code != 202:
            raise SystemExit(f"POST /experiences: {response.status_code} {response.text[:200]}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(submit, range(n)))
    engine = sa.create_engine(urls["MODERATION_DATABASE_URL"], poolclass=sa.pool.NullPool)
    deadline = time.time() + 300
    while True:
        with engine.connect() as conn:
            pending = conn.execute(sa.text(
                "SELECT count(*) FROM cases WHERE status = 'pending'")).scalar()
        if pending >= n:
            break
        if time.time() > deadline:
            raise SystemExit(f"moderation opened {pending} of {n} cases")
        time.sleep(1)
    engine.dispose()
    moderator = login(session, seed["moderators"][0]["email"], PASSWORD)
    cases = session.get(url("moderation", f"/cases?status=pending&per_page={approved}"),
                        headers=moderator, timeout=30).json()["items"]
    for case in cases:
        post(session, "moderation", f"/cases/{case['id']}/approve",
             {"structure_id": rng.choice(seed["offices"][:90])["id"]}, moderator)


def seed_volume(seed: dict, urls: dict[str, str], n: int) -> None:
    """n published experiences by SQL, with the columns the approval, the response and its
    validation write, and their moderation cases and decisions."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    network_id = seed["network"]["id"]
    agents_of = defaultdict(list)
    for agent in seed["agents"]:
        for sid in agent["structure_ids"]:
            agents_of[sid].append(agent["id"])
    supers = {seed["regions"][r]["id"]: seed["agents"][90 + r]["id"] for r in range(10)}
    moderator_ids = [m["id"] for m in seed["moderators"]]
    experiences, cases, decisions = [], [], []
    for i in range(n):
        office = seed["offices"][i % len(seed["offices"])]
        roll = rng.random()
        status = "to_process" if roll < 0.2 else "awaiting_validation" if roll < 0.3 \
            else "answered"
        submitted = now - timedelta(days=rng.randint(1, 700), seconds=rng.randint(0, 86400))
        published = submitted + timedelta(hours=rng.randint(2, 72))
        title, body = rng.choice(TITLES), text(rng, rng.randint(2, 6))
        drafter = (agents_of.get(office["id"]) or [None])[0]
        exp_id = str(uuid.uuid4())
        row = {
            "id": exp_id, "status": status, "title": title, "body": body,
            "published_body": body, "edited": False, "structure_hint": office["name"],
            "postal_code": office["postal_code"],
            "channel": rng.choice(["in_person", "phone", "mail", "email", "online"]),
            "occurred_on": (submitted - timedelta(days=rng.randint(0, 10))).date(),
            "feeling": rng.choice(["positive", "neutral", "negative"]),
            "author_name": "Camille", "author_email": f"u{i}.{seed['tag']}@example.org",
            "submitted_title": title, "submitted_structure_hint": office["name"],
            "submitted_author_name": "Camille",
            "structure_id": office["id"], "network_id": network_id,
            "submitted_at": submitted, "published_at": published,
            "first_response_at": None, "response_body": None, "response_closing": None,
            "response_signature": None, "response_drafted_by": None,
            "response_submitted_by": None, "response_validated_by": None,
            "response_updated_at": None, "evaluation_token_hash": None, "evaluated_at": None,
            "evaluation_useful": None, "evaluation_feeling_after": None,
            "evaluation_comment": None,
            "general_tags": [{"tag": "accueil", "feeling": "positive"}] if i % 4 == 0 else [],
            "business_tags": [], "channel_feelings": [], "improvement_to_consider": i % 9 == 0,
        }
        if status != "to_process":
            answered_at = published + timedelta(days=rng.randint(1, 20))
            row.update(response_body=RESPONSE.format(rng.choice(SENTENCES).lower().rstrip(".")),
                       response_closing="Bien cordialement,", response_signature="L'équipe",
                       response_drafted_by=drafter, response_submitted_by=drafter,
                       response_updated_at=answered_at)
            if status == "answered":
                row.update(first_response_at=answered_at, response_validated_by=supers[
                    office["region"]], evaluation_token_hash=uuid.uuid4().hex * 2)
                if i % 3 == 0:
                    row.update(evaluated_at=answered_at + timedelta(days=2),
                               evaluation_useful=i % 2 == 0, evaluation_feeling_after="positive")
        experiences.append(row)
        case_id = str(uuid.uuid4())
        cases.append({
            "id": case_id, "experience_id": exp_id, "kind": "submission", "status": "approved",
            "title": title, "body": body, "structure_hint": office["name"],
            "postal_code": office["postal_code"], "author_name": "Camille",
            "channel": row["channel"], "occurred_on": row["occurred_on"],
            "feeling": row["feeling"], "flags": [], "redacted_body": body,
            "field_flags": {"title": [], "author_name": [], "structure_hint": []},
            "created_at": submitted, "decided_at": published})
        decisions.append({
            "id": str(uuid.uuid4()), "case_id": case_id,
            "moderator_id": rng.choice(moderator_ids), "action": "approve",
            "structure_id": office["id"], "network_id": network_id, "published_body": body,
            "edited": False, "published": {"title": title, "body": body,
                                           "author_name": "Camille",
                                           "structure_hint": office["name"]},
            "changes": {}, "decided_at": published})
    for service, batches in (("experiences", [(Experience.__table__, experiences)]),
                             ("moderation", [(Case.__table__, cases),
                                             (Decision.__table__, decisions)])):
        engine = sa.create_engine(urls[f"{service.upper()}_DATABASE_URL"],
                                  poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            for table, rows in batches:
                columns = {c.name for c in table.columns}
                for k in range(0, len(rows), 1000):
                    conn.execute(table.insert(), [{c: v for c, v in r.items() if c in columns}
                                                  for r in rows[k:k + 1000]])
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table, _ in batches:
                conn.execute(sa.text(f"VACUUM ANALYZE {table.name}"))
        engine.dispose()


def spec_for(seed: dict, urls: dict[str, str], visitors: int) -> dict:
    """What the locust users need: accounts with experience ids of their scope, published
    experience ids, pending case ids."""
    rng = random.Random(3)
    engine = sa.create_engine(urls["EXPERIENCES_DATABASE_URL"], poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        by_structure = defaultdict(list)
        for exp_id, sid in conn.execute(sa.text(
                "SELECT id, structure_id FROM experiences WHERE status IN "
                "('to_process', 'awaiting_validation', 'answered')")):
            by_structure[sid].append(exp_id)
    engine.dispose()
    engine = sa.create_engine(urls["MODERATION_DATABASE_URL"], poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        cases = list(conn.execute(sa.text("SELECT id FROM cases WHERE status = 'pending'"))
                     .scalars())
    engine.dispose()
    children = defaultdict(list)
    for office in seed["offices"]:
        children[office["region"]].append(office["id"])
    agents = []
    for agent in seed["agents"]:
        ids = []
        for sid in agent["structure_ids"]:
            for s in [sid, *children.get(sid, [])]:
                ids += by_structure.get(s, [])
        agents.append({"email": agent["email"], "experiences": rng.sample(ids, min(100, len(ids)))})
    published = [i for ids in by_structure.values() for i in ids]
    return {"password": PASSWORD, "agents": agents,
            "moderators": [m["email"] for m in seed["moderators"]], "visitors": visitors,
            "published": rng.sample(published, min(2000, len(published))), "cases": cases,
            "network_id": seed["network"]["id"], "terms": TERMS, "departments": DEPARTMENTS,
            "structures": [s["id"] for s in seed["regions"]]
            + [s["id"] for s in seed["offices"][::7]]}


# Measuring -----------------------------------------------------------------------------------

_ACCESS = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) (/\S*) (\d{3}) \S+ (\d+)ms")
_ID = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def log_offsets(var: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in (var / "log").glob("*.log")}


def api_times(var: Path, since: dict[str, int]) -> dict[tuple[str, str], list[int]]:
    """{(service, 'METHOD /path'): [ms, ...]} from the gunicorn access lines written since."""
    found: dict[tuple[str, str], list[int]] = defaultdict(list)
    for path in (var / "log").glob("*.log"):
        service = path.stem
        with open(path, "rb") as f:
            f.seek(since.get(path.name, 0))
            for line in f.read().decode(errors="replace").splitlines():
                m = _ACCESS.search(line)
                if m and m.group(2) not in ("/healthz", "/readyz", "/metrics"):
                    route = _ID.sub("/{id}", m.group(2))
                    found[(service, f"{m.group(1)} {route}")].append(int(m.group(4)))
    return found


def run(args, urls: dict[str, str], amqp_url: str) -> dict:
    var = Path(tempfile.mkdtemp(prefix="spp-bench-pages-"))
    with platform_running(var, amqp_url, urls) as sampler:
        t0 = time.perf_counter()
        http = requests.Session()
        seed = seed_identity(http)
        print(f"identity seeded in {time.perf_counter() - t0:.0f} s", flush=True)
        wait_for_replicas(urls, seed["network"]["id"], 1 + REGIONS + REGIONS * LOCALS_PER_REGION)
        submit_pending(seed, urls, args.pending, args.approved)
        print(f"{args.pending} experiences through the API and screened, {args.approved} "
              f"approved, at {time.perf_counter() - t0:.0f} s", flush=True)
        seed_volume(seed, urls, args.experiences)
        spec = spec_for(seed, urls, args.visitors)
        print(f"{args.experiences} published experiences by SQL at "
              f"{time.perf_counter() - t0:.0f} s; {len(spec['cases'])} pending cases", flush=True)
        spec_path, out_path = var / "spec.json", var / "samples.jsonl"
        spec_path.write_text(json.dumps(spec))
        users = len(spec["agents"]) + len(spec["moderators"]) + args.visitors
        env = dict(os.environ, BENCH_PAGES_SPEC=str(spec_path), BENCH_PAGES_OUT=str(out_path),
                   BENCH_PAGES_WARMUP=str(args.warmup), BENCH_PAGES_WAIT=args.wait)
        locust = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "pages_locust.py"),
             "--headless", "-u", str(users), "-r", str(args.spawn_rate),
             "-t", f"{args.duration}s", "--host", url("gateway", ""), "--only-summary",
             "--csv", str(var / "locust"), "--stop-timeout", "5", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=open(var / "locust.log", "w"), stderr=subprocess.STDOUT)
        time.sleep(args.warmup)
        offsets = log_offsets(var)
        sampler.sample()
        cpu0 = dict(sampler.cpu)
        postgres = ServerCpu("postgres")
        postgres.start()
        queues = AcceptQueues()
        queues.start()
        machine0, m0 = _machine_cpu(), time.time()
        locust_cpu0 = _proc_cpu(locust.pid)
        locust.wait(timeout=args.duration + 120)
        sampler.sample()
        measured = time.time() - m0
        postgres.stop.set()
        postgres.join()
        queues.stop.set()
        queues.join()
        pg = postgres.seconds()
        busy, total = (a - b for a, b in zip(_machine_cpu(), machine0, strict=True))
        by_process: dict[str, float] = defaultdict(float)
        for pid, seconds in sampler.cpu.items():
            by_process[sampler.names.get(pid, "other")] += seconds - cpu0.get(pid, 0.0)
        samples = [json.loads(line) for line in out_path.read_text().splitlines() if line]
        lags = samples.pop()["loop_lags"] if samples and isinstance(samples[-1], dict) else []
        return {"samples": samples, "loop_lags": lags, "accept_peak": queues.peak,
                "accept_busy": {k: v / max(1, queues.samples) for k, v in queues.over.items()},
                "measured_from": m0, "measured": measured, "users": users,
                "api": api_times(var, offsets), "cpu": dict(by_process), "postgres_cpu": pg,
                "locust_cpu": _proc_cpu_total(locust, locust_cpu0),
                "machine_busy": busy / total if total else float("nan"),
                "peak_rss": sampler.peak, "var": var,
                "locust_log": (var / "locust.log").read_text()[-3000:]}


class ServerCpu(threading.Thread):
    """CPU seconds the server's processes (by name) spent from now on, backends that come and
    go included: each process's time is read every 0.25 s, the last reading counts."""

    def __init__(self, name: str):
        super().__init__(daemon=True)
        self.name_, self.stop = name, threading.Event()
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._read(self.first)

    def _read(self, into: dict[int, float]) -> None:
        ticks = os.sysconf("SC_CLK_TCK")
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text_ = stat.read_text()
            except OSError:
                continue
            if text_[text_.index("(") + 1:text_.rindex(")")] == self.name_:
                fields = text_.rsplit(")", 1)[1].split()
                into[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / ticks

    def run(self):
        while not self.stop.wait(0.25):
            self._read(self.last)
        self._read(self.last)

    def seconds(self) -> float:
        return sum(v - self.first.get(pid, 0.0) for pid, v in self.last.items())


class AcceptQueues(threading.Thread):
    """The longest accept queue seen on each service's listening socket (/proc/net/tcp: a
    listening socket's rx_queue is the number of connections waiting for accept()), every
    0.1 s: connections waiting for a free gunicorn worker, which its access lines never show."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.ports = {PORT_BASE + i: name for i, name in enumerate(SERVICES)}
        self.peak = {name: 0 for name in SERVICES}
        self.over: dict[str, int] = defaultdict(int)  # samples with connections waiting
        self.samples = 0

    def run(self):
        while not self.stop.wait(0.1):
            self.samples += 1
            try:
                lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                if fields[3] != "0A":  # LISTEN
                    continue
                port = int(fields[1].split(":")[1], 16)
                if port in self.ports:
                    waiting = int(fields[4].split(":")[1], 16)
                    name = self.ports[port]
                    self.peak[name] = max(self.peak[name], waiting)
                    if waiting:
                        self.over[name] += 1


_locust_cpu_seen = [0.0]


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        _locust_cpu_seen[0] = seconds
        return seconds
    except (OSError, IndexError, ValueError):
        return _locust_cpu_seen[0]


def _proc_cpu_total(proc: subprocess.Popen, before: float) -> float:
    """CPU of the finished locust process: its own as last seen is lost at exit, so read the
    children's rusage instead (it was our only child process by then)."""
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return max(0.0, usage.ru_utime + usage.ru_stime - before)


# Report --------------------------------------------------------------------------------------

def report(r: dict, args) -> tuple[list[str], str, bool]:
    by_kind: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for name, ms, ok, _at in r["samples"]:
        by_kind[name].append(ms)
        if not ok:
            errors[name] += 1
    pages = [ms for name, values in by_kind.items() if name != "login" for ms in values]
    page_errors = sum(n for name, n in errors.items() if name != "login")
    rows = ["| page kind | requests | p50 ms | p95 ms | p99 ms | max ms | errors |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for name in sorted(by_kind, key=lambda n: (n == "login", n)):
        v = by_kind[name]
        rows.append(f"| {name} | {len(v):,} | {percentile(v, 50):.0f} | {percentile(v, 95):.0f} "
                    f"| {percentile(v, 99):.0f} | {max(v):.0f} | {errors.get(name, 0)} |")
    p99 = percentile(pages, 99) if pages else float("nan")
    rows.append(f"| **all pages** | **{len(pages):,}** | **{percentile(pages, 50):.0f}** | "
                f"**{percentile(pages, 95):.0f}** | **{p99:.0f}** | **{max(pages):.0f}** | "
                f"**{page_errors}** |")
    rate = len(pages) / r["measured"]
    api = sorted(r["api"].items(), key=lambda kv: -sum(kv[1]))[:14]
    api_rows = ["| service | request | count | mean ms | p50 ms | p99 ms | ms per page |",
                "|---|---|---:|---:|---:|---:|---:|"]
    for (service, route), values in api:
        api_rows.append(f"| {service} | `{route}` | {len(values):,} | "
                        f"{sum(values) / len(values):.1f} | {percentile(values, 50):.0f} | "
                        f"{percentile(values, 99):.0f} | "
                        f"{sum(values) / max(1, len(pages)):.1f} |")
    cpu = sorted(r["cpu"].items(), key=lambda kv: -kv[1])
    cpu_line = ("CPU over the measured window, ms per page: " + ", ".join(
        f"{name.removeprefix('services.')} {1000 * s / max(1, len(pages)):.1f}"
        for name, s in cpu if s > 0.001 * len(pages))
        + f"; PostgreSQL (every client of the server) {1000 * r['postgres_cpu'] / max(1, len(pages)):.1f}"
        + f"; locust {1000 * r['locust_cpu'] / max(1, len(pages)):.1f}"
        + f"; machine CPU busy {100 * r['machine_busy']:.0f} %")
    slow = sorted(int(at - r["measured_from"]) for name, ms, _ok, at in r["samples"]
                  if name != "login" and ms > 1000)
    seconds: dict[int, int] = defaultdict(int)
    for second in slow:
        seconds[second] += 1
    lags = r["loop_lags"]
    stall_lines = [
        f"Pages over 1 s: {len(slow)}, answered in {len(seconds)} distinct seconds of the "
        f"{r['measured']:.0f} measured" + (": " + ", ".join(
            f"{s}s×{n}" for s, n in sorted(seconds.items())[:40]) if seconds else "") + ".",
        "Longest accept queue (connections waiting for a free gunicorn worker), and the share "
        "of 0.1 s samples with any waiting: " + ", ".join(
            f"{name} {r['accept_peak'][name]} ({100 * r['accept_busy'].get(name, 0):.0f} %)"
            for name in SERVICES) + ".",
        f"locust's own event loop: {len(lags)} wake-ups late by more than 20 ms, the worst "
        f"{max((late for _, late in lags), default=0) * 1000:.0f} ms late.",
    ]
    ok = p99 < TARGET_P99_MS and page_errors == 0
    last = (f"pages: p99 {p99:.0f} ms over {len(pages):,} pages, {rate:.1f} pages/s, "
            f"{page_errors} errors, {r['users']} users (target p99 < {TARGET_P99_MS} ms: "
            + ("met" if ok else "MISSED") + ")")
    lines = rows + ["", f"{rate:.1f} pages/s over {r['measured']:.0f} s measured "
                    f"({r['users']} users, think time {args.wait.replace(',', '–')} s, "
                    f"{args.web_workers} gunicorn workers per service); "
                    f"platform peak resident memory {r['peak_rss'] / 2**20:.0f} MiB", "",
                    cpu_line, ""] + stall_lines + [
                        "", "Time in each service (its gunicorn access lines: the gateway's "
                        "are the pages as served, the others the API calls behind them; the "
                        "14 requests with the most time in all):", ""] + api_rows
    return lines, last, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--experiences", type=int, default=5000, help="published, by SQL")
    parser.add_argument("--pending", type=int, default=300, help="posted through the API")
    parser.add_argument("--approved", type=int, default=20, help="of those, approved by API")
    parser.add_argument("--duration", type=int, default=240, help="seconds of locust in all")
    parser.add_argument("--warmup", type=int, default=40, help="seconds not counted")
    parser.add_argument("--wait", default="5,15", help="think time between pages, min,max s")
    parser.add_argument("--spawn-rate", type=int, default=20)
    parser.add_argument("--web-workers", type=int, default=3,
                        help="gunicorn workers per service (deploy/docker-compose.yml: 3)")
    parser.add_argument("--amqp-url", default=os.environ.get(
        "AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"))
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if importlib.util.find_spec("locust") is None:  # not imported here: it monkey-patches
        raise SystemExit("locust is missing: pip install -e '.[bench]'")
    os.environ["SPP_WEB_WORKERS"] = str(args.web_workers)  # read by services.chassis.up
    with databases("postgresql", args.postgres_url) as urls:
        r = run(args, urls, args.amqp_url)
    lines, last, ok = report(r, args)
    print("\n".join(lines + ["", last]))
    if not r["samples"]:
        print(r["locust_log"])
    if args.write_docs:
        write_docs(args, lines, last)
    return 0 if ok else 1


def write_docs(args, lines: list[str], last: str) -> None:
    docs = ROOT / "docs" / "benchmarks.md"
    text_ = docs.read_text()
    title = "## Pages under concurrent users (PostgreSQL)"
    text_ = re.sub(r"\n" + re.escape(title) + r"\n.*?(?=\n## |\Z)", "", text_, flags=re.S)
    command = (f".venv/bin/python bench/pages.py --visitors {args.visitors} --experiences "
               f"{args.experiences} --duration {args.duration} --warmup {args.warmup} "
               f"--wait {args.wait} --web-workers {args.web_workers}")
    text_ += (f"\n{title}\n\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
              f"with `{command}` on {os.cpu_count()} CPUs shared with other work (the platform, "
              "PostgreSQL, RabbitMQ and locust on the same machine).\n\n"
              + "\n".join(lines) + f"\n\n`{last}`\n\n"
              "Method. A platform started as `make up` starts it (bench/pipeline.py's "
              "`start_platform`, its own ports, `SPP_WEB_WORKERS` gunicorn sync workers per "
              "service as in deploy/docker-compose.yml), each service on a fresh PostgreSQL "
              "database of the local server, dropped after. Seeded through the APIs: a network "
              "requiring validation with 1 national, 10 regional and 100 local structures, 90 "
              "agents (one office each), 10 regional super agents, 5 moderators, "
              f"{args.pending} experiences posted to `POST /experiences` and screened by "
              f"moderation's worker (pending cases; {args.approved} approved through the API). "
              f"Seeded by SQL for volume: {args.experiences:,} published experiences over the "
              "offices (20 % to process, 10 % awaiting validation, 70 % answered, with the "
              "columns approval, response and validation write) into experiences' own table, "
              "and their approved cases and decisions into moderation's, through the services' "
              "SQLAlchemy tables. Load: locust headless (`bench/pages_locust.py`, FastHttpUser; "
              "`locust -f … --headless -u … -r …`), each user waiting "
              f"{args.wait.replace(',', '–')} s between pages: the 100 agents log in on "
              "`/connexion` then read their list (plain, by status, searched, pages 2–5) and "
              "experiences of their scope; the public visitors read the home page, the list, "
              "later pages, searches and filters (administration and feeling, structure, "
              "département and answered) and experiences; the moderators the queue and pending "
              "cases. Every request after the warm-up is kept with its time: the percentiles "
              "are exact, not locust's rounded ones. A redirect (a lost session) counts as an "
              "error. Static files (the DSFR's CSS and JavaScript, cached by browsers) are not "
              "requested. The API times come from the services' gunicorn access lines over "
              "the same window; the accept queues from /proc/net/tcp every 0.1 s.\n")
    docs.write_text(text_)


if __name__ == "__main__":
    sys.exit(main())
