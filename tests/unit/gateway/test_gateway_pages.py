"""Gateway pages through the Flask test client, with the services replaced by recording fakes."""

from __future__ import annotations

import re
import time

import pytest

from services.chassis.config import Settings
from services.gateway.app import DSFR_DIST, create_app
from services.gateway.clients import ServiceError, Unavailable
from tests.support.gateway import (
    EXPERIENCE,
    INTERNAL,
    csrf_of,
    jwt_for,
    login,
    login_as,
    token_for,
)


@pytest.mark.parametrize("path", ["/", "/donner-mon-avis", "/donner-mon-avis/merci",
                                  "/experiences", "/connexion", "/experiences/7",
                                  "/experiences/7/evaluation?token=abc"])
def test_public_pages_render_in_french_on_the_dsfr(client, fakes, path):
    fakes["experiences"].answers[("GET", "/experiences/7")] = EXPERIENCE
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr"' in html
    assert 'class="fr-skiplinks"' in html and 'href="#contenu"' in html
    assert 'id="contenu"' in html and 'class="fr-header"' in html and 'class="fr-footer"' in html
    assert "République<br>Française" in html and "Services Publics+" in html
    assert "/static/dsfr/dsfr.min.css" in html and "dsfr.module.min.js" in html
    assert "dsfr.nomodule.min.js" in html


def test_home_invites_to_give_feedback(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/donner-mon-avis"' in html and "Je donne mon avis" in html


def test_form_has_every_field_with_french_channel_labels(client):
    html = client.get("/donner-mon-avis").get_data(as_text=True)
    for field in ("title", "body", "structure_hint", "postal_code", "channel", "occurred_on",
                  "feeling", "author_name", "author_email"):
        assert f'name="{field}"' in html
    for text in ("Accueil physique", "Téléphone", "Courrier", "Courriel",
                 "Formulaire ou démarche en ligne", "Autre", "Positif", "Neutre", "Négatif"):
        assert text in html
    assert 'for="title"' in html


@pytest.mark.parametrize("peer,forwarded,expected", [
    ("203.0.113.9", "6.6.6.6", "203.0.113.9"),  # a client's own header counts for nothing
    ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # behind our proxy: one per person
])
def test_the_address_passed_on_is_the_one_our_proxy_saw(client, fakes, peer, forwarded, expected):
    fakes["experiences"].answers[("POST", "/experiences")] = {"id": "42", "status": "submitted"}
    token = csrf_of(client.get("/donner-mon-avis").get_data(as_text=True))
    client.post("/donner-mon-avis", data={
        "csrf_token": token, "title": "Titre", "body": "Corps", "structure_hint": "CAF",
        "postal_code": "69003", "channel": "phone", "occurred_on": "2026-11-01",
        "feeling": "neutral", "author_name": "Cam", "author_email": "cam@example.fr"},
        environ_base={"REMOTE_ADDR": peer}, headers={"X-Forwarded-For": forwarded})
    assert fakes["experiences"].calls[-1]["forwarded_for"] == expected


def test_posting_forwards_the_client_address_and_confirms(client, fakes):
    fakes["experiences"].answers[("POST", "/experiences")] = {"id": "42", "status": "submitted"}
    token = csrf_of(client.get("/donner-mon-avis").get_data(as_text=True))
    response = client.post("/donner-mon-avis", data={
        "csrf_token": token, "title": "Titre", "body": "Corps", "structure_hint": "CAF",
        "postal_code": "69003", "channel": "phone", "occurred_on": "2026-11-01",
        "feeling": "neutral", "author_name": "Cam", "author_email": "cam@example.fr"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 302 and response.location.endswith("/donner-mon-avis/merci")
    call = fakes["experiences"].calls[-1]
    assert call["path"] == "/experiences" and call["forwarded_for"] == "203.0.113.9"
    assert call["json"]["channel"] == "phone" and call["json"]["author_email"] == "cam@example.fr"
    assert "csrf_token" not in call["json"]
    assert "bien été envoyée" in client.get(response.location).get_data(as_text=True)


def test_a_missing_field_says_what_to_do_not_that_it_is_required(client, fakes):
    fakes["experiences"].answers[("POST", "/experiences")] = ServiceError(
        422, "validation_error", "Données invalides.",
        {"title": ["Le champ « title » est obligatoire."],
         "channel": ["Le champ « channel » est obligatoire."],
         "postal_code": ["Le code postal doit compter 5 chiffres."]})
    token = csrf_of(client.get("/donner-mon-avis").get_data(as_text=True))
    html = client.post("/donner-mon-avis", data={"csrf_token": token, "postal_code": "69"}) \
        .get_data(as_text=True)
    assert "Donnez un titre à votre expérience." in html
    assert "Choisissez le moyen par lequel vous étiez en contact." in html
    assert "Le code postal doit compter 5 chiffres." in html  # a message that says it already
    assert "Ce champ est obligatoire" not in html and "est obligatoire." not in html


def test_api_field_errors_are_shown_inline_and_summarised(client, fakes):
    fakes["experiences"].answers[("POST", "/experiences")] = ServiceError(
        422, "validation_error", "Données invalides.",
        {"postal_code": ["Le code postal doit compter 5 chiffres."],
         "title": ["Ce champ est obligatoire."]})
    token = csrf_of(client.get("/donner-mon-avis").get_data(as_text=True))
    response = client.post("/donner-mon-avis", data={"csrf_token": token, "postal_code": "69",
                                                     "body": "Mon texte"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="resume-erreurs"' in html and 'role="alert"' in html
    assert 'href="#postal_code"' in html
    group = re.search(r'<div class="fr-input-group fr-input-group--error">\s*<label class="fr-label" '
                      r'for="postal_code">.*?</div>\s*</div>', html, re.S).group(0)
    assert "Le code postal doit compter 5 chiffres." in group
    assert 'class="fr-error-text' in group
    # The hint is in the label: read once, so the field is described by its messages only.
    assert 'aria-describedby="postal_code-messages"' in group
    assert 'aria-invalid="true"' in group
    assert "Mon texte" in html  # what the usager typed is kept


def test_post_without_csrf_token_is_rejected(client, fakes):
    response = client.post("/donner-mon-avis", data={"title": "x"})
    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)
    assert fakes["experiences"].calls == []


def test_author_email_is_never_shown(client, fakes):
    fakes["experiences"].answers[("GET", "/experiences/7")] = EXPERIENCE
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [EXPERIENCE], "total": 1, "page": 1, "per_page": 10}
    for path in ("/experiences/7", "/experiences"):
        html = client.get(path).get_data(as_text=True)
        assert "Accueil à la CAF" in html
        assert "camille@secret.example" not in html
    assert "Merci pour votre retour." in client.get("/experiences/7").get_data(as_text=True)


def test_search_and_pagination_are_passed_to_the_api(client, fakes):
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [EXPERIENCE], "total": 25, "page": 2, "per_page": 10}
    html = client.get("/experiences?q=caf&page=2").get_data(as_text=True)
    assert fakes["experiences"].calls[-1]["params"] == {"q": "caf", "page": 2, "per_page": 10,
                                                        "choices": "true"}
    assert "page=3" in html and "page=1" in html and "Page 2 sur 3" in html


def test_evaluation_posts_token_and_answers(client, fakes):
    html = client.get("/experiences/7/evaluation?token=tok").get_data(as_text=True)
    response = client.post("/experiences/7/evaluation", data={
        "csrf_token": csrf_of(html), "token": "tok", "useful": "true",
        "feeling_after": "positive", "comment": "Merci"})
    assert response.status_code == 302
    call = fakes["experiences"].calls[-1]
    assert call["path"] == "/experiences/7/evaluation"
    assert call["json"] == {"token": "tok", "useful": True, "feeling_after": "positive",
                            "comment": "Merci"}


def test_login_stores_the_token_and_logout_clears_it(client, fakes):
    response = login(client, fakes)
    assert response.status_code == 302 and response.location.endswith("/agent/experiences")
    assert fakes["identity"].calls[-1]["json"] == {"email": "a@b.fr", "password": "secret"}
    with client.session_transaction() as sess:
        assert sess["token"] == jwt_for("agent")
        assert sess["expires_at"] > time.time() + 800
        assert sess["profile"] == "agent"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [EXPERIENCE], "total": 1, "page": 1, "per_page": 20}
    html = client.get("/agent/experiences?status=to_process&q=caf").get_data(as_text=True)
    call = fakes["experiences"].calls[-1]
    assert call["token"] == jwt_for("agent")
    assert call["params"]["status"] == "to_process" and call["params"]["q"] == "caf"
    assert "Je recherche" in html and "À traiter" in html and "En attente de validation" in html
    client.post("/deconnexion", data={"csrf_token": csrf_of(html)})
    with client.session_transaction() as sess:
        assert "token" not in sess


def test_wrong_password_shows_a_french_error(client, fakes):
    fakes["identity"].answers[("POST", "/auth/token")] = ServiceError(
        401, "invalid_credentials", "Identifiants invalides.")
    token = csrf_of(client.get("/connexion").get_data(as_text=True))
    response = client.post("/connexion", data={"csrf_token": token, "email": "a@b.fr",
                                               "password": "x"})
    assert response.status_code == 400
    assert "Adresse électronique ou mot de passe incorrect." in response.get_data(as_text=True)


def test_expired_session_redirects_to_login(client, fakes):
    login(client, fakes, expires_in=10)  # shorter than the safety margin: already expired
    response = client.get("/agent/experiences")
    assert response.status_code == 302 and "/connexion" in response.location


def _login_with_session(client, fakes, expires_in):
    fakes["identity"].answers[("POST", "/auth/token")] = {
        "access_token": jwt_for("agent"), "token_type": "Bearer", "expires_in": expires_in,
        "refresh_token": "r" * 43, "refresh_expires_in": 7200}
    token = csrf_of(client.get("/connexion").get_data(as_text=True))
    client.post("/connexion", data={"csrf_token": token, "email": "a@b.fr", "password": "s"})


def test_a_token_about_to_expire_is_renewed_without_asking_the_agent(client, fakes):
    _login_with_session(client, fakes, expires_in=100)  # under the renewal threshold
    renewed = jwt_for("super_agent", name="Alice Chef")
    fakes["identity"].answers[("POST", "/auth/refresh")] = {
        "access_token": renewed, "token_type": "Bearer", "expires_in": 900,
        "refresh_token": "r" * 43, "refresh_expires_in": 7200}
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [], "total": 0, "page": 1, "per_page": 20}
    response = client.get("/agent/experiences")
    assert response.status_code == 200
    refresh_calls = [c for c in fakes["identity"].calls if c["path"] == "/auth/refresh"]
    assert [c["json"] for c in refresh_calls] == [{"refresh_token": "r" * 43}]
    # Identity counts failed renewals per address: the agent's, not the gateway's.
    assert refresh_calls[0]["forwarded_for"] == "127.0.0.1"
    assert fakes["experiences"].calls[-1]["token"] == renewed
    with client.session_transaction() as sess:
        assert sess["token"] == renewed and sess["profile"] == "super_agent"
        assert sess["expires_at"] > time.time() + 800
    client.get("/agent/experiences")  # fresh now: no second renewal
    assert len([c for c in fakes["identity"].calls if c["path"] == "/auth/refresh"]) == 1


def test_a_form_opened_before_a_renewal_is_still_accepted_after_it(client, fakes):
    """Another tab renews the session while a response is being written in this one: the form,
    with the CSRF token it was given, must still go through."""
    writer = token_for("agent", missions=("answer",))
    tokens = {"access_token": writer, "token_type": "Bearer", "expires_in": 100,
              "refresh_token": "r" * 43, "refresh_expires_in": 7200}
    fakes["identity"].answers[("POST", "/auth/token")] = tokens
    fakes["identity"].answers[("POST", "/auth/refresh")] = tokens
    token = csrf_of(client.get("/connexion").get_data(as_text=True))
    client.post("/connexion", data={"csrf_token": token, "email": "a@b.fr", "password": "s"})
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(INTERNAL, status="to_process")
    with client.session_transaction() as sess:
        sess["expires_at"] = time.time() + 1000  # not due yet: this page renews nothing
    page = client.get("/agent/experiences/7").get_data(as_text=True)
    with client.session_transaction() as sess:
        sess["expires_at"] = time.time() + 60  # due: the other tab's next page renews it
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [], "total": 0, "page": 1, "per_page": 20}
    assert client.get("/agent/experiences").status_code == 200
    assert [c["path"] for c in fakes["identity"].calls].count("/auth/refresh") == 1
    saved = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(page), "action": "brouillon", "body": "Bonjour."})
    assert saved.status_code == 302
    assert fakes["experiences"].calls[-1]["path"] == "/experiences/7/response"


def test_a_renewal_throttled_by_identity_keeps_the_session(client, fakes):
    _login_with_session(client, fakes, expires_in=100)
    fakes["identity"].answers[("POST", "/auth/refresh")] = ServiceError(
        429, "rate_limited", "Trop de tentatives.", retry_after="30")
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [], "total": 0, "page": 1, "per_page": 20}
    assert client.get("/agent/experiences").status_code == 200
    with client.session_transaction() as sess:
        assert sess["token"] == jwt_for("agent") and sess["refresh_token"] == "r" * 43


def test_an_ended_session_sends_the_agent_to_the_login_page(client, fakes):
    _login_with_session(client, fakes, expires_in=100)
    fakes["identity"].answers[("POST", "/auth/refresh")] = ServiceError(
        401, "session_expired", "Votre session a expiré.")
    response = client.get("/agent/experiences")
    assert response.status_code == 302 and "/connexion" in response.location
    with client.session_transaction() as sess:
        assert "token" not in sess and "refresh_token" not in sess


def test_logout_ends_the_session_at_identity(client, fakes):
    _login_with_session(client, fakes, expires_in=900)
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [], "total": 0, "page": 1, "per_page": 20}
    html = client.get("/agent/experiences").get_data(as_text=True)
    client.post("/deconnexion", data={"csrf_token": csrf_of(html)})
    assert fakes["identity"].calls[-1]["path"] == "/auth/logout"
    assert fakes["identity"].calls[-1]["json"] == {"refresh_token": "r" * 43}


def test_agent_answers_then_submits(client, fakes):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    draft = dict(INTERNAL, status="to_process", response=None)
    fakes["experiences"].answers[("GET", "/experiences/7")] = draft
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    assert "Répondre à l'usager" in html and "camille@secret.example" not in html
    response = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(html), "body": "Bonjour", "closing": "Cordialement",
        "signature": "La CAF"})
    assert response.status_code == 302
    puts = [c for c in fakes["experiences"].calls if c["method"] != "GET"]
    assert [(c["method"], c["path"]) for c in puts] == [
        ("PUT", "/experiences/7/response"), ("POST", "/experiences/7/response/submit")]
    assert puts[0]["json"] == {"body": "Bonjour", "closing": "Cordialement", "signature": "La CAF"}


@pytest.mark.parametrize(("status", "said"), [
    ("awaiting_validation",
     "quand un super agent de la structure ou d&#39;une structure parente l&#39;aura validée"),
    ("answered", "Votre réponse est publiée. L&#39;usager en est informé par courriel."),
])
def test_agent_is_told_what_happens_to_the_response(client, fakes, status, said):
    login_as(client, fakes, missions=("answer",))  # drafting needs the mission
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(
        INTERNAL, status="to_process", response=None)
    fakes["experiences"].answers[("POST", "/experiences/7/response/submit")] = dict(
        INTERNAL, status=status)
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    page = client.post("/agent/experiences/7", data={"csrf_token": csrf_of(html), "body": "Bonjour"},
                       follow_redirects=True).get_data(as_text=True)
    assert said in page


def test_super_agent_sees_and_uses_the_validate_button(client, fakes):
    login(client, fakes, profile="super_agent")
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(
        INTERNAL, status="awaiting_validation")
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    assert "Valider la réponse" in html
    client.post("/agent/experiences/7/validation", data={"csrf_token": csrf_of(html)})
    assert fakes["experiences"].calls[-1]["path"] == "/experiences/7/response/validate"


def test_agent_cannot_validate(client, fakes):
    login(client, fakes, profile="agent")
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(
        INTERNAL, status="awaiting_validation")
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    assert "Valider la réponse" not in html
    assert client.post("/agent/experiences/7/validation",
                       data={"csrf_token": csrf_of(html)}).status_code == 403


CASE = {"id": "c1", "experience_id": "7", "status": "pending",
        "body": "Appelez-moi au 06 12 34 56 78 svp", "flags": [{"kind": "phone", "start": 15,
                                                              "end": 29}],
        "redacted_body": "Appelez-moi au [numéro masqué] svp",
        "suggested_structures": [{"id": "s9", "name": "CAF du Rhône", "score": 0.8}]}


def test_moderator_case_page_highlights_flags_and_approves(client, fakes):
    login(client, fakes, profile="moderator")
    fakes["moderation"].answers[("GET", "/cases")] = {
        "items": [dict(CASE, created_at="2026-01-01T00:00:00+00:00")], "total": 1, "page": 1,
        "per_page": 20}
    assert "il y a" in client.get("/moderation").get_data(as_text=True)
    fakes["moderation"].answers[("GET", "/cases/c1")] = CASE
    fakes["identity"].answers[("GET", "/structures")] = {"items": [{"id": "s2", "name": "CPAM"}]}
    html = client.get("/moderation/cas/c1?structure_q=cpam").get_data(as_text=True)
    assert '<mark title="Numéro de téléphone">06 12 34 56 78</mark>' in html
    assert "[numéro masqué]" in html and "CAF du Rhône" in html and "CPAM" in html
    assert fakes["identity"].calls[-1]["params"] == {"q": "cpam"}
    response = client.post("/moderation/cas/c1/approbation",
                           data={"csrf_token": csrf_of(html), "structure_id": "s9"})
    assert response.status_code == 302
    assert fakes["moderation"].calls[-1]["path"] == "/cases/c1/approve"
    assert fakes["moderation"].calls[-1]["json"] == {"structure_id": "s9"}


def test_moderator_rejects_with_a_reason(client, fakes):
    login(client, fakes, profile="moderator")
    fakes["moderation"].answers[("GET", "/cases/c1")] = CASE
    html = client.get("/moderation/cas/c1").get_data(as_text=True)
    assert "Données personnelles" in html
    bad = client.post("/moderation/cas/c1/refus", data={"csrf_token": csrf_of(html)})
    assert bad.status_code == 400 and "Choisissez un motif de refus." in bad.get_data(as_text=True)
    client.post("/moderation/cas/c1/refus", data={"csrf_token": csrf_of(html),
                                                 "reason": "personal_data"})
    assert fakes["moderation"].calls[-1]["json"] == {"reason": "personal_data"}


def test_agents_cannot_open_the_moderation_queue(client, fakes):
    login(client, fakes, profile="agent")
    assert client.get("/moderation").status_code == 403


@pytest.mark.parametrize("target", ["//evil.example/", "/%09/evil.example", "/%0d%0a/evil.example",
                                    "/%5cevil.example"])
def test_login_never_redirects_off_site(client, fakes, target):
    fakes["identity"].answers[("POST", "/auth/token")] = {
        "access_token": jwt_for("agent"), "expires_in": 900}
    token = csrf_of(client.get("/connexion").get_data(as_text=True))
    response = client.post(f"/connexion?next={target}", data={
        "csrf_token": token, "email": "a@b.fr", "password": "x"})
    assert response.status_code == 302
    assert response.location.endswith("/agent/experiences")


@pytest.mark.skipif(not DSFR_DIST.is_dir(), reason="npm install not run in services/gateway")
def test_dsfr_static_route_serves_the_css_with_long_cache(client):
    response = client.get("/static/dsfr/dsfr.min.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert client.get("/static/dsfr/../package.json").status_code == 404


def test_secret_key_is_shared_through_the_var_file(tmp_path, monkeypatch, fakes):
    monkeypatch.delenv("SPP_SECRET_KEY", raising=False)
    first = create_app(Settings.from_env("gateway"), clients=fakes, var_dir=tmp_path)
    second = create_app(Settings.from_env("gateway"), clients=fakes, var_dir=tmp_path)
    assert first.secret_key == second.secret_key and len(first.secret_key) > 40
    monkeypatch.setenv("SPP_SECRET_KEY", "from-env")
    assert create_app(Settings.from_env("gateway"), clients=fakes,
                      var_dir=tmp_path).secret_key == "from-env"


def test_profile_sets_the_notification_frequency(client, fakes):
    login(client, fakes)
    fakes["identity"].answers[("GET", "/me")] = {"id": "1", "name": "Alice", "email": "a@b.fr",
                                                 "profile": "agent",
                                                 "notification_frequency": "daily"}
    html = client.get("/agent/profil").get_data(as_text=True)
    assert re.search(r'value="daily"\s+checked', html) and "Une fois par jour" in html
    response = client.post("/agent/profil", data={"csrf_token": csrf_of(html),
                                                  "notification_frequency": "weekly"})
    assert response.status_code == 302
    call = [c for c in fakes["identity"].calls if c["method"] == "PATCH"][-1]
    assert call["path"] == "/me/preferences"
    assert call["json"] == {"notification_frequency": "weekly"} and call["token"] == jwt_for("agent")


def test_login_page_links_to_forgotten_password(client):
    html = client.get("/connexion").get_data(as_text=True)
    assert 'href="/mot-de-passe-oublie"' in html and "Mot de passe oublié" in html


def _show_boxes(html: str) -> list[tuple[str, str]]:
    """The DSFR password fields' « Afficher » boxes: (the field they show, what they say)."""
    return re.findall(r'<input aria-label="([^"]+)" id="([\w-]+)-show" type="checkbox">', html)


@pytest.mark.parametrize(("page", "boxes"), [
    ("/connexion", [("Afficher le mot de passe", "password")]),
    ("/mot-de-passe?token=t", [("Afficher le mot de passe", "password"),
                               ("Afficher la confirmation du mot de passe", "confirmation")]),
])
def test_each_password_field_can_show_what_was_typed_and_the_box_is_never_sent(client, page, boxes):
    html = client.get(page).get_data(as_text=True)
    assert _show_boxes(html) == boxes
    for _, field in boxes:
        assert f'class="fr-password" id="{field}-field"' in html
        assert re.search(rf'class="fr-input fr-password__input" id="{field}" name="{field}" '
                         rf'type="password"\s+value=""', html)
        assert f'<label class="fr-password__checkbox fr-label" for="{field}-show">Afficher</label>' in html
    assert 'name="password-show"' not in html and 'name="confirmation-show"' not in html


@pytest.mark.parametrize("answer", [{}, ServiceError(404, "not_found", "Inconnu")])
def test_forgotten_password_confirms_the_same_way_whatever_the_address(client, fakes, answer):
    fakes["identity"].answers[("POST", "/auth/password-reset")] = answer
    page = client.get("/mot-de-passe-oublie")
    assert page.status_code == 200 and 'for="email"' in page.get_data(as_text=True)
    response = client.post("/mot-de-passe-oublie", data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "email": "x@y.fr"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Si un compte correspond à cette adresse" in html and "x@y.fr" not in html
    call = fakes["identity"].calls[-1]
    assert call["path"] == "/auth/password-reset" and call["json"] == {"email": "x@y.fr"}


def test_forgotten_password_requires_an_address_and_csrf(client, fakes):
    token = csrf_of(client.get("/mot-de-passe-oublie").get_data(as_text=True))
    response = client.post("/mot-de-passe-oublie", data={"csrf_token": token, "email": ""})
    assert response.status_code == 400
    assert "Saisissez votre adresse électronique." in response.get_data(as_text=True)
    assert client.post("/mot-de-passe-oublie", data={"email": "x@y.fr"}).status_code == 400
    assert fakes["identity"].calls == []


def test_set_password_posts_token_and_password_then_goes_to_login(client, fakes):
    page = client.get("/mot-de-passe?token=tok123")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="token" value="tok123"' in html and "Au moins 12 caractères" in html
    assert 'for="password"' in html and 'for="confirmation"' in html
    response = client.post("/mot-de-passe", data={
        "csrf_token": csrf_of(html), "token": "tok123",
        "password": "une phrase assez longue", "confirmation": "une phrase assez longue"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/connexion")
    call = fakes["identity"].calls[-1]
    assert call["path"] == "/auth/password"
    assert call["json"] == {"token": "tok123", "password": "une phrase assez longue"}
    assert "Votre mot de passe est enregistré" in client.get("/connexion").get_data(as_text=True)


def test_set_password_shows_identity_field_errors_inline(client, fakes):
    fakes["identity"].answers[("POST", "/auth/password")] = ServiceError(
        400, "invalid", "Données invalides",
        {"password": ["Au moins 12 caractères."], "token": ["Ce lien a expiré."]})
    html = client.get("/mot-de-passe?token=old").get_data(as_text=True)
    response = client.post("/mot-de-passe", data={
        "csrf_token": csrf_of(html), "token": "old", "password": "court", "confirmation": "court"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="password-error-1">Au moins 12 caractères.' in page
    assert "Ce lien a expiré." in page and 'aria-invalid="true"' in page


def test_set_password_checks_confirmation_and_link(client, fakes):
    html = client.get("/mot-de-passe?token=t").get_data(as_text=True)
    response = client.post("/mot-de-passe", data={
        "csrf_token": csrf_of(html), "token": "t", "password": "a" * 12, "confirmation": "b"})
    assert response.status_code == 400
    assert "Les deux mots de passe ne sont pas identiques." in response.get_data(as_text=True)
    # Only the link's check when the page opened: the password itself was not sent.
    assert [c["path"] for c in fakes["identity"].calls] == ["/auth/password-link"]
    assert "Le lien est incomplet" in client.get("/mot-de-passe").get_data(as_text=True)


def test_a_used_link_says_so_before_any_password_is_typed(client, fakes):
    fakes["identity"].answers[("POST", "/auth/password-link")] = ServiceError(
        410, "gone", "Lien invalide, déjà utilisé ou expiré.",
        {"token": ["Lien invalide, déjà utilisé ou expiré."]})
    html = client.get("/mot-de-passe?token=used").get_data(as_text=True)
    assert fakes["identity"].calls[-1]["json"] == {"token": "used"}
    assert "Ce lien est invalide, déjà utilisé ou expiré" in html
    assert 'name="password"' not in html and 'value="used"' not in html
    assert 'href="/mot-de-passe-oublie"' in html


def test_a_link_check_that_fails_otherwise_still_shows_the_form(client, fakes):
    fakes["identity"].answers[("POST", "/auth/password-link")] = ServiceError(
        429, "too_many_requests", "Trop de demandes.")
    html = client.get("/mot-de-passe?token=t").get_data(as_text=True)
    assert 'name="password"' in html and 'name="token" value="t"' in html


def test_a_short_password_is_said_with_the_mismatch(client, fakes):
    html = client.get("/mot-de-passe?token=t").get_data(as_text=True)
    response = client.post("/mot-de-passe", data={
        "csrf_token": csrf_of(html), "token": "t", "password": "abc", "confirmation": "abd"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert [c["path"] for c in fakes["identity"].calls] == ["/auth/password-link"]
    assert 'id="password-error-1">Le mot de passe doit contenir au moins 12 caractères.' in page
    assert 'id="confirmation-error-1">Les deux mots de passe ne sont pas identiques.' in page


def to_process(fakes):
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(
        INTERNAL, status="to_process", response=None, structure_id="10")
    fakes["identity"].answers[("GET", "/structures")] = {"items": [
        {"id": "11", "name": "CAF du Rhône — Lyon 3e"}, {"id": "12", "name": "CAF — Villeurbanne"}],
        "total": 2, "page": 1, "per_page": 20}


def test_agent_moves_an_experience_to_a_child_structure(client, fakes):
    login(client, fakes)
    to_process(fakes)
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    lookup = [c for c in fakes["identity"].calls if c["path"] == "/structures"][-1]
    assert lookup["params"] == {"parent_id": "10", "page": 1, "per_page": 500}
    assert "Déplacer vers une structure fille" in html and 'for="structure_id"' in html
    assert '<option value="11"' in html and "CAF — Villeurbanne" in html
    response = client.post("/agent/experiences/7/deplacement",
                           data={"csrf_token": csrf_of(html), "structure_id": "12"})
    assert response.status_code == 302 and response.location.endswith("/agent/experiences/7")
    call = fakes["experiences"].calls[-1]
    assert (call["method"], call["path"]) == ("POST", "/experiences/7/reassign")
    assert call["json"] == {"structure_id": "12"}


def test_move_offers_neither_a_deactivated_child_nor_the_structure_itself(client, fakes):
    login(client, fakes)
    to_process(fakes)
    fakes["identity"].answers[("GET", "/structures")] = {"items": [
        {"id": "10", "name": "CAF du Rhône"},
        {"id": "11", "name": "CAF — Lyon 3e", "active": True},
        {"id": "13", "name": "CAF — Agence fermée", "active": False}],
        "total": 3, "page": 1, "per_page": 500}
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    assert '<option value="11"' in html
    assert '<option value="13"' not in html and "Agence fermée" not in html
    assert '<option value="10"' not in html


def test_move_shows_the_api_field_error_inline(client, fakes):
    login(client, fakes)
    to_process(fakes)
    fakes["experiences"].answers[("POST", "/experiences/7/reassign")] = ServiceError(
        400, "invalid", "Données invalides", {"structure_id": ["Pas une structure fille."]})
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    response = client.post("/agent/experiences/7/deplacement",
                           data={"csrf_token": csrf_of(html), "structure_id": "99"})
    assert response.status_code == 400
    assert 'id="structure_id-error-1">Pas une structure fille.' in response.get_data(as_text=True)
    assert client.post("/agent/experiences/7/deplacement",
                       data={"structure_id": "12"}).status_code == 400  # no CSRF token


def test_agent_asks_for_a_reorientation(client, fakes):
    login(client, fakes)
    to_process(fakes)
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    assert "Demander une réorientation" in html and 'for="reason"' in html
    empty = client.post("/agent/experiences/7/reorientation",
                        data={"csrf_token": csrf_of(html), "reason": " "})
    assert empty.status_code == 400 and 'id="reason-error-1"' in empty.get_data(as_text=True)
    response = client.post("/agent/experiences/7/reorientation",
                           data={"csrf_token": csrf_of(html), "reason": "Concerne la CPAM."})
    assert response.status_code == 302
    call = fakes["experiences"].calls[-1]
    assert (call["method"], call["path"]) == ("POST", "/experiences/7/reorientation")
    assert call["json"] == {"reason": "Concerne la CPAM."}


def test_answered_experience_has_no_orientation_forms(client, fakes):
    login(client, fakes)
    fakes["experiences"].answers[("GET", "/experiences/7")] = INTERNAL
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    assert "Demander une réorientation" not in html


def test_agent_lists_improvement_actions(client, fakes):
    login(client, fakes)
    fakes["experiences"].answers[("GET", "/improvement-actions")] = {"items": [
        {"id": "3", "title": "Nouveaux horaires", "description": "Ouvert le samedi.",
         "date": "2026-11-20", "structure_id": "10", "experience_ids": ["7"]}],
        "total": 1, "page": 1, "per_page": 20}
    response = client.get("/agent/actions")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nouveaux horaires" in html and "Ouvert le samedi." in html
    assert 'href="/agent/actions/nouvelle"' in html and 'href="/agent/actions"' in html
    assert client.get("/agent/actions").status_code == 200
    client.post("/deconnexion", data={"csrf_token": csrf_of(html)})
    assert client.get("/agent/actions").status_code == 302


def action_setup(fakes):
    fakes["identity"].answers[("GET", "/me")] = {"id": "1", "structure_ids": ["10", "20"]}
    fakes["identity"].answers[("GET", "/structures/10")] = {"id": "10", "name": "CAF du Rhône"}
    fakes["identity"].answers[("GET", "/structures/20")] = {"id": "20", "name": "CAF de l'Ain"}
    fakes["experiences"].answers[("GET", "/experiences")] = {"items": [
        dict(EXPERIENCE), dict(EXPERIENCE, id="8", title="Guichet fermé")],
        "total": 2, "page": 1, "per_page": 100}


def test_agent_creates_an_improvement_action(client, fakes):
    login(client, fakes)
    action_setup(fakes)
    html = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    listing = [c for c in fakes["experiences"].calls if c["path"] == "/experiences"][-1]
    assert listing["params"]["status"] == "answered"
    for field in ("title", "description", "date", "structure_id"):
        assert f'for="{field}"' in html
    assert '<option value="20"' in html and "CAF de l&#39;Ain" in html
    assert 'id="experience_ids-8"' in html and "Guichet fermé" in html
    assert "camille@secret.example" not in html
    response = client.post("/agent/actions/nouvelle", data={
        "csrf_token": csrf_of(html), "title": "Horaires", "description": "Samedi matin.",
        "date": "2026-12-01", "structure_id": "10", "experience_ids": ["7", "8"]})
    assert response.status_code == 302 and response.location.endswith("/agent/actions")
    call = [c for c in fakes["experiences"].calls if c["method"] == "POST"][-1]
    assert call["path"] == "/improvement-actions"
    assert call["json"] == {"title": "Horaires", "description": "Samedi matin.",
                            "date": "2026-12-01", "structure_id": "10",
                            "experience_ids": ["7", "8"]}


def test_improvement_action_errors_are_inline_and_choices_kept(client, fakes):
    login(client, fakes)
    action_setup(fakes)
    fakes["experiences"].answers[("POST", "/improvement-actions")] = ServiceError(
        400, "invalid", "Données invalides",
        {"experience_ids": ["Choisissez au moins une expérience."], "date": ["Date invalide."]})
    html = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    response = client.post("/agent/actions/nouvelle", data={
        "csrf_token": csrf_of(html), "title": "Horaires", "description": "x",
        "date": "2026-12-01", "structure_id": "20", "experience_ids": "7"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="experience_ids-error-1">Choisissez au moins une expérience.' in page
    assert 'id="date-error-1">Date invalide.' in page
    assert 'value="Horaires"' in page and '<option value="20" selected' in page
    assert client.post("/agent/actions/nouvelle", data={"title": "x"}).status_code == 400


REORIENTATION = dict(CASE, id="c2", kind="reorientation", reason="Concerne la CPAM.")


def test_moderator_reroutes_a_reorientation_case(client, fakes):
    login(client, fakes, profile="moderator")
    fakes["moderation"].answers[("GET", "/cases/c2")] = REORIENTATION
    fakes["identity"].answers[("GET", "/structures")] = {"items": [
        {"id": "s2", "name": "CPAM", "city": "Lyon"}]}
    html = client.get("/moderation/cas/c2?structure_q=cpam").get_data(as_text=True)
    assert "Demande de réorientation" in html and "Concerne la CPAM." in html
    assert "Réorienter vers une autre structure" in html and 'id="structure_id-s2"' in html
    assert "/moderation/cas/c2/approbation" not in html and '/moderation/cas/c2/refus"' not in html
    response = client.post("/moderation/cas/c2/reorientation", data={
        "csrf_token": csrf_of(html), "structure_id": "s2", "comment": "Bonne caisse."})
    assert response.status_code == 302 and response.location.endswith("/moderation")
    call = fakes["moderation"].calls[-1]
    assert (call["method"], call["path"]) == ("POST", "/cases/c2/reroute")
    assert call["json"] == {"structure_id": "s2", "comment": "Bonne caisse."}


def test_reroute_requires_a_structure_and_shows_api_errors(client, fakes):
    login(client, fakes, profile="moderator")
    fakes["moderation"].answers[("GET", "/cases/c2")] = REORIENTATION
    html = client.get("/moderation/cas/c2").get_data(as_text=True)
    empty = client.post("/moderation/cas/c2/reorientation", data={"csrf_token": csrf_of(html)})
    assert empty.status_code == 400 and "Choisissez une structure." in empty.get_data(as_text=True)
    fakes["moderation"].answers[("POST", "/cases/c2/reroute")] = ServiceError(
        422, "validation_error", "Certains champs sont invalides.",
        {"structure_id": ["L'expérience est déjà rattachée à cette structure."]})
    bad = client.post("/moderation/cas/c2/reorientation",
                      data={"csrf_token": csrf_of(html), "structure_id": "s9"})
    assert bad.status_code == 400
    assert "déjà rattachée à cette structure" in bad.get_data(as_text=True)


def test_moderator_declines_a_reorientation_with_an_explanation(client, fakes):
    login(client, fakes, profile="moderator")
    fakes["moderation"].answers[("GET", "/cases/c2")] = REORIENTATION
    html = client.get("/moderation/cas/c2").get_data(as_text=True)
    assert "Refuser la réorientation" in html and 'for="decline_comment"' in html
    empty = client.post("/moderation/cas/c2/refus-reorientation",
                        data={"csrf_token": csrf_of(html), "decline_comment": "  "})
    assert empty.status_code == 400
    assert 'id="decline_comment-error-1"' in empty.get_data(as_text=True)
    assert not [c for c in fakes["moderation"].calls if c["method"] == "POST"]
    fakes["moderation"].answers[("POST", "/cases/c2/decline")] = ServiceError(
        422, "validation_error", "Certains champs sont invalides.",
        {"comment": ["Longueur maximale : 2000."]})
    bad = client.post("/moderation/cas/c2/refus-reorientation",
                      data={"csrf_token": csrf_of(html), "decline_comment": "x"})
    assert bad.status_code == 400
    assert 'id="decline_comment-error-1">Longueur maximale' in bad.get_data(as_text=True)
    fakes["moderation"].answers[("POST", "/cases/c2/decline")] = {}
    response = client.post("/moderation/cas/c2/refus-reorientation", data={
        "csrf_token": csrf_of(html), "decline_comment": "Le guichet cité est le vôtre."})
    assert response.status_code == 302 and response.location.endswith("/moderation")
    call = fakes["moderation"].calls[-1]
    assert (call["method"], call["path"]) == ("POST", "/cases/c2/decline")
    assert call["json"] == {"comment": "Le guichet cité est le vôtre."}


def test_agent_reads_and_adds_internal_comments(client, fakes):
    login(client, fakes)
    to_process(fakes)
    fakes["experiences"].answers[("GET", "/experiences/7/comments")] = {"items": [
        {"id": "k1", "author_name": "Modération", "created_at": "2026-03-05T23:30:00+00:00",
         "body": "Demande de réorientation refusée : le guichet est le vôtre."}]}
    html = client.get("/agent/experiences/7").get_data(as_text=True)
    assert "Commentaires internes" in html
    assert "Demande de réorientation refusée : le guichet est le vôtre." in html
    assert "06/03/2026" in html  # Paris time: already the next day
    empty = client.post("/agent/experiences/7/commentaire",
                        data={"csrf_token": csrf_of(html), "comment_body": " "})
    assert empty.status_code == 400
    assert 'id="comment_body-error-1"' in empty.get_data(as_text=True)
    fakes["experiences"].answers[("POST", "/experiences/7/comments")] = ServiceError(
        422, "validation_error", "Certains champs sont invalides.",
        {"body": ["Longueur maximale : 5000."]})
    long = client.post("/agent/experiences/7/commentaire",
                       data={"csrf_token": csrf_of(html), "comment_body": "x"})
    assert long.status_code == 400
    assert 'id="comment_body-error-1">Longueur maximale' in long.get_data(as_text=True)
    fakes["experiences"].answers[("POST", "/experiences/7/comments")] = {}
    response = client.post("/agent/experiences/7/commentaire",
                           data={"csrf_token": csrf_of(html), "comment_body": "Vu, je réponds."})
    assert response.status_code == 302 and response.location.endswith("#commentaires")
    call = fakes["experiences"].calls[-1]
    assert (call["method"], call["path"]) == ("POST", "/experiences/7/comments")
    assert call["json"] == {"body": "Vu, je réponds."}


def test_comments_unavailable_do_not_break_the_page(client, fakes):
    login(client, fakes)
    to_process(fakes)
    fakes["experiences"].answers[("GET", "/experiences/7/comments")] = Unavailable(
        503, "unavailable", "Indisponible")
    response = client.get("/agent/experiences/7")
    assert response.status_code == 200 and "Aucun commentaire" in response.get_data(as_text=True)


def test_agents_cannot_reroute(client, fakes):
    login(client, fakes)
    html = client.get("/agent/experiences").get_data(as_text=True)
    response = client.post("/moderation/cas/c2/reorientation",
                           data={"csrf_token": csrf_of(html), "structure_id": "s2"})
    assert response.status_code == 403
    assert not [c for c in fakes["moderation"].calls if c["method"] == "POST"]


# Error pages: French, on the DSFR, whatever went wrong -------------------------------------------
def assert_french_error_page(response, status, title):
    html = response.get_data(as_text=True)
    assert response.status_code == status and response.mimetype == "text/html"
    assert '<html lang="fr"' in html and 'class="fr-header"' in html
    assert f"<h1>{title}</h1>" in html and f"Erreur {status}" in html
    return html


def test_a_forbidden_page_is_french_html_not_json(client, fakes):
    login(client, fakes, profile="agent")
    assert_french_error_page(client.get("/moderation"), 403, "Accès refusé")


def test_a_wrong_method_is_a_french_page_that_keeps_the_allow_header(client):
    response = client.get("/deconnexion")
    assert_french_error_page(response, 405, "Action impossible")
    assert "POST" in response.headers["Allow"]


def test_an_unexpected_error_is_a_french_500_page_without_details(client, fakes):
    fakes["experiences"].answers[("GET", "/experiences")] = RuntimeError("secret details")
    html = assert_french_error_page(client.get("/experiences"), 500, "Erreur inattendue")
    assert "secret details" not in html and "Traceback" not in html


@pytest.mark.parametrize("fault", [OverflowError("date value out of range"),
                                   UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogate")])
def test_a_fault_the_services_answer_in_json_is_an_error_page_here(client, fakes, fault):
    """The chassis turns these into a JSON 422 for its APIs; on a page they are the page's own
    fault, and the page says so in French."""
    fakes["experiences"].answers[("GET", "/experiences")] = fault
    response = client.get("/experiences")
    assert response.mimetype == "text/html"
    assert_french_error_page(response, 500, "Erreur inattendue")


def test_an_unknown_page_is_a_french_404(client):
    assert_french_error_page(client.get("/nulle-part"), 404, "Page non trouvée")


def test_an_agent_outside_the_scope_gets_the_403_page(client, fakes):
    """The API gives staff outside the scope the public view of a published experience."""
    login(client, fakes)
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(EXPERIENCE,
                                                                   status="to_process")
    html = assert_french_error_page(client.get("/agent/experiences/7"), 403, "Accès refusé")
    assert "Répondre à l'usager" not in html
    token = csrf_of(html)
    response = client.post("/agent/experiences/7/reorientation",
                           data={"csrf_token": token, "reason": ""})
    assert_french_error_page(response, 403, "Accès refusé")


@pytest.mark.parametrize("status,title", [(403, "Accès refusé"), (404, "Page non trouvée")])
def test_the_api_403_and_404_give_the_matching_page(client, fakes, status, title):
    login(client, fakes)
    fakes["experiences"].answers[("GET", "/experiences/7")] = ServiceError(
        status, "out_of_scope", "Cette expérience n'est pas dans votre périmètre.")
    assert_french_error_page(client.get("/agent/experiences/7"), status, title)


# Moderation queue ----------------------------------------------------------------------------------
def test_the_queue_counts_flags_from_the_api_flag_count(client, fakes):
    login(client, fakes, profile="moderator")
    fakes["moderation"].answers[("GET", "/cases")] = {"items": [
        {"id": "c1", "experience_id": "7", "kind": "new_experience", "status": "pending",
         "title": "Guichet fermé", "flag_count": 3, "created_at": "2026-01-01T00:00:00+00:00"}],
        "total": 1, "page": 1, "per_page": 20}
    html = client.get("/moderation").get_data(as_text=True)
    assert re.search(r"Guichet fermé</a></td>\s*<td>3</td>", html)


# Dates shown and typed --------------------------------------------------------------------------
def test_pages_show_dates_in_french_and_in_paris_time(client, fakes):
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [EXPERIENCE], "total": 1, "page": 1, "per_page": 10}
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(EXPERIENCE, improvement_actions=[
        {"id": "3", "title": "Horaires", "description": "Samedi.", "date": "2026-12-01"}])
    assert "le 02/11/2026" in client.get("/experiences").get_data(as_text=True)
    html = client.get("/experiences/7").get_data(as_text=True)
    assert "le 02/11/2026" in html and "01/12/2026" in html and "2026-12-01" not in html
    login(client, fakes)
    fakes["experiences"].answers[("GET", "/experiences")] = {"items": [dict(
        INTERNAL, published_at="2026-11-02T23:30:00+00:00")], "total": 1, "page": 1, "per_page": 20}
    html = client.get("/agent/experiences").get_data(as_text=True)
    assert "<td>03/11/2026</td>" in html and "2026-11-02T23:30" not in html


def test_a_date_typed_the_french_way_is_sent_in_iso(client, fakes):
    fakes["experiences"].answers[("POST", "/experiences")] = {"id": "42", "status": "submitted"}
    token = csrf_of(client.get("/donner-mon-avis").get_data(as_text=True))
    response = client.post("/donner-mon-avis", data={
        "csrf_token": token, "title": "Titre", "occurred_on": "05/03/2026"})
    assert response.status_code == 302
    assert fakes["experiences"].calls[-1]["json"]["occurred_on"] == "2026-03-05"


@pytest.mark.parametrize("typed", ["31/02/2026", "hier", "2026-13-01"])
def test_an_invalid_date_is_a_french_field_error(client, fakes, typed):
    token = csrf_of(client.get("/donner-mon-avis").get_data(as_text=True))
    response = client.post("/donner-mon-avis", data={
        "csrf_token": token, "title": "Titre", "occurred_on": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="occurred_on-error-1">Saisissez une date valide au format JJ/MM/AAAA' in html
    assert 'href="#occurred_on"' in html and 'value="Titre"' in html
    assert fakes["experiences"].calls == []


def test_an_improvement_action_date_typed_the_french_way_is_sent_in_iso(client, fakes):
    login(client, fakes)
    action_setup(fakes)
    html = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    client.post("/agent/actions/nouvelle", data={
        "csrf_token": csrf_of(html), "title": "Horaires", "description": "x",
        "date": "1/12/2026", "structure_id": "10", "experience_ids": ["7"]})
    assert [c for c in fakes["experiences"].calls
            if c["method"] == "POST"][-1]["json"]["date"] == "2026-12-01"
    bad = client.post("/agent/actions/nouvelle", data={
        "csrf_token": csrf_of(html), "title": "Horaires", "description": "x",
        "date": "32/12/2026", "structure_id": "10", "experience_ids": ["7"]})
    assert bad.status_code == 400 and 'id="date-error-1">Saisissez une date valide' in \
        bad.get_data(as_text=True)


# Query strings -------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw,sent", [("99999999999999999999", 10000), ("10001", 10000),
                                      ("-4", 1), ("0", 1), ("deux", 1), ("3", 3)])
def test_page_numbers_are_clamped(client, fakes, raw, sent):
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [], "total": 0, "page": sent, "per_page": 10}
    assert client.get(f"/experiences?page={raw}").status_code == 200
    assert fakes["experiences"].calls[-1]["params"]["page"] == sent


def test_search_text_loses_control_characters_and_is_cut_at_200(client, fakes):
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [], "total": 0, "page": 1, "per_page": 10}
    client.get("/experiences", query_string={"q": " caf\x00\x1b du\tRhône " + "x" * 300})
    sent = fakes["experiences"].calls[-1]["params"]["q"]
    assert sent.startswith("caf duRhône x") and len(sent) == 200
    login(client, fakes)
    client.get("/agent/experiences", query_string={"q": "a\x07b"})
    assert fakes["experiences"].calls[-1]["params"]["q"] == "ab"


# API messages next to their field ----------------------------------------------------------------
def test_api_messages_naming_the_field_read_ce_champ_next_to_it(client, fakes):
    fakes["experiences"].answers[("POST", "/experiences")] = ServiceError(
        422, "validation_error", "Certains champs sont invalides.",
        {"postal_code": ["Le champ « postal_code » doit contenir 5 chiffres."]})
    token = csrf_of(client.get("/donner-mon-avis").get_data(as_text=True))
    html = client.post("/donner-mon-avis", data={"csrf_token": token, "postal_code": "69"}
                       ).get_data(as_text=True)
    assert 'id="postal_code-error-1">Ce champ doit contenir 5 chiffres.' in html
    assert "Code postal du service : Ce champ doit contenir 5 chiffres." in html
    assert "« postal_code »" not in html
