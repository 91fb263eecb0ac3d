"""Fault tests (issue #9): under a steady load, the broker's app restarts, every worker is killed
with SIGKILL once and a web service is killed; afterwards every experience is in the state its
moderator decided, every agent got exactly one "to process" e-mail per published experience of
their structure, every author exactly one decision e-mail, and no queue, dead-letter queue or
outbox holds anything.

Run with `make chaos` (details and measurements: docs/chaos.md).
"""

from __future__ import annotations

import email
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import policy

import pytest
import requests

from tests.support.chaos import (
    ADMIN,
    BACKENDS,
    children,
    queue_depths,
    sqlite_scalar,
    url,
    wait_until,
)

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(900)]

PASSWORD = "un mot de passe de chaos assez long"
EXPERIENCES = int(os.environ.get("SPP_CHAOS_EXPERIENCES", "200"))
RATE = float(os.environ.get("SPP_CHAOS_RATE", "4"))  # submits per second
REJECT_EVERY = 5  # every fifth experience is rejected, to check that final state too
SETTLE_TIMEOUT = 180
STRICT_MAIL = os.environ.get("SPP_CHAOS_STRICT_MAIL") == "1"
EXP_LINK = re.compile(r"/experiences/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


@dataclass
class Submission:
    i: int
    token: str
    structure: int
    reject: bool
    author: str
    exp_id: str | None = None
    attempts: int = 0
    refused: int = 0  # failures where the request surely never reached a server
    ambiguous: int = 0  # failures after the request may have been handled
    adopted: bool = False  # an ambiguous attempt had in fact created the experience
    errors: list[str] = field(default_factory=list)


def _login(address: str, password: str) -> dict:
    response = requests.post(url("identity", "/auth/token"),
                             json={"email": address, "password": password}, timeout=20)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _post(service: str, path: str, headers=None, **body) -> dict:
    response = requests.post(url(service, path), json=body, headers=headers, timeout=20)
    assert response.status_code in (200, 201, 202), (path, response.status_code, response.text)
    return response.json()


def _surely_not_sent(exc: requests.RequestException) -> bool:
    """True when the connection was never established, so the request cannot have been handled."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text


# Usagers ------------------------------------------------------------------------------------
class Usagers:
    """Submits at a steady rate; retries what failed, without creating a second experience."""

    def __init__(self, subs: list[Submission], admin: dict):
        self.subs, self.admin = subs, admin
        self.done = threading.Event()
        self.failures: list[str] = []

    def _find(self, token: str) -> list[str] | None:
        """Ids of the experiences whose title carries the token (None while the API is down)."""
        try:
            response = requests.get(url("experiences", "/experiences"), headers=self.admin,
                                    params={"q": token, "per_page": 10}, timeout=10)
        except requests.RequestException:
            return None
        return [e["id"] for e in response.json()["items"]] if response.ok else None

    def submit(self, sub: Submission) -> None:
        body = {"title": f"Expérience {sub.token}", "body": "Un accueil clair et rapide au guichet.",
                "structure_hint": f"Agence chaos {sub.structure}", "postal_code": "75011",
                "channel": "in_person", "occurred_on": "2026-11-02", "feeling": "positive",
                "author_name": "Usager", "author_email": sub.author}
        deadline = time.time() + 120
        while time.time() < deadline:
            sub.attempts += 1
            try:
                # No pooled session: a stale keep-alive connection would blur the diagnosis.
                response = requests.post(url("experiences", "/experiences"), json=body, timeout=10)
            except requests.RequestException as exc:
                sub.errors.append(f"{type(exc).__name__}")
                sure = _surely_not_sent(exc)
            else:
                if response.status_code == 202:
                    sub.exp_id = response.json()["id"]
                    return
                sub.errors.append(f"HTTP {response.status_code}")
                if response.status_code < 500:
                    self.failures.append(f"{sub.token}: {response.status_code} {response.text[:200]}")
                    return
                sure = False  # a 5xx might come after the commit
            time.sleep(0.5)
            if sure:
                sub.refused += 1
                continue
            # Ambiguous: look for the experience before sending it again (a user would look at
            # their e-mail or the site; here the admin API), once the service answers again.
            sub.ambiguous += 1
            found, until = None, time.time() + 60
            while found is None and time.time() < until:
                found = self._find(sub.token)
                if found is None:
                    time.sleep(0.5)
            if found is None:
                self.failures.append(f"{sub.token}: the experiences API never came back")
                return
            if found:
                sub.exp_id, sub.adopted = found[0], True
                return
        self.failures.append(f"{sub.token}: still failing after 120 s ({sub.errors[-3:]})")

    def run(self) -> None:
        pool = ThreadPoolExecutor(6)
        t0 = time.time()
        try:
            futures = []
            for k, sub in enumerate(self.subs):
                delay = t0 + k / RATE - time.time()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(self.submit, sub))
            for future in futures:
                try:
                    future.result()
                except Exception as exc:  # a bug here must show in the assertions, not vanish
                    self.failures.append(f"submit crashed: {exc!r}")
        finally:
            pool.shutdown()
            self.done.set()


# Moderator ----------------------------------------------------------------------------------
class Moderator:
    """Decides each case as it appears: approve to the experience's structure, or reject."""

    def __init__(self, subs: list[Submission], headers: dict, structures: list[str],
                 usagers: Usagers):
        self.subs, self.headers, self.structures, self.usagers = subs, headers, structures, usagers
        self.decided: dict[str, str] = {}  # experience id → approved|rejected
        self.unknown: set[str] = set()  # cases of experiences no usager is known to have made
        self.errors: list[str] = []
        self.stop = threading.Event()

    def _decide(self, case: dict, sub: Submission) -> None:
        action = "reject" if sub.reject else "approve"
        body = {"reason": "off_topic"} if sub.reject else \
            {"structure_id": self.structures[sub.structure]}
        try:
            response = requests.post(url("moderation", f"/cases/{case['id']}/{action}"),
                                     json=body, headers=self.headers, timeout=15)
        except requests.RequestException:
            return  # try again on the next round
        expected = "rejected" if sub.reject else "approved"
        if response.ok:
            self.decided[sub.exp_id] = expected
        elif response.status_code == 409:
            # Decided already (an earlier answer was lost)? Then it must be our decision.
            try:
                detail = requests.get(url("moderation", f"/cases/{case['id']}"),
                                      headers=self.headers, timeout=15).json()
            except (requests.RequestException, ValueError):
                return  # try again on the next round
            if detail.get("status") == expected:
                self.decided[sub.exp_id] = expected
            else:
                self.errors.append(f"case {case['id']}: {response.text[:200]}")
        else:
            self.errors.append(f"case {case['id']}: {response.status_code} {response.text[:200]}")

    def run(self) -> None:
        while not self.stop.is_set():
            by_id = {s.exp_id: s for s in self.subs if s.exp_id}
            try:
                response = requests.get(url("moderation", "/cases"), headers=self.headers,
                                        params={"status": "pending", "per_page": 100}, timeout=15)
                cases = response.json()["items"] if response.ok else []
            except requests.RequestException:
                cases = []
            fresh = False
            for case in cases:
                sub = by_id.get(case["experience_id"])
                if sub is None:
                    if self.usagers.done.is_set():
                        self.unknown.add(case["experience_id"])
                    continue
                if case["experience_id"] not in self.decided:
                    self._decide(case, sub)
                    fresh = True
            if not fresh:
                time.sleep(0.2)


# Faults -------------------------------------------------------------------------------------
def _pid_of(supervisor_pid: int, marker: str) -> int | None:
    return next((pid for pid, argv in children(supervisor_pid).items() if marker in argv), None)


def _rabbitmqctl(*args: str) -> float:
    t0 = time.time()
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, timeout=120,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.time() - t0


def _restart_broker_app(log: list) -> None:
    t0 = time.time()
    try:
        log.append(("rabbitmqctl stop_app", round(_rabbitmqctl("stop_app"), 1)))
        time.sleep(5)  # the load goes on while the broker is away
    finally:
        log.append(("rabbitmqctl start_app", round(_rabbitmqctl("start_app"), 1)))
    log.append(("broker away (s)", round(time.time() - t0, 1)))


def _backlog(var, amqp_url: str, prefix: str, service: str) -> dict:
    """What the worker had to do when it was killed (evidence that the fault hit live work)."""
    depth = queue_depths(amqp_url, prefix, services=(service,)).get(f"{prefix}.{service}")
    found = {"queue_ready": depth, "outbox_unsent": sqlite_scalar(
        var / f"{service}.db", "SELECT count(*) FROM outbox WHERE published_at IS NULL")}
    if service == "notifier":
        found["emails_queued"] = sqlite_scalar(
            var / "notifier.db", "SELECT count(*) FROM emails WHERE status = 'queued'")
    return found


def _kill_worker(supervisor_pid: int, service: str, log: list, backlog) -> None:
    marker = f"services.{service}.worker"
    pid = _pid_of(supervisor_pid, marker)
    assert pid, f"no {service} worker under the supervisor"
    if service == "notifier":
        # Kill the sender while it has mail to send, when the load gives it some within 5 s.
        wait_until(lambda: backlog(service)["emails_queued"], 5, 0.02)
    seen = backlog(service)
    os.kill(pid, signal.SIGKILL)
    t0 = time.time()
    again = wait_until(lambda: (p := _pid_of(supervisor_pid, marker)) and p != pid and p, 30)
    assert again, f"the supervisor never restarted the {service} worker"
    log.append((f"kill -9 {service} worker", round(time.time() - t0, 1), seen))


def _kill_web(supervisor_pid: int, service: str, log: list) -> None:
    pid = _pid_of(supervisor_pid, f"services.{service}.wsgi:app")
    assert pid, f"no {service} gunicorn under the supervisor"
    # The whole process group: master and web workers die mid-request, as in a machine crash.
    os.killpg(pid, signal.SIGKILL)
    t0 = time.time()
    back = wait_until(lambda: requests.get(url(service, "/readyz"), timeout=2).ok, 60, 0.1)
    assert back, f"{service} never came back"
    log.append((f"kill -9 {service} web (master and workers)", round(time.time() - t0, 1)))


# Reading the results ------------------------------------------------------------------------
class Mailbox:
    """The mail catcher's files, parsed once each: (recipient, kind, experience id, e-mail row id).

    The row id (X-SPP-Email-Id) tells a row sent twice (a crash between SMTP and the commit) from
    two rows for one recipient and event (a broken idempotency)."""

    def __init__(self, folder):
        self.folder, self.parsed = folder, {}

    def read(self) -> list[tuple[str, str, str | None, str]]:
        for path in sorted(self.folder.glob("*.eml")) if self.folder.exists() else []:
            if path.name in self.parsed:
                continue
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            part = message.get_body(preferencelist=("plain",))
            found = EXP_LINK.search(part.get_content() if part else "")
            for to in message.get("X-Envelope-To", "").split(","):
                self.parsed.setdefault(path.name, []).append(
                    (to.strip().lower(), str(message.get("X-SPP-Kind", "")),
                     found.group(1) if found else None, str(message.get("X-SPP-Email-Id", ""))))
        return [m for messages in self.parsed.values() for m in messages]


def _held_messages(prefix: str) -> dict[str, tuple[int, int]]:
    """Queues of the platform holding any message, ready or unacknowledged (rabbitmqctl)."""
    out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "--no-table-headers", "name",
                          "messages_ready", "messages_unacknowledged"], check=True, timeout=60,
                         capture_output=True, text=True).stdout
    held = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(prefix + ".") and \
                (int(parts[1]) or int(parts[2])):
            held[parts[0]] = (int(parts[1]), int(parts[2]))
    return held


def _all_experiences(admin: dict) -> list[dict]:
    items, page = [], 1
    while True:
        data = requests.get(url("experiences", "/experiences"), headers=admin,
                            params={"page": page, "per_page": 100}, timeout=20).json()
        items += data["items"]
        if page * 100 >= data["total"]:
            return items
        page += 1


def _unsent(var) -> dict[str, int]:
    """Rows still waiting: outbox events not published, e-mails queued, per service."""
    left = {s: sqlite_scalar(var / f"{s}.db", "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            for s in BACKENDS}
    left["notifier e-mails queued"] = sqlite_scalar(
        var / "notifier.db", "SELECT count(*) FROM emails WHERE status = 'queued'")
    return left


def test_experiences_survive_broker_worker_and_web_failures(chaos_platform):
    t_start = time.time()
    supervisor = chaos_platform["proc"].pid
    var, amqp_url, prefix = (chaos_platform["var"], chaos_platform["amqp_url"],
                             chaos_platform["names"]["prefix"])
    tag = uuid.uuid4().hex[:6]

    # The people: 2 structures × 2 agents, and a moderator.
    admin = _login(*ADMIN)
    network = _post("identity", "/networks", admin, code=f"CHAOS{tag}", name=f"Réseau chaos {tag}",
                    requires_validation=False)
    structures, agents = [], {}
    for s in range(2):
        structure = _post("identity", "/structures", admin, network_id=network["id"],
                          name=f"Agence chaos {s} {tag}", postal_code="75011", city="Paris")
        structures.append(structure["id"])
        for a in range(2):
            address = f"agent{s}{a}.{tag}@chaos.example.fr"
            _post("identity", "/users", admin, email=address, name=f"Agent {s}{a}", profile="agent",
                  missions=["answer"], network_id=network["id"], structure_ids=[structure["id"]],
                  password=PASSWORD)
            agents[address] = s
    moderator_address = f"moderateur.{tag}@chaos.example.fr"
    _post("identity", "/users", admin, email=moderator_address, name="Modérateur chaos",
          profile="moderator", missions=[], network_id=None, structure_ids=[], password=PASSWORD)
    moderator_headers = _login(moderator_address, PASSWORD)
    marks = ",".join("?" * len(structures))
    assert wait_until(lambda: sqlite_scalar(
        var / "moderation.db", f"SELECT count(*) FROM structures WHERE id IN ({marks})",
        *structures) == 2 and sqlite_scalar(
        var / "experiences.db", f"SELECT count(*) FROM structures WHERE id IN ({marks})",
        *structures) == 2 and sqlite_scalar(
        var / "notifier.db", f"SELECT count(*) FROM recipient_structures WHERE structure_id IN "
        f"({marks})", *structures) == 4, 60), "the replicas never learnt the structures and agents"
    t_ready = time.time()

    # The load, and the moderator, in the background.
    subs = [Submission(i=i, token=f"ck{tag}n{i:04d}", structure=i % 2,
                       reject=i % REJECT_EVERY == 0, author=f"usager{i}.{tag}@chaos.example.org")
            for i in range(EXPERIENCES)]
    usagers = Usagers(subs, admin)
    moderator = Moderator(subs, moderator_headers, structures, usagers)
    threads = [threading.Thread(target=usagers.run, daemon=True),
               threading.Thread(target=moderator.run, daemon=True)]
    for thread in threads:
        thread.start()

    # The faults, one after the other, while the load runs.
    faults: list = []
    try:
        time.sleep(5)
        _restart_broker_app(faults)
        time.sleep(4)
        for service in BACKENDS:
            _kill_worker(supervisor, service, faults,
                         lambda s: _backlog(var, amqp_url, prefix, s))
            time.sleep(2)
        _kill_web(supervisor, "experiences", faults)
        t_faults = time.time()

        # Afterwards: wait (with deadlines) for the load to end, every case to be decided and
        # everything to settle.
        assert usagers.done.wait(300), "the load never finished"
        t_load = time.time()
        assert not usagers.failures, usagers.failures[:10]
        assert all(s.exp_id for s in subs)
        assert wait_until(lambda: len(moderator.decided) == len(subs), SETTLE_TIMEOUT), \
            f"{len(subs) - len(moderator.decided)} cases never decided; errors {moderator.errors[:5]}"
    finally:
        moderator.stop.set()
    assert not moderator.errors, moderator.errors[:10]

    expected_mails = Counter()
    for sub in subs:
        expected_mails[(sub.author, "experience_rejected_author" if sub.reject else
                        "experience_published_author")] += 1
        if not sub.reject:
            for address, s in agents.items():
                if s == sub.structure:
                    expected_mails[(address, "experience_to_process", sub.exp_id)] += 1
    mailbox = Mailbox(chaos_platform["mail"])

    def got_mails() -> Counter:
        counts = Counter()
        for to, kind, exp_id, _ in mailbox.read():
            counts[(to, kind, exp_id) if kind == "experience_to_process" else (to, kind)] += 1
        return counts

    def settled():
        depths = queue_depths(amqp_url, prefix)
        unsent = _unsent(var)
        complete = set(got_mails()) >= set(expected_mails)
        return complete and not any(depths.values()) and not any(unsent.values()) and \
            (depths, unsent)

    final = wait_until(settled, SETTLE_TIMEOUT, 0.5)
    t_settled = time.time()
    depths, unsent = queue_depths(amqp_url, prefix), _unsent(var)
    mails = got_mails()
    rows: dict = {}  # mail key → ids of the e-mail rows received for it
    for to, kind, exp_id, row in mailbox.read():
        rows.setdefault((to, kind, exp_id) if kind == "experience_to_process" else (to, kind),
                        []).append(row)
    experiences = _all_experiences(admin)
    up_log = (var / "up.log").read_text()
    notifier_deaths = up_log.count("notifier-worker exited")

    summary = {
        "experiences": len(subs), "rate_per_s": RATE,
        "lock_waited_s": round(chaos_platform["lock_waited"], 1),
        "setup_s": round(t_ready - t_start, 1), "faults": faults,
        "load_s": round(t_load - t_ready, 1), "faults_end_s": round(t_faults - t_ready, 1),
        "settled_after_load_s": round(t_settled - t_load, 1),
        "submit_attempts": sum(s.attempts for s in subs),
        "submits_retried_refused": sum(1 for s in subs if s.refused),
        "submits_ambiguous": sum(1 for s in subs if s.ambiguous),
        "ambiguous_that_had_succeeded": sum(1 for s in subs if s.adopted),
        "mails_expected": sum(expected_mails.values()), "mails_caught": sum(mails.values()),
        "mails_resent_after_a_notifier_death": sum(n - 1 for n in mails.values() if n > 1),
        "unknown_cases": len(moderator.unknown),
        "restarts_seen": [line for line in up_log.splitlines() if "restarting" in line],
    }
    print("\nchaos summary: " + json.dumps(summary, ensure_ascii=False, indent=1))
    (var / "chaos-summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))

    # The faults really happened and the supervisor brought everything back.
    for service in BACKENDS:
        assert f"{service}-worker exited (-9)" in up_log, up_log[-2000:]
    assert "experiences exited (-9)" in up_log, up_log[-2000:]

    # Every experience exists once, in the state its moderator chose.
    by_token = Counter(re.search(r"ck\w+n\d{4}", e["title"]).group(0) for e in experiences
                       if f"ck{tag}n" in e["title"])
    duplicates = {t: c for t, c in by_token.items() if c > 1}
    assert not duplicates, f"experiences created twice: {duplicates}"
    assert not moderator.unknown, f"cases of unknown experiences: {sorted(moderator.unknown)[:5]}"
    assert set(by_token) == {s.token for s in subs}
    status = {e["id"]: e["status"] for e in experiences}
    wrong = {s.token: status.get(s.exp_id) for s in subs
             if status.get(s.exp_id) != ("rejected" if s.reject else "to_process")}
    assert not wrong, f"{len(wrong)} experiences in the wrong state: {dict(list(wrong.items())[:10])}"

    # Exactly one e-mail per (recipient, experience): nothing lost, nothing twice, nothing stray.
    assert final, f"never settled: queues {({q: n for q, n in depths.items() if n})}, " \
                  f"unsent {unsent}, missing mails {sorted(set(expected_mails) - set(mails))[:5]}"
    missing = set(expected_mails) - set(mails)
    twice = {k: n for k, n in mails.items() if n > 1}
    stray = {k: n for k, n in mails.items() if k not in expected_mails}
    assert not missing, f"{len(missing)} e-mails never sent: {sorted(missing)[:5]}"
    # Two rows for one (recipient, event): the queueing is not idempotent — always a bug.
    split = {k: rows[k] for k in twice if len(set(rows[k])) > 1}
    assert not split, f"one e-mail queued twice (distinct e-mail rows): {sorted(split.items())[:5]}"
    # One row sent twice: the sender died between the SMTP server's acceptance and the commit of
    # the "sent" mark (services/notifier/mailer.py). At most one e-mail in flight per sender
    # thread (NOTIFIER_SENDERS, 2 by default) per death of the notifier worker, unless
    # SPP_CHAOS_STRICT_MAIL=1 asks for no resend at all.
    senders = min(16, max(1, int(os.environ.get("NOTIFIER_SENDERS", "2"))))
    allowed = 0 if STRICT_MAIL else notifier_deaths * senders
    assert sum(n - 1 for n in twice.values()) <= allowed, \
        f"{len(twice)} e-mails sent more than once ({notifier_deaths} notifier worker deaths, " \
        f"{allowed} resends tolerated): {[(k, rows[k]) for k in sorted(twice)][:5]}"
    assert not stray, f"unexpected e-mails: {sorted(stray.items())[:5]}"

    # Nothing left behind: dead-letter, main and retry queues empty, outboxes drained.
    dlqs = {q: n for q, n in depths.items() if q.endswith(".dlq")}
    for service in ("experiences", "moderation", "notifier"):
        assert dlqs[f"{prefix}.{service}.dlq"] is not None, f"{service} has no dead-letter queue"
    assert not any(dlqs.values()), f"dead letters: {dlqs}"
    assert not any(depths.values()), f"messages left in queues: {depths}"
    # Ready counts miss unacknowledged messages: ask the broker for both.
    held = wait_until(lambda: not _held_messages(prefix), 15, 1)
    assert held, f"messages held in queues (ready, unacked): {_held_messages(prefix)}"
    assert not any(unsent.values()), f"outbox or e-mails not drained: {unsent}"
