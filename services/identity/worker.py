"""python -m services.identity.worker: consumer, outbox relay and password-reset requests."""

from services.chassis.config import Settings
from services.chassis.db import Database
from services.chassis.worker import run_worker
from services.identity import service
from services.identity.app import SERVICE
from services.identity.handlers import HANDLERS

RESETS_EVERY_S = 1.0


def handle_resets(db: Database) -> None:
    """The recorded « mot de passe oublié » requests, a batch per transaction until none is left."""
    while True:
        with db.transaction() as session:
            read = service.handle_resets(session)
        if read < service.RESETS_PER_RUN:
            return


if __name__ == "__main__":
    run_worker(Settings.from_env(SERVICE), HANDLERS, periodic=[(RESETS_EVERY_S, handle_resets)])
