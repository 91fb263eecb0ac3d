"""create_app for identity."""

import os

from flask import Flask

from services.chassis.config import Settings
from services.identity.api import BLUEPRINTS

SERVICE = "identity"


def create_app(settings: Settings | None = None, **kwargs) -> Flask:
    from services.chassis.db import Database
    from services.chassis.web import create_service_app
    from services.identity.keys import KeySource, LocalVerifier
    from services.identity.service import bootstrap_admin, check_session

    settings = settings or Settings.from_env(SERVICE)
    db = kwargs.pop("db", None) or Database(settings.database_url)
    key_source = kwargs.pop("key_source", None) or KeySource.from_settings(settings)
    key_source.current()  # a key that cannot be read or made stops identity here, not at login
    verifier = kwargs.pop("verifier", None) or LocalVerifier(db, SERVICE, settings.jwt_issuer)
    app = create_service_app(settings, "Identity: networks, structures, users, login and tokens",
                             BLUEPRINTS, db=db, verifier=verifier, **kwargs)
    app.extensions["identity_keys"] = key_source
    # Every call checks that the token's session has not ended (logout, new password, ...).
    app.extensions["spp_revocation"] = lambda principal: check_session(db, principal)
    bootstrap_admin(db, os.environ.get("SPP_ADMIN_EMAIL"), os.environ.get("SPP_ADMIN_PASSWORD"))
    return app
