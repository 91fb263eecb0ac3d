"""`sslrootcert=system` behind the TLS proxy, as deploy/docker-compose.yml's example asks: the
roots come from SSL_CERT_FILE, which the image sets (deploy/Dockerfile), since psycopg's own
OpenSSL would look for them in a folder no Debian has."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.support import pgproxy

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not pgproxy.available(), reason="PgBouncer is not installed")]


def _answers(url: sa.URL) -> bool:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT 1")) == 1
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def test_system_roots_are_read_from_ssl_cert_file(pg_server_url, tmp_path, monkeypatch):
    with pgproxy.tls_proxy(pg_server_url) as proxy:
        url = sa.make_url(proxy.behind(pg_server_url))
        system = url.set(query={"sslmode": "verify-full", "sslrootcert": "system"})
        monkeypatch.setenv("SSL_CERT_FILE", str(proxy.ca_file))
        assert _answers(system)
        # Roots that do not sign the proxy's certificate: refused, not merely encrypted.
        other = tmp_path / "other.pem"
        other.write_text("")
        monkeypatch.setenv("SSL_CERT_FILE", str(other))
        assert not _answers(system)
