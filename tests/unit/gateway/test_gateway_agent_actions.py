"""Improvement actions in the agents' pages: the scope's list, editing and deleting (with a
confirmation page), only where the API says the action is the agent's."""

from __future__ import annotations

import re

from services.gateway.clients import ServiceError
from tests.support.gateway import EXPERIENCE, csrf_of, login, login_as

ACTION = {"id": "3", "title": "Nouveaux horaires", "description": "Ouvert le samedi.",
          "date": "2026-11-20", "structure_id": "10", "experience_ids": ["7"], "editable": True}


def _setup(fakes, action=ACTION):
    fakes["experiences"].answers[("GET", "/improvement-actions/3")] = dict(action)
    fakes["identity"].answers[("GET", "/me")] = {"id": "1", "structure_ids": ["20"]}
    fakes["identity"].answers[("GET", "/structures/10")] = {"id": "10", "name": "Agence de Bron"}
    fakes["identity"].answers[("GET", "/structures/20")] = {"id": "20", "name": "CAF du Rhône"}
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [dict(EXPERIENCE, id="8", title="Guichet fermé")], "total": 1, "page": 1,
        "per_page": 100}
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(EXPERIENCE)


def test_the_list_is_the_scopes_with_links_only_on_editable_actions(client, fakes):
    login(client, fakes)
    fakes["experiences"].answers[("GET", "/improvement-actions")] = {"items": [
        ACTION, dict(ACTION, id="4", title="Action du siège", editable=False)],
        "total": 2, "page": 1, "per_page": 20}
    html = client.get("/agent/actions").get_data(as_text=True)
    assert fakes["experiences"].calls[-1]["params"]["in_scope"] == "true"
    assert 'href="/agent/actions/3/modifier"' in html
    assert 'href="/agent/actions/3/supprimer"' in html
    assert "Action du siège" in html and "/agent/actions/4/" not in html
    assert "Modifier<span class=\"fr-sr-only\"> l'action « Nouveaux horaires »" in html


def test_editing_prefills_the_form_and_patches(client, fakes):
    login(client, fakes)
    _setup(fakes)
    html = client.get("/agent/actions/3/modifier").get_data(as_text=True)
    assert "Modifier l&#39;action d&#39;amélioration" in html
    assert 'value="Nouveaux horaires"' in html and 'value="2026-11-20"' in html
    # Its structure (a child of the agent's) is offered, and so is the experience already
    # linked even though it is not among the latest answered ones.
    assert '<option value="10" selected>Agence de Bron</option>' in html
    assert 'id="experience_ids-7"' in html and 'id="experience_ids-8"' in html
    checked = html.split('id="experience_ids-7"')[1].split(">")[0]
    assert "checked" in checked
    response = client.post("/agent/actions/3/modifier", data={
        "csrf_token": csrf_of(html), "title": "Horaires du samedi", "description": "Le samedi.",
        "date": "21/11/2026", "structure_id": "10", "experience_ids": ["7", "8"]})
    assert response.status_code == 302 and response.location.endswith("/agent/actions")
    call = fakes["experiences"].calls[-1]
    assert (call["method"], call["path"]) == ("PATCH", "/improvement-actions/3")
    assert call["json"] == {"title": "Horaires du samedi", "description": "Le samedi.",
                            "date": "2026-11-21", "structure_id": "10",
                            "experience_ids": ["7", "8"]}


def test_edit_errors_are_inline_and_the_choices_kept(client, fakes):
    login(client, fakes)
    _setup(fakes)
    html = client.get("/agent/actions/3/modifier").get_data(as_text=True)
    fakes["experiences"].answers[("PATCH", "/improvement-actions/3")] = ServiceError(
        422, "validation_error", "Certaines expériences sont invalides.",
        {"experience_ids": ["Expériences inconnues, non publiées ou hors de votre périmètre : 8"]})
    response = client.post("/agent/actions/3/modifier", data={
        "csrf_token": csrf_of(html), "title": "T", "description": "D", "date": "2026-11-21",
        "structure_id": "10", "experience_ids": ["8"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#experience_ids"' in page and 'id="experience_ids-error-1"' in page
    assert "checked" in page.split('id="experience_ids-8"')[1].split(">")[0]


def test_an_action_that_is_not_theirs_cannot_be_edited_or_deleted(client, fakes):
    login(client, fakes)
    _setup(fakes, dict(ACTION, editable=False))
    assert client.get("/agent/actions/3/modifier").status_code == 403
    assert client.get("/agent/actions/3/supprimer").status_code == 403
    html = client.get("/agent/actions").get_data(as_text=True)
    assert client.post("/agent/actions/3/supprimer",
                       data={"csrf_token": csrf_of(html)}).status_code == 403
    assert not [c for c in fakes["experiences"].calls if c["method"] in ("PATCH", "DELETE")]


def test_deleting_asks_for_confirmation_then_deletes(client, fakes):
    login(client, fakes)
    _setup(fakes)
    html = client.get("/agent/actions/3/supprimer").get_data(as_text=True)
    assert "<h1>Supprimer l'action d'amélioration</h1>" in html and "Nouveaux horaires" in html
    assert "Cette suppression est définitive." in html and "l'expérience liée" in html
    assert not [c for c in fakes["experiences"].calls if c["method"] == "DELETE"]
    response = client.post("/agent/actions/3/supprimer", data={"csrf_token": csrf_of(html)},
                           follow_redirects=True)
    assert [(c["method"], c["path"]) for c in fakes["experiences"].calls
            if c["method"] == "DELETE"] == [("DELETE", "/improvement-actions/3")]
    assert "L&#39;action d&#39;amélioration « Nouveaux horaires » est supprimée." in \
        response.get_data(as_text=True)
    assert client.post("/agent/actions/3/supprimer", data={}).status_code == 400  # no CSRF


def test_a_new_action_from_an_experience_has_it_ticked(client, fakes):
    login(client, fakes)
    _setup(fakes)
    html = client.get("/agent/actions/nouvelle?experience_ids=7").get_data(as_text=True)
    assert "checked" in html.split('id="experience_ids-7"')[1].split(">")[0]
    assert "checked" not in html.split('id="experience_ids-8"')[1].split(">")[0]


def test_a_new_action_has_the_agents_only_structure_chosen(client, fakes):
    login(client, fakes)
    _setup(fakes)
    html = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    assert '<option value="20" selected>CAF du Rhône</option>' in html
    fakes["identity"].answers[("GET", "/me")] = {"id": "1", "structure_ids": ["20", "10"]}
    two = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    assert '<option value="20" >CAF du Rhône</option>' in two  # two: the agent chooses


NETWORK = {"items": [
    {"id": "20", "name": "CAF du Rhône", "parent_id": None},
    {"id": "10", "name": "Agence de Bron", "parent_id": "20"},
    {"id": "11", "name": "Agence fermée", "parent_id": "20", "active": False},
    {"id": "12", "name": "Relais de Bron", "parent_id": "10"},
    {"id": "30", "name": "CAF de l'Ain", "parent_id": None}], "total": 5}


def _options(html: str) -> list[str]:
    select = html.split('id="structure_id"')[1].split("</select>")[0]
    return re.findall(r'<option value="([^"]+)"', select)


def test_a_referent_without_structures_is_offered_the_networks(client, fakes):
    login_as(client, fakes, "referent", network_id="n1", structure_ids=())
    _setup(fakes)
    fakes["identity"].answers[("GET", "/structures")] = NETWORK
    html = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    listing = [c for c in fakes["identity"].calls if c["path"] == "/structures"][-1]
    assert listing["params"]["network_id"] == "n1"
    assert _options(html) == ["20", "10", "12", "30"]  # the API's scope: the whole network
    response = client.post("/agent/actions/nouvelle", data={
        "csrf_token": csrf_of(html), "title": "T", "description": "D", "date": "21/11/2026",
        "structure_id": "30", "experience_ids": ["8"]})
    assert response.status_code == 302
    assert fakes["experiences"].calls[-1]["json"]["structure_id"] == "30"


def test_an_agent_is_offered_her_structures_and_those_below(client, fakes):
    login(client, fakes)
    _setup(fakes)
    fakes["identity"].answers[("GET", "/me")] = {"id": "1", "structure_ids": ["10"],
                                                 "network_id": "n1"}
    fakes["identity"].answers[("GET", "/structures")] = NETWORK
    html = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    assert _options(html) == ["10", "12"]  # neither the parent, a sibling, nor a closed one


def test_without_any_structure_the_page_says_what_to_do(client, fakes):
    login_as(client, fakes, "referent", network_id=None, structure_ids=())
    _setup(fakes)
    fakes["identity"].answers[("GET", "/structures")] = NETWORK
    html = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    assert "Aucune structure ne vous est rattachée" in html
    assert "Demandez au référent de votre réseau, ou à un administrateur" in html
    assert 'id="structure_id"' not in html and "<form method=\"post\" action=\"/agent/" not in html


def test_an_administrator_of_no_network_is_not_sent_every_structure(client, fakes):
    login_as(client, fakes, "admin", network_id=None, structure_ids=())
    _setup(fakes)
    fakes["identity"].answers[("GET", "/structures")] = NETWORK
    html = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    assert not [c for c in fakes["identity"].calls if c["path"] == "/structures"]
    assert "Aucune structure ne vous est rattachée" in html
    assert "créée par les agents et les référents du réseau" in html


def test_a_moderator_may_not_create_an_action(client, fakes):
    login(client, fakes, profile="moderator")
    assert client.get("/agent/actions/nouvelle").status_code == 403


def test_the_form_says_what_is_required_and_asks_for_experiences_plainly(client, fakes):
    login(client, fakes)
    _setup(fakes)
    html = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    assert "Tous les champs sont obligatoires sauf mention contraire." in html
    assert "auxquelles vous avez répondu" not in html
    # The hint says what the list offers: answered ones, and those already chosen, whatever
    # their state (it said « qui ont reçu une réponse » only).
    assert "Les expériences de votre périmètre qui ont reçu une réponse, et celles déjà " \
        "choisies" in html
    response = client.post("/agent/actions/nouvelle", data={"csrf_token": csrf_of(html)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert not [c for c in fakes["experiences"].calls if c["method"] == "POST"]
    assert 'id="experience_ids-error-1">Choisissez entre 1 et 100 expériences.' in page
    assert 'id="title-error-1">Saisissez le titre de l&#39;action.' in page
    assert 'id="structure_id-error-1">Choisissez la structure de l&#39;action.' in page
    assert "Ce champ" not in page
