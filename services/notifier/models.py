"""Notifier's own tables: replicas of recipients and structures, e-mails, digest bookkeeping."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import JSON, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.db import UTCDateTime, add_messaging_tables
from services.chassis.replica import Replicated
from services.chassis.revocation import add_revocation_table


class Base(DeclarativeBase):
    metadata = MetaData()


outbox, inbox = add_messaging_tables(Base.metadata)
revoked_users = add_revocation_table(Base.metadata)

Id = sa.String(36)
When = UTCDateTime()


class Recipient(Base):
    """A user as identity last described them (user.created|updated|deactivated)."""

    __tablename__ = "recipients"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320))
    name: Mapped[str] = mapped_column(sa.String(200))
    profile: Mapped[str] = mapped_column(sa.String(20))
    missions: Mapped[list] = mapped_column(JSON, default=list)
    structure_ids: Mapped[list] = mapped_column(JSON, default=list)
    notification_frequency: Mapped[str] = mapped_column(sa.String(20), index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean)
    # Invited, no password yet: work mails wait until the invitation is answered.
    activated: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    updated_at: Mapped[datetime] = mapped_column(When)


class RecipientStructure(Base):
    """recipients.structure_ids as rows, so 'agents of structure S' is an indexed lookup."""

    __tablename__ = "recipient_structures"
    structure_id: Mapped[str] = mapped_column(Id, primary_key=True)
    recipient_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("recipients.id",
                                                                ondelete="CASCADE"),
                                              primary_key=True)


class Structure(Replicated, Base):
    """The structure tree (structure.created|updated), for the super agents above a structure."""

    __tablename__ = "structures"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(Id, nullable=True, index=True)


class Email(Base):
    """One e-mail to send: handlers only insert `queued` rows; the sender job sends them."""

    __tablename__ = "emails"
    __table_args__ = (
        sa.UniqueConstraint("address", "event_id", "kind", name="uq_emails_address_event_kind"),
        sa.Index("ix_emails_due", "status", "next_attempt_at"),
        sa.Index("ix_emails_created", "created_at"),
    )
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    recipient_id: Mapped[str | None] = mapped_column(Id, nullable=True, index=True)
    address: Mapped[str] = mapped_column(sa.String(320))
    kind: Mapped[str] = mapped_column(sa.String(40))
    event_id: Mapped[str] = mapped_column(sa.String(80))  # an event id, or digest:<freq>:<start>
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    # A link's token, kept out of the bodies (they hold mailer.SECRET_PLACEHOLDER) and cleared
    # once the mail is sent or given up: no token stays in this table beyond sending.
    secret: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(10))
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(When)
    created_at: Mapped[datetime] = mapped_column(When)
    sent_at: Mapped[datetime | None] = mapped_column(When, nullable=True)
    period_start: Mapped[datetime | None] = mapped_column(When, nullable=True)
    period_end: Mapped[datetime | None] = mapped_column(When, nullable=True)


class DigestItem(Base):
    """A notice about an experience waiting for the digest of a user with a daily/weekly
    frequency (a new one to process, a response to validate, ...: `kind`)."""

    __tablename__ = "digest_items"
    __table_args__ = (
        sa.UniqueConstraint("recipient_id", "event_id", name="uq_digest_items_recipient_event"),
        sa.Index("ix_digest_items_recipient_created", "recipient_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    recipient_id: Mapped[str] = mapped_column(Id)
    event_id: Mapped[str] = mapped_column(Id)
    experience_id: Mapped[str] = mapped_column(Id)
    title: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(When)  # when the notifier handled the event
    # an EmailKind: what the immediate mail would have been
    kind: Mapped[str] = mapped_column(sa.String(40), default="experience_to_process",
                                      server_default="experience_to_process")
    # What the event said, for the digest to list only an experience's latest state: when it
    # happened, the structure the experience was at, moderation's explanation (a declined
    # re-orientation). Rows written before 0007: their handling time, no structure, no comment.
    occurred_at: Mapped[datetime] = mapped_column(When)
    structure_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    comment: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class Experience(Base):
    """An experience as its latest event left it (experience.published|reassigned|
    reorientation_declined|response_submitted|answered|evaluated): where it is, how far it went.
    A digest drops what this contradicts; an older event arriving late changes nothing."""

    __tablename__ = "experiences"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    structure_id: Mapped[str] = mapped_column(Id)
    progress: Mapped[str] = mapped_column(sa.String(20))  # a domain.Progress
    updated_at: Mapped[datetime] = mapped_column(When)  # the event's occurred_at


class DigestRun(Base):
    """A digest claimed by one worker: the unique key makes every other worker skip it."""

    __tablename__ = "digest_runs"
    __table_args__ = (
        # One digest of each frequency a period: a daily and a weekly one may start together.
        sa.UniqueConstraint("frequency", "period_start", "recipient_id",
                            name="uq_digest_runs_frequency_period_recipient"),
        # Where the recipient's previous digest ended: the next one lists what came since.
        sa.Index("ix_digest_runs_recipient_end", "recipient_id", "period_end"),
    )
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    recipient_id: Mapped[str] = mapped_column(Id)
    frequency: Mapped[str] = mapped_column(sa.String(20))
    period_start: Mapped[datetime] = mapped_column(When)
    period_end: Mapped[datetime] = mapped_column(When)
    items: Mapped[int] = mapped_column(sa.Integer)
    ran_at: Mapped[datetime] = mapped_column(When)
