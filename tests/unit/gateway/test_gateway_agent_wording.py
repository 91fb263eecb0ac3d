"""Words that said something else than the facts: the usager's postal code read as the
structure's address, the hint of an action's experiences, who reads the evaluation's comment."""

from __future__ import annotations

from tests.support.gateway import EXPERIENCE, INTERNAL, login_as

ROUTED = {"status": "to_process", "structure_name": "CAF de Paris", "postal_code": "69003"}


def test_the_postal_code_reads_as_the_usagers_not_the_structures(client, fakes):
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(EXPERIENCE, **ROUTED)
    public = client.get("/experiences/7").get_data(as_text=True)
    login_as(client, fakes)
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(INTERNAL, **ROUTED)
    agent = client.get("/agent/experiences/7").get_data(as_text=True)
    for html in (public, agent):
        html = html.replace("&#39;", "'")
        assert "Service : CAF de Paris" in html
        assert "Code postal indiqué par l'usager : 69003" in html
        assert "(69003)" not in html


def test_the_actions_experiences_hint_says_unanswered_ones_are_offered_too(client, fakes):
    login_as(client, fakes)
    fakes["identity"].answers[("GET", "/me")] = {"id": "1", "structure_ids": ["10"]}
    fakes["experiences"].answers[("GET", "/experiences")] = {
        "items": [dict(EXPERIENCE, id="8", title="Guichet fermé")], "total": 1, "page": 1,
        "per_page": 100}
    fakes["experiences"].answers[("GET", "/experiences/7")] = dict(
        INTERNAL, status="to_process", title="Attente au téléphone")
    html = client.get("/agent/actions/nouvelle?experience_ids=7").get_data(as_text=True)
    fieldset = html.split('id="experience_ids"')[1].split("</fieldset>")[0]
    assert "qui ont reçu une réponse, et celles déjà choisies" in fieldset
    assert "même « À traiter » ou « En attente de validation »" in fieldset
    # The one offered without a response says its state.
    assert "Attente au téléphone (À traiter)</label>" in fieldset
    assert "Guichet fermé</label>" in fieldset


def test_the_personal_data_page_says_only_administrators_read_the_evaluations_comment(client):
    html = client.get("/donnees-personnelles").get_data(as_text=True).replace("&#39;", "'")
    assert "Évaluation de la réponse (utilité, ressenti, commentaire)" not in html
    assert "<th scope=\"row\">Commentaire de l'évaluation</th>" in html
    assert "seuls les administrateurs du programme le lisent, pas le service concerné" in html
    who = html.split("<h2>Qui voit quoi</h2>")[1].split("</ul>")[0]
    assert "votre évaluation de leur réponse (utile ou non, votre ressenti), sans votre " \
        "commentaire" in who
    assert "Les administrateurs du programme : le commentaire de votre évaluation" in who
