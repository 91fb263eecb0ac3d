"""Bounds at the door (services.chassis.bounds), on an app made by the chassis' own factory."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from services.chassis.bounds import MAX_BODY_BYTES, MAX_JSON_DEPTH
from services.chassis.catalogue import EventType
from services.chassis.config import Settings
from services.chassis.db import Database, add_messaging_tables
from services.chassis.events import publish
from services.chassis.schemas import MAX_PAGE, PageQuery
from services.chassis.web import Blueprint, create_service_app, db_of

GOOD_ID = "3f0c9f4e-5b0a-4c59-9d3e-7f1f0b6a2c11"


class Note(Schema):
    title = fields.String(required=True, validate=validate.Length(max=200))
    tags = fields.List(fields.String(), load_default=list)
    extra = fields.Dict(load_default=dict)


class Search(PageQuery):
    q = fields.String(validate=validate.Length(max=200))
    # a service's own page field, without the bound: PageQuery's still holds
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))


class Invite(Schema):
    name = fields.String(required=True)


api = Blueprint("probe", __name__, url_prefix="/probe")
seen: list = []


@api.route("/notes", methods=["POST"])
@api.arguments(Note)
@api.response(201)
def create_note(body):
    seen.append(body)
    return {"title": body["title"]}, 201


@api.route("/notes", methods=["GET"])
@api.arguments(Search, location="query")
@api.response(200)
def list_notes(query):
    with db_of().engine.connect() as conn:  # the page reaches the database, as a list's does
        conn.execute(sa.select(sa.literal(1)).offset((query["page"] - 1) * query["per_page"]))
    return {"page": query["page"]}


@api.route("/invitations", methods=["POST"])
@api.arguments(Invite)
@api.response(201)
def invite(body):
    with db_of().transaction() as session:
        publish(session, EventType.USER_INVITED, {
            "user_id": "u-1", "email": "a@b.fr", "name": body["name"], "token": "t",
            "expires_at": datetime(2030, 1, 1, tzinfo=UTC)}, producer="probe")
    return {}, 201


@pytest.fixture
def app(tmp_path):
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    db = Database(url)
    metadata = sa.MetaData()
    add_messaging_tables(metadata)
    metadata.create_all(db.engine)
    application = create_service_app(Settings.from_env("experiences", database_url=url),
                                     "probe", [api], db=db)
    yield application
    db.dispose()


@pytest.fixture
def client(app):
    seen.clear()
    return app.test_client()


def _post(client, raw: str, **headers):
    return client.post("/probe/notes", data=raw, content_type="application/json",
                       headers=headers)


def _errors(response) -> dict:
    return response.get_json()["errors"]


# The correlation header ---------------------------------------------------------------------
def test_a_valid_correlation_id_is_kept_and_echoed(client):
    response = _post(client, '{"title": "a"}', **{"X-Correlation-ID": GOOD_ID})
    assert response.status_code == 201
    assert response.headers["X-Correlation-ID"] == GOOD_ID


@pytest.mark.parametrize("value", ["x" * 129, "a b", "a\tb", "é", "<script>", "a,b"])
def test_an_overlong_or_malformed_correlation_id_is_400_naming_the_header(client, caplog, value):
    caplog.set_level(logging.DEBUG)
    response = _post(client, '{"title": "a"}', **{"X-Correlation-ID": value})
    assert response.status_code == 400
    assert list(_errors(response)) == ["X-Correlation-ID"]
    assert seen == []  # the view never ran, so no event could carry it
    fresh = response.headers["X-Correlation-ID"]
    assert fresh and fresh != value and len(fresh) == 36  # a fresh id names the request instead
    assert all(value not in record.getMessage() for record in caplog.records)


def test_an_empty_correlation_header_counts_as_none(client):
    response = _post(client, '{"title": "a"}', **{"X-Correlation-ID": ""})
    assert response.status_code == 201 and len(response.headers["X-Correlation-ID"]) == 36


# Other headers, the path, the body's size -----------------------------------------------------
def test_a_header_with_a_control_character_or_too_long_is_400_naming_it(client):
    response = _post(client, '{"title": "a"}', **{"X-Trace": "a\x01b"})
    assert response.status_code == 400 and list(_errors(response)) == ["X-Trace"]
    response = _post(client, '{"title": "a"}', **{"X-Trace": "a" * 9000})
    assert response.status_code == 400 and list(_errors(response)) == ["X-Trace"]


@pytest.mark.parametrize("path", ["/probe/notes%0d%0aPOST%20/forged", "/probe/%00", "/probe/%1b"])
def test_a_control_character_in_the_path_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and list(_errors(response)) == ["path"]


def test_a_body_over_the_limit_is_413_before_any_parsing(client):
    response = _post(client, json.dumps({"title": "x" * MAX_BODY_BYTES}))
    assert response.status_code == 413 and seen == []


# JSON: nesting and text ------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["[" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000])
def test_deeply_nested_json_is_400_not_a_recursion_error(client, raw):
    response = _post(client, raw)
    assert response.status_code == 400
    assert "imbriquée" in _errors(response)["_schema"][0]


def test_nesting_just_over_the_bound_is_400_naming_where(client):
    extra = {}
    for _ in range(MAX_JSON_DEPTH):
        extra = {"k": extra}
    response = _post(client, json.dumps({"title": "a", "extra": extra}))
    assert response.status_code == 400
    assert list(_errors(response)) == ["extra"]  # the top-level field holding it
    fits = {"title": "a", "extra": {"a": {"b": [[{"c": "d"}]]}}}
    assert _post(client, json.dumps(fits)).status_code == 201


@pytest.mark.parametrize("raw,path,code", [
    ('{"title": "a\\ud800b"}', ["title"], "U+D800"),
    ('{"title": "\\udfff"}', ["title"], "U+DFFF"),
    ('{"title": "a\\u0000"}', ["title"], "U+0000"),
    ('{"title": "a\\u001b[31m"}', ["title"], "U+001B"),
    ('{"title": "a", "tags": ["ok", "\\ud83d"]}', ["tags", "1"], "U+D83D"),
    ('{"title": "a", "extra": {"x": {"y": "\\u0007"}}}', ["extra", "x", "y"], "U+0007"),
    ('{"title": "a", "extra": {"k\\ud800": 1}}', ["extra", "k\\ud800"], "U+D800"),
])
def test_a_lone_surrogate_or_control_character_is_422_naming_the_field(client, raw, path, code):
    response = _post(client, raw)
    assert response.status_code == 422, response.get_data()
    errors = _errors(response)
    for name in path:  # nested as marshmallow nests a field's errors
        assert list(errors) == [name]
        errors = errors[name]
    assert len(errors) == 1 and code in errors[0]
    assert seen == []


def test_ordinary_text_goes_through_untouched(client):
    title = "Accueil\tà la CAF\r\nmerci ‏שלום‎ 😀 \u202e"
    response = _post(client, json.dumps({"title": title}))
    assert response.status_code == 201 and seen == [{"title": title, "tags": [], "extra": {}}]
    response = _post(client, json.dumps({"title": title}, ensure_ascii=False))
    assert response.status_code == 201


def test_the_api_reads_the_body_the_door_parsed(client, monkeypatch):
    from webargs import core

    def parse_again(*_args, **_kwargs):
        raise AssertionError("parsed twice")

    monkeypatch.setattr(core, "parse_json", parse_again)
    assert _post(client, '{"title": "\\u00e9t\\u00e9"}').status_code == 201
    assert seen == [{"title": "été", "tags": [], "extra": {}}]


def test_a_body_that_is_not_json_keeps_its_400(client):
    response = _post(client, "{not json")
    assert response.status_code == 400 and response.get_json()["code"] == "bad_request"


# Query values and pages -----------------------------------------------------------------------
@pytest.mark.parametrize("query,name", [("q=a%00b", "q"), ("q=a%0Ab", "q"), ("q%00=1", "q\\u0000")])
def test_a_control_character_in_a_query_value_is_422_naming_it(client, query, name):
    response = client.get(f"/probe/notes?{query}")
    assert response.status_code == 422 and list(_errors(response)) == [name]


@pytest.mark.parametrize("page", [str(10**30), "1e20", str(MAX_PAGE + 1), "0", "-1"])
def test_absurd_page_numbers_are_422(client, page):
    response = client.get(f"/probe/notes?page={page}")
    assert response.status_code == 422 and list(_errors(response)) == ["page"]


def test_the_last_page_allowed_is_answered(client):
    assert client.get(f"/probe/notes?page={MAX_PAGE}").status_code == 200


# Events --------------------------------------------------------------------------------------
def test_an_event_too_large_for_the_outbox_is_422_naming_the_field(client, app):
    response = client.post("/probe/invitations", json={"name": "n" * 300_000})
    assert response.status_code == 422 and list(_errors(response)) == ["name"]
    with db_of(app).engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one() == 0
    assert client.post("/probe/invitations", json={"name": "Camille"}).status_code == 201


def test_metrics_count_the_outbox_and_its_quarantine(client, app):
    client.post("/probe/invitations", json={"name": "Camille"})
    with db_of(app).transaction() as session:
        session.execute(sa.text(
            "INSERT INTO outbox_quarantine (outbox_id, event_id, event_type, body, created_at, "
            "quarantined_at, reason) VALUES (7, 'e', 't', '{}', '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00', 'refused')"))
    text = client.get("/metrics").get_data(as_text=True)
    assert "spp_outbox_pending_rows 1.0" in text
    assert "spp_outbox_quarantined_rows 1.0" in text


def test_the_content_types_case_does_not_skip_the_door(client):
    response = client.post("/probe/notes", data="[" * 100_000,
                           headers={"Content-Type": "Application/JSON; charset=UTF-8"})
    assert response.status_code == 400
