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
