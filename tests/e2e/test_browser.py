"""The whole lifecycle through the gateway's pages, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ADMIN, url, wait_until
from tests.e2e.test_lifecycle import PASSWORD, _login, _mails, _post, _text

pytestmark = pytest.mark.e2e
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
GATEWAY = url("gateway")
AXE = (Path(__file__).resolve().parents[2] / "services" / "gateway" / "node_modules"
       / "axe-core" / "axe.min.js")
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag",
      values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Chromium from Debian (/usr/bin/chromium) is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=LAUNCH_ARGS)
        yield launched
        launched.close()


class Visitor:
    """One person in their own browser context; checks every page they see."""

    def __init__(self, browser, forbidden: str):
        self.context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(15_000)
        if AXE.exists():  # an init script runs whatever the page's Content-Security-Policy
            self.context.add_init_script(path=str(AXE))
        self.page = self.context.new_page()
        self.forbidden = forbidden
        self.refused: list[str] = []  # what the Content-Security-Policy blocked
        self.page.on("console", lambda message: self.refused.append(message.text)
                     if "Content Security Policy" in message.text else None)

    def check(self, shot: str | None = None):
        page = self.page
        page.wait_for_load_state("load")
        html = page.content()
        assert page.locator("html").get_attribute("lang") == "fr", page.url
        assert self.forbidden not in html, f"the author's e-mail shows on {page.url}"
        assert "Erreur interne" not in html, page.url
        assert not self.refused, f"blocked by the Content-Security-Policy on {page.url}: {self.refused}"
        if shot:
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
            serious = self.accessibility_issues()
            assert not serious, f"{shot} ({page.url}): {serious}"
        return html

    def accessibility_issues(self) -> list[dict]:
        """axe-core's serious and critical WCAG 2.1 A/AA findings on the current page."""
        if not AXE.exists():
            return []
        return [v for v in self.page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]

    def goto(self, path: str, shot: str | None = None):
        response = self.page.goto(path if path.startswith("http") else GATEWAY + path)
        assert response is not None and response.status < 500, (path, response and response.status)
        return self.check(shot)

    def follow(self, locator, shot: str | None = None, key: str | None = None):
        """Click a link or button (or press a key in a field), wait for the next page, check it."""
        with self.page.expect_navigation(wait_until="load"):
            locator.press(key) if key else locator.click()
        return self.check(shot)

    def login(self, address: str):
        self.goto("/connexion")
        self.page.get_by_label("Adresse électronique").fill(address)
        self.page.get_by_label("Mot de passe").fill(PASSWORD)
        self.follow(self.page.get_by_role("button", name="Se connecter"))
        assert "/connexion" not in self.page.url, self.page.content()

    def choose(self, text: str, exact: bool = True):
        """Tick a DSFR radio as a person does: by clicking its label (the input is hidden)."""
        pattern = re.compile(rf"^\s*{re.escape(text)}\s*$") if exact else text
        label = self.page.locator("label.fr-label", has_text=pattern).first
        label.click()
        target = label.get_attribute("for")
        assert self.page.locator(f"#{target}").first.is_checked(), text

    def poll(self, path: str, ready, timeout: float = 40):
        """Reload the page until ready(page) holds (the services work asynchronously)."""
        deadline = time.time() + timeout
        while True:
            self.goto(path)
            if ready(self.page):
                return
            assert time.time() < deadline, f"{path} never showed what was expected"
            time.sleep(0.5)

    def close(self):
        self.context.close()


def test_a_usager_and_the_agents_carry_an_experience_through_the_pages(platform, browser):
    tag = uuid.uuid4().hex[:8]
    admin = _login(*ADMIN)
    network = _post("identity", "/networks", admin, code=f"CAF{tag}", name=f"CAF {tag}",
                    requires_validation=True)
    structure_name = f"CAF de Lyon {tag}"
    structure = _post("identity", "/structures", admin, network_id=network["id"],
                      name=structure_name, postal_code="69003", city="Lyon")
    addresses = {}
    for profile in ("agent", "super_agent"):
        addresses[profile] = f"{profile}.{tag}@caf.example.fr"
        _post("identity", "/users", admin, email=addresses[profile], name=f"{profile} {tag}",
              profile=profile, missions=["answer"], network_id=network["id"],
              structure_ids=[structure["id"]], password=PASSWORD)
    addresses["moderator"] = f"moderateur.{tag}@ditp.example.fr"
    _post("identity", "/users", admin, email=addresses["moderator"], name=f"Modérateur {tag}",
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
    assert "Elle sera publiée quand un super agent de votre structure" in html, html
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
        for message in _mails(platform["mail"], author):
            found = re.search(r"https?://\S+/evaluation\?token=[A-Za-z0-9_\-]+", _text(message))
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
