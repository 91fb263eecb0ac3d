"""What agents and super agents do with experiences: regional validation, drafts, the delay
against the target, who the events name, and improvement actions changed or deleted."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.integration

RESPONSE = {"body": "Merci pour votre retour.", "closing": "Cordialement", "signature": "L'agence"}


def _put(env, exp_id, headers, **body):
    return env.client.put(f"/experiences/{exp_id}/response", headers=headers,
                          json={**RESPONSE, **body})


# Validation by a super agent of a parent structure ---------------------------------------------

def test_a_regional_super_agent_finds_and_validates_her_agencys_answers(env):
    ids = env.tree(requires_validation=True)
    exp_id = env.published(ids, structure="loc", title="À valider au régional")
    other = env.published(ids, structure="side", title="Ailleurs dans le réseau")
    drafter = env.headers("agent", ids, structures=["loc"], missions=("answer",), sub="u-drafter")
    assert _put(env, exp_id, drafter).status_code == 200
    assert env.client.post(f"/experiences/{exp_id}/response/submit",
                           headers=drafter).json["status"] == "awaiting_validation"
    _put(env, other, env.headers("agent", ids, structures=["side"], missions=("answer",)))
    env.client.post(f"/experiences/{other}/response/submit",
                    headers=env.headers("agent", ids, structures=["side"], missions=("answer",)))

    regional = env.headers("super_agent", ids, structures=["reg"], sub="u-regional")
    queue = env.client.get("/experiences?status=awaiting_validation&include_children=true",
                           headers=regional).json
    assert [i["id"] for i in queue["items"]] == [exp_id]  # not the sibling branch's
    assert queue["items"][0]["response_draft"]["body"] == RESPONSE["body"]
    assert queue["items"][0]["structure_name"] == "Structure loc"
    # Without the children, only her own structure's: the list the page asks for by default
    # includes them.
    assert env.client.get("/experiences?status=awaiting_validation",
                          headers=regional).json["total"] == 0
    validated = env.client.post(f"/experiences/{exp_id}/response/validate", headers=regional)
    assert validated.status_code == 200 and validated.json["status"] == "answered"
    [event] = env.outbox_for("experience.answered", exp_id)
    assert event["payload"]["drafted_by"] == "u-drafter"
    assert event["payload"]["submitted_by"] == "u-drafter"
    assert event["payload"]["validated_by"] == "u-regional"
    # A super agent of the sibling branch may not.
    sibling = env.headers("super_agent", ids, structures=["side"])
    assert env.client.post(f"/experiences/{other}/response/validate",
                           headers=env.headers("super_agent", ids, structures=["loc"])
                           ).status_code == 403
    assert env.client.post(f"/experiences/{other}/response/validate",
                           headers=sibling).status_code == 200


def test_an_answer_without_validation_names_no_validator(env):
    ids = env.tree(requires_validation=False)
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",), sub="u-a")
    _put(env, exp_id, agent)
    env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)
    [event] = env.outbox_for("experience.answered", exp_id)
    assert event["payload"]["validated_by"] is None
    assert event["payload"]["submitted_by"] == "u-a"


# Drafts ----------------------------------------------------------------------------------------

def test_a_draft_is_saved_without_sending_resumed_then_sent(env):
    ids = env.tree(requires_validation=True)
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    first = _put(env, exp_id, agent, body="Premier jet.")
    assert first.status_code == 200 and first.json["status"] == "to_process"
    saved_at = first.json["response_updated_at"]
    assert saved_at is not None
    # Still « à traiter » for everyone: in the list's filter, nothing public, no event.
    listed = env.client.get("/experiences?status=to_process", headers=agent).json["items"]
    assert exp_id in [i["id"] for i in listed]
    assert env.client.get(f"/experiences/{exp_id}").json["response"] is None
    assert env.outbox_for("experience.response_submitted", exp_id) == []
    # Resumed and amended: the draft is what was saved last.
    resumed = env.client.get(f"/experiences/{exp_id}", headers=agent).json
    assert resumed["response_draft"]["body"] == "Premier jet."
    second = _put(env, exp_id, agent, body="Version relue.")
    assert second.json["response_draft"]["body"] == "Version relue."
    assert second.json["response_updated_at"] >= saved_at
    sent = env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)
    assert sent.json["status"] == "awaiting_validation"
    # Amending while it waits keeps it waiting; sending again is refused in French words.
    amended = _put(env, exp_id, agent, body="Version corrigée.")
    assert amended.json["status"] == "awaiting_validation"
    again = env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)
    assert again.status_code == 409 and "en attente de validation" in again.json["message"]


def test_the_public_never_sees_a_draft_or_its_date(env):
    ids = env.tree()
    exp_id = env.published(ids)
    _put(env, exp_id, env.headers("agent", ids, structures=["loc"], missions=("answer",)))
    public = env.client.get(f"/experiences/{exp_id}").json
    assert "response_draft" not in public and "response_updated_at" not in public
    assert "answer_due_at" not in public


# The delay against the network's target -----------------------------------------------------

def test_answer_due_is_publication_plus_the_networks_target(env):
    ids = env.tree(target_delay_days=10)
    exp_id = env.published(ids)
    view = env.client.get(f"/experiences/{exp_id}",
                          headers=env.headers("agent", ids, structures=["loc"])).json
    published = datetime.fromisoformat(view["published_at"])
    assert datetime.fromisoformat(view["answer_due_at"]) - published == timedelta(days=10)
    listed = env.client.get("/experiences", headers=env.headers("agent", ids,
                                                                 structures=["loc"])).json
    assert listed["items"][0]["answer_due_at"] == view["answer_due_at"]


# Events for the notifier ---------------------------------------------------------------------

def test_evaluation_event_carries_the_moderated_title_and_the_feeling_before(env):
    ids = env.tree(requires_validation=False)
    exp_id = env.published(ids, feeling="negative", title="Dossier perdu")
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    _put(env, exp_id, agent)
    env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)
    token = env.outbox_for("experience.answered", exp_id)[0]["payload"]["evaluation_token"]
    env.client.post(f"/experiences/{exp_id}/evaluation",
                    json={"token": token, "useful": False, "feeling_after": "neutral",
                          "comment": "Pas de nouvelles"})
    [event] = env.outbox_for("experience.evaluated", exp_id)
    assert event["payload"]["title"] == "Dossier perdu"
    assert event["payload"]["feeling"] == "negative"
    assert "comment" not in event["payload"]  # the usager's words: never moderated


def test_moves_say_whether_the_structure_or_moderation_made_them(env):
    ids = env.tree()
    moved = env.published(ids, structure="reg")
    env.client.post(f"/experiences/{moved}/reassign", json={"structure_id": ids["loc"]},
                    headers=env.headers("agent", ids, structures=["reg"]))
    assert env.outbox_for("experience.reassigned", moved)[0]["payload"]["kind"] == "reassign"
    rerouted = env.published(ids)
    env.client.post(f"/experiences/{rerouted}/reorientation", json={"reason": "Pas chez nous"},
                    headers=env.headers("agent", ids, structures=["loc"]))
    env.deliver("moderation.rerouted", {
        "case_id": "c-1", "experience_id": rerouted, "structure_id": ids["s2"],
        "network_id": ids["net2"], "comment": None, "moderator_id": "m-1"})
    [event] = env.outbox_for("experience.reassigned", rerouted)
    assert event["payload"]["kind"] == "reroute"
    assert event["payload"]["from_structure_id"] == ids["loc"]


# Improvement actions changed and deleted -------------------------------------------------------

def _action(env, ids, headers, structure="reg", experiences=()):
    body = {"title": "Nouvel accueil", "description": "Bornes installées.",
            "date": date.today().isoformat(), "structure_id": ids[structure],
            "experience_ids": list(experiences)}
    created = env.client.post("/improvement-actions", json=body, headers=headers)
    assert created.status_code == 201, created.json
    return created.json


def test_an_action_is_changed_by_its_structure_and_shown_so(env):
    ids = env.tree()
    first, second = env.published(ids), env.published(ids, structure="reg")
    agent = env.headers("agent", ids, structures=["reg"])
    action = _action(env, ids, agent, experiences=[first])
    assert action["editable"] is True
    changed = env.client.patch(f"/improvement-actions/{action['id']}", headers=agent, json={
        "title": "Accueil repensé", "experience_ids": [first, second]})
    assert changed.status_code == 200, changed.json
    assert changed.json["title"] == "Accueil repensé"
    assert changed.json["description"] == "Bornes installées."  # not given: unchanged
    assert changed.json["experience_ids"] == sorted([first, second])
    shown = env.client.get(f"/experiences/{second}").json["improvement_actions"]
    assert [a["title"] for a in shown] == ["Accueil repensé"]
    one = env.client.get(f"/improvement-actions/{action['id']}").json
    assert one["title"] == "Accueil repensé" and "editable" not in one  # public: not said
    [event] = [e for e in env.outbox("improvement_action.updated")
               if e["payload"]["id"] == action["id"]]
    assert event["payload"]["experience_ids"] == sorted([first, second])


def test_an_action_keeps_its_experiences_that_left_the_scope_since(env):
    ids = env.tree()
    exp_id = env.published(ids, structure="reg")
    agent = env.headers("agent", ids, structures=["reg"])
    action = _action(env, ids, agent, experiences=[exp_id])
    env.deliver("moderation.rerouted", {
        "case_id": "c-2", "experience_id": exp_id, "structure_id": ids["s2"],
        "network_id": ids["net2"], "comment": None, "moderator_id": "m-1"})
    kept = env.client.patch(f"/improvement-actions/{action['id']}", headers=agent,
                            json={"description": "Bornes et agents d'accueil.",
                                  "experience_ids": [exp_id]})
    assert kept.status_code == 200
    fresh = env.published(ids, structure="s2", net="net2")
    refused = env.client.patch(f"/improvement-actions/{action['id']}", headers=agent,
                               json={"experience_ids": [exp_id, fresh]})
    assert refused.status_code == 422 and fresh in refused.json["errors"]["experience_ids"][0]


def test_changing_or_deleting_an_action_stays_in_scope(env):
    ids = env.tree()
    exp_id = env.published(ids, structure="reg")
    owner = env.headers("agent", ids, structures=["reg"])
    action = _action(env, ids, owner, experiences=[exp_id])
    path = f"/improvement-actions/{action['id']}"
    child = env.headers("agent", ids, structures=["loc"])  # below: not the action's structure
    sibling = env.headers("agent", ids, structures=["side"])
    for headers in (child, sibling, env.headers("referent", ids, network="net2")):
        assert env.client.patch(path, headers=headers, json={"title": "X"}).status_code == 403
        assert env.client.delete(path, headers=headers).status_code == 403
    assert env.client.patch(path, json={"title": "X"}).status_code == 401
    assert env.client.delete(path).status_code == 401
    moderator = env.headers("moderator")  # reads everything, writes no action
    assert env.client.delete(path, headers=moderator).status_code == 403
    # Moving it to a structure outside the scope is refused too.
    assert env.client.patch(path, headers=owner, json={"structure_id": ids["side"]}
                            ).status_code == 403
    assert env.client.get(path, headers=child).json["editable"] is False
    # A referent of the network may.
    referent = env.headers("referent", ids)
    assert env.client.get(path, headers=referent).json["editable"] is True
    assert env.client.patch(path, headers=referent, json={"title": "Par le référent"}
                            ).status_code == 200


@pytest.mark.parametrize("body,field", [
    ({}, "title"), ({"title": ""}, "title"), ({"date": "demain"}, "date"),
    ({"experience_ids": []}, "experience_ids"), ({"color": "red"}, "color"),
    ({"structure_id": "inconnue"}, "structure_id"),
])
def test_a_bad_change_is_named(env, body, field):
    ids = env.tree()
    agent = env.headers("agent", ids, structures=["reg"])
    action = _action(env, ids, agent, experiences=[env.published(ids, structure="reg")])
    response = env.client.patch(f"/improvement-actions/{action['id']}", headers=agent, json=body)
    assert response.status_code == 422 and field in response.json["errors"], response.json


def test_a_deleted_action_leaves_the_public_pages(env):
    ids = env.tree()
    exp_id = env.published(ids, structure="reg")
    agent = env.headers("agent", ids, structures=["reg"])
    action = _action(env, ids, agent, experiences=[exp_id])
    deleted = env.client.delete(f"/improvement-actions/{action['id']}", headers=agent)
    assert deleted.status_code == 204
    assert env.client.get(f"/experiences/{exp_id}").json["improvement_actions"] == []
    assert env.client.get(f"/improvement-actions/{action['id']}").status_code == 404
    assert env.client.delete(f"/improvement-actions/{action['id']}",
                             headers=agent).status_code == 404
    with env.db.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM improvement_action_experiences "
                                   "WHERE action_id = :a"), {"a": action["id"]}) == 0
    [event] = [e for e in env.outbox("improvement_action.deleted")
               if e["payload"]["id"] == action["id"]]
    assert event["payload"]["structure_id"] == ids["reg"]


def test_in_scope_lists_the_callers_actions_with_what_they_may_change(env):
    ids = env.tree()
    regional = env.headers("agent", ids, structures=["reg"])
    mine = _action(env, ids, regional, experiences=[env.published(ids, structure="reg")])
    below = _action(env, ids, env.headers("agent", ids, structures=["loc"]), structure="loc",
                    experiences=[env.published(ids, structure="loc")])
    aside = _action(env, ids, env.headers("agent", ids, structures=["side"]), structure="side",
                    experiences=[env.published(ids, structure="side")])
    listed = env.client.get("/improvement-actions?in_scope=true&per_page=100",
                            headers=regional).json["items"]
    assert {a["id"]: a["editable"] for a in listed} == {mine["id"]: True, below["id"]: True}
    local = env.client.get("/improvement-actions?in_scope=true",
                           headers=env.headers("agent", ids, structures=["loc"])).json["items"]
    assert {a["id"]: a["editable"] for a in local} == {below["id"]: True}
    network = env.client.get("/improvement-actions?in_scope=true&per_page=100",
                             headers=env.headers("referent", ids)).json["items"]
    assert {a["id"] for a in network} >= {mine["id"], below["id"], aside["id"]}
    assert env.client.get("/improvement-actions?in_scope=true").status_code == 401
    public = env.client.get(f"/improvement-actions?structure_id={ids['side']}").json["items"]
    assert [a["id"] for a in public] == [aside["id"]] and "editable" not in public[0]
