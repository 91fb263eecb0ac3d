"""What the administration pages need from identity: networks changed, structures moved and
(de)activated, a CSV imported through the API, and invitations sent again."""

import uuid

import pytest

from tests.support.identity import PASSWORD


@pytest.fixture(scope="module")
def world(platform):
    north, south = platform.network(), platform.network()
    w = {"north": north, "south": south, "h_admin": platform.admin()}
    for net in ("north", "south"):
        w[f"referent_{net}"], w[f"h_referent_{net}"] = platform.as_user("referent", w[net]["id"])
    w["agent_north"], w["h_agent_north"] = platform.as_user("agent", north["id"])
    return w


def _patch(platform, path, headers, **body):
    return platform.client.patch(path, json=body, headers=headers)


# --- networks ---

def test_admin_changes_a_network_and_the_other_services_hear_it(platform, world):
    network = platform.network()
    response = _patch(platform, f"/networks/{network['id']}", world["h_admin"],
                      name="Caisses d'allocations familiales", code="CAF-renamed",
                      requires_validation=False, target_delay_days=10)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["name"], body["code"], body["requires_validation"],
            body["target_delay_days"]) == ("Caisses d'allocations familiales", "CAF-renamed",
                                           False, 10)
    events = [p for p in platform.outbox("network.updated") if p["id"] == network["id"]]
    assert events[-1] == {"id": network["id"], "code": "CAF-renamed",
                          "name": "Caisses d'allocations familiales",
                          "requires_validation": False, "target_delay_days": 10}
    read = platform.client.get(f"/networks/{network['id']}", headers=world["h_agent_north"])
    assert read.status_code == 200 and read.get_json()["code"] == "CAF-renamed"
    # Only the case of its own code changes: not a conflict with itself.
    assert _patch(platform, f"/networks/{network['id']}", world["h_admin"],
                  code="caf-RENAMED").status_code == 200


def test_network_changes_are_checked_field_by_field(platform, world):
    network, other = platform.network(), platform.network()
    path = f"/networks/{network['id']}"
    taken = _patch(platform, path, world["h_admin"], code=other["code"].upper())
    assert taken.status_code == 409 and "code" in taken.get_json()["errors"]
    for body, field in (({"target_delay_days": 0}, "target_delay_days"),
                        ({"target_delay_days": 400}, "target_delay_days"),
                        ({"code": "avec espace"}, "code"), ({"name": "  "}, "name"),
                        ({"requires_validation": "peut-être"}, "requires_validation")):
        response = _patch(platform, path, world["h_admin"], **body)
        assert response.status_code == 422 and field in response.get_json()["errors"], body
    for who in ("h_referent_north", "h_agent_north"):
        assert _patch(platform, path, world[who], name="Pris").status_code == 403
    assert _patch(platform, "/networks/inconnu", world["h_admin"], name="x").status_code == 404
    assert platform.client.get("/networks/inconnu", headers=world["h_admin"]).status_code == 404
    assert platform.client.get(path, headers=world["h_admin"]).get_json()["name"] \
        == network["name"]


# --- the structure tree ---

def test_a_structure_moves_within_its_network_never_under_itself(platform, world):
    net = world["north"]["id"]
    headers = world["h_referent_north"]
    region = platform.structure(net, headers=headers, name="Direction régionale")
    agency = platform.structure(net, headers=headers, parent_id=region["id"], name="Agence")
    desk = platform.structure(net, headers=headers, parent_id=agency["id"], name="Guichet")
    other_region = platform.structure(net, headers=headers, name="Autre direction")

    moved = _patch(platform, f"/structures/{agency['id']}", headers, parent_id=other_region["id"])
    assert moved.status_code == 200 and moved.get_json()["parent_id"] == other_region["id"]
    assert [p["parent_id"] for p in platform.outbox("structure.updated")
            if p["id"] == agency["id"]][-1] == other_region["id"]
    under_child = _patch(platform, f"/structures/{agency['id']}", headers, parent_id=desk["id"])
    assert under_child.status_code == 422
    assert "sous elle-même" in under_child.get_json()["errors"]["parent_id"][0]
    itself = _patch(platform, f"/structures/{agency['id']}", headers, parent_id=agency["id"])
    assert itself.status_code == 422 and "parent_id" in itself.get_json()["errors"]
    south_hq = platform.structure(world["south"]["id"])
    abroad = _patch(platform, f"/structures/{agency['id']}", world["h_admin"],
                    parent_id=south_hq["id"])
    assert abroad.status_code == 422 and "parent_id" in abroad.get_json()["errors"]
    root = _patch(platform, f"/structures/{agency['id']}", headers, parent_id=None)
    assert root.status_code == 200 and root.get_json()["parent_id"] is None
    # A referent cannot reach another network's tree, even to move her own structure there.
    assert _patch(platform, f"/structures/{south_hq['id']}", headers,
                  parent_id=region["id"]).status_code == 404


def test_a_tree_closes_from_its_leaves_and_reopens_from_its_root(platform, world):
    net = world["north"]["id"]
    headers = world["h_referent_north"]
    region = platform.structure(net, headers=headers, name=f"Région {uuid.uuid4().hex[:6]}")
    agency = platform.structure(net, headers=headers, parent_id=region["id"],
                                name="Agence de Lens")

    refused = _patch(platform, f"/structures/{region['id']}", headers, active=False)
    assert refused.status_code == 422
    assert "« Agence de Lens »" in refused.get_json()["errors"]["active"][0]
    assert _patch(platform, f"/structures/{agency['id']}", headers, active=False).status_code == 200
    closed = _patch(platform, f"/structures/{region['id']}", headers, active=False)
    assert closed.status_code == 200 and closed.get_json()["active"] is False
    assert [p["active"] for p in platform.outbox("structure.updated")
            if p["id"] == region["id"]][-1] is False

    under_closed = platform.client.post("/structures", json={
        "network_id": net, "parent_id": region["id"], "name": "Nouvelle agence"}, headers=headers)
    assert under_closed.status_code == 422 and "parent_id" in under_closed.get_json()["errors"]
    early = _patch(platform, f"/structures/{agency['id']}", headers, active=True)
    assert early.status_code == 422 and "active" in early.get_json()["errors"]
    # An inactive structure may be renamed where it is.
    assert _patch(platform, f"/structures/{agency['id']}", headers, name="Agence de Lens (fermée)",
                  parent_id=region["id"]).status_code == 200
    assert _patch(platform, f"/structures/{region['id']}", headers, active=True).status_code == 200
    reopened = _patch(platform, f"/structures/{agency['id']}", headers, active=True)
    assert reopened.status_code == 200 and reopened.get_json()["active"] is True
    assert _patch(platform, f"/structures/{agency['id']}", world["h_agent_north"],
                  active=False).status_code == 403


# --- CSV import ---

def _import(platform, headers, network_id, text):
    return platform.client.post("/structures/import", json={"network_id": network_id, "csv": text},
                                headers=headers)


def _structures(platform, network_id):
    listed = platform.client.get(f"/structures?network_id={network_id}&per_page=500",
                                 headers=platform.admin()).get_json()
    return {s["name"]: s for s in listed["items"]}


def test_a_referent_imports_a_tree_and_gets_each_bad_row_with_its_line(platform, world):
    network = platform.network()
    referent, headers = platform.as_user("referent", network["id"])
    text = ("name;parent_name;postal_code;city;channels\r\n"
            "Direction de l'Aude;;11000;Carcassonne;in_person|phone\r\n"
            "Agence de Narbonne;Direction de l'Aude;11100;Narbonne;online\r\n"
            "Agence fantôme;Inconnue;11200;;\r\n"
            ";;;;\r\n"
            "Agence de Limoux;Direction de l'Aude;ABCDE;Limoux;fax\r\n"
            ";Direction de l'Aude;11300;;\r\n"
            "agence de narbonne;;11100;;\r\n")
    response = _import(platform, headers, network["id"], text)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["created"] == 2 and len(report["created_ids"]) == 2
    assert [(e["line"], e["column"]) for e in report["errors"]] == [
        (4, "parent_name"), (6, "postal_code"), (6, "channels"), (7, "name"), (8, "name")]
    messages = {(e["line"], e["column"]): e["message"] for e in report["errors"]}
    assert "« Inconnue »" in messages[(4, "parent_name")]
    assert "Valeur attendue parmi" in messages[(6, "channels")]
    assert messages[(7, "name")] == "nom manquant"
    assert "existe déjà" in messages[(8, "name")]
    names = _structures(platform, network["id"])
    assert set(names) == {"Direction de l'Aude", "Agence de Narbonne"}
    assert names["Agence de Narbonne"]["parent_id"] == names["Direction de l'Aude"]["id"]
    assert names["Direction de l'Aude"]["channels"] == ["in_person", "phone"]
    created = [p for p in platform.outbox("structure.created") if p["network_id"] == network["id"]]
    assert {p["name"] for p in created} == set(names)
    # A second file hangs under the first one's structures.
    again = _import(platform, headers, network["id"],
                    "name,parent_name\nAgence de Quillan,Agence de Narbonne\n").get_json()
    assert again["created"] == 1 and again["errors"] == []


def test_an_unreadable_file_imports_nothing(platform, world):
    network = platform.network()
    headers = world["h_admin"]
    cases = {
        "colonnes manquantes": "nom,parent\nAgence,\n",
        "ligne 3 illisible": ("name,city\nAgence A,Paris\n" + "x" * 200_000 + ",Paris\n"
                              "Agence B,Lyon\n"),
        "aucune structure": "name,parent_name\n",
    }
    for expected, text in cases.items():
        response = _import(platform, headers, network["id"], text)
        assert response.status_code == 422, (expected, response.get_json())
        assert expected in response.get_json()["errors"]["csv"][0]
    empty = _import(platform, headers, network["id"], "")
    assert empty.status_code == 422 and "csv" in empty.get_json()["errors"]
    assert _structures(platform, network["id"]) == {}
    assert not [p for p in platform.outbox("structure.created")
                if p["network_id"] == network["id"]]


def test_import_rights_follow_the_structure_rights(platform, world):
    text = "name\nAgence\n"
    south = world["south"]["id"]
    assert _import(platform, world["h_referent_north"], south, text).status_code == 403
    assert _import(platform, world["h_agent_north"], world["north"]["id"], text).status_code == 403
    unknown = _import(platform, world["h_admin"], "inconnu", text)
    assert unknown.status_code == 422 and "network_id" in unknown.get_json()["errors"]
    missing = platform.client.post("/structures/import", json={"csv": text},
                                   headers=world["h_admin"])
    assert missing.status_code == 422 and "network_id" in missing.get_json()["errors"]
    assert "Agence" not in _structures(platform, south)


# --- invitations ---

def _invite(platform, headers, network_id):
    body = {"email": f"invite.{uuid.uuid4().hex[:8]}@spp.test", "name": "Invitée",
            "profile": "agent", "network_id": network_id}
    response = platform.client.post("/users", json=body, headers=headers)
    assert response.status_code == 201
    return response.get_json()


def _links(platform, user_id):
    return [p["token"] for p in platform.outbox("user.invited") if p["user_id"] == user_id]


def test_a_new_invitation_kills_the_old_link(platform, world):
    headers = world["h_referent_north"]
    user = _invite(platform, headers, world["north"]["id"])
    assert user["password_set"] is False
    assert platform.client.get(f"/users/{user['id']}", headers=headers) \
        .get_json()["password_set"] is False
    response = platform.client.post(f"/users/{user['id']}/invitation", headers=headers)
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["user_id"] == user["id"] and "token" not in response.get_json()
    old, new = _links(platform, user["id"])
    dead = platform.client.post("/auth/password", json={"token": old, "password": PASSWORD})
    assert dead.status_code == 422 and "token" in dead.get_json()["errors"]
    assert platform.client.post("/auth/password",
                                json={"token": new, "password": PASSWORD}).status_code == 200
    assert platform.client.get(f"/users/{user['id']}", headers=headers) \
        .get_json()["password_set"] is True
    done = platform.client.post(f"/users/{user['id']}/invitation", headers=headers)
    assert done.status_code == 409 and "Mot de passe oublié" in done.get_json()["message"]
    assert len(_links(platform, user["id"])) == 2
    listed = platform.client.get("/users?per_page=500", headers=headers).get_json()["items"]
    assert {u["id"]: u["password_set"] for u in listed}[world["agent_north"]["id"]] is True


def test_a_changed_address_kills_the_links_mailed_to_the_old_one(platform, world):
    """An invitation sent to a mistyped address: once the address is corrected, whoever got it
    can no longer set the account's password; the invitation goes to the right address."""
    headers = world["h_admin"]
    user = _invite(platform, headers, world["north"]["id"])
    [typo] = _links(platform, user["id"])
    fixed = f"corrige.{uuid.uuid4().hex[:8]}@spp.test"
    assert _patch(platform, f"/users/{user['id']}", headers, email=fixed).status_code == 200
    dead = platform.client.post("/auth/password", json={"token": typo, "password": PASSWORD})
    assert dead.status_code == 422 and "token" in dead.get_json()["errors"]
    [again] = [p for p in platform.outbox("user.invited")
               if p["user_id"] == user["id"] and p["token"] != typo]
    assert again["email"] == fixed
    assert platform.client.post("/auth/password",
                                json={"token": again["token"], "password": PASSWORD}
                                ).status_code == 200
    assert platform.login(fixed, PASSWORD).status_code == 200
    # An activated account's reset link dies the same way, and no invitation goes.
    platform.reset(fixed)
    [reset] = [p for p in platform.outbox("user.password_reset_requested")
               if p["user_id"] == user["id"]]
    moved = f"nouvelle.{uuid.uuid4().hex[:8]}@spp.test"
    assert _patch(platform, f"/users/{user['id']}", headers, email=moved).status_code == 200
    late = platform.client.post("/auth/password", json={"token": reset["token"],
                                                        "password": PASSWORD + "x"})
    assert late.status_code == 422 and "token" in late.get_json()["errors"]
    assert len(_links(platform, user["id"])) == 2
    assert platform.login(moved, PASSWORD).status_code == 200


def test_invitations_follow_the_user_rights_and_are_throttled(platform, world):
    user = _invite(platform, world["h_admin"], world["north"]["id"])
    path = f"/users/{user['id']}/invitation"
    assert platform.client.post(path, headers=world["h_referent_south"]).status_code == 404
    assert platform.client.post(path, headers=world["h_agent_north"]).status_code == 403
    assert platform.client.post("/users/inconnu/invitation",
                                headers=world["h_admin"]).status_code == 404
    statuses = [platform.client.post(path, headers=world["h_admin"]).status_code
                for _ in range(6)]
    assert statuses == [202] * 5 + [429]
    assert len(_links(platform, user["id"])) == 6  # creation + five
    other = _invite(platform, world["h_admin"], world["north"]["id"])
    assert _patch(platform, f"/users/{other['id']}", world["h_admin"],
                  active=False).status_code == 200
    closed = platform.client.post(f"/users/{other['id']}/invitation", headers=world["h_admin"])
    assert closed.status_code == 422 and "active" in closed.get_json()["errors"]
    referent = world["referent_north"]
    peer = platform.client.post(f"/users/{referent['id']}/invitation",
                                headers=world["h_referent_north"])
    assert peer.status_code == 403  # a referent does not manage referents
