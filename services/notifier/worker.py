"""python -m services.notifier.worker: consumer, outbox relay, e-mail sender and digests."""

from functools import partial

from services.chassis.config import Settings
from services.chassis.worker import run_worker
from services.notifier.app import SERVICE
from services.notifier.handlers import HANDLERS
from services.notifier.mailer import run_digests, send_pending


def jobs(settings: Settings) -> list:
    return [(0.1, partial(send_pending, settings=settings)),
            (30.0, partial(run_digests, settings=settings))]


if __name__ == "__main__":
    settings = Settings.from_env(SERVICE)
    run_worker(settings, HANDLERS, periodic=jobs(settings))
