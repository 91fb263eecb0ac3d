"""Moderation's own tables: the replica of identity's networks and structures, cases, decisions."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis.db import UTCDateTime, add_messaging_tables
from services.chassis.replica import Replicated
from services.chassis.revocation import add_revocation_table


class Base(DeclarativeBase):
    metadata = MetaData()


outbox, inbox = add_messaging_tables(Base.metadata)
revoked_users = add_revocation_table(Base.metadata)

Timestamp = UTCDateTime()


class Network(Replicated, Base):
    """Replica of identity's networks (network.created / network.updated)."""

    __tablename__ = "networks"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(80))
    name: Mapped[str] = mapped_column(sa.String(200))


class Structure(Replicated, Base):
    """Replica of identity's structures (structure.created / structure.updated)."""

    __tablename__ = "structures"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    network_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    parent_id: Mapped[str | None] = mapped_column(sa.String(36))
    name: Mapped[str] = mapped_column(sa.String(300))
    postal_code: Mapped[str | None] = mapped_column(sa.String(10), index=True)
    city: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class Case(Base):
    """One thing a moderator decides: a submitted experience, or a re-orientation request."""

    __tablename__ = "cases"
    __table_args__ = (
        # A submitted experience makes one case, whatever the number of deliveries.
        sa.Index("uq_cases_submission_experience", "experience_id", unique=True,
                 postgresql_where=sa.text("kind = 'submission'"),
                 sqlite_where=sa.text("kind = 'submission'")),
        sa.Index("ix_cases_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    experience_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)
    structure_hint: Mapped[str] = mapped_column(sa.Text, default="")
    postal_code: Mapped[str] = mapped_column(sa.String(10), default="")
    author_name: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    channel: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    occurred_on: Mapped[date | None] = mapped_column(sa.Date)
    feeling: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    flags: Mapped[list] = mapped_column(sa.JSON, default=list)  # the body's
    redacted_body: Mapped[str] = mapped_column(sa.Text)
    # {field: flags} for title, author_name and structure_hint; None on cases opened before
    # every field was screened.
    field_flags: Mapped[dict | None] = mapped_column(sa.JSON)
    # re-orientation: where the experience is now and why the structure asks to move it
    current_structure_id: Mapped[str | None] = mapped_column(sa.String(36))
    current_network_id: Mapped[str | None] = mapped_column(sa.String(36))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    requested_by: Mapped[str | None] = mapped_column(sa.String(36))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(36))
    claimed_until: Mapped[datetime | None] = mapped_column(Timestamp)
    decided_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Decision(Base):
    """The audit: who decided what on which case, and when."""

    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.String(36), sa.ForeignKey("cases.id"), index=True)
    moderator_id: Mapped[str] = mapped_column(sa.String(36))
    action: Mapped[str] = mapped_column(sa.String(20))
    structure_id: Mapped[str | None] = mapped_column(sa.String(36))
    network_id: Mapped[str | None] = mapped_column(sa.String(36))
    reason: Mapped[str | None] = mapped_column(sa.String(40))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    published_body: Mapped[str | None] = mapped_column(sa.Text)
    edited: Mapped[bool | None] = mapped_column(sa.Boolean)
    # An approval's texts as published ({field: text}) and what the moderator changed from the
    # default masks ({field: {unmasked, added, text_edited}}): spans only, never the original.
    published: Mapped[dict | None] = mapped_column(sa.JSON)
    changes: Mapped[dict | None] = mapped_column(sa.JSON)
    decided_at: Mapped[datetime] = mapped_column(Timestamp)
