"""The local diagnostic: questionnaire versions and the scoring of a structure's answers.

Pure rules. The only I/O is reading the questionnaire files shipped with this package.

Every score is a share in 0..1: the mean of the answer values over the answered items in
scope, « Non concerné » left out. A scope whose items are all « Non concerné » (or not yet
answered) has no score (None). Nothing is rounded here; see `percent` for presentation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from services.chassis.refusals import Conflict, Forbidden, Invalid, NotFound

QUESTIONNAIRES_DIR = Path(__file__).parent / "questionnaires"
ALL_CHANNELS = "all"


class AnswerCode(StrEnum):
    """How a structure answers a question; « not applicable » is left out of the score."""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    NOT_APPLICABLE = "not_applicable"


class DiagnosticStatus(StrEnum):
    """A draft the team fills in until one of them completes it; completed, it is read
    only and has results."""

    DRAFT = "draft"
    COMPLETED = "completed"


class ChannelCode(StrEnum):
    """The questionnaire's channels; mail and e-mail share one (STRUCTURE_CHANNELS below)."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    MAIL_EMAIL = "mail_email"
    ONLINE = "online"


# The contact channels a structure declares in identity (its `channels`) that each channel of
# the questionnaire covers; identity's « other » has no questions of its own.
STRUCTURE_CHANNELS: dict[ChannelCode, tuple[str, ...]] = {
    ChannelCode.IN_PERSON: ("in_person",),
    ChannelCode.PHONE: ("phone",),
    ChannelCode.MAIL_EMAIL: ("mail", "email"),
    ChannelCode.ONLINE: ("online",),
}


class QuestionnaireError(ValueError):
    """A questionnaire file or document is malformed; `errors` lists every problem found."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("invalid questionnaire: " + "; ".join(errors))


# --- refusals: the API answers them as the chassis errors they are; str() says it in English


class ChannelSelectionError(Invalid):
    """No channel, or one the questionnaire does not have."""

    def __init__(self, reason: str, known: Iterable[str]):
        super().__init__("Canaux invalides.", channels="Choisissez au moins un canal parmi : "
                         + ", ".join(known) + ".")
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class Problem(NamedTuple):
    """One answer or note that does not fit: the field it came in, what is wrong (English),
    and what the API answers (French)."""

    field: str
    english: str
    french: str


class AnswerError(Invalid):
    """Answers (or notes) that do not fit the questionnaire; `errors` lists every problem
    found."""

    def __init__(self, problems: list[Problem]):
        by_field: dict[str, list[str]] = {}
        for problem in problems:
            by_field.setdefault(problem.field, []).append(problem.french)
        super().__init__("Certaines réponses sont invalides.", listed=by_field)
        self.errors = [problem.english for problem in problems]

    def __str__(self) -> str:
        return "invalid answers: " + "; ".join(self.errors)


def _no_such_item(item: str) -> Problem:
    return Problem("answers", f"{item}: no such item for the chosen channels",
                   f"{item} : question ou canal inconnu pour ce diagnostic.")


def _unknown_code(item: str, code: str) -> Problem:
    return Problem("answers", f"{item}: unknown answer code {code!r}",
                   f"{item} : réponse inconnue ({code!r}).")


def _unknown_commitment(number: int) -> Problem:
    return Problem("notes", f"{number}: no such commitment", f"{number} : engagement inconnu.")


class UnknownVersion(NotFound):
    message = "Version de questionnaire introuvable."


class UnknownStructure(Invalid):
    message = "Structure inconnue."
    field = "structure_id"


class OutOfScope(Forbidden):
    message = "Cette structure ne fait pas partie de votre périmètre."


class DraftInProgress(Conflict):
    """The team resumes a structure's draft rather than starting another."""

    def __init__(self, draft_id: str | None):
        where = {"draft_id": draft_id} if draft_id else {"structure_id": "Brouillon en cours."}
        super().__init__("Un diagnostic est déjà en cours pour cette structure : reprenez-le.",
                         **where)


class StatusRefuses(Conflict):
    """The diagnostic's status refuses the action: completed, it is read only; a draft has no
    results yet."""

    SAID = {DiagnosticStatus.COMPLETED: ("Ce diagnostic est terminé : il ne peut plus être modifié.",
                                         "Diagnostic terminé."),
            DiagnosticStatus.DRAFT: ("Ce diagnostic n'est pas terminé : pas encore de résultats.",
                                     "Diagnostic en brouillon.")}

    def __init__(self, status: DiagnosticStatus):
        message, said = self.SAID[status]
        super().__init__(message, status=said)


class Incomplete(Conflict):
    code = "incomplete"

    def __init__(self, missing: list[Item]):
        self.missing = [item.name for item in missing]
        super().__init__(f"{len(missing)} question(s) sans réponse : complétez-les d'abord.",
                         listed={"missing": self.missing})


# --- the questionnaire ------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerLevel:
    code: AnswerCode
    label: str
    value: float | None  # None: excluded from the score


@dataclass(frozen=True)
class AnswerScale:
    levels: tuple[AnswerLevel, ...]

    def value(self, code: str) -> float | None:
        return self._level(code).value

    def label(self, code: str) -> str:
        return self._level(code).label

    def _level(self, code: str) -> AnswerLevel:
        for level in self.levels:
            if level.code == code:
                return level
        raise KeyError(code)


@dataclass(frozen=True)
class Channel:
    code: ChannelCode
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    channels: tuple[ChannelCode, ...]  # "all" is expanded to every channel when loading


@dataclass(frozen=True)
class Commitment:
    number: int
    code: str
    label: str
    expected_level: float
    questions: tuple[Question, ...]


class Item(NamedTuple):
    """One thing to answer: a question for one channel."""

    question_id: str
    commitment: int
    channel: ChannelCode

    @property
    def key(self) -> tuple[str, ChannelCode]:
        return (self.question_id, self.channel)

    @property
    def name(self) -> str:
        return f"{self.question_id}/{self.channel}"


Answers = Mapping[tuple[str, str], str | None]  # (question_id, channel) -> answer code


@dataclass(frozen=True)
class Questionnaire:
    version: str
    title: str
    published_on: dt.date
    scale: AnswerScale
    channels: tuple[Channel, ...]
    commitments: tuple[Commitment, ...]

    def commitment(self, number: int) -> Commitment:
        for commitment in self.commitments:
            if commitment.number == number:
                return commitment
        raise KeyError(number)

    def channel(self, code: str) -> Channel:
        for channel in self.channels:
            if channel.code == code:
                return channel
        raise KeyError(code)

    def select_channels(self, channels: Iterable[str]) -> tuple[ChannelCode, ...]:
        """The picked channels in questionnaire order; refuses none or an unknown one."""
        picked = set(channels)
        known = [channel.code for channel in self.channels]
        unknown = sorted(str(code) for code in picked - set(known))
        if unknown:
            raise ChannelSelectionError(f"unknown channel(s): {', '.join(unknown)}", known)
        if not picked:
            raise ChannelSelectionError("pick at least one channel", known)
        return tuple(code for code in known if code in picked)

    def default_channels(self, structure_channels: Iterable[str] | None) -> tuple[ChannelCode, ...]:
        """The channels a diagnostic of a structure starts with: those covering the contact
        channels the structure declares, in questionnaire order; every channel when it
        declares none that the questionnaire covers (nothing to go on)."""
        declared = set(structure_channels or ())
        picked = tuple(channel.code for channel in self.channels
                       if declared & set(STRUCTURE_CHANNELS.get(channel.code, ())))
        return picked or tuple(channel.code for channel in self.channels)

    def items(self, channels: Iterable[str]) -> list[Item]:
        """The items a structure answers for the channels it picked, in display order."""
        picked = self.select_channels(channels)
        return [
            Item(question.id, commitment.number, channel)
            for commitment in self.commitments
            for question in commitment.questions
            for channel in picked
            if channel in question.channels
        ]


# --- loading and validation ---------------------------------------------------------------


def available_versions() -> dict[str, Path]:
    return {path.stem: path for path in sorted(QUESTIONNAIRES_DIR.glob("*.yaml"))}


def load_questionnaire(path: Path | str) -> Questionnaire:
    path = Path(path)
    with path.open(encoding="utf-8") as stream:
        data = yaml.safe_load(stream)
    questionnaire = validate_questionnaire(data)
    if questionnaire.version != path.stem:
        raise QuestionnaireError(
            [f"version {questionnaire.version!r} does not match the file name {path.name!r}"]
        )
    return questionnaire


@cache
def get_questionnaire(version: str) -> Questionnaire:
    """A shipped questionnaire version; raises KeyError for an unknown one."""
    return load_questionnaire(available_versions()[version])


def questionnaire_of(version: str) -> Questionnaire:
    """A shipped questionnaire version; UnknownVersion for any other."""
    try:
        return get_questionnaire(version)
    except KeyError:
        raise UnknownVersion() from None


def current_questionnaire() -> Questionnaire:
    """The latest published version: the one new diagnostics use."""
    versions = [get_questionnaire(version) for version in available_versions()]
    if not versions:
        raise LookupError(f"no questionnaire in {QUESTIONNAIRES_DIR}")
    return max(versions, key=lambda q: (q.published_on, q.version))


def validate_questionnaire(data: Any) -> Questionnaire:
    """Check a questionnaire document (as parsed from YAML) and build it.

    Raises QuestionnaireError listing every problem found.
    """
    errors: list[str] = []
    if not isinstance(data, Mapping):
        raise QuestionnaireError(["the document must be a mapping"])

    version = _text(data, "version", "", errors)
    title = _text(data, "title", "", errors)
    published_on = data.get("published_on")
    if isinstance(published_on, str):
        try:
            published_on = dt.date.fromisoformat(published_on)
        except ValueError:
            pass
    if not isinstance(published_on, dt.date):
        errors.append("published_on: missing or not a date (YYYY-MM-DD)")

    scale = _scale(_list(data, "scale", "", errors), errors)
    channels = _channels(_list(data, "channels", "", errors), errors)
    commitments = _commitments(
        _list(data, "commitments", "", errors), [c.code for c in channels], errors
    )

    if errors:
        raise QuestionnaireError(errors)
    return Questionnaire(
        version=version,
        title=title,
        published_on=published_on,
        scale=scale,
        channels=channels,
        commitments=commitments,
    )


def _scale(entries: list, errors: list[str]) -> AnswerScale:
    levels = []
    for i, entry in enumerate(entries):
        where = f"scale[{i}]."
        if not isinstance(entry, Mapping):
            errors.append(f"scale[{i}]: must be a mapping")
            continue
        code = entry.get("code")
        if isinstance(code, bool):
            # YAML 1.1 reads bare yes/no as booleans
            errors.append(f'{where}code: {code!r} is a boolean; quote it ("yes", "no")')
            continue
        if not _is_code(code, AnswerCode):
            errors.append(f"{where}code: unknown answer code {code!r}")
            continue
        label = _text(entry, "label", where, errors)
        value = entry.get("value")
        if code == AnswerCode.NOT_APPLICABLE:
            if value is not None:
                errors.append(f"{where}value: {code} is excluded from the score; leave it null")
        elif not _is_share(value):
            errors.append(f"{where}value: must be a number between 0 and 1, got {value!r}")
        else:
            value = float(value)
        levels.append(AnswerLevel(AnswerCode(code), label, value))
    codes = [level.code for level in levels]
    for code in AnswerCode:
        if codes.count(code) > 1:
            errors.append(f"scale: answer code {code.value!r} appears more than once")
        elif code not in codes:
            errors.append(f"scale: answer code {code.value!r} is missing")
    return AnswerScale(tuple(levels))


def _channels(entries: list, errors: list[str]) -> tuple[Channel, ...]:
    channels = []
    for i, entry in enumerate(entries):
        where = f"channels[{i}]."
        if not isinstance(entry, Mapping):
            errors.append(f"channels[{i}]: must be a mapping")
            continue
        code = entry.get("code")
        label = _text(entry, "label", where, errors)
        if not _is_code(code, ChannelCode):
            errors.append(f"{where}code: unknown channel code {code!r}")
        elif any(channel.code == code for channel in channels):
            errors.append(f"{where}code: duplicate channel code {code!r}")
        else:
            channels.append(Channel(ChannelCode(code), label))
    return tuple(channels)


def _commitments(
    entries: list, channel_codes: list[ChannelCode], errors: list[str]
) -> tuple[Commitment, ...]:
    commitments = []
    numbers: set[int] = set()
    codes: set[str] = set()
    question_ids: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"commitments[{i}]."
        if not isinstance(entry, Mapping):
            errors.append(f"commitments[{i}]: must be a mapping")
            continue
        number = entry.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            errors.append(f"{where}number: missing or not a positive integer")
        elif number in numbers:
            errors.append(f"{where}number: duplicate commitment number {number}")
        numbers.add(number)
        code = _text(entry, "code", where, errors)
        if code and code in codes:
            errors.append(f"{where}code: duplicate commitment code {code!r}")
        codes.add(code)
        label = _text(entry, "label", where, errors)
        expected_level = entry.get("expected_level")
        if expected_level is None:
            errors.append(f"{where}expected_level: missing")
        elif not _is_share(expected_level):
            errors.append(f"{where}expected_level: must be between 0 and 1, got {expected_level!r}")
        questions = []
        entries_q = _list(entry, "questions", where, errors)
        for j, question in enumerate(entries_q):
            built = _question(question, f"{where}questions[{j}]", channel_codes, errors)
            if built is None:
                continue
            if built.id in question_ids:
                errors.append(f"{where}questions[{j}].id: duplicate question id {built.id!r}")
            question_ids.add(built.id)
            questions.append(built)
        if _is_share(expected_level) and isinstance(number, int):
            commitments.append(
                Commitment(number, code, label, float(expected_level), tuple(questions))
            )
    return tuple(sorted(commitments, key=lambda c: c.number))


def _question(
    entry: Any, where: str, channel_codes: list[ChannelCode], errors: list[str]
) -> Question | None:
    if not isinstance(entry, Mapping):
        errors.append(f"{where}: must be a mapping")
        return None
    question_id = _text(entry, "id", where + ".", errors)
    text = _text(entry, "text", where + ".", errors)
    channels = entry.get("channels")
    if channels == ALL_CHANNELS:
        picked = tuple(channel_codes)
    elif isinstance(channels, list) and channels:
        unknown = [code for code in channels if code not in channel_codes]
        for code in unknown:
            errors.append(f"{where}.channels: unknown channel code {code!r}")
        if unknown:
            return None
        if len(set(channels)) != len(channels):
            errors.append(f"{where}.channels: a channel is listed twice")
        picked = tuple(code for code in channel_codes if code in channels)
    else:
        errors.append(f"{where}.channels: missing; give {ALL_CHANNELS!r} or a list of codes")
        return None
    if not question_id:
        return None
    return Question(question_id, text, picked)


def _text(entry: Mapping, key: str, where: str, errors: list[str]) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{where}{key}: missing or empty")
        return ""
    return value


def _list(entry: Mapping, key: str, where: str, errors: list[str]) -> list:
    value = entry.get(key)
    if not isinstance(value, list):
        errors.append(f"{where}{key}: missing or not a list")
        return []
    if not value:
        errors.append(f"{where}{key}: must not be empty")
    return value


def _is_code(value: Any, codes: type[StrEnum]) -> bool:
    return isinstance(value, str) and value in {code.value for code in codes}


def _is_share(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


# --- answers --------------------------------------------------------------------------------


def missing_items(
    questionnaire: Questionnaire, channels: Iterable[str], answers: Answers
) -> list[Item]:
    """What must still be answered before the diagnostic can be completed.

    « Non concerné » counts as an answer.
    """
    return [item for item in questionnaire.items(channels) if answers.get(item.key) is None]


def validate_answers(
    questionnaire: Questionnaire, channels: Iterable[str], answers: Answers,
    notes: Iterable[int] = (),
) -> None:
    """Refuse answers to items outside the structure's questionnaire or with unknown codes,
    and notes on commitments it does not have.

    A None answer clears a draft answer and is accepted.
    """
    applicable = {item.key for item in questionnaire.items(channels)}
    problems = []
    for (question_id, channel), code in answers.items():
        if (question_id, channel) not in applicable:
            problems.append(_no_such_item(f"{question_id}/{channel}"))
        elif code is not None and not _is_code(code, AnswerCode):
            problems.append(_unknown_code(f"{question_id}/{channel}", code))
    known = {commitment.number for commitment in questionnaire.commitments}
    problems += [_unknown_commitment(number) for number in notes if number not in known]
    if problems:
        raise AnswerError(problems)


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    commitment: int
    channel: ChannelCode
    score: float | None
    expected: float

    @property
    def gap(self) -> float | None:
        return _gap(self.expected, self.score)


@dataclass(frozen=True)
class Results:
    version: str
    channels: tuple[ChannelCode, ...]
    expected_levels: dict[int, float]
    commitment_codes: dict[int, str]
    commitment_scores: dict[int, float | None]
    cell_scores: dict[tuple[int, ChannelCode], float | None]
    channel_scores: dict[ChannelCode, float | None]
    overall_score: float | None

    def commitment_gap(self, number: int) -> float | None:
        """expected_level - score: positive when the structure is below expectation."""
        return _gap(self.expected_levels[number], self.commitment_scores[number])

    def cell_gap(self, number: int, channel: str) -> float | None:
        return _gap(self.expected_levels[number], self.cell_scores[(number, channel)])

    def cells(self) -> list[Cell]:
        """Every (commitment, channel) cell, in questionnaire order."""
        return [
            Cell(number, channel, score, self.expected_levels[number])
            for (number, channel), score in self.cell_scores.items()
        ]

    def weakest(self) -> list[Cell]:
        """Scored cells, largest gap first; cells without a score are left out."""
        scored = [cell for cell in self.cells() if cell.score is not None]
        return sorted(scored, key=lambda cell: -cell.gap)  # stable: ties keep their order


def compute_results(
    questionnaire: Questionnaire, channels: Iterable[str], answers: Answers
) -> Results:
    """Score the answers; unanswered items are ignored (check `missing_items` to complete)."""
    picked = questionnaire.select_channels(channels)
    numbers = [commitment.number for commitment in questionnaire.commitments]
    by_commitment: dict[int, list[float]] = {number: [] for number in numbers}
    by_cell: dict[tuple[int, ChannelCode], list[float]] = {
        (number, channel): [] for number in numbers for channel in picked
    }
    by_channel: dict[ChannelCode, list[float]] = {channel: [] for channel in picked}
    overall: list[float] = []
    for item in questionnaire.items(picked):
        code = answers.get(item.key)
        if code is None:
            continue
        if not _is_code(code, AnswerCode):
            raise AnswerError([_unknown_code(item.name, code)])
        value = questionnaire.scale.value(code)
        if value is None:
            continue
        by_commitment[item.commitment].append(value)
        by_cell[(item.commitment, item.channel)].append(value)
        by_channel[item.channel].append(value)
        overall.append(value)
    return Results(
        version=questionnaire.version,
        channels=picked,
        expected_levels={c.number: c.expected_level for c in questionnaire.commitments},
        commitment_codes={c.number: c.code for c in questionnaire.commitments},
        commitment_scores={key: _mean(values) for key, values in by_commitment.items()},
        cell_scores={key: _mean(values) for key, values in by_cell.items()},
        channel_scores={key: _mean(values) for key, values in by_channel.items()},
        overall_score=_mean(overall),
    )


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _gap(expected: float, score: float | None) -> float | None:
    return None if score is None else expected - score


@dataclass(frozen=True)
class Delta:
    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


def compare(current: Results, previous: Results | None) -> dict[int, Delta]:
    """Change per commitment since the previous diagnostic, keyed by current number.

    Commitments are matched by code, so a renumbering between versions keeps its history;
    a commitment new in this version has no previous score.
    """
    previous_by_code: dict[str, float | None] = {}
    if previous is not None:
        previous_by_code = {
            previous.commitment_codes[number]: score
            for number, score in previous.commitment_scores.items()
        }
    return {
        number: Delta(score, previous_by_code.get(current.commitment_codes[number]))
        for number, score in current.commitment_scores.items()
    }


def average_results(results: list[Results]) -> dict[int, float | None]:
    """Network average per commitment: each structure weighs the same.

    A structure without a score on a commitment (all « Non concerné ») is left out of
    that commitment's average. All results must use the same questionnaire version.
    """
    if not results:
        return {}
    versions = {r.version for r in results}
    if len(versions) > 1:
        raise ValueError(f"cannot average results of different versions: {sorted(versions)}")
    averages: dict[int, float | None] = {}
    for number in results[0].commitment_scores:
        scores = [r.commitment_scores[number] for r in results]
        averages[number] = _mean([s for s in scores if s is not None])
    return averages


# --- presentation ---------------------------------------------------------------------------


def percent(share: float | None) -> int | None:
    """A share 0..1 as a whole percentage, half rounded up (0.625 -> 63)."""
    if share is None:
        return None
    return int((Decimal(repr(share)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_percent(share: float | None) -> str:
    """« 63 % » with a no-break space, as French typography wants; « — » without a score."""
    value = percent(share)
    return "—" if value is None else f"{value}\u00a0%"


def gap_points(expected: float, score: float | None) -> int | None:
    """« Écart » as every output shows it: the expected level minus the score, in points of the
    displayed percentages (so the figures add up for the reader). Positive: below the expected
    level by that much; zero or negative: reached. None without a score."""
    shown = percent(score)
    return None if shown is None else percent(expected) - shown


CSV_HEADER = ["Engagement", "Libellé", "Canal", "Score (%)", "Attendu (%)", "Écart (points)"]


def results_to_csv_rows(questionnaire: Questionnaire, results: Results) -> list[list[str]]:
    """Header and one row per (commitment, channel) for the CSV export.

    The gap is `gap_points`. Cells without a score have empty score and gap.
    """
    rows = [list(CSV_HEADER)]
    for cell in results.cells():
        score = percent(cell.score)
        gap = gap_points(cell.expected, cell.score)
        rows.append(
            [
                str(cell.commitment),
                questionnaire.commitment(cell.commitment).label,
                questionnaire.channel(cell.channel).label,
                "" if score is None else str(score),
                str(percent(cell.expected)),
                "" if gap is None else str(gap),
            ]
        )
    return rows


# --- snapshot (JSON) ------------------------------------------------------------------------


def results_to_json(results: Results) -> dict:
    """The results as a JSON document, stored when a diagnostic is completed."""
    return {
        "version": results.version,
        "channels": [str(channel) for channel in results.channels],
        "commitments": [
            {
                "number": number,
                "code": results.commitment_codes[number],
                "expected": results.expected_levels[number],
                "score": results.commitment_scores[number],
            }
            for number in results.commitment_scores
        ],
        "cells": [
            {"commitment": number, "channel": str(channel), "score": score}
            for (number, channel), score in results.cell_scores.items()
        ],
        "channel_scores": {str(ch): score for ch, score in results.channel_scores.items()},
        "overall_score": results.overall_score,
    }


def results_from_json(data: Mapping[str, Any]) -> Results:
    """Rebuild the results stored by `results_to_json`."""
    commitments = data["commitments"]
    return Results(
        version=data["version"],
        channels=tuple(ChannelCode(ch) for ch in data["channels"]),
        expected_levels={c["number"]: c["expected"] for c in commitments},
        commitment_codes={c["number"]: c["code"] for c in commitments},
        commitment_scores={c["number"]: c["score"] for c in commitments},
        cell_scores={
            (cell["commitment"], ChannelCode(cell["channel"])): cell["score"]
            for cell in data["cells"]
        },
        channel_scores={ChannelCode(ch): s for ch, s in data["channel_scores"].items()},
        overall_score=data["overall_score"],
    )


# --- scope ----------------------------------------------------------------------------------

ADMIN_PROFILE = "admin"
REFERENT_PROFILE = "referent"


def in_scope(
    profile: str,
    network_id: str | None,
    structure_ids: Iterable[str],
    structure_chain: Iterable[str],
    structure_network_id: str,
) -> bool:
    """May this caller work on the structure?

    `structure_chain` is the structure's id followed by its ancestors' ids. The structure's
    own people (assigned to it or to an ancestor), its network's referents and admins may.
    """
    if profile == ADMIN_PROFILE:
        return True
    if profile == REFERENT_PROFILE and network_id is not None \
            and network_id == structure_network_id:
        return True
    return bool(set(structure_ids) & set(structure_chain))


def hidden_from(profile: str, network_id: str | None, structure_network_id: str) -> bool:
    """A caller outside the structure's network does not learn that a diagnostic exists."""
    return profile != ADMIN_PROFILE and network_id != structure_network_id


def check_draft(status: str) -> None:
    """Only a draft changes."""
    if status != DiagnosticStatus.DRAFT:
        raise StatusRefuses(DiagnosticStatus.COMPLETED)


def check_results(status: str, results: Mapping | None) -> None:
    """Results exist once the diagnostic is completed."""
    if status != DiagnosticStatus.COMPLETED or results is None:
        raise StatusRefuses(DiagnosticStatus.DRAFT)


def check_complete(missing: list[Item]) -> None:
    """A diagnostic completes once every applicable item is answered."""
    if missing:
        raise Incomplete(missing)


# --- results as shown -----------------------------------------------------------------------


def results_view(
    questionnaire: Questionnaire,
    results: Results,
    previous: Results | None,
    network_average: Mapping[int, float | None],
) -> dict:
    """Scores, gaps (weakest first) and comparisons, ready to serialise."""
    deltas = compare(results, previous)
    commitments = []
    for number, score in results.commitment_scores.items():
        delta = deltas[number]
        average = network_average.get(number)
        commitments.append({
            "number": number,
            "code": results.commitment_codes[number],
            "label": questionnaire.commitment(number).label,
            "expected": results.expected_levels[number],
            "score": score,
            "gap": results.commitment_gap(number),
            "gap_points": gap_points(results.expected_levels[number], score),
            "score_percent": percent(score),
            "previous_score": delta.previous,
            "change": delta.change,
            "network_average": average,
            "gap_to_network": None if score is None or average is None else average - score,
        })
    return {
        "questionnaire_version": results.version,
        "overall_score": results.overall_score,
        "overall_percent": percent(results.overall_score),
        "commitments": commitments,
        "weakest_commitments": sorted(
            (c for c in commitments if c["gap"] is not None), key=lambda c: -c["gap"]),
        "channels": [
            {"channel": str(ch), "label": questionnaire.channel(ch).label, "score": score,
             "score_percent": percent(score)}
            for ch, score in results.channel_scores.items()
        ],
        "cells": [_cell_view(questionnaire, cell) for cell in results.cells()],
        "weakest": [_cell_view(questionnaire, cell) for cell in results.weakest()],
    }


def _cell_view(questionnaire: Questionnaire, cell: Cell) -> dict:
    return {
        "commitment": cell.commitment,
        "commitment_label": questionnaire.commitment(cell.commitment).label,
        "channel": str(cell.channel),
        "channel_label": questionnaire.channel(cell.channel).label,
        "score": cell.score,
        "expected": cell.expected,
        "gap": cell.gap,
        "gap_points": gap_points(cell.expected, cell.score),
        "score_percent": percent(cell.score),
    }
