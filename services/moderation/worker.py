"""python -m services.moderation.worker: consumer and outbox relay."""

from services.chassis.config import Settings
from services.chassis.worker import run_worker
from services.moderation.app import SERVICE
from services.moderation.handlers import HANDLERS

if __name__ == "__main__":
    run_worker(Settings.from_env(SERVICE), HANDLERS)
