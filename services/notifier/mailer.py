"""E-mails: rendering (Jinja2), queueing (insert only), the SMTP sender job and the digest job.

Exactly once: handlers insert `queued` rows under UNIQUE (address, event_id, kind) in the
consumer's transaction (with the inbox), so redelivery and replicas add nothing. The sender locks
one row (FOR UPDATE SKIP LOCKED on PostgreSQL), hands it to SMTP and marks it `sent` in the same
transaction right after the server accepts it. The only window for a duplicate is a crash between
SMTP acceptance and that commit: a few milliseconds per mail. A database that goes away in that
window (a PostgreSQL restart cuts every connection) fails the commit, not the process: the
sender keeps the e-mail's id and records it as sent before it sends anything else, once the
database answers again (`_DELIVERED`). Another replica could still take the row in between,
after the lost connection released its lock: a resend needs that replica to poll within that
moment.

Since each e-mail waits for its own commit and SMTP answers, one sender is bound by those waits;
several senders (threads or replicas) each take a share of the ids, by their first character, so
that they never take the same e-mail, on SQLite too (which has no SKIP LOCKED).
"""

from __future__ import annotations

import functools
import logging
import os
import quopri
import re
import smtplib
import ssl
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.charset import BASE64, Charset
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import formataddr, formatdate
from pathlib import Path

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import escape
from sqlalchemy.orm import Session

from services.chassis import clock
from services.chassis.config import Settings
from services.chassis.db import Database, is_postgres, new_id
from services.notifier import domain
from services.notifier.domain import EmailKind, EmailStatus, Frequency
from services.notifier.models import (
    DigestItem,
    DigestRun,
    Email,
    Experience,
    Recipient,
    RecipientStructure,
)

log = logging.getLogger(__name__)

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    auto_reload=False,  # templates ship with the code: no stat() of each one per e-mail
)

FROM_ADDRESS = os.environ.get("NOTIFIER_FROM", "ne-pas-repondre@servicespublics.plus")
FROM_NAME = "Services Publics+"
SEND_BATCH = 50


def now_utc() -> datetime:
    return datetime.now(UTC)


def render(kind: EmailKind, **context) -> tuple[str, str, str]:
    """(subject, text, html) of one e-mail."""
    subject = domain.SUBJECTS[kind].format(**context)
    context["subject"] = subject
    text = _env.get_template(f"{kind}.txt").render(**context)
    html = _env.get_template(f"{kind}.html").render(**context)
    return subject, text, html


_EMAILS = Email.__table__


# Written as text once: SQLAlchemy cannot cache its compiled ON CONFLICT insert for SQLite, and
# compiling it per e-mail cost more than everything else the handler does.
_INSERT_EMAIL = sa.text(
    f"INSERT INTO emails ({', '.join(c.name for c in _EMAILS.columns)}) "
    f"VALUES ({', '.join(':' + c.name for c in _EMAILS.columns)}) ON CONFLICT DO NOTHING"
).bindparams(*[sa.bindparam(c.name, type_=c.type) for c in _EMAILS.columns])


# A link's single-use token (`?token=` of the invitation, reset and evaluation links) is kept out
# of the stored bodies: they hold this placeholder, the token waits in the row's `secret` column,
# the message handed to SMTP gets it back, and the column is cleared when the mail is sent or
# given up. So no token stays in the e-mail table beyond sending.
SECRET_PLACEHOLDER = "__SPP_LINK_TOKEN__"
_LINK_TOKEN = re.compile(r"[?&]token=([^&#\s]+)")


def set_secret_aside(context: dict) -> str | None:
    """Take the token out of `context["link"]` (the placeholder takes its place); returns it."""
    link = context.get("link")
    match = _LINK_TOKEN.search(link) if isinstance(link, str) else None
    if match is None:
        return None
    context["link"] = link[:match.start(1)] + SECRET_PLACEHOLDER + link[match.end(1):]
    return match.group(1)


def queue_email(session: Session, *, address: str, kind: EmailKind, event_id: str,
                recipient_id: str | None = None, window: tuple[datetime, datetime] | None = None,
                **context) -> None:
    """Insert a queued e-mail; a second insert of the same (address, event, kind) is a no-op."""
    secret = set_secret_aside(context)
    subject, text, html = render(kind, **context)
    now = now_utc()
    values = dict(
        id=new_id(), recipient_id=recipient_id, address=address.strip().lower(),
        kind=str(kind), event_id=event_id, subject=subject[:300], body_text=text, body_html=html,
        secret=secret, status=str(EmailStatus.QUEUED), attempts=0, last_error=None,
        next_attempt_at=now, created_at=now, sent_at=None,
        period_start=window[0] if window else None, period_end=window[1] if window else None,
    )
    session.execute(_INSERT_EMAIL, values)


# SMTP ------------------------------------------------------------------------------------------
MESSAGE_ID_DOMAIN = "servicespublics.plus"

# Quoted-printable UTF-8 bodies: 7-bit safe for any server, and links stay readable in the source.
# The `email` package parses a header when it is set from a string and again when a part's type
# is read, and folds it when the message is written: what never changes is parsed and folded
# once here (`_fixed`), the other ASCII headers are stored as written (`set_raw`), so that a
# message costs the folding of its subject only (itself cached).
def _parsed(name: str, value: str):
    return SMTP.header_factory(name, value)


def _folded(name: str, value: str) -> str:
    """The value as the policy folds it, to be stored raw: folded once rather than per e-mail."""
    return _parsed(name, value).fold(policy=SMTP).split(":", 1)[1].strip()


def _fixed(name: str, value: str):
    """A parsed header (the generator reads a part's type and encoding from it) whose folding is
    done once: the policy folds a header object by calling its `fold`. ASCII values only, so
    the SMTP and SMTPUTF8 policies fold it alike."""
    header = _parsed(name, value)
    folded = header.fold(policy=SMTP)
    header.fold = lambda *, policy: folded
    return header


_FROM = _folded("From", formataddr((FROM_NAME, FROM_ADDRESS)))  # NOTIFIER_FROM may be any address


@functools.lru_cache(maxsize=1024)
def _subject(text: str) -> str:
    """The subject as encoded and folded for SMTP: folded once for every e-mail that shares it
    (an author's notice; one experience's e-mail to each agent of its structure).

    Encoded by the `email` package's RFC 2047 encoder, `email.header.Header`: it writes the
    same kind of encoded words as the policy without first parsing the text into a header tree
    (the cost is in docs/benchmarks.md), and as UTF-8 words throughout, so a title that reads
    like an encoded word (« =?utf-8?q?…?= ») reaches the agent as the usager typed it."""
    return Header(text, _BASE64_UTF8, header_name="Subject").encode(linesep="\r\n")


# Base64 words: the default (the shorter of base64 and quoted-printable, word by word) measures
# each candidate word's length character by character, which costs more than the encoding.
_BASE64_UTF8 = Charset("utf-8")
_BASE64_UTF8.header_encoding = BASE64


_PART_TYPES = {subtype: _fixed("Content-Type", f'text/{subtype}; charset="utf-8"')
               for subtype in ("plain", "html")}
_QUOTED_PRINTABLE = _fixed("Content-Transfer-Encoding", "quoted-printable")
# Quoted-printable writes every "=" of a part as "=3D": a boundary made of "=" and hex can never
# appear in the parts, whatever the usager wrote, so one random boundary serves the process.
_ALTERNATIVE = _fixed("Content-Type",
                      f'multipart/alternative; boundary="==spp-{uuid.uuid4().hex}=="')


def _part(text: str, subtype: str, policy) -> EmailMessage:
    part = EmailMessage(policy=policy)
    part.set_raw("Content-Type", _PART_TYPES[subtype])
    part.set_raw("Content-Transfer-Encoding", _QUOTED_PRINTABLE)
    part.set_payload(quopri.encodestring(text.encode("utf-8")).decode("ascii"))
    return part


def build_message(email) -> bytes:
    """The message (text with an HTML alternative) as the bytes handed to SMTP."""
    text, html = email.body_text, email.body_html
    secret = getattr(email, "secret", None)
    if secret:  # the link's token, back in the message only
        text = text.replace(SECRET_PLACEHOLDER, secret)
        html = html.replace(SECRET_PLACEHOLDER, str(escape(secret)))
    address = "".join(email.address.split())  # no whitespace, so no line break, in the header
    # An accented address goes as UTF-8 (the server's SMTPUTF8, see `deliver`).
    policy = SMTP if address.isascii() else SMTPUTF8
    message = EmailMessage(policy=policy)
    message.set_raw("From", _FROM)
    if address.isascii():
        message.set_raw("To", address)
    else:
        message["To"] = address
    subject = " ".join(email.subject.split())  # one line: no header can be injected
    if policy is SMTP:
        message.set_raw("Subject", _subject(subject))
    else:
        message["Subject"] = subject
    # One Message-ID per e-mail row: the rare resend after a crash (see the module docstring)
    # carries the same id, so receiving servers and clients can drop the copy.
    message.set_raw("Message-ID", f"<{email.id}@{MESSAGE_ID_DOMAIN}>")
    message.set_raw("Date", formatdate(localtime=False))
    message.set_raw("X-SPP-Email-Id", str(email.id))
    message.set_raw("X-SPP-Kind", str(email.kind))
    message.set_raw("MIME-Version", "1.0")
    message.set_raw("Content-Type", _ALTERNATIVE)
    message.attach(_part(text, "plain", policy))
    message.attach(_part(html, "html", policy))
    return message.as_bytes()


def deliver(client: smtplib.SMTP, address: str, message: bytes) -> None:
    """Hand one e-mail for one address to the server, or raise an SMTPException.

    smtplib resets the session after a refusal, so the connection can serve the next e-mail.
    An address with accents needs the server's SMTPUTF8; without it smtplib raises
    SMTPNotSupportedError before sending anything.
    """
    client.sendmail(FROM_ADDRESS, [address], message,
                    mail_options=() if address.isascii() else ("SMTPUTF8",))


def open_smtp(url: str, timeout: float = 10.0) -> smtplib.SMTP:
    cfg = domain.parse_smtp_url(url)
    if cfg.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(cfg.host, cfg.port, timeout=timeout)
        if cfg.starttls:
            client.starttls(context=ssl.create_default_context())
    if cfg.user:
        client.login(cfg.user, cfg.password or "")
    return client


# Each sender keeps its SMTP connection between its runs (every 0.1 s while mail flows) instead of
# opening one per run: the connection, greeting, EHLO and QUIT cost more than an e-mail. One
# idle longer than KEEP_SMTP_S is closed; servers drop idle clients after a few minutes.
KEEP_SMTP_S = 30.0
_KEPT: dict[tuple[int, int], tuple[str, smtplib.SMTP, float]] = {}  # share → url, client, last use


def _take_kept(share: tuple[int, int], url: str) -> smtplib.SMTP | None:
    """The share's connection kept by its last run, if recent and to the same server."""
    kept = _KEPT.pop(share, None)
    if kept is None:
        return None
    kept_url, client, used = kept
    if kept_url == url and time.monotonic() - used < KEEP_SMTP_S:
        return client
    _close(client)
    return None


def _keep(share: tuple[int, int], url: str, client: smtplib.SMTP | None) -> None:
    if client is not None:
        _KEPT[share] = (url, client, time.monotonic())


def _close_idle(share: tuple[int, int]) -> None:
    kept = _KEPT.get(share)
    if kept is not None and time.monotonic() - kept[2] >= KEEP_SMTP_S:
        _close(_KEPT.pop(share)[1])


def _deliver_on(client: smtplib.SMTP | None, kept: bool, settings: Settings,
                email) -> smtplib.SMTP:
    """Hand one e-mail over, on `client` or a new connection; returns the connection used, or
    raises with every connection it used closed.

    A kept connection that the server closed meanwhile (its idle timeout, a restart) fails on
    its first command and is replaced once: the server had not accepted the e-mail, so sending
    it again on the new connection sends it once."""
    message = build_message(email)
    if client is not None and kept:
        try:
            deliver(client, email.address, message)
            return client
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            _close(client)
            client = None
    if client is None:
        client = open_smtp(settings.smtp_url)
    try:
        deliver(client, email.address, message)
    except BaseException:
        _close(client)
        raise
    return client


def _options(settings: Settings) -> tuple[int | None, float, timedelta]:
    """(attempts before giving up, or None: no cap; the first retry's delay in seconds; how long
    an e-mail is tried at all). By default an e-mail is tried for five days, as mail servers do
    (a relay down over a weekend loses nothing); an operator may cap the attempts instead."""
    cap = settings.extra.get("email_max_attempts", os.environ.get("NOTIFIER_MAX_ATTEMPTS"))
    base = float(settings.extra.get("email_retry_base_s",
                                    os.environ.get("NOTIFIER_RETRY_BASE_S", "30")))
    hours = float(settings.extra.get("email_give_up_after_h",
                                     os.environ.get("NOTIFIER_GIVE_UP_AFTER_H", "120")))
    return (int(cap) if cap not in (None, "") else None), base, timedelta(hours=hours)


_DUE = (sa.select(_EMAILS.c.id)
        .where(_EMAILS.c.status == str(EmailStatus.QUEUED), _EMAILS.c.next_attempt_at <= sa.bindparam("at"),
               sa.func.substr(_EMAILS.c.id, 1, 1).in_(sa.bindparam("first_characters", expanding=True)))
        .order_by(_EMAILS.c.next_attempt_at, _EMAILS.c.created_at).limit(SEND_BATCH))


def id_share(sender: int, senders: int) -> tuple[str, ...]:
    """The first characters of the e-mail ids (UUIDs, lowercase hex) that sender k of n sends."""
    return tuple(c for i, c in enumerate("0123456789abcdef") if i % senders == sender)
_ONE = sa.select(_EMAILS).where(_EMAILS.c.id == sa.bindparam("email_id"),
                                _EMAILS.c.status == str(EmailStatus.QUEUED))
_ONE_LOCKED = _ONE.with_for_update(skip_locked=True)  # PostgreSQL: replicas skip it


# E-mails the SMTP server accepted whose `sent` mark could not be committed (the database went
# away in between), per sender share: id → when the server accepted it. Recorded before the
# sender of that share sends anything else; until then nothing is sent, so none goes twice.
_DELIVERED: dict[tuple[int, int], dict[str, datetime]] = {}

# Only a row still queued: the commit that seemed to fail may have been applied after all.
_MARK_DELIVERED = (sa.update(_EMAILS)
                   .where(_EMAILS.c.id == sa.bindparam("email_id"),
                          _EMAILS.c.status == str(EmailStatus.QUEUED))
                   .values(status=str(EmailStatus.SENT), attempts=_EMAILS.c.attempts + 1,
                           sent_at=sa.bindparam("at"), last_error=None, secret=None))


def _record_delivered(db: Database, share: tuple[int, int]) -> None:
    """Commit the `sent` marks that a lost connection left out; raises while the database is
    still away (the sender then sends nothing and tries again on its next run)."""
    delivered = _DELIVERED.get(share)
    if not delivered:
        return
    with db.engine.begin() as conn:
        conn.execute(_MARK_DELIVERED, [{"email_id": email_id, "at": at}
                                       for email_id, at in delivered.items()])
    log.info("recorded %d e-mail(s) sent before the database connection was lost",
             len(delivered))
    delivered.clear()


def send_pending(db: Database, settings: Settings, now: datetime | None = None,
                 share: tuple[int, int] = (0, 1)) -> int:
    """Send due queued e-mails until none is left (or SMTP fails); returns how many were sent.
    `share` (k, n): only those of sender k of n (see `id_share`)."""
    _record_delivered(db, share)
    _close_idle(share)
    sent = 0
    while True:
        batch_sent, more = _send_batch(db, settings, now, share)
        sent += batch_sent
        if not more:
            return sent


_MARK_FAILED = (sa.update(_EMAILS).where(_EMAILS.c.id == sa.bindparam("email_id"))
                .values(attempts=sa.bindparam("new_attempts"), last_error=sa.bindparam("error"),
                        status=sa.bindparam("new_status"), next_attempt_at=sa.bindparam("retry_at"),
                        secret=sa.bindparam("kept_secret")))
# Sent: the link's token is cleared in the same statement.
_MARK_SENT = (sa.update(_EMAILS).where(_EMAILS.c.id == sa.bindparam("email_id"))
              .values(status=str(EmailStatus.SENT), attempts=sa.bindparam("new_attempts"),
                      sent_at=sa.bindparam("at"), last_error=None, secret=None))


def _send_batch(db: Database, settings: Settings, now: datetime | None,
                share: tuple[int, int] = (0, 1)) -> tuple[int, bool]:
    """One batch of due e-mails, one row-locked transaction each: (sent, whether to go on).

    Core connections and statements built once, rather than an ORM session per e-mail.
    """
    at = now or now_utc()
    one = _ONE_LOCKED if is_postgres(db.engine) else _ONE
    # One connection for the batch, one transaction per e-mail on it (no pool checkout per e-mail).
    with db.engine.connect() as conn:
        due = conn.execute(_DUE, {"at": at, "first_characters": id_share(*share)}).scalars().all()
        # Not a rollback: psycopg forgets every prepared statement of the connection after one.
        conn.commit()
        if not due:
            return 0, False
        return _send_each(conn, settings, due, one, at, share)


def _send_each(conn: sa.Connection, settings: Settings, due: list[str], one: sa.Select,
               at: datetime, share: tuple[int, int] = (0, 1)) -> tuple[int, bool]:
    max_attempts, base, max_age = _options(settings)
    client = _take_kept(share, settings.smtp_url)
    kept = client is not None  # until its first e-mail: it may have been closed meanwhile
    sent = 0
    try:
        for email_id in due:
            accepted_at = None
            try:
                with conn.begin():
                    email = conn.execute(one, {"email_id": email_id}).first()
                    if email is None:
                        continue  # another sender took it
                    try:
                        client, kept = _deliver_on(client, kept, settings, email), False
                    # UnicodeError too: it escaped before, and the e-mail, first in line at
                    # every run, held back all those after it.
                    except (OSError, UnicodeError, smtplib.SMTPException) as exc:
                        _close(client)
                        client = None
                        attempts = email.attempts + 1
                        status = domain.after_failure(attempts, max_attempts,
                                                      at - email.created_at, max_age)
                        conn.execute(_MARK_FAILED, {
                            "email_id": email_id, "new_attempts": attempts,
                            "error": f"{type(exc).__name__}: {exc}"[:2000],
                            "new_status": str(status),
                            "retry_at": at + domain.retry_delay(attempts, base),
                            # Given up: the link will never be sent, its token goes.
                            "kept_secret": email.secret if status == EmailStatus.QUEUED else None})
                        # The id and the error's kind only: SMTP errors may quote the address,
                        # and logs carry no personal data (the full error stays on the row).
                        log.log(logging.ERROR if status == EmailStatus.FAILED else logging.WARNING,
                                "e-mail %s failed (attempt %d%s): %s %s", email.id, attempts,
                                ", given up" if status == EmailStatus.FAILED else "",
                                type(exc).__name__, getattr(exc, "smtp_code", ""))
                        return sent, False  # the server is likely down: the next run tries again
                    # Accepted by SMTP: record it now, in this same transaction.
                    accepted_at = now_utc()
                    conn.execute(_MARK_SENT, {"email_id": email_id,
                                              "new_attempts": email.attempts + 1,
                                              "at": accepted_at})
                    sent += 1
            except sa.exc.DBAPIError:
                # The database went away after the server had accepted the e-mail: its mark is
                # recorded before this sender sends anything else (`_DELIVERED`).
                if accepted_at is not None:
                    _DELIVERED.setdefault(share, {})[email_id] = accepted_at
                    log.warning("e-mail %s sent, its mark not committed: recorded once the "
                                "database answers", email_id)
                raise
    except BaseException:
        _close(client)
        raise
    _keep(share, settings.smtp_url, client)
    return sent, sent > 0 and len(due) == SEND_BATCH


def _close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


# Digests ---------------------------------------------------------------------------------------
def _period_label(frequency: str, start: datetime, end: datetime) -> str:
    s, e = start.astimezone(domain.PARIS), end.astimezone(domain.PARIS)
    return f"du {s:%d/%m/%Y} {s:%H:%M} au {e:%d/%m/%Y} {e:%H:%M}"


def _last_digest_end(recipient_id) -> sa.Select:
    """The end of the recipient's latest digest period, whatever its frequency (NULL: none)."""
    return sa.select(sa.func.max(DigestRun.period_end)).where(DigestRun.recipient_id == recipient_id)


def _digest_items(session: Session, recipient_id: str, since: datetime | None, end: datetime,
                  gateway: str) -> list[dict]:
    """What the recipient's digest up to `end` lists: its items since its previous digest
    (`since`; None: all), as the experiences' latest states leave them
    (`domain.current_items`), in the order things happened."""
    window = [DigestItem.recipient_id == recipient_id, DigestItem.created_at < end]
    if since is not None:
        window.append(DigestItem.created_at >= since)
    items = session.scalars(
        sa.select(DigestItem).where(*window)
        .order_by(DigestItem.occurred_at, DigestItem.id)).all()
    if not items:
        return []
    states = {e.id: domain.ExperienceState(e.structure_id, e.progress) for e in session.scalars(
        sa.select(Experience).where(Experience.id.in_({i.experience_id for i in items})))}
    structures = set(session.scalars(sa.select(RecipientStructure.structure_id)
                                     .where(RecipientStructure.recipient_id == recipient_id)))
    current = domain.current_items(
        [{"kind": i.kind, "experience_id": i.experience_id, "structure_id": i.structure_id,
          "title": i.title, "comment": i.comment} for i in items], states, structures)
    return [{**i, "link": domain.staff_link(gateway, i["kind"], i["experience_id"])}
            for i in current]


def _due_digests(session: Session, frequency: Frequency, start: datetime,
                 end: datetime) -> list[str]:
    """Who gets the digest of [start, end): the active users of that frequency who have not had
    it yet; with the daily one, those who went to immediate mail with items left from their
    digest days (nothing waits a digest that will never come)."""
    claimed = sa.select(DigestRun.recipient_id).where(DigestRun.frequency == str(frequency),
                                                      DigestRun.period_start == start)
    due = Recipient.notification_frequency == str(frequency)
    if frequency == Frequency.DAILY:
        last_end = _last_digest_end(Recipient.id).scalar_subquery()
        left = sa.exists().where(DigestItem.recipient_id == Recipient.id,
                                 DigestItem.created_at < end,
                                 sa.or_(last_end.is_(None), DigestItem.created_at >= last_end))
        due = sa.or_(due, sa.and_(Recipient.notification_frequency == str(Frequency.IMMEDIATE),
                                  left))
    return list(session.scalars(sa.select(Recipient.id).where(
        due, Recipient.active.is_(True), Recipient.id.not_in(claimed))))


def run_digests(db: Database, settings: Settings, now: datetime | None = None) -> int:
    """Queue the digest of the last completed period for each daily/weekly user; returns count.

    Each (frequency, period_start, recipient) is claimed by inserting a digest_runs row: the
    unique key lets exactly one worker win, and the digest e-mail is queued in that same
    transaction. A digest lists what came since the recipient's previous one, whatever its
    frequency then: a change of frequency, or a worker away for a while, loses nothing.
    """
    now = now or now_utc()
    queued = 0
    gateway = settings.gateway_url.rstrip("/")
    for frequency in (Frequency.DAILY, Frequency.WEEKLY):
        start, end = domain.digest_window(frequency, now)
        with db.transaction() as session:
            ids = _due_digests(session, frequency, start, end)
        for recipient_id in ids:
            try:
                with db.transaction() as session:
                    recipient = session.get(Recipient, recipient_id)
                    since = session.scalar(_last_digest_end(recipient_id))
                    since = None if since is None else clock.as_utc(since)
                    listed = _digest_items(session, recipient_id, since, end, gateway)
                    session.add(DigestRun(recipient_id=recipient_id, frequency=str(frequency),
                                          period_start=start, period_end=end, items=len(listed),
                                          ran_at=now_utc()))
                    session.flush()  # the claim: a competing worker fails here
                    if not listed:
                        continue
                    queue_email(
                        session, address=recipient.email, kind=EmailKind.DIGEST,
                        event_id=f"digest:{frequency}:{start:%Y%m%dT%H%MZ}",
                        recipient_id=recipient_id, window=(start, end), name=recipient.name,
                        count=len(listed),
                        period=_period_label(frequency, start if since is None else since, end),
                        headline=domain.digest_headline(listed),
                        sections=domain.digest_sections(listed),
                        link=domain.agent_link(gateway))
                    queued += 1
            except sa.exc.IntegrityError:
                continue  # another worker claimed this digest
    return queued
