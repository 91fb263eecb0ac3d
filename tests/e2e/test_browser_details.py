"""In Chromium, the details that cost moderators and diagnostic teams time: a re-orientation
request told apart in the queue and shown with the structure's internal comments; the channels
of a new diagnostic following the structure chosen; a refused completion summed up per
commitment."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.support.browser import Visitor
from tests.support.e2e import ADMIN, PASSWORD, login, post, url, wait_until

pytestmark = pytest.mark.e2e


def test_a_reorientation_request_in_the_queue_with_the_structures_comments(
        platform, browser):  # noqa: F811 - pytest passes the imported fixture
    tag = uuid.uuid4().hex[:8]
    admin = login(*ADMIN)
    network = post("identity", "/networks", admin, code=f"R{tag}", name=f"Réseau {tag}",
                   requires_validation=False)
    structure = post("identity", "/structures", admin, network_id=network["id"],
                     name=f"Agence de Brest {tag}", postal_code="29200", city="Brest")
    agent_address = f"agent.{tag}@example.fr"
    post("identity", "/users", admin, email=agent_address, name=f"Agent {tag}", profile="agent",
         missions=["answer"], network_id=network["id"], structure_ids=[structure["id"]],
         password=PASSWORD)
    moderator_address = f"moderatrice.{tag}@ditp.example.fr"
    post("identity", "/users", admin, email=moderator_address, name=f"Modératrice {tag}",
         profile="moderator", missions=[], network_id=None, structure_ids=[], password=PASSWORD)
    moderator = login(moderator_address, PASSWORD)
    author = f"usager.{tag}@example.org"
    title = f"Pension de réversion {tag}"
    exp_id = post("experiences", "/experiences", expect=(202,), title=title,
                  body="On m'a renvoyé d'un guichet à l'autre pour ma pension.",
                  structure_hint="Agence de Brest", postal_code="29200", channel="in_person",
                  occurred_on="2026-11-02", feeling="negative", author_name="Yann",
                  author_email=author)["id"]

    def case_of(kind):
        cases = requests.get(url("moderation", f"/cases?status=pending&kind={kind}&per_page=100"),
                             headers=moderator, timeout=10).json()["items"]
        return next((c for c in cases if c["experience_id"] == exp_id), None)

    case = wait_until(lambda: case_of("submission"), 30)
    assert case, "moderation never opened a case"
    post("moderation", f"/cases/{case['id']}/approve", moderator, structure_id=structure["id"])
    agent = login(agent_address, PASSWORD)
    assert wait_until(lambda: requests.get(url("experiences", f"/experiences/{exp_id}"),
                                           timeout=10).json().get("status") == "to_process", 30)
    post("experiences", f"/experiences/{exp_id}/comments", agent,
         body="Pension de réversion : c'est la caisse de retraite, pas nous.")
    post("experiences", f"/experiences/{exp_id}/reorientation", agent,
         reason="Relève de la caisse de retraite.")
    assert wait_until(lambda: case_of("reorientation"), 30), "no re-orientation case"

    person = Visitor(browser, author)
    person.login(moderator_address)
    listed = re.compile(re.escape(title))
    person.poll("/moderation?kind=reorientation",
                lambda page: page.get_by_role("link", name=listed).count() > 0)
    page = person.page
    html = person.check("moderation-queue-kinds")
    row = page.locator("tr", has=page.get_by_role("link", name=listed))
    assert row.locator(".fr-badge").text_content().strip() == "Demande de réorientation"
    assert re.search(r"à l'instant|il y a \d+ min", row.inner_text())
    assert "il y a 0 min" not in html
    filters = page.get_by_role("navigation", name="Nature des dossiers")
    assert filters.locator("[aria-current=page]").inner_text() == "Demandes de réorientation"
    person.follow(page.get_by_role("link", name=listed), "moderation-reorientation-comments")
    comments = page.locator("#commentaires")
    assert "Pension de réversion : c'est la caisse de retraite, pas nous." in comments.inner_text()
    assert f"Agent {tag}" in comments.inner_text()
    assert "Relève de la caisse de retraite." in page.content()
    assert "score" not in page.locator("main").inner_text().lower()
    person.close()


def test_the_channels_follow_the_structure_and_a_refusal_is_summed_up(
        platform, browser):  # noqa: F811
    tag = uuid.uuid4().hex[:8]
    admin = login(*ADMIN)
    network = post("identity", "/networks", admin, code=f"D{tag}", name=f"Réseau {tag}")
    declared = post("identity", "/structures", admin, network_id=network["id"],
                    name=f"Agence de Quimper {tag}", channels=["phone", "email"])
    bare = post("identity", "/structures", admin, network_id=network["id"],
                name=f"Antenne de Morlaix {tag}")
    referent_address = f"referente.{tag}@example.fr"
    post("identity", "/users", admin, email=referent_address, name=f"Référente {tag}",
         profile="referent", missions=["diagnostic"], network_id=network["id"],
         structure_ids=[], password=PASSWORD)
    token = {"Authorization": login(referent_address, PASSWORD)["Authorization"]}
    for structure in (declared, bare):
        assert wait_until(lambda s=structure: requests.get(
            url("diagnostic", f"/diagnostics?structure_id={s['id']}"), headers=token,
            timeout=10).status_code == 200, 30), "diagnostic never learnt the structure"

    person = Visitor(browser, "@example.org")
    person.login(referent_address)
    person.goto("/agent/diagnostic", "diagnostic-channels")
    page = person.page
    boxes = page.locator('input[name="channels"]')

    def ticked():
        return boxes.evaluate_all("inputs => inputs.filter(i => i.checked).map(i => i.value)")

    assert ticked() == []  # two structures: none is guessed
    assert page.locator('[data-channels-button]').count() == 0  # the script ticks instead
    structure = page.get_by_label("Structure", exact=True)
    structure.select_option(label=bare["name"])
    assert ticked() == ["in_person", "phone", "mail_email", "online"]
    assert "Aucun canal déclaré" in page.locator("#channels-said").inner_text()
    structure.select_option(label=declared["name"])
    assert ticked() == ["phone", "mail_email"]
    assert "Téléphone, Courrier / courriel" in page.locator("#channels-said").inner_text()
    html = person.follow(page.get_by_role("button", name="Commencer le diagnostic"))
    assert "Le diagnostic est commencé." in html, html
    assert page.locator("h3", has_text="Téléphone").count() == 8
    assert page.locator("h3", has_text="Accueil physique").count() == 0

    html = person.follow(page.get_by_role("button", name="Terminer le diagnostic"),
                         "diagnostic-incomplete-summary")
    links = page.locator("#resume-erreurs a")
    assert 1 <= links.count() <= 8, html
    for i in range(links.count()):
        link = links.nth(i)
        assert re.fullmatch(r"\d+ questions? sans réponse dans l'engagement [1-8]",
                            link.inner_text()), link.inner_text()
        assert page.locator(link.get_attribute("href")).count() == 1
    person.close()
