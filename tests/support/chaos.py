"""The platforms the fault tests start (tests/chaos/conftest.py's `chaos_platform`) and what the
tests do with them: where each service listens, the seeded administrator, the load (usagers and a
moderator), and what the tests read of it: queue depths, a service's database (SQLite files or
PostgreSQL), the mails caught, the supervisor's children; the machine-wide locks; the faults
that need more than a signal (a PostgreSQL restart, a mail relay stopped and started again).
"""

from __future__ import annotations

import email
import fcntl
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from email import policy
from pathlib import Path

import pika
import requests
import sqlalchemy as sa

from services.chassis import amqp
from services.chassis.amqp import connection_parameters
from tests.support import submissions
from tests.support.net import listening
from tests.support.submissions import Submission

ROOT = Path(__file__).resolve().parents[2]
PORT_BASE = int(os.environ.get("SPP_CHAOS_PORT_BASE", "19000"))
SERVICES = ["gateway", "identity", "experiences", "moderation", "diagnostic", "notifier"]
BACKENDS = SERVICES[1:]
ADMIN = ("admin@chaos.localhost", "un-mot-de-passe-chaos-solide")
PASSWORD = "un mot de passe de chaos assez long"
RETRY_DELAYS_MS = (500, 2000, 10000, 30000)
MAIL_PORT = PORT_BASE + 25  # where the platform's mail catcher listens (up.py's MAIL_PORT)
BROKER_LOCK = Path("/tmp/spp-broker.lock")
POSTGRES_LOCK = Path("/tmp/spp-postgres.lock")
EXP_LINK = re.compile(r"/experiences/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def url(service: str, path: str = "") -> str:
    return f"http://127.0.0.1:{PORT_BASE + SERVICES.index(service)}{path}"


def wait_until(predicate, timeout: float = 60, interval: float = 0.2):
    """The predicate's first truthy value, or None at the deadline (HTTP and database errors
    count as falsy: the database may be restarting)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = predicate()
        except (requests.RequestException, sqlite3.Error, sa.exc.SQLAlchemyError):
            value = None
        if value:
            return value
        time.sleep(interval)
    return None


# The broker -----------------------------------------------------------------------------------
def queue_names(prefix: str, service: str) -> list[str]:
    return amqp.queue_names(prefix, service, RETRY_DELAYS_MS)


def queue_depths(amqp_url: str, prefix: str, services=BACKENDS) -> dict[str, int | None]:
    """Ready messages in every queue of the platform; None where the queue does not exist."""
    depths: dict[str, int | None] = {}
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        for service in services:
            for name in queue_names(prefix, service):
                ch = conn.channel()  # a failed passive declare closes the channel
                try:
                    depths[name] = ch.queue_declare(name, passive=True).method.message_count
                    ch.close()
                except pika.exceptions.ChannelClosedByBroker:
                    depths[name] = None
    finally:
        if conn.is_open:
            conn.close()
    return depths


def held_messages(prefix: str) -> dict[str, tuple[int, int]]:
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


# The services' databases ----------------------------------------------------------------------
def sqlite_scalar(path: Path, sql: str, *params):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


class Databases:
    """Read-only looks into each service's database: SQLite files under the var dir, or the
    PostgreSQL databases of the platform. No pool: each look connects anew, so a restarted
    server leaves no dead connection behind."""

    def __init__(self, var: Path, urls: dict[str, str] | None = None):
        self.var, self.urls = var, urls or {}
        self.engines: dict[str, sa.Engine] = {}

    @property
    def kind(self) -> str:
        return "postgresql" if self.urls else "sqlite"

    def engine(self, service: str) -> sa.Engine:
        if service not in self.engines:
            if self.urls:
                self.engines[service] = sa.create_engine(
                    self.urls[service], poolclass=sa.pool.NullPool,
                    connect_args={"connect_timeout": 3})
            else:
                self.engines[service] = sa.create_engine(
                    f"sqlite:///file:{self.var / (service + '.db')}?mode=ro&uri=true",
                    poolclass=sa.pool.NullPool, connect_args={"timeout": 10})
        return self.engines[service]

    def scalar(self, service: str, sql: str, **params):
        """One value; a list or tuple parameter is expanded (`WHERE id IN :ids`)."""
        statement = sa.text(sql)
        for name, value in params.items():
            if isinstance(value, (list, tuple)):
                statement = statement.bindparams(sa.bindparam(name, expanding=True))
        with self.engine(service).connect() as conn:
            return conn.execute(statement, params).scalar()

    def names(self) -> set[str]:
        """The PostgreSQL database names of the platform."""
        return {sa.engine.make_url(u).database for u in self.urls.values()}

    def dispose(self) -> None:
        for engine in self.engines.values():
            engine.dispose()


def unsent(db: Databases) -> dict[str, int]:
    """Rows still waiting: outbox events not published, e-mails queued, per service."""
    left = {s: db.scalar(s, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            for s in BACKENDS}
    left["notifier e-mails queued"] = db.scalar(
        "notifier", "SELECT count(*) FROM emails WHERE status = 'queued'")
    return left


# Processes ------------------------------------------------------------------------------------
def children(parent_pid: int) -> dict[int, list[str]]:
    """pid → argv of the direct children of a process (the supervisor's services and workers)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != parent_pid or fields[0] == "Z":
                continue
            argv = (stat.parent / "cmdline").read_bytes().split(b"\0")
            found[int(stat.parent.name)] = [a.decode() for a in argv if a]
        except (OSError, IndexError, ValueError):
            continue
    return found


def ancestors() -> set[int]:
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return pids


def lock_holders(path: Path) -> set[int]:
    """Pids holding a flock on the file, from /proc/locks ("1: FLOCK ADVISORY WRITE pid maj:min:inode …")."""
    inode, holders = os.stat(path).st_ino, set()
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        if len(parts) > 5 and parts[1] == "FLOCK" and "->" not in parts:
            if int(parts[5].rsplit(":", 1)[1]) == inode:
                holders.add(int(parts[4]))
    return holders


@contextmanager
def exclusive_lock(path: Path):
    """An exclusive flock on `path` for the block; yields the seconds spent waiting for it.

    When an ancestor process already holds it (`flock /tmp/spp-broker.lock make test`), waiting
    would wait for ever: that ancestor's hold covers this run too."""
    with open(path, "a+") as handle:
        t0 = time.time()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if lock_holders(path) & ancestors():
                yield 0.0
                return
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield time.time() - t0
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# The mail relay the PostgreSQL platform sends to ---------------------------------------------
class MailRelay:
    """The platform's SMTP server, run by the test rather than by the supervisor (which would
    start it again at once): `services.chassis.mailcatcher` on a fixed port, writing into the same
    folder each time it starts."""

    def __init__(self, port: int, folder: Path, log: Path, env: dict):
        self.port, self.folder, self.log_path, self.env = port, folder, log, env
        self.proc: subprocess.Popen | None = None
        self.log = None

    def start(self, timeout: float = 20) -> float:
        """Start it; the seconds until it accepts connections."""
        t0 = time.time()
        self.log = self.log or open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.chassis.mailcatcher", "--port", str(self.port),
             "--dir", str(self.folder)], cwd=ROOT, env=self.env, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)
        assert wait_until(lambda: listening(self.port), timeout, 0.05), \
            f"the mail relay never listened on {self.port}; see {self.log_path}"
        return time.time() - t0

    def stop(self) -> None:
        """SIGTERM, as an operator's `systemctl stop`: connections in progress are cut."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        assert wait_until(lambda: not listening(self.port), 10, 0.05), "the relay still listens"

    def close(self) -> None:
        self.stop()
        if self.log is not None:
            self.log.close()


# PostgreSQL -----------------------------------------------------------------------------------
def local_cluster(server_url: str) -> tuple[str, str] | None:
    """(version, name) of the Debian cluster serving `server_url` on this machine, or None."""
    url = sa.engine.make_url(server_url)
    if (url.host or "127.0.0.1") not in ("127.0.0.1", "localhost", "::1") or \
            not shutil.which("pg_ctlcluster") or not shutil.which("pg_lsclusters"):
        return None
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True,
                         timeout=30).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] == str(url.port or 5432) and parts[3].startswith("online"):
            return parts[0], parts[1]
    return None


def foreign_clients(server_url: str, ours: set[str]) -> list[tuple]:
    """Client connections to the server other than this platform's databases and this query:
    somebody else's work, which a restart would break."""
    engine = sa.create_engine(server_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT datname, application_name, client_addr::text FROM pg_stat_activity "
                "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
                "AND NOT (datname = ANY(:ours))"), {"ours": sorted(ours)}).all()
    finally:
        engine.dispose()


def quiet_server(server_url: str, ours: set[str], quiet_s: float, timeout: float) -> bool:
    """True once nobody but the platform has been connected for `quiet_s` in a row; False if
    that never happened within `timeout`."""
    deadline, quiet_since = time.time() + timeout, None
    while time.time() < deadline:
        try:
            busy = bool(foreign_clients(server_url, ours))
        except sa.exc.SQLAlchemyError:
            busy = True
        now = time.time()
        quiet_since = None if busy else (quiet_since or now)
        if quiet_since is not None and now - quiet_since >= quiet_s:
            return True
        time.sleep(0.5)
    return False


def restart_postgres(server_url: str, cluster: tuple[str, str]) -> dict:
    """`pg_ctlcluster <version> <name> restart` (fast mode: open transactions are rolled back,
    every connection is cut); what a probe saw: seconds without an answer, the command's time."""
    engine = sa.create_engine(server_url, poolclass=sa.pool.NullPool,
                              connect_args={"connect_timeout": 2})
    seen = {"first_refusal": None, "back": None}
    stop = threading.Event()

    def probe():
        while not stop.is_set():
            try:
                with engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
                if seen["first_refusal"] is not None and seen["back"] is None:
                    seen["back"] = time.time()
            except sa.exc.SQLAlchemyError:
                if seen["first_refusal"] is None:
                    seen["first_refusal"] = time.time()
            time.sleep(0.05)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    t0 = time.time()
    try:
        subprocess.run(["pg_ctlcluster", *cluster, "restart"], check=True, timeout=120,
                       capture_output=True, text=True)
        command_s = time.time() - t0
        assert wait_until(lambda: seen["back"], 60, 0.05), "PostgreSQL never answered again"
    finally:
        stop.set()
        thread.join(timeout=5)
        engine.dispose()
    return {"restart command (s)": round(command_s, 1),
            "server unanswering (s)": round(seen["back"] - seen["first_refusal"], 1)}


# The load -------------------------------------------------------------------------------------
def login(address: str, password: str) -> dict:
    response = requests.post(url("identity", "/auth/token"),
                             json={"email": address, "password": password}, timeout=20)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def post(service: str, path: str, headers=None, **body) -> dict:
    response = requests.post(url(service, path), json=body, headers=headers, timeout=20)
    assert response.status_code in (200, 201, 202), (path, response.status_code, response.text)
    return response.json()


class Usagers:
    """Submits at a steady rate; retries what failed, without creating a second experience."""

    def __init__(self, subs: list[Submission], admin: dict, rate: float):
        self.subs, self.admin, self.rate = subs, admin, rate
        self.done = threading.Event()
        self.failures: list[str] = []

    def submit(self, sub: Submission) -> None:
        submissions.submit(sub, url("experiences"), self.admin, "Agence chaos", self.failures)

    def run(self) -> None:
        pool = ThreadPoolExecutor(6)
        t0 = time.time()
        try:
            futures = []
            for k, sub in enumerate(self.subs):
                delay = t0 + k / self.rate - time.time()
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


class Moderator:
    """Decides each case as it appears: approve to the experience's structure, or reject.

    A decision whose answer was lost (no answer, or a 5xx: the database may have gone away after
    the commit) is looked up on the case itself before being sent again: a decided case is no
    longer in the pending list."""

    def __init__(self, subs: list[Submission], headers: dict, structures: list[str],
                 usagers: Usagers):
        self.subs, self.headers, self.structures, self.usagers = subs, headers, structures, usagers
        self.decided: dict[str, str] = {}  # experience id → approved|rejected
        self.unknown: set[str] = set()  # cases of experiences no usager is known to have made
        self.unsure: dict[str, Submission] = {}  # case id → its submission, answer lost
        self.lost_answers = 0
        self.errors: list[str] = []
        self.stop = threading.Event()

    def _expected(self, sub: Submission) -> str:
        return "rejected" if sub.reject else "approved"

    def _check(self, case_id: str, sub: Submission, refusal: str | None = None) -> None:
        """What became of a case whose decision may or may not have been made."""
        try:
            response = requests.get(url("moderation", f"/cases/{case_id}"), headers=self.headers,
                                    timeout=15)
            detail = response.json() if response.ok else None
        except (requests.RequestException, ValueError):
            detail = None
        if detail is None:
            self.unsure[case_id] = sub  # look again on the next round
            return
        self.unsure.pop(case_id, None)
        if detail.get("status") == self._expected(sub):
            self.decided[sub.exp_id] = detail["status"]
        elif detail.get("status") != "pending" or refusal:
            self.errors.append(f"case {case_id}: {refusal or detail.get('status')}")
        # still pending: it is in the next pending list, and decided then

    def _decide(self, case: dict, sub: Submission) -> None:
        action = "reject" if sub.reject else "approve"
        body = {"reason": "off_topic"} if sub.reject else \
            {"structure_id": self.structures[sub.structure]}
        try:
            response = requests.post(url("moderation", f"/cases/{case['id']}/{action}"),
                                     json=body, headers=self.headers, timeout=15)
        except requests.RequestException:
            self.lost_answers += 1
            self.unsure[case["id"]] = sub
            return
        if response.ok:
            self.decided[sub.exp_id] = self._expected(sub)
        elif response.status_code == 409:
            # Decided already (an earlier answer was lost)? Then it must be our decision.
            self._check(case["id"], sub, refusal=response.text[:200])
        elif response.status_code >= 500:
            self.lost_answers += 1
            self.unsure[case["id"]] = sub
        else:
            self.errors.append(f"case {case['id']}: {response.status_code} {response.text[:200]}")

    def run(self) -> None:
        while not self.stop.is_set():
            by_id = {s.exp_id: s for s in self.subs if s.exp_id}
            for case_id, sub in list(self.unsure.items()):
                self._check(case_id, sub)
            try:
                response = requests.get(url("moderation", "/cases"), headers=self.headers,
                                        params={"status": "pending", "per_page": 100}, timeout=15)
                cases = response.json()["items"] if response.ok else []
            except (requests.RequestException, ValueError):
                cases = []
            fresh = False
            for case in cases:
                sub = by_id.get(case["experience_id"])
                if sub is None:
                    if self.usagers.done.is_set():
                        self.unknown.add(case["experience_id"])
                    continue
                if case["experience_id"] not in self.decided and case["id"] not in self.unsure:
                    self._decide(case, sub)
                    fresh = True
            if not fresh:
                time.sleep(0.2)


class Mailbox:
    """The mail catcher's files, parsed once each: (recipient, kind, experience id, e-mail row id,
    time the catcher stored it). Only recipients whose address carries `tag` when one is given
    (tests sharing a platform each count their own people's mail).

    The row id (X-SPP-Email-Id) tells a row sent twice (a crash between SMTP and the commit) from
    two rows for one recipient and event (a broken idempotency)."""

    def __init__(self, folder: Path, tag: str | None = None):
        self.folder, self.tag, self.parsed = folder, tag, {}

    def read(self) -> list[tuple[str, str, str | None, str, float]]:
        for path in sorted(self.folder.glob("*.eml")) if self.folder.exists() else []:
            if path.name in self.parsed:
                continue
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            part = message.get_body(preferencelist=("plain",))
            found = EXP_LINK.search(part.get_content() if part else "")
            stored = int(path.name.split("-", 1)[0]) / 1e9  # mailcatcher.store: <time_ns>-…
            self.parsed[path.name] = []
            for to in message.get("X-Envelope-To", "").split(","):
                to = to.strip().lower()
                if self.tag is None or f".{self.tag}@" in to:
                    self.parsed[path.name].append(
                        (to, str(message.get("X-SPP-Kind", "")), found.group(1) if found else None,
                         str(message.get("X-SPP-Email-Id", "")), stored))
        return [m for messages in self.parsed.values() for m in messages]


def all_experiences(admin: dict) -> list[dict]:
    items, page = [], 1
    while True:
        data = requests.get(url("experiences", "/experiences"), headers=admin,
                            params={"page": page, "per_page": 100}, timeout=20).json()
        items += data["items"]
        if page * 100 >= data["total"]:
            return items
        page += 1


def mail_key(to: str, kind: str, exp_id: str | None) -> tuple:
    return (to, kind, exp_id) if kind == "experience_to_process" else (to, kind)


class Crowd:
    """The people of one fault test, their load, and the checks that follow it.

    One network (no validation step), 2 structures × 2 agents (immediate e-mails), a moderator;
    `experiences` submitted at `rate` per second by usagers (tests/chaos docs), every fifth
    rejected. Every address carries the test's tag, so tests can share a platform."""

    REJECT_EVERY = 5

    def __init__(self, platform: dict, tag: str, experiences: int, rate: float):
        self.platform, self.tag, self.rate = platform, tag, rate
        self.db: Databases = platform["db"]
        self.subs = [Submission(i=i, token=f"ck{tag}n{i:04d}", structure=i % 2,
                                reject=i % self.REJECT_EVERY == 0,
                                author=f"usager{i}.{tag}@chaos.example.org")
                     for i in range(experiences)]
        self.mailbox = Mailbox(platform["mail"], tag)
        self.structures: list[str] = []
        self.agents: dict[str, int] = {}

    def people(self) -> None:
        """The network, structures, agents and moderator; returns once the replicas know them."""
        admin = self.admin = login(*ADMIN)
        tag = self.tag
        network = post("identity", "/networks", admin, code=f"CHAOS{tag}",
                       name=f"Réseau chaos {tag}", requires_validation=False)
        for s in range(2):
            structure = post("identity", "/structures", admin, network_id=network["id"],
                             name=f"Agence chaos {s} {tag}", postal_code="75011", city="Paris")
            self.structures.append(structure["id"])
            for a in range(2):
                address = f"agent{s}{a}.{tag}@chaos.example.fr"
                post("identity", "/users", admin, email=address, name=f"Agent {s}{a}",
                     profile="agent", missions=["answer"], network_id=network["id"],
                     structure_ids=[structure["id"]], password=PASSWORD)
                self.agents[address] = s
        moderator_address = f"moderateur.{tag}@chaos.example.fr"
        post("identity", "/users", admin, email=moderator_address, name="Modérateur chaos",
             profile="moderator", missions=[], network_id=None, structure_ids=[],
             password=PASSWORD)
        self.moderator_headers = login(moderator_address, PASSWORD)
        ids = list(self.structures)
        assert wait_until(lambda: self.db.scalar(
            "moderation", "SELECT count(*) FROM structures WHERE id IN :ids", ids=ids) == 2
            and self.db.scalar(
            "experiences", "SELECT count(*) FROM structures WHERE id IN :ids", ids=ids) == 2
            and self.db.scalar(
            "notifier", "SELECT count(*) FROM recipient_structures WHERE structure_id IN :ids",
            ids=ids) == 4, 60), "the replicas never learnt the structures and agents"

    def start(self) -> None:
        """The load, and the moderator, in the background."""
        self.usagers = Usagers(self.subs, self.admin, self.rate)
        self.moderator = Moderator(self.subs, self.moderator_headers, self.structures,
                                   self.usagers)
        for target in (self.usagers.run, self.moderator.run):
            threading.Thread(target=target, daemon=True).start()

    def finish(self, settle_timeout: float) -> None:
        """Wait (with deadlines) for the load to end and every case to be decided."""
        try:
            assert self.usagers.done.wait(300), "the load never finished"
            self.t_load = time.time()
            assert not self.usagers.failures, self.usagers.failures[:10]
            assert all(s.exp_id for s in self.subs)
            assert wait_until(lambda: len(self.moderator.decided) == len(self.subs),
                              settle_timeout), \
                f"{len(self.subs) - len(self.moderator.decided)} cases never decided; errors " \
                f"{self.moderator.errors[:5]}"
        finally:
            self.moderator.stop.set()
        assert not self.moderator.errors, self.moderator.errors[:10]

    def expected_mails(self) -> Counter:
        expected = Counter()
        for sub in self.subs:
            expected[(sub.author, "experience_rejected_author" if sub.reject else
                      "experience_published_author")] += 1
            if not sub.reject:
                for address, s in self.agents.items():
                    if s == sub.structure:
                        expected[(address, "experience_to_process", sub.exp_id)] += 1
        return expected

    def got_mails(self) -> Counter:
        return Counter(mail_key(to, kind, exp_id) for to, kind, exp_id, _, _ in self.mailbox.read())

    def settle(self, timeout: float, dead: dict[str, int] | None = None):
        """Wait until every expected e-mail came, every queue is empty (but for the `dead`
        letters expected: queue → count) and nothing is left to send; the (depths, unsent) of
        that moment, or None at the deadline."""
        amqp_url, prefix = self.platform["amqp_url"], self.platform["names"]["prefix"]
        expected, dead = set(self.expected_mails()), dead or {}

        def settled():
            depths = queue_depths(amqp_url, prefix)
            left = unsent(self.db)
            complete = set(self.got_mails()) >= expected
            quiet = all((n or 0) == dead.get(q, 0) for q, n in depths.items())
            return complete and quiet and not any(left.values()) and (depths, left)

        return wait_until(settled, timeout, 0.5)

    def numbers(self) -> dict:
        subs, mails = self.subs, self.got_mails()
        return {
            "experiences": len(subs), "rate_per_s": self.rate,
            "submit_attempts": sum(s.attempts for s in subs),
            "submits_retried_refused": sum(1 for s in subs if s.refused),
            "submits_ambiguous": sum(1 for s in subs if s.ambiguous),
            "ambiguous_that_had_succeeded": sum(1 for s in subs if s.adopted),
            "decisions_answer_lost": self.moderator.lost_answers,
            "mails_expected": sum(self.expected_mails().values()),
            "mails_caught": sum(mails.values()),
            "mails_sent_twice": sum(n - 1 for n in mails.values() if n > 1),
            "unknown_cases": len(self.moderator.unknown),
        }

    def check_experiences(self) -> None:
        """Every experience exists once, in the state its moderator chose."""
        subs, tag = self.subs, self.tag
        experiences = all_experiences(self.admin)
        by_token = Counter(re.search(r"ck\w+n\d{4}", e["title"]).group(0) for e in experiences
                           if f"ck{tag}n" in e["title"])
        duplicates = {t: c for t, c in by_token.items() if c > 1}
        assert not duplicates, f"experiences created twice: {duplicates}"
        assert not self.moderator.unknown, \
            f"cases of unknown experiences: {sorted(self.moderator.unknown)[:5]}"
        assert set(by_token) == {s.token for s in subs}
        status = {e["id"]: e["status"] for e in experiences}
        wrong = {s.token: status.get(s.exp_id) for s in subs
                 if status.get(s.exp_id) != ("rejected" if s.reject else "to_process")}
        assert not wrong, \
            f"{len(wrong)} experiences in the wrong state: {dict(list(wrong.items())[:10])}"

    def check_mails(self, final, allowed_resends: int, why: str) -> None:
        """Exactly one e-mail per (recipient, experience): nothing lost, nothing twice, nothing
        stray — but for at most `allowed_resends` copies of one e-mail row (`why`)."""
        expected, mails = self.expected_mails(), self.got_mails()
        rows: dict = {}  # mail key → ids of the e-mail rows received for it
        for to, kind, exp_id, row, _ in self.mailbox.read():
            rows.setdefault(mail_key(to, kind, exp_id), []).append(row)
        depths, left = (final if final else (
            queue_depths(self.platform["amqp_url"], self.platform["names"]["prefix"]),
            unsent(self.db)))
        assert final, f"never settled: queues {({q: n for q, n in depths.items() if n})}, " \
                      f"unsent {left}, missing mails {sorted(set(expected) - set(mails))[:5]}"
        missing = set(expected) - set(mails)
        twice = {k: n for k, n in mails.items() if n > 1}
        stray = {k: n for k, n in mails.items() if k not in expected}
        assert not missing, f"{len(missing)} e-mails never sent: {sorted(missing)[:5]}"
        # Two rows for one (recipient, event): the queueing is not idempotent — always a bug.
        split = {k: rows[k] for k in twice if len(set(rows[k])) > 1}
        assert not split, f"one e-mail queued twice (distinct e-mail rows): {sorted(split.items())[:5]}"
        assert sum(n - 1 for n in twice.values()) <= allowed_resends, \
            f"{len(twice)} e-mails sent more than once ({allowed_resends} resends tolerated: " \
            f"{why}): {[(k, rows[k]) for k in sorted(twice)][:5]}"
        assert not stray, f"unexpected e-mails: {sorted(stray.items())[:5]}"

    def check_nothing_left(self, final) -> None:
        """Dead-letter, main and retry queues empty, outboxes drained, no e-mail queued."""
        prefix = self.platform["names"]["prefix"]
        depths = queue_depths(self.platform["amqp_url"], prefix)
        left = unsent(self.db)
        dlqs = {q: n for q, n in depths.items() if q.endswith(".dlq")}
        for service in ("experiences", "moderation", "notifier"):
            assert dlqs[f"{prefix}.{service}.dlq"] is not None, f"{service} has no dead-letter queue"
        assert not any(dlqs.values()), f"dead letters: {dlqs}"
        assert not any(depths.values()), f"messages left in queues: {depths}"
        # Ready counts miss unacknowledged messages: ask the broker for both.
        held = wait_until(lambda: not held_messages(prefix), 15, 1)
        assert held, f"messages held in queues (ready, unacked): {held_messages(prefix)}"
        assert not any(left.values()), f"outbox or e-mails not drained: {left}"
        failed = self.db.scalar("notifier", "SELECT count(*) FROM emails WHERE status = 'failed'")
        assert not failed, f"{failed} e-mails given up (failed)"


def senders() -> int:
    """The notifier's sender threads (services/notifier/worker.py reads the same variable)."""
    return min(16, max(1, int(os.environ.get("NOTIFIER_SENDERS", "2"))))
