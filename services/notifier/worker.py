"""python -m services.notifier.worker: consumer, outbox relay, e-mail sender and digests."""

import os
from functools import partial

from services.chassis.config import Settings
from services.chassis.worker import run_worker
from services.notifier.app import SERVICE
from services.notifier.handlers import HANDLERS
from services.notifier.mailer import run_digests, send_pending


def _job(name: str, function, **arguments):
    """`function` with its arguments, under `name`: the worker names its thread after a job and
    logs a failed one by that name. Without it the log showed the partial's repr, the whole
    Settings with it: database, broker and SMTP URLs, passwords included."""
    job = partial(function, **arguments)
    job.__name__ = name
    return job


def jobs(settings: Settings) -> list:
    # Several senders, each its share of the e-mails: one alone could not keep up with a busy
    # platform, its time spent waiting for SMTP answers and for each e-mail's commit.
    senders = min(16, max(1, int(os.environ.get("NOTIFIER_SENDERS", "2"))))  # 16 hex digits
    return [(0.1, _job(f"send_pending[{k + 1}/{senders}]", send_pending, settings=settings,
                       share=(k, senders)))
            for k in range(senders)] + \
        [(30.0, _job("run_digests", run_digests, settings=settings))]


if __name__ == "__main__":
    settings = Settings.from_env(SERVICE)
    run_worker(settings, HANDLERS, periodic=jobs(settings))
