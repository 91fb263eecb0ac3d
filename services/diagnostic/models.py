"""Diagnostic's own tables: a replica of identity's structures, diagnostics, answers, notes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis import clock
from services.chassis.db import UTCDateTime, add_messaging_tables, new_id
from services.chassis.replica import Replicated
from services.chassis.revocation import add_revocation_table
from services.diagnostic.domain import DiagnosticStatus


class Base(DeclarativeBase):
    metadata = MetaData()


outbox, inbox = add_messaging_tables(Base.metadata)
revoked_users = add_revocation_table(Base.metadata)



class Structure(Replicated, Base):
    """Replica of identity's structures (structure.created / structure.updated)."""

    __tablename__ = "structures"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    network_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    parent_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    # identity's contact channels of the structure: a new diagnostic starts with them
    channels: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Diagnostic(Base):
    __tablename__ = "diagnostics"
    __table_args__ = (
        sa.Index("ix_diagnostics_structure_completed", "structure_id", "status", "completed_at"),
        sa.Index("ix_diagnostics_network_version", "network_id", "questionnaire_version",
                 "status"),
        # one draft at a time per structure: the team resumes it rather than starting over
        sa.Index("uq_diagnostics_one_draft", "structure_id", unique=True,
                 postgresql_where=sa.text("status = 'draft'"),
                 sqlite_where=sa.text("status = 'draft'")),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    structure_id: Mapped[str] = mapped_column(sa.String(64))
    network_id: Mapped[str] = mapped_column(sa.String(64))
    questionnaire_version: Mapped[str] = mapped_column(sa.String(64))
    channels: Mapped[list] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default=DiagnosticStatus.DRAFT.value)
    started_by: Mapped[str] = mapped_column(sa.String(64))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=clock.now)
    completed_by: Mapped[str | None] = mapped_column(sa.String(64))
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    results: Mapped[dict | None] = mapped_column(sa.JSON)


class Answer(Base):
    """One answer per item (question, channel) of a diagnostic."""

    __tablename__ = "answers"

    diagnostic_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("diagnostics.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    answer: Mapped[str] = mapped_column(sa.String(32))
    updated_by: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Note(Base):
    """The team's note on one commitment of a diagnostic."""

    __tablename__ = "notes"

    diagnostic_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("diagnostics.id", ondelete="CASCADE"), primary_key=True)
    commitment: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    text: Mapped[str] = mapped_column(sa.Text)
    updated_by: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=clock.now)
