"""The lifecycle scenario (tests/e2e/test_lifecycle.py, its assertions unchanged) against the
platform deploy/docker-compose.yml starts, run on the host by services.chassis.composerun; then
the proof that a compose file with a wrong command fails the run.

The e2e helpers (tests/support/e2e.py) address the `make up` platform's fixed ports: the copies
below address this run's, read from the compose file's own URLs.
"""

from __future__ import annotations

import email
import re
import time
import uuid
from email import policy
from pathlib import Path

import pytest
import requests
import yaml

from services.chassis.composerun import ComposeError

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple 42"  # every user the tests create
BACKENDS = ["identity", "experiences", "moderation", "diagnostic", "notifier"]
COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "docker-compose.yml"


# ---- the e2e helpers, for this run's addresses ----

def wait_until(predicate, timeout: float = 60, interval: float = 0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = predicate()
        except requests.RequestException:
            value = None
        if value:
            return value
        time.sleep(interval)
    return None


def mails_to(folder, to: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if to in [r.strip() for r in message.get("X-Envelope-To", "").split(",")]:
            found.append(message)
    return found


def text_of(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part else ""


def clients(platform):
    """url, login and post of tests/support/e2e.py, for the compose run of `platform`."""
    run = platform["run"]

    def url(service: str, path: str = "") -> str:
        if service == "gateway":
            return run.published_url(8000, path)  # `ports: ["…:8000:8000"]`
        return run.url(service, path)

    def login(address: str, password: str) -> dict:
        response = requests.post(url("identity", "/auth/token"),
                                 json={"email": address, "password": password}, timeout=20)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def post(service, path, headers=None, expect=(200, 201, 202), **body):
        response = requests.post(url(service, path), json=body, headers=headers, timeout=20)
        assert response.status_code in expect, (path, response.status_code, response.text)
        return response.json()

    return url, login, post


def test_the_run_is_the_compose_files_own(compose_platform):
    """Each process runs its compose command with its compose environment, addresses aside; the
    services reach each other where the gateway's environment says; every health check passed."""
    run = compose_platform["run"]
    url, _, _ = clients(compose_platform)
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    address = re.compile(r"[\w.]+:\d+")
    for name, process in run.processes.items():
        command = services[name]["command"]
        assert len(process.argv) == len(command), name
        for ran, written in zip(process.argv, command, strict=True):
            assert address.sub("ADDR", ran) == address.sub("ADDR", written), (name, ran, written)
        added = {"PATH", "HOME", "LANG", "SPP_VAR_DIR", "PYTHONDONTWRITEBYTECODE",
                 "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR"}  # the host's, the container's, the image's
        assert set(process.env) - added == set(services[name]["environment"]), name
    gateway_env = run.processes["gateway"].env
    for service in BACKENDS:
        assert gateway_env[f"{service.upper()}_URL"] == url(service)
        assert requests.get(url(service, "/readyz"), timeout=10).ok, service
    assert run.healthy == {n for n in run.apps if n != "migrate"}
    print(f"\ncompose run healthy in {compose_platform['started_in']:.1f}s: {run.timings}")


def test_an_experience_goes_from_the_usager_to_an_evaluated_answer(compose_platform):
    platform = compose_platform
    url, login, post = clients(platform)
    ADMIN = platform["run"].env["SPP_ADMIN_EMAIL"], platform["run"].env["SPP_ADMIN_PASSWORD"]
    tag = uuid.uuid4().hex[:8]
    admin = login(*ADMIN)
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
    def pending_case():
        cases = requests.get(url("moderation", "/cases?status=pending&per_page=100"),
                             headers=moderator, timeout=10).json()["items"]
        return next((c for c in cases if c["experience_id"] == exp_id), None)

    case = wait_until(pending_case, 30)
    assert case, "moderation never opened a case"
    post("moderation", f"/cases/{case['id']}/approve", moderator, structure_id=structure["id"])

    def published():
        response = requests.get(url("experiences", f"/experiences/{exp_id}"), timeout=10)
        return response.ok and response.json()["status"] == "to_process" and response.json()

    public = wait_until(published, 30)
    assert public, "the experience was never published"
    assert author not in str(public)
    assert wait_until(lambda: mails_to(platform["mail"], author), 30), "the author was not told"

    # 3. Agents are told; an agent drafts, the super agent validates.
    agent_address, agent = people["agent"]
    assert wait_until(lambda: mails_to(platform["mail"], agent_address), 30), "agent not told"
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
        for message in mails_to(platform["mail"], author):
            found = re.search(r"token=([A-Za-z0-9_\-]+)", text_of(message))
            if found:
                return found.group(1)
        return None

    token = wait_until(evaluation_token, 30)
    assert token, "the author never got the evaluation link"
    # (compose run) The e-mailed link is this run's gateway (GATEWAY_URL), which opens its form.
    link = _evaluation_link(mails_to(platform["mail"], author), token)
    assert link.startswith(url("gateway", f"/experiences/{exp_id}/evaluation?token=")), link
    assert requests.get(link, timeout=20).status_code == 200
    post("experiences", f"/experiences/{exp_id}/evaluation", token=token, useful=True,
         feeling_after="positive")
    again = requests.post(url("experiences", f"/experiences/{exp_id}/evaluation"),
                          json={"token": token, "useful": False, "feeling_after": "negative"},
                          timeout=20)
    assert 400 <= again.status_code < 500
    assert requests.get(link, timeout=20).status_code == 410  # (compose run) used, says the gateway

    # 5. The structure attaches an improvement action, shown on the public page.
    post("experiences", "/improvement-actions", agent, title="Accueil sans rendez-vous le mardi",
         description="Une permanence ouverte à tous.", date="2026-11-20",
         structure_id=structure["id"], experience_ids=[exp_id])
    page = requests.get(url("experiences", f"/experiences/{exp_id}"), timeout=10).json()
    assert page["status"] == "answered"
    assert page["response"]["body"] == "Merci pour votre retour."
    assert [a["title"] for a in page["improvement_actions"]] == ["Accueil sans rendez-vous le mardi"]
    assert author not in str(page)
    # (compose run) The gateway's public page shows the answer and the action, not the author.
    html = requests.get(url("gateway", f"/experiences/{exp_id}"), timeout=20)
    assert html.status_code == 200
    assert "Merci pour votre retour." in html.text
    assert "Accueil sans rendez-vous le mardi" in html.text and author not in html.text

    # Exactly one "to process" mail reached the agent for this experience.
    agent_mails = [m for m in mails_to(platform["mail"], agent_address)
                   if m["X-SPP-Kind"] == "experience_to_process"
                   and (exp_id in text_of(m) or "Accueil très patient" in text_of(m))]
    assert len(agent_mails) == 1


def _evaluation_link(messages, token: str) -> str:
    for message in messages:
        found = re.search(r"https?://\S+?\?token=" + re.escape(token), text_of(message))
        if found:
            return found.group()
    raise AssertionError("no evaluation link in the author's mail")


def test_a_deactivated_agent_is_refused_everywhere_within_seconds(compose_platform):
    """Not when the 15-minute token expires: the services learn it from `user.deactivated`."""
    url, login, post = clients(compose_platform)
    ADMIN = compose_platform["run"].env["SPP_ADMIN_EMAIL"], \
        compose_platform["run"].env["SPP_ADMIN_PASSWORD"]
    admin = login(*ADMIN)
    tag = uuid.uuid4().hex[:8]
    network = post("identity", "/networks", admin, code=f"R{tag}", name=f"Réseau {tag}",
                   requires_validation=False)
    structure = post("identity", "/structures", admin, network_id=network["id"],
                     name=f"Agence {tag}")
    agent = post("identity", "/users", admin, email=f"parti.{tag}@spp.example.fr",
                 name="Agent parti", profile="agent", missions=["answer"],
                 network_id=network["id"], structure_ids=[structure["id"]], password=PASSWORD)
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


def test_a_wrong_command_in_the_compose_file_fails_the_run(compose_runner, tmp_path):
    """The gateway's command names an application its module does not have: the run stops with
    gunicorn's error, and leaves no process, database or vhost of its own behind."""
    compose = COMPOSE.read_text()
    assert compose.count('"services.gateway.wsgi:app"') == 1
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(compose.replace('"services.gateway.wsgi:app"',
                                      '"services.gateway.wsgi:application"'))
    run = compose_runner(broken)
    with pytest.raises(ComposeError, match=r"(?s)gateway exited with status \d+.*application"):
        run.start()
    run.stop()
    assert run.leftovers() == []
    with run._admin_engine().connect() as conn:
        left = conn.exec_driver_sql("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                    (f"{run.db_prefix}%",)).all()
    assert left == []
    assert run.vhost not in run._rabbitmqctl("list_vhosts", "--no-table-headers").split()
