"""`POST /screening`: what an agent or a structure is about to publish, screened for its writer
before it goes public; staff who write public text only, nothing stored."""

from __future__ import annotations

import pytest

from services.moderation.models import Base

RESPONSE = ("Bonjour Madame Durand, nous vous rappellerons au 06 12 34 56 78. Vous pouvez aussi "
            "écrire à paul.martin@gmail.com ou passer au 12 rue des Lilas 69003 Lyon.")


def _kinds(answer: dict) -> dict[str, list[tuple[str, str]]]:
    texts = {"body": RESPONSE}
    return {t["name"]: [(f["kind"], texts.get(t["name"], "")[f["start"]:f["end"]])
                        for f in t["flags"]] for t in answer["texts"]}


def test_an_agents_response_shows_each_passage_with_its_kind(client, tokens, db):
    answer = client.post("/screening", json={"texts": {"body": RESPONSE, "closing": "Bien à vous",
                                                       "signature": "Marie Lefèvre, conseillère"}},
                         headers=tokens.headers("agent", missions=("answer",)))
    assert answer.status_code == 200, answer.json
    found = _kinds(answer.json)
    assert ("phone", "06 12 34 56 78") in found["body"]
    assert ("email", "paul.martin@gmail.com") in found["body"]
    assert ("person_name", "Madame Durand") in found["body"]
    assert any(kind == "address" and "12 rue des Lilas" in span for kind, span in found["body"])
    # An agent signs with her own name: only contacts count in a signature.
    assert found["closing"] == [] and found["signature"] == []
    # Nothing is stored: no table gained a row.
    with db.transaction() as session:
        assert all(session.query(t).count() == 0 for t in Base.metadata.sorted_tables)


def test_a_public_office_number_is_not_shown(client, tokens):
    answer = client.post("/screening", json={"texts": {"body": "Appelez le 3230, du lundi au vendredi."}},
                         headers=tokens.headers("super_agent"))
    assert answer.status_code == 200
    assert answer.json["texts"] == [{"name": "body", "flags": []}]


@pytest.mark.parametrize("profile", ["moderator"])
def test_who_writes_no_public_text_is_refused(client, tokens, profile):
    answer = client.post("/screening", json={"texts": {"body": "x"}},
                         headers=tokens.headers(profile))
    assert answer.status_code == 403


def test_without_a_token_it_is_401(client):
    assert client.post("/screening", json={"texts": {"body": "x"}}).status_code == 401


@pytest.mark.parametrize(("texts", "field"), [
    ({}, "texts"),
    ({"password": "x"}, "texts"),
    ({"body": "x" * 10_001}, "texts"),
    ({"body": 12}, "texts"),
])
def test_bad_input_names_the_field(client, tokens, texts, field):
    answer = client.post("/screening", json={"texts": texts},
                         headers=tokens.headers("agent", missions=("answer",)))
    assert answer.status_code == 422
    assert field in answer.json["errors"]


@pytest.mark.parametrize("profile", ["referent", "super_agent", "agent"])
def test_any_one_of_the_public_writers_rights_is_enough(client, tokens, profile):
    # A referent writes improvement actions only; an agent answers only with mission `answer`.
    answer = client.post("/screening", json={"texts": {"title": "Accueil le samedi"}},
                         headers=tokens.headers(profile, missions=("answer",)))
    assert answer.status_code == 200
    assert answer.json["texts"] == [{"name": "title", "flags": []}]


def test_an_agent_without_the_answer_mission_writes_actions_too(client, tokens):
    answer = client.post("/screening", json={"texts": {"title": "x"}},
                         headers=tokens.headers("agent", missions=("diagnostic",)))
    assert answer.status_code == 200
