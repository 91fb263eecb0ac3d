"""« Utilisateurs »: referents and admins list, invite and change users; identity decides."""

from __future__ import annotations

import re

import pytest

from services.gateway.clients import ServiceError
from services.gateway.presenters import of_name
from tests.support.gateway import FakeClient, csrf_of, login_as

USER = {"id": "u5", "email": "bruno@caf.example.fr", "name": "Bruno Martin", "profile": "agent",
        "missions": ["answer"], "network_id": "n1", "structure_ids": ["10"],
        "notification_frequency": "daily", "active": True}


@pytest.fixture
def network(fakes):
    fakes["identity"].answers.update({
        ("GET", "/structures"): {"items": [{"id": "10", "name": "CAF du Rhône"},
                                           {"id": "11", "name": "CAF de Villeurbanne"}],
                                 "total": 2, "page": 1, "per_page": 500},
        ("GET", "/users"): {"items": [USER, dict(USER, id="u6", name="Chloé Petit",
                                                 email="chloe@caf.example.fr",
                                                 profile="super_agent", active=False)],
                            "total": 2, "page": 1, "per_page": 20},
        ("GET", "/users/u5"): USER,
    })
    return fakes


def referent(client, fakes):
    return login_as(client, fakes, "referent", sub="r1", structure_ids=())


def calls(fakes, method, path):
    return [c for c in fakes["identity"].calls if (c["method"], c["path"]) == (method, path)]


def test_list_searches_and_filters_by_profile(app, network):
    client = app.test_client()
    referent(client, network)
    response = client.get("/agent/utilisateurs?q=bru&profile=super_agent")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="fr"' in html
    assert calls(network, "GET", "/users")[-1]["params"] == {
        "q": "bru", "profile": "super_agent", "page": 1, "per_page": 20}
    assert "Bruno Martin" in html and "Super agent" in html and "Désactivé" in html
    assert "Répondre aux expériences" in html and "CAF du Rhône" in html
    assert '<option value="super_agent" selected>' in html
    assert 'href="/agent/utilisateurs/nouveau"' in html and 'href="/agent/utilisateurs/u5"' in html
    assert 'href="/agent/utilisateurs"' in html  # the nav entry


def test_new_user_form_offers_only_what_a_referent_may_grant(app, network):
    client = app.test_client()
    referent(client, network)
    html = client.get("/agent/utilisateurs/nouveau").get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'for="email"' in html and 'for="name"' in html
    assert re.findall(r'name="profile" value="(\w+)"', html) == ["agent", "super_agent"]
    assert re.findall(r'name="missions" value="(\w+)"', html) == ["answer", "diagnostic"]
    assert re.findall(r'name="structure_ids" value="(\w+)"', html) == ["10", "11"]
    lookup = calls(network, "GET", "/structures")[-1]
    assert lookup["params"] == {"network_id": "n1", "page": 1, "per_page": 500}
    assert 'id="network_id"' not in html  # a referent's users land in its network
    assert "data-filter-for" not in html  # two structures: nothing to filter


def test_a_long_structure_list_gets_a_filter_field(app, network):
    network["identity"].answers[("GET", "/structures")] = {
        "items": [{"id": str(i), "name": f"Agence {i}"} for i in range(20)],
        "total": 20, "page": 1, "per_page": 500}
    client = app.test_client()
    referent(client, network)
    html = client.get("/agent/utilisateurs/nouveau").get_data(as_text=True)
    assert 'data-filter-for="structure_ids"' in html and 'for="structure_ids-filtre"' in html
    assert html.count('data-choice-of="structure_ids"') == 20


def test_referent_invites_a_user(app, network):
    client = app.test_client()
    referent(client, network)
    network["identity"].answers[("POST", "/users")] = dict(USER, id="u7", name="Dora Lefèvre")
    html = client.get("/agent/utilisateurs/nouveau").get_data(as_text=True)
    response = client.post("/agent/utilisateurs/nouveau", data={
        "csrf_token": csrf_of(html), "email": "dora@caf.example.fr", "name": "Dora Lefèvre",
        "profile": "super_agent", "missions": ["answer", "diagnostic"], "structure_ids": ["11"]})
    assert response.status_code == 302 and response.location.endswith("/agent/utilisateurs")
    assert calls(network, "POST", "/users")[0]["json"] == {
        "email": "dora@caf.example.fr", "name": "Dora Lefèvre", "profile": "super_agent",
        "missions": ["answer", "diagnostic"], "structure_ids": ["11"]}
    page = client.get(response.location).get_data(as_text=True)
    assert "Le compte de Dora Lefèvre est créé" in page


def test_identity_field_errors_show_next_to_their_field(app, network):
    client = app.test_client()
    referent(client, network)
    network["identity"].answers[("POST", "/users")] = ServiceError(
        409, "conflict", "Cette adresse e-mail est déjà utilisée.",
        {"email": ["Cette adresse e-mail est déjà utilisée."]})
    html = client.get("/agent/utilisateurs/nouveau").get_data(as_text=True)
    response = client.post("/agent/utilisateurs/nouveau", data={
        "csrf_token": csrf_of(html), "email": "bruno@caf.example.fr", "name": "Bruno",
        "profile": "agent", "structure_ids": ["10"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'href="#email"' in page
    assert 'id="email-error-1">Cette adresse e-mail est déjà utilisée.' in page
    assert 'value="Bruno"' in page and re.search(r'value="10" checked', page)
    empty = client.post("/agent/utilisateurs/nouveau", data={"csrf_token": csrf_of(html)})
    assert empty.status_code == 400 and 'id="profile-error-1">Choisissez un profil.' in \
        empty.get_data(as_text=True)
    assert len(calls(network, "POST", "/users")) == 1
    assert client.post("/agent/utilisateurs/nouveau", data={"email": "x@y.fr"}).status_code == 400


def test_a_403_from_identity_is_said_plainly(app, network):
    client = app.test_client()
    referent(client, network)
    network["identity"].answers[("POST", "/users")] = ServiceError(
        403, "forbidden", "Vous ne pouvez pas attribuer ce profil.",
        {"profile": ["Vous ne pouvez pas attribuer ce profil."]})
    html = client.get("/agent/utilisateurs/nouveau").get_data(as_text=True)
    response = client.post("/agent/utilisateurs/nouveau", data={
        "csrf_token": csrf_of(html), "email": "x@caf.example.fr", "name": "X",
        "profile": "admin"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="resume-erreurs"' in page and "Vous ne pouvez pas attribuer ce profil." in page
    assert 'id="profile-error-1">Vous ne pouvez pas attribuer ce profil.' in page


def test_referent_changes_profile_missions_and_structures(app, network):
    client = app.test_client()
    referent(client, network)
    html = client.get("/agent/utilisateurs/u5").get_data(as_text=True)
    assert "bruno@caf.example.fr" in html and 'value="Bruno Martin"' in html
    assert re.search(r'value="agent"\s+checked', html) and re.search(r'value="10" checked', html)
    response = client.post("/agent/utilisateurs/u5", data={
        "csrf_token": csrf_of(html), "name": "Bruno Martin", "profile": "super_agent",
        "missions": ["answer"], "structure_ids": ["10", "11"]})
    assert response.status_code == 302 and response.location.endswith("/agent/utilisateurs/u5")
    patch = calls(network, "PATCH", "/users/u5")[0]
    assert patch["json"] == {"name": "Bruno Martin", "profile": "super_agent",
                             "missions": ["answer"], "structure_ids": ["10", "11"]}


def test_edit_errors_are_inline(app, network):
    client = app.test_client()
    referent(client, network)
    network["identity"].answers[("PATCH", "/users/u5")] = ServiceError(
        422, "validation_error", "La structure 99 n'appartient pas au réseau de l'utilisateur.",
        {"structure_ids": ["La structure 99 n'appartient pas au réseau de l'utilisateur."]})
    html = client.get("/agent/utilisateurs/u5").get_data(as_text=True)
    response = client.post("/agent/utilisateurs/u5", data={
        "csrf_token": csrf_of(html), "name": "Bruno Martin", "profile": "agent",
        "structure_ids": ["99"]})
    assert response.status_code == 400
    assert 'id="structure_ids-error-1">La structure 99' in response.get_data(as_text=True)


def test_referent_deactivates_a_user(app, network):
    client = app.test_client()
    referent(client, network)
    html = client.get("/agent/utilisateurs/u5").get_data(as_text=True)
    assert "Désactiver le compte" in html
    html = client.get("/agent/utilisateurs/u5/desactivation").get_data(as_text=True)
    response = client.post("/agent/utilisateurs/u5/activation",
                           data={"csrf_token": csrf_of(html), "active": "0", "confirm": "1"})
    assert response.status_code == 302
    assert calls(network, "PATCH", "/users/u5")[0]["json"] == {"active": False}
    assert "Le compte est désactivé" in client.get(response.location).get_data(as_text=True)


def test_users_a_referent_may_not_change_are_shown_read_only(app, network):
    client = app.test_client()
    referent(client, network)
    network["identity"].answers[("GET", "/users/u5")] = dict(USER, profile="referent")
    html = client.get("/agent/utilisateurs/u5").get_data(as_text=True)
    assert "vous ne pouvez pas le modifier" in html
    assert "/agent/utilisateurs/u5/activation" not in html and 'name="profile"' not in html


def test_admin_picks_a_network_first_and_may_grant_every_profile(app, network):
    client = app.test_client()
    login_as(client, network, "admin", network_id=None, structure_ids=(), sub="a1")
    network["identity"].answers[("GET", "/networks")] = {
        "items": [{"id": "n1", "code": "CAF", "name": "CAF"},
                  {"id": "n2", "code": "CPAM", "name": "CPAM"}]}
    html = client.get("/agent/utilisateurs/nouveau?network_id=n2").get_data(as_text=True)
    assert re.findall(r'name="profile" value="(\w+)"', html) == [
        "agent", "super_agent", "referent", "moderator", "admin"]
    assert '<option value="n2" selected>CPAM</option>' in html
    assert calls(network, "GET", "/structures")[-1]["params"]["network_id"] == "n2"
    network["identity"].answers[("POST", "/users")] = dict(USER, name="Réf")
    client.post("/agent/utilisateurs/nouveau", data={
        "csrf_token": csrf_of(html), "network_id": "n2", "email": "ref@cpam.fr", "name": "Réf",
        "profile": "referent"})
    assert calls(network, "POST", "/users")[0]["json"]["network_id"] == "n2"


def test_agents_and_anonymous_cannot_manage_users(app, network):
    client = app.test_client()
    assert client.get("/agent/utilisateurs/nouveau").status_code == 302
    login_as(client, network, "super_agent", missions=["answer"])
    assert client.get("/agent/utilisateurs").status_code == 403
    assert client.get("/agent/utilisateurs/u5").status_code == 403
    html = client.get("/agent/experiences").get_data(as_text=True)
    assert 'href="/agent/utilisateurs"' not in html
    assert client.post("/agent/utilisateurs/u5/activation",
                       data={"csrf_token": csrf_of(html), "active": "0"}).status_code == 403
    assert calls(network, "PATCH", "/users/u5") == []


def test_admins_filter_the_users_by_network(app, network):
    network["identity"].answers[("GET", "/networks")] = {
        "items": [{"id": "n1", "code": "CAF", "name": "CAF"},
                  {"id": "n2", "code": "CPAM", "name": "Assurance maladie"}],
        "total": 2, "page": 1, "per_page": 500}
    client = app.test_client()
    login_as(client, network, "admin", sub="a1", network_id=None, structure_ids=())
    html = client.get("/agent/utilisateurs?network_id=n2").get_data(as_text=True)
    assert calls(network, "GET", "/users")[-1]["params"]["network_id"] == "n2"
    assert '<option value="n2" selected>Assurance maladie</option>' in html
    client.get("/agent/utilisateurs?network_id=inconnu")  # not a network: no filter at all
    assert "network_id" not in calls(network, "GET", "/users")[-1]["params"]


class StructuresByNetwork(FakeClient):
    """Identity answering GET /structures with the structures of the network asked for."""

    NETWORKS = {"n1": [{"id": "10", "name": "CAF du Rhône"}],
                "n2": [{"id": "20", "name": "CPAM de la Gironde"}]}

    def request(self, method, path, **kwargs):
        if (method, path) == ("GET", "/structures"):
            self.calls.append({"method": method, "path": path, **kwargs})
            found = self.NETWORKS.get(kwargs["params"].get("network_id"), [])
            return {"items": found, "total": len(found), "page": 1, "per_page": 500}
        return super().request(method, path, **kwargs)


def test_admins_see_the_structure_names_of_every_network(app, network):
    identity = StructuresByNetwork(dict(network["identity"].answers))
    identity.answers[("GET", "/networks")] = {
        "items": [{"id": "n1", "name": "CAF"}, {"id": "n2", "name": "Assurance maladie"}],
        "total": 2, "page": 1, "per_page": 500}
    identity.answers[("GET", "/users")] = {"items": [
        USER, dict(USER, id="u7", name="Paul Roux", network_id="n2", structure_ids=["20"]),
        dict(USER, id="a2", name="Ada Admin", profile="admin", network_id=None,
             structure_ids=[])], "total": 45, "page": 1, "per_page": 20}
    network["identity"] = identity
    client = app.test_client()
    login_as(client, network, "admin", sub="a1", network_id=None, structure_ids=())
    html = client.get("/agent/utilisateurs").get_data(as_text=True)
    cells = re.findall(r"<td>([^<]*)</td>\s*<td><p class=\"fr-badge", html)
    assert cells == ["CAF du Rhône", "CPAM de la Gironde", ""]
    asked = sorted(c["params"]["network_id"] for c in calls(network, "GET", "/structures"))
    assert asked == ["n1", "n2"]
    html = client.get("/agent/utilisateurs?network_id=n2").get_data(as_text=True)
    assert "CPAM de la Gironde" in html
    assert 'href="/agent/utilisateurs?page=2&amp;network_id=n2"' in html  # the filter is kept


def test_a_name_starting_with_a_vowel_is_elided(app, network):
    client = app.test_client()
    referent(client, network)
    network["identity"].answers[("POST", "/users")] = dict(USER, id="u8", name="Alain Agent")
    html = client.get("/agent/utilisateurs/nouveau").get_data(as_text=True)
    response = client.post("/agent/utilisateurs/nouveau", data={
        "csrf_token": csrf_of(html), "email": "alain@caf.example.fr", "name": "Alain Agent",
        "profile": "agent", "structure_ids": ["11"]}, follow_redirects=True)
    assert "Le compte d&#39;Alain Agent est créé" in response.get_data(as_text=True)


def test_of_name_elides_before_a_vowel_only():
    assert [of_name(n) for n in ("Alain", "Élodie", "Bruno", "Hugo", " Yves")] == [
        "d'Alain", "d'Élodie", "de Bruno", "de Hugo", "d'Yves"]
