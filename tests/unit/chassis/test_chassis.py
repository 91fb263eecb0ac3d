"""Chassis pieces with no I/O: envelopes, errors, tokens, limits, URLs."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask

from services.chassis.amqp import pika_url
from services.chassis.auth import TokenVerifier
from services.chassis.catalogue import CATALOGUE, TEST_EVENT, EventType
from services.chassis.errors import ApiError, _flatten, in_french
from services.chassis.events import InvalidEvent, make_event, parse_event
from services.chassis.ratelimit import parse_limit


def test_every_event_type_has_a_schema_in_the_catalogue():
    assert {t for t, _ in CATALOGUE} >= {str(t) for t in EventType}


def test_an_event_round_trips_through_its_envelope():
    event = make_event(TEST_EVENT, {"n": 3, "note": "é"}, producer="test")
    parsed, payload = parse_event(event.to_json().encode())
    assert parsed.id == event.id and parsed.type == TEST_EVENT and payload == {"n": 3, "note": "é"}
    uuid.UUID(parsed.id)


def test_a_producer_cannot_write_an_event_that_breaks_its_schema():
    with pytest.raises(InvalidEvent, match="n"):
        make_event(TEST_EVENT, {"note": "no n"}, producer="test")
    with pytest.raises(InvalidEvent, match="unknown event type"):
        make_event("nothing.happened", {}, producer="test")


@pytest.mark.parametrize("raw", [
    b"{not json", b"[]", b'{"id": "x"}',
    json.dumps({"id": str(uuid.uuid4()), "type": TEST_EVENT, "version": 1, "producer": "t",
                "occurred_at": datetime.now(UTC).isoformat(),
                "payload": {"n": "three"}}).encode(),
    json.dumps({"id": str(uuid.uuid4()), "type": TEST_EVENT, "version": 9, "producer": "t",
                "occurred_at": datetime.now(UTC).isoformat(), "payload": {"n": 1}}).encode(),
])
def test_malformed_messages_are_refused_with_a_reason(raw):
    with pytest.raises(InvalidEvent) as info:
        parse_event(raw)
    assert str(info.value)


def test_field_errors_lose_their_location_level():
    assert _flatten({"json": {"title": ["Champ requis."]}}) == {"title": ["Champ requis."]}
    assert _flatten({"query": {"page": ["x"]}, "json": {"a": ["y"]}}) == {"page": ["x"], "a": ["y"]}


def test_the_libraries_default_messages_are_said_in_french():
    said = in_french({"a": ["Not a valid integer."], "b": {"0": ["Must be one of: x, y."]},
                      "c": ["Length must be between 1 and 200."], "d": ["Déjà en français."],
                      "e": ["Must be greater than or equal to 1 and less than or equal to 100."]})
    assert said == {"a": ["Un nombre entier est attendu."], "b": {"0": ["Valeur attendue parmi : x, y."]},
                    "c": ["Doit contenir entre 1 et 200 caractères (ou éléments)."],
                    "d": ["Déjà en français."], "e": ["Doit être compris entre 1 et 100."]}


@pytest.mark.parametrize("url,expected", [
    ("amqp://guest:guest@127.0.0.1:5672//", "amqp://guest:guest@127.0.0.1:5672/%2F"),
    ("amqp://u:p@h:5672/spp", "amqp://u:p@h:5672/spp"),
])
def test_the_default_vhost_is_spelled_for_pika(url, expected):
    assert pika_url(url) == expected


def test_rate_limit_specs():
    assert parse_limit("10/minute") == (10, 60)
    assert parse_limit("5/15minutes") == (5, 900)
    with pytest.raises(ValueError):
        parse_limit("lots")


@pytest.fixture(scope="module")
def keys():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid="k1", alg="RS256", use="sig")
    return private, {"keys": [jwk]}


def _token(private, **overrides):
    now = int(time.time())
    claims = {"iss": "spp-identity", "aud": ["experiences"], "sub": "42", "jti": "j",
              "iat": now, "exp": now + 900, "profile": "agent", "perms": ["response:draft"],
              "network_id": "7", "structure_ids": ["3"]}
    claims.update(overrides)
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": "k1"})


def test_a_valid_token_gives_the_principal(keys):
    private, jwks = keys
    verifier = TokenVerifier("experiences", "spp-identity", keys=jwks)
    principal = verifier.verify(_token(private))
    assert principal.user_id == "42" and principal.can("response:draft")
    assert not principal.can("response:validate") and principal.structure_ids == ("3",)


def test_a_verified_token_is_remembered_until_it_expires(keys, monkeypatch):
    private, jwks = keys
    verifier = TokenVerifier("experiences", "spp-identity", keys=jwks)
    exp = int(time.time()) + 60
    token = _token(private, exp=exp)
    first = verifier.verify(token)
    until, _ = verifier._verified[token]
    assert until <= exp + 10  # never past the token's expiry (and its leeway)

    def refuse(*_a, **_k):
        raise jwt.InvalidTokenError("checked again")

    monkeypatch.setattr(jwt, "decode", refuse)
    assert verifier.verify(token) is first  # not parsed nor checked again
    verifier._verified[token] = (time.time() - 1, first)  # its time is over: checked again
    with Flask(__name__).app_context(), pytest.raises(ApiError) as info:
        verifier.verify(token)
    assert info.value.status == 401


def test_the_remembered_tokens_are_bounded(keys):
    private, jwks = keys
    verifier = TokenVerifier("experiences", "spp-identity", keys=jwks, remember_max=2)
    for jti in "abc":
        verifier.verify(_token(private, jti=jti))
    assert len(verifier._verified) == 2


@pytest.mark.parametrize("change", ["expired", "audience", "issuer", "tampered", "hs256", "other_key"])
def test_bad_tokens_are_refused(keys, change):
    private, jwks = keys
    verifier = TokenVerifier("experiences", "spp-identity", keys=jwks)
    if change == "expired":
        token = _token(private, exp=int(time.time()) - 60)
    elif change == "audience":
        token = _token(private, aud=["moderation"])
    elif change == "issuer":
        token = _token(private, iss="someone-else")
    elif change == "tampered":
        head, body, sig = _token(private).split(".")
        claims = json.loads(jwt.utils.base64url_decode(body))
        claims["perms"].append("response:validate")
        body = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
        token = f"{head}.{body}.{sig}"
    elif change == "hs256":
        token = jwt.encode({"sub": "42"}, "a-shared-secret-that-is-long-enough-32b",
                           algorithm="HS256", headers={"kid": "k1"})
    else:
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = _token(other)
    with Flask(__name__).app_context(), pytest.raises(ApiError) as info:
        verifier.verify(token)
    assert info.value.status == 401


def test_logged_errors_leave_out_the_rows_values():
    import sqlalchemy as sa

    from services.chassis.consumer import log_safe

    orig = Exception('duplicate key value violates unique constraint "uq_users_email"\n'
                     'DETAIL:  Key (email)=(camille@example.org) already exists.')
    exc = sa.exc.IntegrityError("INSERT INTO users (email) VALUES (%(email)s)",
                                {"email": "camille@example.org"}, orig)
    assert "camille@example.org" in str(exc)  # what a plain log line would have carried
    summary = log_safe(exc)
    assert summary.startswith("IntegrityError: ") and "uq_users_email" in summary
    assert "camille" not in summary
    assert log_safe(KeyError("author_email")) == "KeyError: 'author_email'"


def test_engines_keep_a_statement_s_values_out_of_its_errors(tmp_path):
    import sqlalchemy as sa

    from services.chassis.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (email TEXT UNIQUE)"))
        conn.execute(sa.text("INSERT INTO t VALUES (:e)"), {"e": "camille@example.org"})
    with pytest.raises(sa.exc.IntegrityError) as refused, engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t VALUES (:e)"), {"e": "camille@example.org"})
    assert "camille" not in str(refused.value)
    engine.dispose()
