"""`python -m services.chassis.topology`: declare every service's queues and bindings.

A message published before its consumer's queue exists is unroutable, and the relay cannot
keep it for a queue nobody declared. On a first start the experiences relay may publish before
the moderation worker has declared its queue: declaring every queue first (`make up` and the
compose `migrate` job do) means no event of a first start is lost. Declaring is idempotent: the
workers declare the same queues again with the same arguments.

It also migrates what earlier versions declared otherwise. Their retry queues were classic
queues (on one node of a cluster only); RabbitMQ refuses to redeclare a queue with another type
(`406 PRECONDITION_FAILED - inequivalent arg 'x-queue-type'`). Such a retry queue holds nothing
for long: each message goes back to the main queue when its delay has passed. So the step waits
until it is empty, deletes it (if empty: a message that arrived meanwhile keeps it, and the step
waits again) and declares it anew, a quorum queue.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable

from amqp.exceptions import PreconditionFailed
from kombu import Connection, Queue

from services.chassis.config import Settings
from services.chassis.consumer import Topology, open_connection

BACKENDS = ("identity", "experiences", "moderation", "diagnostic", "notifier")
DRAIN_MARGIN_S = 60.0  # beyond a retry queue's delay, for workers of the previous version
POLL_S = 0.2


class RetryQueueNotEmpty(RuntimeError):
    """A retry queue to replace kept messages past its deadline: nothing was deleted."""


def topology_of(settings: Settings, event_types: list[str]) -> Topology:
    """The queue of `settings.service`, bound to the event types it handles."""
    return Topology.build(settings.exchange, f"{settings.queue_prefix}.{settings.service}",
                          list(event_types), settings.retry_delays_ms)


def _close(channel) -> None:
    try:
        channel.close()
    except Exception:  # closed by the broker already (a refused declare)
        pass


def _inequivalent(connection: Connection, queue: Queue) -> bool:
    """Declare `queue`; True if the broker holds it with other arguments (another type)."""
    channel = connection.channel()
    try:
        queue.bind(channel).declare()
        return False
    except PreconditionFailed as exc:
        if "inequivalent arg" not in str(exc):
            raise
        return True
    finally:
        _close(channel)


def _replace_when_empty(connection: Connection, queue: Queue, timeout: float,
                        report: Callable[[str], None]) -> None:
    deadline = time.monotonic() + timeout
    t0, said = time.monotonic(), False
    while True:
        channel = connection.channel()
        try:
            waiting = channel.queue_declare(queue.name, passive=True).message_count
            if waiting == 0:
                try:
                    channel.queue_delete(queue.name, if_empty=True)
                    break
                except PreconditionFailed:  # a message came in between: wait again
                    waiting = 1
        finally:
            _close(channel)
        if time.monotonic() >= deadline:
            raise RetryQueueNotEmpty(
                f"retry queue {queue.name} still holds {waiting} message(s) after {timeout:.0f} s, "
                "so it was not replaced: do workers of the previous version still run? Stop "
                "them, then run `python -m services.chassis.topology` again")
        if not said:
            report(f"waiting for {queue.name} to empty ({waiting} message(s) going back to "
                   "the main queue) before it becomes a quorum queue")
            said = True
        time.sleep(POLL_S)
    channel = connection.channel()
    try:
        queue.bind(channel).declare()
    finally:
        _close(channel)
    report(f"replaced {queue.name} by a quorum queue ({time.monotonic() - t0:.1f} s)")


def migrate_retry_queues(connection: Connection, topology: Topology,
                         drain_margin_s: float = DRAIN_MARGIN_S,
                         report: Callable[[str], None] = print) -> list[str]:
    """Replace each retry queue that the broker holds with other arguments (a classic one, from
    before they were quorum queues) once it is empty; the names of those replaced. Declares the
    missing ones. RetryQueueNotEmpty if one keeps messages longer than its delay plus
    `drain_margin_s` (it is left as it was)."""
    channel = connection.channel()
    try:  # the main queue first: where the old retry queues send their messages back
        topology.declare(channel, retry_queues=False)
    finally:
        _close(channel)
    replaced = []
    for ms, queue in topology.retry_queues.items():
        if _inequivalent(connection, queue):
            _replace_when_empty(connection, queue, ms / 1000 + drain_margin_s, report)
            replaced.append(queue.name)
    return replaced


def declare_all(services: tuple[str, ...] = BACKENDS, drain_margin_s: float = DRAIN_MARGIN_S,
                report: Callable[[str], None] = print) -> list[str]:
    """Declares each service's topology (migrating its retry queues first); the names of the
    queues declared."""
    declared = []
    for service in services:
        settings = Settings.from_env(service)
        handlers = importlib.import_module(f"services.{service}.handlers").HANDLERS
        if not handlers:
            continue
        topology = topology_of(settings, list(handlers))
        with open_connection(settings.amqp_url) as connection:
            migrate_retry_queues(connection, topology, drain_margin_s, report)
            topology.declare(connection.default_channel)
        declared.append(topology.queue.name)
    return declared


def main() -> int:
    try:
        names = declare_all()
    except RetryQueueNotEmpty as exc:
        print(exc, file=sys.stderr)
        return 1
    for name in names:
        print(f"declared {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
