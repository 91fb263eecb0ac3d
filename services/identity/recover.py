"""python -m services.identity.recover EMAIL: a password link for an account, printed for the
operator to hand over, when no e-mail can reach its owner (the only administrator locked out, a
relay not set up yet). It is the link « Mot de passe oublié » would e-mail: single use, 24 h,
and using it ends the account's sessions; nothing is e-mailed."""

from __future__ import annotations

import logging
import sys

from services.chassis.config import Settings, gateway_url
from services.chassis.db import Database
from services.chassis.logs import configure_logging
from services.identity.app import SERVICE
from services.identity.service import operator_reset_link

log = logging.getLogger(__name__)


class NoSuchAccount(LookupError):
    pass


def password_link(db: Database, email: str) -> str:
    """The page that sets a new password for the active account of `email`."""
    with db.transaction() as session:
        link = operator_reset_link(session, email)
    if link is None:
        raise NoSuchAccount("no active account has this e-mail address")
    log.info("password link made by the operator for user %s", link["user_id"])  # no address
    return f"{gateway_url()}/mot-de-passe?token={link['token']}"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m services.identity.recover EMAIL", file=sys.stderr)
        return 2
    settings = Settings.from_env(SERVICE)
    configure_logging(SERVICE, settings.log_level)
    db = Database(settings.database_url)
    try:
        print(password_link(db, argv[0]))
    except NoSuchAccount as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print("single use, valid 24 h: hand it to the account's owner only", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
