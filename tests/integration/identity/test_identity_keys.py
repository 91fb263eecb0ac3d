"""The signing key never sits in the database: a 0600 file or the operator's secret; rotation
keeps the previous public key published while its tokens live; the upgrade moves old keys out."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import sqlalchemy as sa

from services.chassis.auth import TokenVerifier
from services.chassis.config import Settings
from services.chassis.db import Database, migrate
from services.identity import keys
from services.identity.domain import hash_link_token
from services.identity.models import SigningKey
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD


def _published(client) -> dict:
    return client.get("/.well-known/jwks.json").get_json()


def _verify(client, token: str):
    return TokenVerifier("experiences", "spp-identity", keys=_published(client)).verify(token)


def test_the_database_holds_public_keys_only_and_the_file_is_the_owners(platform):
    token = platform.login(ADMIN_EMAIL, ADMIN_PASSWORD).get_json()["access_token"]
    with platform.db.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("signing_keys")}
        rows = conn.execute(sa.text("SELECT * FROM signing_keys")).all()
    assert "private_pem" not in columns
    assert rows and not any("PRIVATE" in str(value) for row in rows for value in row)
    assert all(set(json.loads(row.public_jwk) if isinstance(row.public_jwk, str)
                   else row.public_jwk) >= {"kid", "n", "e"} for row in rows)
    path = platform.app.extensions["identity_keys"].path
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert b"PRIVATE KEY" in path.read_bytes()
    assert jwt.get_unverified_header(token)["kid"] == \
        keys.material_from_pem(path.read_bytes()).kid


def test_a_key_from_the_operators_secret(platform, monkeypatch):
    pem = keys.new_private_pem().decode()
    monkeypatch.setenv("SPP_JWT_PRIVATE_KEY", pem.replace("\n", "\\n"))  # as an env file has it
    source = keys.KeySource.from_settings(Settings.from_env("identity"))
    assert source.from_secret and source.path is None
    with platform.db.transaction() as session:
        user = session.scalars(sa.select(keys.User).where(keys.User.email == ADMIN_EMAIL)).one()
        token = keys.sign(session, source, keys.claims_for(user, "spp-identity"))
    assert jwt.get_unverified_header(token)["kid"] == keys.material_from_pem(pem.encode()).kid
    assert _verify(platform.client, token).profile == "admin"
    with pytest.raises(keys.KeyUnavailable, match="SPP_JWT_PRIVATE_KEY"):
        source.rotate()


def test_a_key_that_cannot_be_used_stops_identity_at_start(create_database, tmp_path):
    from services.identity.app import create_app

    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    settings = Settings.from_env("identity", database_url=create_database("identity_badkey"))
    settings.jwt_private_key_file = str(bad)
    with pytest.raises(keys.KeyUnavailable):
        create_app(settings)


def test_rotation_publishes_the_new_key_and_keeps_the_old_while_its_tokens_live(platform):
    source = platform.app.extensions["identity_keys"]
    old_token = platform.login(ADMIN_EMAIL, ADMIN_PASSWORD).get_json()["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    another_process = keys.KeySource(path=source.path)
    another_process.STAT_EVERY_S = 0
    assert another_process.current().kid == old_kid
    with platform.db.transaction() as session:
        new_kid = keys.rotate(session, source).kid
    assert new_kid != old_kid and source.path.stat().st_mode & 0o777 == 0o600
    assert another_process.current().kid == new_kid  # no restart needed
    new_token = platform.login(ADMIN_EMAIL, ADMIN_PASSWORD).get_json()["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert {old_kid, new_kid} <= {k["kid"] for k in _published(platform.client)["keys"]}
    assert _verify(platform.client, old_token).profile == "admin"
    assert _verify(platform.client, new_token).profile == "admin"
    # Once the tokens it signed are all dead, the old key leaves the JWKS.
    with platform.db.transaction() as session:
        session.execute(sa.update(SigningKey).where(SigningKey.kid == old_kid).values(
            seen_at=datetime.now(UTC) - keys.KEY_RETENTION - timedelta(seconds=1)))
    assert old_kid not in {k["kid"] for k in _published(platform.client)["keys"]}
    assert keys.KEY_RETENTION.total_seconds() > keys.TOKEN_TTL + keys.HEARTBEAT_S


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_the_upgrade_moves_the_databases_key_out_and_keeps_tokens_and_sessions(
        backend, create_database, tmp_path, monkeypatch):
    from services.identity.app import create_app

    url = create_database("identity_keymove") if backend == "postgresql" else \
        f"sqlite:///{tmp_path / 'identity.db'}"
    key_file = tmp_path / "keys" / "jwt-signing.pem"
    monkeypatch.delenv("SPP_JWT_PRIVATE_KEY", raising=False)
    monkeypatch.setenv("SPP_JWT_PRIVATE_KEY_FILE", str(key_file))
    migrate("identity", url, "0003")
    pem = keys.new_private_pem().decode()
    public = keys.material_from_pem(pem.encode()).public_jwk
    old_kid = uuid.uuid4().hex  # kids were random then
    now = datetime.now(UTC)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO signing_keys (kid, private_pem, public_jwk, created_at, active) "
            "VALUES (:kid, :pem, :jwk, :at, :active)"),
            {"kid": old_kid, "pem": pem, "jwk": json.dumps(dict(public, kid=old_kid)),
             "at": now - timedelta(days=3), "active": True})
        conn.execute(sa.text(
            "INSERT INTO users (id, email, name, profile, missions, structure_ids, "
            "notification_frequency, active, created_at) VALUES ('u1', 'admin@spp.test', "
            "'Admin', 'admin', '[]', '[]', 'immediate', :active, :at)"),
            {"active": True, "at": now})
        conn.execute(sa.text(
            "INSERT INTO login_sessions (id, user_id, token_hash, created_at, last_used_at, "
            "expires_at) VALUES ('s1', 'u1', :hash, :at, :at, :until)"),
            {"hash": hash_link_token("r" * 43), "at": now, "until": now + timedelta(hours=8)})
    engine.dispose()
    # A token the old code signed with the database's key, minutes before the upgrade.
    issued = int(time.time())
    old_token = jwt.encode({"iss": "spp-identity", "aud": ["experiences"], "sub": "u1",
                            "iat": issued, "exp": issued + 900, "jti": "j", "profile": "admin"},
                           pem, algorithm="RS256", headers={"kid": old_kid})

    migrate("identity", url)

    assert key_file.read_text() == pem
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.parent.stat().st_mode & 0o777 == 0o700
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert "private_pem" not in {c["name"] for c in sa.inspect(conn).get_columns(
            "signing_keys")}
    engine.dispose()
    settings = Settings.from_env("identity", database_url=url)
    app = create_app(settings, db=Database(url))
    client = app.test_client()
    assert _verify(client, old_token).user_id == "u1"
    renewed = client.post("/auth/refresh", json={"refresh_token": "r" * 43})
    assert renewed.status_code == 200, renewed.get_json()
    new_token = renewed.get_json()["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == keys.material_from_pem(pem.encode()).kid
    assert _verify(client, new_token).user_id == "u1"
    app.extensions["spp_db"].dispose()


def test_the_upgrade_leaves_an_operators_key_alone(create_database, tmp_path, monkeypatch):
    url = create_database("identity_keyop")
    operator_key = tmp_path / "operator.pem"
    operator_key.write_bytes(keys.new_private_pem())
    monkeypatch.setenv("SPP_JWT_PRIVATE_KEY_FILE", str(operator_key))
    before = operator_key.read_bytes()
    migrate("identity", url, "0003")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO signing_keys (kid, private_pem, public_jwk, created_at, active) "
            "VALUES ('old', :pem, '{}', :at, :active)"),
            {"pem": keys.new_private_pem().decode(), "at": datetime.now(UTC), "active": True})
    engine.dispose()
    migrate("identity", url)
    assert operator_key.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["operator.pem"]
