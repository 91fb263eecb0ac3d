"""A mail relay down for long: e-mails are tried for days, not given up after a few attempts
(services/notifier/mailer.py `_options`, domain.after_failure)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from tests.support.notifier import published


def test_without_a_cap_an_email_is_retried_until_it_is_too_old(env, caplog):
    env.settings.extra = {"email_retry_base_s": 0, "email_give_up_after_h": 24}
    env.user("agent@a.fr")
    env.box.stop()  # the relay is down
    env.deliver("experience.published", published())
    start = datetime.now(UTC)
    for hour in range(1, 21):  # twenty failed runs over a day: still waiting
        assert env.send(now=start + timedelta(hours=hour)) == 0
    waiting = env.emails(status="queued")
    assert len(waiting) == 2 and sum(e.attempts for e in waiting) == 20
    with caplog.at_level(logging.WARNING, logger="services.notifier.mailer"):
        env.send(now=start + timedelta(hours=25))
    [given_up] = env.emails(status="failed")
    assert given_up.attempts > 8  # the old fixed cap would have dropped it long before
    assert any(r.levelno == logging.ERROR and "given up" in r.getMessage() for r in caplog.records)
    env.box.start()  # back: the other one still goes
    assert env.send(now=start + timedelta(hours=25)) == 1


def test_an_operator_cap_still_gives_up_after_its_attempts(env):
    env.settings.extra = {"email_retry_base_s": 0, "email_max_attempts": 2}
    env.user("agent@a.fr")
    env.box.stop()
    env.deliver("experience.published", published())
    start = datetime.now(UTC)
    for minute in range(1, 5):
        env.send(now=start + timedelta(minutes=minute))
    assert {e.status for e in env.emails()} == {"failed"}
    assert {e.attempts for e in env.emails()} == {2}


def _gauges(env) -> dict[str, float]:
    from services.notifier.app import create_app

    app = create_app(env.settings, db=env.db)
    text = app.test_client().get("/metrics").get_data(as_text=True)
    return {name: float(value) for name, value in
            (line.split(" ", 1) for line in text.splitlines() if line.startswith("spp_emails_"))}


def test_metrics_show_mail_piling_up_while_the_relay_is_down_and_given_up_mail(env):
    env.settings.extra = {"email_retry_base_s": 0, "email_max_attempts": 2}
    assert _gauges(env) == {"spp_emails_queued": 0.0, "spp_emails_oldest_queued_seconds": 0.0,
                            "spp_emails_failed": 0.0}
    env.user("agent@a.fr")
    env.box.stop()
    env.deliver("experience.published", published())
    start = datetime.now(UTC)
    env.send(now=start)
    down = _gauges(env)
    assert down["spp_emails_queued"] == 2 and down["spp_emails_failed"] == 0
    assert down["spp_emails_oldest_queued_seconds"] >= 0
    for minute in range(1, 5):
        env.send(now=start + timedelta(minutes=minute))
    assert _gauges(env) == {"spp_emails_queued": 0.0, "spp_emails_oldest_queued_seconds": 0.0,
                            "spp_emails_failed": 2.0}
