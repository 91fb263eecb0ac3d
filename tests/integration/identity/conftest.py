"""An identity app on a fresh PostgreSQL database, its first admin, and helpers to act as anyone."""

import itertools
import json

import pytest
import sqlalchemy as sa

from services.chassis.config import Settings
from services.chassis.db import migrate
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD

_seq = itertools.count(1)


@pytest.fixture(scope="module")
def identity_app(create_database, tmp_path_factory):
    from services.identity.app import create_app

    url = create_database("identity")
    migrate("identity", url)
    settings = Settings.from_env("identity", database_url=url)
    settings.jwt_private_key_file = str(tmp_path_factory.mktemp("keys") / "jwt-signing.pem")
    settings.extra = {"login_address_limit": "10000/minute"}
    mp = pytest.MonkeyPatch()
    mp.delenv("SPP_JWT_PRIVATE_KEY", raising=False)
    mp.setenv("SPP_ADMIN_EMAIL", ADMIN_EMAIL)
    mp.setenv("SPP_ADMIN_PASSWORD", ADMIN_PASSWORD)
    app = create_app(settings)
    mp.undo()
    yield app
    app.extensions["spp_db"].dispose()


class Platform:
    """Drives the API the way an operator would."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.db = app.extensions["spp_db"]
        self._admin = None

    def login(self, email: str, password: str, addr: str = "10.0.0.1"):
        return self.client.post("/auth/token", json={"email": email, "password": password},
                                environ_base={"REMOTE_ADDR": addr})

    def headers(self, email: str, password: str = PASSWORD) -> dict:
        response = self.login(email, password)
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    def admin(self) -> dict:
        if self._admin is None:
            self._admin = self.headers(ADMIN_EMAIL, ADMIN_PASSWORD)
        return self._admin

    def network(self, code: str | None = None) -> dict:
        code = code or f"net{next(_seq)}"
        response = self.client.post("/networks", json={"code": code, "name": f"Réseau {code}"},
                                    headers=self.admin())
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def structure(self, network_id: str, headers=None, **extra) -> dict:
        body = {"network_id": network_id, "name": f"Agence {next(_seq)}", **extra}
        response = self.client.post("/structures", json=body, headers=headers or self.admin())
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def user(self, profile: str, network_id: str | None, headers=None, **extra) -> dict:
        body = {"email": f"{profile}{next(_seq)}@spp.test", "name": f"Test {profile}",
                "profile": profile, "network_id": network_id, "password": PASSWORD, **extra}
        response = self.client.post("/users", json=body, headers=headers or self.admin())
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def as_user(self, profile: str, network_id: str | None, **extra) -> tuple[dict, dict]:
        user = self.user(profile, network_id, **extra)
        return user, self.headers(user["email"])

    def login_body(self, email: str, password: str = PASSWORD, addr: str = "10.0.0.1") -> dict:
        response = self.login(email, password, addr)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def reset(self, email: str, **request):
        """« Mot de passe oublié » as a visitor asks it, then the worker's pass over the
        recorded requests; the answer to the visitor."""
        from services.identity.worker import handle_resets

        answer = self.client.post("/auth/password-reset", json={"email": email}, **request)
        handle_resets(self.db)
        return answer

    def outbox(self, event_type: str) -> list[dict]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT body FROM outbox WHERE event_type = :t ORDER BY id"),
                                {"t": event_type}).scalars().all()
        return [json.loads(body)["payload"] for body in rows]


@pytest.fixture(scope="module")
def platform(identity_app) -> Platform:
    return Platform(identity_app)
