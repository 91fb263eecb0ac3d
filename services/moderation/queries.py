"""Moderation's data access: selects and statements, run in the caller's Session.

The hot paths (deciding a case, opening one) use statements built once: SQLAlchemy memoizes a
statement's cache key on the object, where one built per call works it out again. They read and
write rows, not ORM objects, which would cost a load and a flush for nothing; a decision's run
on the session's own connection, past the ORM's execution layer, which none of them needs.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.moderation.domain import CaseKind, CaseStatus
from services.moderation.models import Case, Decision, Network, Structure

_cases = Case.__table__
_CASE_FOR_UPDATE = sa.select(Case).where(Case.id == sa.bindparam("case_id")).with_for_update()
_CASE_ROW = sa.select(*_cases.c).where(_cases.c.id == sa.bindparam("case_id"))
_CASE_ROW_FOR_UPDATE = _CASE_ROW.with_for_update()
_CLOSE_CASE = (_cases.update().where(_cases.c.id == sa.bindparam("case_id"))
               .values(status=sa.bindparam("outcome"), decided_at=sa.bindparam("at"),
                       claimed_by=None, claimed_until=None))
_INSERT_CASE = _cases.insert()
_SUBMISSION_CASE = sa.select(Case.id).where(Case.experience_id == sa.bindparam("experience_id"),
                                            Case.kind == CaseKind.SUBMISSION)
_INSERT_DECISION = Decision.__table__.insert()
_STRUCTURE = (sa.select(Structure.id, Structure.network_id, Structure.active, Structure.name,
                        Network.name.label("network_name"))
              .outerjoin(Network, Network.id == Structure.network_id)
              .where(Structure.id == sa.bindparam("structure_id")))
_PLACE_NAMES = sa.select(
    sa.select(Structure.name).where(Structure.id == sa.bindparam("structure_id"))
    .scalar_subquery().label("structure_name"),
    sa.select(Network.name).where(Network.id == sa.bindparam("network_id"))
    .scalar_subquery().label("network_name"))


# ---- cases

def locked_case(session: Session, case_id: str) -> Case | None:
    return session.execute(_CASE_FOR_UPDATE, {"case_id": case_id}).scalar()


def case_row(session: Session, case_id: str, *, for_update: bool = False) -> sa.Row | None:
    statement = _CASE_ROW_FOR_UPDATE if for_update else _CASE_ROW
    return session.connection().execute(statement, {"case_id": case_id}).first()


def close_case(session: Session, case_id: str, outcome: str, at: datetime) -> None:
    session.connection().execute(_CLOSE_CASE, {"case_id": case_id, "outcome": outcome, "at": at})


def has_submission_case(session: Session, experience_id: str) -> bool:
    return session.execute(_SUBMISSION_CASE, {"experience_id": experience_id}).first() is not None


def insert_case(session: Session, values: dict) -> None:
    session.execute(_INSERT_CASE, values)


def has_pending_reorientation(session: Session, experience_id: str) -> bool:
    return session.execute(sa.select(Case.id).where(
        Case.experience_id == experience_id, Case.kind == CaseKind.REORIENTATION,
        Case.status == CaseStatus.PENDING)).first() is not None


def queue(status: str, kind: str | None, moderator_id: str, now: datetime) -> sa.Select:
    """Cases by status; pending ones oldest first, without those another moderator claimed."""
    query = sa.select(Case).where(Case.status == status)
    if kind:
        query = query.where(Case.kind == kind)
    if status == CaseStatus.PENDING:
        return query.where(sa.or_(
            Case.claimed_by.is_(None), Case.claimed_by == moderator_id,
            Case.claimed_until.is_(None), Case.claimed_until <= now,
        )).order_by(Case.created_at, Case.id)
    return query.order_by(Case.decided_at.desc(), Case.id)


def status_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(
        sa.select(Case.status, sa.func.count()).group_by(Case.status)).all())


def decided_since(session: Session, since: datetime) -> list[sa.Row]:
    """(created_at, decided_at) of the cases decided since `since`."""
    return list(session.execute(sa.select(Case.created_at, Case.decided_at).where(
        Case.decided_at >= since)).all())


# ---- decisions

def insert_decision(session: Session, values: dict) -> None:
    session.connection().execute(_INSERT_DECISION, values)


def latest_decision(session: Session, case_id: str) -> Decision | None:
    return session.scalars(sa.select(Decision).where(Decision.case_id == case_id)
                           .order_by(Decision.decided_at.desc())).first()


# ---- structures (identity's replica)

def structure_row(session: Session, structure_id: str) -> sa.Row | None:
    """The structure's id, network, state and names (its network's too, where known)."""
    return session.connection().execute(_STRUCTURE, {"structure_id": structure_id}).first()


def postal_code_of(session: Session, structure_id: str) -> str | None:
    return session.scalar(sa.select(Structure.postal_code).where(Structure.id == structure_id))


def active_structures(session: Session) -> sa.Result:
    # Columns, not ORM objects: at 50,000 structures the loading would cost more than scoring.
    return session.execute(sa.select(Structure.id, Structure.name, Structure.postal_code,
                                     Structure.city, Structure.network_id)
                           .where(Structure.active.is_(True)))


def network_names(session: Session, network_ids: set[str]) -> dict[str, str]:
    """{id: name} of these networks (those the replica knows)."""
    if not network_ids:
        return {}
    return dict(session.execute(sa.select(Network.id, Network.name)
                                .where(Network.id.in_(network_ids))).all())


def place_names(session: Session, structure_id: str | None,
                network_id: str | None) -> tuple[str | None, str | None]:
    """(the structure's name, the network's name) as the replica knows them, else None."""
    row = session.connection().execute(
        _PLACE_NAMES, {"structure_id": structure_id, "network_id": network_id}).one()
    return row.structure_name, row.network_name


def structure_search(q: str) -> sa.Select:
    """The structures that match every word of `q` (in their name or city, or as the start of
    their postal code), with their network's name."""
    query = (sa.select(Structure, Network.name)
             .outerjoin(Network, Network.id == Structure.network_id)
             .order_by(Structure.name, Structure.id))
    for word in q.split():
        like = f"%{word.replace('%', '').replace('_', '')}%"
        query = query.where(sa.or_(Structure.name.ilike(like), Structure.city.ilike(like),
                                   Structure.postal_code.ilike(f"{word}%")))
    return query
