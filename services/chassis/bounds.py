"""Bounds at the door: what a request must respect before any view reads it.

`check_request` runs first on every request of every service (the app factory installs it):
headers, the correlation id, the path, the body's size and, for a JSON body, its nesting and
its text. `DoorParser` is the webargs parser of the APIs' arguments: it reuses the JSON checked
here and checks query values as it reads them. Each refusal is a 4xx naming the header, the
parameter or the field (see docs/security.md, "Bounds at the door").
"""

from __future__ import annotations

import json
import re

from flask import Request
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from services.chassis.context import CORRELATION_HEADER, valid_correlation_id

MAX_BODY_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 8190  # gunicorn's own bound on one header line
MAX_JSON_DEPTH = 32  # no request of ours nests more than 4 levels
_JSON_KEY = "spp.json"  # the checked body, kept in the WSGI environ for the parser

# In a text: no NUL, no C0 control other than tab and line breaks, no lone surrogate. The
# databases, UTF-8 encoders and password hashes refuse them all; a terminal obeys some.
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# On one line (a path, a query value): no control character at all.
_BAD_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
# A header value may hold a tab (RFC 9110), nothing else below 0x20.
_BAD_HEADER = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


class DoorError(HTTPException):
    """A refusal at the door: rendered by the chassis' HTTP error handler with the name at fault
    (`errors` of the JSON error, nested as marshmallow nests a field's: {"notes": {0: {"text":
    [...]}}}), or as a page by the gateway's."""

    def __init__(self, status: int, location: str, name: str | tuple, message: str):
        super().__init__(description=message)
        self.code = status
        path = tuple(name) if isinstance(name, tuple) else (name,)
        errors: dict | list = [message]
        for part in reversed(path or ("_schema",)):
            errors = {part if isinstance(part, int) else shown(str(part)): errors}
        self.data = {"messages": {location: errors}}


def shown(name: str) -> str:
    """A name from the request as an error may quote it: control characters and lone
    surrogates escaped (a lone surrogate cannot even be encoded in the answer), cut at 200."""
    return _BAD_LINE.sub(lambda m: f"\\u{ord(m.group()):04x}", name)[:200]


_CONTENT_KEYS = ("CONTENT_TYPE", "CONTENT_LENGTH")
_CORRELATION_KEY = "HTTP_" + CORRELATION_HEADER.upper().replace("-", "_")


def _header_name(environ_key: str) -> str:
    """X-Correlation-ID for HTTP_X_CORRELATION_ID."""
    name = environ_key[5:] if environ_key.startswith("HTTP_") else environ_key
    if name.replace("_", "-").lower() == CORRELATION_HEADER.lower():
        return CORRELATION_HEADER
    return name.replace("_", "-").title()


def _refused_character(match: re.Match) -> str:
    return f"Caractère non autorisé (U+{ord(match.group()):04X})."


def check_request(request: Request) -> None:
    """Raise a DoorError for the first bound the request breaks."""
    environ = request.environ
    for key, value in environ.items():  # the environ itself: Headers would copy each one
        if key[:5] == "HTTP_" or key in _CONTENT_KEYS:
            if not isinstance(value, str) or (value.isascii() and value.isprintable()
                                              and len(value) <= MAX_HEADER_BYTES):
                continue  # the usual case, checked in C
            if len(value) > MAX_HEADER_BYTES:
                raise DoorError(400, "headers", _header_name(key),
                                f"En-tête trop long ({MAX_HEADER_BYTES} octets au plus).")
            bad = _BAD_HEADER.search(value)
            if bad:
                raise DoorError(400, "headers", _header_name(key), _refused_character(bad))
    correlation = environ.get(_CORRELATION_KEY)
    if correlation and not valid_correlation_id(correlation):
        raise DoorError(400, "headers", CORRELATION_HEADER, (
            "Identifiant de corrélation invalide : 128 caractères au plus, lettres, chiffres "
            "et . _ : = + / @ - seulement."))
    # PATH_INFO is the path's bytes as latin-1: a control character is the same code point.
    bad = _BAD_LINE.search(environ.get("PATH_INFO", ""))
    if bad:  # no resource of ours has such a name
        raise DoorError(404, "path", "path", _refused_character(bad))
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise DoorError(413, "json", "_schema",
                        f"Corps de requête trop volumineux ({MAX_BODY_BYTES} octets au plus).")
    if "json" in environ.get("CONTENT_TYPE", "").lower() and core.is_json(request.mimetype):
        _check_json(request)


def _check_json(request: Request) -> None:
    raw = request.get_data(cache=True)  # MAX_CONTENT_LENGTH bounds a chunked body too
    if not raw:
        return
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except RecursionError:
        raise DoorError(400, "json", "_schema", _too_deep()) from None
    except ValueError:
        return  # not JSON: webargs answers its own 400
    # Only an escape can put a control character or a lone surrogate in a JSON string, and the
    # nesting is at most the number of brackets: most bodies need no walk at all.
    if "\\u" in text or text.count("[") + text.count("{") > MAX_JSON_DEPTH:
        _walk(data)
    request.environ[_JSON_KEY] = data


def _too_deep() -> str:
    return f"Structure JSON trop imbriquée ({MAX_JSON_DEPTH} niveaux au plus)."


def _walk(data) -> None:
    """Depth and text of every value, without recursion (the depth is what is being checked)."""
    stack: list[tuple[object, tuple, int]] = [(data, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            bad = _BAD_TEXT.search(value)
            if bad:
                raise DoorError(422, "json", path, _refused_character(bad))
        elif isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:  # named by its top-level field
                raise DoorError(400, "json", path[:1], _too_deep())
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    bad = _BAD_TEXT.search(key)
                    if bad:
                        raise DoorError(422, "json", path + (key,), _refused_character(bad))
                stack.append((item, path + (key,), depth + 1))



class DoorParser(FlaskParser):
    """webargs' Flask parser, on the JSON the door already read, with query values checked."""

    def _raw_load_json(self, req: Request):
        if _JSON_KEY in req.environ:
            return req.environ[_JSON_KEY]
        return super()._raw_load_json(req)

    def load_querystring(self, req: Request, schema):
        for name, value in req.args.items(multi=True):
            bad = _BAD_LINE.search(name) or _BAD_LINE.search(value)
            if bad:
                raise DoorError(422, "query", name, _refused_character(bad))
        return super().load_querystring(req, schema)
