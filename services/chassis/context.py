"""The correlation id carried from an HTTP request through the events it causes."""

from __future__ import annotations

import contextvars
import uuid

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None)


def get_correlation_id() -> str | None:
    return _correlation_id.get()


def set_correlation_id(value: str | None) -> contextvars.Token:
    return _correlation_id.set(value or str(uuid.uuid4()))


def reset_correlation_id(token: contextvars.Token) -> None:
    _correlation_id.reset(token)
