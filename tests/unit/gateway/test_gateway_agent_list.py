"""The agents' list « Les expériences »: child structures included, the « à valider » filter, the
structure, the age and the delay against the network's target."""

from __future__ import annotations

from datetime import date

import pytest

from services.gateway.views.agent import age_of, deadline_of, paris_day
from tests.support.gateway import INTERNAL, login

TODAY = date(2026, 11, 10)


def _listing(*items):
    return {"items": list(items), "total": len(items), "page": 1, "per_page": 20}


def test_the_list_includes_child_structures_unless_asked_not_to(client, fakes):
    login(client, fakes, profile="super_agent")
    fakes["experiences"].answers[("GET", "/experiences")] = _listing()
    html = client.get("/agent/experiences?status=awaiting_validation").get_data(as_text=True)
    call = fakes["experiences"].calls[-1]
    assert call["params"]["include_children"] == "true"
    assert call["params"]["status"] == "awaiting_validation"
    assert '<option value="awaiting_validation" selected>En attente de validation (à valider)' \
        in html
    assert "Mes structures et leurs structures filles" in html
    client.get("/agent/experiences?perimetre=mes-structures")
    assert fakes["experiences"].calls[-1]["params"]["include_children"] == "false"
    client.get("/agent/experiences?perimetre=n-importe-quoi")  # unknown: the default
    assert fakes["experiences"].calls[-1]["params"]["include_children"] == "true"


def test_each_row_has_its_structure_age_and_delay(client, fakes, monkeypatch):
    import services.gateway.views.agent as agent

    monkeypatch.setattr(agent, "today_in_paris", lambda: TODAY)
    login(client, fakes)
    fakes["experiences"].answers[("GET", "/experiences")] = _listing(
        dict(INTERNAL, id="1", title="En retard", status="to_process",
             structure_name="Agence de Bron",
             published_at="2026-10-20T09:00:00+00:00", answer_due_at="2026-11-08T09:00:00+00:00",
             response_draft={"body": "Brouillon en cours"}),
        dict(INTERNAL, id="2", title="Dans les temps", status="awaiting_validation",
             structure_name="CAF du Rhône", published_at="2026-11-07T09:00:00+00:00",
             answer_due_at="2026-11-15T09:00:00+00:00", response_draft={"body": "Envoyée"}))
    html = client.get("/agent/experiences").get_data(as_text=True)
    late = html.split(">En retard</a>")[1].split("</tr>")[0]
    assert "<td>Agence de Bron</td>" in late
    assert '<span aria-hidden="true">il y a 21 j</span>' in late
    assert '<span class="fr-sr-only">publiée il y a 21 jours</span>' in late
    assert "fr-badge--error" in late and "en retard de 2 j" in late
    assert "réponse en retard de 2 jours" in late
    assert ">Brouillon</p>" in late
    on_time = html.split(">Dans les temps</a>")[1].split("</tr>")[0]
    assert "<td>CAF du Rhône</td>" in on_time and "il y a 3 j" in on_time
    assert "dans 5 j" in on_time and "fr-badge--error" not in on_time
    assert ">Brouillon</p>" not in on_time  # sent: it is no longer a draft
    assert "les plus anciennes d'abord" in html


@pytest.mark.parametrize("published,expected", [
    ("2026-11-10T07:00:00+00:00", "aujourd'hui"),
    ("2026-11-09T23:30:00+00:00", "aujourd'hui"),  # 0 h 30 in Paris: already the 10th
    ("2026-11-09T12:00:00+00:00", "il y a 1 j"),
    ("2026-10-31T12:00:00+00:00", "il y a 10 j"),
])
def test_age_in_paris_calendar_days(published, expected):
    assert age_of({"published_at": published}, TODAY)["text"] == expected


def test_age_is_spoken_in_full_and_absent_without_publication():
    assert age_of({"published_at": "2026-11-09T12:00:00+00:00"}, TODAY)["spoken"] == \
        "publiée il y a 1 jour"
    assert age_of({"published_at": None}, TODAY) is None
    assert age_of({"published_at": "pas une date"}, TODAY) is None


@pytest.mark.parametrize("status,due,answered,text,late", [
    ("to_process", "2026-11-15T10:00:00+00:00", None, "dans 5 j", False),
    ("awaiting_validation", "2026-11-10T20:00:00+00:00", None, "aujourd'hui", False),
    ("to_process", "2026-11-08T10:00:00+00:00", None, "en retard de 2 j", True),
    ("answered", "2026-11-08T10:00:00+00:00", "2026-11-08T21:00:00+00:00",
     "répondu dans le délai", False),
    ("answered", "2026-11-08T10:00:00+00:00", "2026-11-11T09:00:00+00:00",
     "répondu avec 3 j de retard", True),
])
def test_deadline_against_the_target(status, due, answered, text, late):
    found = deadline_of({"status": status, "answer_due_at": due, "first_response_at": answered},
                        TODAY)
    assert (found["text"], found["late"]) == (text, late)


def test_no_deadline_without_a_due_date_or_for_other_statuses():
    assert deadline_of({"status": "to_process", "answer_due_at": None}, TODAY) is None
    assert deadline_of({"status": "submitted", "answer_due_at": "2026-11-15T10:00:00Z"},
                       TODAY) is None


def test_paris_day_of_naive_and_aware_datetimes():
    assert paris_day("2026-11-09T23:30:00") == date(2026, 11, 10)  # naive: UTC
    assert paris_day("2026-06-30T22:30:00Z") == date(2026, 7, 1)  # summer: UTC+2
    assert paris_day("") is None and paris_day(None) is None


def test_a_capped_count_reads_as_more_than(client, fakes):
    login(client, fakes, profile="super_agent")
    fakes["experiences"].answers[("GET", "/experiences")] = {
        **_listing(), "total": 1000, "total_capped": True}
    html = client.get("/agent/experiences?q=accueil").get_data(as_text=True)
    assert "Plus de 1\u202f000 expériences, les plus anciennes d'abord" in html
    fakes["experiences"].answers[("GET", "/experiences")] = {**_listing(), "total": 12345}
    html = client.get("/agent/experiences").get_data(as_text=True)
    assert "12\u202f345 expériences, les plus anciennes d'abord" in html
