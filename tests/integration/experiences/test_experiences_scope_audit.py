"""Security audit of experiences: permission and scope on every endpoint, both ways."""

from __future__ import annotations

from datetime import date

import pytest

pytestmark = pytest.mark.integration

SECRET = "camille.secret@example.org"
INTERNAL = ("response_draft", "evaluation", "general_tags", "reorientation_reason", "submitted_at")


def _draft(env, exp_id, headers, body="Merci pour votre retour."):
    return env.client.put(f"/experiences/{exp_id}/response", headers=headers,
                          json={"body": body, "closing": "Cordialement", "signature": "L'agence"})


def _actions(env, exp_id, ids):
    """Every staff action on one experience: (name, method, path, json)."""
    return [
        ("draft", "put", f"/experiences/{exp_id}/response", {"body": "Intrusion"}),
        ("submit", "post", f"/experiences/{exp_id}/response/submit", None),
        ("validate", "post", f"/experiences/{exp_id}/response/validate", None),
        ("reassign", "post", f"/experiences/{exp_id}/reassign", {"structure_id": ids["loc"]}),
        ("reorient", "post", f"/experiences/{exp_id}/reorientation", {"reason": "Pas chez nous"}),
        ("annotate", "patch", f"/experiences/{exp_id}/annotations",
         {"improvement_to_consider": True}),
        ("comments", "get", f"/experiences/{exp_id}/comments", None),
        ("comment", "post", f"/experiences/{exp_id}/comments", {"body": "Intrusion"}),
        ("similar", "get", f"/experiences/{exp_id}/similar", None),
    ]


def _call(env, method, path, body, headers):
    return getattr(env.client, method)(path, json=body, headers=headers)


OUTSIDERS = [
    # (profile, structures, network): staff of the other network, or of a sibling structure
    ("agent", ["s2"], "net2"), ("super_agent", ["s2"], "net2"), ("referent", [], "net2"),
    ("agent", ["side"], "net"), ("super_agent", ["side"], "net"),
    ("super_agent", ["loc"], "net"),  # the experience sits at `reg`, the parent: not below
]


@pytest.mark.parametrize("profile,structures,network", OUTSIDERS)
def test_outsiders_act_on_nothing_and_see_the_public_view_only(env, profile, structures, network):
    ids = env.tree()
    exp_id = env.published(ids, structure="reg")
    owner = env.headers("agent", ids, structures=["reg"])
    assert _draft(env, exp_id, owner).status_code == 200
    assert env.client.post(f"/experiences/{exp_id}/response/submit",
                           headers=owner).status_code == 200
    env.client.post(f"/experiences/{exp_id}/comments", headers=owner, json={"body": "Interne"})
    outsider = env.headers(profile, ids, structures=structures, network=network)
    for name, method, path, body in _actions(env, exp_id, ids):
        response = _call(env, method, path, body, outsider)
        assert response.status_code == 403, (name, response.status_code, response.json)
    # documented choice: outside the scope, a published experience shows its public view
    seen = env.client.get(f"/experiences/{exp_id}", headers=outsider)
    assert seen.status_code == 200 and not set(INTERNAL) & set(seen.json)
    assert "Interne" not in seen.get_data(as_text=True)
    for query in ("", f"&structure_id={ids['reg']}", f"&network_id={ids['net']}",
                  f"&structure_id={ids['nat']}&include_children=true"):
        listed = env.client.get(f"/experiences?per_page=100{query}", headers=outsider)
        assert listed.status_code == 200
        assert exp_id not in {e["id"] for e in listed.json["items"]}, query
    after = env.client.get(f"/experiences/{exp_id}", headers=owner).json
    assert after["status"] == "awaiting_validation" and after["structure_id"] == ids["reg"]
    assert after["response_draft"]["body"] == "Merci pour votre retour."
    assert after["improvement_to_consider"] is not True


@pytest.mark.parametrize("profile,missions,allowed", [
    ("moderator", (), {"comments"}),
    ("referent", (), {"reorient", "comments"}),
    ("agent", ("diagnostic",), {"reassign", "reorient", "annotate", "comments", "comment"}),
])
def test_missing_permissions_are_403(env, profile, missions, allowed):
    ids = env.tree()
    exp_id = env.published(ids, structure="reg")
    headers = env.headers(profile, ids, structures=["reg"], missions=missions,
                          network="net" if profile != "moderator" else None)
    for name, method, path, body in _actions(env, exp_id, ids):
        if name in allowed:
            continue
        response = _call(env, method, path, body, headers)
        assert response.status_code == 403, (name, response.status_code, response.json)
    for name, method, path, body in _actions(env, exp_id, ids):
        assert _call(env, method, path, body, {}).status_code == 401, name


def test_super_agent_validates_only_in_scope(env):
    ids = env.tree(requires_validation=True)
    exp_id = env.published(ids)
    own = env.headers("super_agent", ids, structures=["loc"])
    assert _draft(env, exp_id, own).status_code == 200
    assert env.client.post(f"/experiences/{exp_id}/response/submit",
                           headers=own).json["status"] == "awaiting_validation"
    for outsider in (env.headers("super_agent", ids, structures=["side"]),
                     env.headers("super_agent", ids, structures=["s2"], network="net2"),
                     env.headers("referent", ids)):
        assert env.client.post(f"/experiences/{exp_id}/response/validate",
                               headers=outsider).status_code == 403
    assert env.outbox_for("experience.answered", exp_id) == []
    # Four eyes: the one who sent it does not validate it; a super agent above does (a structure
    # with a single super agent has those of its parents, who are e-mailed).
    refused = env.client.post(f"/experiences/{exp_id}/response/validate", headers=own)
    assert refused.status_code == 403 and "un autre super agent" in refused.json["message"]
    assert env.outbox_for("experience.answered", exp_id) == []
    above = env.headers("super_agent", ids, structures=["reg"])
    validated = env.client.post(f"/experiences/{exp_id}/response/validate", headers=above)
    assert validated.status_code == 200 and validated.json["status"] == "answered"


def test_whoever_wrote_the_text_as_it_stands_does_not_validate_it_either(env):
    ids = env.tree(requires_validation=True)
    chief = env.headers("super_agent", ids, structures=["loc"])
    agent = env.headers("agent", ids, structures=["loc"], missions=["answer"])
    above = env.headers("super_agent", ids, structures=["reg"])
    # The super agent writes, an agent sends: the writer may not validate alone.
    written = env.published(ids)
    assert _draft(env, written, chief).status_code == 200
    assert env.client.post(f"/experiences/{written}/response/submit",
                           headers=agent).status_code == 200
    refused = env.client.post(f"/experiences/{written}/response/validate", headers=chief)
    assert refused.status_code == 403 and "rédigé ou envoyé" in refused.json["message"]
    # The notifier hears both, so it asks neither to validate.
    [sent] = env.outbox_for("experience.response_submitted", written)
    drafted = env.client.get(f"/experiences/{written}", headers=above).json
    assert sent["payload"]["drafted_by"] == drafted["response_drafted_by"]
    assert sent["payload"]["submitted_by"] == drafted["response_submitted_by"]
    assert sent["payload"]["drafted_by"] != sent["payload"]["submitted_by"]
    # An agent writes and sends; the super agent rewrites it while it waits: another validates.
    amended = env.published(ids)
    assert _draft(env, amended, agent).status_code == 200
    assert env.client.post(f"/experiences/{amended}/response/submit",
                           headers=agent).status_code == 200
    assert _draft(env, amended, chief).status_code == 200
    assert env.client.post(f"/experiences/{amended}/response/validate",
                           headers=chief).status_code == 403
    assert env.outbox_for("experience.answered", amended) == []
    assert env.client.post(f"/experiences/{amended}/response/validate",
                           headers=above).json["status"] == "answered"


def test_reassign_never_leaves_the_subtree(env):
    ids = env.tree()
    exp_id = env.published(ids, structure="reg")
    agent = env.headers("agent", ids, structures=["nat"])  # sees reg through its children
    for target in ("s2", "side", "nat", "reg", "unknown", "x" * 64):
        response = env.client.post(f"/experiences/{exp_id}/reassign", headers=agent,
                                   json={"structure_id": ids.get(target, target)})
        assert response.status_code == 422, (target, response.json)
    moved = env.client.post(f"/experiences/{exp_id}/reassign", headers=agent,
                            json={"structure_id": ids["loc"]})
    assert moved.status_code == 200 and moved.json["structure_id"] == ids["loc"]


def test_evaluation_token_is_bound_to_its_experience_and_single_use(env):
    ids = env.tree(requires_validation=False)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    first, second = env.published(ids), env.published(ids)
    tokens = {}
    for exp_id in (first, second):
        _draft(env, exp_id, agent)
        assert env.client.post(f"/experiences/{exp_id}/response/submit",
                               headers=agent).json["status"] == "answered"
        tokens[exp_id] = env.outbox_for("experience.answered", exp_id)[0]["payload"][
            "evaluation_token"]
    body = {"useful": True, "feeling_after": "positive"}
    crossed = env.client.post(f"/experiences/{second}/evaluation",
                              json={**body, "token": tokens[first]})
    assert crossed.status_code == 403
    unanswered = env.published(ids)
    assert env.client.post(f"/experiences/{unanswered}/evaluation",
                           json={**body, "token": tokens[first]}).status_code == 403
    assert env.client.post(f"/experiences/{env.submit()}/evaluation",
                           json={**body, "token": tokens[first]}).status_code == 404
    assert env.client.post(f"/experiences/{first}/evaluation",
                           json={**body, "token": tokens[first]}).status_code == 201
    assert env.client.post(f"/experiences/{first}/evaluation",
                           json={**body, "token": tokens[first]}).status_code == 410
    assert env.client.post(f"/experiences/{second}/evaluation",
                           json={**body, "token": tokens[second]}).status_code == 201
    for bad in ("", "x" * 500, None, 12):
        response = env.client.post(f"/experiences/{second}/evaluation",
                                   json={**body, "token": bad})
        assert response.status_code == 422, (bad, response.status_code)


def test_dashboard_and_actions_stay_in_scope(env):
    ids = env.tree(requires_validation=False)
    exp_id = env.published(ids)
    for profile, structures, network in OUTSIDERS[:5]:
        outsider = env.headers(profile, ids, structures=structures, network=network)
        for structure in ("loc", "nat"):
            response = env.client.get(f"/dashboard?structure_id={ids[structure]}",
                                      headers=outsider)
            assert response.status_code == 403, (profile, structures, structure)
        figures = env.client.get(f"/dashboard?network_id={ids['net']}", headers=outsider).json
        if network == "net2":
            assert figures["published"] == 0
        action = {"title": "Action", "description": "Prise", "date": date.today().isoformat(),
                  "structure_id": ids["loc"], "experience_ids": [exp_id]}
        assert env.client.post("/improvement-actions", json=action,
                               headers=outsider).status_code == 403
        own = structures[0] if structures else None
        if own:
            mixed = env.client.post("/improvement-actions", headers=outsider,
                                    json={**action, "structure_id": ids[own]})
            assert mixed.status_code == 422 and "experience_ids" in mixed.json["errors"]
    assert env.client.get(f"/dashboard?structure_id={ids['loc']}",
                          headers=env.headers("moderator")).status_code == 403
    assert env.client.get("/dashboard").status_code == 401
    for unknown in ("nope", "x" * 64):
        assert env.client.get(f"/dashboard?structure_id={unknown}",
                              headers=env.headers("admin")).status_code in (404, 422)


def test_author_email_appears_in_no_answer(env):
    ids = env.tree(requires_validation=False)
    exp_id = env.published(ids, author_email=SECRET)
    pending = env.submit(author_email=SECRET)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    admin = env.headers("admin")
    answers = [env.client.post("/experiences", json=env.body(author_email=SECRET)),
               _draft(env, exp_id, agent),
               env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)]
    for headers in ({}, agent, admin, env.headers("moderator"), env.headers("referent", ids)):
        for path in (f"/experiences/{exp_id}", f"/experiences/{pending}",
                     "/experiences?per_page=100", f"/experiences?q={SECRET}",
                     f"/experiences/{exp_id}/comments", "/improvement-actions",
                     "/open-data/experiences.csv", "/open-data/experiences.json"):
            answers.append(env.client.get(path, headers=headers))
    for response in answers:
        assert SECRET not in response.get_data(as_text=True), response.request.path
        assert "author_email" not in response.get_data(as_text=True), response.request.path


@pytest.mark.parametrize("bad", ["nope", "0" * 36, "x" * 100, "%00", "a%2Fb", "' OR 1=1 --"])
def test_unknown_or_malformed_ids_are_404_or_422(env, bad):
    ids = env.tree()
    admin = env.headers("admin")
    assert env.client.get(f"/experiences/{bad}").status_code == 404
    assert env.client.get(f"/experiences/{bad}", headers=admin).status_code == 404
    assert env.client.post(f"/experiences/{bad}/evaluation", json={
        "token": "t", "useful": True, "feeling_after": "positive"}).status_code in (404, 422)
    for name, method, path, body in _actions(env, bad, ids):
        response = _call(env, method, path, body, admin)
        assert response.status_code in (404, 422), (name, response.status_code)
    for query in (f"structure_id={bad}", f"network_id={bad}", f"experience_id={bad}"):
        for path in ("/experiences", "/improvement-actions"):
            if path == "/experiences" and query.startswith("experience_id"):
                continue
            response = env.client.get(f"{path}?{query}", headers=admin)
            assert response.status_code in (200, 422), (path, query, response.status_code)


def test_unpublished_experience_is_404_outside_the_scope(env):
    ids = env.tree()
    pending = env.submit()
    agent = env.headers("agent", ids, structures=["loc"])
    referent = env.headers("referent", ids)
    for headers in (agent, referent):
        for name, method, path, body in _actions(env, pending, ids):
            response = _call(env, method, path, body, headers)
            assert response.status_code in (403, 404), (name, response.status_code)
            if response.status_code == 403:  # refused for the permission, before any lookup
                assert response.json["code"] == "forbidden", name
    assert _draft(env, pending, agent).status_code == 404
    assert env.client.get(f"/experiences/{pending}/comments", headers=referent).status_code == 404


def test_permission_and_authentication_come_before_input_checks(env):
    ids = env.tree()
    exp_id = env.published(ids)
    referent = env.headers("referent", ids, network="net2")
    moderator = env.headers("moderator")
    for path, method, headers in (
            (f"/experiences/{exp_id}/response", "put", referent),
            (f"/experiences/{exp_id}/reassign", "post", referent),
            (f"/experiences/{exp_id}/annotations", "patch", moderator),
            (f"/experiences/{exp_id}/comments", "post", moderator),
            ("/improvement-actions", "post", moderator)):
        assert _call(env, method, path, {"bogus": "x" * 10}, {}).status_code == 401, path
        assert _call(env, method, path, {"bogus": "x" * 10}, headers).status_code == 403, path
    assert env.client.get("/dashboard?page=abc", headers=moderator).status_code == 403


def test_without_experience_read_staff_get_the_public_view(env):
    ids = env.tree()
    exp_id = env.published(ids)
    pending = env.submit()
    blind = env.headers("admin", perms=["dashboard:read"])
    seen = env.client.get(f"/experiences/{exp_id}", headers=blind)
    assert seen.status_code == 200 and not set(INTERNAL) & set(seen.json)
    assert env.client.get(f"/experiences/{pending}", headers=blind).status_code == 404
    listed = env.client.get("/experiences?per_page=100&status=submitted", headers=blind).json
    assert pending not in {e["id"] for e in listed["items"]}
