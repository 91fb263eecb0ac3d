"""Login, tokens, JWKS, throttling, invitations and password resets."""

import time

import jwt
import pytest
import sqlalchemy as sa

from services.chassis.auth import TokenVerifier
from services.chassis.errors import ApiError
from services.identity import keys
from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD


def _verifier(platform, audience="experiences") -> TokenVerifier:
    published = platform.client.get("/.well-known/jwks.json").get_json()
    return TokenVerifier(audience, "spp-identity", keys=published)


def test_first_admin_logs_in_and_token_carries_claims(platform):
    response = platform.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["iss"] == "spp-identity"
    assert {"identity", "experiences", "moderation", "diagnostic", "notifier"} <= set(claims["aud"])
    assert claims["exp"] - claims["iat"] == 900
    assert claims["jti"] and claims["profile"] == "admin"
    assert "network:manage" in claims["perms"]


def test_another_services_chassis_accepts_identity_token(platform):
    token = platform.login(ADMIN_EMAIL, ADMIN_PASSWORD).get_json()["access_token"]
    principal = _verifier(platform).verify(token)
    assert principal.profile == "admin" and principal.can("user:manage")


def test_tampered_expired_and_wrong_audience_tokens_are_refused(platform):
    token = platform.login(ADMIN_EMAIL, ADMIN_PASSWORD).get_json()["access_token"]
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    verifier = _verifier(platform)
    with pytest.raises(ApiError) as err:
        verifier.verify(tampered)
    assert err.value.status == 401
    with pytest.raises(ApiError):
        _verifier(platform, audience="somewhere-else").verify(token)
    with platform.db.transaction() as session:
        claims = keys.claims_for(session.get(keys.User, jwt.decode(
            token, options={"verify_signature": False})["sub"]), "spp-identity",
            now=int(time.time()) - 3600)
        expired = keys.sign(session, platform.app.extensions["identity_keys"], claims)
    with pytest.raises(ApiError):
        verifier.verify(expired)
    assert platform.client.get("/me", headers={"Authorization": f"Bearer {expired}"}) \
        .status_code == 401


def test_rotation_keeps_previous_key_published(platform):
    old_token = platform.login(ADMIN_EMAIL, ADMIN_PASSWORD).get_json()["access_token"]
    with platform.db.transaction() as session:
        keys.rotate(session, platform.app.extensions["identity_keys"])
    published = platform.client.get("/.well-known/jwks.json").get_json()
    assert len(published["keys"]) == 2
    new_token = platform.login(ADMIN_EMAIL, ADMIN_PASSWORD).get_json()["access_token"]
    verifier = _verifier(platform)
    assert verifier.verify(old_token).profile == "admin"
    assert verifier.verify(new_token).profile == "admin"
    assert jwt.get_unverified_header(old_token)["kid"] != jwt.get_unverified_header(new_token)["kid"]


def test_unknown_email_and_wrong_password_get_the_same_answer(platform):
    wrong = platform.login(ADMIN_EMAIL, "not the right password", addr="10.1.0.1")
    unknown = platform.login("nobody@spp.test", "not the right password", addr="10.1.0.1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_failures_from_one_address_lock_that_address_out_of_the_account_not_its_owner(platform):
    user = platform.user("moderator", None)
    statuses = [platform.login(user["email"], "wrong password!!", addr="10.2.0.1").status_code
                for _ in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429  # the 6th failure
    refused = platform.login(user["email"], PASSWORD, addr="10.2.0.1")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused.get_json()["code"] == "rate_limited"
    # The owner, elsewhere, is not locked out by someone failing their password.
    assert platform.login(user["email"], PASSWORD, addr="10.2.1.1").status_code == 200


def test_past_the_account_wide_limit_only_known_addresses_get_in(platform):
    extra = platform.app.extensions["spp_settings"].extra
    extra["login_account_limit"] = "4/minute"
    try:
        user = platform.user("moderator", None)
        assert platform.login(user["email"], PASSWORD, addr="10.5.0.1").status_code == 200
        # A distributed guesser: 2 failures from each of 2 addresses, under their own limits.
        for addr in ("10.5.9.1", "10.5.9.1", "10.5.9.2", "10.5.9.2"):
            assert platform.login(user["email"], "wrong password!!", addr=addr) \
                .status_code == 401
        stranger = platform.login(user["email"], PASSWORD, addr="10.5.9.3")
        assert stranger.status_code == 429  # a right password from a new address waits
        assert platform.login(user["email"], PASSWORD, addr="10.5.0.1").status_code == 200
        other = platform.user("moderator", None)  # another account is not concerned
        assert platform.login(other["email"], PASSWORD, addr="10.5.9.3").status_code == 200
    finally:
        extra.pop("login_account_limit")


def test_a_very_long_email_is_throttled_not_a_server_error(platform):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".fr"
    response = platform.login(email, "wrong password!!", addr="10.6.0.1")
    assert response.status_code in (401, 422), response.get_json()


def test_login_is_throttled_per_address(platform):
    platform.app.extensions["spp_settings"].extra["login_address_limit"] = "3/minute"
    try:
        statuses = [platform.login(f"x{i}@spp.test", "wrong password!!", addr="10.3.0.1")
                    .status_code for i in range(4)]
    finally:
        platform.app.extensions["spp_settings"].extra["login_address_limit"] = "10000/minute"
    assert statuses == [401, 401, 401, 429]


def test_address_is_the_hop_the_gateway_saw(platform):
    platform.app.extensions["spp_settings"].extra["login_address_limit"] = "2/minute"
    try:
        statuses = [platform.client.post(
            "/auth/token", json={"email": f"y{i}@spp.test", "password": "wrong password!!"},
            headers={"X-Forwarded-For": f"1.2.3.{i}, 10.9.9.9"}).status_code for i in range(3)]
        other = platform.login(ADMIN_EMAIL, ADMIN_PASSWORD, addr="10.9.9.8")
    finally:
        platform.app.extensions["spp_settings"].extra["login_address_limit"] = "10000/minute"
    assert statuses == [401, 401, 429] and other.status_code == 200


def test_successful_logins_do_not_count_against_the_account(platform):
    for _ in range(8):
        assert platform.login(ADMIN_EMAIL, ADMIN_PASSWORD, addr="10.4.0.1").status_code == 200


def test_login_bad_input_names_the_field(platform):
    response = platform.client.post("/auth/token", json={"email": "not-an-email"})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert "email" in errors and "password" in errors


def test_deactivated_user_cannot_log_in_and_is_refused_at_once(platform):
    network = platform.network()
    user, headers = platform.as_user("agent", network["id"])
    assert platform.client.get("/me", headers=headers).status_code == 200
    response = platform.client.patch(f"/users/{user['id']}", json={"active": False},
                                     headers=platform.admin())
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert platform.client.get("/me", headers=headers).status_code == 401
    assert platform.login(user["email"], PASSWORD).status_code == 401
    deactivated = [p for p in platform.outbox("user.deactivated") if p["id"] == user["id"]]
    assert deactivated and deactivated[0]["active"] is False


def test_invitation_sets_a_password_once(platform):
    network = platform.network()
    body = {"email": "invited@spp.test", "name": "Invitée", "profile": "agent",
            "network_id": network["id"], "missions": ["answer"]}
    created = platform.client.post("/users", json=body, headers=platform.admin())
    assert created.status_code == 201
    user_id = created.get_json()["id"]
    invites = [p for p in platform.outbox("user.invited") if p["user_id"] == user_id]
    assert len(invites) == 1 and invites[0]["email"] == "invited@spp.test"
    token = invites[0]["token"]
    assert platform.login("invited@spp.test", PASSWORD).status_code == 401
    weak = platform.client.post("/auth/password", json={"token": token, "password": "short"})
    assert weak.status_code == 422 and "password" in weak.get_json()["errors"]
    common = platform.client.post("/auth/password",
                                  json={"token": token, "password": "azertyuiop12"})
    assert common.status_code == 422 and "password" in common.get_json()["errors"]
    ok = platform.client.post("/auth/password", json={"token": token, "password": PASSWORD})
    assert ok.status_code == 200
    assert platform.login("invited@spp.test", PASSWORD).status_code == 200
    again = platform.client.post("/auth/password", json={"token": token, "password": PASSWORD})
    assert again.status_code == 422 and "token" in again.get_json()["errors"]


def test_an_invited_account_is_activated_when_its_invitation_is_answered(platform):
    """`activated` tells the notifier when work mail may go to the address: not before the
    invitation's link sets a password, and a reset of an activated account says nothing new."""
    network = platform.network()

    def said(user_id):
        return [(t, p["activated"]) for t in ("user.created", "user.updated")
                for p in platform.outbox(t) if p["id"] == user_id]

    with_password = platform.user("agent", network["id"])
    assert said(with_password["id"]) == [("user.created", True)]
    created = platform.client.post("/users", headers=platform.admin(), json={
        "email": "activated@spp.test", "name": "Invitée", "profile": "agent",
        "network_id": network["id"], "missions": ["answer"]})
    user_id = created.get_json()["id"]
    assert said(user_id) == [("user.created", False)]
    token = [p for p in platform.outbox("user.invited") if p["user_id"] == user_id][0]["token"]
    assert platform.client.post("/auth/password",
                                json={"token": token, "password": PASSWORD}).status_code == 200
    assert said(user_id) == [("user.created", False), ("user.updated", True)]
    platform.reset("activated@spp.test")
    link = [p for p in platform.outbox("user.password_reset_requested")
            if p["user_id"] == user_id][-1]["token"]
    assert platform.client.post("/auth/password", json={
        "token": link, "password": "un autre mot de passe solide"}).status_code == 200
    assert said(user_id) == [("user.created", False), ("user.updated", True)]


def test_a_password_link_says_whether_it_may_still_be_used(platform):
    network = platform.network()
    created = platform.client.post("/users", headers=platform.admin(), json={
        "email": "checked@spp.test", "name": "Vérifiée", "profile": "agent",
        "network_id": network["id"], "missions": ["answer"]})
    user_id = created.get_json()["id"]
    token = [p for p in platform.outbox("user.invited") if p["user_id"] == user_id][0]["token"]
    for _ in range(2):  # asking changes nothing
        open_ = platform.client.post("/auth/password-link", json={"token": token})
        assert open_.status_code == 200 and open_.get_json() == {"state": "open"}
    assert platform.client.post("/auth/password",
                                json={"token": token, "password": PASSWORD}).status_code == 200
    used = platform.client.post("/auth/password-link", json={"token": token})
    assert used.status_code == 410 and "token" in used.get_json()["errors"]
    unknown = platform.client.post("/auth/password-link", json={"token": "pas-un-lien"})
    assert unknown.status_code == 410
    assert platform.client.post("/auth/password-link", json={}).status_code == 422


def test_password_reset_always_accepted_and_event_only_for_known_users(platform):
    network = platform.network()
    user = platform.user("agent", network["id"])
    before = len(platform.outbox("user.password_reset_requested"))
    unknown = platform.reset("ghost@spp.test")
    assert unknown.status_code == 202
    assert len(platform.outbox("user.password_reset_requested")) == before
    known = platform.reset(user["email"])
    assert known.status_code == 202
    links = platform.outbox("user.password_reset_requested")
    assert len(links) == before + 1 and links[-1]["user_id"] == user["id"]
    new_password = "un tout nouveau mot de passe"
    assert platform.client.post("/auth/password", json={"token": links[-1]["token"],
                                                        "password": new_password}).status_code == 200
    assert platform.login(user["email"], new_password).status_code == 200
    assert platform.login(user["email"], PASSWORD).status_code == 401


def test_a_reset_request_runs_the_same_statements_whether_the_account_exists(platform):
    """The answer's time must not tell an attacker which addresses have an account: the request
    only records itself, the same statements for a known address, an unknown one and an
    inactive one; the link and its event come with the worker's pass."""
    from services.identity.worker import handle_resets

    network = platform.network()
    user = platform.user("agent", network["id"])
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def asked(email: str, address: str) -> list[str]:
        statements.clear()
        sa.event.listen(platform.db.engine, "before_cursor_execute", seen)
        try:
            answer = platform.client.post("/auth/password-reset", json={"email": email},
                                          environ_base={"REMOTE_ADDR": address})
        finally:
            sa.event.remove(platform.db.engine, "before_cursor_execute", seen)
        assert answer.status_code == 202 and answer.get_json() == {"status": "accepted"}
        return list(statements)

    before = len(platform.outbox("user.password_reset_requested"))
    known = asked(user["email"], "198.51.100.1")
    unknown = asked("personne@spp.test", "198.51.100.2")
    assert known == unknown and any("reset_requests" in s for s in known)
    assert len(platform.outbox("user.password_reset_requested")) == before  # not yet
    handle_resets(platform.db)
    links = platform.outbox("user.password_reset_requested")
    assert len(links) == before + 1 and links[-1]["user_id"] == user["id"]
    with platform.db.engine.connect() as conn:  # handled requests are not kept
        assert conn.execute(sa.text("SELECT count(*) FROM reset_requests")).scalar() == 0


def test_one_account_gets_three_reset_mails_an_hour_whoever_asks(platform):
    from services.identity.service import RESETS_PER_ACCOUNT_HOUR

    network = platform.network()
    user, other = platform.user("agent", network["id"]), platform.user("agent", network["id"])

    def sent_to(account):
        return [p for p in platform.outbox("user.password_reset_requested")
                if p["user_id"] == account["id"]]

    for i in range(RESETS_PER_ACCOUNT_HOUR + 3):  # from as many addresses
        answer = platform.reset(user["email"], environ_base={"REMOTE_ADDR": f"192.0.2.{i + 1}"})
        assert answer.status_code == 202 and answer.get_json() == {"status": "accepted"}
    assert len(sent_to(user)) == RESETS_PER_ACCOUNT_HOUR == 3
    assert platform.reset(other["email"],
                          environ_base={"REMOTE_ADDR": "192.0.2.99"}).status_code == 202
    assert len(sent_to(other)) == 1  # another account is not held back


def test_password_rehashed_when_parameters_change(platform):
    from argon2 import PasswordHasher

    from services.identity.models import User

    network = platform.network()
    user = platform.user("agent", network["id"])
    with platform.db.transaction() as session:
        row = session.get(User, user["id"])
        row.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1) \
            .hash(PASSWORD)
    assert platform.login(user["email"], PASSWORD).status_code == 200
    with platform.db.transaction() as session:
        assert "m=19456,t=2,p=1" in session.get(User, user["id"]).password_hash


# Sessions: the refresh token renews the 15-minute access token -------------------------------

def _session_of(platform, profile="agent"):
    net = platform.network()
    user = platform.user(profile, net["id"])
    body = platform.login(user["email"], PASSWORD).get_json()
    return user, body


def _refresh(platform, token, addr="10.2.0.1"):
    return platform.client.post("/auth/refresh", json={"refresh_token": token},
                                environ_base={"REMOTE_ADDR": addr})


def test_refresh_gives_a_new_access_token_with_current_rights(platform):
    user, body = _session_of(platform)
    assert body["refresh_token"] and body["refresh_expires_in"] == 7200
    assert platform.client.patch(f"/users/{user['id']}", json={"profile": "super_agent"},
                                 headers=platform.admin()).status_code == 200
    renewed = _refresh(platform, body["refresh_token"])
    assert renewed.status_code == 200, renewed.get_json()
    fresh = renewed.get_json()
    assert fresh["refresh_token"] != body["refresh_token"] and fresh["expires_in"] == 900
    claims = _verifier(platform).verify(fresh["access_token"])
    assert claims.profile == "super_agent"  # the rights are read again, not copied


def test_logout_ends_the_session(platform):
    _user, body = _session_of(platform)
    assert platform.client.post("/auth/logout", json={"refresh_token": body["refresh_token"]}) \
        .status_code == 204
    refused = _refresh(platform, body["refresh_token"])
    assert refused.status_code == 401 and refused.get_json()["code"] == "session_expired"


def test_deactivation_and_new_password_end_every_session(platform):
    user, body = _session_of(platform)
    other = platform.login(user["email"], PASSWORD).get_json()
    assert platform.client.patch(f"/users/{user['id']}", json={"password": "un tout nouveau mot "
                                 "de passe solide"}, headers=platform.admin()).status_code == 200
    assert _refresh(platform, body["refresh_token"]).status_code == 401
    assert _refresh(platform, other["refresh_token"]).status_code == 401

    user, body = _session_of(platform)
    assert platform.client.patch(f"/users/{user['id']}", json={"active": False},
                                 headers=platform.admin()).status_code == 200
    assert _refresh(platform, body["refresh_token"]).status_code == 401


def test_idle_and_too_old_sessions_end(platform):
    from datetime import UTC, datetime, timedelta

    from services.identity.domain import hash_link_token
    from services.identity.models import LoginSession, RefreshToken

    _user, idle = _session_of(platform)
    _user, old = _session_of(platform)
    now = datetime.now(UTC)
    with platform.db.transaction() as session:
        for token, values in ((idle["refresh_token"], {"last_used_at": now - timedelta(hours=3)}),
                              (old["refresh_token"], {"expires_at": now - timedelta(seconds=1)})):
            session_id = session.get(RefreshToken, hash_link_token(token)).session_id
            session.execute(sa.update(LoginSession).where(
                LoginSession.id == session_id).values(**values))
    assert _refresh(platform, idle["refresh_token"]).status_code == 401
    assert _refresh(platform, old["refresh_token"]).status_code == 401


def test_unknown_and_malformed_refresh_tokens_are_refused(platform):
    bad = _refresh(platform, "x" * 43, addr="10.3.0.1")
    assert bad.status_code == 401
    short = _refresh(platform, "abc", addr="10.3.0.1")
    assert short.status_code == 422 and "refresh_token" in short.get_json()["errors"]
