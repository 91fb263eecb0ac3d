"""The gateway keeps the refresh token identity rotates at each renewal."""

from __future__ import annotations

import time

import jwt
from flask import Flask, session

from services.gateway import auth


class Identity:
    def __init__(self, answers):
        self.answers = list(answers)
        self.sent = []

    def post(self, path, json, **kwargs):
        self.sent.append((path, json))
        return self.answers.pop(0)


def _answer(refresh: str | None) -> dict:
    access = jwt.encode({"profile": "agent", "name": "Alice"}, "k" * 32, algorithm="HS256")
    body = {"access_token": access, "token_type": "Bearer", "expires_in": 900}
    if refresh is not None:
        body["refresh_token"] = refresh
    return body


def _app(identity: Identity) -> Flask:
    app = Flask(__name__)
    app.secret_key = "test"
    app.extensions["gateway_clients"] = {"identity": identity}
    return app


def test_each_renewal_keeps_the_new_refresh_token_and_sends_it_next_time():
    identity = Identity([_answer("r2" * 22), _answer("r3" * 22)])
    with _app(identity).test_request_context("/"):
        auth.store_login(_answer("r1" * 22), "a@b.fr")
        start = time.time()
        for step in (1, 2):  # each time the access token is about to expire
            auth.renew_if_due(now=start + step * 900)
        assert [json["refresh_token"] for _path, json in identity.sent] == ["r1" * 22, "r2" * 22]
        assert session["refresh_token"] == "r3" * 22


def test_an_answer_without_a_refresh_token_keeps_the_current_one():
    identity = Identity([_answer(None)])
    with _app(identity).test_request_context("/"):
        auth.store_login(_answer("r1" * 22), "a@b.fr")
        auth.renew_if_due(now=time.time() + 900)
        assert session["refresh_token"] == "r1" * 22 and session["email"] == "a@b.fr"
