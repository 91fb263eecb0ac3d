"""The screening tests' readings of `screen`: (kind, text) of each flag, or the kinds flagged."""

from __future__ import annotations

from services.moderation.screening import screen


def spans(text: str, use_model: bool = True) -> list[tuple[str, str]]:
    return [(str(f.kind), text[f.start : f.end]) for f in screen(text, use_model=use_model)]


def rules(text: str) -> list[tuple[str, str]]:
    """The flags the rules find, without the name model."""
    return spans(text, use_model=False)


def kinds(text: str) -> set[str]:
    return {kind for kind, _ in rules(text)}


def of_kind(text: str, kind: str) -> list[str]:
    """The texts the rules flag as `kind`, in order."""
    return [s for k, s in rules(text) if k == kind]


def in_field(text: str, field: str, kind: str = "person_name") -> list[str]:
    """The texts flagged as `kind`, with the model, when `text` is typed in the form's `field`."""
    return [text[f.start : f.end] for f in screen(text, field=field) if f.kind == kind]
