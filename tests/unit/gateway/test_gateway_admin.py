"""« Administration »: networks, the structure tree, the CSV import, and the users page's
details (invitations, confirmed deactivation, structures as a tree); identity decides."""

from __future__ import annotations

import io
import re

import pytest

from services.gateway.clients import ServiceError
from services.gateway.views.admin import parent_choices, structure_tree, walk
from tests.support.gateway import csrf_of, login_as

NETWORK = {"id": "n1", "code": "CAF", "name": "Caisses d'allocations familiales",
           "requires_validation": True, "target_delay_days": 15}
# Identity's order (by name); the tree keeps it under each parent.
STRUCTURES = [
    {"id": "10", "network_id": "n1", "parent_id": None, "name": "Direction du Rhône",
     "postal_code": "69003", "city": "Lyon", "channels": ["in_person"], "active": True},
    {"id": "11", "network_id": "n1", "parent_id": "10", "name": "Agence de Villeurbanne",
     "postal_code": "69100", "city": "Villeurbanne", "channels": [], "active": True},
    {"id": "12", "network_id": "n1", "parent_id": "11", "name": "Guichet Gratte-Ciel",
     "postal_code": None, "city": None, "channels": [], "active": True},
    {"id": "13", "network_id": "n1", "parent_id": None, "name": "Direction de l'Ain",
     "postal_code": None, "city": None, "channels": [], "active": False},
]
USER = {"id": "u5", "email": "bruno@caf.example.fr", "name": "Bruno Martin", "profile": "agent",
        "missions": ["answer"], "network_id": "n1", "structure_ids": ["11"],
        "notification_frequency": "daily", "active": True, "password_set": True}


@pytest.fixture
def world(fakes):
    fakes["identity"].answers.update({
        ("GET", "/networks"): {"items": [NETWORK, dict(NETWORK, id="n2", code="CPAM",
                                                       name="Assurance maladie",
                                                       requires_validation=False,
                                                       target_delay_days=1)],
                               "total": 2, "page": 1, "per_page": 500},
        ("GET", "/networks/n1"): NETWORK,
        ("GET", "/structures"): {"items": STRUCTURES, "total": 4, "page": 1, "per_page": 500},
        ("GET", "/structures/11"): STRUCTURES[1],
        ("GET", "/structures/13"): STRUCTURES[3],
        ("GET", "/users/u5"): USER,
    })
    return fakes


def admin(client, fakes):
    return login_as(client, fakes, "admin", sub="a1", network_id=None, structure_ids=())


def referent(client, fakes, network_id="n1"):
    return login_as(client, fakes, "referent", sub="r1", network_id=network_id, structure_ids=())


def calls(fakes, method, path):
    return [c for c in fakes["identity"].calls if (c["method"], c["path"]) == (method, path)]


# ---- the tree, pure ----

def test_the_tree_nests_children_in_identitys_order_and_survives_bad_data():
    tree = structure_tree(STRUCTURES)
    assert [n["structure"]["id"] for n in tree] == ["10", "13"]
    assert [(n["structure"]["id"], n["depth"]) for n in walk(tree)] == [
        ("10", 0), ("11", 1), ("12", 2), ("13", 0)]
    assert list(walk(tree))[2]["path"] == ("Direction du Rhône", "Agence de Villeurbanne",
                                           "Guichet Gratte-Ciel")
    orphan = structure_tree([{"id": "5", "parent_id": "elsewhere", "name": "Seule"}])
    assert [n["structure"]["id"] for n in orphan] == ["5"]
    cycle = structure_tree([{"id": "1", "parent_id": "2", "name": "A"},
                            {"id": "2", "parent_id": "1", "name": "B"},
                            {"id": "3", "parent_id": "3", "name": "C"}])
    assert sorted(n["structure"]["id"] for n in walk(cycle)) == ["1", "2", "3"]


def test_a_structure_may_move_anywhere_but_under_itself_or_a_closed_structure():
    tree = structure_tree(STRUCTURES)
    assert parent_choices(tree, STRUCTURES[1]) == [("10", "Direction du Rhône")]
    assert [code for code, _ in parent_choices(tree, STRUCTURES[3])] == ["10", "11", "12"]
    assert parent_choices(tree)[1] == ("11", "Direction du Rhône › Agence de Villeurbanne")
    stays = dict(STRUCTURES[2], parent_id="13")  # where it is stays on offer
    assert "13" in dict(parent_choices(tree, stays))


# ---- navigation and rights ----

def test_administration_is_in_the_menu_of_admins_and_referents_only(app, world):
    client = app.test_client()
    assert client.get("/administration").status_code == 302  # to the login page
    referent(client, world)
    html = client.get("/administration").get_data(as_text=True)
    assert 'href="/administration"' in html and "Structures de mon réseau" in html
    assert 'href="/administration/reseaux/n1/structures"' in html
    assert 'href="/administration/reseaux"' not in html  # networks are the admins'
    assert client.get("/administration/reseaux").status_code == 403
    assert client.get("/administration/reseaux/nouveau").status_code == 403
    admin(client, world)
    html = client.get("/administration").get_data(as_text=True)
    assert 'href="/administration/reseaux"' in html and 'href="/agent/utilisateurs"' in html
    login_as(client, world, "super_agent", missions=["answer"])
    html = client.get("/agent/experiences").get_data(as_text=True)
    assert 'href="/administration"' not in html
    for path in ("/administration", "/administration/reseaux/n1/structures",
                 "/administration/structures/11", "/administration/reseaux/n1/import"):
        assert client.get(path).status_code == 403, path
    assert calls(world, "GET", "/structures") == []


def test_a_referent_never_sees_another_networks_tree(app, world):
    client = app.test_client()
    referent(client, world, network_id="n2")
    assert client.get("/administration/reseaux/n1/structures").status_code == 403
    assert client.get("/administration/reseaux/n1/import").status_code == 403
    assert calls(world, "GET", "/structures") == []
    world["identity"].answers[("GET", "/structures/11")] = ServiceError(
        404, "not_found", "Structure introuvable.")
    assert client.get("/administration/structures/11").status_code == 404


# ---- networks ----

def test_admin_lists_and_creates_networks(app, world):
    client = app.test_client()
    admin(client, world)
    html = client.get("/administration/reseaux").get_data(as_text=True)
    assert "Caisses d&#39;allocations familiales" in html and "Assurance maladie" in html
    assert "Validation par un super agent" in html and "Publication directe" in html
    assert "15 jours" in html and "1 jour<" in html
    assert 'href="/administration/reseaux/n2/structures"' in html
    form = client.get("/administration/reseaux/nouveau").get_data(as_text=True)
    assert 'for="code"' in form and 'for="name"' in form and 'for="target_delay_days"' in form
    assert re.search(r'value="1"\s+checked', form)  # validation required by default
    world["identity"].answers[("POST", "/networks")] = dict(NETWORK, id="n9", name="MSA")
    response = client.post("/administration/reseaux/nouveau", data={
        "csrf_token": csrf_of(form), "code": "MSA", "name": "MSA", "requires_validation": "0",
        "target_delay_days": "20"})
    assert response.status_code == 302
    assert response.location.endswith("/administration/reseaux/n9/structures")
    assert calls(world, "POST", "/networks")[0]["json"] == {
        "code": "MSA", "name": "MSA", "requires_validation": False, "target_delay_days": 20}


def test_network_errors_are_shown_next_to_their_field(app, world):
    client = app.test_client()
    admin(client, world)
    form = client.get("/administration/reseaux/nouveau").get_data(as_text=True)
    response = client.post("/administration/reseaux/nouveau", data={
        "csrf_token": csrf_of(form), "code": "", "name": "MSA", "requires_validation": "1",
        "target_delay_days": "douze"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and calls(world, "POST", "/networks") == []
    assert 'href="#code"' in html and 'href="#target_delay_days"' in html
    assert 'id="target_delay_days-error-1">Saisissez un nombre de jours entre 1 et 365.' in html
    assert 'value="douze"' in html
    world["identity"].answers[("POST", "/networks")] = ServiceError(
        409, "conflict", "Ce code de réseau existe déjà.", {"code": ["Ce code de réseau existe déjà."]})
    response = client.post("/administration/reseaux/nouveau", data={
        "csrf_token": csrf_of(form), "code": "CAF", "name": "CAF", "requires_validation": "1",
        "target_delay_days": "15"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="code-error-1">Ce code de réseau existe déjà.' in html
    assert html.count("Ce code de réseau existe déjà.") == 2  # the summary and the field


@pytest.mark.parametrize("code", ["qa ux!", "-CAF", "CAF/2"])
def test_a_bad_code_is_said_with_the_other_errors_in_one_round(app, world, code):
    client = app.test_client()
    admin(client, world)
    path = "/administration/reseaux/nouveau"
    fields = {"code": code, "name": "QA", "requires_validation": "1", "target_delay_days": "400"}
    response = client.post(path, data=fields | {
        "csrf_token": csrf_of(client.get(path).get_data(as_text=True))})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and calls(world, "POST", "/networks") == []
    assert 'id="code-error-1">Ce champ ne contient que des lettres, des chiffres, - ou _.' in html
    assert 'id="target_delay_days-error-1">' in html
    assert html.index('href="#code"') < html.index('href="#target_delay_days"')  # form order


def test_admin_changes_a_network(app, world):
    client = app.test_client()
    admin(client, world)
    form = client.get("/administration/reseaux/n1").get_data(as_text=True)
    assert 'value="CAF"' in form and 'value="15"' in form
    world["identity"].answers[("PATCH", "/networks/n1")] = NETWORK
    response = client.post("/administration/reseaux/n1", data={
        "csrf_token": csrf_of(form), "code": "CAF", "name": "CAF", "requires_validation": "0",
        "target_delay_days": "10"})
    assert response.status_code == 302 and response.location.endswith("/administration/reseaux")
    assert calls(world, "PATCH", "/networks/n1")[0]["json"] == {
        "code": "CAF", "name": "CAF", "requires_validation": False, "target_delay_days": 10}


# ---- the structure tree ----

def test_the_tree_is_a_nested_list_with_the_closed_structures_marked(app, world):
    client = app.test_client()
    referent(client, world)
    html = client.get("/administration/reseaux/n1/structures").get_data(as_text=True)
    assert calls(world, "GET", "/structures")[-1]["params"]["network_id"] == "n1"
    assert "4 structures, dont 1 désactivée." in html
    tree = html[html.index('id="arborescence"'):]
    # Villeurbanne's list sits inside Rhône's item, the Gratte-Ciel's inside Villeurbanne's.
    rhone, villeurbanne, guichet, ain = (tree.index(n) for n in (
        "Direction du Rhône", "Agence de Villeurbanne", "Guichet Gratte-Ciel", "Direction de l"))
    assert rhone < villeurbanne < guichet < ain
    assert tree[rhone:villeurbanne].count('<ul class="spp-tree">') == 1
    assert tree[villeurbanne:guichet].count('<ul class="spp-tree">') == 1
    assert tree[guichet:ain].count("</ul>") == 2
    assert "Désactivée" in tree[ain:]
    assert 'href="/administration/structures/11"' in html
    assert 'href="/administration/reseaux/n1/import"' in html
    assert 'href="/administration/reseaux"' not in html  # no « Réseaux » step for a referent


def test_a_structure_is_created_under_a_chosen_parent(app, world):
    client = app.test_client()
    referent(client, world)
    form = client.get("/administration/reseaux/n1/structures/nouvelle?parent_id=11") \
        .get_data(as_text=True)
    assert '<option value="11" selected>Direction du Rhône › Agence de Villeurbanne</option>' \
        in form
    assert '<option value="13"' not in form  # a closed structure takes no new child
    assert re.findall(r'name="channels" value="(\w+)"', form)[:2] == ["in_person", "phone"]
    world["identity"].answers[("POST", "/structures")] = dict(STRUCTURES[2], id="14",
                                                              name="Antenne")
    response = client.post("/administration/reseaux/n1/structures/nouvelle", data={
        "csrf_token": csrf_of(form), "name": "Antenne", "parent_id": "11",
        "postal_code": "69100", "city": "", "channels": ["phone", "online"]})
    assert response.status_code == 302
    assert calls(world, "POST", "/structures")[0]["json"] == {
        "name": "Antenne", "parent_id": "11", "postal_code": "69100", "city": None,
        "channels": ["phone", "online"], "network_id": "n1"}
    assert "La structure « Antenne » est créée." in client.get(response.location) \
        .get_data(as_text=True)


def test_identity_refusals_show_next_to_the_structure_fields(app, world):
    client = app.test_client()
    admin(client, world)
    form = client.get("/administration/reseaux/n1/structures/nouvelle").get_data(as_text=True)
    empty = client.post("/administration/reseaux/n1/structures/nouvelle",
                        data={"csrf_token": csrf_of(form), "name": ""})
    assert empty.status_code == 400 and calls(world, "POST", "/structures") == []
    world["identity"].answers[("POST", "/structures")] = ServiceError(
        422, "validation_error", "Certains champs sont invalides.",
        {"postal_code": ["Code postal invalide."], "parent_id": ["Structure parente introuvable."]})
    response = client.post("/administration/reseaux/n1/structures/nouvelle", data={
        "csrf_token": csrf_of(form), "name": "Antenne", "postal_code": "6910", "parent_id": "10"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="postal_code-error-1">Code postal invalide.' in html
    assert 'id="parent_id-error-1">Structure parente introuvable.' in html
    assert 'href="#parent_id"' in html and 'aria-invalid="true"' in html


def test_a_structure_moves_with_its_children_never_under_them(app, world):
    client = app.test_client()
    admin(client, world)
    form = client.get("/administration/structures/11").get_data(as_text=True)
    options = re.findall(r'<option value="(\w*)"', form)
    assert options == ["", "10"]  # not itself, not its Gratte-Ciel, not the closed Ain
    assert re.search(r'<option value="10" selected>', form)
    assert 'href="/administration/structures/12"' in form  # its children are listed
    assert 'href="/administration/reseaux/n1/structures/nouvelle?parent_id=11"' in form
    assert 'href="/administration/structures/11/desactivation"' in form
    world["identity"].answers[("PATCH", "/structures/11")] = dict(STRUCTURES[1], parent_id=None)
    response = client.post("/administration/structures/11", data={
        "csrf_token": csrf_of(form), "name": "Agence de Villeurbanne", "parent_id": "",
        "postal_code": "69100", "city": "Villeurbanne", "channels": ["in_person"]})
    assert response.status_code == 302
    assert response.location.endswith("/administration/reseaux/n1/structures")
    assert calls(world, "PATCH", "/structures/11")[0]["json"] == {
        "name": "Agence de Villeurbanne", "parent_id": None, "postal_code": "69100",
        "city": "Villeurbanne", "channels": ["in_person"]}
    assert "La structure est déplacée" in client.get(response.location).get_data(as_text=True)


def test_deactivation_asks_first_and_says_why_identity_refuses(app, world):
    client = app.test_client()
    referent(client, world)
    page = client.get("/administration/structures/11/desactivation")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and calls(world, "PATCH", "/structures/11") == []
    assert "Désactiver la structure Agence de Villeurbanne ?" in html
    assert "Guichet Gratte-Ciel" in html and "désactivez-les ou déplacez-les d'abord" in html
    refusal = "Cette structure a des structures filles actives (« Guichet Gratte-Ciel »)."
    world["identity"].answers[("PATCH", "/structures/11")] = ServiceError(
        422, "validation_error", refusal, {"active": [refusal]})
    response = client.post("/administration/structures/11/desactivation",
                           data={"csrf_token": csrf_of(html)})
    assert response.status_code == 400 and refusal in response.get_data(as_text=True)
    world["identity"].answers[("PATCH", "/structures/11")] = dict(STRUCTURES[1], active=False)
    response = client.post("/administration/structures/11/desactivation",
                           data={"csrf_token": csrf_of(html)})
    assert response.status_code == 302
    assert [c["json"] for c in calls(world, "PATCH", "/structures/11")] == [
        {"active": False}, {"active": False}]
    assert "La structure « Agence de Villeurbanne » est désactivée." in \
        client.get(response.location).get_data(as_text=True)
    # A closed structure offers reactivation, with its own confirmation.
    form = client.get("/administration/structures/13").get_data(as_text=True)
    assert 'href="/administration/structures/13/reactivation"' in form
    assert client.get("/administration/structures/13/desactivation").status_code == 302
    assert client.post("/administration/structures/11/desactivation").status_code == 400  # CSRF


# ---- CSV import ----

def _upload(client, html, content: bytes, name="structures.csv"):
    return client.post("/administration/reseaux/n1/import", data={
        "csrf_token": csrf_of(html), "fichier": (io.BytesIO(content), name)},
        content_type="multipart/form-data")


def test_a_csv_import_reports_each_refused_line(app, world):
    client = app.test_client()
    referent(client, world)
    html = client.get("/administration/reseaux/n1/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    assert 'for="fichier"' in html and "parent_name" in html
    world["identity"].answers[("POST", "/structures/import")] = {
        "created": 2, "created_ids": ["20", "21"],
        "errors": [{"line": 4, "column": "parent_name",
                    "message": "structure parente inconnue « Inconnue »"}]}
    text = "name;parent_name\nDirection;\nAgence;Direction\nFantôme;Inconnue\n"
    response = _upload(client, html, b"\xef\xbb\xbf" + text.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert calls(world, "POST", "/structures/import")[0]["json"] == {"network_id": "n1",
                                                                    "csv": text}
    assert "2 structures importées." in page and "1 ligne refusée" in page
    assert re.search(r"<td>4</td><td><code>parent_name</code></td>"
                     r"<td>structure parente inconnue « Inconnue »</td>", page)
    assert 'href="/administration/reseaux/n1/structures"' in page


def test_a_file_that_cannot_be_read_is_said_before_or_by_identity(app, world):
    client = app.test_client()
    admin(client, world)
    html = client.get("/administration/reseaux/n1/import").get_data(as_text=True)
    for content, expected in ((b"", "Le fichier est vide."),
                              ("name\nCréteil\n".encode("latin-1"), "CSV UTF-8"),
                              (b"name\n" + b"x" * 500_001, "dépasse 500 Ko")):
        response = _upload(client, html, content)
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and expected in page, expected
        assert 'href="#fichier"' in page and "fr-upload-group--error" in page
    missing = client.post("/administration/reseaux/n1/import",
                          data={"csrf_token": csrf_of(html)}, content_type="multipart/form-data")
    assert "Choisissez un fichier CSV." in missing.get_data(as_text=True)
    assert calls(world, "POST", "/structures/import") == []
    message = "Fichier illisible : colonnes manquantes : name."
    world["identity"].answers[("POST", "/structures/import")] = ServiceError(
        422, "validation_error", message, {"csv": [message]})
    page = _upload(client, html, b"nom\nA\n").get_data(as_text=True)
    assert f'id="fichier-error-1">{message}' in page


# ---- users: invitations, confirmed deactivation, structures as a tree ----

def test_an_invited_account_shows_so_and_the_invitation_can_be_sent_again(app, world):
    invited = dict(USER, password_set=False)
    world["identity"].answers[("GET", "/users/u5")] = invited
    world["identity"].answers[("GET", "/users")] = {
        "items": [invited, dict(USER, id="u6", name="Chloé")], "total": 2, "page": 1,
        "per_page": 20}
    client = app.test_client()
    referent(client, world)
    listing = client.get("/agent/utilisateurs").get_data(as_text=True)
    assert re.findall(r'fr-badge--\w+">([^<]+)</p>', listing) == ["Invitation envoyée", "Actif"]
    html = client.get("/agent/utilisateurs/u5").get_data(as_text=True)
    assert "Invitation envoyée" in html and "Renvoyer l'invitation" in html
    assert "elle ne reçoit aucun autre courriel" in html  # the notifier waits for the answer
    response = client.post("/agent/utilisateurs/u5/invitation",
                           data={"csrf_token": csrf_of(html)})
    assert response.status_code == 302 and len(calls(world, "POST", "/users/u5/invitation")) == 1
    assert "le lien précédent ne fonctionne plus" in client.get(response.location) \
        .get_data(as_text=True)
    world["identity"].answers[("POST", "/users/u5/invitation")] = ServiceError(
        409, "conflict", "Cette personne a déjà choisi son mot de passe.",
        {"password": ["Cette personne a déjà choisi son mot de passe."]})
    refused = client.post("/agent/utilisateurs/u5/invitation", data={"csrf_token": csrf_of(html)})
    assert refused.status_code == 400
    assert "Cette personne a déjà choisi son mot de passe." in refused.get_data(as_text=True)
    world["identity"].answers[("GET", "/users/u5")] = USER
    assert "Renvoyer l'invitation" not in client.get("/agent/utilisateurs/u5") \
        .get_data(as_text=True)


def test_deactivating_a_user_takes_a_confirmation(app, world):
    client = app.test_client()
    referent(client, world)
    html = client.get("/agent/utilisateurs/u5").get_data(as_text=True)
    assert 'href="/agent/utilisateurs/u5/desactivation"' in html
    unconfirmed = client.post("/agent/utilisateurs/u5/activation",
                              data={"csrf_token": csrf_of(html), "active": "0"})
    assert unconfirmed.status_code == 302
    assert unconfirmed.location.endswith("/agent/utilisateurs/u5/desactivation")
    page = client.get("/agent/utilisateurs/u5/desactivation").get_data(as_text=True)
    assert "Désactiver le compte de Bruno Martin ?" in page
    assert calls(world, "PATCH", "/users/u5") == []
    response = client.post("/agent/utilisateurs/u5/activation", data={
        "csrf_token": csrf_of(page), "active": "0", "confirm": "1"})
    assert response.status_code == 302
    assert calls(world, "PATCH", "/users/u5")[0]["json"] == {"active": False}
    world["identity"].answers[("GET", "/users/u5")] = dict(USER, profile="referent")
    assert client.get("/agent/utilisateurs/u5/desactivation").status_code == 403


def test_a_users_structures_are_a_tree_of_checkboxes(app, world):
    client = app.test_client()
    referent(client, world)
    html = client.get("/agent/utilisateurs/u5").get_data(as_text=True)
    assert re.findall(r'name="structure_ids" value="(\w+)"', html) == ["10", "11", "12", "13"]
    assert re.search(r'value="11" checked', html) and not re.search(r'value="10" checked', html)
    fieldset = html[html.index('id="structure_ids"'):]
    rhone, villeurbanne, guichet = (fieldset.index(f'value="{i}"') for i in ("10", "11", "12"))
    assert fieldset[rhone:villeurbanne].count('<ul class="spp-tree">') == 1
    assert fieldset[villeurbanne:guichet].count('<ul class="spp-tree">') == 1
    assert '<span class="fr-sr-only">, dans Agence de Villeurbanne</span>' in fieldset
    assert "Direction de l&#39;Ain (désactivée)" in fieldset


def test_a_referent_filters_users_on_the_profiles_she_may_grant(app, world):
    world["identity"].answers[("GET", "/users")] = {"items": [USER], "total": 1, "page": 1,
                                                     "per_page": 20}
    client = app.test_client()
    referent(client, world)
    html = client.get("/agent/utilisateurs?profile=referent").get_data(as_text=True)
    select = html[html.index('id="profile"'):html.index("</select>", html.index('id="profile"'))]
    assert re.findall(r'<option value="(\w*)"', select) == ["", "agent", "super_agent"]
    assert calls(world, "GET", "/users")[-1]["params"]["profile"] == ""  # not offered: ignored
    admin(client, world)
    html = client.get("/agent/utilisateurs?profile=moderator").get_data(as_text=True)
    assert '<option value="moderator" selected>' in html
    assert calls(world, "GET", "/users")[-1]["params"]["profile"] == "moderator"


def test_the_network_forms_summary_follows_the_forms_order(app, world):
    client = app.test_client()
    admin(client, world)
    form = client.get("/administration/reseaux/nouveau").get_data(as_text=True)
    html = client.post("/administration/reseaux/nouveau", data={
        "csrf_token": csrf_of(form), "code": "", "name": "", "requires_validation": "1",
        "target_delay_days": "15"}).get_data(as_text=True)
    assert form.index('for="name"') < form.index('for="code"')
    assert html.index('href="#name"') < html.index('href="#code"')
