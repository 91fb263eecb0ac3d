"""The agents' space: login, « Les expériences », answering and validating."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from services.gateway.auth import clients, current_user, login_required, store_login
from services.gateway.clients import ServiceError, Unavailable
from services.gateway.labels import AGENT_STATUS_FILTER
from services.gateway.views.public import client_address
from services.gateway.presenters import (
    first_error_messages,
    page_number,
    pagination,
    response_of,
    without_private,
)

bp = Blueprint("agent", __name__)
PER_PAGE = 20
RESPONSE_FIELDS = ("body", "closing", "signature")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (never //other.host or a full URL)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    email = request.form.get("email", "").strip()
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        password = request.form.get("password", "")
        if not email:
            errors["email"] = ["Saisissez votre adresse électronique."]
        if not password:
            errors["password"] = ["Saisissez votre mot de passe."]
        if not errors:
            try:
                answer = clients()["identity"].post(
                    "/auth/token", json={"email": email, "password": password},
                    forwarded_for=client_address())
            except Unavailable as exc:
                general = [exc.message]
            except ServiceError as exc:
                if exc.status in (400, 401, 403):
                    general = ["Adresse électronique ou mot de passe incorrect."]
                else:
                    general = [exc.message]
            else:
                store_login(answer, email)
                flash("Vous êtes connecté.", "success")
                user = current_user()
                default = url_for("moderation.queue") if user and user.is_moderator \
                    else url_for("agent.experiences")
                return redirect(safe_next(request.args.get("next")) or default)
    status = 400 if (errors or general) else 200
    return render_template("agent/login.html", email=email, errors=errors,
                           general=general), status


@bp.post("/deconnexion")
def logout():
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("public.home"))


@bp.get("/agent/experiences")
@login_required
def experiences():
    user = current_user()
    status = request.args.get("status", "")
    status = status if status in AGENT_STATUS_FILTER else ""
    q = request.args.get("q", "").strip()
    page = page_number(request.args.get("page"))
    listing = clients()["experiences"].get(
        "/experiences", token=user.token,
        params={"status": status, "q": q, "page": page, "per_page": PER_PAGE})
    items = [without_private(item) for item in listing.get("items", [])]
    return render_template("agent/experiences.html", items=items, status=status, q=q,
                           pages=pagination(listing, page, PER_PAGE))


def _load(experience_id: str) -> dict:
    user = current_user()
    return without_private(clients()["experiences"].get(f"/experiences/{experience_id}",
                                                        token=user.token))


@bp.route("/agent/experiences/<experience_id>", methods=["GET", "POST"])
@login_required
def experience(experience_id: str):
    user = current_user()
    found = _load(experience_id)
    response = response_of(found) or {}
    form = {name: response.get(name) or "" for name in RESPONSE_FIELDS}
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        form = {name: request.form.get(name, "").strip() for name in RESPONSE_FIELDS}
        payload = {"body": form["body"]}
        payload.update({k: form[k] for k in ("closing", "signature") if form[k]})
        api = clients()["experiences"]
        try:
            api.put(f"/experiences/{experience_id}/response", json=payload, token=user.token)
            api.post(f"/experiences/{experience_id}/response/submit", json={},
                     token=user.token)
        except Unavailable as exc:
            general = [exc.message]
        except ServiceError as exc:
            if exc.status == 401:
                raise
            errors = exc.errors
            general = first_error_messages(errors, RESPONSE_FIELDS) or \
                ([] if errors else [exc.message])
        else:
            flash("Votre réponse a bien été enregistrée.", "success")
            return redirect(url_for("agent.experience", experience_id=experience_id))
    status = 400 if (errors or general) else 200
    return render_template("agent/experience.html", experience=found, response=response_of(found),
                           form=form, errors=errors, general=general,
                           editing=request.method == "POST" or request.args.get("modifier") == "1"
                           or not response_of(found)), status


@bp.post("/agent/experiences/<experience_id>/validation")
@login_required
def validate(experience_id: str):
    user = current_user()
    if not user.is_super_agent:
        abort(403)
    try:
        clients()["experiences"].post(f"/experiences/{experience_id}/response/validate",
                                      json={}, token=user.token)
    except ServiceError as exc:
        if exc.status in (401, 404) or isinstance(exc, Unavailable):
            raise
        flash(exc.message, "error")
    else:
        flash("La réponse est validée : elle est publiée.", "success")
    return redirect(url_for("agent.experience", experience_id=experience_id))


@bp.route("/agent/profil", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user()
    identity = clients()["identity"]
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        frequency = request.form.get("notification_frequency", "")
        try:
            identity.request("PATCH", "/me/preferences", token=user.token,
                             json={"notification_frequency": frequency})
        except Unavailable as exc:
            general = [exc.message]
        except ServiceError as exc:
            if exc.status == 401:
                raise
            errors = exc.errors
            general = [] if errors else [exc.message]
        else:
            flash("Vos préférences de notification sont enregistrées.", "success")
            return redirect(url_for("agent.profile"))
    me = identity.get("/me", token=user.token)
    me = {k: v for k, v in me.items() if k != "password"}
    frequency = request.form.get("notification_frequency") or \
        (me.get("preferences") or {}).get("notification_frequency") or \
        me.get("notification_frequency", "")
    status = 400 if (errors or general) else 200
    return render_template("agent/profile.html", me=me, frequency=frequency, errors=errors,
                           general=general), status
