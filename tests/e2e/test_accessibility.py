"""axe-core (npm, beside the DSFR) on the main pages: no serious or critical WCAG 2.1 A/AA issue."""

from __future__ import annotations

import uuid

import pytest

from tests.support.browser import AXE, RUN_AXE, Visitor
from tests.support.e2e import ADMIN, PASSWORD, login, post

pytestmark = pytest.mark.e2e
def _audit(visitor: Visitor, path: str, found: dict) -> None:
    visitor.goto(path)
    serious = visitor.accessibility_issues()
    if serious:
        found[path] = serious


def test_main_pages_have_no_serious_accessibility_issue(platform, browser):  # noqa: F811
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci in services/gateway)")
    tag = uuid.uuid4().hex[:8]
    admin = login(*ADMIN)
    network = post("identity", "/networks", admin, code=f"A{tag}", name=f"Réseau {tag}",
                   requires_validation=True)
    post("identity", "/structures", admin, network_id=network["id"], name=f"Agence {tag}",
         postal_code="69003", city="Lyon")
    people = {}
    for profile, missions, net in (("referent", ["answer", "diagnostic"], network["id"]),
                                   ("moderator", [], None)):
        people[profile] = f"{profile}.{tag}@spp.example.fr"
        post("identity", "/users", admin, email=people[profile], name=f"{profile} {tag}",
             profile=profile, missions=missions, network_id=net, structure_ids=[],
             password=PASSWORD)
    found: dict[str, list] = {}

    usager = Visitor(browser, "@never.example")
    for path in ("/", "/donner-mon-avis", "/experiences", "/connexion", "/mot-de-passe-oublie",
                 "/donnees-ouvertes"):
        _audit(usager, path, found)
    # The form with its errors shown (summary and inline messages).
    usager.goto("/donner-mon-avis")
    usager.follow(usager.page.locator("#contenu").get_by_role("button",
                                                              name="Envoyer mon expérience"))
    errors = usager.accessibility_issues()
    if errors:
        found["/donner-mon-avis (errors)"] = errors
    usager.close()

    referent = Visitor(browser, "@never.example")
    referent.login(people["referent"])
    for path in ("/agent/experiences", "/agent/actions", "/agent/actions/nouvelle",
                 "/agent/tableau-de-bord", "/agent/diagnostic", "/agent/utilisateurs",
                 "/agent/utilisateurs/nouveau", "/agent/profil", "/agent/profil/mot-de-passe"):
        _audit(referent, path, found)
    referent.close()

    moderator = Visitor(browser, "@never.example")
    moderator.login(people["moderator"])
    _audit(moderator, "/moderation", found)
    # The audit can fail: an unlabelled field and an image without text are reported.
    moderator.page.evaluate("""() => {
      document.querySelector("main").insertAdjacentHTML("beforeend",
        '<input type="text" id="sans-etiquette"><img src="/static/x.png">');
    }""")
    caught = {v["id"] for v in moderator.page.evaluate(RUN_AXE)}
    assert {"label", "image-alt"} <= caught, caught
    moderator.close()

    assert not found, "\n".join(
        f"{page}: {v['id']} ({v['impact']}) {v['help']} — {v['targets']}"
        for page, violations in found.items() for v in violations)


def test_the_form_is_reachable_and_sendable_with_the_keyboard_alone(platform, browser):  # noqa: F811
    usager = Visitor(browser, "@never.example")
    page = usager.page
    usager.goto("/donner-mon-avis")
    page.keyboard.press("Tab")  # the first stop is the skip link to the content
    assert page.evaluate("document.activeElement.textContent.trim()") == "Contenu"
    page.keyboard.press("Enter")
    page.wait_for_url("**#contenu")  # a fragment's navigation may land after the key press returns
    assert page.url.endswith("#contenu")
    # From the content, Tab reaches the form's first field before anything else of the page.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") in ("INPUT", "TEXTAREA", "SELECT"):
            break
    assert page.evaluate("document.activeElement.closest('form') !== null")
    # Submitting the empty form with Enter shows the error summary, focused for screen readers.
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    summary = page.locator("#resume-erreurs")
    assert summary.is_visible() and summary.get_attribute("role") == "alert"
    page.wait_for_function("document.activeElement && document.activeElement.id === 'resume-erreurs'")
    usager.close()


def test_a_long_list_of_structures_can_be_filtered(platform, browser):  # noqa: F811
    tag = uuid.uuid4().hex[:8]
    admin = login(*ADMIN)
    network = post("identity", "/networks", admin, code=f"F{tag}", name=f"Réseau {tag}")
    for i in range(18):
        post("identity", "/structures", admin, network_id=network["id"],
             name=f"Agence de {'Lyon' if i % 3 == 0 else 'Lille'} n°{i}")
    address = f"referent.{tag}@spp.example.fr"
    post("identity", "/users", admin, email=address, name=f"Référent {tag}",
         profile="referent", missions=[], network_id=network["id"], structure_ids=[],
         password=PASSWORD)
    referent = Visitor(browser, "@never.example")
    referent.login(address)
    referent.goto("/agent/utilisateurs/nouveau")
    page = referent.page
    boxes = page.locator('[data-choice-of="structure_ids"]')
    assert boxes.count() == 18
    page.get_by_label("Agence de Lille n°1", exact=True).check(force=True)
    page.get_by_label("Filtrer la liste").fill("lyon")  # case and accents do not matter
    visible = [boxes.nth(i).inner_text().strip() for i in range(18) if boxes.nth(i).is_visible()]
    assert sorted(visible) == sorted([f"Agence de Lyon n°{i}" for i in range(0, 18, 3)]
                                     + ["Agence de Lille n°1"])  # the ticked one stays
    page.get_by_label("Filtrer la liste").fill("")
    assert all(boxes.nth(i).is_visible() for i in range(18))
    referent.close()


def test_a_password_can_be_shown_with_the_keyboard_and_hidden_again(platform, browser):  # noqa: F811
    """The DSFR's « Afficher » box, next to each password field, shows what was typed."""
    usager = Visitor(browser, "@never.example")
    page = usager.page
    usager.goto("/connexion")
    page.get_by_label("Mot de passe", exact=True).fill("une phrase de passe")
    assert page.evaluate("document.getElementById('password').type") == "password"
    page.get_by_label("Afficher le mot de passe").focus()
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('password').type === 'text'")
    assert page.evaluate("document.getElementById('password').value") == "une phrase de passe"
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('password').type === 'password'")
    usager.close()
