"""A super agent validates the response they read: `response_updated_at` sent with the
validation, and an amendment saved since refused (409) rather than published unread."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.integration

RESPONSE = {"body": "Merci pour votre retour.", "closing": "Cordialement", "signature": "L'agence"}


def _awaiting(env, requires_validation: bool = True) -> tuple[str, dict, dict]:
    """An experience whose response waits for validation: (id, its agent, a super agent)."""
    ids = env.tree(requires_validation=requires_validation)
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",), sub="u-agent")
    assert env.client.put(f"/experiences/{exp_id}/response", headers=agent,
                          json=RESPONSE).status_code == 200
    submitted = env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)
    assert submitted.json["status"] == "awaiting_validation"
    return exp_id, agent, env.headers("super_agent", ids, structures=["reg"], sub="u-super")


def _read(env, exp_id: str, headers: dict) -> dict:
    return env.client.get(f"/experiences/{exp_id}", headers=headers).json


def _validate(env, exp_id: str, headers: dict, **body):
    return env.client.post(f"/experiences/{exp_id}/response/validate", headers=headers,
                           json=body)


def test_the_version_read_is_validated(env):
    exp_id, _agent, sup = _awaiting(env)
    read = _read(env, exp_id, sup)["response_updated_at"]
    validated = _validate(env, exp_id, sup, response_updated_at=read)
    assert validated.status_code == 200 and validated.json["status"] == "answered"
    assert env.client.get(f"/experiences/{exp_id}").json["response"]["body"] == RESPONSE["body"]
    [event] = env.outbox_for("experience.answered", exp_id)
    assert event["payload"]["validated_by"] == "u-super"


def test_the_same_moment_in_another_offset_is_the_same_version(env):
    exp_id, _agent, sup = _awaiting(env)
    read = datetime.fromisoformat(_read(env, exp_id, sup)["response_updated_at"])
    in_paris = read.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert _validate(env, exp_id, sup, response_updated_at=in_paris).status_code == 200


def test_an_amendment_saved_after_the_reading_is_not_published(env):
    exp_id, agent, sup = _awaiting(env)
    read = _read(env, exp_id, sup)["response_updated_at"]
    amended = env.client.put(f"/experiences/{exp_id}/response", headers=agent,
                             json={**RESPONSE, "body": "Texte que personne n'a relu."})
    assert amended.status_code == 200 and amended.json["response_updated_at"] != read
    refused = _validate(env, exp_id, sup, response_updated_at=read)
    assert refused.status_code == 409
    assert refused.json["errors"]["response_updated_at"] == [
        "La réponse a été modifiée depuis que vous l'avez lue : relisez-la avant de la valider."]
    assert "relisez-la" in refused.json["message"]
    # Nothing changed: still waiting, nothing public, no event for the author.
    assert _read(env, exp_id, sup)["status"] == "awaiting_validation"
    assert env.client.get(f"/experiences/{exp_id}").json["response"] is None
    assert env.outbox_for("experience.answered", exp_id) == []
    # Reread, the new text is validated.
    reread = _read(env, exp_id, sup)
    assert reread["response_draft"]["body"] == "Texte que personne n'a relu."
    validated = _validate(env, exp_id, sup, response_updated_at=reread["response_updated_at"])
    assert validated.status_code == 200 and validated.json["status"] == "answered"
    assert len(env.outbox_for("experience.answered", exp_id)) == 1


def test_without_the_version_the_current_draft_is_validated_as_before(env):
    exp_id, agent, sup = _awaiting(env)
    env.client.put(f"/experiences/{exp_id}/response", headers=agent,
                   json={**RESPONSE, "body": "Version amendée."})
    validated = env.client.post(f"/experiences/{exp_id}/response/validate", headers=sup)
    assert validated.status_code == 200 and validated.json["status"] == "answered"
    assert env.client.get(f"/experiences/{exp_id}").json["response"]["body"] == "Version amendée."
    assert len(env.outbox_for("experience.answered", exp_id)) == 1


def test_an_empty_body_is_the_old_behaviour_too(env):
    exp_id, _agent, sup = _awaiting(env)
    assert _validate(env, exp_id, sup).status_code == 200


@pytest.mark.parametrize("value", [
    "hier", "", "2026-02-30T10:00:00+00:00", "2026-11-03T10:00:00+25:00", "\x00", "x" * 5000,
    123, 10**30, 1e308, True, ["2026-11-03T10:00:00+00:00"], {"at": "2026-11-03"}, None])
def test_a_malformed_version_is_named(env, value):
    exp_id, _agent, sup = _awaiting(env)
    refused = _validate(env, exp_id, sup, response_updated_at=value)
    assert refused.status_code == 422, refused.json
    assert "response_updated_at" in refused.json["errors"]
    assert _read(env, exp_id, sup)["status"] == "awaiting_validation"
    assert env.outbox_for("experience.answered", exp_id) == []


def test_an_unknown_field_is_named(env):
    exp_id, _agent, sup = _awaiting(env)
    refused = _validate(env, exp_id, sup, updated_at="2026-11-03T10:00:00+00:00")
    assert refused.status_code == 422 and "updated_at" in refused.json["errors"]


def test_the_version_checks_come_after_the_status_and_the_rights(env):
    exp_id, agent, sup = _awaiting(env)
    stale = "2020-01-01T00:00:00+00:00"
    assert _validate(env, exp_id, agent, response_updated_at=stale).status_code == 403
    read = _read(env, exp_id, sup)["response_updated_at"]
    assert _validate(env, exp_id, sup, response_updated_at=read).status_code == 200
    again = _validate(env, exp_id, sup, response_updated_at=read)
    assert again.status_code == 409 and again.json["errors"]["status"] == ["answered"]


def test_the_openapi_description_asks_for_the_version(env):
    spec = env.client.get("/openapi.json").json
    operation = spec["paths"]["/experiences/{experience_id}/response/validate"]["post"]
    assert "response_updated_at" in operation["description"]
    assert operation["requestBody"]["required"] is False


def test_on_sqlite_the_version_read_back_compares_the_same(sqlite_env):
    exp_id, agent, sup = _awaiting(sqlite_env)
    read = _read(sqlite_env, exp_id, sup)["response_updated_at"]
    naive = datetime.fromisoformat(read).replace(tzinfo=None).isoformat()  # UTC, offset dropped
    sqlite_env.client.put(f"/experiences/{exp_id}/response", headers=agent,
                          json={**RESPONSE, "body": "Amendée."})
    assert _validate(sqlite_env, exp_id, sup, response_updated_at=read).status_code == 409
    assert _validate(sqlite_env, exp_id, sup, response_updated_at=naive).status_code == 409
    current = _read(sqlite_env, exp_id, sup)["response_updated_at"]
    naive = datetime.fromisoformat(current).replace(tzinfo=None).isoformat()
    assert _validate(sqlite_env, exp_id, sup, response_updated_at=naive).status_code == 200
