"""The author's evaluation comment is neither screened nor published (the form says so): the
staff API gives it to the programme's administrators only, never to the structures' staff."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

COMMENT = "Merci à Mme Durand du guichet 3, mon dossier 12345."


def _evaluated(env) -> tuple[dict, str]:
    """An answered experience whose author evaluated the response with a comment."""
    ids = env.tree(requires_validation=False)
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    env.client.put(f"/experiences/{exp_id}/response", headers=agent,
                   json={"body": "Merci pour votre retour."})
    assert env.client.post(f"/experiences/{exp_id}/response/submit",
                           headers=agent).json["status"] == "answered"
    [answered] = env.outbox_for("experience.answered", exp_id)
    assert env.client.post(f"/experiences/{exp_id}/evaluation", json={
        "token": answered["payload"]["evaluation_token"], "useful": True,
        "feeling_after": "positive", "comment": COMMENT}).status_code == 201
    return ids, exp_id


def _evaluation(env, exp_id: str, headers: dict) -> tuple[dict, dict]:
    """The evaluation as one experience's view and as the list's give it."""
    one = env.client.get(f"/experiences/{exp_id}", headers=headers).json["evaluation"]
    listed = env.client.get("/experiences?status=answered&include_children=true&per_page=100",
                            headers=headers).json["items"]
    [item] = [i for i in listed if i["id"] == exp_id]
    return one, item["evaluation"]


@pytest.mark.parametrize("profile,structures", [
    ("agent", ["loc"]), ("super_agent", ["reg"]), ("referent", []), ("moderator", None)])
def test_the_structures_staff_read_the_evaluation_without_its_comment(env, profile, structures):
    ids, exp_id = _evaluated(env)
    headers = env.headers(profile, ids if structures is not None else None,
                          structures=structures or ())
    for evaluation in _evaluation(env, exp_id, headers):
        assert evaluation["useful"] is True and evaluation["feeling_after"] == "positive"
        assert evaluation["evaluated_at"]
        assert evaluation["comment"] is None  # the key stays, as the schema says: null


def test_the_programmes_administrators_read_the_comment(env):
    _ids, exp_id = _evaluated(env)
    for evaluation in _evaluation(env, exp_id, env.headers("admin")):
        assert evaluation["comment"] == COMMENT


def test_the_openapi_description_says_who_reads_the_comment(env):
    schemas = env.client.get("/openapi.json").json["components"]["schemas"]
    comment = schemas["EvaluationOut"]["properties"]["comment"]
    assert comment["nullable"] is True and "`admin`" in comment["description"]
