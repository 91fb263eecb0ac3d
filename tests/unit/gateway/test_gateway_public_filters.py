"""The public list's filters: a shareable GET form whose choices come from experiences, passed on
to the API, kept across pages; what no list offers is a field error, never a 500."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from services.gateway.clients import ServiceError
from tests.support.gateway import EXPERIENCE

NETWORKS = [{"id": "caf", "name": "Caisse d'allocations familiales"},
            {"id": "ft", "name": "France Travail"}]
STRUCTURES = [{"id": "rhone", "name": "CAF du Rhône", "parent_id": None, "depth": 0},
              {"id": "lyon", "name": "Agence de Lyon", "parent_id": "rhone", "depth": 1}]


def answer(fakes, total=1, items=(EXPERIENCE,), structures=STRUCTURES, **extra):
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": list(items), "total": total, "page": 1, "per_page": 10, "networks": NETWORKS,
        "structures": structures, "structures_truncated": False, **extra}


def list_calls(fakes) -> list[dict]:
    return [c["params"] for c in fakes["experiences"].calls if c["path"] == "/experiences"]


def test_every_filter_is_passed_to_the_api_with_its_choices(client, fakes):
    answer(fakes)
    response = client.get("/experiences", query_string={
        "q": "accueil", "network_id": "caf", "structure_id": "rhone", "department": "69",
        "channel": "phone", "feeling": "negative", "answered": "false"})
    assert response.status_code == 200
    assert list_calls(fakes) == [{
        "q": "accueil", "page": 1, "per_page": 10, "network_id": "caf", "structure_id": "rhone",
        "include_children": "true", "department": "69", "channel": "phone",
        "feeling": "negative", "answered": "false", "choices": "true"}]


def test_the_form_is_a_dsfr_get_form_with_labelled_selects_and_the_choices_kept(client, fakes):
    answer(fakes)
    html = client.get("/experiences?network_id=caf&structure_id=lyon&department=2A"
                      "&answered=true").get_data(as_text=True)
    form = html[html.index('id="filtres"'):html.index("</form>")]
    assert 'method="get"' in html[html.index("<form", html.index("<main")):]
    for name, text in (("network_id", "Administration"), ("structure_id", "Structure"),
                       ("department", "Territoire"), ("channel", "Canal"),
                       ("feeling", "Ressenti"), ("answered", "Réponse")):
        assert re.search(rf'<label class="fr-label" for="{name}">{text}', form), name
        assert f'<select class="fr-select" id="{name}" name="{name}"' in form, name
    assert '<legend class="fr-fieldset__legend" id="filtres-legend">Filtrer les expériences' in form
    assert '<option value="caf" selected>Caisse d&#39;allocations familiales</option>' in form
    # The tree shows through indentation; the chosen structure, département and answer stay.
    assert '<option value="lyon" selected>\u00a0\u00a0\u00a0Agence de Lyon</option>' in form
    assert '<option value="2A" selected>2A — Corse-du-Sud</option>' in form
    assert '<option value="971" >971 — Guadeloupe</option>' in form
    assert '<option value="true" selected>Avec une réponse</option>' in form
    assert "Réinitialiser les filtres" in form


def test_no_structure_without_an_administration(client, fakes):
    answer(fakes, structures=[])
    html = client.get("/experiences?structure_id=lyon").get_data(as_text=True)
    assert "structure_id" not in list_calls(fakes)[-1]
    assert re.search(r'<select class="fr-select" id="structure_id" name="structure_id"'
                     r'[^>]*disabled>', html)
    assert "Choisissez d'abord une administration" in html


def test_a_structure_of_another_administration_is_dropped(client, fakes):
    answer(fakes)  # the chosen network's structures are rhone and lyon
    html = client.get("/experiences?network_id=ft&structure_id=elsewhere").get_data(as_text=True)
    first, second = list_calls(fakes)
    assert first["structure_id"] == "elsewhere" and "structure_id" not in second
    assert "include_children" not in second and second["network_id"] == "ft"
    assert 'value="elsewhere"' not in html


@pytest.mark.parametrize("name,value", [("department", "99"), ("department", "2C"),
                                        ("channel", "pigeon"), ("feeling", "furieux"),
                                        ("answered", "peut-être"), ("network_id", "x" * 65)])
def test_a_value_no_list_offers_is_a_field_error(client, fakes, name, value):
    answer(fakes)
    response = client.get("/experiences", query_string={name: value, "q": "caf"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="resume-erreurs"' in html and f'href="#{name}"' in html
    assert f'id="{name}-error-1">Choisissez une valeur de la liste.' in html
    assert re.search(rf'id="{name}" name="{name}"\s+aria-describedby="[^"]*{name}-messages"'
                     r' aria-invalid="true"', html)
    # The other filters still reach the API; the refused one does not, and no result shows.
    assert list_calls(fakes)[-1].get(name) is None and list_calls(fakes)[-1]["q"] == "caf"
    assert EXPERIENCE["title"] not in html


def test_an_api_field_error_shows_next_to_its_filter(client, fakes):
    fakes["experiences"].answers[("GET", "/experiences")] = ServiceError(
        422, "validation_error", "Certains champs sont invalides.",
        {"network_id": ["Le champ « network_id » doit contenir entre 1 et 64 caractères."]})
    response = client.get("/experiences?network_id=abc")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#network_id">Administration : Ce champ doit contenir' in html


def test_the_count_and_the_pages_keep_every_filter(client, fakes):
    answer(fakes, total=25, items=[EXPERIENCE] * 10)
    fakes["experiences"].answers[("GET", "/experiences")]["page"] = 2
    html = client.get("/experiences?page=2&network_id=caf&channel=phone&q=accueil"
                      "&department=69").get_data(as_text=True)
    assert '<h2 class="fr-h4" id="nombre-resultats">25 expériences correspondent à votre recherche' \
        in html
    links = re.findall(r'class="fr-pagination__link fr-pagination__link--(?:prev|next)[^"]*" '
                       r'href="([^"]+)"', html)
    assert len(links) == 2
    for link in links:
        query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        assert query["network_id"] == ["caf"] and query["channel"] == ["phone"]
        assert query["q"] == ["accueil"] and query["department"] == ["69"]
    assert {parse_qs(urlsplit(link.replace("&amp;", "&")).query)["page"][0]
            for link in links} == {"1", "3"}


def test_without_filters_the_count_reads_plainly(client, fakes):
    answer(fakes, total=1)
    html = client.get("/experiences").get_data(as_text=True)
    assert '<h2 class="fr-h4" id="nombre-resultats">1 expérience</h2>' in html
    assert "Réinitialiser les filtres" not in html
    answer(fakes, total=0, items=[])
    html = client.get("/experiences?channel=phone").get_data(as_text=True)
    assert "Aucune expérience" in html and "essayez avec moins de filtres" in html


def test_a_capped_count_reads_as_more_than_and_keeps_a_next_page(client, fakes):
    answer(fakes, total=1000, items=[EXPERIENCE] * 20)
    fakes["experiences"].answers[("GET", "/experiences")].update(total_capped=True, page=50,
                                                                 per_page=20)
    html = client.get("/experiences?q=accueil&page=50").get_data(as_text=True)
    assert ('<h2 class="fr-h4" id="nombre-resultats">Plus de 1\u202f000 expériences '
            'correspondent à votre recherche') in html
    pages = {parse_qs(urlsplit(link.replace("&amp;", "&")).query)["page"][0]
             for link in re.findall(r'class="fr-pagination__link fr-pagination__link--next[^"]*" '
                                    r'href="([^"]+)"', html)}
    assert pages == {"51"}


def test_the_list_passes_the_usagers_address_on_and_says_when_to_search_again(client, fakes):
    answer(fakes, total=1)
    client.get("/experiences?q=accueil", environ_base={"REMOTE_ADDR": "127.0.0.1"},
               headers={"X-Forwarded-For": "198.51.100.9"})
    assert fakes["experiences"].calls[-1]["forwarded_for"] == "198.51.100.9"
    fakes["experiences"].answers[("GET", "/experiences")] = ServiceError(
        429, "rate_limited", "Trop de requêtes : réessayez dans 42 secondes.", retry_after="42")
    response = client.get("/experiences?q=accueil")
    assert response.status_code == 429 and response.headers["Retry-After"] == "42"
    assert "Trop de requêtes : réessayez dans 42 secondes." in response.get_data(as_text=True)
