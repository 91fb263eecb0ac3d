"""Diagnostic's event handlers: one function per consumed event type."""

from sqlalchemy.orm import Session

from services.chassis.catalogue import EventType
from services.chassis.events import Event
from services.chassis.revocation import with_revocation
from services.diagnostic.models import Structure, utcnow


def upsert_structure(session: Session, event: Event, payload: dict) -> None:
    """Keep the replica of a structure (its network and parent decide who may see it; its
    channels are those a new diagnostic starts with)."""
    structure = session.get(Structure, str(payload["id"]))
    if structure is None:
        structure = Structure(id=str(payload["id"]))
        session.add(structure)
    structure.network_id = str(payload["network_id"])
    structure.parent_id = None if payload.get("parent_id") is None else str(payload["parent_id"])
    structure.name = payload["name"]
    structure.channels = [str(code) for code in payload.get("channels") or []]
    structure.updated_at = utcnow()


HANDLERS: dict = with_revocation({
    EventType.STRUCTURE_CREATED: upsert_structure,
    EventType.STRUCTURE_UPDATED: upsert_structure,
})
