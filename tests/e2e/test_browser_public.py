"""In Chromium: the public list's filters, the evaluation page (open, then used), the legal pages
from the footer, « Ressources » and its search, and the DSFR dark theme — axe finds no serious or
critical issue on these pages, in the light theme and in the dark one, charts included."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.support.browser import AXE, GATEWAY, Visitor
from tests.support.e2e import (
    ADMIN,
    PASSWORD,
    approve_when_pending,
    login,
    mails_to,
    post,
    text_of,
    url,
    wait_until,
)

pytestmark = pytest.mark.e2e
# Colours the DSFR gives blue France in each theme (--background-action-high-blue-france).
BLUE_FRANCE = {"light": "rgb(0, 0, 145)", "dark": "rgb(133, 133, 246)"}


def _publish(moderator: dict, structure_id: str, **fields) -> str:
    """An experience sent as a usager, approved by the moderator for the structure."""
    exp_id = post("experiences", "/experiences", expect=(202,), occurred_on="2026-11-02",
                  **fields)["id"]

    approve_when_pending(moderator, exp_id, structure_id)
    assert wait_until(lambda: requests.get(url("experiences", f"/experiences/{exp_id}"),
                                           timeout=10).ok, 30), "never published"
    return exp_id


def _complete_diagnostic(token: dict, structure_id: str) -> str:
    """A completed diagnostic: the odd commitments at the top of the scale, the even at the
    bottom, so the results chart has bars below and above the expected level."""
    assert wait_until(lambda: requests.get(
        url("diagnostic", f"/diagnostics?structure_id={structure_id}"), headers=token,
        timeout=10).status_code == 200, 30), "diagnostic never learnt the structure"
    started = post("diagnostic", "/diagnostics", token, structure_id=structure_id,
                   channels=["phone"])
    questionnaire = requests.get(url("diagnostic", "/questionnaires/current"), headers=token,
                                 timeout=10).json()
    levels = sorted((s for s in questionnaire["scale"] if s.get("value") is not None),
                    key=lambda s: s["value"])
    answers = [{"question_id": q["id"], "channel": channel,
                "answer": levels[-1 if c["number"] % 2 else 0]["code"]}
               for c in questionnaire["commitments"] for q in c["questions"]
               for channel in q["channels"] if channel in started["channels"]]
    saved = requests.put(url("diagnostic", f"/diagnostics/{started['id']}/answers"),
                         headers=token, json={"answers": answers, "notes": []}, timeout=20)
    assert saved.ok, saved.text
    post("diagnostic", f"/diagnostics/{started['id']}/complete", token)
    return started["id"]


def _workers_started(platform) -> bool:
    """Every worker has bound its queues: an event published before that would be lost (the
    platform answers /readyz before its workers have started)."""
    logs = platform["var"] / "log"
    return all((logs / f"{name}-worker.log").exists()
               and "worker started" in (logs / f"{name}-worker.log").read_text()
               for name in ("identity", "experiences", "moderation", "diagnostic", "notifier"))


class Audit:
    """axe's serious and critical findings, page by page and theme by theme."""

    def __init__(self):
        self.found: dict[str, list] = {}

    def __call__(self, visitor: Visitor, label: str, theme: str) -> None:
        page = visitor.page
        page.wait_for_function(
            "t => document.documentElement.getAttribute('data-fr-theme') === t", arg=theme)
        issues = visitor.accessibility_issues()
        if issues:
            self.found[f"{label} ({theme}, {page.url})"] = issues

    def assert_clean(self):
        assert not self.found, "\n".join(
            f"{where}: {v['id']} ({v['impact']}) {v['help']} — {v['targets']}"
            for where, issues in self.found.items() for v in issues)


def _set_theme(visitor: Visitor, choice: str, theme: str) -> None:
    """Through « Paramètres d'affichage » in the header, as a person does."""
    page = visitor.page
    page.wait_for_function("document.documentElement.getAttribute('data-fr-js') === 'true'")
    page.locator(".fr-header__tools").get_by_role("button", name="Paramètres d'affichage").click()
    modal = page.locator("#fr-theme-modal")
    modal.wait_for(state="visible")
    modal.locator("label", has_text=choice).click()
    page.wait_for_function(
        "t => document.documentElement.getAttribute('data-fr-theme') === t", arg=theme)
    modal.get_by_role("button", name="Fermer").click()
    modal.wait_for(state="hidden")


def test_public_filters_evaluation_legal_pages_and_ressources_in_both_themes(
        platform, browser):  # noqa: F811 - pytest passes the imported fixture
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci in services/gateway)")
    assert wait_until(lambda: _workers_started(platform), 120), "the workers never started"
    tag = uuid.uuid4().hex[:8]
    admin = login(*ADMIN)
    network_name = f"Réseau public {tag}"
    network = post("identity", "/networks", admin, code=f"P{tag}", name=network_name,
                   requires_validation=False)
    direction = post("identity", "/structures", admin, network_id=network["id"],
                     name=f"Direction {tag}", postal_code="75011", city="Paris")
    lyon = post("identity", "/structures", admin, network_id=network["id"],
                parent_id=direction["id"], name=f"Agence de Lyon {tag}", postal_code="69003",
                city="Lyon")
    bastia = post("identity", "/structures", admin, network_id=network["id"],
                  parent_id=direction["id"], name=f"Agence de Bastia {tag}",
                  postal_code="20200", city="Bastia")
    people = {}
    for profile, missions, structures in (("agent", ["answer"], [lyon["id"]]),
                                          ("referent", ["answer", "diagnostic"], [])):
        people[profile] = f"{profile}.{tag}@spp.example.fr"
        post("identity", "/users", admin, email=people[profile], name=f"{profile} {tag}",
             profile=profile, missions=missions, network_id=network["id"],
             structure_ids=structures, password=PASSWORD)
    moderator_address = f"moderation.{tag}@ditp.example.fr"
    post("identity", "/users", admin, email=moderator_address, name=f"Modération {tag}",
         profile="moderator", missions=[], network_id=None, structure_ids=[], password=PASSWORD)
    moderator = login(moderator_address, PASSWORD)
    author = f"usager.{tag}@example.org"
    waited = f"Attente au téléphone {tag}"
    smiled = f"Accueil souriant {tag}"
    answered_id = _publish(moderator, lyon["id"], title=waited, body="Quarante minutes d'attente.",
                           structure_hint="Agence de Lyon", postal_code="69003", channel="phone",
                           feeling="negative", author_name="Camille", author_email=author)
    _publish(moderator, bastia["id"], title=smiled, body="Un accueil chaleureux au guichet.",
             structure_hint="Agence de Bastia", postal_code="20200", channel="in_person",
             feeling="positive", author_name="Dominique", author_email=f"autre.{tag}@example.org")
    agent = login(people["agent"], PASSWORD)
    drafted = requests.put(url("experiences", f"/experiences/{answered_id}/response"),
                           headers=agent, timeout=20, json={
                               "body": "Nous renforçons l'accueil téléphonique le matin.",
                               "closing": "Bien cordialement", "signature": "L'agence de Lyon"})
    assert drafted.ok, drafted.text
    assert post("experiences", f"/experiences/{answered_id}/response/submit",
                agent)["status"] == "answered"

    def evaluation_link():
        for message in mails_to(platform["mail"], author):
            found = re.search(r"https?://\S+/evaluation\?token=[A-Za-z0-9_\-]+", text_of(message))
            if found:
                return found.group(0)
        return None

    link = wait_until(evaluation_link, 30)
    assert link, "the author never got the evaluation link"
    audit = Audit()

    # 1. The usager filters the list: administration first, then its structures appear.
    usager = Visitor(browser, author)
    page = usager.page
    usager.goto("/experiences", "public-list")
    audit(usager, "liste", "light")
    page.get_by_label("Administration", exact=True).select_option(label=network_name)
    usager.follow(page.get_by_role("button", name="Filtrer", exact=True))
    assert f"network_id={network['id']}" in page.url
    structure = page.get_by_label(re.compile("^Structure"))
    assert structure.is_enabled()
    options = structure.locator("option").all_inner_texts()
    assert [o.strip() for o in options[1:]] == [f"Direction {tag}", f"Agence de Bastia {tag}",
                                                f"Agence de Lyon {tag}"]
    structure.select_option(value=lyon["id"])
    page.get_by_label(re.compile("^Territoire")).select_option(value="69")
    page.get_by_label("Réponse").select_option(label="Avec une réponse")
    html = usager.follow(page.get_by_role("button", name="Filtrer", exact=True), "public-filters")
    assert "1 expérience correspond à votre recherche" in html
    assert page.get_by_role("link", name=waited).count() == 1
    assert page.get_by_role("link", name=smiled).count() == 0
    audit(usager, "liste filtrée", "light")
    shared = page.url  # a shareable address: opened again, the same filters and result
    usager.goto(shared)
    assert page.get_by_label("Réponse").input_value() == "true"
    assert page.get_by_role("link", name=waited).count() == 1
    # The search finds the structure's name, which neither title nor text contains.
    usager.follow(page.get_by_role("link", name="Réinitialiser les filtres"))
    page.get_by_label("Rechercher une expérience").fill(f"Bastia {tag}")
    usager.follow(page.get_by_role("button", name="Rechercher"))
    assert page.get_by_role("link", name=smiled).count() == 1
    assert page.get_by_role("link", name=waited).count() == 0
    # A territory that is none is a field error, not a 500.
    response = page.goto(GATEWAY + "/experiences?department=99")
    assert response.status == 400
    assert page.locator("#resume-erreurs").get_by_role("link", name=re.compile("Territoire"))\
        .count() == 1

    # 2. The evaluation page shows the response rated; once used, the link says so.
    assert link.startswith(GATEWAY), link
    usager.goto(link, "evaluation")
    audit(usager, "évaluation", "light")
    rated = page.locator("#reponse-evaluee")
    assert "Nous renforçons l'accueil téléphonique le matin." in rated.inner_text()
    usager.choose("Oui")
    usager.choose("Positif")
    html = usager.follow(page.get_by_role("button", name="Envoyer mon évaluation"))
    assert "Votre évaluation a bien été enregistrée" in html
    response = page.goto(link)
    assert response.status == 410
    usager.check("evaluation-used")
    assert page.get_by_role("heading", name="Vous avez déjà évalué cette réponse").count() == 1
    assert page.locator('input[name="useful"]').count() == 0
    audit(usager, "évaluation utilisée", "light")
    response = page.goto(link.split("?")[0] + "?token=faux")
    assert response.status == 404 and page.locator('input[name="useful"]').count() == 0
    assert page.get_by_role("heading", name="Lien d'évaluation non valable").count() == 1

    # 3. The legal pages, from the footer.
    legal = {"Mentions légales": "Mentions légales", "Données personnelles": "Données personnelles",
             "Accessibilité : non conforme": "Déclaration d'accessibilité",
             "Plan du site": "Plan du site"}
    for link_text, heading in legal.items():
        usager.goto("/")
        usager.follow(page.locator("footer").get_by_role("link", name=link_text))
        assert page.get_by_role("heading", level=1, name=heading).count() == 1, heading
        audit(usager, heading, "light")

    # 4. The same pages in the dark theme, chosen in « Paramètres d'affichage »; it stays.
    _set_theme(usager, "Thème sombre", "dark")
    assert page.evaluate("localStorage.getItem('scheme')") == "dark"
    usager.goto(shared, "public-filters-dark")
    audit(usager, "liste filtrée", "dark")
    usager.goto(link)
    audit(usager, "évaluation utilisée", "dark")
    for path in ("/mentions-legales", "/donnees-personnelles", "/accessibilite", "/plan-du-site"):
        usager.goto(path)
        audit(usager, path, "dark")
    _set_theme(usager, "Thème clair", "light")
    usager.goto("/")
    assert page.evaluate("document.documentElement.getAttribute('data-fr-theme')") == "light"
    usager.close()

    # « Système » follows the device: a browser set to dark gets the dark theme at once.
    night = Visitor(browser, author)
    night.page.emulate_media(color_scheme="dark")
    night.goto("/experiences")
    night.page.wait_for_function(
        "document.documentElement.getAttribute('data-fr-theme') === 'dark'")
    audit(night, "liste (système sombre)", "dark")
    night.close()

    # 5. Staff: « Ressources » and its search; the dashboard and diagnostic charts in both themes.
    referent_token = login(people["referent"], PASSWORD)
    diagnostic_id = _complete_diagnostic(referent_token, lyon["id"])
    staff = Visitor(browser, author)
    page = staff.page
    staff.login(people["referent"])
    menu = page.get_by_role("navigation", name="Menu principal")
    staff.follow(menu.get_by_role("link", name="Ressources"), "ressources")
    assert page.get_by_role("heading", level=1, name="Ressources").count() == 1
    audit(staff, "ressources", "light")
    page.get_by_label("Je recherche une question fréquente").fill("reorientation")
    html = staff.follow(page.get_by_role("button", name="Rechercher"), "ressources-search")
    assert re.search(r"\d+ résultats? pour « reorientation »", html)
    assert "Comment les expériences sont-elles orientées vers la bonne structure ?" in html
    audit(staff, "ressources (recherche)", "light")
    staff.follow(page.locator("#resultats").get_by_role(
        "link", name="Réaffecter une expérience ou demander une réorientation"))
    assert page.get_by_role("heading", level=1, name=re.compile("^Réaffecter")).count() == 1
    audit(staff, "mode opératoire", "light")
    results = f"/agent/diagnostic/{diagnostic_id}/resultats"
    charts = {"/agent/tableau-de-bord": "rect.spp-bar--published",
              results: "rect.spp-bar--below"}
    for path, bar in charts.items():
        staff.goto(path)
        assert page.locator(bar).count() >= 1, path
        audit(staff, path, "light")
    assert page.locator(charts[results]).first.evaluate(
        "r => getComputedStyle(r).fill") == "rgb(206, 5, 0)"
    _set_theme(staff, "Thème sombre", "dark")
    for path in ("/agent/ressources", "/agent/ressources?q=notification",
                 "/agent/ressources/repondre-a-une-experience"):
        staff.goto(path)
        audit(staff, path, "dark")
    staff.goto("/agent/tableau-de-bord", "dashboard-dark")
    audit(staff, "tableau de bord", "dark")
    # The charts take the dark theme's colours, not fixed ones.
    assert page.locator("rect.spp-bar--published").first.evaluate(
        "r => getComputedStyle(r).fill") == BLUE_FRANCE["dark"]
    assert page.locator(".spp-figure__value").first.evaluate(
        "e => getComputedStyle(e).color") == BLUE_FRANCE["dark"]
    tick = page.locator("svg#graphique-mois text.spp-chart__tick").first
    assert tick.evaluate("t => getComputedStyle(t).fill") == "rgb(206, 206, 206)"
    staff.goto(results, "diagnostic-results-dark")
    audit(staff, "résultats du diagnostic", "dark")
    assert page.locator("rect.spp-bar--below").first.evaluate(
        "r => getComputedStyle(r).fill") == "rgb(255, 86, 85)"
    assert page.locator("text.spp-chart__label").first.evaluate(
        "t => getComputedStyle(t).fill") == "rgb(255, 255, 255)"
    staff.close()

    audit.assert_clean()
