"""In Chromium: regional validation. An agent of a local agency saves a draft, comes back to it and
sends it; the regional super agent is e-mailed, finds the answer in her « à valider » queue and
validates it; the agent is e-mailed that it was validated. Then the agency attaches an improvement
action, changes it and deletes it, from the pages alone."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
import requests

from tests.support.browser import Visitor
from tests.support.e2e import (
    ADMIN,
    PASSWORD,
    approve_when_pending,
    login,
    mails_to,
    post,
    text_of,
    url,
    wait_until,
)

pytestmark = pytest.mark.e2e


def _workers_listen(amqp_url: str, prefix: str) -> bool:
    """Whether the workers this test needs have declared their queues: an event published
    before is unroutable, and lost (a worker may start seconds after the web services)."""
    import pika

    from services.chassis.amqp import connection_parameters

    connection = pika.BlockingConnection(connection_parameters(amqp_url))
    try:
        for service in ("experiences", "moderation", "notifier"):
            connection.channel().queue_declare(f"{prefix}.{service}", passive=True)
        return True
    except pika.exceptions.ChannelClosedByBroker:
        return False
    finally:
        connection.close()


def _mail_about(folder, to: str, subject: str):
    """The first e-mail to `to` whose subject is `subject`, once it has arrived."""
    return wait_until(lambda: next((m for m in mails_to(folder, to)
                                    if str(m["Subject"]) == subject), None), 40)


def test_a_regional_super_agent_validates_an_agencys_answer(
        platform, browser, amqp_url, broker_names_session):  # noqa: F811
    assert wait_until(lambda: _workers_listen(amqp_url, broker_names_session["prefix"]), 60), \
        "the workers never declared their queues"
    tag = uuid.uuid4().hex[:8]
    admin = login(*ADMIN)
    network = post("identity", "/networks", admin, code=f"V{tag}", name=f"Réseau {tag}",
                   requires_validation=True, target_delay_days=10)
    regional = post("identity", "/structures", admin, network_id=network["id"],
                    name=f"Direction régionale {tag}", postal_code="69000", city="Lyon")
    agency_name = f"Agence de Bron {tag}"
    agency = post("identity", "/structures", admin, network_id=network["id"],
                  name=agency_name, parent_id=regional["id"], postal_code="69500", city="Bron")
    agent_address = f"agente.{tag}@reseau.example.fr"
    chief_address = f"cheffe.{tag}@reseau.example.fr"
    post("identity", "/users", admin, email=agent_address, name=f"Agente {tag}",
         profile="agent", missions=["answer"], network_id=network["id"],
         structure_ids=[agency["id"]], password=PASSWORD)
    post("identity", "/users", admin, email=chief_address, name=f"Cheffe {tag}",
         profile="super_agent", missions=["answer"], network_id=network["id"],
         structure_ids=[regional["id"]], password=PASSWORD)
    moderator_address = f"moderateur.{tag}@ditp.example.fr"
    post("identity", "/users", admin, email=moderator_address, name=f"Modérateur {tag}",
         profile="moderator", missions=[], network_id=None, structure_ids=[], password=PASSWORD)
    moderator = login(moderator_address, PASSWORD)

    # An experience published for the agency (the usager and moderation steps have their own
    # browser tests).
    author = f"usager.{tag}@example.org"
    title = f"Dossier égaré {tag}"
    exp_id = post("experiences", "/experiences", expect=(202,), title=title,
                  body="Mon dossier a été perdu deux fois au guichet.",
                  structure_hint="Agence de Bron", postal_code="69500", channel="in_person",
                  occurred_on="2026-11-02", feeling="negative", author_name="Camille",
                  author_email=author)["id"]

    approve_when_pending(moderator, exp_id, agency["id"])

    # 1. The agent saves a draft: nothing is sent, the experience stays « À traiter ».
    agent = Visitor(browser, author)
    agent.login(agent_address)
    agent.poll("/agent/experiences", lambda page: page.get_by_role("link", name=title).count() > 0)
    row = agent.page.locator("tr", has=agent.page.get_by_role("link", name=title))
    assert agency_name in row.inner_text() and "aujourd'hui" in row.inner_text()
    assert "dans 10 j" in row.inner_text()
    agent.follow(agent.page.get_by_role("link", name=title))
    agent.page.get_by_label("Votre réponse").fill("Nous sommes désolés : premier jet.")
    agent.page.get_by_label("Signature").fill(f"L'équipe de l'{agency_name}")
    html = agent.follow(agent.page.get_by_role("button", name="Enregistrer le brouillon"),
                        "validation-draft-saved")
    assert "Votre brouillon est enregistré" in html, html
    assert agent.page.locator(".fr-badges-group").get_by_text("À traiter").is_visible()
    assert "Brouillon enregistré le" in html
    public = requests.get(url("experiences", f"/experiences/{exp_id}"), timeout=10).json()
    assert public["status"] == "to_process" and public["response"] is None

    # 2. She comes back to it from the list, amends and sends it.
    agent.goto("/agent/experiences?status=to_process", "validation-agent-list")
    row = agent.page.locator("tr", has=agent.page.get_by_role("link", name=title))
    assert "brouillon" in row.inner_text().lower()  # the badge is written in capitals
    agent.follow(agent.page.get_by_role("link", name=title))
    body = agent.page.get_by_label("Votre réponse")
    assert body.input_value() == "Nous sommes désolés : premier jet."
    # A phone number in a response is held back: the page shows it, nothing is sent.
    body.fill("Nous sommes désolés. Votre conseillère vous rappelle au 06 12 34 56 78.")
    html = agent.follow(agent.page.get_by_role("button",
                                               name="Enregistrer et envoyer la réponse"),
                        "validation-personal-data")
    assert "La réponse semble contenir des données personnelles" in html, html
    assert "Numéro de téléphone, dans la réponse : « 06 12 34 56 78 »" in html
    assert agent.page.get_by_label("Je confirme que ces passages peuvent être publiés").count() == 1
    public = requests.get(url("experiences", f"/experiences/{exp_id}"), timeout=10).json()
    assert public["status"] == "to_process" and public["response"] is None
    body = agent.page.get_by_label("Votre réponse")
    body.fill("Nous sommes désolés. Votre dossier est retrouvé et traité depuis lundi.")
    html = agent.follow(agent.page.get_by_role("button",
                                               name="Enregistrer et envoyer la réponse"),
                        "validation-sent")
    assert "Elle sera publiée quand un super agent de la structure ou d'une structure" in html, html
    assert "awaiting_validation" not in agent.page.inner_text("main")
    assert agent.page.get_by_text("En attente de validation").first.is_visible()

    # 3. The regional super agent is e-mailed and finds it in her queue.
    mail = _mail_about(platform["mail"], chief_address,
                       f"Une réponse attend votre validation : {title}")
    assert mail, "the regional super agent was not told"
    assert f"/agent/experiences/{exp_id}" in text_of(mail)
    chief = Visitor(browser, author)
    chief.login(chief_address)
    chief.goto("/agent/experiences")
    chief.page.get_by_label("État").select_option(label="En attente de validation (à valider)")
    chief.follow(chief.page.get_by_role("button", name="Filtrer"), "validation-queue")
    assert "status=awaiting_validation" in chief.page.url
    row = chief.page.locator("tr", has=chief.page.get_by_role("link", name=title))
    assert agency_name in row.inner_text()
    queue_url = chief.page.url
    chief.page.emulate_media(color_scheme="dark")  # the DSFR's dark theme: axe again
    chief.goto(queue_url, "validation-queue-dark")
    assert chief.page.locator("html").get_attribute("data-fr-theme") == "dark"
    chief.follow(chief.page.get_by_role("link", name=title), "validation-to-validate-dark")
    chief.page.emulate_media(color_scheme="light")
    chief.goto(chief.page.url, "validation-to-validate")
    assert "Votre dossier est retrouvé" in chief.page.inner_text("main")
    html = chief.follow(chief.page.get_by_role("button", name="Valider la réponse"))
    assert "La réponse est validée : elle est publiée." in html, html

    # 4. The agent is e-mailed that her answer was validated; the usager may rate it.
    mail = _mail_about(platform["mail"], agent_address,
                       f"Votre réponse est validée et publiée : {title}")
    assert mail, "the agent was not told of the validation"
    assert wait_until(lambda: requests.get(url("experiences", f"/experiences/{exp_id}"),
                                           timeout=10).json()["status"] == "answered", 20)

    # 5. The agency attaches an improvement action from the experience page, changes it and
    # deletes it.
    agent.goto(f"/agent/experiences/{exp_id}")
    agent.follow(agent.page.get_by_role("link", name="Créer une action d'amélioration pour "
                                                      "cette expérience"))
    assert agent.page.locator(f"input[value='{exp_id}']").is_checked()
    agent.page.get_by_label("Titre").fill(f"Suivi des dossiers {tag}")
    agent.page.get_by_label("Description").fill("Chaque dossier déposé reçoit un récépissé.")
    agent.page.get_by_label("Date").fill(date.today().isoformat())
    agent.page.get_by_label("Structure").select_option(label=agency_name)
    agent.follow(agent.page.get_by_role("button", name="Enregistrer l'action"))
    agent.goto(f"/agent/experiences/{exp_id}")
    assert f"Suivi des dossiers {tag}" in agent.page.inner_text("#titre-actions + ul")
    agent.follow(agent.page.get_by_role("link", name=re.compile(
        f"Modifier l'action « Suivi des dossiers {tag} »")), "validation-action-edit")
    agent.page.get_by_label("Titre").fill(f"Récépissé systématique {tag}")
    agent.follow(agent.page.get_by_role("button", name="Enregistrer les modifications"))
    assert "L'action d'amélioration est modifiée." in agent.page.inner_text("main")
    shown = requests.get(url("experiences", f"/experiences/{exp_id}"), timeout=10).json()
    assert [a["title"] for a in shown["improvement_actions"]] == [f"Récépissé systématique {tag}"]
    agent.follow(agent.page.get_by_role("link", name=re.compile(
        f"Supprimer l'action « Récépissé systématique {tag} »")), "validation-action-delete")
    agent.follow(agent.page.get_by_role("button", name="Supprimer définitivement"))
    assert "est supprimée" in agent.page.inner_text("main")
    shown = requests.get(url("experiences", f"/experiences/{exp_id}"), timeout=10).json()
    assert shown["improvement_actions"] == []
    for visitor in (agent, chief):
        visitor.close()
