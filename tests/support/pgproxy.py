"""PostgreSQL behind a TLS proxy, as operators run it: PgBouncer (Debian's package) in front of the
test server, TLS required of every client, session pooling; and connections that sit idle cut
after a while, as a proxy's idle timeout cuts them (`cut_when_idle`).

The e2e PostgreSQL platform connects through it with `sslmode=verify-full` against a CA made for
the run, so every e2e test on PostgreSQL also checks what the proxy changes (docs/deploy.md).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.net import free_port, listening

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
# A proxy drops a connection that said nothing for a while: pooled connections must survive it.
IDLE_TIMEOUT_S = 20
# What PgBouncer logs when it closes a client whose server connection was cut.
CUT = "closing because: server conn crashed?"


@dataclass(frozen=True)
class TlsProxy:
    port: int
    ca_file: Path
    admin_url: str  # PgBouncer's own console (SHOW CLIENTS), over TLS too
    folder: Path

    def log(self) -> str:
        path = self.folder / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def behind(self, database_url: str) -> str:
        """`database_url` through the proxy, verifying its certificate and its name."""
        url = sa.engine.make_url(database_url).set(
            host="localhost", port=self.port,
            query={"sslmode": "verify-full", "sslrootcert": str(self.ca_file)})
        return url.render_as_string(hide_password=False)


def available() -> bool:
    return Path(PGBOUNCER).exists()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA of the run and the proxy's certificate for localhost and 127.0.0.1."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("spp test CA")).issuer_name(_name("spp test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                         x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(names, critical=False).sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "proxy.pem", folder / "proxy.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def _config(server: sa.URL, port: int, cert: Path, key: Path, folder: Path) -> str:
    target = f"host={server.host or '127.0.0.1'} port={server.port or 5432}"
    if server.password:
        target += f" user={server.username} password={server.password}"
    return f"""[databases]
* = {target}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / 'users.txt'}
admin_users = {server.username or 'postgres'}
pool_mode = session
max_client_conn = 2000
default_pool_size = 1000
client_tls_sslmode = require
client_tls_cert_file = {cert}
client_tls_key_file = {key}
ignore_startup_parameters = extra_float_digits
logfile = {folder / 'pgbouncer.log'}
pidfile = {folder / 'pgbouncer.pid'}
"""


@contextmanager
def tls_proxy(server_url: str) -> Iterator[TlsProxy]:
    """PgBouncer in front of `server_url`'s server for the block; its files removed after."""
    server = sa.engine.make_url(server_url)
    folder = Path(tempfile.mkdtemp(prefix="spp-pgproxy-"))
    command = [PGBOUNCER]
    if os.geteuid() == 0:  # PgBouncer will not run as root
        runner = pwd.getpwnam("postgres" if _has_user("postgres") else "nobody")
        command += ["-u", runner.pw_name]
        os.chown(folder, runner.pw_uid, runner.pw_gid)
    try:
        ca, cert, key = _certificates(folder)
        port = free_port()
        (folder / "users.txt").write_text(f'"{server.username or "postgres"}" ""\n')
        ini = folder / "pgbouncer.ini"
        ini.write_text(_config(server, port, cert, key, folder))
        for path in folder.iterdir():
            path.chmod(0o600 if path == key else 0o644)
            if os.geteuid() == 0:
                os.chown(path, runner.pw_uid, runner.pw_gid)
        proc = subprocess.Popen(command + [str(ini)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 15
            while not listening(port, timeout=0.5):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = folder / "pgbouncer.log"
                    raise RuntimeError("PgBouncer did not start: "
                                       + (log.read_text()[-2000:] if log.exists() else ""))
                time.sleep(0.05)
            admin = TlsProxy(port, ca, "", folder).behind(
                server.set(database="pgbouncer").render_as_string(hide_password=False))
            yield TlsProxy(port, ca, admin, folder)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cut_when_idle(server_url: str, database_url: str) -> None:
    """Sessions of `database_url`'s database idle for IDLE_TIMEOUT_S are ended by the server, so
    the proxy closes their clients: what a proxy's idle timeout does. (PgBouncer's own
    `client_idle_timeout` spares a client in session pooling.)"""
    name = sa.engine.make_url(database_url).database
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" SET idle_session_timeout = '
                                 f"'{IDLE_TIMEOUT_S}s'"))
    finally:
        admin.dispose()


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
