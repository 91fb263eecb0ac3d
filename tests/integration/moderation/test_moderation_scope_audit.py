"""Security audit of moderation: only moderators and DITP admins, who belong to no network."""

from __future__ import annotations

import pytest

from tests.support.moderation import add_network, add_structure, audit_rows, case_of, outbox_events, submit

ENDPOINTS = [("get", "/cases", None), ("get", "/stats", None), ("get", "/structures?q=lyon", None)]


def _case_endpoints(case_id, structure_id):
    return [("get", f"/cases/{case_id}", None),
            ("post", f"/cases/{case_id}/approve", {"structure_id": structure_id}),
            ("post", f"/cases/{case_id}/reject", {"reason": "insult"}),
            ("post", f"/cases/{case_id}/reroute", {"structure_id": structure_id})]


@pytest.mark.parametrize("profile", ["moderator", "admin"])
def test_a_token_bound_to_a_network_never_moderates(db, client, tokens, profile):
    """An administration never moderates its own (or anyone's) experiences."""
    network = add_network(db)
    structure = add_structure(db, network["id"], "CAF de Lyon")
    case_id = case_of(db, submit(db)["id"]).id
    headers = tokens.headers(profile, network_id=network["id"])
    for method, path, body in ENDPOINTS + _case_endpoints(case_id, structure["id"]):
        response = getattr(client, method)(path, json=body, headers=headers)
        assert response.status_code == 403, (path, response.status_code)
    assert audit_rows(db, case_id) == [] and outbox_events(db) == []
    assert case_of(db, submit(db)["id"]).claimed_by is None


@pytest.mark.parametrize("profile", ["agent", "super_agent", "referent"])
def test_network_staff_reach_no_case(db, client, tokens, profile):
    network = add_network(db)
    structure = add_structure(db, network["id"], "CAF de Lyon")
    case_id = case_of(db, submit(db)["id"]).id
    headers = tokens.headers(profile, network_id=network["id"], structure_ids=[structure["id"]])
    for method, path, body in ENDPOINTS + _case_endpoints(case_id, structure["id"]):
        response = getattr(client, method)(path, json=body, headers=headers)
        assert response.status_code == 403, (path, response.status_code)
    with_all_perms = tokens.headers(profile, network_id=network["id"], perms=["experience:read"])
    assert client.get(f"/cases/{case_id}", headers=with_all_perms).status_code == 403


def test_moderators_and_admins_without_network_reach_every_network(db, client, tokens):
    first, second = add_network(db, "caf"), add_network(db, "cpam")
    target = add_structure(db, second["id"], "CPAM de Lyon")
    for profile in ("moderator", "admin"):
        case_id = case_of(db, submit(db)["id"]).id
        headers = tokens.headers(profile)
        assert client.get(f"/cases/{case_id}", headers=headers).status_code == 200
        approved = client.post(f"/cases/{case_id}/approve", headers=headers,
                               json={"structure_id": target["id"]})
        assert approved.status_code == 200
        assert approved.get_json()["decision"]["network_id"] == second["id"]
    found = client.get("/structures?q=lyon", headers=tokens.headers("moderator")).get_json()
    assert target["id"] in {s["id"] for s in found["items"]}
    assert first["id"] != second["id"]


def test_no_case_shows_the_authors_email(db, client, tokens):
    moderator = tokens.headers("moderator")
    case_id = case_of(db, submit(db)["id"]).id
    for path in (f"/cases/{case_id}", "/cases"):
        text = client.get(path, headers=moderator).get_data(as_text=True)
        assert "author_email" not in text


@pytest.mark.parametrize("bad", ["nope", "0" * 36, "x" * 300, "%00", "' OR 1=1 --"])
def test_unknown_or_malformed_case_ids_are_404_or_422(db, client, tokens, bad):
    moderator = tokens.headers("moderator")
    network = add_network(db)
    structure = add_structure(db, network["id"], "CAF de Lyon")
    for method, path, body in _case_endpoints(bad, structure["id"]):
        response = getattr(client, method)(path, json=body, headers=moderator)
        assert response.status_code in (404, 422), (path, response.status_code)
    case_id = case_of(db, submit(db)["id"]).id
    response = client.post(f"/cases/{case_id}/approve", json={"structure_id": bad},
                           headers=moderator)
    assert response.status_code == 422 and "structure_id" in response.get_json()["errors"]
