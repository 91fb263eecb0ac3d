"""The gateway's pages under the Flask test client: recording fakes of the services, logging
in, and the sample answers several page tests share.

The fixtures that use them (`fakes`, `app`, `client`) are in tests/unit/gateway/conftest.py.
"""

from __future__ import annotations

import base64
import json
import re

from services.chassis.permissions import permissions_for
from services.gateway.clients import ServiceClient

SERVICES = ("identity", "experiences", "moderation", "diagnostic", "notifier")


class FakeClient:
    """Records every call; answers from a dict {(method, path): answer or exception}."""

    def __init__(self, answers: dict | None = None):
        self.answers = answers or {}
        self.calls: list[dict] = []

    def request(self, method, path, **kwargs):
        self.calls.append({"method": method, "path": path, **kwargs})
        answer = self.answers.get((method, path), {})
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    get_all = ServiceClient.get_all  # the real paging, over the fake answers

    def stream(self, path, **kwargs):
        """Answers[("STREAM", path)]: (chunks, content type, file name), or an exception."""
        self.calls.append({"method": "STREAM", "path": path, **kwargs})
        answer = self.answers[("STREAM", path)]
        if isinstance(answer, Exception):
            raise answer
        chunks, content_type, name = answer
        return iter(chunks), content_type, name


class DiagnosticFake(FakeClient):
    """The diagnostic service's fake, with the CSV download the results page offers."""

    def __init__(self, answers=None):
        super().__init__(answers)
        self.csv = (b"\xef\xbb\xbfEngagement;Score\r\n1;75\r\n", "text/csv; charset=utf-8",
                    "diagnostic-d1.csv")

    def download(self, path, **kwargs):
        self.calls.append({"method": "DOWNLOAD", "path": path, **kwargs})
        if isinstance(self.csv, Exception):
            raise self.csv
        return self.csv


def _part(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def jwt_for(profile: str, name: str = "Alice Agent") -> str:
    """A JWT with a profile and a name only (unsigned: the gateway only reads it)."""
    return f"{_part({'alg': 'RS256'})}.{_part({'sub': '1', 'profile': profile, 'name': name})}.sig"


def token_for(profile: str, missions=(), network_id="n1", structure_ids=("10",), sub="u1",
              name="Alice Agent") -> str:
    """A JWT shaped like identity's (unsigned: the gateway only reads it to adapt pages)."""
    claims = {"sub": sub, "profile": profile, "name": name, "missions": list(missions),
              "perms": sorted(permissions_for(profile, list(missions))),
              "network_id": network_id, "structure_ids": list(structure_ids)}
    return f"{_part({'alg': 'RS256'})}.{_part(claims)}.sig"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, fakes, profile="agent", expires_in=900):
    """Sign in through /connexion with a token of jwt_for(profile); the response to the POST."""
    fakes["identity"].answers[("POST", "/auth/token")] = {
        "access_token": jwt_for(profile), "token_type": "Bearer", "expires_in": expires_in}
    token = csrf_of(client.get("/connexion").get_data(as_text=True))
    return client.post("/connexion", data={"csrf_token": token, "email": "a@b.fr",
                                           "password": "secret"})


def login_as(client, fakes, profile="agent", **claims):
    """Sign in with a token of token_for(profile, **claims); checks the redirect."""
    fakes["identity"].answers[("POST", "/auth/token")] = {
        "access_token": token_for(profile, **claims), "token_type": "Bearer", "expires_in": 900}
    token = csrf_of(client.get("/connexion").get_data(as_text=True))
    response = client.post("/connexion", data={"csrf_token": token, "email": "a@b.fr",
                                               "password": "secret"})
    assert response.status_code == 302
    return response


# --- an experience -----------------------------------------------------------------------------

EXPERIENCE = {"id": "7", "title": "Accueil à la CAF", "body": "Très bon accueil.",
              "status": "answered", "channel": "in_person", "feeling": "positive",
              "author_name": "Camille", "author_email": "camille@secret.example",
              "occurred_on": "2026-11-02",
              "response": {"body": "Merci pour votre retour.", "closing": "Cordialement",
                           "signature": "La CAF du Rhône"}}
# What staff in scope get: the internal view, with the draft and the moderation dates.
INTERNAL = dict(EXPERIENCE, submitted_at="2026-11-02T08:00:00+00:00", response_draft=None)


# --- a moderation case -------------------------------------------------------------------------

TITLE = "Jean Dupont à la CAF"
BODY = "Je suis Jean Dupont, appelez-moi au 06 12 34 56 78. Quel bordel à la CAF."
PHONE = (BODY.index("06 12"), BODY.index("06 12") + len("06 12 34 56 78"))
NAME = (BODY.index("Jean"), BODY.index("Jean") + len("Jean Dupont"))
VULGAR = (BODY.index("bordel"), BODY.index("bordel") + len("bordel"))
CASE = {
    "id": "c1", "experience_id": "7", "kind": "new_experience", "status": "pending",
    "title": TITLE, "body": BODY, "created_at": "2026-11-02T08:00:00+00:00",
    "postal_code": "69003", "channel": "phone", "occurred_on": "2026-10-30",
    "feeling": "negative", "author_name": "Jean D.", "structure_hint": "CAF de Lyon",
    "flags": [], "redacted_body": "",
    "fields": [
        {"name": "title", "text": TITLE,
         "flags": [{"kind": "person_name", "start": 0, "end": 11, "note": None, "masked": True}],
         "redacted": "[nom masqué] à la CAF"},
        {"name": "body", "text": BODY, "flags": [
            {"kind": "person_name", "start": NAME[0], "end": NAME[1], "note": None, "masked": True},
            {"kind": "phone", "start": PHONE[0], "end": PHONE[1], "note": "checksum_failed",
             "masked": True},
            {"kind": "vulgarity", "start": VULGAR[0], "end": VULGAR[1], "note": None,
             "masked": False}],
         "redacted": "Je suis [nom masqué], appelez-moi au [téléphone masqué]. Quel bordel à la "
                     "CAF."},
        {"name": "author_name", "text": "Jean D.", "flags": [], "redacted": "Jean D."},
        {"name": "structure_hint", "text": "CAF de Lyon", "flags": [], "redacted": "CAF de Lyon"},
    ],
    "suggested_structures": [{"id": "s9", "name": "CAF du Rhône", "score": 80}],
}


# --- a diagnostic: a draft, and the results of a completed one -----------------------------------

DRAFT = {"id": "d1", "structure_id": "10", "network_id": "n1", "questionnaire_version": "2023-v1",
         "channels": ["in_person", "phone"], "status": "draft", "started_by": "u1",
         "progress": {"answered": 2, "total": 4},
         "last_edit": {"updated_by": "u2", "updated_at": "2026-11-27T09:30:00+00:00"},
         "answers": [
             {"question_id": "c1-all-1", "channel": "in_person", "answer": "yes",
              "updated_by": "u1", "updated_at": "2026-11-26T14:00:00+00:00"},
             {"question_id": "c1-all-1", "channel": "phone", "answer": "partly",
              "updated_by": "u2", "updated_at": "2026-11-27T09:30:00+00:00"}],
         "notes": [{"commitment": 1, "text": "Former l'équipe du samedi.", "updated_by": "u2",
                    "updated_at": "2026-11-27T09:30:00+00:00"}],
         "missing": ["c1-phone-1/phone", "c2-in_person-1/in_person"]}

RESULTS = {
    "diagnostic_id": "d1", "structure_id": "10", "network_id": "n1",
    "completed_at": "2026-11-28T10:00:00+00:00", "questionnaire_version": "2023-v1",
    "previous": {"diagnostic_id": "d0", "completed_at": "2025-11-02T10:00:00+00:00",
                 "questionnaire_version": "2023-v1", "overall_score": 0.5},
    "network": {"structures": 4}, "overall_score": 0.625, "overall_percent": 63,
    "commitments": [
        {"number": 1, "code": "kindness", "label": "Vous êtes accueillis avec bienveillance.",
         "expected": 0.8, "score": 0.75, "gap": 0.05, "score_percent": 75,
         "previous_score": 0.5, "change": 0.25, "network_average": 0.7, "note": "Samedi."},
        {"number": 2, "code": "contact", "label": "Vous entrez facilement en contact.",
         "expected": 0.8, "score": 0.35, "gap": 0.45, "score_percent": 35,
         "previous_score": None, "change": None, "network_average": 0.6, "note": None}],
    "weakest_commitments": [
        {"number": 2, "code": "contact", "label": "Vous entrez facilement en contact.",
         "expected": 0.8, "score": 0.35, "gap": 0.45, "score_percent": 35,
         "previous_score": None, "network_average": 0.6},
        {"number": 1, "code": "kindness", "label": "Vous êtes accueillis avec bienveillance.",
         "expected": 0.8, "score": 0.75, "gap": 0.05, "score_percent": 75,
         "previous_score": 0.5, "network_average": 0.7}],
    "channels": [{"channel": "in_person", "label": "Accueil physique", "score": 0.5,
                  "score_percent": 50}],
    "cells": [],
    "weakest": [{"commitment": 2, "commitment_label": "Vous entrez facilement en contact.",
                 "channel": "in_person", "channel_label": "Accueil physique", "score": 0.35,
                 "expected": 0.8, "gap": 0.45, "score_percent": 35}]}
