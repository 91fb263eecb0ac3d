"""The whole lifecycle through the gateway's pages, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.support.browser import GATEWAY, Visitor
from tests.support.e2e import ADMIN, PASSWORD, login, mails_to, post, text_of, wait_until

pytestmark = pytest.mark.e2e


def test_a_usager_and_the_agents_carry_an_experience_through_the_pages(platform, browser):
    tag = uuid.uuid4().hex[:8]
    admin = login(*ADMIN)
    network = post("identity", "/networks", admin, code=f"CAF{tag}", name=f"CAF {tag}",
                   requires_validation=True)
    structure_name = f"CAF de Lyon {tag}"
    structure = post("identity", "/structures", admin, network_id=network["id"],
                     name=structure_name, postal_code="69003", city="Lyon")
    addresses = {}
    for profile in ("agent", "super_agent"):
        addresses[profile] = f"{profile}.{tag}@caf.example.fr"
        post("identity", "/users", admin, email=addresses[profile], name=f"{profile} {tag}",
             profile=profile, missions=["answer"], network_id=network["id"],
             structure_ids=[structure["id"]], password=PASSWORD)
    addresses["moderator"] = f"moderateur.{tag}@ditp.example.fr"
    post("identity", "/users", admin, email=addresses["moderator"], name=f"Modérateur {tag}",
         profile="moderator", missions=[], network_id=None, structure_ids=[], password=PASSWORD)
    author = f"usager.{tag}@example.org"
    title = f"Accueil très patient {tag}"

    # 1. The usager tells their experience.
    usager = Visitor(browser, author)
    usager.goto("/", "home")
    usager.follow(usager.page.locator("#contenu").get_by_role("link", name="Je donne mon avis"))
    form = usager.page
    form.get_by_label("Titre de votre expérience").fill(title)
    form.get_by_label("Décrivez votre expérience").fill(
        "L'agent m'a aidé à remplir mon dossier, sans me presser.")
    form.get_by_label("Service concerné").fill("CAF de Lyon")
    form.get_by_label("Code postal du service").fill("69003")
    usager.choose("Accueil physique")
    form.get_by_label("Date de votre expérience").fill("2026-11-02")
    usager.choose("Positif")
    form.get_by_label("Pseudonyme").fill("Camille")
    form.get_by_label("Adresse électronique").fill(author)
    usager.check("form")
    usager.follow(form.get_by_role("button", name="Envoyer mon expérience"), "confirmation")
    assert usager.page.get_by_role("heading", name="Merci, votre expérience a bien été envoyée") \
        .is_visible(), usager.page.content()
    assert usager.page.get_by_text("Votre expérience est en cours de modération").is_visible()

    # 2. A moderator approves it for the structure.
    moderator = Visitor(browser, author)
    moderator.login(addresses["moderator"])
    moderator.poll("/moderation",
                   lambda page: page.get_by_role("link", name=title).count() > 0)
    moderator.follow(moderator.page.get_by_role("link", name=title))
    case_url = moderator.page.url
    search = moderator.page.get_by_label("Rechercher une structure")
    search.fill(structure_name)
    moderator.follow(search, key="Enter")
    moderator.choose(structure_name, exact=False)
    moderator.check("moderation-case")
    html = moderator.follow(moderator.page.get_by_role("button", name="Approuver"))
    assert "L'expérience est approuvée et sera publiée." in html, html
    assert moderator.page.url != case_url

    # 3. The agent finds it in « Les expériences » and answers.
    agent = Visitor(browser, author)
    agent.login(addresses["agent"])
    agent.poll("/agent/experiences",
               lambda page: page.get_by_role("link", name=title).count() > 0)
    agent.follow(agent.page.get_by_role("link", name=title), "agent-experience")
    experience_id = re.search(r"/agent/experiences/([^/?#]+)", agent.page.url).group(1)
    assert agent.page.get_by_text("À traiter").first.is_visible()
    agent.page.get_by_label("Votre réponse").fill("Merci pour votre retour, nous le partageons.")
    agent.page.get_by_label("Formule de politesse").fill("Bien à vous")
    agent.page.get_by_label("Signature").fill("L'équipe de la CAF de Lyon")
    html = agent.follow(
        agent.page.get_by_role("button", name="Enregistrer et envoyer la réponse"), "agent-answered")
    assert "Elle sera publiée quand un super agent de la structure ou d'une structure" in html, html
    assert "En attente de validation" in html
    assert "Merci pour votre retour, nous le partageons." in html
    assert agent.page.get_by_role("button", name="Valider la réponse").count() == 0

    # 4. The super agent validates it.
    super_agent = Visitor(browser, author)
    super_agent.login(addresses["super_agent"])
    super_agent.goto(f"/agent/experiences/{experience_id}")
    html = super_agent.follow(super_agent.page.get_by_role("button", name="Valider la réponse"),
                              "super-agent-validated")
    assert "La réponse est validée : elle est publiée." in html, html
    assert "Réponse apportée" in html

    # 5. The usager evaluates the answer from the link in the mail.
    def evaluation_link():
        for message in mails_to(platform["mail"], author):
            found = re.search(r"https?://\S+/evaluation\?token=[A-Za-z0-9_\-]+", text_of(message))
            if found:
                return found.group(0)
        return None

    link = wait_until(evaluation_link, 40)
    assert link, "the author never got the evaluation link"
    assert link.startswith(f"{GATEWAY}/experiences/{experience_id}/evaluation?token="), link
    usager.goto(link, "evaluation")
    usager.choose("Oui")
    usager.choose("Positif")
    usager.page.get_by_label("Commentaire").fill("Réponse claire, merci.")
    html = usager.follow(usager.page.get_by_role("button", name="Envoyer mon évaluation"),
                         "evaluated")
    assert "Merci ! Votre évaluation a bien été enregistrée." in html, html
    assert "Réponse apportée" in html
    assert "Merci pour votre retour, nous le partageons." in html

    # Anyone sees the published answer.
    visitor = Visitor(browser, author)
    html = visitor.goto(f"/experiences/{experience_id}", "public-experience")
    assert "La réponse du service" in html and "L'équipe de la CAF de Lyon" in html
    assert requests.get(f"{GATEWAY}/experiences/{experience_id}", timeout=10).ok
    for person in (usager, moderator, agent, super_agent, visitor):
        person.close()
