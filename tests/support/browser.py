"""A person in Debian's Chromium driven by Playwright, for the e2e tests through the pages.

The `browser` fixture that launches Chromium is in tests/e2e/conftest.py.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.support.e2e import PASSWORD, url

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "e2e" / "screenshots"
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
        self.page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
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
