"""Identity's own tables."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.chassis import clock
from services.chassis.db import UTCDateTime, add_messaging_tables, new_id
from services.chassis.ratelimit import add_rate_limit_table


class Base(DeclarativeBase):
    metadata = MetaData()


outbox, inbox = add_messaging_tables(Base.metadata)
rate_limits = add_rate_limit_table(Base.metadata)



class SigningKey(Base):
    """A public signing key, published in the JWKS while it signs and a while after.

    The private key is never here: see services/identity/keys.py.
    """

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    public_jwk: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)


class Network(Base):
    __tablename__ = "networks"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(sa.String(50), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    requires_validation: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    target_delay_days: Mapped[int] = mapped_column(sa.Integer, default=15)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Structure(Base):
    __tablename__ = "structures"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    network_id: Mapped[str] = mapped_column(sa.ForeignKey("networks.id"), index=True)
    parent_id: Mapped[str | None] = mapped_column(sa.ForeignKey("structures.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    postal_code: Mapped[str | None] = mapped_column(sa.String(10), index=True)
    city: Mapped[str | None] = mapped_column(sa.String(120))
    channels: Mapped[list] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    profile: Mapped[str] = mapped_column(sa.String(20))
    missions: Mapped[list] = mapped_column(sa.JSON, default=list)
    network_id: Mapped[str | None] = mapped_column(sa.ForeignKey("networks.id"), index=True)
    structure_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    notification_frequency: Mapped[str] = mapped_column(sa.String(20), default="immediate")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class UserLink(Base):
    """A single-use invitation or password-reset token, kept hashed."""

    __tablename__ = "user_links"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginSession(Base):
    """A signed-in session; its id is the `sid` of every access token issued in it.

    Idle sessions end after `SESSION_IDLE`, every session after `SESSION_MAX`; logging out, a
    new password, deactivation, fewer rights and a refresh token used twice end them at once.
    """

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_reason: Mapped[str | None] = mapped_column(sa.String(30))


class RefreshToken(Base):
    """One refresh token of a session (hashed). Each use replaces it with a new one; a replaced
    token used again after `REFRESH_GRACE` ends the whole session."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(sa.ForeignKey("login_sessions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAddress(Base):
    """An address (hashed) this account signed in from: past the account-wide failure limit,
    those addresses still get in, so failing someone's password does not lock them out."""

    __tablename__ = "login_addresses"

    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    address_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    last_success_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)


class ResetRequest(Base):
    """A « mot de passe oublié » request, kept until the worker handles it (a second or so):
    the answer then costs the same whether the address has an account or not."""

    __tablename__ = "reset_requests"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(sa.String(254))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
