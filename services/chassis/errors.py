"""One JSON error shape for every 4xx/5xx: {"code", "message", "errors": {field: [...]}}."""

from __future__ import annotations

import logging
import re

from flask import Flask, jsonify
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from services.chassis.events import EventTooLarge
from services.chassis.logs import log_safe, log_unhandled
from services.chassis.refusals import (  # noqa: F401  (re-exported)
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
)

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


# marshmallow's and webargs' own messages, for the fields a service leaves to their defaults.
_FRENCH = {
    "Missing data for required field.": "Ce champ est obligatoire.",
    "Field may not be null.": "Ce champ ne peut pas être vide.",
    "Invalid value.": "Valeur invalide.",
    "Unknown field.": "Champ inconnu.",
    "Invalid input type.": "Type de données invalide.",
    "Invalid type.": "Type de données invalide : un objet est attendu.",
    "Not a valid string.": "Une chaîne de caractères est attendue.",
    "Not a valid utf-8 string.": "Texte UTF-8 invalide.",
    "Not a valid integer.": "Un nombre entier est attendu.",
    "Not a valid number.": "Un nombre est attendu.",
    "Number too large.": "Nombre trop grand.",
    "Not a valid boolean.": "La valeur doit être true ou false.",
    "Not a valid datetime.": "Date et heure invalides (format ISO 8601 attendu).",
    "Not a valid date.": "Date invalide (format AAAA-MM-JJ attendu).",
    "Not a valid time.": "Heure invalide.",
    "Not a valid list.": "Une liste est attendue.",
    "Not a valid tuple.": "Une liste est attendue.",
    "Not a valid mapping type.": "Un objet est attendu.",
    "Not a valid UUID.": "Identifiant invalide.",
    "Not a valid email address.": "Adresse e-mail invalide.",
    "Not a valid URL.": "Adresse web invalide.",
    "String does not match expected pattern.": "Format invalide.",
    "Invalid JSON body.": "Corps JSON illisible ou mal formé.",
}
_FRENCH_PATTERNS = [
    (re.compile(r"^Must be one of: (.*)\.$"), "Valeur attendue parmi : {0}."),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     "Doit contenir entre {0} et {1} caractères (ou éléments)."),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"),
     "Doit contenir au moins {0} caractère(s) (ou élément(s))."),
    (re.compile(r"^Longer than maximum length (\d+)\.$"),
     "Doit contenir au plus {0} caractères (ou éléments)."),
    (re.compile(r"^Length must be (\d+)\.$"), "Doit contenir exactement {0} caractères."),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     "Doit être compris entre {0} et {1}."),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "Doit être supérieur ou égal à {0}."),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), "Doit être inférieur ou égal à {0}."),
    (re.compile(r"^Must be greater than (\S+)\.$"), "Doit être supérieur à {0}."),
    (re.compile(r"^Must be less than (\S+)\.$"), "Doit être inférieur à {0}."),
]


def in_french(messages):
    """The same error structure, with the libraries' English defaults said in French."""
    if isinstance(messages, dict):
        return {key: in_french(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [in_french(value) for value in messages]
    if not isinstance(messages, str):
        return messages
    if messages in _FRENCH:
        return _FRENCH[messages]
    for pattern, french in _FRENCH_PATTERNS:
        match = pattern.match(messages)
        if match:
            return french.format(*match.groups())
    return messages


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

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        return error_response(exc.status, exc.code, exc.message, exc.answer_errors())

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        data = getattr(exc, "data", None) or {}
        errors = in_french(_flatten(data.get("messages", {}))) if data else {}
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

    @app.errorhandler(EventTooLarge)
    def _event_too_large(exc: EventTooLarge):
        # Refused before it reached the outbox, where the broker would have refused it for ever.
        return error_response(422, "validation_error", _MESSAGES[422], {
            name: ["Valeur trop volumineuse pour être transmise aux autres services."]
            for name in exc.fields})

    @app.errorhandler(OverflowError)
    def _too_large_a_number(exc: OverflowError):
        # SQLite's integers stop at 2**63 - 1, where PostgreSQL raises the DataError above.
        log.warning("a number was too large: %s", exc)
        return error_response(422, "validation_error", _MESSAGES[422],
                              {"_schema": ["Un nombre est hors des limites acceptées."]})

    @app.errorhandler(UnicodeError)
    def _unencodable(exc: UnicodeError):
        # The door refuses lone surrogates in JSON; this is the net behind it.
        log.warning("a text could not be encoded: %s", type(exc).__name__)
        return error_response(422, "validation_error", _MESSAGES[422],
                              {"_schema": ["Un texte contient un caractère non autorisé."]})

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_away(exc: OperationalError | InterfaceError):
        # The database restarting or out of reach (SQLite: locked past its timeout): the
        # request can be tried again. The driver's message may quote the statement's values:
        # only its kind is logged.
        log.warning("database unavailable: %s", type(getattr(exc, "orig", exc)).__name__)
        response = error_response(503, "unavailable", _MESSAGES[503])
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(IntegrityError)
    def _constraint(exc: IntegrityError):
        # A uniqueness a concurrent request won: the use cases check first and name the field
        # (a race passes their check); this net keeps it a conflict, not an error.
        log.warning("constraint refused a write: %s", log_safe(exc.orig or exc))
        return error_response(409, "conflict", _MESSAGES[409], {"_schema": [
            "Une autre modification est passée au même moment : rechargez et recommencez."]})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log_unhandled(log, exc)
        return error_response(500, "internal_error", _MESSAGES[500])
