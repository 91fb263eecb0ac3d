"""Ended sessions and deactivated accounts are refused at once by the other services, not when
their tokens expire; a reactivation does not revive the tokens issued before it."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa

from services.chassis.auth import TokenVerifier
from services.chassis.config import Settings
from services.chassis.consumer import EventConsumer
from services.chassis.db import Database, migrate
from services.chassis.events import Event, parse_event
from services.experiences.app import create_app
from services.experiences.handlers import HANDLERS

PASSWORD = "une phrase de passe assez longue"
ADMIN = ("admin@revocation.test", "correct horse battery staple")


class SidTokens:
    """Tokens as identity now issues them: with a session id (`sid`), at a chosen `iat`."""

    def __init__(self):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        jwk.update(kid="sid-key", alg="RS256", use="sig")
        self.jwk = jwk

    def issue(self, sub: str, sid: str | None = None, iat: int | None = None) -> str:
        iat = int(time.time()) if iat is None else iat
        claims = {"iss": "spp-identity", "aud": ["experiences"], "sub": sub, "jti": uuid.uuid4().hex,
                  "iat": iat, "exp": iat + 900, "profile": "agent",
                  "perms": ["experience:read"], "missions": ["answer"], "network_id": None,
                  "structure_ids": [], "name": "Agent"}
        if sid:
            claims["sid"] = sid
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": "sid-key"})


@pytest.fixture(scope="module")
def sid_tokens():
    return SidTokens()


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def service(request, create_database, tokens, sid_tokens, tmp_path_factory):
    # SQLite as `make up` runs it: it hands datetimes back as text unless typed.
    url = create_database("revocation") if request.param == "postgresql" else \
        f"sqlite:///{tmp_path_factory.mktemp('revocation') / 'experiences.db'}"
    migrate("experiences", url)
    db = Database(url)
    verifier = TokenVerifier("experiences", "spp-identity",
                             keys={"keys": tokens.keys["keys"] + [sid_tokens.jwk]})
    app = create_app(Settings.from_env("experiences", database_url=url), db=db, verifier=verifier)
    yield app.test_client(), db
    db.dispose()


def _deliver(db, event: Event) -> None:
    parsed, loaded = parse_event(event.to_json())
    EventConsumer(None, db, HANDLERS, None).handle(HANDLERS[parsed.type], parsed, loaded)


def _user_event(db, event_type: str, user_id: str, active: bool, at: datetime) -> None:
    payload = {"id": user_id, "email": "agent@spp.test", "name": "Agent", "profile": "agent",
               "missions": ["answer"], "network_id": None, "structure_ids": [],
               "notification_frequency": "immediate", "active": active}
    _deliver(db, Event(type=event_type, payload=payload, producer="identity", occurred_at=at))


def _sessions_event(db, user_id: str, session_ids: list[str], at: datetime | None = None) -> None:
    _deliver(db, Event(type="user.sessions_revoked", producer="identity",
                       payload={"user_id": user_id, "session_ids": session_ids,
                                "reason": "logout"},
                       occurred_at=at or datetime.now(UTC)))


def _status(client, token: str) -> tuple[int, dict]:
    response = client.get("/experiences", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.get_json()


def test_deactivation_refuses_tokens_already_issued(service, tokens):
    client, db = service
    user_id = str(uuid.uuid4())
    token = tokens.issue("agent", sub=user_id)
    assert _status(client, token)[0] == 200
    _user_event(db, "user.deactivated", user_id, False, datetime.now(UTC))
    status, body = _status(client, token)
    assert status == 401 and body["code"] == "account_disabled"
    other = tokens.issue("agent")  # someone else is not concerned
    assert _status(client, other)[0] == 200


def test_reactivation_does_not_revive_the_tokens_issued_before_the_deactivation(service,
                                                                               sid_tokens):
    client, db = service
    user_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    before = sid_tokens.issue(user_id, iat=int(now.timestamp()) - 60)
    assert _status(client, before)[0] == 200
    _user_event(db, "user.deactivated", user_id, False, now - timedelta(seconds=30))
    _user_event(db, "user.updated", user_id, True, now - timedelta(minutes=5))  # late, older
    assert _status(client, before)[1]["code"] == "account_disabled"
    _user_event(db, "user.updated", user_id, True, now - timedelta(seconds=10))  # reactivated
    status, body = _status(client, before)
    assert status == 401 and body["code"] == "session_revoked"
    after = sid_tokens.issue(user_id, iat=int(now.timestamp()))  # a login since: welcome
    assert _status(client, after)[0] == 200
    _user_event(db, "user.updated", user_id, True, now)  # a later update changes nothing
    assert _status(client, before)[0] == 401 and _status(client, after)[0] == 200


def test_a_token_issued_after_the_deactivation_is_not_caught_by_it(service, tokens):
    client, db = service
    user_id = str(uuid.uuid4())
    _user_event(db, "user.deactivated", user_id, False,
                datetime.now(UTC) - timedelta(seconds=5))
    time.sleep(0.01)
    # Identity issues none to an inactive account; one issued after a reactivation whose
    # event has not arrived yet must still work.
    assert _status(client, tokens.issue("agent", sub=user_id))[0] == 200


def test_an_ended_session_is_refused_at_once_and_only_it(service, sid_tokens):
    client, db = service
    user_id = str(uuid.uuid4())
    ended, other = str(uuid.uuid4()), str(uuid.uuid4())
    token, other_token = sid_tokens.issue(user_id, ended), sid_tokens.issue(user_id, other)
    assert _status(client, token)[0] == 200  # verified once: remembered by the verifier
    _sessions_event(db, user_id, [ended])
    status, body = _status(client, token)
    assert status == 401 and body["code"] == "session_revoked"
    assert _status(client, other_token)[0] == 200  # the user's other session goes on
    _sessions_event(db, user_id, [ended])  # a repeat (another event) changes nothing
    assert _status(client, token)[0] == 401 and _status(client, other_token)[0] == 200


def test_ended_sessions_are_forgotten_once_their_tokens_are_dead(service, sid_tokens):
    client, db = service
    user_id = str(uuid.uuid4())
    old, recent = str(uuid.uuid4()), str(uuid.uuid4())
    _sessions_event(db, user_id, [old], at=datetime.now(UTC) - timedelta(hours=2))
    _sessions_event(db, user_id, [recent])
    with db.engine.connect() as conn:
        keys = set(conn.execute(sa.text("SELECT user_id FROM revoked_users")).scalars())
    assert f"sid:{recent}" in keys and f"sid:{old}" not in keys
    assert _status(client, sid_tokens.issue(user_id, recent))[0] == 401


# From identity's own events ------------------------------------------------------------------

@pytest.fixture(scope="module")
def identity(create_database, tmp_path_factory):
    from services.identity.app import create_app as create_identity

    url = create_database("revocation_identity")
    migrate("identity", url)
    settings = Settings.from_env("identity", database_url=url)
    settings.jwt_private_key_file = str(tmp_path_factory.mktemp("keys") / "jwt.pem")
    settings.extra = {"login_address_limit": "10000/minute"}
    mp = pytest.MonkeyPatch()
    mp.delenv("SPP_JWT_PRIVATE_KEY", raising=False)
    mp.setenv("SPP_ADMIN_EMAIL", ADMIN[0])
    mp.setenv("SPP_ADMIN_PASSWORD", ADMIN[1])
    app = create_identity(settings)
    mp.undo()
    yield app
    app.extensions["spp_db"].dispose()


class Pipeline:
    """identity's outbox carried to experiences' consumer, as the relay and the broker would."""

    def __init__(self, identity, service):
        self.identity = identity.test_client()
        self.identity_db = identity.extensions["spp_db"]
        self.client, self.db = service
        jwks = self.identity.get("/.well-known/jwks.json").get_json()
        self.verifier = TokenVerifier("experiences", "spp-identity", keys=jwks)
        self.client.application.extensions["spp_verifier"] = self.verifier
        with self.identity_db.engine.connect() as conn:
            self.seen = conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM outbox")).scalar()

    def carry(self) -> list[str]:
        with self.identity_db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, body FROM outbox WHERE id > :seen ORDER BY id"),
                                {"seen": self.seen}).all()
        types = []
        for row_id, body in rows:
            event, payload = parse_event(body)
            if event.type in HANDLERS:
                EventConsumer(None, self.db, HANDLERS, None).handle(HANDLERS[event.type], event,
                                                                    payload)
            types.append(event.type)
            self.seen = row_id
        return types

    def login(self, email: str, password: str = PASSWORD) -> dict:
        response = self.identity.post("/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def admin(self) -> dict:
        return {"Authorization": f"Bearer {self.login(*ADMIN)['access_token']}"}

    def agent(self) -> dict:
        admin = self.admin()
        tag = uuid.uuid4().hex[:8]
        network = self.identity.post("/networks", json={"code": f"n{tag}", "name": "Réseau"},
                                     headers=admin).get_json()
        structures = [self.identity.post("/structures", headers=admin, json={
            "network_id": network["id"], "name": f"Agence {i}"}).get_json()["id"]
            for i in range(2)]
        user = self.identity.post("/users", headers=admin, json={
            "email": f"agent.{tag}@spp.test", "name": "Agent", "profile": "agent",
            "missions": ["answer"], "network_id": network["id"], "structure_ids": structures,
            "password": PASSWORD}).get_json()
        self.carry()
        return user

    def patch(self, user: dict, **changes) -> None:
        response = self.identity.patch(f"/users/{user['id']}", json=changes, headers=self.admin())
        assert response.status_code == 200, response.get_json()

    def status(self, tokens: dict) -> tuple[int, str | None]:
        response = self.client.get("/experiences",
                                   headers={"Authorization": f"Bearer {tokens['access_token']}"})
        return response.status_code, (response.get_json() or {}).get("code")


@pytest.fixture
def pipeline(identity, service):
    return Pipeline(identity, service)


def test_logout_ends_that_sessions_tokens_in_the_other_services(pipeline):
    user = pipeline.agent()
    first, second = pipeline.login(user["email"]), pipeline.login(user["email"])
    assert pipeline.status(first) == (200, None) and pipeline.status(second) == (200, None)
    assert pipeline.identity.post("/auth/logout", json={
        "refresh_token": first["refresh_token"]}).status_code == 204
    assert "user.sessions_revoked" in pipeline.carry()
    assert pipeline.status(first) == (401, "session_revoked")
    assert pipeline.status(second) == (200, None)  # the agent's other session goes on


def test_a_new_password_ends_every_session_everywhere(pipeline):
    user = pipeline.agent()
    first, second = pipeline.login(user["email"]), pipeline.login(user["email"])
    pipeline.patch(user, password="un tout nouveau mot de passe solide")
    pipeline.carry()
    assert pipeline.status(first) == (401, "session_revoked")
    assert pipeline.status(second) == (401, "session_revoked")
    fresh = pipeline.login(user["email"], "un tout nouveau mot de passe solide")
    pipeline.carry()
    assert pipeline.status(fresh) == (200, None)


def test_removal_from_a_structure_ends_the_tokens_that_still_name_it(pipeline):
    user = pipeline.agent()
    tokens = pipeline.login(user["email"])
    assert pipeline.status(tokens) == (200, None)
    pipeline.patch(user, structure_ids=user["structure_ids"][:1])
    pipeline.carry()
    assert pipeline.status(tokens) == (401, "session_revoked")
    again = pipeline.login(user["email"])
    assert jwt.decode(again["access_token"], options={"verify_signature": False})[
        "structure_ids"] == user["structure_ids"][:1]
    assert pipeline.status(again) == (200, None)


def test_a_reactivated_agents_old_tokens_stay_dead(pipeline):
    user = pipeline.agent()
    tokens = pipeline.login(user["email"])
    pipeline.patch(user, active=False)
    assert {"user.deactivated", "user.sessions_revoked"} <= set(pipeline.carry())
    assert pipeline.status(tokens)[0] == 401
    pipeline.patch(user, active=True)
    pipeline.carry()
    assert pipeline.status(tokens) == (401, "session_revoked")
    refused = pipeline.identity.post("/auth/refresh",
                                     json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401
    fresh = pipeline.login(user["email"])
    assert pipeline.status(fresh) == (200, None)
