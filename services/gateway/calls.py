"""A page's calls to the services, and what the page says when one is refused.

`calling()` wraps the calls of a form or of an action button: a refusal, or a service that does
not answer, ends the block and is kept in the outcome, split into the errors next to the form's
fields and the messages of the summary. The statuses the app's error handlers answer go on to
them: a 401 (the session expired) to the login page, and whatever the page lists in `raising`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import flash, redirect

from services.gateway.clients import ServiceError, Unavailable
from services.gateway.presenters import first_error_messages, renamed

Errors = dict[str, list[str]]
Split = Callable[[ServiceError], tuple[Errors, list[str]]]


def split_errors(exc: ServiceError, fields: Collection[str] | None = None, *,
                 rename: dict[str, str] | None = None, keep_all: bool = False,
                 lead: Collection[int] = ()) -> tuple[Errors, list[str]]:
    """(errors next to the form's `fields`, messages for the summary) from a refusal.

    Errors of the fields the form has not (all are shown when `fields` is None) go to the
    summary; with `keep_all` they stay in the errors too. The message is the summary when no
    field says anything; for a status of `lead`, it comes first unless a field says it already.
    `rename` gives the form's names of the API's fields."""
    errors = renamed(exc.errors, rename)
    if fields is None:
        shown, others = errors, []
    else:
        fields = tuple(fields) + tuple((rename or {}).values())
        shown = errors if keep_all else {k: v for k, v in errors.items() if k in fields}
        others = first_error_messages(errors, fields)
    if exc.status in lead and exc.message not in [m for msgs in shown.values() for m in msgs]:
        others = [exc.message] + others
    return shown, others or ([] if shown else [exc.message])


@dataclass
class Outcome:
    """What the calls of a `calling()` block came to: nothing to say when they all worked."""

    error: ServiceError | None = None
    errors: Errors = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def unavailable(self) -> bool:
        return isinstance(self.error, Unavailable)

    def refused(self, statuses: Collection[int]) -> bool:
        return self.error is not None and self.error.status in statuses

    def flash_redirect(self, target: str, done: str):
        """An action button's answer: `done` flashed when the call worked, else why it was
        refused; then to `target`. A service that does not answer has its error page: the
        button has no form to say it on."""
        if self.unavailable:
            raise self.error
        if self.failed:
            return redirect_with(" ".join(self.general), target, "error")
        return redirect_with(done, target)


@contextmanager
def calling(fields: Collection[str] | None = None, *, split: Split | None = None,
            raising: Collection[int] = (401,), only: Collection[int] | None = None,
            **options) -> Iterator[Outcome]:
    """Make the block's calls; a refusal ends the block and is split for the form by `split`,
    else by `split_errors(exc, fields, **options)`; an unavailable service is its message.
    A status in `raising` is not caught; with `only`, no status but those is."""
    outcome = Outcome()
    try:
        yield outcome
    except ServiceError as exc:
        if exc.status in raising or (only is not None and exc.status not in only):
            raise
        outcome.error = exc
        if isinstance(exc, Unavailable):
            outcome.general = [exc.message]
        else:
            outcome.errors, outcome.general = (split(exc) if split is not None
                                               else split_errors(exc, fields, **options))


def redirect_with(message: str, target: str, category: str = "success"):
    """Flash `message`, then go to `target`."""
    flash(message, category)
    return redirect(target)
