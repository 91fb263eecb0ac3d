"""Web workers and workers move what start-up built out of the collector's way."""

from __future__ import annotations

import gc
import weakref

import pytest

from services.chassis import gunicorn_conf
from services.chassis.startup import freeze_start_up


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process goes on collecting as before


class Node:
    pass


def test_what_start_up_built_is_frozen_and_its_garbage_collected_first(unfrozen):
    built = [{"n": i} for i in range(1000)]  # lives on, like an app's objects
    garbage = Node()
    garbage.itself = garbage  # a cycle: only the collector frees it
    gone = weakref.ref(garbage)
    del garbage
    freeze_start_up()
    assert gc.get_freeze_count() >= len(built)
    assert gone() is None  # collected, not kept for ever in the permanent generation


def test_every_gunicorn_worker_freezes_once_its_app_is_loaded(unfrozen):
    assert gc.get_freeze_count() == 0
    gunicorn_conf.post_worker_init(worker=None)
    assert gc.get_freeze_count() > 0
