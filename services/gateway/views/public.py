"""Public pages: home, « Je donne mon avis », published experiences, evaluation."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from services.chassis.addresses import resolve_client
from services.gateway.auth import clients
from services.gateway.clients import ServiceError, Unavailable
from services.gateway.labels import EXPERIENCE_FIELDS
from services.gateway.presenters import (
    convert_dates,
    first_error_messages,
    page_number,
    pagination,
    response_of,
    search_text,
    without_private,
)

bp = Blueprint("public", __name__)
PER_PAGE = 10
EVALUATION_FIELDS = ("useful", "feeling_after", "comment")


def client_address() -> str:
    """The usager's address, passed on to the APIs for their rate limits: resolved here behind
    the operator's reverse proxy (`SPP_TRUSTED_PROXIES`), so one address per person."""
    return resolve_client(request.remote_addr or "", request.headers.get("X-Forwarded-For", ""))


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.route("/donner-mon-avis", methods=["GET", "POST"])
def give_feedback():
    form = {name: "" for name in EXPERIENCE_FIELDS}
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        form = {name: request.form.get(name, "").strip() for name in EXPERIENCE_FIELDS}
        errors = convert_dates(form, ("occurred_on",))
    if request.method == "POST" and not errors:
        payload = {name: value for name, value in form.items() if value != ""}
        try:
            answer = clients()["experiences"].post("/experiences", json=payload,
                                                   forwarded_for=client_address())
        except Unavailable as exc:
            general = [exc.message]
        except ServiceError as exc:
            errors = exc.errors
            general = first_error_messages(errors, EXPERIENCE_FIELDS) or \
                ([] if errors else [exc.message])
        else:
            session["last_experience_id"] = str(answer.get("id", ""))
            return redirect(url_for("public.feedback_sent"))
    status = 400 if (errors or general) else 200
    return render_template("public/give_feedback.html", form=form, errors=errors,
                           general=general), status


@bp.get("/donner-mon-avis/merci")
def feedback_sent():
    return render_template("public/feedback_sent.html")


@bp.get("/experiences")
def experiences():
    q = search_text(request.args.get("q"))
    page = page_number(request.args.get("page"))
    listing = clients()["experiences"].get(
        "/experiences", params={"q": q, "page": page, "per_page": PER_PAGE})
    items = [without_private(item) for item in listing.get("items", [])]
    return render_template("public/experiences.html", items=items, q=q,
                           pages=pagination(listing, page, PER_PAGE))


def improvement_actions(experience: dict) -> list[dict]:
    if isinstance(experience.get("improvement_actions"), list):
        return experience["improvement_actions"]
    try:
        listing = clients()["experiences"].get(
            "/improvement-actions", params={"experience_id": experience.get("id")})
    except ServiceError:
        return []
    return [action for action in listing.get("items", [])
            if str(experience.get("id")) in [str(i) for i in action.get("experience_ids", [])]
            or "experience_ids" not in action]


@bp.get("/experiences/<experience_id>")
def experience(experience_id: str):
    found = without_private(clients()["experiences"].get(f"/experiences/{experience_id}"))
    return render_template("public/experience.html", experience=found,
                           response=response_of(found), actions=improvement_actions(found))


@bp.route("/experiences/<experience_id>/evaluation", methods=["GET", "POST"])
def evaluation(experience_id: str):
    token = request.values.get("token", "").strip()
    form = {name: request.form.get(name, "").strip() for name in EVALUATION_FIELDS}
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if not token:
        general = ["Le lien d'évaluation est incomplet : utilisez le lien reçu par courriel."]
    elif request.method == "POST":
        payload = {"token": token, "comment": form["comment"] or None}
        if form["useful"] in ("true", "false"):
            payload["useful"] = form["useful"] == "true"
        if form["feeling_after"]:
            payload["feeling_after"] = form["feeling_after"]
        payload = {k: v for k, v in payload.items() if v is not None}
        try:
            clients()["experiences"].post(f"/experiences/{experience_id}/evaluation",
                                          json=payload, forwarded_for=client_address())
        except Unavailable as exc:
            general = [exc.message]
        except ServiceError as exc:
            errors = exc.errors
            general = first_error_messages(errors, EVALUATION_FIELDS) or \
                ([] if errors else [exc.message])
        else:
            flash("Merci ! Votre évaluation a bien été enregistrée.", "success")
            return redirect(url_for("public.experience", experience_id=experience_id))
    status = 400 if (errors or general) and request.method == "POST" else 200
    return render_template("public/evaluation.html", experience_id=experience_id, token=token,
                           form=form, errors=errors, general=general), status
