"""Diagnostic's API against its database (fixtures in tests/integration/diagnostic/conftest.py):
structure events delivered as the consumer does, tokens scoped to a tree of structures, and a
diagnostic started, filled and completed.
"""

from __future__ import annotations

import uuid

from services.chassis.consumer import EventConsumer
from services.chassis.events import make_event
from services.diagnostic import domain
from services.diagnostic.handlers import HANDLERS

V1 = "2023-v1"


def uid() -> str:
    return str(uuid.uuid4())


def structure_event(db, event_type, **payload):
    """Deliver a structure event through the consumer's idempotent path."""
    event = make_event(event_type, payload, producer="identity")
    consumer = EventConsumer(None, db, HANDLERS, topology=None)
    consumer.handle(HANDLERS[event_type], event, payload)
    return event, consumer


def h(tokens, profile, world, structures=(), network="N1", missions=("diagnostic",), sub=None):
    return tokens.headers(profile, network_id=world[network] if network else None,
                          structure_ids=[world[s] for s in structures], missions=missions,
                          sub=sub)


def items(channels, version=V1):
    return domain.get_questionnaire(version).items(channels)


def all_answers(channels, code="yes", overrides=None):
    overrides = overrides or {}
    return [{"question_id": i.question_id, "channel": str(i.channel),
             "answer": overrides.get(i.commitment, code)} for i in items(channels)]


def start(client, headers, structure_id, channels=("phone",)):
    response = client.post("/diagnostics", json={"structure_id": structure_id,
                                                 "channels": list(channels)}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def fill_and_complete(client, headers, structure_id, channels=("phone",), code="yes",
                      overrides=None):
    d = start(client, headers, structure_id, channels)
    r = client.put(f"/diagnostics/{d['id']}/answers",
                   json={"answers": all_answers(channels, code, overrides)}, headers=headers)
    assert r.status_code == 200, r.get_json()
    r = client.post(f"/diagnostics/{d['id']}/complete", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()
