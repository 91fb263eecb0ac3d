"""The web gateway: server-side French pages on the DSFR, calling the services' APIs."""

from flask import Flask, render_template

from services.chassis.config import Settings

SERVICE = "gateway"


def create_app(settings: Settings | None = None, **kwargs) -> Flask:
    from services.chassis.web import create_service_app

    settings = settings or Settings.from_env(SERVICE)
    app = create_service_app(settings, "Gateway: the web site", [], with_db=False, **kwargs)

    @app.get("/")
    def home():
        return render_template("home.html")

    return app
