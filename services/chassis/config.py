"""Configuration from the environment, with defaults that run on a developer's machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("SPP_VAR_DIR", ROOT / "var"))

PORT_BASE = int(os.environ.get("SPP_PORT_BASE", "8000"))  # tests run a second platform aside
SERVICE_PORTS = {
    name: PORT_BASE + i
    for i, name in enumerate(["gateway", "identity", "experiences", "moderation", "diagnostic",
                              "notifier"])
}
MAIL_PORT = PORT_BASE + 25


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def service_url(service: str) -> str:
    """Base URL of another service's HTTP API (`<SERVICE>_URL`, else localhost and its port)."""
    return _env(f"{service.upper()}_URL", f"http://127.0.0.1:{SERVICE_PORTS[service]}").rstrip("/")


def gateway_url() -> str:
    """Where the pages are (`GATEWAY_URL`): the links in e-mails."""
    return _env("GATEWAY_URL", f"http://127.0.0.1:{SERVICE_PORTS['gateway']}")


def private_dir(path: Path) -> Path:
    """A folder only its owner enters (0700): created so; tightened when it is ours and looser.

    var/ holds the SQLite databases, the signing key, the logs and the caught mails.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """A file only its owner reads (0600): created empty so when absent, tightened when looser."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _tighten(path, 0o600)
    return path


def _tighten(path: Path, mode: int) -> None:
    try:
        stat = path.stat()
        if stat.st_uid == os.geteuid() and stat.st_mode & 0o777 & ~mode:
            path.chmod(mode)
    except OSError:
        pass  # not ours, or gone: nothing to tighten


def default_key_file() -> Path:
    """Where identity keeps its signing key when the operator provides none."""
    return VAR / "keys" / "jwt-signing.pem"


# The URLs operators paste (libpq's, Heroku's `postgres://`) name no driver: SQLAlchemy would
# look for psycopg2, or know no `postgres` dialect. The platform installs psycopg (3).
_DRIVERLESS_POSTGRES = ("postgresql://", "postgres://")


def with_driver(url: str) -> str:
    """`url`, a PostgreSQL one naming psycopg when it names no driver."""
    for prefix in _DRIVERLESS_POSTGRES:
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else an embedded SQLite file under var/."""
    default = f"sqlite:///{VAR / (service + '.db')}"
    return with_driver(_env(f"{service.upper()}_DATABASE_URL", default))


# Every secret of deploy/.env.example starts so: a copy not yet edited must never serve, with
# an administrator's password and a session key anyone can read in the repository.
PLACEHOLDER = "change-me"
SECRET_VARIABLES = ("SPP_SECRET_KEY", "SPP_ADMIN_PASSWORD", "SPP_JWT_PRIVATE_KEY", "AMQP_URL",
                    "SMTP_URL")


class PlaceholderSecret(RuntimeError):
    """A secret still holds the example's value: the message names the variables, not values."""


def placeholder_secrets(environ=None) -> list[str]:
    """The names of the secrets in `environ` (the process's) that still hold a placeholder."""
    environ = os.environ if environ is None else environ
    names = {*SECRET_VARIABLES, *(name for name in environ if name.endswith("_DATABASE_URL"))}
    return sorted(name for name in names if PLACEHOLDER in (environ.get(name) or "").lower())


def refuse_placeholders(environ=None) -> None:
    if found := placeholder_secrets(environ):
        raise PlaceholderSecret(
            f"{', '.join(found)} still hold{'s' if len(found) == 1 else ''} the example value "
            f"of deploy/.env.example (« {PLACEHOLDER}… »): set a secret of your own first")


@dataclass
class Settings:
    service: str
    database_url: str
    amqp_url: str
    exchange: str
    queue_prefix: str
    smtp_url: str
    gateway_url: str
    identity_url: str
    jwt_issuer: str
    log_level: str
    public_rate_limit: str
    max_attempts: int
    retry_delays_ms: tuple[int, ...]
    prefetch: int
    consumer_batch: int = 50
    # Open-data downloads per address: each holds a web worker for as long as it lasts.
    open_data_rate_limit: str = "10/hour"
    # The public's text searches per address: one reads every published experience at worst.
    search_rate_limit: str = "60/minute"
    # identity's signing key file (the PEM may instead come from SPP_JWT_PRIVATE_KEY, read by
    # services/identity/keys.py only, so that no settings dump ever shows it)
    jwt_private_key_file: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, service: str, **overrides) -> Settings:
        refuse_placeholders()
        delays = _env("SPP_RETRY_DELAYS_MS", "500,2000,10000,30000")
        settings = cls(
            service=service,
            database_url=database_url(service),
            amqp_url=_env("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
            exchange=_env("SPP_EXCHANGE", "spp.events"),
            queue_prefix=_env("SPP_QUEUE_PREFIX", "spp"),
            smtp_url=_env("SMTP_URL", f"smtp://127.0.0.1:{MAIL_PORT}"),
            gateway_url=gateway_url(),
            identity_url=service_url("identity"),
            jwt_issuer=_env("SPP_JWT_ISSUER", "spp-identity"),
            log_level=_env("SPP_LOG_LEVEL", "INFO"),
            public_rate_limit=_env("SPP_PUBLIC_RATE_LIMIT", "10/minute"),
            max_attempts=int(_env("SPP_MAX_ATTEMPTS", "5")),
            retry_delays_ms=tuple(int(d) for d in delays.split(",") if d.strip()),
            prefetch=int(_env("SPP_PREFETCH", "100")),
            consumer_batch=int(_env("SPP_CONSUMER_BATCH", "50")),
            open_data_rate_limit=_env("SPP_OPEN_DATA_RATE_LIMIT", "10/hour"),
            search_rate_limit=_env("SPP_SEARCH_RATE_LIMIT", "60/minute"),
            jwt_private_key_file=_env("SPP_JWT_PRIVATE_KEY_FILE", str(default_key_file())),
        )
        for key, value in overrides.items():
            setattr(settings, key, value)
        return settings


if __name__ == "__main__":  # compose's migrate job asks first: one line, no traceback
    import sys

    try:
        refuse_placeholders()
    except PlaceholderSecret as exc:
        sys.exit(str(exc))
