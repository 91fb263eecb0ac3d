"""Each sender keeps its SMTP connection between its runs (services/notifier/mailer.py).

A publication mails its structure's agent and its author: two e-mails per run."""

from __future__ import annotations

import pytest

from services.notifier import mailer
from tests.support.notifier import published


@pytest.fixture
def opened(monkeypatch):
    """The SMTP connections the sender opens."""
    calls: list[str] = []
    real = mailer.open_smtp

    def counting(url, *args, **kwargs):
        calls.append(url)
        return real(url, *args, **kwargs)

    monkeypatch.setattr(mailer, "open_smtp", counting)
    mailer._KEPT.clear()
    yield calls
    for _url, client, _used in mailer._KEPT.values():
        mailer._close(client)
    mailer._KEPT.clear()


def test_runs_one_after_another_share_one_connection(env, opened):
    env.user("agent@a.fr")
    for _ in range(3):
        env.deliver("experience.published", published())
        assert env.send() == 2
    assert len(env.box.to("agent@a.fr")) == 3
    assert len(opened) == 1


def test_a_connection_the_server_closed_meanwhile_is_replaced_and_the_mail_sent_once(env, opened):
    env.user("agent@a.fr")
    env.deliver("experience.published", published(title="Premier"))
    assert env.send() == 2
    env.box.stop()  # the relay restarts: the kept connection is cut
    env.box.start()
    env.deliver("experience.published", published(title="Second"))
    assert env.send() == 2
    assert len(opened) == 2
    mails = env.box.to("agent@a.fr")
    assert len(mails) == 2 and len({m["X-SPP-Email-Id"] for m in mails}) == 2
    [second] = [e for e in env.emails(status="sent", address="agent@a.fr")
                if "Second" in e.subject]
    assert second.attempts == 1 and second.last_error is None


def test_a_connection_idle_too_long_is_closed_not_reused(env, opened, monkeypatch):
    env.user("agent@a.fr")
    env.deliver("experience.published", published())
    assert env.send() == 2
    monkeypatch.setattr(mailer, "KEEP_SMTP_S", 0.0)
    assert env.send() == 0  # nothing due: the idle connection is closed all the same
    assert mailer._KEPT == {}
    env.deliver("experience.published", published())
    assert env.send() == 2
    assert len(opened) == 2


def test_a_relay_down_fails_the_mail_for_later_as_before(env, opened):
    env.user("agent@a.fr")
    env.deliver("experience.published", published())
    assert env.send() == 2
    env.box.stop()
    env.deliver("experience.published", published(title="Pendant la panne"))
    assert env.send() == 0
    waiting = env.emails(status="queued")
    assert len(waiting) == 2 and {e.attempts for e in waiting} == {0, 1}
    assert [e.last_error for e in waiting if e.attempts]  # the first failed, the run stopped
    assert mailer._KEPT == {}
