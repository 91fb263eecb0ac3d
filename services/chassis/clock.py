"""The one clock of the platform: aware UTC, so that SQLite and PostgreSQL read back the same."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A moment read from a database that dropped its offset (SQLite) is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
