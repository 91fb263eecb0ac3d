"""Consumed events, called through the consumer's inbox logic on a real PostgreSQL."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
import sqlalchemy as sa

from services.experiences.models import Experience, ExperienceMove, Network, Structure
from services.experiences.service import UnknownExperience

pytestmark = pytest.mark.integration


def _get(env, exp_id) -> Experience:
    with env.db.transaction() as session:
        return session.get(Experience, exp_id)


def test_submission_event_never_carries_the_email(env):
    exp_id = env.submit()
    [event] = env.outbox_for("experience.submitted", exp_id)
    assert event["payload"]["title"] == "Accueil à la CAF"
    assert "author_email" not in event["payload"]
    assert "camille.secret" not in str(event)


def test_replica_upserts_networks_and_structures(env):
    ids = env.tree(requires_validation=False, target_delay_days=7)
    env.deliver("structure.updated", {"id": ids["loc"], "network_id": ids["net"],
                                      "parent_id": ids["side"], "name": "Agence renommée",
                                      "postal_code": "69001", "city": "Lyon"}, producer="identity")
    with env.db.transaction() as session:
        net = session.get(Network, ids["net"])
        assert (net.requires_validation, net.target_delay_days) == (False, 7)
        loc = session.get(Structure, ids["loc"])
        assert (loc.name, loc.parent_id, loc.city) == ("Agence renommée", ids["side"], "Lyon")


def test_approval_publishes_once_even_when_delivered_twice(env):
    ids = env.tree()
    exp_id = env.submit()
    event_id = str(uuid.uuid4())
    payload = {"case_id": "c1", "experience_id": exp_id, "structure_id": ids["loc"],
               "network_id": ids["net"], "body": "Texte [caviardé].", "edited": True}
    env.deliver("moderation.approved", payload, event_id=event_id)
    env.deliver("moderation.approved", payload, event_id=event_id)
    exp = _get(env, exp_id)
    assert exp.status == "to_process"
    assert exp.published_body == "Texte [caviardé]." and exp.edited
    assert (exp.structure_id, exp.network_id) == (ids["loc"], ids["net"])
    assert exp.published_at is not None
    [event] = env.outbox_for("experience.published", exp_id)
    assert event["payload"]["author_email"] == "camille.secret@example.org"
    assert event["payload"]["edited"] is True
    with env.db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM inbox WHERE event_id = :e"),
                            {"e": event_id}).scalar() == 1


def test_approval_publishes_every_field_as_moderated_and_keeps_the_usagers_words_apart(env):
    ids = env.tree()
    exp_id = env.submit(title="Rappelez-moi au 06 12 34 56 78", author_name="Paul Martin",
                        structure_hint="Guichet de Mme Durand")
    env.deliver("moderation.approved", {
        "case_id": "c3", "experience_id": exp_id, "structure_id": ids["loc"],
        "network_id": ids["net"], "body": "Texte modéré.", "edited": True,
        "title": "Rappelez-moi au [téléphone masqué]", "author_name": "[nom masqué]",
        "structure_hint": "Guichet de [nom masqué]", "edited_fields": ["title"]})
    exp = _get(env, exp_id)
    assert (exp.title, exp.author_name, exp.structure_hint) == (
        "Rappelez-moi au [téléphone masqué]", "[nom masqué]", "Guichet de [nom masqué]")
    assert (exp.submitted_title, exp.submitted_author_name, exp.submitted_structure_hint) == (
        "Rappelez-moi au 06 12 34 56 78", "Paul Martin", "Guichet de Mme Durand")
    [event] = env.outbox_for("experience.published", exp_id)
    assert event["payload"]["title"] == "Rappelez-moi au [téléphone masqué]"
    assert event["payload"]["author_name"] == "[nom masqué]"
    assert "06 12 34 56 78" not in str(event) and "Paul Martin" not in str(event)
    public = env.client.get(f"/experiences/{exp_id}").get_json()
    assert public["title"] == "Rappelez-moi au [téléphone masqué]"
    assert public["author_name"] == "[nom masqué]"
    assert "06 12" not in str(public) and "Durand" not in str(public)
    found = env.client.get("/experiences", query_string={"q": "06 12 34"}).get_json()
    assert found["total"] == 0  # the usager's own words are not searchable either
    csv_text = env.client.get("/open-data/experiences.csv").get_data(as_text=True)
    assert "[téléphone masqué]" in csv_text and "06 12 34 56 78" not in csv_text


def test_a_second_approval_with_another_event_id_changes_nothing(env):
    ids = env.tree()
    exp_id = env.published(ids)
    env.approve(exp_id, ids, structure="side", body="Autre texte")
    exp = _get(env, exp_id)
    assert exp.structure_id == ids["loc"] and exp.published_body == "Texte modéré."
    assert len(env.outbox_for("experience.published", exp_id)) == 1


def test_rejection(env):
    exp_id = env.submit()
    payload = {"case_id": "c2", "experience_id": exp_id, "reason": "insult", "comment": "Propos"}
    event_id = str(uuid.uuid4())
    env.deliver("moderation.rejected", payload, event_id=event_id)
    env.deliver("moderation.rejected", payload, event_id=event_id)
    exp = _get(env, exp_id)
    assert exp.status == "rejected" and exp.rejection_reason == "insult"
    [event] = env.outbox_for("experience.rejected", exp_id)
    assert event["payload"]["reason"] == "insult"
    assert event["payload"]["author_email"] == "camille.secret@example.org"


def test_rejection_after_publication_is_dropped(env):
    ids = env.tree()
    exp_id = env.published(ids)
    env.deliver("moderation.rejected", {"case_id": "c", "experience_id": exp_id,
                                        "reason": "other"})
    assert _get(env, exp_id).status == "to_process"
    assert env.outbox_for("experience.rejected", exp_id) == []


def test_approval_of_an_unknown_experience_raises_so_it_is_retried(env):
    ids = env.tree()
    missing = str(uuid.uuid4())
    event_id = str(uuid.uuid4())
    with pytest.raises(UnknownExperience):
        env.deliver("moderation.approved", {
            "case_id": "c", "experience_id": missing, "structure_id": ids["loc"],
            "network_id": ids["net"], "body": "x", "edited": False}, event_id=event_id)
    with env.db.engine.connect() as conn:  # not recorded: a retry will run it again
        assert conn.execute(sa.text("SELECT count(*) FROM inbox WHERE event_id = :e"),
                            {"e": event_id}).scalar() == 0


def test_reroute_moves_to_another_network_with_audit(env):
    ids = env.tree()
    exp_id = env.published(ids)
    env.deliver("moderation.rerouted", {"case_id": "c", "experience_id": exp_id,
                                        "structure_id": ids["s2"], "network_id": ids["net2"],
                                        "moderator_id": "m1"})
    exp = _get(env, exp_id)
    assert (exp.structure_id, exp.network_id, exp.status) == (ids["s2"], ids["net2"], "to_process")
    [event] = env.outbox_for("experience.reassigned", exp_id)
    assert event["payload"]["from_structure_id"] == ids["loc"]
    with env.db.transaction() as session:
        [move] = session.scalars(sa.select(ExperienceMove)
                                 .where(ExperienceMove.experience_id == exp_id)).all()
        assert (move.kind, move.to_structure_id, move.by_user_id) == ("reroute", ids["s2"], "m1")


def test_reroute_drops_the_draft_and_business_tags_of_the_previous_network(env):
    ids = env.tree()
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    drafted = env.client.put(f"/experiences/{exp_id}/response", headers=agent,
                             json={"body": "Brouillon interne", "signature": "Agent CAF"})
    assert drafted.status_code == 200
    tagged = env.client.patch(f"/experiences/{exp_id}/annotations", headers=agent, json={
        "business_tags": ["Prime d'activité"],
        "general_tags": [{"tag": "information", "feeling": "negative"}]})
    assert tagged.status_code == 200
    env.deliver("moderation.rerouted", {"case_id": "c", "experience_id": exp_id,
                                        "structure_id": ids["s2"], "network_id": ids["net2"],
                                        "moderator_id": "m1"})
    exp = _get(env, exp_id)
    assert exp.structure_id == ids["s2"]
    assert (exp.response_body, exp.response_signature, exp.response_drafted_by) == (
        None, None, None)
    # The previous network's own labels go; the programme's themes stay.
    assert exp.business_tags == [] and exp.general_tags


def test_declined_reorientation_lets_the_structure_answer_and_tells_it_why(env):
    ids = env.tree()
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    assert env.client.post(f"/experiences/{exp_id}/reorientation", headers=agent,
                           json={"reason": "Relève de la CPAM"}).status_code == 202
    assert env.client.post(f"/experiences/{exp_id}/reorientation", headers=agent,
                           json={"reason": "Encore"}).status_code == 409
    declined = {"case_id": "c", "experience_id": exp_id,
                "comment": "Le guichet cité est le vôtre.", "moderator_id": "m1"}
    env.deliver("moderation.reorientation_declined", declined)
    env.deliver("moderation.reorientation_declined", declined)  # another event, same decision
    exp = _get(env, exp_id)
    assert (exp.structure_id, exp.status, exp.reorientation_reason) == (
        ids["loc"], "to_process", None)
    [told] = env.outbox_for("experience.reorientation_declined", exp_id)
    assert told["payload"] == {"id": exp_id, "title": exp.title, "structure_id": ids["loc"],
                               "network_id": ids["net"], "comment": "Le guichet cité est le vôtre."}
    comments = env.client.get(f"/experiences/{exp_id}/comments", headers=agent).json["items"]
    assert [(c["author_name"], c["body"]) for c in comments] == [
        ("Modération", "Demande de réorientation refusée : Le guichet cité est le vôtre.")]
    drafted = env.client.put(f"/experiences/{exp_id}/response", headers=agent,
                             json={"body": "Nous reprenons votre demande."})
    assert drafted.status_code == 200
    assert env.client.post(f"/experiences/{exp_id}/response/submit",
                           headers=agent).status_code == 200


def test_a_reroute_comment_reaches_the_new_structure_only(env):
    ids = env.tree()
    exp_id = env.published(ids)
    rerouted = {"case_id": "c", "experience_id": exp_id, "structure_id": ids["s2"],
                "network_id": ids["net2"], "comment": "  Dossier d'assurance maladie.  ",
                "moderator_id": "m1"}
    env.deliver("moderation.rerouted", rerouted)
    env.deliver("moderation.rerouted", rerouted)  # another event, same decision: one comment
    new = env.headers("agent", ids, structures=["s2"], network="net2", missions=("answer",))
    comments = env.client.get(f"/experiences/{exp_id}/comments", headers=new).json["items"]
    assert [(c["author_name"], c["body"]) for c in comments] == [
        ("Modération", "Réorientée vers votre structure : Dossier d'assurance maladie.")]
    silent = env.published(ids)
    env.deliver("moderation.rerouted", dict(rerouted, case_id="c2", experience_id=silent,
                                            comment=None))
    assert env.client.get(f"/experiences/{silent}/comments",
                          headers=new).json["items"] == []
    before = env.headers("agent", ids, structures=["loc"], missions=("answer",))
    assert env.client.get(f"/experiences/{exp_id}/comments",
                          headers=before).status_code == 403  # no longer theirs


class _Message:
    acked = None

    def ack(self, multiple=False):
        self.acked = "with those before" if multiple else "alone"


def _one_batch(env, *events) -> list[_Message]:
    """Events handled as the consumer handles what arrives together: one transaction. An event
    given as an index is the one at that index again (a redelivery)."""
    from services.chassis.events import make_event, parse_event
    from services.experiences.handlers import HANDLERS

    ready, raw = [], []
    for item in events:
        raw.append(raw[item] if isinstance(item, int) else
                   make_event(item[0], item[1], "moderation").to_json())
        event, loaded = parse_event(raw[-1])
        ready.append((_Message(), HANDLERS[event.type], event, loaded))
    assert env.consumer._handle_together(ready)
    return [message for message, *_ in ready]


def test_in_one_batch_an_approval_sees_a_rejection_made_just_before(env):
    ids = env.tree()
    exp_id = env.submit()
    messages = _one_batch(env, (
        "moderation.rejected", {"case_id": "c1", "experience_id": exp_id, "reason": "insult"}), (
        "moderation.approved", {"case_id": "c2", "experience_id": exp_id,
                                "structure_id": ids["loc"], "network_id": ids["net"],
                                "body": "x", "edited": False}))
    assert [m.acked for m in messages] == [None] * (len(messages) - 1) + ["with those before"]
    exp = _get(env, exp_id)
    assert (exp.status, exp.published_at) == ("rejected", None)
    assert env.outbox_for("experience.published", exp_id) == []


def test_in_one_batch_a_reroute_sees_the_approval_made_just_before(env):
    ids = env.tree()
    exp_id = env.submit()
    _one_batch(env, (
        "moderation.approved", {"case_id": "c1", "experience_id": exp_id,
                                "structure_id": ids["loc"], "network_id": ids["net"],
                                "body": "Texte modéré.", "edited": True}), (
        "moderation.rerouted", {"case_id": "c2", "experience_id": exp_id,
                                "structure_id": ids["s2"], "network_id": ids["net2"],
                                "moderator_id": "m1"}))
    exp = _get(env, exp_id)
    assert (exp.status, exp.structure_id, exp.published_body, exp.edited) == (
        "to_process", ids["s2"], "Texte modéré.", True)
    [published] = env.outbox_for("experience.published", exp_id)
    assert published["payload"]["structure_id"] == ids["loc"]
    [moved] = env.outbox_for("experience.reassigned", exp_id)
    assert moved["payload"]["from_structure_id"] == ids["loc"]


def test_in_one_batch_an_experience_read_before_an_approval_is_read_again_after(env):
    ids = env.tree()
    exp_id = env.submit()
    reroute = {"case_id": "c2", "experience_id": exp_id, "structure_id": ids["s2"],
               "network_id": ids["net2"], "moderator_id": "m1"}
    _one_batch(env, ("moderation.rerouted", reroute), (  # too early: dropped, but read
        "moderation.approved", {"case_id": "c1", "experience_id": exp_id,
                                "structure_id": ids["loc"], "network_id": ids["net"],
                                "body": "x", "edited": False}),
        ("moderation.rerouted", reroute | {"case_id": "c3"}))
    exp = _get(env, exp_id)
    assert (exp.status, exp.structure_id) == ("to_process", ids["s2"])
    assert len(env.outbox_for("experience.reassigned", exp_id)) == 1


def test_an_event_delivered_twice_in_one_batch_is_handled_once(env):
    ids = env.tree()
    exp_id = env.submit()
    approval = ("moderation.approved", {"case_id": "c1", "experience_id": exp_id,
                                        "structure_id": ids["loc"], "network_id": ids["net"],
                                        "body": "x", "edited": False})
    messages = _one_batch(env, approval, 0)
    assert [m.acked for m in messages] == [None] * (len(messages) - 1) + ["with those before"]
    assert len(env.outbox_for("experience.published", exp_id)) == 1
    assert _get(env, exp_id).status == "to_process"


def test_open_data_cells_never_become_spreadsheet_formulas(env):
    ids = env.tree()
    exp_id = env.submit(title='=HYPERLINK("http://example.org","Voir")')
    env.deliver("moderation.approved", {
        "case_id": "c4", "experience_id": exp_id, "structure_id": ids["loc"],
        "network_id": ids["net"], "body": "@SUM(1+1)", "edited": False,
        "title": '=HYPERLINK("http://example.org","Voir")', "author_name": "Camille",
        "structure_hint": "CAF de Paris"})
    text = env.client.get("/open-data/experiences.csv").get_data(as_text=True)
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["id"] == exp_id)
    assert row["title"] == "'=HYPERLINK(\"http://example.org\",\"Voir\")"
    assert row["description"] == "'@SUM(1+1)"
