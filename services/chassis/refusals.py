"""The refusals of the domain rules, with the HTTP status each one means: free of Flask and
SQLAlchemy, so that every service's domain.py stays pure while raising them."""

from __future__ import annotations


class DomainError(Exception):
    """A domain rule refused. Services raise a subclass (or their own subclasses of those);
    services.chassis.errors turns it into the contract's error shape, in one place.
    `field` names the field at fault; `details` add fields to the answer's `errors`, one
    message each; `listed` adds fields whose messages are already a list (or a mapping)."""

    status = 422
    code = "validation_error"
    # A refusal that always says the same declares it here, not in an __init__ of its own.
    message = ""
    field: str | None = None
    details: dict[str, str] = {}

    def __init__(self, message: str | None = None, field: str | None = None, *,
                 listed: dict | None = None, **details):
        self.message = message or self.message
        super().__init__(self.message)
        self.field = field or self.field
        self.details = self.details | details
        self.listed = listed or {}

    def answer_errors(self) -> dict:
        found = {self.field: [self.message]} if self.field else {}
        return found | {key: [value] for key, value in self.details.items()} | self.listed


class Invalid(DomainError):
    status, code = 422, "validation_error"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class Gone(DomainError):
    status, code = 410, "gone"
