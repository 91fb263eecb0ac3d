"""Public pages: home, « Je donne mon avis », published experiences, evaluation, open data, legal
pages."""

from __future__ import annotations

import re
from functools import partial

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from services.chassis import heartbeat
from services.gateway.auth import client_address, clients
from services.gateway.calls import calling, redirect_with
from services.gateway.clients import ServiceError
from services.gateway.labels import CHANNELS, EXPERIENCE_FIELDS, FEELINGS
from services.gateway.presenters import (
    convert_dates,
    first_error_messages,
    page_number,
    pagination,
    response_of,
    search_text,
    without_private,
)
from services.gateway.territories import DEPARTMENTS, department_label

bp = Blueprint("public", __name__)
EVALUATION_FIELDS = ("useful", "feeling_after", "comment")
# What to do, field by field, where the API only says that a field is missing: the DSFR asks
# for messages that say what to do, not « Ce champ est obligatoire. ».
TO_DO = {"title": "Donnez un titre à votre expérience.",
         "body": "Décrivez votre expérience.",
         "structure_hint": "Indiquez le service concerné.",
         "postal_code": "Indiquez le code postal du service.",
         "channel": "Choisissez le moyen par lequel vous étiez en contact.",
         "occurred_on": "Indiquez la date de votre expérience.",
         "feeling": "Choisissez votre ressenti.",
         "author_name": "Choisissez un pseudonyme.",
         "author_email": "Indiquez votre adresse électronique.",
         "useful": "Dites si la réponse vous a été utile.",
         "feeling_after": "Choisissez votre ressenti après cette réponse."}
_MISSING = re.compile(r"(est obligatoire|ne peut pas être vide)\.$")


def said_plainly(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """`errors` with « the field is required » replaced by what to do in that field."""
    return {name: [TO_DO[name] if name in TO_DO and _MISSING.search(m) else m for m in messages]
            for name, messages in errors.items()}


# The public list's filters, as the query string names them (the API's own names).
FILTERS = ("network_id", "structure_id", "department", "channel", "feeling", "answered")
FILTER_TITLES = {"q": "Rechercher une expérience", "network_id": "Administration",
                 "structure_id": "Structure", "department": "Territoire", "channel": "Canal",
                 "feeling": "Ressenti", "answered": "Réponse"}
ANSWERED = {"true": "Avec une réponse", "false": "En attente de réponse"}
PER_PAGE = 10
MAX_ID = 64  # the APIs' longest id


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
        with calling(EXPERIENCE_FIELDS, keep_all=True, raising=()) as call:
            answer = clients()["experiences"].post("/experiences", json=payload,
                                                   forwarded_for=client_address())
        if not call.failed:
            session["last_experience_id"] = str(answer.get("id", ""))
            return redirect(url_for("public.feedback_sent"))
        errors, general = said_plainly(call.errors), call.general
    status = 400 if (errors or general) else 200
    return render_template("public/give_feedback.html", form=form, errors=errors,
                           general=general), status


@bp.get("/donner-mon-avis/merci")
def feedback_sent():
    return render_template("public/feedback_sent.html")


def list_filters(args) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The filters asked in the query string, and the errors of those no list offers. A
    structure is chosen inside an administration: alone, it is dropped."""
    chosen = {name: search_text(args.get(name)) for name in FILTERS}
    errors: dict[str, list[str]] = {}
    allowed = {"department": DEPARTMENTS, "channel": CHANNELS, "feeling": FEELINGS,
               "answered": ANSWERED}
    for name, choices in allowed.items():
        if chosen[name] and chosen[name] not in choices:
            errors[name] = ["Choisissez une valeur de la liste."]
    for name in ("network_id", "structure_id"):
        if len(chosen[name]) > MAX_ID:
            errors[name] = ["Choisissez une valeur de la liste."]
    if not chosen["network_id"]:
        chosen["structure_id"] = ""
    return chosen, errors


def _list(q: str, page: int, chosen: dict[str, str]) -> dict:
    params = {"q": q, "page": page, "per_page": PER_PAGE}
    params.update({name: value for name, value in chosen.items() if value})
    if chosen["structure_id"]:
        params["include_children"] = "true"  # a regional office's list holds its agencies'
    params["choices"] = "true"
    # The usager's address: the service limits the public's text searches per address.
    return clients()["experiences"].get("/experiences", params=params,
                                        forwarded_for=client_address())


def _refused_filters(errors: dict[str, list[str]], exc: ServiceError) -> tuple[dict, list]:
    """A filter the API refuses: said next to it, as ours (`errors`) are."""
    errors = {**errors, **{name: msgs for name, msgs in exc.errors.items()
                           if name in FILTER_TITLES}}
    return errors, first_error_messages(exc.errors, tuple(FILTER_TITLES)) or \
        ([] if errors else [exc.message])


@bp.get("/experiences")
def experiences():
    q = search_text(request.args.get("q"))
    page = page_number(request.args.get("page"))
    chosen, errors = list_filters(request.args)
    valid = {name: ("" if name in errors else value) for name, value in chosen.items()}
    listing = {}
    with calling(only=(422,), split=partial(_refused_filters, errors)) as call:
        listing = _list(q, page, valid)
    errors, general = (call.errors, call.general) if call.failed else (errors, [])
    structures = listing.get("structures") or []
    known = {s.get("id") for s in structures}
    if valid["structure_id"] and valid["structure_id"] not in known \
            and not listing.get("structures_truncated") and not errors and not general:
        # The administration changed and the structure is not one of its own: drop it.
        chosen["structure_id"] = valid["structure_id"] = ""
        listing = _list(q, page, valid)
        structures = listing.get("structures") or []
    shown = {name: value for name, value in chosen.items() if value}
    if q:
        shown["q"] = q
    items = [] if (errors or general) else \
        [without_private(item) for item in listing.get("items", [])]
    status = 400 if (errors or general) else 200
    choices = {
        "network_id": [(n.get("id"), n.get("name")) for n in listing.get("networks") or []],
        # Indented by depth with no-break spaces: a select has no other way to show a tree.
        "structure_id": [(s.get("id"), "\u00a0\u00a0\u00a0" * int(s.get("depth") or 0)
                          + str(s.get("name"))) for s in structures],
        "department": [(code, department_label(code)) for code in DEPARTMENTS],
        "channel": list(CHANNELS.items()), "feeling": list(FEELINGS.items()),
        "answered": list(ANSWERED.items())}
    return render_template(
        "public/experiences.html", items=items, q=q, chosen=chosen, errors=errors,
        general=general, titles=FILTER_TITLES, choices=choices,
        structures_truncated=bool(listing.get("structures_truncated")), params=shown,
        filtered=any(chosen.values()) or bool(q),
        pages=pagination(listing, page, PER_PAGE)), status


def improvement_actions(experience: dict) -> list[dict]:
    if isinstance(experience.get("improvement_actions"), list):
        return experience["improvement_actions"]
    with calling(raising=()):
        listing = clients()["experiences"].get(
            "/improvement-actions", params={"experience_id": experience.get("id")})
        return [action for action in listing.get("items", [])
                if str(experience.get("id")) in [str(i) for i in action.get("experience_ids", [])]
                or "experience_ids" not in action]
    return []


@bp.get("/experiences/<experience_id>")
def experience(experience_id: str):
    found = without_private(clients()["experiences"].get(f"/experiences/{experience_id}"))
    return render_template("public/experience.html", experience=found,
                           response=response_of(found), actions=improvement_actions(found))


# Why an evaluation link shows no form: (title, message, alert kind, HTTP status).
LINK_STATES = {
    "missing": ("Lien d'évaluation incomplet",
                "Le lien d'évaluation est incomplet : ouvrez le lien complet reçu par courriel.",
                "error", 400),
    "invalid": ("Lien d'évaluation non valable",
                "Ce lien d'évaluation n'est pas valable. Vérifiez que vous avez bien ouvert le "
                "lien complet reçu par courriel, sans le modifier.", "error", 404),
    "used": ("Vous avez déjà évalué cette réponse",
             "Merci, votre évaluation a bien été enregistrée. Chaque lien ne sert qu'une fois : "
             "il n'est plus possible de la modifier.", "info", 410),
    "unanswered": ("Aucune réponse à évaluer",
                   "Cette expérience n'a pas de réponse publiée à évaluer pour l'instant.",
                   "info", 409),
}
LINK_ERRORS = {403: "invalid", 404: "invalid", 422: "invalid", 409: "unanswered", 410: "used"}


def _link_state(experience_id: str, token: str) -> str:
    """Whether the link may still be used, asked to experiences without using it."""
    if not token:
        return "missing"
    with calling(only=LINK_ERRORS) as call:
        clients()["experiences"].get(f"/experiences/{experience_id}/evaluation",
                                     params={"token": token})
    return LINK_ERRORS[call.error.status] if call.failed else "open"


def _rated(experience_id: str) -> dict | None:
    """The experience whose response is rated (its public view); None when unknown."""
    with calling(only=(404,)):
        return without_private(clients()["experiences"].get(f"/experiences/{experience_id}"))
    return None


@bp.route("/experiences/<experience_id>/evaluation", methods=["GET", "POST"])
def evaluation(experience_id: str):
    token = request.values.get("token", "").strip()
    form = {name: request.form.get(name, "").strip() for name in EVALUATION_FIELDS}
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    state = "missing" if not token else "open"
    if request.method == "POST" and token:
        payload = {"token": token, "comment": form["comment"] or None}
        if form["useful"] in ("true", "false"):
            payload["useful"] = form["useful"] == "true"
        if form["feeling_after"]:
            payload["feeling_after"] = form["feeling_after"]
        payload = {k: v for k, v in payload.items() if v is not None}
        with calling(EVALUATION_FIELDS, keep_all=True, raising=()) as call:
            clients()["experiences"].post(f"/experiences/{experience_id}/evaluation",
                                          json=payload, forwarded_for=client_address())
        if not call.failed:
            return redirect_with("Merci ! Votre évaluation a bien été enregistrée.",
                                 url_for("public.experience", experience_id=experience_id))
        if call.refused(LINK_ERRORS.keys() - {422}):
            state = LINK_ERRORS[call.error.status]
        else:
            errors, general = said_plainly(call.errors), call.general
    experience = _rated(experience_id)
    if experience is None:
        state = "invalid"
    elif request.method == "GET" and token:
        state = _link_state(experience_id, token)
    if state != "open":
        title, message, kind, status = LINK_STATES[state]
        return render_template("public/evaluation.html", experience_id=experience_id,
                               experience=experience, state=state, state_title=title,
                               state_message=message, state_kind=kind, token="", form=form,
                               errors={}, general=[],
                               response=response_of(experience) if experience else None), status
    status = 400 if (errors or general) else 200
    return render_template("public/evaluation.html", experience_id=experience_id,
                           experience=experience, state=state, token=token, form=form,
                           errors=errors, general=general,
                           response=response_of(experience)), status


# Legal pages ----------------------------------------------------------------------------------

# The RGAA status said in the footer and the accessibility statement: change it here only,
# after an audit.
# The RGAA: without a valid audit, a site is declared « non conforme ».
ACCESSIBILITY_STATUS = "non conforme"


@bp.app_context_processor
def legal_context() -> dict:
    return {"accessibility_status": ACCESSIBILITY_STATUS}


# Open data: the published experiences as the experiences service exports them, passed on as they
# come (the service limits downloads per address; the gateway forwards the usager's).
@bp.get("/donnees-ouvertes")
def open_data():
    return render_template("public/open_data.html")


@bp.get("/donnees-ouvertes/experiences.<any(csv, json):extension>")
def open_data_file(extension: str):
    chunks, content_type, _name = clients()["experiences"].stream(
        f"/open-data/experiences.{extension}", forwarded_for=client_address())
    filename = f"experiences-services-publics-plus.{extension}"
    return Response(heartbeat.each(chunks), content_type=content_type,
                    headers={"Content-Disposition": f"attachment; filename={filename}",
                             "Cache-Control": "no-store"})


# Each shows the template of its name, legal/<endpoint>.html.
LEGAL_PAGES = {"legal_notice": "/mentions-legales", "personal_data": "/donnees-personnelles",
               "accessibility": "/accessibilite", "sitemap": "/plan-du-site"}


def legal_page(page: str):
    return render_template(f"legal/{page}.html")


for _endpoint, _path in LEGAL_PAGES.items():
    bp.add_url_rule(_path, _endpoint, legal_page, defaults={"page": _endpoint})
