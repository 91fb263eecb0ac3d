"""`make up`'s checks against this machine's servers: each mistake an operator makes stops the
start with one line naming it, never a traceback and never a password."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from services.chassis import up
from services.chassis.config import MAIL_PORT, PORT_BASE, SERVICE_PORTS


def _with(url: str, **parts) -> str:
    split = urlsplit(url)
    user = parts.get("user", split.username)
    password = parts.get("password", split.password)
    netloc = f"{user}:{password}@{split.hostname}:{parts.get('port', split.port or 5672)}"
    return urlunsplit((split.scheme, netloc, parts.get("path", split.path), "", ""))


def _refusal(check, *args) -> str:
    with pytest.raises(up.StartRefused) as refused:
        check(*args)
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_a_port_taken_stops_the_start_naming_it_and_its_service():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        message = _refusal(up.check_ports, {"gateway": _free_port(), "moderation": port})
    assert f"{port} (moderation)" in message and "SPP_PORT_BASE" in message
    assert "gateway" not in message


def test_every_port_the_platform_binds_is_checked():
    assert up.platform_ports(smtp_local=True) == {**SERVICE_PORTS, "mailcatcher": MAIL_PORT}
    assert up.platform_ports(smtp_local=False) == SERVICE_PORTS
    assert min(SERVICE_PORTS.values()) == PORT_BASE


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_broker_check_accepts_the_real_broker(amqp_url):
    up.check_broker(amqp_url)


def test_a_broker_that_does_not_answer_is_one_line_without_the_password(amqp_url):
    url = _with(amqp_url, password="s3cret-pw", port=_free_port())
    message = _refusal(up.check_broker, url)
    assert message.startswith("RabbitMQ does not answer at") and "s3cret-pw" not in message


def test_a_refused_login_is_named(amqp_url):
    message = _refusal(up.check_broker, _with(amqp_url, password="wrong-s3cret"))
    assert "ACCESS_REFUSED" in message and "wrong-s3cret" not in message


def test_a_missing_vhost_is_named(amqp_url):
    message = _refusal(up.check_broker, _with(amqp_url, path="/no-such-vhost-opfix"))
    assert "virtual host 'no-such-vhost-opfix'" in message and "rabbitmqctl add_vhost" in message


def test_a_url_that_is_not_amqp_is_named():
    message = _refusal(up.check_broker, "http://nope")
    assert message.startswith("AMQP_URL is not an AMQP URL")


def test_a_database_that_does_not_exist_is_one_line(create_database):
    url = sa.engine.make_url(create_database("up_check")).set(database="spp_no_such_database")
    text = url.set(password="s3cret-db").render_as_string(hide_password=False)
    message = _refusal(up.check_database, "identity", text)
    assert message.startswith("identity: the database") and "spp_no_such_database" in message
    assert "s3cret-db" not in message and "IDENTITY_DATABASE_URL" in message


def test_a_database_server_that_does_not_answer_is_one_line():
    url = f"postgresql+psycopg://spp:s3cret-db@127.0.0.1:{_free_port()}/identity"
    message = _refusal(up.check_database, "experiences", url)
    assert "experiences" in message and "s3cret-db" not in message


def test_a_reachable_database_passes(create_database):
    up.check_database("identity", create_database("up_ok"))


def test_a_weak_admin_password_stops_the_start_and_creates_nobody(create_database, monkeypatch):
    from services.chassis.db import Database, migrate
    from services.identity.models import User
    from services.identity.service import AdminBootstrap

    url = create_database("up_admin")
    migrate("identity", url)
    monkeypatch.setenv("IDENTITY_DATABASE_URL", url)
    message = _refusal(up.bootstrap_admin, "admin@spp.test", "abc")
    assert message.startswith("SPP_ADMIN_PASSWORD is refused") and "abc" not in message
    db = Database(url)
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    db.dispose()
    assert up.bootstrap_admin("admin@spp.test", up.DEFAULT_ADMIN_PASSWORD) is AdminBootstrap.CREATED
    assert up.bootstrap_admin("other@spp.test", "abc") is AdminBootstrap.USERS_EXIST
