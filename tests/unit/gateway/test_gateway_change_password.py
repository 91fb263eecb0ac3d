"""« Changer mon mot de passe »: the signed-in user's own password, given the current one."""

from __future__ import annotations

import re

from services.gateway.clients import ServiceError
from tests.support.gateway import csrf_of, jwt_for, login

PAGE = "/agent/profil/mot-de-passe"
NEW = "une nouvelle phrase de passe"


def _post(client, **fields):
    token = csrf_of(client.get(PAGE).get_data(as_text=True))
    return client.post(PAGE, data={"csrf_token": token, **fields})


def test_the_profile_links_to_the_page_and_a_change_goes_to_identity(client, fakes):
    login(client, fakes)
    fakes["identity"].answers[("GET", "/me")] = {"id": "1", "name": "Alice", "profile": "agent"}
    assert f'href="{PAGE}"' in client.get("/agent/profil").get_data(as_text=True)
    response = _post(client, current_password="l'ancienne phrase", password=NEW, confirmation=NEW)
    assert response.status_code == 302 and response.headers["Location"].endswith("/agent/profil")
    call = [c for c in fakes["identity"].calls if c["path"] == "/me/password"][-1]
    assert call["json"] == {"current_password": "l'ancienne phrase", "password": NEW}
    assert call["token"] == jwt_for("agent")
    assert "Vos autres sessions sont fermées" in client.get("/agent/profil").get_data(as_text=True)


def test_every_missing_or_mismatched_field_is_said_at_once_and_identity_not_asked(client, fakes):
    login(client, fakes)
    response = _post(client, current_password="", password="court", confirmation="autre")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Erreur — Changer mon mot de passe" in html
    for message in ("Saisissez votre mot de passe actuel.", "au moins 12 caractères",
                    "Les deux mots de passe ne sont pas identiques."):
        assert message in html
    assert not [c for c in fakes["identity"].calls if c["path"] == "/me/password"]


def test_a_wrong_current_password_is_said_next_to_its_field(client, fakes):
    login(client, fakes)
    fakes["identity"].answers[("POST", "/me/password")] = ServiceError(
        422, "invalid", "Le mot de passe actuel est incorrect.",
        {"current_password": ["Le mot de passe actuel est incorrect."]})
    response = _post(client, current_password="faux", password=NEW, confirmation=NEW)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="current_password"[^>]*aria-invalid="true"', html)
    assert html.count("Le mot de passe actuel est incorrect.") >= 2  # summary and field
    assert 'value="faux"' not in html and NEW not in html  # passwords never written back


def test_the_page_needs_a_signed_in_user(client):
    response = client.get(PAGE)
    assert response.status_code in (302, 303) and "/connexion" in response.headers["Location"]


def test_each_of_the_three_fields_can_show_what_was_typed(client, fakes):
    login(client, fakes)
    html = client.get(PAGE).get_data(as_text=True)
    assert re.findall(r'<input aria-label="([^"]+)" id="([\w-]+)-show" type="checkbox">', html) == [
        ("Afficher le mot de passe actuel", "current_password"),
        ("Afficher le nouveau mot de passe", "password"),
        ("Afficher la confirmation du nouveau mot de passe", "confirmation")]
