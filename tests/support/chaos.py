"""The platform the fault tests start (tests/chaos/conftest.py's `chaos_platform`): where each
service listens, the seeded administrator, and what the tests read of it: queue depths, a
service's SQLite database, the supervisor's children.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pika
import requests

from services.chassis import amqp
from services.chassis.amqp import connection_parameters

PORT_BASE = int(os.environ.get("SPP_CHAOS_PORT_BASE", "19000"))
SERVICES = ["gateway", "identity", "experiences", "moderation", "diagnostic", "notifier"]
BACKENDS = SERVICES[1:]
ADMIN = ("admin@chaos.localhost", "un-mot-de-passe-chaos-solide")
RETRY_DELAYS_MS = (500, 2000, 10000, 30000)


def url(service: str, path: str = "") -> str:
    return f"http://127.0.0.1:{PORT_BASE + SERVICES.index(service)}{path}"


def wait_until(predicate, timeout: float = 60, interval: float = 0.2):
    """The predicate's first truthy value, or None at the deadline (HTTP errors count as falsy)."""
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


def sqlite_scalar(path: Path, sql: str, *params):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


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
