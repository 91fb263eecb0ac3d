"""The agents' space: login, « Les expériences », answering and validating."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from services.chassis.vocabulary import MIN_PASSWORD_LENGTH
from services.gateway import privacy
from services.gateway.auth import clients, current_user, login_required, store_login
from services.gateway.calls import calling, redirect_with
from services.gateway.clients import ServiceError
from services.gateway.labels import (
    AGENT_SCOPES,
    AGENT_STATUS_FILTER,
    CHANNELS,
    FEELINGS,
    GENERAL_TAGS,
    STATUSES,
)
from services.gateway.presenters import (
    PARIS,
    convert_dates,
    is_internal_view,
    page_number,
    pagination,
    renamed,
    response_of,
    said_of,
    search_text,
    without_private,
)
from services.gateway.views.access import claims, may, permission_required
from services.gateway.views.admin import structure_tree, subtree_ids
from services.gateway.views.public import client_address

bp = Blueprint("agent", __name__)
PER_PAGE = 20
RESPONSE_FIELDS = ("body", "closing", "signature")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (never //other.host or a full URL). Browsers drop tabs and
    line breaks from a URL and read a backslash as a slash, so "/\t/evil" is "//evil":
    a target with any of them, or any other control or space character, is refused."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if any(c.isspace() or not c.isprintable() or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        if not email:
            errors["email"] = ["Saisissez votre adresse électronique."]
        if not password:
            errors["password"] = ["Saisissez votre mot de passe."]
        if not errors:
            with calling(split=_login_refused, raising=()) as call:
                answer = clients()["identity"].post(
                    "/auth/token", json={"email": email, "password": password},
                    forwarded_for=client_address())
            if not call.failed:
                return _signed_in(answer, email)
            general = call.general
    status = 400 if (errors or general) else 200
    return render_template("agent/login.html", email=email, errors=errors,
                           general=general), status


def _login_refused(exc: ServiceError) -> tuple[dict, list[str]]:
    if exc.status in (400, 401, 403):
        return {}, ["Adresse électronique ou mot de passe incorrect."]
    return {}, [exc.message]


def _signed_in(answer: dict, email: str):
    store_login(answer, email)
    flash("Vous êtes connecté.", "success")
    user = current_user()
    default = url_for("moderation.queue") if user and user.is_moderator \
        else url_for("agent.experiences")
    return redirect(safe_next(request.args.get("next")) or default)


@bp.post("/deconnexion")
def logout():
    refresh = session.get("refresh_token")
    if refresh:
        with calling(raising=()):  # end the session at identity too: a copied cookie is worthless
            clients()["identity"].post("/auth/logout", json={"refresh_token": refresh})
    session.clear()
    return redirect_with("Vous êtes déconnecté.", url_for("public.home"), "info")


# Ages and deadlines of the agents' list, in whole days of Paris calendar: « il y a 3 j » reads
# the same all day long, whatever the hour of publication.
def paris_day(value) -> date | None:
    """The Paris calendar day of an ISO datetime (naive ones are UTC); None when unreadable."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS).date()


def today_in_paris() -> date:
    return datetime.now(PARIS).date()


def _days(n: int) -> tuple[str, str]:
    """« 3 j » on screen, « 3 jours » for screen readers."""
    return f"{n} j", f"{n} jour{'s' if n > 1 else ''}"


def age_of(item: dict, today: date) -> dict | None:
    """How long ago the experience was published: {text, spoken}."""
    published = paris_day(item.get("published_at"))
    if published is None:
        return None
    n = (today - published).days
    if n <= 0:
        return {"text": "aujourd'hui", "spoken": "publiée aujourd'hui"}
    short, long = _days(n)
    return {"text": f"il y a {short}", "spoken": f"publiée il y a {long}"}


def deadline_of(item: dict, today: date) -> dict | None:
    """Where the experience stands against the network's target delay: {text, spoken, late}."""
    due = paris_day(item.get("answer_due_at"))
    if due is None:
        return None
    if item.get("status") == "answered":
        answered = paris_day(item.get("first_response_at"))
        if answered is None:
            return None
        late = (answered - due).days
        if late <= 0:
            return {"text": "répondu dans le délai", "spoken": "répondu dans le délai",
                    "late": False}
        short, long = _days(late)
        return {"text": f"répondu avec {short} de retard",
                "spoken": f"répondu avec {long} de retard", "late": True}
    if item.get("status") not in ("to_process", "awaiting_validation"):
        return None
    left = (due - today).days
    if left == 0:
        return {"text": "aujourd'hui", "spoken": "réponse attendue aujourd'hui", "late": False}
    if left > 0:
        short, long = _days(left)
        return {"text": f"dans {short}", "spoken": f"réponse attendue dans {long}",
                "late": False}
    short, long = _days(-left)
    return {"text": f"en retard de {short}", "spoken": f"réponse en retard de {long}",
            "late": True}


@bp.get("/agent/experiences")
@login_required
def experiences():
    user = current_user()
    status = request.args.get("status", "")
    status = status if status in AGENT_STATUS_FILTER else ""
    scope = request.args.get("perimetre", "")
    scope = scope if scope in AGENT_SCOPES else "avec-filles"
    q = search_text(request.args.get("q"))
    page = page_number(request.args.get("page"))
    # With the child structures by default: a regional super agent validates her agencies'
    # answers, and the list is where she finds them.
    listing = clients()["experiences"].get(
        "/experiences", token=user.token,
        params={"status": status, "q": q, "page": page, "per_page": PER_PAGE,
                "include_children": "true" if scope == "avec-filles" else "false"})
    today = today_in_paris()
    items = []
    for item in listing.get("items", []):
        item = without_private(item)
        item["age"], item["deadline"] = age_of(item, today), deadline_of(item, today)
        items.append(item)
    return render_template("agent/experiences.html", items=items, status=status, q=q,
                           scope=scope, pages=pagination(listing, page, PER_PAGE))


# What the agent is told after sending a response, by the status the API answers.
SUBMITTED = {
    "awaiting_validation": "Votre réponse est enregistrée. Elle sera publiée quand un super agent "
                           "de la structure ou d'une structure parente l'aura validée.",
    "answered": "Votre réponse est publiée. L'usager en est informé par courriel.",
    None: "Votre réponse a bien été enregistrée.",
}
DRAFT_SAVED = ("Votre brouillon est enregistré. Il n'est pas envoyé : l'expérience reste "
               "« À traiter » jusqu'à ce que vous envoyiez la réponse.")
AMENDED = ("Vos modifications sont enregistrées. La réponse attend toujours la validation d'un "
           "super agent.")
# The page's buttons: « Enregistrer le brouillon » and « Enregistrer et envoyer la réponse ».
SAVE_DRAFT, SEND = "brouillon", "envoyer"
OPEN = ("to_process", "awaiting_validation")  # a response may be written, the experience moved
PUBLISHED = (*OPEN, "answered")


def readable(message: str) -> str:
    """An API message without the status codes it quotes in brackets (« (awaiting_validation) »):
    the French words before them say it already."""
    for code in STATUSES:
        message = message.replace(f" ({code})", "")
    return message


def api_problem(exc: ServiceError, shown: tuple[str, ...]) -> tuple[dict, list[str]]:
    """What to tell on the page about an API refusal: (errors of the fields the form shows,
    messages for the summary). A conflict (409) says it in its message; its `errors.status`
    holds a code, never shown."""
    if exc.status == 409:
        return {}, [readable(exc.message)]
    errors = {f: msgs for f, msgs in exc.errors.items() if f in shown}
    general = [readable(m) for f, msgs in exc.errors.items() if f not in shown and f != "status"
               for m in msgs]
    return errors, general or ([] if errors else [readable(exc.message)])


def _load(experience_id: str) -> dict:
    """The internal view of an experience in the agent's scope; 403 for one outside it."""
    user = current_user()
    found = clients()["experiences"].get(f"/experiences/{experience_id}", token=user.token)
    if not is_internal_view(found):  # the API shows staff outside the scope the public view
        abort(403)
    return without_private(found)


@bp.route("/agent/experiences/<experience_id>", methods=["GET", "POST"])
@login_required
def experience(experience_id: str):
    """The experience and its response: a draft is saved without being sent (the status stays
    « À traiter »), resumed, then sent; a response waiting for validation may still be amended
    (it stays waiting: sending it again is not a step)."""
    found = _load(experience_id)
    status = found.get("status")
    response = response_of(found, draft=True) or {}
    form = {name: response.get(name) or "" for name in RESPONSE_FIELDS}
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    found_data = privacy.PrivacyCheck()
    if request.method == "POST":
        if not may("response:draft"):
            abort(403)
        form = {name: request.form.get(name, "").strip() for name in RESPONSE_FIELDS}
        send = request.form.get("action", SEND) != SAVE_DRAFT and status == "to_process"
        if status not in OPEN:
            general = ["La réponse est déjà publiée : elle ne peut plus être modifiée."]
        elif not form["body"]:
            errors = {"body": ["Écrivez votre réponse."]}
        else:
            payload = {"body": form["body"]}
            payload.update({k: form[k] for k in ("closing", "signature") if form[k]})
            if send and not privacy.confirmed(request.form):
                # Sending publishes: passages that look personal hold it back as a draft.
                found_data = privacy.check(payload)
                send = not found_data
            errors, general, done = _save_response(experience_id, payload, send, status)
            if done and not found_data:
                return redirect_with(done, url_for("agent.experience",
                                                   experience_id=experience_id))
    code = 400 if (errors or general) else 200
    if found_data:  # the draft is saved (200); the box to tick is said as a form error
        errors = {**errors, privacy.CONFIRM: [NOT_SENT]}
    return _experience_page(found, form=form, errors=errors, general=general,
                            editing=request.method == "POST"
                            or request.args.get("modifier") == "1",
                            personal_data=found_data or None), code


def _save_response(experience_id: str, payload: dict, send: bool, status: str | None):
    """PUT the draft, then submit it when asked: (errors, general, message once done)."""
    api = clients()["experiences"]
    token = current_user().token
    saved = False
    with calling(split=partial(api_problem, shown=RESPONSE_FIELDS)) as call:
        api.put(f"/experiences/{experience_id}/response", json=payload, token=token)
        saved = True
        if not send:
            return {}, [], DRAFT_SAVED if status == "to_process" else AMENDED
        submitted = api.post(f"/experiences/{experience_id}/response/submit", json={},
                             token=token)
        return {}, [], SUBMITTED.get(submitted.get("status"), SUBMITTED[None])
    if saved:  # the draft is kept: only sending it failed
        return call.errors, ["Votre brouillon est enregistré, mais la réponse n'a pas été "
                             "envoyée."] + call.general, None
    return call.errors, call.general, None


def child_structures(structure_id) -> list[dict]:
    """The active child structures of the experience's structure (identity), every page of
    them (a region has more offices than one page), [] when unknown."""
    if not structure_id:
        return []
    with calling():
        found = clients()["identity"].get_all("/structures", token=current_user().token,
                                              params={"parent_id": str(structure_id)})
        return [s for s in found if str(s.get("id")) != str(structure_id)
                and s.get("active", True) is not False]
    return []


def internal_comments(experience_id) -> list[dict]:
    """The internal comments (structures concerned and moderation), [] when unavailable."""
    with calling():
        return clients()["experiences"].get(f"/experiences/{experience_id}/comments",
                                            token=current_user().token).get("items", [])
    return []


def offers(found: dict) -> dict[str, bool]:
    """The page's sections each user gets, by the token's permissions and what the API accepts
    now. While a re-orientation request waits (`pending`), the API refuses to send or validate
    the response, to move the experience and a second request; a draft may still be saved."""
    status = found.get("status")
    opened = status in OPEN
    pending = opened and bool(found.get("reorientation_reason"))
    return {"pending": pending,
            "answer": opened and may("response:draft"),
            "send": status == "to_process" and not pending and may("response:draft"),
            "move": opened and not pending and may("experience:move"),
            "reorient": opened and not pending and may("experience:reorient"),
            "annotate": status in PUBLISHED and may("experience:annotate"),
            "comment": may("experience:annotate"),
            "act": status in PUBLISHED and may("improvement:write")}


def _experience_page(found: dict, *, form: dict | None = None, errors: dict | None = None,
                     general: list | None = None, editing: bool = False,
                     move: dict | None = None, reorient: dict | None = None,
                     comment: dict | None = None, annotation: dict | None = None,
                     personal_data: privacy.PrivacyCheck | None = None) -> str:
    response = response_of(found, draft=True)
    if form is None:
        form = {name: (response or {}).get(name) or "" for name in RESPONSE_FIELDS}
    offer = offers(found)
    children = child_structures(found.get("structure_id")) if offer["move"] else []
    # « À traiter »: the form, with the draft if one was saved; waiting for validation: the
    # response, and the form on « Modifier »; answered: the response only. Only for those who
    # draft responses.
    status = found.get("status")
    editing = offer["answer"] and (status == "to_process" or (
        status == "awaiting_validation" and (editing or not response)))
    # Four eyes: whoever wrote the text as it stands or sent it to validation does not validate it.
    me = str(claims().get("sub") or "")
    own = bool(me) and me in (str(found.get("response_submitted_by") or ""),
                              str(found.get("response_drafted_by") or ""))
    may_validate = may("response:validate") and not own and not offer["pending"]
    if personal_data is None and status == "awaiting_validation" and response \
            and not editing and may_validate:
        # What the super agent would publish: its passages shown beside « Valider ».
        personal_data = _response_check(response)
    return render_template("agent/experience.html", experience=found, response=response,
                           form=form, errors=errors or {}, general=general or [],
                           editing=editing, may_validate=may_validate, own_submission=own,
                           children=[(str(c.get("id")), c.get("name") or str(c.get("id")))
                                     for c in children],
                           move=move or {"errors": {}, "general": [], "structure_id": ""},
                           reorient=reorient or {"errors": {}, "general": [], "reason": ""},
                           comments=internal_comments(found.get("id")),
                           comment=comment or {"errors": {}, "general": [], "comment_body": ""},
                           annotation=annotation or {"errors": {}, "general": [],
                                                     **saved_annotations(found)},
                           annotation_titles=ANNOTATION_TITLES, offer=offer,
                           personal_data=personal_data or privacy.PrivacyCheck(),
                           confirm_name=privacy.CONFIRM)


def _experience_action(experience_id: str, key: str, field: str, missing: str, path: str,
                       done: str, api_field: str = "", anchor: str = ""):
    """One of the experience page's small forms (`key`), of one `field`: POSTed to the
    experience's `path` as `api_field` when the API names it otherwise; what is `missing` and
    the API's errors go back to the form."""
    value = request.form.get(field, "").strip()
    state = {"errors": {}, "general": [], field: value}
    api_field = api_field or field
    if not value:
        state["errors"] = {field: [missing]}
        return _experience_page(_load(experience_id), **{key: state}), 400
    with calling(split=partial(api_problem, shown=(api_field,)), raising=(401, 404)) as call:
        clients()["experiences"].post(f"/experiences/{experience_id}/{path}",
                                      json={api_field: value}, token=current_user().token)
    if not call.failed:
        return redirect_with(done, url_for("agent.experience", experience_id=experience_id)
                             + anchor)
    state.update(errors=renamed(call.errors, {api_field: field}), general=call.general)
    return _experience_page(_load(experience_id), **{key: state}), 400


@bp.post("/agent/experiences/<experience_id>/deplacement")
@permission_required("experience:move")
def reassign(experience_id: str):
    return _experience_action(experience_id, "move", "structure_id",
                              "Choisissez une structure fille.", "reassign",
                              "L'expérience a été déplacée vers la structure choisie.")


@bp.post("/agent/experiences/<experience_id>/reorientation")
@permission_required("experience:reorient")
def reorientation(experience_id: str):
    return _experience_action(experience_id, "reorient", "reason",
                              "Expliquez pourquoi l'expérience doit être réorientée.",
                              "reorientation",
                              "Votre demande de réorientation a été transmise aux modérateurs.")


# « Qualifier l'expérience »: the annotations agents set (the open data shows them).
ANNOTATION_TITLES = {
    **{f"tag-{code}": f"Étiquette « {text} »" for code, text in GENERAL_TAGS.items()},
    "business_tags": "Étiquettes métier",
    **{f"channel-{code}": f"Ressenti — {text}" for code, text in CHANNELS.items()},
    "improvement_to_consider": "Amélioration de service à considérer",
}
NOT_OFFERED = "Choisissez un ressenti parmi ceux proposés."


def saved_annotations(found: dict) -> dict:
    """The experience's annotations as the form shows them."""
    tags = {t.get("tag"): t.get("feeling") for t in found.get("general_tags") or []
            if isinstance(t, dict)}
    channels = {c.get("channel"): c.get("feeling") for c in found.get("channel_feelings") or []
                if isinstance(c, dict)}
    return {"tags": {code: tags.get(code) or "" for code in GENERAL_TAGS},
            "channels": {code: channels.get(code) or "" for code in CHANNELS},
            "business_tags": ", ".join(str(t) for t in found.get("business_tags") or []),
            "improvement_to_consider": bool(found.get("improvement_to_consider"))}


def posted_annotations() -> dict:
    return {"tags": {code: request.form.get(f"tag-{code}", "") for code in GENERAL_TAGS},
            "channels": {code: request.form.get(f"channel-{code}", "") for code in CHANNELS},
            "business_tags": request.form.get("business_tags", "").strip(),
            "improvement_to_consider": request.form.get("improvement_to_consider") == "1"}


def business_tags(text: str) -> list[str]:
    """« accueil, RSA , accueil » is ["accueil", "RSA"]: comma-separated, each once."""
    found = [tag.strip() for tag in text.split(",")]
    return list(dict.fromkeys(tag for tag in found if tag))


def annotations_payload(form: dict) -> tuple[dict, dict[str, str]]:
    """The PATCH body (the whole qualification: what is left empty is cleared), and the page's
    field for each item the API may name by its place (`general_tags.0` is `tag-…`)."""
    tags = [(code, feeling) for code, feeling in form["tags"].items() if feeling]
    channels = [(code, feeling) for code, feeling in form["channels"].items() if feeling]
    tagged = business_tags(form["business_tags"])
    payload = {"general_tags": [{"tag": code, "feeling": f} for code, f in tags],
               "business_tags": tagged,
               "channel_feelings": [{"channel": code, "feeling": f} for code, f in channels],
               "improvement_to_consider": form["improvement_to_consider"]}
    fields = {**{f"general_tags.{i}": f"tag-{code}" for i, (code, _) in enumerate(tags)},
              **{f"channel_feelings.{i}": f"channel-{code}" for i, (code, _) in enumerate(channels)}}
    return payload, fields


def _annotations_refused(exc: ServiceError, fields: dict[str, str],
                         tags: list[str]) -> tuple[dict, list[str]]:
    """api_problem, with the API's places (`general_tags.0.feeling`) as the page's fields; the
    error of one business tag (`business_tags.3`) names it."""
    errors: dict[str, list[str]] = {}
    for name, messages in exc.errors.items():
        head, _, index = name.partition(".")
        index = index.split(".")[0]
        if head == "business_tags" and index.isdigit() and int(index) < len(tags):
            tag = tags[int(index)]
            tag = tag if len(tag) <= 40 else tag[:40] + "…"
            messages = [said_of(m, f"L'étiquette « {tag} »") for m in messages]
        field = "business_tags" if head == "business_tags" else \
            fields.get(f"{head}.{index}", name)
        errors.setdefault(field, []).extend(messages)
    return api_problem(ServiceError(exc.status, exc.code, exc.message, errors),
                       tuple(ANNOTATION_TITLES))


@bp.post("/agent/experiences/<experience_id>/qualification")
@permission_required("experience:annotate")
def annotate(experience_id: str):
    """« Qualifier l'expérience »: general tags and channels each with a feeling, business tags,
    the improvement flag; saved as a whole."""
    form = posted_annotations()
    errors = {f"tag-{code}": [NOT_OFFERED] for code, v in form["tags"].items()
              if v and v not in FEELINGS}
    errors.update({f"channel-{code}": [NOT_OFFERED] for code, v in form["channels"].items()
                   if v and v not in FEELINGS})
    general: list[str] = []
    if not errors:
        payload, fields = annotations_payload(form)
        with calling(split=partial(_annotations_refused, fields=fields,
                                   tags=payload["business_tags"]), raising=(401, 404)) as call:
            clients()["experiences"].request("PATCH", f"/experiences/{experience_id}/annotations",
                                             json=payload, token=current_user().token)
        if not call.failed:
            return redirect_with("La qualification de l'expérience est enregistrée.",
                                 url_for("agent.experience", experience_id=experience_id)
                                 + "#qualification")
        errors, general = call.errors, call.general
    return _experience_page(_load(experience_id),
                            annotation={"errors": errors, "general": general, **form}), 400


# The validation form's hidden field: the `response_updated_at` of the response the page showed.
# The agent may amend it while it waits; the API then refuses to publish a text nobody read.
READ_VERSION = "response_updated_at"


@bp.post("/agent/experiences/<experience_id>/validation")
@login_required
def validate(experience_id: str):
    user = current_user()
    if not may("response:validate"):
        abort(403)
    page = url_for("agent.experience", experience_id=experience_id)
    read = request.form.get(READ_VERSION, "").strip()
    held = None if privacy.confirmed(request.form) else _held_back(experience_id, read)
    if held is not None:
        return held
    with calling(split=partial(api_problem, shown=()), raising=(401, 404)) as call:
        clients()["experiences"].post(f"/experiences/{experience_id}/response/validate",
                                      json={READ_VERSION: read} if read else {},
                                      token=user.token)
    if call.refused((409,)) and READ_VERSION in call.error.errors:
        return _reread(_load(experience_id))
    return call.flash_redirect(page, "La réponse est validée : elle est publiée.")


def _held_back(experience_id: str, read: str):
    """The page again, before validating without the box ticked, when the response is not the
    one read (its passages would not be those the super agent saw) or has passages that look
    personal; None when it may go."""
    found = _load(experience_id)
    if _amended_since(found, read):
        return _reread(found)
    passages = _response_check(response_of(found, draft=True) or {})
    if passages:
        return _experience_page(found, errors={privacy.CONFIRM: [NOT_CONFIRMED]},
                                personal_data=passages), 400
    return None


def _amended_since(found: dict, read: str) -> bool:
    """Whether the response waiting for validation is no longer the one the page showed (the
    value is the API's own, sent back as it came: compared as it is)."""
    return bool(read) and found.get("status") == "awaiting_validation" \
        and found.get(READ_VERSION) != read


def _reread(found: dict):
    """The page again, with the new text (and its passages): to read before validating."""
    return _experience_page(found, general=[AMENDED_SINCE]), 400


def _response_check(response: dict) -> privacy.PrivacyCheck:
    """The passages of a saved response (draft or waiting) that look like personal data."""
    return privacy.check({name: response.get(name) or "" for name in RESPONSE_FIELDS})


NOT_CONFIRMED = ("La réponse n'est pas validée : elle semble contenir des données personnelles. "
                 "Relisez les passages signalés, puis cochez la case pour confirmer qu'ils "
                 "peuvent être publiés, ou modifiez la réponse.")
AMENDED_SINCE = ("La réponse n'est pas validée : elle a été modifiée depuis que vous l'avez lue. "
                 "Relisez la nouvelle version ci-dessous, puis validez-la si elle convient.")
NOT_SENT = ("La réponse n'est pas envoyée : retirez les passages signalés, ou cochez la case pour "
            "confirmer qu'ils peuvent être publiés.")
NOT_SAVED = ("L'action n'est pas enregistrée : retirez les passages signalés, ou cochez la case "
             "pour confirmer qu'ils peuvent être publiés.")


@bp.route("/agent/profil", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user()
    identity = clients()["identity"]
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        frequency = request.form.get("notification_frequency", "")
        with calling() as call:
            identity.request("PATCH", "/me/preferences", token=user.token,
                             json={"notification_frequency": frequency})
        if not call.failed:
            return redirect_with("Vos préférences de notification sont enregistrées.",
                                 url_for("agent.profile"))
        errors, general = call.errors, call.general
    me = identity.get("/me", token=user.token)
    me = {k: v for k, v in me.items() if k != "password"}
    frequency = request.form.get("notification_frequency") or \
        (me.get("preferences") or {}).get("notification_frequency") or \
        me.get("notification_frequency", "")
    status = 400 if (errors or general) else 200
    return render_template("agent/profile.html", me=me, frequency=frequency, errors=errors,
                           general=general), status


CHANGE_FIELDS = ("current_password", "password", "confirmation")
CHANGE_TITLES = {"current_password": "Mot de passe actuel", "password": "Nouveau mot de passe",
                 "confirmation": "Confirmation du nouveau mot de passe"}


@bp.route("/agent/profil/mot-de-passe", methods=["GET", "POST"])
@login_required
def change_password():
    """The signed-in user's own password, given the current one (identity ends her other
    sessions; this one goes on)."""
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        current = request.form.get("current_password", "")
        password = request.form.get("password", "")
        if not current:
            errors["current_password"] = ["Saisissez votre mot de passe actuel."]
        if not password:
            errors["password"] = ["Saisissez un nouveau mot de passe."]
        elif len(password) < MIN_PASSWORD_LENGTH:
            errors["password"] = [f"Le mot de passe doit contenir au moins "
                                  f"{MIN_PASSWORD_LENGTH} caractères."]
        if password and password != request.form.get("confirmation", ""):
            errors["confirmation"] = ["Les deux mots de passe ne sont pas identiques."]
        if not errors:
            with calling(CHANGE_FIELDS, keep_all=True) as call:
                clients()["identity"].post("/me/password", token=current_user().token,
                                           json={"current_password": current,
                                                 "password": password})
            if not call.failed:
                return redirect_with("Votre mot de passe est changé. Vos autres sessions sont "
                                     "fermées.", url_for("agent.profile"))
            errors, general = call.errors, call.general
    status = 400 if (errors or general) else 200
    return render_template("agent/change_password.html", errors=errors, general=general,
                           titles=CHANGE_TITLES), status


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def forgotten_password():
    email = request.form.get("email", "").strip()
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        if not email:
            errors["email"] = ["Saisissez votre adresse électronique."]
        else:
            with calling(split=_reset_refused, raising=()) as call:
                clients()["identity"].post("/auth/password-reset", json={"email": email},
                                           forwarded_for=client_address())
            errors, general = call.errors, call.general
            if not errors and not general:
                return render_template("agent/password_reset_sent.html")
    status = 400 if (errors or general) else 200
    return render_template("agent/forgotten_password.html", email=email, errors=errors,
                           general=general), status


def _reset_refused(exc: ServiceError) -> tuple[dict, list[str]]:
    """Only an invalid address and too many requests are said: any other answer shows the same
    confirmation, so nobody learns which addresses exist."""
    if exc.status == 400 and exc.errors:
        return exc.errors, []
    return {}, [exc.message] if exc.status == 429 else []


PASSWORD_FIELDS = ("password", "confirmation")  # errors.token goes to the summary


@bp.route("/mot-de-passe", methods=["GET", "POST"])
def set_password():
    token = request.values.get("token", "").strip()
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if not token:
        general = ["Le lien est incomplet : utilisez le lien reçu par courriel."]
    elif request.method == "GET":
        # A used or expired link says so at once, not after two passwords typed for nothing.
        # Anything else (identity busy, throttled) shows the form: sending it checks again.
        with calling(raising=()) as check:
            clients()["identity"].post("/auth/password-link", json={"token": token},
                                       forwarded_for=client_address())
        if check.refused((410,)):
            token, general = "", ["Ce lien est invalide, déjà utilisé ou expiré : demandez-en "
                                  "un nouveau."]
    elif request.method == "POST":
        password = request.form.get("password", "")
        confirmation = request.form.get("confirmation", "")
        if not password:
            errors["password"] = ["Saisissez un mot de passe."]
        elif password != confirmation:
            errors["confirmation"] = ["Les deux mots de passe ne sont pas identiques."]
            if len(password) < MIN_PASSWORD_LENGTH:  # identity is not asked: said here at once
                errors["password"] = [f"Le mot de passe doit contenir au moins "
                                      f"{MIN_PASSWORD_LENGTH} caractères."]
        if not errors:
            with calling(PASSWORD_FIELDS, keep_all=True, raising=()) as call:
                clients()["identity"].post("/auth/password",
                                           json={"token": token, "password": password},
                                           forwarded_for=client_address())
            if not call.failed:
                return redirect_with("Votre mot de passe est enregistré. Vous pouvez vous "
                                     "connecter.", url_for("agent.login"))
            errors, general = call.errors, call.general
    status = 400 if (errors or general) and request.method == "POST" else 200
    return render_template("agent/set_password.html", token=token, errors=errors,
                           general=general), status


ACTION_FIELDS = ("title", "description", "date", "structure_id", "experience_ids")
ACTION_TITLES = {"title": "Titre", "description": "Description", "date": "Date",
                 "structure_id": "Structure", "experience_ids": "Expériences concernées",
                 privacy.CONFIRM: "Données personnelles"}


@bp.get("/agent/actions")
@login_required
def actions():
    """The improvement actions of the agent's structures (and their children)."""
    page = page_number(request.args.get("page"))
    listing = clients()["experiences"].get(
        "/improvement-actions", token=current_user().token,
        params={"page": page, "per_page": PER_PAGE, "in_scope": "true"})
    return render_template("agent/actions.html", items=listing.get("items", []),
                           pages=pagination(listing, page, PER_PAGE))


def _action_structures(token: str) -> list[tuple[str, str]]:
    """(id, name) of the active structures the experiences API accepts for this user's actions,
    by its scope rules: the network's for a referent (or an administrator placed in one), an
    agent's own and those below them. None without the permission, nor without a network: an
    administrator of no network is not offered every structure of the country (tens of
    thousands, each page of them a call to identity)."""
    if not may("improvement:write"):
        return []
    found = claims()
    identity = clients()["identity"]
    if found.get("profile") in ("admin", "referent"):
        network_id = found.get("network_id")
        if not network_id:
            return []
        return _choices(identity.get_all("/structures", token=token,
                                         params={"network_id": network_id}))
    me = identity.get("/me", token=token)
    roots = [str(i) for i in me.get("structure_ids") or []]
    network_id = me.get("network_id") or found.get("network_id")
    tree = identity.get_all("/structures", token=token,
                            params={"network_id": network_id}) if roots and network_id else []
    nodes = structure_tree(tree)  # the agent's structures and every one below them
    below = set().union(*(subtree_ids(nodes, root) for root in roots))
    choices = _choices([s for s in tree if str(s.get("id")) in below])
    known = {str(s.get("id")) for s in tree}
    # A structure of the agent's that the network's list lacks, by itself (its name, or its id).
    return choices + [(i, _structure_name(i, token)) for i in roots if i not in known]


def _choices(structures: list[dict]) -> list[tuple[str, str]]:
    """(id, name) of the active ones: a closed structure gets no new action."""
    return [(str(s.get("id")), s.get("name") or str(s.get("id"))) for s in structures
            if s.get("active", True) is not False]


def _structure_name(structure_id, token: str) -> str:
    found = {}
    with calling():
        found = clients()["identity"].get(f"/structures/{structure_id}", token=token)
    return found.get("name") or str(structure_id)


def _linkable_experiences(token: str, linked: list[str]) -> list[dict]:
    """The answered experiences of the agent's scope, and those already linked (which may have
    left it, or be older than the first hundred)."""
    answered = clients()["experiences"].get(
        "/experiences", token=token,
        params={"status": "answered", "page": 1, "per_page": 100,
                "include_children": "true"}).get("items", [])
    found = {str(e.get("id")) for e in answered}
    for experience_id in linked:
        if experience_id not in found:
            with calling():
                answered.append(clients()["experiences"].get(f"/experiences/{experience_id}",
                                                            token=token))
    return [without_private(e) for e in answered]


def _action_fields(action: dict | None) -> tuple[dict, list[str]]:
    """The action form's fields and its linked experiences: as posted, else the action's, else
    empty with the experiences the link asks for."""
    if request.method == "POST":
        form = {name: request.form.get(name, "").strip() for name in ACTION_FIELDS[:4]}
        return form, [i for i in request.form.getlist("experience_ids") if i]
    if action is not None:
        form = {name: str(action.get(name) or "") for name in ACTION_FIELDS[:4]}
        return form, [str(i) for i in action.get("experience_ids") or []]
    form = {name: "" for name in ACTION_FIELDS[:4]}
    return form, [i for i in request.args.getlist("experience_ids") if i]


# Said here, with the other errors, rather than as the API's « Ce champ… » messages.
ACTION_MISSING = {"title": "Saisissez le titre de l'action.",
                  "description": "Décrivez l'action.",
                  "date": "Saisissez la date de l'action.",
                  "structure_id": "Choisissez la structure de l'action."}
MAX_LINKED = 100  # as the API: 1 to 100 experiences per action


def _missing(form: dict, chosen: list[str]) -> dict[str, list[str]]:
    errors = {name: [message] for name, message in ACTION_MISSING.items() if not form[name]}
    if not 1 <= len(set(chosen)) <= MAX_LINKED:
        errors["experience_ids"] = [f"Choisissez entre 1 et {MAX_LINKED} expériences."]
    return errors


def _action_form(action: dict | None = None):
    """The form of a new action, or of an existing one (`action`), and its sending."""
    form, chosen = _action_fields(action)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        errors = {**_missing(form, chosen), **convert_dates(form, ("date",))}
    found_data = privacy.PrivacyCheck()
    if request.method == "POST" and not errors and not privacy.confirmed(request.form):
        # An action is public once saved: passages that look personal hold it back.
        found_data = privacy.check({"title": form["title"], "description": form["description"]})
    if request.method == "POST" and not errors and not found_data:
        payload = {k: v for k, v in form.items() if v}
        payload["experience_ids"] = chosen
        api = clients()["experiences"]
        with calling(split=partial(api_problem, shown=ACTION_FIELDS),
                     raising=(401, 403, 404)) as call:
            if action is None:
                api.post("/improvement-actions", json=payload, token=current_user().token)
            else:
                api.request("PATCH", f"/improvement-actions/{action['id']}", json=payload,
                            token=current_user().token)
        if not call.failed:
            return redirect_with("L'action d'amélioration est enregistrée." if action is None
                                 else "L'action d'amélioration est modifiée.",
                                 url_for("agent.actions"))
        errors, general = call.errors, call.general
    status = 400 if (errors or general) else 200
    if found_data:  # nothing failed (200); the box to tick is said as a form error
        errors = {**errors, privacy.CONFIRM: [NOT_SAVED]}
    return _action_page(action, form, chosen, errors, general, found_data, status)


def _action_page(action: dict | None, form: dict, chosen: list[str], errors: dict,
                 general: list[str], personal_data: privacy.PrivacyCheck, status: int):
    token = current_user().token
    structures = _action_structures(token)
    if request.method == "GET" and not form["structure_id"] and len(structures) == 1:
        form = {**form, "structure_id": structures[0][0]}  # the only choice, chosen
    kept = str((action or {}).get("structure_id") or "")
    if kept and kept not in {i for i, _ in structures}:  # the action's own, closed since
        structures.append((kept, _structure_name(kept, token)))
    return render_template("agent/action_form.html", action=action, form=form, chosen=chosen,
                           errors=errors, general=general, structures=structures,
                           titles=ACTION_TITLES,
                           experiences=_linkable_experiences(token, chosen),
                           personal_data=personal_data, confirm_name=privacy.CONFIRM,
                           admin=claims().get("profile") == "admin"), status


@bp.route("/agent/actions/nouvelle", methods=["GET", "POST"])
@permission_required("improvement:write")
def new_action():
    return _action_form()


def _editable_action(action_id: str) -> dict:
    """An action the agent may change: 403 when the API says it is not theirs."""
    found = clients()["experiences"].get(f"/improvement-actions/{action_id}",
                                         token=current_user().token)
    if not found.get("editable"):
        abort(403)
    return found


@bp.route("/agent/actions/<action_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_action(action_id: str):
    return _action_form(_editable_action(action_id))


@bp.route("/agent/actions/<action_id>/supprimer", methods=["GET", "POST"])
@login_required
def delete_action(action_id: str):
    """A confirmation page, then the deletion (a POST from its button)."""
    action = _editable_action(action_id)
    general: list[str] = []
    if request.method == "POST":
        with calling(split=partial(api_problem, shown=()), raising=(401, 403, 404)) as call:
            clients()["experiences"].request("DELETE", f"/improvement-actions/{action_id}",
                                             token=current_user().token)
        if not call.failed:
            return redirect_with(f"L'action d'amélioration « {action.get('title')} » est "
                                 "supprimée.", url_for("agent.actions"))
        general = call.general
    return render_template("agent/action_delete.html", action=action,
                           general=general), 400 if general else 200


@bp.post("/agent/experiences/<experience_id>/commentaire")
@permission_required("experience:annotate")
def comment(experience_id: str):
    # The API names the field "body"; on this page it is "comment_body".
    return _experience_action(experience_id, "comment", "comment_body",
                              "Écrivez votre commentaire.", "comments",
                              "Votre commentaire est ajouté.", api_field="body",
                              anchor="#commentaires")
