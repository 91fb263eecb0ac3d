"""The event map in docs/architecture.md matches the code, and the code's events match the catalogue."""

from __future__ import annotations

import pytest

from services.chassis import event_map
from services.chassis.catalogue import CATALOGUE, TEST_EVENT


@pytest.fixture(scope="module")
def published():
    return event_map.publications()


@pytest.fixture(scope="module")
def subscribed():
    return event_map.subscriptions()


def test_the_documented_event_map_is_the_generated_one():
    documented = event_map.block(event_map.DOC.read_text(encoding="utf-8"))
    assert documented == event_map.markdown(), (
        f"docs/architecture.md's event map is out of date: run `{event_map.COMMAND}`")


def test_every_catalogued_event_has_a_producer(published):
    orphans = [key for key in event_map.catalogued() if key not in published]
    assert not orphans, f"catalogued events that no service publishes: {orphans}"


def test_every_published_event_is_catalogued(published):
    unknown = {key: sorted(by) for key, by in published.items() if key not in CATALOGUE}
    assert not unknown, f"events published with no schema in the catalogue: {unknown}"


def test_every_subscribed_event_is_catalogued(subscribed):
    known = {event_type for event_type, _ in event_map.catalogued()}
    unknown = {service: sorted(types - known) for service, types in subscribed.items()
               if types - known}
    assert not unknown, f"subscriptions to events missing from the catalogue: {unknown}"


def test_the_test_event_is_left_out_of_the_map():
    assert TEST_EVENT not in {row.event_type for row in event_map.rows()}


def test_the_map_names_the_lifecycle_hand_offs():
    rows = {row.event_type: row for row in event_map.rows()}
    assert (rows["experience.submitted"].producer, rows["experience.submitted"].consumers) == \
        ("experiences", ("moderation",))
    assert (rows["moderation.approved"].producer, rows["moderation.approved"].consumers) == \
        ("moderation", ("experiences",))
    assert rows["user.deactivated"].producer == "identity"  # published through a local name
    assert "notifier" in rows["experience.answered"].consumers


# The scan, on sources given as text.

HEADER = """
from services.chassis.catalogue import EventType
from services.chassis.events import publish
from services.chassis import events as ev
"""


def test_the_scan_follows_direct_conditional_and_named_event_types():
    source = HEADER + """
def change(session, user, was_active):
    publish(session, EventType.NETWORK_CREATED, {}, producer="x")
    kind = EventType.USER_DEACTIVATED if was_active else EventType.USER_UPDATED
    publish(session, kind, {}, producer="x")
    ev.publish(session, event_type=EventType.DIAGNOSTIC_COMPLETED, payload={}, producer="x",
               version=2)
"""
    assert event_map.published_in(source) == {
        ("network.created", 1), ("user.deactivated", 1), ("user.updated", 1),
        ("diagnostic.completed", 2)}


def test_the_scan_ignores_other_functions_named_publish():
    source = HEADER + """
def rotate(source, session, material):
    source.publish(session, material)
"""
    assert event_map.published_in(source) == set()


def test_the_scan_refuses_an_event_type_it_cannot_name():
    source = HEADER + """
def relay(session, event_type):
    publish(session, event_type, {}, producer="x")
"""
    with pytest.raises(event_map.UnresolvedEvent, match="event_type"):
        event_map.published_in(source, "services/x/api.py")


def test_the_block_between_the_markers_is_rewritten_and_nothing_else():
    text = f"# Title\n\n{event_map.START}\nold\n{event_map.END}\n\n## After\n"
    rewritten = event_map.rewrite(text, "| new |\n")
    assert rewritten == f"# Title\n\n{event_map.START}\n| new |\n{event_map.END}\n\n## After\n"
    assert event_map.block(rewritten) == "| new |\n"
    with pytest.raises(ValueError):
        event_map.block("no markers")
