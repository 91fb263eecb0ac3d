"""Notifier against real PostgreSQL and a real SMTP server (aiosmtpd) started by the tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.chassis import mailcatcher
from services.chassis.config import Settings
from services.chassis.db import Database, migrate
from services.chassis.events import make_event, parse_event
from services.notifier import mailer
from services.notifier.app import create_app
from services.notifier.handlers import HANDLERS
from services.notifier.mailer import run_digests, send_pending
from services.notifier.models import DigestRun
from tests.support.notifier import (
    CHILD,
    GATEWAY,
    S1,
    S2,
    Env,
    Mailbox,
    free_port,
    html_of,
    next_digest_time,
    next_weekly_digest_time,
    published,
    text_of,
)

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]


# Recipient rules -------------------------------------------------------------------------------
def test_published_mails_author_and_immediate_answer_agents_of_the_structure_only(env):
    env.deliver("structure.created", {"id": S1, "network_id": "n-1", "name": "CAF", "parent_id": None})
    env.deliver("structure.created", {"id": CHILD, "network_id": "n-1", "name": "CAF antenne",
                                      "parent_id": S1})
    env.user("agent@a.fr")
    env.user("chef@a.fr", profile="super_agent")
    env.user("diag@a.fr", missions=("diagnostic",))
    env.user("other@a.fr", structures=(S2,))
    env.user("child@a.fr", structures=(CHILD,))
    env.user("ref@a.fr", profile="referent")
    env.user("daily@a.fr", frequency="daily")
    env.user("none@a.fr", frequency="none")
    gone = env.user("gone@a.fr")
    env.user("gone@a.fr", uid=gone, event_type="user.deactivated", active=False)

    payload = published()
    env.deliver("experience.published", payload)
    assert env.send() == 3

    assert sorted(m["To"] for m in env.box.messages()) == [
        "agent@a.fr", "auteur@example.org", "chef@a.fr"]
    agent_mail = env.box.to("agent@a.fr")[0]
    assert agent_mail["Subject"] == "Nouvelle expérience à traiter : Accueil au guichet"
    body = text_of(agent_mail) + html_of(agent_mail)
    # Agents land on the page where they answer; the author on the published page.
    assert f"{GATEWAY}/agent/experiences/{payload['id']}" in text_of(agent_mail)
    assert f'href="{GATEWAY}/agent/experiences/{payload["id"]}"' in html_of(agent_mail)
    assert f"{GATEWAY}/experiences/" not in body
    assert "auteur@example.org" not in body and "Camille" not in body  # nothing of the author
    author = env.box.to("auteur@example.org")[0]
    assert "est publiée" in text_of(author)
    assert f'href="{GATEWAY}/experiences/{payload["id"]}"' in html_of(author)
    assert "/agent/" not in text_of(author) + html_of(author)
    assert "modifié" not in text_of(author)
    assert {e.status for e in env.emails()} == {"sent"}
    # The Message-ID is the row's: a resend after a crash carries the same one.
    ids = {e.address: e.id for e in env.emails()}
    assert agent_mail["Message-ID"] == f"<{ids['agent@a.fr']}@servicespublics.plus>"
    assert agent_mail["X-SPP-Email-Id"] == ids["agent@a.fr"]


def test_published_after_edit_tells_the_author(env):
    env.deliver("experience.published", published(edited=True))
    env.send()
    [mail] = env.box.to("auteur@example.org")
    assert "la modération a modifié votre texte" in text_of(mail)
    assert "la modération a modifié votre texte" in html_of(mail)


def test_rejected_gives_the_reason_in_french(env):
    env.deliver("experience.rejected", {"id": "e-1", "title": "T", "reason": "personal_data",
                                        "comment": "Un nom d'agent apparaît.",
                                        "author_email": "auteur@example.org",
                                        "author_name": "Camille D."})
    env.send()
    [mail] = env.box.messages()
    assert mail["To"] == "auteur@example.org"
    assert "données personnelles" in text_of(mail)
    assert "Un nom d'agent apparaît." in text_of(mail)
    assert "personal_data" not in text_of(mail)
    assert "Un nom d&#39;agent apparaît." in html_of(mail)  # escaped in HTML
    assert "/donner-mon-avis" in text_of(mail)  # where a new experience is written


@pytest.mark.parametrize("event_type,extra", [
    ("experience.rejected", {"reason": "advertising", "comment": None}),
    ("experience.published", {"structure_id": S1, "network_id": "n-1", "edited": False,
                               "published_at": datetime.now(UTC)}),
    ("experience.answered", {"structure_id": S1, "network_id": "n-1", "evaluation_token": "t",
                             "answered_at": datetime.now(UTC)}),
])
def test_a_mail_to_the_unconfirmed_author_relays_nothing_they_wrote(env, event_type, extra):
    """Anyone can type someone else's address: the official mail must carry no spam."""
    env.deliver(event_type, {"id": "e-7", "title": "Gagnez 1000 € sur http://promo.example",
                             "author_email": "victime@example.org",
                             "author_name": "Cliquez sur www.arnaque.example", **extra})
    env.send()
    [mail] = env.box.messages()
    for part in (text_of(mail), html_of(mail), str(mail["Subject"])):
        assert "promo.example" not in part and "arnaque" not in part and "1000" not in part
    assert "n'a pas été vérifiée" in text_of(mail)


def test_response_submitted_mails_super_agents_of_the_structure(env):
    env.user("agent@a.fr")
    env.user("chef@a.fr", profile="super_agent")
    env.user("chef2@a.fr", profile="super_agent", structures=(S2,))
    env.deliver("experience.response_submitted", {"id": "e-1", "title": "T", "structure_id": S1,
                                                  "network_id": "n-1"})
    env.send()
    assert [m["To"] for m in env.box.messages()] == ["chef@a.fr"]
    assert "attend votre validation" in text_of(env.box.messages()[0])
    assert f'href="{GATEWAY}/agent/experiences/e-1"' in html_of(env.box.messages()[0])


def test_answered_mails_the_author_with_the_evaluation_link(env):
    env.deliver("experience.answered", {
        "id": "e-9", "title": "T", "structure_id": S1, "network_id": "n-1",
        "answered_at": datetime.now(UTC), "author_email": "auteur@example.org",
        "author_name": "Camille D.", "evaluation_token": "tok123"})
    env.send()
    [mail] = env.box.messages()
    assert f"{GATEWAY}/experiences/e-9/evaluation?token=tok123" in text_of(mail)
    assert f'href="{GATEWAY}/experiences/e-9/evaluation?token=tok123"' in html_of(mail)


def test_reassigned_mails_answer_agents_of_the_new_structure(env):
    env.user("old@a.fr", structures=(S1,))
    env.user("new@a.fr", structures=(S2,))
    env.deliver("experience.reassigned", {"id": "e-2", "title": "T", "from_structure_id": S1,
                                          "structure_id": S2, "network_id": "n-1"})
    env.send()
    assert [m["To"] for m in env.box.messages()] == ["new@a.fr"]
    assert "transférée à votre structure" in text_of(env.box.messages()[0])
    assert f"{GATEWAY}/agent/experiences/e-2" in text_of(env.box.messages()[0])


def test_declined_reorientation_mails_the_structures_answer_agents_with_the_reason(env):
    env.user("agent@a.fr", structures=(S1,))
    env.user("other@a.fr", structures=(S2,))
    declined = {"id": "e-3", "title": "Guichet", "structure_id": S1, "network_id": "n-1",
                "comment": "Le guichet cité est <le vôtre>."}
    first = env.deliver("experience.reorientation_declined", declined)
    env.deliver("experience.reorientation_declined", declined, event=first)  # redelivered
    env.send()
    mails = env.box.messages()
    assert [m["To"] for m in mails] == ["agent@a.fr"]
    assert "refusé la demande de réorientation" in text_of(mails[0])
    assert "Le guichet cité est <le vôtre>." in text_of(mails[0])
    assert "Le guichet cité est &lt;le vôtre&gt;." in html_of(mails[0])
    assert f"{GATEWAY}/agent/experiences/e-3" in text_of(mails[0])


@pytest.mark.parametrize("event_type,phrase", [
    ("user.invited", "Un compte vous a été créé"),
    ("user.password_reset_requested", "réinitialiser votre mot de passe"),
])
def test_account_links(env, event_type, phrase):
    env.deliver(event_type, {"user_id": "u-1", "email": "new@a.fr", "name": "Nina",
                             "token": "abc", "expires_at": datetime.now(UTC)})
    env.send()
    [mail] = env.box.messages()
    assert mail["To"] == "new@a.fr"
    assert phrase in text_of(mail)
    assert f"{GATEWAY}/mot-de-passe?token=abc" in text_of(mail)


def test_deactivated_user_gets_no_password_link(env):
    uid = env.user("gone@a.fr")
    env.user("gone@a.fr", uid=uid, event_type="user.deactivated", active=False)
    env.deliver("user.password_reset_requested", {"user_id": uid, "email": "gone@a.fr",
                                                  "name": "Gone", "token": "abc",
                                                  "expires_at": datetime.now(UTC)})
    assert env.emails() == []


def test_an_invited_user_gets_the_invitation_but_no_work_mail_before_setting_a_password(env):
    """Until the invitation is answered the address is unproven: a typo in it must not send
    experiences to a stranger. The same user once activated gets them."""
    uid = env.user("invite@a.fr", activated=False)
    env.deliver("user.invited", {"user_id": uid, "email": "invite@a.fr", "name": "Invite",
                                 "token": "abc", "expires_at": datetime.now(UTC)})
    env.deliver("experience.published", published(title="Avant"))
    assert [e.kind for e in env.emails(address="invite@a.fr")] == ["user_invited"]
    env.user("invite@a.fr", uid=uid, event_type="user.updated", activated=True)
    env.deliver("experience.published", published(title="Après"))
    assert sorted(e.kind for e in env.emails(address="invite@a.fr")) == [
        "experience_to_process", "user_invited"]
    assert "Après" in next(e.subject for e in env.emails(address="invite@a.fr")
                           if e.kind == "experience_to_process")


def test_user_update_moves_agent_and_deactivation_silences(env):
    uid = env.user("agent@a.fr", structures=(S1,))
    env.user("agent@a.fr", uid=uid, structures=(S2,), event_type="user.updated")
    env.deliver("experience.published", published(structure=S1))
    env.deliver("experience.published", published(structure=S2))
    env.user("agent@a.fr", uid=uid, structures=(S2,), event_type="user.deactivated", active=False)
    env.deliver("experience.published", published(structure=S2))
    assert len(env.emails(address="agent@a.fr")) == 1


# Exactly once --------------------------------------------------------------------------------
def test_duplicated_event_gives_one_mail(env):
    env.user("agent@a.fr")
    event = make_event("experience.published", published(), producer="test")
    env.deliver("", {}, event=event)
    env.deliver("", {}, event=event)  # redelivery: the inbox
    # A replica racing past the inbox: the unique constraint on (address, event_id, kind).
    parsed, loaded = parse_event(event.to_json())
    with env.db.transaction() as s:
        HANDLERS[parsed.type](s, parsed, loaded)
    env.send()
    env.send()
    assert len(env.box.to("agent@a.fr")) == 1
    assert len(env.box.to("auteur@example.org")) == 1


def test_one_run_sends_more_than_one_batch(env):
    env.user("agent@a.fr")
    for _ in range(mailer.SEND_BATCH):  # author + agent each time: two batches' worth
        env.deliver("experience.published", published())
    assert env.send() == 2 * mailer.SEND_BATCH
    assert len(env.box.to("agent@a.fr")) == mailer.SEND_BATCH
    assert env.emails(status="queued") == []


def test_senders_sharing_the_queue_send_each_mail_once(env):
    import threading

    env.user("agent@a.fr")
    for _ in range(60):
        env.deliver("experience.published", published())
    counts = [0, 0, 0]

    def sender(k):
        counts[k] = send_pending(env.db, env.settings, share=(k, 3))

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(counts) == 120 and all(counts)  # each took a part
    ids = [m["X-SPP-Email-Id"] for m in env.box.messages()]
    assert len(ids) == len(set(ids)) == 120
    assert env.emails(status="queued") == []


def test_through_the_broker_two_replicas_and_redeliveries_send_one_mail(env, amqp_url,
                                                                       broker_names):
    import threading
    import time

    from services.chassis.amqp import Message, PipelinedPublisher
    from services.chassis.worker import build_consumer

    env.user("agent@a.fr")
    env.settings.amqp_url = amqp_url
    env.settings.exchange = broker_names["exchange"]
    env.settings.queue_prefix = broker_names["prefix"]
    env.settings.retry_delays_ms = (50, 100)
    consumers = [build_consumer(env.settings, env.db, HANDLERS) for _ in range(2)]
    threads = [threading.Thread(target=c.run, daemon=True) for c in consumers]
    for t in threads:
        t.start()
    stop = threading.Event()

    def sender():
        while not stop.wait(0.05):
            env.send()

    sending = threading.Thread(target=sender, daemon=True)
    sending.start()
    try:
        deadline = time.time() + 10
        while time.time() < deadline and not all(getattr(c, "_producer", None) for c in consumers):
            time.sleep(0.05)
        event = make_event("experience.published", published(), producer="experiences")
        with PipelinedPublisher(amqp_url) as publisher:
            publisher.publish_batch([Message(exchange=broker_names["exchange"],
                                             routing_key=event.type, body=event.to_json(),
                                             message_id=event.id) for _ in range(4)])
        deadline = time.time() + 15
        while time.time() < deadline and len(env.box.messages()) < 2:
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        stop.set()
        sending.join(timeout=10)
        for c in consumers:
            c.should_stop = True
        for t in threads:
            t.join(timeout=10)
        for c in consumers:
            c.connection.release()
    assert sorted(m["To"] for m in env.box.messages()) == ["agent@a.fr", "auteur@example.org"]


# Frequencies and digests -------------------------------------------------------------------------
def test_daily_and_none_get_nothing_immediately_and_daily_gets_a_digest(env):
    env.user("now@a.fr")
    env.user("daily@a.fr", frequency="daily")
    env.user("none@a.fr", frequency="none")
    env.user("idle@a.fr", frequency="daily", structures=(S2,))
    first, second = published(title="Premier"), published(title="Second")
    env.deliver("experience.published", first)
    env.deliver("experience.published", second)
    env.send()
    assert {m["To"] for m in env.box.messages()} == {"now@a.fr", "auteur@example.org"}

    # The next daily digest covers what was handled today (before tomorrow 08:00 Paris).
    tomorrow_9 = next_digest_time()
    assert run_digests(env.db, env.settings, now=tomorrow_9) == 1
    assert run_digests(env.db, env.settings, now=tomorrow_9) == 0  # already claimed
    env.send()
    [digest] = env.box.to("daily@a.fr")
    assert digest["Subject"] == "Services Publics+ : 2 nouvelles expériences à traiter"
    assert "Premier" in text_of(digest) and "Second" in text_of(digest)
    assert f'href="{GATEWAY}/agent/experiences/{first["id"]}"' in html_of(digest)
    assert f'href="{GATEWAY}/agent/experiences"' in html_of(digest)  # « Toutes les expériences »
    assert f"{GATEWAY}/experiences/" not in text_of(digest) + html_of(digest)
    assert env.box.to("none@a.fr") == [] and env.box.to("idle@a.fr") == []
    with env.db.transaction() as s:  # the idle agent's run is recorded, with nothing to send
        runs = {r.recipient_id: r.items for r in s.scalars(sa.select(DigestRun))}
    assert sorted(runs.values()) == [0, 2]

    # The day after: nothing new, no mail.
    assert run_digests(env.db, env.settings, now=tomorrow_9 + timedelta(days=1)) == 0


def test_weekly_digest_on_monday(env):
    env.user("weekly@a.fr", frequency="weekly")
    env.deliver("experience.published", published(title="Hebdo"))
    next_monday = next_weekly_digest_time()
    assert run_digests(env.db, env.settings, now=next_monday) == 1
    env.send()
    [digest] = env.box.to("weekly@a.fr")
    assert "Hebdo" in text_of(digest)


def test_concurrent_digest_runs_send_once(env):
    from concurrent.futures import ThreadPoolExecutor

    env.user("daily@a.fr", frequency="daily")
    env.deliver("experience.published", published())
    later = next_digest_time()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: run_digests(env.db, env.settings, now=later), range(4)))
    assert sum(results) == 1
    assert len(env.emails(kind="digest")) == 1


# SMTP failures -------------------------------------------------------------------------------
def test_smtp_down_is_retried_and_sent_when_back(env):
    env.box.stop()
    env.deliver("user.invited", {"user_id": "u-1", "email": "new@a.fr", "name": "Nina",
                                 "token": "abc", "expires_at": datetime.now(UTC)})
    assert env.send() == 0
    [email] = env.emails()
    assert (email.status, email.attempts) == ("queued", 1)
    assert email.last_error
    assert env.send() == 0  # not due before its back-off
    assert env.emails()[0].attempts == 1

    env.box.start()
    later = datetime.now(UTC) + timedelta(seconds=5)
    assert env.send(now=later) == 1
    [email] = env.emails()
    assert (email.status, email.attempts, email.last_error) == ("sent", 2, None)
    assert len(env.box.to("new@a.fr")) == 1


def test_smtp_down_for_good_ends_failed_with_the_error(env):
    env.box.stop()
    env.deliver("user.invited", {"user_id": "u-1", "email": "new@a.fr", "name": "Nina",
                                 "token": "abc", "expires_at": datetime.now(UTC)})
    at = datetime.now(UTC)
    for i in range(3):
        env.send(now=at + timedelta(hours=i))
    [email] = env.emails()
    assert (email.status, email.attempts) == ("failed", 3)
    assert "Connection" in email.last_error or "refused" in email.last_error.lower()
    env.box.start()
    assert env.send(now=at + timedelta(days=1)) == 0


def test_an_accented_address_is_sent_with_smtputf8(env):
    env.user("agent@a.fr")
    env.deliver("experience.published", published() | {"author_email": "andré@exemple.fr"})
    assert env.send() == 2
    [mail] = env.box.to("andré@exemple.fr")
    assert "est publiée" in text_of(mail)


def test_an_accented_address_the_server_cannot_take_holds_back_no_other_mail(env, tmp_path):
    from aiosmtpd.controller import Controller

    env.box.stop()
    controller = Controller(mailcatcher.FileHandler(tmp_path / "ascii"), hostname="127.0.0.1",
                            port=env.box.port, enable_SMTPUTF8=False)
    controller.start()
    try:
        env.user("agent@a.fr")
        env.deliver("experience.published", published() | {"author_email": "andré@exemple.fr"})
        at = datetime.now(UTC)
        sent = sum(env.send(now=at + timedelta(hours=i)) for i in range(3))
    finally:
        controller.stop()
    assert sent == 1  # the agent's, whatever the order
    statuses = {e.address: (e.status, e.last_error or "") for e in env.emails()}
    assert statuses["agent@a.fr"][0] == "sent"
    status, error = statuses["andré@exemple.fr"]
    assert status == "failed" and "SMTPUTF8" in error


def test_refused_recipient_is_kept_on_the_row_not_in_the_logs(env, monkeypatch, caplog):
    import smtplib

    from services.notifier import mailer

    def refuse(client, address, message):
        raise smtplib.SMTPRecipientsRefused({address: (550, b"5.1.1 no such user")})

    monkeypatch.setattr(mailer, "deliver", refuse)
    env.deliver("user.invited", {"user_id": "u-1", "email": "new@a.fr", "name": "Nina",
                                 "token": "abc", "expires_at": datetime.now(UTC)})
    with caplog.at_level("WARNING"):
        assert env.send() == 0
    [email] = env.emails()
    assert "new@a.fr" in email.last_error  # for the operator, in the database
    assert "SMTPRecipientsRefused" in caplog.text and "new@a.fr" not in caplog.text


# GET /notifications ----------------------------------------------------------------------------
def test_notifications_list_is_for_operators(env, tokens):
    env.user("agent@a.fr")
    env.deliver("experience.published", published())
    env.send()
    app = create_app(env.settings, db=env.db, verifier=tokens.verifier("notifier"))
    client = app.test_client()

    assert client.get("/notifications").status_code == 401
    assert client.get("/notifications", headers=tokens.headers("agent")).status_code == 403

    admin = tokens.headers("admin")
    res = client.get("/notifications", headers=admin)
    assert res.status_code == 200
    body = res.get_json()
    assert body["total"] == 2 and body["page"] == 1
    item = body["items"][0]
    assert set(item) >= {"id", "recipient", "kind", "status", "event_id", "created_at", "sent_at"}

    res = client.get("/notifications?recipient=agent@a.fr&status=sent", headers=admin)
    assert [i["kind"] for i in res.get_json()["items"]] == ["experience_to_process"]
    assert client.get("/notifications?status=queued", headers=admin).get_json()["total"] == 0
    second = client.get("/notifications?per_page=1&page=2", headers=admin).get_json()
    assert (second["total"], second["page"], second["per_page"], len(second["items"])) == (2, 2, 1, 1)
    assert second["items"][0]["id"] != item["id"]

    res = client.get("/notifications?status=bogus&page=0", headers=admin)
    assert res.status_code == 422
    assert set(res.get_json()["errors"]) >= {"status", "page"}


def test_smtp_auth_from_the_url(env, tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret:!")

    port = free_port()
    handler = mailcatcher.FileHandler(tmp_path / "auth")
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        env.deliver("user.invited", {"user_id": "u-1", "email": "new@a.fr", "name": "Nina",
                                     "token": "abc", "expires_at": datetime.now(UTC)})
        env.settings.smtp_url = f"smtp://robot%40spp:s3cret%3A%21@127.0.0.1:{port}"
        assert env.send() == 1
    finally:
        controller.stop()
    assert logins[-1] == (b"robot@spp", b"s3cret:!")
    assert len(list((tmp_path / "auth").glob("*.eml"))) == 1


def test_out_of_order_user_event_does_not_undo_a_newer_one(env):
    uid = str(uuid.uuid4())
    base = {"id": uid, "email": "a@a.fr", "name": "A", "profile": "agent", "missions": ["answer"],
            "network_id": "n-1", "structure_ids": [S1], "notification_frequency": "immediate",
            "active": True}
    newer = make_event("user.deactivated", {**base, "active": False}, producer="identity")
    older = make_event("user.updated", base, producer="identity")
    object.__setattr__(older, "occurred_at", newer.occurred_at - timedelta(seconds=5))
    env.deliver("", {}, event=newer)
    env.deliver("", {}, event=older)
    env.deliver("experience.published", published())
    assert env.emails(address="a@a.fr") == []


def test_embedded_sqlite_mode_works_end_to_end(tmp_path, monkeypatch):
    """`make up` runs on SQLite: the same handlers and sender work there."""
    monkeypatch.setenv("GATEWAY_URL", GATEWAY)
    url = f"sqlite:///{tmp_path / 'notifier.db'}"
    migrate("notifier", url)
    port = free_port()
    settings = Settings.from_env("notifier", database_url=url, smtp_url=f"smtp://127.0.0.1:{port}")
    box = Mailbox(tmp_path / "mail", port)
    box.start()
    db = Database(url)
    try:
        e = Env(db, settings, box)
        e.user("agent@a.fr")
        event = e.deliver("experience.published", published())
        e.deliver("", {}, event=event)
        assert e.send() == 2
        assert sorted(m["To"] for m in box.messages()) == ["agent@a.fr", "auteur@example.org"]
    finally:
        box.stop()
        db.dispose()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_starttls_and_auth_from_the_url(env, tmp_path, monkeypatch):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts our test CA
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((session.ssl is not None, auth_data.login))
        return AuthResult(success=auth_data.password == b"pw")

    port = free_port()
    controller = Controller(mailcatcher.FileHandler(tmp_path / "tls"), hostname="127.0.0.1",
                            port=port, tls_context=server_tls, require_starttls=True,
                            authenticator=authenticator, auth_required=True)
    controller.start()
    try:
        env.deliver("user.invited", {"user_id": "u-1", "email": "new@a.fr", "name": "Nina",
                                     "token": "abc", "expires_at": datetime.now(UTC)})
        env.settings.smtp_url = f"smtp://robot:pw@127.0.0.1:{port}?starttls=1"
        assert env.send() == 1
    finally:
        controller.stop()
    assert seen == [(True, b"robot")]
    assert len(list((tmp_path / "tls").glob("*.eml"))) == 1
