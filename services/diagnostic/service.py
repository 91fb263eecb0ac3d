"""Diagnostic's use cases: load, check the caller's scope and the domain rules, change,
publish — in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.chassis import clock, replica
from services.chassis.auth import Principal
from services.chassis.catalogue import EventType
from services.chassis.errors import DomainError, NotFound
from services.chassis.events import publish
from services.chassis.pagination import page_of
from services.diagnostic import domain, queries
from services.diagnostic.domain import DiagnosticStatus
from services.diagnostic.models import Answer, Base, Diagnostic, Note, Structure

SERVICE = "diagnostic"


# --- scope ----------------------------------------------------------------------------------


def _in_scope(session: Session, principal: Principal, structure_id: str,
              network_id: str) -> bool:
    return domain.in_scope(principal.profile, principal.network_id, principal.structure_ids,
                           replica.ancestor_ids(session, Structure, structure_id), network_id)


def _check_scope(session: Session, principal: Principal, structure: Structure,
                 recorded_network_id: str, missing: DomainError) -> None:
    """403 inside the caller's network, `missing` (a 404) outside it: a caller outside the
    network (as recorded with what it asks for) does not learn that it exists."""
    if not _in_scope(session, principal, structure.id, structure.network_id):
        if domain.hidden_from(principal.profile, principal.network_id, recorded_network_id):
            raise missing
        raise domain.OutOfScope()


def _load(session: Session, principal: Principal, diagnostic_id: str,
          lock: bool = False) -> Diagnostic:
    """The diagnostic, if the caller may see it. Its structure's network and tree come from
    the replica; if the replica lost it, from what the diagnostic recorded."""
    d = queries.diagnostic(session, diagnostic_id, lock=lock)
    if d is None:
        raise NotFound("Diagnostic introuvable.")
    structure = session.get(Structure, d.structure_id) or Structure(
        id=d.structure_id, network_id=d.network_id, parent_id=None, name="")
    _check_scope(session, principal, structure, d.network_id, NotFound("Diagnostic introuvable."))
    return d


def _visible(session: Session, principal: Principal, structure_id: str | None) -> dict:
    """What narrows a list to the diagnostics the caller may see."""
    if structure_id:
        structure = session.get(Structure, structure_id)
        if structure is None:
            raise NotFound("Structure introuvable.")
        _check_scope(session, principal, structure, structure.network_id,
                     NotFound("Structure introuvable."))
        return {"structure_ids": {structure.id}}
    if principal.profile == domain.ADMIN_PROFILE:
        return {}
    if principal.profile == domain.REFERENT_PROFILE and principal.network_id:
        return {"network_id": principal.network_id}
    return {"structure_ids": replica.subtree_ids(session, Structure, principal.structure_ids)}


# --- as the API shows it ----------------------------------------------------------------------


def summary(d: Diagnostic) -> dict:
    return {
        "id": d.id, "structure_id": d.structure_id, "network_id": d.network_id,
        "questionnaire_version": d.questionnaire_version, "channels": d.channels,
        "status": d.status, "started_by": d.started_by, "started_at": d.started_at,
        "completed_by": d.completed_by, "completed_at": d.completed_at,
        "overall_score": (d.results or {}).get("overall_score"),
    }


def _answer_map(answers: list[Answer]) -> dict[tuple[str, str], str]:
    return {(a.question_id, a.channel): a.answer for a in answers}


def detail(session: Session, d: Diagnostic) -> dict:
    """The diagnostic with its answers (in questionnaire order), notes, progress and last
    editor."""
    questionnaire = domain.questionnaire_of(d.questionnaire_version)
    answers = queries.answers_of(session, d.id)
    notes = queries.notes_of(session, d.id)
    items = questionnaire.items(d.channels)
    missing = domain.missing_items(questionnaire, d.channels, _answer_map(answers))
    order = {item.key: i for i, item in enumerate(items)}
    answers.sort(key=lambda a: order.get((a.question_id, a.channel), len(order)))
    edits = [(a.updated_at, a.updated_by) for a in answers] + \
            [(n.updated_at, n.updated_by) for n in notes]
    last = max(edits, key=lambda e: e[0]) if edits else (None, None)
    return {
        **summary(d),
        "progress": {"answered": len(items) - len(missing), "total": len(items)},
        "last_edit": {"updated_at": last[0], "updated_by": last[1]},
        "answers": answers,
        "notes": notes,
        "missing": [item.name for item in missing],
    }


# --- use cases ------------------------------------------------------------------------------


def list_diagnostics(session: Session, principal: Principal, structure_id: str | None,
                     status: str | None, page: int, per_page: int) -> dict:
    """The diagnostics the caller may see, newest first: one page."""
    query = queries.listed(status=status, **_visible(session, principal, structure_id))
    found = page_of(session, query, page, per_page)
    return found | {"items": [summary(d) for d in found["items"]]}


def get(session: Session, principal: Principal, diagnostic_id: str) -> dict:
    return detail(session, _load(session, principal, diagnostic_id))


def start(session: Session, principal: Principal, structure_id: str,
          channels: list[str] | None) -> dict:
    """A draft for the structure, on the current questionnaire version, for the channels
    given or else those the structure declares."""
    questionnaire = domain.current_questionnaire()
    picked = None if channels is None else questionnaire.select_channels(channels)
    structure = session.get(Structure, structure_id)
    if structure is None:
        raise domain.UnknownStructure()
    if not _in_scope(session, principal, structure.id, structure.network_id):
        raise domain.OutOfScope()
    if picked is None:
        picked = questionnaire.default_channels(structure.channels)
    draft = queries.draft_of(session, structure.id)
    if draft is not None:
        raise domain.DraftInProgress(draft)
    d = Diagnostic(
        structure_id=structure.id, network_id=structure.network_id,
        questionnaire_version=questionnaire.version, channels=[str(c) for c in picked],
        status=DiagnosticStatus.DRAFT.value, started_by=principal.user_id,
        started_at=clock.now())
    session.add(d)
    try:
        session.flush()
    except sa.exc.IntegrityError:  # another draft started at the same moment
        raise domain.DraftInProgress(None) from None
    return detail(session, d)


def _write(session: Session, row: Base | None, create: type[Base], key: dict, attribute: str,
           value: str | None, by: str, now: datetime) -> None:
    """Create, change or (an empty value) delete one answer or note of a draft."""
    if not value:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(create(**key, **{attribute: value}, updated_by=by, updated_at=now))
    elif getattr(row, attribute) != value:
        setattr(row, attribute, value)
        row.updated_by, row.updated_at = by, now


def save_answers(session: Session, principal: Principal, diagnostic_id: str,
                 answers: list[dict], notes: list[dict]) -> dict:
    """Save answers and notes of a draft (partial saves allowed; a null answer clears it)."""
    d = _load(session, principal, diagnostic_id, lock=True)
    domain.check_draft(d.status)
    submitted = {(a["question_id"], a["channel"]): a["answer"] for a in answers}
    domain.validate_answers(domain.questionnaire_of(d.questionnaire_version), d.channels,
                            submitted, [note["commitment"] for note in notes])
    now, by = clock.now(), principal.user_id
    existing = {(a.question_id, a.channel): a for a in queries.answers_of(session, d.id)}
    for (question_id, channel), code in submitted.items():
        _write(session, existing.get((question_id, channel)), Answer,
               {"diagnostic_id": d.id, "question_id": question_id, "channel": channel},
               "answer", code, by, now)
    for note in notes:
        _write(session, session.get(Note, (d.id, note["commitment"])), Note,
               {"diagnostic_id": d.id, "commitment": note["commitment"]},
               "text", note["text"].strip(), by, now)
    session.flush()
    return detail(session, d)


def complete(session: Session, principal: Principal, diagnostic_id: str) -> dict:
    """Complete a draft once every applicable item is answered; its results are frozen."""
    d = _load(session, principal, diagnostic_id, lock=True)
    domain.check_draft(d.status)
    questionnaire = domain.questionnaire_of(d.questionnaire_version)
    answers = _answer_map(queries.answers_of(session, d.id))
    domain.check_complete(domain.missing_items(questionnaire, d.channels, answers))
    results = domain.compute_results(questionnaire, d.channels, answers)
    d.status = DiagnosticStatus.COMPLETED.value
    d.completed_at = clock.now()
    d.completed_by = principal.user_id
    d.results = domain.results_to_json(results)
    publish(session, EventType.DIAGNOSTIC_COMPLETED, {
        "id": d.id, "structure_id": d.structure_id, "network_id": d.network_id,
        "questionnaire_version": d.questionnaire_version,
        "overall_score": results.overall_score, "completed_at": d.completed_at,
    }, producer=SERVICE)
    session.flush()
    return detail(session, d)


def _completed(session: Session, principal: Principal, diagnostic_id: str) -> Diagnostic:
    d = _load(session, principal, diagnostic_id)
    domain.check_results(d.status, d.results)
    return d


def results(session: Session, principal: Principal, diagnostic_id: str) -> dict:
    """Scores per commitment and channel, gaps weakest first, the previous diagnostic and the
    network's average."""
    d = _completed(session, principal, diagnostic_id)
    previous = queries.previous_completed(session, d)
    network = [domain.results_from_json(r) for r in queries.latest_results_in_network(session, d)]
    view = domain.results_view(
        domain.questionnaire_of(d.questionnaire_version), domain.results_from_json(d.results),
        domain.results_from_json(previous.results) if previous else None,
        domain.average_results(network))
    notes = {n.commitment: n.text for n in queries.notes_of(session, d.id)}
    for commitment in view["commitments"]:
        commitment["note"] = notes.get(commitment["number"])
    return {
        "diagnostic_id": d.id, "structure_id": d.structure_id, "network_id": d.network_id,
        "completed_at": d.completed_at.isoformat(),
        "previous": None if previous is None else {
            "diagnostic_id": previous.id,
            "completed_at": previous.completed_at.isoformat(),
            "questionnaire_version": previous.questionnaire_version,
            "overall_score": (previous.results or {}).get("overall_score"),
        },
        "network": {"structures": len(network)},
        **view,
    }


def results_rows(session: Session, principal: Principal, diagnostic_id: str) -> list[list[str]]:
    """The results as spreadsheet rows, header first."""
    d = _completed(session, principal, diagnostic_id)
    return domain.results_to_csv_rows(domain.questionnaire_of(d.questionnaire_version),
                                      domain.results_from_json(d.results))
