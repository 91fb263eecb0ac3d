"""Diagnostic's HTTP API (flask-smorest blueprints)."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from flask import Response
from flask.views import MethodView
from sqlalchemy.orm import Session

from services.chassis.auth import Principal, current_principal, require
from services.chassis.catalogue import EventType
from services.chassis.errors import ApiError, conflict, not_found
from services.chassis.events import publish
from services.chassis.exports import spreadsheet_row
from services.chassis.permissions import Permission
from services.chassis.web import Blueprint, db_of
from services.diagnostic import domain
from services.diagnostic.models import Answer, Diagnostic, DiagnosticStatus, Note, Structure, utcnow
from services.diagnostic.schemas import (
    DiagnosticListSchema,
    DiagnosticSchema,
    ListQuerySchema,
    SaveAnswersSchema,
    StartDiagnosticSchema,
)

SERVICE = "diagnostic"
FILL = str(Permission.DIAGNOSTIC_FILL)
READ = str(Permission.DIAGNOSTIC_READ)
MAX_DEPTH = 20  # a structure tree deeper than this is a data error; stop walking up

questionnaires = Blueprint("questionnaires", __name__, url_prefix="/questionnaires",
                           description="Questionnaire versions")
diagnostics = Blueprint("diagnostics", __name__, url_prefix="/diagnostics",
                        description="A structure's local diagnostic")


# --- questionnaires -----------------------------------------------------------------------


def questionnaire_json(q: domain.Questionnaire) -> dict:
    return {
        "version": q.version,
        "title": q.title,
        "published_on": q.published_on.isoformat(),
        "scale": [{"code": str(level.code), "label": level.label, "value": level.value}
                  for level in q.scale.levels],
        # structure_channels: identity's channel codes each one covers, to start from a
        # structure's declared channels
        "channels": [{"code": str(ch.code), "label": ch.label,
                      "structure_channels": list(domain.STRUCTURE_CHANNELS.get(ch.code, ()))}
                     for ch in q.channels],
        "commitments": [
            {
                "number": c.number, "code": c.code, "label": c.label,
                "expected_level": c.expected_level,
                "questions": [{"id": question.id, "text": question.text,
                               "channels": [str(ch) for ch in question.channels]}
                              for question in c.questions],
            }
            for c in q.commitments
        ],
    }


def _questionnaire(version: str) -> domain.Questionnaire:
    try:
        return domain.get_questionnaire(version)
    except KeyError:
        raise not_found("Version de questionnaire") from None


@questionnaires.route("/current")
@require(READ)
@questionnaires.response(200)
def current_questionnaire():
    """The questionnaire version new diagnostics use."""
    return questionnaire_json(domain.current_questionnaire())


@questionnaires.route("/<version>")
@require(READ)
@questionnaires.response(200)
def questionnaire_version(version: str):
    """One questionnaire version."""
    return questionnaire_json(_questionnaire(version))


# --- scope --------------------------------------------------------------------------------


def _chain(session: Session, structure: Structure) -> list[str]:
    """The structure's id then its ancestors', from the replica."""
    chain, current, seen = [structure.id], structure, {structure.id}
    while current.parent_id and len(chain) < MAX_DEPTH:
        parent = session.get(Structure, current.parent_id)
        if parent is None or parent.id in seen:
            break
        chain.append(parent.id)
        seen.add(parent.id)
        current = parent
    return chain


def _in_scope(session: Session, principal: Principal, structure: Structure) -> bool:
    return domain.in_scope(principal.profile, principal.network_id, principal.structure_ids,
                           _chain(session, structure), structure.network_id)


def _forbidden() -> ApiError:
    return ApiError(403, "forbidden", "Cette structure ne fait pas partie de votre périmètre.")


def _load(session: Session, diagnostic_id: str, lock: bool = False) -> Diagnostic:
    """The diagnostic, if the caller may see it: 404 outside its network, 403 inside."""
    query = sa.select(Diagnostic).where(Diagnostic.id == diagnostic_id)
    if lock:
        query = query.with_for_update()
    diagnostic = session.scalars(query).first()
    if diagnostic is None:
        raise not_found("Diagnostic")
    principal = current_principal()
    structure = session.get(Structure, diagnostic.structure_id)
    if structure is None:  # replica lost: fall back on what the diagnostic recorded
        structure = Structure(id=diagnostic.structure_id, network_id=diagnostic.network_id,
                              parent_id=None, name="")
    if not _in_scope(session, principal, structure):
        if domain.hidden_from(principal.profile, principal.network_id, diagnostic.network_id):
            raise not_found("Diagnostic")
        raise _forbidden()
    return diagnostic


def _descendants(session: Session, roots: list[str]) -> set[str]:
    found, frontier = set(roots), list(roots)
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        children = session.scalars(
            sa.select(Structure.id).where(Structure.parent_id.in_(frontier))).all()
        frontier = [c for c in children if c not in found]
        found.update(frontier)
    return found


# --- presentation ---------------------------------------------------------------------------


def _summary(d: Diagnostic) -> dict:
    return {
        "id": d.id, "structure_id": d.structure_id, "network_id": d.network_id,
        "questionnaire_version": d.questionnaire_version, "channels": d.channels,
        "status": d.status, "started_by": d.started_by, "started_at": d.started_at,
        "completed_by": d.completed_by, "completed_at": d.completed_at,
        "overall_score": (d.results or {}).get("overall_score"),
    }


def _answers_of(session: Session, diagnostic_id: str) -> list[Answer]:
    return list(session.scalars(sa.select(Answer).where(Answer.diagnostic_id == diagnostic_id)))


def _answer_map(answers: list[Answer]) -> dict[tuple[str, str], str]:
    return {(a.question_id, a.channel): a.answer for a in answers}


def _item_name(item: domain.Item) -> str:
    return f"{item.question_id}/{item.channel}"


def _detail(session: Session, d: Diagnostic) -> dict:
    questionnaire = _questionnaire(d.questionnaire_version)
    answers = _answers_of(session, d.id)
    notes = list(session.scalars(
        sa.select(Note).where(Note.diagnostic_id == d.id).order_by(Note.commitment)))
    answer_map = _answer_map(answers)
    items = questionnaire.items(d.channels)
    missing = domain.missing_items(questionnaire, d.channels, answer_map)
    order = {item.key: i for i, item in enumerate(items)}
    answers.sort(key=lambda a: order.get((a.question_id, a.channel), len(order)))
    edits = [(a.updated_at, a.updated_by) for a in answers] + \
            [(n.updated_at, n.updated_by) for n in notes]
    last = max(edits, key=lambda e: e[0]) if edits else (None, None)
    return {
        **_summary(d),
        "progress": {"answered": len(items) - len(missing), "total": len(items)},
        "last_edit": {"updated_at": last[0], "updated_by": last[1]},
        "answers": answers,
        "notes": notes,
        "missing": [_item_name(item) for item in missing],
    }


# --- diagnostics ----------------------------------------------------------------------------


@diagnostics.route("")
class DiagnosticCollection(MethodView):
    @require(READ)
    @diagnostics.arguments(ListQuerySchema, location="query")
    @diagnostics.response(200, DiagnosticListSchema)
    def get(self, query):
        """Diagnostics the caller may see, newest first."""
        principal = current_principal()
        with db_of().transaction() as session:
            stmt = sa.select(Diagnostic)
            if query.get("structure_id"):
                structure = session.get(Structure, query["structure_id"])
                if structure is None:
                    raise not_found("Structure")
                if not _in_scope(session, principal, structure):
                    if domain.hidden_from(principal.profile, principal.network_id,
                                          structure.network_id):
                        raise not_found("Structure")
                    raise _forbidden()
                stmt = stmt.where(Diagnostic.structure_id == structure.id)
            elif principal.profile == domain.ADMIN_PROFILE:
                pass
            elif principal.profile == domain.REFERENT_PROFILE and principal.network_id:
                stmt = stmt.where(Diagnostic.network_id == principal.network_id)
            else:
                visible = _descendants(session, list(principal.structure_ids))
                stmt = stmt.where(Diagnostic.structure_id.in_(visible or {""}))
            if query.get("status"):
                stmt = stmt.where(Diagnostic.status == query["status"])
            total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
            page, per_page = query["page"], query["per_page"]
            rows = session.scalars(stmt.order_by(Diagnostic.started_at.desc(), Diagnostic.id)
                                   .limit(per_page).offset((page - 1) * per_page)).all()
            return {"items": [_summary(d) for d in rows], "total": total, "page": page,
                    "per_page": per_page}

    @require(FILL)
    @diagnostics.arguments(StartDiagnosticSchema)
    @diagnostics.response(201, DiagnosticSchema)
    def post(self, body):
        """Start a draft diagnostic for a structure, on the current questionnaire version."""
        principal = current_principal()
        questionnaire = domain.current_questionnaire()
        requested = body.get("channels")
        channels = None
        if requested is not None:
            try:
                channels = questionnaire.select_channels(requested)
            except domain.ChannelSelectionError:
                raise ApiError(422, "validation_error", "Canaux invalides.", {"channels": [
                    "Choisissez au moins un canal parmi : "
                    + ", ".join(str(c.code) for c in questionnaire.channels) + "."]}) from None
        with db_of().transaction() as session:
            structure = session.get(Structure, body["structure_id"])
            if structure is None:
                raise ApiError(422, "validation_error", "Structure inconnue.",
                               {"structure_id": ["Structure inconnue."]})
            if not _in_scope(session, principal, structure):
                raise _forbidden()
            if channels is None:  # {structure_id} alone: the channels the structure declares
                channels = questionnaire.default_channels(structure.channels)
            draft = session.scalar(sa.select(Diagnostic.id).where(
                Diagnostic.structure_id == structure.id,
                Diagnostic.status == DiagnosticStatus.DRAFT.value))
            if draft is not None:
                raise _draft_exists(draft)
            diagnostic = Diagnostic(
                structure_id=structure.id, network_id=structure.network_id,
                questionnaire_version=questionnaire.version,
                channels=[str(c) for c in channels], status=DiagnosticStatus.DRAFT.value,
                started_by=principal.user_id, started_at=utcnow())
            session.add(diagnostic)
            try:
                session.flush()
            except sa.exc.IntegrityError:  # another draft started at the same moment
                raise _draft_exists(None) from None
            return _detail(session, diagnostic)


def _draft_exists(draft_id: str | None) -> ApiError:
    errors = {"draft_id": draft_id} if draft_id else {"structure_id": "Brouillon en cours."}
    return conflict("Un diagnostic est déjà en cours pour cette structure : reprenez-le.",
                    **errors)


@diagnostics.route("/<diagnostic_id>")
@require(READ)
@diagnostics.response(200, DiagnosticSchema)
def get_diagnostic(diagnostic_id: str):
    """A diagnostic with its answers, notes, progress and last editor."""
    with db_of().transaction() as session:
        return _detail(session, _load(session, diagnostic_id))


def _read_only(d: Diagnostic) -> None:
    if d.status != DiagnosticStatus.DRAFT:
        raise conflict("Ce diagnostic est terminé : il ne peut plus être modifié.",
                       status="Diagnostic terminé.")


@diagnostics.route("/<diagnostic_id>/answers", methods=["PUT"])
@require(FILL)
@diagnostics.arguments(SaveAnswersSchema)
@diagnostics.response(200, DiagnosticSchema)
def save_answers(body, diagnostic_id: str):
    """Save answers and notes of a draft (partial saves allowed; a null answer clears it)."""
    principal = current_principal()
    with db_of().transaction() as session:
        d = _load(session, diagnostic_id, lock=True)
        _read_only(d)
        questionnaire = _questionnaire(d.questionnaire_version)
        submitted = {(a["question_id"], a["channel"]): a["answer"] for a in body["answers"]}
        errors: dict[str, list[str]] = {}
        try:
            domain.validate_answers(questionnaire, d.channels, submitted)
        except domain.AnswerError as exc:
            errors["answers"] = [_french_answer_error(e) for e in exc.errors]
        known = {c.number for c in questionnaire.commitments}
        bad_notes = [f"{n['commitment']} : engagement inconnu." for n in body["notes"]
                     if n["commitment"] not in known]
        if bad_notes:
            errors["notes"] = bad_notes
        if errors:
            raise ApiError(422, "validation_error", "Certaines réponses sont invalides.", errors)
        now = utcnow()
        existing = {(a.question_id, a.channel): a for a in _answers_of(session, d.id)}
        for key, code in submitted.items():
            row = existing.get(key)
            if code is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(Answer(diagnostic_id=d.id, question_id=key[0], channel=key[1],
                                   answer=code, updated_by=principal.user_id, updated_at=now))
            elif row.answer != code:
                row.answer, row.updated_by, row.updated_at = code, principal.user_id, now
        for note in body["notes"]:
            row = session.get(Note, (d.id, note["commitment"]))
            text = note["text"].strip()
            if not text:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(Note(diagnostic_id=d.id, commitment=note["commitment"], text=text,
                                 updated_by=principal.user_id, updated_at=now))
            elif row.text != text:
                row.text, row.updated_by, row.updated_at = text, principal.user_id, now
        session.flush()
        return _detail(session, d)


def _french_answer_error(message: str) -> str:
    item, _, reason = message.partition(": ")
    if reason.startswith("no such item"):
        return f"{item} : question ou canal inconnu pour ce diagnostic."
    if reason.startswith("unknown answer code"):
        return f"{item} : réponse inconnue ({reason.removeprefix('unknown answer code ')})."
    return message


@diagnostics.route("/<diagnostic_id>/complete", methods=["POST"])
@require(FILL)
@diagnostics.response(200, DiagnosticSchema)
def complete(diagnostic_id: str):
    """Complete a draft once every applicable item is answered; results are frozen."""
    principal = current_principal()
    with db_of().transaction() as session:
        d = _load(session, diagnostic_id, lock=True)
        _read_only(d)
        questionnaire = _questionnaire(d.questionnaire_version)
        answers = _answer_map(_answers_of(session, d.id))
        missing = domain.missing_items(questionnaire, d.channels, answers)
        if missing:
            raise ApiError(409, "incomplete",
                           f"{len(missing)} question(s) sans réponse : complétez-les d'abord.",
                           {"missing": [_item_name(item) for item in missing]})
        results = domain.compute_results(questionnaire, d.channels, answers)
        d.status = DiagnosticStatus.COMPLETED.value
        d.completed_at = utcnow()
        d.completed_by = principal.user_id
        d.results = domain.results_to_json(results)
        publish(session, EventType.DIAGNOSTIC_COMPLETED, {
            "id": d.id, "structure_id": d.structure_id, "network_id": d.network_id,
            "questionnaire_version": d.questionnaire_version,
            "overall_score": results.overall_score, "completed_at": d.completed_at,
        }, producer=SERVICE)
        session.flush()
        return _detail(session, d)


# --- results --------------------------------------------------------------------------------


def _completed(session: Session, diagnostic_id: str) -> Diagnostic:
    d = _load(session, diagnostic_id)
    if d.status != DiagnosticStatus.COMPLETED or d.results is None:
        raise conflict("Ce diagnostic n'est pas terminé : pas encore de résultats.",
                       status="Diagnostic en brouillon.")
    return d


def _network_average(session: Session, d: Diagnostic) -> tuple[dict, int]:
    """Each structure's latest completed diagnostic on the same version, averaged."""
    rows = session.execute(
        sa.select(Diagnostic.structure_id, Diagnostic.completed_at, Diagnostic.results)
        .where(Diagnostic.network_id == d.network_id,
               Diagnostic.questionnaire_version == d.questionnaire_version,
               Diagnostic.status == DiagnosticStatus.COMPLETED.value)
    ).all()
    latest: dict[str, tuple] = {}
    for structure_id, completed_at, results in rows:
        if structure_id not in latest or completed_at > latest[structure_id][0]:
            latest[structure_id] = (completed_at, results)
    snapshots = [domain.results_from_json(r) for _, r in latest.values() if r]
    return domain.average_results(snapshots), len(snapshots)


@diagnostics.route("/<diagnostic_id>/results")
@require(READ)
@diagnostics.response(200)
def results(diagnostic_id: str):
    """Scores per commitment and channel, gaps weakest first, previous and network comparison."""
    with db_of().transaction() as session:
        d = _completed(session, diagnostic_id)
        previous = session.scalars(
            sa.select(Diagnostic)
            .where(Diagnostic.structure_id == d.structure_id,
                   Diagnostic.status == DiagnosticStatus.COMPLETED.value,
                   Diagnostic.completed_at < d.completed_at, Diagnostic.id != d.id)
            .order_by(Diagnostic.completed_at.desc()).limit(1)).first()
        average, structures = _network_average(session, d)
        questionnaire = _questionnaire(d.questionnaire_version)
        current = domain.results_from_json(d.results)
        view = domain.results_view(
            questionnaire, current,
            domain.results_from_json(previous.results) if previous else None, average)
        notes = {n.commitment: n.text for n in session.scalars(
            sa.select(Note).where(Note.diagnostic_id == d.id))}
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
            "network": {"structures": structures},
            **view,
        }


@diagnostics.route("/<diagnostic_id>/results.csv")
@require(READ)
@diagnostics.response(200, content_type="text/csv")
def results_csv(diagnostic_id: str):
    """The results as CSV (semicolon-separated, UTF-8 with BOM for spreadsheets)."""
    with db_of().transaction() as session:
        d = _completed(session, diagnostic_id)
        questionnaire = _questionnaire(d.questionnaire_version)
        rows = domain.results_to_csv_rows(questionnaire, domain.results_from_json(d.results))
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(map(spreadsheet_row, rows))
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="diagnostic-{d.id}.csv"'})


BLUEPRINTS: list = [questionnaires, diagnostics]
