"""JSON logs, one object a line, with the service and the correlation id."""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime

from services.chassis.context import get_correlation_id

# Kept as they are by ensure_ascii=False, yet a line separator to some readers (U+2028, U+2029)
# or not encodable at all (a lone surrogate): a line with one is written all in ASCII escapes.
_NOT_AS_IS = re.compile("[\u2028\u2029\ud800-\udfff]")


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": get_correlation_id(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        line = json.dumps(entry, ensure_ascii=False)
        return json.dumps(entry) if _NOT_AS_IS.search(line) else line


def configure_logging(service: str, level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in ("pika", "amqp", "kombu", "urllib3", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_safe(exc: BaseException) -> str:
    """An exception for the logs: its type and first line only. Database errors go on with the
    offending row's values (DETAIL, [parameters: …]), which may be personal data."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:300] if lines else ''}"


def log_unhandled(log: logging.Logger, exc: BaseException) -> None:
    """An error no handler expected: its summary and where it was raised, never the rest of its
    message (log.exception would print a UniqueViolation's row, e-mail address included)."""
    log.error("unhandled error: %s\n%s", log_safe(exc),
              "".join(traceback.format_tb(exc.__traceback__)).rstrip())
