"""Security audit of notifier's one endpoint: operators only, and never an author's address."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime

import pytest

from services.notifier import mailer
from services.notifier.app import create_app
from tests.support import notifier as mail

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

AUTHOR = "auteur.secret@example.org"


def _client(env, tokens):
    return create_app(env.settings, db=env.db, verifier=tokens.verifier("notifier")).test_client()


@pytest.mark.parametrize("profile,network", [("agent", "n-1"), ("super_agent", "n-1"),
                                             ("referent", "n-1"), ("moderator", None)])
def test_only_operators_list_notifications(env, tokens, profile, network):
    env.user("agent@a.fr")
    env.deliver("experience.published", mail.published() | {"author_email": AUTHOR})
    client = _client(env, tokens)
    headers = tokens.headers(profile, network_id=network, structure_ids=[mail.S1])
    for query in ("", "?recipient=agent@a.fr", f"?recipient={AUTHOR}", "?status=queued"):
        response = client.get(f"/notifications{query}", headers=headers)
        assert response.status_code == 403, (query, response.status_code)
        assert AUTHOR not in response.get_data(as_text=True)


def test_operators_never_see_an_authors_address(env, tokens, monkeypatch):
    env.user("agent@a.fr")
    env.deliver("experience.published", mail.published() | {"author_email": AUTHOR})
    env.deliver("experience.rejected", {"id": "e-1", "title": "T", "reason": "off_topic",
                                        "comment": None, "author_email": AUTHOR,
                                        "author_name": "Camille D."})
    env.deliver("experience.answered", {
        "id": "e-9", "title": "T", "structure_id": mail.S1, "network_id": "n-1",
        "answered_at": datetime.now(UTC), "author_email": AUTHOR.upper(),
        "author_name": "Camille D.", "evaluation_token": "tok123"})

    deliver = mailer.deliver

    def refuse_authors(client, address, message):
        if "auteur" in address.lower():  # the server names the refused address
            raise smtplib.SMTPRecipientsRefused({address: (550, b"5.1.1 no such user")})
        return deliver(client, address, message)

    monkeypatch.setattr(mailer, "deliver", refuse_authors)
    env.send()
    assert any(AUTHOR in (e.last_error or "").lower() for e in env.emails())  # kept for the row
    admin = tokens.headers("admin")
    client = _client(env, tokens)
    for query in ("?per_page=200", f"?recipient={AUTHOR}", "?status=queued"):
        response = client.get(f"/notifications{query}", headers=admin)
        assert response.status_code == 200
        text = response.get_data(as_text=True).lower()
        assert AUTHOR not in text and "auteur.secret" not in text, query
    items = client.get("/notifications?per_page=200", headers=admin).get_json()["items"]
    shown = {i["kind"]: i["recipient"] for i in items}
    assert shown["experience_to_process"] == "agent@a.fr"  # staff addresses stay visible
    assert {shown[k] for k in ("experience_published_author", "experience_rejected_author",
                               "experience_answered_author")} == {"auteur (adresse masquée)"}
    assert any("auteur (adresse masquée)" in (i["last_error"] or "") for i in items)


@pytest.mark.parametrize("query", ["?page=0", "?per_page=100000", "?status=bogus",
                                   "?recipient=" + "x" * 400, "?page=abc"])
def test_bad_queries_are_422(env, tokens, query):
    response = _client(env, tokens).get(f"/notifications{query}", headers=tokens.headers("admin"))
    assert response.status_code == 422
