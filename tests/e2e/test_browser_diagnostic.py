"""A referent's pages in Chromium: invite a user, run the local diagnostic, read the dashboard."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.support.browser import SCREENSHOTS, Visitor
from tests.support.e2e import ADMIN, PASSWORD, login, post, url, wait_until

pytestmark = pytest.mark.e2e


def test_a_referent_invites_a_user_runs_a_diagnostic_and_reads_the_dashboard(
        platform, browser):  # noqa: F811 - pytest passes the imported fixture
    tag = uuid.uuid4().hex[:8]
    admin = login(*ADMIN)
    network = post("identity", "/networks", admin, code=f"CPAM{tag}", name=f"CPAM {tag}")
    structure_name = f"CPAM de Lille {tag}"
    structure = post("identity", "/structures", admin, network_id=network["id"],
                     name=structure_name, postal_code="59000", city="Lille")
    referent_address = f"referent.{tag}@cpam.example.fr"
    post("identity", "/users", admin, email=referent_address, name=f"Référente {tag}",
         profile="referent", missions=["diagnostic"], network_id=network["id"],
         structure_ids=[], password=PASSWORD)
    referent = Visitor(browser, "@example.org")  # no page of this run shows a usager's address
    page = referent.page
    referent.login(referent_address)

    # 1. The referent invites an agent through « J'améliore la qualité » → « Utilisateurs ».
    menu = page.get_by_role("navigation", name="Menu principal")
    menu.get_by_role("button", name="J'améliore la qualité").click()
    menu.get_by_role("link", name="Utilisateurs").wait_for(state="visible")
    page.wait_for_timeout(400)  # the menu unfolds with a short animation
    page.screenshot(path=str(SCREENSHOTS / "menu.png"))
    referent.follow(menu.get_by_role("link", name="Utilisateurs"))
    referent.follow(page.get_by_role("link", name="Ajouter un utilisateur"))
    assert page.locator('input[name="profile"]').evaluate_all(
        "inputs => inputs.map(i => i.value)") == ["agent", "super_agent"]
    agent_address = f"agent.{tag}@cpam.example.fr"
    page.get_by_label("Adresse électronique").fill(agent_address)
    page.get_by_label("Nom", exact=True).fill(f"Agent {tag}")
    referent.choose("Agent")
    page.locator("label", has_text="Remplir le diagnostic local").click()
    page.locator("label", has_text=structure_name).click()
    referent.check("users-new")
    html = referent.follow(page.get_by_role("button", name="Créer le compte et envoyer l'invitation"),
                           "users-list")
    assert f"Le compte d'Agent {tag} est créé" in html, html
    assert agent_address in html and "Remplir le diagnostic local" in html

    # 2. It starts the structure's diagnostic (once diagnostic knows the structure).
    token = {"Authorization": login(referent_address, PASSWORD)["Authorization"]}
    assert wait_until(lambda: requests.get(
        url("diagnostic", f"/diagnostics?structure_id={structure['id']}"), headers=token,
        timeout=10).status_code == 200, 30), "diagnostic never learnt the structure"
    referent.goto("/agent/diagnostic")
    page.get_by_label("Structure", exact=True).select_option(label=structure_name)
    for channel in ("Accueil physique", "Courrier / courriel", "Formulaires en ligne"):
        page.locator("label", has_text=channel).click()  # keep the telephone only
    html = referent.follow(page.get_by_role("button", name="Commencer le diagnostic"))
    assert "Le diagnostic est commencé." in html, html
    questionnaire_url = page.url
    total = int(re.search(r"enregistrées? sur (\d+)", html).group(1))
    assert 10 < total < 86  # one channel of four: fewer questions than the whole questionnaire

    # 3. A draft keeps the first answer and says who gave it.
    first = page.locator("fieldset.spp-commitment").first.locator(".fr-radio-group label",
                                                                   has_text="Partiellement").first
    first.click()
    page.get_by_label("Notes de l'équipe sur l'engagement 1").fill("À revoir en réunion.")
    html = referent.follow(page.get_by_role("button", name="Enregistrer le brouillon").first)
    assert "Le brouillon est enregistré." in html and "1 réponse enregistrée sur" in html, html
    assert "Dernière modification par vous" in html and "À revoir en réunion." in html

    # 4. Completing too early lists the missing questions, each linked to its field.
    html = referent.follow(page.get_by_role("button", name="Terminer le diagnostic"),
                           "diagnostic-incomplete")
    assert "Le diagnostic ne peut pas encore être terminé" in html, html
    assert f"{total - 1} question(s) sans réponse" in html
    link = page.locator("#resume-erreurs a").first
    assert page.locator(link.get_attribute("href")).count() == 1

    # 5. Every other question answered « Oui », the diagnostic completes: results and chart.
    page.evaluate("""() => document.querySelectorAll('fieldset[id^="q-"]').forEach(set => {
        if (!set.querySelector('input:checked')) set.querySelector('input[value="yes"]').click();
    })""")
    html = referent.follow(page.get_by_role("button", name="Terminer le diagnostic"),
                           "diagnostic-results")
    assert "/resultats" in page.url and "Le diagnostic est terminé." in html, html
    chart = page.locator("svg#graphique-ecarts[role=img]")
    assert chart.is_visible() and chart.locator("rect").count() == 8
    assert page.locator("#tableau-engagements tbody tr").count() == 8
    csv = referent.context.request.get(page.get_by_role("link", name=re.compile("CSV")).evaluate(
        "a => a.href"))
    assert csv.status == 200 and "attachment" in csv.headers["content-disposition"]
    assert csv.text().lstrip("\ufeff").startswith("Engagement;")
    referent.goto(questionnaire_url)
    assert page.get_by_role("button", name="Terminer le diagnostic").count() == 0

    # 6. The dashboard answers for the network (no experience yet: zeros, a chart, a table).
    html = referent.goto("/agent/tableau-de-bord", "dashboard")
    assert "Expériences publiées" in html and page.locator("svg#graphique-mois").is_visible()
    assert page.locator("#tableau-mois tbody tr").count() == 12
    referent.close()
