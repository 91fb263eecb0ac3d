"""Where the keyboard lands: the error summary's links, the success notices after a redirect,
and the moderation case's sections after an action."""

from __future__ import annotations

import re

from services.gateway.clients import ServiceError
from tests.support.gateway import csrf_of, login

FOCUSABLE = re.compile(r"<(input|select|textarea|button|a)\b|tabindex=\"-1\"")


def summary_targets(html: str) -> list[str]:
    summary = html.split('id="resume-erreurs"')[1].split("</div>")[0]
    return re.findall(r'href="#([^"]+)"', summary)


def opening_tag(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[html.rindex("<", 0, start):html.index(">", start) + 1]


def assert_links_land_focus(html: str) -> None:
    targets = summary_targets(html)
    assert targets
    for target in targets:
        assert FOCUSABLE.search(opening_tag(html, target)), target


def test_the_feedback_forms_summary_links_land_in_the_radio_groups(client, fakes):
    fakes["experiences"].answers[("POST", "/experiences")] = ServiceError(
        400, "validation_error", "Données invalides.",
        {"channel": ["Choisissez un moyen de contact."], "feeling": ["Choisissez un ressenti."],
         "title": ["Le champ « title » est obligatoire."]})
    html = client.get("/donner-mon-avis").get_data(as_text=True)
    page = client.post("/donner-mon-avis", data={"csrf_token": csrf_of(html)}).get_data(
        as_text=True)
    assert {"channel", "feeling"} <= set(summary_targets(page))
    assert_links_land_focus(page)
    assert 'id="channel" tabindex="-1"' in page


def test_a_message_brought_by_a_redirect_takes_the_focus(client, fakes):
    login(client, fakes)
    html = client.get("/agent/experiences").get_data(as_text=True)
    notice = html.split("Vous êtes connecté.")[0].rsplit("<div", 1)[1]
    assert 'role="status" tabindex="-1" data-focus-on-load' in notice
    script = client.get("/static/gateway.js").get_data(as_text=True)
    assert 'querySelector("[data-focus-on-load]")' in script  # no inline script: the CSP
    assert "window.location.hash" in script


def test_dates_hints_say_the_same_everywhere(client, fakes):
    feedback = client.get("/donner-mon-avis").get_data(as_text=True)
    login(client, fakes)
    fakes["identity"].answers[("GET", "/me")] = {"id": "1", "structure_ids": ["20"]}
    action = client.get("/agent/actions/nouvelle").get_data(as_text=True)
    for html in (feedback, action):
        assert "Format attendu : JJ/MM/AAAA" in html and "jj/mm/aaaa" not in html
