"""The HTTP API of experiences: validation, visibility, permissions and scope both ways."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.chassis.config import Settings
from services.experiences.app import create_app

pytestmark = pytest.mark.integration


# Submission -----------------------------------------------------------------------------------

def test_submit_answers_202_without_the_email(env):
    response = env.client.post("/experiences", json=env.body())
    assert response.status_code == 202
    assert response.json["status"] == "submitted" and isinstance(response.json["id"], str)
    assert "author_email" not in response.json


IN_THREE_DAYS = object()


@pytest.mark.parametrize("field,value", [
    ("title", "x" * 151), ("title", ""), ("body", "x" * 5001), ("postal_code", "7501"),
    ("postal_code", "ABCDE"), ("channel", "pigeon"), ("feeling", "angry"),
    ("occurred_on", IN_THREE_DAYS),
    ("occurred_on", "hier"), ("author_email", "not-an-email"), ("author_name", None),
])
def test_submit_bad_field_is_named(env, field, value):
    if value is IN_THREE_DAYS:  # worked out when the test runs: the run may cross midnight
        value = (date.today() + timedelta(days=3)).isoformat()
    response = env.client.post("/experiences", json=env.body(**{field: value}))
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert f"« {field} »" in response.json["errors"][field][0]


@pytest.mark.parametrize("field", ["author_name", "structure_hint", "title", "body"])
def test_submit_blank_text_is_named(env, field):
    response = env.client.post("/experiences", json=env.body(**{field: "  \t "}))
    assert response.status_code == 422
    assert response.json["errors"][field] == [f"Le champ « {field} » ne peut pas être vide."]


def test_submit_missing_fields_are_named(env):
    response = env.client.post("/experiences", json={})
    assert response.status_code == 422
    assert {"title", "body", "postal_code", "author_email", "occurred_on"} <= set(
        response.json["errors"])
    assert "obligatoire" in response.json["errors"]["title"][0]


def test_submit_not_json_is_4xx(env):
    response = env.client.post("/experiences", data="oops", content_type="application/json")
    assert 400 <= response.status_code < 500


def test_submit_rate_limited_per_address(env):
    settings = Settings.from_env("experiences", database_url=env.db.url,
                                 public_rate_limit="2/minute")
    app = create_app(settings, db=env.db, verifier=env.tokens.verifier("experiences"))
    client = app.test_client()

    def stored():
        with env.db.transaction() as s:
            return (s.scalar(sa.text("SELECT count(*) FROM experiences")),
                    s.scalar(sa.text("SELECT count(*) FROM outbox")))

    before = stored()
    _clear_of_window_end(60)
    codes = [client.post("/experiences", json=env.body(),
                         environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code
             for _ in range(3)]
    assert codes == [202, 202, 429]
    # The refused one left nothing behind: no experience, no event.
    assert stored() == (before[0] + 2, before[1] + 2)
    other = client.post("/experiences", json=env.body(),
                        environ_base={"REMOTE_ADDR": "203.0.113.8"})
    assert other.status_code == 202


# Reading --------------------------------------------------------------------------------------

def test_public_sees_published_only(env):
    ids = env.tree()
    published = env.published(ids)
    pending = env.submit()
    rejected = env.submit()
    env.deliver("moderation.rejected", {"case_id": "c", "experience_id": rejected,
                                        "reason": "insult"})
    assert env.client.get(f"/experiences/{pending}").status_code == 404
    assert env.client.get(f"/experiences/{rejected}").status_code == 404
    one = env.client.get(f"/experiences/{published}")
    assert one.status_code == 200
    assert one.json["body"] == "Texte modéré." and one.json["structure_name"] == "Structure loc"
    assert "author_email" not in one.json and "response_draft" not in one.json
    assert "submitted_at" not in one.json
    listing = env.client.get(f"/experiences?structure_id={ids['loc']}")
    assert [i["id"] for i in listing.json["items"]] == [published]
    assert listing.json["total"] == 1 and listing.json["page"] == 1
    assert env.client.get(f"/experiences?structure_id={ids['loc']}&status=submitted") \
        .json["total"] == 0
    assert "camille.secret" not in listing.get_data(as_text=True)


def test_agent_list_scope_and_children(env):
    ids = env.tree()
    at_reg = env.published(ids, structure="reg", title="Au régional")
    at_loc = env.published(ids, structure="loc", title="Au local")
    env.published(ids, structure="side", title="À côté")
    env.published(ids, structure="s2", net="net2", title="Ailleurs")
    headers = env.headers("agent", ids, structures=["reg"])
    own = env.client.get("/experiences", headers=headers).json
    assert [i["id"] for i in own["items"]] == [at_reg]
    assert "submitted_at" in own["items"][0]  # internal view
    deep = env.client.get("/experiences?include_children=true", headers=headers).json
    assert [i["id"] for i in deep["items"]] == [at_reg, at_loc]  # oldest first
    filtered = env.client.get("/experiences?include_children=true&q=local", headers=headers).json
    assert [i["id"] for i in filtered["items"]] == [at_loc]
    for wildcard in ("%25", "_"):  # taken literally, not as LIKE's wildcards
        none = env.client.get(f"/experiences?include_children=true&q={wildcard}", headers=headers)
        assert none.json["items"] == []
    referent = env.client.get("/experiences?per_page=2",
                              headers=env.headers("referent", ids)).json
    assert referent["total"] == 3 and len(referent["items"]) == 2 and referent["per_page"] == 2
    moderator = env.client.get(f"/experiences?network_id={ids['net2']}",
                               headers=env.headers("moderator")).json
    assert moderator["total"] == 1


def test_list_bad_query_is_named(env):
    response = env.client.get("/experiences?per_page=1000&status=lost")
    assert response.status_code == 422
    assert {"per_page", "status"} <= set(response.json["errors"])


def test_agent_of_another_structure_sees_only_the_public_view(env):
    ids = env.tree()
    exp_id = env.published(ids)
    stranger = env.headers("agent", ids, structures=["side"])
    response = env.client.get(f"/experiences/{exp_id}", headers=stranger)
    assert response.status_code == 200 and "submitted_at" not in response.json
    mine = env.client.get(f"/experiences/{exp_id}",
                          headers=env.headers("agent", ids, structures=["reg"]))
    assert "submitted_at" in mine.json


# Responses ------------------------------------------------------------------------------------

def _draft(env, exp_id, headers, body="Merci pour votre retour."):
    return env.client.put(f"/experiences/{exp_id}/response", headers=headers,
                          json={"body": body, "closing": "Cordialement", "signature": "L'agence"})


def test_full_cycle_with_validation_and_evaluation(env):
    ids = env.tree(requires_validation=True)
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    sup = env.headers("super_agent", ids, structures=["reg"])
    assert _draft(env, exp_id, agent).status_code == 200
    submitted = env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)
    assert submitted.status_code == 200 and submitted.json["status"] == "awaiting_validation"
    assert len(env.outbox_for("experience.response_submitted", exp_id)) == 1
    # public does not see the draft
    assert env.client.get(f"/experiences/{exp_id}").json["response"] is None
    # an agent cannot validate
    assert env.client.post(f"/experiences/{exp_id}/response/validate",
                           headers=agent).status_code == 403
    validated = env.client.post(f"/experiences/{exp_id}/response/validate", headers=sup)
    assert validated.status_code == 200 and validated.json["status"] == "answered"
    assert validated.json["first_response_at"]
    again = env.client.post(f"/experiences/{exp_id}/response/validate", headers=sup)
    assert again.status_code == 409 and again.json["errors"]["status"] == ["answered"]
    public = env.client.get(f"/experiences/{exp_id}").json
    assert public["response"] == {"body": "Merci pour votre retour.", "closing": "Cordialement",
                                  "signature": "L'agence"}
    [answered] = env.outbox_for("experience.answered", exp_id)
    token = answered["payload"]["evaluation_token"]
    assert answered["payload"]["author_email"] == "camille.secret@example.org"
    # the evaluation link
    bad = env.client.post(f"/experiences/{exp_id}/evaluation",
                          json={"token": "forged", "useful": True, "feeling_after": "positive"})
    assert bad.status_code == 403 and "token" in bad.json["errors"]
    missing = env.client.post(f"/experiences/{exp_id}/evaluation", json={"token": token})
    assert missing.status_code == 422 and {"useful", "feeling_after"} <= set(missing.json["errors"])
    ok = env.client.post(f"/experiences/{exp_id}/evaluation",
                         json={"token": token, "useful": True, "feeling_after": "positive",
                               "comment": "Merci"})
    assert ok.status_code == 201
    second = env.client.post(f"/experiences/{exp_id}/evaluation",
                             json={"token": token, "useful": False, "feeling_after": "negative"})
    assert second.status_code == 410
    [evaluated] = env.outbox_for("experience.evaluated", exp_id)
    assert evaluated["payload"]["useful"] is True
    internal = env.client.get(f"/experiences/{exp_id}", headers=sup).json
    assert internal["evaluation"]["feeling_after"] == "positive"
    assert "author_email" not in internal


def test_submit_answers_directly_without_validation(env):
    ids = env.tree(requires_validation=False)
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    _draft(env, exp_id, agent)
    response = env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)
    assert response.status_code == 200 and response.json["status"] == "answered"
    assert len(env.outbox_for("experience.answered", exp_id)) == 1
    assert env.outbox_for("experience.response_submitted", exp_id) == []


def test_submit_without_draft_names_body(env):
    ids = env.tree()
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    response = env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)
    assert response.status_code == 422 and "body" in response.json["errors"]


def test_response_permissions_and_scope(env):
    ids = env.tree()
    exp_id = env.published(ids)
    assert _draft(env, exp_id, {}).status_code == 401
    no_mission = env.headers("agent", ids, structures=["loc"], missions=("diagnostic",))
    assert _draft(env, exp_id, no_mission).status_code == 403
    other_structure = env.headers("agent", ids, structures=["side"], missions=("answer",))
    assert _draft(env, exp_id, other_structure).status_code == 403
    other_network = env.headers("super_agent", ids, structures=["s2"], network="net2")
    assert _draft(env, exp_id, other_network).status_code == 403
    assert env.client.post(f"/experiences/{exp_id}/response/validate",
                           headers=other_network).status_code == 403
    moderator = env.headers("moderator")
    assert _draft(env, exp_id, moderator).status_code == 403
    bad = env.client.put(f"/experiences/{exp_id}/response",
                         headers=env.headers("agent", ids, structures=["loc"]), json={"body": ""})
    assert bad.status_code == 422 and "body" in bad.json["errors"]
    assert _draft(env, "nope", env.headers("admin")).status_code == 404


def test_cannot_draft_on_a_pending_experience(env):
    exp_id = env.submit()
    response = _draft(env, exp_id, env.headers("admin"))
    assert response.status_code == 409 and response.json["errors"]["status"] == ["submitted"]


# Misrouting -----------------------------------------------------------------------------------

def test_reassign_to_a_child_only(env):
    ids = env.tree()
    exp_id = env.published(ids, structure="reg")
    agent = env.headers("agent", ids, structures=["reg"])
    sideways = env.client.post(f"/experiences/{exp_id}/reassign", headers=agent,
                               json={"structure_id": ids["side"]})
    assert sideways.status_code == 422 and "structure_id" in sideways.json["errors"]
    stranger = env.headers("agent", ids, structures=["side"])
    assert env.client.post(f"/experiences/{exp_id}/reassign", headers=stranger,
                           json={"structure_id": ids["loc"]}).status_code == 403
    down = env.client.post(f"/experiences/{exp_id}/reassign", headers=agent,
                           json={"structure_id": ids["loc"]})
    assert down.status_code == 200 and down.json["structure_id"] == ids["loc"]
    [event] = env.outbox_for("experience.reassigned", exp_id)
    assert event["payload"]["from_structure_id"] == ids["reg"]
    assert event["payload"]["structure_id"] == ids["loc"]


def test_reassign_never_to_a_deactivated_structure(env):
    ids = env.tree()
    exp_id = env.published(ids, structure="reg")
    env.deliver("structure.updated", {
        "id": ids["loc"], "network_id": ids["net"], "parent_id": ids["reg"],
        "name": "Agence fermée", "active": False}, producer="identity")
    agent = env.headers("agent", ids, structures=["reg"])
    closed = env.client.post(f"/experiences/{exp_id}/reassign", headers=agent,
                             json={"structure_id": ids["loc"]})
    assert closed.status_code == 422
    assert "désactivée" in closed.json["errors"]["structure_id"][0]
    assert env.outbox_for("experience.reassigned", exp_id) == []
    env.deliver("structure.updated", {
        "id": ids["loc"], "network_id": ids["net"], "parent_id": ids["reg"],
        "name": "Agence rouverte", "active": True}, producer="identity")
    reopened = env.client.post(f"/experiences/{exp_id}/reassign", headers=agent,
                               json={"structure_id": ids["loc"]})
    assert reopened.status_code == 200 and reopened.json["structure_id"] == ids["loc"]


def test_reorientation_request(env):
    ids = env.tree()
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"])
    empty = env.client.post(f"/experiences/{exp_id}/reorientation", headers=agent, json={})
    assert empty.status_code == 422 and "reason" in empty.json["errors"]
    outsider = env.headers("referent", ids, network="net2")
    assert env.client.post(f"/experiences/{exp_id}/reorientation", headers=outsider,
                           json={"reason": "Pas chez nous"}).status_code == 403
    response = env.client.post(f"/experiences/{exp_id}/reorientation", headers=agent,
                               json={"reason": "Relève de la CPAM"})
    assert response.status_code == 202
    [event] = env.outbox_for("experience.reorientation_requested", exp_id)
    assert event["payload"]["reason"] == "Relève de la CPAM"
    assert event["payload"]["body"] == "Texte modéré."


def test_reassign_drops_the_draft_of_the_previous_structure(env):
    ids = env.tree()
    exp_id = env.published(ids, structure="reg")
    agent = env.headers("agent", ids, structures=["reg"], missions=("answer",))
    assert _draft(env, exp_id, agent).status_code == 200
    moved = env.client.post(f"/experiences/{exp_id}/reassign", headers=agent,
                            json={"structure_id": ids["loc"]})
    assert moved.status_code == 200 and moved.json["response_draft"] is None
    local = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    submit = env.client.post(f"/experiences/{exp_id}/response/submit", headers=local)
    assert submit.status_code == 422 and "body" in submit.json["errors"]


def test_no_answer_and_no_second_request_while_reorientation_pending(env):
    ids = env.tree(requires_validation=False)
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    assert _draft(env, exp_id, agent).status_code == 200
    assert env.client.post(f"/experiences/{exp_id}/reorientation", headers=agent,
                           json={"reason": "Relève de la CPAM"}).status_code == 202
    again = env.client.post(f"/experiences/{exp_id}/reorientation", headers=agent,
                            json={"reason": "Autre motif"})
    assert again.status_code == 409 and "reorientation_reason" in again.json["errors"]
    submit = env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)
    assert submit.status_code == 409 and "reorientation_reason" in submit.json["errors"]
    assert env.outbox_for("experience.answered", exp_id) == []
    assert len(env.outbox_for("experience.reorientation_requested", exp_id)) == 1


def test_no_move_while_reorientation_pending(env):
    """Moderation's case names the structure and its reason: a move meanwhile would leave that
    case deciding for an experience elsewhere (it may reroute below, itself)."""
    ids = env.tree()
    exp_id = env.published(ids, structure="reg")
    agent = env.headers("agent", ids, structures=["reg"])
    assert env.client.post(f"/experiences/{exp_id}/reorientation", headers=agent,
                           json={"reason": "Relève de la CPAM"}).status_code == 202
    moved = env.client.post(f"/experiences/{exp_id}/reassign", headers=agent,
                            json={"structure_id": ids["loc"]})
    assert moved.status_code == 409 and "reorientation_reason" in moved.json["errors"]
    assert "réaffecter" in moved.json["message"]
    assert env.outbox_for("experience.reassigned", exp_id) == []
    kept = env.client.get(f"/experiences/{exp_id}", headers=agent).json
    assert kept["structure_id"] == ids["reg"] and kept["reorientation_reason"]


# Improvement actions --------------------------------------------------------------------------

def test_improvement_action_shown_on_linked_experiences(env):
    ids = env.tree()
    first = env.published(ids)
    second = env.published(ids, structure="reg")
    agent = env.headers("agent", ids, structures=["reg"])
    body = {"title": "Nouvel accueil", "description": "Bornes installées.",
            "date": date.today().isoformat(), "structure_id": ids["reg"],
            "experience_ids": [first, second]}
    assert env.client.post("/improvement-actions", json=body).status_code == 401
    outsider = env.headers("agent", ids, structures=["side"])
    assert env.client.post("/improvement-actions", json=body, headers=outsider).status_code == 403
    pending = env.submit()
    bad = env.client.post("/improvement-actions", json={**body, "experience_ids": [pending]},
                          headers=agent)
    assert bad.status_code == 422 and "experience_ids" in bad.json["errors"]
    missing = env.client.post("/improvement-actions", json={"title": "x"}, headers=agent)
    assert missing.status_code == 422 and "description" in missing.json["errors"]
    created = env.client.post("/improvement-actions", json=body, headers=agent)
    assert created.status_code == 201
    assert sorted(created.json["experience_ids"]) == sorted([first, second])
    shown = env.client.get(f"/experiences/{first}").json["improvement_actions"]
    assert [a["title"] for a in shown] == ["Nouvel accueil"]
    listing = env.client.get(f"/improvement-actions?structure_id={ids['reg']}").json
    assert listing["total"] == 1 and listing["items"][0]["id"] == created.json["id"]
    [event] = [e for e in env.outbox("improvement_action.created")
               if e["payload"]["id"] == created.json["id"]]
    assert sorted(event["payload"]["experience_ids"]) == sorted([first, second])


# Dashboards and open data ---------------------------------------------------------------------

def _answer(env, exp_id, ids, structure="loc"):
    agent = env.headers("agent", ids, structures=[structure], missions=("answer",))
    _draft(env, exp_id, agent)
    response = env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)
    assert response.status_code == 200
    return env.outbox_for("experience.answered", exp_id)[0]["payload"]["evaluation_token"]


def test_dashboard_for_a_structure_and_its_children(env):
    ids = env.tree(requires_validation=False)
    answered = env.published(ids, feeling="negative")
    env.published(ids, structure="reg")
    env.published(ids, structure="side")
    token = _answer(env, answered, ids)
    env.client.post(f"/experiences/{answered}/evaluation",
                    json={"token": token, "useful": True, "feeling_after": "positive"})
    agent = env.headers("agent", ids, structures=["reg"])
    figures = env.client.get(f"/dashboard?structure_id={ids['reg']}&include_children=true",
                             headers=agent).json
    assert figures["published"] == 2 and figures["answered"] == 1
    assert figures["answered_share"] == 0.5 and figures["within_target_share"] == 1.0
    assert figures["average_delay_days"] is not None and figures["average_delay_days"] < 1
    assert figures["evaluations"] == 1 and figures["useful_share"] == 1.0
    assert figures["negative_to_positive_share"] == 1.0
    this_month = datetime.now(UTC).strftime("%Y-%m")
    assert figures["by_month"] == [{"month": this_month, "published": 2, "answered": 1}]
    only_reg = env.client.get(f"/dashboard?structure_id={ids['reg']}", headers=agent).json
    assert only_reg["published"] == 1 and only_reg["answered"] == 0
    assert env.client.get(f"/dashboard?structure_id={ids['side']}",
                          headers=agent).status_code == 403
    assert env.client.get("/dashboard").status_code == 401
    referent = env.client.get("/dashboard", headers=env.headers("referent", ids)).json
    assert referent["published"] == 3
    future = (date.today() + timedelta(days=1)).isoformat()
    assert env.client.get(f"/dashboard?from={future}",
                          headers=env.headers("referent", ids)).json["published"] == 0
    bad = env.client.get("/dashboard?from=demain", headers=agent)
    assert bad.status_code == 422 and "from" in bad.json["errors"]
    for path in ("/dashboard", "/experiences"):
        reversed_range = env.client.get(f"{path}?from=2030-01-01&to=2020-01-01", headers=agent)
        assert reversed_range.status_code == 422 and "from" in reversed_range.json["errors"]


def test_open_data_lists_published_only(env):
    import csv
    import io

    ids = env.tree(requires_validation=False)
    published = env.published(ids, title="Ouvert au public")
    _answer(env, published, ids)
    pending = env.submit(title="En attente de modération")
    response = env.client.get("/open-data/experiences.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert published in rows and pending not in rows
    row = rows[published]
    assert row["structure_path"] == "Structure nat > Structure reg > Structure loc"
    assert row["response"] == "Merci pour votre retour." and row["status"] == "answered"
    assert "camille.secret" not in text
    as_json = env.client.get("/open-data/experiences.json")
    assert as_json.status_code == 200
    assert published in {r["id"] for r in as_json.json}


def _limited(env, **limits):
    """A client of an app with these limits on the suite's database."""
    settings = Settings.from_env("experiences", database_url=env.db.url, **limits)
    return create_app(settings, db=env.db, verifier=env.tokens.verifier("experiences")).test_client()


def _clear_of_window_end(period_s: int, margin_s: float = 5.0) -> None:
    """The limits count in fixed windows: a test's requests must not straddle two of them."""
    left = period_s - time.time() % period_s
    if left < margin_s:
        time.sleep(left + 0.05)


def test_open_data_downloads_are_limited_per_address(env):
    # The gateway (a trusted proxy: loopback by default) forwards the usager's address.
    client = _limited(env, open_data_rate_limit="2/hour")
    _clear_of_window_end(3600)
    usager = {"X-Forwarded-For": "198.51.100.20"}
    for path in ("/open-data/experiences.csv", "/open-data/experiences.json"):
        assert client.get(path, headers=usager).status_code == 200
    refused = client.get("/open-data/experiences.csv", headers=usager)
    assert refused.status_code == 429 and refused.json["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 3601
    other = {"X-Forwarded-For": "203.0.113.7"}
    assert client.get("/open-data/experiences.csv", headers=other).status_code == 200


def test_the_publics_text_searches_are_limited_per_address(env):
    client = _limited(env, search_rate_limit="2/minute")
    _clear_of_window_end(60)
    usager = {"X-Forwarded-For": "198.51.100.21"}
    for q in ("accueil", "guichet"):
        assert client.get(f"/experiences?q={q}", headers=usager).status_code == 200
    refused = client.get("/experiences?q=attente", headers=usager)
    assert refused.status_code == 429 and refused.json["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    # The list itself, another address and staff are not counted.
    assert client.get("/experiences", headers=usager).status_code == 200
    other = {"X-Forwarded-For": "203.0.113.8"}
    assert client.get("/experiences?q=attente", headers=other).status_code == 200
    ids = env.tree()
    agent = {**usager, **env.headers("agent", ids, structures=["loc"])}
    for _ in range(3):
        assert client.get("/experiences?q=attente", headers=agent).status_code == 200


# Annotations, comments, similar answered experiences -------------------------------------------

def test_annotations_in_scope(env):
    ids = env.tree()
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"])
    body = {"general_tags": [{"tag": "simplicity", "feeling": "positive"}],
            "business_tags": ["prestations familiales"],
            "channel_feelings": [{"channel": "phone", "feeling": "negative"}],
            "improvement_to_consider": True}
    response = env.client.patch(f"/experiences/{exp_id}/annotations", headers=agent, json=body)
    assert response.status_code == 200
    assert response.json["general_tags"] == body["general_tags"]
    assert response.json["improvement_to_consider"] is True
    bad = env.client.patch(f"/experiences/{exp_id}/annotations", headers=agent,
                           json={"general_tags": [{"tag": "speed", "feeling": "positive"}]})
    assert bad.status_code == 422 and "general_tags" in bad.json["errors"]
    stranger = env.headers("agent", ids, structures=["s2"], network="net2")
    assert env.client.patch(f"/experiences/{exp_id}/annotations", headers=stranger,
                            json=body).status_code == 403
    assert "general_tags" not in env.client.get(f"/experiences/{exp_id}").json


def test_internal_comments_visible_to_structure_and_moderators_only(env):
    ids = env.tree()
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"])
    created = env.client.post(f"/experiences/{exp_id}/comments", headers=agent,
                              json={"body": "À voir avec l'accueil."})
    assert created.status_code == 201 and created.json["body"] == "À voir avec l'accueil."
    assert env.client.post(f"/experiences/{exp_id}/comments", headers=agent,
                           json={}).json["errors"]["body"]
    for headers in (agent, env.headers("moderator"), env.headers("referent", ids)):
        listing = env.client.get(f"/experiences/{exp_id}/comments", headers=headers)
        assert listing.status_code == 200 and len(listing.json["items"]) == 1
    assert env.client.get(f"/experiences/{exp_id}/comments").status_code == 401
    stranger = env.headers("agent", ids, structures=["side"])
    assert env.client.get(f"/experiences/{exp_id}/comments", headers=stranger).status_code == 403
    assert "À voir" not in env.client.get(f"/experiences/{exp_id}").get_data(as_text=True)


def test_comments_of_a_network_stay_with_it_when_rerouted_to_another(env):
    ids = env.tree()
    exp_id = env.published(ids)
    caf = env.headers("agent", ids, structures=["loc"])
    assert env.client.post(f"/experiences/{exp_id}/comments", headers=caf,
                           json={"body": "Usager déjà reçu trois fois."}).status_code == 201
    env.deliver("moderation.rerouted", {"case_id": "c", "experience_id": exp_id,
                                        "structure_id": ids["s2"], "network_id": ids["net2"],
                                        "moderator_id": "m1"})
    cpam = env.headers("agent", ids, structures=["s2"], network="net2")
    assert env.client.get(f"/experiences/{exp_id}/comments", headers=cpam).json["items"] == []
    assert env.client.post(f"/experiences/{exp_id}/comments", headers=cpam,
                           json={"body": "Pris en charge par la CPAM."}).status_code == 201
    seen = env.client.get(f"/experiences/{exp_id}/comments", headers=cpam).json["items"]
    assert [c["body"] for c in seen] == ["Pris en charge par la CPAM."]
    everything = env.client.get(f"/experiences/{exp_id}/comments",
                                headers=env.headers("moderator")).json["items"]
    assert [c["body"] for c in everything] == ["Usager déjà reçu trois fois.",
                                               "Pris en charge par la CPAM."]


def test_similar_answered_experiences_of_the_network(env):
    ids = env.tree(requires_validation=False)
    agent = env.headers("agent", ids, structures=["nat"], missions=("answer",))
    old = env.submit(title="Attente interminable au téléphone")
    env.approve(old, ids, body="Attente téléphonique de quarante minutes pour un rendez-vous.")
    _draft(env, old, agent, body="Nous renforçons la plateforme téléphonique.")
    env.client.post(f"/experiences/{old}/response/submit", headers=agent)
    unrelated = env.submit(title="Jardin municipal")
    env.approve(unrelated, ids, body="Les fleurs du parc sont magnifiques.")
    _draft(env, unrelated, agent)
    env.client.post(f"/experiences/{unrelated}/response/submit", headers=agent)
    new = env.submit(title="Trop d'attente au téléphone")
    env.approve(new, ids, body="Une heure d'attente téléphonique sans réponse.")
    response = env.client.get(f"/experiences/{new}/similar", headers=agent)
    assert response.status_code == 200
    assert [i["id"] for i in response.json["items"]] == [old]
    assert response.json["items"][0]["response"]["body"] == \
        "Nous renforçons la plateforme téléphonique."
    other_network = env.headers("super_agent", ids, structures=["s2"], network="net2")
    assert env.client.get(f"/experiences/{new}/similar", headers=other_network).status_code == 403


def test_public_filters_and_cross_network_lists(env):
    ids = env.tree()
    here = env.published(ids, postal_code="13001", channel="phone", feeling="negative")
    env.published(ids, structure="s2", net="net2", postal_code="13001")
    public = env.client.get(f"/experiences?postal_code=13001&network_id={ids['net']}").json
    assert [i["id"] for i in public["items"]] == [here]
    by_channel = env.client.get(
        f"/experiences?network_id={ids['net']}&channel=phone&feeling=negative").json
    assert [i["id"] for i in by_channel["items"]] == [here]
    today = date.today().isoformat()
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert env.client.get(f"/experiences?network_id={ids['net']}&from={today}&to={today}") \
        .json["total"] == 1
    assert env.client.get(f"/experiences?network_id={ids['net']}&from={tomorrow}") \
        .json["total"] == 0
    other_referent = env.headers("referent", ids, network="net2")
    listing = env.client.get(f"/experiences?network_id={ids['net']}", headers=other_referent).json
    assert listing["total"] == 0
    outsider_agent = env.headers("agent", ids, structures=["s2"], network="net2")
    listing = env.client.get(f"/experiences?structure_id={ids['loc']}",
                             headers=outsider_agent).json
    assert listing["total"] == 0
