"""« Administration »: networks (admins) and each network's structure tree (admins, and
referents in their own network), with a CSV import. identity decides every right; these pages
only show what the token allows."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from services.chassis.vocabulary import NETWORK_CODE
from services.gateway.auth import clients, current_user, login_required
from services.gateway.calls import calling, redirect_with
from services.gateway.labels import CHANNELS
from services.gateway.views.access import claims, may, permission_required

bp = Blueprint("admin", __name__)
NETWORK_MANAGE = "network:manage"
STRUCTURE_MANAGE = "structure:manage"
NETWORK_FIELDS = ("code", "name", "requires_validation", "target_delay_days")
# In the form's order: the error summary lists them so.
NETWORK_TITLES = {"name": "Nom", "code": "Code", "requires_validation": "Validation des réponses",
                  "target_delay_days": "Délai cible"}
STRUCTURE_FIELDS = ("name", "parent_id", "postal_code", "city", "channels", "active")
STRUCTURE_TITLES = {"name": "Nom", "parent_id": "Structure parente", "postal_code": "Code postal",
                    "city": "Commune", "channels": "Canaux", "active": "État"}
IMPORT_TITLES = {"fichier": "Fichier CSV"}
MAX_IMPORT_BYTES = 500_000  # identity takes at most 500,000 characters
PATH_SEPARATOR = " › "


# ---- the tree (pure) ----

def structure_tree(structures: list[dict]) -> list[dict]:
    """Nodes {"structure", "children", "depth", "path"} in the order given (identity sorts by
    name); a structure whose parent is not in the list is a root. A cycle, which identity
    refuses, could not loop here either."""
    nodes = {str(s["id"]): {"structure": s, "children": []} for s in structures}
    roots = []
    for s in structures:
        parent = nodes.get(str(s.get("parent_id") or ""))
        (parent["children"] if parent is not None and parent is not nodes[str(s["id"])]
         else roots).append(nodes[str(s["id"])])
    placed: set[str] = set()

    def settle(node_list: list[dict], depth: int, path: tuple[str, ...]) -> list[dict]:
        kept = []
        for node in node_list:
            sid = str(node["structure"]["id"])
            if sid in placed:
                continue
            placed.add(sid)
            node["depth"] = depth
            node["path"] = path + (str(node["structure"].get("name") or sid),)
            node["children"] = settle(node["children"], depth + 1, node["path"])
            kept.append(node)
        return kept

    tree = settle(roots, 0, ())
    stray = [nodes[sid] for sid in nodes if sid not in placed]  # members of a cycle
    return tree + settle(stray, 0, ())


def walk(tree: list[dict]):
    """Every node, parents before their children."""
    for node in tree:
        yield node
        yield from walk(node["children"])


def subtree_ids(tree: list[dict], structure_id: str) -> set[str]:
    """The structure and all its descendants."""
    for node in walk(tree):
        if str(node["structure"]["id"]) == structure_id:
            return {str(n["structure"]["id"]) for n in walk([node])}
    return {structure_id}


def parent_choices(tree: list[dict], moving: dict | None = None) -> list[tuple[str, str]]:
    """Where a structure may go: not under itself or a descendant, and (for an active one) not
    under a deactivated structure, each shown with its path from the top of the tree."""
    excluded = subtree_ids(tree, str(moving["id"])) if moving else set()
    active = moving is None or moving.get("active") is not False
    current = str((moving or {}).get("parent_id") or "")  # where it is stays on offer
    return [(str(n["structure"]["id"]), PATH_SEPARATOR.join(n["path"]))
            for n in walk(tree) if str(n["structure"]["id"]) not in excluded
            and (not active or n["structure"].get("active") is not False
                 or str(n["structure"]["id"]) == current)]


# ---- helpers ----

def _is_admin() -> bool:
    return claims().get("profile") == "admin"


def _calling(fields: tuple[str, ...], **options):
    """identity's field errors next to their fields; the others, and the message of a refusal
    or a conflict, in the summary. A 401 and a 404 go to the usual pages."""
    return calling(fields, lead=(403, 409), raising=(401, 404), **options)


def _network(network_id: str) -> dict:
    """The network, if the user may manage its structures: admins any, referents their own."""
    if not _is_admin() and str(claims().get("network_id") or "") != network_id:
        abort(403)
    return clients()["identity"].get(f"/networks/{network_id}", token=current_user().token)


def _structures(network_id: str) -> list[dict]:
    return clients()["identity"].get_all("/structures", token=current_user().token,
                                         params={"network_id": network_id})


def _call(method: str, path: str, payload: dict, known: tuple[str, ...]):
    """(answer, errors, general)."""
    with _calling(known) as call:
        return clients()["identity"].request(method, path, token=current_user().token,
                                             json=payload), {}, []
    return None, call.errors, call.general


def _send(method: str, path: str, form: dict, payload_of, known: tuple[str, ...], **extra):
    """The form's payload to identity, unless the form lacks something: (answer, errors,
    general)."""
    payload, errors = payload_of(form)
    if errors:
        return None, errors, []
    return _call(method, path, dict(payload, **extra), known)


# ---- the landing page ----

@bp.get("/administration")
@login_required
def index():
    if not (may(NETWORK_MANAGE) or may(STRUCTURE_MANAGE) or may("user:manage")):
        abort(403)
    own = str(claims().get("network_id") or "")
    return render_template("admin/index.html", admin=_is_admin(),
                           own_network=own if may(STRUCTURE_MANAGE) and not _is_admin() else "")


# ---- networks ----

@bp.get("/administration/reseaux")
@permission_required(NETWORK_MANAGE)
def networks():
    found = clients()["identity"].get_all("/networks", token=current_user().token)
    return render_template("admin/networks.html", networks=found)


def _network_form(source) -> dict:
    return {"code": source.get("code", "").strip(), "name": source.get("name", "").strip(),
            "requires_validation": source.get("requires_validation", ""),
            "target_delay_days": source.get("target_delay_days", "").strip()}


def _network_payload(form: dict) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    for field, message in (("code", "Saisissez le code du réseau."),
                           ("name", "Saisissez le nom du réseau.")):
        if not form[field]:
            errors[field] = [message]
    # Said with the other errors rather than on the next try, once identity refuses it.
    if form["code"] and not NETWORK_CODE.match(form["code"]):
        errors["code"] = ["Ce champ ne contient que des lettres, des chiffres, - ou _."]
    if form["requires_validation"] not in ("1", "0"):
        errors["requires_validation"] = ["Indiquez si les réponses doivent être validées."]
    try:
        delay = int(form["target_delay_days"])
        if not 1 <= delay <= 365:
            raise ValueError
    except ValueError:
        errors["target_delay_days"] = ["Saisissez un nombre de jours entre 1 et 365."]
        delay = None
    return {"code": form["code"], "name": form["name"],
            "requires_validation": form["requires_validation"] == "1",
            "target_delay_days": delay}, errors


def _network_page(form, errors, general, network=None):
    return render_template("admin/network_form.html", form=form, errors=errors, general=general,
                           network=network, titles=NETWORK_TITLES), 400 if errors or general else 200


@bp.route("/administration/reseaux/nouveau", methods=["GET", "POST"])
@permission_required(NETWORK_MANAGE)
def new_network():
    form = _network_form(request.form) if request.method == "POST" else {
        "code": "", "name": "", "requires_validation": "1", "target_delay_days": "15"}
    errors, general = {}, []
    if request.method == "POST":
        created, errors, general = _send("POST", "/networks", form, _network_payload,
                                         NETWORK_FIELDS)
        if created is not None:
            return redirect_with(f"Le réseau « {created.get('name') or form['name']} » est créé. "
                                 "Ajoutez maintenant ses structures.",
                                 url_for("admin.tree", network_id=created["id"]))
    return _network_page(form, errors, general)


@bp.route("/administration/reseaux/<network_id>", methods=["GET", "POST"])
@permission_required(NETWORK_MANAGE)
def edit_network(network_id: str):
    network = clients()["identity"].get(f"/networks/{network_id}", token=current_user().token)
    form = {"code": network.get("code", ""), "name": network.get("name", ""),
            "requires_validation": "1" if network.get("requires_validation") else "0",
            "target_delay_days": str(network.get("target_delay_days") or "")}
    errors, general = {}, []
    if request.method == "POST":
        form = _network_form(request.form)
        changed, errors, general = _send("PATCH", f"/networks/{network_id}", form,
                                         _network_payload, NETWORK_FIELDS)
        if changed is not None:
            return redirect_with("Les modifications du réseau sont enregistrées.",
                                 url_for("admin.networks"))
    return _network_page(form, errors, general, network)


# ---- the structure tree ----

@bp.get("/administration/reseaux/<network_id>/structures")
@permission_required(STRUCTURE_MANAGE)
def tree(network_id: str):
    network = _network(network_id)
    structures = _structures(network_id)
    inactive = sum(1 for s in structures if s.get("active") is False)
    return render_template("admin/tree.html", network=network, tree=structure_tree(structures),
                           total=len(structures), inactive=inactive, admin=_is_admin())


def _structure_form(source, defaults: dict | None = None) -> dict:
    defaults = defaults or {}
    return {"name": source.get("name", defaults.get("name", "")).strip(),
            "parent_id": source.get("parent_id", defaults.get("parent_id", "")).strip(),
            "postal_code": source.get("postal_code", defaults.get("postal_code", "")).strip(),
            "city": source.get("city", defaults.get("city", "")).strip(),
            "channels": (source.getlist("channels") if hasattr(source, "getlist")
                         else defaults.get("channels", []))}


def _structure_payload(form: dict) -> tuple[dict, dict]:
    errors = {} if form["name"] else {"name": ["Saisissez le nom de la structure."]}
    return {"name": form["name"], "parent_id": form["parent_id"] or None,
            "postal_code": form["postal_code"] or None, "city": form["city"] or None,
            "channels": [c for c in form["channels"] if c]}, errors


def _structure_page(network, structures, form, errors, general, structure=None):
    tree_ = structure_tree(structures)
    children = []
    if structure is not None:
        children = [s for s in structures if str(s.get("parent_id") or "") == str(structure["id"])]
    return render_template(
        "admin/structure_form.html", network=network, form=form, errors=errors, general=general,
        structure=structure, parents=parent_choices(tree_, structure), children=children,
        channels=list(CHANNELS.items()), titles=STRUCTURE_TITLES,
        path=_path_of(tree_, structure)), 400 if errors or general else 200


def _path_of(tree_: list[dict], structure: dict | None) -> list[dict]:
    """The structure's ancestors, top first (for the breadcrumb)."""
    if structure is None:
        return []
    by_id = {str(n["structure"]["id"]): n["structure"] for n in walk(tree_)}
    chain, current, seen = [], by_id.get(str(structure.get("parent_id") or "")), set()
    while current is not None and str(current["id"]) not in seen:
        seen.add(str(current["id"]))
        chain.append(current)
        current = by_id.get(str(current.get("parent_id") or ""))
    return list(reversed(chain))


@bp.route("/administration/reseaux/<network_id>/structures/nouvelle", methods=["GET", "POST"])
@permission_required(STRUCTURE_MANAGE)
def new_structure(network_id: str):
    network = _network(network_id)
    structures = _structures(network_id)
    form = _structure_form(request.form) if request.method == "POST" else {
        "name": "", "parent_id": request.args.get("parent_id", ""), "postal_code": "", "city": "",
        "channels": []}
    errors, general = {}, []
    if request.method == "POST":
        created, errors, general = _send("POST", "/structures", form, _structure_payload,
                                         STRUCTURE_FIELDS, network_id=network_id)
        if created is not None:
            return redirect_with(f"La structure « {created.get('name') or form['name']} » est "
                                 "créée.", url_for("admin.tree", network_id=network_id))
    return _structure_page(network, structures, form, errors, general)


def _load_structure(structure_id: str) -> tuple[dict, dict, list[dict]]:
    """The structure (identity answers 404 outside the user's network), its network and the
    network's structures."""
    structure = clients()["identity"].get(f"/structures/{structure_id}",
                                          token=current_user().token)
    network_id = str(structure.get("network_id") or "")
    return structure, _network(network_id), _structures(network_id)


@bp.route("/administration/structures/<structure_id>", methods=["GET", "POST"])
@permission_required(STRUCTURE_MANAGE)
def edit_structure(structure_id: str):
    structure, network, structures = _load_structure(structure_id)
    current = {"name": structure.get("name") or "",
               "parent_id": str(structure.get("parent_id") or ""),
               "postal_code": structure.get("postal_code") or "",
               "city": structure.get("city") or "",
               "channels": list(structure.get("channels") or [])}
    form, errors, general = current, {}, []
    if request.method == "POST":
        form = _structure_form(request.form)
        changed, errors, general = _send("PATCH", f"/structures/{structure_id}", form,
                                         _structure_payload, STRUCTURE_FIELDS)
        if changed is not None:
            moved = str(changed.get("parent_id") or "") != current["parent_id"]
            return redirect_with("La structure est déplacée et ses modifications sont "
                                 "enregistrées." if moved else
                                 "Les modifications de la structure sont enregistrées.",
                                 url_for("admin.tree", network_id=network["id"]))
    return _structure_page(network, structures, form, errors, general, structure)


@bp.route("/administration/structures/<structure_id>/<any(desactivation, reactivation):action>",
          methods=["GET", "POST"])
@permission_required(STRUCTURE_MANAGE)
def structure_activation(structure_id: str, action: str):
    """A confirmation page, then the change: nothing happens on a GET."""
    structure, network, structures = _load_structure(structure_id)
    deactivating = action == "desactivation"
    if deactivating == (structure.get("active") is False):  # already done
        return redirect(url_for("admin.edit_structure", structure_id=structure_id))
    errors, general = {}, []
    if request.method == "POST":
        changed, errors, general = _call("PATCH", f"/structures/{structure_id}",
                                         {"active": not deactivating}, STRUCTURE_FIELDS)
        if changed is not None:
            return redirect_with(f"La structure « {structure.get('name')} » est "
                                 f"{'désactivée' if deactivating else 'réactivée'}.",
                                 url_for("admin.tree", network_id=network["id"]))
    children = [s for s in structures if str(s.get("parent_id") or "") == str(structure_id)
                and s.get("active") is not False]
    parent = next((s for s in structures
                   if str(s["id"]) == str(structure.get("parent_id") or "")), None)
    return render_template("admin/structure_activation.html", structure=structure,
                           network=network, deactivating=deactivating,
                           active_children=children, parent=parent, errors=errors,
                           general=general + [m for v in errors.values() for m in v],
                           ), 400 if errors or general else 200


# ---- CSV import ----

def _read_upload() -> tuple[str | None, str | None]:
    """(text, None) from the uploaded file, or (None, why it cannot be read)."""
    upload = request.files.get("fichier")
    if upload is None or not upload.filename:
        return None, "Choisissez un fichier CSV."
    data = upload.read(MAX_IMPORT_BYTES + 1)
    if not data:
        return None, "Le fichier est vide."
    if len(data) > MAX_IMPORT_BYTES:
        return None, ("Le fichier dépasse 500 Ko : découpez-le en plusieurs fichiers "
                      "(les structures parentes d'abord).")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, ("Le fichier n'est pas encodé en UTF-8 : dans votre tableur, enregistrez-le "
                      "au format « CSV UTF-8 ».")


@bp.route("/administration/reseaux/<network_id>/import", methods=["GET", "POST"])
@permission_required(STRUCTURE_MANAGE)
def import_structures(network_id: str):
    network = _network(network_id)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        text, problem = _read_upload()
        if problem:
            errors["fichier"] = [problem]
        else:
            with _calling(("fichier",), rename={"csv": "fichier"}) as call:
                report = clients()["identity"].post(
                    "/structures/import", token=current_user().token,
                    json={"network_id": network_id, "csv": text})
            if not call.failed:
                return render_template("admin/import_report.html", network=network,
                                       report=report, filename=request.files["fichier"].filename)
            errors, general = call.errors, call.general
    return render_template("admin/import.html", network=network, errors=errors, general=general,
                           titles=IMPORT_TITLES, max_kb=MAX_IMPORT_BYTES // 1000), \
        400 if errors or general else 200
