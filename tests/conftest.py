"""Test servers: this machine's PostgreSQL and RabbitMQ (or URLs from the environment).

testcontainers starts them only when no URL is set, the default servers do not answer and a
Docker engine does. Every run creates its own databases and broker names, and drops them after.
"""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from services.chassis.amqp import delete_broker_names

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672//"


def _answers(url: str, default_port: int) -> bool:
    parsed = urlparse(url.replace("+psycopg", ""))
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port),
                                      timeout=2):
            return True
    except OSError:
        return False


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_server_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if url or _answers(DEFAULT_PG, 5432) or not _docker_answers():
        yield (url or DEFAULT_PG).replace("postgresql://", "postgresql+psycopg://", 1)
        return
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver="psycopg") as pg:
        yield pg.get_connection_url()


@pytest.fixture(scope="session")
def amqp_url():
    url = os.environ.get("AMQP_URL")
    if url or _answers(DEFAULT_AMQP, 5672) or not _docker_answers():
        yield url or DEFAULT_AMQP
        return
    from testcontainers.rabbitmq import RabbitMqContainer

    with RabbitMqContainer("rabbitmq:3.13-alpine") as rabbit:
        params = rabbit.get_connection_params()
        yield f"amqp://guest:guest@{params.host}:{params.port}//"


@pytest.fixture(scope="session")
def create_database(pg_server_url):
    """Factory: a fresh PostgreSQL database for this run, dropped at the end of the session."""
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    made: list[str] = []

    def _create(label: str) -> str:
        name = f"spp_test_{label}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return sa.engine.make_url(pg_server_url).set(database=name).render_as_string(
            hide_password=False)

    yield _create
    with admin.connect() as conn:
        for name in made:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def broker_names(amqp_url):
    """A unique exchange and queue prefix for one test; every queue and exchange made is deleted."""
    suffix = uuid.uuid4().hex[:10]
    names = {"exchange": f"spp.test.{suffix}", "prefix": f"spptest{suffix}"}
    yield names
    delete_broker_names(amqp_url, names["exchange"], names["prefix"],
                        ("chassis", "identity", "experiences", "moderation", "diagnostic",
                         "notifier", "bench"), (50, 100, 200, 500, 2000, 10000, 30000))


@pytest.fixture(scope="session")
def tokens():
    """Mint RS256 tokens as identity would, and a verifier that trusts them (for service tests)."""
    import json as _json
    import time as _time

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    from services.chassis.auth import TokenVerifier
    from services.chassis.permissions import permissions_for

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = _json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid="test-key", alg="RS256", use="sig")
    jwks = {"keys": [jwk]}

    class Tokens:
        keys = jwks

        @staticmethod
        def verifier(audience: str) -> TokenVerifier:
            return TokenVerifier(audience, "spp-identity", keys=jwks)

        @staticmethod
        def issue(profile: str, *, sub: str | None = None, missions=("answer", "diagnostic"),
                  network_id: str | None = None, structure_ids=(), perms=None,
                  audience=("identity", "experiences", "moderation", "diagnostic", "notifier"),
                  ttl: int = 900) -> str:
            now = int(_time.time())
            claims = {
                "iss": "spp-identity", "aud": list(audience), "sub": sub or uuid.uuid4().hex,
                "jti": uuid.uuid4().hex, "iat": now, "exp": now + ttl, "profile": profile,
                "perms": sorted(perms if perms is not None else permissions_for(profile, missions)),
                "missions": list(missions), "network_id": network_id,
                "structure_ids": [str(s) for s in structure_ids], "name": f"Test {profile}",
            }
            return jwt.encode(claims, private, algorithm="RS256", headers={"kid": "test-key"})

        @classmethod
        def headers(cls, profile: str, **kwargs) -> dict:
            return {"Authorization": f"Bearer {cls.issue(profile, **kwargs)}"}

    return Tokens
