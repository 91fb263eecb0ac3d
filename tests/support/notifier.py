"""Notifier against its database and a local mail catcher (fixtures in
tests/integration/notifier/conftest.py): events delivered as the consumer does, the users they
create, the mails sent and their text.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from services.chassis import mailcatcher
from services.chassis.config import Settings
from services.chassis.consumer import EventConsumer
from services.chassis.db import Database
from services.chassis.events import make_event, parse_event
from services.notifier.handlers import HANDLERS
from services.notifier.mailer import send_pending
from services.notifier.models import Email
from tests.support.net import free_port  # noqa: F401  (the notifier tests' port)

GATEWAY = "https://spp.example.test"
PARIS = ZoneInfo("Europe/Paris")
S1, S2, CHILD = "s-1", "s-2", "s-1-child"


class Mailbox:
    def __init__(self, folder: Path, port: int):
        self.folder, self.port, self.controller = folder, port, None

    def start(self):
        self.controller = mailcatcher.start(self.port, self.folder)

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self):
        if not self.folder.exists():
            return []
        return [BytesParser(policy=policy.default).parsebytes(p.read_bytes())
                for p in sorted(self.folder.glob("*.eml"))]

    def to(self, address: str):
        return [m for m in self.messages() if m["To"] == address]


class Env:
    def __init__(self, db: Database, settings: Settings, box: Mailbox):
        self.db, self.settings, self.box = db, settings, box
        self.consumer = EventConsumer(None, db, HANDLERS, None)

    def deliver(self, event_type: str, payload: dict, event=None):
        """What the consumer does with one message: handler + inbox in one transaction."""
        event = event or make_event(event_type, payload, producer="test")
        parsed, loaded = parse_event(event.to_json())
        self.consumer.handle(HANDLERS[parsed.type], parsed, loaded)
        return event

    def send(self, now=None) -> int:
        return send_pending(self.db, self.settings, now=now)

    def emails(self, **where):
        with self.db.transaction() as s:
            return s.scalars(sa.select(Email).filter_by(**where).order_by(Email.address)).all()

    def user(self, email, *, profile="agent", missions=("answer",), structures=(S1,),
             frequency="immediate", active=True, event_type="user.created", uid=None,
             **more):
        """A user's event as identity publishes it; `more`: its optional fields (`activated`)."""
        uid = uid or str(uuid.uuid4())
        self.deliver(event_type, {
            "id": uid, "email": email, "name": email.split("@")[0].title(), "profile": profile,
            "missions": list(missions), "network_id": "n-1", "structure_ids": list(structures),
            "notification_frequency": frequency, "active": active, **more})
        return uid


def published(structure=S1, edited=False, exp_id=None, title="Accueil au guichet"):
    return {"id": exp_id or str(uuid.uuid4()), "title": title, "structure_id": structure,
            "network_id": "n-1", "published_at": datetime.now(UTC), "edited": edited,
            "author_email": "auteur@example.org", "author_name": "Camille D."}


def next_digest_time() -> datetime:
    """09:00 Paris on the first morning whose daily window contains the present moment."""
    now = datetime.now(PARIS)
    day = now.date() + timedelta(days=0 if now.hour < 8 else 1)
    return datetime.combine(day, time(9, 0), tzinfo=PARIS)


def next_weekly_digest_time() -> datetime:
    """next_digest_time(), moved on to a Monday: the weekly digests' day."""
    when = next_digest_time()
    while when.weekday() != 0:
        when += timedelta(days=1)
    return when


def deliver_tree(platform, structures, network_id: str = "n-1") -> None:
    """`structures`: (id, parent id or None) pairs, parents first; each structure is named by
    its id."""
    for sid, parent in structures:
        platform.deliver("structure.created", {"id": sid, "network_id": network_id, "name": sid,
                                               "parent_id": parent})


def text_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def html_of(msg) -> str:
    return msg.get_body(("html",)).get_content()
