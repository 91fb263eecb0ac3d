"""The compose file's structure (no Docker engine runs here, so it is read, not started)."""

import re
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

from services.chassis.composerun import interpolate

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
BACKENDS = ["identity", "experiences", "moderation", "diagnostic", "notifier"]


def _compose():
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]


def test_every_service_and_worker_runs_with_health_checks_and_restarts():
    services = _compose()
    for name in ["postgres", "rabbitmq", "mailpit", "gateway", *BACKENDS,
                 *[f"{b}-worker" for b in BACKENDS]]:
        assert name in services, name
        assert services[name].get("healthcheck", {}).get("test"), name
        assert services[name].get("restart") == "unless-stopped", name


def test_every_container_s_log_is_rotated():
    for name, service in _compose().items():
        logging = service.get("logging", {})
        assert logging.get("driver") == "json-file", name
        assert logging["options"]["max-size"] and int(logging["options"]["max-file"]) > 1, name


def test_each_backend_has_its_own_database_and_waits_for_migrations():
    services = _compose()
    init = (DEPLOY / "initdb.sql").read_text()
    for name in BACKENDS:
        env = services[name]["environment"]
        key = f"{name.upper()}_DATABASE_URL"
        for extra in ({}, {"SPP_POSTGRES_ADDRESS": "pg-proxy:6432",
                           "SPP_POSTGRES_OPTIONS": "?sslmode=verify-full"}):
            url = make_url(interpolate(env[key], {f"{name.upper()}_DB_PASSWORD": "secret", **extra}))
            assert url.database == f"spp_{name}" and url.password == "secret"
            assert url.username == f"spp_{name}"  # its own role, never the superuser
            assert (url.host, url.port) == (("pg-proxy", 6432) if extra else ("postgres", 5432))
            assert url.query == ({"sslmode": "verify-full"} if extra else {})
        assert f"CREATE DATABASE spp_{name} OWNER spp_{name}'" in init
        assert f"REVOKE ALL ON DATABASE spp_{name} FROM PUBLIC;" in init
        assert f"\\getenv password {name.upper()}_DB_PASSWORD" in init
        assert "AMQP_URL" in env and "SMTP_URL" in env
        for proc in (name, f"{name}-worker"):
            assert services[proc]["depends_on"]["migrate"]["condition"] == \
                "service_completed_successfully"
            # no process but the migrate job holds another service's database password
            assert [k for k in services[proc]["environment"] if k.endswith("_DATABASE_URL")] == [key]
        assert f"services.{name}.worker" in services[f"{name}-worker"]["command"]
    assert all(f"migrate('{b}'" in " ".join(services["migrate"]["command"]) for b in BACKENDS)
    assert not [k for k in services["gateway"]["environment"] if k.endswith("_DATABASE_URL")]
    assert "POSTGRES_PASSWORD" not in str([s.get("environment") for n, s in services.items()
                                           if n != "postgres"])


def test_workers_can_scale_no_fixed_name_or_port():
    services = _compose()
    for name in BACKENDS:
        worker = services[f"{name}-worker"]
        assert "container_name" not in worker and "ports" not in worker


def test_secrets_come_from_the_environment_file():
    services = _compose()
    example = (DEPLOY / ".env.example").read_text()
    for key in ("POSTGRES_PASSWORD", "RABBITMQ_DEFAULT_PASS", "SPP_ADMIN_PASSWORD", "SPP_SECRET_KEY",
                *(f"{b.upper()}_DB_PASSWORD" for b in BACKENDS)):
        assert f"{key}=change-me" in example
    assert "${POSTGRES_PASSWORD:?" in str(services["postgres"]["environment"])


def test_only_the_gateway_is_published_and_the_consoles_stay_on_the_host():
    services = _compose()
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert set(published) == {"gateway", "rabbitmq", "mailpit"}
    for name in ("rabbitmq", "mailpit"):
        assert all(str(p).startswith("127.0.0.1:") for p in published[name]), name
    assert published["gateway"] == ["${SPP_GATEWAY_BIND:-127.0.0.1}:8000:8000"]


def test_one_key_per_setting_and_client_addresses_trusted_from_our_proxies_only():
    raw = (DEPLOY / "docker-compose.yml").read_text()
    env_block = raw.split("x-env: &env", 1)[1].split("\n\n", 1)[0]
    keys = [line.split(":", 1)[0].strip() for line in env_block.splitlines()[1:]
            if line.strip() and not line.strip().startswith("#")]
    assert len(keys) == len(set(keys)), keys  # a repeated key silently wins over the first
    services = _compose()
    assert services["identity"]["environment"]["SPP_TRUSTED_PROXIES"].endswith("172.30.0.0/24}")
    assert "SPP_GATEWAY_TRUSTED_PROXIES" in services["gateway"]["environment"]["SPP_TRUSTED_PROXIES"]
    assert "${GATEWAY_URL" in services["notifier-worker"]["environment"]["GATEWAY_URL"]


def test_identity_replicas_share_one_signing_key_kept_out_of_the_database():
    services = _compose()
    for name in ("identity", "migrate"):
        assert "identitykeys:/app/var/keys" in services[name]["volumes"], name
        # The key from a secret store: the migrate job, which moves older keys out of the
        # database, leaves them there when there is one.
        assert services[name]["environment"]["SPP_JWT_PRIVATE_KEY"] == "${SPP_JWT_PRIVATE_KEY:-}"
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "chmod 700 /app/var /app/var/keys" in dockerfile


def test_the_compose_postgres_takes_every_connection_its_processes_may_open():
    """30 per process (services/chassis/db.py's pool: 10, and 20 more under a burst), and a
    relay's LISTEN connection per worker."""
    services = _compose()
    wanted = 0
    for name, service in services.items():
        if name == "migrate" or not any(key.endswith("_DATABASE_URL")
                                        for key in service.get("environment") or {}):
            continue
        command = service["command"]
        processes = int(command[command.index("--workers") + 1]) if "--workers" in command else 1
        wanted += 30 * processes + (1 if name.endswith("-worker") else 0)
    command = services["postgres"]["command"]
    [setting] = [c for c in command if c.startswith("max_connections=")]
    assert wanted > 100 and int(setting.split("=")[1]) >= wanted + 3  # + the superuser's reserve


def test_the_image_gives_the_drivers_the_systems_trusted_roots():
    """`sslrootcert=system`: psycopg's own OpenSSL looks for roots where Debian has none; it
    reads them from SSL_CERT_FILE (tests/integration/chassis/test_pg_tls_system_roots.py)."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" in dockerfile
    assert re.search(r"apt-get install [^\n]*\bca-certificates\b", dockerfile)


def test_the_migrate_job_declares_every_queue_before_the_services_start():
    command = " ".join(_compose()["migrate"]["command"])
    assert command.rstrip().endswith("python -m services.chassis.topology")
