"""A three-node RabbitMQ cluster on this machine, and the platform pointed at it (issue #22).

The cluster is the test's own (tests/support/cluster_nodes.py): its own node names, ports, folders and
cookie; the machine's RabbitMQ on 5672 is never used, so the broker lock is not taken. Runs of
this test wait for one another on /tmp/spp-cluster.lock (same node names and ports).

These tests run when named (`make cluster`, `pytest tests/cluster`, or SPP_CLUSTER=1): a whole
`pytest tests` skips them, they start three Erlang VMs and take about two minutes.

How the services reach the cluster (SPP_CLUSTER_CLIENTS):
- `proxy` (default): AMQP_URL is one address, a TCP front that sends each connection to the
  first live node (tests/support/cluster_proxy.py), as a load balancer does for operators;
- `list`: AMQP_URL lists the three nodes, `amqp://…:5681//;amqp://…:5682//;amqp://…:5683//`.
  the consumers (kombu), the relay (pika) and the readiness check each take the first node that
  answers (docs/cluster.md).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests.support.cluster import ADMIN, PORT_BASE, SERVICES, SUMMARY, url, wait_until
from tests.support.cluster_nodes import MARKER, Cluster, kill_stale_nodes, rabbitmq_sbin
from tests.support.cluster_proxy import FailoverProxy

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CLUSTER_LOCK = Path("/tmp/spp-cluster.lock")
CLIENTS = os.environ.get("SPP_CLUSTER_CLIENTS", "proxy")
KEEP = os.environ.get("SPP_CLUSTER_KEEP") == "1"  # keep the folder (logs, mails) for a look
KEPT = "KEPT"  # in a folder kept on purpose: later runs leave it alone


def pytest_configure(config):
    config.addinivalue_line("markers", "cluster: a three-node RabbitMQ cluster on this machine")


def _named(config) -> bool:
    """True when the run was asked for these tests: a path inside tests/cluster on the command line."""
    if os.environ.get("SPP_CLUSTER") == "1":
        return True
    for arg in config.invocation_params.args:
        if arg.startswith("-"):
            continue
        path = Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_terminal_summary(terminalreporter, config):
    summary = config.stash.get(SUMMARY, None)
    if summary:
        terminalreporter.write_sep("-", "cluster test summary")
        for key, value in summary.items():
            terminalreporter.write_line(f"{key}: {json.dumps(value, ensure_ascii=False, default=str)}")


def pytest_collection_modifyitems(config, items):
    if _named(config):
        return
    skip = pytest.mark.skip(reason="the cluster test runs on its own: `make cluster` "
                                   "(pytest tests/cluster), or SPP_CLUSTER=1")
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def cluster(request):
    sbin = rabbitmq_sbin()
    if sbin is None:
        pytest.skip("rabbitmq-server is not installed (Debian: apt-get install rabbitmq-server); "
                    "set RABBITMQ_SBIN to the folder of rabbitmq-server and rabbitmqctl")
    with open(CLUSTER_LOCK, "a+") as lock:
        t0 = time.time()
        fcntl.flock(lock, fcntl.LOCK_EX)
        waited = time.time() - t0
        stale = kill_stale_nodes()  # left by a run killed before its teardown
        if stale:
            time.sleep(1)
        for folder in Path(tempfile.gettempdir()).glob("spp-cluster-*"):
            if folder.is_dir() and not (folder / KEPT).exists():
                shutil.rmtree(folder, ignore_errors=True)  # a killed run's (we hold the lock)
        base = Path(tempfile.mkdtemp(prefix="spp-cluster-"))
        nodes = Cluster(base, sbin,
                        amqp_port=int(os.environ.get("SPP_CLUSTER_AMQP_PORT", "5681")),
                        dist_port=int(os.environ.get("SPP_CLUSTER_DIST_PORT", "25681")),
                        ctl_port=int(os.environ.get("SPP_CLUSTER_CTL_PORT", "35700")))
        failed_before = request.session.testsfailed
        try:
            problems = nodes.check_free()
            if problems:
                pytest.fail("cannot start the cluster: " + "; ".join(problems) + " (move it with "
                            "SPP_CLUSTER_AMQP_PORT / SPP_CLUSTER_DIST_PORT)")
            nodes.prepare()
            t1 = time.time()
            nodes.form()
            nodes.timings = {"lock_waited_s": round(waited, 1), "stale_nodes_killed": stale,
                             "cluster_formed_s": round(time.time() - t1, 1)}
            yield nodes
        finally:
            if request.session.testsfailed > failed_before:
                print("\n" + nodes.log_tails(15), file=sys.stderr)
            if KEEP:
                for node in nodes.nodes:
                    if node.running:
                        os.killpg(node.proc.pid, signal.SIGKILL)
                (base / KEPT).write_text("SPP_CLUSTER_KEEP=1: remove this folder by hand\n")
                print(f"\ncluster folder kept: {base}", file=sys.stderr)
            else:
                nodes.destroy()
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def platform(cluster, request):
    """The platform as `make up` runs it (SQLite, local mail catcher, supervisor), on its own
    ports and var dir inside the cluster's folder, its AMQP_URL pointed at the cluster."""
    proxy = None
    if CLIENTS == "proxy":
        proxy = FailoverProxy({node.short: node.amqp_port for node in cluster.nodes})
        amqp_url = proxy.url()
    elif CLIENTS == "list":
        amqp_url = ";".join(node.url for node in cluster.nodes)
    else:
        pytest.fail(f"SPP_CLUSTER_CLIENTS={CLIENTS!r}: proxy or list")
    var = cluster.base / "platform"
    var.mkdir()
    env = dict(os.environ, SPP_PORT_BASE=str(PORT_BASE), SPP_VAR_DIR=str(var), AMQP_URL=amqp_url,
               SPP_WEB_WORKERS="2", SPP_ADMIN_EMAIL=ADMIN[0], SPP_ADMIN_PASSWORD=ADMIN[1],
               SPP_EXCHANGE="spp.events", SPP_QUEUE_PREFIX="spp",
               SPP_PUBLIC_RATE_LIMIT="100000/minute", GATEWAY_URL=url("gateway"))
    env[MARKER] = "platform"  # a later run stops what a killed one left (cluster_nodes.kill_stale_nodes)
    for key in list(env):
        # SQLite per service and the local mail catcher, as a bare `make up` runs them.
        if key.endswith("_DATABASE_URL") or key == "SMTP_URL" or key.endswith("_URL") and \
                key.split("_")[0].lower() in SERVICES:
            env.pop(key)
    failed_before = request.session.testsfailed
    t0 = time.time()
    log = open(var / "up.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "services.chassis.up"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for service in SERVICES:
            ok = wait_until(lambda s=service: requests.get(url(s, "/readyz"), timeout=10).ok, 120)
            assert ok, f"{service} never became ready: {(var / 'up.log').read_text()[-2000:]}"
        yield {"proc": proc, "var": var, "mail": var / "mail", "amqp_url": amqp_url,
               "proxy": proxy, "started_s": round(time.time() - t0, 1)}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
        _kill_leftovers(var)
        if proxy is not None:
            proxy.close()
        if request.session.testsfailed > failed_before:
            for name in ["up"] + [f"log/{s}-worker" for s in SERVICES[1:]]:
                path = var / f"{name}.log"
                if path.exists():
                    tail = path.read_text(errors="replace").splitlines()[-8:]
                    print(f"--- {path}\n" + "\n".join(line[:300] for line in tail),
                          file=sys.stderr)


def _kill_leftovers(var: Path) -> None:
    """Any process of this platform still alive (up.py killed before it stopped its children):
    they all carry SPP_VAR_DIR=<this run's folder> in their environment."""
    mark = f"SPP_VAR_DIR={var}".encode()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark in environ.read_bytes().split(b"\0"):
                os.kill(int(environ.parent.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue
