"""A three-node RabbitMQ cluster under faults (issue #22).

The platform runs against a cluster of three nodes of its own (spp-a, spp-b, spp-c @localhost);
under a steady load one node is killed (kill -9 of its VM, a crash) and started again, then
another is restarted cleanly (rabbitmqctl shutdown, start), as in a rolling upgrade; one node at
most is away at any time, so quorum queues keep their majority. Afterwards no event is lost (every
published experience reached its agents' mailboxes, every author got the decision), no e-mail
went out twice, and no queue, dead-letter queue or outbox holds anything.

The short tests before it check what the clients take: a node list in AMQP_URL, for kombu (the
consumers), the relay (pika) and the readiness probe; every queue of the platform, retry queues
included, a quorum queue replicated on the three nodes. The last one crashes the node of a retry
queue's leader while a consumer on another node sends a failed event there: the event is handled
all the same (docs/cluster.md). Run with `make cluster`.
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import threading
import time
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa
from kombu import Connection

from services.chassis.amqp import Message, PipelinedPublisher, PublishError
from services.chassis.catalogue import TEST_EVENT
from services.chassis.consumer import EventConsumer, Topology, broker_reachable, open_connection
from services.chassis.db import Database, add_messaging_tables
from services.chassis.events import make_event
from tests.support.cluster import (
    ADMIN,
    BACKENDS,
    PASSWORD,
    SUMMARY,
    Mailbox,
    Moderator,
    Submission,
    Usagers,
    all_experiences,
    login,
    mail_key,
    post,
    sqlite_scalar,
    unsent,
    wait_until,
)

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(900)]

EXPERIENCES = int(os.environ.get("SPP_CLUSTER_EXPERIENCES", "160"))  # at least; more if faults last
LOAD_AFTER_FAULTS_S = 5
RATE = float(os.environ.get("SPP_CLUSTER_RATE", "4"))  # submits per second
NODE_DOWN_S = float(os.environ.get("SPP_CLUSTER_NODE_DOWN_S", "12"))  # the crashed node's absence
REJECT_EVERY = 5
SETTLE_TIMEOUT = 180


def _queues(cluster, node=None) -> dict[str, dict]:
    """Every queue, from one running node: type, members, online members, leader, counts."""
    node = node or next(n for n in cluster.nodes if n.running)
    out = cluster.ctl(node, "list_queues", "name", "type", "members", "online", "leader",
                      "messages_ready", "messages_unacknowledged", "--formatter", "json")
    return {q["name"]: q for q in json.loads(out)}


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again: nothing listens there


def _node_list(cluster) -> str:
    """AMQP_URL listing a node that does not answer, then the three."""
    dead = f"amqp://guest:guest@127.0.0.1:{_dead_port()}//"
    return ";".join([dead] + [node.url for node in cluster.nodes])


# What the clients take -----------------------------------------------------------------------
def test_cluster_has_three_nodes_and_replicated_main_queues(cluster, platform):
    for node in cluster.nodes:
        assert cluster.running_nodes(node) == {n.name for n in cluster.nodes}, node.name
    queues = _queues(cluster)
    names = {n.name for n in cluster.nodes}
    for service in BACKENDS:
        for name in (f"spp.{service}", f"spp.{service}.dlq"):
            if name not in queues:
                continue  # a service without handlers declares no queue
            assert queues[name]["type"] == "quorum", queues[name]
            assert set(queues[name]["members"]) == names, queues[name]
    assert {"spp.experiences", "spp.moderation", "spp.notifier"} <= set(queues)


def test_consumers_fail_over_along_a_node_list(cluster):
    """kombu takes `url1;url2;url3` and tries the next node when one does not answer."""
    with open_connection(_node_list(cluster), timeout=2) as conn:
        conn.ensure_connection(max_retries=5, interval_start=0, interval_step=0.2)
        assert conn.connected
        assert conn.port in {node.amqp_port for node in cluster.nodes}


def test_relay_publishes_along_a_node_list(cluster):
    """The relay's publisher skips the node that does not answer and connects to spp-a."""
    queue = f"spp.cluster.probe.{uuid.uuid4().hex[:8]}"
    with Connection(cluster.nodes[1].url) as conn:
        conn.default_channel.queue_declare(queue, durable=True, auto_delete=False,
                                           arguments={"x-queue-type": "quorum"})
    try:
        publisher = PipelinedPublisher(_node_list(cluster), connect_timeout=5)
        try:
            assert publisher.node == 1  # the first cluster node, after the dead one
            returned = publisher.publish_batch([Message(routing_key=queue, body=b"{}",
                                                        message_id=uuid.uuid4().hex)])
        finally:
            publisher.close()
        assert returned == set()
    except PublishError as exc:
        pytest.fail(f"relay with a node list: {exc}")
    finally:
        with Connection(cluster.nodes[1].url) as conn:
            conn.default_channel.queue_delete(queue)


def test_readiness_accepts_any_listed_node(cluster):
    """/readyz and make up's start check: true while any listed node answers."""
    assert broker_reachable(_node_list(cluster))
    assert not broker_reachable(_node_list(cluster).split(";")[0])


def test_every_platform_queue_is_replicated(cluster, platform):
    """Main, dead-letter and retry queues: quorum queues with a member on each node."""
    queues = _queues(cluster)
    ours = {name: q["type"] for name, q in queues.items() if name.startswith("spp.")}
    assert ours and all(kind == "quorum" for kind in ours.values()), ours
    assert any(".retry." in name for name in ours), sorted(ours)
    names = {n.name for n in cluster.nodes}
    thin = {name: q["members"] for name, q in queues.items()
            if name.startswith("spp.") and set(q["members"]) != names}
    assert not thin, thin


def _log_count(var, service: str, text: str) -> int:
    path = var / "log" / f"{service}-worker.log"
    return path.read_text(errors="replace").count(text) if path.exists() else 0


# The platform under node faults ---------------------------------------------------------------
def _people(var, tag: str):
    admin = login(*ADMIN)
    network = post("identity", "/networks", admin, code=f"GRAPPE{tag}", name=f"Réseau grappe {tag}",
                   requires_validation=False)
    structures, agents = [], {}
    for s in range(2):
        structure = post("identity", "/structures", admin, network_id=network["id"],
                         name=f"Agence grappe {s} {tag}", postal_code="75011", city="Paris")
        structures.append(structure["id"])
        for a in range(2):
            address = f"agent{s}{a}.{tag}@grappe.example.fr"
            post("identity", "/users", admin, email=address, name=f"Agent {s}{a}", profile="agent",
                 missions=["answer"], network_id=network["id"], structure_ids=[structure["id"]],
                 password=PASSWORD)
            agents[address] = s
    moderator = f"moderateur.{tag}@grappe.example.fr"
    post("identity", "/users", admin, email=moderator, name="Modérateur grappe",
         profile="moderator", missions=[], network_id=None, structure_ids=[], password=PASSWORD)
    marks = ",".join("?" * len(structures))
    assert wait_until(lambda: sqlite_scalar(
        var / "moderation.db", f"SELECT count(*) FROM structures WHERE id IN ({marks})",
        *structures) == 2 and sqlite_scalar(
        var / "experiences.db", f"SELECT count(*) FROM structures WHERE id IN ({marks})",
        *structures) == 2 and sqlite_scalar(
        var / "notifier.db", f"SELECT count(*) FROM recipient_structures WHERE structure_id IN "
        f"({marks})", *structures) == 4, 60), "the replicas never learnt the structures and agents"
    return admin, login(moderator, PASSWORD), structures, agents


def _faults(cluster, proxy, log: list) -> None:
    """Crash the first node (where every client and queue leader is), bring it back; then restart
    the second cleanly, once it is no longer critical to any quorum queue (the first has caught
    up). One node away at a time."""
    a, b = cluster.nodes[0], cluster.nodes[1]
    t0 = time.time()
    log.append({"step": f"kill -9 {a.short}", "clients_per_node": proxy and proxy.snapshot()})
    cluster.kill(a)
    time.sleep(NODE_DOWN_S)
    log.append({"step": f"start {a.short}", "clients_per_node": proxy and proxy.snapshot()})
    cluster.start(a)
    cluster.await_up(a)
    log.append({"step": f"{a.short} serves again", "away_s": round(time.time() - t0, 1)})
    assert wait_until(lambda: not cluster.quorum_critical(b), 60, 0.5), \
        f"{b.name} stayed critical to a quorum queue: {a.name} never caught up"
    t1 = time.time()
    log.append({"step": f"stop {b.short} (rabbitmqctl shutdown)",
                "clients_per_node": proxy and proxy.snapshot()})
    cluster.stop(b)
    time.sleep(3)
    cluster.start(b)
    cluster.await_up(b)
    log.append({"step": f"{b.short} serves again", "away_s": round(time.time() - t1, 1),
                "clients_per_node": proxy and proxy.snapshot()})


def test_no_event_lost_nor_mailed_twice_when_nodes_fail(cluster, platform, request):
    t_start = time.time()
    var, proxy = platform["var"], platform["proxy"]
    if proxy is None:  # AMQP_URL lists the nodes: only worth running once the relay takes it
        try:
            PipelinedPublisher(platform["amqp_url"], connect_timeout=5).close()
        except PublishError as exc:
            pytest.fail(f"SPP_CLUSTER_CLIENTS=list: the relay cannot use AMQP_URL "
                        f"{platform['amqp_url']!r} ({exc}); see docs/cluster.md")
    tag = uuid.uuid4().hex[:6]
    admin, moderator_headers, structures, agents = _people(var, tag)
    leaders_before = {name: q["leader"] for name, q in _queues(cluster).items()
                      if q["type"] == "quorum"}
    t_ready = time.time()

    def submission(i: int) -> Submission:
        return Submission(i=i, token=f"gr{tag}n{i:04d}", structure=i % 2,
                          reject=i % REJECT_EVERY == 0, author=f"usager{i}.{tag}@grappe.example.org")

    usagers = Usagers(submission, EXPERIENCES, admin, RATE)
    moderator = Moderator(moderator_headers, structures, usagers)
    threads = [threading.Thread(target=usagers.run, daemon=True),
               threading.Thread(target=moderator.run, daemon=True)]
    for thread in threads:
        thread.start()

    faults: list = []
    try:
        time.sleep(5)
        _faults(cluster, proxy, faults)
        t_faults = time.time()
        time.sleep(LOAD_AFTER_FAULTS_S)  # the load goes on a little after the last fault
        usagers.enough.set()
        assert usagers.done.wait(300), "the load never finished"
        t_load = time.time()
        subs = usagers.subs
        assert not usagers.failures, usagers.failures[:10]
        assert all(s.exp_id for s in subs)
        assert wait_until(lambda: len(moderator.decided) == len(subs), SETTLE_TIMEOUT), \
            f"{len(subs) - len(moderator.decided)} cases never decided; errors {moderator.errors[:5]}"
    finally:
        usagers.enough.set()  # also when a fault step failed: the load ends
        moderator.stop.set()
    assert not moderator.errors, moderator.errors[:10]

    expected = Counter()
    for sub in subs:
        expected[(sub.author, "experience_rejected_author" if sub.reject else
                  "experience_published_author")] += 1
        if not sub.reject:
            for address, s in agents.items():
                if s == sub.structure:
                    expected[(address, "experience_to_process", sub.exp_id)] += 1
    mailbox = Mailbox(platform["mail"])

    def held() -> dict:
        return {name: (q["messages_ready"], q["messages_unacknowledged"])
                for name, q in _queues(cluster).items()
                if q["messages_ready"] or q["messages_unacknowledged"]}

    def settled():
        got = Counter(mail_key(m) for m in mailbox.read())
        left, queued = unsent(var), held()
        return set(got) >= set(expected) and not any(left.values()) and not queued

    final = wait_until(settled, SETTLE_TIMEOUT, 0.5)
    t_settled = time.time()
    mails = mailbox.read()
    got = Counter(mail_key(m) for m in mails)
    rows = Counter(m.row for m in mails)
    left, queued, queues = unsent(var), held(), _queues(cluster)
    experiences = all_experiences(admin)
    up_log = (var / "up.log").read_text()

    # How long the agents waited: the usager's submit → the agent's e-mail (screening, the
    # moderator's decision and every hop between the services).
    submitted_at = {s.exp_id: s.submitted_at for s in subs}
    lags = sorted(m.caught_at - submitted_at[m.experience] for m in mails
                  if m.kind == "experience_to_process" and m.experience in submitted_at)
    catches = sorted(m.caught_at for m in mails)
    gaps = [b - a for a, b in zip(catches, catches[1:], strict=False) if t_ready < a < t_faults]
    summary = {
        "clients": "proxy" if proxy else "node list", "experiences": len(subs), "rate_per_s": RATE,
        **cluster.timings, "platform_started_s": platform["started_s"],
        "setup_s": round(t_ready - t_start, 1), "faults": faults,
        "faults_end_s": round(t_faults - t_ready, 1), "load_s": round(t_load - t_ready, 1),
        "settled_after_load_s": round(t_settled - t_load, 1),
        "submit_attempts": sum(s.attempts for s in subs),
        "mails_expected": sum(expected.values()), "mails_caught": len(mails),
        "submit_to_agent_mail_s": lags and {"p50": round(statistics.median(lags), 2),
                                      "max": round(lags[-1], 1)},
        "longest_mail_silence_during_faults_s": round(max(gaps, default=0), 1),
        "proxy_connections_per_node": proxy and dict(proxy.total),
        "quorum_leaders_before": Counter(leaders_before.values()),
        "quorum_leaders_after": Counter(q["leader"] for q in queues.values()
                                        if q["type"] == "quorum"),
        "worker_restarts": [line for line in up_log.splitlines() if "restarting" in line],
        # a consumer that reconnected while its retry queues' node was away (classic retry
        # queues, before they were quorum queues: none expected now)
        "consumer_declares_refused_home_node_down": {
            s: n for s in BACKENDS if (n := _log_count(var, s, "home node"))},
        "cluster_events_s": [f"{t - t_ready:.1f} {what}" for t, what in cluster.events
                             if t >= t_ready],
    }
    request.config.stash[SUMMARY] = summary

    # The cluster is whole again, every quorum queue on its three members.
    names = {n.name for n in cluster.nodes}
    for node in cluster.nodes:
        assert cluster.running_nodes(node) == names
    for q in queues.values():
        if q["type"] == "quorum":
            assert set(q["online"]) == names, q

    # Every experience exists once, in the state its moderator chose.
    by_token = Counter(re.search(r"gr\w+n\d{4}", e["title"]).group(0) for e in experiences
                       if f"gr{tag}n" in e["title"])
    assert not {t: c for t, c in by_token.items() if c > 1}, "experiences created twice"
    assert not moderator.unknown, f"cases of unknown experiences: {sorted(moderator.unknown)[:5]}"
    assert set(by_token) == {s.token for s in subs}
    status = {e["id"]: e["status"] for e in experiences}
    wrong = {s.token: status.get(s.exp_id) for s in subs
             if status.get(s.exp_id) != ("rejected" if s.reject else "to_process")}
    assert not wrong, f"{len(wrong)} experiences in the wrong state: {dict(list(wrong.items())[:10])}"

    # No event lost, no e-mail twice: exactly one e-mail per (recipient, event), each row once.
    missing = set(expected) - set(got)
    assert final, f"never settled: missing mails {sorted(missing)[:5]}, queues {queued}, " \
                  f"unsent {left}"
    assert not missing, f"{len(missing)} e-mails never sent: {sorted(missing)[:5]}"
    twice = {k: n for k, n in got.items() if n > 1}
    assert not twice, f"{len(twice)} e-mails sent more than once: {sorted(twice.items())[:5]}"
    resent = {row: n for row, n in rows.items() if n > 1}
    assert not resent, f"e-mail rows sent more than once: {sorted(resent.items())[:5]}"
    stray = {k: n for k, n in got.items() if k not in expected}
    assert not stray, f"unexpected e-mails: {sorted(stray.items())[:5]}"

    # Nothing left behind: every queue (main, retry, dead-letter) empty, outboxes drained.
    assert not queued, f"messages held in queues (ready, unacked): {queued}"
    dlqs = {name for name in queues if name.endswith(".dlq")}
    assert {"spp.experiences.dlq", "spp.moderation.dlq", "spp.notifier.dlq"} <= dlqs
    assert not any(left.values()), f"outbox or e-mails not drained: {left}"
    # Every queue replicated: no consumer ever found its retry queue's node away.
    assert not summary["consumer_declares_refused_home_node_down"], summary


def _publish(url: str, exchange: str, event) -> bool:
    try:
        with PipelinedPublisher(url) as publisher:
            publisher.publish_batch([Message(exchange=exchange, routing_key=event.type,
                                             body=event.to_json(), message_id=event.id)])
        return True
    except PublishError:
        return False


# A failed event while its retry queue's node is away ------------------------------------------
class EventLost(Exception):
    pass


def test_a_failing_event_survives_the_loss_of_its_retry_queue_node(cluster, request):
    """A consumer on spp-b (it had failed over there, or a balancer sent it there) whose handler
    fails once while spp-a, where its retry queue's leader is (declared through spp-a), is down.
    Once a classic queue on spp-a, the retry queue dropped the copy the broker had confirmed, and
    the original was acknowledged: the event was lost. Now a quorum queue, it takes the copy on
    spp-b and spp-c (or, during its election, refuses it: the original is delivered again).
    Runs last: it crashes spp-a (and starts it again)."""
    a, b = cluster.nodes[0], cluster.nodes[1]
    suffix = uuid.uuid4().hex[:8]
    topology = Topology.build(f"spp.probe.{suffix}", f"sppprobe{suffix}.chassis", [TEST_EVENT],
                              (500,))
    with open_connection(a.url) as conn:  # as the platform's first declaration does
        topology.declare(conn.default_channel)
    metadata = sa.MetaData()
    add_messaging_tables(metadata)
    db = Database(f"sqlite:///{cluster.base / f'probe-{suffix}.db'}")
    metadata.create_all(db.engine)
    attempts: Counter = Counter()

    def handler(_session, event, _payload):
        attempts[event.id] += 1
        if attempts[event.id] == 1:
            raise RuntimeError("fails once")

    consumer = EventConsumer(open_connection(b.url), db, {TEST_EVENT: handler}, topology,
                             max_attempts=3, retry_delays_ms=(500,))
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    event = make_event(TEST_EVENT, {"n": 1}, producer="cluster-test")
    try:
        assert wait_until(lambda: getattr(consumer, "_producer", None), 15), "consumer never started"
        t_kill = time.time()
        cluster.kill(a)
        # As the relay does: again until confirmed (nacked while the queue elects a new leader).
        assert wait_until(lambda: _publish(b.url, topology.exchange.name, event), 20, 0.5), \
            "the event was never confirmed"
        t_published = time.time()
        assert wait_until(lambda: attempts[event.id] >= 1, 15), "the event never reached the handler"
        handled_while_down = wait_until(lambda: consumer.handled, 20, 0.1)
        t_handled = time.time()
        cluster.start(a)
        cluster.await_up(a)
        if not (handled_while_down or wait_until(lambda: consumer.handled, 5)):
            raise EventLost(f"event {event.id} lost: it failed once ({attempts[event.id]} attempt), "
                            "its retry copy went to a queue whose node was down (confirmed by the "
                            "broker, dropped), and the original was acknowledged")
        summary = request.config.stash.get(SUMMARY, None)
        if summary is None:
            summary = request.config.stash[SUMMARY] = {}
        summary["retry_probe"] = {
            "published_after_kill_s": round(t_published - t_kill, 1),
            "handled_after_publish_s": round(t_handled - t_published, 1),
            "handler_calls": attempts[event.id], "copies_refused": consumer.refused_copies,
            "handled_while_node_down": bool(handled_while_down)}
        assert handled_while_down, f"handled only once {a.name} was back: {summary['retry_probe']}"
    finally:
        consumer.should_stop = True
        thread.join(timeout=10)
        consumer.connection.release()
        db.dispose()
        if not a.running:
            cluster.start(a)
            cluster.await_up(a)
