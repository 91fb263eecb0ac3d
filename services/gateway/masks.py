"""The moderator's masking decisions on a case's screened fields (no I/O).

The whole state lives in the case page's form: one checkbox per span that may be masked (the
screening's flags and the passages the moderator added), a passage to mask, a replacement text.
From it come what the page shows and the field decisions of POST /cases/{id}/preview and approve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SCREENED_FIELDS = ("title", "body", "author_name", "structure_hint")
TEXT_LIMITS = {"title": 300, "body": 20_000, "author_name": 200, "structure_hint": 400}
ADVISORY_KINDS = frozenset({"vulgarity"})  # when an answer lacks `masked`: shown, kept
OTHER = "other"  # the kind of a passage the moderator masks herself

PASSAGE_NOT_FOUND = ("Passage introuvable dans le texte de l'usager : recopiez-le exactement, "
                     "majuscules et minuscules comprises.")
INVALID_MASK = "Un passage coché n'est pas valide : rechargez la page du dossier."
OVERLAPPING = "Deux passages cochés se chevauchent : décochez l'un des deux."
TOO_LONG = "Le texte publié ne peut pas dépasser {limit} caractères (vous en avez saisi {length})."


@dataclass
class Span:
    """A part of the original text the moderator may mask."""

    start: int
    end: int
    kind: str
    checked: bool
    flagged: bool  # found by the screening; else added by the moderator
    quote: str
    note: str | None = None


@dataclass
class FieldState:
    name: str
    text: str  # what the usager wrote
    redacted: str  # the API's default redaction
    default: frozenset[tuple[int, int]]  # spans masked by default
    spans: list[Span]
    passage: str = ""  # kept in its input only when it could not be found
    new_text: str = ""  # the replacement text, when the moderator typed one
    errors: dict[str, list[str]] = field(default_factory=dict)

    def decision(self) -> dict[str, Any]:
        """The field decision for the API; {} when the moderator kept the default."""
        chosen = sorted((s for s in self.spans if s.checked), key=lambda s: (s.start, s.end))
        out: dict[str, Any] = {}
        if frozenset((s.start, s.end) for s in chosen) != self.default:
            out["masks"] = [{"start": s.start, "end": s.end, "kind": s.kind} for s in chosen]
        if self.new_text:
            out["text"] = self.new_text
        return out

    def highlights(self) -> list[dict]:
        """The spans as flags for the highlighter, `masked` as the moderator chose."""
        return [{"kind": s.kind, "start": s.start, "end": s.end, "masked": s.checked}
                for s in self.spans]


def fields_of(case: dict) -> list[dict]:
    """The case's screened fields in the page's order; an older API gives only the body."""
    given = case.get("fields")
    if isinstance(given, list) and given:
        by_name = {f.get("name"): f for f in given if isinstance(f, dict)}
        return [by_name[name] for name in SCREENED_FIELDS if name in by_name]
    body = str(case.get("body") or "")
    return [{"name": "body", "text": body, "flags": case.get("flags") or [],
             "redacted": case.get("redacted_body") or body}]


def default_state(api_field: dict) -> FieldState:
    """The field as the API proposes it: the flags masked by default are checked."""
    text = str(api_field.get("text") or "")
    spans = []
    for flag in api_field.get("flags") or []:
        try:
            start, end = int(flag["start"]), int(flag["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if not 0 <= start < end <= len(text):
            continue
        kind = str(flag.get("kind") or OTHER)
        masked = flag.get("masked")
        spans.append(Span(start, end, kind,
                          kind not in ADVISORY_KINDS if masked is None else bool(masked),
                          True, text[start:end], flag.get("note")))
    spans.sort(key=lambda s: (s.start, s.end))
    return FieldState(str(api_field.get("name")), text,
                      str(api_field.get("redacted") if api_field.get("redacted") is not None
                          else text),
                      frozenset((s.start, s.end) for s in spans if s.checked), spans)


def posted_state(api_field: dict, form) -> FieldState:
    """The field as the moderator left it in the posted form (a werkzeug MultiDict)."""
    state = default_state(api_field)
    name, size = state.name, len(state.text)
    checked, bad_checked = _spans_of(form.getlist(f"{name}-masks"), size)
    added, bad_added = _spans_of(form.getlist(f"{name}-added"), size)
    if bad_checked or bad_added:
        state.errors[f"{name}-masks"] = [INVALID_MASK]
    known = {(s.start, s.end) for s in state.spans}
    for span in state.spans:
        span.checked = (span.start, span.end) in checked
    for start, end in sorted(added | checked):
        if (start, end) not in known:
            known.add((start, end))
            state.spans.append(Span(start, end, OTHER, (start, end) in checked, False,
                                    state.text[start:end]))
    passage = " ".join(str(form.get(f"{name}-passage") or "").split())
    if passage and not _mask_passage(state, passage):
        state.passage = passage
        state.errors[f"{name}-passage"] = [PASSAGE_NOT_FOUND]
    new_text = str(form.get(f"{name}-text") or "").replace("\r\n", "\n").strip()
    state.new_text = new_text
    limit = TEXT_LIMITS.get(name)
    if limit and len(new_text) > limit:
        state.errors[f"{name}-text"] = [TOO_LONG.format(limit=limit, length=len(new_text))]
    state.spans.sort(key=lambda s: (s.start, s.end))
    chosen = [(s.start, s.end) for s in state.spans if s.checked]
    if any(later[0] < earlier[1] for earlier, later in zip(chosen, chosen[1:], strict=False)):
        state.errors.setdefault(f"{name}-masks", []).append(OVERLAPPING)
    return state


def decisions(states: list[FieldState]) -> dict[str, dict]:
    """The field decisions the API accepts: fields whose masks are in error are left out."""
    return {s.name: d for s in states
            if f"{s.name}-masks" not in s.errors and (d := s.decision())}


def _spans_of(values: list[str], size: int) -> tuple[set[tuple[int, int]], bool]:
    """("12:20", ...) as spans within the text; and whether some value was not one."""
    spans, bad = set(), False
    for value in values:
        start, _, end = str(value).partition(":")
        try:
            span = (int(start), int(end))
        except ValueError:
            bad = True
            continue
        if 0 <= span[0] < span[1] <= size:
            spans.add(span)
        else:
            bad = True
    return spans, bad


def _mask_passage(state: FieldState, passage: str) -> bool:
    """Masks every occurrence of the passage (case-sensitive; any run of white space matches
    any other, as a selection copied from the page loses line breaks); False if none."""
    pattern = re.compile(r"\s+".join(re.escape(word) for word in passage.split()))
    found = [(m.start(), m.end()) for m in pattern.finditer(state.text)]
    for start, end in found:
        _mask(state, start, end)
    return bool(found)


def _mask(state: FieldState, start: int, end: int) -> None:
    spans = state.spans
    if any(s.checked and s.start <= start and end <= s.end for s in spans):
        return  # already masked
    # A passage reaching into masked spans masks their union, so the masks never overlap.
    while touching := [s for s in spans if s.checked and s.start < end and start < s.end]:
        for span in touching:
            start, end = min(start, span.start), max(end, span.end)
            span.checked = False
            if not span.flagged:
                spans.remove(span)
    same = next((s for s in spans if (s.start, s.end) == (start, end)), None)
    if same:
        same.checked = True  # a flag keeps its kind, hence its placeholder
    else:
        spans.append(Span(start, end, OTHER, True, False, state.text[start:end]))


def preview_by_name(answer: Any) -> dict[str, dict]:
    """POST /cases/{id}/preview's fields by name."""
    items = answer.get("fields") if isinstance(answer, dict) else None
    return {str(item["name"]): item for item in items or []
            if isinstance(item, dict) and "name" in item}


def api_field_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """An API's errors under the page's names: `fields.title.masks` is `title-masks`,
    `fields.body.text` is `body-text`; other names are kept."""
    out: dict[str, list[str]] = {}
    for path, messages in errors.items():
        found = out.setdefault(_page_name(path), [])
        found.extend(m for m in messages if m not in found)
    return out


def _page_name(path: str) -> str:
    parts = path.split(".")
    if parts[0] == "fields" and len(parts) > 1 and parts[1] in SCREENED_FIELDS:
        return f"{parts[1]}-text" if "text" in parts[2:] else f"{parts[1]}-masks"
    return path
