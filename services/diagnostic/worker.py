"""python -m services.diagnostic.worker: consumer and outbox relay."""

from services.chassis.config import Settings
from services.chassis.worker import run_worker
from services.diagnostic.app import SERVICE
from services.diagnostic.handlers import HANDLERS

if __name__ == "__main__":
    run_worker(Settings.from_env(SERVICE), HANDLERS)
