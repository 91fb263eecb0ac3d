"""Three RabbitMQ nodes on this machine, joined into one cluster, for the cluster fault test.

Each node has its own name (`spp-a@localhost` …), AMQP port, Erlang distribution port and data
folder (mnesia, logs, config, enabled plugins: none, so no management listener), all under one
temporary folder; they share epmd (the machine's, on 127.0.0.1:4369) and one Erlang cookie, kept
in `<base>/home/.erlang.cookie` (HOME of the nodes and of our rabbitmqctl calls, never on a
command line). The system broker (rabbit@localhost on 5672, its cookie, /etc/rabbitmq) is never
read nor touched: the Debian wrappers in /usr/sbin are bypassed (they switch to the rabbitmq user
and its HOME, hence its cookie), and every file the scripts would take from /etc/rabbitmq is given.

Every node process runs in its own session and carries `SPP_CLUSTER_NODE` in its environment (the
platform's processes too), so a run killed before its teardown leaves processes that the next run
finds in /proc and stops.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pika

from tests.support.net import listening

MARKER = "SPP_CLUSTER_NODE"
SBIN_CANDIDATES = ("/usr/lib/rabbitmq/bin",)  # Debian/Ubuntu: the scripts behind /usr/sbin
BOOT_TIMEOUT = 90


def rabbitmq_sbin() -> Path | None:
    """The folder of rabbitmq-server and rabbitmqctl, without the Debian `su rabbitmq` wrapper."""
    configured = os.environ.get("RABBITMQ_SBIN")
    for folder in ([configured] if configured else []) + list(SBIN_CANDIDATES):
        if (Path(folder) / "rabbitmq-server").exists() and (Path(folder) / "rabbitmqctl").exists():
            return Path(folder)
    server = shutil.which("rabbitmq-server")
    if server and shutil.which("rabbitmqctl"):
        real = Path(server).resolve().parent
        if (real / "rabbitmqctl").exists() and "su rabbitmq" not in Path(server).read_text(
                errors="replace"):
            return real
    return None


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def port_answers(port: int, timeout: float = 0.5) -> bool:
    return listening(port, timeout)


def amqp_login(port: int) -> bool:
    """A guest login on the node's AMQP port succeeds."""
    params = pika.ConnectionParameters("127.0.0.1", port, "/", pika.PlainCredentials("guest", "guest"),
                                       connection_attempts=1, socket_timeout=2, blocked_connection_timeout=2)
    params.stack_timeout = 3
    try:
        pika.BlockingConnection(params).close()
        return True
    except pika.exceptions.AMQPError:
        return False


@dataclass
class Node:
    short: str  # spp-a
    amqp_port: int
    dist_port: int
    base: Path
    proc: subprocess.Popen | None = None
    started: int = 0

    @property
    def name(self) -> str:
        return f"{self.short}@localhost"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}//"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Cluster:
    """Start, join, stop, kill and restart the nodes; `ctl` runs rabbitmqctl against one."""

    def __init__(self, base: Path, sbin: Path, shorts=("spp-a", "spp-b", "spp-c"),
                 amqp_port: int = 5681, dist_port: int = 25681, ctl_port: int = 35700):
        self.base, self.sbin = base, sbin
        self.home = base / "home"
        self.nodes = [Node(s, amqp_port + i, dist_port + i, base / s) for i, s in enumerate(shorts)]
        self.ctl_ports = (ctl_port, ctl_port + 20)
        self.events: list[tuple[float, str]] = []  # (time, what happened), for the report

    # Set-up ---------------------------------------------------------------------------------
    def prepare(self) -> None:
        self.home.mkdir(parents=True, mode=0o700)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20).upper())
        cookie.chmod(0o400)
        for node in self.nodes:
            for sub in ("mnesia", "log"):
                (node.base / sub).mkdir(parents=True)
            (node.base / "rabbitmq.conf").write_text(
                f"listeners.tcp.1 = 127.0.0.1:{node.amqp_port}\n"
                # a node cut from the majority stops serving rather than diverging
                "cluster_partition_handling = pause_minority\n"
                "log.console = false\n"
                "log.file.level = info\n")
            (node.base / "enabled_plugins").write_text("[].\n")  # no management listener
            (node.base / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's
            (node.base / "advanced.config").write_text("[].\n")

    def _env(self, node: Node | None = None) -> dict:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("RABBITMQ_", "ERL_")) and k not in ("HOME", "CONF_ENV_FILE")}
        env.update(HOME=str(self.home), ERL_EPMD_ADDRESS="127.0.0.1", LC_ALL="C.UTF-8",
                   RABBITMQ_CTL_DIST_PORT_MIN=str(self.ctl_ports[0]),
                   RABBITMQ_CTL_DIST_PORT_MAX=str(self.ctl_ports[1]))
        if node is None:
            env["RABBITMQ_CONF_ENV_FILE"] = str(self.nodes[0].base / "rabbitmq-env.conf")
            return env
        env.update({
            MARKER: node.name,
            "RABBITMQ_NODENAME": node.name,
            "RABBITMQ_DIST_PORT": str(node.dist_port),
            "RABBITMQ_CONF_ENV_FILE": str(node.base / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(node.base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(node.base / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(node.base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(node.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(node.base / "log"),
            "RABBITMQ_PID_FILE": str(node.base / "node.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        })
        return env

    def check_free(self) -> list[str]:
        """What stands in the way: a port taken or a node name known to epmd."""
        problems = [f"port {p} is taken" for n in self.nodes for p in (n.amqp_port, n.dist_port)
                    if not port_free(p)]
        try:
            names = subprocess.run(["epmd", "-names"], capture_output=True, text=True,
                                   timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            names = ""
        problems += [f"epmd already knows {n.short}" for n in self.nodes
                     if f"name {n.short} at" in names]
        return problems

    # Nodes ----------------------------------------------------------------------------------
    def start(self, node: Node) -> None:
        log = open(node.base / f"console.{node.started}.log", "ab")
        node.proc = subprocess.Popen([str(self.sbin / "rabbitmq-server")], cwd=node.base,
                                     env=self._env(node), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        node.started += 1
        self.note(f"start {node.short}")

    def await_up(self, node: Node, timeout: float = BOOT_TIMEOUT) -> None:
        """Until the node logs a client in over AMQP: its listener starts last in the boot, once
        the node has synced with its cluster. (No rabbitmqctl here: each call boots an Erlang VM,
        1.5 to 7 s on a busy 2-CPU machine.)"""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not node.running:
                raise RuntimeError(f"{node.name} exited ({node.proc.returncode if node.proc else '-'})"
                                   f"; see {node.base / 'log'}")
            if port_answers(node.amqp_port) and amqp_login(node.amqp_port):
                self.note(f"{node.short} up")
                return
            time.sleep(0.2)
        raise RuntimeError(f"{node.name} not up after {timeout} s; see {node.base / 'log'}")

    def ctl(self, node: Node, *args: str, timeout: float = 120, check: bool = True) -> str:
        return self._cli("rabbitmqctl", node, *args, timeout=timeout, check=check)

    def quorum_critical(self, node: Node) -> bool:
        """Would stopping this node leave a quorum queue without its majority? (What an operator
        asks before a restart: `rabbitmq-queues check_if_node_is_quorum_critical`.)"""
        try:
            self._cli("rabbitmq-queues", node, "check_if_node_is_quorum_critical", timeout=60)
            return False
        except RuntimeError:
            return True

    def _cli(self, tool: str, node: Node, *args: str, timeout: float, check: bool = True) -> str:
        done = subprocess.run([str(self.sbin / tool), "-q", "-n", node.name, *args],
                              env=self._env(), capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"{tool} -n {node.name} {' '.join(args)}: "
                               f"{done.returncode} {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def form(self) -> None:
        """Start the three nodes at once, then join the others to the first."""
        for node in self.nodes:
            self.start(node)
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(self.await_up, self.nodes))
        first = self.nodes[0]
        for node in self.nodes[1:]:
            self.ctl(node, "stop_app")
            self.ctl(node, "join_cluster", first.name)
            self.ctl(node, "start_app")
        self.note("cluster formed")

    def running_nodes(self, node: Node) -> set[str]:
        """Nodes the given one sees running in its cluster (rabbitmqctl cluster_status)."""
        import json

        status = json.loads(self.ctl(node, "cluster_status", "--formatter", "json"))
        return set(status.get("running_nodes", []))

    def kill(self, node: Node) -> None:
        """A crash: SIGKILL to the node's whole process group (beam and its port programs)."""
        if node.proc is not None:
            try:
                os.killpg(node.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            node.proc.wait(timeout=30)
        self.note(f"kill -9 {node.short}")

    def stop(self, node: Node) -> None:
        """A clean stop (`rabbitmqctl shutdown`: the node leaves, its process exits)."""
        self.ctl(node, "shutdown", timeout=120)
        if node.proc is not None:
            node.proc.wait(timeout=60)
        self.note(f"stop {node.short}")

    def note(self, what: str) -> None:
        self.events.append((time.time(), what))

    # Tear-down ------------------------------------------------------------------------------
    def destroy(self) -> None:
        """Every node killed (ours, and any a killed earlier run left), the folder removed."""
        for node in self.nodes:
            if node.running:
                try:
                    os.killpg(node.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    node.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
        kill_stale_nodes()
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tails(self, lines: int = 40) -> str:
        out = []
        for node in self.nodes:
            path = node.base / "log" / f"{node.name}.log"
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {path}\n" + "\n".join(line[:300] for line in text))
        return "\n".join(out)


def stale_node_pids() -> dict[int, str]:
    """Processes started by an earlier run of this test (their environment holds MARKER)."""
    found = {}
    me = os.getpid()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            pid = int(environ.parent.name)
            if pid == me or (environ.parent / "comm").read_text().strip() == "epmd":
                continue  # epmd may have been started by one of our nodes: it is everyone's
            for item in environ.read_bytes().split(b"\0"):
                if item.startswith(MARKER.encode() + b"="):
                    found[pid] = item.split(b"=", 1)[1].decode()
                    break
        except (OSError, ValueError):
            continue
    return found


def kill_stale_nodes() -> list[str]:
    killed = []
    for pid, name in stale_node_pids().items():
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(f"{name} ({pid})")
        except ProcessLookupError:
            pass
    return killed
