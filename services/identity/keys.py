"""RS256 signing keys. The private key lives in a 0600 file or in an operator's secret, never in
the database; the database keeps the public keys only, for the JWKS.

The private key comes from, first found:
1. `SPP_JWT_PRIVATE_KEY`: the PEM itself, a secret the operator puts in the environment;
2. `SPP_JWT_PRIVATE_KEY_FILE` (default `var/keys/jwt-signing.pem`): a PEM file, created 0600 in
   a 0700 folder at first use when it does not exist.
Every process looks at the file again at most once a second, so a rotation
(`python -m services.identity.rotate_keys`, or the operator replacing the file) takes effect
without a restart.

A key's `kid` is its RFC 7638 thumbprint: every replica holding the same key names it alike. A
key stays in the JWKS while it signs and for `KEY_RETENTION` after its last use, longer than any
token it signed lives, so tokens signed before a rotation verify until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.chassis.auth import LEEWAY_S, TokenVerifier
from services.chassis.config import SERVICE_PORTS, VAR, Settings, private_dir
from services.chassis.db import Database
from services.chassis.permissions import permissions_for
from services.identity.models import LoginSession, SigningKey, User

TOKEN_TTL = 900
HEARTBEAT_S = 60  # a signing key's `seen_at` is refreshed at most this often per process
KEY_RETENTION = timedelta(seconds=TOKEN_TTL + LEEWAY_S + HEARTBEAT_S + 300)
KEY_ENV = "SPP_JWT_PRIVATE_KEY"
MIN_KEY_BITS = 2048
AUDIENCE = sorted(name for name in SERVICE_PORTS)
log = logging.getLogger(__name__)


class KeyUnavailable(RuntimeError):
    """The configured key cannot be read or used: identity cannot sign."""


@dataclass(frozen=True)
class SigningMaterial:
    kid: str
    private_key: rsa.RSAPrivateKey
    public_jwk: dict


def _thumbprint(jwk: dict) -> str:
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"),
                           sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def material_from_pem(pem: bytes) -> SigningMaterial:
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyUnavailable(f"the signing key is not an unencrypted PEM private key: {exc}") \
            from None
    if not isinstance(private, rsa.RSAPrivateKey) or private.key_size < MIN_KEY_BITS:
        raise KeyUnavailable(f"the signing key must be RSA of at least {MIN_KEY_BITS} bits")
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    kid = _thumbprint(jwk)
    jwk.update(kid=kid, alg="RS256", use="sig")
    return SigningMaterial(kid, private, jwk)


def new_private_pem() -> bytes:
    private = rsa.generate_private_key(public_exponent=65537, key_size=MIN_KEY_BITS)
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def _key_folder(path: Path) -> None:
    if path.parent == VAR / "keys":
        private_dir(VAR)
        private_dir(path.parent)
    else:  # an operator's folder: created 0700 when absent, never re-moded
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)


def write_key_file(path: Path, pem: bytes, replace: bool) -> bool:
    """Write `pem` to `path`, 0600 from its first byte. Without `replace`, an existing file wins
    (workers starting together keep one key); returns whether this call's key is the one."""
    _key_folder(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)  # atomic: the file appears whole, or not at all
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)


class KeySource:
    """The private key this process signs with: from the environment, or from its file."""

    STAT_EVERY_S = 1.0

    def __init__(self, path: str | Path | None = None, pem: str | None = None):
        if pem is None and not path:
            raise KeyUnavailable("no signing key configured")
        self.path = Path(path) if pem is None else None
        self._pem = pem
        self._material: SigningMaterial | None = None
        self._stamp: tuple | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], float] = {}  # (database, kid) -> last heartbeat

    @classmethod
    def from_settings(cls, settings: Settings) -> KeySource:
        pem = os.environ.get(KEY_ENV, "")
        if pem.strip():  # an env file holds the PEM on one line, with \n written out
            return cls(pem=pem.replace("\\n", "\n"))
        return cls(path=settings.jwt_private_key_file or None)

    @property
    def from_secret(self) -> bool:
        return self._pem is not None

    def current(self) -> SigningMaterial:
        if self._pem is not None:
            if self._material is None:
                self._material = material_from_pem(self._pem.encode())
            return self._material
        now = time.monotonic()
        if self._material is not None and now - self._checked < self.STAT_EVERY_S:
            return self._material
        with self._lock:
            stamp = self._stat()
            if stamp is None:
                try:
                    if write_key_file(self.path, new_private_pem(), replace=False):
                        log.info("signing key generated", extra={"path": str(self.path)})
                except OSError as exc:
                    raise KeyUnavailable(f"cannot create the signing key {self.path}: {exc}") \
                        from None
                stamp = self._stat()
            if self._material is None or stamp != self._stamp:
                self._material = self._load()
                self._stamp = stamp
            self._checked = now
            return self._material

    def _stat(self) -> tuple | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def _load(self) -> SigningMaterial:
        try:
            mode = self.path.stat().st_mode & 0o777
            pem = self.path.read_bytes()
        except OSError as exc:
            raise KeyUnavailable(f"cannot read the signing key {self.path}: {exc}") from None
        if mode & 0o077:
            try:
                self.path.chmod(0o600)
            except OSError:
                log.warning("the signing key file is readable by others: chmod 600 it",
                            extra={"path": str(self.path), "mode": oct(mode)})
        return material_from_pem(pem)

    def rotate(self) -> SigningMaterial:
        """A new key in the file; the processes pick it up within a second."""
        if self.from_secret:
            raise KeyUnavailable(f"the signing key comes from {KEY_ENV}: put a new key in that "
                                 "secret and restart identity (the previous key stays published "
                                 "while its tokens live)")
        write_key_file(self.path, new_private_pem(), replace=True)
        with self._lock:
            self._material, self._stamp, self._checked = None, None, 0.0
        return self.current()

    def publish(self, session: Session, material: SigningMaterial) -> None:
        """Record the public key, or note that it still signs (at most once a minute)."""
        bind = session.get_bind()
        mark = (bind.url.render_as_string(hide_password=True), material.kid)
        now = time.monotonic()
        last = self._seen.get(mark)
        if last is not None and now - last < HEARTBEAT_S:
            return
        at = datetime.now(UTC)
        insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
        table = SigningKey.__table__
        session.execute(insert(table).values(
            kid=material.kid, public_jwk=material.public_jwk, created_at=at, seen_at=at,
        ).on_conflict_do_update(index_elements=[table.c.kid], set_={"seen_at": at}))

        def published(_session):  # not before: a rolled-back insert publishes nothing
            self._seen[mark] = now

        sa_event.listen(session, "after_commit", published, once=True)


def jwks(session: Session) -> dict:
    since = datetime.now(UTC) - KEY_RETENTION
    keys = session.scalars(sa.select(SigningKey).where(SigningKey.seen_at > since)
                           .order_by(SigningKey.seen_at.desc(), SigningKey.kid)).all()
    return {"keys": [k.public_jwk for k in keys]}


def current_key(session: Session, source: KeySource) -> SigningMaterial:
    """The key this process signs with, published."""
    material = source.current()
    source.publish(session, material)
    return material


def rotate(session: Session, source: KeySource) -> SigningMaterial:
    """A new signing key; the previous one stays published while its tokens live."""
    material = source.rotate()
    source.publish(session, material)
    return material


def claims_for(user: User, issuer: str, now: int | None = None,
               login: LoginSession | None = None) -> dict:
    """The token's claims; `sid` and `auth_time` name the session it belongs to, so that its
    end (logout, new password, fewer rights) ends the token everywhere."""
    now = int(now or time.time())
    claims = {
        "iss": issuer, "aud": AUDIENCE, "sub": user.id, "iat": now, "exp": now + TOKEN_TTL,
        "jti": uuid.uuid4().hex, "profile": user.profile,
        "perms": sorted(permissions_for(user.profile, user.missions or [])),
        "missions": list(user.missions or []), "network_id": user.network_id,
        "structure_ids": list(user.structure_ids or []), "name": user.name,
    }
    if login is not None:
        created = login.created_at if login.created_at.tzinfo else \
            login.created_at.replace(tzinfo=UTC)
        claims.update(sid=login.id, auth_time=int(created.timestamp()))
    return claims


def sign(session: Session, source: KeySource, claims: dict) -> str:
    key = current_key(session, source)
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def issue_token(session: Session, source: KeySource, user: User, issuer: str,
                login: LoginSession) -> str:
    return sign(session, source, claims_for(user, issuer, login=login))


class LocalVerifier(TokenVerifier):
    """identity verifies its own tokens against the keys in its database, not over HTTP."""

    def __init__(self, db: Database, audience: str, issuer: str):
        super().__init__(audience, issuer)
        self._db = db

    def _key_for(self, token: str):
        kid = jwt.get_unverified_header(token).get("kid")
        with self._db.transaction() as session:
            published = jwks(session)
        for jwk in published["keys"]:
            if jwk.get("kid") == kid:
                return jwt.PyJWK.from_dict(jwk)
        raise jwt.InvalidTokenError("unknown signing key")
