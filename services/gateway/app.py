"""The web gateway: server-side French pages on the DSFR, calling the services' APIs."""

from __future__ import annotations

import functools
import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import (
    Flask,
    abort,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import FileSystemLoader
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from services.chassis.config import VAR, Settings
from services.chassis.errors import error_response
from services.chassis.logs import log_unhandled
from services.gateway import labels
from services.gateway.auth import end_session
from services.gateway.clients import ServiceError, Unavailable, default_clients
from services.gateway.presenters import count_fr, date_fr, field_message, of_name, time_fr

SERVICE = "gateway"
HERE = Path(__file__).resolve().parent
DSFR_DIST = HERE / "node_modules" / "@gouvfr" / "dsfr" / "dist"
STATIC = HERE / "static"
ONE_YEAR = 365 * 24 * 3600
log = logging.getLogger(__name__)

# What the pages say for each HTTP error: (title, message).
ERROR_PAGES = {
    400: ("Demande invalide", "La demande n'a pas pu être comprise. Revenez à la page précédente "
          "et recommencez."),
    403: ("Accès refusé", "Vous n'avez pas les droits pour voir cette page."),
    404: ("Page non trouvée",
          "La page que vous cherchez est introuvable. Vérifiez l'adresse saisie."),
    405: ("Action impossible", "Cette page ne peut pas être utilisée de cette façon. Revenez à "
          "la page précédente et recommencez."),
    413: ("Envoi trop volumineux", "Les données envoyées dépassent la taille autorisée."),
    429: ("Trop de demandes", "Vous avez fait trop de demandes. Patientez un peu et recommencez."),
    500: ("Erreur inattendue", "Une erreur inattendue s'est produite. Veuillez réessayer plus "
          "tard."),
    503: ("Service indisponible", "Le service est momentanément indisponible. Veuillez réessayer "
          "plus tard."),
}
OTHER_ERROR = ("Demande impossible", "La demande n'a pas pu aboutir.")
# Probes and machine routes keep the services' JSON errors.
JSON_BLUEPRINTS = ("health", "api-docs")

csrf = CSRFProtect()

# Every page's hardening headers, set here and nowhere else. No inline script or style
# attribute anywhere in the templates, so the policy needs no 'unsafe-inline'.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'self'",
    "form-action 'self'", "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Links carry single-use tokens (evaluation, password): never in a Referer header.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Machine routes: for probes and Prometheus inside the deployment, never through the proxy.
MACHINE_PATHS = ("/metrics", "/readyz", "/openapi.json")
FORWARDED_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


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
    _install_security(app)
    _install_static(app)
    _install_templating(app)
    _install_error_pages(app)

    from services.gateway.views import (
        admin,
        agent,
        dashboard,
        diagnostic,
        moderation,
        public,
        resources,
        users,
    )
    from services.gateway.views.access import may
    for blueprint in (public.bp, agent.bp, moderation.bp, dashboard.bp, diagnostic.bp, users.bp,
                      admin.bp, resources.bp):
        app.register_blueprint(blueprint)
    app.jinja_env.globals["may"] = may  # the navigation shows only what the token allows
    return app


def _install_security(app: Flask) -> None:
    @app.before_request
    def machine_routes_stay_inside():
        # The reverse proxy adds a forwarding header to everything it passes on: a machine
        # route asked through it is one the internet asked for.
        if request.path in MACHINE_PATHS and any(h in request.headers for h in FORWARDED_HEADERS):
            abort(404)

    @app.after_request
    def harden(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        if not request.path.startswith("/static/"):
            # Signed-in pages and token links must not stay in a shared browser's cache.
            response.headers["Cache-Control"] = "no-store"
            response.headers.setdefault("Vary", "Cookie")
        return response


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

    app.jinja_env.filters["date_fr"] = date_fr
    app.jinja_env.filters["time_fr"] = time_fr
    app.jinja_env.filters["field_message"] = field_message
    app.jinja_env.filters["count_fr"] = count_fr
    app.jinja_env.filters["of_name"] = of_name

    @app.context_processor
    def inject():
        return {"labels": labels, "label": labels.label, "user": current_user(),
                "service_name": "Services Publics+"}


def _json_or_page(api_answer, page_answer, exc: Exception):
    return (api_answer if request.blueprint in JSON_BLUEPRINTS else page_answer)(exc)


def _install_error_pages(app: Flask) -> None:
    def page(status: int, title: str | None = None, message: str | None = None,
             headers: dict | None = None):
        default_title, default_message = ERROR_PAGES.get(status, OTHER_ERROR)
        title, message = title or default_title, message or default_message
        try:
            body = render_template("error.html", title=title, message=message, status=status)
        except Exception:  # the page itself failed (e.g. a broken template): plain French HTML
            log.exception("error page %s could not be rendered", status)
            body = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>'
                    f"{escape(title)} — Services Publics+</title></head><body><h1>"
                    f"{escape(title)}</h1><p>{escape(message)}</p><p>Erreur {status}</p>"
                    f'<p><a href="/">Retour à l\'accueil</a></p></body></html>')
        return body, status, headers or {}

    # The chassis answers its services' errors in JSON (a number too large, a text it cannot
    # encode, the database away…). Here none of those comes from a request's data but from a
    # fault of the page's own: the error page, as any other unexpected error gets.
    spec = app.error_handler_spec.get(None, {}).get(None, {})
    for kind, api_answer in list(spec.items()):
        if not issubclass(kind, HTTPException):
            app.register_error_handler(kind, functools.partial(_json_or_page, api_answer,
                                                               lambda exc: unexpected(exc)))

    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return page(400, "Formulaire expiré",
                    "Le formulaire a expiré ou n'a pas été envoyé depuis ce site. "
                    "Rechargez la page et recommencez.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if request.blueprint in JSON_BLUEPRINTS:
            return error_response(status, "error", ERROR_PAGES.get(status, OTHER_ERROR)[1])
        allow = {k: v for k, v in exc.get_headers() if k == "Allow"}  # kept for a 405
        return page(status, headers=allow)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log_unhandled(log, exc)
        if request.blueprint in JSON_BLUEPRINTS:
            return error_response(500, "internal_error", ERROR_PAGES[500][1])
        return page(500)

    @app.errorhandler(Unavailable)
    def unavailable(exc):
        return page(503, message=exc.message)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if exc.status == 401:
            end_session()
            return redirect(url_for("agent.login", next=request.full_path))
        if exc.status in (403, 404):  # the page the API's answer means, in our words
            return page(exc.status)
        retry = {"Retry-After": exc.retry_after} if exc.retry_after else None
        return page(exc.status, message=exc.message, headers=retry)
