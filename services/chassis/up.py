"""`make up`: migrate, then run every service and worker under a supervisor that restarts the dead.

A Procfile runner stops everything when one process exits; here a crashed process is started
again with a back-off, and Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from services.chassis.config import (
    MAIL_PORT,
    ROOT,
    SERVICE_PORTS,
    VAR,
    Settings,
    database_url,
    private_dir,
)
from services.chassis.consumer import broker_reachable

BACKENDS = ["identity", "experiences", "moderation", "diagnostic", "notifier"]
PYTHON = sys.executable


@dataclass
class Process:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    log: object = field(default=None, repr=False)

    def start(self, env: dict) -> None:
        self.log = self.log or open(VAR / "log" / f"{self.name}.log", "ab")
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.time()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)


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


def main() -> int:
    settings = Settings.from_env("up")
    if not broker_reachable(settings.amqp_url, timeout=3):
        print(f"RabbitMQ does not answer at {settings.amqp_url}.\n"
              "Start one (Debian: `rabbitmq-server -detached`, or "
              "`docker run -d -p 5672:5672 rabbitmq:3-management`) or set AMQP_URL.",
              file=sys.stderr)
        return 1
    # var/ keeps the databases, the signing key, the logs and the mails: its owner's only.
    private_dir(VAR)
    private_dir(VAR / "log")
    from services.chassis.db import migrate

    for service in BACKENDS:
        migrate(service, database_url(service))
        print(f"migrated {service}: {database_url(service).split('@')[-1]}")
    from services.chassis.topology import RetryQueueNotEmpty, declare_all

    # Every queue before any relay publishes: nothing of a first start is unroutable. The retry
    # queues of an earlier version (classic) become quorum queues here, once empty.
    try:
        print(f"declared the queues of {len(declare_all(tuple(BACKENDS)))} services", flush=True)
    except RetryQueueNotEmpty as exc:
        print(exc, file=sys.stderr)
        return 1
    env = dict(os.environ)
    smtp_local = not os.environ.get("SMTP_URL")
    if smtp_local:
        env["SMTP_URL"] = f"smtp://127.0.0.1:{MAIL_PORT}"
    env.setdefault("SPP_ADMIN_EMAIL", "admin@spp.localhost")
    env.setdefault("SPP_ADMIN_PASSWORD", "changez-moi-tout-de-suite")
    procs = processes(smtp_local)
    for p in procs:
        p.start(env)
    print("\nServices Publics+ is starting:")
    for service, port in SERVICE_PORTS.items():
        print(f"  {service:<12} http://127.0.0.1:{port}/   (API: /openapi.json, /healthz, /readyz)")
    print(f"\nLog in at http://127.0.0.1:{SERVICE_PORTS['gateway']}/ as {env['SPP_ADMIN_EMAIL']} "
          f"with password {env['SPP_ADMIN_PASSWORD']!r}"
          + (" (defaults: set SPP_ADMIN_EMAIL / SPP_ADMIN_PASSWORD)"
             if "SPP_ADMIN_PASSWORD" not in os.environ else ""))
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
        for p in procs:
            if p.proc.poll() is not None and not stopping:
                delay = min(2 ** p.restarts, 30) if time.time() - p.started_at < 30 else 1
                print(f"{p.name} exited ({p.proc.returncode}); restarting in {delay}s", flush=True)
                time.sleep(delay)
                p.restarts += 1
                p.start(env)
        time.sleep(0.5)
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
