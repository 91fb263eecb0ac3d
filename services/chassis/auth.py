"""Access tokens: RS256 JWTs from identity, verified against its JWKS with a fixed algorithm list."""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt
from flask import current_app, g, request

from services.chassis import revocation
from services.chassis.errors import ApiError

ALGORITHMS = ["RS256"]
LEEWAY_S = 10


@dataclass(frozen=True)
class Principal:
    """Who calls, what they may do, and where (network; structures as assigned)."""

    user_id: str
    profile: str
    permissions: frozenset[str] = frozenset()
    network_id: str | None = None
    structure_ids: tuple[str, ...] = ()
    missions: tuple[str, ...] = ()
    name: str = ""
    claims: dict = field(default_factory=dict, compare=False, repr=False)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @classmethod
    def from_claims(cls, claims: dict) -> Principal:
        return cls(
            user_id=str(claims["sub"]),
            profile=claims.get("profile", ""),
            permissions=frozenset(claims.get("perms", [])),
            network_id=claims.get("network_id"),
            structure_ids=tuple(claims.get("structure_ids", [])),
            missions=tuple(claims.get("missions", [])),
            name=claims.get("name", ""),
            claims=claims,
        )


class TokenVerifier:
    """Verifies tokens for one audience; keys come from identity's JWKS (cached by PyJWKClient).

    A token verified once is remembered until it expires, for at most `remember_s` (as long as
    the JWKS itself is cached): an agent's pages call the APIs many times with one token, and
    the signature check and parsing cost more than the rest of a small request.
    """

    def __init__(self, audience: str, issuer: str, jwks_url: str | None = None,
                 keys: dict | None = None, remember_s: float = 300, remember_max: int = 4096):
        self.audience = audience
        self.issuer = issuer
        self.remember_s = remember_s
        self.remember_max = remember_max
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5) \
            if jwks_url else None
        self._static = jwt.PyJWKSet.from_dict(keys) if keys else None

    def _key_for(self, token: str):
        if self._static is not None:
            kid = jwt.get_unverified_header(token).get("kid")
            for key in self._static.keys:
                if key.key_id == kid:
                    return key
            raise jwt.InvalidTokenError("unknown signing key")
        try:
            return self._client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise ApiError(503, "identity_unavailable",
                           "Le service d'identité ne répond pas.") from exc
        except jwt.PyJWKClientError as exc:
            raise jwt.InvalidTokenError(str(exc)) from exc

    def verify(self, token: str) -> Principal:
        now = time.time()
        remembered = self._verified.get(token)
        if remembered is not None:
            until, principal = remembered
            if now < until:
                return principal
        principal = self._verify(token)
        until = min(now + self.remember_s, principal.claims["exp"] + LEEWAY_S)
        with self._lock:
            self._verified[token] = (until, principal)
            while len(self._verified) > self.remember_max:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> Principal:
        try:
            key = self._key_for(token)
            claims = jwt.decode(
                token, key.key, algorithms=ALGORITHMS, audience=self.audience, issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub", "jti"]}, leeway=LEEWAY_S,
            )
        except jwt.InvalidTokenError as exc:
            raise ApiError(401, "invalid_token", f"Jeton refusé : {exc}") from None
        return Principal.from_claims(claims)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def current_principal(optional: bool = False) -> Principal | None:
    """The caller of this request (verified once and kept on `g`)."""
    if "principal" in g:
        return g.principal
    token = bearer_token()
    if token is None:
        if optional:
            g.principal = None
            return None
        raise ApiError(401, "unauthorized", "Authentification requise.")
    verifier: TokenVerifier = current_app.extensions["spp_verifier"]
    principal = verifier.verify(token)
    # After the verifier's memory: a session that ended a second ago is refused now.
    revoked = current_app.extensions.get("spp_revocation")
    if callable(revoked):  # identity reads its own sessions
        revoked(principal)
    elif revoked:
        with current_app.extensions["spp_db"].autocommit.connect() as connection:
            revocation.check(connection, principal.user_id, principal.claims.get("iat"),
                             principal.claims.get("sid"))
    g.principal = principal
    return g.principal


def require(*permissions: str, any_of: bool = False) -> Callable:
    """Decorator: the caller must be authenticated and hold every permission named (with
    `any_of`, one of them at least)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            missing = [p for p in permissions if not principal.can(p)]
            if missing and (not any_of or len(missing) == len(permissions)):
                raise ApiError(403, "forbidden", "Action non autorisée pour votre profil.",
                               {"permission": missing})
            return view(*args, **kwargs)

        return wrapper

    return decorator
