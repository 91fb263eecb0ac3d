"""Moderation against a real PostgreSQL: replica, cases, queue, decisions, audit, outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.chassis.catalogue import EventType
from services.chassis.events import make_event
from services.moderation.models import Case
from tests.support.moderation import (
    add_network,
    add_structure,
    audit_rows,
    case_of,
    deliver,
    outbox_events,
    request_reorientation,
    submit,
)

# --- handlers --------------------------------------------------------------------------------

def test_submitted_experience_makes_one_screened_case(db):
    body = "Appelez-moi au 06 12 34 56 78, merci."
    payload = submit(db, body=body)
    case = case_of(db, payload["id"])
    assert case.status == "pending" and case.kind == "submission"
    assert case.title == payload["title"] and case.body == body
    assert case.structure_hint == "CAF de Lyon" and case.postal_code == "69003"
    assert [f["kind"] for f in case.flags] == ["phone"]
    assert case.redacted_body == "Appelez-moi au [téléphone masqué], merci."


def test_duplicated_submitted_event_makes_one_case(db):
    payload = submit(db)
    # the same delivery again (inbox), then a re-publication under a new event id
    event = make_event(EventType.EXPERIENCE_SUBMITTED, payload, producer="test")
    deliver(db, EventType.EXPERIENCE_SUBMITTED, payload, event=event)
    deliver(db, EventType.EXPERIENCE_SUBMITTED, payload, event=event)
    deliver(db, EventType.EXPERIENCE_SUBMITTED, payload)
    with db.transaction() as session:
        count = session.execute(sa.select(sa.func.count()).select_from(Case).where(
            Case.experience_id == payload["id"])).scalar_one()
    assert count == 1


def test_structure_updated_replaces_the_replica(db, client, moderator):
    network = add_network(db)
    structure = add_structure(db, network["id"], "CAF du Rhône")
    deliver(db, EventType.STRUCTURE_UPDATED, structure | {"name": "CAF de Lyon Part-Dieu",
                                                          "city": "Lyon"})
    found = client.get("/structures?q=Part-Dieu", headers=moderator["headers"]).get_json()
    assert [s["name"] for s in found["items"]] == ["CAF de Lyon Part-Dieu"]
    assert found["items"][0]["network_name"] == "Réseau caf"


def test_reorientation_request_makes_a_reorientation_case(db):
    network = add_network(db)
    structure = add_structure(db, network["id"], "CAF de Lyon")
    payload = request_reorientation(db, structure)
    case = case_of(db, payload["id"], kind="reorientation")
    assert case.status == "pending"
    assert case.current_structure_id == structure["id"]
    assert case.reason == "Ne relève pas de notre agence."


# --- queue and claims ------------------------------------------------------------------------

def test_queue_lists_pending_oldest_first_with_age(db, client, moderator):
    now = datetime.now(UTC)
    recent = submit(db, submitted_at=now - timedelta(minutes=5))
    old = submit(db, submitted_at=now - timedelta(hours=2))
    page = client.get("/cases?status=pending", headers=moderator["headers"]).get_json()
    assert [c["experience_id"] for c in page["items"]] == [old["id"], recent["id"]]
    assert page["total"] == 2 and page["page"] == 1
    assert 7190 <= page["items"][0]["age_seconds"] <= 7300


def test_queue_paginates(db, client, moderator):
    for _ in range(3):
        submit(db)
    page = client.get("/cases?per_page=2&page=2", headers=moderator["headers"]).get_json()
    assert page["total"] == 3 and len(page["items"]) == 1 and page["per_page"] == 2


def test_reading_a_case_claims_nothing(db, client, moderator, tokens):
    case_id = case_of(db, submit(db)["id"]).id
    detail = client.get(f"/cases/{case_id}", headers=moderator["headers"]).get_json()
    assert detail["claimed_by"] is None and detail["claim"] == "free"
    assert case_of(db, detail["experience_id"]).claimed_by is None
    other = tokens.headers("moderator", sub=str(uuid.uuid4()))
    assert [c["id"] for c in client.get("/cases", headers=other).get_json()["items"]] == [case_id]


def test_claimed_case_is_not_offered_to_another_moderator(db, client, moderator, tokens):
    payload = submit(db)
    case_id = case_of(db, payload["id"]).id
    claimed = client.post(f"/cases/{case_id}/claim", headers=moderator["headers"])
    assert claimed.status_code == 200
    assert claimed.get_json()["claimed_by"] == moderator["id"]
    assert claimed.get_json()["claim"] == "mine"
    other = tokens.headers("moderator", sub=str(uuid.uuid4()))
    assert client.get("/cases", headers=other).get_json()["items"] == []
    mine = client.get("/cases", headers=moderator["headers"]).get_json()["items"]
    assert [c["id"] for c in mine] == [case_id]
    # the other moderator can neither read it away nor claim it
    seen_by_other = client.get(f"/cases/{case_id}", headers=other).get_json()
    assert seen_by_other["claimed_by"] == moderator["id"] and seen_by_other["claim"] == "other"
    stolen = client.post(f"/cases/{case_id}/claim", headers=other)
    assert stolen.status_code == 409 and "claimed_until" in stolen.get_json()["errors"]
    # once the claim lapses, the case is offered again
    with db.transaction() as session:
        session.get(Case, case_id).claimed_until = datetime.now(UTC) - timedelta(seconds=1)
    assert [c["id"] for c in client.get("/cases", headers=other).get_json()["items"]] == [case_id]


def test_case_detail_has_flags_redaction_and_suggestions(db, client, moderator):
    network = add_network(db)
    lyon = add_structure(db, network["id"], "CAF de Lyon", "69003", "Lyon")
    add_structure(db, network["id"], "CAF de Marseille", "13001", "Marseille")
    payload = submit(db, body="Écrivez à camille@example.org pour la suite.")
    case_id = case_of(db, payload["id"]).id
    detail = client.get(f"/cases/{case_id}", headers=moderator["headers"]).get_json()
    assert detail["flags"] == [{"kind": "email", "start": 10, "end": 29}]
    assert detail["redacted_body"] == "Écrivez à [courriel masqué] pour la suite."
    first, second = detail["suggested_structures"]
    assert first["id"] == lyon["id"] and first["score"] > second["score"]
    assert detail["decision"] is None and detail["age_seconds"] >= 0


def test_unknown_case_is_404(client, moderator):
    response = client.get(f"/cases/{uuid.uuid4()}", headers=moderator["headers"])
    assert response.status_code == 404


# --- decisions -------------------------------------------------------------------------------

def test_approve_without_body_publishes_redacted_text(db, client, moderator):
    network = add_network(db)
    structure = add_structure(db, network["id"], "CAF de Lyon")
    payload = submit(db, body="Mon numéro : 06 12 34 56 78.")
    case_id = case_of(db, payload["id"]).id
    response = client.post(f"/cases/{case_id}/approve", json={"structure_id": structure["id"]},
                           headers=moderator["headers"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "approved"
    [event] = outbox_events(db, "moderation.approved")
    assert event["payload"] == {
        "case_id": case_id, "experience_id": payload["id"], "structure_id": structure["id"],
        "network_id": network["id"], "body": "Mon numéro : [téléphone masqué].", "edited": True,
        "moderator_id": moderator["id"], "title": "Attente interminable", "author_name": "Un usager",
        "structure_hint": "CAF de Lyon", "edited_fields": ["body"]}
    [audit] = audit_rows(db, case_id)
    assert (audit.action, audit.moderator_id, audit.structure_id, audit.edited) == \
        ("approve", moderator["id"], structure["id"], True)
    assert audit.decided_at is not None


def test_approve_clean_text_is_not_edited(db, client, moderator):
    network = add_network(db)
    structure = add_structure(db, network["id"], "CAF de Lyon")
    payload = submit(db, body="Accueil très aimable, merci.")
    case_id = case_of(db, payload["id"]).id
    client.post(f"/cases/{case_id}/approve", json={"structure_id": structure["id"]},
                headers=moderator["headers"])
    [event] = outbox_events(db, "moderation.approved")
    assert event["payload"]["edited"] is False
    assert event["payload"]["body"] == "Accueil très aimable, merci."


def test_approve_with_edited_body(db, client, moderator):
    network = add_network(db)
    structure = add_structure(db, network["id"], "CAF de Lyon")
    case_id = case_of(db, submit(db)["id"]).id
    response = client.post(f"/cases/{case_id}/approve", headers=moderator["headers"],
                           json={"structure_id": structure["id"], "body": "Texte reformulé."})
    assert response.get_json()["decision"]["published_body"] == "Texte reformulé."
    [event] = outbox_events(db, "moderation.approved")
    assert event["payload"]["body"] == "Texte reformulé." and event["payload"]["edited"] is True


def test_approve_unknown_structure_is_422_naming_the_field(db, client, moderator):
    experience_id = submit(db)["id"]
    case_id = case_of(db, experience_id).id
    response = client.post(f"/cases/{case_id}/approve", json={"structure_id": "nope"},
                           headers=moderator["headers"])
    assert response.status_code == 422
    assert "structure_id" in response.get_json()["errors"]
    assert outbox_events(db) == [] and audit_rows(db, case_id) == []
    assert case_of(db, experience_id).status == "pending"


@pytest.mark.parametrize("body, field", [
    ({}, "structure_id"),
    ({"structure_id": ""}, "structure_id"),
    ({"structure_id": 12}, "structure_id"),
    ({"structure_id": "s", "body": "   "}, "body"),
    ({"structure_id": "s", "published": True}, "published"),
])
def test_approve_bad_input_names_the_field(db, client, moderator, body, field):
    case_id = case_of(db, submit(db)["id"]).id
    response = client.post(f"/cases/{case_id}/approve", json=body, headers=moderator["headers"])
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_reject_records_reason_and_publishes(db, client, moderator):
    payload = submit(db)
    case_id = case_of(db, payload["id"]).id
    response = client.post(f"/cases/{case_id}/reject", headers=moderator["headers"],
                           json={"reason": "off_topic", "comment": "Hors sujet."})
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"
    [event] = outbox_events(db, "moderation.rejected")
    assert event["payload"] == {"case_id": case_id, "experience_id": payload["id"],
                                "reason": "off_topic", "comment": "Hors sujet.",
                                "moderator_id": moderator["id"]}
    [audit] = audit_rows(db, case_id)
    assert (audit.action, audit.reason, audit.comment) == ("reject", "off_topic", "Hors sujet.")
    assert audit.moderator_id == moderator["id"] and audit.decided_at is not None
    headers = moderator["headers"]
    assert client.get("/cases", headers=headers).get_json()["items"] == []
    [row] = client.get("/cases?status=rejected", headers=headers).get_json()["items"]
    assert row["id"] == case_id and row["decided_at"] is not None


@pytest.mark.parametrize("body, field", [
    ({"reason": "rude"}, "reason"),
    ({}, "reason"),
    ({"reason": "other"}, "comment"),
    ({"reason": "other", "comment": "  "}, "comment"),
])
def test_reject_bad_input_names_the_field(db, client, moderator, body, field):
    case_id = case_of(db, submit(db)["id"]).id
    response = client.post(f"/cases/{case_id}/reject", json=body, headers=moderator["headers"])
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_reject_other_with_comment(db, client, moderator):
    case_id = case_of(db, submit(db)["id"]).id
    response = client.post(f"/cases/{case_id}/reject", headers=moderator["headers"],
                           json={"reason": "other", "comment": "Témoignage fictif."})
    assert response.status_code == 200


def test_decided_case_is_409_naming_its_status(db, client, moderator):
    case_id = case_of(db, submit(db)["id"]).id
    client.post(f"/cases/{case_id}/reject", json={"reason": "duplicate"},
                headers=moderator["headers"])
    response = client.post(f"/cases/{case_id}/reject", json={"reason": "insult"},
                           headers=moderator["headers"])
    assert response.status_code == 409
    assert response.get_json()["errors"] == {"status": ["rejected"]}
    assert response.get_json()["message"] == "Ce dossier a déjà été traité (statut : refusé)."
    assert len(outbox_events(db, "moderation.rejected")) == 1


def test_reroute_reorientation_case(db, client, moderator):
    caf, cpam = add_network(db, "caf"), add_network(db, "cpam")
    current = add_structure(db, caf["id"], "CAF de Lyon")
    target = add_structure(db, cpam["id"], "CPAM du Rhône")
    payload = request_reorientation(db, current)
    case_id = case_of(db, payload["id"], "reorientation").id
    response = client.post(f"/cases/{case_id}/reroute", headers=moderator["headers"],
                           json={"structure_id": target["id"], "comment": "Relève de la CPAM."})
    assert response.status_code == 200
    assert response.get_json()["status"] == "rerouted"
    [event] = outbox_events(db, "moderation.rerouted")
    assert event["payload"] == {"case_id": case_id, "experience_id": payload["id"],
                                "structure_id": target["id"], "network_id": cpam["id"],
                                "comment": "Relève de la CPAM.", "moderator_id": moderator["id"]}
    [audit] = audit_rows(db, case_id)
    assert (audit.action, audit.structure_id, audit.network_id) == \
        ("reroute", target["id"], cpam["id"])


def test_decline_reorientation_keeps_the_structure_and_tells_it_why(db, client, moderator):
    network = add_network(db)
    current = add_structure(db, network["id"], "CAF de Lyon")
    payload = request_reorientation(db, current)
    case_id = case_of(db, payload["id"], "reorientation").id
    blank = client.post(f"/cases/{case_id}/decline", headers=moderator["headers"],
                        json={"comment": "   "})
    assert blank.status_code == 422 and "comment" in blank.get_json()["errors"]
    assert outbox_events(db, "moderation.reorientation_declined") == []
    response = client.post(f"/cases/{case_id}/decline", headers=moderator["headers"],
                           json={"comment": " Le guichet cité est bien le vôtre. "})
    assert response.status_code == 200
    assert response.get_json()["status"] == "declined"
    [event] = outbox_events(db, "moderation.reorientation_declined")
    assert event["payload"] == {"case_id": case_id, "experience_id": payload["id"],
                                "comment": "Le guichet cité est bien le vôtre.",
                                "moderator_id": moderator["id"]}
    [audit] = audit_rows(db, case_id)
    assert audit.action == "decline"
    again = client.post(f"/cases/{case_id}/decline", headers=moderator["headers"],
                        json={"comment": "Encore."})
    assert again.status_code == 409
    assert again.get_json()["message"] == \
        "Ce dossier a déjà été traité (statut : réorientation refusée)."
    listed = client.get("/cases?status=declined", headers=moderator["headers"]).get_json()
    assert [c["id"] for c in listed["items"]] == [case_id]
    assert client.get("/stats", headers=moderator["headers"]).get_json()["declined"] == 1


def test_decline_applies_to_reorientation_requests_only(db, client, moderator):
    case_id = case_of(db, submit(db)["id"]).id
    response = client.post(f"/cases/{case_id}/decline", headers=moderator["headers"],
                           json={"comment": "Non."})
    assert response.status_code == 409
    assert response.get_json()["message"] == \
        "Refuser la réorientation : impossible pour une nouvelle expérience."


def test_reorientation_case_suggests_nearby_structures_but_not_the_current_one(
        db, client, moderator):
    network = add_network(db)
    current = add_structure(db, network["id"], "CAF de Lyon", "69003", "Lyon")
    nearby = add_structure(db, network["id"], "CPAM du Rhône", "69003", "Lyon")
    add_structure(db, network["id"], "CAF de Marseille", "13001", "Marseille")
    case_id = case_of(db, request_reorientation(db, current)["id"], "reorientation").id
    def listed(kind):
        return client.get(f"/cases?kind={kind}", headers=moderator["headers"]).get_json()["items"]

    assert listed("submission") == []
    [row] = listed("reorientation")
    assert row["id"] == case_id and row["kind"] == "reorientation"
    detail = client.get(f"/cases/{case_id}", headers=moderator["headers"]).get_json()
    assert detail["reason"] == "Ne relève pas de notre agence."
    assert detail["current_structure_id"] == current["id"]
    assert [s["id"] for s in detail["suggested_structures"]] == [nearby["id"]]


def test_openapi_documents_the_decisions(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert {"/cases", "/cases/{case_id}", "/cases/{case_id}/approve", "/cases/{case_id}/reject",
            "/cases/{case_id}/reroute", "/structures", "/stats"} <= set(paths)


def test_reroute_to_the_same_structure_is_422(db, client, moderator):
    network = add_network(db)
    current = add_structure(db, network["id"], "CAF de Lyon")
    case_id = case_of(db, request_reorientation(db, current)["id"], "reorientation").id
    response = client.post(f"/cases/{case_id}/reroute", json={"structure_id": current["id"]},
                           headers=moderator["headers"])
    assert response.status_code == 422 and "structure_id" in response.get_json()["errors"]


def test_reroute_of_a_submission_case_is_409(db, client, moderator):
    network = add_network(db)
    structure = add_structure(db, network["id"], "CAF de Lyon")
    case_id = case_of(db, submit(db)["id"]).id
    response = client.post(f"/cases/{case_id}/reroute", json={"structure_id": structure["id"]},
                           headers=moderator["headers"])
    assert response.status_code == 409 and "kind" in response.get_json()["errors"]
    assert response.get_json()["message"] == \
        "Réorienter : impossible pour une nouvelle expérience."


# --- permissions -----------------------------------------------------------------------------

DECISIONS = [("approve", {"structure_id": "x"}), ("reject", {"reason": "insult"}),
             ("reroute", {"structure_id": "x"})]


@pytest.mark.parametrize("profile", ["agent", "super_agent", "referent"])
@pytest.mark.parametrize("action, body", DECISIONS)
def test_non_moderators_cannot_decide(db, client, tokens, profile, action, body):
    experience_id = submit(db)["id"]
    case_id = case_of(db, experience_id).id
    response = client.post(f"/cases/{case_id}/{action}", json=body,
                           headers=tokens.headers(profile))
    assert response.status_code == 403
    assert case_of(db, experience_id).status == "pending" and audit_rows(db, case_id) == []
    assert outbox_events(db) == []


@pytest.mark.parametrize("profile", ["agent", "super_agent", "referent"])
@pytest.mark.parametrize("path", ["/cases", "/stats", "/structures"])
def test_non_moderators_cannot_read_the_queue(client, tokens, profile, path):
    assert client.get(path, headers=tokens.headers(profile)).status_code == 403


@pytest.mark.parametrize("method, path", [("get", "/cases"), ("get", "/stats"),
                                          ("get", "/structures"), ("post", "/cases/x/approve"),
                                          ("post", "/cases/x/reject")])
def test_no_token_is_401(client, method, path):
    assert getattr(client, method)(path, json={}).status_code == 401


def test_admin_may_decide(db, client, tokens):
    case_id = case_of(db, submit(db)["id"]).id
    response = client.post(f"/cases/{case_id}/reject", json={"reason": "advertising"},
                           headers=tokens.headers("admin"))
    assert response.status_code == 200


# --- search and stats ------------------------------------------------------------------------

def test_structure_search_by_city_postal_code_and_name(db, client, moderator):
    network = add_network(db)
    add_structure(db, network["id"], "CAF de Lyon", "69003", "Lyon")
    add_structure(db, network["id"], "CAF de Marseille", "13001", "Marseille")
    add_structure(db, network["id"], "CPAM de Villeurbanne", "69100", "Villeurbanne")

    def names(q, **extra):
        page = client.get("/structures", query_string={"q": q, **extra},
                          headers=moderator["headers"]).get_json()
        return [s["name"] for s in page["items"]], page["total"]

    assert names("marseille") == (["CAF de Marseille"], 1)
    assert names("69") == (["CAF de Lyon", "CPAM de Villeurbanne"], 2)
    assert names("cpam") == (["CPAM de Villeurbanne"], 1)
    assert names("", per_page=1, page=3) == (["CPAM de Villeurbanne"], 3)


def test_bad_query_is_422_naming_the_field(client, moderator):
    response = client.get("/cases?status=lost", headers=moderator["headers"])
    assert response.status_code == 422 and "status" in response.get_json()["errors"]
    response = client.get("/structures?per_page=0", headers=moderator["headers"])
    assert response.status_code == 422 and "per_page" in response.get_json()["errors"]


def test_stats_counts_and_median_time_to_decision(db, client, moderator):
    now = datetime.now(UTC)
    ids = [case_of(db, submit(db)["id"]).id for _ in range(4)]
    # decided 1 h, 3 h after creation (this week) and 10 h after creation 20 days ago
    with db.transaction() as session:
        for case_id, (age_days, hours) in zip(ids, [(0, 1), (1, 3), (20, 10)], strict=False):
            case = session.get(Case, case_id)
            case.decided_at = now - timedelta(days=age_days)
            case.created_at = case.decided_at - timedelta(hours=hours)
            case.status = "approved" if hours != 3 else "rejected"
    figures = client.get("/stats", headers=moderator["headers"]).get_json()
    assert (figures["pending"], figures["approved"], figures["rejected"]) == (1, 2, 1)
    by_days = {w["days"]: w for w in figures["time_to_decision"]}
    assert by_days[7] == {"days": 7, "decided": 2, "median_seconds": 2 * 3600}
    assert by_days[30] == {"days": 30, "decided": 3, "median_seconds": 3 * 3600}


def test_case_opened_by_another_moderator_cannot_be_decided(db, client, moderator, tokens):
    network = add_network(db)
    structure = add_structure(db, network["id"], "CAF de Lyon")
    case_id = case_of(db, submit(db)["id"]).id
    assert client.post(f"/cases/{case_id}/claim", headers=moderator["headers"]).status_code == 200
    other = tokens.headers("moderator", sub=str(uuid.uuid4()))
    refused = client.post(f"/cases/{case_id}/reject", json={"reason": "duplicate"}, headers=other)
    assert refused.status_code == 409 and "claimed_until" in refused.get_json()["errors"]
    assert [e for e in outbox_events(db, "moderation.rejected")
            if e["payload"]["case_id"] == case_id] == []
    approved = client.post(f"/cases/{case_id}/approve", json={"structure_id": structure["id"]},
                           headers=moderator["headers"])
    assert approved.status_code == 200
