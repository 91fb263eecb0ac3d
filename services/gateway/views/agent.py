"""The agents' space: login, « Les expériences », answering and validating."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from services.gateway.auth import clients, current_user, login_required, store_login
from services.gateway.clients import ServiceError, Unavailable
from services.gateway.labels import AGENT_STATUS_FILTER
from services.gateway.presenters import (
    convert_dates,
    first_error_messages,
    is_internal_view,
    page_number,
    pagination,
    renamed,
    response_of,
    search_text,
    without_private,
)
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
    refresh = session.get("refresh_token")
    if refresh:
        try:  # end the session at identity too, so a copied cookie is worth nothing
            clients()["identity"].post("/auth/logout", json={"refresh_token": refresh})
        except ServiceError:
            pass
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("public.home"))


@bp.get("/agent/experiences")
@login_required
def experiences():
    user = current_user()
    status = request.args.get("status", "")
    status = status if status in AGENT_STATUS_FILTER else ""
    q = search_text(request.args.get("q"))
    page = page_number(request.args.get("page"))
    listing = clients()["experiences"].get(
        "/experiences", token=user.token,
        params={"status": status, "q": q, "page": page, "per_page": PER_PAGE})
    items = [without_private(item) for item in listing.get("items", [])]
    return render_template("agent/experiences.html", items=items, status=status, q=q,
                           pages=pagination(listing, page, PER_PAGE))


# What the agent is told after sending a response, by the status the API answers.
SUBMITTED = {
    "awaiting_validation": "Votre réponse est enregistrée. Elle sera publiée quand un super agent "
                           "de votre structure l'aura validée.",
    "answered": "Votre réponse est publiée. L'usager en est informé par courriel.",
    None: "Votre réponse a bien été enregistrée.",
}


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
    user = current_user()
    found = _load(experience_id)
    response = response_of(found, draft=True) or {}
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
            submitted = api.post(f"/experiences/{experience_id}/response/submit", json={},
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
            flash(SUBMITTED.get(submitted.get("status"), SUBMITTED[None]), "success")
            return redirect(url_for("agent.experience", experience_id=experience_id))
    status = 400 if (errors or general) else 200
    return _experience_page(found, form=form, errors=errors, general=general,
                            editing=request.method == "POST"
                            or request.args.get("modifier") == "1"
                            or not response_of(found, draft=True)), status


def child_structures(structure_id) -> list[dict]:
    """The child structures of the experience's structure (identity), [] when unknown."""
    if not structure_id:
        return []
    try:
        listing = clients()["identity"].get("/structures", token=current_user().token,
                                            params={"parent_id": str(structure_id)})
    except ServiceError as exc:
        if exc.status == 401:
            raise
        return []
    return [s for s in listing.get("items", []) if str(s.get("id")) != str(structure_id)]


def internal_comments(experience_id) -> list[dict]:
    """The internal comments (structures concerned and moderation), [] when unavailable."""
    try:
        return clients()["experiences"].get(f"/experiences/{experience_id}/comments",
                                            token=current_user().token).get("items", [])
    except Unavailable:
        return []
    except ServiceError as exc:
        if exc.status == 401:
            raise
        return []


def _experience_page(found: dict, *, form: dict | None = None, errors: dict | None = None,
                     general: list | None = None, editing: bool = False,
                     move: dict | None = None, reorient: dict | None = None,
                     comment: dict | None = None) -> str:
    response = response_of(found, draft=True)
    if form is None:
        form = {name: (response or {}).get(name) or "" for name in RESPONSE_FIELDS}
    children = child_structures(found.get("structure_id"))
    return render_template("agent/experience.html", experience=found, response=response,
                           form=form, errors=errors or {}, general=general or [],
                           editing=editing or not response,
                           children=[(str(c.get("id")), c.get("name") or str(c.get("id")))
                                     for c in children],
                           move=move or {"errors": {}, "general": [], "structure_id": ""},
                           reorient=reorient or {"errors": {}, "general": [], "reason": ""},
                           comments=internal_comments(found.get("id")),
                           comment=comment or {"errors": {}, "general": [], "comment_body": ""})


def _experience_action(experience_id: str, path: str, payload: dict, done: str, key: str,
                       state: dict, rename: dict | None = None, anchor: str = ""):
    """POST to the experience's `path`; API errors go back to the form `key` of the page, their
    fields renamed where the page's names differ from the API's."""
    user = current_user()
    try:
        clients()["experiences"].post(f"/experiences/{experience_id}/{path}", json=payload,
                                      token=user.token)
    except Unavailable as exc:
        state["general"] = [exc.message]
    except ServiceError as exc:
        if exc.status in (401, 404):
            raise
        state["errors"] = renamed(exc.errors, rename)
        state["general"] = [m for f, msgs in exc.errors.items() if f not in payload
                            for m in msgs] or ([] if exc.errors else [exc.message])
    else:
        flash(done, "success")
        return redirect(url_for("agent.experience", experience_id=experience_id) + anchor)
    return _experience_page(_load(experience_id), **{key: state}), 400


@bp.post("/agent/experiences/<experience_id>/deplacement")
@login_required
def reassign(experience_id: str):
    structure_id = request.form.get("structure_id", "").strip()
    state = {"errors": {}, "general": [], "structure_id": structure_id}
    if not structure_id:
        state["errors"] = {"structure_id": ["Choisissez une structure fille."]}
        return _experience_page(_load(experience_id), move=state), 400
    return _experience_action(experience_id, "reassign", {"structure_id": structure_id},
                              "L'expérience a été déplacée vers la structure choisie.",
                              "move", state)


@bp.post("/agent/experiences/<experience_id>/reorientation")
@login_required
def reorientation(experience_id: str):
    reason = request.form.get("reason", "").strip()
    state = {"errors": {}, "general": [], "reason": reason}
    if not reason:
        state["errors"] = {"reason": ["Expliquez pourquoi l'expérience doit être réorientée."]}
        return _experience_page(_load(experience_id), reorient=state), 400
    return _experience_action(experience_id, "reorientation", {"reason": reason},
                              "Votre demande de réorientation a été transmise aux modérateurs.",
                              "reorient", state)


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


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def forgotten_password():
    email = request.form.get("email", "").strip()
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        if not email:
            errors["email"] = ["Saisissez votre adresse électronique."]
        else:
            try:
                clients()["identity"].post("/auth/password-reset", json={"email": email},
                                           forwarded_for=client_address())
            except Unavailable as exc:
                general = [exc.message]
            except ServiceError as exc:
                if exc.status == 400 and exc.errors:
                    errors = exc.errors
                elif exc.status == 429:
                    general = [exc.message]
                # any other answer: same confirmation, so nobody learns which addresses exist
            if not errors and not general:
                return render_template("agent/password_reset_sent.html")
    status = 400 if (errors or general) else 200
    return render_template("agent/forgotten_password.html", email=email, errors=errors,
                           general=general), status


PASSWORD_FIELDS = ("password", "confirmation")  # errors.token goes to the summary


@bp.route("/mot-de-passe", methods=["GET", "POST"])
def set_password():
    token = request.values.get("token", "").strip()
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if not token:
        general = ["Le lien est incomplet : utilisez le lien reçu par courriel."]
    elif request.method == "POST":
        password = request.form.get("password", "")
        confirmation = request.form.get("confirmation", "")
        if not password:
            errors["password"] = ["Saisissez un mot de passe."]
        elif password != confirmation:
            errors["confirmation"] = ["Les deux mots de passe ne sont pas identiques."]
        if not errors:
            try:
                clients()["identity"].post("/auth/password",
                                           json={"token": token, "password": password},
                                           forwarded_for=client_address())
            except Unavailable as exc:
                general = [exc.message]
            except ServiceError as exc:
                errors = exc.errors
                general = first_error_messages(errors, PASSWORD_FIELDS) or \
                    ([] if errors else [exc.message])
            else:
                flash("Votre mot de passe est enregistré. Vous pouvez vous connecter.",
                      "success")
                return redirect(url_for("agent.login"))
    status = 400 if (errors or general) and request.method == "POST" else 200
    return render_template("agent/set_password.html", token=token, errors=errors,
                           general=general), status


ACTION_FIELDS = ("title", "description", "date", "structure_id", "experience_ids")


@bp.get("/agent/actions")
@login_required
def actions():
    page = page_number(request.args.get("page"))
    listing = clients()["experiences"].get(
        "/improvement-actions", token=current_user().token,
        params={"page": page, "per_page": PER_PAGE})
    return render_template("agent/actions.html", items=listing.get("items", []),
                           pages=pagination(listing, page, PER_PAGE))


def _my_structures(token: str) -> list[tuple[str, str]]:
    """(id, name) of the agent's structures, from identity's /me then each structure."""
    me = clients()["identity"].get("/me", token=token)
    choices = []
    for structure_id in me.get("structure_ids") or []:
        try:
            found = clients()["identity"].get(f"/structures/{structure_id}", token=token)
        except ServiceError as exc:
            if exc.status == 401:
                raise
            found = {}
        choices.append((str(structure_id), found.get("name") or str(structure_id)))
    return choices


@bp.route("/agent/actions/nouvelle", methods=["GET", "POST"])
@login_required
def new_action():
    user = current_user()
    form = {name: request.form.get(name, "").strip() for name in ACTION_FIELDS[:4]}
    chosen = [i for i in request.form.getlist("experience_ids") if i]
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        errors = convert_dates(form, ("date",))
    if request.method == "POST" and not errors:
        payload = {k: v for k, v in form.items() if v}
        payload["experience_ids"] = chosen
        try:
            clients()["experiences"].post("/improvement-actions", json=payload,
                                          token=user.token)
        except Unavailable as exc:
            general = [exc.message]
        except ServiceError as exc:
            if exc.status == 401:
                raise
            errors = exc.errors
            general = first_error_messages(errors, ACTION_FIELDS) or \
                ([] if errors else [exc.message])
        else:
            flash("L'action d'amélioration est enregistrée.", "success")
            return redirect(url_for("agent.actions"))
    answered = clients()["experiences"].get(
        "/experiences", token=user.token,
        params={"status": "answered", "page": 1, "per_page": 100}).get("items", [])
    status = 400 if (errors or general) else 200
    return render_template("agent/action_form.html", form=form, chosen=chosen, errors=errors,
                           general=general, structures=_my_structures(user.token),
                           experiences=[without_private(e) for e in answered]), status


@bp.post("/agent/experiences/<experience_id>/commentaire")
@login_required
def comment(experience_id: str):
    body = request.form.get("comment_body", "").strip()
    state = {"errors": {}, "general": [], "comment_body": body}
    if not body:
        state["errors"] = {"comment_body": ["Écrivez votre commentaire."]}
        return _experience_page(_load(experience_id), comment=state), 400
    # The API names the field "body"; on this page it is "comment_body".
    return _experience_action(experience_id, "comments", {"body": body},
                              "Votre commentaire est ajouté.", "comment", state,
                              rename={"body": "comment_body"}, anchor="#commentaires")
