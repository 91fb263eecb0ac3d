"""« Utilisateurs »: referents and admins list, invite and change their network's users."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from services.chassis.permissions import GRANTABLE, Mission, Profile
from services.gateway.auth import clients, current_user
from services.gateway.calls import Outcome, calling, redirect_with, split_errors
from services.gateway.clients import ServiceError
from services.gateway.labels import MISSIONS, PROFILES
from services.gateway.presenters import of_name, page_number, pagination, search_text
from services.gateway.views.access import claims, permission_required
from services.gateway.views.admin import structure_tree

bp = Blueprint("users", __name__)
MANAGE = "user:manage"
PER_PAGE = 20
FIELDS = ("email", "name", "profile", "missions", "network_id", "structure_ids", "active")
TITLES = {"email": "Adresse électronique", "name": "Nom", "profile": "Profil",
          "missions": "Missions", "network_id": "Réseau", "structure_ids": "Structures",
          "active": "Compte"}
REQUIRED = {"email": "Saisissez l'adresse électronique.", "name": "Saisissez le nom.",
            "profile": "Choisissez un profil."}


def grantable_profiles() -> list[tuple[str, str]]:
    """The profiles the signed-in user may give, in the matrix's order (identity decides)."""
    try:
        allowed = GRANTABLE.get(Profile(str(claims().get("profile", ""))), frozenset())
    except ValueError:
        allowed = frozenset()
    return [(p.value, PROFILES[p.value]) for p in Profile if p in allowed]


def missions() -> list[tuple[str, str]]:
    return [(m.value, MISSIONS[m.value]) for m in Mission]


def _is_admin() -> bool:
    return claims().get("profile") == Profile.ADMIN


def _networks(token: str) -> list[tuple[str, str]]:
    if not _is_admin():
        return []
    return [(str(n["id"]), n.get("name") or n.get("code") or str(n["id"]))
            for n in clients()["identity"].get_all("/networks", token=token)]


def _structures(token: str, network_id: str | None) -> list[dict]:
    """The structures a user of `network_id` may be placed in (all pages of them)."""
    if not network_id:
        return []
    return clients()["identity"].get_all("/structures", token=token,
                                         params={"network_id": network_id})


def _structure_names(token: str, users: list[dict]) -> dict[str, str]:
    """Names of the listed users' structures, from each of their networks (an admin's list
    mixes networks; a user's structures are always in the user's network)."""
    networks = sorted({str(u["network_id"]) for u in users
                       if u.get("network_id") and u.get("structure_ids")})
    return {str(s["id"]): s.get("name") or str(s["id"]) for network_id in networks
            for s in _structures(token, network_id)}


def user_state(target: dict) -> str:
    """« disabled », « invited » (never chose a password) or « active »."""
    if target.get("active") is False:
        return "disabled"
    if target.get("password_set") is False:
        return "invited"
    return "active"


def _split(exc: ServiceError) -> tuple[dict, list[str]]:
    """Field errors next to their field; the others (and 403s) in the summary."""
    errors, general = split_errors(exc, FIELDS)
    if exc.status == 403:
        general = [exc.message] + [m for k, msgs in errors.items() for m in msgs
                                   if m != exc.message]
        errors = {k: v for k, v in errors.items() if k in ("profile", "structure_ids")}
    return errors, general


def _missing(form: dict, fields: tuple[str, ...]) -> dict[str, list[str]]:
    return {name: [REQUIRED[name]] for name in fields if not form[name]}


def _form_of(target: dict) -> dict:
    return {"email": target.get("email", ""), "name": target.get("name", ""),
            "profile": target.get("profile", ""), "missions": list(target.get("missions") or []),
            "structure_ids": [str(s) for s in target.get("structure_ids") or []],
            "network_id": str(target.get("network_id") or "")}


@bp.get("/agent/utilisateurs")
@permission_required(MANAGE)
def users():
    user = current_user()
    q = search_text(request.args.get("q"))
    profiles = grantable_profiles()  # a referent filters on what she may grant
    profile = request.args.get("profile", "")
    profile = profile if profile in dict(profiles) else ""
    page = page_number(request.args.get("page"))
    networks = _networks(user.token)  # admins only: they see every network's users
    network_id = request.args.get("network_id", "").strip()
    network_id = network_id if network_id in dict(networks) else ""
    params = {"q": q, "profile": profile, "page": page, "per_page": PER_PAGE}
    if network_id:
        params["network_id"] = network_id
    listing = clients()["identity"].get("/users", token=user.token, params=params)
    items = [dict(item, state=user_state(item)) for item in listing.get("items", [])]
    return render_template("users/list.html", items=items, q=q, profiles=profiles,
                           profile=profile, pages=pagination(listing, page, PER_PAGE),
                           networks=networks, network_id=network_id, admin=_is_admin(),
                           structure_names=_structure_names(user.token, items))


@bp.route("/agent/utilisateurs/nouveau", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_user():
    user = current_user()
    admin = _is_admin()
    network_id = (request.values.get("network_id", "").strip() if admin
                  else str(claims().get("network_id") or ""))
    form = {"email": request.form.get("email", "").strip(),
            "name": request.form.get("name", "").strip(),
            "profile": request.form.get("profile", ""),
            "missions": request.form.getlist("missions"),
            "structure_ids": request.form.getlist("structure_ids"), "network_id": network_id}
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        errors = _missing(form, ("email", "name", "profile"))
        if not errors:
            payload = {k: form[k] for k in ("email", "name", "profile", "missions",
                                            "structure_ids")}
            if admin:
                payload["network_id"] = network_id or None
            with calling(split=_split) as call:
                created = clients()["identity"].post("/users", token=user.token, json=payload)
            if not call.failed:
                name = of_name(created.get("name") or form["name"])
                return redirect_with(f"Le compte {name} est "
                                     "créé : un courriel l'invite à choisir son mot de passe.",
                                     url_for("users.users"))
            errors, general = call.errors, call.general
    status = 400 if (errors or general) else 200
    return render_template(
        "users/form.html", form=form, errors=errors, general=general, creating=True,
        profiles=grantable_profiles(), missions=missions(), admin=admin,
        networks=_networks(user.token),
        structures=structure_tree(_structures(user.token, network_id)), target=None), status


@bp.route("/agent/utilisateurs/<user_id>", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit_user(user_id: str):
    target = clients()["identity"].get(f"/users/{user_id}", token=current_user().token)
    form = _form_of(target)
    if request.method != "POST":
        return _edit_page(target, form, {}, [])
    form.update(name=request.form.get("name", "").strip(),
                profile=request.form.get("profile", ""),
                missions=request.form.getlist("missions"),
                structure_ids=request.form.getlist("structure_ids"))
    errors = _missing(form, ("name", "profile"))
    if errors:
        return _edit_page(target, form, errors, [])
    payload = {k: form[k] for k in ("name", "profile", "missions", "structure_ids")}
    with calling(split=_split) as call:
        clients()["identity"].request("PATCH", f"/users/{user_id}", token=current_user().token,
                                      json=payload)
    if call.failed:
        return _edit_page(target, form, call.errors, call.general)
    return redirect_with("Les modifications sont enregistrées.",
                         url_for("users.edit_user", user_id=user_id))


def _edit_page(target: dict, form: dict, errors: dict, general: list[str]):
    token = current_user().token
    profiles = grantable_profiles()
    status = 400 if (errors or general) else 200
    return render_template(
        "users/form.html", form=form, errors=errors, general=general, creating=False,
        profiles=profiles, missions=missions(), admin=_is_admin(), networks=[],
        structures=structure_tree(_structures(token, form["network_id"])),
        target=dict(target, state=user_state(target)),
        may_change=target.get("profile") in dict(profiles),
        is_me=str(target.get("id")) == str(claims().get("sub"))), status


def _account_change(user_id: str, method: str, path: str, payload: dict | None, done: str):
    """An account button: `done` flashed on the edit page, else the page with what identity
    said."""
    with calling(split=_split, raising=(401, 404)) as call:
        clients()["identity"].request(method, path, token=current_user().token, json=payload)
    if call.failed:
        return _after_failure(user_id, call)
    return redirect_with(done, url_for("users.edit_user", user_id=user_id))


def _after_failure(user_id: str, call: Outcome):
    """The edit page again, with what identity said (a 401 or a 404 has its own page)."""
    errors, general = call.errors, call.general
    conflict = call.refused((409, 429))
    if "active" in errors or conflict:  # no field on the page for those
        general = list(dict.fromkeys(general + errors.pop("active", [])
                                     + ([call.error.message] if conflict else [])))
    target = clients()["identity"].get(f"/users/{user_id}", token=current_user().token)
    return _edit_page(target, _form_of(target), errors, general)


@bp.get("/agent/utilisateurs/<user_id>/desactivation")
@permission_required(MANAGE)
def confirm_deactivation(user_id: str):
    """Deactivation asks first: what it does, and a button that does it."""
    target = clients()["identity"].get(f"/users/{user_id}", token=current_user().token)
    if target.get("active") is False:
        return redirect(url_for("users.edit_user", user_id=user_id))
    if str(target.get("id")) == str(claims().get("sub")) \
            or target.get("profile") not in dict(grantable_profiles()):
        abort(403)  # identity would refuse it: no button that cannot work
    return render_template("users/deactivate.html", target=target)


@bp.post("/agent/utilisateurs/<user_id>/activation")
@permission_required(MANAGE)
def activation(user_id: str):
    active = request.form.get("active") == "1"
    if not active and request.form.get("confirm") != "1":
        return redirect(url_for("users.confirm_deactivation", user_id=user_id))
    return _account_change(user_id, "PATCH", f"/users/{user_id}", {"active": active},
                           "Le compte est réactivé." if active else
                           "Le compte est désactivé : la personne ne peut plus se connecter.")


@bp.post("/agent/utilisateurs/<user_id>/invitation")
@permission_required(MANAGE)
def resend_invitation(user_id: str):
    """A new invitation link for an account that never chose its password (the old one dies)."""
    return _account_change(user_id, "POST", f"/users/{user_id}/invitation", None,
                           "Une nouvelle invitation est envoyée, valable 24 heures : le lien "
                           "précédent ne fonctionne plus.")
