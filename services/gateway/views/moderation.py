"""The moderators' space: the queue and the case page (approve with a structure, reject)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from services.gateway.auth import clients, current_user, login_required
from services.gateway.clients import ServiceError, Unavailable
from services.gateway.labels import CASE_STATUSES, REJECT_REASONS
from services.gateway.presenters import (
    highlight_flags,
    page_number,
    pagination,
    renamed,
    search_text,
)

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
    """« il y a 3 h », « il y a 2 j » from an ISO date."""
    if not created_at:
        return ""
    try:
        when = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    minutes = int(((now or datetime.now(UTC)) - when).total_seconds() // 60)
    if minutes < 60:
        return f"il y a {max(minutes, 0)} min"
    if minutes < 48 * 60:
        return f"il y a {minutes // 60} h"
    return f"il y a {minutes // (24 * 60)} j"


@bp.get("/moderation")
@moderator_required
def queue():
    status = request.args.get("status", "pending")
    status = status if status in CASE_STATUSES else "pending"
    page = page_number(request.args.get("page"))
    listing = clients()["moderation"].get(
        "/cases", token=current_user().token,
        params={"status": status, "page": page, "per_page": PER_PAGE})
    items = listing.get("items", [])
    for item in items:
        item["age"] = age_label(item.get("created_at"))
    return render_template("moderation/queue.html", items=items, status=status,
                           pages=pagination(listing, page, PER_PAGE))


def _case_page(case_id: str, errors: dict | None = None, general: list | None = None,
               status: int = 200):
    user = current_user()
    case = clients()["moderation"].get(f"/cases/{case_id}", token=user.token)
    structure_q = search_text(request.values.get("structure_q"))
    found_structures: list[dict] = []
    if structure_q:
        try:
            found_structures = clients()["identity"].get(
                "/structures", token=user.token, params={"q": structure_q}).get("items", [])
        except ServiceError as exc:
            if exc.status == 401:
                raise
            general = (general or []) + ["La recherche de structures est indisponible."]
    return render_template(
        "moderation/case.html", case=case,
        highlighted=highlight_flags(case.get("body", ""), case.get("flags", [])),
        suggestions=case.get("suggested_structures", []), found_structures=found_structures,
        structure_q=structure_q, errors=errors or {}, general=general or [],
        reasons=REJECT_REASONS), status


@bp.get("/moderation/cas/<case_id>")
@moderator_required
def case(case_id: str):
    return _case_page(case_id)


def _decide(case_id: str, action: str, payload: dict, done: str, rename: dict | None = None):
    try:
        clients()["moderation"].post(f"/cases/{case_id}/{action}", json=payload,
                                     token=current_user().token)
    except Unavailable as exc:
        return _case_page(case_id, general=[exc.message], status=503)
    except ServiceError as exc:
        if exc.status == 401:
            raise
        return _case_page(case_id, errors=renamed(exc.errors, rename),
                          general=[] if exc.errors else [exc.message], status=400)
    flash(done, "success")
    return redirect(url_for("moderation.queue"))


@bp.post("/moderation/cas/<case_id>/approbation")
@moderator_required
def approve(case_id: str):
    structure_id = request.form.get("structure_id", "").strip()
    if not structure_id:
        return _case_page(case_id, errors={"structure_id": ["Choisissez une structure."]},
                          status=400)
    return _decide(case_id, "approve", {"structure_id": structure_id},
                   "L'expérience est approuvée et sera publiée.")


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
