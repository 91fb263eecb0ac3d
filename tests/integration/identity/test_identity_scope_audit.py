"""Security audit of identity: every endpoint checks the permission and the network scope."""

import uuid

import pytest

from tests.support.identity import PASSWORD


@pytest.fixture(scope="module")
def world(platform):
    """Two networks, each with a structure, a referent, a super agent and an agent; a moderator."""
    north, south = platform.network(), platform.network()
    w = {"north": north, "south": south,
         "hq_n": platform.structure(north["id"], name=f"Nord {uuid.uuid4().hex[:6]}"),
         "hq_s": platform.structure(south["id"], name=f"Sud {uuid.uuid4().hex[:6]}")}
    for net in ("north", "south"):
        for profile in ("referent", "super_agent", "agent"):
            extra = {"structure_ids": [w[f"hq_{net[0]}"]["id"]], "missions": ["answer"]} \
                if profile != "referent" else {}
            w[f"{profile}_{net}"], w[f"h_{profile}_{net}"] = \
                platform.as_user(profile, w[net]["id"], **extra)
    w["moderator"], w["h_moderator"] = platform.as_user("moderator", None)
    w["h_admin"] = platform.admin()
    return w


NETWORK_USERS = ("referent_north", "super_agent_north", "agent_north")


@pytest.mark.parametrize("who", NETWORK_USERS)
def test_another_networks_structures_are_not_listed(platform, world, who):
    headers = world[f"h_{who}"]
    south = world["hq_s"]
    for query in ("?per_page=500", f"?network_id={world['south']['id']}",
                  f"?q={south['name']}", f"?parent_id={south['id']}"):
        found = platform.client.get(f"/structures{query}", headers=headers)
        assert found.status_code == 200
        assert south["id"] not in {s["id"] for s in found.get_json()["items"]}, query
        assert {s["network_id"] for s in found.get_json()["items"]} <= {world["north"]["id"]}
    mine = platform.client.get(f"/structures?q={world['hq_n']['name']}", headers=headers)
    assert world["hq_n"]["id"] in {s["id"] for s in mine.get_json()["items"]}


@pytest.mark.parametrize("who", NETWORK_USERS)
def test_another_networks_structure_is_404(platform, world, who):
    headers = world[f"h_{who}"]
    assert platform.client.get(f"/structures/{world['hq_s']['id']}",
                               headers=headers).status_code == 404
    assert platform.client.get(f"/structures/{world['hq_n']['id']}",
                               headers=headers).status_code == 200


@pytest.mark.parametrize("who", ("admin", "moderator"))
def test_admins_and_moderators_read_every_network(platform, world, who):
    headers = world[f"h_{who}"]
    for key in ("hq_n", "hq_s"):
        assert platform.client.get(f"/structures/{world[key]['id']}",
                                   headers=headers).status_code == 200
    found = platform.client.get(f"/structures?q={world['hq_s']['name']}", headers=headers)
    assert world["hq_s"]["id"] in {s["id"] for s in found.get_json()["items"]}


def test_structure_changes_stay_in_the_network(platform, world):
    referent = world["h_referent_north"]
    south = world["hq_s"]["id"]
    assert platform.client.patch(f"/structures/{south}", json={"name": "Pris"},
                                 headers=referent).status_code == 404
    moved = platform.client.patch(f"/structures/{world['hq_n']['id']}",
                                  json={"parent_id": south}, headers=referent)
    assert moved.status_code == 422 and "parent_id" in moved.get_json()["errors"]
    grafted = platform.client.post("/structures", json={
        "network_id": world["north"]["id"], "parent_id": south, "name": "Greffe"}, headers=referent)
    assert grafted.status_code == 422
    for who in ("super_agent_north", "agent_north", "moderator"):
        assert platform.client.patch(f"/structures/{world['hq_n']['id']}", json={"name": "x"},
                                     headers=world[f"h_{who}"]).status_code == 403


def test_referent_never_reaches_another_networks_users(platform, world):
    referent = world["h_referent_north"]
    listed = platform.client.get(f"/users?per_page=500&network_id={world['south']['id']}",
                                 headers=referent).get_json()
    assert {u["network_id"] for u in listed["items"]} == {world["north"]["id"]}
    by_email = platform.client.get(f"/users?q={world['agent_south']['email']}",
                                   headers=referent).get_json()
    assert by_email["items"] == [] and by_email["total"] == 0
    for target in ("agent_south", "referent_south", "moderator"):
        uid = world[target]["id"]
        assert platform.client.get(f"/users/{uid}", headers=referent).status_code == 404
        assert platform.client.patch(f"/users/{uid}", json={"active": False},
                                     headers=referent).status_code == 404
    mine = world["agent_north"]["id"]
    for change in ({"structure_ids": [world["hq_s"]["id"]]},
                   {"network_id": world["south"]["id"], "structure_ids": []},
                   {"profile": "moderator", "network_id": None}):
        response = platform.client.patch(f"/users/{mine}", json=change, headers=referent)
        assert response.status_code in (403, 422), (change, response.get_json())
    created = platform.client.post("/users", json={
        "email": f"{uuid.uuid4().hex[:8]}@spp.test", "name": "Intrus", "profile": "agent",
        "network_id": world["north"]["id"], "structure_ids": [world["hq_s"]["id"]],
        "password": PASSWORD}, headers=referent)
    assert created.status_code == 422 and "structure_ids" in created.get_json()["errors"]


@pytest.mark.parametrize("who", ("super_agent_north", "agent_north", "moderator"))
def test_without_user_manage_nothing_about_users(platform, world, who):
    headers = world[f"h_{who}"]
    uid = world["agent_north"]["id"]
    assert platform.client.get("/users", headers=headers).status_code == 403
    assert platform.client.get(f"/users/{uid}", headers=headers).status_code == 403
    assert platform.client.patch(f"/users/{uid}", json={"name": "x"},
                                 headers=headers).status_code == 403
    assert platform.client.post("/users", json={
        "email": "x@spp.test", "name": "x", "profile": "agent",
        "network_id": world["north"]["id"]}, headers=headers).status_code == 403
    assert platform.client.post("/networks", json={"code": "pirate", "name": "x"},
                                headers=headers).status_code == 403


def test_me_shows_only_the_caller(platform, world):
    me = platform.client.get("/me", headers=world["h_agent_north"]).get_json()
    assert me["id"] == world["agent_north"]["id"]
    assert "password_hash" not in me


@pytest.mark.parametrize("bad", ["nope", "0" * 36, "x" * 300, "%00", "..%2F..", "' OR 1=1 --"])
def test_unknown_or_malformed_ids_are_404(platform, world, bad):
    admin = world["h_admin"]
    for method, path, body in (("get", f"/users/{bad}", None),
                               ("patch", f"/users/{bad}", {"name": "x"}),
                               ("get", f"/structures/{bad}", None),
                               ("patch", f"/structures/{bad}", {"name": "x"})):
        response = getattr(platform.client, method)(path, json=body, headers=admin)
        assert response.status_code in (404, 422), (method, path, response.status_code)
    for query in (f"network_id={bad}", f"parent_id={bad}"):
        response = platform.client.get(f"/structures?{query}", headers=admin)
        assert response.status_code in (200, 422)


def test_a_ditp_admin_belongs_to_no_network(platform, world):
    admin = world["h_admin"]
    bound = platform.client.post("/users", json={
        "email": f"{uuid.uuid4().hex[:8]}@spp.test", "name": "Admin réseau", "profile": "admin",
        "network_id": world["north"]["id"], "password": PASSWORD}, headers=admin)
    assert bound.status_code == 422 and "network_id" in bound.get_json()["errors"]
    user = platform.user("agent", world["north"]["id"])
    promoted = platform.client.patch(f"/users/{user['id']}", json={"profile": "admin"},
                                     headers=admin)
    assert promoted.status_code == 200 and promoted.get_json()["network_id"] is None
    assert promoted.get_json()["structure_ids"] == []
