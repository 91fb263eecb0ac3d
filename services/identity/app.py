"""create_app for identity."""

from flask import Flask

from services.chassis.config import Settings
from services.identity.api import BLUEPRINTS

SERVICE = "identity"


def create_app(settings: Settings | None = None, **kwargs) -> Flask:
    from services.chassis.web import create_service_app

    settings = settings or Settings.from_env(SERVICE)
    return create_service_app(settings, "Identity: networks, structures, users, login and tokens", BLUEPRINTS, **kwargs)
