"""Run a compose file's jobs, services and workers as processes of this host: no Docker engine.

`make test` runs deploy/docker-compose.yml with it (tests/compose/): every process runs the
compose file's own `command` with its own `environment`, every health check its own `test`, so a
wrong command, variable or check in the deployment fails a test. Operators can try a change of
the compose file the same way on a machine without Docker (docs/deploy.md):

    python -m services.chassis.composerun --env-file deploy/.env

What the host run changes, and nothing else:

- Interpolation, as compose does it, from the environment given (never silently the caller's):
  `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
  `${VAR:+other}`, `${VAR+other}`, nested in a default, and `$$` for a `$`. YAML anchors and
  `<<` merge keys are PyYAML's.
- Addresses. `<service>:<port>` becomes 127.0.0.1 and a port of this run (a per-run base, one
  port per service and container port). A loopback or wildcard address with a port
  (`0.0.0.0:8001`, `127.0.0.1:8001/readyz`, `localhost:8000`) is the container's own port when
  its command listens there, else the host port compose publishes (`ports:`). 0.0.0.0 becomes
  127.0.0.1: nothing of a test run listens beyond the loopback.
- Backing services, by image. `postgres` is this machine's PostgreSQL: the SQL files mounted in
  `/docker-entrypoint-initdb.d/` run there by psql, as the image runs them, with the postgres
  service's environment, every database and role they create renamed `<prefix><name>`; every
  URL naming `<role>:…@postgres:5432/<name>` follows. `rabbitmq` is a virtual
  host of its own on this machine's RabbitMQ, where the compose user (`RABBITMQ_DEFAULT_USER` /
  `_PASS`) is given rights (rabbitmqctl); the URLs' default vhost becomes it. `mailpit` is an
  aiosmtpd catcher (services.chassis.mailcatcher) keeping every message as a file. Their own
  health checks run binaries of their images: a connection to each replaces them. Their data
  volumes and consoles (15672, 8025) are not reproduced.
- The container. Its `/app` is the repository (the current directory of every process) and the
  image's `ENV` applies; `PATH` starts with this Python's bin directory (its python, gunicorn).
  Its writable `/app/var` is a directory of its own, given as `SPP_VAR_DIR`, the only variable
  the run adds; a named volume mounted under it is one directory shared by the containers that
  mount it. PID 1 in a health check (`os.kill(1, 0)`, `kill -0 1`) is the process's pid.
- Health checks run on the host every half second, each within its `timeout`, for at most
  `start_period + interval × retries`. Restart policies are not reproduced: a service or worker
  that exits fails the run; a job (`restart: "no"`) must exit 0 when a service waits for it.
- After every health check passes, every database the init scripts made must have a
  connection and the vhost must have one: on the host a process whose variable is misnamed
  falls back to a default that reaches this machine's servers, where a container reaches nothing.

Keys the run cannot honour (env_file, entrypoint, a bind mount into an application container…)
stop it with a ComposeError rather than be ignored.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import quote, unquote

import sqlalchemy as sa
import yaml

from services.chassis.config import ROOT

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672//"
LOOPBACK = ("localhost", "127.0.0.1", "0.0.0.0")
# Backing services by the name of their image (no registry, no tag), and the port they serve.
BACKING = {"postgres": ("postgres", 5432), "rabbitmq": ("rabbitmq", 5672),
           "mailpit": ("smtp", 1025), "mailhog": ("smtp", 1025)}
# `logging` (Docker's log driver and its rotation) has no host equivalent: each process's log is a
# file of the run.
APP_KEYS = {"build", "image", "restart", "depends_on", "environment", "command", "healthcheck",
            "volumes", "ports", "expose", "logging"}
BACKING_KEYS = {"image", "restart", "environment", "volumes", "ports", "healthcheck", "logging"}
INITDB = "/docker-entrypoint-initdb.d/"
POLL = 0.5


class ComposeError(Exception):
    """The compose file cannot run on the host, or what it runs failed."""


def _server_settings(name: str, command) -> dict[str, str]:
    """A PostgreSQL service's command may only set the server's settings (`postgres -c k=v …`):
    the host's own server stands for it, configured by its operator, and anything else the
    command did would not happen here."""
    if command is None:
        return {}
    words = command.split() if isinstance(command, str) else [str(w) for w in command]
    pairs = words[1:]
    if not words or words[0] != "postgres" or len(pairs) % 2 or any(
            flag != "-c" or "=" not in setting
            for flag, setting in zip(pairs[::2], pairs[1::2], strict=True)):
        raise ComposeError(f"{name}: a command other than `postgres -c setting=value …` cannot "
                           "be mapped on the host's server")
    return dict(setting.split("=", 1) for setting in pairs[1::2])


# ---- interpolation (compose's `${…}` forms; no other shell syntax) ----

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


def interpolate(text: str, env: Mapping[str, str], where: str = "") -> str:
    """`text` with its variables replaced from `env`, as compose does."""
    out, i = [], 0
    while i < len(text):
        if text[i] != "$":
            out.append(text[i])
            i += 1
        elif text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            end = _closing_brace(text, i + 2)
            if end < 0:
                raise ComposeError(f"{where}: unclosed ${{ in {text!r}")
            out.append(_expression(text[i + 2:end], env, where))
            i = end + 1
        elif match := _NAME.match(text, i + 1):
            out.append(env.get(match.group(), ""))
            i = match.end()
        else:
            out.append("$")
            i += 1
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth, i = 1, start
    while i < len(text):
        if text.startswith("${", i):
            depth, i = depth + 1, i + 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _expression(expression: str, env: Mapping[str, str], where: str) -> str:
    match = _NAME.match(expression)
    if not match:
        raise ComposeError(f"{where}: invalid variable ${{{expression}}}")
    name, rest = match.group(), expression[match.end():]
    value = env.get(name)
    if not rest:
        return value or ""
    operator = next((o for o in _OPERATORS if rest.startswith(o)), None)
    if operator is None:
        raise ComposeError(f"{where}: invalid variable ${{{expression}}}")
    argument = rest[len(operator):]
    missing = not value if operator.startswith(":") else value is None
    if operator.endswith("-"):
        return interpolate(argument, env, where) if missing else value
    if operator.endswith("?"):
        if missing:
            raise ComposeError(f"{where}: {name}: {interpolate(argument, env, where) or 'required'}")
        return value
    return "" if missing else interpolate(argument, env, where)


def _interpolated(node, env: Mapping[str, str], where: str):
    if isinstance(node, str):
        return interpolate(node, env, where)
    if isinstance(node, dict):
        return {key: _interpolated(value, env, f"{where}.{key}") for key, value in node.items()}
    if isinstance(node, list):
        return [_interpolated(value, env, f"{where}[{i}]") for i, value in enumerate(node)]
    return node


def load_compose(path: Path, env: Mapping[str, str]) -> dict:
    """The compose file, anchors merged and variables interpolated (services, networks, volumes)."""
    model = yaml.safe_load(Path(path).read_text())
    if not isinstance(model, dict) or not isinstance(model.get("services"), dict):
        raise ComposeError(f"{path}: no services")
    for section in ("services", "networks", "volumes"):
        model[section] = _interpolated(model.get(section) or {}, env, section)
    return model


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (compose's `--env-file`): comments and blank lines skipped, quotes removed."""
    values = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[key.strip()] = value
    return values


def image_facts(dockerfile: Path) -> tuple[dict[str, str], str]:
    """The image's `ENV` values and its `WORKDIR` (the last one), from the Dockerfile."""
    env, workdir = {}, "/"
    text = re.sub(r"\\\n", " ", Path(dockerfile).read_text())
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if len(words) < 2:
            continue
        instruction, rest = words[0].upper(), words[1]
        if instruction == "WORKDIR":
            workdir = rest.strip()
        elif instruction == "ENV":
            tokens = shlex.split(rest)
            if "=" in tokens[0]:
                env.update(token.split("=", 1) for token in tokens)
            else:
                env[tokens[0]] = rest.split(None, 1)[1] if len(tokens) > 1 else ""
    return env, workdir.rstrip("/") or "/"


def _seconds(value, default: float) -> float:
    """A compose duration ("10s", "1m30s", "500ms") in seconds."""
    if value in (None, ""):
        return default
    units = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)", str(value))
    if not parts or "".join(n + u for n, u in parts) != str(value):
        raise ComposeError(f"not a duration: {value!r}")
    return sum(float(n) * units[u] for n, u in parts)


def _argv(command, where: str) -> list[str]:
    if isinstance(command, str):
        return shlex.split(command)
    if isinstance(command, list) and command and all(isinstance(a, str | int) for a in command):
        return [str(a) for a in command]
    raise ComposeError(f"{where}: no command to run")


def _last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"


def _free_port_base(count: int = 40, attempts: int = 30) -> int:
    for _ in range(attempts):
        base = random.randrange(20000, 30000, count)
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise ComposeError("no free block of ports between 20000 and 30000")


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None
    job: bool = False
    _handle: object = field(default=None, repr=False)

    def start(self, cwd: Path) -> None:
        self._handle = open(self.log, "ab")
        self.popen = subprocess.Popen(self.argv, cwd=cwd, env=self.env, stdout=self._handle,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    def tail(self, lines: int = 25) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\n".join(f"    {line}" for line in text)


class ComposeRun:
    """One run of a compose file on this host; `start()`, then `stop()` removes all it made."""

    def __init__(self, compose_file: Path, env: Mapping[str, str], *, workdir: Path,
                 postgres_url: str = DEFAULT_POSTGRES, amqp_url: str = DEFAULT_AMQP,
                 port_base: int | None = None, db_prefix: str | None = None,
                 vhost: str | None = None, root: Path = ROOT, bin_dir: Path | None = None,
                 project_dir: Path | None = None):
        self.file = Path(compose_file).resolve()
        # Relative paths (build context, init scripts) start there, as `--project-directory`.
        self.project_dir = Path(project_dir).resolve() if project_dir else self.file.parent
        self.env = dict(env)
        self.model = load_compose(self.file, self.env)
        self.services: dict[str, dict] = self.model["services"]
        self.workdir = Path(workdir)
        self.root = Path(root)
        self.bin_dir = Path(bin_dir or Path(sys.executable).parent)
        self.run_id = uuid.uuid4().hex[:8]
        self.postgres_url = sa.engine.make_url(postgres_url)
        from kombu import Connection

        broker = Connection(amqp_url)
        self.broker_address = (broker.hostname or "127.0.0.1", broker.port or 5672)
        self.db_prefix = db_prefix or f"spp_compose_{self.run_id}_"
        self.vhost = vhost or f"spp-compose-{self.run_id}"
        self.port_base = port_base
        self.backing: dict[str, str] = {}
        self.apps: list[str] = []
        for name, service in self.services.items():
            image = str(service.get("image", "")).split("/")[-1].split(":")[0]
            if "build" in service:
                self.apps.append(name)
                allowed = APP_KEYS
            elif image in BACKING:
                self.backing[name] = BACKING[image][0]
                allowed = BACKING_KEYS | {"command"}
                if image == "postgres":
                    _server_settings(name, service.get("command"))
            else:
                raise ComposeError(f"{name}: image {service.get('image')!r} is neither built from "
                                   "the repository nor a backing service the host provides")
            unknown = set(service) - allowed
            if unknown:
                raise ComposeError(f"{name}: {', '.join(sorted(unknown))} cannot be mapped on the host")
        self.ports: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self.published = self._published_ports()
        self.listening = {name: self._own_ports(name) for name in self.apps}
        self.db_map: dict[str, str] = {}
        self.role_map: dict[str, str] = {}
        self.databases_made: list[str] = []
        self.roles_made: list[str] = []
        self.vhost_made = False
        self.user_made: str | None = None
        self.catcher = None
        self.processes: dict[str, Process] = {}
        self.healthy: set[str] = set()
        self.timings: dict[str, float] = {}
        self._t0 = time.monotonic()
        self._stopped = False

    # ---- where things are ----

    def port(self, service: str, container_port: int) -> int:
        """The host port standing for `service`'s container port (one per run, made on demand)."""
        key = (service, int(container_port))
        with self._lock:  # health checks rewrite their addresses in threads
            if key not in self.ports:
                if self.port_base is None:
                    self.port_base = _free_port_base()
                self.ports[key] = self.port_base + len(self.ports)
            return self.ports[key]

    def url(self, service: str, path: str = "", container_port: int | None = None) -> str:
        """`http://127.0.0.1:<port><path>` of an application service (its first listening port)."""
        port = container_port or min(self.listening[service])
        return f"http://127.0.0.1:{self.port(service, port)}{path}"

    def published_url(self, host_port: int, path: str = "") -> str:
        """Where compose's published host port (`ports: ["…:8000:8000"]`) is in this run."""
        service, container_port = self.published[host_port]
        return f"http://127.0.0.1:{self.port(service, container_port)}{path}"

    @property
    def mail_folder(self) -> Path:
        return self.workdir / "mail"

    def _published_ports(self) -> dict[int, tuple[str, int]]:
        published = {}
        for name in self.apps:
            for spec in self.services[name].get("ports") or []:
                if isinstance(spec, dict):
                    host, container = spec.get("published"), spec.get("target")
                else:
                    parts = str(spec).split("/")[0].split(":")
                    host, container = (parts[-2], parts[-1]) if len(parts) > 1 else (None, parts[0])
                if host is None or not str(host).isdigit() or not str(container).isdigit():
                    raise ComposeError(f"{name}: port {spec!r} cannot be mapped on the host")
                published[int(host)] = (name, int(container))
        return published

    def _own_ports(self, name: str) -> set[int]:
        service = self.services[name]
        ports = {int(str(p).split("/")[0]) for p in service.get("expose") or []}
        ports |= {container for host, (owner, container) in self.published.items() if owner == name}
        command = " ".join(_argv(service.get("command"), name)) if service.get("command") else ""
        hosts = "|".join(re.escape(h) for h in LOOPBACK)
        ports |= {int(p) for p in re.findall(rf"(?<![\w.-])(?:{hosts}):(\d+)(?![\w@.-])", command)}
        return ports

    # ---- rewriting a string of one container for the host ----

    def rewrite(self, text: str, context: str) -> str:
        names = sorted([*self.services, *LOOPBACK], key=len, reverse=True)
        hosts = "|".join(re.escape(n) for n in names)
        pattern = re.compile(rf"(?<![\w.-])(?P<host>{hosts}):(?P<port>\d+)(?![\w@.-])"
                             rf"(?P<path>/[^\s'\"?#,)]*)?")

        def replace(match: re.Match) -> str:
            host, port, path = match["host"], int(match["port"]), match["path"]
            if host in LOOPBACK:
                target = (context, port)
                if port not in self.listening.get(context, ()) and port in self.published:
                    target = self.published[port]
            else:
                target = (host, port)
            address = self._address(*target, where=f"{context}: {match.group()}")
            return address + self._path(target[0], path)

        text = self._rename_roles(text)
        text = pattern.sub(replace, text)
        service_names = "|".join(re.escape(n) for n in sorted(self.services, key=len, reverse=True))
        bare = re.search(rf"(?:(?<=//)|(?<=@))(?:{service_names})(?=[/?#'\"\s]|$)", text)
        if bare:
            raise ComposeError(f"{context}: {bare.group()} without a port in {text!r} cannot be mapped")
        return text

    def _rename_roles(self, text: str) -> str:
        """A URL's user on a postgres service is the role the init scripts made, renamed."""
        servers = [n for n, kind in self.backing.items() if kind == "postgres"]
        if not self.role_map or not servers:
            return text
        hosts = "|".join(re.escape(n) for n in servers)
        return re.sub(rf"(?<=//)([^:@/\s]+)(?=(?::[^@/\s]*)?@(?:{hosts}):\d+)",
                      lambda m: self.role_map.get(m[1], m[1]), text)

    def _address(self, service: str, port: int, where: str) -> str:
        kind = self.backing.get(service)
        if kind is None:
            return f"127.0.0.1:{self.port(service, port)}"
        expected = next(p for k, p in BACKING.values() if k == kind)
        if port != expected:
            raise ComposeError(f"{where}: the host run provides {service} on port {expected} only")
        if kind == "postgres":
            return f"{self.postgres_url.host or '127.0.0.1'}:{self.postgres_url.port or 5432}"
        if kind == "rabbitmq":
            return f"{self.broker_address[0]}:{self.broker_address[1]}"
        if self.catcher is None:
            raise ComposeError(f"{where}: the mail catcher is not started")
        return f"127.0.0.1:{self.catcher.port}"

    def _path(self, service: str, path: str | None) -> str:
        kind = self.backing.get(service)
        if kind == "postgres" and path:
            name = path[1:]
            return "/" + self.db_map.get(name, name)
        if kind == "rabbitmq":
            default = self._backing_env(service).get("RABBITMQ_DEFAULT_VHOST", "/")
            if path is None or unquote(path[1:]) in ("", "/", default):
                return "/" + quote(self.vhost, safe="")
        return path or ""

    def _backing_env(self, name: str) -> dict[str, str]:
        environment = self.services[name].get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) if "=" in item else (item, None)
                               for item in environment)
        return {k: str(self.env.get(k, "") if v is None else v) for k, v in environment.items()}

    # ---- the backing services ----

    def _admin_engine(self) -> sa.Engine:
        return sa.create_engine(self.postgres_url, isolation_level="AUTOCOMMIT",
                                poolclass=sa.pool.NullPool)

    def _provide_postgres(self, name: str) -> None:
        """The init scripts run by psql, as the image's entrypoint runs them, with the postgres
        service's environment (for `\\getenv`); every database and role they create renamed for
        this run, wherever the scripts name it."""
        env = self._backing_env(name)
        scripts = []
        for spec in self.services[name].get("volumes") or []:
            source, _, rest = str(spec).partition(":")
            target = rest.split(":")[0]
            if target.startswith(INITDB):
                if not source.startswith((".", "/")) or not target.endswith(".sql"):
                    raise ComposeError(f"{name}: init script {spec!r}: only SQL files run on the host")
                scripts.append((target, (self.project_dir / source).resolve()))
        try:
            sql = "\n".join(path.read_text() for _, path in sorted(scripts))
        except OSError as exc:
            raise ComposeError(f"{name}: init script: {exc}") from exc
        own_db = env.get("POSTGRES_DB") or env.get("POSTGRES_USER") or "postgres"
        if own_db != "postgres":  # the image makes POSTGRES_DB before the scripts
            sql = f'CREATE DATABASE "{own_db}";\n\\connect "{own_db}"\n{sql}'
        created = set(re.findall(r'(?i)\bCREATE\s+DATABASE\s+"?(\w+)"?', sql))
        roles = set(re.findall(r'(?i)\bCREATE\s+(?:ROLE|USER)\s+"?(\w+)"?', sql))
        self.db_map = {db: f"{self.db_prefix}{db}" for db in created}
        self.role_map = {role: f"{self.db_prefix}{role}" for role in roles}
        renamed = self.db_map | self.role_map
        if renamed:
            names = "|".join(re.escape(n) for n in sorted(renamed, key=len, reverse=True))
            sql = re.sub(rf"\b({names})\b", lambda m: renamed[m[1]], sql)
        server = self.postgres_url.set(drivername="postgresql", password=None)
        login = {"PGPASSWORD": self.postgres_url.password} if self.postgres_url.password else {}
        try:  # terse: an error's line, which may hold a password, is not repeated
            done = subprocess.run(
                ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=terse", "-d",
                 server.render_as_string(), "-f", "-"],
                input=sql, capture_output=True, text=True, timeout=120,
                env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", **env, **login})
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ComposeError(f"{name}: psql, which runs the init scripts: {exc}") from exc
        finally:
            self._note_made()
        if done.returncode:
            raise ComposeError(f"{name}: the init scripts failed on the host's PostgreSQL: "
                               f"{_last_line(done.stderr)}")

    def _note_made(self) -> None:
        """What the scripts made, to remove after the run: what exists now under the run's names."""
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                self.databases_made = list(conn.execute(sa.text(
                    "SELECT datname FROM pg_database WHERE datname = ANY(:names)"),
                    {"names": list(self.db_map.values())}).scalars())
                self.roles_made = list(conn.execute(sa.text(
                    "SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"),
                    {"names": list(self.role_map.values())}).scalars())
        finally:
            engine.dispose()

    def _rabbitmqctl(self, *args: str) -> str:
        try:
            done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True,
                                  timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ComposeError(f"rabbitmqctl {args[0]}: {exc}") from exc
        if done.returncode:
            raise ComposeError(f"rabbitmqctl {args[0]}: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def _provide_rabbitmq(self, name: str) -> None:
        env = self._backing_env(name)
        user = env.get("RABBITMQ_DEFAULT_USER") or "guest"
        password = env.get("RABBITMQ_DEFAULT_PASS") or "guest"

        def add_vhost() -> None:
            self._rabbitmqctl("add_vhost", self.vhost)
            self.vhost_made = True

        def add_user() -> None:  # a user the broker already has is used, and left, as it is
            try:
                self._rabbitmqctl("add_user", "--", user, password)  # a password may start with "-"
                self.user_made = user
            except ComposeError as exc:
                if "already exists" not in str(exc):
                    raise

        _together(add_vhost, add_user)
        self._rabbitmqctl("set_permissions", "-p", self.vhost, user, ".*", ".*", ".*")
        from kombu import Connection

        url = f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@" \
              f"{self.broker_address[0]}:{self.broker_address[1]}/{quote(self.vhost, safe='')}"
        try:
            with Connection(url, connect_timeout=5) as conn:
                conn.ensure_connection(max_retries=3)
        except Exception as exc:
            raise ComposeError(f"{name}: {user} cannot log in to vhost {self.vhost}: {exc}") from exc

    def _provide_smtp(self, name: str) -> None:
        from services.chassis import mailcatcher

        if self.catcher is None:
            self.catcher = mailcatcher.start(0, self.mail_folder)

    # ---- the containers ----

    def _environment(self, name: str, container: Path) -> dict[str, str]:
        image_env, _ = self._image(name)
        env = {"PATH": f"{self.bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "HOME": str(container), "LANG": "C.UTF-8", **image_env}
        environment = self.services[name].get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) if "=" in item else (item, None)
                               for item in environment)
        for key, value in environment.items():
            if value is None:  # `KEY` alone: the value of the environment compose runs in
                if key in self.env:
                    env[key] = self.rewrite(self.env[key], name)
                continue
            if isinstance(value, bool):
                raise ComposeError(f"{name}: {key}: a boolean must be quoted in an environment")
            env[key] = self.rewrite(str(value), name)
        env["SPP_VAR_DIR"] = str(container / "var")
        return env

    def _image(self, name: str) -> tuple[dict[str, str], str]:
        build = self.services[name]["build"]
        context = self.project_dir / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        try:
            return image_facts(context / dockerfile)
        except OSError as exc:
            raise ComposeError(f"{name}: {exc}") from exc

    def _container(self, name: str) -> Path:
        """The container's own directory: its var/ (named volumes linked in), its HOME."""
        container = self.workdir / "containers" / name
        var = container / "var"
        var.mkdir(parents=True, exist_ok=True)
        var.chmod(0o700)
        _, workdir = self._image(name)
        for spec in self.services[name].get("volumes") or []:
            if isinstance(spec, dict):
                source, target, kind = spec.get("source"), spec.get("target", ""), spec.get("type")
            else:
                source, _, rest = str(spec).partition(":")
                target, kind = rest.split(":")[0], "volume"
            if kind != "volume" or not source or source.startswith((".", "/", "~")):
                raise ComposeError(f"{name}: the bind mount {spec!r} cannot be mapped on the host")
            inside = f"{workdir}/var/"
            if not target.startswith(inside):
                raise ComposeError(f"{name}: volume {spec!r}: only volumes under {inside} are mapped")
            shared = self.workdir / "volumes" / source
            shared.mkdir(parents=True, exist_ok=True)
            link = var / target[len(inside):].strip("/")
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.is_symlink():
                link.symlink_to(shared, target_is_directory=True)
        return container

    def _spawn(self, name: str) -> Process:
        service = self.services[name]
        container = self._container(name)
        argv = [self.rewrite(a, name) for a in _argv(service.get("command"), name)]
        process = Process(name, argv, self._environment(name, container),
                          self.workdir / "logs" / f"{name}.log",
                          job=str(service.get("restart", "no")) in ("no", "False", "false"))
        process.log.parent.mkdir(parents=True, exist_ok=True)
        try:
            process.start(self.root)
        except OSError as exc:
            raise ComposeError(f"{name}: cannot run {argv[0]!r}: {exc}") from exc
        self.processes[name] = process
        return process

    def _order(self) -> list[str]:
        order, visiting = [], set()

        def visit(name: str) -> None:
            if name in order:
                return
            if name in visiting:
                raise ComposeError(f"depends_on makes a cycle through {name}")
            visiting.add(name)
            for dependency in self._dependencies(name):
                if dependency not in self.services:
                    raise ComposeError(f"{name} depends on {dependency}, which is no service")
                if dependency in self.apps:
                    visit(dependency)
            order.append(name)

        for name in self.apps:
            visit(name)
        return order

    def _dependencies(self, name: str) -> dict[str, str]:
        depends = self.services[name].get("depends_on") or {}
        if isinstance(depends, list):
            return {d: "service_started" for d in depends}
        return {d: (spec or {}).get("condition", "service_started") for d, spec in depends.items()}

    # ---- health ----

    def _health_argv(self, name: str) -> list[str] | None:
        check = self.services[name].get("healthcheck") or {}
        test = check.get("test")
        if check.get("disable") or not test:
            return None
        if isinstance(test, str):
            test = ["CMD-SHELL", test]
        form, args = test[0], [str(a) for a in test[1:]]
        if form == "NONE":
            return None
        pid = str(self.processes[name].popen.pid)
        args = [re.sub(r"\bkill\s+-0\s+1\b", f"kill -0 {pid}",
                       re.sub(r"\bkill\(\s*1\s*,", f"kill({pid},", self.rewrite(a, name)))
                for a in args]
        if form == "CMD":
            return args
        if form == "CMD-SHELL":
            return ["sh", "-c", " ".join(args)]
        raise ComposeError(f"{name}: healthcheck test {test!r}: CMD, CMD-SHELL or NONE expected")

    def _check_once(self, name: str) -> tuple[bool, str]:
        argv = self._health_argv(name)
        if argv is None:
            return True, ""
        timeout = _seconds(self.services[name]["healthcheck"].get("timeout"), 30)
        process = self.processes[name]
        try:
            done = subprocess.run(argv, cwd=self.root, env=process.env, capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return False, f"timed out after {timeout}s"
        except OSError as exc:
            return False, str(exc)
        return done.returncode == 0, (done.stdout + done.stderr).strip()[-1500:]

    def _budget(self, name: str) -> float:
        check = self.services[name].get("healthcheck") or {}
        return _seconds(check.get("start_period"), 0) + \
            _seconds(check.get("interval"), 30) * int(check.get("retries", 3))

    def _check_alive(self) -> None:
        for process in self.processes.values():
            code = process.popen.poll()
            if code is not None and not (process.job and code == 0):
                raise ComposeError(f"{process.name} exited with status {code} "
                                   f"({' '.join(process.argv)[:300]}); its log:\n{process.tail()}")

    def wait_healthy(self, names: list[str], deadline: float) -> None:
        """Runs the health checks of `names` together until each passes (or its budget ends)."""
        pending = {n: min(time.monotonic() + self._budget(n), deadline) for n in names
                   if n not in self.healthy}
        with ThreadPoolExecutor(max_workers=max(1, len(pending))) as pool:
            while pending:
                self._check_alive()
                results = dict(zip(pending, pool.map(self._check_once, list(pending)), strict=True))
                for name, (ok, output) in results.items():
                    if ok:
                        self.healthy.add(name)
                        del pending[name]
                        self.timings[f"healthy {name}"] = round(time.monotonic() - self._t0, 1)
                    elif time.monotonic() > pending[name]:
                        raise ComposeError(
                            f"{name}: its health check {self.services[name]['healthcheck']['test']!r}"
                            f" still fails ({_last_line(output)}); its log:\n"
                            f"{self.processes[name].tail()}")
                if pending:
                    time.sleep(POLL)

    def _wait_completed(self, name: str, deadline: float) -> None:
        process = self.processes[name]
        while process.popen.poll() is None:
            self._check_alive()  # a service already started may die meanwhile
            if time.monotonic() > deadline:
                raise ComposeError(f"{name} did not finish in time; its log:\n{process.tail()}")
            time.sleep(0.2)
        if process.popen.returncode != 0:
            raise ComposeError(f"{name} exited with status {process.popen.returncode}; its log:\n"
                               f"{process.tail()}")
        self.timings[f"completed {name}"] = round(time.monotonic() - self._t0, 1)

    def verify_wiring(self) -> None:
        """Each database the init scripts made, and the vhost, is in use by a running process."""
        if self.databases_made:
            engine = self._admin_engine()
            try:
                with engine.connect() as conn:
                    rows = conn.execute(sa.text(
                        "SELECT datname, count(*) FROM pg_stat_activity WHERE datname = ANY(:names) "
                        "AND pid <> pg_backend_pid() GROUP BY datname"),
                        {"names": self.databases_made}).all()
            finally:
                engine.dispose()
            used = {row[0] for row in rows}
            unused = [db for db, mapped in self.db_map.items() if mapped not in used]
            if unused:
                raise ComposeError(f"no running process is connected to the database(s) "
                                   f"{', '.join(unused)}: does every *_DATABASE_URL reach them?")
        if self.vhost_made:
            vhosts = self._rabbitmqctl("list_connections", "vhost",
                                        "--no-table-headers").split()
            if self.vhost not in vhosts:
                raise ComposeError(f"no running process is connected to the broker's vhost "
                                   f"({self.vhost}): does AMQP_URL reach it?")

    # ---- the run ----

    def start(self, timeout: float = 240) -> ComposeRun:
        """Backing services, then every job, service and worker in depends_on order, all healthy."""
        deadline = time.monotonic() + timeout
        self.workdir.mkdir(parents=True, exist_ok=True)
        _together(*(partial(getattr(self, f"_provide_{kind}"), name)
                    for name, kind in self.backing.items()))
        self.timings["backing services"] = round(time.monotonic() - self._t0, 1)
        for name in self._order():
            for dependency, condition in self._dependencies(name).items():
                if dependency in self.backing:
                    continue
                if condition == "service_completed_successfully":
                    self._wait_completed(dependency, deadline)
                elif condition == "service_healthy":
                    self.wait_healthy([dependency], deadline)
                elif condition != "service_started":
                    raise ComposeError(f"{name}: depends_on condition {condition!r} is unknown")
            self._spawn(name)
        self.wait_healthy([n for n in self.apps if not self.processes[n].job], deadline)
        self._check_alive()
        self.verify_wiring()
        self.timings["ready"] = round(time.monotonic() - self._t0, 1)
        return self

    def stop(self) -> None:
        """Every process ended, the catcher stopped, the databases, vhost and user removed."""
        if self._stopped:
            return
        self._stopped = True
        running = [p for p in reversed(self.processes.values()) if p.popen and p.popen.poll() is None]
        for process in running:
            _signal_group(process.popen.pid, signal.SIGTERM)
        end = time.monotonic() + 20
        for process in running:
            try:
                process.popen.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process.popen.pid, signal.SIGKILL)
                process.popen.wait(timeout=10)
        for pid in self.leftovers():  # e.g. gunicorn workers of a master that died
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for process in self.processes.values():
            if process._handle:
                process._handle.close()
        if self.catcher is not None:
            self.catcher.stop()
        cleanups = []
        if self.databases_made or self.roles_made:
            cleanups.append(self._drop_made)
        if self.vhost_made:
            cleanups.append(partial(self._rabbitmqctl, "delete_vhost", self.vhost))
        if self.user_made:
            cleanups.append(partial(self._rabbitmqctl, "delete_user", self.user_made))
        _together(*cleanups)

    def _drop_made(self) -> None:
        engine = self._admin_engine()
        try:
            with engine.connect() as conn:
                for name in self.databases_made:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                for role in self.roles_made:  # after the databases it owns
                    conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        except sa.exc.SQLAlchemyError as exc:
            raise ComposeError(f"dropping the databases and roles: {exc}") from exc
        finally:
            engine.dispose()

    def leftovers(self) -> list[int]:
        """Live processes of this run, known by their own SPP_VAR_DIR (children included)."""
        mark = f"SPP_VAR_DIR={self.workdir / 'containers'}/".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    environ = (entry / "environ").read_bytes()
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                except OSError:
                    continue
                if state != "Z" and any(v.startswith(mark) for v in environ.split(b"\0")):
                    found.append(int(entry.name))
        return found

    def __enter__(self) -> ComposeRun:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def _together(*calls) -> None:
    """Runs `calls` at once (each rabbitmqctl call starts an Erlang VM: about a second); every
    one runs to its end, then the first error is raised."""
    if not calls:
        return
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
    errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        raise errors[0]


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a compose file as host processes, without "
                                     "Docker, until Ctrl-C (see docs/deploy.md).")
    parser.add_argument("-f", "--file", type=Path, default=ROOT / "deploy" / "docker-compose.yml")
    parser.add_argument("--env-file", type=Path, help="KEY=VALUE lines, as compose's --env-file")
    parser.add_argument("--project-directory", type=Path, help="where relative paths start "
                        "(default: the compose file's folder)")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES),
                        help="this machine's PostgreSQL, as a superuser (default %(default)s)")
    parser.add_argument("--amqp", default=DEFAULT_AMQP,
                        help="this machine's RabbitMQ: its host and port (rabbitmqctl manages it)")
    parser.add_argument("--port-base", type=int, help="first host port (default: a free block)")
    parser.add_argument("--workdir", type=Path, help="logs, mail, containers' var/ "
                        "(default var/compose-<id>)")
    args = parser.parse_args(argv)
    env = {**(read_env_file(args.env_file) if args.env_file else {}), **os.environ}
    run_id = uuid.uuid4().hex[:8]
    workdir = args.workdir or ROOT / "var" / f"compose-{run_id}"
    run = ComposeRun(args.file, env, workdir=workdir, postgres_url=args.postgres.replace(
        "postgresql://", "postgresql+psycopg://", 1), amqp_url=args.amqp, port_base=args.port_base,
        project_dir=args.project_directory)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run.start()
        print(f"{args.file.name} runs on this host (logs, mail: {workdir}):")
        for name in run.apps:
            if run.listening[name]:
                print(f"  {name:<12} {run.url(name, '/')}")
        for host_port, (name, _) in sorted(run.published.items()):
            print(f"  published :{host_port} ({name}) → {run.published_url(host_port, '/')}")
        print("Ctrl-C stops everything and removes its databases and vhost.", flush=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    except ComposeError as exc:
        print(f"composerun: {exc}", file=sys.stderr)
        return 1
    finally:
        run.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
