"""`make up` without starting anything: the supervisor's schedule, what it says of the first
admin, and the URLs it prints (never a password)."""

from __future__ import annotations

import time

import pytest

from services.chassis import up
from services.identity.domain import admin_password_refusal
from services.identity.service import AdminBootstrap
from tests.support.identity import ADMIN_PASSWORD


class FakePopen:
    def __init__(self):
        self.returncode = None
        self.pid = 0

    def poll(self):
        return self.returncode


class FakeProcess(up.Process):
    def start(self, env: dict) -> None:
        self.proc = FakePopen()
        self.started_at = self.clock


def _procs(now: float) -> list[FakeProcess]:
    procs = [FakeProcess("identity", []), FakeProcess("moderation", [])]
    for p in procs:
        p.clock = now
        p.start({})
    return procs


def test_a_dead_process_is_scheduled_and_the_others_are_watched_meanwhile(monkeypatch, capsys):
    def no_sleep(seconds):
        raise AssertionError(f"the supervisor slept {seconds}s instead of scheduling")

    monkeypatch.setattr(time, "sleep", no_sleep)
    identity, moderation = procs = _procs(now=100.0)
    identity.proc.returncode = 1
    up.supervise(procs, {}, now=101.0)
    first = identity.proc
    assert identity.restart_at == 102.0 and identity.proc is first  # not restarted yet
    moderation.proc.returncode = 3  # dies while identity waits: seen at the next look
    up.supervise(procs, {}, now=101.5)
    assert moderation.restart_at == 102.5
    for p in procs:
        p.clock = 102.0
    up.supervise(procs, {}, now=102.0)
    assert identity.proc is not first and identity.restart_at is None and identity.restarts == 1
    assert moderation.restart_at == 102.5  # its own time
    up.supervise(procs, {}, now=102.5)
    assert moderation.restart_at is None and moderation.restarts == 1
    out = capsys.readouterr().out
    assert "identity exited (1); restarting in 1s" in out
    assert "moderation exited (3); restarting in 1s" in out


def test_a_process_crashing_again_backs_off_up_to_30_seconds():
    (identity, _) = procs = _procs(now=0.0)
    delays = []
    now = 0.0
    for _ in range(7):
        identity.proc.returncode = 1
        up.supervise(procs, {}, now=now)
        delays.append(identity.restart_at - now)
        now = identity.restart_at
        identity.clock = now
        up.supervise(procs, {}, now=now)
    assert delays == [1, 2, 4, 8, 16, 30, 30]


def test_the_built_in_and_the_tests_admin_passwords_pass_the_policy():
    assert admin_password_refusal(up.DEFAULT_ADMIN_PASSWORD) is None
    assert admin_password_refusal(ADMIN_PASSWORD) is None


@pytest.mark.parametrize("password", ["abc", "password1234", "x" * 11])
def test_a_weak_admin_password_is_refused_in_one_english_line(password):
    refusal = admin_password_refusal(password)
    assert refusal.startswith("SPP_ADMIN_PASSWORD is refused") and "\n" not in refusal
    assert password not in refusal


def test_the_login_line_shows_only_the_built_in_password():
    default = up.login_line(AdminBootstrap.CREATED, "admin@spp.localhost",
                            up.DEFAULT_ADMIN_PASSWORD, email_set=False)
    assert repr(up.DEFAULT_ADMIN_PASSWORD) in default and "change it" in default
    chosen = up.login_line(AdminBootstrap.CREATED, "ops@example.org",
                           "a secret of the operator", email_set=True)
    assert "a secret of the operator" not in chosen
    assert "ops@example.org" in chosen and "the password you set in SPP_ADMIN_PASSWORD" in chosen
    kept = up.login_line(AdminBootstrap.USERS_EXIST, "new@example.org",
                         "a secret of the operator", email_set=True)
    assert "a secret of the operator" not in kept and "new@example.org" not in kept
    assert "existing account" in kept and "were not used" in kept


def test_urls_are_printed_without_their_password():
    assert up.masked_amqp("amqp://guest:s3cret@127.0.0.1:5999//") == \
        "amqp://guest:**@127.0.0.1:5999//"
    both = up.masked_amqp("amqp://u:s3cret@rmq-1:5672/%2F;amqp://u:s3cret@rmq-2:5672/%2F")
    assert "s3cret" not in both and "rmq-1" in both and "rmq-2" in both
    db = up.masked_db("postgresql+psycopg://spp:s3cret@db:5432/identity")
    assert "s3cret" not in db and db.endswith("@db:5432/identity")
    assert "s3cret" not in up.masked_db("::not a url s3cret")


def test_a_pasted_postgresql_url_gets_the_installed_driver(monkeypatch):
    from services.chassis.config import database_url

    for pasted in ("postgresql://spp:pw@db:5432/identity", "postgres://spp:pw@db:5432/identity"):
        monkeypatch.setenv("IDENTITY_DATABASE_URL", pasted)
        assert database_url("identity") == "postgresql+psycopg://spp:pw@db:5432/identity"
    monkeypatch.setenv("IDENTITY_DATABASE_URL", "postgresql+psycopg2://spp:pw@db/identity")
    assert database_url("identity") == "postgresql+psycopg2://spp:pw@db/identity"
    monkeypatch.setenv("IDENTITY_DATABASE_URL", "sqlite:////tmp/x.db")
    assert database_url("identity") == "sqlite:////tmp/x.db"


def test_a_secret_left_as_the_examples_placeholder_stops_the_start_naming_only_the_variable(
        monkeypatch):
    from services.chassis.config import PlaceholderSecret, Settings, placeholder_secrets

    env = {"SPP_SECRET_KEY": "change-me-long-random-string", "SPP_ADMIN_PASSWORD": "x" * 20,
           "AMQP_URL": "amqp://spp:Change-Me-rabbitmq@rabbitmq:5672/%2F",
           "NOTIFIER_DATABASE_URL": "postgresql+psycopg://postgres:s3cret@pg/spp_notifier",
           "SPP_PUBLIC_RATE_LIMIT": "change-me"}  # not a secret: not this check's business
    assert placeholder_secrets(env) == ["AMQP_URL", "SPP_SECRET_KEY"]
    monkeypatch.setattr(up, "check_ports", lambda ports: None)
    with pytest.raises(up.StartRefused) as refused:
        up.prepare(env, smtp_local=True)
    message = str(refused.value)
    assert "AMQP_URL, SPP_SECRET_KEY still hold the example value" in message
    assert "rabbitmq" not in message and "\n" not in message
    # every process reads its settings so: a web service or a worker does not start either
    monkeypatch.setenv("IDENTITY_DATABASE_URL", "postgresql://postgres:change-me-postgres@pg/x")
    with pytest.raises(PlaceholderSecret, match="IDENTITY_DATABASE_URL still holds"):
        Settings.from_env("identity")


def test_the_development_defaults_are_no_placeholder():
    from services.chassis.config import placeholder_secrets

    assert placeholder_secrets({"SPP_ADMIN_PASSWORD": up.DEFAULT_ADMIN_PASSWORD,
                                "AMQP_URL": "amqp://guest:guest@127.0.0.1:5672//"}) == []
