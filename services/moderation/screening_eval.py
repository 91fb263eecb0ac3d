"""Scoring of the screening against a labelled corpus (tests/unit/moderation/corpus/).

Shared by the unit tests and bench/screening_report.py, so that both read the same figures.
The corpus format is LABELS.md's: a YAML list of {field, text, expect: [[kind, substring]]};
the old labelled set, a mapping of batches to such lists, loads too.

Matching, as the rulebook sets it:
- an expected span is found when flags of its kind together cover every letter and digit of
  it; for `person_name` the title (« Madame », « M. ») may be left uncovered; for `insult`,
  `threat` and `vulgarity` an overlap is enough;
- a flag is correct when it overlaps an expected span of its kind;
- each text is screened as the form's field it was written in (its entry's `field`, the
  writers' words mapped to the form's: « author » is `author_name`, « place » is
  `structure_hint`) when the screener takes a `field` argument;
- a leak is an expected span of a masking kind (all but the advisory ones) with a letter or
  digit that no masking flag of any kind covers: what the public would read.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from services.moderation.screening import (
    ADVISORY_KINDS,
    FLAG_KINDS,
    Flag,
    FlagKind,
    default_masks,
    screen,
)

OVERLAP_KINDS = frozenset({"insult", "threat", "vulgarity"})
MASKING_KINDS = frozenset(k for k in FLAG_KINDS if FlagKind(k) not in ADVISORY_KINDS)
_TITLE_RE = re.compile(
    r"(?i:monsieur|madame|mademoiselle|docteur|docteure|ma[iî]tre|professeur|professeure"
    r"|mmes?|mlle|melle|mr|mrs|dr|pr|me|m)\.?\s+"
)


# The writers' words for the form's fields (LABELS.md leaves them free): the moderation service
# screens each field under the form's name, and the author's name has rules of its own.
FORM_FIELDS = {"author": "author_name", "pseudonym": "author_name", "place": "structure_hint",
               "service": "structure_hint"}


@dataclass(frozen=True)
class Entry:
    text: str
    expected: tuple[tuple[str, str], ...]  # (kind, exact substring)
    field: str = "body"
    source: str = ""


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int

    def text(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass
class Counts:
    expected: int = 0
    found: int = 0
    flagged: int = 0
    correct: int = 0

    @property
    def precision(self) -> float | None:
        return self.correct / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.found / self.expected if self.expected else None

    def add(self, other: Counts) -> None:
        self.expected += other.expected
        self.found += other.found
        self.flagged += other.flagged
        self.correct += other.correct


@dataclass
class Report:
    entries: int
    negatives: int
    per_kind: dict[str, Counts]
    overall: Counts = field(default_factory=Counts)
    leaks: list[tuple[str, str, str]] = field(default_factory=list)  # kind, span, text
    missed: list[tuple[str, str, str]] = field(default_factory=list)
    false_flags: list[tuple[str, str, str]] = field(default_factory=list)
    masking_expected: int = 0


def load_corpus(path: Path) -> list[Entry]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or []
    items = raw if isinstance(raw, list) else [i for batch in raw.values() for i in batch or []]
    return [
        Entry(
            text=str(item["text"]),
            expected=tuple((str(k), str(s)) for k, s in item.get("expect") or []),
            field=FORM_FIELDS.get(str(item.get("field", "body")), str(item.get("field", "body"))),
            source=str(item.get("source", "")),
        )
        for item in items
    ]


def locate(entry: Entry) -> list[Span]:
    """Offsets of the expected spans: the n-th label of a substring is its n-th occurrence,
    occurrences that start or end inside a word coming last (« con » in « conseiller »)."""
    spans: list[Span] = []
    seen: dict[tuple[str, str], int] = {}
    for kind, substring in entry.expected:
        occurrences = _occurrences(entry.text, substring)
        if not occurrences:
            raise ValueError(f"{substring!r} is not in {entry.text!r}")
        n = seen.get((kind, substring), 0)
        seen[(kind, substring)] = n + 1
        start = occurrences[min(n, len(occurrences) - 1)]
        spans.append(Span(kind, start, start + len(substring)))
    return spans


def _occurrences(text: str, substring: str) -> list[int]:
    starts = [m.start() for m in re.finditer(re.escape(substring), text)]

    def inside_word(start: int) -> bool:
        end = start + len(substring)
        return (start > 0 and text[start - 1].isalnum() and substring[0].isalnum()) or (
            end < len(text) and text[end].isalnum() and substring[-1].isalnum()
        )

    return [s for s in starts if not inside_word(s)] + [s for s in starts if inside_word(s)]


def _required(text: str, span: Span) -> set[int]:
    """Offsets of the letters and digits that must be covered."""
    start = span.start
    if span.kind == "person_name":
        title = _TITLE_RE.match(text, start, span.end)
        if title and title.end() < span.end:
            start = title.end()
    return {i for i in range(start, span.end) if text[i].isalnum()}


def _covered(flags: Iterable[Flag]) -> set[int]:
    return {i for f in flags for i in range(f.start, f.end)}


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def _takes_field(screener: Callable[..., list[Flag]]) -> bool:
    """Whether the screener reads the field a text comes from (screen() does; a test's
    one-argument lambda does not)."""
    try:
        parameters = inspect.signature(screener).parameters
    except (TypeError, ValueError):
        return False
    return "field" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def evaluate(entries: list[Entry], screener: Callable[..., list[Flag]] = screen) -> Report:
    per_kind = {kind: Counts() for kind in FLAG_KINDS}
    report = Report(len(entries), sum(not e.expected for e in entries), per_kind)
    by_field = _takes_field(screener)
    for entry in entries:
        text = entry.text
        flags = screener(text, field=entry.field) if by_field else screener(text)
        spans = locate(entry)
        masked = _covered(default_masks(flags))
        for span in spans:
            counts = per_kind[span.kind]
            counts.expected += 1
            same_kind = [f for f in flags if str(f.kind) == span.kind]
            if span.kind in OVERLAP_KINDS:
                found = any(_overlaps(f.start, f.end, span.start, span.end) for f in same_kind)
            else:
                found = _required(text, span) <= _covered(same_kind)
            if found:
                counts.found += 1
            else:
                report.missed.append((span.kind, span.text(text), text))
            if span.kind in MASKING_KINDS:
                report.masking_expected += 1
                if not _required(text, span) <= masked:
                    report.leaks.append((span.kind, span.text(text), text))
        for flag in flags:
            counts = per_kind[str(flag.kind)]
            counts.flagged += 1
            if any(
                s.kind == str(flag.kind) and _overlaps(flag.start, flag.end, s.start, s.end)
                for s in spans
            ):
                counts.correct += 1
            else:
                report.false_flags.append((str(flag.kind), text[flag.start : flag.end], text))
    for counts in per_kind.values():
        report.overall.add(counts)
    return report
