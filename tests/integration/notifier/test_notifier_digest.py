"""Digests end to end (events in, `run_digests`, the mail out): each experience once per
section, in its latest state; a declined re-orientation with moderation's explanation; subjects
that count what they list. And the four eyes of a validation: its submitter is not asked."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from services.chassis import clock
from services.chassis.db import Database, migrate
from services.chassis.events import make_event, parse_event
from services.notifier.domain import Progress
from services.notifier.handlers import HANDLERS, track
from services.notifier.mailer import run_digests
from services.notifier.models import DigestRun, Experience
from tests.support.notifier import (
    GATEWAY,
    deliver_tree,
    html_of,
    next_digest_time,
    next_weekly_digest_time,
    published,
    text_of,
)

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

NAT, REG, AGENCY, CHILD, ELSEWHERE = "s-nat", "s-reg", "s-agency", "s-agency-child", "s-else"


def _tree(env):
    deliver_tree(env, ((NAT, None), (REG, NAT), (AGENCY, REG), (CHILD, AGENCY),
                       (ELSEWHERE, None)))


def _moved(exp_id, to, kind, title="T", came_from=AGENCY):
    return {"id": exp_id, "title": title, "from_structure_id": came_from, "structure_id": to,
            "network_id": "n-1", "by_user_id": "u-0", "kind": kind}


def _runs(env):
    with env.db.transaction() as s:
        return {r.recipient_id: r.items for r in s.scalars(sa.select(DigestRun))}


def _agent_links(text):
    return text.count(f"{GATEWAY}/agent/experiences/")


# The auditor's day ---------------------------------------------------------------------------
def test_a_daily_digest_lists_each_experience_once_in_its_latest_state(env):
    _tree(env)
    agent = env.user("agent@a.fr", structures=(AGENCY,), frequency="daily")
    env.user("now@a.fr", structures=(AGENCY,))  # immediate: the declined mail, for comparison
    rerouted = published(AGENCY, exp_id="e-L", title="Rerouté ailleurs")
    declined = published(AGENCY, exp_id="e-S", title="Reste ici")
    new = published(AGENCY, exp_id="e-N", title="Toute neuve")
    for payload in (rerouted, declined, new):
        env.deliver("experience.published", payload)
    env.deliver("experience.reassigned", _moved("e-L", ELSEWHERE, "reroute", "Rerouté ailleurs"))
    explanation = "Le guichet cité est <le vôtre> & pas un autre."
    env.deliver("experience.reorientation_declined", {
        "id": "e-S", "title": "Reste ici", "structure_id": AGENCY, "network_id": "n-1",
        "comment": explanation})

    assert run_digests(env.db, env.settings, now=next_digest_time()) == 1
    env.send()
    [digest] = env.box.to("agent@a.fr")
    text, html = text_of(digest), html_of(digest)
    assert digest["Subject"] == "Votre récapitulatif Services Publics+ : 3 notifications"
    assert _runs(env) == {agent: 3}
    # Each listed once; the rerouted one only as rerouted, to its public page (not a 403).
    assert text.count("« Toute neuve »") == text.count("« Reste ici »") == 1
    assert text.count("« Rerouté ailleurs »") == 1
    assert f"{GATEWAY}/agent/experiences/e-L" not in text + html
    assert f'href="{GATEWAY}/experiences/e-L"' in html
    assert _agent_links(text) == 2
    new_at = text.index("Nouvelles expériences à traiter pour votre structure")
    declined_at = text.index("Demandes de réorientation refusées par la modération")
    rerouted_at = text.index("Expériences réorientées par la modération")
    assert new_at < text.index("« Toute neuve »") < declined_at < text.index("« Reste ici »") \
        < rerouted_at < text.index("« Rerouté ailleurs »")
    # Moderation's explanation, as the immediate mail has it; escaped in HTML.
    assert f"Explication de la modération : {explanation}" in text
    assert f"Explication de la modération : {explanation}" in text_of(env.box.to("now@a.fr")[-1])
    assert "Le guichet cité est &lt;le vôtre&gt; &amp; pas un autre." in html
    assert "<le vôtre>" not in html


def test_a_weekly_digest_drops_what_moved_away_or_was_answered_and_counts_the_rest(env):
    _tree(env)
    weekly = env.user("weekly@a.fr", structures=(AGENCY,), frequency="weekly")
    for exp_id, title in (("e-moved", "Descendue"), ("e-done", "Déjà répondue"),
                          ("e-open", "Encore ouverte")):
        env.deliver("experience.published", published(AGENCY, exp_id=exp_id, title=title))
    # Moved by a colleague to a child structure: the agents of the child hear of it.
    env.deliver("experience.reassigned", _moved("e-moved", CHILD, "reassign", "Descendue"))
    env.deliver("experience.answered", {
        "id": "e-done", "title": "Déjà répondue", "structure_id": AGENCY, "network_id": "n-1",
        "answered_at": datetime.now(UTC), "author_email": "auteur@example.org",
        "author_name": "Camille D.", "evaluation_token": "tok"})
    monday = next_weekly_digest_time()

    assert run_digests(env.db, env.settings, now=monday) == 1
    env.send()
    [digest] = env.box.to("weekly@a.fr")
    assert digest["Subject"] == "Services Publics+ : 1 nouvelle expérience à traiter"
    text = text_of(digest)
    assert "« Encore ouverte »" in text
    assert "Descendue" not in text and "Déjà répondue" not in text
    assert _runs(env) == {weekly: 1}


def test_nothing_left_to_list_sends_no_digest(env):
    _tree(env)
    chef = env.user("chef@a.fr", profile="super_agent", structures=(REG,), frequency="daily")
    agent = env.user("agent@a.fr", structures=(AGENCY,), frequency="daily")
    env.deliver("experience.published", published(AGENCY, exp_id="e-1"))
    env.deliver("experience.response_submitted", {
        "id": "e-1", "title": "T", "structure_id": AGENCY, "network_id": "n-1",
        "submitted_by": agent})
    # Validated by another super agent the same day: nothing waits for the regional one.
    env.deliver("experience.answered", {
        "id": "e-1", "title": "T", "structure_id": AGENCY, "network_id": "n-1",
        "answered_at": datetime.now(UTC), "author_email": "auteur@example.org",
        "author_name": "Camille D.", "evaluation_token": "tok", "drafted_by": agent,
        "submitted_by": agent, "validated_by": "u-other"})

    assert run_digests(env.db, env.settings, now=next_digest_time()) == 1
    env.send()
    assert env.box.to("chef@a.fr") == []  # the claim is recorded, with nothing listed
    [digest] = env.box.to("agent@a.fr")  # only her response validated: not « to process »
    assert digest["Subject"] == "Votre récapitulatif Services Publics+ : 1 notification"
    assert "Vos réponses validées et publiées" in text_of(digest)
    assert "Nouvelles expériences" not in text_of(digest)
    assert _runs(env) == {chef: 0, agent: 1}


def test_an_older_event_arriving_late_does_not_bring_back_what_moved_away(env):
    _tree(env)
    env.user("agent@a.fr", structures=(AGENCY,), frequency="daily")
    env.user("other@a.fr", structures=(ELSEWHERE,), frequency="daily")
    first = make_event("experience.published", published(AGENCY, exp_id="e-late",
                                                         title="En retard"), producer="test")
    first = dataclasses.replace(first, occurred_at=datetime.now(UTC) - timedelta(minutes=5))
    env.deliver("experience.reassigned", _moved("e-late", ELSEWHERE, "reroute", "En retard"))
    env.deliver("", {}, event=first)  # retried, handled after the reroute

    assert run_digests(env.db, env.settings, now=next_digest_time()) == 2
    env.send()
    [mine] = env.box.to("agent@a.fr")
    assert "Expériences réorientées par la modération" in text_of(mine)
    assert "Nouvelles expériences" not in text_of(mine)
    [theirs] = env.box.to("other@a.fr")
    assert theirs["Subject"] == "Services Publics+ : 1 nouvelle expérience à traiter"
    assert f"{GATEWAY}/agent/experiences/e-late" in text_of(theirs)


def test_events_handled_together_keep_the_latest_state(env):
    _tree(env)
    env.user("agent@a.fr", structures=(AGENCY,), frequency="daily")
    events = [make_event("experience.published", published(AGENCY, exp_id="e-b"), producer="t"),
              make_event("experience.reassigned", _moved("e-b", ELSEWHERE, "reroute"),
                         producer="t")]
    with env.db.transaction() as s:  # one batch of the consumer: one transaction
        for event in events:
            parsed, loaded = parse_event(event.to_json())
            HANDLERS[parsed.type](s, parsed, loaded)
    assert run_digests(env.db, env.settings, now=next_digest_time()) == 1
    env.send()
    [digest] = env.box.to("agent@a.fr")
    assert digest["Subject"] == "Votre récapitulatif Services Publics+ : 1 notification"
    assert "/agent/experiences/e-b" not in text_of(digest)


# Four eyes -----------------------------------------------------------------------------------
def test_the_super_agent_who_submitted_a_response_is_not_asked_to_validate_it(env):
    _tree(env)
    submitter = env.user("moi@a.fr", profile="super_agent", structures=(AGENCY,))
    env.user("collegue@a.fr", profile="super_agent", structures=(AGENCY,))
    env.user("regional@a.fr", profile="super_agent", structures=(REG,))
    daily = env.user("daily.moi@a.fr", profile="super_agent", structures=(AGENCY,),
                     frequency="daily")
    env.deliver("experience.response_submitted", {
        "id": "e-1", "title": "Guichet fermé", "structure_id": AGENCY, "network_id": "n-1",
        "submitted_by": submitter})
    env.deliver("experience.response_submitted", {
        "id": "e-2", "title": "Autre", "structure_id": AGENCY, "network_id": "n-1",
        "submitted_by": daily})
    env.send()
    assert sorted((m["To"], m["Subject"]) for m in env.box.messages()) == [
        ("collegue@a.fr", "Une réponse attend votre validation : Autre"),
        ("collegue@a.fr", "Une réponse attend votre validation : Guichet fermé"),
        ("moi@a.fr", "Une réponse attend votre validation : Autre"),
        ("regional@a.fr", "Une réponse attend votre validation : Autre"),
        ("regional@a.fr", "Une réponse attend votre validation : Guichet fermé")]
    # Nor in their digest: the daily one is told of the other's response only.
    assert run_digests(env.db, env.settings, now=next_digest_time()) == 1
    env.send()
    [digest] = env.box.to("daily.moi@a.fr")
    assert "« Guichet fermé »" in text_of(digest) and "« Autre »" not in text_of(digest)


@pytest.fixture(params=["postgresql", "sqlite"])
def state_db(request, db_url, tmp_path):
    """The notifier's database on PostgreSQL (emptied) or in a fresh SQLite file."""
    url = db_url if request.param == "postgresql" else f"sqlite:///{tmp_path}/notifier.db"
    if request.param == "sqlite":
        migrate("notifier", url)
    db = Database(url)
    with db.transaction() as s:
        s.execute(sa.text("DELETE FROM experiences"))
    yield db
    db.dispose()


def test_the_state_follows_the_latest_event_on_both_databases(state_db):
    """One upsert keeps the state: an older event changes nothing, one of the same moment or
    later does, and an event that says no progress keeps the one known (SQLite compares the
    stored times as text: across an hour, a day and microseconds)."""
    start = datetime(2026, 12, 1, 9, 59, 59, 999999, tzinfo=UTC)

    def told(after: timedelta, structure: str, progress: Progress | None):
        event = SimpleNamespace(occurred_at=start + after)
        with state_db.transaction() as s:
            track(s, event, {"id": "e-1", "structure_id": structure}, progress)
        with state_db.engine.connect() as conn:
            row = conn.execute(sa.select(Experience.structure_id, Experience.progress,
                                         Experience.updated_at)).one()
        return row.structure_id, row.progress, clock.as_utc(row.updated_at) - start

    assert told(timedelta(0), "s-1", Progress.TO_PROCESS) == ("s-1", "to_process", timedelta(0))
    later = timedelta(microseconds=1)  # 10:00:00.000000
    assert told(later, "s-1", Progress.AWAITING_VALIDATION) == ("s-1", "awaiting_validation", later)
    assert told(timedelta(0), "s-2", Progress.ANSWERED) == ("s-1", "awaiting_validation", later)
    next_day = timedelta(days=1)
    assert told(next_day, "s-3", None) == ("s-3", "awaiting_validation", next_day)
    assert told(next_day, "s-3", Progress.ANSWERED) == ("s-3", "answered", next_day)
    assert told(timedelta(hours=23), "s-4", Progress.TO_PROCESS) == ("s-3", "answered", next_day)


# A change of frequency -------------------------------------------------------------------------
def _at(monkeypatch, moment: datetime) -> None:
    """Events handled from now on are handled at `moment` (their digest items' time)."""
    monkeypatch.setattr(clock, "now", lambda: moment.astimezone(UTC))


def _week():
    """(Monday 08:00 Paris opening the week of the next weekly digest, that digest's time)."""
    monday = next_weekly_digest_time()
    return monday.replace(hour=8) - timedelta(days=7), monday


def test_from_daily_to_weekly_the_first_weekly_digest_still_goes(env, monkeypatch):
    """The daily digest of Monday to Tuesday and the weekly one of the week start together:
    one claimed must not stand for the other."""
    _tree(env)
    agent = env.user("agent@a.fr", structures=(AGENCY,), frequency="daily")
    opening, monday = _week()
    assert run_digests(env.db, env.settings, now=opening + timedelta(days=1, hours=1)) == 0
    env.user("agent@a.fr", structures=(AGENCY,), frequency="weekly", event_type="user.updated",
             uid=agent)
    _at(monkeypatch, opening + timedelta(days=2, hours=2))
    env.deliver("experience.published", published(AGENCY, exp_id="e-W", title="Mercredi"))

    assert run_digests(env.db, env.settings, now=monday) == 1
    env.send()
    [digest] = env.box.to("agent@a.fr")
    assert "« Mercredi »" in text_of(digest)


def test_from_weekly_to_daily_what_waited_goes_in_the_first_daily_digest(env, monkeypatch):
    _tree(env)
    agent = env.user("agent@a.fr", structures=(AGENCY,), frequency="weekly")
    opening, monday = _week()
    _at(monkeypatch, opening + timedelta(days=1, hours=2))
    env.deliver("experience.published", published(AGENCY, exp_id="e-T", title="Mardi"))
    env.user("agent@a.fr", structures=(AGENCY,), frequency="daily", event_type="user.updated",
             uid=agent)
    _at(monkeypatch, opening + timedelta(days=3, hours=10))
    env.deliver("experience.published", published(AGENCY, exp_id="e-J", title="Jeudi"))

    friday = opening + timedelta(days=4, hours=1)
    assert run_digests(env.db, env.settings, now=friday) == 1
    # The next days list only what came since.
    assert run_digests(env.db, env.settings, now=friday + timedelta(days=1)) == 0
    assert run_digests(env.db, env.settings, now=monday) == 0
    env.send()
    [digest] = env.box.to("agent@a.fr")
    text = text_of(digest)
    assert text.count("« Mardi »") == text.count("« Jeudi »") == 1
    assert _runs(env) == {agent: 0}  # the last run, which listed nothing


def test_to_immediate_mail_what_waited_goes_in_a_last_digest(env, monkeypatch):
    _tree(env)
    agent = env.user("agent@a.fr", structures=(AGENCY,), frequency="daily")
    opening, _monday = _week()
    _at(monkeypatch, opening + timedelta(days=1, hours=2))
    env.deliver("experience.published", published(AGENCY, exp_id="e-T", title="Mardi"))
    env.user("agent@a.fr", structures=(AGENCY,), frequency="immediate",
             event_type="user.updated", uid=agent)
    _at(monkeypatch, opening + timedelta(days=1, hours=5))
    env.deliver("experience.published", published(AGENCY, exp_id="e-N", title="Tout de suite"))

    wednesday = opening + timedelta(days=2, hours=1)
    assert run_digests(env.db, env.settings, now=wednesday) == 1
    assert run_digests(env.db, env.settings, now=wednesday + timedelta(days=1)) == 0
    env.send()
    mails = env.box.to("agent@a.fr")
    [digest] = [m for m in mails if "« Mardi »" in text_of(m)]
    [immediate] = [m for m in mails if m is not digest]
    assert "Tout de suite" not in text_of(digest) and "Tout de suite" in text_of(immediate)
