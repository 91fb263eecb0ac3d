"""create_app for diagnostic."""

from flask import Flask

from services.chassis.config import Settings
from services.diagnostic.api import BLUEPRINTS

SERVICE = "diagnostic"


def create_app(settings: Settings | None = None, **kwargs) -> Flask:
    from services.chassis.web import create_service_app

    settings = settings or Settings.from_env(SERVICE)
    return create_service_app(settings, "Diagnostic: a structure's local self-diagnostic",
                              BLUEPRINTS, revocation=True,
                              **kwargs)
