"""« Diagnostic local »: start (and resume a draft), fill with drafts, complete, results, CSV."""

from __future__ import annotations

import re

import pytest

from services.gateway.clients import ServiceError
from services.gateway.views.diagnostic import field_name, gap_chart
from tests.support.gateway import DRAFT, RESULTS, DiagnosticFake, csrf_of, login_as

QUESTIONNAIRE = {
    "version": "2023-v1", "title": "Diagnostic local (2023)",
    "scale": [{"code": "yes", "label": "Oui"}, {"code": "partly", "label": "Partiellement"},
              {"code": "no", "label": "Non"}, {"code": "not_applicable", "label": "Non concerné"}],
    "channels": [{"code": "in_person", "label": "Accueil physique"},
                 {"code": "phone", "label": "Téléphone"},
                 {"code": "online", "label": "Formulaires en ligne"}],
    "commitments": [
        {"number": 1, "code": "kindness", "label": "Vous êtes accueillis avec bienveillance.",
         "expected_level": 0.8, "questions": [
             {"id": "c1-all-1", "text": "Les agents sont formés à l'accueil.",
              "channels": ["in_person", "phone", "online"]},
             {"id": "c1-phone-1", "text": "L'agent se présente au téléphone.",
              "channels": ["phone"]}]},
        {"number": 2, "code": "contact", "label": "Vous entrez facilement en contact.",
         "expected_level": 0.8, "questions": [
             {"id": "c2-in_person-1", "text": "Les locaux sont accessibles.",
              "channels": ["in_person"]}]},
    ]}


@pytest.fixture
def diag(fakes):
    fakes["diagnostic"] = DiagnosticFake({
        ("GET", "/questionnaires/current"): QUESTIONNAIRE,
        ("GET", "/questionnaires/2023-v1"): QUESTIONNAIRE,
        ("GET", "/diagnostics"): {"items": [dict(DRAFT, started_at="2026-11-26T14:00:00")],
                                  "total": 1, "page": 1, "per_page": 20},
        ("GET", "/diagnostics/d1"): DRAFT,
        ("GET", "/diagnostics/d1/results"): RESULTS,
    })
    fakes["identity"].answers[("GET", "/structures/10")] = {"id": "10", "name": "CAF du Rhône"}
    return fakes


def agent(client, fakes, **claims):
    return login_as(client, fakes, "agent", missions=["diagnostic"], **claims)


def posted(fakes, method, path):
    return [c for c in fakes["diagnostic"].calls if (c["method"], c["path"]) == (method, path)]


def test_list_shows_diagnostics_and_a_start_form_with_csrf(app, diag):
    client = app.test_client()
    agent(client, diag)
    response = client.get("/agent/diagnostic")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="fr"' in html
    assert 'href="/agent/diagnostic/d1"' in html and "CAF du Rhône" in html and "Brouillon" in html
    assert 'name="csrf_token"' in html and 'for="structure_id"' in html
    for code in ("in_person", "phone", "online"):
        assert re.search(rf'id="channels-{code}" name="channels" value="{code}" checked', html)


def test_starting_posts_structure_and_channels_then_opens_the_questionnaire(app, diag):
    client = app.test_client()
    agent(client, diag)
    diag["diagnostic"].answers[("POST", "/diagnostics")] = dict(DRAFT, id="d9")
    html = client.get("/agent/diagnostic").get_data(as_text=True)
    response = client.post("/agent/diagnostic", data={
        "csrf_token": csrf_of(html), "structure_id": "10", "channels": ["in_person", "phone"]})
    assert response.status_code == 302 and response.location.endswith("/agent/diagnostic/d9")
    assert posted(diag, "POST", "/diagnostics")[0]["json"] == {
        "structure_id": "10", "channels": ["in_person", "phone"]}


def test_an_open_draft_leads_to_that_draft(app, diag):
    client = app.test_client()
    agent(client, diag)
    diag["diagnostic"].answers[("POST", "/diagnostics")] = ServiceError(
        409, "conflict", "Un diagnostic est déjà en cours pour cette structure : reprenez-le.",
        {"draft_id": ["d1"]})
    html = client.get("/agent/diagnostic").get_data(as_text=True)
    response = client.post("/agent/diagnostic", data={
        "csrf_token": csrf_of(html), "structure_id": "10", "channels": ["phone"]})
    assert response.status_code == 302 and response.location.endswith("/agent/diagnostic/d1")
    assert "Un diagnostic est déjà en cours" in client.get(response.location).get_data(
        as_text=True)


def test_start_errors_are_shown_next_to_the_fields(app, diag):
    client = app.test_client()
    agent(client, diag)
    html = client.get("/agent/diagnostic").get_data(as_text=True)
    empty = client.post("/agent/diagnostic", data={"csrf_token": csrf_of(html)})
    page = empty.get_data(as_text=True)
    assert empty.status_code == 400 and posted(diag, "POST", "/diagnostics") == []
    assert 'id="structure_id-error-1">Choisissez la structure' in page
    assert 'id="channels-error-1">Choisissez au moins un canal.' in page
    diag["diagnostic"].answers[("POST", "/diagnostics")] = ServiceError(
        422, "validation_error", "Structure inconnue.", {"structure_id": ["Structure inconnue."]})
    bad = client.post("/agent/diagnostic", data={"csrf_token": csrf_of(html),
                                                 "structure_id": "77", "channels": ["phone"]})
    assert bad.status_code == 400
    assert 'id="structure_id-error-1">Structure inconnue.' in bad.get_data(as_text=True)
    assert client.post("/agent/diagnostic", data={"structure_id": "10"}).status_code == 400


def test_agents_without_the_diagnostic_mission_only_read(app, diag):
    client = app.test_client()
    login_as(client, diag, "agent", missions=["answer"])
    html = client.get("/agent/diagnostic").get_data(as_text=True)
    assert "Commencer le diagnostic" not in html and 'href="/agent/diagnostic/d1"' in html
    page = client.get("/agent/diagnostic/d1").get_data(as_text=True)
    assert "Terminer le diagnostic" not in page and " disabled" in page
    assert client.post("/agent/diagnostic", data={"csrf_token": csrf_of(html),
                                                  "structure_id": "10"}).status_code == 403


def test_questionnaire_groups_by_commitment_then_channel_with_progress_and_editors(app, diag):
    client = app.test_client()
    agent(client, diag, sub="u1")
    html = client.get("/agent/diagnostic/d1").get_data(as_text=True)
    assert '<html lang="fr"' in html and 'name="csrf_token"' in html
    # Only the diagnostic's channels: « Formulaires en ligne » was not picked.
    assert "Formulaires en ligne" not in html
    order = [html.index(s) for s in ('id="engagement-1"', 'id="engagement-1-in_person"',
                                     'id="engagement-1-phone"', 'id="engagement-2"')]
    assert order == sorted(order)
    assert re.search(r'id="q-c1-all-1--in_person-yes" name="q-c1-all-1--in_person" value="yes"\s+'
                     r'checked', html)
    assert re.search(r'value="partly"\s+checked', html)
    assert 'href="#engagement-2"' in html and "Progression : 2 réponses enregistrées sur 4" in html
    assert 'max="4" value="2"' in html
    assert "Dernière modification par vous le 26/11/2026 à 15:00" in html  # Paris time
    assert "Dernière modification par un autre membre de l&#39;équipe le 27/11/2026" in html
    assert "Former l&#39;équipe du samedi." in html
    assert "Enregistrer le brouillon" in html and "Terminer le diagnostic" in html
    # Each commitment's button is told apart by a screen reader, not nine alike.
    assert 'Enregistrer le brouillon<span class="fr-sr-only"> (engagement 2)</span>' in html


def test_referents_see_the_names_of_who_edited(app, diag):
    client = app.test_client()
    login_as(client, diag, "referent", sub="u9", structure_ids=())
    diag["identity"].answers[("GET", "/users/u2")] = {"id": "u2", "name": "Bruno Martin"}
    diag["identity"].answers[("GET", "/users/u1")] = {"id": "u1", "name": "Alice Durand"}
    html = client.get("/agent/diagnostic/d1").get_data(as_text=True)
    assert "Dernière modification par Bruno Martin le 27/11/2026" in html
    assert "Dernière modification par Alice Durand le 26/11/2026" in html


def test_saving_a_draft_sends_only_what_changed_and_keeps_the_page(app, diag):
    client = app.test_client()
    agent(client, diag)
    html = client.get("/agent/diagnostic/d1").get_data(as_text=True)
    data = {"csrf_token": csrf_of(html), "action": "save-1",
            "q-c1-all-1--in_person": "yes", "orig-q-c1-all-1--in_person": "yes",
            "q-c1-all-1--phone": "no", "orig-q-c1-all-1--phone": "partly",
            "q-c1-phone-1--phone": "not_applicable", "orig-q-c1-phone-1--phone": "",
            "note-1": "Former l'équipe du samedi.", "orig-note-1": "Former l'équipe du samedi.",
            "note-2": "Rampe à prévoir.", "orig-note-2": ""}
    response = client.post("/agent/diagnostic/d1", data=data)
    assert response.status_code == 302
    assert response.location.endswith("/agent/diagnostic/d1#engagement-1")
    put = posted(diag, "PUT", "/diagnostics/d1/answers")[0]
    assert put["json"] == {
        "answers": [{"question_id": "c1-all-1", "channel": "phone", "answer": "no"},
                    {"question_id": "c1-phone-1", "channel": "phone",
                     "answer": "not_applicable"}],
        "notes": [{"commitment": 2, "text": "Rampe à prévoir."}]}
    assert posted(diag, "POST", "/diagnostics/d1/complete") == []


def test_a_refused_save_keeps_what_was_typed(app, diag):
    client = app.test_client()
    agent(client, diag)
    diag["diagnostic"].answers[("PUT", "/diagnostics/d1/answers")] = ServiceError(
        422, "validation_error", "Certaines réponses sont invalides.",
        {"answers": ["c1-phone-1/phone : réponse inconnue (maybe)."]})
    html = client.get("/agent/diagnostic/d1").get_data(as_text=True)
    response = client.post("/agent/diagnostic/d1", data={
        "csrf_token": csrf_of(html), "action": "save", "q-c1-phone-1--phone": "no",
        "note-2": "Texte en cours"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="resume-erreurs"' in page
    assert "réponse inconnue (maybe)" in page
    assert re.search(r'name="q-c1-phone-1--phone" value="no"\s+checked', page)
    assert ">Texte en cours</textarea>" in page


def test_completing_with_missing_items_links_each_missing_field(app, diag):
    client = app.test_client()
    agent(client, diag)
    diag["diagnostic"].answers[("POST", "/diagnostics/d1/complete")] = ServiceError(
        409, "incomplete", "2 question(s) sans réponse : complétez-les d'abord.",
        {"missing": ["c1-phone-1/phone", "c2-in_person-1/in_person"]})
    html = client.get("/agent/diagnostic/d1").get_data(as_text=True)
    response = client.post("/agent/diagnostic/d1", data={"csrf_token": csrf_of(html),
                                                         "action": "complete"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "2 question(s) sans réponse" in page
    summary = re.search(r'<div class="fr-alert fr-alert--error[^>]*id="resume-erreurs".*?</div>',
                        page, re.S).group(0)
    assert 'href="#q-c1-phone-1--phone"' in summary and 'href="#q-c2-in_person-1--in_person"' in \
        summary
    assert ">1 question sans réponse dans l&#39;engagement 1</a>" in summary
    assert ">1 question sans réponse dans l&#39;engagement 2</a>" in summary
    assert 'id="q-c1-phone-1--phone-error-1">Répondez à cette question.' in page
    assert 'class="fr-fieldset fr-fieldset--error" id="q-c2-in_person-1--in_person"' in page
    assert 'class="fr-fieldset fr-fieldset--error" id="q-c1-all-1--phone"' not in page


def test_completing_goes_to_the_results(app, diag):
    client = app.test_client()
    agent(client, diag)
    html = client.get("/agent/diagnostic/d1").get_data(as_text=True)
    response = client.post("/agent/diagnostic/d1", data={
        "csrf_token": csrf_of(html), "action": "complete", "q-c1-phone-1--phone": "yes"})
    assert response.status_code == 302
    assert response.location.endswith("/agent/diagnostic/d1/resultats")
    calls = [(c["method"], c["path"]) for c in diag["diagnostic"].calls if c["method"] != "GET"]
    assert calls == [("PUT", "/diagnostics/d1/answers"), ("POST", "/diagnostics/d1/complete")]
    assert client.post("/agent/diagnostic/d1", data={"action": "complete"}).status_code == 400


def test_results_chart_and_table_show_the_real_scores_weakest_first(app, diag):
    client = app.test_client()
    agent(client, diag)
    response = client.get("/agent/diagnostic/d1/resultats")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="fr"' in html
    svg = re.search(r'<svg id="graphique-ecarts" role="img".*?</svg>', html, re.S).group(0)
    assert '<title id="graphique-ecarts-title">' in svg
    assert re.findall(r'data-score="(\d+)"', svg) == ["35", "75"]  # weakest first
    assert "35 % (écart 45)" in svg and "75 % (écart 5)" in svg  # the table's sign
    assert "stroke-dasharray" in svg and "<circle" in svg  # network average, previous one
    table = re.search(r'<table id="tableau-engagements">.*?</table>', html, re.S).group(0)
    rows = re.findall(r'<th scope="row">(\d)\..*?</th>\s*<td>(\d+)&nbsp;%</td>\s*'
                      r'<td>(\d+)&nbsp;%</td>\s*<td>(-?\d+)</td>', table, re.S)
    assert rows == [("2", "35", "80", "45"), ("1", "75", "80", "5")]
    assert "60&nbsp;%" in table and "70&nbsp;%" in table and "50&nbsp;%" in table
    assert "moyenne du réseau sur 4 structures" in table
    assert "63&nbsp;%" in html and "CAF du Rhône" in html
    assert 'href="/agent/diagnostic/d1/resultats.csv"' in html


def test_results_of_a_draft_lead_back_to_the_questionnaire(app, diag):
    client = app.test_client()
    agent(client, diag)
    diag["diagnostic"].answers[("GET", "/diagnostics/d1/results")] = ServiceError(
        409, "conflict", "Ce diagnostic n'est pas terminé : pas encore de résultats.")
    response = client.get("/agent/diagnostic/d1/resultats")
    assert response.status_code == 302 and response.location.endswith("/agent/diagnostic/d1")


def test_csv_is_proxied_with_the_users_token_as_a_download(app, diag):
    client = app.test_client()
    agent(client, diag)
    response = client.get("/agent/diagnostic/d1/resultats.csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbfEngagement;Score")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="diagnostic-d1.csv"'
    call = diag["diagnostic"].calls[-1]
    assert call["path"] == "/diagnostics/d1/results.csv" and call["token"]
    diag["diagnostic"].csv = ServiceError(404, "not_found", "Diagnostic introuvable.")
    assert client.get("/agent/diagnostic/d1/resultats.csv").status_code == 404


def test_csv_of_a_draft_leads_back_to_the_questionnaire(app, diag):
    client = app.test_client()
    agent(client, diag)
    diag["diagnostic"].csv = ServiceError(
        409, "conflict", "Ce diagnostic n'est pas terminé : pas encore de résultats.")
    response = client.get("/agent/diagnostic/d1/resultats.csv")
    assert response.status_code == 302 and response.location.endswith("/agent/diagnostic/d1")


def test_field_names_and_gap_chart_geometry():
    assert field_name("c1-all-1", "mail_email") == "q-c1-all-1--mail_email"
    assert field_name("a b/c", "x") == "q-a_b_c--x"
    chart = gap_chart([{"number": 3, "score": 0.25, "expected": 0.8},
                       {"number": 1, "score": 1.0, "expected": 0.8, "network_average": 0.5}])
    first, second = chart["rows"]
    assert second["width"] == chart["plot_w"] and first["width"] == chart["plot_w"] / 4
    assert first["gap"] == 55 and second["gap"] == -20
    assert second["average_x"] == chart["left"] + chart["plot_w"] / 2
    assert chart["has_average"] and not chart["has_previous"]


class RawSession:
    def __init__(self, status, content, headers):
        self.status, self.content, self.headers, self.calls = status, content, headers, []

    def request(self, method, url, **kwargs):
        import requests

        self.calls.append((method, url, kwargs))
        response = requests.Response()
        response.status_code, response._content = self.status, self.content
        response.headers.update(self.headers)
        return response


def test_client_download_returns_bytes_type_and_file_name_or_raises():
    from services.gateway.clients import ServiceClient

    session = RawSession(200, b"\xef\xbb\xbfa;b\r\n", {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="diagnostic-d1.csv"'})
    client = ServiceClient("diagnostic", base_url="http://x", session=session)
    assert client.download("/diagnostics/d1/results.csv", token="T") == (
        b"\xef\xbb\xbfa;b\r\n", "text/csv; charset=utf-8", "diagnostic-d1.csv")
    method, url, kwargs = session.calls[0]
    assert (method, url) == ("GET", "http://x/diagnostics/d1/results.csv")
    assert kwargs["headers"]["Authorization"] == "Bearer T" and kwargs["timeout"]
    refused = RawSession(409, b'{"code": "conflict", "message": "Pas encore de r\\u00e9sultats."}',
                         {"Content-Type": "application/json"})
    with pytest.raises(ServiceError) as caught:
        ServiceClient("diagnostic", base_url="http://x", session=refused).download("/r.csv")
    assert caught.value.status == 409 and caught.value.message == "Pas encore de résultats."
