"""Fault tests under a steady load, then checks that nothing was lost or done twice.

Issue #9, on SQLite per service (a bare `make up`) and on PostgreSQL (issue #22): the broker's
app restarts, every worker is killed with SIGKILL once and a web service is killed; afterwards
every experience is in the state its moderator decided, every agent got exactly one "to process"
e-mail per published experience of their structure, every author exactly one decision e-mail, and
no queue, dead-letter queue or outbox holds anything.

Issue #22, on PostgreSQL, on the same platform (each test with its own people and load):
- PostgreSQL restarts under load (`pg_ctlcluster … restart`, fast mode: every connection cut,
  open transactions rolled back): every process keeps running and reconnects — web services,
  relays, consumers, the notifier's senders; no experience lost or doubled, every e-mail once;
- the mail relay is down for a minute, under load, then back on its port: the e-mails are
  delayed, none is lost, none is sent twice, and they all arrive within the notifier's back-off
  bound after the relay returns;
- poisoned messages on the exchange, with routing keys that services consume: each lands in its
  consumer's dead-letter queue with its reason, and the workers go on with the good events.

Run with `make chaos` (method and measurements: docs/chaos.md).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import uuid

import pika
import pytest
import requests

from services.chassis.amqp import connection_parameters
from services.chassis.consumer import REASON_HEADER, ROUTING_KEY_HEADER
from tests.support.chaos import (
    BACKENDS,
    POSTGRES_LOCK,
    Crowd,
    children,
    exclusive_lock,
    foreign_clients,
    local_cluster,
    queue_depths,
    quiet_server,
    restart_postgres,
    senders,
    url,
    wait_until,
)

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(900)]

EXPERIENCES = int(os.environ.get("SPP_CHAOS_EXPERIENCES", "200"))
RATE = float(os.environ.get("SPP_CHAOS_RATE", "4"))  # submits per second
SETTLE_TIMEOUT = 180
STRICT_MAIL = os.environ.get("SPP_CHAOS_STRICT_MAIL") == "1"


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


def _backlog(platform: dict, service: str) -> dict:
    """What the worker had to do when it was killed (evidence that the fault hit live work)."""
    db, prefix = platform["db"], platform["names"]["prefix"]
    depth = queue_depths(platform["amqp_url"], prefix, services=(service,)).get(
        f"{prefix}.{service}")
    found = {"queue_ready": depth, "outbox_unsent": db.scalar(
        service, "SELECT count(*) FROM outbox WHERE published_at IS NULL")}
    if service == "notifier":
        found["emails_queued"] = db.scalar(
            "notifier", "SELECT count(*) FROM emails WHERE status = 'queued'")
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


@pytest.mark.parametrize("chaos_platform", ["sqlite", "postgresql"], indirect=True)
def test_experiences_survive_broker_worker_and_web_failures(chaos_platform):
    t_start = time.time()
    supervisor = chaos_platform["proc"].pid
    var = chaos_platform["var"]

    # The people: 2 structures × 2 agents, and a moderator.
    crowd = Crowd(chaos_platform, uuid.uuid4().hex[:6], EXPERIENCES, RATE)
    crowd.people()
    t_ready = time.time()

    # The load, and the moderator, in the background.
    crowd.start()

    # The faults, one after the other, while the load runs.
    faults: list = []
    try:
        time.sleep(5)
        _restart_broker_app(faults)
        time.sleep(4)
        for service in BACKENDS:
            _kill_worker(supervisor, service, faults, lambda s: _backlog(chaos_platform, s))
            time.sleep(2)
        _kill_web(supervisor, "experiences", faults)
        t_faults = time.time()

        # Afterwards: wait (with deadlines) for the load to end, every case to be decided and
        # everything to settle.
        crowd.finish(SETTLE_TIMEOUT)
    finally:
        crowd.moderator.stop.set()
    t_load = crowd.t_load

    final = crowd.settle(SETTLE_TIMEOUT)
    t_settled = time.time()
    up_log = (var / "up.log").read_text()
    notifier_deaths = up_log.count("notifier-worker exited")

    summary = {
        "database": chaos_platform["database"], **crowd.numbers(),
        "lock_waited_s": round(chaos_platform["lock_waited"], 1),
        "platform_started_in_s": chaos_platform["started_in"],
        "setup_s": round(t_ready - t_start, 1), "faults": faults,
        "load_s": round(t_load - t_ready, 1), "faults_end_s": round(t_faults - t_ready, 1),
        "settled_after_load_s": round(t_settled - t_load, 1),
        "restarts_seen": [line for line in up_log.splitlines() if "restarting" in line],
    }
    print("\nchaos summary: " + json.dumps(summary, ensure_ascii=False, indent=1))
    (var / "chaos-summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))

    # The faults really happened and the supervisor brought everything back.
    for service in BACKENDS:
        assert f"{service}-worker exited (-9)" in up_log, up_log[-2000:]
    assert "experiences exited (-9)" in up_log, up_log[-2000:]

    # Every experience exists once, in the state its moderator chose.
    crowd.check_experiences()

    # Exactly one e-mail per (recipient, experience): nothing lost, nothing twice, nothing stray.
    # One row sent twice: the sender died between the SMTP server's acceptance and the commit of
    # the "sent" mark (services/notifier/mailer.py). At most one e-mail in flight per sender
    # thread (NOTIFIER_SENDERS, 2 by default) per death of the notifier worker, unless
    # SPP_CHAOS_STRICT_MAIL=1 asks for no resend at all.
    crowd.check_mails(final, 0 if STRICT_MAIL else notifier_deaths * senders(),
                      f"{notifier_deaths} notifier worker deaths")

    # Nothing left behind: dead-letter, main and retry queues empty, outboxes drained.
    crowd.check_nothing_left(final)


# PostgreSQL: a server restart, the mail relay down, poisoned messages --------------------
RELAY_DOWN_S = float(os.environ.get("SPP_CHAOS_RELAY_DOWN_S", "60"))
# Before a restart, nobody else connected to PostgreSQL (waited for up to FOREIGN_WAIT_S, then
# the test is skipped), and still nobody for QUIET_S in a row while the load runs: somebody's
# test run has no connection open for a moment between two of its tests.
QUIET_S, FOREIGN_WAIT_S = 6, 120
# The tests below share the PostgreSQL platform of the test above (module scope, one start).
ON_POSTGRESQL = pytest.mark.parametrize("chaos_platform", ["postgresql"], indirect=True)


class Watch:
    """The supervisor's children and logs from a test's start: what died, what complained."""

    def __init__(self, platform: dict):
        self.platform = platform
        self.supervisor = platform["proc"].pid
        self.pids = self._pids()
        self.up_log = len((platform["var"] / "up.log").read_text())
        self.logs = {p.name: p.stat().st_size for p in (platform["var"] / "log").glob("*.log")}

    def _pids(self) -> dict[int, str]:
        return {pid: " ".join(argv[2:4]) for pid, argv in children(self.supervisor).items()}

    def deaths(self) -> list[str]:
        """Lines of the supervisor's log since the start: a process that exited."""
        text = (self.platform["var"] / "up.log").read_text()[self.up_log:]
        return [line for line in text.splitlines() if "exited" in line]

    def replaced(self) -> dict[int, str]:
        """Processes of the start that are gone."""
        now = self._pids()
        return {pid: what for pid, what in self.pids.items() if pid not in now}

    def complaints(self) -> dict[str, int]:
        """Warnings and errors each process logged since the start (the fault's visible trace)."""
        found = {}
        for path in (self.platform["var"] / "log").glob("*.log"):
            with open(path, "rb") as handle:
                handle.seek(self.logs.get(path.name, 0))
                text = handle.read().decode(errors="replace")
            n = len(re.findall(r'"level": "(?:WARNING|ERROR)"|\[ERROR\]', text))
            if n:
                found[path.stem] = n
        return found

    def leaks(self, secrets: list[str]) -> list[str]:
        """Log lines since the start that show any of `secrets` (a failing job once logged its
        settings: every URL, passwords included)."""
        found = []
        for path in (self.platform["var"] / "log").glob("*.log"):
            with open(path, "rb") as handle:
                handle.seek(self.logs.get(path.name, 0))
                text = handle.read().decode(errors="replace")
            found += [f"{path.name}: {line[:300]}" for line in text.splitlines()
                      if any(secret in line for secret in secrets)]
        return found

    def assert_nobody_died(self) -> None:
        assert not self.deaths(), f"processes died: {self.deaths()}"
        assert not self.replaced(), f"processes replaced: {self.replaced()}"


def _report(platform: dict, name: str, summary: dict) -> None:
    print(f"\n{name}: " + json.dumps(summary, ensure_ascii=False, indent=1))
    (platform["var"] / f"{name}.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))


# PostgreSQL restart ---------------------------------------------------------------------------
RESTART_EXPERIENCES = int(os.environ.get("SPP_CHAOS_PG_EXPERIENCES", "80"))
RESTART_RATE = 4.0


@ON_POSTGRESQL
def test_every_process_reconnects_after_a_postgresql_restart_under_load(chaos_platform,
                                                                          pg_server_url):
    cluster = local_cluster(pg_server_url)
    if cluster is None:
        pytest.skip("the restart drives a local Debian cluster with pg_ctlcluster")
    t_start = time.time()
    crowd = Crowd(chaos_platform, uuid.uuid4().hex[:6], RESTART_EXPERIENCES, RESTART_RATE)
    crowd.people()
    watch = Watch(chaos_platform)
    # A restart breaks every connection to the server, anyone's: only with the PostgreSQL lock
    # (and the broker lock, held for the module) and nobody else connected. `make test` runs its
    # tests one after the other, so nothing else of the run uses PostgreSQL at that moment.
    with exclusive_lock(POSTGRES_LOCK) as waited:
        ours = chaos_platform["db"].names()
        t_quiet = time.time()
        if not quiet_server(pg_server_url, ours, 0, FOREIGN_WAIT_S):
            pytest.skip(f"somebody else kept using PostgreSQL for {FOREIGN_WAIT_S} s, a restart "
                        f"would break their work: {foreign_clients(pg_server_url, ours)[:5]}")
        t_ready = time.time()
        crowd.start()
        try:
            # The load runs on a warm platform, while nobody else has been connected for
            # QUIET_S, then the server goes away.
            if not quiet_server(pg_server_url, ours, QUIET_S, QUIET_S + 6):
                crowd.usagers.done.wait(300)
                pytest.skip("somebody else began using PostgreSQL: no restart under them "
                            f"({foreign_clients(pg_server_url, ours)[:5]})")
            t_restart = time.time()
            restart = restart_postgres(pg_server_url, cluster)
            t_back = time.time()
        except BaseException:
            crowd.moderator.stop.set()
            raise
    try:
        crowd.finish(SETTLE_TIMEOUT)
    finally:
        crowd.moderator.stop.set()
    final = crowd.settle(SETTLE_TIMEOUT)
    t_settled = time.time()
    after = sum(1 for *_, stored in crowd.mailbox.read() if stored > t_back)
    summary = {
        "database": "postgresql", **crowd.numbers(), "postgres_lock_waited_s": round(waited, 1),
        "waited_for_a_quiet_server_s": round(t_ready - t_quiet, 1),
        "setup_s": round(t_quiet - t_start, 1), "restart_at_s": round(t_restart - t_ready, 1),
        **restart, "load_s": round(crowd.t_load - t_ready, 1),
        "settled_after_load_s": round(t_settled - crowd.t_load, 1),
        "mails_after_the_restart": after, "warnings_and_errors_logged": watch.complaints(),
    }
    _report(chaos_platform, "postgres-restart-summary", summary)

    # No process died or was replaced: each reconnected on its own (the pool's idle ping, the relay's
    # and the senders' loops, the consumer's retries).
    watch.assert_nobody_died()
    crowd.check_experiences()
    # Every e-mail once. The restart cuts the senders' connections, also between the SMTP
    # server's acceptance of an e-mail and the commit of its "sent" mark: the sender keeps that
    # e-mail's id and records the mark once the database answers, before sending anything else
    # (services/notifier/mailer.py, `_DELIVERED`). No resend is tolerated.
    crowd.check_mails(final, 0, "none: a lost connection is no crash")
    assert after > 0, "no e-mail was sent after the restart: the senders never came back"
    # What failed during the restart was logged without the settings' URLs and credentials.
    leaks = watch.leaks([chaos_platform["amqp_url"], "Settings(",
                         *chaos_platform["urls"].values()])
    assert not leaks, f"settings in the logs: {leaks[:3]}"
    crowd.check_nothing_left(final)


# The mail relay down for a minute -------------------------------------------------------------
RELAY_RATE = 2.0


def backoff_bound(outage_s: float, base_s: float) -> float:
    """The longest an e-mail may still wait once the relay is back: its current back-off, the
    largest an e-mail can reach within the outage (failures at t, t+base, t+3·base, …;
    services/notifier/domain.py retry_delay)."""
    k = 1
    while base_s * (2 ** k - 1) <= outage_s:
        k += 1
    return base_s * 2 ** (k - 1)


@ON_POSTGRESQL
def test_mails_wait_for_a_mail_relay_down_for_a_minute_and_arrive_once(chaos_platform):
    relay = chaos_platform["relay"]
    base = float(os.environ.get("NOTIFIER_RETRY_BASE_S", "30"))  # as the notifier reads it
    bound = backoff_bound(RELAY_DOWN_S, base)
    t_start = time.time()
    # Submits for the whole outage and a little before.
    crowd = Crowd(chaos_platform, uuid.uuid4().hex[:6], int((RELAY_DOWN_S + 4) * RELAY_RATE),
                  RELAY_RATE)
    crowd.people()
    watch = Watch(chaos_platform)
    t_ready = time.time()
    crowd.start()
    try:
        time.sleep(3)
        relay.stop()
        t_down = time.time()
        before = len(crowd.mailbox.read())
        time.sleep(max(0.0, t_down + RELAY_DOWN_S - time.time()))
        # The relay may take mail as soon as it listens, before start() has seen it listen.
        t_restart = time.time()
        relay.start()
        t_back = time.time()
        crowd.finish(SETTLE_TIMEOUT)
    finally:
        crowd.moderator.stop.set()
    # Everything is due within the bound after the relay's return; a margin for the senders'
    # 0.1 s period, the batch in progress and this test's 0.5 s polling.
    final = crowd.settle(max(1.0, t_back + bound + 20 - time.time()))
    t_settled = time.time()
    stored = sorted(t for *_, t in crowd.mailbox.read())
    during = [t for t in stored if t_down < t < t_restart]
    delayed = chaos_platform["db"].scalar(
        "notifier", "SELECT count(*) FROM emails WHERE attempts > 1 AND address LIKE :tagged",
        tagged=f"%.{crowd.tag}@%")
    longest = chaos_platform["db"].scalar(
        "notifier", "SELECT max(attempts) FROM emails WHERE address LIKE :tagged",
        tagged=f"%.{crowd.tag}@%")
    summary = {
        "database": "postgresql", **crowd.numbers(), "setup_s": round(t_ready - t_start, 1),
        "relay_down_at_s": round(t_down - t_ready, 1), "relay_down_s": round(t_back - t_down, 1),
        "mails_before_the_outage": before, "mails_delayed": delayed,
        "most_attempts_of_an_email": longest, "retry_base_s": base, "bound_after_return_s": bound,
        "last_mail_after_return_s": round(stored[-1] - t_back, 1) if stored else None,
        "settled_after_return_s": round(t_settled - t_back, 1),
        "load_s": round(crowd.t_load - t_ready, 1),
        "warnings_and_errors_logged": watch.complaints(),
    }
    _report(chaos_platform, "mail-relay-summary", summary)

    watch.assert_nobody_died()
    crowd.check_experiences()
    assert not during, f"{len(during)} e-mails stored while the relay was down"
    assert delayed > 0, "no e-mail waited for the relay: the outage hit nothing"
    # Every e-mail once. The relay is stopped with SIGTERM, as an operator stops one: a message
    # it had stored but not yet acknowledged (250) when it stopped is sent again, with the same
    # e-mail row and Message-ID (mailcatcher.FileHandler stores before answering, as a real
    # relay queues before answering). At most that one; none with SPP_CHAOS_STRICT_MAIL=1.
    crowd.check_mails(final, 0 if STRICT_MAIL else 1,
                      "a message the relay stored but never acknowledged as it stopped")
    assert stored[-1] - t_back <= bound + 20, \
        f"the last e-mail came {stored[-1] - t_back:.0f} s after the relay returned " \
        f"(back-off bound {bound:.0f} s)"
    crowd.check_nothing_left(final)


# Poisoned messages ----------------------------------------------------------------------------
POISON_EXPERIENCES = 24
POISON_RATE = 4.0


def _poisons() -> list[dict]:
    """Malformed events for three consumers: not JSON, not an object, a payload off its schema."""
    envelope = {"id": str(uuid.uuid4()), "type": "experience.published", "version": 1,
                "occurred_at": "2026-12-01T10:00:00+00:00", "producer": "chaos",
                "correlation_id": None, "payload": {"experience_id": "not-a-uuid"}}
    return [
        {"key": "experience.submitted", "consumer": "moderation", "body": b'{"id": "half an ev',
         "reason": "invalid: body is not JSON"},
        {"key": "moderation.approved", "consumer": "experiences", "body": b'["a", "list"]',
         "reason": "invalid: body is not a JSON object"},
        {"key": "experience.published", "consumer": "notifier",
         "body": json.dumps(envelope).encode(),
         "reason": "invalid: payload of experience.published v1"},
    ]


def _publish(amqp_url: str, exchange: str, poisons: list[dict]) -> None:
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        channel = conn.channel()
        channel.confirm_delivery()
        for poison in poisons:
            poison["message_id"] = f"poison-{uuid.uuid4()}"
            # mandatory: an unroutable message raises here rather than vanish.
            channel.basic_publish(exchange, poison["key"], poison["body"], pika.BasicProperties(
                content_type="application/json", delivery_mode=2,
                message_id=poison["message_id"]), mandatory=True)
    finally:
        conn.close()


def _dead_letters(amqp_url: str, queue: str, remove: set[str]) -> list[tuple]:
    """(message id, headers, body) of every letter in `queue`; those in `remove` are taken
    out (acknowledged), the others put back."""
    conn = pika.BlockingConnection(connection_parameters(amqp_url))
    letters = []
    try:
        channel = conn.channel()
        taken = []
        while True:
            method, props, body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                break
            taken.append(method.delivery_tag)
            letters.append((props.message_id, dict(props.headers or {}), body))
            if props.message_id in remove:
                channel.basic_ack(method.delivery_tag)
            else:
                channel.basic_nack(method.delivery_tag, requeue=True)
    finally:
        conn.close()
    return letters


@ON_POSTGRESQL
def test_poisoned_messages_land_in_the_dead_letter_queues_and_the_workers_go_on(chaos_platform):
    amqp_url, names = chaos_platform["amqp_url"], chaos_platform["names"]
    prefix = names["prefix"]
    crowd = Crowd(chaos_platform, uuid.uuid4().hex[:6], POISON_EXPERIENCES, POISON_RATE)
    crowd.people()
    watch = Watch(chaos_platform)
    poisons = _poisons()
    crowd.start()
    try:
        time.sleep(2)  # a third of the load before the poison, the rest after it
        _publish(amqp_url, names["exchange"], poisons)
        t_poison = time.time()
        crowd.finish(SETTLE_TIMEOUT)
    finally:
        crowd.moderator.stop.set()
    dead = {f"{prefix}.{p['consumer']}.dlq": 1 for p in poisons}
    final = crowd.settle(SETTLE_TIMEOUT, dead=dead)
    letters = {p["consumer"]: _dead_letters(amqp_url, f"{prefix}.{p['consumer']}.dlq",
                                            {p["message_id"]}) for p in poisons}
    after = sum(1 for *_, stored in crowd.mailbox.read() if stored > t_poison)
    summary = {
        "database": "postgresql", **crowd.numbers(), "mails_after_the_poison": after,
        "dead_letters": {service: [(m, h.get(REASON_HEADER), h.get(ROUTING_KEY_HEADER))
                                   for m, h, _ in found] for service, found in letters.items()},
        "warnings_and_errors_logged": watch.complaints(),
    }
    _report(chaos_platform, "poison-summary", summary)

    # Each poisoned message is in its consumer's dead-letter queue, as it was sent, with why.
    for poison in poisons:
        found = letters[poison["consumer"]]
        assert [m for m, _, _ in found] == [poison["message_id"]], \
            f"{poison['consumer']}'s dead letters: {found}"
        _, headers, body = found[0]
        assert body == poison["body"]
        assert str(headers.get(REASON_HEADER, "")).startswith(poison["reason"]), headers
        assert headers.get(ROUTING_KEY_HEADER) == poison["key"], headers
    # The workers went on: none died, and the good events after the poison were all handled.
    watch.assert_nobody_died()
    assert after > 0, "no e-mail after the poison"
    crowd.check_experiences()
    crowd.check_mails(final, 0, "no fault on the notifier")
    crowd.check_nothing_left(final)  # the poison taken out, nothing else in any queue
