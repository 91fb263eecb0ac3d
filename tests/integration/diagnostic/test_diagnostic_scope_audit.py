"""Security audit of diagnostic: permission and structure scope on every endpoint."""

import pytest

from tests.support.diagnostic_db import fill_and_complete, h, start


def _endpoints(diagnostic_id):
    answer = {"answers": [{"question_id": "c1-all-1", "channel": "phone", "answer": "no"}]}
    return [("get", f"/diagnostics/{diagnostic_id}", None),
            ("put", f"/diagnostics/{diagnostic_id}/answers", answer),
            ("post", f"/diagnostics/{diagnostic_id}/complete", None),
            ("get", f"/diagnostics/{diagnostic_id}/results", None),
            ("get", f"/diagnostics/{diagnostic_id}/results.csv", None)]


@pytest.mark.parametrize("who,structures,network,status", [
    ("agent", ["C"], "N2", 404), ("referent", [], "N2", 404), ("super_agent", ["C"], "N2", 404),
    ("agent", ["B"], "N1", 403), ("agent", ["A1"], "N1", 403),  # sibling; child of A
])
def test_outsiders_reach_no_diagnostic(client, tokens, world, who, structures, network, status):
    owner = h(tokens, "agent", world, ["A"])
    done = fill_and_complete(client, owner, world["A"], code="no")
    draft = start(client, owner, world["A"])
    outsider = h(tokens, who, world, structures, network=network)
    for diagnostic in (draft, done):
        for method, path, body in _endpoints(diagnostic["id"]):
            response = getattr(client, method)(path, json=body, headers=outsider)
            assert response.status_code == status, (path, response.status_code)
            assert diagnostic["id"] not in response.get_data(as_text=True) or status == 403
    listed = client.get("/diagnostics?per_page=100", headers=outsider).get_json()
    assert not {draft["id"], done["id"]} & {d["id"] for d in listed["items"]}
    for status_filter in ("draft", "completed"):
        listed = client.get(f"/diagnostics?status={status_filter}&per_page=100",
                            headers=outsider).get_json()
        assert not {draft["id"], done["id"]} & {d["id"] for d in listed["items"]}
    assert client.get(f"/diagnostics?structure_id={world['A']}",
                      headers=outsider).status_code == status
    started = client.post("/diagnostics", headers=outsider,
                          json={"structure_id": world["A"], "channels": ["phone"]})
    assert started.status_code == 403
    seen = client.get(f"/diagnostics/{draft['id']}", headers=owner).get_json()
    assert seen["answers"] == [] and seen["status"] == "draft"


@pytest.mark.parametrize("profile,missions", [("moderator", ()), ("agent", ())])
def test_without_permission_nothing(client, tokens, world, profile, missions):
    owner = h(tokens, "agent", world, ["A"])
    done = fill_and_complete(client, owner, world["A"])
    network = None if profile == "moderator" else "N1"
    caller = h(tokens, profile, world, ["A"] if network else [], network=network,
               missions=missions)
    reading = profile != "moderator"  # agents read whatever their missions; moderators never
    for method, path, body in _endpoints(done["id"]):
        response = getattr(client, method)(path, json=body, headers=caller)
        if method == "get" and reading:
            assert response.status_code == 200, path
        else:
            assert response.status_code == 403, (path, response.status_code)
    assert client.post("/diagnostics", headers=caller,
                       json={"structure_id": world["A"]}).status_code == 403
    for path in ("/questionnaires/current", "/diagnostics"):
        assert client.get(path, headers=caller).status_code == (200 if reading else 403)
        assert client.get(path).status_code == 401


def test_network_average_never_names_another_network(client, tokens, world):
    fill_and_complete(client, h(tokens, "agent", world, ["C"], network="N2"), world["C"],
                      code="no")
    owner = h(tokens, "agent", world, ["A"])
    done = fill_and_complete(client, owner, world["A"])
    results = client.get(f"/diagnostics/{done['id']}/results", headers=owner).get_json()
    assert results["network_id"] == world["N1"] and results["network"]["structures"] == 1
    assert world["C"] not in str(results) and world["N2"] not in str(results)


@pytest.mark.parametrize("bad", ["nope", "0" * 36, "x" * 300, "%00", "' OR 1=1 --"])
def test_unknown_or_malformed_ids_are_404_or_422(client, tokens, world, bad):
    admin = h(tokens, "admin", world, network=None)
    for method, path, body in _endpoints(bad):
        response = getattr(client, method)(path, json=body, headers=admin)
        assert response.status_code in (404, 422), (path, response.status_code)
    assert client.get(f"/diagnostics?structure_id={bad}", headers=admin).status_code in (404, 422)
    assert client.post("/diagnostics", json={"structure_id": bad},
                       headers=admin).status_code == 422
    assert client.get(f"/questionnaires/{bad}", headers=admin).status_code in (404, 422)


def test_permission_and_authentication_come_before_input_checks(client, tokens, world):
    moderator = h(tokens, "moderator", world, network=None, missions=())
    reader = h(tokens, "agent", world, ["A"], missions=("answer",))
    for method, path, headers in (("post", "/diagnostics", reader),
                                  ("put", "/diagnostics/x/answers", reader),
                                  ("get", "/diagnostics?per_page=abc", moderator)):
        assert getattr(client, method)(path, json={"answers": "x"}).status_code == 401, path
        assert getattr(client, method)(path, json={"answers": "x"},
                                       headers=headers).status_code == 403, path
