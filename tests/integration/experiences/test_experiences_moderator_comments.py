"""A moderator handling a re-orientation request reads the internal comments the structures
wrote on the experience (her scope is every experience), but writes none: moderation answers
the structure through its decision."""

from __future__ import annotations


def test_a_moderator_reads_the_comments_of_an_experience_waiting_for_reorientation(env):
    ids = env.tree()
    exp_id = env.published(ids)
    agent = env.headers("agent", ids, structures=["loc"])
    for body in ("Usager reçu deux fois : dossier retraite.", "Voir avec la CNAV."):
        assert env.client.post(f"/experiences/{exp_id}/comments", headers=agent,
                               json={"body": body}).status_code == 201
    assert env.client.post(f"/experiences/{exp_id}/reorientation", headers=agent,
                           json={"reason": "Relève de la CNAV"}).status_code == 202
    moderator = env.headers("moderator", missions=())

    listed = env.client.get(f"/experiences/{exp_id}/comments", headers=moderator)
    assert listed.status_code == 200
    assert [(c["author_name"], c["body"]) for c in listed.json["items"]] == [
        ("Test agent", "Usager reçu deux fois : dossier retraite."),
        ("Test agent", "Voir avec la CNAV.")]
    assert {"id", "author_id", "created_at"} <= set(listed.json["items"][0])

    # Reading is all: a moderator adds no internal comment of her own.
    assert env.client.post(f"/experiences/{exp_id}/comments", headers=moderator,
                           json={"body": "Vu."}).status_code == 403
    # Outside the structures concerned, nobody else reads them.
    side = env.headers("agent", ids, structures=["side"])
    other_network = env.headers("referent", ids, network="net2")
    for headers in (side, other_network):
        assert env.client.get(f"/experiences/{exp_id}/comments",
                              headers=headers).status_code == 403

    # Once she declines, her explanation joins them, and she still reads everything.
    env.deliver("moderation.reorientation_declined", {
        "case_id": "c", "experience_id": exp_id, "comment": "Le guichet cité est le vôtre.",
        "moderator_id": "m1"})
    after = env.client.get(f"/experiences/{exp_id}/comments", headers=moderator).json["items"]
    assert [c["body"] for c in after][-1] == (
        "Demande de réorientation refusée : Le guichet cité est le vôtre.")
    assert len(after) == 3

