"""Moderation's HTTP API (flask-smorest blueprints): each view opens the unit of work and
calls one use case of `service`."""

from __future__ import annotations

import functools

from flask.views import MethodView

from services.chassis.auth import current_principal, require
from services.chassis.permissions import Permission
from services.chassis.web import Blueprint, db_of
from services.moderation import domain, service
from services.moderation.domain import Action
from services.moderation.schemas import (
    ApproveRequest,
    CaseOut,
    CasePage,
    CaseQuery,
    DeclineRequest,
    PreviewOut,
    PreviewRequest,
    RejectRequest,
    RerouteRequest,
    StaffScreeningOut,
    StaffTextsIn,
    StatsOut,
    StructurePage,
    StructureQuery,
)

cases = Blueprint("cases", __name__, url_prefix="/cases", description="The moderation queue")
structures = Blueprint("structures", __name__, url_prefix="/structures",
                       description="Structures known to moderation (replica of identity's)")
stats = Blueprint("stats", __name__, url_prefix="/stats", description="Queue figures")
screening = Blueprint("screening", __name__, url_prefix="/screening",
                      description="Personal data in what the staff are about to publish")

BLUEPRINTS: list = [cases, structures, stats, screening]

# Who writes public text: agents (responses), super agents (validating them), structures
# (improvement actions).
_PUBLIC_WRITERS = (Permission.RESPONSE_DRAFT, Permission.RESPONSE_VALIDATE,
                   Permission.IMPROVEMENT_WRITE)


def _decides(view):
    """`moderation:decide`, held by someone outside every network."""

    @functools.wraps(view)
    def outside_networks(*args, **kwargs):
        domain.check_moderator(current_principal().network_id)
        return view(*args, **kwargs)

    return require(Permission.MODERATION_DECIDE)(outside_networks)


def _moderator() -> str:
    return current_principal().user_id


@cases.route("")
class CaseList(MethodView):
    @_decides
    @cases.arguments(CaseQuery, location="query")
    @cases.response(200, CasePage)
    def get(self, args):
        """Cases by status; pending ones oldest first, without those another moderator opened."""
        with db_of().transaction() as session:
            return service.queue(session, _moderator(), args["status"], args["kind"],
                                 args["page"], args["per_page"])


@cases.route("/<case_id>")
class CaseDetail(MethodView):
    @_decides
    @cases.response(200, CaseOut)
    def get(self, case_id):
        """One case, with its flags and routing suggestions. Reading it claims nothing."""
        with db_of().transaction() as session:
            return service.case_detail(session, _moderator(), case_id)


@cases.route("/<case_id>/claim")
class Claim(MethodView):
    @_decides
    @cases.response(200, CaseOut)
    def post(self, case_id):
        """Take the case for a while: other moderators no longer see it in the queue, and
        cannot decide it until the claim lapses or a decision closes it."""
        with db_of().transaction() as session:
            return service.claim(session, _moderator(), case_id)


@cases.route("/<case_id>/preview")
class Preview(MethodView):
    @_decides
    @cases.arguments(PreviewRequest)
    @cases.response(200, PreviewOut)
    def post(self, args, case_id):
        """What an approval with these field decisions would publish; changes and claims nothing."""
        with db_of().transaction() as session:
            return service.preview(session, case_id, args["fields"])


def decide(args: dict, case_id: str, decision: str) -> dict:
    """Every decision on a case; `decision` is the last part of its path."""
    with db_of().transaction() as session:
        return service.decide(session, _moderator(), case_id, Action(decision), args)


def _route_decision(action: Action, request_schema: type, summary: str) -> None:
    """`decide` at the decision's own path, with its own request schema and summary."""
    view = _decides(cases.arguments(request_schema)(cases.response(200, CaseOut)(decide)))
    view.__doc__ = summary
    cases.add_url_rule(f"/<case_id>/{action}", action.title(), view, methods=["POST"],
                       defaults={"decision": action.value})


_route_decision(Action.APPROVE, ApproveRequest,
                "Publish the experience for a structure, each field masked as the moderator "
                "decided.")
_route_decision(Action.REJECT, RejectRequest, "Refuse the experience with a policy reason code.")
_route_decision(Action.REROUTE, RerouteRequest,
                "Send a re-orientation case to another structure (in this network or another).")
_route_decision(Action.DECLINE, DeclineRequest,
                "Refuse a re-orientation request: the structure keeps the experience, told why.")


@structures.route("")
class StructureSearch(MethodView):
    @_decides
    @structures.arguments(StructureQuery, location="query")
    @structures.response(200, StructurePage)
    def get(self, args):
        """Find any structure by name, city or postal code."""
        with db_of().transaction() as session:
            return service.search_structures(session, args["q"], args["page"], args["per_page"])


@stats.route("")
class Stats(MethodView):
    @_decides
    @stats.response(200, StatsOut)
    def get(self):
        """Cases per status and the median time to decision over 7 and 30 days."""
        with db_of().transaction() as session:
            return service.stats(session)


@screening.route("")
class StaffScreening(MethodView):
    @require(*_PUBLIC_WRITERS, any_of=True)
    @screening.arguments(StaffTextsIn)
    @screening.response(200, StaffScreeningOut)
    def post(self, args):
        """The passages of a response or an improvement action that look like personal data
        (contacts, numbers, addresses, names, insults), for its writer to check before it is
        published. Nothing is stored."""
        return service.screen_staff_texts(args["texts"])
