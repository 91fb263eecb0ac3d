"""« Données ouvertes »: a public page and the experiences service's files passed on through the
gateway, the only service a deployment publishes."""

from __future__ import annotations

from services.gateway.clients import ServiceError, Unavailable

CSV = "/open-data/experiences.csv"


def test_the_page_links_both_files_and_says_what_they_hold(client):
    response = client.get("/donnees-ouvertes")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Données ouvertes</h1>" in html
    assert "<title>Données ouvertes" in html
    assert 'class="fr-links-group fr-links-group--download"' in html
    assert 'download href="/donnees-ouvertes/experiences.csv"' in html
    assert 'download href="/donnees-ouvertes/experiences.json"' in html
    assert "licence Etalab 2.0" in html
    # Reachable from the home page and the site map.
    assert 'href="/donnees-ouvertes"' in client.get("/").get_data(as_text=True)
    assert 'href="/donnees-ouvertes"' in client.get("/plan-du-site").get_data(as_text=True)


def test_a_file_is_passed_on_as_it_comes_with_the_usager_s_address(client, fakes):
    chunks = [b"id,title\r\n", b"e1,Accueil\r\n", b"e2,Attente\r\n"]
    fakes["experiences"].answers[("STREAM", CSV)] = (chunks, "text/csv; charset=utf-8",
                                                     "experiences.csv")
    response = client.get("/donnees-ouvertes/experiences.csv",
                          environ_base={"REMOTE_ADDR": "127.0.0.1"},
                          headers={"X-Forwarded-For": "198.51.100.9"})
    assert response.status_code == 200
    assert response.is_streamed
    assert response.get_data() == b"".join(chunks)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=experiences-services-publics-plus.csv")
    [call] = [c for c in fakes["experiences"].calls if c["method"] == "STREAM"]
    assert call["forwarded_for"] == "198.51.100.9"


def test_only_the_two_files_exist(client, fakes):
    assert client.get("/donnees-ouvertes/experiences.xml").status_code == 404
    assert client.get("/donnees-ouvertes/../admin").status_code == 404
    assert not [c for c in fakes["experiences"].calls if c["method"] == "STREAM"]


def test_past_the_limit_a_french_page_says_when_to_come_back(client, fakes):
    fakes["experiences"].answers[("STREAM", CSV)] = ServiceError(
        429, "rate_limited", "Trop de requêtes : réessayez dans 1200 secondes.",
        retry_after="1200")
    response = client.get("/donnees-ouvertes/experiences.csv")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1200"
    assert response.mimetype == "text/html"
    assert "réessayez dans 1200 secondes" in response.get_data(as_text=True)


def test_the_service_away_is_a_503_page(client, fakes):
    fakes["experiences"].answers[("STREAM", CSV)] = Unavailable(
        503, "unavailable", "Le service est momentanément indisponible.")
    response = client.get("/donnees-ouvertes/experiences.csv")
    assert response.status_code == 503 and response.mimetype == "text/html"
