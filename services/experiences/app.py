"""create_app for experiences."""

from flask import Flask

from services.chassis.config import Settings
from services.experiences.api import BLUEPRINTS

SERVICE = "experiences"


def create_app(settings: Settings | None = None, **kwargs) -> Flask:
    from services.chassis.web import create_service_app

    settings = settings or Settings.from_env(SERVICE)
    title = "Experiences: users' experiences, responses, evaluations, improvement actions"
    return create_service_app(settings, title, BLUEPRINTS, revocation=True,
                              **kwargs)
