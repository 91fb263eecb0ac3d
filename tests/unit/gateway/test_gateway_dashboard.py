"""« Tableau de bord »: figures, the SVG chart and its table, filters, and who sees the page."""

from __future__ import annotations

import re
from datetime import date

import pytest

from services.gateway.clients import ServiceError
from services.gateway.views.dashboard import bar_chart, default_period, months_between, nice_step
from tests.support.gateway import FakeClient, login_as, token_for

FIGURES = {"published": 137, "answered": 104, "answered_share": 0.7591,
           "average_delay_days": 6.5, "within_target_share": 0.8846, "evaluations": 41,
           "useful_share": 0.6829, "negative_to_positive_share": 0.3333}


# The series by month of publication; March is missing (nothing published): shown as zeros.
BY_MONTH = [{"month": f"2026-{m:02d}", "published": m * 3, "answered": m * 2}
            for m in range(1, 7) if m != 3]


@pytest.fixture
def monthly(fakes):
    fakes["experiences"] = FakeClient({("GET", "/dashboard"): FIGURES | {"by_month": BY_MONTH}})
    fakes["identity"].answers[("GET", "/structures/10")] = {"id": "10", "name": "CAF du Rhône"}
    fakes["identity"].answers[("GET", "/networks")] = {
        "items": [{"id": "n1", "code": "CAF", "name": "CAF", "target_delay_days": 15}]}
    return fakes


def test_dashboard_shows_the_figures_as_tiles_in_french(app, monthly):
    client = app.test_client()
    login_as(client, monthly)
    response = client.get("/agent/tableau-de-bord?from=2026-01-01&to=2026-06-30")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="fr"' in html
    whole = [c for c in monthly["experiences"].calls if c["params"]["to"] == "2026-06-30"
             and c["params"]["from"] == "2026-01-01"][0]
    assert whole["token"] == token_for("agent")
    for text in ("Expériences publiées", "137", "Taux de réponse", "76\u00a0%",
                 "6,5\u00a0jours", "Délai cible du réseau : 15\u00a0jours", "88\u00a0%",
                 "Usagers mécontents devenus satisfaits", "33\u00a0%", "41"):
        assert text in html, text
    assert 'href="/agent/tableau-de-bord"' in html and 'aria-current="page"' in html


def test_chart_and_table_carry_the_numbers_of_each_month(app, monthly):
    client = app.test_client()
    login_as(client, monthly)
    html = client.get("/agent/tableau-de-bord?from=2026-01-15&to=2026-04-10").get_data(
        as_text=True)
    periods = [(c["params"]["from"], c["params"]["to"]) for c in monthly["experiences"].calls]
    assert periods == [("2026-01-15", "2026-04-10")]  # one call: the series comes with it
    svg = re.search(r'<svg id="graphique-mois" role="img".*?</svg>', html, re.S).group(0)
    assert 'aria-labelledby="graphique-mois-title graphique-mois-desc"' in svg
    assert "<title id=\"graphique-mois-title\">" in svg
    bars = re.findall(r'<rect [^>]*fill="(#[0-9a-f]+)" data-value="(\d+)"', svg)
    assert [int(v) for c, v in bars if c == "#000091"] == [3, 6, 0, 12]  # published, Jan-Apr
    assert [int(v) for c, v in bars if c == "#6a6af4"] == [2, 4, 0, 8]   # answered
    table = re.search(r'<table id="tableau-mois">.*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>", table)
    assert rows == [("janvier 2026", "3", "2"), ("février 2026", "6", "4"),
                    ("mars 2026", "0", "0"), ("avril 2026", "12", "8")]


def test_structure_and_children_filter_go_to_the_api(app, monthly):
    client = app.test_client()
    login_as(client, monthly)
    html = client.get("/agent/tableau-de-bord?structure_id=10&include_children=1"
                      "&from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    params = monthly["experiences"].calls[0]["params"]
    assert params["structure_id"] == "10" and params["include_children"] == "true"
    assert '<option value="10" selected>CAF du Rhône</option>' in html
    assert re.search(r'id="include_children"[^>]*checked', html)
    assert 'method="get"' in html  # the filters are a GET form: no CSRF needed, bookmarkable


def test_the_first_view_counts_the_children_as_the_agents_list_does(app, monthly):
    client = app.test_client()
    login_as(client, monthly)
    html = client.get("/agent/tableau-de-bord").get_data(as_text=True)
    assert monthly["experiences"].calls[-1]["params"]["include_children"] == "true"
    assert re.search(r'id="include_children"[^>]*checked', html)
    unticked = client.get("/agent/tableau-de-bord?structure_id=&from=2026-03-01&to=2026-03-31")
    assert monthly["experiences"].calls[-1]["params"]["include_children"] is None
    assert not re.search(r'id="include_children"[^>]*checked', unticked.get_data(as_text=True))


def test_out_of_scope_structure_is_shown_next_to_the_filter(app, monthly):
    client = app.test_client()
    login_as(client, monthly)
    monthly["experiences"].answers[("GET", "/dashboard")] = ServiceError(
        403, "out_of_scope", "Cette structure n'est pas dans votre périmètre.")
    response = client.get("/agent/tableau-de-bord?structure_id=99")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="structure_id-error-1">Cette structure n&#39;est pas dans votre périmètre.' in html
    assert 'href="#structure_id"' in html and "graphique-mois" not in html


def test_a_period_typed_the_french_way_reaches_the_api_in_iso(app, monthly):
    client = app.test_client()
    login_as(client, monthly)
    response = client.get("/agent/tableau-de-bord?from=15/01/2026&to=10/04/2026")
    assert response.status_code == 200
    params = monthly["experiences"].calls[-1]["params"]
    assert (params["from"], params["to"]) == ("2026-01-15", "2026-04-10")
    assert 'value="2026-01-15"' in response.get_data(as_text=True)


def test_an_impossible_date_in_the_period_is_a_french_field_error(app, monthly):
    client = app.test_client()
    login_as(client, monthly)
    response = client.get("/agent/tableau-de-bord?from=30/02/2026&to=10/04/2026")
    assert response.status_code == 400
    assert 'id="from-error-1">Saisissez une date valide au format JJ/MM/AAAA' in \
        response.get_data(as_text=True)
    assert monthly["experiences"].calls == []


def test_a_wrong_period_is_refused_before_calling_the_api(app, monthly):
    client = app.test_client()
    login_as(client, monthly)
    response = client.get("/agent/tableau-de-bord?from=2026-05-01&to=2026-04-01")
    assert response.status_code == 400
    assert "La date de fin doit suivre la date de début." in response.get_data(as_text=True)
    assert monthly["experiences"].calls == []


@pytest.mark.parametrize("period", ["from=01/01/2026&to=31/12/9999",
                                    "from=0001-01-01&to=9998-12-31"])
def test_a_period_over_millennia_is_a_page_with_its_last_twelve_months(app, monthly, period):
    client = app.test_client()
    login_as(client, monthly)
    response = client.get(f"/agent/tableau-de-bord?{period}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert len(re.findall(r'<th scope="row"', html)) == 12


def test_moderators_see_neither_the_page_nor_the_nav_entries(app, fakes):
    client = app.test_client()
    login_as(client, fakes, profile="moderator", network_id=None, structure_ids=())
    assert client.get("/agent/tableau-de-bord").status_code == 403
    assert client.get("/agent/diagnostic").status_code == 403
    assert client.get("/agent/utilisateurs").status_code == 403
    html = client.get("/moderation").get_data(as_text=True)
    for entry in ("/agent/tableau-de-bord", "/agent/diagnostic", "/agent/utilisateurs"):
        assert f'href="{entry}"' not in html


def test_agents_see_dashboard_and_diagnostic_but_not_users(app, fakes):
    client = app.test_client()
    login_as(client, fakes, profile="agent", missions=["answer"])
    html = client.get("/agent/experiences").get_data(as_text=True)
    assert 'href="/agent/tableau-de-bord"' in html and 'href="/agent/diagnostic"' in html
    assert 'href="/agent/utilisateurs"' not in html
    assert client.get("/agent/utilisateurs").status_code == 403


def test_anonymous_visitors_are_sent_to_login(app):
    response = app.test_client().get("/agent/tableau-de-bord")
    assert response.status_code == 302 and "/connexion" in response.location


def test_month_helpers():
    assert months_between(date(2025, 12, 5), date(2026, 2, 1)) == [
        (date(2025, 12, 5), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 1))]
    assert months_between(date(2025, 12, 5), date(2026, 2, 1), last=2) == [
        (date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 1))]
    # The last date there is: no month after it to compute.
    assert months_between(date(9999, 11, 3), date.max) == [
        (date(9999, 11, 3), date(9999, 11, 30)), (date(9999, 12, 1), date(9999, 12, 31))]
    assert default_period(date(2026, 11, 28)) == (date(2025, 12, 1), date(2026, 11, 28))
    assert [nice_step(n) for n in (0, 3, 9, 40, 130, 2400)] == [1, 1, 5, 10, 50, 1000]


def test_bar_heights_are_proportional_and_ticks_cover_the_largest():
    chart = bar_chart([{"label": "a", "short": "a", "published": 10, "answered": 5},
                       {"label": "b", "short": "b", "published": 20, "answered": 0}])
    heights = {(b["title"].split(" — ")[0], b["colour"]): b["h"] for b in chart["bars"]}
    assert heights[("b", "#000091")] == 2 * heights[("a", "#000091")]
    assert heights[("a", "#6a6af4")] * 2 == heights[("a", "#000091")]
    assert heights[("b", "#6a6af4")] == 0
    assert chart["ticks"][-1]["value"] >= 20
