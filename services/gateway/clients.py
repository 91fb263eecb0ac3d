"""HTTP clients for the services the gateway shows: one small class, errors as exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

from services.chassis.config import service_url

TIMEOUT = (3.05, 10)  # connect, read (seconds)
# A 403's `errors.permission` lists the permissions the token lacks: codes, never words for a
# page (its message says it in French). Never kept, so no page shows them.
CODES_ONLY = "permission"


class ServiceError(Exception):
    """A service answered with an error (or did not answer); carries its field errors."""

    def __init__(self, status: int, code: str, message: str,
                 errors: dict[str, list[str]] | None = None, retry_after: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = {k: v for k, v in (errors or {}).items() if k != CODES_ONLY}
        self.retry_after = retry_after


class Unavailable(ServiceError):
    """The service did not answer (connection refused, time-out, 5xx)."""


def checked_path(path: str) -> str:
    """A service path as the pages build it, with ids from their own URL, decoded: a `?` or a
    `#` in one would open a query or a fragment, a `%` another encoding, a `..` segment reach
    another resource. Quoted, and without dot segments (a service never has one): 404."""
    if any(segment in (".", "..") for segment in path.split("/")):
        raise ServiceError(404, "not_found", "La page demandée n'existe pas.")
    return quote(path, safe="/")


class ServiceClient:
    """JSON calls to one service, with a bearer token and a forwarded client address."""

    def __init__(self, service: str, base_url: str | None = None,
                 session: requests.Session | None = None):
        self.service = service
        self.base_url = (base_url or service_url(service)).rstrip("/")
        self.http = session or requests.Session()

    def request(self, method: str, path: str, *, token: str | None = None,
                json: Any = None, params: dict | None = None,
                forwarded_for: str | None = None) -> Any:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        if params:
            params = {k: v for k, v in params.items() if v not in (None, "")}
        try:
            response = self.http.request(method, self.base_url + checked_path(path),
                                         json=json, params=params,
                                         headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise Unavailable(503, "unavailable",
                              "Le service est momentanément indisponible. "
                              "Veuillez réessayer plus tard.") from exc
        return self._decode(response)

    @staticmethod
    def _decode(response: requests.Response) -> Any:
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        if response.status_code >= 500:
            raise Unavailable(response.status_code, "unavailable",
                              "Le service est momentanément indisponible. "
                              "Veuillez réessayer plus tard.")
        if response.status_code >= 400:
            body = body if isinstance(body, dict) else {}
            errors = body.get("errors") or {}
            if not isinstance(errors, dict):
                errors = {}
            errors = flat_errors(errors)
            raise ServiceError(response.status_code, str(body.get("code", "error")),
                               str(body.get("message") or "La demande n'a pas pu aboutir."),
                               errors, response.headers.get("Retry-After"))
        return {} if body is None else body  # a 204, or a JSON null: the pages call .get()

    def get(self, path: str, **kwargs) -> Any:
        return self.request("GET", path, **kwargs)

    def get_all(self, path: str, *, params: dict | None = None, page_size: int = 500,
                max_pages: int = 40, **kwargs) -> list:
        """Every item of a paged list (a big network has more structures than one page)."""
        items: list = []
        for page in range(1, max_pages + 1):
            answer = self.get(path, params={**(params or {}), "page": page,
                                            "per_page": page_size}, **kwargs)
            batch = list(answer.get("items", [])) if isinstance(answer, dict) else []
            items.extend(batch)
            if len(batch) < page_size or (not answer.get("total_capped")
                                          and len(items) >= int(answer.get("total") or 0)):
                break
        return items

    def post(self, path: str, **kwargs) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> Any:
        return self.request("PUT", path, **kwargs)

    def _raw(self, path: str, headers: dict, stream: bool = False) -> requests.Response:
        """A non-JSON GET; the service's error raised as a ServiceError."""
        try:
            response = self.http.request("GET", self.base_url + checked_path(path),
                                         headers=headers,
                                         timeout=TIMEOUT, stream=stream)
        except requests.RequestException as exc:
            raise Unavailable(503, "unavailable",
                              "Le service est momentanément indisponible. "
                              "Veuillez réessayer plus tard.") from exc
        if response.status_code >= 400:
            with response:
                self._decode(response)  # raises with the service's error
        return response

    def download(self, path: str, *, token: str | None = None) -> tuple[bytes, str, str]:
        """A non-JSON answer (e.g. a CSV export): (body, content type, suggested file name)."""
        headers = {"Accept": "*/*"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self._raw(path, headers)
        return response.content, *_type_and_name(response)

    def stream(self, path: str, *, forwarded_for: str) -> tuple[Iterator[bytes], str, str]:
        """A long public file passed on as it comes: (chunks, content type, file name). The
        answer is read only as the chunks are, and closed at their end."""
        response = self._raw(path, {"Accept": "*/*", "X-Forwarded-For": forwarded_for},
                             stream=True)

        def chunks() -> Iterator[bytes]:
            with response:
                yield from response.iter_content(STREAM_CHUNK)

        return chunks(), *_type_and_name(response)


STREAM_CHUNK = 64 * 1024


def _type_and_name(response: requests.Response) -> tuple[str, str]:
    disposition = response.headers.get("Content-Disposition", "")
    filename = disposition.partition("filename=")[2].strip('"; ') or "export"
    return response.headers.get("Content-Type", "application/octet-stream"), filename


def default_clients() -> dict[str, ServiceClient]:
    """One client per service, base URLs from `<SERVICE>_URL` or the local ports."""
    return {name: ServiceClient(name)
            for name in ("identity", "experiences", "moderation", "diagnostic", "notifier")}


def flat_errors(errors: dict, prefix: str = "") -> dict[str, list[str]]:
    """Field errors under dotted names: marshmallow nests them for nested schemas
    ({"fields": {"title": {"masks": [...]}}} is `fields.title.masks`)."""
    out: dict[str, list[str]] = {}

    def walk(name: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{name}.{key}" if name else str(key), inner)
        elif isinstance(value, list | tuple):
            for inner in value:
                walk(name, inner)
        else:
            out.setdefault(name, []).append(str(value))

    walk(prefix, errors)
    return out
