"""Mails to staff about responses: to validate (up the structure tree), validated, re-orientation
accepted, rated by the usager; each following the recipient's frequency (now, digest, never)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from services.notifier.mailer import run_digests
from services.notifier.models import DigestItem
from tests.support.notifier import GATEWAY, deliver_tree, html_of, next_digest_time, text_of

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

NAT, REG, AGENCY, OTHER_AGENCY, ELSEWHERE = "s-nat", "s-reg", "s-agency", "s-agency-2", "s-else"


def _tree(notifier):
    deliver_tree(notifier, ((NAT, None), (REG, NAT), (AGENCY, REG), (OTHER_AGENCY, REG),
                            (ELSEWHERE, None)))


def _answered(exp_id="e-1", drafted_by=None, submitted_by=None, validated_by=None):
    return {"id": exp_id, "title": "Guichet fermé", "structure_id": AGENCY, "network_id": "n-1",
            "answered_at": datetime.now(UTC), "author_email": "auteur@example.org",
            "author_name": "Camille D.", "evaluation_token": "tok", "drafted_by": drafted_by,
            "submitted_by": submitted_by, "validated_by": validated_by}


def _digest_items(notifier, recipient_id):
    with notifier.db.transaction() as s:
        return [(i.kind, i.experience_id) for i in s.scalars(
            sa.select(DigestItem).where(DigestItem.recipient_id == recipient_id))]


def test_a_response_to_validate_reaches_the_super_agents_up_the_tree(env):
    _tree(env)
    env.user("local.chef@a.fr", profile="super_agent", structures=(AGENCY,))
    env.user("regional.chef@a.fr", profile="super_agent", structures=(REG,))
    env.user("national.chef@a.fr", profile="super_agent", structures=(NAT,))
    env.user("sibling.chef@a.fr", profile="super_agent", structures=(OTHER_AGENCY,))
    env.user("elsewhere.chef@a.fr", profile="super_agent", structures=(ELSEWHERE,))
    env.user("regional.agent@a.fr", profile="agent", structures=(REG,))
    env.user("both@a.fr", profile="super_agent", structures=(AGENCY, REG))  # told once
    daily = env.user("daily.chef@a.fr", profile="super_agent", structures=(REG,),
                     frequency="daily")
    env.user("never.chef@a.fr", profile="super_agent", structures=(NAT,), frequency="none")
    env.deliver("experience.response_submitted", {
        "id": "e-1", "title": "Guichet fermé", "structure_id": AGENCY, "network_id": "n-1"})
    env.send()
    assert sorted(m["To"] for m in env.box.messages()) == [
        "both@a.fr", "local.chef@a.fr", "national.chef@a.fr", "regional.chef@a.fr"]
    mail = env.box.to("regional.chef@a.fr")[0]
    assert mail["Subject"] == "Une réponse attend votre validation : Guichet fermé"
    assert f'href="{GATEWAY}/agent/experiences/e-1"' in html_of(mail)
    assert _digest_items(env, daily) == [("response_to_validate", "e-1")]


def test_a_loop_in_the_tree_replica_does_not_hang_the_handler(env):
    env.deliver("structure.created", {"id": "a", "network_id": "n-1", "name": "A",
                                      "parent_id": "b"})
    env.deliver("structure.created", {"id": "b", "network_id": "n-1", "name": "B",
                                      "parent_id": "a"})
    env.user("chef.b@a.fr", profile="super_agent", structures=("b",))
    env.deliver("experience.response_submitted", {
        "id": "e-2", "title": "T", "structure_id": "a", "network_id": "n-1"})
    env.send()
    assert [m["To"] for m in env.box.messages()] == ["chef.b@a.fr"]


def test_the_agent_who_wrote_it_hears_that_the_response_was_validated(env):
    _tree(env)
    drafter = env.user("redactrice@a.fr", structures=(AGENCY,))
    sender = env.user("envoyeur@a.fr", structures=(AGENCY,))
    validator = env.user("chef@a.fr", profile="super_agent", structures=(REG,))
    env.user("collegue@a.fr", structures=(AGENCY,))  # answers there too, but wrote nothing
    env.deliver("experience.answered", _answered(drafted_by=drafter, submitted_by=sender,
                                                 validated_by=validator))
    env.send()
    assert sorted(m["To"] for m in env.box.messages()) == [
        "auteur@example.org", "envoyeur@a.fr", "redactrice@a.fr"]
    mail = env.box.to("redactrice@a.fr")[0]
    assert mail["Subject"] == "Votre réponse est validée et publiée : Guichet fermé"
    assert "a été validée par un super agent" in text_of(mail)
    assert f"{GATEWAY}/agent/experiences/e-1" in text_of(mail)
    assert "token=" not in text_of(mail) + html_of(mail)  # the author's link is the author's


def test_no_validation_mail_when_nobody_validated_or_the_validator_wrote_it(env):
    _tree(env)
    agent = env.user("agent@a.fr", structures=(AGENCY,))
    chef = env.user("chef@a.fr", profile="super_agent", structures=(AGENCY,))
    env.deliver("experience.answered", _answered("e-1", drafted_by=agent, submitted_by=agent))
    env.deliver("experience.answered", _answered("e-2", drafted_by=chef, submitted_by=chef,
                                                 validated_by=chef))
    # An event written before these fields were carried.
    old = _answered("e-3")
    for key in ("drafted_by", "submitted_by", "validated_by"):
        old.pop(key)
    env.deliver("experience.answered", old)
    env.send()
    assert {m["To"] for m in env.box.messages()} == {"auteur@example.org"}


def test_validated_goes_to_the_digest_of_a_daily_drafter_and_nowhere_for_none(env):
    _tree(env)
    daily = env.user("daily@a.fr", structures=(AGENCY,), frequency="daily")
    never = env.user("never@a.fr", structures=(AGENCY,), frequency="none")
    chef = env.user("chef@a.fr", profile="super_agent", structures=(REG,))
    env.deliver("experience.answered", _answered("e-1", drafted_by=daily, submitted_by=daily,
                                                 validated_by=chef))
    env.deliver("experience.answered", _answered("e-2", drafted_by=never, submitted_by=never,
                                                 validated_by=chef))
    env.send()
    assert env.box.to("daily@a.fr") == [] and env.box.to("never@a.fr") == []
    assert _digest_items(env, daily) == [("response_validated", "e-1")]
    assert _digest_items(env, never) == []
    assert run_digests(env.db, env.settings, now=next_digest_time()) == 1
    env.send()
    [digest] = env.box.to("daily@a.fr")
    assert digest["Subject"] == "Votre récapitulatif Services Publics+ : 1 notification"
    assert "Vos réponses validées et publiées" in text_of(digest)
    assert f'href="{GATEWAY}/agent/experiences/e-1"' in html_of(digest)


def test_an_accepted_reorientation_tells_the_structure_it_left(env):
    _tree(env)
    env.user("leaving@a.fr", structures=(AGENCY,))
    env.user("arriving@a.fr", structures=(ELSEWHERE,))
    env.user("both@a.fr", structures=(AGENCY, ELSEWHERE))  # one mail: the new structure's
    env.user("diag@a.fr", structures=(AGENCY,), missions=("diagnostic",))
    weekly = env.user("weekly@a.fr", structures=(AGENCY,), frequency="weekly")
    env.deliver("experience.reassigned", {
        "id": "e-5", "title": "Mauvais guichet", "from_structure_id": AGENCY,
        "structure_id": ELSEWHERE, "network_id": "n-2", "by_user_id": "m-1", "kind": "reroute"})
    env.send()
    assert sorted((m["To"], m["X-SPP-Kind"]) for m in env.box.messages()) == [
        ("arriving@a.fr", "experience_reassigned"), ("both@a.fr", "experience_reassigned"),
        ("leaving@a.fr", "reorientation_accepted")]
    mail = env.box.to("leaving@a.fr")[0]
    assert mail["Subject"] == "Réorientation acceptée : Mauvais guichet"
    assert "a accepté la demande de réorientation" in text_of(mail)
    # The experience left their scope: the link is its public page, not the agents' one.
    assert f'href="{GATEWAY}/experiences/e-5"' in html_of(mail)
    assert "/agent/" not in text_of(mail) + html_of(mail)
    assert _digest_items(env, weekly) == [("reorientation_accepted", "e-5")]


def test_a_move_by_the_structure_tells_only_the_new_one(env):
    _tree(env)
    env.user("regional@a.fr", structures=(REG,))
    env.user("agency@a.fr", structures=(AGENCY,))
    for kind in ("reassign", None):  # None: an event written before `kind` was carried
        env.deliver("experience.reassigned", {
            "id": f"e-{kind}", "title": "T", "from_structure_id": REG, "structure_id": AGENCY,
            "network_id": "n-1", "by_user_id": "u-1", "kind": kind})
    env.send()
    assert [m["To"] for m in env.box.messages()] == ["agency@a.fr", "agency@a.fr"]


def test_the_answer_agents_hear_how_the_usager_rated_the_response(env):
    _tree(env)
    env.user("agent@a.fr", structures=(AGENCY,))
    env.user("chef@a.fr", profile="super_agent", structures=(AGENCY,))
    env.user("diag@a.fr", structures=(AGENCY,), missions=("diagnostic",))
    env.user("regional@a.fr", structures=(REG,))
    daily = env.user("daily@a.fr", structures=(AGENCY,), frequency="daily")
    env.user("never@a.fr", structures=(AGENCY,), frequency="none")
    env.deliver("experience.evaluated", {
        "id": "e-7", "structure_id": AGENCY, "useful": True, "feeling_after": "positive",
        "title": "Dossier perdu", "feeling": "negative"})
    env.send()
    assert sorted(m["To"] for m in env.box.messages()) == ["agent@a.fr", "chef@a.fr"]
    mail = env.box.to("agent@a.fr")[0]
    assert mail["Subject"] == "L'usager a évalué la réponse : Dossier perdu"
    text = text_of(mail)
    assert "Réponse utile : oui" in text
    assert "Ressenti avant la réponse : négatif" in text
    assert "Ressenti après la réponse : positif" in text
    assert "<li>Réponse utile : oui</li>" in html_of(mail)
    assert f"{GATEWAY}/agent/experiences/e-7" in text
    assert _digest_items(env, daily) == [("experience_evaluated", "e-7")]


def test_an_older_evaluation_event_still_makes_a_readable_mail(env):
    _tree(env)
    env.user("agent@a.fr", structures=(AGENCY,))
    env.deliver("experience.evaluated", {"id": "abcdef12-3456", "structure_id": AGENCY,
                                         "useful": False, "feeling_after": "neutral"})
    env.send()
    [mail] = env.box.messages()
    assert mail["Subject"] == "L'usager a évalué la réponse : expérience ABCDEF12"
    assert "Réponse utile : non" in text_of(mail) and "avant la réponse" not in text_of(mail)


def test_a_digest_of_several_kinds_lists_each_under_its_heading(env):
    _tree(env)
    env.user("chef@a.fr", profile="super_agent", structures=(AGENCY,), frequency="daily")
    env.deliver("experience.published", {
        "id": "e-new", "title": "Nouvelle", "structure_id": AGENCY, "network_id": "n-1",
        "published_at": datetime.now(UTC), "edited": False, "author_email": "a@example.org",
        "author_name": "A"})
    env.deliver("experience.response_submitted", {
        "id": "e-val", "title": "À valider", "structure_id": AGENCY, "network_id": "n-1"})
    env.deliver("experience.evaluated", {
        "id": "e-eval", "structure_id": AGENCY, "useful": True, "feeling_after": "positive",
        "title": "Évaluée", "feeling": "neutral"})
    assert run_digests(env.db, env.settings, now=next_digest_time()) == 1
    env.send()
    [digest] = env.box.to("chef@a.fr")
    assert digest["Subject"] == "Votre récapitulatif Services Publics+ : 3 notifications"
    text = text_of(digest)
    headings = ["Nouvelles expériences à traiter pour votre structure",
                "Réponses qui attendent votre validation", "Réponses évaluées par les usagers"]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    assert text.index("« Nouvelle »") < positions[1] < text.index("« À valider »") < positions[2]
    assert text.index("« Évaluée »") > positions[2]
    assert "Vos réponses validées" not in text  # no empty heading
    html = html_of(digest)
    assert f'href="{GATEWAY}/agent/experiences/e-val"' in html
    assert "Réponses qui attendent votre validation</h2>" in html
