"""The app factory pieces every service shares: OpenAPI, errors, health, metrics, correlation."""

from __future__ import annotations

import time

import flask_smorest
import marshmallow as ma
import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request
from flask_smorest import Api
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily

from services.chassis.addresses import resolve_client
from services.chassis.auth import TokenVerifier
from services.chassis.bounds import MAX_BODY_BYTES, DoorParser, check_request
from services.chassis.config import Settings
from services.chassis.consumer import broker_reachable
from services.chassis.context import (
    CORRELATION_HEADER,
    get_correlation_id,
    reset_correlation_id,
    set_correlation_id,
)
from services.chassis.db import Database, outbox_gauges
from services.chassis.errors import register_error_handlers
from services.chassis.logs import configure_logging


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's, with each argument schema made once: given a class, webargs makes an
    instance on every request, and deep-copies its fields each time. Its
    parser reads the JSON checked at the door and checks query values (services.chassis.bounds).
    """

    ARGUMENTS_PARSER = DoorParser()

    def arguments(self, schema, *args, **kwargs):
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)


class ErrorSchema(ma.Schema):
    """The one error shape of every service."""

    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    errors = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)


class ServiceApi(Api):
    ERROR_SCHEMA = ErrorSchema


health = Blueprint("health", __name__, description="Liveness and readiness")


@health.route("/healthz")
@health.response(200)
def healthz():
    """Alive."""
    return {"status": "ok", "service": current_app.extensions["spp_settings"].service}


@health.route("/readyz")
@health.response(200)
@health.alt_response(503, description="Database or broker unreachable")
def readyz():
    """Database and broker reachable."""
    settings: Settings = current_app.extensions["spp_settings"]
    checks = {"broker": False}
    db = current_app.extensions["spp_db"]
    if db is not None:
        checks["database"] = False
        try:
            with db.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            checks["database"] = True
        except Exception:
            pass
    checks["broker"] = broker_reachable(settings.amqp_url)
    ok = all(checks.values())
    return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503


def _install_metrics(app: Flask, db: Database | None, collectors: tuple = ()) -> None:
    registry = CollectorRegistry()
    requests_total = Counter("http_requests_total", "HTTP requests",
                             ["method", "endpoint", "status"], registry=registry)
    latency = Histogram("http_request_duration_seconds", "HTTP request latency",
                        ["method", "endpoint"], registry=registry)
    # Figures read from the database at each scrape: the outbox's, and the service's own.
    readings = [_OutboxCollector(db), *(make(db) for make in collectors)] if db is not None else []
    for reading in readings:
        registry.register(reading)

    @app.before_request
    def _start():
        g._t0 = time.perf_counter()
        # A malformed id is refused below; a fresh one still names this request in the logs.
        g._cid = set_correlation_id(request.headers.get(CORRELATION_HEADER))
        check_request(request)

    @app.after_request
    def _record(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        if "_t0" in g:
            latency.labels(request.method, endpoint).observe(time.perf_counter() - g._t0)
        requests_total.labels(request.method, endpoint, response.status_code).inc()
        response.headers[CORRELATION_HEADER] = get_correlation_id() or ""
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.teardown_request
    def _reset(_exc):
        cid = g.pop("_cid", None)  # teardown runs twice for streamed responses
        if cid is not None:
            reset_correlation_id(cid)

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(_scraped(registry, readings)),
                        mimetype=CONTENT_TYPE_LATEST)


def _scraped(registry: CollectorRegistry, readings: list) -> CollectorRegistry:
    """This process's registry; under gunicorn (services/chassis/gunicorn_conf.py), every
    worker's counters added up from their files, and the database read once."""
    if values.ValueClass is values.MutexValue:  # counters kept in this process's memory
        return registry
    every_worker = CollectorRegistry()
    multiprocess.MultiProcessCollector(every_worker)
    for reading in readings:
        every_worker.register(reading)
    return every_worker


class _OutboxCollector:
    """Rows waiting in the outbox and rows the relay quarantined, read at each scrape: the relay
    runs in the worker, which serves no /metrics, and the database is where both live."""

    def __init__(self, db: Database):
        self.db = db

    def describe(self):
        return []  # no query when the collector is registered

    def collect(self):
        figures = outbox_gauges(self.db)
        if figures is None:
            return
        pending, quarantined = figures
        yield GaugeMetricFamily("spp_outbox_pending_rows",
                                "Outbox rows not yet confirmed by the broker", value=pending)
        yield GaugeMetricFamily(
            "spp_outbox_quarantined_rows",
            "Outbox rows the broker refused, set aside (python -m services.chassis.deadletter)",
            value=quarantined)


def create_service_app(settings: Settings, title: str, blueprints: list,
                       db: Database | None = None, verifier: TokenVerifier | None = None,
                       description: str = "", with_db: bool = True,
                       revocation: bool = False, collectors: tuple = ()) -> Flask:
    """`collectors`: for /metrics, callables that take the database and return a Prometheus
    collector read at each scrape."""
    configure_logging(settings.service, settings.log_level)
    app = Flask(settings.service)
    app.config.update(
        API_TITLE=title,
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False
    app.extensions["spp_settings"] = settings
    app.extensions["spp_db"] = db or (Database(settings.database_url) if with_db else None)
    # Services fed by identity's user events refuse deactivated accounts' tokens at once.
    app.extensions["spp_revocation"] = revocation
    app.extensions["spp_verifier"] = verifier or TokenVerifier(
        audience=settings.service, issuer=settings.jwt_issuer,
        jwks_url=f"{settings.identity_url}/.well-known/jwks.json")
    api = ServiceApi(app, spec_kwargs={"info": {"description": description}})
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.register_blueprint(health)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    register_error_handlers(app)
    _install_metrics(app, app.extensions["spp_db"], collectors)
    app.extensions["spp_api"] = api
    return app


def client_address() -> str:
    """The caller's address behind our own proxies only (`services/chassis/addresses.py`): the
    gateway forwards the usager's; anyone else's `X-Forwarded-For` counts for nothing."""
    return resolve_client(request.remote_addr or "", request.headers.get("X-Forwarded-For", ""))


def db_of(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["spp_db"]


def settings_of(app: Flask | None = None) -> Settings:
    return (app or current_app).extensions["spp_settings"]
