"""create_app for moderation."""

from flask import Flask

from services.chassis.config import Settings
from services.moderation.api import BLUEPRINTS

SERVICE = "moderation"


def create_app(settings: Settings | None = None, **kwargs) -> Flask:
    from services.chassis.web import create_service_app

    settings = settings or Settings.from_env(SERVICE)
    return create_service_app(settings, "Moderation: screening, routing and decisions",
                              BLUEPRINTS, revocation=True, **kwargs)
