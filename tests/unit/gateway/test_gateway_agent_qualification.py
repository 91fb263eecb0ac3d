"""« Qualifier l'expérience »: agents set the general tags and channels each with a feeling, the
business tags and the improvement flag (PATCH /experiences/{id}/annotations); the saved values
show, the API's errors land on the fields."""

from __future__ import annotations

import re

from services.gateway.clients import ServiceError
from tests.support.gateway import INTERNAL, csrf_of, login_as

SAVED = {"general_tags": [{"tag": "simplicity", "feeling": "negative"}],
         "business_tags": ["RSA", "prime d'activité"],
         "channel_feelings": [{"channel": "phone", "feeling": "neutral"}],
         "improvement_to_consider": True}


def _page(client, fakes, **experience) -> str:
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(
        INTERNAL, **{"status": "answered", **experience})
    return client.get("/agent/experiences/7").get_data(as_text=True).replace("&#39;", "'")


def _selected(html: str, name: str) -> str:
    select = html.split(f'id="{name}" name="{name}"')[1].split("</select>")[0]
    return re.search(r'<option value="([^"]*)"\s*selected', select).group(1)


def _patches(fakes) -> list[dict]:
    return [c for c in fakes["experiences"].calls if c["method"] == "PATCH"]


def test_the_saved_qualification_shows_and_is_saved_again_as_a_whole(client, fakes):
    login_as(client, fakes)
    html = _page(client, fakes, **SAVED)
    section = html.split('id="qualification"')[1].split("</section>")[0]
    assert "<h2 id=\"titre-qualification\">Qualifier l'expérience</h2>" in html
    # The saved values, said and in the form.
    assert "Simplicité : négatif" in section and "Téléphone : neutre" in section
    assert re.search(r"Amélioration de service à considérer</dt>\s*<dd>Oui", section)
    assert _selected(section, "tag-simplicity") == "negative"
    assert _selected(section, "tag-accessibility") == ""
    assert _selected(section, "channel-phone") == "neutral"
    assert 'value="RSA, prime d\'activité"' in section
    assert re.search(r'id="improvement_to_consider"[^>]*checked', section)
    # Five tags and six channels, each labelled, in their groups with a legend.
    assert section.count('<select class="fr-select"') == 11
    assert "<legend" in section and "Ressenti par canal" in section
    assert "séparés par des virgules" in section
    # The open data lists them: the agent is told before writing one.
    assert "publiées dans les données ouvertes : n'y écrivez ni nom ni coordonnées" in \
        section.replace("&#39;", "'")
    response = client.post("/agent/experiences/7/qualification", data={
        "csrf_token": csrf_of(html), "tag-accessibility": "positive", "tag-simplicity": "",
        "business_tags": " RSA,, prime d'activité , RSA ", "channel-online": "negative"})
    assert response.status_code == 302
    assert response.location.endswith("/agent/experiences/7#qualification")
    [patch] = _patches(fakes)
    assert patch["path"] == "/experiences/7/annotations"
    assert patch["json"] == {
        "general_tags": [{"tag": "accessibility", "feeling": "positive"}],
        "business_tags": ["RSA", "prime d'activité"],
        "channel_feelings": [{"channel": "online", "feeling": "negative"}],
        "improvement_to_consider": False}
    assert "La qualification de l&#39;expérience est enregistrée." in \
        client.get("/agent/experiences/7").get_data(as_text=True)


def test_the_apis_errors_show_on_the_qualifications_fields(client, fakes):
    login_as(client, fakes)
    html = _page(client, fakes)
    long_tag = "x" * 120
    fakes["experiences"].answers[("PATCH", "/experiences/7/annotations")] = ServiceError(
        422, "validation_error", "Données invalides.", {
            "business_tags.1": ["Le champ « business_tags » doit contenir entre 1 et 100 "
                                "caractères."],
            "channel_feelings.0.feeling": ["Le champ « feeling » doit valoir l'une de ces "
                                           "valeurs : positive, neutral, negative."]})
    response = client.post("/agent/experiences/7/qualification", data={
        "csrf_token": csrf_of(html), "business_tags": f"accueil, {long_tag}",
        "channel-mail": "neutral", "improvement_to_consider": "1"})
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 400
    summary = page.split('id="resume-erreurs"')[1].split("</div>")[0]
    assert 'href="#business_tags"' in summary and 'href="#channel-mail"' in summary
    assert 'id="business_tags-error-1">L\'étiquette « ' + "x" * 40 + "… » doit contenir" in page
    assert 'id="channel-mail-error-1">Ce champ doit valoir' in page
    assert 'aria-invalid="true"' in page.split('id="channel-mail"')[1].split(">")[0]
    # What was typed stays.
    assert f'value="accueil, {long_tag}"' in page
    assert _selected(page, "channel-mail") == "neutral"


def test_a_feeling_no_list_offers_is_refused_without_calling_the_api(client, fakes):
    login_as(client, fakes)
    html = _page(client, fakes)
    response = client.post("/agent/experiences/7/qualification", data={
        "csrf_token": csrf_of(html), "tag-information": "furieux"})
    assert response.status_code == 400 and _patches(fakes) == []
    page = response.get_data(as_text=True)
    assert 'href="#tag-information"' in page
    assert 'id="tag-information-error-1">Choisissez un ressenti parmi ceux proposés.' in page


def test_without_the_right_the_saved_qualification_is_only_read(client, fakes):
    login_as(client, fakes, "referent")
    html = _page(client, fakes, **SAVED)
    section = html.split('id="qualification"')[1].split("</section>")[0]
    assert "Qualification de l'expérience" in section and "Simplicité : négatif" in section
    assert "<form" not in section
    assert 'id="qualification"' not in _page(client, fakes)  # nothing saved, nothing to say
