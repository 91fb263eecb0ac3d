"""A response is public: before it is sent or validated, the passages moderation's screening
finds in it are shown to its writer, who removes them or ticks that they may be published."""

from __future__ import annotations

import re

from services.gateway.clients import Unavailable
from tests.support.gateway import INTERNAL, csrf_of, login, login_as

BODY = "Madame Durand, rappelez <b>le</b> 06 12 34 56 78."
FORM = {"body": BODY, "closing": "Bien à vous", "signature": "La CAF"}
# moderation's answer for BODY: a name and a phone number.
SCREENED = {"texts": [{"name": "body", "flags": [
    {"kind": "person_name", "start": 0, "end": 13, "note": None},
    {"kind": "phone", "start": 34, "end": 48, "note": None}]},
    {"name": "closing", "flags": []}, {"name": "signature", "flags": []}]}


def _writes(fakes) -> list[tuple[str, str]]:
    return [(c["method"], c["path"]) for c in fakes["experiences"].calls if c["method"] != "GET"]


def _screenings(fakes) -> list[dict]:
    return [c["json"] for c in fakes["moderation"].calls if c["path"] == "/screening"]


def _page(client, fakes, **experience) -> str:
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(INTERNAL, **experience)
    return client.get("/agent/experiences/7").get_data(as_text=True)


def test_passages_that_look_personal_hold_the_response_back_as_a_draft(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="to_process", response=None)
    fakes["moderation"].answers[("POST", "/screening")] = SCREENED
    response = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(html), "action": "envoyer", **FORM})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _screenings(fakes) == [{"texts": FORM}]
    assert _writes(fakes) == [("PUT", "/experiences/7/response")]  # saved, not submitted
    assert "La réponse semble contenir des données personnelles" in page
    assert "Nom de personne, dans la réponse : « Madame Durand »" in page
    assert "Numéro de téléphone, dans la réponse : « 06 12 34 56 78 »" in page
    assert 'name="publication_confirmee"' in page
    assert "&lt;b&gt;le&lt;/b&gt;" in page and "<b>le</b>" not in page  # the text, escaped
    assert "Madame Durand, rappelez" in page  # the form keeps what was written


def test_ticked_the_response_is_sent_without_screening_again(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="to_process", response=None)
    fakes["moderation"].answers[("POST", "/screening")] = SCREENED
    fakes["experiences"].answers[("POST", "/experiences/7/response/submit")] = dict(
        INTERNAL, status="answered")
    client.post("/agent/experiences/7", data={"csrf_token": csrf_of(html), "action": "envoyer",
                                              "publication_confirmee": "oui", **FORM})
    assert _screenings(fakes) == []
    assert _writes(fakes) == [("PUT", "/experiences/7/response"),
                              ("POST", "/experiences/7/response/submit")]


def test_a_clean_response_is_sent_at_once(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="to_process", response=None)
    fakes["moderation"].answers[("POST", "/screening")] = {
        "texts": [{"name": "body", "flags": []}]}
    response = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(html), "action": "envoyer", "body": "Merci pour votre retour."})
    assert response.status_code == 302
    assert _writes(fakes) == [("PUT", "/experiences/7/response"),
                              ("POST", "/experiences/7/response/submit")]


def test_a_draft_is_saved_without_screening(client, fakes):
    login(client, fakes)
    html = _page(client, fakes, status="to_process", response=None)
    client.post("/agent/experiences/7", data={"csrf_token": csrf_of(html), "action": "brouillon",
                                              **FORM})
    assert _screenings(fakes) == []


def test_without_the_screening_the_writer_reads_again_and_confirms(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="to_process", response=None)
    fakes["moderation"].answers[("POST", "/screening")] = Unavailable(
        503, "unavailable", "Service indisponible.")
    page = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(html), "action": "envoyer", **FORM}).get_data(as_text=True)
    assert _writes(fakes) == [("PUT", "/experiences/7/response")]
    assert "La vérification automatique n'a pas pu se faire" in page
    assert 'name="publication_confirmee"' in page


def test_the_super_agent_sees_the_passages_and_ticks_before_validating(client, fakes):
    login(client, fakes, profile="super_agent")
    fakes["moderation"].answers[("POST", "/screening")] = SCREENED
    html = _page(client, fakes, status="awaiting_validation", response=None, response_draft=FORM)
    assert "Numéro de téléphone, dans la réponse : « 06 12 34 56 78 »" in html
    assert 'name="publication_confirmee"' in html and "Valider la réponse" in html
    page = client.post("/agent/experiences/7/validation", data={"csrf_token": csrf_of(html)},
                       follow_redirects=True).get_data(as_text=True)
    assert _writes(fakes) == []
    assert "La réponse n&#39;est pas validée : elle semble contenir des données personnelles" in page
    client.post("/agent/experiences/7/validation",
                data={"csrf_token": csrf_of(html), "publication_confirmee": "oui"})
    assert _writes(fakes) == [("POST", "/experiences/7/response/validate")]


def test_a_clean_response_is_validated_without_a_box(client, fakes):
    login(client, fakes, profile="super_agent")
    fakes["moderation"].answers[("POST", "/screening")] = {"texts": [{"name": "body", "flags": []}]}
    html = _page(client, fakes, status="awaiting_validation", response=None, response_draft=FORM)
    assert "publication_confirmee" not in html
    client.post("/agent/experiences/7/validation", data={"csrf_token": csrf_of(html)})
    assert _writes(fakes) == [("POST", "/experiences/7/response/validate")]


def _action_setup(fakes):
    fakes["identity"].answers[("GET", "/me")] = {"id": "1", "structure_ids": ["20"]}
    fakes["identity"].answers[("GET", "/structures/20")] = {"id": "20", "name": "CAF du Rhône"}
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [], "total": 0, "page": 1, "per_page": 100}


ACTION = {"title": "Rappel des usagers", "description": "Mme Durand rappelle au 06 12 34 56 78.",
          "date": "21/11/2026", "structure_id": "20", "experience_ids": "8"}
ACTION_SCREENED = {"texts": [{"name": "title", "flags": []}, {"name": "description", "flags": [
    {"kind": "phone", "start": 23, "end": 37, "note": None}]}]}


def test_an_action_with_a_phone_number_is_not_saved_until_ticked(client, fakes):
    login(client, fakes)
    _action_setup(fakes)
    html = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    fakes["moderation"].answers[("POST", "/screening")] = ACTION_SCREENED
    page = client.post("/agent/actions/nouvelle", data={"csrf_token": csrf_of(html), **ACTION})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and _writes(fakes) == []
    assert _screenings(fakes) == [{"texts": {"title": ACTION["title"],
                                             "description": ACTION["description"]}}]
    assert "L&#39;action semble contenir des données personnelles" in text
    assert "Numéro de téléphone, dans la description : « 06 12 34 56 78 »" in text
    assert 'value="Rappel des usagers"' in text  # the form keeps what was written
    ticked = client.post("/agent/actions/nouvelle", data={
        "csrf_token": csrf_of(html), "publication_confirmee": "oui", **ACTION})
    assert ticked.status_code == 302
    assert _writes(fakes) == [("POST", "/improvement-actions")]
    assert len(_screenings(fakes)) == 1


def _error_pattern(page: str) -> None:
    """The platform's form error pattern, on the box to tick: title, summary, linked box."""
    assert re.search(r"<title>Erreur — ", page)
    summary = page.split('id="resume-erreurs"')[1].split("</div>")[0]
    assert 'role="alert" tabindex="-1"' in page.split('id="resume-erreurs"')[1][:40]
    assert 'href="#publication_confirmee">Données personnelles : ' in summary
    box = page.split('id="publication_confirmee"')[1].split(">")[0]
    assert 'aria-invalid="true"' in box
    assert 'aria-describedby="publication_confirmee-messages publication_confirmee-passages"' in box
    assert 'id="publication_confirmee-passages"' in page
    assert 'id="publication_confirmee-error-1"' in page
    assert page.count('role="alert"') == 1  # the summary only


def test_an_agent_sending_personal_data_gets_the_form_error_pattern(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="to_process", response=None)
    fakes["moderation"].answers[("POST", "/screening")] = SCREENED
    page = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(html), "action": "envoyer", **FORM}).get_data(as_text=True)
    _error_pattern(page)
    assert "La réponse n&#39;est pas envoyée : retirez les passages signalés" in page


def test_a_super_agent_validating_without_the_box_gets_the_form_error_pattern(client, fakes):
    login(client, fakes, profile="super_agent")
    fakes["moderation"].answers[("POST", "/screening")] = SCREENED
    html = _page(client, fakes, status="awaiting_validation", response=None, response_draft=FORM)
    assert 'aria-invalid' not in html.split('id="publication_confirmee"')[1].split(">")[0]
    response = client.post("/agent/experiences/7/validation", data={"csrf_token": csrf_of(html)})
    assert response.status_code == 400  # the page itself, not a redirect with a flash
    _error_pattern(response.get_data(as_text=True))


def test_an_action_with_personal_data_gets_the_form_error_pattern(client, fakes):
    login(client, fakes)
    _action_setup(fakes)
    html = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    fakes["moderation"].answers[("POST", "/screening")] = ACTION_SCREENED
    page = client.post("/agent/actions/nouvelle", data={"csrf_token": csrf_of(html), **ACTION})
    _error_pattern(page.get_data(as_text=True))
