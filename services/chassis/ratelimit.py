"""A fixed-window rate limit kept in the service's database, so every worker and replica shares it."""

from __future__ import annotations

import random
import re
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.chassis.errors import ApiError

_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def add_rate_limit_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "rate_limits",
        metadata,
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("window_start", sa.BigInteger, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )


_table = sa.table("rate_limits", sa.column("key"), sa.column("window_start"), sa.column("count"))
# Plain SQL that PostgreSQL and SQLite (≥ 3.35) both run; SQLAlchemy would recompile its SQLite
# upsert on every request (it has no cache key).
_UPSERT = sa.text(
    "INSERT INTO rate_limits (key, window_start, count) VALUES (:key, :window_start, 1) "
    "ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1 "
    "RETURNING count")


def parse_limit(spec: str) -> tuple[int, int]:
    """'10/minute' -> (10, 60)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*", spec or "")
    if not match:
        raise ValueError(f"rate limit {spec!r} is not like '10/minute'")
    count, mult, unit = match.groups()
    return int(count), int(mult or 1) * _PERIODS[unit]


def hit(session: Session | sa.Connection, key: str, spec: str, commit: bool = True) -> None:
    """Count one request for `key`; raises a 429 ApiError past the limit. Commits on its own
    unless `commit` is false: then the count goes with the caller's transaction (one commit
    instead of two), and a refused request, rolled back, does not count."""
    limit, period = parse_limit(spec)
    now = time.time()
    window = int(now // period) * period
    count = session.execute(_UPSERT, {"key": key, "window_start": window}).scalar_one()
    if random.random() < 0.01:
        session.execute(sa.delete(_table).where(_table.c.window_start < window - period))
    if commit:
        session.commit()
    if count > limit:
        retry_after = int(window + period - now) + 1
        error = ApiError(429, "rate_limited",
                         f"Trop de requêtes : réessayez dans {retry_after} secondes.")
        error.retry_after = retry_after
        raise error
