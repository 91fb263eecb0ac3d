"""« Valider la réponse » publishes the response the super agent read, or nothing: the page sends
back the `response_updated_at` it showed, and a response amended since is shown again, with the
form error pattern, to be read before validating."""

from __future__ import annotations

import re

from services.gateway.clients import ServiceError
from tests.support.gateway import INTERNAL, csrf_of, login

READ = "2026-11-03T09:05:00.123456+00:00"
AMENDED = "2026-11-03T09:07:42.654321+00:00"
FIRST = {"body": "Merci pour votre message.", "closing": "Bien à vous", "signature": "La CAF"}
SECOND = {"body": "Merci, votre dossier est rouvert.", "closing": "Bien à vous",
          "signature": "La CAF"}
CLEAN = {"texts": [{"name": "body", "flags": []}]}
# moderation's answer for a text with a phone number at its start
PHONE = {"texts": [{"name": "body", "flags": [
    {"kind": "phone", "start": 0, "end": 14, "note": None}]}]}
CHANGED = "La réponse n&#39;est pas validée : elle a été modifiée depuis que vous l&#39;avez lue."
CONFLICT = ServiceError(
    409, "conflict", "La réponse a été modifiée depuis que vous l'avez lue : relisez-la avant de "
    "la valider.", {"response_updated_at": ["La réponse a été modifiée depuis que vous l'avez "
                                            "lue : relisez-la avant de la valider."]})


def _shown(fakes, response: dict, updated_at: str) -> None:
    """What the experiences API answers for the experience from now on."""
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(
        INTERNAL, status="awaiting_validation", response=None, response_draft=response,
        response_updated_at=updated_at)


def _page(client, fakes, response: dict = FIRST, updated_at: str = READ) -> str:
    login(client, fakes, profile="super_agent")
    _shown(fakes, response, updated_at)
    return client.get("/agent/experiences/7").get_data(as_text=True)


def _validations(fakes) -> list[dict]:
    return [c for c in fakes["experiences"].calls
            if c["path"] == "/experiences/7/response/validate"]


def _hidden(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="response_updated_at" value="([^"]*)">', html)


def _summary(page: str) -> str:
    return page.split('id="resume-erreurs"')[1].split("</div>")[0]


def test_the_validation_form_sends_the_version_the_page_showed(client, fakes):
    fakes["moderation"].answers[("POST", "/screening")] = CLEAN
    html = _page(client, fakes)
    assert _hidden(html) == [READ]
    response = client.post("/agent/experiences/7/validation",
                           data={"csrf_token": csrf_of(html), "response_updated_at": READ})
    assert response.status_code == 302
    [call] = _validations(fakes)
    assert call["json"] == {"response_updated_at": READ}


def test_the_form_with_the_personal_data_box_sends_it_too(client, fakes):
    fakes["moderation"].answers[("POST", "/screening")] = PHONE
    html = _page(client, fakes, {"body": "06 12 34 56 78, rappelez-nous."})
    assert 'name="publication_confirmee"' in html and _hidden(html) == [READ]
    client.post("/agent/experiences/7/validation", data={
        "csrf_token": csrf_of(html), "publication_confirmee": "oui", "response_updated_at": READ})
    assert [c["json"] for c in _validations(fakes)] == [{"response_updated_at": READ}]


def test_a_response_amended_since_is_shown_again_to_be_read(client, fakes):
    """The API refuses (409 on `response_updated_at`): the page shows the new text and says why,
    in the error summary that takes the focus."""
    fakes["moderation"].answers[("POST", "/screening")] = CLEAN
    html = _page(client, fakes)
    fakes["experiences"].answers[("POST", "/experiences/7/response/validate")] = CONFLICT
    _shown(fakes, SECOND, AMENDED)  # the agent amended it after the page was read
    response = client.post("/agent/experiences/7/validation", data={
        "csrf_token": csrf_of(html), "publication_confirmee": "oui", "response_updated_at": READ})
    page = response.get_data(as_text=True)
    assert response.status_code == 400  # the page itself, not a redirect with a flash
    assert [c["json"] for c in _validations(fakes)] == [{"response_updated_at": READ}]
    assert re.search(r"<title>Erreur — ", page)
    assert 'id="resume-erreurs" role="alert" tabindex="-1"' in page
    assert CHANGED in _summary(page) and "Relisez la nouvelle version" in _summary(page)
    assert "Merci, votre dossier est rouvert." in page  # the new text
    assert "Merci pour votre message." not in page
    assert _hidden(page) == [AMENDED]  # validating now validates what is shown
    assert page.count('role="alert"') == 1


def test_an_amendment_seen_before_asking_the_api_is_said_the_same_way(client, fakes):
    fakes["moderation"].answers[("POST", "/screening")] = CLEAN
    html = _page(client, fakes)
    _shown(fakes, SECOND, AMENDED)
    response = client.post("/agent/experiences/7/validation",
                           data={"csrf_token": csrf_of(html), "response_updated_at": READ})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and _validations(fakes) == []
    assert CHANGED in _summary(page) and "Merci, votre dossier est rouvert." in page
    assert _hidden(page) == [AMENDED]


def test_the_personal_data_check_is_that_of_the_version_read(client, fakes):
    """Without the box ticked, the page checks the text for personal data: an amended text is
    not the one the super agent read, so it is shown again with its own passages, never checked
    and validated in their place."""
    fakes["moderation"].answers[("POST", "/screening")] = CLEAN
    html = _page(client, fakes)
    assert "publication_confirmee" not in html
    fakes["moderation"].answers[("POST", "/screening")] = PHONE
    _shown(fakes, {"body": "06 12 34 56 78, rappelez-nous."}, AMENDED)
    response = client.post("/agent/experiences/7/validation",
                           data={"csrf_token": csrf_of(html), "response_updated_at": READ})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and _validations(fakes) == []
    assert CHANGED in _summary(page)
    assert "La réponse n&#39;est pas validée : elle semble contenir" not in page
    assert "Numéro de téléphone, dans la réponse : « 06 12 34 56 78 »" in page
    assert 'name="publication_confirmee"' in page and _hidden(page) == [AMENDED]


def test_the_same_version_is_checked_for_personal_data_as_before(client, fakes):
    fakes["moderation"].answers[("POST", "/screening")] = PHONE
    html = _page(client, fakes, {"body": "06 12 34 56 78, rappelez-nous."})
    page = client.post("/agent/experiences/7/validation",
                       data={"csrf_token": csrf_of(html), "response_updated_at": READ})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and _validations(fakes) == []
    assert "La réponse n&#39;est pas validée : elle semble contenir" in text
    assert CHANGED not in text


def test_another_conflict_is_still_flashed(client, fakes):
    fakes["moderation"].answers[("POST", "/screening")] = CLEAN
    html = _page(client, fakes)
    fakes["experiences"].answers[("POST", "/experiences/7/response/validate")] = ServiceError(
        409, "conflict", "Action « valider la réponse » impossible : l'expérience est au statut "
        "« réponse apportée » (answered).", {"status": ["answered"]})
    response = client.post("/agent/experiences/7/validation",
                           data={"csrf_token": csrf_of(html), "response_updated_at": READ})
    assert response.status_code == 302


def test_a_form_without_the_version_validates_as_before(client, fakes):
    fakes["moderation"].answers[("POST", "/screening")] = CLEAN
    html = _page(client, fakes)
    client.post("/agent/experiences/7/validation", data={"csrf_token": csrf_of(html)})
    assert [c["json"] for c in _validations(fakes)] == [{}]


def test_whoever_sent_the_response_is_not_offered_to_validate_it(client, fakes):
    """Four eyes: jwt_for's `sub` is "1"; another super agent sees the button."""
    fakes["moderation"].answers[("POST", "/screening")] = CLEAN
    login(client, fakes, profile="super_agent")
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(
        INTERNAL, status="awaiting_validation", response=None, response_draft=FIRST,
        response_updated_at=READ, response_submitted_by="1")
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    assert "Valider la réponse" not in html and _hidden(html) == []
    assert "Vous l'avez rédigée ou envoyée à la validation : un autre super agent la valide." in html
    fakes["experiences"].answers[("GET", "/experiences/7")]["response_submitted_by"] = "2"
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    assert "Valider la réponse" in html and "un autre super agent la valide" not in html



def test_whoever_wrote_the_text_as_it_stands_is_not_offered_to_validate_it(client, fakes):
    fakes["moderation"].answers[("POST", "/screening")] = CLEAN
    login(client, fakes, profile="super_agent")
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(
        INTERNAL, status="awaiting_validation", response=None, response_draft=FIRST,
        response_updated_at=READ, response_submitted_by="2", response_drafted_by="1")
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    assert "Valider la réponse" not in html and "un autre super agent la valide" in html
