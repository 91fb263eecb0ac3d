"""The moderation case page of a decided case says what was decided, by whom and when; the
structures offered for routing name their network."""

from __future__ import annotations

import re

import pytest

from services.gateway.clients import Unavailable
from services.gateway.views.moderation import found_choices, structure_text, suggestion_choices
from tests.support.gateway import CASE, login_as

DECIDED_AT = "2026-11-02T08:05:00+00:00"  # 09 h 05 in Paris


@pytest.fixture
def moderator(app, fakes):
    browser = app.test_client()
    login_as(browser, fakes, profile="moderator", sub="u1", name="Alice Martin")
    return browser


def page(browser, fakes, **case) -> str:
    fakes["moderation"].answers[("GET", "/cases/c1")] = dict(CASE, **case)
    response = browser.get("/moderation/cas/c1")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def decision_block(html: str) -> str:
    start = html.index('id="decision"')
    return html[start:html.index("</div>", start)]


def facts(block: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", block, re.S))


def test_a_refusal_shows_its_reason_comment_moderator_and_time(moderator, fakes):
    html = page(moderator, fakes, status="rejected", decided_at=DECIDED_AT, decision={
        "action": "reject", "reason": "off_topic", "moderator_id": "u1",
        "comment": "Votre message ne concerne pas un service public.",
        "decided_at": DECIDED_AT, "structure_id": None, "network_id": None})
    block = decision_block(html)
    assert "Décision : refusé" in block and "fr-callout" in html[html.index('id="decision"') - 40:]
    assert facts(block) == {
        "Motif du refus": "Hors sujet (ne concerne pas un service public)",
        "Commentaire transmis à l&#39;auteur": "Votre message ne concerne pas un service public.",
        "Décidé par": "Vous (Alice Martin)",
        "Le": "02/11/2026 à 09 h 05",
    }


def test_an_approval_names_the_structure_and_network_and_another_moderator(moderator, fakes):
    html = page(moderator, fakes, status="approved", decided_at=DECIDED_AT, decision={
        "action": "approve", "moderator_id": "u7", "decided_at": DECIDED_AT,
        "structure_id": "s9", "structure_name": "CAF de Villeurbanne",
        "network_id": "n1", "network_name": "Réseau CAF", "published": None})
    shown = facts(decision_block(html))
    assert shown["Structure destinataire"] == "CAF de Villeurbanne — Réseau CAF"
    assert shown["Décidé par"] == "Un autre modérateur"
    assert "Motif du refus" not in shown
    assert not fakes["identity"].calls[1:]  # a moderator may not read users: nothing asked


def test_a_reroute_and_a_declined_request_say_what_was_sent(moderator, fakes):
    rerouted = facts(decision_block(page(
        moderator, fakes, kind="reorientation", status="rerouted", decision={
            "action": "reroute", "moderator_id": "u1", "decided_at": DECIDED_AT,
            "structure_id": "s2", "structure_name": "CPAM du Rhône",
            "network_id": "n2", "network_name": "Réseau CPAM", "comment": None})))
    assert rerouted["Nouvelle structure destinataire"] == "CPAM du Rhône — Réseau CPAM"
    assert rerouted["Commentaire transmis à la nouvelle structure"] == "Aucun commentaire."
    declined = facts(decision_block(page(
        moderator, fakes, kind="reorientation", status="declined", decision={
            "action": "decline", "moderator_id": "u1", "decided_at": DECIDED_AT,
            "comment": "Le guichet cité est bien le vôtre."})))
    assert declined["Explication transmise à la structure"] == "Le guichet cité est bien le vôtre."


def test_a_structure_the_replica_does_not_name_is_shown_by_its_id(moderator, fakes):
    shown = facts(decision_block(page(moderator, fakes, status="approved", decision={
        "action": "approve", "moderator_id": "u1", "decided_at": DECIDED_AT,
        "structure_id": "s9", "structure_name": None, "network_name": None})))
    assert shown["Structure destinataire"] == "s9"


def test_the_decision_texts_are_escaped(moderator, fakes):
    html = page(moderator, fakes, status="rejected", decision={
        "action": "reject", "reason": "other", "moderator_id": "u1", "decided_at": DECIDED_AT,
        "comment": "<script>alert(1)</script> & <b>merci</b>"})
    block = decision_block(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;merci&lt;/b&gt;" in block
    assert "<script>alert" not in html and "<b>merci" not in html


def test_a_pending_case_has_no_decision_block(moderator, fakes):
    assert 'id="decision"' not in page(moderator, fakes)


def test_an_administrator_sees_the_other_moderator_by_name(app, fakes):
    admin = app.test_client()
    login_as(admin, fakes, profile="admin", network_id=None, sub="u1")
    fakes["identity"].answers[("GET", "/users/u7")] = {"id": "u7", "name": "Bruno Modérateur"}
    shown = facts(decision_block(page(admin, fakes, status="rejected", decision={
        "action": "reject", "reason": "insult", "moderator_id": "u7",
        "decided_at": DECIDED_AT})))
    assert shown["Décidé par"] == "Bruno Modérateur"


def test_an_administrator_without_the_users_service_still_sees_the_decision(app, fakes):
    admin = app.test_client()
    login_as(admin, fakes, profile="admin", network_id=None, sub="u1")
    fakes["identity"].answers[("GET", "/users/u7")] = Unavailable(
        503, "unavailable", "Indisponible.")
    shown = facts(decision_block(page(admin, fakes, status="rejected", decision={
        "action": "reject", "reason": "insult", "moderator_id": "u7",
        "decided_at": DECIDED_AT})))
    assert shown["Décidé par"] == "Un autre modérateur"
    assert shown["Motif du refus"].startswith("Propos injurieux")


# Networks beside the structures ----------------------------------------------------------------
def test_suggestions_name_their_network():
    shown = suggestion_choices([
        {"id": "s1", "name": "Agence de Villeurbanne", "network_name": "Réseau CAF", "score": 80},
        {"id": "s2", "name": "Agence de Villeurbanne", "network_name": "Réseau MSA", "score": 15},
        {"id": "s3", "name": "Mairie", "network_name": None, "score": 15}])
    assert [s["choice_text"] for s in shown] == [
        "Agence de Villeurbanne — Réseau CAF — suggestion : très probable",
        "Agence de Villeurbanne — Réseau MSA — suggestion : possible",
        "Mairie — suggestion : possible"]


def test_the_case_page_shows_each_suggestion_with_its_network(moderator, fakes):
    html = page(moderator, fakes, suggested_structures=[
        {"id": "s9", "name": "CAF de Villeurbanne", "network_id": "n1",
         "network_name": "Réseau CAF", "score": 80}])
    assert re.search(r'<label class="fr-label" for="structure_id-s9">CAF de Villeurbanne — '
                     r"Réseau CAF — suggestion : très probable</label>", html)


def test_found_structures_name_their_network(moderator, fakes):
    fakes["identity"].answers[("GET", "/networks")] = {"items": [
        {"id": "n1", "name": "Réseau CAF"}, {"id": "n2", "name": "Réseau MSA"}], "total": 2}
    fakes["identity"].answers[("GET", "/structures")] = {"items": [
        {"id": "s2", "name": "Agence", "city": "Lyon", "network_id": "n1"},
        {"id": "s3", "name": "Agence", "city": "Lyon", "network_id": "n2"}]}
    fakes["moderation"].answers[("GET", "/cases/c1")] = CASE
    html = moderator.get("/moderation/cas/c1?structure_q=agence").get_data(as_text=True)
    assert re.search(r'for="structure_id-s2">Agence — Lyon — Réseau CAF</label>', html)
    assert re.search(r'for="structure_id-s3">Agence — Lyon — Réseau MSA</label>', html)
    # one read of the networks for the whole list
    assert [c["path"] for c in fakes["identity"].calls[1:]] == ["/networks", "/structures"]


def test_found_structures_without_networks_keep_their_name_and_city(moderator, fakes):
    fakes["identity"].answers[("GET", "/networks")] = Unavailable(
        503, "unavailable", "Indisponible.")
    fakes["identity"].answers[("GET", "/structures")] = {"items": [
        {"id": "s2", "name": "CPAM", "city": "Lyon", "network_id": "n1"}]}
    fakes["moderation"].answers[("GET", "/cases/c1")] = CASE
    html = moderator.get("/moderation/cas/c1?structure_q=cpam").get_data(as_text=True)
    assert re.search(r'for="structure_id-s2">CPAM — Lyon</label>', html)
    assert "La recherche de structures est indisponible." not in html


def test_the_pure_texts():
    assert structure_text({"id": "s1", "name": "CAF", "network_name": "Réseau CAF"}) == \
        "CAF — Réseau CAF"
    assert structure_text({"id": "s1", "name": None}) == "s1"
    assert [c["choice_text"] for c in found_choices(
        [{"id": "s1", "name": "CAF", "city": None, "network_id": "n9"}], {})] == ["CAF"]


def test_a_reorientation_request_says_which_structure_asks(moderator, fakes):
    html = page(moderator, fakes, kind="reorientation", reason="Relève de la CPAM",
                current_structure_name="CAF de <Lyon>", current_network_name="Réseau CAF")
    assert 'id="demandeur">Demandée par : CAF de &lt;Lyon&gt; — Réseau CAF</p>' in html
    unnamed = page(moderator, fakes, kind="reorientation", reason="Relève de la CPAM")
    assert 'id="demandeur"' not in unnamed
