"""Identity's networks and structures as each service keeps them: the upsert on identity's
events, and the walks up and down the structure tree. Each service maps only the columns it
needs; the replica copies, of an event's payload, the fields its table has."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.chassis import clock
from services.chassis.catalogue import EventType
from services.chassis.db import UTCDateTime
from services.chassis.events import Event

MAX_DEPTH = 32  # a bound for the replicas' walks, whatever a replica holds


class Replicated:
    """A replica row: `changed_at` is when identity made the change it holds (its event's
    time). NULL for rows replicated before the column: the next event applies."""

    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


def upsert(session: Session, model, payload: dict, changed_at: datetime | None = None,
           **values) -> object:
    """The row of `payload["id"]`, created or updated with the payload's fields that are
    columns of `model`, then with `values`; unchanged when it holds a change later than
    `changed_at` (an event retried, or replayed from the dead letters, after a newer one:
    a network's validation rule or a structure's closing must not be undone)."""
    # Locked: two replicas of a consumer applying two events of one row keep the later one.
    row = session.get(model, payload["id"], with_for_update=True)
    if row is None:
        row = model(id=payload["id"])
        session.add(row)
    elif changed_at is not None and row.changed_at is not None \
            and clock.as_utc(row.changed_at) > changed_at:
        return row
    for column in model.__table__.columns.keys():
        if column != "id" and column in payload:
            setattr(row, column, payload[column])
    for column, value in values.items():
        setattr(row, column, value)
    if changed_at is not None:
        row.changed_at = changed_at
    return row


def handlers(*, network=None, structure=None, touched: str | None = None) -> dict:
    """The event handlers that keep `network` and `structure` (mapped classes, `Replicated`)
    up to date; `touched` names a column set to the time of the last change."""

    def stamp() -> dict:
        return {touched: clock.now()} if touched else {}

    def upsert_network(session: Session, event: Event, payload: dict) -> None:
        upsert(session, network, payload, changed_at=event.occurred_at, **stamp())

    def upsert_structure(session: Session, event: Event, payload: dict) -> None:
        upsert(session, structure, payload, changed_at=event.occurred_at, **stamp())

    found: dict[EventType, Callable] = {}
    if network is not None:
        found |= {EventType.NETWORK_CREATED: upsert_network,
                  EventType.NETWORK_UPDATED: upsert_network}
    if structure is not None:
        found |= {EventType.STRUCTURE_CREATED: upsert_structure,
                  EventType.STRUCTURE_UPDATED: upsert_structure}
    return found


def subtree_ids(session: Session, structure, roots: Iterable[str]) -> set[str]:
    """The roots and every structure below them, a level per query: each reads the
    `parent_id` index, where one recursive query had PostgreSQL hash-join the whole table
    (it expects hundreds of children a structure). A cycle ends the walk."""
    found = set(roots)
    level = sorted(found)
    children = sa.select(structure.__table__.c.id).where(
        structure.__table__.c.parent_id.in_(sa.bindparam("parents", expanding=True)))
    while level:
        level = sorted(set(session.scalars(children, {"parents": level})) - found)
        found.update(level)
    return found


def ancestor_ids(session: Session, structure, structure_id: str,
                 max_depth: int | None = MAX_DEPTH) -> list[str]:
    """The structure and those above it, nearest first; stops at a cycle or `max_depth`
    (None: identity walks its own tree whatever its depth, to refuse any cycle)."""
    parent = sa.select(structure.parent_id).where(structure.id == sa.bindparam("structure_id"))
    chain: list[str] = []
    current: str | None = structure_id
    while current and current not in chain and (max_depth is None or len(chain) < max_depth):
        chain.append(current)
        current = session.execute(parent, {"structure_id": current}).scalar()
    return chain
