"""Sessions end tokens at once; refresh tokens rotate with reuse detection; links die with the
password they were made to replace."""

import threading
from datetime import UTC, datetime, timedelta

import jwt
import sqlalchemy as sa

from services.identity import models
from services.identity.domain import hash_link_token
from tests.support.identity import PASSWORD

NEW_PASSWORD = "un tout nouveau mot de passe solide"


def _bearer(body: dict) -> dict:
    return {"Authorization": f"Bearer {body['access_token']}"}


def _claims(body: dict) -> dict:
    return jwt.decode(body["access_token"], options={"verify_signature": False})


def _refresh(platform, token: str):
    return platform.client.post("/auth/refresh", json={"refresh_token": token},
                                environ_base={"REMOTE_ADDR": "10.8.0.1"})


def _agent(platform, **extra) -> tuple[dict, dict]:
    network = platform.network()
    structures = [platform.structure(network["id"])["id"] for _ in range(2)]
    user = platform.user("agent", network["id"], missions=["answer", "diagnostic"],
                         structure_ids=structures, **extra)
    return user, platform.login_body(user["email"])


def _revoked(platform, user_id: str) -> list[dict]:
    return [p for p in platform.outbox("user.sessions_revoked") if p["user_id"] == user_id]


def _age_replacement(platform, token: str, seconds: int = 120) -> None:
    with platform.db.transaction() as session:
        session.execute(sa.update(models.RefreshToken).where(
            models.RefreshToken.token_hash == hash_link_token(token))
            .values(replaced_at=datetime.now(UTC) - timedelta(seconds=seconds)))


def test_tokens_name_their_session(platform):
    user, body = _agent(platform)
    claims = _claims(body)
    with platform.db.transaction() as session:
        login = session.get(models.LoginSession, claims["sid"])
        assert login.user_id == user["id"]
        assert claims["auth_time"] == int(login.created_at.timestamp())
    renewed = _refresh(platform, body["refresh_token"]).get_json()
    assert _claims(renewed)["sid"] == claims["sid"]  # a renewal stays in the session
    assert _claims(renewed)["auth_time"] == claims["auth_time"]


def test_refresh_tokens_rotate_and_a_replaced_one_used_again_ends_the_session(platform):
    user, body = _agent(platform)
    first = _refresh(platform, body["refresh_token"])
    assert first.status_code == 200
    rotated = first.get_json()["refresh_token"]
    assert rotated != body["refresh_token"]
    second = _refresh(platform, rotated).get_json()
    assert platform.client.get("/me", headers=_bearer(second)).status_code == 200
    # The login's token, replaced a while ago, comes back: it was copied. The session ends,
    # for whoever holds its newest token too.
    _age_replacement(platform, body["refresh_token"])
    reused = _refresh(platform, body["refresh_token"])
    assert reused.status_code == 401 and reused.get_json()["code"] == "session_expired"
    assert _refresh(platform, second["refresh_token"]).status_code == 401
    me = platform.client.get("/me", headers=_bearer(second))
    assert me.status_code == 401 and me.get_json()["code"] == "session_revoked"
    revoked = _revoked(platform, user["id"])
    assert revoked[-1]["session_ids"] == [_claims(body)["sid"]]
    assert revoked[-1]["reason"] == "refresh_reused"


def test_a_page_renewing_twice_at_once_keeps_its_session(platform):
    _user, body = _agent(platform)
    answers, barrier = [], threading.Barrier(4)

    def renew():
        client = platform.app.test_client()
        barrier.wait()
        answers.append(client.post("/auth/refresh", json={"refresh_token": body["refresh_token"]}))

    threads = [threading.Thread(target=renew) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200] * 4
    kept, *siblings = [a.get_json()["refresh_token"] for a in answers]
    assert len({kept, *siblings}) == 4  # each request its own; whichever the cookie keeps works
    renewed = _refresh(platform, kept)
    assert renewed.status_code == 200
    # That renewal retired the siblings too: one coming back later was copied.
    _age_replacement(platform, siblings[0])
    assert _refresh(platform, siblings[0]).status_code == 401
    assert _refresh(platform, renewed.get_json()["refresh_token"]).status_code == 401


def test_logout_refuses_the_sessions_access_token_at_once(platform):
    user, body = _agent(platform)
    other = platform.login_body(user["email"])
    assert platform.client.get("/me", headers=_bearer(body)).status_code == 200
    assert platform.client.post("/auth/logout", json={"refresh_token": body["refresh_token"]}) \
        .status_code == 204
    me = platform.client.get("/me", headers=_bearer(body))
    assert me.status_code == 401 and me.get_json()["code"] == "session_revoked"
    assert platform.client.get("/me", headers=_bearer(other)).status_code == 200
    revoked = _revoked(platform, user["id"])
    assert revoked == [{"user_id": user["id"], "session_ids": [_claims(body)["sid"]],
                        "reason": "logout"}]
    # Logging out again, or with an already replaced token of the session, changes nothing.
    assert platform.client.post("/auth/logout", json={"refresh_token": body["refresh_token"]}) \
        .status_code == 204
    assert len(_revoked(platform, user["id"])) == 1


def test_a_new_password_ends_every_session_and_its_tokens(platform):
    user, body = _agent(platform)
    other = platform.login_body(user["email"])
    assert platform.client.patch(f"/users/{user['id']}", json={"password": NEW_PASSWORD},
                                 headers=platform.admin()).status_code == 200
    for tokens in (body, other):
        assert platform.client.get("/me", headers=_bearer(tokens)).status_code == 401
        assert _refresh(platform, tokens["refresh_token"]).status_code == 401
    revoked = _revoked(platform, user["id"])[-1]
    assert sorted(revoked["session_ids"]) == sorted([_claims(body)["sid"], _claims(other)["sid"]])
    assert revoked["reason"] == "password_changed"
    fresh = platform.login_body(user["email"], NEW_PASSWORD)
    assert platform.client.get("/me", headers=_bearer(fresh)).status_code == 200


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(platform):
    user, body = _agent(platform)
    other = platform.login_body(user["email"])
    platform.reset(user["email"])
    link = [p["token"] for p in platform.outbox("user.password_reset_requested")
            if p["user_id"] == user["id"]][-1]
    changed = platform.client.post("/me/password", headers=_bearer(body), json={
        "current_password": PASSWORD, "password": NEW_PASSWORD})
    assert changed.status_code == 200
    assert platform.client.get("/me", headers=_bearer(body)).status_code == 200
    assert _refresh(platform, body["refresh_token"]).status_code == 200
    assert platform.client.get("/me", headers=_bearer(other)).status_code == 401
    revoked = _revoked(platform, user["id"])[-1]
    assert revoked == {"user_id": user["id"], "session_ids": [_claims(other)["sid"]],
                       "reason": "password_changed"}
    assert platform.login(user["email"], PASSWORD).status_code == 401
    assert platform.login(user["email"], NEW_PASSWORD).status_code == 200
    late = platform.client.post("/auth/password", json={"token": link,
                                                        "password": "encore un autre mot de passe"})
    assert late.status_code == 422  # the reset link died with the old password


def test_a_wrong_current_password_changes_nothing_and_is_throttled(platform):
    user, body = _agent(platform)
    statuses = []
    for _ in range(6):
        wrong = platform.client.post("/me/password", headers=_bearer(body), json={
            "current_password": "pas le bon mot de passe", "password": NEW_PASSWORD})
        statuses.append(wrong.status_code)
        if wrong.status_code == 422:
            assert wrong.get_json()["errors"] == {
                "current_password": ["Le mot de passe actuel est incorrect."]}
    assert statuses[:4] == [422] * 4 and statuses[-1] == 429
    right = platform.client.post("/me/password", headers=_bearer(body), json={
        "current_password": PASSWORD, "password": NEW_PASSWORD})
    assert right.status_code == 429  # even the right one waits: no guessing past the limit
    assert platform.login(user["email"], PASSWORD).status_code == 200


def test_a_weak_or_unchanged_new_password_is_refused_on_its_field(platform):
    user, body = _agent(platform)
    weak = platform.client.post("/me/password", headers=_bearer(body), json={
        "current_password": PASSWORD, "password": "court"})
    assert weak.status_code == 422 and "password" in weak.get_json()["errors"]
    same = platform.client.post("/me/password", headers=_bearer(body), json={
        "current_password": PASSWORD, "password": PASSWORD})
    assert same.status_code == 422 and "password" in same.get_json()["errors"]
    assert platform.client.post("/me/password", json={
        "current_password": PASSWORD, "password": NEW_PASSWORD}).status_code == 401


def test_fewer_rights_end_the_sessions_more_rights_do_not(platform):
    user, body = _agent(platform)
    # More: a super agent may do all an agent may, and more; renewal brings the new rights.
    assert platform.client.patch(f"/users/{user['id']}", json={"profile": "super_agent"},
                                 headers=platform.admin()).status_code == 200
    assert platform.client.get("/me", headers=_bearer(body)).status_code == 200
    body = _refresh(platform, body["refresh_token"]).get_json()
    assert _claims(body)["profile"] == "super_agent"
    for change in ({"structure_ids": user["structure_ids"][:1]}, {"missions": ["answer"]},
                   {"profile": "agent"}):
        assert platform.client.patch(f"/users/{user['id']}", json=change,
                                     headers=platform.admin()).status_code == 200
        me = platform.client.get("/me", headers=_bearer(body))
        assert me.status_code == 401 and me.get_json()["code"] == "session_revoked", change
        assert _refresh(platform, body["refresh_token"]).status_code == 401
        assert _revoked(platform, user["id"])[-1]["reason"] == "rights_reduced"
        body = platform.login_body(user["email"])


def test_a_name_or_email_change_keeps_the_session(platform):
    user, body = _agent(platform)
    assert platform.client.patch(f"/users/{user['id']}", json={"name": "Autre Nom"},
                                 headers=platform.admin()).status_code == 200
    assert platform.client.get("/me", headers=_bearer(body)).status_code == 200
    assert _revoked(platform, user["id"]) == []


def test_deactivation_ends_sessions_and_links_and_a_reactivation_revives_neither(platform):
    network = platform.network()
    created = platform.client.post("/users", headers=platform.admin(), json={
        "email": "dormant@spp.test", "name": "Dormante", "profile": "agent",
        "network_id": network["id"], "missions": ["answer"]})
    user = created.get_json()
    invitation = [p for p in platform.outbox("user.invited") if p["user_id"] == user["id"]][0]
    assert platform.client.patch(f"/users/{user['id']}", json={"password": PASSWORD},
                                 headers=platform.admin()).status_code == 200
    body = platform.login_body(user["email"])
    for active in (False, True):
        assert platform.client.patch(f"/users/{user['id']}", json={"active": active},
                                     headers=platform.admin()).status_code == 200
    assert platform.client.get("/me", headers=_bearer(body)).status_code == 401
    assert _refresh(platform, body["refresh_token"]).status_code == 401
    assert _revoked(platform, user["id"])[-1]["reason"] == "deactivated"
    # The invitation died when the password was set by the administrator.
    late = platform.client.post("/auth/password", json={"token": invitation["token"],
                                                        "password": NEW_PASSWORD})
    assert late.status_code == 422 and "token" in late.get_json()["errors"]
    assert platform.login(user["email"], PASSWORD).status_code == 200


def test_an_older_reset_link_dies_when_a_newer_one_is_used(platform):
    user, body = _agent(platform)
    for _ in range(2):
        assert platform.reset(user["email"]).status_code == 202
    older, newer = [p["token"] for p in platform.outbox("user.password_reset_requested")
                    if p["user_id"] == user["id"]]
    assert platform.client.post("/auth/password", json={"token": newer,
                                                        "password": NEW_PASSWORD}).status_code == 200
    again = platform.client.post("/auth/password", json={"token": older,
                                                         "password": "encore un autre mot de passe"})
    assert again.status_code == 422 and "token" in again.get_json()["errors"]
    assert platform.login(user["email"], NEW_PASSWORD).status_code == 200
    # The session open before the reset is over, its access token too.
    assert platform.client.get("/me", headers=_bearer(body)).status_code == 401
    assert _revoked(platform, user["id"])[-1]["reason"] == "password_changed"


def test_a_reset_link_dies_when_the_password_changes_another_way(platform):
    user, _body = _agent(platform)
    platform.reset(user["email"])
    link = [p["token"] for p in platform.outbox("user.password_reset_requested")
            if p["user_id"] == user["id"]][-1]
    assert platform.client.patch(f"/users/{user['id']}", json={"password": NEW_PASSWORD},
                                 headers=platform.admin()).status_code == 200
    late = platform.client.post("/auth/password", json={"token": link,
                                                        "password": "encore un autre mot de passe"})
    assert late.status_code == 422
    assert platform.login(user["email"], NEW_PASSWORD).status_code == 200


def test_rotation_reuse_and_revocation_on_sqlite_as_make_up_runs_it(tmp_path, monkeypatch):
    from services.chassis.config import Settings
    from services.chassis.db import migrate
    from services.identity.app import create_app
    from tests.support.identity import ADMIN_EMAIL, ADMIN_PASSWORD

    url = f"sqlite:///{tmp_path / 'identity.db'}"
    migrate("identity", url)
    settings = Settings.from_env("identity", database_url=url)
    settings.jwt_private_key_file = str(tmp_path / "keys" / "jwt.pem")
    monkeypatch.delenv("SPP_JWT_PRIVATE_KEY", raising=False)
    monkeypatch.setenv("SPP_ADMIN_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("SPP_ADMIN_PASSWORD", ADMIN_PASSWORD)
    app = create_app(settings)
    client = app.test_client()
    body = client.post("/auth/token", json={"email": ADMIN_EMAIL,
                                            "password": ADMIN_PASSWORD}).get_json()
    answers, barrier = [], threading.Barrier(3)

    def renew():
        barrier.wait()
        answers.append(app.test_client().post("/auth/refresh",
                                              json={"refresh_token": body["refresh_token"]}))

    threads = [threading.Thread(target=renew) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200] * 3
    latest = answers[0].get_json()
    with app.extensions["spp_db"].transaction() as session:
        session.execute(sa.update(models.RefreshToken).where(
            models.RefreshToken.token_hash == hash_link_token(body["refresh_token"]))
            .values(replaced_at=datetime.now(UTC) - timedelta(minutes=2)))
    assert client.post("/auth/refresh", json={"refresh_token": body["refresh_token"]}) \
        .status_code == 401
    me = client.get("/me", headers=_bearer(latest))
    assert me.status_code == 401 and me.get_json()["code"] == "session_revoked"
    assert (tmp_path / "identity.db").stat().st_mode & 0o777 == 0o600
    app.extensions["spp_db"].dispose()
