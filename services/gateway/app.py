"""The web gateway: server-side French pages on the DSFR, calling the services' APIs."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import (
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import FileSystemLoader

from services.chassis.config import VAR, Settings
from services.gateway import labels
from services.gateway.clients import ServiceError, Unavailable, default_clients

SERVICE = "gateway"
HERE = Path(__file__).resolve().parent
DSFR_DIST = HERE / "node_modules" / "@gouvfr" / "dsfr" / "dist"
STATIC = HERE / "static"
ONE_YEAR = 365 * 24 * 3600

csrf = CSRFProtect()


def secret_key(var_dir: Path = VAR) -> str:
    """`SPP_SECRET_KEY`, else the key kept in var/gateway_secret (created once, shared by workers)."""
    from_env = os.environ.get("SPP_SECRET_KEY")
    if from_env:
        return from_env
    path = Path(var_dir) / "gateway_secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:  # the first worker to start writes it; the others read it
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        import time
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it or set SPP_SECRET_KEY")


def create_app(settings: Settings | None = None, clients: dict | None = None,
               var_dir: Path | None = None, **kwargs) -> Flask:
    from services.chassis.web import create_service_app

    settings = settings or Settings.from_env(SERVICE)
    app = create_service_app(settings, "Gateway: the web site", [], with_db=False, **kwargs)
    app.root_path = str(HERE)
    app.jinja_loader = FileSystemLoader(str(HERE / "templates"))
    app.config.update(
        SECRET_KEY=secret_key(var_dir or VAR),
        SESSION_COOKIE_NAME="spp_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("SPP_COOKIE_SECURE") == "1",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),  # identity's longest session
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=False,
    )
    app.extensions["gateway_clients"] = clients or default_clients()
    csrf.init_app(app)
    _install_static(app)
    _install_templating(app)
    _install_error_pages(app)

    from services.gateway.views import agent, dashboard, diagnostic, moderation, public, users
    from services.gateway.views.access import may
    for blueprint in (public.bp, agent.bp, moderation.bp, dashboard.bp, diagnostic.bp, users.bp):
        app.register_blueprint(blueprint)
    app.jinja_env.globals["may"] = may  # the navigation shows only what the token allows
    return app


def _install_static(app: Flask) -> None:
    @app.get("/static/dsfr/<path:filename>")
    def dsfr_static(filename: str):
        if not DSFR_DIST.is_dir():
            abort(404)
        response = send_from_directory(DSFR_DIST, filename, max_age=ONE_YEAR)
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response

    @app.get("/static/<path:filename>")
    def static_files(filename: str):
        response = send_from_directory(STATIC, filename, max_age=3600)
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response


def _install_templating(app: Flask) -> None:
    from services.gateway.auth import current_user, renew_if_due

    @app.before_request
    def renew_token():
        if request.blueprint != "health" and request.endpoint not in ("dsfr_static",
                                                                       "static_files"):
            renew_if_due()

    @app.context_processor
    def inject():
        return {"labels": labels, "label": labels.label, "user": current_user(),
                "service_name": "Services Publics+"}


def _install_error_pages(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        return render_template("error.html", title=title, message=message, status=status), status

    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return page(400, "Formulaire expiré",
                    "Le formulaire a expiré ou n'a pas été envoyé depuis ce site. "
                    "Rechargez la page et recommencez.")

    @app.errorhandler(404)
    def not_found(_exc):
        return page(404, "Page non trouvée",
                    "La page que vous cherchez est introuvable. Vérifiez l'adresse saisie.")

    @app.errorhandler(Unavailable)
    def unavailable(exc):
        return page(503, "Service indisponible", exc.message)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if exc.status == 401:
            session.clear()
            flash("Votre session a expiré. Veuillez vous reconnecter.", "info")
            return redirect(url_for("agent.login", next=request.full_path))
        if exc.status == 403:
            return page(403, "Accès refusé", "Vous n'avez pas les droits pour voir cette page.")
        if exc.status == 404:
            return not_found(exc)
        return page(exc.status, "Demande impossible", exc.message)
