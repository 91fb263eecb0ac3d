"""The correlation id carried from an HTTP request through the events it causes."""

from __future__ import annotations

import contextvars
import re
import uuid

CORRELATION_HEADER = "X-Correlation-ID"
# What a correlation id may be: short and plain, so that it fits an AMQP property (255 bytes at
# most) and never carries a line break or a quote into a log line.
CORRELATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/@-]{0,127}")

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None)


def valid_correlation_id(value: object) -> bool:
    return isinstance(value, str) and CORRELATION_ID.fullmatch(value) is not None


def get_correlation_id() -> str | None:
    return _correlation_id.get()


def set_correlation_id(value: str | None) -> contextvars.Token:
    """Use `value` when it is a valid id, else a fresh one (an event from an older producer may
    carry anything)."""
    return _correlation_id.set(value if valid_correlation_id(value) else str(uuid.uuid4()))


def reset_correlation_id(token: contextvars.Token) -> None:
    _correlation_id.reset(token)
