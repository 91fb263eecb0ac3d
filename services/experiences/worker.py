"""python -m services.experiences.worker: consumer and outbox relay."""

from services.chassis.config import Settings
from services.chassis.worker import run_worker
from services.experiences.app import SERVICE
from services.experiences.handlers import HANDLERS

if __name__ == "__main__":
    run_worker(Settings.from_env(SERVICE), HANDLERS)
