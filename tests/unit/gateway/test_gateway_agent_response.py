"""The agent's experience page: drafts saved and resumed, sending, amending a response that waits
for validation, validating, and no status code ever shown in place of words."""

from __future__ import annotations

import pytest

from services.gateway.clients import ServiceError
from tests.support.gateway import INTERNAL, csrf_of, login, login_as

DRAFT = {"body": "Merci pour votre message.", "closing": "Bien à vous", "signature": "La CAF"}
RAW_CODES = ("awaiting_validation", "to_process", "answered")


def _writes(fakes) -> list[tuple[str, str]]:
    return [(c["method"], c["path"]) for c in fakes["experiences"].calls if c["method"] != "GET"]


def _page(client, fakes, **experience):
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(INTERNAL, **experience)
    return client.get("/agent/experiences/7").get_data(as_text=True)


def _visible(html: str) -> str:
    """The page without its attributes' values (codes may sit in a form's hidden values)."""
    import re
    return re.sub(r'="[^"]*"', '=""', html)


def test_saving_a_draft_puts_it_and_sends_nothing(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="to_process", response=None)
    assert "Enregistrer le brouillon" in html and "Enregistrer et envoyer la réponse" in html
    response = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(html), "action": "brouillon", **DRAFT}, follow_redirects=True)
    assert response.status_code == 200
    assert _writes(fakes) == [("PUT", "/experiences/7/response")]
    put = [c for c in fakes["experiences"].calls if c["method"] == "PUT"][0]
    assert put["json"] == DRAFT
    page = response.get_data(as_text=True)
    assert "Votre brouillon est enregistré. Il n&#39;est pas envoyé" in page


def test_a_saved_draft_is_resumed_in_the_form_then_sent(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="to_process", response=None, response_draft=DRAFT,
                 response_updated_at="2026-11-03T09:05:00+00:00")
    # The draft is back in the form, with when it was saved (Paris time) and what it means.
    assert ">Merci pour votre message.</textarea>" in html
    assert 'value="Bien à vous"' in html
    assert "Brouillon enregistré le 03/11/2026 à 10 h 05" in html
    assert "l'expérience reste « À traiter »" in html
    fakes["experiences"].answers[("POST", "/experiences/7/response/submit")] = dict(
        INTERNAL, status="awaiting_validation")
    response = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(html), "action": "envoyer", **DRAFT}, follow_redirects=True)
    assert _writes(fakes) == [("PUT", "/experiences/7/response"),
                              ("POST", "/experiences/7/response/submit")]
    assert "quand un super agent de la structure ou d&#39;une structure parente l&#39;aura validée" in \
        response.get_data(as_text=True)


def test_an_empty_answer_is_refused_on_the_page_without_calling_the_api(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="to_process", response=None)
    response = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(html), "action": "brouillon", "body": "  "})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'href="#body"' in page and 'id="body-error-1">Écrivez votre réponse.' in page
    assert _writes(fakes) == []


def test_a_response_waiting_for_validation_shows_words_and_is_amended_not_resent(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="awaiting_validation", response=None, response_draft=DRAFT)
    assert "En attente de validation" in html
    assert "Merci pour votre message." in html
    assert "<textarea" not in html.split("titre-orienter")[0]  # shown, not in a form
    for code in RAW_CODES:
        assert code not in _visible(html), code
    editing = client.get("/agent/experiences/7?modifier=1").get_data(as_text=True)
    assert "Enregistrer les modifications" in editing
    assert "Enregistrer et envoyer la réponse" not in editing
    assert "Réponse en attente de validation" in editing
    for code in RAW_CODES:
        assert code not in _visible(editing), code
    response = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(editing), "action": "envoyer", **DRAFT}, follow_redirects=True)
    # Only saved: it was sent already, and sending again would be refused.
    assert _writes(fakes) == [("PUT", "/experiences/7/response")]
    assert "La réponse attend toujours la validation d&#39;un super agent." in \
        response.get_data(as_text=True)


def test_a_refused_sending_says_why_in_words_and_that_the_draft_is_kept(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="to_process", response=None)
    fakes["experiences"].answers[("POST", "/experiences/7/response/submit")] = ServiceError(
        409, "conflict", "Action « soumettre la réponse » impossible : l'expérience est au "
        "statut « en attente de validation » (awaiting_validation).",
        {"status": ["awaiting_validation"]})
    response = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(html), "action": "envoyer", **DRAFT})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Votre brouillon est enregistré, mais la réponse n&#39;a pas été envoyée." in page
    assert "au statut « en attente de validation »." in page
    assert "awaiting_validation" not in _visible(page)


def test_a_pending_reorientation_is_explained_when_sending(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="to_process", response=None)
    fakes["experiences"].answers[("POST", "/experiences/7/response/submit")] = ServiceError(
        409, "conflict", "Action « soumettre la réponse » impossible : une demande de "
        "réorientation est en cours auprès de la modération.",
        {"reorientation_reason": ["Une demande de réorientation attend la décision de la "
                                  "modération."]})
    page = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(html), **DRAFT}).get_data(as_text=True)
    assert "une demande de réorientation est en cours auprès de la modération" in page


def test_an_answered_experience_cannot_be_posted_to(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    html = _page(client, fakes, status="answered")
    assert "Enregistrer le brouillon" not in html
    response = client.post("/agent/experiences/7", data={"csrf_token": csrf_of(html), **DRAFT})
    assert response.status_code == 400 and _writes(fakes) == []
    assert "La réponse est déjà publiée" in response.get_data(as_text=True)


def test_a_refused_validation_is_flashed_without_the_code(client, fakes):
    login(client, fakes, profile="super_agent")
    html = _page(client, fakes, status="awaiting_validation")
    assert "Valider la réponse" in html
    fakes["experiences"].answers[("POST", "/experiences/7/response/validate")] = ServiceError(
        409, "conflict", "Action « valider la réponse » impossible : l'expérience est au statut "
        "« réponse apportée » (answered).", {"status": ["answered"]})
    page = client.post("/agent/experiences/7/validation", data={"csrf_token": csrf_of(html)},
                       follow_redirects=True).get_data(as_text=True)
    assert "au statut « réponse apportée »." in page and "(answered)" not in page


@pytest.mark.parametrize("path,form", [
    ("reassign", {"structure_id": "12"}), ("reorientation", {"reason": "Concerne la CPAM."})])
def test_a_conflict_on_moving_is_said_in_words(client, fakes, path, form):
    login(client, fakes)
    fakes["identity"].answers[("GET", "/structures")] = {"items": [
        {"id": "12", "name": "CAF — Villeurbanne"}], "total": 1, "page": 1, "per_page": 20}
    html = _page(client, fakes, status="to_process", response=None, structure_id="10")
    fakes["experiences"].answers[("POST", f"/experiences/7/{path}")] = ServiceError(
        409, "conflict", "Action « réaffecter » impossible : l'expérience est au statut "
        "« réponse apportée » (answered).", {"status": ["answered"]})
    page_path = "deplacement" if path == "reassign" else "reorientation"
    response = client.post(f"/agent/experiences/7/{page_path}",
                           data={"csrf_token": csrf_of(html), **form})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "au statut « réponse apportée »." in page and "answered" not in _visible(page)


def test_the_evaluation_and_the_linked_actions_show_on_the_experience(client, fakes):
    login(client, fakes, profile="super_agent")
    html = _page(client, fakes, status="answered", feeling="negative",
                 evaluation={"useful": True, "feeling_after": "positive",
                             "comment": "Texte libre non modéré", "evaluated_at":
                             "2026-11-05T10:00:00+00:00"},
                 improvement_actions=[
                     {"id": "3", "title": "Horaires élargis", "description": "Le samedi.",
                      "date": "2026-12-01", "structure_id": "10", "experience_ids": ["7"],
                      "editable": True},
                     {"id": "4", "title": "Action du siège", "description": "Au niveau national.",
                      "date": "2026-12-02", "structure_id": "1", "experience_ids": ["7"],
                      "editable": False}])
    section = html.split('id="titre-evaluation"')[1].split("</section>")[0]
    assert "Évaluée le</dt><dd>05/11/2026" in section
    assert "Réponse utile</dt><dd>Oui" in section
    assert "Ressenti avant la réponse</dt><dd>Négatif" in section
    assert "Ressenti après la réponse</dt><dd>Positif" in section
    assert "Texte libre non modéré" not in html  # the usager's comment was never moderated
    actions = html.split('id="titre-actions"')[1].split("</section>")[0]
    assert "Horaires élargis" in actions and "Action du siège" in actions
    assert 'href="/agent/actions/3/modifier"' in actions
    assert 'href="/agent/actions/3/supprimer"' in actions
    assert "/agent/actions/4/" not in actions  # another structure's: not theirs to change
    assert 'href="/agent/actions/nouvelle?experience_ids=7"' in actions


def test_without_evaluation_the_page_says_so(client, fakes):
    login(client, fakes)
    html = _page(client, fakes, status="answered", evaluation=None, improvement_actions=[])
    assert "L'usager n'a pas encore évalué la réponse." in html
    assert "Aucune action d'amélioration n'est liée à cette expérience." in html
