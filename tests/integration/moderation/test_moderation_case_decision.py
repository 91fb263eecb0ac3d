"""Moderation against a real PostgreSQL: a decided case's detail says what was decided (the
structure and network by name), and each routing suggestion names its network."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.chassis.catalogue import EventType
from tests.support.moderation import (
    add_network,
    add_structure,
    case_of,
    deliver,
    request_reorientation,
    submit,
)


def detail_of(client, moderator, case_id: str) -> dict:
    response = client.get(f"/cases/{case_id}", headers=moderator["headers"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_rejected_case_keeps_its_reason_comment_moderator_and_time(db, client, moderator):
    case_id = case_of(db, submit(db)["id"]).id
    assert detail_of(client, moderator, case_id)["decision"] is None
    client.post(f"/cases/{case_id}/reject", headers=moderator["headers"],
                json={"reason": "off_topic", "comment": "Ceci ne concerne pas un service."})
    detail = detail_of(client, moderator, case_id)
    decision = detail["decision"]
    assert detail["status"] == "rejected"
    assert decision["action"] == "reject" and decision["reason"] == "off_topic"
    assert decision["comment"] == "Ceci ne concerne pas un service."
    assert decision["moderator_id"] == moderator["id"]
    assert datetime.fromisoformat(decision["decided_at"]) == \
        datetime.fromisoformat(detail["decided_at"])
    assert decision["structure_id"] is None and decision["structure_name"] is None
    assert decision["network_id"] is None and decision["network_name"] is None


def test_an_approved_case_names_the_structure_and_network_it_went_to(db, client, moderator):
    network = add_network(db, "caf")
    structure = add_structure(db, network["id"], "CAF de Villeurbanne", "69100", "Villeurbanne")
    case_id = case_of(db, submit(db)["id"]).id
    answer = client.post(f"/cases/{case_id}/approve", headers=moderator["headers"],
                         json={"structure_id": structure["id"]}).get_json()
    decision = detail_of(client, moderator, case_id)["decision"]
    assert decision["action"] == "approve" and decision["moderator_id"] == moderator["id"]
    assert (decision["structure_id"], decision["structure_name"]) == \
        (structure["id"], "CAF de Villeurbanne")
    assert (decision["network_id"], decision["network_name"]) == (network["id"], "Réseau caf")
    # the decision's own answer says the same
    assert answer["decision"]["structure_name"] == "CAF de Villeurbanne"
    assert answer["decision"]["network_name"] == "Réseau caf"


def test_a_rerouted_case_names_the_new_structure_and_its_network(db, client, moderator):
    caf, cpam = add_network(db, "caf"), add_network(db, "cpam")
    current = add_structure(db, caf["id"], "CAF de Lyon")
    target = add_structure(db, cpam["id"], "CPAM du Rhône")
    case_id = case_of(db, request_reorientation(db, current)["id"], "reorientation").id
    client.post(f"/cases/{case_id}/reroute", headers=moderator["headers"],
                json={"structure_id": target["id"], "comment": "Relève de la CPAM."})
    decision = detail_of(client, moderator, case_id)["decision"]
    assert decision["action"] == "reroute" and decision["comment"] == "Relève de la CPAM."
    assert (decision["structure_name"], decision["network_name"]) == \
        ("CPAM du Rhône", "Réseau cpam")


def test_a_declined_reorientation_keeps_its_explanation(db, client, moderator):
    current = add_structure(db, add_network(db)["id"], "CAF de Lyon")
    case_id = case_of(db, request_reorientation(db, current)["id"], "reorientation").id
    client.post(f"/cases/{case_id}/decline", headers=moderator["headers"],
                json={"comment": "Le guichet cité est bien le vôtre."})
    decision = detail_of(client, moderator, case_id)["decision"]
    assert decision["action"] == "decline"
    assert decision["comment"] == "Le guichet cité est bien le vôtre."
    assert decision["structure_name"] is None and decision["network_name"] is None


def test_the_decision_is_documented_in_the_openapi_schema(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    decision = schemas["DecisionOut"]["properties"]
    assert {"action", "moderator_id", "decided_at", "reason", "comment", "structure_name",
            "network_name"} <= set(decision)
    assert {"network_id", "network_name"} <= set(schemas["SuggestionOut"]["properties"])


def test_suggestions_name_their_network(db, client, moderator):
    caf, msa = add_network(db, "caf"), add_network(db, "msa")
    caf_office = add_structure(db, caf["id"], "Agence de Villeurbanne", "69100", "Villeurbanne")
    msa_office = add_structure(db, msa["id"], "Agence de Villeurbanne", "69100", "Villeurbanne")
    case_id = case_of(db, submit(db, postal_code="69100",
                                 structure_hint="Agence de Villeurbanne")["id"]).id
    suggested = detail_of(client, moderator, case_id)["suggested_structures"]
    by_id = {s["id"]: s for s in suggested}
    assert (by_id[caf_office["id"]]["network_id"], by_id[caf_office["id"]]["network_name"]) == \
        (caf["id"], "Réseau caf")
    assert (by_id[msa_office["id"]]["network_id"], by_id[msa_office["id"]]["network_name"]) == \
        (msa["id"], "Réseau msa")
    assert all({"id", "name", "score"} <= set(s) for s in suggested)  # the fields kept


def test_a_suggestion_whose_network_the_replica_lacks_has_no_network_name(db, client, moderator):
    unknown = str(uuid.uuid4())  # its network.created not delivered yet
    office = add_structure(db, unknown, "CAF de Lyon", "69003", "Lyon")
    case_id = case_of(db, submit(db)["id"]).id
    [suggestion] = detail_of(client, moderator, case_id)["suggested_structures"]
    assert suggestion["id"] == office["id"]
    assert (suggestion["network_id"], suggestion["network_name"]) == (unknown, None)


def test_a_renamed_network_is_named_as_now(db, client, moderator):
    network = add_network(db, "caf")
    add_structure(db, network["id"], "CAF de Lyon", "69003", "Lyon")
    deliver(db, EventType.NETWORK_UPDATED, network | {"name": "Caisses d'allocations familiales"})
    case_id = case_of(db, submit(db)["id"]).id
    [suggestion] = detail_of(client, moderator, case_id)["suggested_structures"]
    assert suggestion["network_name"] == "Caisses d'allocations familiales"


def test_a_reorientation_names_the_structure_that_asks(db, client, moderator):
    caf = add_network(db, "caf")
    current = add_structure(db, caf["id"], "CAF de Lyon")
    case_id = case_of(db, request_reorientation(db, current)["id"], "reorientation").id
    case = detail_of(client, moderator, case_id)
    assert (case["current_structure_name"], case["current_network_name"]) == \
        ("CAF de Lyon", "Réseau caf")
    submission = detail_of(client, moderator, case_of(db, submit(db)["id"]).id)
    assert submission["current_structure_name"] is None  # no structure holds it yet
