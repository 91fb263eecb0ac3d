"""A normalised view of a text for the number detectors, with a map back to the text.

People type numbers in ways the digit patterns do not read: letters for digits inside the
groups (« O6 l2 »), numbers in words (« zéro six », « deux 48 … », « douze rue »), signs,
emojis or small words between the groups (« 07 15 😅 et après 33 », « 06 → 12 »). The view
rewrites those, and every character of the view remembers the span of the text it comes
from, so that a flag found on the view masks the characters as typed.

The rewrites are data-light on purpose: they only fire among digits (or before a street
word, for a number of a house), so that ordinary prose reads the same in both views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- numbers in words

_UNITS = {"zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5,
          "six": 6, "sept": 7, "huit": 8, "neuf": 9}  # fmt: skip
_TEENS = {"dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
          "seize": 16}  # fmt: skip
_TENS = {"vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50,
         "soixante": 60}  # fmt: skip
_NUMBER_WORD = (
    r"double|triple|z[ée]ro|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze"
    r"|quinze|seize|vingts?|trente|quarante|cinquante|soixante"
)
# One number said in words: « quarante-sept », « soixante et onze », « quatre-vingt-dix ».
_SPOKEN_RE = re.compile(
    rf"(?<![\w'’])(?:{_NUMBER_WORD})(?:(?:[\s-]+et[\s-]+|,?[\s-]+)(?:{_NUMBER_WORD}))*(?![\w'’])",
    re.IGNORECASE,
)
# A number in words stands for digits when digits or a street, a flat or a key are beside it.
_DIGITS_NEAR_BEFORE_RE = re.compile(r"\d[^\w\n]{0,3}$")
_DIGITS_NEAR_AFTER_RE = re.compile(r"[^\w\n]{0,3}\d")
_HOUSE_AFTER_RE = re.compile(
    r"\s*(?:bis\s+|ter\s+)?(?:rue|avenue|av\.?|bd|boulevard|chemin|all[ée]e|impasse|place|route"
    r"|quai|cours|square|r[ée]sidence|lotissement)\b",
    re.IGNORECASE,
)
_DETAIL_BEFORE_RE = re.compile(
    r"(?:appartement|appart|appt|app|apt|b[âa]timent|b[âa]t|[ée]tage|porte|escalier|esc|chambre"
    r"|studio|cl[ée]|logement|bo[iî]te)\.?\s*(?:n°\s*)?$",
    re.IGNORECASE,
)


def _value(words: list[str]) -> str | None:
    """The digits that words say, number by number: « zéro six » -> "06", « quarante sept »
    -> "47", « soixante dix huit » -> "78", « quatre vingt douze » -> "92"."""
    out, i = "", 0
    while i < len(words):
        word = words[i]
        # « double zéro », « triple six »: the next digit said two or three times
        if word in ("double", "triple") and i + 1 < len(words) and words[i + 1] in _UNITS:
            out, i = out + str(_UNITS[words[i + 1]]) * (2 if word == "double" else 3), i + 2
            continue
        eighty = word == "quatre" and i + 1 < len(words) and words[i + 1].startswith("vingt")
        if word in _UNITS and not eighty:
            out, i = out + str(_UNITS[word]), i + 1
            continue
        if word in _TEENS:
            value, i = _TEENS[word], i + 1
            if word == "dix" and i < len(words) and words[i] in ("sept", "huit", "neuf"):
                value, i = 10 + _UNITS[words[i]], i + 1
            out += str(value)
            continue
        if word == "quatre":
            value, i = 80, i + 2
        elif word in _TENS:
            value, i = _TENS[word], i + 1
        else:
            return None
        if i < len(words) and words[i] == "et":
            i += 1
        rest = words[i] if i < len(words) else ""
        if rest in _TEENS and value in (60, 80):
            more = _TEENS[rest]
            i += 1
            if rest == "dix" and i < len(words) and words[i] in ("sept", "huit", "neuf"):
                more, i = 10 + _UNITS[words[i]], i + 1
            value += more
        elif rest in _UNITS and rest != "zero":
            value, i = value + _UNITS[rest], i + 1
        out += str(value)
    return out


def _spoken_digits(phrase: str) -> str | None:
    folded = phrase.lower().replace("é", "e")
    words = [w for w in re.split(r"[\s,-]+", folded) if w]
    return _value(words)


def _beside_digits(text: str, start: int, end: int) -> bool:
    return bool(
        _DIGITS_NEAR_BEFORE_RE.search(text, max(0, start - 4), start)
        or _DIGITS_NEAR_AFTER_RE.match(text, end)
        or _HOUSE_AFTER_RE.match(text, end)
        or _DETAIL_BEFORE_RE.search(text[max(0, start - 20) : start])
    )


# --- letters typed for digits, and what people put between the groups

# A short group of digits and the letters that look like them (O, o for 0; l, I for 1).
_GROUP_RE = re.compile(r"(?<![\w])[0-9OoIl]{1,4}(?![\w])")
_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})
_SHORT_GAP_RE = re.compile(r"[^\w\n]{1,3}")
_WORDS_NOT_DIGITS = frozenset({"Il", "il", "lo", "Lo", "Io", "ol", "OI", "l", "I", "o", "O"})
# Between two groups of digits: signs, emojis, arrows, and the small words of a dictation.
_GAP_RE = re.compile(
    r"(?:[^\w\n]|_){0,4}(?:\b(?:et\s+apr[eè]s|et\s+ensuite|ensuite|puis|apr[eè]s|et|suivi\s+de"
    r"|tiret|espace)\b(?:[^\w\n]|_){0,4})?",
    re.IGNORECASE,
)
_ODD_SIGN_RE = re.compile(r"[^\w\s.,;:!?'’\"«»()\[\]{}@&%€$+/*=<>#-]|[|→—–]")


_GLUED_ZERO_RE = re.compile(r"(?<![\w'’])z[ée]ro(?=\d)", re.IGNORECASE)
_PLUS_RE = re.compile(r"(?<![\w'’])plus\s*(?=(?:33|3\d\d|4\d|2\d\d)\b)", re.IGNORECASE)


@dataclass(frozen=True)
class View:
    """`text` rewritten, and for each of its characters the span of the original it reads."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]


Edit = tuple[int, int, str]  # start, end, replacement


def _edits(text: str) -> list[Edit]:
    """The parts of `text` to rewrite, not overlapping."""
    edits = [*_spoken_edits(text), *_lookalike_edits(text)]
    # « plus 33 6 … » said for « +33 6 … », « zero6 … » typed for « 06 … »
    edits += [(m.start(), m.end(), "+") for m in _PLUS_RE.finditer(text)]
    edits += [(m.start(), m.end(), "0") for m in _GLUED_ZERO_RE.finditer(text)]
    edits = _without_overlaps(edits)
    edits += _gap_edits(text, edits)
    return _without_overlaps(edits)


def _spoken_edits(text: str) -> list[Edit]:
    edits = []
    for m in _SPOKEN_RE.finditer(text):
        digits = _spoken_digits(m.group())
        if not digits:
            continue
        dictated = len(re.findall(r"\w+", m.group())) >= 6  # a whole number said in words
        # « un », « une » alone are articles, « double » an adjective, but for a first digit
        if m.group().lower() in ("un", "une", "double", "triple"):
            near = bool(_DIGITS_NEAR_AFTER_RE.match(text, m.end()))
        else:
            near = _beside_digits(text, m.start(), m.end())
        if dictated or near:
            edits.append((m.start(), m.end(), digits))
    return edits


def _lookalike_edits(text: str) -> list[Edit]:
    """« O6 », « l2 »: a digit inside and a group beside; « lO », « OO »: a digit group beside."""
    edits = []
    groups = list(_GROUP_RE.finditer(text))
    for i, m in enumerate(groups):
        value = m.group()
        if value.isdigit() or value in _WORDS_NOT_DIGITS:
            continue
        beside = [g for g in groups[max(0, i - 1) : i + 2] if g is not m and _close(text, g, m)]
        has_digit = any(c.isdigit() for c in value)
        if (has_digit and beside) or any(any(c.isdigit() for c in g.group()) for g in beside):
            edits.append((m.start(), m.end(), value.translate(_LOOKALIKES)))
    return edits


def _close(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
    return bool(_SHORT_GAP_RE.fullmatch(text, min(a.end(), b.end()), max(a.start(), b.start())))


def _gap_edits(text: str, edits: list[Edit]) -> list[Edit]:
    """A gap between two groups of digits made of odd signs or dictation words: one blank.
    Plain blanks and dots are left to the patterns that read them."""
    digit_at = {i for i, c in enumerate(text) if c.isdigit()}
    for start, end, replacement in edits:
        if replacement.isdigit():
            digit_at.update(range(start, end))
    out = []
    i = 0
    while i < len(text):
        if i not in digit_at or i + 1 >= len(text) or i + 1 in digit_at:
            i += 1
            continue
        j = _GAP_RE.match(text, i + 1).end()
        odd = _ODD_SIGN_RE.search(text, i + 1, j) or re.search(r"[a-z]", text[i + 1 : j], re.I)
        if j > i + 1 and j in digit_at and odd:
            out.append((i + 1, j, " "))
        i = max(j, i + 1)
    return out


def _without_overlaps(edits: list[Edit]) -> list[Edit]:
    kept: list[Edit] = []
    for edit in sorted(edits):
        if not kept or edit[0] >= kept[-1][1]:
            kept.append(edit)
    return kept


def normalised(text: str) -> View | None:
    """The view of `text` for the number detectors, or None when nothing is rewritten."""
    edits = _edits(text)
    if not edits:
        return None
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for start, end, replacement in edits:
        parts.append(text[position:start])
        starts += range(position, start)
        ends += range(position + 1, start + 1)
        parts.append(replacement)
        starts += [start] * len(replacement)
        ends += [end] * len(replacement)
        position = end
    parts.append(text[position:])
    starts += range(position, len(text))
    ends += range(position + 1, len(text) + 1)
    return View("".join(parts), tuple(starts), tuple(ends))
