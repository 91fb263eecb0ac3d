"""Diagnostic's data access, through the caller's Session."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.diagnostic.domain import DiagnosticStatus
from services.diagnostic.models import Answer, Diagnostic, Note

_COMPLETED = Diagnostic.status == DiagnosticStatus.COMPLETED.value


def diagnostic(session: Session, diagnostic_id: str, *, lock: bool = False) -> Diagnostic | None:
    query = sa.select(Diagnostic).where(Diagnostic.id == diagnostic_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def draft_of(session: Session, structure_id: str) -> str | None:
    """The id of the structure's draft, if it has one."""
    return session.scalar(sa.select(Diagnostic.id).where(
        Diagnostic.structure_id == structure_id,
        Diagnostic.status == DiagnosticStatus.DRAFT.value))


def listed(*, structure_ids: set[str] | None = None, network_id: str | None = None,
           status: str | None = None) -> sa.Select:
    """Diagnostics newest first, of these structures or this network when given."""
    query = sa.select(Diagnostic)
    if structure_ids is not None:
        query = query.where(Diagnostic.structure_id.in_(structure_ids or {""}))
    if network_id is not None:
        query = query.where(Diagnostic.network_id == network_id)
    if status:
        query = query.where(Diagnostic.status == status)
    return query.order_by(Diagnostic.started_at.desc(), Diagnostic.id)


def answers_of(session: Session, diagnostic_id: str) -> list[Answer]:
    return list(session.scalars(sa.select(Answer).where(Answer.diagnostic_id == diagnostic_id)))


def notes_of(session: Session, diagnostic_id: str) -> list[Note]:
    return list(session.scalars(
        sa.select(Note).where(Note.diagnostic_id == diagnostic_id).order_by(Note.commitment)))


def previous_completed(session: Session, d: Diagnostic) -> Diagnostic | None:
    """The structure's completed diagnostic before this one."""
    return session.scalars(
        sa.select(Diagnostic)
        .where(Diagnostic.structure_id == d.structure_id, _COMPLETED,
               Diagnostic.completed_at < d.completed_at, Diagnostic.id != d.id)
        .order_by(Diagnostic.completed_at.desc()).limit(1)).first()


def latest_results_in_network(session: Session, d: Diagnostic) -> list[dict]:
    """The results of each structure's latest completed diagnostic in the network of `d`, on
    its questionnaire version."""
    rows = session.execute(
        sa.select(Diagnostic.structure_id, Diagnostic.completed_at, Diagnostic.results)
        .where(Diagnostic.network_id == d.network_id,
               Diagnostic.questionnaire_version == d.questionnaire_version, _COMPLETED)
    ).all()
    latest: dict[str, tuple] = {}
    for structure_id, completed_at, results in rows:
        if structure_id not in latest or completed_at > latest[structure_id][0]:
            latest[structure_id] = (completed_at, results)
    return [results for _, results in latest.values() if results]
