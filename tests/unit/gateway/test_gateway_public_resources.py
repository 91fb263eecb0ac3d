"""« Ressources »: guides and the FAQ read from Markdown files (raw HTML never rendered), a
server-side search over titles and text, for signed-in staff only."""

from __future__ import annotations

import os
import re

import pytest

from services.gateway.views import resources
from tests.support.gateway import login

FAQ_SOURCE = (resources.FOLDER / "faq.md").read_text(encoding="utf-8")


def test_resources_need_a_session(client):
    for path in ("/agent/ressources", "/agent/ressources?q=diagnostic",
                 "/agent/ressources/repondre-a-une-experience"):
        response = client.get(path)
        assert response.status_code == 302 and "/connexion?next=" in response.headers["Location"]


def test_the_nav_offers_ressources_to_signed_in_staff_only(client, fakes):
    assert 'href="/agent/ressources"' not in client.get("/").get_data(as_text=True)
    login(client, fakes, profile="moderator")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<a class="fr-nav__link" href="/agent/ressources"\s*>Ressources</a>', html)


def test_the_index_lists_the_guides_and_every_question_of_the_faq(client, fakes):
    login(client, fakes)
    html = client.get("/agent/ressources").get_data(as_text=True)
    assert '<label class="fr-label" for="q">Je recherche une question fréquente</label>' in html
    for slug, title in (("repondre-a-une-experience", "Répondre à une expérience"),
                        ("regler-les-notifications", "Régler les notifications par courriel"),
                        ("realiser-le-diagnostic-local", "Réaliser le diagnostic local"),
                        ("reaffecter-ou-demander-une-reorientation", "Réaffecter une expérience")):
        assert re.search(rf'href="/agent/ressources/{slug}">{title}', html), slug
    questions = re.findall(r"^## (.+)$", FAQ_SOURCE, flags=re.M)
    assert len(questions) == 10
    buttons = re.findall(r'class="fr-accordion__btn" aria-expanded="false" '
                         r'aria-controls="(question-\d+)">([^<]+)</button>', html)
    assert [text for _, text in buttons] == [q.replace("'", "&#39;") for q in questions]
    assert all(f'id="{anchor}"' in html for anchor, _ in buttons)


def test_a_guide_is_rendered_from_its_markdown(client, fakes):
    login(client, fakes)
    html = client.get("/agent/ressources/repondre-a-une-experience").get_data(as_text=True)
    assert "<h1>Répondre à une expérience</h1>" in html
    assert "<h2>Rédiger la réponse</h2>" in html and "<strong>Enregistrer le brouillon</strong>" in html
    assert 'aria-current="page">Répondre à une expérience</a>' in html  # in the side menu
    assert client.get("/agent/ressources/inconnu").status_code == 404
    assert client.get("/agent/ressources/..%2Ffaq").status_code == 404


@pytest.mark.parametrize("query,expected", [
    ("reorientation", "Comment les expériences sont-elles orientées vers la bonne structure ?"),
    ("FRÉQUENCE courriel", "Comment recevoir une notification par courriel pour les expériences"),
    ("2 heures", "Combien de temps faut-il prévoir"),
])
def test_the_search_finds_titles_and_text_whatever_the_case_and_accents(client, fakes, query,
                                                                        expected):
    login(client, fakes)
    html = client.get("/agent/ressources", query_string={"q": query}).get_data(as_text=True)
    results = html[html.index('id="titre-resultats"'):html.index('id="titre-guides"')]
    assert re.search(r"\d+ résultats? pour « ", results)
    assert expected.replace("'", "&#39;") in results.replace("'", "&#39;")


def test_a_search_that_finds_nothing_says_so(client, fakes):
    login(client, fakes)
    html = client.get("/agent/ressources?q=zzzz+introuvable").get_data(as_text=True)
    assert "Aucun résultat pour « zzzz introuvable »" in html
    assert "<title>Recherche « zzzz introuvable » — Ressources" in html


def test_every_word_must_be_found(tmp_path):
    (tmp_path / "guides").mkdir()
    (tmp_path / "faq.md").write_text("# FAQ\n\n## Délai de réponse\n\nQuinze jours.\n\n"
                                     "## Profils\n\nLe super agent valide.\n", encoding="utf-8")
    found = resources.library(tmp_path)
    assert [e.title for e in found.search("delai")] == ["Délai de réponse"]
    assert [e.title for e in found.search("super valide")] == ["Profils"]
    assert found.search("super quinze") == [] and found.search("   ") == []


def test_raw_html_in_a_file_is_shown_as_text_and_unsafe_links_are_dropped(tmp_path):
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "01-essai.md").write_text(
        "# Essai <b>gras</b>\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[lien](javascript:alert(3)) et [la FAQ](/agent/ressources#faq)\n", encoding="utf-8")
    (tmp_path / "guides" / "02-Pas Une Adresse.md").write_text("# Ignoré\n", encoding="utf-8")
    (tmp_path / "faq.md").write_text("## Question <i>?</i>\n\nRéponse <u>ici</u>.\n",
                                     encoding="utf-8")
    found = resources.library(tmp_path)
    [guide] = found.guides  # a file name that cannot be an address is left out
    assert guide.slug == "essai"
    html = str(guide.html)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and 'href="javascript' not in html  # left as plain text
    assert '<a href="/agent/ressources#faq">la FAQ</a>' in html
    assert "&lt;u&gt;ici&lt;/u&gt;" in str(found.faq[0].html)


def test_the_title_is_escaped_in_the_page(client, fakes, tmp_path, monkeypatch):
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "01-essai.md").write_text("# Essai <b>gras</b>\n\nTexte.\n",
                                                     encoding="utf-8")
    monkeypatch.setattr(resources, "FOLDER", tmp_path)
    login(client, fakes)
    html = client.get("/agent/ressources/essai").get_data(as_text=True)
    assert "<h1>Essai &lt;b&gt;gras&lt;/b&gt;</h1>" in html


def test_an_edited_file_is_read_again_without_a_restart(tmp_path):
    (tmp_path / "guides").mkdir()
    faq = tmp_path / "faq.md"
    faq.write_text("## Première question\n\nRéponse.\n", encoding="utf-8")
    assert [e.title for e in resources.library(tmp_path).faq] == ["Première question"]
    faq.write_text("## Question changée\n\nRéponse.\n\n## Une autre\n\nTexte.\n", encoding="utf-8")
    stat = faq.stat()
    os.utime(faq, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert [e.title for e in resources.library(tmp_path).faq] == ["Question changée", "Une autre"]


def test_a_result_shows_whole_words_around_the_first_match(tmp_path):
    (tmp_path / "guides").mkdir()
    text = " ".join(f"mot{i:03d}" for i in range(200)) + " réorientation " + \
        " ".join(f"fin{i:03d}" for i in range(200))
    (tmp_path / "faq.md").write_text(f"## Question\n\n{text}\n", encoding="utf-8")
    [entry] = resources.library(tmp_path).faq
    excerpt = entry.excerpt(resources.search_words("REORIENTATION"))
    assert excerpt.startswith("… mot") and excerpt.endswith(" …")
    assert "réorientation" in excerpt
    words = excerpt.strip("… ").split(" ")
    assert all(re.fullmatch(r"(mot|fin)\d{3}|réorientation", w) for w in words), words
