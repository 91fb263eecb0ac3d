"""The moderators' queue and what saves them time on a case: the kind of each case (badge and
filter), ages in words, suggestions in words instead of a score, and on a re-orientation
request the structures' internal comments."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from services.gateway.clients import ServiceError, Unavailable
from services.gateway.views.moderation import age_label, likelihood, suggestion_choices
from tests.support.gateway import CASE, login_as

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def ago(**delta) -> str:
    return (NOW - timedelta(**delta)).isoformat()


@pytest.mark.parametrize("created_at,said", [
    (ago(seconds=0), "à l'instant"),
    (ago(seconds=59), "à l'instant"),
    ((NOW + timedelta(seconds=40)).isoformat(), "à l'instant"),  # a clock slightly ahead
    (ago(minutes=1), "il y a 1 min"),
    (ago(minutes=12, seconds=30), "il y a 12 min"),
    (ago(minutes=59, seconds=59), "il y a 59 min"),
    (ago(hours=1), "il y a 1 h"),
    (ago(hours=3, minutes=40), "il y a 3 h"),
    (ago(hours=23, minutes=59), "il y a 23 h"),
    (ago(hours=24), "il y a 1 j"),
    (ago(days=2, hours=5), "il y a 2 j"),
    ("2026-11-02T11:48:00Z", "il y a 12 min"),
    ("2026-11-02T09:00:00", "il y a 3 h"),  # naive: UTC
    ("hier", ""),
    (None, ""),
])
def test_ages_read_in_words_never_zero_minutes(created_at, said):
    assert age_label(created_at, now=NOW) == said


def listing(*items, total=None):
    return {"items": list(items), "total": len(items) if total is None else total, "page": 1,
            "per_page": 20}


SUBMISSION = {"id": "c1", "experience_id": "7", "kind": "submission", "status": "pending",
              "title": "Guichet fermé", "flag_count": 2,
              "created_at": "2026-01-01T00:00:00+00:00"}
REQUEST = {"id": "c2", "experience_id": "8", "kind": "reorientation", "status": "pending",
           "title": "Dossier de retraite", "flag_count": 0,
           "created_at": datetime.now(UTC).isoformat()}


@pytest.fixture
def moderator(app, fakes):
    browser = app.test_client()
    login_as(browser, fakes, profile="moderator", network_id=None, structure_ids=())
    # Made now, not when the module was collected: the suite may run minutes later.
    just_made = dict(REQUEST, created_at=datetime.now(UTC).isoformat())
    fakes["moderation"].answers[("GET", "/cases")] = listing(SUBMISSION, just_made)
    return browser


def cases_calls(fakes):
    return [c for c in fakes["moderation"].calls if (c["method"], c["path"]) == ("GET", "/cases")]


def test_each_case_says_its_kind_with_a_badge(moderator, fakes):
    html = moderator.get("/moderation").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td><a[^>]*>(.*?)</a></td>", html, re.S)
    assert [(re.sub(r"<[^>]+>", "", badge).strip(), title) for badge, title in rows] == [
        ("Nouvelle expérience", "Guichet fermé"), ("Demande de réorientation", "Dossier de retraite")]
    assert re.search(r'class="fr-badge fr-badge--sm fr-badge--no-icon fr-badge--purple-glycine">'
                     r"Demande de réorientation</p>", html)
    assert '<th scope="col">Nature</th>' in html
    # The request just made reads « à l'instant », the old one in days.
    assert re.search(r'<time datetime="[^"]+">à l&#39;instant</time>', html)
    assert re.search(r'<time datetime="2026-01-01T00:00:00\+00:00">il y a \d+ j</time>', html)
    assert cases_calls(fakes)[-1]["params"] == {"status": "pending", "page": 1, "per_page": 20}


def test_the_queue_filters_by_kind_and_keeps_it_across_links(moderator, fakes):
    fakes["moderation"].answers[("GET", "/cases")] = listing(REQUEST, total=45)
    html = moderator.get("/moderation?status=pending&kind=reorientation").get_data(as_text=True)
    assert cases_calls(fakes)[-1]["params"] == {"status": "pending", "page": 1, "per_page": 20,
                                               "kind": "reorientation"}
    kinds = html[html.index('aria-label="Nature des dossiers"'):]
    assert re.search(r'href="/moderation\?status=pending&amp;kind=reorientation" '
                     r'aria-current="page">Demandes de réorientation</a>', kinds)
    assert re.search(r'href="/moderation\?status=pending" >Tous les dossiers</a>', kinds)
    # The status tags and the pager keep the kind chosen.
    assert 'href="/moderation?status=rerouted&amp;kind=reorientation"' in html
    assert re.search(r'href="/moderation\?page=2&amp;status=pending&amp;kind=reorientation"|'
                     r'href="/moderation\?status=pending&amp;kind=reorientation&amp;page=2"', html)
    assert "45 dossiers — en attente — demandes de réorientation" in html


def test_an_unknown_kind_is_not_sent_to_the_api(moderator, fakes):
    html = moderator.get("/moderation?kind=%3Cscript%3E").get_data(as_text=True)
    assert "kind" not in cases_calls(fakes)[-1]["params"]
    assert re.search(r'href="/moderation\?status=pending" aria-current="page">Tous les dossiers',
                     html)
    assert "<script>" not in html.split("<main", 1)[-1].split("</main>")[0]


def test_agents_may_not_open_the_queue(app, fakes):
    browser = app.test_client()
    login_as(browser, fakes, profile="agent", missions=["answer"])
    assert browser.get("/moderation?kind=reorientation").status_code == 403
    assert cases_calls(fakes) == []


# Suggestions --------------------------------------------------------------------------------------
@pytest.mark.parametrize("score,words", [
    (115, "Très probable"), (75, "Très probable"), (74.9, "Probable"), (60, "Probable"),
    (40, "Probable"), (39.9, "Possible"), (35, "Possible"), (0, "Possible"),
    (None, "Possible"), ("80", "Possible"), (True, "Possible"),
])
def test_a_score_becomes_words(score, words):
    assert likelihood(score) == words


def test_suggestions_keep_the_api_order_and_show_no_figure():
    shown = suggestion_choices([{"id": "s1", "name": "CAF du Rhône", "score": 115},
                                {"id": "s2", "name": "CAF de l'Ain", "score": 15}])
    assert [s["id"] for s in shown] == ["s1", "s2"]
    assert [s["choice_text"] for s in shown] == ["CAF du Rhône — suggestion : très probable",
                                                 "CAF de l'Ain — suggestion : possible"]


def test_the_case_page_offers_suggestions_in_words(moderator, fakes):
    fakes["moderation"].answers[("GET", "/cases/c1")] = dict(CASE, suggested_structures=[
        {"id": "s9", "name": "CAF du Rhône", "score": 115},
        {"id": "s8", "name": "CAF de l'Ain", "score": 15}])
    html = moderator.get("/moderation/cas/c1").get_data(as_text=True)
    assert re.search(r'<label class="fr-label" for="structure_id-s9">CAF du Rhône — suggestion : '
                     r"très probable</label>", html)
    assert "suggestion : possible</label>" in html
    assert "score" not in html.lower() and "115" not in html
    # A new submission has no internal comments to fetch.
    assert not [c for c in fakes["experiences"].calls if c["path"].endswith("/comments")]


# Internal comments on a re-orientation request ----------------------------------------------------
REORIENTATION = dict(CASE, id="c2", experience_id="8", kind="reorientation",
                     reason="Concerne la CPAM.",
                     suggested_structures=[{"id": "s2", "name": "CPAM du Rhône", "score": 80}])
COMMENTS = {"items": [
    {"id": "k1", "author_id": "u5", "author_name": "Agent CAF", "body": "Dossier retraite : CNAV.",
     "created_at": "2026-11-01T23:30:00+00:00"},
    {"id": "k2", "author_id": "u6", "author_name": "", "body": "<b>Vu</b> avec l'accueil.",
     "created_at": "2026-11-02T08:00:00+00:00"}]}


def test_a_reorientation_request_shows_the_structures_comments(moderator, fakes):
    fakes["moderation"].answers[("GET", "/cases/c2")] = REORIENTATION
    fakes["experiences"].answers[("GET", "/experiences/8/comments")] = COMMENTS
    html = moderator.get("/moderation/cas/c2").get_data(as_text=True)
    [call] = [c for c in fakes["experiences"].calls if c["path"] == "/experiences/8/comments"]
    assert call["method"] == "GET" and call["token"]  # the moderator's own rights
    section = html[html.index('id="commentaires"'):html.index('id="titre-reorienter"')]
    assert 'aria-labelledby="titre-commentaires"' in section
    assert "<strong>Agent CAF</strong>, le 02/11/2026" in section  # Paris time
    assert "Dossier retraite : CNAV." in section
    assert "&lt;b&gt;Vu&lt;/b&gt; avec l&#39;accueil." in section and "<b>Vu" not in section
    assert "<strong>Agent</strong>, le 02/11/2026" in section
    assert "CPAM du Rhône — suggestion : très probable" in html


@pytest.mark.parametrize("failure", [Unavailable(503, "unavailable", "Service indisponible."),
                                     ServiceError(500, "internal", "Erreur.")])
def test_comments_that_cannot_be_read_leave_the_page_usable(moderator, fakes, failure):
    fakes["moderation"].answers[("GET", "/cases/c2")] = REORIENTATION
    fakes["experiences"].answers[("GET", "/experiences/8/comments")] = failure
    response = moderator.get("/moderation/cas/c2")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Les commentaires internes sont momentanément indisponibles" in html
    assert "Réorienter vers une autre structure" in html


def test_no_comment_yet_is_said(moderator, fakes):
    fakes["moderation"].answers[("GET", "/cases/c2")] = REORIENTATION
    fakes["experiences"].answers[("GET", "/experiences/8/comments")] = {"items": []}
    html = moderator.get("/moderation/cas/c2").get_data(as_text=True)
    assert "Aucun commentaire interne sur cette expérience." in html
