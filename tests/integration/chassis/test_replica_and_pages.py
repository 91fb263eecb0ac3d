"""The chassis's replica of identity's tree and its pages, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis import replica
from services.chassis.catalogue import EventType
from services.chassis.db import Database, UTCDateTime
from services.chassis.events import make_event
from services.chassis.pagination import count, page_of

pytestmark = pytest.mark.integration


class Base(DeclarativeBase):
    pass


class Network(replica.Replicated, Base):
    __tablename__ = "networks"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(50))
    name: Mapped[str] = mapped_column(sa.String(200))


class Structure(replica.Replicated, Base):
    __tablename__ = "structures"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    network_id: Mapped[str] = mapped_column(sa.String(36))
    parent_id: Mapped[str | None] = mapped_column(sa.String(36))
    name: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    seen_at = mapped_column(UTCDateTime(), nullable=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, create_database):
    url = (f"sqlite:///{tmp_path / 'replica.db'}" if request.param == "sqlite"
           else create_database("replica"))
    database = Database(url)
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def _structure(id_: str, parent: str | None, name: str = "S") -> dict:
    return {"id": id_, "network_id": "n1", "parent_id": parent, "name": name,
            "postal_code": "59000", "city": "Lille", "channels": [], "active": True}


def _apply(db: Database, handlers: dict, event_type: EventType, payload: dict) -> None:
    event = make_event(event_type, payload, producer="identity")
    with db.transaction() as session:
        handlers[event_type](session, event, payload)


def test_replica_keeps_the_columns_it_has_and_stamps_the_change(db):
    handlers = replica.handlers(network=Network, structure=Structure, touched="seen_at")
    assert set(handlers) == {EventType.NETWORK_CREATED, EventType.NETWORK_UPDATED,
                             EventType.STRUCTURE_CREATED, EventType.STRUCTURE_UPDATED}
    _apply(db, handlers, EventType.NETWORK_CREATED,
           {"id": "n1", "code": "CAF", "name": "CAF", "requires_validation": True,
            "target_delay_days": 15})
    _apply(db, handlers, EventType.NETWORK_UPDATED,
           {"id": "n1", "code": "CAF", "name": "Caisses", "requires_validation": False,
            "target_delay_days": 10})
    _apply(db, handlers, EventType.STRUCTURE_CREATED, _structure("a", None, "Nord"))
    _apply(db, handlers, EventType.STRUCTURE_UPDATED, _structure("a", None, "Nord-Pas"))
    with db.transaction() as session:
        assert session.get(Network, "n1").name == "Caisses"
        assert session.scalar(sa.select(sa.func.count()).select_from(Network)) == 1
        stored = session.get(Structure, "a")
        assert stored.name == "Nord-Pas" and stored.seen_at is not None


def test_an_event_older_than_the_row_changes_nothing(db):
    """An identity event retried or replayed after a newer one: the network's validation rule
    and the structure's closing stay as the newer event left them."""
    handlers = replica.handlers(network=Network, structure=Structure)
    network = {"id": "n1", "code": "CAF", "name": "CAF", "requires_validation": False,
               "target_delay_days": 15}
    older = make_event(EventType.NETWORK_UPDATED, network, producer="identity")
    newer = make_event(EventType.NETWORK_UPDATED, dict(network, name="Caisses"),
                       producer="identity")
    closing = make_event(EventType.STRUCTURE_UPDATED, dict(_structure("a", None), active=False),
                         producer="identity")
    assert older.occurred_at < newer.occurred_at
    with db.transaction() as session:
        handlers[EventType.NETWORK_UPDATED](session, newer, newer.payload)
        handlers[EventType.STRUCTURE_UPDATED](session, closing, closing.payload)
    with db.transaction() as session:
        handlers[EventType.NETWORK_UPDATED](session, older, older.payload)
        stale = replace(make_event(EventType.STRUCTURE_UPDATED, _structure("a", None, "Rouverte"),
                                   producer="identity"),
                        occurred_at=closing.occurred_at - timedelta(seconds=1))
        handlers[EventType.STRUCTURE_UPDATED](session, stale, stale.payload)
    with db.transaction() as session:
        assert session.get(Network, "n1").name == "Caisses"
        kept = session.get(Structure, "a")
        assert kept.active is False and kept.name == "S"
        assert kept.changed_at == closing.occurred_at
    # The same event again (a redelivery the inbox did not stop) applies as before.
    with db.transaction() as session:
        handlers[EventType.NETWORK_UPDATED](session, newer, newer.payload)
        assert session.get(Network, "n1").name == "Caisses"
    # A row replicated before the column existed takes the next event, whatever its time.
    with db.transaction() as session:
        session.get(Network, "n1").changed_at = None
    with db.transaction() as session:
        handlers[EventType.NETWORK_UPDATED](session, older, older.payload)
        assert session.get(Network, "n1").name == "CAF"


def test_subtree_and_ancestors_walk_the_tree_and_stop_at_a_cycle(db):
    handlers = replica.handlers(structure=Structure)
    assert set(handlers) == {EventType.STRUCTURE_CREATED, EventType.STRUCTURE_UPDATED}
    for id_, parent in (("a", None), ("b", "a"), ("c", "b"), ("d", "a"), ("x", None)):
        _apply(db, handlers, EventType.STRUCTURE_CREATED, _structure(id_, parent))
    with db.transaction() as session:
        assert replica.subtree_ids(session, Structure, ["a"]) == {"a", "b", "c", "d"}
        assert replica.subtree_ids(session, Structure, ["b", "x"]) == {"b", "c", "x"}
        assert replica.subtree_ids(session, Structure, []) == set()
        assert replica.ancestor_ids(session, Structure, "c") == ["c", "b", "a"]
    _apply(db, handlers, EventType.STRUCTURE_UPDATED, _structure("a", "c"))  # a cycle
    with db.transaction() as session:
        assert replica.ancestor_ids(session, Structure, "c") == ["c", "b", "a"]
        assert replica.subtree_ids(session, Structure, ["b"]) == {"a", "b", "c", "d"}


def test_a_page_counts_everything_and_returns_its_slice(db):
    handlers = replica.handlers(structure=Structure)
    for number in range(7):
        _apply(db, handlers, EventType.STRUCTURE_CREATED, _structure(f"s{number}", None))
    query = sa.select(Structure).order_by(Structure.id)
    with db.transaction() as session:
        second = page_of(session, query, page=2, per_page=3)
        rows = page_of(session, sa.select(Structure.id).order_by(Structure.id), 3, 3, rows=True)
        beyond = page_of(session, query, page=9, per_page=3)
    assert [s.id for s in second["items"]] == ["s3", "s4", "s5"]
    assert (second["total"], second["page"], second["per_page"]) == (7, 2, 3)
    assert [r.id for r in rows["items"]] == ["s6"]
    assert beyond["items"] == [] and beyond["total"] == 7


@pytest.fixture
def seven(db) -> sa.Select:
    """Seven structures s0…s6; the select of them in order."""
    handlers = replica.handlers(structure=Structure)
    for number in range(7):
        _apply(db, handlers, EventType.STRUCTURE_CREATED, _structure(f"s{number}", None))
    return sa.select(Structure).order_by(Structure.id)


def test_a_page_that_is_not_full_gives_the_total_without_a_count(db, seven):
    query = seven
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.transaction() as session:
            last = page_of(session, query, page=3, per_page=3)
            assert (last["total"], len(statements)) == (7, 1)
            first = page_of(session, query, page=1, per_page=10)
            assert (first["total"], len(statements)) == (7, 2)
            full = page_of(session, query, page=1, per_page=7)  # full: it may not be the end
            assert (full["total"], len(statements)) == (7, 4)
            beyond = page_of(session, query, page=5, per_page=3)  # empty: counted
            assert (beyond["total"], len(statements)) == (7, 6)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert "total_capped" not in last


def test_a_capped_count_stops_past_the_cap_and_says_so(db, seven):
    query = seven
    with db.transaction() as session:
        assert count(session, query) == 7
        assert count(session, query, cap=3) == 4  # cap + 1: « more than 3 »
        capped = page_of(session, query, page=1, per_page=2, cap=3)
        exact = page_of(session, query, page=1, per_page=2, cap=7)
        short = page_of(session, query, page=4, per_page=2, cap=3)  # the end is in sight
    assert (capped["total"], capped["total_capped"]) == (3, True)
    assert [s.id for s in capped["items"]] == ["s0", "s1"]
    assert exact["total"] == 7 and "total_capped" not in exact
    assert short["total"] == 7 and "total_capped" not in short
