"""`python -m services.chassis.topology`: declare every service's queues and bindings.

A message published before its consumer's queue exists is unroutable, and the relay cannot
keep it for a queue nobody declared. On a first start the experiences relay may publish before
the moderation worker has declared its queue: declaring every queue first (`make up` and the
compose `migrate` job do) means no event of a first start is lost. Declaring is idempotent: the
workers declare the same queues again with the same arguments.
"""

from __future__ import annotations

import importlib
import sys

from services.chassis.config import Settings
from services.chassis.consumer import Topology, open_connection

BACKENDS = ("identity", "experiences", "moderation", "diagnostic", "notifier")


def topology_of(settings: Settings, event_types: list[str]) -> Topology:
    """The queue of `settings.service`, bound to the event types it handles."""
    return Topology.build(settings.exchange, f"{settings.queue_prefix}.{settings.service}",
                          list(event_types), settings.retry_delays_ms)


def declare_all(services: tuple[str, ...] = BACKENDS) -> list[str]:
    """Declares each service's topology; the names of the queues declared."""
    declared = []
    for service in services:
        settings = Settings.from_env(service)
        handlers = importlib.import_module(f"services.{service}.handlers").HANDLERS
        if not handlers:
            continue
        topology = topology_of(settings, list(handlers))
        with open_connection(settings.amqp_url) as connection:
            topology.declare(connection.default_channel)
        declared.append(topology.queue.name)
    return declared


def main() -> int:
    for name in declare_all():
        print(f"declared {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
