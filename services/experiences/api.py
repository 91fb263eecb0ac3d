"""Experiences's HTTP API (flask-smorest blueprints): each view runs one use case of `service`
in one transaction."""

from __future__ import annotations

import csv
import io
import json

from flask import Response
from flask.views import MethodView

from services.chassis import heartbeat
from services.chassis.auth import Principal, current_principal, require
from services.chassis.errors import ApiError
from services.chassis.exports import spreadsheet_row
from services.chassis.permissions import Permission
from services.chassis.web import Blueprint, client_address, db_of, settings_of
from services.experiences import schemas, service

experiences = Blueprint("experiences", __name__, url_prefix="/experiences",
                        description="Users' experiences, responses and evaluations")
actions = Blueprint("improvement_actions", __name__, url_prefix="/improvement-actions",
                    description="Improvement actions linked to experiences")
open_data = Blueprint("open_data", __name__, url_prefix="/open-data",
                      description="Published experiences for reuse")
dashboard = Blueprint("dashboard", __name__, url_prefix="/dashboard",
                      description="Figures for a scope and a period")


def _reader() -> Principal | None:
    """The staff caller who reads internal views; without `experience:read`, the public view."""
    principal = current_principal(optional=True)
    return principal if principal is not None and principal.can(Permission.EXPERIENCE_READ) \
        else None


def _run(use_case, principal: Principal | None, *args):
    """A use case in one transaction, for `principal` (None: the public)."""
    with db_of().transaction() as session:
        return use_case(session, principal, *args)


def _staff_action(path: str, method: str, permission: str, schema=None, status: int = 200,
                  body_required: bool = True):
    """Registers a staff action on one experience, answered with its internal view."""
    def register(view):
        view = experiences.response(status, schemas.ExperienceInternalOut)(view)
        if schema is not None:
            view = experiences.arguments(schema, required=body_required)(view)
        return experiences.route(f"/<experience_id>{path}", methods=[method])(
            require(permission)(view))
    return register


# Experiences ----------------------------------------------------------------------------------

@experiences.route("")
class ExperienceCollection(MethodView):
    @experiences.arguments(schemas.ExperienceSubmit)
    @experiences.response(202, schemas.Submitted)
    def post(self, data):
        """Post an experience (public, rate-limited per address)."""
        with db_of().transaction() as session:
            return service.submit_experience(session, data, f"submit:{client_address()}",
                                             settings_of().public_rate_limit)

    @experiences.arguments(schemas.ExperienceQuery, location="query")
    @experiences.response(200, schemas.ExperiencePage)
    def get(self, args):
        """List experiences: the public sees published ones; staff their scope. The public's
        text searches are rate-limited per address."""
        reader = _reader()
        if reader is None and args.get("q"):
            with db_of().transaction() as session:
                service.count_public_request(session, f"search:{client_address()}",
                                             settings_of().search_rate_limit)
        return _run(service.list_experiences, reader, args)


@experiences.route("/<experience_id>")
@experiences.response(200, schemas.ExperienceInternalOut)
def get_experience(experience_id: str):
    """One experience: published ones for everyone; the internal view for staff in scope."""
    return _run(service.experience_for, _reader(), experience_id)


@_staff_action("/response", "PUT", Permission.RESPONSE_DRAFT, schemas.ResponseDraft)
def draft_response(data, experience_id: str):
    """Write or amend the draft response."""
    return _run(service.draft_response, current_principal(), experience_id, data)


@_staff_action("/response/submit", "POST", Permission.RESPONSE_DRAFT)
def submit_response(experience_id: str):
    """Submit the draft: to a super agent's validation, or public where none is required."""
    return _run(service.submit_response, current_principal(), experience_id)


@_staff_action("/response/validate", "POST", Permission.RESPONSE_VALIDATE, schemas.Validation,
               body_required=False)
def validate_response(data, experience_id: str):
    """Validate the submitted response (super agent of the scope): it becomes public.

    Clients should send `response_updated_at`, as the internal view they showed gave it: the
    draft may still be amended while it waits, and a response saved since is refused (409 on
    `response_updated_at`, nothing published). Without it, whatever the draft holds at that
    moment is published (kept for older clients)."""
    return _run(service.validate_response, current_principal(), experience_id,
                data.get("response_updated_at"))


@experiences.route("/<experience_id>/evaluation", methods=["POST"])
@experiences.arguments(schemas.Evaluation)
@experiences.response(201)
def evaluate(data, experience_id: str):
    """The author evaluates the response through the single-use link (public)."""
    with db_of().transaction() as session:
        service.evaluate(session, experience_id, data)
    return {"status": "recorded"}


@experiences.route("/<experience_id>/evaluation", methods=["GET"])
@experiences.arguments(schemas.EvaluationLinkQuery, location="query")
@experiences.response(200, schemas.EvaluationLinkOut)
def evaluation_link(args, experience_id: str):
    """Whether an evaluation link may still be used (public; records nothing): 200 open,
    403 a wrong token, 410 already used, 404 unknown, 409 nothing to evaluate."""
    with db_of().transaction() as session:
        service.check_evaluation_link(session, experience_id, args["token"])
    return {"state": "open"}


@_staff_action("/reassign", "POST", Permission.EXPERIENCE_MOVE, schemas.Reassign)
def reassign(data, experience_id: str):
    """Move the experience to a child structure of its current one (audit trail kept)."""
    return _run(service.reassign, current_principal(), experience_id, data["structure_id"])


@_staff_action("/reorientation", "POST", Permission.EXPERIENCE_REORIENT, schemas.Reorientation,
               status=202)
def request_reorientation(data, experience_id: str):
    """Ask moderation to send the experience elsewhere (another branch or network)."""
    return _run(service.request_reorientation, current_principal(), experience_id, data["reason"])


@_staff_action("/annotations", "PATCH", Permission.EXPERIENCE_ANNOTATE, schemas.Annotations)
def annotate(data, experience_id: str):
    """Set general tags (with a feeling), business tags, feeling per channel, improvement flag."""
    return _run(service.annotate, current_principal(), experience_id, data)


@experiences.route("/<experience_id>/comments")
class CommentCollection(MethodView):
    @require(Permission.EXPERIENCE_READ)
    @experiences.response(200, schemas.CommentList)
    def get(self, experience_id: str):
        """Internal comments (moderators and the structures concerned)."""
        return {"items": _run(service.comments_of, current_principal(), experience_id)}

    @require(Permission.EXPERIENCE_ANNOTATE)
    @experiences.arguments(schemas.CommentCreate)
    @experiences.response(201, schemas.CommentOut)
    def post(self, data, experience_id: str):
        """Add an internal comment."""
        return _run(service.add_comment, current_principal(), experience_id, data["body"])


@experiences.route("/<experience_id>/similar")
@require(Permission.RESPONSE_DRAFT)
@experiences.response(200, schemas.SimilarList)
def similar(experience_id: str):
    """The most similar answered experiences of the network, as a starting point for a draft."""
    return {"items": _run(service.similar_to, current_principal(), experience_id)}


# Improvement actions --------------------------------------------------------------------------

@actions.route("")
class ImprovementActionCollection(MethodView):
    @require(Permission.IMPROVEMENT_WRITE)
    @actions.arguments(schemas.ImprovementActionCreate)
    @actions.response(201, schemas.ImprovementActionOut)
    def post(self, data):
        """Create an improvement action for experiences of the caller's scope."""
        return _run(service.create_action, current_principal(), data)

    @actions.arguments(schemas.ImprovementActionQuery, location="query")
    @actions.response(200, schemas.ImprovementActionPage)
    def get(self, args):
        """List improvement actions (public); `in_scope=true`: those of the caller's scope."""
        if args["in_scope"] and _reader() is None:
            raise ApiError(401, "unauthorized", "Authentification requise pour « in_scope ».")
        return _run(service.list_actions, current_principal(optional=True), args)


@actions.route("/<action_id>")
class ImprovementActionItem(MethodView):
    @actions.response(200, schemas.ImprovementActionOut)
    def get(self, action_id: str):
        """One improvement action (public)."""
        return _run(service.action_for, current_principal(optional=True), action_id)

    @require(Permission.IMPROVEMENT_WRITE)
    @actions.arguments(schemas.ImprovementActionUpdate)
    @actions.response(200, schemas.ImprovementActionOut)
    def patch(self, data, action_id: str):
        """Change an improvement action of the caller's scope (the fields given only)."""
        return _run(service.update_action, current_principal(), action_id, data)

    @require(Permission.IMPROVEMENT_WRITE)
    @actions.response(204)
    def delete(self, action_id: str):
        """Delete an improvement action of the caller's scope: it leaves the public pages."""
        _run(service.delete_action, current_principal(), action_id)
        return ""


# Dashboards ----------------------------------------------------------------------------------

@dashboard.route("")
@require(Permission.DASHBOARD_READ)
@dashboard.arguments(schemas.DashboardQuery, location="query")
@dashboard.response(200, schemas.DashboardOut)
def get_dashboard(args):
    """Figures of a scope (a structure, with its children or not) over a period."""
    return _run(service.dashboard, current_principal(), args)


# Open data -----------------------------------------------------------------------------------

def _count_download() -> None:
    """One download for the caller's address; a 429 past `SPP_OPEN_DATA_RATE_LIMIT` (a
    download of the whole file holds a web worker for as long as it lasts)."""
    with db_of().transaction() as session:
        service.count_public_request(session, f"open-data:{client_address()}",
                                     settings_of().open_data_rate_limit)


@open_data.route("/experiences.csv")
@open_data.response(200, content_type="text/csv")
def open_data_csv():
    """Published experiences as CSV (streamed; rate-limited per address)."""
    _count_download()
    db = db_of()  # the generator runs after the request context is gone: it needs only the db

    def generate():
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=service.OPEN_DATA_COLUMNS)
        writer.writeheader()
        with db.transaction() as session:
            for row in service.open_data_rows(session):
                writer.writerow(spreadsheet_row(row))
                if buffer.tell() > heartbeat.CHUNK:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return Response(heartbeat.chunks(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=experiences.csv"})


@open_data.route("/experiences.json")
@open_data.response(200)
def open_data_json():
    """Published experiences as a JSON array (streamed; rate-limited per address)."""
    _count_download()
    db = db_of()

    def generate():
        yield "["
        first = True
        with db.transaction() as session:
            for row in service.open_data_rows(session):
                yield ("" if first else ",") + json.dumps(row, ensure_ascii=False)
                first = False
        yield "]"

    return Response(heartbeat.chunks(generate()), mimetype="application/json")


BLUEPRINTS: list = [experiences, actions, dashboard, open_data]
