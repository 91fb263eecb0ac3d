"""`python -m services.<name>.worker`: the outbox relay and the event consumer of one service."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from services.chassis.alive import Heartbeat
from services.chassis.config import Settings
from services.chassis.consumer import EventConsumer, Handler, open_connection
from services.chassis.db import Database
from services.chassis.logs import configure_logging
from services.chassis.relay import OutboxRelay
from services.chassis.startup import freeze_start_up
from services.chassis.topology import topology_of

log = logging.getLogger(__name__)


def build_consumer(settings: Settings, db: Database, handlers: dict[str, Handler],
                   heartbeat: Callable[[], None] | None = None) -> EventConsumer:
    topology = topology_of(settings, list(handlers))
    return EventConsumer(open_connection(settings.amqp_url), db, handlers, topology,
                         max_attempts=settings.max_attempts, prefetch=settings.prefetch,
                         retry_delays_ms=settings.retry_delays_ms,
                         batch_size=settings.consumer_batch, heartbeat=heartbeat)


def run_worker(settings: Settings, handlers: dict[str, Handler],
               periodic: list[tuple[float, Callable[[Database], None]]] = ()) -> None:
    """Relay and periodic jobs in threads; the consumer in the main thread until SIGTERM."""
    configure_logging(settings.service, settings.log_level)
    db = Database(settings.database_url)
    stop = threading.Event()
    beat = Heartbeat(settings.service)  # the consumer's loop beats; without one, the relay's
    relay = OutboxRelay(db, settings.amqp_url, settings.exchange,
                        heartbeat=None if handlers else beat)
    threads = [threading.Thread(target=relay.run_forever, args=(stop,), name="relay", daemon=True)]
    for interval, job in periodic:
        threads.append(threading.Thread(target=_every, args=(stop, interval, job, db),
                                        name=getattr(job, "__name__", "job"), daemon=True))
    for thread in threads:
        thread.start()
    consumer = build_consumer(settings, db, handlers, heartbeat=beat) if handlers else None

    def _stop(*_):
        stop.set()
        if consumer is not None:
            consumer.should_stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    freeze_start_up()  # after the service's own warm-up (moderation's name model) and ours
    log.info("worker started")
    if consumer is not None:
        consumer.run()
    else:
        stop.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    log.info("worker stopped")


def _every(stop: threading.Event, interval: float, job, db: Database) -> None:
    while not stop.wait(interval):
        try:
            job(db)
        except Exception:
            # Never the job's repr: a partial's shows its settings, passwords included.
            log.exception("periodic job %s failed", getattr(job, "__name__", "job"))
