"""Links' tokens at rest in the notifier: never in an e-mail's stored bodies, gone once it is sent.

The invitation, password-reset and evaluation links carry a single-use token. The e-mail table
keeps it (in `secret`) only while the mail waits; the message handed to SMTP has it back.
"""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import pytest
import sqlalchemy as sa

from services.chassis import mailcatcher
from services.chassis.config import Settings
from services.chassis.consumer import EventConsumer
from services.chassis.db import Database, migrate
from services.chassis.events import make_event, parse_event
from services.notifier.handlers import HANDLERS
from services.notifier.mailer import SECRET_PLACEHOLDER, send_pending
from services.notifier.models import Email

pytestmark = pytest.mark.integration
GATEWAY = "https://spp.example.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _url(kind: str, create_database, tmp_path) -> str:
    if kind == "postgresql":
        return create_database("notifier_secrets")
    return f"sqlite:///{tmp_path / 'notifier.db'}"


@pytest.fixture
def smtp(tmp_path):
    port = free_port()
    catcher = mailcatcher.start(port, tmp_path / "mail")
    yield port, tmp_path / "mail"
    catcher.stop()


def _settings(url: str, smtp_port: int, **extra) -> Settings:
    settings = Settings.from_env("notifier", database_url=url, gateway_url=GATEWAY,
                                 smtp_url=f"smtp://127.0.0.1:{smtp_port}")
    settings.extra = {"email_retry_base_s": 1, "email_max_attempts": 3, **extra}
    return settings


def _deliver(db: Database, event_type: str, payload: dict) -> None:
    event, loaded = parse_event(make_event(event_type, payload, producer="test").to_json())
    EventConsumer(None, db, HANDLERS, None).handle(HANDLERS[event.type], event, loaded)


def _links(db: Database) -> dict[str, str]:
    """Three mails with a link token each; returns token by kind."""
    tokens = {kind: f"{kind}-{uuid.uuid4().hex}" for kind in ("invite", "reset", "evaluation")}
    link = {"user_id": "u-1", "email": "nina@a.fr", "name": "Nina",
            "expires_at": datetime.now(UTC) + timedelta(hours=24)}
    _deliver(db, "user.invited", {**link, "token": tokens["invite"]})
    _deliver(db, "user.password_reset_requested", {**link, "user_id": "u-2",
                                                   "email": "omar@a.fr", "token": tokens["reset"]})
    _deliver(db, "experience.answered", {
        "id": "e-1", "title": "Accueil", "structure_id": "s-1", "network_id": "n-1",
        "answered_at": datetime.now(UTC), "author_email": "auteur@example.org",
        "author_name": "Camille", "evaluation_token": tokens["evaluation"]})
    return tokens


def _table_text(db: Database) -> str:
    """Every column of every e-mail row, as one text to search."""
    with db.engine.connect() as conn:
        return "\n".join(" ".join(str(v) for v in row)
                         for row in conn.execute(sa.select(Email.__table__)))


def _mails(folder) -> list:
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes())
            for p in sorted(folder.glob("*.eml"))]


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_no_token_stays_in_the_email_table_once_sent(kind, create_database, tmp_path, smtp,
                                                     monkeypatch):
    monkeypatch.setenv("GATEWAY_URL", GATEWAY)
    url = _url(kind, create_database, tmp_path)
    migrate("notifier", url)
    db = Database(url)
    try:
        tokens = _links(db)
        with db.engine.connect() as conn:
            waiting = conn.execute(sa.select(Email.body_text, Email.body_html, Email.secret)).all()
        # Waiting, the token is only in `secret`: the bodies hold the placeholder.
        assert sorted(row.secret for row in waiting) == sorted(tokens.values())
        for row in waiting:
            assert row.secret not in row.body_text + row.body_html
            assert SECRET_PLACEHOLDER in row.body_text and SECRET_PLACEHOLDER in row.body_html

        assert send_pending(db, _settings(url, smtp[0])) == 3
        stored = _table_text(db)
        for token in tokens.values():
            assert token not in stored
        with db.engine.connect() as conn:
            assert conn.execute(sa.select(Email.status, Email.secret)).all() == [("sent", None)] * 3
    finally:
        db.dispose()
    # The mails themselves carry the links whole, in text and in HTML.
    by_address = {m["To"]: m for m in _mails(smtp[1])}
    for address, link in (
            ("nina@a.fr", f"{GATEWAY}/mot-de-passe?token={tokens['invite']}"),
            ("omar@a.fr", f"{GATEWAY}/mot-de-passe?token={tokens['reset']}"),
            ("auteur@example.org",
             f"{GATEWAY}/experiences/e-1/evaluation?token={tokens['evaluation']}")):
        mail = by_address[address]
        assert link in mail.get_body(("plain",)).get_content()
        assert f'href="{link}"' in mail.get_body(("html",)).get_content()
        assert SECRET_PLACEHOLDER not in mail.as_string()


def test_a_mail_given_up_keeps_no_token_either(create_database, tmp_path, monkeypatch):
    monkeypatch.setenv("GATEWAY_URL", GATEWAY)
    url = _url("postgresql", create_database, tmp_path)
    migrate("notifier", url)
    db = Database(url)
    nobody = _settings(url, free_port(), email_max_attempts=2)  # no SMTP server there
    try:
        _deliver(db, "user.invited", {"user_id": "u-1", "email": "nina@a.fr", "name": "Nina",
                                      "token": "tok-" + uuid.uuid4().hex,
                                      "expires_at": datetime.now(UTC)})
        with db.engine.connect() as conn:
            token = conn.execute(sa.select(Email.secret)).scalar_one()
        assert send_pending(db, nobody) == 0
        with db.engine.connect() as conn:  # to be tried again: the token waits with it
            assert conn.execute(sa.select(Email.status, Email.secret)).one() == ("queued", token)
        assert send_pending(db, nobody, now=datetime.now(UTC) + timedelta(hours=2)) == 0
        with db.engine.connect() as conn:  # given up: it will never be sent
            assert conn.execute(sa.select(Email.status, Email.secret)).one() == ("failed", None)
        assert token not in _table_text(db)
    finally:
        db.dispose()


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_the_upgrade_takes_the_tokens_out_of_the_mails_written_before(
        kind, create_database, tmp_path, smtp):
    url = _url(kind, create_database, tmp_path)
    migrate("notifier", url, "0003")
    queued, sent = "queued-" + uuid.uuid4().hex, "sent-" + uuid.uuid4().hex
    now = datetime.now(UTC)

    def mail(address, token, status):
        link = f"{GATEWAY}/mot-de-passe?token={token}"
        return {"id": str(uuid.uuid4()), "recipient_id": None, "address": address,
                "kind": "user_invited", "event_id": str(uuid.uuid4()), "subject": "Votre compte",
                "body_text": f"Bonjour,\n{link}\n", "body_html": f'<a href="{link}&amp;x=1">{link}</a>',
                "status": status, "attempts": 0, "last_error": None, "next_attempt_at": now,
                "created_at": now, "sent_at": now if status == "sent" else None,
                "period_start": None, "period_end": None}

    emails = sa.table("emails", *(sa.column(c) for c in mail("a", "b", "c")))
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.insert(emails), [mail("waiting@a.fr", queued, "queued"),
                                         mail("done@a.fr", sent, "sent")])
    engine.dispose()
    migrate("notifier", url)
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            rows = {r.address: r for r in conn.execute(sa.select(Email))}
        assert rows["waiting@a.fr"].secret == queued and rows["done@a.fr"].secret is None
        waiting = rows["waiting@a.fr"]
        assert queued not in waiting.body_text + waiting.body_html  # only in `secret`, waiting
        assert sent not in _table_text(db)
        assert rows["waiting@a.fr"].body_html == (
            f'<a href="{GATEWAY}/mot-de-passe?token={SECRET_PLACEHOLDER}&amp;x=1">'
            f"{GATEWAY}/mot-de-passe?token={SECRET_PLACEHOLDER}</a>")
        assert send_pending(db, _settings(url, smtp[0])) == 1
        assert queued not in _table_text(db)
    finally:
        db.dispose()
    [delivered] = _mails(smtp[1])
    assert f"{GATEWAY}/mot-de-passe?token={queued}" in delivered.get_body(("plain",)).get_content()
