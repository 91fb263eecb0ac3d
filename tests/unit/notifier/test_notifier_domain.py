from datetime import UTC, datetime, timedelta

import pytest

from services.notifier import domain
from services.notifier.domain import Delivery, EmailStatus, Frequency, digest_window

P = domain.PARIS


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=P)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Daily -----------------------------------------------------------------------------------------
def test_daily_window_at_exactly_eight_is_the_day_that_just_ended():
    start, end = digest_window(Frequency.DAILY, paris(2026, 11, 10, 8, 0))
    assert (start, end) == (utc(2026, 11, 9, 7, 0), utc(2026, 11, 10, 7, 0))


def test_daily_window_one_microsecond_before_eight_is_the_previous_one():
    start, end = digest_window(Frequency.DAILY, paris(2026, 11, 10, 7, 59, 59, 999999))
    assert (start, end) == (utc(2026, 11, 8, 7, 0), utc(2026, 11, 9, 7, 0))


def test_daily_window_in_summer_is_six_utc():
    start, end = digest_window(Frequency.DAILY, paris(2026, 7, 1, 12, 0))
    assert (start, end) == (utc(2026, 6, 30, 6, 0), utc(2026, 7, 1, 6, 0))


def test_daily_window_across_spring_dst_lasts_23_hours():
    # Clocks go forward on Sunday 29 March 2026 at 02:00 in Paris.
    start, end = digest_window(Frequency.DAILY, paris(2026, 3, 29, 9, 0))
    assert start == utc(2026, 3, 28, 7, 0)
    assert end == utc(2026, 3, 29, 6, 0)
    assert end - start == timedelta(hours=23)


def test_daily_window_across_autumn_dst_lasts_25_hours():
    # Clocks go back on Sunday 25 October 2026 at 03:00 in Paris.
    start, end = digest_window(Frequency.DAILY, paris(2026, 10, 25, 8, 0))
    assert start == utc(2026, 10, 24, 6, 0)
    assert end == utc(2026, 10, 25, 7, 0)
    assert end - start == timedelta(hours=25)


def test_consecutive_daily_windows_touch_without_gap_or_overlap():
    first = digest_window(Frequency.DAILY, paris(2026, 10, 25, 8, 0))
    second = digest_window(Frequency.DAILY, paris(2026, 10, 26, 8, 0))
    assert first[1] == second[0]


def test_daily_window_accepts_utc_now():
    # 06:30 UTC on 10 Nov is 07:30 in Paris: before 08:00.
    assert digest_window(Frequency.DAILY, utc(2026, 11, 10, 6, 30))[1] == utc(2026, 11, 9, 7, 0)
    assert digest_window(Frequency.DAILY, utc(2026, 11, 10, 7, 0))[1] == utc(2026, 11, 10, 7, 0)


# Weekly ----------------------------------------------------------------------------------------
def test_weekly_window_on_monday_at_eight():
    # 9 Nov 2026 is a Monday.
    start, end = digest_window(Frequency.WEEKLY, paris(2026, 11, 9, 8, 0))
    assert (start, end) == (utc(2026, 11, 2, 7, 0), utc(2026, 11, 9, 7, 0))


def test_weekly_window_just_before_monday_eight_is_the_week_before():
    start, end = digest_window(Frequency.WEEKLY, paris(2026, 11, 9, 7, 59, 59))
    assert (start, end) == (utc(2026, 10, 26, 7, 0), utc(2026, 11, 2, 7, 0))


def test_weekly_window_midweek_and_sunday_night():
    assert digest_window(Frequency.WEEKLY, paris(2026, 11, 12, 15, 0))[1] == utc(2026, 11, 9, 7, 0)
    assert digest_window(Frequency.WEEKLY, paris(2026, 11, 15, 23, 59))[1] == utc(2026, 11, 9, 7, 0)


def test_weekly_window_across_autumn_dst_lasts_169_hours():
    start, end = digest_window(Frequency.WEEKLY, paris(2026, 10, 26, 8, 0))
    assert start == utc(2026, 10, 19, 6, 0)
    assert end == utc(2026, 10, 26, 7, 0)
    assert end - start == timedelta(hours=169)


def test_weekly_window_across_spring_dst_lasts_167_hours():
    start, end = digest_window(Frequency.WEEKLY, paris(2026, 3, 30, 8, 0))
    assert end - start == timedelta(hours=167)
    assert start.astimezone(P).hour == end.astimezone(P).hour == 8


def test_no_window_for_immediate_or_none():
    with pytest.raises(ValueError):
        digest_window(Frequency.IMMEDIATE, utc(2026, 1, 1))
    with pytest.raises(ValueError):
        digest_window(Frequency.NONE, utc(2026, 1, 1))


# Recipients and delivery -------------------------------------------------------------------------
def agent(**kw) -> domain.Recipient:
    base = dict(id="1", email="a@x.fr", name="A", profile="agent", missions=("answer",),
                frequency="immediate", active=True)
    base.update(kw)
    return domain.Recipient(**base)


def test_delivery_follows_frequency_and_activity():
    assert domain.delivery_for(agent()) is Delivery.NOW
    assert domain.delivery_for(agent(frequency="daily")) is Delivery.DIGEST
    assert domain.delivery_for(agent(frequency="weekly")) is Delivery.DIGEST
    assert domain.delivery_for(agent(frequency="none")) is Delivery.NOTHING
    assert domain.delivery_for(agent(active=False)) is Delivery.NOTHING


def test_only_answer_agents_answer_and_only_super_agents_validate():
    assert domain.answers(agent())
    assert domain.answers(agent(profile="super_agent"))
    assert not domain.answers(agent(missions=("diagnostic",)))
    assert not domain.answers(agent(profile="referent"))
    assert not domain.answers(agent(active=False))
    assert domain.validates(agent(profile="super_agent"))
    assert not domain.validates(agent())


def test_unique_by_email_is_case_insensitive():
    out = domain.unique_by_email([agent(id="1", email="A@x.fr"), agent(id="2", email="a@x.fr")])
    assert [r.id for r in out] == ["1"]


def test_rejection_reasons_are_sentences_for_every_code():
    for code in ("insult", "personal_data", "off_topic", "advertising", "duplicate",
                 "unintelligible", "other"):
        assert domain.rejection_sentence(code).endswith(".")
    assert domain.rejection_sentence("unknown") == domain.REJECTION_REASONS["other"]


def test_retry_delay_grows_and_is_capped():
    assert domain.retry_delay(1, 10) == timedelta(seconds=10)
    assert domain.retry_delay(2, 10) == timedelta(seconds=20)
    assert domain.retry_delay(3, 10) == timedelta(seconds=40)
    assert domain.retry_delay(30, 10, cap_s=100) == timedelta(seconds=100)
    assert domain.after_failure(2, 3) is EmailStatus.QUEUED
    assert domain.after_failure(3, 3) is EmailStatus.FAILED


def test_parse_smtp_urls():
    assert domain.parse_smtp_url("smtp://127.0.0.1:1025") == domain.SmtpConfig("127.0.0.1", 1025)
    cfg = domain.parse_smtp_url("smtps://u%40x:p%3Ass@mail.example.org")
    assert (cfg.ssl, cfg.port, cfg.user, cfg.password) == (True, 465, "u@x", "p:ss")
    cfg = domain.parse_smtp_url("smtp://mail.example.org:587?starttls=1")
    assert cfg.starttls and not cfg.ssl and cfg.port == 587
    with pytest.raises(ValueError):
        domain.parse_smtp_url("http://x")


# Links -----------------------------------------------------------------------------------------
def test_agents_get_the_agent_page_and_authors_the_public_one():
    gateway = "https://spp.example.test"
    assert domain.agent_link(gateway, "e-1") == f"{gateway}/agent/experiences/e-1"
    assert domain.agent_link(gateway) == f"{gateway}/agent/experiences"
    assert domain.public_link(gateway, "e-1") == f"{gateway}/experiences/e-1"
    assert domain.agent_link(gateway, "a/b?c") == f"{gateway}/agent/experiences/a%2Fb%3Fc"


def test_operators_never_see_an_authors_address():
    from services.notifier.domain import AUTHOR_ADDRESS_SHOWN, for_operators

    shown, error = for_operators("experience_answered_author", "a.b@x.org",
                                 "SMTPRecipientsRefused: {'A.B@x.org': (550, b'no such user')}")
    assert shown == AUTHOR_ADDRESS_SHOWN and "x.org" not in error and "550" in error
    assert for_operators("experience_published_author", "a@x.org", None) == (
        AUTHOR_ADDRESS_SHOWN, None)
    assert for_operators("user_invited", "new@a.fr", "refused new@a.fr") == (
        "new@a.fr", "refused new@a.fr")


def test_after_failure_gives_up_on_the_cap_or_the_age():
    day = timedelta(days=1)
    assert domain.after_failure(50, None, 4 * day, 5 * day) is EmailStatus.QUEUED
    assert domain.after_failure(51, None, 5 * day, 5 * day) is EmailStatus.FAILED
    assert domain.after_failure(3, 3, timedelta(0), 5 * day) is EmailStatus.FAILED
    assert domain.after_failure(1000, None) is EmailStatus.QUEUED
