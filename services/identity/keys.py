"""RS256 signing keys kept in identity's database; the JWKS publishes the active and previous ones."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session

from services.chassis.auth import TokenVerifier
from services.chassis.config import SERVICE_PORTS
from services.chassis.db import Database, is_postgres
from services.chassis.permissions import permissions_for
from services.identity.models import SigningKey, User

TOKEN_TTL = 900
PUBLISHED_KEYS = 2  # the active key and the previous one
AUDIENCE = sorted(name for name in SERVICE_PORTS)
_LOCK_ID = 734_001  # PostgreSQL advisory lock: one key generation at a time across workers


def _generate() -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = uuid.uuid4().hex
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid=kid, alg="RS256", use="sig")
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return SigningKey(kid=kid, private_pem=pem, public_jwk=jwk, active=True)


def _lock(session: Session) -> None:
    if is_postgres(session):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})


def active_key(session: Session) -> SigningKey:
    """The active key, generated at first use."""
    key = session.scalars(sa.select(SigningKey).where(SigningKey.active)
                          .order_by(SigningKey.created_at.desc())).first()
    if key is not None:
        return key
    _lock(session)
    key = session.scalars(sa.select(SigningKey).where(SigningKey.active)).first()
    if key is None:
        key = _generate()
        session.add(key)
        session.flush()
    return key


def rotate(session: Session) -> SigningKey:
    """A new active key; the previous one stays published so tokens it signed still verify."""
    _lock(session)
    session.execute(sa.update(SigningKey).values(active=False))
    key = _generate()
    session.add(key)
    session.flush()
    return key


def jwks(session: Session) -> dict:
    keys = session.scalars(sa.select(SigningKey).order_by(SigningKey.created_at.desc())
                           .limit(PUBLISHED_KEYS)).all()
    return {"keys": [k.public_jwk for k in keys]}


def claims_for(user: User, issuer: str, now: int | None = None) -> dict:
    now = int(now or time.time())
    return {
        "iss": issuer, "aud": AUDIENCE, "sub": user.id, "iat": now, "exp": now + TOKEN_TTL,
        "jti": uuid.uuid4().hex, "profile": user.profile,
        "perms": sorted(permissions_for(user.profile, user.missions or [])),
        "missions": list(user.missions or []), "network_id": user.network_id,
        "structure_ids": list(user.structure_ids or []), "name": user.name,
    }


def issue_token(session: Session, user: User, issuer: str) -> str:
    key = active_key(session)
    return jwt.encode(claims_for(user, issuer), key.private_pem, algorithm="RS256",
                      headers={"kid": key.kid})


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
