"""The diagnostic's details that cost teams time: the channels ticked are the structure's, the
gap has one sign in the chart and the table, and a refused completion is summed up per
commitment."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from services.gateway.clients import ServiceError
from services.gateway.views.diagnostic import (
    GAP_DEFINITION,
    default_channels,
    gap_chart,
    gap_points,
    signed,
)
from tests.support.gateway import DRAFT, RESULTS, DiagnosticFake, csrf_of, login_as

# The questionnaire's channels as the API publishes them: identity's channels each one covers.
CHANNELS = [
    {"code": "in_person", "label": "Accueil physique", "structure_channels": ["in_person"]},
    {"code": "phone", "label": "Téléphone", "structure_channels": ["phone"]},
    {"code": "mail_email", "label": "Courrier / courriel", "structure_channels": ["mail", "email"]},
    {"code": "online", "label": "Formulaires en ligne", "structure_channels": ["online"]},
]
ALL = ["in_person", "phone", "mail_email", "online"]


def questionnaire(commitments: int = 3, questions: int = 4) -> dict:
    """`commitments` commitments of `questions` questions each, asked on every channel."""
    return {"version": "2023-v1", "title": "Diagnostic local (2023)",
            "scale": [{"code": "yes", "label": "Oui"}, {"code": "no", "label": "Non"}],
            "channels": CHANNELS,
            "commitments": [
                {"number": n, "code": f"c{n}", "label": f"Engagement numéro {n}.",
                 "expected_level": 0.8,
                 "questions": [{"id": f"c{n}-q{q}", "text": f"Question {q} de l'engagement {n}.",
                                "channels": ALL} for q in range(1, questions + 1)]}
                for n in range(1, commitments + 1)]}


STRUCTURES = {
    "10": {"id": "10", "name": "CAF du Rhône", "channels": ["in_person", "email", "other"]},
    "11": {"id": "11", "name": "CAF de Villeurbanne", "channels": ["phone"]},
    "12": {"id": "12", "name": "Antenne de Bron", "channels": []},
}


@pytest.fixture
def diag(fakes):
    q = questionnaire()
    fakes["diagnostic"] = DiagnosticFake({
        ("GET", "/questionnaires/current"): q, ("GET", "/questionnaires/2023-v1"): q,
        ("GET", "/diagnostics"): {"items": [], "total": 0, "page": 1, "per_page": 20},
        ("GET", "/diagnostics/d1"): dict(DRAFT, channels=["phone", "online"], answers=[],
                                         notes=[], missing=[]),
        ("GET", "/diagnostics/d1/results"): RESULTS,
    })
    for structure_id, structure in STRUCTURES.items():
        fakes["identity"].answers[("GET", f"/structures/{structure_id}")] = structure
    return fakes


def agent(client, fakes, structure_ids=("10",)):
    return login_as(client, fakes, "agent", missions=["diagnostic"], structure_ids=structure_ids)


def ticked(html: str) -> list[str]:
    return re.findall(r'id="channels-(\w+)" name="channels" value="\w+" checked', html)


def starts(fakes) -> list[dict]:
    return [c for c in fakes["diagnostic"].calls if (c["method"], c["path"]) ==
            ("POST", "/diagnostics")]


# Channels ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("declared,expected", [
    (["in_person", "email", "other"], (["in_person", "mail_email"], True)),
    (["mail"], (["mail_email"], True)),
    (["online", "phone"], (["phone", "online"], True)),  # the questionnaire's order
    (["other"], (ALL, False)),
    ([], (ALL, False)),
    (None, (ALL, False)),
])
def test_the_channels_of_a_structure_follow_the_api_mapping(declared, expected):
    assert default_channels({"channels": CHANNELS}, declared) == expected


def test_an_only_structure_is_chosen_with_its_channels_ticked(app, diag):
    client = app.test_client()
    agent(client, diag)
    html = client.get("/agent/diagnostic").get_data(as_text=True)
    assert re.search(r'<option value="10" data-channels="in_person mail_email" '
                     r'data-channels-said="[^"]+" selected>CAF du Rhône</option>', html)
    assert ticked(html) == ["in_person", "mail_email"]
    assert ("Canaux cochés : ceux déclarés pour cette structure (Accueil physique, "
            "Courrier / courriel).") in html
    assert 'src="/static/diagnostic.js"' in html
    # What the page ticked is what is sent.
    client.post("/agent/diagnostic", data={"csrf_token": csrf_of(html), "structure_id": "10",
                                           "channels": ticked(html)})
    assert starts(diag)[0]["json"] == {"structure_id": "10", "channels": ["in_person",
                                                                          "mail_email"]}


def test_a_structure_that_declares_no_channel_gets_every_one_and_is_told_so(app, diag):
    client = app.test_client()
    agent(client, diag, structure_ids=("12",))
    html = client.get("/agent/diagnostic").get_data(as_text=True)
    assert ticked(html) == ALL
    assert "Aucun canal déclaré pour cette structure : tous les canaux sont cochés." in html


def test_among_several_structures_none_is_guessed(app, diag):
    client = app.test_client()
    agent(client, diag, structure_ids=("10", "11", "12"))
    html = client.get("/agent/diagnostic").get_data(as_text=True)
    assert ticked(html) == [] and " selected>" not in html.split('id="structure_id"')[1][:600]
    assert "Choisissez d&#39;abord la structure." in html
    # Each option carries the channels the script ticks when it is chosen.
    assert 'value="11" data-channels="phone"' in html
    assert f'value="12" data-channels="{" ".join(ALL)}"' in html
    # A link may name the structure.
    chosen = client.get("/agent/diagnostic?structure_id=11").get_data(as_text=True)
    assert ticked(chosen) == ["phone"] and re.search(r'value="11"[^>]* selected>', chosen)
    unknown = client.get("/agent/diagnostic?structure_id=99").get_data(as_text=True)
    assert ticked(unknown) == []


def test_without_the_script_a_button_ticks_the_chosen_structures_channels(app, diag):
    client = app.test_client()
    agent(client, diag, structure_ids=("10", "11"))
    html = client.get("/agent/diagnostic").get_data(as_text=True)
    assert 'name="action" value="channels"' in html and "data-channels-button" in html
    response = client.post("/agent/diagnostic", data={
        "csrf_token": csrf_of(html), "structure_id": "11", "action": "channels",
        "channels": ["in_person", "online"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and starts(diag) == []
    assert ticked(page) == ["phone"] and re.search(r'value="11"[^>]* selected>', page)
    assert "Canaux cochés : ceux déclarés pour cette structure (Téléphone)." in page
    none = client.post("/agent/diagnostic", data={"csrf_token": csrf_of(html),
                                                   "action": "channels"})
    assert none.status_code == 400 and starts(diag) == []
    assert 'id="structure_id-error-1">Choisissez la structure' in none.get_data(as_text=True)
    assert 'id="channels-error-1"' not in none.get_data(as_text=True)


def test_the_script_ticks_the_channels_and_never_stays_the_default_button():
    from services.gateway.app import STATIC

    script = (STATIC / "diagnostic.js").read_text(encoding="utf-8")
    assert "data-channels-for" in script and "data-channels-said" in script
    assert "button.remove()" in script


# A refused completion ---------------------------------------------------------------------------
def test_a_refused_completion_is_summed_up_per_commitment(app, diag):
    client = app.test_client()
    agent(client, diag)
    q = questionnaire(commitments=8, questions=4)
    diag["diagnostic"].answers[("GET", "/questionnaires/2023-v1")] = q
    missing = [f"c{n}-q{i}/{channel}" for n in range(1, 9) for i in range(1, 5)
               for channel in ("phone", "online") if (n, i, channel) != (1, 1, "phone")]
    missing = [m for m in missing if not m.startswith("c3-")]  # engagement 3 is complete
    diag["diagnostic"].answers[("POST", "/diagnostics/d1/complete")] = ServiceError(
        409, "incomplete", f"{len(missing)} question(s) sans réponse : complétez-les d'abord.",
        {"missing": missing})
    html = client.get("/agent/diagnostic/d1").get_data(as_text=True)
    response = client.post("/agent/diagnostic/d1", data={"csrf_token": csrf_of(html),
                                                         "action": "complete"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and len(missing) == 55
    summary = re.search(r'id="resume-erreurs".*?</div>', page, re.S).group(0)
    assert "55 question(s) sans réponse" in summary
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    # Grouped by channel then question: the first missing one of engagement 1 is q2 by phone.
    assert links == [("q-c1-q2--phone", "7 questions sans réponse dans l&#39;engagement 1")] + [
        (f"q-c{n}-q1--phone", f"8 questions sans réponse dans l&#39;engagement {n}")
        for n in (2, 4, 5, 6, 7, 8)]
    # Each missing question still says so next to it, and each link leads to a field.
    assert page.count(">Répondez à cette question.</p>") == 55
    for field, _ in links:
        assert f'id="{field}"' in page


def test_a_single_missing_question_is_singular(app, diag):
    client = app.test_client()
    agent(client, diag)
    diag["diagnostic"].answers[("POST", "/diagnostics/d1/complete")] = ServiceError(
        409, "incomplete", "1 question(s) sans réponse : complétez-les d'abord.",
        {"missing": ["c2-q3/phone"]})
    html = client.get("/agent/diagnostic/d1").get_data(as_text=True)
    page = client.post("/agent/diagnostic/d1", data={"csrf_token": csrf_of(html),
                                                     "action": "complete"}).get_data(as_text=True)
    assert '<a href="#q-c2-q3--phone">1 question sans réponse dans l&#39;engagement 2</a>' in page


# The gap -----------------------------------------------------------------------------------------
def test_gap_is_expected_minus_score_in_displayed_points():
    assert gap_points({"score": 0.35, "expected": 0.8}) == 45
    assert gap_points({"score": 0.95, "expected": 0.8}) == -15
    assert gap_points({"score": 0.625, "expected": 0.8}) == 17  # 63 % shown, as the API rounds
    assert gap_points({"score": None, "expected": 0.8}) is None
    assert gap_points({"score": 0.1, "expected": 0.8, "gap_points": 70}) == 70  # the API's
    assert [signed(p) for p in (45, 0, -15, None)] == ["45", "0", "−15", "—"]
    rows = gap_chart([{"number": 1, "score": 0.95, "expected": 0.8}])["rows"]
    assert rows[0]["gap"] == -15 and rows[0]["gap_text"] == "−15"


def test_chart_and_table_show_the_same_signed_gap_and_say_what_it_is(app, diag):
    client = app.test_client()
    agent(client, diag)
    above = dict(RESULTS["commitments"][0], score=0.95, gap=-0.15, score_percent=95,
                 gap_points=-15)
    below = dict(RESULTS["commitments"][1], gap_points=45)
    diag["diagnostic"].answers[("GET", "/diagnostics/d1/results")] = dict(
        RESULTS, commitments=[above, below], weakest_commitments=[below, above])
    html = client.get("/agent/diagnostic/d1/resultats").get_data(as_text=True)
    svg = re.search(r'<svg id="graphique-ecarts".*?</svg>', html, re.S).group(0)
    table = re.search(r'<table id="tableau-engagements">.*?</table>', html, re.S).group(0)
    chart_gaps = re.findall(r"%\s*\(écart ([−\d]+)\)</text>", svg)
    table_gaps = re.findall(r"</th>\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>([^<]+)</td>", table)
    assert chart_gaps == ["45", "−15"] and table_gaps == ["45", "−15"]
    assert "écart 45." in svg and "écart −15." in svg  # the description read aloud agrees
    assert f'<p id="definition-ecart">{escape(GAP_DEFINITION)}</p>' in html
    assert "Écart = niveau attendu − score" in GAP_DEFINITION
    # The bar below the expected level is drawn apart from the one that reached it (same sign).
    below, above = (re.findall(r'(?:fill|class)="([^"]+)"',
                               re.search(rf'<rect ([^>]*)data-score="{score}"', svg).group(1))
                    for score in (35, 95))
    assert below and below != above
