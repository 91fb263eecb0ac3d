"""In Chromium: an administrator sets up a network and its structure tree from the pages alone
(create, move, CSV import with a bad row reported, deactivation with a confirmation), invites an
agent into that tree and invites her again; axe checks every new page, in light and dark."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.support.browser import Visitor
from tests.support.e2e import ADMIN, mails_to, wait_until

pytestmark = pytest.mark.e2e
NOBODY = "personne@jamais.example"  # no usager's address shows on these pages anyway


def _in_tree(page, name: str):
    """The tree's item of the structure called `name` (its link, then its children's list)."""
    return page.locator(f"#arborescence li:has(> a:text-is('{name}'))")


def test_an_administrator_sets_up_a_network_and_its_tree_from_the_pages(platform, browser):  # noqa: F811
    tag = uuid.uuid4().hex[:6]
    region, agency, desk = (f"Direction du Rhône {tag}", f"Agence de Villeurbanne {tag}",
                            f"Guichet Gratte-Ciel {tag}")
    admin = Visitor(browser, NOBODY)
    page = admin.page
    admin.goto("/connexion")
    page.get_by_label("Adresse électronique").fill(ADMIN[0])
    page.get_by_label("Mot de passe", exact=True).fill(ADMIN[1])
    admin.follow(page.get_by_role("button", name="Se connecter"))
    assert "/connexion" not in page.url, page.content()

    # From the menu to a new network.
    admin.follow(page.locator("#header-navigation").get_by_role("link", name="Administration"),
                 "admin-index")
    admin.follow(page.get_by_role("link", name="Réseaux", exact=True), "admin-networks")
    admin.follow(page.get_by_role("link", name="Créer un réseau"), "admin-network-form")
    page.get_by_label("Nom du réseau").fill(f"Caisses d'allocations familiales {tag}")
    page.get_by_label("Code").fill(f"CAF-{tag}")
    admin.choose("Un super agent valide chaque réponse avant sa publication")
    page.get_by_label("Délai cible de réponse, en jours").fill("0")
    html = admin.follow(page.get_by_role("button", name="Créer le réseau"), "admin-network-errors")
    assert "Saisissez un nombre de jours entre 1 et 365." in html
    page.get_by_label("Délai cible de réponse, en jours").fill("10")
    html = admin.follow(page.get_by_role("button", name="Créer le réseau"), "admin-tree-empty")
    assert f"Le réseau « Caisses d'allocations familiales {tag} » est créé." in html
    assert "aucune structure" in html
    tree_url = page.url

    # Two structures, the second at the top level for now.
    for name, postal_code, city in ((region, "69003", "Lyon"),
                                    (agency, "69100", "Villeurbanne")):
        admin.follow(page.get_by_role("link", name="Ajouter une structure"),
                     "admin-structure-form" if name == region else None)
        page.get_by_label("Nom de la structure").fill(name)
        page.get_by_label("Code postal").fill(postal_code)
        page.get_by_label("Commune").fill(city)
        page.locator("label.fr-label", has_text="Accueil physique").click()
        html = admin.follow(page.get_by_role("button", name="Créer la structure"))
        assert f"La structure « {name} » est créée." in html
    assert _in_tree(page, region).locator("ul").count() == 0

    # The agency moves under the region; the region cannot then go under its own child.
    admin.follow(_in_tree(page, agency).get_by_role("link", name=agency, exact=True),
                 "admin-structure-edit")
    page.get_by_label("Structure parente").select_option(label=region)
    html = admin.follow(page.get_by_role("button", name="Enregistrer les modifications"),
                        "admin-tree")
    assert "La structure est déplacée" in html
    assert _in_tree(page, region).locator("ul a", has_text=agency).count() == 1
    admin.follow(_in_tree(page, region).get_by_role("link", name=region, exact=True))
    offered = page.get_by_label("Structure parente").locator("option").all_inner_texts()
    assert not any(agency in text for text in offered), offered
    admin.goto(tree_url)

    # A CSV file: two good rows (one under the imported one), one bad row reported by line.
    admin.follow(page.get_by_role("link", name="Importer un fichier CSV"), "admin-import")
    csv_text = ("name;parent_name;postal_code;city;channels\n"
                f"{desk};{agency};69100;Villeurbanne;in_person|phone\n"
                f"Agence fantôme {tag};Inconnue;69200;Vénissieux;\n"
                f"Antenne mobile {tag};{desk};;;online\n")
    page.get_by_label("Fichier CSV").set_input_files(files=[{
        "name": "structures.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}])
    html = admin.follow(page.get_by_role("button", name="Importer le fichier"),
                        "admin-import-report")
    assert "2 structures importées." in html and "1 ligne refusée" in html
    row = page.locator("table", has_text="Lignes refusées").locator("tbody tr")
    assert row.count() == 1
    assert re.sub(r"\s+", " ", row.inner_text()).startswith("3 parent_name structure parente "
                                                            "inconnue « Inconnue »")
    admin.follow(page.get_by_role("link", name="Voir l'arborescence"))
    assert _in_tree(page, agency).locator("ul a", has_text=desk).count() == 1
    assert _in_tree(page, desk).locator("ul a", has_text=f"Antenne mobile {tag}").count() == 1
    assert _in_tree(page, region).locator(f"a:text-is('Agence fantôme {tag}')").count() == 0

    # Deactivation asks first, and closes the tree from its leaves.
    admin.follow(_in_tree(page, desk).get_by_role("link", name=desk, exact=True))
    html = admin.follow(page.get_by_role("link", name="Désactiver la structure"),
                        "admin-structure-deactivate")
    assert f"Antenne mobile {tag}" in html and "désactivez-les ou déplacez-les d'abord" in html
    html = admin.follow(page.get_by_role("button", name="Oui, désactiver la structure"))
    assert "n'est pas possible" in html and "désactivez-les ou déplacez-les d'abord" in html
    admin.goto(tree_url)
    admin.follow(_in_tree(page, f"Antenne mobile {tag}").get_by_role("link"))
    admin.follow(page.get_by_role("link", name="Désactiver la structure"))
    html = admin.follow(page.get_by_role("button", name="Oui, désactiver la structure"))
    assert f"La structure « Antenne mobile {tag} » est désactivée." in html
    assert _in_tree(page, f"Antenne mobile {tag}").get_by_text("Désactivée").count() == 1

    # The network's target delay changes.
    admin.follow(page.get_by_role("link", name="Réseaux", exact=True))
    admin.follow(page.get_by_role("link", name=re.compile(f"^Caisses d'allocations familiales {tag}")))
    page.get_by_label("Délai cible de réponse, en jours").fill("12")
    html = admin.follow(page.get_by_role("button", name="Enregistrer les modifications"))
    assert "Les modifications du réseau sont enregistrées." in html
    assert page.locator("tr", has_text=f"CAF-{tag}").get_by_text("12 jours").count() == 1

    # An agent invited into the tree, invited again, then deactivated after a confirmation.
    address = f"agent.{tag}@caf.example.fr"
    admin.goto("/agent/utilisateurs/nouveau")
    page.get_by_role("combobox", name=re.compile("^Réseau")).select_option(
        label=f"Caisses d'allocations familiales {tag}")
    admin.follow(page.get_by_role("button", name="Choisir ce réseau"))
    page.get_by_label("Adresse électronique").fill(address)
    page.get_by_label("Nom", exact=True).fill(f"Agente {tag}")
    admin.choose("Agent")
    page.locator("label.fr-label", has_text="Répondre aux expériences").click()
    page.locator("#structure_ids label.fr-label", has_text=re.compile(f"^{desk}")).click()
    admin.check("users-form-tree")
    html = admin.follow(page.get_by_role("button", name="Créer le compte et envoyer l'invitation"))
    assert f"Le compte d'Agente {tag} est créé" in html
    admin.goto(f"/agent/utilisateurs?q={tag}", "users-list")
    assert page.locator("tr", has_text=address).get_by_text("Invitation envoyée").count() == 1
    admin.follow(page.get_by_role("link", name=f"Agente {tag}"), "users-invited")
    assert page.locator("#structure_ids input:checked").count() == 1
    html = admin.follow(page.get_by_role("button", name="Renvoyer l'invitation"))
    assert "le lien précédent ne fonctionne plus" in html
    assert wait_until(lambda: len(mails_to(platform["mail"], address)) == 2, 30), \
        "the second invitation never arrived"
    admin.follow(page.get_by_role("link", name="Désactiver le compte"), "users-deactivate")
    html = admin.follow(page.get_by_role("button", name="Oui, désactiver le compte"))
    assert "Le compte est désactivé" in html and "Désactivé" in html

    # The new pages in the dark theme, axe again.
    page.emulate_media(color_scheme="dark")
    for path, shot in (("/administration", "admin-index-dark"), (tree_url, "admin-tree-dark")):
        admin.goto(path, shot)
        assert page.locator("html").get_attribute("data-fr-theme") == "dark"
    admin.follow(_in_tree(page, agency).get_by_role("link", name=agency, exact=True),
                 "admin-structure-edit-dark")
    admin.close()
