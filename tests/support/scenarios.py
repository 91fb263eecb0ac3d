"""Scenarios run against more than one platform: the e2e platforms (SQLite and PostgreSQL,
tests/e2e/test_lifecycle.py) and the compose run (tests/compose/test_compose_run.py). Each takes
the platform's `Api`, the mail catcher's folder and the seeded administrator."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import requests

from tests.support.e2e import PASSWORD, Api, mails_to, text_of, wait_until


def _evaluation_link(messages, token: str) -> str:
    for message in messages:
        found = re.search(r"https?://\S+?\?token=" + re.escape(token), text_of(message))
        if found:
            return found.group()
    raise AssertionError("no evaluation link in the author's mail")


def experience_lifecycle(api: Api, mail: Path, admin_login: tuple[str, str]) -> None:
    """The five steps of an experience, from the usager to an evaluated answer."""
    url, login, post = api.url, api.login, api.post
    tag = uuid.uuid4().hex[:8]
    admin = login(*admin_login)
    network = post("identity", "/networks", admin, code=f"CAF{tag}", name=f"CAF {tag}",
                   requires_validation=True)
    structure = post("identity", "/structures", admin, network_id=network["id"],
                     name=f"CAF de Lyon {tag}", postal_code="69003", city="Lyon")
    people = {}
    for profile, missions in [("agent", ["answer"]), ("super_agent", ["answer"])]:
        address = f"{profile}.{tag}@caf.example.fr"
        post("identity", "/users", admin, email=address, name=f"{profile} {tag}", profile=profile,
             missions=missions, network_id=network["id"], structure_ids=[structure["id"]],
             password=PASSWORD)
        people[profile] = (address, login(address, PASSWORD))
    moderator_address = f"moderateur.{tag}@ditp.example.fr"
    post("identity", "/users", admin, email=moderator_address, name=f"Modérateur {tag}",
         profile="moderator", missions=[], network_id=None, structure_ids=[], password=PASSWORD)
    moderator = login(moderator_address, PASSWORD)

    # 1. The usager posts an experience.
    author = f"usager.{tag}@example.org"
    submitted = post("experiences", "/experiences", expect=(202,),
                     title="Accueil très patient", body="L'agent m'a aidé à remplir mon dossier.",
                     structure_hint="CAF de Lyon", postal_code="69003", channel="in_person",
                     occurred_on="2026-11-02", feeling="positive", author_name="Camille",
                     author_email=author)
    assert submitted["status"] == "submitted" and "author_email" not in submitted
    exp_id = submitted["id"]

    # 2. A moderator approves it for the structure; it is published.
    api.approve_when_pending(moderator, exp_id, structure["id"])

    def published():
        response = requests.get(url("experiences", f"/experiences/{exp_id}"), timeout=10)
        return response.ok and response.json()["status"] == "to_process" and response.json()

    public = wait_until(published, 30)
    assert public, "the experience was never published"
    assert author not in str(public)
    assert wait_until(lambda: mails_to(mail, author), 30), "the author was not told"

    # 3. Agents are told; an agent drafts, the super agent validates.
    agent_address, agent = people["agent"]
    assert wait_until(lambda: mails_to(mail, agent_address), 30), "agent not told"
    response = requests.put(url("experiences", f"/experiences/{exp_id}/response"), headers=agent,
                            json={"body": "Merci pour votre retour.", "closing": "Bien à vous",
                                  "signature": "L'équipe de la CAF"}, timeout=20)
    assert response.ok, response.text
    submitted = post("experiences", f"/experiences/{exp_id}/response/submit", agent)
    assert submitted["status"] == "awaiting_validation"
    validated = post("experiences", f"/experiences/{exp_id}/response/validate",
                     people["super_agent"][1])
    assert validated["status"] == "answered"

    # 4. The author evaluates from the e-mailed link, once.
    def evaluation_token():
        for message in mails_to(mail, author):
            found = re.search(r"token=([A-Za-z0-9_\-]+)", text_of(message))
            if found:
                return found.group(1)
        return None

    token = wait_until(evaluation_token, 30)
    assert token, "the author never got the evaluation link"
    # The e-mailed link is the platform's gateway (GATEWAY_URL), which opens its form.
    link = _evaluation_link(mails_to(mail, author), token)
    assert link.startswith(url("gateway", f"/experiences/{exp_id}/evaluation?token=")), link
    assert requests.get(link, timeout=20).status_code == 200
    post("experiences", f"/experiences/{exp_id}/evaluation", token=token, useful=True,
         feeling_after="positive")
    again = requests.post(url("experiences", f"/experiences/{exp_id}/evaluation"),
                          json={"token": token, "useful": False, "feeling_after": "negative"},
                          timeout=20)
    assert 400 <= again.status_code < 500
    assert requests.get(link, timeout=20).status_code == 410  # used, says the gateway

    # 5. The structure attaches an improvement action, shown on the public page.
    post("experiences", "/improvement-actions", agent, title="Accueil sans rendez-vous le mardi",
         description="Une permanence ouverte à tous.", date="2026-11-20",
         structure_id=structure["id"], experience_ids=[exp_id])
    page = requests.get(url("experiences", f"/experiences/{exp_id}"), timeout=10).json()
    assert page["status"] == "answered"
    assert page["response"]["body"] == "Merci pour votre retour."
    assert [a["title"] for a in page["improvement_actions"]] == ["Accueil sans rendez-vous le mardi"]
    assert author not in str(page)
    # The gateway's public page shows the answer and the action, not the author.
    html = requests.get(url("gateway", f"/experiences/{exp_id}"), timeout=20)
    assert html.status_code == 200
    assert "Merci pour votre retour." in html.text
    assert "Accueil sans rendez-vous le mardi" in html.text and author not in html.text

    # Exactly one "to process" mail reached the agent for this experience.
    agent_mails = [m for m in mails_to(mail, agent_address)
                   if m["X-SPP-Kind"] == "experience_to_process"
                   and (exp_id in text_of(m) or "Accueil très patient" in text_of(m))]
    assert len(agent_mails) == 1


def _agency_agent(api: Api, admin: dict, who: str, name: str) -> dict:
    """An answering agent (password PASSWORD) of a new agency in a new network, as identity
    answers its creation."""
    tag = uuid.uuid4().hex[:8]
    network = api.post("identity", "/networks", admin, code=f"R{tag}", name=f"Réseau {tag}",
                       requires_validation=False)
    structure = api.post("identity", "/structures", admin, network_id=network["id"],
                         name=f"Agence {tag}")
    return api.post("identity", "/users", admin, email=f"{who}.{tag}@spp.example.fr", name=name,
                    profile="agent", missions=["answer"], network_id=network["id"],
                    structure_ids=[structure["id"]], password=PASSWORD)


def deactivated_agent_refused(api: Api, admin_login: tuple[str, str]) -> None:
    """Refused everywhere within seconds, not when the 15-minute token expires: the services
    learn it from `user.deactivated`."""
    url, login = api.url, api.login
    admin = login(*admin_login)
    agent = _agency_agent(api, admin, "parti", "Agent parti")
    token = login(agent["email"], PASSWORD)
    refresh = requests.post(url("identity", "/auth/token"), timeout=20, json={
        "email": agent["email"], "password": PASSWORD}).json()["refresh_token"]
    for service, path in (("experiences", "/experiences"), ("diagnostic", "/diagnostics")):
        assert requests.get(url(service, path), headers=token, timeout=20).status_code == 200
    response = requests.patch(url("identity", f"/users/{agent['id']}"), json={"active": False},
                              headers=admin, timeout=20)
    assert response.status_code == 200
    for service, path in (("experiences", "/experiences"), ("diagnostic", "/diagnostics")):
        refused = wait_until(lambda s=service, p=path: requests.get(
            url(s, p), headers=token, timeout=20).status_code == 401, timeout=15)
        assert refused, f"{service} still accepts the deactivated agent's token"
    assert requests.post(url("identity", "/auth/refresh"), json={"refresh_token": refresh},
                         timeout=20).status_code == 401


def forgotten_password(api: Api, mail: Path, admin_login: tuple[str, str]) -> None:
    """« Mot de passe oublié »: the same answer for any address; the identity worker turns a
    known one's request into a reset e-mail, whose link sets a new password."""
    login, post = api.login, api.post
    address = _agency_agent(api, login(*admin_login), "oublieux", "Agent oublieux")["email"]
    tag = uuid.uuid4().hex[:8]
    stranger = f"inconnu.{tag}@spp.example.fr"
    for asked in (address, stranger):
        assert post("identity", "/auth/password-reset", email=asked) == {"status": "accepted"}
    assert wait_until(lambda: mails_to(mail, address), 30), "no reset e-mail"
    found = re.search(r"[?&]token=([\w\-]+)", text_of(mails_to(mail, address)[0]))
    assert found, "no link in the reset e-mail"
    new_password = f"un nouveau mot de passe {tag}"
    post("identity", "/auth/password", token=found.group(1), password=new_password)
    assert login(address, new_password)
    assert not mails_to(mail, stranger)
