"""Diagnostic API against a real PostgreSQL database: drafts, completion, scope, versions."""

import csv
import io
import json
import shutil

import pytest
import sqlalchemy as sa
import yaml

from services.chassis.catalogue import EventType
from services.diagnostic import domain
from services.diagnostic.handlers import HANDLERS
from tests.support.diagnostic_db import (
    V1,
    all_answers,
    fill_and_complete,
    h,
    items,
    start,
    structure_event,
    uid,
)

# --- questionnaires -------------------------------------------------------------------------


def test_current_questionnaire_and_version(client, tokens, world):
    headers = h(tokens, "agent", world, ["A"])
    current = client.get("/questionnaires/current", headers=headers)
    assert current.status_code == 200
    body = current.get_json()
    assert body["version"] == V1
    assert len(body["commitments"]) == 8
    assert [c["code"] for c in body["channels"]] == ["in_person", "phone", "mail_email", "online"]
    assert [s["label"] for s in body["scale"]] == ["Oui", "Partiellement", "Non", "Non concerné"]
    assert client.get(f"/questionnaires/{V1}", headers=headers).get_json() == body
    missing = client.get("/questionnaires/1999-v0", headers=headers)
    assert missing.status_code == 404
    assert client.get("/questionnaires/current").status_code == 401


# --- drafts ---------------------------------------------------------------------------------


def test_draft_save_resume_and_last_editor(client, tokens, world):
    alice = h(tokens, "agent", world, ["A"], sub="alice")
    bob = h(tokens, "super_agent", world, ["A"], sub="bob", missions=())
    d = start(client, alice, world["A"], ["in_person", "phone"])
    total = len(items(["in_person", "phone"]))
    assert d["status"] == "draft"
    assert d["questionnaire_version"] == V1
    assert d["channels"] == ["in_person", "phone"]
    assert d["started_by"] == "alice"
    assert d["progress"] == {"answered": 0, "total": total}
    assert len(d["missing"]) == total

    first = {"question_id": "c1-all-1", "channel": "phone", "answer": "yes"}
    r = client.put(f"/diagnostics/{d['id']}/answers", headers=alice, json={
        "answers": [first, {"question_id": "c1-in_person-1", "channel": "in_person",
                            "answer": "partly"}],
        "notes": [{"commitment": 1, "text": "Formation prévue en mars."}]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["progress"] == {"answered": 2, "total": total}

    r = client.put(f"/diagnostics/{d['id']}/answers", headers=bob, json={
        "answers": [{"question_id": "c1-all-1", "channel": "in_person", "answer": "no"}]})
    assert r.status_code == 200

    resumed = client.get(f"/diagnostics/{d['id']}", headers=alice).get_json()
    assert resumed["progress"] == {"answered": 3, "total": total}
    by_item = {(a["question_id"], a["channel"]): a for a in resumed["answers"]}
    assert by_item[("c1-all-1", "phone")]["updated_by"] == "alice"
    assert by_item[("c1-all-1", "in_person")]["updated_by"] == "bob"
    assert by_item[("c1-all-1", "in_person")]["answer"] == "no"
    assert by_item[("c1-all-1", "in_person")]["updated_at"]
    assert resumed["last_edit"]["updated_by"] == "bob"
    assert resumed["notes"][0]["commitment"] == 1
    assert resumed["notes"][0]["text"] == "Formation prévue en mars."
    assert "c1-all-1/phone" not in resumed["missing"]

    # saving the same answer again keeps its author; a null answer clears it
    client.put(f"/diagnostics/{d['id']}/answers", headers=bob, json={"answers": [first]})
    again = client.get(f"/diagnostics/{d['id']}", headers=bob).get_json()
    again_items = {(a["question_id"], a["channel"]): a for a in again["answers"]}
    assert again_items[("c1-all-1", "phone")]["updated_by"] == "alice"
    client.put(f"/diagnostics/{d['id']}/answers", headers=bob, json={
        "answers": [{**first, "answer": None}]})
    cleared = client.get(f"/diagnostics/{d['id']}", headers=bob).get_json()
    assert cleared["progress"]["answered"] == 2
    assert "c1-all-1/phone" in cleared["missing"]

    # one draft at a time: a second start points to the draft to resume
    second = client.post("/diagnostics", headers=bob,
                         json={"structure_id": world["A"], "channels": ["phone"]})
    assert second.status_code == 409
    assert second.get_json()["errors"]["draft_id"] == [d["id"]]

    listed = client.get(f"/diagnostics?structure_id={world['A']}", headers=alice).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == d["id"]
    assert listed["page"] == 1


def test_invalid_answers_name_the_item(client, tokens, world):
    alice = h(tokens, "agent", world, ["A"])
    d = start(client, alice, world["A"], ["phone"])
    r = client.put(f"/diagnostics/{d['id']}/answers", headers=alice, json={"answers": [
        {"question_id": "c9-nope", "channel": "phone", "answer": "yes"},
        {"question_id": "c1-all-1", "channel": "in_person", "answer": "yes"},
        {"question_id": "c1-all-2", "channel": "phone", "answer": "maybe"},
        {"question_id": "c1-phone-1", "channel": "phone", "answer": "yes"},
    ], "notes": [{"commitment": 42, "text": "?"}]})
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    joined = " ".join(errors["answers"])
    assert "c9-nope/phone" in joined and "c1-all-1/in_person" in joined
    assert "c1-all-2/phone" in joined and "maybe" in joined
    assert "c1-phone-1" not in joined
    assert "42" in errors["notes"][0]
    # nothing saved: the request is all or nothing
    assert client.get(f"/diagnostics/{d['id']}", headers=alice).get_json()["progress"][
        "answered"] == 0
    bad_shape = client.put(f"/diagnostics/{d['id']}/answers", headers=alice,
                           json={"answers": [{"question_id": "c1-all-1"}]})
    assert bad_shape.status_code == 422
    assert "answers" in bad_shape.get_json()["errors"]


def test_start_refuses_bad_channels_and_unknown_structure(client, tokens, world):
    admin = h(tokens, "admin", world, network=None)
    r = client.post("/diagnostics", headers=admin,
                    json={"structure_id": world["A"], "channels": ["fax"]})
    assert r.status_code == 422 and "channels" in r.get_json()["errors"]
    r = client.post("/diagnostics", headers=admin,
                    json={"structure_id": world["A"], "channels": []})
    assert r.status_code == 422 and "channels" in r.get_json()["errors"]
    r = client.post("/diagnostics", headers=admin,
                    json={"structure_id": uid(), "channels": ["phone"]})
    assert r.status_code == 422 and "structure_id" in r.get_json()["errors"]
    r = client.post("/diagnostics", headers=admin, json={"channels": ["phone"]})
    assert r.status_code == 422 and "structure_id" in r.get_json()["errors"]


def test_start_with_the_structure_alone_covers_every_channel(client, tokens, world):
    admin = h(tokens, "admin", world, network=None)
    r = client.post("/diagnostics", headers=admin, json={"structure_id": world["A"]})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["channels"] == ["in_person", "phone", "mail_email", "online"]


# --- completion -----------------------------------------------------------------------------


def outbox_events(db, diagnostic_id):
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT event_type, body FROM outbox WHERE event_type = 'diagnostic.completed'"
        )).all()
    return [json.loads(body) for _, body in rows
            if json.loads(body)["payload"]["id"] == diagnostic_id]


def test_completion_lists_missing_then_freezes(client, tokens, world, db):
    alice = h(tokens, "agent", world, ["A"])
    channels = ["phone", "online"]
    d = start(client, alice, world["A"], channels)
    answers = all_answers(channels)
    client.put(f"/diagnostics/{d['id']}/answers", headers=alice, json={"answers": answers[:-2]})
    r = client.post(f"/diagnostics/{d['id']}/complete", headers=alice)
    assert r.status_code == 409
    missing = r.get_json()["errors"]["missing"]
    assert missing == [f"{a['question_id']}/{a['channel']}" for a in answers[-2:]]
    assert outbox_events(db, d["id"]) == []

    # « Non concerné » counts as an answer
    last = [{**a, "answer": "not_applicable"} for a in answers[-2:]]
    client.put(f"/diagnostics/{d['id']}/answers", headers=alice, json={"answers": last})
    r = client.post(f"/diagnostics/{d['id']}/complete", headers=alice)
    assert r.status_code == 200
    done = r.get_json()
    assert done["status"] == "completed" and done["completed_at"]
    assert done["overall_score"] == 1.0

    events = outbox_events(db, d["id"])
    assert len(events) == 1
    payload = events[0]["payload"]
    assert payload["structure_id"] == world["A"]
    assert payload["network_id"] == world["N1"]
    assert payload["questionnaire_version"] == V1
    assert payload["overall_score"] == 1.0
    assert events[0]["producer"] == "diagnostic"

    again = client.put(f"/diagnostics/{d['id']}/answers", headers=alice,
                       json={"answers": [{**answers[0], "answer": "no"}]})
    assert again.status_code == 409
    assert client.post(f"/diagnostics/{d['id']}/complete", headers=alice).status_code == 409
    assert len(outbox_events(db, d["id"])) == 1


def test_results_gaps_previous_and_network_average(client, tokens, world):
    referent = h(tokens, "referent", world)
    # A first: commitment 1 all « Non » (score 0), the rest « Oui »
    first = fill_and_complete(client, referent, world["A"], overrides={1: "no"})
    r = client.get(f"/diagnostics/{first['id']}/results", headers=referent)
    assert r.status_code == 200
    body = r.get_json()
    by_number = {c["number"]: c for c in body["commitments"]}
    assert by_number[1]["score"] == 0.0
    assert by_number[1]["gap"] == pytest.approx(0.8)
    assert by_number[2]["score"] == 1.0
    assert by_number[2]["gap"] == pytest.approx(-0.2)
    assert body["weakest"][0]["commitment"] == 1
    assert body["weakest_commitments"][0]["number"] == 1
    assert body["previous"] is None
    assert by_number[1]["previous_score"] is None
    assert [c["channel"] for c in body["channels"]] == ["phone"]

    # A again, all « Oui »; B all « Partiellement »
    second = fill_and_complete(client, referent, world["A"])
    fill_and_complete(client, referent, world["B"], code="partly")
    body = client.get(f"/diagnostics/{second['id']}/results", headers=referent).get_json()
    by_number = {c["number"]: c for c in body["commitments"]}
    assert body["previous"]["diagnostic_id"] == first["id"]
    assert by_number[1]["previous_score"] == 0.0
    assert by_number[1]["change"] == 1.0
    assert by_number[2]["change"] == 0.0
    # network: A's latest (1.0) and B (0.5), each structure weighing the same
    assert body["network"]["structures"] == 2
    assert by_number[1]["network_average"] == pytest.approx(0.75)
    assert by_number[1]["gap_to_network"] == pytest.approx(-0.25)

    draft = start(client, referent, world["A"])
    assert client.get(f"/diagnostics/{draft['id']}/results", headers=referent).status_code == 409


def test_csv_export(client, tokens, world):
    alice = h(tokens, "agent", world, ["A"])
    channels = ["in_person", "phone"]
    d = fill_and_complete(client, alice, world["A"], channels, overrides={3: "partly"})
    r = client.get(f"/diagnostics/{d['id']}/results.csv", headers=alice)
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    text = r.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == domain.CSV_HEADER
    assert len(rows) == 1 + 8 * 2
    row = next(row for row in rows[1:] if row[0] == "3" and row[2] == "Téléphone")
    assert row[3:] == ["50", "80", "30"]
    other = h(tokens, "agent", world, ["B"])
    assert client.get(f"/diagnostics/{d['id']}/results.csv", headers=other).status_code == 403


# --- scope ----------------------------------------------------------------------------------


def test_scope_of_agents_and_referents(client, tokens, world):
    agent_a = h(tokens, "agent", world, ["A"])
    d = start(client, agent_a, world["A"])
    url = f"/diagnostics/{d['id']}"
    answer = {"answers": [{"question_id": "c1-all-1", "channel": "phone", "answer": "yes"}]}

    # another structure's agent, same network: 403 everywhere
    agent_b = h(tokens, "agent", world, ["B"])
    assert client.get(url, headers=agent_b).status_code == 403
    assert client.put(f"{url}/answers", headers=agent_b, json=answer).status_code == 403
    assert client.post(f"{url}/complete", headers=agent_b).status_code == 403
    assert client.post("/diagnostics", headers=agent_b, json={
        "structure_id": world["A"], "channels": ["phone"]}).status_code == 403
    assert client.get(f"/diagnostics?structure_id={world['A']}",
                      headers=agent_b).status_code == 403

    # a child structure's agent does not reach its parent; the parent's agent reaches the child
    agent_a1 = h(tokens, "agent", world, ["A1"])
    assert client.get(url, headers=agent_a1).status_code == 403
    child = start(client, agent_a, world["A1"])
    assert client.get(f"/diagnostics/{child['id']}", headers=agent_a1).status_code == 200

    # another network's referent and agent: the diagnostic does not exist for them
    referent_n2 = h(tokens, "referent", world, network="N2")
    agent_c = h(tokens, "agent", world, ["C"], network="N2")
    assert client.get(url, headers=referent_n2).status_code == 404
    assert client.get(url, headers=agent_c).status_code == 404
    assert client.put(f"{url}/answers", headers=referent_n2, json=answer).status_code == 404
    assert client.post("/diagnostics", headers=referent_n2, json={
        "structure_id": world["A"], "channels": ["phone"]}).status_code == 403

    # the network's referent and an admin may
    referent_n1 = h(tokens, "referent", world)
    assert client.put(f"{url}/answers", headers=referent_n1, json=answer).status_code == 200
    admin = h(tokens, "admin", world, network=None)
    assert client.get(url, headers=admin).status_code == 200

    # an agent without mission diagnostic reads but does not fill; a moderator does neither
    reader = h(tokens, "agent", world, ["A"], missions=("answer",))
    assert client.get(url, headers=reader).status_code == 200
    assert client.put(f"{url}/answers", headers=reader, json=answer).status_code == 403
    assert client.post(f"{url}/complete", headers=reader).status_code == 403
    assert client.post("/diagnostics", headers=reader, json={
        "structure_id": world["A"], "channels": ["phone"]}).status_code == 403
    moderator = h(tokens, "moderator", world, network=None, missions=())
    assert client.get(url, headers=moderator).status_code == 403

    # lists show only what the caller may see
    ids_c = {i["id"] for i in client.get("/diagnostics", headers=agent_c).get_json()["items"]}
    assert d["id"] not in ids_c
    ids_a = {i["id"] for i in client.get("/diagnostics", headers=agent_a).get_json()["items"]}
    assert {d["id"], child["id"]} <= ids_a
    ids_a1 = {i["id"] for i in client.get("/diagnostics", headers=agent_a1).get_json()["items"]}
    assert ids_a1 == {child["id"]}
    ids_ref = {i["id"] for i in
               client.get("/diagnostics", headers=referent_n1).get_json()["items"]}
    assert {d["id"], child["id"]} <= ids_ref
    assert client.get(f"/diagnostics?structure_id={world['A']}",
                      headers=agent_c).status_code == 404


def test_structure_replica_is_idempotent_and_follows_updates(client, tokens, world, db):
    moved = uid()
    event, consumer = structure_event(db, EventType.STRUCTURE_CREATED, id=moved,
                                      network_id=world["N1"], parent_id=None, name="Mairie")
    consumer.handle(HANDLERS[EventType.STRUCTURE_CREATED], event, event.payload)  # redelivery
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM structures WHERE id = :id"),
                            {"id": moved}).scalar() == 1
    agent_a = h(tokens, "agent", world, ["A"])
    assert client.post("/diagnostics", headers=agent_a, json={
        "structure_id": moved, "channels": ["phone"]}).status_code == 403
    structure_event(db, EventType.STRUCTURE_UPDATED, id=moved, network_id=world["N1"],
                    parent_id=world["A"], name="Mairie annexe")
    start(client, agent_a, moved)


# --- version pinning ------------------------------------------------------------------------


@pytest.fixture
def newer_version(tmp_path, monkeypatch):
    """A 2024-v1 questionnaire published after 2023-v1, with one more question."""
    source = domain.QUESTIONNAIRES_DIR / f"{V1}.yaml"
    shutil.copy(source, tmp_path / source.name)
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["version"] = "2024-v1"
    data["published_on"] = "2024-01-01"
    data["commitments"][0]["questions"].append(
        {"id": "c1-all-new", "text": "Nouvelle question 2024.", "channels": "all"})
    (tmp_path / "2024-v1.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                           encoding="utf-8")
    domain.get_questionnaire.cache_clear()
    monkeypatch.setattr(domain, "QUESTIONNAIRES_DIR", tmp_path)
    yield "2024-v1"
    monkeypatch.undo()
    domain.get_questionnaire.cache_clear()


def test_diagnostic_keeps_the_version_it_started_with(client, tokens, world, request):
    alice = h(tokens, "agent", world, ["A"])
    old = start(client, alice, world["A"])
    assert old["questionnaire_version"] == V1

    newer = request.getfixturevalue("newer_version")
    assert client.get("/questionnaires/current", headers=alice).get_json()["version"] == newer
    new = start(client, alice, world["A1"])
    assert new["questionnaire_version"] == newer
    assert new["progress"]["total"] == old["progress"]["total"] + 1

    pinned = client.get(f"/diagnostics/{old['id']}", headers=alice).get_json()
    assert pinned["questionnaire_version"] == V1
    assert pinned["progress"]["total"] == old["progress"]["total"]
    extra = {"question_id": "c1-all-new", "channel": "phone", "answer": "yes"}
    r = client.put(f"/diagnostics/{old['id']}/answers", headers=alice, json={"answers": [extra]})
    assert r.status_code == 422 and "c1-all-new/phone" in r.get_json()["errors"]["answers"][0]
    assert client.put(f"/diagnostics/{new['id']}/answers", headers=alice,
                      json={"answers": [extra]}).status_code == 200

    client.put(f"/diagnostics/{old['id']}/answers", headers=alice,
               json={"answers": all_answers(["phone"])})
    done = client.post(f"/diagnostics/{old['id']}/complete", headers=alice)
    assert done.status_code == 200
    results = client.get(f"/diagnostics/{old['id']}/results", headers=alice).get_json()
    assert results["questionnaire_version"] == V1
