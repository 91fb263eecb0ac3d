"""The open data shows what agents set on an experience (DOMAIN: general tags, business tags,
feeling per channel, the improvement flag), in the CSV and the JSON alike; written by agents,
the CSV's cells a spreadsheet would evaluate are written as text."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

pytestmark = pytest.mark.integration

FORMULA = '=HYPERLINK("https://exemple.invalid","Cliquez")'


def _annotated(env, **annotations) -> str:
    ids = env.tree()
    exp_id = env.published(ids, title="Annotée par l'agence")
    agent = env.headers("agent", ids, structures=["loc"])
    response = env.client.patch(f"/experiences/{exp_id}/annotations", headers=agent,
                                json=annotations)
    assert response.status_code == 200, response.json
    return exp_id


def _csv_row(env, exp_id: str) -> dict:
    text = env.client.get("/open-data/experiences.csv").get_data(as_text=True)
    return {r["id"]: r for r in csv.DictReader(io.StringIO(text))}[exp_id]


def _json_row(env, exp_id: str) -> dict:
    return {r["id"]: r for r in env.client.get("/open-data/experiences.json").json}[exp_id]


def test_business_tags_and_channel_feelings_are_open_data_columns(env):
    exp_id = _annotated(
        env, general_tags=[{"tag": "simplicity", "feeling": "negative"}],
        business_tags=["prestations familiales", "prime d'activité"],
        channel_feelings=[{"channel": "phone", "feeling": "negative"},
                          {"channel": "online", "feeling": "positive"}],
        improvement_to_consider=True)
    text = env.client.get("/open-data/experiences.csv").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text)))
    assert header[11:15] == ["general_tags", "business_tags", "channel_feelings",
                             "improvement_to_consider"]
    for row in (_csv_row(env, exp_id), _json_row(env, exp_id)):
        assert row["general_tags"] == "simplicity:negative"
        assert row["business_tags"] == "prestations familiales | prime d'activité"
        assert row["channel_feelings"] == "phone:negative | online:positive"
        assert row["improvement_to_consider"] == "oui"


def test_an_experience_without_annotations_has_empty_cells(env):
    ids = env.tree()
    exp_id = env.published(ids)
    for row in (_csv_row(env, exp_id), _json_row(env, exp_id)):
        assert row["business_tags"] == "" and row["channel_feelings"] == ""
        assert row["improvement_to_consider"] == "non"


def test_a_business_tag_a_spreadsheet_would_evaluate_is_written_as_text(env):
    exp_id = _annotated(env, business_tags=[FORMULA, "accueil"])
    assert _csv_row(env, exp_id)["business_tags"] == f"'{FORMULA} | accueil"
    # The JSON is not opened by a spreadsheet: the tag as the agent wrote it.
    assert _json_row(env, exp_id)["business_tags"] == f"{FORMULA} | accueil"


def test_the_actions_cell_splits_back_into_titles_that_hold_its_separator(env):
    ids = env.tree()
    exp_id = env.published(ids, structure="reg")
    agent = env.headers("agent", ids, structures=["reg"])
    for title in ("Accueil | horaires élargis", "Formulaire simplifié"):
        created = env.client.post("/improvement-actions", headers=agent, json={
            "title": title, "description": "Fait.", "date": date.today().isoformat(),
            "structure_id": ids["reg"], "experience_ids": [exp_id]})
        assert created.status_code == 201, created.json
    for row in (_csv_row(env, exp_id), _json_row(env, exp_id)):
        assert sorted(row["improvement_actions"].split(" | ")) == [
            "Accueil ¦ horaires élargis", "Formulaire simplifié"]
    # the action itself keeps the title as written
    shown = env.client.get(f"/experiences/{exp_id}").json["improvement_actions"]
    assert sorted(a["title"] for a in shown) == ["Accueil | horaires élargis", "Formulaire simplifié"]
