"""The claims identity puts in its tokens."""

from services.identity.keys import AUDIENCE, TOKEN_TTL, claims_for
from services.identity.models import User


def test_claims_carry_scope_permissions_and_lifetime():
    user = User(id="u1", email="a@spp.test", name="Alice", profile="agent",
                missions=["diagnostic"], network_id="n1", structure_ids=["s1", "s2"])
    claims = claims_for(user, "spp-identity", now=1_000)
    assert claims["exp"] - claims["iat"] == TOKEN_TTL == 900
    assert claims["iss"] == "spp-identity" and claims["sub"] == "u1" and claims["jti"]
    assert set(AUDIENCE) >= {"identity", "experiences", "moderation", "diagnostic", "notifier"}
    assert claims["aud"] == AUDIENCE
    assert claims["network_id"] == "n1" and claims["structure_ids"] == ["s1", "s2"]
    assert "diagnostic:fill" in claims["perms"] and "response:draft" not in claims["perms"]
    assert claims_for(user, "x", now=1_000)["jti"] != claims["jti"]


def test_a_sessions_tokens_name_it_and_when_it_began():
    from datetime import UTC, datetime

    from services.identity.models import LoginSession

    user = User(id="u1", email="a@spp.test", name="Alice", profile="agent", missions=[],
                network_id="n1", structure_ids=[])
    login = LoginSession(id="s1", user_id="u1", created_at=datetime(2026, 1, 2, 8, 0, tzinfo=UTC))
    claims = claims_for(user, "spp-identity", now=1_000, login=login)
    assert claims["sid"] == "s1"
    assert claims["auth_time"] == int(datetime(2026, 1, 2, 8, 0, tzinfo=UTC).timestamp())
    assert "sid" not in claims_for(user, "spp-identity", now=1_000)


# The key file -----------------------------------------------------------------------------------

def test_the_key_file_is_made_0600_in_a_0700_folder_and_named_by_its_thumbprint(tmp_path):
    from services.identity.keys import KeySource

    path = tmp_path / "made" / "here" / "key.pem"
    first = KeySource(path=path).current()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    again = KeySource(path=path).current()  # another process: the same key, the same kid
    assert again.kid == first.kid and first.public_jwk["kid"] == first.kid
    assert "d" not in first.public_jwk  # the public half only


def test_a_key_file_readable_by_others_is_closed(tmp_path):
    from services.identity.keys import KeySource, new_private_pem

    path = tmp_path / "key.pem"
    path.write_bytes(new_private_pem())
    path.chmod(0o644)
    KeySource(path=path).current()
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_replaced_key_file_is_picked_up_and_a_bad_one_refused(tmp_path):
    import pytest

    from services.identity.keys import KeySource, KeyUnavailable, new_private_pem

    path = tmp_path / "key.pem"
    source = KeySource(path=path)
    source.STAT_EVERY_S = 0
    before = source.current().kid
    path.write_bytes(new_private_pem())
    assert source.current().kid != before
    path.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeyUnavailable):
        source.current()
    with pytest.raises(KeyUnavailable):
        KeySource(pem="not a pem").current()


def test_a_short_key_is_refused():
    import pytest
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from services.identity.keys import KeyUnavailable, material_from_pem

    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    with pytest.raises(KeyUnavailable, match="2048"):
        material_from_pem(weak)
