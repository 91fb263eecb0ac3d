"""Experiences's own tables: experiences, the replica of identity's tree, moves, improvement actions."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis import clock
from services.chassis.db import UTCDateTime, add_messaging_tables, new_id
from services.chassis.ratelimit import add_rate_limit_table
from services.chassis.replica import Replicated
from services.chassis.revocation import add_revocation_table


class Base(DeclarativeBase):
    metadata = MetaData()


outbox, inbox = add_messaging_tables(Base.metadata)
revoked_users = add_revocation_table(Base.metadata)
rate_limits = add_rate_limit_table(Base.metadata)



Id = sa.String(64)  # ids from identity are opaque strings


class Network(Replicated, Base):
    """Replica of identity's networks (network.created / network.updated)."""

    __tablename__ = "networks"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(50), default="")
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    requires_validation: Mapped[bool] = mapped_column(default=True)
    target_delay_days: Mapped[int] = mapped_column(default=15)


class Structure(Replicated, Base):
    """Replica of identity's structures (structure.created / structure.updated)."""

    __tablename__ = "structures"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    network_id: Mapped[str] = mapped_column(Id, index=True)
    parent_id: Mapped[str | None] = mapped_column(Id, index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    postal_code: Mapped[str | None] = mapped_column(sa.String(10))
    city: Mapped[str | None] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())


class Experience(Base):
    __tablename__ = "experiences"
    __table_args__ = (
        sa.Index("ix_experiences_structure_status", "structure_id", "status", "published_at"),
        sa.Index("ix_experiences_network_status", "network_id", "status", "published_at"),
        sa.Index("ix_experiences_status_published", "status", "published_at"),
    )
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(sa.String(30))
    # title, structure_hint and author_name hold what the usager wrote until moderation
    # approves; from then on they hold the moderated text, and the usager's own words move to
    # the submitted_* columns, never shown: whatever reads them after publication is safe.
    title: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)  # as written: moderation's copy, never public
    published_body: Mapped[str | None] = mapped_column(sa.Text)
    # What a list's text search reads (migration 0008): never loaded with the row.
    search_text: Mapped[str | None] = mapped_column(
        sa.Text, sa.Computed("lower(title || '\x1f' || coalesce(published_body, ''))"),
        deferred=True)
    edited: Mapped[bool] = mapped_column(default=False)
    structure_hint: Mapped[str] = mapped_column(sa.Text)
    postal_code: Mapped[str] = mapped_column(sa.String(5), index=True)
    channel: Mapped[str] = mapped_column(sa.String(20))
    occurred_on: Mapped[date]
    feeling: Mapped[str] = mapped_column(sa.String(20))
    author_name: Mapped[str] = mapped_column(sa.Text)
    author_email: Mapped[str] = mapped_column(sa.String(254))  # private: only for the notifier
    submitted_title: Mapped[str | None] = mapped_column(sa.Text)
    submitted_structure_hint: Mapped[str | None] = mapped_column(sa.Text)
    submitted_author_name: Mapped[str | None] = mapped_column(sa.Text)
    structure_id: Mapped[str | None] = mapped_column(Id)
    network_id: Mapped[str | None] = mapped_column(Id)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(sa.String(30))
    rejection_comment: Mapped[str | None] = mapped_column(sa.Text)
    # the response (one per experience)
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    response_closing: Mapped[str | None] = mapped_column(sa.String(500))
    response_signature: Mapped[str | None] = mapped_column(sa.String(200))
    response_drafted_by: Mapped[str | None] = mapped_column(Id)
    response_submitted_by: Mapped[str | None] = mapped_column(Id)
    response_validated_by: Mapped[str | None] = mapped_column(Id)
    response_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # set by agents: [{tag, feeling}], [label], [{channel, feeling}], « amélioration à considérer »
    general_tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    business_tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    channel_feelings: Mapped[list] = mapped_column(sa.JSON, default=list)
    improvement_to_consider: Mapped[bool] = mapped_column(default=False)
    # re-orientation request pending with moderation
    reorientation_reason: Mapped[str | None] = mapped_column(sa.Text)
    # the author's evaluation (single-use link: only the hash is kept)
    evaluation_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evaluation_useful: Mapped[bool | None]
    evaluation_feeling_after: Mapped[str | None] = mapped_column(sa.String(20))
    evaluation_comment: Mapped[str | None] = mapped_column(sa.Text)

    def drop_draft(self) -> None:
        """A moved experience starts afresh: the previous structure's draft is not the new one's."""
        self.response_body = self.response_closing = self.response_signature = None
        self.response_drafted_by = self.response_submitted_by = None
        self.response_updated_at = None


class ExperienceMove(Base):
    """Audit trail of every change of structure."""

    __tablename__ = "experience_moves"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    experience_id: Mapped[str] = mapped_column(sa.ForeignKey("experiences.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    from_structure_id: Mapped[str | None] = mapped_column(Id)
    to_structure_id: Mapped[str] = mapped_column(Id)
    by_user_id: Mapped[str | None] = mapped_column(Id)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Comment(Base):
    """Internal comment: visible to moderators and the structures concerned, never public."""

    __tablename__ = "experience_comments"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    experience_id: Mapped[str] = mapped_column(sa.ForeignKey("experiences.id"), index=True)
    author_id: Mapped[str] = mapped_column(Id)
    author_name: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # The experience's network when written: after a reroute to another network, the new one
    # does not read what the previous administration wrote (None: before this was kept).
    network_id: Mapped[str | None] = mapped_column(Id, nullable=True)


improvement_action_experiences = sa.Table(
    "improvement_action_experiences",
    Base.metadata,
    sa.Column("action_id", sa.ForeignKey("improvement_actions.id"), primary_key=True),
    sa.Column("experience_id", sa.ForeignKey("experiences.id"), primary_key=True, index=True),
)


class ImprovementAction(Base):
    __tablename__ = "improvement_actions"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(sa.String(150))
    description: Mapped[str] = mapped_column(sa.Text)
    date: Mapped[date]
    structure_id: Mapped[str] = mapped_column(Id, index=True)
    created_by: Mapped[str | None] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
