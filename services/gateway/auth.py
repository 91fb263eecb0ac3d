"""The agent's session: the identity token and its expiry, kept in the signed session cookie."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from flask import current_app, flash, redirect, request, session, url_for

from services.chassis.addresses import resolve_client
from services.gateway.calls import calling
from services.gateway.presenters import token_claims

EXPIRY_MARGIN_S = 30  # log out a little before the token dies, not in the middle of a form
RENEW_BEFORE_S = 120  # renew the access token this long before it expires
SESSION_EXPIRED = "Votre session a expiré. Veuillez vous reconnecter."


@dataclass(frozen=True)
class User:
    token: str
    profile: str
    name: str
    email: str
    expires_at: float

    @property
    def is_moderator(self) -> bool:
        return self.profile in ("moderator", "admin")

    @property
    def is_super_agent(self) -> bool:
        return self.profile == "super_agent"

    @property
    def is_agent(self) -> bool:
        return self.profile in ("agent", "super_agent", "referent", "admin")


def client_address() -> str:
    """The person's address, passed on to the APIs for their rate limits: resolved here behind
    the operator's reverse proxy (`SPP_TRUSTED_PROXIES`), so one address per person."""
    return resolve_client(request.remote_addr or "", request.headers.get("X-Forwarded-For", ""))


def store_login(answer: dict, email: str, now: float | None = None,
                renewal: bool = False) -> None:
    """Keep the tokens from POST /auth/token (or /auth/refresh) and when the access one expires.

    A login starts a new session (nothing of the one before survives it); a renewal keeps the
    rest of this one: its CSRF token above all, which forms opened in other tabs carry."""
    now = time.time() if now is None else now
    token = answer["access_token"]
    claims = token_claims(token)
    expires_in = int(answer.get("expires_in") or 900)
    if not renewal:
        session.clear()
    session.permanent = True
    session["token"] = token
    session["expires_at"] = now + expires_in - EXPIRY_MARGIN_S
    session["profile"] = str(claims.get("profile", ""))
    session["name"] = str(claims.get("name") or email)
    session["email"] = email
    if answer.get("refresh_token"):
        session["refresh_token"] = answer["refresh_token"]


def renew_if_due(now: float | None = None) -> None:
    """Before each request: swap a token about to expire for a new one while the session lives.

    Identity ends the session after 2 hours without activity, 10 hours after login, at logout,
    on a new password, a deactivation or fewer rights; then the agent signs in again. Each
    renewal replaces the refresh token: the new one is kept, as identity ends the session when
    a replaced one comes back (after a short grace, for a page's parallel requests).
    """
    now = time.time() if now is None else now
    refresh = session.get("refresh_token")
    if not refresh or not session.get("token"):
        return
    if float(session.get("expires_at", 0)) - now > RENEW_BEFORE_S:
        return
    with calling(raising=()) as call:
        # The person's address: identity counts failed renewals per address, and the
        # gateway's own would put every agent in one count.
        answer = clients()["identity"].post("/auth/refresh", json={"refresh_token": refresh},
                                            forwarded_for=client_address())
    if call.unavailable or call.refused((429,)):
        return  # the current token lives on, if it still does; next request tries again
    if call.failed:
        end_session()
        return
    if not answer.get("refresh_token"):  # an identity that does not rotate them yet
        answer = dict(answer, refresh_token=refresh)
    store_login(answer, session.get("email", ""), now=now, renewal=True)


def end_session() -> None:
    """The session is over (expired, or ended at identity): forget it, and say so."""
    session.clear()
    flash(SESSION_EXPIRED, "info")


def current_user(now: float | None = None) -> User | None:
    token = session.get("token")
    if not token:
        return None
    now = time.time() if now is None else now
    if float(session.get("expires_at", 0)) <= now:
        return None
    return User(token=token, profile=session.get("profile", ""), name=session.get("name", ""),
                email=session.get("email", ""), expires_at=float(session["expires_at"]))


def login_required(view):
    """Redirect to the login page when there is no session or it has expired."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_user() is None:
            if session.get("token"):
                end_session()
            return redirect(url_for("agent.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def clients() -> dict:
    return current_app.extensions["gateway_clients"]
