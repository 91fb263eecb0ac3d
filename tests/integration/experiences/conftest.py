"""Experiences against a real PostgreSQL: the app, the consumer's inbox logic, a fresh tree per test."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from services.chassis.config import Settings
from services.chassis.consumer import EventConsumer
from services.chassis.db import Database, migrate
from services.chassis.events import make_event, parse_event
from services.experiences.app import create_app
from services.experiences.handlers import HANDLERS


class Env:
    def __init__(self, db: Database, app, tokens):
        self.db = db
        self.app = app
        self.client = app.test_client()
        self.tokens = tokens
        # The consumer's own transaction + inbox logic, without a broker.
        self.consumer = EventConsumer(None, db, HANDLERS, topology=None)

    def deliver(self, event_type, payload: dict, event_id: str | None = None,
                producer: str = "moderation") -> str:
        raw = make_event(event_type, payload, producer)
        if event_id:
            raw = dataclasses.replace(raw, id=event_id)
        event, loaded = parse_event(raw.to_json())
        self.consumer.handle(HANDLERS[event.type], event, loaded)
        return event.id

    def tree(self, requires_validation: bool = True, target_delay_days: int = 15) -> dict:
        """A fresh network: nat → reg → loc, nat → side; plus another network with one structure."""
        ids = {k: uuid.uuid4().hex[:12] for k in ("net", "nat", "reg", "loc", "side", "net2", "s2")}
        for net, validation in (("net", requires_validation), ("net2", False)):
            self.deliver("network.created", {
                "id": ids[net], "code": ids[net], "name": f"Réseau {net}",
                "requires_validation": validation, "target_delay_days": target_delay_days},
                producer="identity")
        for key, parent, net in (("nat", None, "net"), ("reg", "nat", "net"),
                                 ("loc", "reg", "net"), ("side", "nat", "net"),
                                 ("s2", None, "net2")):
            self.deliver("structure.created", {
                "id": ids[key], "network_id": ids[net], "parent_id": ids[parent] if parent else None,
                "name": f"Structure {key}", "postal_code": "75001", "city": "Paris"},
                producer="identity")
        return ids

    def headers(self, profile: str, ids: dict | None = None, structures=(), network="net",
                **kwargs) -> dict:
        return self.tokens.headers(
            profile, network_id=ids[network] if ids and network else None,
            structure_ids=[ids[s] for s in structures] if ids else structures, **kwargs)

    @staticmethod
    def body(**overrides) -> dict:
        return experience_body(**overrides)

    def submit(self, **overrides) -> str:
        body = experience_body(**overrides)
        response = self.client.post("/experiences", json=body)
        assert response.status_code == 202, response.json
        return response.json["id"]

    def approve(self, experience_id: str, ids: dict, structure: str = "loc", net: str = "net",
                body: str = "Texte modéré.", edited: bool = False) -> str:
        return self.deliver("moderation.approved", {
            "case_id": uuid.uuid4().hex, "experience_id": experience_id,
            "structure_id": ids[structure], "network_id": ids[net], "body": body,
            "edited": edited})

    def published(self, ids: dict, structure: str = "loc", net: str = "net", **overrides) -> str:
        exp_id = self.submit(**overrides)
        self.approve(exp_id, ids, structure, net)
        return exp_id

    def outbox(self, event_type: str) -> list[dict]:
        import json

        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT body FROM outbox WHERE event_type = :t ORDER BY id"), {"t": event_type})
            return [json.loads(r[0]) for r in rows]

    def outbox_for(self, event_type: str, experience_id: str) -> list[dict]:
        return [e for e in self.outbox(event_type) if e["payload"]["id"] == experience_id]


def experience_body(**overrides) -> dict:
    body = {
        "title": "Accueil à la CAF", "body": "J'ai été très bien reçu au guichet.",
        "structure_hint": "CAF de Paris", "postal_code": "75011", "channel": "in_person",
        "occurred_on": (date.today() - timedelta(days=3)).isoformat(), "feeling": "positive",
        "author_name": "Camille", "author_email": "camille.secret@example.org",
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="session")
def experiences_db_url(create_database):
    url = create_database("experiences")
    migrate("experiences", url)
    return url


@pytest.fixture(scope="session")
def env(experiences_db_url, tokens):
    db = Database(experiences_db_url)
    settings = Settings.from_env("experiences", database_url=experiences_db_url,
                                 public_rate_limit="100000/minute",
                                 open_data_rate_limit="100000/hour",
                                 search_rate_limit="100000/minute")
    app = create_app(settings, db=db, verifier=tokens.verifier("experiences"))
    yield Env(db, app, tokens)
    db.dispose()


@pytest.fixture
def sqlite_env(tmp_path, tokens):
    """The same, on SQLite (`make up`'s database)."""
    url = f"sqlite:///{tmp_path / 'experiences.db'}"
    migrate("experiences", url)
    db = Database(url)
    settings = Settings.from_env("experiences", database_url=url,
                                 public_rate_limit="100000/minute", search_rate_limit="100000/minute")
    yield Env(db, create_app(settings, db=db, verifier=tokens.verifier("experiences")), tokens)
    db.dispose()
