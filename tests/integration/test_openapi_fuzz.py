"""schemathesis against every service's /openapi.json: no 5xx, documented answers match their schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from services.chassis.config import Settings
from services.chassis.db import migrate

pytestmark = pytest.mark.integration
FUZZ = settings(max_examples=8, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
CHECKS = [not_a_server_error, response_schema_conformance]


def _app(service, create_database, tokens, amqp_url):
    import importlib

    url = create_database(f"fuzz_{service}")
    migrate(service, url)
    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app(Settings.from_env(service, database_url=url, amqp_url=amqp_url,
                                              public_rate_limit="100000/minute"),
                            verifier=tokens.verifier(service))
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


def _admin(tokens):
    return tokens.headers("admin", network_id=None, structure_ids=())


@pytest.mark.parametrize("service", ["identity", "experiences", "moderation", "diagnostic",
                                     "notifier"])
def test_fuzz_every_operation(service, create_database, tokens, amqp_url):
    schema = _app(service, create_database, tokens, amqp_url)
    headers = _admin(tokens)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:
        @FUZZ
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {exc}") from exc
