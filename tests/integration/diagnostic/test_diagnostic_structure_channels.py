"""A diagnostic started with the structure alone covers the channels identity declares for that
structure (kept in diagnostic's replica); the questionnaire publishes the mapping the pages use;
the results carry the gap in displayed points, the same figure as the CSV."""

import csv
import io

from services.chassis.catalogue import EventType
from tests.support.diagnostic_db import all_answers, h, structure_event, uid


def test_the_questionnaire_says_which_structure_channels_each_channel_covers(
        client, tokens, world):
    body = client.get("/questionnaires/current", headers=h(tokens, "agent", world, ["A"]))
    assert {c["code"]: c["structure_channels"] for c in body.get_json()["channels"]} == {
        "in_person": ["in_person"], "phone": ["phone"], "mail_email": ["mail", "email"],
        "online": ["online"]}


def test_a_structure_alone_starts_with_its_declared_channels(
        client, tokens, world, db):
    declared = uid()
    structure_event(db, EventType.STRUCTURE_CREATED, id=declared, network_id=world["N1"],
                    parent_id=None, name="CAF de Bron", channels=["online", "email", "other"])
    referent = h(tokens, "referent", world)
    started = client.post("/diagnostics", headers=referent, json={"structure_id": declared})
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["channels"] == ["mail_email", "online"]
    assert started.get_json()["progress"]["total"] < 86  # two channels, not four

    # Nothing the questionnaire covers (« other » only, or no channel at all): every channel.
    for channels in (["other"], None):
        bare = uid()
        structure_event(db, EventType.STRUCTURE_CREATED, id=bare, network_id=world["N1"],
                        parent_id=None, name="Antenne", **({"channels": channels} if channels
                                                           else {}))
        started = client.post("/diagnostics", headers=referent, json={"structure_id": bare})
        assert started.get_json()["channels"] == ["in_person", "phone", "mail_email", "online"]

    # Channels given explicitly win over the declared ones; bad ones still say which field.
    other = uid()
    structure_event(db, EventType.STRUCTURE_CREATED, id=other, network_id=world["N1"],
                    parent_id=None, name="CAF de Vénissieux", channels=["phone"])
    chosen = client.post("/diagnostics", headers=referent,
                         json={"structure_id": other, "channels": ["in_person"]})
    assert chosen.status_code == 201 and chosen.get_json()["channels"] == ["in_person"]
    bad = client.post("/diagnostics", headers=referent,
                      json={"structure_id": uid(), "channels": ["fax"]})
    assert bad.status_code == 422 and "channels" in bad.get_json()["errors"]
    unknown = client.post("/diagnostics", headers=referent, json={"structure_id": uid()})
    assert unknown.status_code == 422 and "structure_id" in unknown.get_json()["errors"]


def test_an_update_changes_the_channels_of_the_next_diagnostic(
        client, tokens, world, db):
    structure = uid()
    structure_event(db, EventType.STRUCTURE_CREATED, id=structure, network_id=world["N1"],
                    parent_id=None, name="Mairie", channels=["phone"])
    structure_event(db, EventType.STRUCTURE_UPDATED, id=structure, network_id=world["N1"],
                    parent_id=None, name="Mairie", channels=["in_person", "mail"])
    started = client.post("/diagnostics", headers=h(tokens, "admin", world, network=None),
                          json={"structure_id": structure})
    assert started.get_json()["channels"] == ["in_person", "mail_email"]


def test_results_and_csv_carry_the_same_gap_points(client, tokens, world):
    alice = h(tokens, "agent", world, ["B"])
    d = client.post("/diagnostics", headers=alice,
                    json={"structure_id": world["B"], "channels": ["phone"]}).get_json()
    answers = all_answers(["phone"], overrides={1: "no", 2: "partly"})
    assert client.put(f"/diagnostics/{d['id']}/answers", headers=alice,
                      json={"answers": answers}).status_code == 200
    assert client.post(f"/diagnostics/{d['id']}/complete", headers=alice).status_code == 200
    body = client.get(f"/diagnostics/{d['id']}/results", headers=alice).get_json()
    by_number = {c["number"]: c for c in body["commitments"]}
    assert by_number[1]["gap_points"] == 80 and by_number[2]["gap_points"] == 30
    assert by_number[3]["gap_points"] == -20  # above the expected level: negative
    assert body["weakest_commitments"][0]["gap_points"] == 80
    text = client.get(f"/diagnostics/{d['id']}/results.csv",
                      headers=alice).get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    assert {int(r[0]): int(r[5]) for r in rows} == {
        c["number"]: c["gap_points"] for c in body["commitments"]}
