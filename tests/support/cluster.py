"""The platform's side of the cluster test: where it listens, the people, the load (usagers who
submit at a steady rate, a moderator who decides each case), and what is read back (e-mails in the
catcher's folder, the services' SQLite files, the supervisor's log).

Same method as the fault tests (docs/chaos.md), written apart so that the two can change apart.
"""

from __future__ import annotations

import email
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email import policy
from pathlib import Path

import pytest
import requests

from tests.support import submissions
from tests.support.submissions import Submission

SUMMARY = pytest.StashKey[dict]()  # the load test's figures, shown at the end of the run
PORT_BASE = int(os.environ.get("SPP_CLUSTER_PORT_BASE", "19300"))
SERVICES = ["gateway", "identity", "experiences", "moderation", "diagnostic", "notifier"]
BACKENDS = SERVICES[1:]
ADMIN = ("admin@cluster.localhost", "un-mot-de-passe-cluster-solide")
PASSWORD = "un mot de passe de grappe assez long"
EXP_LINK = re.compile(r"/experiences/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def url(service: str, path: str = "") -> str:
    return f"http://127.0.0.1:{PORT_BASE + SERVICES.index(service)}{path}"


def wait_until(predicate, timeout: float = 60, interval: float = 0.2):
    """The predicate's first truthy value, or None at the deadline (HTTP and SQLite errors: falsy)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = predicate()
        except (requests.RequestException, sqlite3.Error):
            value = None
        if value:
            return value
        time.sleep(interval)
    return None


def sqlite_scalar(path: Path, sql: str, *params):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def unsent(var: Path) -> dict[str, int]:
    """Outbox rows not yet published, per service, and e-mails still queued."""
    left = {s: sqlite_scalar(var / f"{s}.db", "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            for s in BACKENDS}
    left["notifier e-mails queued"] = sqlite_scalar(
        var / "notifier.db", "SELECT count(*) FROM emails WHERE status = 'queued'")
    return left


def login(address: str, password: str) -> dict:
    response = requests.post(url("identity", "/auth/token"),
                             json={"email": address, "password": password}, timeout=20)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def post(service: str, path: str, headers=None, **body) -> dict:
    response = requests.post(url(service, path), json=body, headers=headers, timeout=20)
    assert response.status_code in (200, 201, 202), (path, response.status_code, response.text)
    return response.json()


def all_experiences(admin: dict) -> list[dict]:
    items, page = [], 1
    while True:
        data = requests.get(url("experiences", "/experiences"), headers=admin,
                            params={"page": page, "per_page": 100}, timeout=20).json()
        items += data["items"]
        if page * 100 >= data["total"]:
            return items
        page += 1


class Usagers:
    """Submit at a steady rate over HTTP, at least `minimum` experiences and until `enough` is set
    (the faults are over); a failure is retried only where it cannot have created the experience,
    else the experience is looked up by its token first (no duplicate)."""

    def __init__(self, make: Callable[[int], Submission], minimum: int, admin: dict, rate: float,
                 threads: int = 6):
        self.make, self.minimum, self.admin, self.rate = make, minimum, admin, rate
        self.threads = threads
        self.subs: list[Submission] = []  # grows while the load runs
        self.enough = threading.Event()
        self.done = threading.Event()
        self.failures: list[str] = []

    def submit(self, sub: Submission) -> None:
        submissions.submit(sub, url("experiences"), self.admin, "Agence grappe", self.failures)

    def run(self) -> None:
        pool = ThreadPoolExecutor(self.threads)
        t0 = time.time()
        try:
            futures, k = [], 0
            while k < self.minimum or not self.enough.is_set():
                delay = t0 + k / self.rate - time.time()
                if delay > 0:
                    time.sleep(delay)
                sub = self.make(k)
                self.subs.append(sub)
                futures.append(pool.submit(self.submit, sub))
                k += 1
            for future in futures:
                try:
                    future.result()
                except Exception as exc:  # a bug here must show in the assertions
                    self.failures.append(f"submit crashed: {exc!r}")
        finally:
            pool.shutdown()
            self.done.set()


class Moderator:
    """Decides each pending case as it appears: approve to its structure, or reject."""

    def __init__(self, headers: dict, structures: list[str], usagers: Usagers):
        self.headers, self.structures, self.usagers = headers, structures, usagers
        self.decided: dict[str, str] = {}  # experience id → approved|rejected
        self.decided_at: dict[str, float] = {}
        self.unknown: set[str] = set()
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
            return  # next round
        expected = "rejected" if sub.reject else "approved"
        if response.ok:
            self.decided[sub.exp_id], self.decided_at[sub.exp_id] = expected, time.time()
        elif response.status_code == 409:
            try:
                detail = requests.get(url("moderation", f"/cases/{case['id']}"),
                                      headers=self.headers, timeout=15).json()
            except (requests.RequestException, ValueError):
                return
            if detail.get("status") == expected:
                self.decided[sub.exp_id], self.decided_at[sub.exp_id] = expected, time.time()
            else:
                self.errors.append(f"case {case['id']}: {response.text[:200]}")
        else:
            self.errors.append(f"case {case['id']}: {response.status_code} {response.text[:200]}")

    def run(self) -> None:
        while not self.stop.is_set():
            by_id = {s.exp_id: s for s in list(self.usagers.subs) if s.exp_id}
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


@dataclass(frozen=True)
class Mail:
    to: str
    kind: str
    experience: str | None
    row: str  # X-SPP-Email-Id: the notifier's e-mail row
    caught_at: float  # from the catcher's file name (time_ns)


class Mailbox:
    """The mail catcher's files, each parsed once."""

    def __init__(self, folder: Path):
        self.folder, self.parsed = folder, {}

    def read(self) -> list[Mail]:
        for path in sorted(self.folder.glob("*.eml")) if self.folder.exists() else []:
            if path.name in self.parsed:
                continue
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            part = message.get_body(preferencelist=("plain",))
            found = EXP_LINK.search(part.get_content() if part else "")
            caught = int(path.name.split("-", 1)[0]) / 1e9
            self.parsed[path.name] = [
                Mail(to.strip().lower(), str(message.get("X-SPP-Kind", "")),
                     found.group(1) if found else None, str(message.get("X-SPP-Email-Id", "")),
                     caught)
                for to in message.get("X-Envelope-To", "").split(",")]
        return [m for mails in self.parsed.values() for m in mails]


def mail_key(mail: Mail) -> tuple:
    """What one e-mail is about: the agent's notice names the experience; the author's decision
    e-mail is one per author (each author submits once)."""
    if mail.kind == "experience_to_process":
        return (mail.to, mail.kind, mail.experience)
    return (mail.to, mail.kind)
