"""`make up`: migrate, then run every service and worker under a supervisor that restarts the dead.

A Procfile runner stops everything when one process exits; here a crashed process is started
again with a back-off, and Ctrl-C stops them all.

Before anything starts, what an operator can get wrong stops the start with one line, never a
traceback and never a password: a port taken, a broker that does not answer or refuses the
login or the vhost, a database that cannot be reached, an SPP_ADMIN_PASSWORD the policy refuses,
a secret still holding deploy/.env.example's « change-me » placeholder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from services.chassis.config import (
    MAIL_PORT,
    PORT_BASE,
    ROOT,
    SERVICE_PORTS,
    VAR,
    PlaceholderSecret,
    Settings,
    database_url,
    private_dir,
    refuse_placeholders,
)

BACKENDS = ["identity", "experiences", "moderation", "diagnostic", "notifier"]
PYTHON = sys.executable
# For a first start on a developer's machine only: printed, so that nobody keeps it.
DEFAULT_ADMIN_EMAIL = "admin@spp.localhost"
DEFAULT_ADMIN_PASSWORD = "changez-moi-tout-de-suite"
AMQP_SCHEMES = ("amqp", "amqps")  # what pika (the relay, the topology) takes


class StartRefused(Exception):
    """The start cannot go on: the message is one line for the operator."""


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def masked_amqp(url: str) -> str:
    """AMQP_URL for the console: every node's password masked (kombu's own sanitizer)."""
    from kombu.utils.url import maybe_sanitize_url

    return ";".join(maybe_sanitize_url(node.strip()) for node in url.split(";") if node.strip())


def masked_db(url: str) -> str:
    """A database URL for the console, its password masked (SQLAlchemy's own rendering)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(a URL SQLAlchemy cannot read)"  # never echoed: it may hold a password


# ---- ports ----

def platform_ports(smtp_local: bool) -> dict[str, int]:
    """Every port `make up` binds on 127.0.0.1, by what binds it."""
    ports = dict(SERVICE_PORTS)
    if smtp_local:
        ports["mailcatcher"] = MAIL_PORT
    return ports


def taken_ports(ports: dict[str, int], host: str = "127.0.0.1") -> list[tuple[str, int]]:
    """(name, port) of each port something else already holds."""
    taken = []
    for name, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # As gunicorn binds: a connection of a previous run in TIME_WAIT is no obstacle.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                taken.append((name, port))
    return taken


def check_ports(ports: dict[str, int]) -> None:
    taken = taken_ports(ports)
    if taken:
        which = ", ".join(f"{port} ({name})" for name, port in taken)
        other = PORT_BASE + 1000
        raise StartRefused(
            f"Port{'s' if len(taken) > 1 else ''} {which} already in use on 127.0.0.1: stop what "
            f"listens there, or move every port of the platform with SPP_PORT_BASE (now "
            f"{PORT_BASE}; e.g. SPP_PORT_BASE={other} make up uses {other}-{other + 5} and "
            f"{other + MAIL_PORT - PORT_BASE}).")


# ---- the broker ----

def check_broker(amqp_url: str, timeout: float = 3.0) -> None:
    """Open a real AMQP connection (not a TCP probe): a wrong login or vhost stops here, not in
    a traceback of the first relay. With several nodes, one that accepts is enough."""
    from amqp.exceptions import AccessRefused, NotAllowed
    from kombu import Connection

    nodes = [node.strip() for node in amqp_url.split(";") if node.strip()]
    if not nodes:
        raise StartRefused("AMQP_URL names no broker: set it to amqp://user:password@host:5672/vhost.")
    for node in nodes:
        if urlsplit(node).scheme.lower() not in AMQP_SCHEMES:
            raise StartRefused(f"AMQP_URL is not an AMQP URL ({masked_amqp(node)}): write "
                               "amqp://user:password@host:5672/vhost (or amqps://).")
    refusals = []
    for node in nodes:
        conn = Connection(node, connect_timeout=timeout)
        where = masked_amqp(node)
        try:
            conn.connect()
            return
        except AccessRefused:
            refusals.append(f"RabbitMQ at {where} refuses the login of user '{conn.userid}' "
                            "(ACCESS_REFUSED): fix the user or password in AMQP_URL.")
        except NotAllowed as exc:
            vhost = conn.virtual_host
            refusals.append(
                f"RabbitMQ at {where} refuses the virtual host '{vhost}' "
                f"({_one_line(exc.reply_text)}): create it and open it to '{conn.userid}' "
                f"(rabbitmqctl add_vhost {vhost}; rabbitmqctl set_permissions -p {vhost} "
                f"{conn.userid} '.*' '.*' '.*'), or fix the vhost in AMQP_URL.")
        except Exception as exc:  # refused, unknown host, timeout, not a broker: it does not answer
            refusals.append(
                f"RabbitMQ does not answer at {where} ({_one_line(exc) or type(exc).__name__}). "
                "Start one (Debian: `rabbitmq-server -detached`, or `docker run -d -p 5672:5672 "
                "rabbitmq:3-management`) or set AMQP_URL.")
        finally:
            conn.release()
    raise StartRefused(" / ".join(refusals))


# ---- the databases ----

def check_database(service: str, url: str, timeout: int = 5) -> None:
    """Connect once before migrating: a server down, a database missing or a URL no driver
    takes is one line naming the service, not Alembic's traceback."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool,
                                  connect_args={"connect_timeout": timeout}
                                  if url.startswith("postgresql") else {})
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()
    except sa.exc.DBAPIError as exc:
        reason = _one_line(exc.orig)
    except (sa.exc.SQLAlchemyError, ImportError) as exc:  # no such dialect or driver, bad URL
        reason = _one_line(exc)
    else:
        return
    raise StartRefused(f"{service}: the database {masked_db(url)} cannot be used ({reason}). "
                       f"Check {service.upper()}_DATABASE_URL and that the database exists.")


# ---- the first administrator ----

def bootstrap_admin(email: str, password: str):
    """identity's own bootstrap, run here before identity starts, so that `make up` knows what
    it did (identity's start finds the admin there and does nothing)."""
    from services.chassis.db import Database
    from services.identity.service import AdminPasswordRefused
    from services.identity.service import bootstrap_admin as bootstrap

    db = Database(database_url("identity"))
    try:
        return bootstrap(db, email, password)
    except AdminPasswordRefused as exc:
        raise StartRefused(str(exc)) from None
    finally:
        db.dispose()


def login_line(outcome, email: str, password: str, email_set: bool) -> str:
    """How to log in, never with a password the operator chose."""
    from services.identity.service import AdminBootstrap

    where = f"http://127.0.0.1:{SERVICE_PORTS['gateway']}/"
    if outcome is not AdminBootstrap.CREATED:
        return (f"Log in at {where} with an existing account: users already existed, so they are "
                "kept and SPP_ADMIN_EMAIL / SPP_ADMIN_PASSWORD were not used.")
    if password == DEFAULT_ADMIN_PASSWORD:
        return (f"Log in at {where} as {email} with password {password!r}: the built-in "
                "development default, change it at once (or set SPP_ADMIN_PASSWORD"
                + ("" if email_set else " / SPP_ADMIN_EMAIL") + " before the first start).")
    return f"Log in at {where} as {email} with the password you set in SPP_ADMIN_PASSWORD."


@dataclass
class Process:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    restart_at: float | None = None  # exited, to start again then (time.monotonic())
    log: object = field(default=None, repr=False)

    def start(self, env: dict) -> None:
        self.log = self.log or open(VAR / "log" / f"{self.name}.log", "ab")
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.monotonic()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)


def supervise(procs: list[Process], env: dict, now: float) -> None:
    """One look at every process: a dead one is given a time to start again, one whose time has
    come starts. Nothing waits here: the others are watched meanwhile, and Ctrl-C is seen at
    once."""
    for p in procs:
        if p.restart_at is not None:
            if now >= p.restart_at:
                p.restart_at = None
                p.restarts += 1
                p.start(env)
        elif p.proc.poll() is not None:
            # Crashing again soon after a start backs off up to 30 s; after a good run, 1 s.
            delay = min(2 ** p.restarts, 30) if now - p.started_at < 30 else 1
            print(f"{p.name} exited ({p.proc.returncode}); restarting in {delay}s", flush=True)
            p.restart_at = now + delay


def processes(smtp_local: bool) -> list[Process]:
    procs = []
    if smtp_local:
        procs.append(Process("mailcatcher", [PYTHON, "-m", "services.chassis.mailcatcher",
                                             "--port", str(MAIL_PORT)]))
    for service, port in SERVICE_PORTS.items():
        procs.append(Process(service, [
            PYTHON, "-m", "gunicorn", f"services.{service}.wsgi:app", "--bind",
            f"127.0.0.1:{port}", "--workers", os.environ.get("SPP_WEB_WORKERS", "2"),
            "-c", "python:services.chassis.gunicorn_conf"]))
    for service in BACKENDS:
        procs.append(Process(f"{service}-worker", [PYTHON, "-m", f"services.{service}.worker"]))
    return procs


def prepare(env: dict, smtp_local: bool):
    """Everything before the processes start; StartRefused stops the start in one line."""
    check_ports(platform_ports(smtp_local))
    try:
        refuse_placeholders(env)
    except PlaceholderSecret as exc:
        raise StartRefused(str(exc)) from None
    settings = Settings.from_env("up")
    check_broker(settings.amqp_url)
    # var/ keeps the databases, the signing key, the logs and the mails: its owner's only.
    private_dir(VAR)
    private_dir(VAR / "log")
    from services.chassis.db import migrate

    for service in BACKENDS:
        check_database(service, database_url(service))
    for service in BACKENDS:
        migrate(service, database_url(service))
        print(f"migrated {service}: {masked_db(database_url(service))}")
    outcome = bootstrap_admin(env["SPP_ADMIN_EMAIL"], env["SPP_ADMIN_PASSWORD"])
    from services.chassis.topology import RetryQueueNotEmpty, declare_all

    # Every queue before any relay publishes: nothing of a first start is unroutable. The retry
    # queues of an earlier version (classic) become quorum queues here, once empty.
    try:
        print(f"declared the queues of {len(declare_all(tuple(BACKENDS)))} services", flush=True)
    except RetryQueueNotEmpty as exc:
        raise StartRefused(str(exc)) from None
    return outcome


def main() -> int:
    env = dict(os.environ)
    smtp_local = not os.environ.get("SMTP_URL")
    if smtp_local:
        env["SMTP_URL"] = f"smtp://127.0.0.1:{MAIL_PORT}"
    # An empty variable is an unset one (config's rule), so the default applies.
    env["SPP_ADMIN_EMAIL"] = os.environ.get("SPP_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL
    env["SPP_ADMIN_PASSWORD"] = os.environ.get("SPP_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD
    try:
        outcome = prepare(env, smtp_local)
    except StartRefused as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    procs = processes(smtp_local)
    for p in procs:
        p.start(env)
    print("\nServices Publics+ is starting:")
    for service, port in SERVICE_PORTS.items():
        print(f"  {service:<12} http://127.0.0.1:{port}/   (API: /openapi.json, /healthz, /readyz)")
    print("\n" + login_line(outcome, env["SPP_ADMIN_EMAIL"], env["SPP_ADMIN_PASSWORD"],
                            email_set=bool(os.environ.get("SPP_ADMIN_EMAIL"))))
    if smtp_local:
        print(f"Mail is caught locally: every message is a file under {VAR / 'mail'}")
    print(f"Logs: {VAR / 'log'}/. Ctrl-C stops everything.\n", flush=True)

    stopping = False

    def _stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not stopping:
        supervise(procs, env, time.monotonic())
        time.sleep(0.2)
    for p in procs:
        p.stop()
    for p in procs:
        try:
            p.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.proc.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
