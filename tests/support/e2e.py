"""The platforms the e2e tests start (tests/e2e/conftest.py's `platform`) and their clients: where
each service listens, the seeded administrator, the API calls and the mail catcher's letters.

Two platforms may run side by side: SQLite (every e2e test, on `PORT_BASE`) and PostgreSQL (the
lifecycle and personal-data tests, on `PG_PORT_BASE`). `url()` points at the one the current test
module uses (`use_platform`, called by the `platform` fixture).
"""

from __future__ import annotations

import email
import os
import time
from collections.abc import Callable
from email import policy

import requests

PORT_BASE = int(os.environ.get("SPP_E2E_PORT_BASE", "18000"))  # a second run aside
# The PostgreSQL platform's ports, beside the SQLite one's (its mail catcher on base + 25).
PG_PORT_BASE = int(os.environ.get("SPP_E2E_PG_PORT_BASE", str(PORT_BASE + 50)))
_ACTIVE = {"port_base": PORT_BASE}
SERVICES = ["gateway", "identity", "experiences", "moderation", "diagnostic", "notifier"]
ADMIN = ("admin@e2e.localhost", "un-mot-de-passe-e2e-solide")
PASSWORD = "correct horse battery staple 42"  # every user the tests create


def wait_until(predicate, timeout: float = 60, interval: float = 0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = predicate()
        except requests.RequestException:
            value = None
        if value:
            return value
        time.sleep(interval)
    return None


def use_platform(port_base: int) -> None:
    """Send `url()`, and so every helper here, to the platform listening from `port_base`."""
    _ACTIVE["port_base"] = port_base


def url(service: str, path: str = "", port_base: int | None = None) -> str:
    base = _ACTIVE["port_base"] if port_base is None else port_base
    return f"http://127.0.0.1:{base + SERVICES.index(service)}{path}"


class Api:
    """The calls the scenarios make, on a platform whose addresses `url_of(service, path)` gives
    (the e2e platforms' fixed ports, or a compose run's)."""

    def __init__(self, url_of: Callable[..., str]):
        self.url = url_of

    def login(self, address: str, password: str) -> dict:
        """The Authorization header of a user signed in to identity."""
        response = requests.post(self.url("identity", "/auth/token"),
                                 json={"email": address, "password": password}, timeout=20)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def post(self, service, path, headers=None, expect=(200, 201, 202), **body):
        """POST a JSON body to a service; the JSON answer, once its status is one expected."""
        response = requests.post(self.url(service, path), json=body, headers=headers, timeout=20)
        assert response.status_code in expect, (path, response.status_code, response.text)
        return response.json()


    def approve_when_pending(self, moderator: dict, exp_id: str, structure_id: str) -> dict:
        """Wait for moderation to open the experience's case, then approve it for the
        structure; the decision."""

        def pending_case():
            cases = requests.get(self.url("moderation", "/cases?status=pending&per_page=100"),
                                 headers=moderator, timeout=10).json()["items"]
            return next((c for c in cases if c["experience_id"] == exp_id), None)

        case = wait_until(pending_case, 30)
        assert case, "moderation never opened a case"
        return self.post("moderation", f"/cases/{case['id']}/approve", moderator,
                         structure_id=structure_id)


def login(address: str, password: str) -> dict:
    return Api(url).login(address, password)


def post(service, path, headers=None, expect=(200, 201, 202), **body):
    return Api(url).post(service, path, headers, expect, **body)


def approve_when_pending(moderator: dict, exp_id: str, structure_id: str) -> dict:
    return Api(url).approve_when_pending(moderator, exp_id, structure_id)


def mails_to(folder, to: str) -> list[email.message.EmailMessage]:
    """The letters the mail catcher kept in `folder` for the address `to`, oldest first."""
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if to in [r.strip() for r in message.get("X-Envelope-To", "").split(",")]:
            found.append(message)
    return found


def text_of(message) -> str:
    """A letter's plain text (its HTML when it has no plain part)."""
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part else ""
