"""The list envelope of the contract, filled from one select: {"items", "total", "page", "per_page"}."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session


def count(session: Session, query: sa.Select, cap: int | None = None) -> int:
    """The rows of `query`; with `cap`, counting stops past it (cap + 1 means « more »)."""
    query = query.order_by(None)
    if cap is not None:
        query = query.limit(cap + 1)
    return session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def total_of(page: int, per_page: int, found: int, count_rows: Callable[[], int],
             cap: int | None = None) -> tuple[int, bool]:
    """The list's total and whether it was capped. A page that is not full ends the list: its
    total needs no count (most lists fit in one page). `count_rows` counts up to cap + 1."""
    if found < per_page and (found or page == 1):
        return (page - 1) * per_page + found, False
    total = count_rows()
    if cap is not None and total > cap:
        return cap, True
    return total, False


def page_of(session: Session, query: sa.Select, page: int, per_page: int, *,
            rows: bool = False, cap: int | None = None) -> dict:
    """One page of `query` (ORM entities by default, rows with `rows=True`) and the total."""
    limited = query.limit(per_page).offset((page - 1) * per_page)
    items = list(session.execute(limited).all() if rows else session.scalars(limited).all())
    total = total_of(page, per_page, len(items), lambda: count(session, query, cap), cap)
    return envelope(items, *total, page, per_page)


def envelope(items: list, total: int, capped: bool, page: int, per_page: int) -> dict:
    found = {"items": items, "total": total, "page": page, "per_page": per_page}
    if capped:
        found["total_capped"] = True
    return found
