"""The list envelope of the contract, filled from one select: {"items", "total", "page", "per_page"}."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session


def count(session: Session, query: sa.Select) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(
        query.order_by(None).subquery())) or 0


def page_of(session: Session, query: sa.Select, page: int, per_page: int, *,
            rows: bool = False) -> dict:
    """One page of `query` (ORM entities by default, rows with `rows=True`) and the total."""
    limited = query.limit(per_page).offset((page - 1) * per_page)
    items = session.execute(limited).all() if rows else session.scalars(limited).all()
    return {"items": list(items), "total": count(session, query), "page": page,
            "per_page": per_page}


def envelope(items: list, total: int, page: int, per_page: int) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page}
