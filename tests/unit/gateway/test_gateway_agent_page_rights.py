"""The agent's experience page offers each section only to those whose token allows it, refuses
a forged POST without calling the API, says a service's refusal in its words (never a
permission code), and says so plainly while a re-orientation request waits."""

from __future__ import annotations

import re

import pytest

from services.gateway.calls import split_errors
from services.gateway.clients import ServiceError
from tests.support.gateway import INTERNAL, csrf_of, login_as

CHILDREN = {"items": [{"id": "12", "name": "CAF — Villeurbanne"}], "total": 1, "page": 1,
            "per_page": 20}
REFUSED = "Action non autorisée pour votre profil."
REASON = "Cette expérience concerne la CPAM, pas la CAF."

# What each section's form (or link) looks like on the page.
SECTIONS = {
    "answer": 'action="/agent/experiences/7"',
    "move": 'action="/agent/experiences/7/deplacement"',
    "reorient": 'action="/agent/experiences/7/reorientation"',
    "annotate": 'action="/agent/experiences/7/qualification"',
    "comment": 'action="/agent/experiences/7/commentaire"',
    "act": 'href="/agent/actions/nouvelle?experience_ids=7"',
}


def _writes(fakes) -> list[tuple[str, str]]:
    return [(c["method"], c["path"]) for c in fakes["experiences"].calls if c["method"] != "GET"]


def _page(client, fakes, **experience) -> str:
    fakes["identity"].answers[("GET", "/structures")] = CHILDREN
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(
        INTERNAL, structure_id="10", **{"status": "to_process", "response": None, **experience})
    return client.get("/agent/experiences/7").get_data(as_text=True)


def _visible(html: str) -> str:
    """The page without its attributes' values."""
    return re.sub(r'="[^"]*"', '=""', html)


@pytest.mark.parametrize("profile,missions,offered", [
    ("agent", ("answer",), {"answer", "move", "reorient", "annotate", "comment", "act"}),
    ("agent", ("diagnostic",), {"move", "reorient", "annotate", "comment", "act"}),
    ("referent", (), {"reorient", "act"}),
    ("moderator", (), set()),
])
def test_each_section_is_offered_only_to_those_with_its_right(client, fakes, profile, missions,
                                                              offered):
    login_as(client, fakes, profile, missions=missions)
    html = _page(client, fakes)
    for section, marker in SECTIONS.items():
        assert (marker in html) == (section in offered), section
    assert ("Répondre à l'usager" in html.replace("&#39;", "'")) == ("answer" in offered)
    assert ("Demander une réorientation" in html) == ("reorient" in offered)
    if "answer" not in offered:
        assert "Votre profil ne permet pas de répondre aux usagers" in html
    # Nobody asks identity for the child structures of a move they may not make.
    asked = [c for c in fakes["identity"].calls if c["path"] == "/structures"]
    assert bool(asked) == ("move" in offered)


def test_without_the_drafting_right_a_waiting_response_has_no_modify_button(client, fakes):
    draft = {"body": "Merci pour votre message.", "closing": "", "signature": ""}
    login_as(client, fakes, missions=("diagnostic",))
    html = _page(client, fakes, status="awaiting_validation", response_draft=draft)
    assert "Merci pour votre message." in html and "modifier=1" not in html
    login_as(client, fakes, missions=("answer",))
    assert "modifier=1" in _page(client, fakes, status="awaiting_validation",
                                 response_draft=draft)


@pytest.mark.parametrize("profile,missions,path,form", [
    ("agent", ("diagnostic",), "", {"action": "brouillon", "body": "Bonjour."}),
    ("moderator", (), "", {"action": "envoyer", "body": "Bonjour."}),
    ("moderator", (), "/reorientation", {"reason": "Ailleurs."}),
    ("referent", (), "/deplacement", {"structure_id": "12"}),
    ("referent", (), "/commentaire", {"comment_body": "Vu."}),
    ("referent", (), "/qualification", {"tag-simplicity": "negative"}),
    ("moderator", (), "/qualification", {"improvement_to_consider": "1"}),
])
def test_a_forged_post_without_the_right_is_refused_before_any_call(client, fakes, profile,
                                                                    missions, path, form):
    login_as(client, fakes, profile, missions=missions)
    html = _page(client, fakes)
    response = client.post(f"/agent/experiences/7{path}", data={"csrf_token": csrf_of(html),
                                                                **form})
    assert response.status_code == 403
    assert "Accès refusé" in response.get_data(as_text=True)
    assert _writes(fakes) == []


def test_a_refusal_of_the_service_says_its_message_never_a_permission_code(client, fakes):
    """The token allowed it, the service did not (a right withdrawn since the login)."""
    login_as(client, fakes, missions=("answer",))
    html = _page(client, fakes)
    fakes["experiences"].answers[("PUT", "/experiences/7/response")] = ServiceError(
        403, "forbidden", REFUSED, {"permission": ["response:draft"]})
    response = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(html), "action": "brouillon", "body": "Bonjour."})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = page.split('id="resume-erreurs"')[1].split("</div>")[0]
    assert REFUSED in summary
    assert "response:draft" not in _visible(page)
    # The same for every form that splits a refusal with the shared helper.
    assert split_errors(ServiceError(403, "forbidden", REFUSED,
                                     {"permission": ["user:manage"]}), ("email",)) == \
        ({}, [REFUSED])


def test_a_pending_reorientation_is_said_and_what_the_api_refuses_is_not_offered(client,
                                                                                   fakes):
    login_as(client, fakes, missions=("answer",))
    html = _page(client, fakes)
    assert "Demande de réorientation en cours" not in html
    fakes["experiences"].answers[("POST", "/experiences/7/reorientation")] = dict(
        INTERNAL, status="to_process", reorientation_reason=REASON)
    client.post("/agent/experiences/7/reorientation",
                data={"csrf_token": csrf_of(html), "reason": REASON})
    page = _page(client, fakes, reorientation_reason=REASON).replace("&#39;", "'")
    notice = page.split('id="reorientation-en-cours"')[1].split("</div>")[0]
    assert "Demande de réorientation en cours" in notice and f"« {REASON} »" in notice
    assert "ou refuser la demande en expliquant pourquoi" in notice
    assert "la réponse ne peut être ni envoyée ni validée" in notice
    # A draft may still be saved; sending it and another request may not.
    assert "Enregistrer le brouillon" in page
    assert "Enregistrer et envoyer la réponse" not in page
    assert SECTIONS["reorient"] not in page
    assert "ne peut pas être déplacée vers une structure rattachée" in notice
    assert SECTIONS["move"] not in page  # moderation decides where it goes meanwhile
    before = len(_writes(fakes))
    saved = client.post("/agent/experiences/7", data={
        "csrf_token": csrf_of(page), "action": "brouillon", "body": "Bonjour."})
    assert saved.status_code == 302
    assert _writes(fakes)[before:] == [("PUT", "/experiences/7/response")]


def test_a_pending_reorientation_hides_the_validation(client, fakes):
    draft = {"body": "Merci pour votre message.", "closing": "", "signature": ""}
    login_as(client, fakes, "super_agent", sub="u9")
    waiting = {"status": "awaiting_validation", "response_draft": draft,
               "response_submitted_by": "u1"}
    assert "Valider la réponse" in _page(client, fakes, **waiting)
    page = _page(client, fakes, reorientation_reason=REASON, **waiting)
    assert "Valider la réponse" not in page and "modifier=1" in page
    assert "Demande de réorientation en cours" in page
