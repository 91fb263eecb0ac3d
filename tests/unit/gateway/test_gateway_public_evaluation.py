"""The evaluation page: the response being rated beside the form; a used, wrong or incomplete
link says so clearly and shows no form."""

from __future__ import annotations

import pytest

from services.gateway.clients import ServiceError
from tests.support.gateway import EXPERIENCE, csrf_of

LINK = ("GET", "/experiences/7/evaluation")


def test_an_open_link_shows_the_response_being_rated_and_the_form(client, fakes):
    fakes["experiences"].answers[("GET", "/experiences/7")] = EXPERIENCE
    fakes["experiences"].answers[LINK] = {"state": "open"}
    response = client.get("/experiences/7/evaluation?token=tok")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    checks = [c for c in fakes["experiences"].calls if c["path"] == LINK[1]]
    assert checks[-1]["method"] == "GET" and checks[-1]["params"] == {"token": "tok"}
    rated = html[html.index('id="reponse-evaluee"'):]
    assert "La réponse que vous évaluez" in rated and "Merci pour votre retour." in rated
    assert "Cordialement" in rated and "La CAF du Rhône" in rated
    assert "Votre expérience : Accueil à la CAF" in html
    assert html.index('id="reponse-evaluee"') < html.index('name="useful"')
    assert 'name="token" value="tok"' in html and "camille@secret.example" not in html
    # The comment is never shown to anyone publicly: the usager is told before writing it.
    assert 'aria-describedby="comment-messages"' in html
    assert 'id="comment-hint">' in html.split('for="comment"')[1].split("</label>")[0]
    assert "Il n&#39;est jamais publié." in html


@pytest.mark.parametrize("status,code,title,kind,shown", [
    (410, "already_evaluated", "Vous avez déjà évalué cette réponse", "info", 410),
    (403, "invalid_token", "Lien d&#39;évaluation non valable", "error", 404),
    (409, "conflict", "Aucune réponse à évaluer", "info", 409),
])
def test_a_link_that_cannot_be_used_shows_a_message_not_the_form(client, fakes, status, code,
                                                                  title, kind, shown):
    fakes["experiences"].answers[("GET", "/experiences/7")] = EXPERIENCE
    fakes["experiences"].answers[LINK] = ServiceError(status, code, "Non.")
    response = client.get("/experiences/7/evaluation?token=tok")
    html = response.get_data(as_text=True)
    assert response.status_code == shown
    assert f"<h1>{title}</h1>" in html.replace("'", "&#39;")
    assert f'class="fr-alert fr-alert--{kind} fr-mb-4w" id="etat-lien"' in html
    assert 'name="useful"' not in html and "<form method=\"post\"" not in html.split(
        'id="contenu"')[1].split("</main>")[0]
    assert 'href="/experiences/7">Relire l&#39;expérience et sa réponse' in html.replace(
        "'", "&#39;")


def test_an_unknown_experience_or_a_missing_token_shows_no_form(client, fakes):
    fakes["experiences"].answers[("GET", "/experiences/404")] = ServiceError(
        404, "not_found", "Expérience introuvable.")
    unknown = client.get("/experiences/404/evaluation?token=tok")
    assert unknown.status_code == 404
    html = unknown.get_data(as_text=True)
    assert "Lien d&#39;évaluation non valable" in html.replace("'", "&#39;")
    assert 'name="useful"' not in html and "Relire l" not in html
    fakes["experiences"].answers[("GET", "/experiences/7")] = EXPERIENCE
    missing = client.get("/experiences/7/evaluation")
    assert missing.status_code == 400 and 'name="useful"' not in missing.get_data(as_text=True)
    assert not [c for c in fakes["experiences"].calls if c["path"] == LINK[1]]


def test_a_link_used_meanwhile_is_said_on_sending(client, fakes):
    fakes["experiences"].answers[("GET", "/experiences/7")] = EXPERIENCE
    html = client.get("/experiences/7/evaluation?token=tok").get_data(as_text=True)
    fakes["experiences"].answers[("POST", "/experiences/7/evaluation")] = ServiceError(
        410, "already_evaluated", "Déjà évaluée.", {"token": ["Ce lien a déjà été utilisé."]})
    response = client.post("/experiences/7/evaluation", data={
        "csrf_token": csrf_of(html), "token": "tok", "useful": "true",
        "feeling_after": "positive"})
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "Vous avez déjà évalué cette réponse" in page and 'name="useful"' not in page


def test_a_field_error_keeps_the_form_and_the_response(client, fakes):
    fakes["experiences"].answers[("GET", "/experiences/7")] = EXPERIENCE
    html = client.get("/experiences/7/evaluation?token=tok").get_data(as_text=True)
    fakes["experiences"].answers[("POST", "/experiences/7/evaluation")] = ServiceError(
        422, "validation_error", "Certains champs sont invalides.",
        {"feeling_after": ["Le champ « feeling_after » est obligatoire."]})
    response = client.post("/experiences/7/evaluation", data={
        "csrf_token": csrf_of(html), "token": "tok", "useful": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#feeling_after">Ressenti : Choisissez votre ressenti après cette réponse.' in page
    assert 'name="useful"' in page and "Merci pour votre retour." in page
    assert 'id="useful-true" name="useful" value="true"\n             checked' in page
