"""The public list's filters (administration, structure, territory, channel, feeling, answered or
not, the structure's name in the search), the choices they offer, and the evaluation link's check."""

from __future__ import annotations

import uuid

import pytest

from services.experiences.domain import tree_order

pytestmark = pytest.mark.integration


def _network(env, tree: dict[str, str | None], requires_validation: bool = False) -> dict:
    """A network of its own: {key: parent key}; names carry a tag found nowhere else."""
    tag = uuid.uuid4().hex[:8]
    ids = {"net": uuid.uuid4().hex[:12], "tag": tag}
    ids.update({key: uuid.uuid4().hex[:12] for key in tree})
    env.deliver("network.created", {
        "id": ids["net"], "code": f"N{tag}", "name": f"Réseau {tag}",
        "requires_validation": requires_validation, "target_delay_days": 15}, producer="identity")
    for key, parent in tree.items():  # parents first: the dict is in tree order
        env.deliver("structure.created", {
            "id": ids[key], "network_id": ids["net"], "parent_id": ids[parent] if parent else None,
            "name": f"{key} {tag}", "postal_code": "69003", "city": "Lyon"}, producer="identity")
    return ids


def _publish(env, ids: dict, structure: str, **overrides) -> str:
    exp_id = env.submit(**overrides)
    env.approve(exp_id, ids, structure, net="net")
    return exp_id


def _answer(env, exp_id: str, ids: dict, structure: str) -> str:
    agent = env.headers("agent", ids, structures=[structure], missions=("answer",))
    drafted = env.client.put(f"/experiences/{exp_id}/response", headers=agent, json={
        "body": "Merci pour votre retour.", "closing": "Cordialement", "signature": "L'agence"})
    assert drafted.status_code == 200, drafted.json
    submitted = env.client.post(f"/experiences/{exp_id}/response/submit", headers=agent)
    assert submitted.status_code == 200 and submitted.json["status"] == "answered"
    return env.outbox_for("experience.answered", exp_id)[0]["payload"]["evaluation_token"]


def _listed(env, **params) -> list[str]:
    response = env.client.get("/experiences", query_string={"per_page": 100, **params})
    assert response.status_code == 200, response.json
    return sorted(item["id"] for item in response.json["items"])


TREE = {"Direction nationale": None, "Direction du Rhône": "Direction nationale",
        "Agence de Lyon": "Direction du Rhône", "Agence de Villeurbanne": "Direction du Rhône",
        "Agence de Bastia": "Direction nationale"}


def test_territory_is_the_departement_read_from_the_postal_code(env):
    ids = _network(env, TREE)
    lyon = _publish(env, ids, "Agence de Lyon", postal_code="69003")
    villeurbanne = _publish(env, ids, "Agence de Villeurbanne", postal_code="69100")
    paris = _publish(env, ids, "Direction nationale", postal_code="75011")
    ajaccio = _publish(env, ids, "Agence de Bastia", postal_code="20090")
    bastia = _publish(env, ids, "Agence de Bastia", postal_code="20200")
    pointe = _publish(env, ids, "Direction nationale", postal_code="97110")
    env.submit(postal_code="69001")  # in moderation: never listed
    net = ids["net"]
    assert _listed(env, network_id=net, department="69") == sorted([lyon, villeurbanne])
    assert _listed(env, network_id=net, department="75") == [paris]
    assert _listed(env, network_id=net, department="2A") == [ajaccio]
    assert _listed(env, network_id=net, department="2B") == [bastia]
    assert _listed(env, network_id=net, department="20") == sorted([ajaccio, bastia])
    assert _listed(env, network_id=net, department="971") == [pointe]
    assert _listed(env, network_id=net, department="01") == []


@pytest.mark.parametrize("value", ["97", "2C", "6", "690", "96", "%", "7_", "9A"])
def test_a_territory_that_is_no_departement_is_a_named_422(env, value):
    response = env.client.get("/experiences", query_string={"department": value})
    assert response.status_code == 422
    assert "« department »" in response.json["errors"]["department"][0]


def test_answered_or_not(env):
    ids = _network(env, TREE)
    answered = _publish(env, ids, "Agence de Lyon")
    waiting = _publish(env, ids, "Agence de Lyon")
    _answer(env, answered, ids, "Agence de Lyon")
    net = ids["net"]
    assert _listed(env, network_id=net, answered="true") == [answered]
    assert _listed(env, network_id=net, answered="false") == [waiting]
    assert _listed(env, network_id=net) == sorted([answered, waiting])
    bad = env.client.get("/experiences", query_string={"answered": "peut-être"})
    assert bad.status_code == 422 and "« answered »" in bad.json["errors"]["answered"][0]


def test_the_search_matches_the_structures_name(env):
    ids = _network(env, TREE)
    tag = ids["tag"]
    at_lyon = _publish(env, ids, "Agence de Lyon", title="Un accueil chaleureux")
    _publish(env, ids, "Agence de Villeurbanne", title="Une longue attente")
    # Neither title nor text names the office: its name does.
    assert _listed(env, q=f"agence de lyon {tag}") == [at_lyon]
    assert _listed(env, q=f"Lyon {tag}") == [at_lyon]
    # Title and text still match, and LIKE's wildcards are taken literally.
    assert at_lyon in _listed(env, network_id=ids["net"], q="chaleureux")
    assert _listed(env, q=f"Agence de % {tag}") == []


def test_filters_combine_with_the_count_and_the_pages(env):
    ids = _network(env, TREE)
    net = ids["net"]
    lyon = {"postal_code": "69003"}
    wanted = [_publish(env, ids, "Agence de Lyon", channel="phone", feeling="negative", **lyon)
              for _ in range(3)]
    _publish(env, ids, "Agence de Lyon", channel="phone", feeling="positive", **lyon)
    _publish(env, ids, "Agence de Lyon", channel="in_person", feeling="negative", **lyon)
    _publish(env, ids, "Agence de Lyon", channel="phone", feeling="negative", postal_code="75011")
    _publish(env, ids, "Agence de Bastia", channel="phone", feeling="negative", postal_code="20200")
    params = {"network_id": net, "structure_id": ids["Direction du Rhône"],
              "include_children": "true", "channel": "phone", "feeling": "negative",
              "department": "69", "answered": "false", "per_page": 2}
    first = env.client.get("/experiences", query_string={**params, "page": 1}).json
    second = env.client.get("/experiences", query_string={**params, "page": 2}).json
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert sorted(i["id"] for i in first["items"] + second["items"]) == sorted(wanted)
    # The structure alone, without its children: nothing was routed to the regional office.
    assert _listed(env, **{**params, "include_children": "false", "per_page": 100}) == []


def test_choices_give_every_network_and_the_chosen_networks_tree(env):
    ids = _network(env, TREE)
    other = _network(env, {"Préfecture": None})
    plain = env.client.get("/experiences", query_string={"network_id": ids["net"]}).json
    assert "networks" not in plain and "structures" not in plain
    found = env.client.get("/experiences", query_string={"network_id": ids["net"],
                                                          "choices": "true"}).json
    names = {n["id"]: n["name"] for n in found["networks"]}
    assert names[ids["net"]] == f"Réseau {ids['tag']}"
    assert names[other["net"]] == f"Réseau {other['tag']}"
    tag = ids["tag"]
    assert [(s["name"], s["depth"]) for s in found["structures"]] == [
        (f"Direction nationale {tag}", 0), (f"Agence de Bastia {tag}", 1),
        (f"Direction du Rhône {tag}", 1), (f"Agence de Lyon {tag}", 2),
        (f"Agence de Villeurbanne {tag}", 2)]
    assert found["structures"][3]["parent_id"] == ids["Direction du Rhône"]
    assert found["structures_truncated"] is False
    # No network chosen: no structures (there are tens of thousands of them).
    alone = env.client.get("/experiences", query_string={"choices": "true"}).json
    assert alone["structures"] == [] and ids["net"] in {n["id"] for n in alone["networks"]}


def test_a_long_tree_keeps_its_upper_levels():
    rows = [("root", None, "Siège")]
    rows += [(f"r{i}", "root", f"Région {i:02d}") for i in range(10)]
    rows += [(f"a{i}-{j}", f"r{i}", f"Agence {i:02d}-{j:02d}") for i in range(10) for j in range(20)]
    full, cut = tree_order(rows, limit=1000)
    assert len(full) == 211 and cut is False
    assert [s["name"] for s in full[:3]] == ["Siège", "Région 00", "Agence 00-00"]
    kept, cut = tree_order(rows, limit=50)
    assert cut is True and len(kept) == 50
    # Every region survives; only agencies were left out, and each kept one has its region.
    assert {s["id"] for s in kept if s["depth"] == 1} == {f"r{i}" for i in range(10)}
    kept_ids = {s["id"] for s in kept}
    assert all(s["parent_id"] in kept_ids for s in kept if s["parent_id"])
    # A parent outside the rows (another network's) makes a root; a cycle does not loop.
    loose, _ = tree_order([("x", "elsewhere", "X"), ("y", "z", "Y"), ("z", "y", "Z")])
    assert [s["id"] for s in loose] == ["x"] and loose[0]["parent_id"] is None


def test_the_evaluation_link_is_checked_without_being_used(env):
    ids = _network(env, TREE)
    exp_id = _publish(env, ids, "Agence de Lyon")
    waiting = _publish(env, ids, "Agence de Lyon")
    token = _answer(env, exp_id, ids, "Agence de Lyon")
    link = f"/experiences/{exp_id}/evaluation"
    assert env.client.get(link, query_string={"token": token}).json == {"state": "open"}
    assert env.client.get(link, query_string={"token": token}).status_code == 200  # still open
    forged = env.client.get(link, query_string={"token": "forged"})
    assert forged.status_code == 403 and "token" in forged.json["errors"]
    assert env.client.get(link).status_code == 422  # no token at all
    unknown = env.client.get("/experiences/nope/evaluation", query_string={"token": token})
    assert unknown.status_code == 404
    # An experience without an answer has no link that works.
    assert env.client.get(f"/experiences/{waiting}/evaluation",
                          query_string={"token": token}).status_code == 403
    assert env.client.post(link, json={"token": token, "useful": True,
                                       "feeling_after": "positive"}).status_code == 201
    used = env.client.get(link, query_string={"token": token})
    assert used.status_code == 410 and used.json["code"] == "already_evaluated"
    assert "déjà été utilisé" in used.json["errors"]["token"][0]
