"""Diagnostic's HTTP API (flask-smorest blueprints)."""

from __future__ import annotations

import csv
import io

from flask import Response
from flask.views import MethodView

from services.chassis.auth import current_principal, require
from services.chassis.exports import spreadsheet_row
from services.chassis.permissions import Permission
from services.chassis.web import Blueprint, db_of
from services.diagnostic import domain, service
from services.diagnostic.schemas import (
    DiagnosticListSchema,
    DiagnosticSchema,
    ListQuerySchema,
    SaveAnswersSchema,
    StartDiagnosticSchema,
)

FILL = str(Permission.DIAGNOSTIC_FILL)
READ = str(Permission.DIAGNOSTIC_READ)

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
    return questionnaire_json(domain.questionnaire_of(version))


# --- diagnostics ----------------------------------------------------------------------------


@diagnostics.route("")
class DiagnosticCollection(MethodView):
    @require(READ)
    @diagnostics.arguments(ListQuerySchema, location="query")
    @diagnostics.response(200, DiagnosticListSchema)
    def get(self, query):
        """Diagnostics the caller may see, newest first."""
        with db_of().transaction() as session:
            return service.list_diagnostics(session, current_principal(),
                                            query.get("structure_id"), query.get("status"),
                                            query["page"], query["per_page"])

    @require(FILL)
    @diagnostics.arguments(StartDiagnosticSchema)
    @diagnostics.response(201, DiagnosticSchema)
    def post(self, body):
        """Start a draft diagnostic for a structure, on the current questionnaire version."""
        with db_of().transaction() as session:
            return service.start(session, current_principal(), body["structure_id"],
                                 body.get("channels"))


@diagnostics.route("/<diagnostic_id>")
@require(READ)
@diagnostics.response(200, DiagnosticSchema)
def get_diagnostic(diagnostic_id: str):
    """A diagnostic with its answers, notes, progress and last editor."""
    with db_of().transaction() as session:
        return service.get(session, current_principal(), diagnostic_id)


@diagnostics.route("/<diagnostic_id>/answers", methods=["PUT"])
@require(FILL)
@diagnostics.arguments(SaveAnswersSchema)
@diagnostics.response(200, DiagnosticSchema)
def save_answers(body, diagnostic_id: str):
    """Save answers and notes of a draft (partial saves allowed; a null answer clears it)."""
    with db_of().transaction() as session:
        return service.save_answers(session, current_principal(), diagnostic_id,
                                    body["answers"], body["notes"])


@diagnostics.route("/<diagnostic_id>/complete", methods=["POST"])
@require(FILL)
@diagnostics.response(200, DiagnosticSchema)
def complete(diagnostic_id: str):
    """Complete a draft once every applicable item is answered; results are frozen."""
    with db_of().transaction() as session:
        return service.complete(session, current_principal(), diagnostic_id)


@diagnostics.route("/<diagnostic_id>/results")
@require(READ)
@diagnostics.response(200)
def results(diagnostic_id: str):
    """Scores per commitment and channel, gaps weakest first, previous and network comparison."""
    with db_of().transaction() as session:
        return service.results(session, current_principal(), diagnostic_id)


@diagnostics.route("/<diagnostic_id>/results.csv")
@require(READ)
@diagnostics.response(200, content_type="text/csv")
def results_csv(diagnostic_id: str):
    """The results as CSV (semicolon-separated, UTF-8 with BOM for spreadsheets)."""
    with db_of().transaction() as session:
        rows = service.results_rows(session, current_principal(), diagnostic_id)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(map(spreadsheet_row, rows))
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="diagnostic-{diagnostic_id}.csv"'})


BLUEPRINTS: list = [questionnaires, diagnostics]
