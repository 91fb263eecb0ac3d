"""Legal pages linked from the DSFR footer, the display settings (theme) on every page, and charts
drawn with the DSFR's colour variables so that they read in the dark theme."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.gateway import login

GATEWAY = Path(__file__).resolve().parents[3] / "services" / "gateway"
LEGAL = {"/mentions-legales": "Mentions légales", "/donnees-personnelles": "Données personnelles",
         "/accessibilite": "Déclaration d'accessibilité", "/plan-du-site": "Plan du site"}


def footer(html: str) -> str:
    return html[html.index('<footer class="fr-footer"'):html.index("</footer>")]


@pytest.mark.parametrize("path", ["/", "/experiences", "/donner-mon-avis", "/connexion",
                                  *LEGAL])
def test_the_footer_links_the_legal_pages_and_opens_the_display_settings(client, path):
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    bottom = footer(html)[footer(html).index("fr-footer__bottom-list"):]
    links = re.findall(r'<a class="fr-footer__bottom-link" href="([^"]+)"\s*(?:aria-current="page")?'
                       r'>([^<]+)</a>', bottom)
    assert links == [("/plan-du-site", "Plan du site"),
                     ("/accessibilite", "Accessibilité : non conforme"),
                     ("/mentions-legales", "Mentions légales"),
                     ("/donnees-personnelles", "Données personnelles")]
    if path in LEGAL:  # the page itself is marked current
        assert f'href="{path}"\n             aria-current="page"' in bottom
    assert re.search(r'<button type="button" class="fr-btn--display fr-btn" '
                     r'aria-controls="fr-theme-modal"', bottom)
    # The header's tools open it too, and the modal offers the three DSFR choices.
    header = html[:html.index("</header>")]
    assert 'class="fr-btn--display fr-btn" aria-controls="fr-theme-modal"' in header
    modal = html[html.index('<dialog id="fr-theme-modal"'):html.index("</dialog>")]
    assert 'aria-labelledby="fr-theme-modal-title"' in modal
    assert 'id="fr-display" class="fr-display"' in modal
    for value, text in (("light", "Thème clair"), ("dark", "Thème sombre"), ("system", "Système")):
        assert f'id="fr-radios-theme-{value}" name="fr-radios-theme"' in modal
        assert re.search(rf'for="fr-radios-theme-{value}">{text}', modal)
    assert "<legend" in modal and '<html lang="fr" data-fr-scheme="system">' in html


@pytest.mark.parametrize("path,title", list(LEGAL.items()))
def test_each_legal_page_renders_with_its_title_and_breadcrumb(client, path, title):
    html = client.get(path).get_data(as_text=True).replace("&#39;", "'")
    assert f"<h1>{title}</h1>" in html
    assert 'class="fr-breadcrumb"' in html and 'href="/"' in html


def test_personal_data_says_what_is_kept_private_and_how_to_use_ones_rights(client):
    html = client.get("/donnees-personnelles").get_data(as_text=True).replace("&#39;", "'")
    for said in ("Adresse électronique</th>", "<strong>Jamais</strong>",
                 "Votre adresse électronique reste privée", "La modération",
                 "Durées de conservation", "Vos droits et comment les exercer",
                 "Commission nationale de l'informatique et des libertés", "spp_session",
                 "droit d'accès, de rectification, d'effacement"):
        assert said in html, said
    # What only the operator knows is marked, not invented.
    assert html.count('class="spp-to-fill">[À compléter par l\'exploitant') >= 5


def test_the_accessibility_statement_follows_the_rgaa_model(client):
    html = client.get("/accessibilite").get_data(as_text=True).replace("&#39;", "'")
    assert "<strong>non conforme</strong>" in html and "RGAA" in html
    for heading in ("État de conformité", "Résultats des tests", "Contenus non accessibles",
                    "Établissement de cette déclaration d'accessibilité",
                    "Retour d'information et contact", "Voies de recours"):
        assert f"<h2>{heading}</h2>" in html, heading
    assert 'lang="en">axe-core</span>' in html and "thème sombre" in html
    assert "Défenseur des droits" in html and "À compléter par l'exploitant" in html


def test_the_sitemap_lists_what_the_visitor_may_open(client, fakes):
    html = client.get("/plan-du-site").get_data(as_text=True)
    for href in ('href="/"', 'href="/donner-mon-avis"', 'href="/experiences"',
                 'href="/connexion"', 'href="/mentions-legales"', 'href="/accessibilite"'):
        assert href in html, href
    assert 'href="/agent/ressources"' not in html and 'href="/moderation"' not in html
    login(client, fakes, profile="agent")
    signed_in = client.get("/plan-du-site").get_data(as_text=True)
    assert 'href="/agent/ressources"' in signed_in and 'href="/agent/experiences"' in signed_in
    assert 'href="/moderation"' not in signed_in


def test_chart_templates_and_swatches_use_the_dsfr_colour_variables():
    css = (GATEWAY / "static" / "gateway.css").read_text(encoding="utf-8")
    for rule in re.findall(r"\.spp-(?:swatch|bar|chart)[\w-]*\s*\{[^}]*\}", css):
        assert not re.search(r"#[0-9a-fA-F]{3,6}\b", rule), rule
        if re.search(r"\b(background|fill|stroke|color|border[\w-]*):", rule):
            assert "var(--" in rule, rule
    results = (GATEWAY / "templates" / "diagnostic" / "results.html").read_text(encoding="utf-8")
    chart = (GATEWAY / "templates" / "dashboard" / "_bar_chart.html").read_text(encoding="utf-8")
    assert not re.search(r'(fill|stroke)="#', results)
    # The dashboard's bars keep their fill as the colour without the style sheet; the class,
    # which wins over it, carries the theme's.
    assert re.findall(r'(fill|stroke)="#', chart) == []
    assert 'class="spp-bar--{{ chart.series[' in chart


def test_the_dashboard_bars_carry_the_class_of_their_series(client, fakes):
    fakes["experiences"].answers[("GET", "/dashboard")] = {
        "published": 3, "answered": 2, "by_month": [{"month": "2026-01", "published": 3,
                                                     "answered": 2}]}
    login(client, fakes, profile="referent")
    html = client.get("/agent/tableau-de-bord?from=2026-01-01&to=2026-01-31").get_data(as_text=True)
    bars = re.findall(r'<rect class="spp-bar--(\w+)"[^>]*data-value="(\d+)"', html)
    assert ("published", "3") in bars and ("answered", "2") in bars
    for name in ("grid", "tick", "axis"):
        assert f'class="spp-chart__{name}"' in html
