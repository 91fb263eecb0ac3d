"""In Chromium: the moderator sees every field the usager wrote with its flags, masks a passage,
unmasks it again, masks another with the keyboard, and only that reaches the public page."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.support.browser import Visitor
from tests.support.e2e import ADMIN, PASSWORD, login, post

pytestmark = pytest.mark.e2e
PHONE = "06 12 34 56 78"
EMAIL = "jeanne.l@example.org"


def test_the_moderator_masks_and_unmasks_before_approving(platform, browser):  # noqa: F811
    tag = uuid.uuid4().hex[:8]
    admin = login(*ADMIN)
    network = post("identity", "/networks", admin, code=f"M{tag}", name=f"Réseau {tag}",
                   requires_validation=False)
    structure_name = f"Agence de Rennes {tag}"
    post("identity", "/structures", admin, network_id=network["id"], name=structure_name,
         postal_code="35000", city="Rennes")
    moderator_address = f"moderatrice.{tag}@ditp.example.fr"
    post("identity", "/users", admin, email=moderator_address, name=f"Modératrice {tag}",
         profile="moderator", missions=[], network_id=None, structure_ids=[], password=PASSWORD)
    author = f"usager.{tag}@example.org"
    title = f"Rappel promis {tag} au {PHONE}"

    usager = Visitor(browser, author)
    usager.goto("/donner-mon-avis")
    form = usager.page
    form.get_by_label("Titre de votre expérience").fill(title)
    form.get_by_label("Décrivez votre expérience").fill(
        "Le guichet 12 était fermé toute la matinée et personne ne renseignait les gens.")
    form.get_by_label("Service concerné").fill("Agence de Rennes")
    form.get_by_label("Code postal du service").fill("35000")
    usager.choose("Accueil physique")
    form.get_by_label("Date de votre expérience").fill("2026-11-02")
    usager.choose("Négatif")
    form.get_by_label("Pseudonyme").fill(f"Jeanne {EMAIL}")
    form.get_by_label("Adresse électronique").fill(author)
    usager.follow(form.get_by_role("button", name="Envoyer mon expérience"))

    moderator = Visitor(browser, author)
    moderator.login(moderator_address)
    listed = re.compile(f"Rappel promis {tag}")
    moderator.poll("/moderation", lambda page: page.get_by_role("link", name=listed).count() > 0)
    moderator.follow(moderator.page.get_by_role("link", name=listed))
    page = moderator.page
    # Every field the usager wrote, each with its flags; none of it in the tab's title.
    for heading in ("Titre", "Témoignage", "Nom affiché (pseudonyme)", "Lieu ou service indiqué"):
        assert page.get_by_role("heading", name=heading, exact=True).count() == 1, heading
    assert PHONE not in page.title() and tag not in page.title()
    assert page.locator("#title-original mark").filter(has_text=PHONE).count() == 1
    assert page.locator("#author_name-original mark").filter(has_text=EMAIL).count() == 1
    assert page.get_by_label(re.compile(rf"Masquer « {PHONE} »")).is_checked()
    assert "[téléphone masqué]" in page.locator("#title-publie").inner_text()
    for fact in ("35000", "Accueil physique", "Négatif"):
        assert page.get_by_text(fact, exact=True).count() >= 1, fact

    # She masks a passage, previews, then unmasks it: it is published as written.
    page.get_by_label(re.compile("^Masquer aussi ce passage")).nth(1).fill("guichet 12")
    moderator.follow(page.get_by_role("button", name="Prévisualiser"), "moderation-masked")
    added = page.get_by_label(re.compile("Masquer « guichet 12 »"))
    assert added.is_checked()
    assert "guichet 12" not in page.locator("#body-publie").inner_text()
    added.focus()
    page.keyboard.press("Space")
    assert not added.is_checked()
    moderator.follow(page.get_by_role("button", name="Prévisualiser"))
    assert "guichet 12" in page.locator("#body-publie").inner_text()

    # She masks another passage from the keyboard alone, then approves for the structure.
    passage = page.get_by_label(re.compile("^Masquer aussi ce passage")).nth(1)
    passage.fill("toute la matinée")
    moderator.follow(passage, key="Enter")
    assert "toute la matinée" not in page.locator("#body-publie").inner_text()
    search = page.get_by_label("Rechercher une structure")
    search.fill(structure_name)
    moderator.follow(page.get_by_role("button", name="Rechercher"))
    moderator.choose(structure_name, exact=False)
    assert page.get_by_label(re.compile("Masquer « toute la matinée »")).is_checked()
    html = moderator.follow(page.get_by_role("button", name="Approuver et publier"))
    assert "L'expérience est approuvée et sera publiée." in html, html

    visitor = Visitor(browser, author)
    visitor.poll("/experiences", lambda p: p.get_by_role("link", name=listed).count() > 0)
    listing = visitor.page.content()
    assert PHONE not in listing and EMAIL not in listing
    visitor.follow(visitor.page.get_by_role("link", name=listed), "public-masked")
    public = visitor.page.content()
    assert "[téléphone masqué]" in public and PHONE not in public and EMAIL not in public
    assert PHONE not in visitor.page.title()
    assert "guichet 12" in public and "toute la matinée" not in public
    for person in (usager, moderator, visitor):
        person.close()
