"""create_app for notifier."""

from flask import Flask

from services.chassis.config import Settings
from services.notifier.api import BLUEPRINTS
from services.notifier.metrics import EmailCollector

SERVICE = "notifier"


def create_app(settings: Settings | None = None, **kwargs) -> Flask:
    from services.chassis.web import create_service_app

    settings = settings or Settings.from_env(SERVICE)
    return create_service_app(settings, "Notifier: e-mails to agents, super agents and authors",
                              BLUEPRINTS, revocation=True, collectors=(EmailCollector,),
                              **kwargs)
