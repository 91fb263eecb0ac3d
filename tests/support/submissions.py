"""Usagers submitting experiences while a fault is under way (the chaos and cluster tests): a
failure is retried at once only when the request surely never reached a server; otherwise the
experience is first looked up by its token, so that none is created twice."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests


@dataclass
class Submission:
    i: int
    token: str
    structure: int
    reject: bool
    author: str
    exp_id: str | None = None
    submitted_at: float = 0.0  # when its id was known
    attempts: int = 0
    refused: int = 0  # failures where the request surely never reached a server
    ambiguous: int = 0  # failures after the request may have been handled
    adopted: bool = False  # an ambiguous attempt had in fact created the experience
    errors: list[str] = field(default_factory=list)


def surely_not_sent(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text


def find(experiences_url: str, admin: dict, token: str) -> list[str] | None:
    """Ids of the experiences whose title carries the token (None while the API is down)."""
    try:
        response = requests.get(f"{experiences_url}/experiences", headers=admin,
                                params={"q": token, "per_page": 10}, timeout=10)
    except requests.RequestException:
        return None
    return [e["id"] for e in response.json()["items"]] if response.ok else None


def submit(sub: Submission, experiences_url: str, admin: dict, office: str,
           failures: list[str]) -> None:
    """Post `sub` (to the structure hint « <office> <n> ») until its id is known, for 120 s at
    most; what cannot be resolved goes to `failures`."""
    body = {"title": f"Expérience {sub.token}", "body": "Un accueil clair et rapide au guichet.",
            "structure_hint": f"{office} {sub.structure}", "postal_code": "75011",
            "channel": "in_person", "occurred_on": "2026-11-02", "feeling": "positive",
            "author_name": "Usager", "author_email": sub.author}
    deadline = time.time() + 120
    while time.time() < deadline:
        sub.attempts += 1
        try:
            # No pooled session: a stale keep-alive connection would blur the diagnosis.
            response = requests.post(f"{experiences_url}/experiences", json=body, timeout=10)
        except requests.RequestException as exc:
            sub.errors.append(type(exc).__name__)
            sure = surely_not_sent(exc)
        else:
            if response.status_code == 202:
                sub.exp_id, sub.submitted_at = response.json()["id"], time.time()
                return
            sub.errors.append(f"HTTP {response.status_code}")
            if response.status_code < 500:
                failures.append(f"{sub.token}: {response.status_code} {response.text[:200]}")
                return
            sure = False  # a 5xx might come after the commit
        time.sleep(0.5)
        if sure:
            sub.refused += 1
            continue
        # Ambiguous: look for the experience before sending it again (a user would look at
        # their e-mail or the site; here the admin API), once the service answers again.
        sub.ambiguous += 1
        found, until = None, time.time() + 60
        while found is None and time.time() < until:
            found = find(experiences_url, admin, sub.token)
            if found is None:
                time.sleep(0.5)
        if found is None:
            failures.append(f"{sub.token}: the experiences API never came back")
            return
        if found:
            sub.exp_id, sub.submitted_at, sub.adopted = found[0], time.time(), True
            return
    failures.append(f"{sub.token}: still failing after 120 s ({sub.errors[-3:]})")
