"""schemathesis against every service's /openapi.json: no 5xx, documented answers match their schema.

Two runs per operation: schemathesis' own cases, then the same cases carrying the edges an
attacker tries first: absurd page numbers, lone surrogates, NUL and control characters, RTL
marks, very long strings and deep nesting (every one must be a 4xx at worst, never a 5xx).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from services.chassis.config import Settings
from services.chassis.db import migrate

pytestmark = pytest.mark.integration
FUZZ = settings(max_examples=8, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
EDGES = settings(max_examples=2, deadline=None, derandomize=True,
                 suppress_health_check=list(HealthCheck))
CHECKS = [not_a_server_error, response_schema_conformance]
SERVICES = ["identity", "experiences", "moderation", "diagnostic", "notifier"]
UNLIMITED = ("login_account_address_limit", "login_address_limit", "login_account_limit",
             "reset_address_limit")

PAGES = [str(10**30), "1e20", str(2**63), "99999999999999999999", "-1", "0", "NaN"]
# What a URL can carry (a lone surrogate cannot even be percent-encoded as UTF-8).
LINE_EDGES = ["a\x00b", "\x00", "\u202eevil\u200f", "\u200f\u202b\u05e9\u05dc\u05d5\u05dd",
              "\ufeff", "😀" * 60, "x" * 20_000, "\x1b[31m", "a\r\nb", "%00", "../../etc"]
# What a JSON body can carry on top: lone surrogates (as \ud800 escapes), long texts, nesting.
_deep: dict = {}
for _ in range(40):
    _deep = {"k": _deep}
BODY_EDGES = LINE_EDGES + ["\ud800", "a\udfffb", "\ud83d", "y" * 200_000, ["\ud800"], _deep,
                           10**30, -(2**63) - 1, 1e308]


def _app(service, create_database, tokens, amqp_url):
    import importlib

    url = create_database(f"fuzz_{service}")
    migrate(service, url)
    module = importlib.import_module(f"services.{service}.app")
    settings = Settings.from_env(service, database_url=url, amqp_url=amqp_url,
                                 public_rate_limit="100000/minute",
                                 search_rate_limit="100000/minute")
    # identity's login and reset limits too: a 429 would hide what the request reaches
    settings.extra = {name: "100000/minute" for name in UNLIMITED}
    app = module.create_app(settings, verifier=tokens.verifier(service))
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


def _admin(tokens):
    return tokens.headers("admin", network_id=None, structure_ids=())


def _with_edges(operation):
    """For each of schemathesis' cases of `operation`, the same case with each edge put in
    turn: into one body field (a different one each time, the others left valid), a page number
    into `page`, a line into another query value and, every other time, into a path parameter."""
    query_names = [p.name for p in operation.query]
    others = [n for n in query_names if n not in ("page", "per_page")]
    path_names = [p.name for p in operation.path_parameters]

    @st.composite
    def cases(draw):
        case = draw(operation.as_strategy())
        texts = []
        if isinstance(case.body, dict) and case.body:
            texts = sorted(k for k, v in case.body.items() if isinstance(v, str)) or sorted(case.body)
        offset = draw(st.integers(0, max(len(texts) - 1, 0)))
        other = draw(st.sampled_from(others)) if others else None
        in_path = draw(st.sampled_from(path_names)) if path_names else None
        variants = []
        for i, edge in enumerate(BODY_EDGES):
            body, query = case.body, dict(case.query or {})
            path = dict(case.path_parameters or {})
            if texts:
                body = {**body, texts[(i + offset) % len(texts)]: edge}
            if "page" in query_names:
                query["page"] = PAGES[i % len(PAGES)]
            if other is not None:
                query[other] = LINE_EDGES[i % len(LINE_EDGES)]
            if in_path is not None and i % 2:
                path[in_path] = LINE_EDGES[i % len(LINE_EDGES)]
            # Cases of our own making: schemathesis would re-validate an edited one, and its
            # validator cannot encode a lone surrogate.
            variants.append(operation.Case(path_parameters=path, headers=case.headers,
                                           cookies=case.cookies, query=query, body=body,
                                           media_type=case.media_type))
        return variants

    return cases()


def _run_each(schema, headers, strategy_of, fuzz) -> None:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:
        @fuzz
        @given(cases=strategy_of(operation))
        def run(cases):
            for case in cases if isinstance(cases, list) else [cases]:
                case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {exc}") from exc


@pytest.mark.parametrize("service", SERVICES)
def test_fuzz_every_operation(service, create_database, tokens, amqp_url):
    schema = _app(service, create_database, tokens, amqp_url)
    _run_each(schema, _admin(tokens), lambda operation: operation.as_strategy(), FUZZ)


@pytest.mark.parametrize("service", SERVICES)
def test_edge_values_on_every_operation_are_never_a_5xx(service, create_database, tokens,
                                                        amqp_url):
    schema = _app(service, create_database, tokens, amqp_url)
    _run_each(schema, _admin(tokens), _with_edges, EDGES)
