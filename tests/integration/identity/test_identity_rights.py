"""The rights matrix at identity: who creates networks, structures and users, and where."""

import pytest

from tests.support.identity import PASSWORD


@pytest.fixture(scope="module")
def world(platform):
    """Two networks, each with a referent, a super agent and an agent; a moderator."""
    north, south = platform.network(), platform.network()
    hq_n = platform.structure(north["id"], postal_code="59000", city="Lille")
    hq_s = platform.structure(south["id"], postal_code="13001", city="Marseille")
    w = {"north": north, "south": south, "hq_n": hq_n, "hq_s": hq_s}
    for net in ("north", "south"):
        for profile in ("referent", "super_agent", "agent"):
            extra = {"structure_ids": [w[f"hq_{net[0]}"]["id"]], "missions": ["answer"]} \
                if profile != "referent" else {}
            user, headers = platform.as_user(profile, w[net]["id"], **extra)
            w[f"{profile}_{net}"] = user
            w[f"h_{profile}_{net}"] = headers
    w["moderator"], w["h_moderator"] = platform.as_user("moderator", None)
    w["h_admin"] = platform.admin()
    return w


def _new_user(profile, network_id, **extra):
    import uuid
    return {"email": f"{uuid.uuid4().hex[:8]}@spp.test", "name": "Nouvel utilisateur",
            "profile": profile, "network_id": network_id, "password": PASSWORD, **extra}


# --- networks ---

@pytest.mark.parametrize("who,status", [("admin", 201), ("referent_north", 403),
                                        ("super_agent_north", 403), ("agent_north", 403),
                                        ("moderator", 403)])
def test_only_admins_create_networks(platform, world, who, status):
    import uuid
    response = platform.client.post("/networks", json={"code": f"n{uuid.uuid4().hex[:8]}",
                                                       "name": "Réseau"},
                                    headers=world[f"h_{who}"])
    assert response.status_code == status


def test_network_defaults_and_event(platform, world):
    response = platform.client.post("/networks", json={"code": "CAF", "name": "CAF"},
                                    headers=world["h_admin"])
    body = response.get_json()
    assert body["requires_validation"] is True and body["target_delay_days"] == 15
    assert any(p["id"] == body["id"] and p["code"] == "CAF"
               for p in platform.outbox("network.created"))
    listed = platform.client.get("/networks?per_page=500", headers=world["h_agent_south"])
    assert listed.status_code == 200
    assert body["id"] in {n["id"] for n in listed.get_json()["items"]}
    duplicate = platform.client.post("/networks", json={"code": "CAF", "name": "CAF"},
                                     headers=world["h_admin"])
    assert duplicate.status_code == 409 and "code" in duplicate.get_json()["errors"]


# --- structures ---

@pytest.mark.parametrize("who,net,status", [
    ("admin", "north", 201), ("admin", "south", 201),
    ("referent_north", "north", 201), ("referent_north", "south", 403),
    ("super_agent_north", "north", 403), ("agent_north", "north", 403),
    ("moderator", "north", 403),
])
def test_structure_creation_matrix(platform, world, who, net, status):
    response = platform.client.post("/structures", json={"network_id": world[net]["id"],
                                                         "name": "Antenne"},
                                    headers=world[f"h_{who}"])
    assert response.status_code == status, response.get_json()


def test_structure_tree_search_and_events(platform, world):
    headers = world["h_referent_north"]
    child = platform.structure(world["north"]["id"], headers=headers, parent_id=world["hq_n"]["id"],
                               name="Agence de Roubaix", postal_code="59100", city="Roubaix",
                               channels=["in_person", "phone"])
    assert child["parent_id"] == world["hq_n"]["id"]
    assert any(p["id"] == child["id"] and p["channels"] == ["in_person", "phone"]
               for p in platform.outbox("structure.created"))
    for q in ("roubaix", "59100", "ROUBAIX"):
        found = platform.client.get(f"/structures?q={q}", headers=world["h_moderator"]).get_json()
        assert child["id"] in {s["id"] for s in found["items"]}
    for q in ("%25", "_"):  # taken literally, not as LIKE's wildcards
        found = platform.client.get(f"/structures?q={q}", headers=world["h_moderator"]).get_json()
        assert found["items"] == []
    children = platform.client.get(f"/structures?parent_id={world['hq_n']['id']}",
                                   headers=headers).get_json()
    assert [s["id"] for s in children["items"]] == [child["id"]] and children["total"] == 1
    by_network = platform.client.get(f"/structures?network_id={world['south']['id']}",
                                     headers=world["h_moderator"]).get_json()
    assert {s["network_id"] for s in by_network["items"]} == {world["south"]["id"]}
    patched = platform.client.patch(f"/structures/{child['id']}", json={"city": "Roubaix Centre"},
                                    headers=headers)
    assert patched.status_code == 200 and patched.get_json()["city"] == "Roubaix Centre"
    assert any(p["id"] == child["id"] and p["city"] == "Roubaix Centre"
               for p in platform.outbox("structure.updated"))
    assert platform.client.get(f"/structures/{child['id']}", headers=world["h_agent_north"]) \
        .get_json()["name"] == "Agence de Roubaix"


def test_structure_parent_rules(platform, world):
    cross = platform.client.post("/structures", json={
        "network_id": world["north"]["id"], "parent_id": world["hq_s"]["id"], "name": "X"},
        headers=world["h_admin"])
    assert cross.status_code == 422 and "parent_id" in cross.get_json()["errors"]
    top = platform.structure(world["north"]["id"])
    below = platform.structure(world["north"]["id"], parent_id=top["id"])
    cycle = platform.client.patch(f"/structures/{top['id']}", json={"parent_id": below["id"]},
                                  headers=world["h_admin"])
    assert cycle.status_code == 422 and "parent_id" in cycle.get_json()["errors"]


def test_referent_cannot_patch_another_networks_structure(platform, world):
    response = platform.client.patch(f"/structures/{world['hq_s']['id']}", json={"name": "Pris"},
                                     headers=world["h_referent_north"])
    assert response.status_code == 404  # not even shown to another network, as for GET
    assert platform.client.patch("/structures/nope", json={"name": "x"},
                                 headers=world["h_admin"]).status_code == 404


# --- users ---

@pytest.mark.parametrize("who,profile,net,status", [
    ("admin", "agent", "north", 201), ("admin", "super_agent", "north", 201),
    ("admin", "referent", "north", 201), ("admin", "moderator", None, 201),
    ("admin", "admin", None, 201),
    ("referent_north", "agent", "north", 201), ("referent_north", "super_agent", "north", 201),
    ("referent_north", "referent", "north", 403), ("referent_north", "moderator", None, 403),
    ("referent_north", "admin", None, 403),
    ("referent_north", "agent", "south", 403),
    ("super_agent_north", "agent", "north", 403), ("agent_north", "agent", "north", 403),
    ("moderator", "agent", "north", 403),
])
def test_user_creation_matrix(platform, world, who, profile, net, status):
    network_id = world[net]["id"] if net else None
    response = platform.client.post("/users", json=_new_user(profile, network_id),
                                    headers=world[f"h_{who}"])
    assert response.status_code == status, response.get_json()


def test_moderator_belongs_to_no_network(platform, world):
    response = platform.client.post("/users", json=_new_user("moderator", world["north"]["id"]),
                                    headers=world["h_admin"])
    assert response.status_code == 422 and "network_id" in response.get_json()["errors"]


def test_user_structures_must_be_in_their_network(platform, world):
    response = platform.client.post(
        "/users", json=_new_user("agent", world["north"]["id"], structure_ids=[world["hq_s"]["id"]]),
        headers=world["h_admin"])
    assert response.status_code == 422 and "structure_ids" in response.get_json()["errors"]


def test_referent_creates_in_own_network_by_default_and_event_published(platform, world):
    body = _new_user("agent", None, missions=["diagnostic"],
                     structure_ids=[world["hq_n"]["id"]])
    del body["network_id"]
    response = platform.client.post("/users", json=body, headers=world["h_referent_north"])
    assert response.status_code == 201
    created = response.get_json()
    assert created["network_id"] == world["north"]["id"]
    event = [p for p in platform.outbox("user.created") if p["id"] == created["id"]]
    assert event and event[0]["email"] == body["email"]
    assert event[0]["structure_ids"] == [world["hq_n"]["id"]]
    assert event[0]["notification_frequency"] == "immediate"


def test_referent_sees_and_manages_only_its_network(platform, world):
    listed = platform.client.get("/users?per_page=500", headers=world["h_referent_north"])
    assert listed.status_code == 200
    assert {u["network_id"] for u in listed.get_json()["items"]} == {world["north"]["id"]}
    other = world["agent_south"]["id"]
    assert platform.client.get(f"/users/{other}", headers=world["h_referent_north"]) \
        .status_code == 404
    assert platform.client.patch(f"/users/{other}", json={"name": "x"},
                                 headers=world["h_referent_north"]).status_code == 404
    mine = world["agent_north"]["id"]
    assert platform.client.get(f"/users/{mine}", headers=world["h_referent_north"]) \
        .status_code == 200
    moved = platform.client.patch(f"/users/{mine}", json={"network_id": world["south"]["id"]},
                                  headers=world["h_referent_north"])
    assert moved.status_code == 403


def test_referent_grants_at_most_super_agent(platform, world):
    user = platform.user("agent", world["north"]["id"])
    promote = platform.client.patch(f"/users/{user['id']}", json={"profile": "super_agent"},
                                    headers=world["h_referent_north"])
    assert promote.status_code == 200 and promote.get_json()["profile"] == "super_agent"
    assert any(p["id"] == user["id"] and p["profile"] == "super_agent"
               for p in platform.outbox("user.updated"))
    too_high = platform.client.patch(f"/users/{user['id']}", json={"profile": "referent"},
                                     headers=world["h_referent_north"])
    assert too_high.status_code == 403 and "profile" in too_high.get_json()["errors"]
    peer = platform.user("referent", world["north"]["id"])
    assert platform.client.patch(f"/users/{peer['id']}", json={"name": "x"},
                                 headers=world["h_referent_north"]).status_code == 403


def test_agents_cannot_list_or_read_users(platform, world):
    for who in ("agent_north", "super_agent_north", "moderator"):
        assert platform.client.get("/users", headers=world[f"h_{who}"]).status_code == 403
        assert platform.client.get(f"/users/{world['agent_north']['id']}",
                                   headers=world[f"h_{who}"]).status_code == 403


def test_token_scope_reflects_the_user(platform, world):
    import jwt
    token = world["h_agent_north"]["Authorization"].split()[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["network_id"] == world["north"]["id"]
    assert claims["structure_ids"] == [world["hq_n"]["id"]]
    assert claims["missions"] == ["answer"]
    assert "response:draft" in claims["perms"] and "diagnostic:fill" not in claims["perms"]
    assert "response:validate" not in claims["perms"]
    super_claims = jwt.decode(world["h_super_agent_north"]["Authorization"].split()[1],
                              options={"verify_signature": False})
    assert "response:validate" in super_claims["perms"]


# --- me ---

def test_me_and_preferences(platform, world):
    me = platform.client.get("/me", headers=world["h_agent_south"]).get_json()
    assert me["id"] == world["agent_south"]["id"] and me["notification_frequency"] == "immediate"
    changed = platform.client.patch("/me/preferences", json={"notification_frequency": "weekly"},
                                    headers=world["h_agent_south"])
    assert changed.status_code == 200 and changed.get_json()["notification_frequency"] == "weekly"
    assert any(p["id"] == me["id"] and p["notification_frequency"] == "weekly"
               for p in platform.outbox("user.updated"))
    bad = platform.client.patch("/me/preferences", json={"notification_frequency": "hourly"},
                                headers=world["h_agent_south"])
    assert bad.status_code == 422 and "notification_frequency" in bad.get_json()["errors"]
    assert platform.client.get("/me").status_code == 401


# --- bad input ---

@pytest.mark.parametrize("path,body,field", [
    ("/users", {"email": "pas-un-email", "name": "A", "profile": "agent"}, "email"),
    ("/users", {"email": "a@spp.test", "name": "A", "profile": "boss"}, "profile"),
    ("/users", {"email": "a@spp.test", "name": "A", "profile": "agent",
                "missions": ["fly"]}, "missions"),
    ("/users", {"email": "a@spp.test", "profile": "agent"}, "name"),
    ("/users", {"email": "a@spp.test", "name": "A", "profile": "agent",
                "structure_ids": "abc"}, "structure_ids"),
    ("/users", {"email": "a@spp.test", "name": "A", "profile": "agent", "password": "court"},
     "password"),
    ("/networks", {"code": "x", "name": "X", "target_delay_days": "soon"}, "target_delay_days"),
    ("/networks", {"name": "X"}, "code"),
    ("/networks", {"code": "a b", "name": "X"}, "code"),
    ("/structures", {"name": "S"}, "network_id"),
    ("/structures", {"network_id": "n", "name": "S", "channels": ["fax"]}, "channels"),
    ("/structures", {"network_id": "n", "name": "S", "postal_code": "ABCDE"}, "postal_code"),
    ("/structures", {"network_id": "nope", "name": "S"}, "network_id"),
    ("/structures", {"network_id": "n", "name": "x" * 300}, "name"),
    ("/users", {"email": "a@spp.test", "name": "A", "profile": "agent", "colour": "red"},
     "colour"),
    ("/users", {"email": "a@spp.test", "name": "   ", "profile": "moderator"}, "name"),
    ("/networks", {"code": "blank", "name": " "}, "name"),
    ("/structures", {"network_id": "n", "name": "\t "}, "name"),
    ("/structures", {"network_id": "n", "name": "CAF\u0000"}, "name"),
    ("/structures", {"network_id": "n", "name": "S", "city": "Lyon\u0000"}, "city"),
])
def test_bad_input_names_the_field(platform, world, path, body, field):
    response = platform.client.post(path, json=body, headers=world["h_admin"])
    assert 400 <= response.status_code < 500
    assert field in response.get_json()["errors"], response.get_json()


def test_field_errors_are_in_french(platform, world):
    body = _new_user("agent", world["north"]["id"]) | {"missions": "answer", "extra": 1}
    body.pop("name")
    errors = platform.client.post("/users", json=body, headers=world["h_admin"]).get_json()["errors"]
    assert errors["missions"] == ["Une liste est attendue."]
    assert errors["name"] == ["Ce champ est obligatoire."]
    assert errors["extra"] == ["Champ inconnu."]
    broken = platform.client.post("/networks", data="{not json", content_type="application/json",
                                  headers=world["h_admin"]).get_json()
    assert "Invalid" not in str(broken) and broken["code"] == "bad_request"


def test_oversized_and_unreadable_bodies_are_4xx(platform, world):
    huge = platform.client.post("/networks", data="{" + "x" * (2 * 1024 * 1024) + "}",
                                content_type="application/json", headers=world["h_admin"])
    assert huge.status_code == 413
    broken = platform.client.post("/networks", data="{not json", content_type="application/json",
                                  headers=world["h_admin"])
    assert broken.status_code == 400


def test_duplicate_email_is_a_conflict(platform, world):
    body = _new_user("agent", world["north"]["id"])
    body["email"] = world["agent_north"]["email"].upper()
    response = platform.client.post("/users", json=body, headers=world["h_admin"])
    assert response.status_code == 409 and "email" in response.get_json()["errors"]


def test_a_concurrent_request_taking_the_same_email_is_a_conflict_too(platform, world,
                                                                      monkeypatch):
    """Two requests both pass the look for the address; the database's constraint decides."""
    from services.identity import service

    monkeypatch.setattr(service, "_check_email_free", lambda *args, **kwargs: None)
    body = _new_user("agent", world["north"]["id"])
    body["email"] = world["agent_north"]["email"]
    before = len(platform.outbox("user.created"))
    created = platform.client.post("/users", json=body, headers=world["h_admin"])
    assert created.status_code == 409, created.get_json()
    assert created.get_json()["errors"] == {"email": ["Cette adresse e-mail est déjà utilisée."]}
    other = platform.client.post("/users", json=_new_user("agent", world["north"]["id"]),
                                 headers=world["h_admin"]).get_json()
    changed = platform.client.patch(f"/users/{other['id']}", json={"email": body["email"]},
                                    headers=world["h_admin"])
    assert changed.status_code == 409 and "email" in changed.get_json()["errors"]
    assert len(platform.outbox("user.created")) == before + 1  # the second user only


def test_refused_change_publishes_nothing(platform, world):
    before = {t: len(platform.outbox(t)) for t in ("user.created", "user.updated",
                                                     "structure.created")}
    platform.client.post("/users", json=_new_user("referent", world["north"]["id"]),
                         headers=world["h_referent_north"])
    platform.client.patch(f"/users/{world['agent_south']['id']}", json={"name": "x"},
                          headers=world["h_referent_north"])
    platform.client.post("/structures", json={"network_id": world["south"]["id"], "name": "X"},
                         headers=world["h_referent_north"])
    after = {t: len(platform.outbox(t)) for t in before}
    assert after == before


def test_authentication_comes_before_input_checks(platform, world):
    assert platform.client.post("/users", json={"email": "bad"}).status_code == 401
    assert platform.client.post("/users", json={"email": "bad"},
                                headers=world["h_agent_north"]).status_code == 403
    spec = platform.client.get("/openapi.json").get_json()
    assert "requestBody" in spec["paths"]["/users"]["post"]


def test_network_codes_differ_by_more_than_case(platform, world):
    import uuid
    code = f"Net{uuid.uuid4().hex[:6]}"
    first = platform.client.post("/networks", json={"code": code, "name": "Réseau"},
                                 headers=world["h_admin"])
    assert first.status_code == 201
    again = platform.client.post("/networks", json={"code": code.lower(), "name": "Réseau"},
                                 headers=world["h_admin"])
    assert again.status_code == 409 and "code" in again.get_json()["errors"]


def test_repeated_missions_and_structures_are_kept_once(platform, world):
    hq = world["hq_n"]["id"]
    body = _new_user("agent", world["north"]["id"], missions=["answer", "answer"],
                     structure_ids=[hq, hq])
    created = platform.client.post("/users", json=body, headers=world["h_referent_north"])
    assert created.status_code == 201
    assert created.get_json()["missions"] == ["answer"]
    assert created.get_json()["structure_ids"] == [hq]
    changed = platform.client.patch(f"/users/{created.get_json()['id']}",
                                    json={"missions": ["diagnostic", "answer", "diagnostic"]},
                                    headers=world["h_referent_north"])
    assert changed.get_json()["missions"] == ["diagnostic", "answer"]
