"""The event envelope, its validation against the catalogue, and `publish` into the outbox."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from marshmallow import EXCLUDE, Schema, ValidationError, fields
from sqlalchemy.orm import Session

from services.chassis.catalogue import CATALOGUE, SECRET_FIELDS
from services.chassis.context import get_correlation_id
from services.chassis.db import UTCDateTime, is_postgres, new_id

OUTBOX_CHANNEL = "spp_outbox"  # PostgreSQL NOTIFY channel that wakes the relay
# The largest event a service may write, far below the broker's own limit (RabbitMQ's
# max_message_size): a request's body is at most 1 MiB, and no event needs a tenth of that.
MAX_EVENT_BYTES = 256 * 1024
# The envelope key that says which payload fields the relay blanked once the broker had the
# event: such a body is kept for the record, never published again.
PURGED = "purged"
SECRET_TYPES = frozenset(event_type for event_type, _version in SECRET_FIELDS)

_outbox = sa.table(
    "outbox",
    sa.column("event_id"),
    sa.column("event_type"),
    sa.column("body"),
    sa.column("created_at"),
)
# Statements built once: SQLAlchemy memoizes a statement's cache key on the object, so a new
# insert per event would compute its key again.
_OUTBOX_INSERT = sa.insert(_outbox)
# PostgreSQL: the row and the NOTIFY that wakes the relay in one round trip (a NOTIFY is only
# delivered at commit, so the relay wakes exactly when the row is visible).
_OUTBOX_INSERT_NOTIFY = sa.text(
    "WITH written AS (INSERT INTO outbox (event_id, event_type, body, created_at) "
    "VALUES (:event_id, :event_type, :body, :created_at) RETURNING id) "
    f"SELECT pg_notify('{OUTBOX_CHANNEL}', '') FROM written"
).bindparams(sa.bindparam("created_at", type_=UTCDateTime()))


class InvalidEvent(ValueError):
    """An envelope or payload that does not match the catalogue."""


class EventTooLarge(InvalidEvent):
    """An event over MAX_EVENT_BYTES; `fields` names the payload fields that make it so (the
    API answers 422 naming them)."""

    def __init__(self, event_type: str, size: int, fields: list[str]):
        super().__init__(f"{event_type}: {size} bytes, over {MAX_EVENT_BYTES} "
                         f"(largest fields: {', '.join(fields)})")
        self.fields = fields


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    type = fields.String(required=True)
    version = fields.Integer(required=True)
    occurred_at = fields.DateTime(required=True)
    producer = fields.String(required=True)
    correlation_id = fields.String(allow_none=True, load_default=None)
    payload = fields.Dict(required=True)


_ENVELOPE = EnvelopeSchema()


@dataclass(frozen=True)
class Event:
    type: str
    payload: dict[str, Any]
    producer: str
    version: int = 1
    id: str = field(default_factory=new_id)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str | None = None

    def to_json(self) -> str:
        return envelope_json({
            "id": self.id,
            "type": self.type,
            "version": self.version,
            "occurred_at": self.occurred_at.isoformat(),
            "producer": self.producer,
            "correlation_id": self.correlation_id,
            "payload": self.payload,
        })


def envelope_json(envelope: dict) -> str:
    """An envelope as the outbox and the broker carry it."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str)


@functools.cache
def _schema(event_type: str, version: int) -> Schema:
    return CATALOGUE[(event_type, version)]()


def payload_schema(event_type: str, version: int) -> Schema:
    """One schema instance per type and version: building one costs more than a load."""
    try:
        return _schema(event_type, version)
    except KeyError:
        raise InvalidEvent(f"unknown event type {event_type!r} version {version}") from None


def make_event(event_type: str, payload: dict, producer: str, version: int = 1) -> Event:
    """Validate `payload` against the catalogue and wrap it in an envelope."""
    schema = payload_schema(str(event_type), version)
    wire = schema.dump(payload)
    errors = schema.validate(wire)
    if errors:
        raise InvalidEvent(f"{event_type} v{version}: {errors}")
    return Event(type=str(event_type), payload=wire, producer=producer, version=version,
                 correlation_id=get_correlation_id())


def parse_event(raw: bytes | str) -> tuple[Event, dict]:
    """Decode and validate a message body; returns the envelope and the loaded payload."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidEvent("body is not a JSON object")
    if data.get(PURGED):
        raise InvalidEvent(f"secret fields {data[PURGED]} were purged after delivery: "
                           "this copy cannot be handled")
    try:
        env = _ENVELOPE.load(data)
    except ValidationError as exc:
        raise InvalidEvent(f"envelope: {exc.messages}") from None
    schema = payload_schema(env["type"], env["version"])
    try:
        payload = schema.load(env["payload"])
    except ValidationError as exc:
        raise InvalidEvent(f"payload of {env['type']} v{env['version']}: {exc.messages}") from None
    event = Event(type=env["type"], payload=env["payload"], producer=env["producer"],
                  version=env["version"], id=str(env["id"]), occurred_at=env["occurred_at"],
                  correlation_id=env["correlation_id"])
    return event, payload


def publish(session: Session | sa.Connection, event_type: str, payload: dict, producer: str,
            version: int = 1) -> Event:
    """Write the event to the outbox in the caller's transaction (a session's or a Core
    connection's): it leaves only if that commits."""
    event = make_event(event_type, payload, producer, version)
    body = event.to_json()
    _check_size(event, body)
    statement = _OUTBOX_INSERT_NOTIFY if is_postgres(session) else _OUTBOX_INSERT
    session.execute(statement, {"event_id": event.id, "event_type": event.type, "body": body,
                                "created_at": event.occurred_at})
    return event


def _check_size(event: Event, body: str) -> None:
    if len(body) * 4 <= MAX_EVENT_BYTES:  # a character is at most 4 bytes: no need to encode
        return
    size = len(body.encode("utf-8", "surrogatepass"))
    if size <= MAX_EVENT_BYTES:
        return
    sizes = sorted(((len(json.dumps(value, ensure_ascii=False, default=str)
                         .encode("utf-8", "surrogatepass")), name)
                    for name, value in event.payload.items()), reverse=True)
    named, excess = [], size - MAX_EVENT_BYTES
    for field_size, name in sizes:  # the largest fields, until what is left would fit
        named.append(name)
        excess -= field_size
        if excess <= 0:
            break
    raise EventTooLarge(event.type, size, named)


def purge_secrets(body: str, fields) -> str:
    """The outbox body with the payload's secret `fields` blanked and the envelope marked."""
    envelope = json.loads(body)
    payload = envelope.get("payload") or {}
    for name in fields:
        if name in payload:
            payload[name] = None
    envelope[PURGED] = sorted(fields)
    return envelope_json(envelope)


def secret_fields(envelope: dict) -> frozenset[str]:
    """The payload fields of this envelope's type and version that carry a secret."""
    return SECRET_FIELDS.get((envelope.get("type"), envelope.get("version")), frozenset())
