"""The lifecycle scenarios (tests/support/scenarios.py, which tests/e2e/test_lifecycle.py plays
too) against the platform deploy/docker-compose.yml starts, run on the host by
services.chassis.composerun; then the proof that a compose file with a wrong command fails the
run. The calls go to this run's addresses, read from the compose file's own URLs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
import yaml

from services.chassis.composerun import ComposeError
from services.chassis.db import migrate
from tests.support.e2e import Api
from tests.support.scenarios import (
    deactivated_agent_refused,
    experience_lifecycle,
    forgotten_password,
)

pytestmark = pytest.mark.e2e

BACKENDS = ["identity", "experiences", "moderation", "diagnostic", "notifier"]
COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "docker-compose.yml"


def api(platform) -> Api:
    """tests/support/e2e.py's calls, for the compose run of `platform`."""
    run = platform["run"]

    def url(service: str, path: str = "") -> str:
        if service == "gateway":
            return run.published_url(8000, path)  # `ports: ["…:8000:8000"]`
        return run.url(service, path)

    return Api(url)


def admin_login(platform) -> tuple[str, str]:
    return platform["run"].env["SPP_ADMIN_EMAIL"], platform["run"].env["SPP_ADMIN_PASSWORD"]


def test_the_run_is_the_compose_files_own(compose_platform):
    """Each process runs its compose command with its compose environment, addresses aside; the
    services reach each other where the gateway's environment says; every health check passed."""
    run = compose_platform["run"]
    url = api(compose_platform).url
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    address = re.compile(r"[\w.]+:\d+")
    for name, process in run.processes.items():
        command = services[name]["command"]
        assert len(process.argv) == len(command), name
        for ran, written in zip(process.argv, command, strict=True):
            assert address.sub("ADDR", ran) == address.sub("ADDR", written), (name, ran, written)
        added = {"PATH", "HOME", "LANG", "SPP_VAR_DIR", "PYTHONDONTWRITEBYTECODE",
                 "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR",
                 "SSL_CERT_FILE"}  # the host's, the container's, the image's
        assert set(process.env) - added == set(services[name]["environment"]), name
    gateway_env = run.processes["gateway"].env
    for service in BACKENDS:
        assert gateway_env[f"{service.upper()}_URL"] == url(service)
        assert requests.get(url(service, "/readyz"), timeout=10).ok, service
    assert run.healthy == {n for n in run.apps if n != "migrate"}
    print(f"\ncompose run healthy in {compose_platform['started_in']:.1f}s: {run.timings}")


def test_an_experience_goes_from_the_usager_to_an_evaluated_answer(compose_platform):
    experience_lifecycle(api(compose_platform), compose_platform["mail"],
                         admin_login(compose_platform))


def test_a_deactivated_agent_is_refused_everywhere_within_seconds(compose_platform):
    """Not when the 15-minute token expires: the services learn it from `user.deactivated`."""
    deactivated_agent_refused(api(compose_platform), admin_login(compose_platform))


def test_a_forgotten_password_is_reset_from_the_mailed_link(compose_platform):
    forgotten_password(api(compose_platform), compose_platform["mail"],
                       admin_login(compose_platform))


def test_a_wrong_command_in_the_compose_file_fails_the_run(compose_runner, tmp_path):
    """The gateway's command names an application its module does not have: the run stops with
    gunicorn's error, and leaves no process, database or vhost of its own behind."""
    compose = COMPOSE.read_text()
    assert compose.count('"services.gateway.wsgi:app"') == 1
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(compose.replace('"services.gateway.wsgi:app"',
                                      '"services.gateway.wsgi:application"'))
    run = compose_runner(broken)
    with pytest.raises(ComposeError, match=r"(?s)gateway exited with status \d+.*application"):
        run.start()
    run.stop()
    assert run.leftovers() == []
    with run._admin_engine().connect() as conn:
        left = conn.exec_driver_sql("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                    (f"{run.db_prefix}%",)).all()
        left += conn.exec_driver_sql("SELECT rolname FROM pg_roles WHERE rolname LIKE %s",
                                     (f"{run.db_prefix}%",)).all()
    assert left == []
    assert run.vhost not in run._rabbitmqctl("list_vhosts", "--no-table-headers").split()


def test_each_service_reaches_its_own_database_only_and_as_no_superuser(compose_platform):
    """Every connection to a service's database is its own role's, none a superuser's; another
    service's role cannot even connect to it."""
    run = compose_platform["run"]
    with run._admin_engine().connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT a.datname, r.rolname, r.rolsuper FROM pg_stat_activity a "
            "JOIN pg_roles r ON r.oid = a.usesysid "
            "WHERE a.datname = ANY(:names) AND a.pid <> pg_backend_pid()"),
            {"names": run.databases_made}).all()
    own = {(run.db_map[f"spp_{s}"], run.role_map[f"spp_{s}"]) for s in BACKENDS}
    assert {(db, role) for db, role, _ in rows} == own
    assert not [row for row in rows if row.rolsuper]
    intruder = run.postgres_url.set(username=run.role_map["spp_experiences"],
                                    password=run.env["EXPERIENCES_DB_PASSWORD"],
                                    database=run.db_map["spp_identity"])
    engine = sa.create_engine(intruder, poolclass=sa.pool.NullPool)
    try:
        with pytest.raises(sa.exc.OperationalError, match="permission denied|CONNECT privilege"):
            engine.connect()
    finally:
        engine.dispose()


def test_the_init_script_hands_an_earlier_version_s_database_to_its_role(compose_runner):
    """Where every service connected as the superuser (so its tables are the superuser's), the
    same init script, run again by hand, makes the role and hands it the database and its
    tables: the role can then change them, as its next migrations will."""
    run = compose_runner()
    earlier = f"{run.db_prefix}spp_identity"
    admin = run._admin_engine()
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{earlier}"')
        migrate("identity", run.postgres_url.set(database=earlier).render_as_string(False))
        run._provide_postgres("postgres")
        role = run.role_map["spp_identity"]
        assert earlier in run.databases_made and role in run.roles_made
        own = run.postgres_url.set(username=role, password=run.env["IDENTITY_DB_PASSWORD"],
                                   database=earlier)
        engine = sa.create_engine(own, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                owners = conn.execute(sa.text(
                    "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")).all()
                assert owners == [(role,)]
                conn.exec_driver_sql("ALTER TABLE users ADD COLUMN probe integer")
                assert conn.scalar(sa.text("SELECT count(*) FROM alembic_version")) == 1
        finally:
            engine.dispose()
    finally:
        admin.dispose()
        run.stop()
    with run._admin_engine().connect() as conn:
        left = conn.exec_driver_sql("SELECT rolname FROM pg_roles WHERE rolname LIKE %s",
                                    (f"{run.db_prefix}%",)).all()
    assert left == []
