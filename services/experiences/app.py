"""create_app for experiences."""

from flask import Flask

from services.chassis.config import Settings
from services.experiences.api import BLUEPRINTS

SERVICE = "experiences"


def create_app(settings: Settings | None = None, **kwargs) -> Flask:
    from services.chassis.web import create_service_app

    settings = settings or Settings.from_env(SERVICE)
    return create_service_app(settings, "Experiences: users' experiences, responses, evaluations, improvement actions", BLUEPRINTS, **kwargs)
