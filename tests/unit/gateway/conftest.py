"""The gateway's pages with every service replaced by a recording fake (tests.support.gateway)."""

from __future__ import annotations

import pytest

from services.chassis.config import Settings
from services.gateway.app import create_app
from tests.support.gateway import SERVICES, FakeClient


@pytest.fixture
def fakes():
    return {name: FakeClient() for name in SERVICES}


@pytest.fixture
def app(fakes, tmp_path, monkeypatch):
    monkeypatch.delenv("SPP_SECRET_KEY", raising=False)
    return create_app(Settings.from_env("gateway"), clients=fakes, var_dir=tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()
