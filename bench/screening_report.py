"""Precision and recall of the moderation screening on its labelled set.

Run from the project root: `.venv/bin/python bench/screening_report.py`. It writes
docs/screening.md and prints it. tests/unit/moderation/test_screening.py asserts on the
same figures, computed by the functions below.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `services` importable from a checkout
    sys.path.insert(0, str(ROOT))

from services.moderation.screening import FLAG_KINDS, screen

SET_PATH = ROOT / "tests" / "unit" / "moderation" / "screening_set.yaml"
DOC_PATH = ROOT / "docs" / "screening.md"
SURROUNDING = " \t\n\u00a0\u202f.,;:!?()[]«»\"'’"


@dataclass(frozen=True)
class Entry:
    text: str
    expected: tuple[tuple[str, str], ...]  # (kind, exact substring)
    batch: str  # "development" (used to tune the rules) or "held_out"


# The held-out batch on its first run, before the fixes it led to (recorded by hand: the
# rules have changed since, so this cannot be recomputed).
HELD_OUT_FIRST_RUN = """\
On its first run the held-out batch (55 sentences, 43 expected spans) scored 95.1 %
precision and 90.7 % recall overall: 2 of 3 e-mails missed (an apostrophe in the local
part, `o'neil@…`, and spaces around `@`), one title in lower case missed (`mme Lemoine`),
one insult in leetspeak missed (`c0nnard`), and the idiom « Monsieur Tout-le-monde »
flagged as a name. All five were then fixed; phone, NIR, IBAN, card and address spans
were all found, with no false flag, on that first run."""


@dataclass
class Counts:
    expected: int = 0
    predicted: int = 0
    matched: int = 0

    @property
    def precision(self) -> float | None:
        return self.matched / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.expected if self.expected else None


@dataclass
class Report:
    entries: int
    negatives: int
    per_kind: dict[str, Counts]
    overall: Counts
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # kind, span, text
    spurious: list[tuple[str, str, str]] = field(default_factory=list)


def load_set(path: Path = SET_PATH) -> list[Entry]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return [
        Entry(item["text"], tuple((kind, span) for kind, span in item["expect"] or []), batch)
        for batch, items in raw.items()
        for item in items
    ]


def normalise(span: str) -> str:
    """Spans compare as substrings without the spaces and punctuation around them."""
    return span.strip(SURROUNDING)


def evaluate(entries: list[Entry]) -> Report:
    per_kind = {kind: Counts() for kind in FLAG_KINDS}
    report = Report(len(entries), sum(not e.expected for e in entries), per_kind, Counts())
    for entry in entries:
        expected = Counter((kind, normalise(span)) for kind, span in entry.expected)
        predicted = Counter(
            (str(f.kind), normalise(entry.text[f.start : f.end])) for f in screen(entry.text)
        )
        matched = expected & predicted
        for (kind, _), n in expected.items():
            per_kind[kind].expected += n
        for (kind, _), n in predicted.items():
            per_kind[kind].predicted += n
        for (kind, _), n in matched.items():
            per_kind[kind].matched += n
        report.missed += [(k, s, entry.text) for k, s in (expected - predicted).elements()]
        report.spurious += [(k, s, entry.text) for k, s in (predicted - expected).elements()]
    for counts in per_kind.values():
        report.overall.expected += counts.expected
        report.overall.predicted += counts.predicted
        report.overall.matched += counts.matched
    return report


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def render(report: Report, batches: dict[str, Report], day: dt.date, seconds: float) -> str:
    batch_rows = [
        f"| {name} | {b.entries} | {b.overall.expected} | {b.overall.predicted} "
        f"| {_percent(b.overall.precision)} | {_percent(b.overall.recall)} |"
        for name, b in batches.items()
    ]
    rows = [
        f"| `{kind}` | {c.expected} | {c.predicted} | {c.matched} "
        f"| {_percent(c.precision)} | {_percent(c.recall)} |"
        for kind, c in report.per_kind.items()
    ]
    o = report.overall
    rows.append(
        f"| **all** | {o.expected} | {o.predicted} | {o.matched} "
        f"| **{_percent(o.precision)}** | **{_percent(o.recall)}** |"
    )

    def listing(items: list[tuple[str, str, str]]) -> str:
        if not items:
            return "None.\n"
        return "".join(f"- `{kind}` « {span} » in: {text}\n" for kind, span, text in items)

    return f"""# Automatic screening of experiences: measured quality

Generated by `bench/screening_report.py` on {day.isoformat()}; do not edit by hand.

The moderation service screens each experience before a moderator reads it
(`services/moderation/screening.py`): it flags personal data (e-mails, phone numbers,
NIR, IBAN, card numbers, postal addresses, named persons) and insults, and proposes a
redacted text. A flag is a hint; the moderator decides.

## Results

Labelled set: {report.entries} French sentences, {report.negatives} of them with nothing to
flag; screening and scoring the whole set took {seconds * 1000:.0f} ms.

| kind | expected | flagged | correct | precision | recall |
|---|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Precision = correct / flagged, recall = correct / expected, per kind and over all kinds
(micro-average). The unit tests require a recall of 100 % on `email`, `phone`, `nir` and
`iban`, and an overall precision of at least 95 %.

By batch:

| batch | sentences | expected | flagged | precision | recall |
|---|---:|---:|---:|---:|---:|
{chr(10).join(batch_rows)}

{HELD_OUT_FIRST_RUN}

## Method

- **Labelled set** (`tests/unit/moderation/screening_set.yaml`): sentences written for
  this purpose in the voice of usagers of the CAF, CPAM, France Travail, MSA, préfectures,
  impôts, MDPH…; every person, number and address is invented (phone numbers mostly in
  the ranges ARCEP keeps for fiction; NIR, IBAN and card numbers built with valid check
  digits, and wrong-key twins as negatives). Each sentence lists the spans a moderator
  would mask, as (kind, exact substring). Many negatives carry tricky numbers: amounts,
  dates, postal codes, file and form references, opening hours, allocataire and fiscal
  numbers, SIRET, years, percentages. The labelling rules are written at the top of the
  file and were fixed before measuring. The `development` batch was written with the
  rules and used to tune them; the `held_out` batch was written afterwards and run once
  before any change, to estimate how the rules fare on unseen text.
- **Matching**: a flag is correct when an expected span of the same sentence has the
  same kind and the same text, once spaces and punctuation around both are stripped.
  Each expected span matches at most one flag.
- **Detection** (what the figures measure):
  - `email`: a pattern for addresses, including "(at)", "[at]", « arobase » and spaces
    around "@"; a French elision before it (« d'amelie@… ») is left out of the span;
  - `phone`: `phonenumbers.PhoneNumberMatcher` (region FR, leniency VALID), plus a
    pattern for French shapes it misses (ranges it does not know, slashes): 0X or
    +33/0033 with or without "(0)", then four pairs with one separator used throughout;
  - `nir`: 15 characters (sex 1-4/7-8, department 2A/2B allowed) with optional
    separators, kept only when `stdnum.fr.nir` accepts the key;
  - `iban`: country code, check digits and groups, kept when `stdnum.iban` validates it
    (mod 97 and the country's format), trying shorter runs of groups when a longer one
    fails;
  - `card`: 13-19 digits with spaces or dashes, kept when `stdnum.luhn` accepts it and
    the length fits the issuer of the first digits (Luhn alone passes one number in ten,
    and every SIRET);
  - `address`: a number (bis/ter, ranges) + a street type + a name, with the postal code
    and city that follow; for street types that are common nouns (place, cours, route…)
    the name must be capitalised;
  - `person_name`: a title (M., Mme, Monsieur, Madame, Mlle, Dr, docteur, Maître…) and a
    capitalised name, except functions ("Monsieur le Préfet") and institutions;
  - `insult`: the reviewed lexicon `services/moderation/insults_fr.txt` (about a hundred
    lemmas; its header says what was left out and why), matched on word boundaries
    ignoring case, accents and the usual digit-for-letter tricks ("c0nnard"), with
    derived plural and feminine forms.
  - Overlaps are resolved by keeping the more specific kind (IBAN, NIR, card, e-mail,
    phone, address, person name, insult), then the longer span.
- **Limits**: the set is small and written by the same team as the rules, so the figures
  are an upper bound for real texts (the held-out first run is the better estimate);
  names without a title ("Sophie, à l'accueil") are not detected; a 10-digit reference
  starting with 0 looks like a phone number; a bank account given as a RIB without its
  IBAN, a partial NIR and a fiscal number are not targeted; an insult is flagged
  whatever it targets, and a misspelt one not in the lexicon is missed.

## Misses (expected, not flagged)

{listing(report.missed)}
## False flags (flagged, not expected)

{listing(report.spurious)}"""


def main() -> None:
    entries = load_set()
    started = time.perf_counter()
    report = evaluate(entries)
    seconds = time.perf_counter() - started
    batches = {
        name: evaluate([e for e in entries if e.batch == name])
        for name in dict.fromkeys(e.batch for e in entries)
    }
    markdown = render(report, batches, dt.date.today(), seconds)
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(markdown, encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()
