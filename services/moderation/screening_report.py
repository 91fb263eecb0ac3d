"""Quality and speed of the moderation screening on the halves of its labelled corpus.

Run from the project root:

    .venv/bin/python bench/screening_report.py --half dev      # figures and texts, dev half
    .venv/bin/python bench/screening_report.py --half dev2     # the second corpus's dev half
    .venv/bin/python bench/screening_report.py --write-docs    # docs/screening.md, held out

`--write-docs` writes docs/screening.md from both held-out halves (`heldout`, and
`heldout2` once it is split), each in its own table: they are scored once, by the lead, when
the rules are done (see tests/unit/moderation/corpus/LABELS.md). A held-out half never has
its texts printed, on the page or on stdout: per kind, only the counts of misses, leaks and
false flags, so that nobody tunes a rule on them. A dev half lists its texts (stdout, or
`--markdown PATH`). The scoring functions are in services/moderation/screening_eval.py,
shared with the unit tests.

The generator lives here, beside the scoring it reports, so that the unit tests check it;
bench/screening_report.py is only its command line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.moderation import screening
from services.moderation.screening_eval import Entry, Report, evaluate, load_corpus

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = ROOT / "tests" / "unit" / "moderation" / "corpus"
HALVES = {
    "dev": CORPUS_DIR / "dev.yaml",
    "dev2": CORPUS_DIR / "dev2.yaml",
    "heldout": CORPUS_DIR / "heldout.yaml",
    "heldout2": CORPUS_DIR / "heldout2.yaml",
    "dev3": CORPUS_DIR / "dev3.yaml",
    "heldout3": CORPUS_DIR / "heldout3.yaml",
    "dev4": CORPUS_DIR / "dev4.yaml",
    "heldout4": CORPUS_DIR / "heldout4.yaml",
    "dev5": CORPUS_DIR / "dev5.yaml",
    "heldout5": CORPUS_DIR / "heldout5.yaml",
    "dev6": CORPUS_DIR / "dev6.yaml",
    "heldout6": CORPUS_DIR / "heldout6.yaml",
    "dev7": CORPUS_DIR / "dev7.yaml",
    "heldout7": CORPUS_DIR / "heldout7.yaml",
    "dev8": CORPUS_DIR / "dev8.yaml",
    "heldout8": CORPUS_DIR / "heldout8.yaml",
    "dev9": CORPUS_DIR / "dev9.yaml",
    "heldout9": CORPUS_DIR / "heldout9.yaml",
    "dev10": CORPUS_DIR / "dev10.yaml",
    "heldout10": CORPUS_DIR / "heldout10.yaml",
    "dev11": CORPUS_DIR / "dev11.yaml",
    "heldout11": CORPUS_DIR / "heldout11.yaml",
    "dev12": CORPUS_DIR / "dev12.yaml",
    "heldout12": CORPUS_DIR / "heldout12.yaml",
    "dev13": CORPUS_DIR / "dev13.yaml",
    "heldout13": CORPUS_DIR / "heldout13.yaml",
    "dev14": CORPUS_DIR / "dev14.yaml",
    "heldout14": CORPUS_DIR / "heldout14.yaml",
    "dev15": CORPUS_DIR / "dev15.yaml",
    "heldout15": CORPUS_DIR / "heldout15.yaml",
    "dev16": CORPUS_DIR / "dev16.yaml",
    "heldout16": CORPUS_DIR / "heldout16.yaml",
    "dev17": CORPUS_DIR / "dev17.yaml",
    "heldout17": CORPUS_DIR / "heldout17.yaml",
    "dev18": CORPUS_DIR / "dev18.yaml",
    "heldout18": CORPUS_DIR / "heldout18.yaml",
    "dev19": CORPUS_DIR / "dev19.yaml",
    "heldout19": CORPUS_DIR / "heldout19.yaml",
    "dev20": CORPUS_DIR / "dev20.yaml",
    "heldout20": CORPUS_DIR / "heldout20.yaml",
    "dev21": CORPUS_DIR / "dev21.yaml",
    "heldout21": CORPUS_DIR / "heldout21.yaml",
    "dev22": CORPUS_DIR / "dev22.yaml",
    "heldout22": CORPUS_DIR / "heldout22.yaml",
    "dev23": CORPUS_DIR / "dev23.yaml",
    "heldout23": CORPUS_DIR / "heldout23.yaml",
    "dev24": CORPUS_DIR / "dev24.yaml",
    "heldout24": CORPUS_DIR / "heldout24.yaml",
}
HELD_OUT = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7",
            "heldout8", "heldout9", "heldout10", "heldout11",
            "heldout12", "heldout13", "heldout14", "heldout15",
            "heldout16", "heldout17", "heldout18", "heldout19", "heldout20",
            "heldout21", "heldout22", "heldout23", "heldout24")
# Held-out halves that rules were tuned on after their one scoring run: their tables on the
# page say where the rules stand on text they have seen, no longer how they generalise.
SPENT = frozenset(HELD_OUT[:-1])
# Held-out halves never tuned on, scored fresh at the end of their round; the rules changed
# since (tuned on development halves only), so their tables are no fresh measure either.
NEVER_TUNED_ON = frozenset({"heldout19", "heldout20", "heldout21", "heldout22", "heldout23"})
OLD_SET = ROOT / "tests" / "unit" / "moderation" / "screening_set.yaml"
DOC_PATH = ROOT / "docs" / "screening.md"
EXPERIENCE_BODY_CHARS = 1000
SENTENCE_ROUNDS = 5

# The first run of the rules on the held-out half, as it was published (aggregate figures
# only): the second round of the rules was tuned knowing these figures and nothing else.
EARLIER_HELD_OUT_RUN = """\
### The rules as first written, on the heldout half

393 texts written apart from the rules by two writers following
`tests/unit/moderation/corpus/LABELS.md`, 126 of them with nothing to flag.

| kind | expected | found | flagged | correct | precision | recall |
|---|---:|---:|---:|---:|---:|---:|
| `email` | 31 | 31 | 32 | 31 | 96.9 % | 100.0 % |
| `phone` | 51 | 50 | 50 | 50 | 100.0 % | 98.0 % |
| `nir` | 11 | 11 | 11 | 11 | 100.0 % | 100.0 % |
| `iban` | 15 | 15 | 15 | 15 | 100.0 % | 100.0 % |
| `card` | 5 | 5 | 5 | 5 | 100.0 % | 100.0 % |
| `address` | 32 | 30 | 36 | 35 | 97.2 % | 93.8 % |
| `person_name` | 98 | 84 | 90 | 89 | 98.9 % | 85.7 % |
| `birth_date` | 20 | 20 | 20 | 20 | 100.0 % | 100.0 % |
| `identifier` | 39 | 33 | 33 | 33 | 100.0 % | 84.6 % |
| `insult` | 30 | 25 | 25 | 25 | 100.0 % | 83.3 % |
| `threat` | 19 | 12 | 12 | 12 | 100.0 % | 63.2 % |
| `vulgarity` | 16 | 16 | 19 | 16 | 84.2 % | 100.0 % |
| **all** | 367 | 332 | 348 | 342 | **98.3 %** | **90.5 %** |

**Leaks** (expected spans of a masked kind with a letter or digit left unmasked in the
default redaction): 33 of 351.
"""


@dataclass
class Timing:
    samples_ms: list[float]

    def quantile(self, q: float) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(self, label: str) -> str:
        return (
            f"| {label} | {len(self.samples_ms)} | {statistics.median(self.samples_ms):.2f} "
            f"| {self.quantile(0.99):.2f} | {max(self.samples_ms):.2f} |"
        )


@dataclass
class NameCost:
    load_seconds: float
    rss_before_mib: float
    rss_after_mib: float
    first_names: int
    first_names_seconds: float


@dataclass
class Scored:
    """One half, scored with and without the name model."""

    half: str
    report: Report
    rules_only: Report

    @property
    def held_out(self) -> bool:
        return self.half in HELD_OUT


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=sorted(HALVES), default=None,
                        help="the half to score (default dev)")
    parser.add_argument("--write-docs", action="store_true",
                        help="write docs/screening.md from the held-out halves")
    parser.add_argument("--markdown", type=Path, help="write the page to this path too")
    args = parser.parse_args(argv)
    if args.write_docs and args.half not in (None, *HELD_OUT):
        parser.error("--write-docs publishes the held-out figures: leave out --half")
    if args.write_docs:
        args.halves = [h for h in HELD_OUT if HALVES[h].exists()] or ["heldout"]
    else:
        args.halves = [args.half or "dev"]
    args.corpus = HALVES[args.halves[0]]
    return args


def _rss_mib() -> float:
    """Resident memory of this process now (Linux), else its peak."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_name_cost() -> NameCost:
    """Loading the first names and the spaCy model, in this fresh process."""
    started = time.perf_counter()
    count = len(screening._first_names())
    names_seconds = time.perf_counter() - started
    before = _rss_mib()
    started = time.perf_counter()
    screening.name_model()
    load = time.perf_counter() - started
    return NameCost(load, before, _rss_mib(), count, names_seconds)


def time_sentences(entries: list[Entry], use_model: bool) -> Timing:
    samples = []
    for _ in range(SENTENCE_ROUNDS):
        for entry in entries:
            started = time.perf_counter()
            screening.screen(entry.text, use_model=use_model, field=entry.field)
            samples.append((time.perf_counter() - started) * 1000)
    return Timing(samples)


def experiences(entries: list[Entry]) -> list[dict[str, str]]:
    """Experiences made of the corpus's own texts: a title, a body of about 1,000 characters
    (bodies put end to end), an author's name and a place, taken in turn."""
    by_field: dict[str, list[str]] = {}
    for entry in entries:
        by_field.setdefault(entry.field, []).append(entry.text)
    bodies = by_field.get("body") or [e.text for e in entries]
    titles = by_field.get("title") or ["Sans titre"]
    authors = by_field.get("author_name") or ["Anonyme"]
    places = by_field.get("structure_hint") or ["CAF"]
    made, position = [], 0
    for i in range(max(len(bodies) // 3, 1)):
        body = ""
        while len(body) < EXPERIENCE_BODY_CHARS:
            body += bodies[position % len(bodies)] + "\n"
            position += 1
        made.append({"title": titles[i % len(titles)], "body": body.strip(),
                     "author_name": authors[i % len(authors)],
                     "structure_hint": places[i % len(places)]})
    return made


def time_experiences(made: list[dict[str, str]], use_model: bool) -> Timing:
    samples = []
    for _ in range(2):
        for experience in made:
            started = time.perf_counter()
            for field, text in experience.items():
                screening.screen(text, use_model=use_model, field=field)
            samples.append((time.perf_counter() - started) * 1000)
    return Timing(samples)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _score_rows(report: Report) -> str:
    rows = [
        f"| `{kind}` | {c.expected} | {c.found} | {c.flagged} | {c.correct} "
        f"| {_percent(c.precision)} | {_percent(c.recall)} |"
        for kind, c in report.per_kind.items()
        if c.expected or c.flagged
    ]
    o = report.overall
    rows.append(
        f"| **all** | {o.expected} | {o.found} | {o.flagged} | {o.correct} "
        f"| **{_percent(o.precision)}** | **{_percent(o.recall)}** |"
    )
    return "\n".join(rows)


def _listing(items: list[tuple[str, str, str]]) -> str:
    if not items:
        return "None.\n"
    return "".join(f"- `{kind}` « {span} » in: {text}\n" for kind, span, text in items)


def _error_counts(report: Report) -> str:
    """Per kind, how many misses, leaks and false flags: no text of the half."""
    missed = Counter(kind for kind, _, _ in report.missed)
    leaks = Counter(kind for kind, _, _ in report.leaks)
    false = Counter(kind for kind, _, _ in report.false_flags)
    kinds = [k for k in report.per_kind if missed[k] or leaks[k] or false[k]]
    if not kinds:
        return "No miss, leak or false flag.\n"
    rows = "\n".join(f"| `{k}` | {missed[k]} | {leaks[k]} | {false[k]} |" for k in kinds)
    total = (f"| **all** | {sum(missed.values())} | {sum(leaks.values())} "
             f"| {sum(false.values())} |")
    return f"| kind | misses | leaks | false flags |\n|---|---:|---:|---:|\n{rows}\n{total}\n"


def results_section(scored: Scored, old: Report | None = None) -> str:
    report = scored.report
    who = {"dev": "two writers following", "heldout": "two writers following",
           "dev3": "the three writers of the third corpus, following",
           "heldout3": "the three writers of the third corpus, following",
           "dev4": "the three writers of the fourth corpus, following",
           "heldout4": "the three writers of the fourth corpus, following",
           "dev5": "the three writers of the fifth corpus, following",
           "heldout5": "the three writers of the fifth corpus, following",
           "dev6": "the three writers of the sixth corpus, following",
           "heldout6": "the three writers of the sixth corpus, following",
           "dev7": "the three writers of the seventh corpus, following",
           "heldout7": "the three writers of the seventh corpus, following",
           "dev8": "the three writers of the eighth corpus, following",
           "heldout8": "the three writers of the eighth corpus, following",
           "dev9": "the three writers of the ninth corpus, following",
           "heldout9": "the three writers of the ninth corpus, following",
           "dev10": "the three writers of the tenth corpus, following",
           "heldout10": "the three writers of the tenth corpus, following",
           "dev11": "the three writers of the eleventh corpus, following",
           "heldout11": "the three writers of the eleventh corpus, following",
           "dev12": "the three writers of the twelfth corpus, following",
           "heldout12": "the three writers of the twelfth corpus, following",
           "dev13": "the three writers of the thirteenth corpus, following",
           "heldout13": "the three writers of the thirteenth corpus, following",
           "dev14": "the three writers of the fourteenth corpus, following",
           "heldout14": "the three writers of the fourteenth corpus, following",
           "dev15": "the three writers of the fifteenth corpus, following",
           "heldout15": "the three writers of the fifteenth corpus, following",
           "dev16": "the three writers of the sixteenth corpus, following",
           "heldout16": "the three writers of the sixteenth corpus, following",
           "dev17": "the three writers of the seventeenth corpus, following",
           "heldout17": "the three writers of the seventeenth corpus, following",
           "dev18": "the three writers of the eighteenth corpus, following",
           "heldout18": "the three writers of the eighteenth corpus, following",
           "dev19": "the two writers of the nineteenth corpus, following",
           "heldout19": "the two writers of the nineteenth corpus, following",
           "dev20": "the three writers of the twentieth corpus, following",
           "heldout20": "the three writers of the twentieth corpus, following",
           "dev21": "the three writers of the twenty-first corpus, following",
           "heldout21": "the three writers of the twenty-first corpus, following",
           "dev22": "the three writers of the twenty-second corpus, following",
           "heldout22": "the three writers of the twenty-second corpus, following",
           "dev23": "the three writers of the twenty-third corpus, following",
           "heldout23": "the three writers of the twenty-third corpus, following",
           "dev24": "the three writers of the twenty-fourth corpus, following",
           "heldout24": "the three writers of the twenty-fourth corpus, following",
           }.get(scored.half, "the two writers of the second corpus, following")
    old_line = (
        f"\nOn the old set (`tests/unit/moderation/screening_set.yaml`, {old.entries} texts "
        f"written alongside the old rules, relabelled to the rulebook; extra development "
        f"material): precision {_percent(old.overall.precision)}, recall "
        f"{_percent(old.overall.recall)}, {len(old.leaks)} leaks.\n"
        if old
        else ""
    )
    if scored.held_out:
        details = (
            "Per kind, the errors (counts only: the texts of a held-out half are never\n"
            "printed, so that no rule is tuned on them):\n\n" + _error_counts(report)
        )
    else:
        details = (
            f"### Leaks\n\n{_listing(report.leaks)}\n### Misses (expected, not found)\n\n"
            f"{_listing(report.missed)}\n### False flags (flagged, not expected)\n\n"
            f"{_listing(report.false_flags)}"
        )
    return f"""## Results on the {scored.half} half

{report.entries} texts written apart from the rules by {who}
`tests/unit/moderation/corpus/LABELS.md`, {report.negatives} of them with nothing to flag.

| kind | expected | found | flagged | correct | precision | recall |
|---|---:|---:|---:|---:|---:|---:|
{_score_rows(report)}

**Leaks** (expected spans of a masked kind with a letter or digit left unmasked in the
default redaction): {len(report.leaks)} of {report.masking_expected}.
{old_line}
{details}"""


# Issue #18's targets on text the rules were not written for.
TARGET_RECALL = {"email": 1.0, "phone": 1.0, "nir": 1.0, "iban": 1.0,
                 "person_name": 0.95, "address": 0.95}
TARGET_PRECISION = 0.95


def targets_section(halves: list[Scored]) -> str:
    """Each held-out half against the targets, met or not, as measured."""
    rows = []
    for scored in (s for s in halves if s.held_out):
        report = scored.report
        for kind, target in TARGET_RECALL.items():
            recall = report.per_kind[kind].recall
            met = recall is not None and recall >= target
            rows.append(f"| `{scored.half}` | recall `{kind}` ≥ {_percent(target)} | "
                        f"{_percent(recall)} | {'yes' if met else '**no**'} |")
        precision = report.overall.precision
        met = precision is not None and precision >= TARGET_PRECISION
        rows.append(f"| `{scored.half}` | precision, all kinds ≥ {_percent(TARGET_PRECISION)} | "
                    f"{_percent(precision)} | {'yes' if met else '**no**'} |")
    if not rows:
        return ""
    fresh = [f"`{s.half}`" for s in halves if s.held_out and s.half not in SPENT]
    fresh_line = (
        f" {', '.join(fresh)}, scored once and never tuned on, gives the held-out measure of\n"
        "the rules as they are." if fresh else " None is a held-out measure now.")
    unread = [f"`{s.half}`" for s in halves if s.half in NEVER_TUNED_ON]
    if unread:
        fresh_line += (f" {', '.join(unread)} were never tuned on either (their texts never\n"
                       "read), but the rules changed after their one fresh scoring.")
    return ("## Against the targets\n\n"
            "With the rules as they are now. Each half was a held-out measure only when it was\n"
            "scored, once, at the end of its round (those figures are in « Method »); the halves\n"
            "tuned on after they were spent say where the rules stand on text they have seen,\n"
            f"not how they generalise.{fresh_line}\n\n"
            "| half | target | measured | met |\n|---|---|---:|---|\n" + "\n".join(rows) + "\n")


def earlier_run_section() -> str:
    return (
        "## Earlier held-out run\n\n"
        "This was the first run of the rules as first written, on the heldout half; the\n"
        "second round of the rules was then tuned on the dev halves (`dev`, `dev2`), the old\n"
        "set and invented sentences (`tests/unit/moderation/invented_*.yaml`), after only\n"
        "these aggregate figures were known:\n\n"
        + EARLIER_HELD_OUT_RUN
    )


METHOD = """## Method

- **Corpus**: the labelling rules (LABELS.md) were fixed before the rules were written; two
  engineers wrote the first corpus without seeing the code, two others the second, three
  others the third, three others the fourth, three others the fifth, three others the sixth,
  three others the seventh, three others the eighth, three others the ninth, three others
  the tenth, three others the eleventh, three others the twelfth, three others the thirteenth, three
  others the fourteenth; the lead split each in two halves (`dev`/`heldout` …
  `dev14`/`heldout14`)
  before any rule was
  tuned on it. The rules were
  tuned on the dev halves, the old set and invented sentences; no rule writer opened a
  held-out half before it was spent (scored after a round).
- **Rounds**: round 1 wrote the rules on `dev`; `heldout` was scored (section « Earlier
  held-out run »). Round 2 tuned on `dev`, `dev2` and invented sentences, knowing only those
  aggregate figures; `heldout` was scored a second time and `heldout2` once. Round 3 tuned on
  `dev3` (on which the round-2 rules scored precision 97.5 %, recall 91.4 % before any
  change: text they were not written for) and the other dev halves, knowing only the
  aggregate figures of round 2; `heldout3` was scored once. Round 4: the fourth corpus was
  split and `heldout4` moved out of the repository before the round started; the round-3
  rules were scored on both new halves first; then the rules were tuned on `dev4` and on every
  other half, the spent held-out halves included; `heldout4` came back only to be scored
  (round-3 rules: precision 97.5 %, recall 95.2 %; round-4 rules: 97.5 %, 96.1 %).
  Round 5: the fifth corpus (writers who read LABELS.md only: texts pasted from e-mails and
  forms, usagers overseas, abroad or writing in a second language, contact details disguised
  or split on purpose) was split and `heldout5` moved out of the repository before the round;
  the round-4 rules scored `dev5` precision 96.8 %, recall 91.2 % (e-mail 85.9 %, phone
  91.8 %, NIR 91.8 %, IBAN 90.0 %, addresses 76.9 %, names 95.9 %) and `heldout5` (its
  per-kind counts only, no text shown) precision 96.1 %, recall 90.6 % (e-mail 87.0 %, phone
  93.6 %, NIR 87.5 %, IBAN 100 %, addresses 85.0 %, names 92.2 %). The rules were then tuned
  on `dev5` and every other half (`heldout4` included: its figures here are no longer
  held-out figures), by families of shapes rather than sentences: a normalised view of the
  text for the number detectors (`screening_normal.py`), e-mails anchored on their domain,
  phones by digit density, NIR and IBAN by tolerant shape; `heldout5` came back only to be
  scored. Round 6: the sixth corpus (writers who read LABELS.md only: speech-to-text
  dictation and elderly usagers, intermediaries writing for someone else, young usagers
  online disguising their contact details) was split and `heldout6` moved out of the
  repository before the round; the round-5 rules scored `dev6` precision 98.2 %, recall
  96.1 % (e-mail 95.7 %, phone 98.0 %, NIR 93.2 %, IBAN 100 %, addresses 97.3 %, names
  97.9 %) and `heldout6` (its per-kind counts only, no text shown) precision 98.2 %, recall
  95.5 % (e-mail 98.3 %, phone 97.1 %, NIR 95.2 %, IBAN 100 %, addresses 88.6 %, names
  95.0 %). The rules were then tuned on `dev6` and every other half (`heldout5` included),
  by families again: numbers dictated in runs (dictation words between them, hundreds,
  Belgian and English number words, words a speech recogniser mishears), a view for
  e-mails dictated or spelled, and a safety net that masks, by its shape, a stretch of nine
  or more digits no other detector took (not a date, an amount, a published number or an
  administration reference); `heldout6` came back only to be scored, once: precision
  98.1 %, recall 96.2 % (e-mail 100 %, phone 98.0 %, NIR 100 %, IBAN 100 %, addresses
  88.6 %, names 94.5 %). **Those are the round's held-out figures.** Then, `heldout6`
  being spent, two phone shapes among its misses were added (a digit said twice, « deux
  fois 7 »; « plus trois trois » said for +33), so the `heldout6` table on this page, made
  after, is no longer a held-out measure. Round 7: the seventh corpus (writers who read
  LABELS.md only: usagers overseas and in the rural mainland, with lieux-dits, hamlets and
  local forms of address; formal letters, pasted forms and usagers writing in a second
  language, with names of many origins and envelope blocks in capitals; city dwellers in
  blocks of flats, with buildings, staircases, floors and arrondissements) was split and
  `heldout7` moved out of the repository before the round; the round-6 rules scored `dev7`
  precision 96.7 %, recall 91.1 % (e-mail 100 %, phone 100 %, NIR 90.0 %, IBAN 100 %,
  addresses 77.1 %, names 95.6 %) and `heldout7` (its per-kind counts only, no text shown)
  precision 97.0 %, recall 90.0 % (e-mail 100 %, phone 100 %, NIR 100 %, IBAN 100 %,
  addresses 78.9 %, names 93.9 %). The rules were tuned first on `heldout6`'s misses (then
  spent) and every other half: each field is now screened as the field it is (in the
  author's name a first name alone names the author), rural addresses without a number,
  colloquial threats, an office person's direct line; then on `dev7`: an address read as a
  chain of parts (details, number and street, locality, road, landmark, postal code and
  town, arrondissement), titles and names said or spelled, kin, handles, a Corsican NIR.
  `heldout7` came back only to be scored, once: precision 97.0 %, recall 93.7 % (e-mail
  100 %, phone 100 %, NIR 100 %, IBAN 100 %, addresses 90.0 %, names 95.0 %, that is
  359 of 378). **Those are the round's held-out figures.** Then, `heldout7` being spent,
  families of shapes among its misses were added (names in capitals heading an envelope
  block, names after « je m appelle » typed loosely, a full name found again in another case,
  households and « c/o », the author's field with particles or « née », flat details before
  the town, two threat shapes), so the `heldout7` table on this page, made after, is no
  longer a held-out measure (recall 96.6 % there). Round 8: the eighth corpus (writers who
  read LABELS.md only, asked to put a private postal address in about 45 % of their texts:
  addresses in every written shape, envelope blocks, inline, typed loosely; families,
  neighbours and agents of every origin with where they live; life situations where an
  address matters, in every field of the form, abroad and overseas included) was split and
  `heldout8` moved out of the repository before the round (texts already in an earlier
  round's file were dropped first); the round-7 rules scored `dev8` precision 96.4 %, recall
  94.0 % (e-mail, phone, NIR and IBAN 100 %, addresses 90.3 %, names 96.5 %) and `heldout8`
  (its per-kind counts only, no text shown) precision 96.0 %, recall 93.3 % (e-mail, phone,
  NIR and IBAN 100 %, addresses 89.2 %, that is 371 of 416, names 96.1 %). The rules were
  then tuned on `dev8` and every other half: addresses abroad with the number after the
  street and foreign postal codes, soldiers' postal sectors, pasted forms, the place where
  someone lives named before the street (a home, a camping pitch, a boat), typed street
  words, offices' own addresses kept unmasked; lower-case names after a particle; two threat
  shapes. `dev8` went to precision 98.7 %, recall 99.0 % (addresses 100 %, names 98.0 %);
  no other half lost a found span or gained a false flag. `heldout8` came back only to be
  scored, once: precision 96.7 %, recall 95.4 % (e-mail, phone, NIR and IBAN 100 %,
  addresses 93.3 %, that is 388 of 416, names 96.6 %, that is 375 of 388). **Those are the
  round's held-out figures**, and `heldout8` was not tuned on after: its table on this page
  is still a held-out measure. The gap between `dev8` (100 %) and `heldout8` (93.3 %) on
  addresses says the rules still learn a corpus's shapes better than they generalise.
  Round 9: the ninth corpus (carers' long letters with rural and overseas addresses inside
  sentences, phone-typed messages without capitals, professionals writing housing
  situations) was split and `heldout9` kept outside the repository; the round-8 rules
  scored `dev9` precision 96.1 %, recall 88.3 % (addresses 87.8 %, names 81.6 %). This round
  tuned general signals before shapes: a gazetteer of the French communes
  (`services/moderation/communes_fr.txt`, built by `services/moderation/build_communes.py` from
  `@etalab/decoupage-administratif` 6.0.0, MIT), looked up by folded words (any case,
  accents or not, « st » for « saint », hyphens or spaces); a postal code and a commune of
  its department anchor the street typed before them, glued or in lower case; a known
  commune ends a street or a locality (lieu-dit, hameau, quartier, section, « au Bourg »);
  a word the model reads as a person and the gazetteer knows as a town is no name (unless a
  first name too, standing among no other towns); first names typed on a phone after a
  self-introduction (« c », « jsui », « je m'appel »), with their lower-case surname or
  initial. `dev9` went to precision 96.2 %, recall 93.2 % (addresses 94.9 %, names 87.6 %);
  no other half lost a found span or gained a false flag. `heldout8` served the tuning as a
  guard by its per-kind counts only (no text read): addresses 93.3 → 95.2 % there, and it is
  counted as spent from this round. `heldout9`, by the round-8 rules before the round (counts
  only): precision 96.6 %, recall 91.4 % (e-mail, NIR and IBAN 100 %, phone 96.6 %, that is
  28 of 29, addresses 92.4 %, names 86.6 %); scored once after it: precision 96.8 %, recall
  94.3 % (e-mail, NIR and IBAN 100 %, phone 28 of 29, addresses 95.9 %, that is 352 of 367,
  names 90.9 %, that is 210 of 231). **Those are the round's held-out figures**: addresses
  reach the target on text the rules never saw; names and phones do not.
  Round 10: the tenth corpus (names in every way people write them, phone numbers as typed
  in complaints, second-language and formal writers) was split and `heldout10` kept outside
  the repository; the round-9 rules scored `dev10` precision 97.8 %, recall 98.2 % (phone
  212 of 214, addresses 100 %, names 97.5 %). This round tuned phones first, by general
  means: the author's own number (« mon numéro … ») is no switchboard when « standard » comes
  after it; the parts of a number given apart (« finit par 56 78, le début c'est 06 12 34 »),
  a prefix alone excepted; « 6 12 34 56 78 » or « O6 … » after « numéro » read as a phone,
  not a file number; a foreign number dialled with « 00 » and any country code, valid by the
  numbering plans. Then names: a lower-case first name with its initial (« lina s. ») or
  named of its office (« kevin de l'accueil »), followed by who the person is (« arthur mon
  fils »), signing a last line, or a word-name after a self-introduction when set apart
  (« c laura, »); a text in capitals read in lower case; the author's lower-case surname or
  initial (« gwen le goff », « lea m »); Vietnamese names, family name first (« Nguyen Thi
  Mai »); a first name before a public figure's surname names a private person. `dev10` went
  to precision 97.8 %, recall 99.2 % (phone 214 of 214, addresses 100 %, names 99.4 %); no
  other half lost a found span or gained a false flag. `heldout9` was read and tuned on this
  round (phone 28 → 29 of 29, names 90.9 → 99.1 %): it is spent and no held-out measure.
  `heldout10`, by the round-9 rules before the round (counts only): precision 97.9 %,
  recall 97.8 % (e-mail, NIR and IBAN 100 %, phone 217 of 219, addresses 99.4 %, names
  96.4 %); scored once after it: precision 97.9 %, recall 97.9 % (e-mail, NIR and IBAN
  100 %, phone 218 of 219, that is 99.5 %, addresses 99.4 %, that is 176 of 177, names
  96.4 %, that is 351 of 364). **Those are the round's held-out figures**, and `heldout10`
  was not tuned on after: every target is met on it but the phones' 100 % (one number of
  219 left to the moderator's eyes).
  Round 11: the eleventh corpus (short fields, titles, pseudonyms and places, with contact
  data crammed in; long texts from the overseas departments and rural France; texts dense
  with numbers that are mostly not personal) was split (`dev11` 820 texts, `heldout11` 855;
  14 texts already in earlier rounds dropped) and `heldout11` kept outside the repository.
  **The round-10 rules on `heldout11` before any change, the fresh held-out measure of
  this round** (counts only): precision 97.2 %, recall 97.0 %; phone 195 of 195, NIR 36 of
  36 and IBAN 23 of 23 (100 %), e-mail 47 of 48 (97.9 %: one address missed), addresses
  96.9 % (62 of 64), names 97.7 % (298 of 305). On `dev11`: precision 97.7 %, recall 96.0 %
  (phone 216 of 217, NIR 27 of 28, addresses 61 of 62). Tuned on `dev11` and on `heldout10`
  (read for its missed phone and address, and spent from this round: its missed phone, a
  number quoted a digit short, was masked all the same, as an identifier): the author's
  line at an office (« je suis joignable au bureau : 0590 … ») is hers; « … est le standard
  de … » after a number names a switchboard; fifteen digits glued to a word (« sécu1730… »)
  are a NIR when the key proves it; a NIR its key proves whole takes no digit after it into
  a chain (« … 215 95, 3 rue … »); an address that loses to a number over its first digits
  keeps the street after them (« tél 06 … 39 / 8 rue … »). `dev11` went to recall 96.4 %
  (phone, NIR and addresses 100 %); no other half lost a found span or gained a false flag.
  `heldout11` scored once after the round (counts only): the same counts as before it. It is
  the held-out measure now, and it leaves one target unmet: the e-mails' 100 %.
  Round 12: the twelfth corpus (text pasted into the form: e-mail threads with signatures,
  text messages, posts; third parties writing for someone else, dense with that person's
  data; text hard to read: dictation, phonetic spelling, capitals, no accents, numbers cut
  across lines) was split (`dev12` 858 texts, `heldout12` 833; 10 texts already in earlier
  rounds dropped) and `heldout12` kept outside the repository. **The round-11 rules on
  `heldout12` before any change** (counts only): precision 97.3 %, recall 92.7 %; NIR 26 of
  26, e-mail 111 of 114 (97.4 %), phone 125 of 127 (98.4 %), IBAN 15 of 17 (88.2 %),
  addresses 92.6 % (63 of 68), names 93.8 % (360 of 384): on text of these kinds the rules
  miss what the earlier rounds did not show, and four targets are unmet. On `dev12`:
  precision 96.8 %, recall 94.8 %. Tuned on `dev12` by general means: an address cut by a
  line break after a hyphen, a dot or an "@", or inside a domain without its dot, read
  joined (a line that ends a word before an address on the next is no cut); « à robe base »
  for the "@"; a card read on the normalised view (letters for digits) and a card's number
  typed digit by digit, proven by its Luhn key; a lone « l » or « I » typed for the first
  digit of a run of digit groups; a mobile's number in a phone's groups never a file number;
  an office's line said to be a named person's (« …, c'est le bureau de M. … ») is hers; the
  misspelt street types « ru », « avenu », « boulevar ». `dev12` went to recall 96.0 %; no
  other half lost a found span or gained a false flag (`heldout9`, spent, found one address
  more). `heldout12` scored once after the round (counts only): the same counts as before
  it, so none of these changes reached its misses.
  Round 13: `heldout12` was then read for its misses and tuned on (spent from this round): a
  number said in words before a dictated "@" ends the local part (« … girard quatre-vingt-sept
  arobase … »); an office's name in a domain it does not own (« …@caf-fr.info ») is no office
  mailbox; an IBAN proven by its key whose country is dictated apart (« F R soixante-seize
  … ») or with letters typed for digits (« FR763OOO… »); a number cut by a blank line; an
  office's label after a number that names the next one (« 06-23-…, numéro de l'agence :
  09 … »); after a title and a first name, a surname that is also a word (« M. Lucien
  TOUSSAINT », « Mme Geneviève Paris »); « alé » for « allée »; the Défenseur des droits'
  number among the public ones. The thirteenth corpus (material copied into the form:
  signatures, threads, forms as lists; people writing for others; text hard to read) was
  split (`dev13` 786 texts, `heldout13` 824; 10 texts already in earlier rounds dropped) and
  `heldout13` kept outside the repository. **The rules with those changes on `heldout13`,
  before any tuning on `dev13`** (counts only): precision 96.7 %, recall 93.8 %; phone 131
  of 131, e-mail 66 of 70 (94.3 %), NIR 44 of 45, IBAN 39 of 41, addresses 90.7 %, names
  94.5 %. (The round-12 rules as committed: the same but e-mail 65 of 70.) Tuned on `dev13`:
  an identifier whose digits all lie in a phone number (« MON NUMERO C LE 06 … ») is that
  phone; a mobile's number is never an office's switchboard; IBAN groups split by slashes; a
  NIR with letters for digits inside one word, proven by its key; a first name before « chez »
  and a mail provider with its end; an address cut by a line break inside its local part
  (« c.hoare\nau@… ») or inside a domain no known end closed (« …@dgfip.fin\nances.gouv.fr »).
  No other half lost a found span or gained a false flag. `heldout13` scored once after the
  round (counts only): IBAN 40 of 41, the rest unchanged (precision 96.7 %, recall 93.9 %):
  on text copied, dictated or written for someone else, the rules left e-mail, NIR and IBAN
  short of 100 % and names and addresses short of 95 %.
  Round 14: `heldout13` was read for its misses and tuned on (spent): a mail provider glued
  to its end after an "@" (« …@gmailcom »); « à robe » heard for the "@"; a domain said in
  two words before its dot (« … arobase france travail point fr »); « euh » before a NIR's
  key; a card's number with letters typed for digits (S for 5 too), proven by its Luhn key.
  The fourteenth corpus (everyday complaints and thanks in every style; hurried writing on a
  phone; formal letters and forms pasted, written for someone else) was split (`dev14` 885
  texts, `heldout14` 812; 14 texts already in earlier rounds dropped) and `heldout14` kept
  outside the repository. **All the rules so far on `heldout14`, before any tuning on
  `dev14`, the fresh held-out measure** (counts only): precision 96.7 %, recall 92.9 %;
  e-mail 49 of 49, phone 83 of 83, NIR 43 of 43, IBAN 26 of 26 (100 % each), addresses
  96.6 % (57 of 59), names 91.3 % (315 of 345). Tuned on `dev14`: an abbreviated title in
  lower case after « au » or « une » is a title (« merci au dr haddad »), and a surname may
  start with « n' » (« mme n'diaye »), where « madame n'est pas là » stays a sentence; `dev14`
  names 91.7 → 92.6 %, no other half lost a found span or gained a false flag. `heldout14`
  scored once after (counts only): the same counts. What it missed was mostly a first and
  last name in lower case without a title (« ma femme samia ferhat », « il s'appelle dylan
  fabre »). So, with the model only (the rules alone unchanged): a lower-case first name is
  extended over the next lower-case word when that word is unknown to the French model's
  lexicon (its lemmatizer's tables, about 217,000 forms, shipped with the model, loaded once
  beside it: 0.6–0.7 s and about 60 MiB resident, kept as the table's hashes; the moderation
  worker loads it with the model when it starts), a particle allowed between (« hamid el
  ouardi »); a common first name of four letters or more that no rule found counts with such
  a surname, not after a place's word and not a public figure's name. Tuned on `dev14` and
  the spent halves (names 92.6 → 94.6 % on `dev14`; no half gained a false flag, after first
  trying every first name of the list, which read « não falo », « wsh jsuis », « ché moi »
  as names). `heldout14` scored a third
  time, for this change alone (counts only): names 91.3 → 93.0 % (321 of 345), precision
  98.2 %, nothing else moved. It was the held-out measure until round 15: every target met
  but the names' 95 %. Round 15: the fifteenth corpus (names of every origin, compound
  and with particles, in any case; people writing for someone else, several people named;
  hurried and angry writing on a phone) was split (`dev15` 835 texts, `heldout15` 795; 20
  texts already in earlier rounds dropped). Before any tuning, a fault of the measure itself
  was found: the writers of rounds 11 to 14 named the author's field « author » and the
  office's « place », words the screener does not know, so those texts were screened as a
  body, without the author's field's own rules; the corpus loader now maps them to the
  form's `author_name` and `structure_hint`, as the platform screens them (15 names found
  on the earlier halves, 4 false flags, all of them the first names of handles the writers
  disagree on: « Marco_1985 » is no name for one, « Yann29 » is for another). Tuned on
  `dev15`, `heldout14` (spent from then on) and the spent halves: the author's field read
  up to where it stops being a name (a comma, a bracket, « - », « < », a number, « pour »,
  « né le »: « Kofi A., interprète », « nadia.h 06 … »), a place named after someone there
  (« l'infirmière du collège Anne Frank »); « DA COSTA Manuel », « LE GUEN Yves-Marie »
  (a particle in capitals before a surname and a first name); « mme COULIBALY aissatou » (a
  lower-case first name after a surname in capitals); a first name that is also a word
  after a word of kinship when a surname the lexicon does not know follows (« mon mari
  joseph nkoulou »); « demander Claire », « moi (Bernard) », « Prénom, 06 … ». 23 spans
  found on the earlier halves, none lost, no false flag gained. Then, with the rules
  frozen, `heldout15` and a sixteenth corpus written meanwhile (everyday thanks and
  complaints naming agents and kin, names that are also words; farmers, artisans and rural
  residents with businesses named after people; students, French and foreign, with
  handles and mixed languages; `dev16` 820 texts, `heldout16` 820; 14 dropped) were scored
  once each, **the fresh held-out measure** (counts only). `heldout15`: e-mail 41 of 41,
  phone 79 of 79, IBAN 8 of 8 (100 % each), NIR 23 of 24, addresses 98.2 % (55 of 56),
  names 93.2 % (395 of 424), precision 96.9 %. `heldout16`: phone 63 of 63, NIR 25 of 25,
  IBAN 19 of 19 (100 % each), e-mail 31 of 32, addresses 95.5 % (42 of 44), names 93.9 %
  (337 of 359), precision 94.1 %. The same halves with the rules of round 14 (and the
  loader's fix): names 394 of 424 and 336 of 359, precision 96.9 % and 94.1 %; with the
  rules of round 14 and the old loader, names 392 of 424 and 334 of 359. Not met on fresh
  text: names (93–94 %), one e-mail, one NIR, and precision on `heldout16`.
  Round 17: the seventeenth corpus (dictated and low-literacy writing; complaints quoting
  e-mails, letters and signatures; the overseas territories, the Pacific included) was split
  (`dev17` 764 texts, `heldout17` 867; 21 dropped). Tuned on `dev16` and the spent halves
  (no held-out half read): a title, an initial and a surname (« Mme F. Dubreuil »), a first
  name alone on a text's last line, a university's mailboxes (`univ-` domains, « international
  », « admissions »), a handle's digits after « prénom.nom »; 5 spans found, none lost, no
  false flag gained. `heldout17` scored once, fresh (counts only): e-mail 35 of 35, NIR 24 of
  24, IBAN 17 of 17 (100 % each), phone 75 of 83, addresses 93.8 % (45 of 48), names 89.1 %
  (327 of 367), precision 95.4 % (with the rules of round 14: names 312 of 367, 321 with the
  loader's fix). Round 18: tuned on `dev17` and the spent halves: the Pacific's local
  numbers after words about a phone (six digits in pairs in New Caledonia and Wallis, never
  « 0… » nor a date; eight in Polynesia; « vini », « fixe », « tél. »), a title glued to a
  surname in capitals (« M.DURAND »), an initial and a surname after « Signé : » or
  « Cordialement, », « doctoresse »; 8 spans found, none lost, no false flag gained. The
  eighteenth corpus (a week's ordinary mix; numbers and addresses typed and dictated every
  way; people named in every shape; `dev18` 761 texts, `heldout18` 741; 23 dropped) was
  written meanwhile and `heldout18` scored once with the rules frozen, **the fresh held-out
  measure** (counts only): NIR 22 of 22, IBAN 16 of 16, addresses 23 of 23 (100 % each),
  e-mail 61 of 62, phone 99 of 100, names 92.8 % (258 of 278), precision 94.9 % (with the
  rules of round 14: names 257 of 278, precision 94.9 %). Not met on fresh text: names,
  one e-mail and one phone, and precision by a hair.
  Round 19, for precision: tuned on `dev18` and the spent halves (no held-out half read):
  brands named after their founders and a saying (`names_public.yaml`: « Dr Martens »,
  « Leroy Merlin », « Pierre, Paul ou Jacques »; « Kylian Mbappé », not « Mbappé » alone,
  which private persons bear), « accueil général » before an office's number, and a national
  service number (« 3949 ») never a personal identifier; 18 false flags gone on the earlier
  halves, nothing found lost (a first try that also counted « fax » as an office's word and
  every number starting like a public one left 13 spans unmasked, among them a person's fax;
  it was narrowed before commit). A nineteenth corpus was written meanwhile by three writers
  in a quarter of an hour; the third generated 360 of its 400 texts from templates, and its
  file was left out before any scoring, as not written the way usagers write. The two others
  (a realistic mix; short fields and short texts typed fast) were split (`dev19` 386 texts,
  `heldout19` 398; 18 dropped) and `heldout19` scored once with the rules frozen (counts
  only): e-mail 14 of 14, phone 41 of 41, NIR 5 of 5, IBAN 9 of 9, addresses 20 of 20
  (100 % each), names 97.6 % (160 of 164), precision 96.6 %: every target met. It is an
  easier half than the four before it: the rules of round 14 score it the same (names 160 of
  164, precision 96.6 %). Over this session's five fresh halves, names reached 95 % on this
  one only (89.1–93.9 % on the others).
  Round 20: tuned on `dev19`, then on `dev20` and the spent halves (no held-out half read): a
  surname opened by a particle after a word for a person (« l'adjudant Le Bihan »), « ton nom
  X », a baby or a « fiston » named, a common first name that is the author's whole field, a
  lower-case surname after a capitalised title when it reads as no verb (« Mme de
  Villeneuve », « Mr benali », not « Madame vit »), a family nickname (« Papy Roger »), « on
  l'appelle Mimi », a surname that is also a word after « je m'appelle » and a first name,
  « …, fille de Jacqueline »; a town after an office (« la CARSAT de Nancy, qui … »), a town or
  building in the place's field (« …, Antony », « Hôpital européen Georges-Pompidou », « site
  Félix Guyon »), characters and brands (« Docteur Knock », « Papy Brossard »), acronyms of
  disability (« RQTH »); « le numéro du CCAS, 04 … » an office's number whoever gave it;
  member and pension numbers, opening hours no identifier; « DN 03.05.33 », « la naissance de
  Noé, le 8 août 2022 »; « il est mort en 2021 » no threat, « vous allez payer pour ce que … »,
  « il a intérêt à pas sortir seul » threats; « ce clown de Mr X » an insult. 54 misses and
  false flags gone over the non-sealed halves, none gained. The twentieth corpus (older
  people and their carers; health and disability; young people and work; `dev20` 677 texts,
  `heldout20` 669; 7 dropped) was split before any of it was read, and `heldout20` scored once
  with the rules frozen (counts only): e-mail 28 of 28, phone 79 of 79, NIR 33 of 33, IBAN 16
  of 16, addresses 34 of 34 (100 % each), names 98.0 % (293 of 299), precision 97.7 %: every
  target met. With the rules of round 19 the same half gives names 291 of 299 and precision
  97.2 %.
  Round 21: tuned on `dev21` and the spent halves (no held-out half read): a rank of the
  police, the gendarmerie or the army after its determiner (« le brigadier Sauvage », « l'OPJ
  Benhamou », not « rue du Colonel Fabien »), a married name (« … épouse Lemaire »), a name
  spelled in quotes where the sentence speaks of how a name is written (« écrit « Emrre » »),
  « Noël comme deuxième prénom », « le double nom Garnier-Loiseau », two first names thanked
  together even when one is a town (« Florence et Abdel »), twins named, « N'Diaye », a
  Vietnamese family name and two short given names, « Mlle tessier chloé »; children listed
  with their dates of birth, « né le 12 12 1990 »; the numbers of a prisoner (« écrou »), of an
  elector and of a social-housing application; an office's number named so (« le numéro de
  l'accueil de la mairie c'est le … », « le 02 … de la mairie »), an office's address before a
  visit (« …, j'y suis allée »), a social action centre's address in the place field; « 2,10
  m. Pourtant » no title; three threats and « bande de lâches ». 56 misses and false flags
  gone over the non-sealed halves since round 20; one flag gained that its writer left
  unlabelled (« inscrit sous « Devilleneuve » », a misspelt surname, kept). The twenty-first
  corpus (housing; police, justice and victims; état civil and family events; `dev21` 678
  texts, `heldout21` 660; 10 dropped) was split before any of it was read, and `heldout21`
  scored once with the rules frozen (counts only): e-mail 13 of 13, phone 49 of 49, NIR 9 of
  9, IBAN 6 of 6, addresses 31 of 31 (100 % each), names 94.8 % (328 of 346, under the 95 %),
  precision 96.9 %. With the rules of round 20 the same half gives names 324 of 346 (93.6 %).
  Round 22: tuned on `dev22` and the spent halves (no held-out half read): a doctor named with
  a minister's surname (« Dr Vautrin »), « il s'est présenté comme Mathieu », a name glued to a
  phone in the author's field, two particles before a titled surname (« Mme de la
  Tour-Maubourg »), « J. Van den Broeck »; « professeure des écoles », « École élémentaire
  Jules Verne », « le grand monsieur chauve », « le père Fouettard » no persons; a capitalised
  place no misspelt insult (« la Lozère », not « loser »); a delivery point and « mon SIRET à
  moi »; a number given with opening hours an office's; four threats and « vieille folle »;
  after the scoring below, from two spent halves, an address typed with blanks around its
  dots and its « @ » (« Jean. Lambert@Orange. Fr », « anthony . roux 92 @ gmail . com »).
  Then, from the six misses of the strict kinds that `heldout15`–`heldout18` still showed with
  these rules (the only passages of those halves read; they are spent since, and their names
  and precision no fresh measure either): a compound first name in an office's mailbox
  (« jean-marc.teissedre@… »), a Polynesian number in one block after « rappel », six digits
  in pairs after « au » beside a number of New Caledonia, « tiret du six » in a dictated
  address, a NIR's thirteen digits without their key beside words about it, a mobile's nine
  digits « précédé du zéro »: all six found, nothing lost on the other halves. Then, from the
  names those four halves still missed (read too): « il s appelle thierry » without its
  apostrophe, a first name right before a phone (« Jules 06 31 … »), « Mr bernard », a
  flatmate named (« colocataire »), a name spelled in capitals letter by letter (not an insult
  spelled so), « cet abruti de Lacroix », a town, a month or a feast after a title (« Mme
  Paris », « M. Janvier », « Mme Toussaint »): 18 misses gone, none gained.
  43 misses and false flags gone over the non-sealed halves since round 21, none gained. The
  twenty-second corpus (money matters; papers, transport and school; a day's mix across every
  office; `dev22` 673 texts, `heldout22` 660; 22 dropped) was split before any of it was read,
  and `heldout22` scored once with the rules frozen (counts only): e-mail 14 of 14, phone 54
  of 54, NIR 10 of 10, IBAN 9 of 9, addresses 34 of 34 (100 % each), names 97.0 % (261 of
  269), precision 97.7 %: every target met (the rules of round 21 score it the same for
  names, 261 of 269). Over the three fresh halves of this session, the strict kinds and the
  addresses were found whole and precision stayed at 96.9–97.7 %; names reached 98.0 %,
  94.8 % and 97.0 %.
  Round 23: first, speed only: a lower-case word that is no first name skips the reading of
  its context (every way to a lower-case name needs a first name), the same flags on every
  half. The twenty-third corpus (writing for someone else, with several persons and the
  overseas departments; typing in a hurry on a phone; formal letters with signatures and
  references; `dev23` 663 texts, `heldout23` 669; 24 dropped) was split before any of it was
  read, and `heldout23` scored once with those rules (counts only): e-mail 14 of 14, phone 50
  of 50, NIR 7 of 7, IBAN 5 of 5, addresses 48 of 48 (100 % each), names 96.7 % (323 of 334),
  precision 94.9 % (564 of 594, a tenth under the 95 %). Then tuned on `dev23` only: an
  address spelled letter by letter with two letters between two signs said (« h a m z a
  point d z at … »), a firm's delivery (« CS 40001 », « Cedex ») never a home, chambers of
  trades and agriculture as offices, an office or a lawyer's chambers opening the address
  (« L'UDAF de la Marne, 35 rue … », « Cabinet X, 12 rue … »; not an EHPAD, where people
  live), a name signed before a place and a way, then its postal code and town (« M. Lionel
  Blanchard, Les Hauts de Chabrières, chemin rural n° 4, 04700 … »), an address walked back
  into a name closed by a comma starts after it, « Le Roux Yannick », « VAN DEN BERGHE »,
  « qui s appelait Romain », « je suis Kouyaté Moussa, … » (not « je suis Française »), a
  lower-case first name after a person's word and her office, taken up by « elle » or « il »
  (« la meuf du crous kelly elle m'a dit »), a lower-case signature after « cordialement »;
  regions and departments no persons (« URSSAF Limousin »), « la fac Paul Valéry », a town
  after « depuis »; a pension number; six threats, « t'es qu'une merde », « allez tous vous
  faire foutre », « chiasse ». 58 misses and false flags gone over the non-sealed halves,
  none gained.
  Round 24: the twenty-fourth corpus (health and disability; rural life and small towns;
  big-city papers, with foreign words and names from everywhere; `dev24` 678 texts,
  `heldout24` 657; 19 dropped) was split before any of it was read, and `heldout24` scored
  once with round 23's rules frozen (counts only): e-mail 14 of 14, phone 55 of 55, NIR 10 of
  10, IBAN 6 of 6, addresses 28 of 28 (100 % each), names 97.6 % (287 of 294), precision
  95.5 % (504 of 528): every target met. The same rules on the halves never tuned on:
  `heldout19` names 97.6 %, `heldout20` 98.0 %, `heldout21` 94.8 %, `heldout22` 97.0 %,
  `heldout23` 96.7 % (1,652 of 1,706 names over the six, 96.8 %), precision 95.6–97.8 %, the
  strict kinds and the addresses whole on each. Then tuned on `dev24` only: a first name that
  is also a town right after a word for a person (« l'infirmière Florence »), Portuguese,
  Spanish and Italian titles (« senhor Lopes »), « mon nom c kone moussa », an office's town
  between its name and its address (« Préfecture du Cantal, Aurillac, 2 cours … »), a
  mediation commission as an office, well-known public figures (former ministers and heads of
  state, names of metro stations and of a syndrome; not the bare surnames that private persons
  share, « Ouattara », « Erdogan »), « passaporte », four threats, « ils sont tous pourris »,
  « charlatan ». 25 misses and false flags gone over the non-sealed halves, none gained.
  Then the two strict-kind misses the spent halves still showed (`heldout10`, `heldout13`):
  a phone a digit short given after a bare « mon numéro » is a phone, not a file's number;
  an IBAN dictated in words after « RIB », a French IBAN's length give or take a digit, is
  masked whatever its key (noted `checksum_failed`). 4 misses and leaks gone, none gained.
  Then the false addresses of the development halves (address precision was the lowest of
  the masked kinds on the fresh halves, 78–93 %): a sentence or a place field that opens
  with an office and names nothing else before its address (« caf de l oise, beauvais, 2 bd
  … »; not « CROUS résidence X, chambre 12, … » nor « … pour Louis Ferrer, … »), an office
  said to be at an address (« l agence CAF c est au … », « les bureaux de la CAF sont au
  … »), a post box with a Cedex, a municipal crèche. 32 false addresses gone, none gained.
- **Matching** (`services/moderation/screening_eval.py`): an expected span is *found* when
  flags of its kind together cover every letter and digit of it (for `person_name` the
  title may stay uncovered; for `insult`, `threat` and `vulgarity` an overlap is enough).
  A flag is *correct* when it overlaps an expected span of its kind. Each text is screened
  as the form's field it was written in (its entry's `field`), as the platform screens it
  (from round 7 on; before, every text was screened as a body; the writers' « author » and
  « place » are read as `author_name` and `structure_hint` from round 15 on). Precision = correct /
  flagged, recall = found / expected, per kind and over all kinds (micro-average).
- **Detection**:
  - `email`: plain addresses and the obfuscated ones (« at », « arobase », « [at] »,
    « (at) », « point », « dot », spaces around `@` and the dots); a spelled-out dot needs a
    known top-level domain after it. An office's generic mailbox is left alone, and so is
    any address at a public service's domain whose local part shows no person (no first
    name, no initial, no « prenom.nom »).
    Also an address anchored on its domain (a mail provider with or without its ending, or
    a `word.tld`) after something shaped like a local part, whatever stands for the « @ »
    (an emoji, « chez », « sur », « (a) », a comma, nothing).
  - `phone`: French numbers in every layout (spaces, dots, dashes, commas, slashes, colons,
    « - » or « • » between blanks, a line break inside, « (06) », none; +33, 33 after « tél »,
    0033, +33 (0)), overseas (0590, 0594, 0596, 0262, 0269, 0690, 0694, 0639…, +262, +590…),
    stuck to the word before, the letter O typed for a zero, digits in any groups after
    words about a phone, numbers written in words (« zéro six douze trente-quatre… »);
    foreign numbers through `phonenumbers`.
    The number detectors (phone, NIR, IBAN, addresses) also read a normalised view of the
    text (`screening_normal.py`: letters typed for digits, numbers in words, emojis, arrows
    and dictation words between groups), mapped back to the characters as typed; and a
    stretch of 8 to 13 digits with short gaps that starts like a phone, or follows words
    about a phone, is a phone even a digit short or long.
  - `nir`, `iban`, `card`: the number's own key (`python-stdnum`); a number with the shape
    of a NIR or an IBAN but a wrong or missing key is flagged too, with
    `note="checksum_failed"` (the NIR key may follow « clé » or « / »; « FR 76 » may be
    split).
  - `identifier`: a label naming a personal file (allocataire, fiscal, France Travail,
    passeport, permis, CNI, titre de séjour, AGDREF, MSA, mutuelle, client, locataire,
    SIRET…), a few connecting words, the office's acronym or whose the file is (« de ma
    mère »), then the number; the administration's references (« dossier n° … ») only when
    given as one's own (« mon dossier n° … »); licence plates (old and new, any case, after
    words about a vehicle), a passport number, a fiscal number in its printed groups and a
    RIB by their shape.
  - `birth_date`: the first date after « né(e) le », « date de naissance »…, and the dates
    after it that repeat its day and month or its year.
  - `address`: read as a chain of parts joined by commas, spaces or line breaks (details,
    number and street, locality, road, landmark, postal code and town, arrondissement),
    anchored on a strong part (a number and a street type, a valid postal code beside a
    town, a town written before its postal code); number + street type (every type and
    abbreviation, « grande rue », bis/ter, « au 14 de la rue »), rural addresses (« 10 Le
    Bourg », lieu-dit, hameau, « La Grange Haute, 23200 … »), flat, floor and building
    details before and after, then a postal code
    and city, « à <ville> », or a city after a comma; an office's address (« la CAF du 27
    avenue… », « l'agence se trouve 12 rue … ») is left alone.
  - `person_name`: in the author's name field, a first name alone, in any case, with digits,
    underscores or a family word (« Mamie Jo », « kevin_du_93 »), unless the field names a
    group; everywhere, titles (M., Mme, Me, Dr… in any case, couples « M. et Mme »),
    « NOM Prénom », « Prénom NOM », « Prénom L. », maiden and married names (« née »,
    « épouse », « veuve »), households (« la famille Kowalski »), form fields (« Nom : »,
    « Prénom : », « nom d'usage »), names said to be names (« je m'appelle », « un
    certain »), a capitalised word after a word for a person (« ma mère Germaine »), and
    first names alone: a first name known from `services/moderation/first_names_fr.txt`
    (names generated by `bench/first_names_fr.py` from the `names-dataset` package) where the
    words around speak of a person; then, on the sentences where a capitalised word no rule
    named stands in a person's context, or on a field made only of two to four capitalised
    words, the French spaCy model `fr_core_news_sm` for PER entities. Public figures, set
    phrases and places named after someone (`services/moderation/names_public.yaml`) are not
    flagged.
  - `insult`, `vulgarity`, `threat`: the lexicons `insults_fr.txt` and `vulgarities_fr.txt`
    matched ignoring case, accents, digits for letters, dotted or spaced letters, asterisks
    and a phonetic key; `abuse_context.yaml` tells when a word is aimed at a person (insult:
    « espèce de », « un gros », « vous êtes des », « fonctionnaire de merde », « ces
    parasites de fonctionnaires », « une vipère, cette secrétaire ») or at a thing
    (vulgarity), and gives the threats: someone saying he will do violence (the verbs of
    harm, fire, weapons, coming with them), warnings (« vous allez le regretter »,
    « surveillez vos arrières »), knowing where someone lives (the flag covers the clause).
  - Published contacts (national numbers, switchboards, generic mailboxes, public domains,
    office words) are data: `services/moderation/public_contacts.yaml`.
"""


def render(
    halves: list[Scored],
    old: Report | None,
    cost: NameCost,
    sentences: dict[str, Timing],
    whole: dict[str, Timing],
    day: dt.date,
    command: str,
) -> str:
    results = "\n".join(
        results_section(s, old if s.half == "dev" else None) for s in halves
    )
    earlier = earlier_run_section() + "\n" if any(s.held_out for s in halves) else ""
    targets = targets_section(halves)
    missing = [h for h in HELD_OUT if any(s.held_out for s in halves)
               and h not in {s.half for s in halves}]
    missing_line = "".join(f"The `{h}` half is not split yet.\n\n" for h in missing)
    name_rows = "\n".join(
        f"- `{s.half}`: without the model, `person_name` scores precision "
        f"{_percent(s.rules_only.per_kind['person_name'].precision)}, recall "
        f"{_percent(s.rules_only.per_kind['person_name'].recall)}\n  (with it: "
        f"{_percent(s.report.per_kind['person_name'].precision)}, "
        f"{_percent(s.report.per_kind['person_name'].recall)}); overall "
        f"{_percent(s.rules_only.overall.precision)} / {_percent(s.rules_only.overall.recall)}, "
        f"{len(s.rules_only.leaks)} leaks."
        for s in halves
    )
    texts = ", ".join(f"`{s.half}`" for s in halves)
    return f"""# Automatic screening of experiences: measured quality

Generated by `bench/screening_report.py {command}` on {day.isoformat()}; do not edit by hand.

The moderation service screens every public field of a submitted experience (title, body,
author's name, place named) with `services/moderation/screening.py` and the moderator acts
on the flags: personal data (e-mails, phones, NIR, IBAN, cards, identifiers, dates of
birth, postal addresses, private persons' names), insults and threats are masked by default;
vulgarity aimed at no one is shown to the moderator and left in the text unless she masks it.

{targets}
{results}
{missing_line}{earlier}
{METHOD}
## Speed

Measured by this script on {platform.python_implementation()} {platform.python_version()},
{os.cpu_count()} CPU(s), one process, after the scoring runs as a warm-up: per text of
{texts} ({SENTENCE_ROUNDS} rounds), and per experience made of those texts (a title, a body of
about {EXPERIENCE_BODY_CHARS} characters, an author's name, a place: the four calls the worker
makes). The worker loads the model when it starts (`services/moderation/worker.py`).

| what | samples | median ms | p99 ms | max ms |
|---|---:|---:|---:|---:|
{sentences["rules"].row("one text, rules only")}
{sentences["model"].row("one text, rules + name model")}
{whole["rules"].row("one experience, rules only")}
{whole["model"].row("one experience, rules + name model")}

## What the names detector costs

- First-name list: {cost.first_names} names read in {cost.first_names_seconds * 1000:.0f} ms, once
  per process.
- spaCy model (`fr_core_news_sm`, entity recogniser only): loaded in {cost.load_seconds:.1f} s, once per
  process; resident memory {cost.rss_before_mib:.0f} MiB before,
  {cost.rss_after_mib:.0f} MiB after ({cost.rss_after_mib - cost.rss_before_mib:+.0f} MiB).
{name_rows}
"""


def score(half: str) -> tuple[Scored, list[Entry]]:
    entries = load_corpus(HALVES[half])
    report = evaluate(entries)
    rules_only = evaluate(
        entries, lambda text, field="body": screening.screen(text, use_model=False, field=field)
    )
    return Scored(half, report, rules_only), entries


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    cost = measure_name_cost()
    halves, entries = [], []
    for half in args.halves:
        scored, half_entries = score(half)
        halves.append(scored)
        entries += half_entries
    old = (
        evaluate(load_corpus(OLD_SET)) if "dev" in args.halves and OLD_SET.exists() else None
    )
    made = experiences(entries)
    timers: dict[str, Callable[[bool], Timing]] = {
        "sentences": lambda model: time_sentences(entries, model),
        "whole": lambda model: time_experiences(made, model),
    }
    timings = {name: {"rules": timer(False), "model": timer(True)} for name, timer in timers.items()}
    command = "--write-docs" if args.write_docs else f"--half {args.halves[0]}"
    page = render(halves, old, cost, timings["sentences"], timings["whole"], dt.date.today(),
                  command)
    targets = [t for t in (args.markdown, DOC_PATH if args.write_docs else None) if t]
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
    print(page)
    return page

