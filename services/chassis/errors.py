"""One JSON error shape for every 4xx/5xx: {"code", "message", "errors": {field: [...]}}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
    500: "internal_error", 503: "unavailable",
}
_MESSAGES = {
    400: "Requête invalide.", 401: "Authentification requise.", 403: "Action non autorisée.",
    404: "Ressource introuvable.", 405: "Méthode non autorisée.", 409: "Conflit avec l'état actuel.",
    413: "Requête trop volumineuse.", 415: "Type de contenu non pris en charge.",
    422: "Certains champs sont invalides.", 429: "Trop de requêtes, réessayez plus tard.",
    500: "Erreur interne.", 503: "Service momentanément indisponible.",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str | None = None, message: str | None = None,
                 errors: dict | None = None):
        super().__init__(message or _MESSAGES.get(status, ""))
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message or _MESSAGES.get(status, "Erreur.")
        self.errors = errors or {}


def not_found(what: str = "Ressource") -> ApiError:
    return ApiError(404, "not_found", f"{what} introuvable.")


def conflict(message: str, **errors) -> ApiError:
    return ApiError(409, "conflict", message, {k: [v] for k, v in errors.items()})


def _flatten(errors) -> dict:
    """webargs nests errors by location ({"json": {"title": [...]}}): keep the field level."""
    if not isinstance(errors, dict):
        return {"_schema": errors if isinstance(errors, list) else [str(errors)]}
    flat: dict = {}
    for location, value in errors.items():
        if location in ("json", "query", "querystring", "form", "headers", "files", "path") \
                and isinstance(value, dict):
            flat.update(value)
        else:
            flat[location] = value
    return flat


def error_response(status: int, code: str, message: str, errors: dict | None = None):
    response = jsonify({"code": code, "message": message, "errors": errors or {}})
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        response = error_response(exc.status, exc.code, exc.message, exc.errors)
        if getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        data = getattr(exc, "data", None) or {}
        errors = _flatten(data.get("messages", {})) if data else {}
        message = _MESSAGES.get(status, exc.description or "Erreur.")
        if status == 400 and exc.description and not errors:
            message = "Requête invalide : corps JSON illisible ou mal formé."
        return error_response(status, _CODES.get(status, "error"), message, errors)

    @app.errorhandler(DataError)
    def _out_of_range(exc: DataError):
        # A value the schema let through but the database cannot hold (e.g. a huge number).
        log.warning("database refused a value: %s", exc.orig)
        return error_response(422, "validation_error", _MESSAGES[422],
                              {"_schema": ["Une valeur est hors des limites acceptées."]})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", _MESSAGES[500])
