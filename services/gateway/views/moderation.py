"""The moderators' space: the queue and the case page (masks field by field, approve with a
structure, reject; re-orientation requests)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from services.chassis.permissions import Permission
from services.gateway import masks
from services.gateway.auth import clients, current_user, login_required
from services.gateway.calls import calling, redirect_with
from services.gateway.clients import ServiceError
from services.gateway.labels import (
    CASE_KINDS,
    CASE_STATUSES,
    FLAG_KINDS,
    MODERATED_FIELDS,
    REJECT_REASONS,
    label,
)
from services.gateway.presenters import (
    date_fr,
    first_error_messages,
    highlight_flags,
    iso_moment,
    page_number,
    pagination,
    renamed,
    search_text,
)
from services.gateway.views.access import claims, may

bp = Blueprint("moderation", __name__)
PER_PAGE = 20


def moderator_required(view):
    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user().is_moderator:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def age_label(created_at: str | None, now: datetime | None = None) -> str:
    """« à l'instant », « il y a 12 min », « il y a 3 h », « il y a 2 j » from an ISO date
    (a date slightly ahead of this clock reads « à l'instant »)."""
    when = iso_moment(created_at)
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    minutes = int(((now or datetime.now(UTC)) - when).total_seconds() // 60)
    if minutes < 1:
        return "à l'instant"
    if minutes < 60:
        return f"il y a {minutes} min"
    if minutes < 24 * 60:
        return f"il y a {minutes // 60} h"
    return f"il y a {minutes // (24 * 60)} j"


# A routing suggestion's score adds up clues (postal code 40 or département 15, city 20, the
# structure's name in the place given up to 40 and in the text up to 15). Very likely takes the
# name and the place together: two offices of one city share the postal code and the city.
# The moderator reads the words, never the figure.
LIKELY_SCORES = ((75, "Très probable"), (40, "Probable"), (0, "Possible"))


def likelihood(score) -> str:
    """« Très probable », « Probable » or « Possible » for a suggestion's score."""
    if isinstance(score, bool) or not isinstance(score, int | float):
        return "Possible"
    return next(words for floor, words in LIKELY_SCORES if score >= floor)


def structure_text(structure: dict, *details) -> str:
    """« CAF de Villeurbanne — Réseau CAF »: the name, the `details` given (a city), then its
    network's name when known (two networks may have offices of the same name)."""
    return " — ".join(str(part) for part in (structure.get("name") or structure.get("id"),
                                             *details, structure.get("network_name")) if part)


def suggestion_choices(suggestions: list[dict]) -> list[dict]:
    """The suggestions, best first as the API ranks them, each with the words the radio shows."""
    shown = []
    for suggestion in suggestions or []:
        words = likelihood(suggestion.get("score"))
        shown.append(dict(suggestion, likelihood=words,
                          choice_text=f"{structure_text(suggestion)} — "
                                      f"suggestion : {words.lower()}"))
    return shown


def found_choices(structures: list[dict], network_names: dict[str, str]) -> list[dict]:
    """The structures a search found, each with the words the radio shows (its city and its
    network's name when known)."""
    return [dict(s, choice_text=structure_text(
        s | {"network_name": network_names.get(s.get("network_id") or "")}, s.get("city")))
        for s in structures]


@bp.get("/moderation")
@moderator_required
def queue():
    status = request.args.get("status", "pending")
    status = status if status in CASE_STATUSES else "pending"
    kind = request.args.get("kind", "")
    kind = kind if kind in CASE_KINDS else ""
    page = page_number(request.args.get("page"))
    params = {"status": status, "page": page, "per_page": PER_PAGE}
    if kind:
        params["kind"] = kind
    listing = clients()["moderation"].get("/cases", token=current_user().token, params=params)
    items = listing.get("items", [])
    for item in items:
        item["age"] = age_label(item.get("created_at"))
    return render_template("moderation/queue.html", items=items, status=status, kind=kind,
                           pages=pagination(listing, page, PER_PAGE))


# The error summary's words for each control of the case page.
ERROR_TITLES = {
    "structure_id": "Structure", "reason": "Motif", "comment": "Commentaire",
    "decline_comment": "Explication pour la structure",
    **{f"{name}-{control}": f"{title} — {words}" for name, title in MODERATED_FIELDS.items()
       for control, words in (("masks", "passages à masquer"), ("passage", "passage à masquer"),
                              ("text", "texte publié"))},
}
PREVIEW_UNAVAILABLE = ("La prévisualisation est momentanément indisponible : les textes publiés "
                       "affichés ne tiennent pas compte de vos choix.")
PREVIEWED = ("Prévisualisation à jour : les textes qui seront publiés tiennent compte de vos "
             "choix. Rien n'est publié tant que vous n'avez pas approuvé.")


def _get_case(case_id: str) -> dict:
    return clients()["moderation"].get(f"/cases/{case_id}", token=current_user().token)


def _editable(case: dict) -> bool:
    """A submitted experience still waiting: its fields' masks can be changed."""
    return case.get("kind") != "reorientation" and case.get("status") == "pending"


def _states(case: dict, posted: bool) -> list[masks.FieldState]:
    """Each screened field as the posted decision form left it, else as the API proposes."""
    posted = posted and _editable(case) and request.form.get("decision_form") == "1"
    return [masks.posted_state(f, request.form) if posted else masks.default_state(f)
            for f in masks.fields_of(case)]


def _api_errors(exc: ServiceError, rename: dict | None = None) -> tuple[dict, list]:
    """An API's refusal as field errors for the page and messages for the summary."""
    errors = masks.api_field_errors(renamed(exc.errors, rename))
    shown = {field: msgs for field, msgs in errors.items() if field in ERROR_TITLES}
    general = [] if shown else [exc.message]
    if exc.status == 422:  # field errors the page has no control for: listed all the same
        general += first_error_messages(errors, tuple(ERROR_TITLES))
    return shown, general


def _merge(errors: dict, more: dict) -> None:
    for field, messages in more.items():
        found = errors.setdefault(field, [])
        found.extend(m for m in messages if m not in found)


def _field_views(case: dict, states: list, previews: dict, editable: bool) -> list[dict]:
    """What the page shows of each screened field."""
    decided = (case.get("decision") or {}).get("published")
    views = []
    for state in states:
        result = previews.get(state.name)
        if result is not None:
            published, heading = str(result.get("published") or ""), "prévisualisation"
        elif isinstance(decided, dict) and state.name in decided:
            published, heading = str(decided[state.name] or ""), "publié"
        else:
            published = state.redacted
            heading = "stale" if editable and state.decision() else "default"
        warnings = [w for w in (result or {}).get("warnings") or [] if isinstance(w, dict)]
        views.append({
            "state": state, "title": MODERATED_FIELDS.get(state.name, state.name),
            "original": highlight_flags(state.text, state.highlights()),
            "published": highlight_flags(published, [dict(w, masked=False) for w in warnings]),
            "empty": not published.strip(), "heading": heading,
            "text_edited": bool((result or {}).get("text_edited")),
            "warnings": sorted({label(FLAG_KINDS, str(w.get("kind"))) for w in warnings}),
        })
    return views


def _network_names() -> dict[str, str]:
    """{id: name} of every network (identity lets any signed-in user read them); {} when they
    cannot be read just now: the structures are then shown without them."""
    with calling():
        return {str(n.get("id")): str(n.get("name")) for n in clients()["identity"].get_all(
            "/networks", token=current_user().token) if isinstance(n, dict) and n.get("name")}
    return {}


def _found_structures(general: list) -> tuple[str, list[dict]]:
    structure_q = search_text(request.values.get("structure_q"))
    if not structure_q:
        return structure_q, []
    networks = _network_names()
    with calling():
        return structure_q, found_choices(clients()["identity"].get(
            "/structures", token=current_user().token,
            params={"q": structure_q}).get("items", []), networks)
    general.append("La recherche de structures est indisponible.")
    return structure_q, []


# What each decision sends, and to whom, in the decision's summary.
DECISION_COMMENTS = {"reject": "Commentaire transmis à l'auteur",
                     "reroute": "Commentaire transmis à la nouvelle structure",
                     "decline": "Explication transmise à la structure"}


def _decider(moderator_id: str | None) -> str:
    """Who decided: « vous », else the moderator's name when this user may read it (an
    administrator), else « un autre modérateur »."""
    user = current_user()
    if moderator_id and moderator_id == claims().get("sub"):
        return f"Vous ({user.name})" if user.name else "Vous"
    if moderator_id and may(Permission.USER_MANAGE):
        with calling():
            name = clients()["identity"].get(f"/users/{moderator_id}", token=user.token).get("name")
            if name:
                return str(name)
    return "Un autre modérateur"


def decision_view(case: dict) -> dict | None:
    """What the page says of a decided case's decision; None while it waits."""
    decision = case.get("decision")
    if case.get("status") == "pending" or not isinstance(decision, dict):
        return None
    action = decision.get("action")
    structure = None
    if decision.get("structure_id"):
        structure = structure_text({"id": decision["structure_id"],
                                    "name": decision.get("structure_name"),
                                    "network_name": decision.get("network_name")})
    return {
        "reason": label(REJECT_REASONS, decision.get("reason")),
        "comment_title": DECISION_COMMENTS.get(action),
        "comment": (decision.get("comment") or "").strip(),
        "structure": structure, "decided_by": _decider(decision.get("moderator_id")),
        "decided_at": decision.get("decided_at") or case.get("decided_at"),
    }


def _comments(case: dict) -> list[dict] | None:
    """On a re-orientation request, the internal comments the structures wrote on the experience
    (experiences lets a moderator read them all); None when they cannot be read just now."""
    if case.get("kind") != "reorientation" or not case.get("experience_id"):
        return []
    with calling():
        return clients()["experiences"].get(
            f"/experiences/{case['experience_id']}/comments",
            token=current_user().token).get("items", [])
    return None


def _render(case_id: str, case: dict, states: list, errors: dict | None = None,
            general: list | None = None, status: int = 200, preview: bool = False):
    """The case page; with the moderator's decisions previewed when she asked or changed any."""
    errors, general = dict(errors or {}), list(general or [])
    for state in states:
        _merge(errors, state.errors)
    editable = _editable(case)
    previews, notice = {}, None
    decided = masks.decisions(states) if editable else {}
    if editable and (preview or decided):
        with calling(split=_api_errors, raising=(401, 403, 404)) as call:
            previews = masks.preview_by_name(clients()["moderation"].post(
                f"/cases/{case_id}/preview", json={"fields": decided},
                token=current_user().token))
        if call.unavailable:
            general.append(PREVIEW_UNAVAILABLE)
        elif call.failed:
            _merge(errors, call.errors)
            general += [m for m in call.general if m not in general]
        else:
            notice = PREVIEWED if preview and not errors else None
    structure_q, found_structures = _found_structures(general)
    comments = _comments(case)
    if errors and status < 400:
        status = 400
    return render_template(
        "moderation/case.html", case=case, case_id=case_id, editable=editable,
        heading=case_heading(case, case_id),
        fields=_field_views(case, states, previews, editable), notice=notice,
        suggestions=suggestion_choices(case.get("suggested_structures", [])),
        comments=comments, found_structures=found_structures, decision=decision_view(case),
        structure_q=structure_q, errors=errors, general=general, titles=ERROR_TITLES,
        limits=masks.TEXT_LIMITS, reasons=REJECT_REASONS), status


def case_heading(case: dict, case_id: str) -> str:
    """« Dossier C0FFEE12 — Nouvelle expérience du 02/11/2026 »: tells two cases apart (two
    tabs, the history) with nothing the usager wrote."""
    kind = CASE_KINDS.get(case.get("kind"))
    created = date_fr(case.get("created_at"))
    return (f"Dossier {str(case_id)[:8].upper()}" + (f" — {kind}" if kind else "")
            + (f" du {created}" if created else ""))


def _case_page(case_id: str, errors: dict | None = None, general: list | None = None,
               status: int = 200):
    case = _get_case(case_id)
    return _render(case_id, case, _states(case, posted=False), errors, general, status)


@bp.get("/moderation/cas/<case_id>")
@moderator_required
def case(case_id: str):
    return _case_page(case_id)


def _claim(case_id: str) -> dict | None:
    """Take the case (an explicit action: reading it takes nothing); None when another
    moderator holds it or it was decided meanwhile."""
    with calling(only=(409,)):
        return clients()["moderation"].post(f"/cases/{case_id}/claim",
                                            token=current_user().token)
    return None


@bp.post("/moderation/cas/<case_id>/prise-en-charge")
@moderator_required
def claim(case_id: str):
    if _claim(case_id) is None:
        flash("Ce dossier est déjà traité par un autre modérateur, ou a été décidé.", "warning")
        return redirect(url_for("moderation.case", case_id=case_id))
    # Back where the button was: the notice that replaced it says the case is hers.
    return redirect(url_for("moderation.case", case_id=case_id) + "#prise-en-charge")


@bp.post("/moderation/cas/<case_id>/previsualisation")
@moderator_required
def preview(case_id: str):
    """The page again with the posted decisions: previewed, or with the structures searched.
    Working on the case takes it, if no one else holds it."""
    case = _claim(case_id) or _get_case(case_id)
    if not _editable(case):
        return redirect(url_for("moderation.case", case_id=case_id))
    return _render(case_id, case, _states(case, posted=True),
                   preview=request.form.get("action") != "search")


def _decide(case_id: str, action: str, payload: dict, done: str, rename: dict | None = None,
            page: Callable | None = None):
    """Send the decision, then back to the queue; else the case page again (`page`, else as
    the API has it) with what the API said."""
    with calling(split=partial(_api_errors, rename=rename)) as call:
        clients()["moderation"].post(f"/cases/{case_id}/{action}", json=payload,
                                     token=current_user().token)
    if not call.failed:
        return redirect_with(done, url_for("moderation.queue"))
    page = page or partial(_case_page, case_id)
    return page(errors=call.errors, general=call.general, status=503 if call.unavailable else 400)


@bp.post("/moderation/cas/<case_id>/approbation")
@moderator_required
def approve(case_id: str):
    """Publish with the chosen structure and the moderator's masks, field by field."""
    case = _get_case(case_id)
    states = _states(case, posted=True)
    structure_id = request.form.get("structure_id", "").strip()
    errors = {} if structure_id else {"structure_id": ["Choisissez une structure."]}
    if errors or any(state.errors for state in states):
        return _render(case_id, case, states, errors, status=400)
    payload: dict = {"structure_id": structure_id}
    if decided := masks.decisions(states):
        payload["fields"] = decided
    return _decide(case_id, "approve", payload, "L'expérience est approuvée et sera publiée.",
                   page=partial(_render, case_id, case, states))


@bp.post("/moderation/cas/<case_id>/refus")
@moderator_required
def reject(case_id: str):
    reason = request.form.get("reason", "")
    comment = request.form.get("comment", "").strip()
    if reason not in REJECT_REASONS:
        return _case_page(case_id, errors={"reason": ["Choisissez un motif de refus."]},
                          status=400)
    payload = {"reason": reason}
    if comment:
        payload["comment"] = comment
    return _decide(case_id, "reject", payload, "L'expérience est refusée ; l'auteur sera informé.")


@bp.post("/moderation/cas/<case_id>/reorientation")
@moderator_required
def reroute(case_id: str):
    structure_id = request.form.get("structure_id", "").strip()
    comment = request.form.get("comment", "").strip()
    if not structure_id:
        return _case_page(case_id, errors={"structure_id": ["Choisissez une structure."]},
                          status=400)
    payload = {"structure_id": structure_id}
    if comment:
        payload["comment"] = comment
    return _decide(case_id, "reroute", payload,
                   "L'expérience est réorientée vers la structure choisie.")


@bp.post("/moderation/cas/<case_id>/refus-reorientation")
@moderator_required
def decline(case_id: str):
    comment = request.form.get("decline_comment", "").strip()
    if not comment:
        return _case_page(case_id, errors={"decline_comment": [
            "Expliquez à la structure pourquoi elle garde l'expérience."]}, status=400)
    return _decide(case_id, "decline", {"comment": comment},
                   "La réorientation est refusée : la structure garde l'expérience et en est "
                   "informée par un commentaire.", rename={"comment": "decline_comment"})
