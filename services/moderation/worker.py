"""python -m services.moderation.worker: consumer and outbox relay.

The worker loads the screening's name model before it consumes, so that the first case does
not wait seconds for it; everywhere else screen() still loads it on the first text that
needs it.
"""

from services.chassis.config import Settings
from services.chassis.worker import run_worker
from services.moderation import screening
from services.moderation.app import SERVICE
from services.moderation.handlers import HANDLERS

# A text that goes through every detector and the model: lexicons, first names, patterns,
# and the model's French lexicon (a lower-case name).
WARM_UP_TEXT = ("Reçu par Mme Dupont au 12 rue de la Paix ; merci à la conseillère Sophie "
                "et à kevin garnaudier.")


def warm_up() -> None:
    """Loads the spaCy model and the screening's data files, once, in this process."""
    screening.name_model()
    screening.screen(WARM_UP_TEXT)


if __name__ == "__main__":
    warm_up()
    run_worker(Settings.from_env(SERVICE), HANDLERS)
