"""The five steps of an experience across the real services, broker and mail catcher
(tests/support/scenarios.py, which the compose run plays too)."""

from __future__ import annotations

import pytest

from tests.support.e2e import ADMIN, Api, url
from tests.support.scenarios import (
    deactivated_agent_refused,
    experience_lifecycle,
    forgotten_password,
)

# On both databases: SQLite as `make up` runs it, and PostgreSQL (tests/e2e/conftest.py).
pytestmark = [pytest.mark.e2e,
              pytest.mark.parametrize("platform", ["sqlite", "postgresql"], indirect=True)]


def test_an_experience_goes_from_the_usager_to_an_evaluated_answer(platform):
    experience_lifecycle(Api(url), platform["mail"], ADMIN)


def test_a_deactivated_agent_is_refused_everywhere_within_seconds(platform):
    """Not when the 15-minute token expires: the services learn it from `user.deactivated`."""
    deactivated_agent_refused(Api(url), ADMIN)


def test_a_forgotten_password_is_reset_from_the_mailed_link(platform):
    forgotten_password(Api(url), platform["mail"], ADMIN)
