"""What services.chassis.composerun changes between the compose file and the host, and what it
refuses to guess (no server needed: nothing here starts)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from services.chassis.composerun import ComposeError, ComposeRun, interpolate

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV = {"POSTGRES_PASSWORD": "pg-secret", "RABBITMQ_DEFAULT_USER": "spp-run",
       "RABBITMQ_DEFAULT_PASS": "amqp-secret", "SPP_ADMIN_EMAIL": "admin@example.org",
       "SPP_ADMIN_PASSWORD": "x" * 20, "SPP_SECRET_KEY": "k" * 40,
       "NOTIFIER_FROM": "ne-pas-repondre@example.org",
       **{f"{s}_DB_PASSWORD": f"{s.lower()}-secret"
          for s in ("IDENTITY", "EXPERIENCES", "MODERATION", "DIAGNOSTIC", "NOTIFIER")}}


@pytest.mark.parametrize(("text", "expected"), [
    ("${SET}", "value"), ("$SET/x", "value/x"), ("${UNSET}", ""), ("${UNSET:-d}", "d"),
    ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""), ("${UNSET-d}", "d"), ("${UNSET:-${SET}}", "value"),
    ("${SET:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"), ("${UNSET+alt}", ""),
    ("$$SET", "$SET"), ("cost: 5$", "cost: 5$"),
])
def test_interpolation_is_composes(text, expected):
    assert interpolate(text, {"SET": "value", "EMPTY": ""}) == expected


@pytest.mark.parametrize("text", ["${UNSET:?set it}", "${EMPTY:?set it}", "${UNSET?set it}"])
def test_a_required_variable_missing_stops_the_run(text):
    with pytest.raises(ComposeError, match="set it"):
        interpolate(text, {"EMPTY": ""}, "where")


def _run(tmp_path, compose: Path = DEPLOY / "docker-compose.yml", env=ENV) -> ComposeRun:
    run = ComposeRun(compose, env, workdir=tmp_path, port_base=31000, db_prefix="spp_test_r_",
                     vhost="spp-test-r", project_dir=DEPLOY)
    run.db_map = {"spp_identity": "spp_test_r_spp_identity"}
    run.role_map = {"spp_identity": "spp_test_r_spp_identity"}
    return run


def test_only_addresses_and_names_change(tmp_path):
    run = _run(tmp_path)
    gateway = run.port("gateway", 8000)
    assert run.rewrite("http://identity:8001", "gateway") == f"http://127.0.0.1:{run.port('identity', 8001)}"
    # A container's own loopback is its own port; a port it does not listen on but that compose
    # publishes is the published one (the browser's GATEWAY_URL).
    assert run.rewrite("0.0.0.0:8000", "gateway") == f"127.0.0.1:{gateway}"
    assert run.rewrite("http://127.0.0.1:8001/readyz", "identity") == \
        f"http://127.0.0.1:{run.port('identity', 8001)}/readyz"
    assert run.rewrite("http://localhost:8000", "notifier-worker") == f"http://127.0.0.1:{gateway}"
    assert run.rewrite("postgresql+psycopg://postgres:pg-secret@postgres:5432/spp_identity",
                       "identity") == \
        "postgresql+psycopg://postgres:pg-secret@127.0.0.1:5432/spp_test_r_spp_identity"
    # the role the init script made, renamed like its database
    assert run.rewrite("postgresql+psycopg://spp_identity:id-secret@postgres:5432/spp_identity",
                       "identity") == \
        "postgresql+psycopg://spp_test_r_spp_identity:id-secret@127.0.0.1:5432/spp_test_r_spp_identity"
    assert run.rewrite("amqp://spp-run:amqp-secret@rabbitmq:5672/%2F", "identity") == \
        "amqp://spp-run:amqp-secret@127.0.0.1:5672/spp-test-r"
    assert run.rewrite("services.identity.wsgi:app migrate('identity', x)", "migrate") == \
        "services.identity.wsgi:app migrate('identity', x)"


def test_what_the_host_cannot_provide_stops_the_run(tmp_path):
    run = _run(tmp_path)
    with pytest.raises(ComposeError, match="without a port"):
        run.rewrite("http://identity/readyz", "gateway")
    with pytest.raises(ComposeError, match="5432 only"):
        run.rewrite("postgres:6432", "identity")
    compose = (DEPLOY / "docker-compose.yml").read_text()
    for old, new in [("    command: [\"python\", \"-m\", \"services.identity.worker\"]",
                      "    entrypoint: [\"python\"]\n    command: [\"-m\", \"services.identity.worker\"]"),
                     ("image: axllent/mailpit:v1.31", "image: nginx:latest"),
                     # Server settings map (the host's server has its own); anything else not.
                     ('command: ["postgres", "-c", "max_connections=700"]',
                      'command: ["sh", "-c", "postgres -c max_connections=700"]')]:
        assert old in compose
        changed = tmp_path / f"compose-{len(old)}.yml"
        changed.write_text(compose.replace(old, new, 1))
        with pytest.raises(ComposeError,
                           match="entrypoint cannot be mapped|neither built|host's server"):
            _run(tmp_path, changed)
    with pytest.raises(ComposeError, match="SPP_SECRET_KEY"):
        _run(tmp_path, env={k: v for k, v in ENV.items() if k != "SPP_SECRET_KEY"})


def test_postgres_never_turns_healthy_with_the_example_superuser_password(tmp_path):
    """The run replaces postgres' health check with a connection: this runs the compose file's own
    shell command, with a pg_isready that answers yes."""
    check = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]["postgres"]
    kind, command = check["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    command = interpolate(command, {})  # compose's `$$` is the shell's `$`
    (tmp_path / "pg_isready").write_text("#!/bin/sh\nexit 0\n")
    (tmp_path / "pg_isready").chmod(0o755)
    for password, healthy in (("change-me-postgres", False), ("s3cr3t-of-ours", True)):
        done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=10,
                              env={"PATH": f"{tmp_path}:/usr/bin:/bin", "POSTGRES_PASSWORD": password})
        assert (done.returncode == 0) is healthy, done
        assert ("example value" in done.stderr) is not healthy
        assert password not in done.stderr
