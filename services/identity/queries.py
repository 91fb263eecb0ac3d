"""Identity's data access for the networks, structures and users lists, through the caller's
Session (the sessions, links and login addresses stay beside their rules in service.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.chassis import replica
from services.chassis.db import LIKE_ESCAPE, contains_pattern
from services.identity.models import Network, Structure, User


def networks() -> sa.Select:
    return sa.select(Network).order_by(Network.code)


def _like(column, pattern: str):
    return column.like(pattern, escape=LIKE_ESCAPE)


def structures(*, network_id: str | None = None, parent_id: str | None = None,
               q: str | None = None) -> sa.Select:
    """Structures by name, narrowed by network, parent, or a text in their name, postal code or
    city."""
    query = sa.select(Structure).order_by(Structure.name, Structure.id)
    if network_id:
        query = query.where(Structure.network_id == network_id)
    if parent_id:
        query = query.where(Structure.parent_id == parent_id)
    if q:
        like = contains_pattern(q.strip().lower())
        query = query.where(sa.or_(_like(sa.func.lower(Structure.name), like),
                                   _like(Structure.postal_code, like),
                                   _like(sa.func.lower(Structure.city), like)))
    return query


def users(*, profile: str | None = None, q: str | None = None) -> sa.Select:
    """Users by e-mail, narrowed by profile, or a text in their e-mail or name."""
    query = sa.select(User).order_by(User.email)
    if profile:
        query = query.where(User.profile == profile)
    if q:
        like = contains_pattern(q.strip().lower())
        query = query.where(sa.or_(_like(User.email, like), _like(sa.func.lower(User.name), like)))
    return query


def ancestors(session: Session, structure_id: str) -> list[str]:
    """The structure and those above it, nearest first, however deep: stops at a cycle."""
    return replica.ancestor_ids(session, Structure, structure_id, max_depth=None)


def active_children(session: Session, structure_id: str) -> list[str]:
    """The names of the structure's active children, by name."""
    return list(session.scalars(
        sa.select(Structure.name).where(Structure.parent_id == structure_id,
                                        Structure.active.is_(True))
        .order_by(Structure.name)))


def networks_of(session: Session, structure_ids: list[str]) -> dict[str, str]:
    """{structure id: its network id} for those that exist."""
    return dict(session.execute(sa.select(Structure.id, Structure.network_id)
                                .where(Structure.id.in_(structure_ids))).all())
