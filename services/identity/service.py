"""Identity's use cases: load, apply the domain rules, change, publish — one transaction each."""

from __future__ import annotations

import hashlib
import io
import logging
import random
import secrets
import time
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from services.chassis import clock, ratelimit
from services.chassis.auth import Principal
from services.chassis.catalogue import EventType
from services.chassis.db import Database, new_id
from services.chassis.errors import ApiError, Conflict, Forbidden, Gone, Invalid, NotFound
from services.chassis.events import publish
from services.chassis.pagination import page_of
from services.chassis.permissions import Profile
from services.identity import domain, keys, queries
from services.identity.domain import Actor, LinkPurpose, Refused
from services.identity.models import (
    LoginAddress,
    LoginSession,
    Network,
    RefreshToken,
    ResetRequest,
    Structure,
    User,
    UserLink,
    rate_limits,
)

if TYPE_CHECKING:
    from services.identity.import_structures import ImportReport

SERVICE = "identity"
LINK_TTL = timedelta(hours=24)
SESSION_IDLE = timedelta(hours=2)  # an agent away longer signs in again
SESSION_MAX = timedelta(hours=10)  # a working day, then sign in again
REFRESH_GRACE = timedelta(seconds=30)  # two requests of one page renewing with one token
KNOWN_ADDRESS_FOR = timedelta(days=90)
log = logging.getLogger(__name__)

hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified when the e-mail is unknown, so both failures cost the same time.
_DUMMY_HASH = hasher.hash("not-a-real-password-for-timing")


# ---- payloads (catalogue shapes) ----

def network_payload(n: Network) -> dict:
    return {"id": n.id, "code": n.code, "name": n.name,
            "requires_validation": n.requires_validation,
            "target_delay_days": n.target_delay_days}


def structure_payload(s: Structure) -> dict:
    return {"id": s.id, "network_id": s.network_id, "parent_id": s.parent_id, "name": s.name,
            "postal_code": s.postal_code, "city": s.city, "channels": list(s.channels or []),
            "active": s.active}


def user_payload(u: User) -> dict:
    return {"id": u.id, "email": u.email, "name": u.name, "profile": u.profile,
            "missions": list(u.missions or []), "network_id": u.network_id,
            "structure_ids": list(u.structure_ids or []),
            "notification_frequency": u.notification_frequency, "active": u.active,
            "activated": u.password_hash is not None}


# ---- passwords and login ----

def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if the e-mail and password match an active account; rehash on parameter change."""
    user = session.scalars(sa.select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.password_hash:
        try:
            hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def sign_in(session: Session, key_source: keys.KeySource, issuer: str, email: str,
            password: str, address: str, locked_for: int | None = None) -> tuple[str, str] | None:
    """An access token and a session's refresh token for a right e-mail and password, or None.
    While the account waits `locked_for` seconds (too many failures), only an address it
    signed in from lately gets in."""
    if locked_for is not None and not known_address(session, email, address):
        raise throttled(locked_for)
    user = authenticate(session, email, password)
    if user is None:
        return None
    login, refresh = open_session(session, user)
    token = keys.issue_token(session, key_source, user, issuer, login)
    remember_address(session, user, address)
    return token, refresh


def renew(session: Session, key_source: keys.KeySource, issuer: str, token: str) -> tuple[str, str] | None:
    """An access token and a new refresh token for a live session (`refresh_session`), or
    None."""
    renewed = refresh_session(session, token)
    if renewed is None:
        return None
    user, login, new_refresh = renewed
    return keys.issue_token(session, key_source, user, issuer, login), new_refresh


# ---- sessions (refresh tokens) ----

def _new_refresh(session: Session, session_id: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(RefreshToken(token_hash=domain.hash_link_token(token), session_id=session_id,
                             created_at=now))
    return token


def open_session(session: Session, user: User) -> tuple[LoginSession, str]:
    """A new login session and its first refresh token (only its hash is kept)."""
    now = clock.now()
    login = LoginSession(id=new_id(), user_id=user.id, created_at=now, last_used_at=now,
                         expires_at=now + SESSION_MAX)
    session.add(login)
    session.flush()
    return login, _new_refresh(session, login.id, now)


def _locked_session_of(session: Session, token: str) -> tuple[LoginSession, RefreshToken] | None:
    """The session of a refresh token, locked: every change to a session's tokens happens under
    this lock, so two renewals with one token run one after the other."""
    token_hash = domain.hash_link_token(token)
    session_id = session.scalar(sa.select(RefreshToken.session_id).where(
        RefreshToken.token_hash == token_hash))
    if session_id is None:
        return None
    login = session.scalars(sa.select(LoginSession).where(LoginSession.id == session_id)
                            .with_for_update()).one()
    return login, session.get(RefreshToken, token_hash, populate_existing=True)


def _over(login: LoginSession, now: datetime) -> bool:
    return login.ended_at is not None or clock.as_utc(login.expires_at) <= now \
        or clock.as_utc(login.last_used_at) + SESSION_IDLE <= now


def refresh_session(session: Session, token: str) -> tuple[User, LoginSession, str] | None:
    """Renew a live session: the token used is replaced by the one returned.

    A replaced token presented again within `REFRESH_GRACE` comes from a second request of the
    same page (it gets a token of its own); later, it was copied: the session ends, for its
    thief and its owner alike.
    """
    found = _locked_session_of(session, token)
    if found is None:
        return None
    login, used = found
    now = clock.now()
    if _over(login, now):
        if login.ended_at is None:
            login.ended_at, login.ended_reason = now, "expired"
        return None
    if used.replaced_at is not None and now - clock.as_utc(used.replaced_at) > REFRESH_GRACE:
        log.warning("refresh token used again: session ended",
                    extra={"session_id": login.id, "user_id": login.user_id})
        _end(session, [login], "refresh_reused", now)
        return None
    user = session.get(User, login.user_id)
    if user is None or not user.active:
        login.ended_at, login.ended_reason = now, "deactivated"
        return None
    if used.replaced_at is None:  # this token, and any sibling of a grace use, are spent
        session.execute(sa.update(RefreshToken).where(
            RefreshToken.session_id == login.id, RefreshToken.replaced_at.is_(None))
            .values(replaced_at=now))
    login.last_used_at = now
    return user, login, _new_refresh(session, login.id, now)


def _end(session: Session, logins: list[LoginSession], reason: str, now: datetime) -> None:
    """End sessions; those whose access tokens may still live are revoked in every service."""
    recent = now - timedelta(seconds=keys.TOKEN_TTL + 300)
    for login in logins:
        login.ended_at, login.ended_reason = now, reason
    live = [login.id for login in logins if clock.as_utc(login.last_used_at) > recent]
    if live:
        publish(session, EventType.USER_SESSIONS_REVOKED,
                {"user_id": logins[0].user_id, "session_ids": live, "reason": reason},
                producer=SERVICE)


def end_session(session: Session, token: str) -> None:
    """Logout: the session of this refresh token (any of its tokens) ends."""
    found = _locked_session_of(session, token)
    if found is not None and found[0].ended_at is None:
        _end(session, [found[0]], "logout", clock.now())


def end_sessions_of(session: Session, user_id: str, reason: str,
                    keep: str | None = None) -> None:
    """A new password, a deactivation or fewer rights sign the user out everywhere (but in the
    session `keep`, where the user changed her own password)."""
    logins = session.scalars(sa.select(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.ended_at.is_(None),
        LoginSession.id != (keep or ""))
        .order_by(LoginSession.id).with_for_update()).all()
    if logins:
        _end(session, list(logins), reason, clock.now())


_SESSION_STATE = sa.select(LoginSession.ended_at).where(LoginSession.id == sa.bindparam("sid"))


def check_session(db: Database, principal: Principal) -> None:
    """identity's own check of every token: 401 once its session has ended."""
    sid = principal.claims.get("sid")
    if sid is None:
        return  # issued before sessions named their tokens; load_actor still checks the account
    with db.engine.connect() as connection:
        row = connection.execute(_SESSION_STATE, {"sid": str(sid)}).first()
    if row is None or row.ended_at is not None:
        raise ApiError(401, "session_revoked", "Votre session a pris fin. Veuillez vous reconnecter.")


# ---- throttling: rate-limit keys, and the addresses an account signed in from ----

def rate_key(kind: str, *parts: str) -> str:
    """A rate-limit key of bounded length (an e-mail or a forwarded address can be long)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{kind}:{digest[:40]}"


def throttled(retry_after: int) -> ApiError:
    error = ApiError(429, "rate_limited", "Trop de tentatives de connexion : réessayez dans "
                     f"{retry_after} secondes.")
    error.retry_after = retry_after
    return error


def waits(session: Session, limits: dict[str, str]) -> dict[str, int]:
    """Seconds to wait, for each key (with its limit) that already spent its allowance in
    this window: a peek, nothing is counted."""
    now, found = time.time(), {}
    for key, spec in limits.items():
        limit, period = ratelimit.parse_limit(spec)
        window = int(now // period) * period
        count = session.scalar(sa.select(rate_limits.c.count).where(
            rate_limits.c.key == key, rate_limits.c.window_start == window)) or 0
        if count >= limit:
            found[key] = int(window + period - now) + 1
    return found


def _address_hash(address: str) -> str:
    return hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()


def known_address(session: Session, email: str, address: str) -> bool:
    """Has this account signed in from this address lately?"""
    since = clock.now() - KNOWN_ADDRESS_FOR
    return session.scalar(sa.select(LoginAddress.user_id).join(
        User, User.id == LoginAddress.user_id).where(
        User.email == email, LoginAddress.address_hash == _address_hash(address),
        LoginAddress.last_success_at > since)) is not None


def remember_address(session: Session, user: User, address: str) -> None:
    now = clock.now()
    bind = session.get_bind()
    insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
    table = LoginAddress.__table__
    session.execute(insert(table).values(
        user_id=user.id, address_hash=_address_hash(address), last_success_at=now,
    ).on_conflict_do_update(index_elements=[table.c.user_id, table.c.address_hash],
                            set_={"last_success_at": now}))
    if random.random() < 0.01:
        session.execute(sa.delete(LoginAddress).where(
            LoginAddress.last_success_at < now - KNOWN_ADDRESS_FOR))


# ---- links ----

def _retire_links(session: Session, user_id: str, now: datetime) -> None:
    """Every invitation and reset link of the user dies (a new password, a deactivation)."""
    session.execute(sa.update(UserLink).where(UserLink.user_id == user_id,
                                              UserLink.used_at.is_(None)).values(used_at=now))


def _password_changed(session: Session, user: User, keep: str | None = None) -> None:
    _retire_links(session, user.id, clock.now())
    end_sessions_of(session, user.id, "password_changed", keep)


WRONG_CURRENT_PASSWORD = "Le mot de passe actuel est incorrect."


def change_own_password(session: Session, user: User, current: str, new: str,
                        session_id: str | None) -> bool:
    """The signed-in user's new password, given her current one: False (nothing changed) when
    that one is wrong. Her other sessions end and her links die; this session goes on."""
    try:
        hasher.verify(user.password_hash or _DUMMY_HASH, current)
    except (VerificationError, InvalidHashError):
        return False
    if not user.password_hash:
        return False
    domain.check_password(new)
    if new == current:
        raise Invalid("Le nouveau mot de passe doit être différent de l'actuel.", field="password")
    user.password_hash = hasher.hash(new)
    _password_changed(session, user, keep=session_id)
    return True


def _new_link(session: Session, user: User, purpose: LinkPurpose) -> dict:
    token = secrets.token_urlsafe(32)
    expires_at = clock.now() + LINK_TTL
    session.add(UserLink(user_id=user.id, purpose=purpose.value,
                         token_hash=domain.hash_link_token(token), expires_at=expires_at))
    return {"user_id": user.id, "email": user.email, "name": user.name, "token": token,
            "expires_at": expires_at}


# Reset e-mails one account receives in an hour at most, whatever addresses ask: a requester
# changing addresses cannot flood a mailbox. The answer stays the same beyond it.
RESETS_PER_ACCOUNT_HOUR = 3


def _resets_in_last_hour(session: Session, user_id: str) -> int:
    # A link is made valid for LINK_TTL: one made within the hour expires beyond now + TTL - 1 h.
    since = clock.now() + LINK_TTL - timedelta(hours=1)
    return session.scalar(sa.select(sa.func.count()).select_from(UserLink).where(
        UserLink.user_id == user_id, UserLink.purpose == LinkPurpose.RESET.value,
        UserLink.expires_at > since)) or 0


def ask_reset(session: Session, email: str) -> None:
    """Record a « mot de passe oublié » request for `handle_resets`: one insert, whatever the
    address, so the answer's time says nothing of the account (a known one used to cost a link
    and an event more)."""
    session.add(ResetRequest(email=email.strip().lower()))


RESETS_PER_RUN = 50
_PENDING_RESETS = (sa.select(ResetRequest).order_by(ResetRequest.requested_at, ResetRequest.id)
                   .limit(RESETS_PER_RUN).with_for_update(skip_locked=True))
_ANY_RESET = sa.select(ResetRequest.id).limit(1)  # unlocked: SQLite's lock is the whole file


def handle_resets(session: Session) -> int:
    """Mail a reset link for each recorded request whose address has an active account
    (within `RESETS_PER_ACCOUNT_HOUR`), and forget the requests; returns how many were read.
    Locked rows are skipped: worker replicas share the requests."""
    if session.scalar(_ANY_RESET) is None:
        return 0
    requests = session.scalars(_PENDING_RESETS).all()
    for request in requests:
        _reset(session, request.email)
        session.delete(request)
    return len(requests)


def _reset(session: Session, email: str) -> None:
    """`email` as `ask_reset` recorded it: trimmed and lower-case already."""
    user = session.scalars(sa.select(User).where(User.email == email)).first()
    if user is None or not user.active:
        return
    if _resets_in_last_hour(session, user.id) >= RESETS_PER_ACCOUNT_HOUR:
        return
    publish(session, EventType.USER_PASSWORD_RESET_REQUESTED,
            _new_link(session, user, LinkPurpose.RESET), producer=SERVICE)


def operator_reset_link(session: Session, email: str) -> dict | None:
    """A reset link for the active account of `email`, for an operator to hand over
    (`services/identity/recover.py`): the one « Mot de passe oublié » e-mails, not e-mailed."""
    user = session.scalars(sa.select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active:
        return None
    return _new_link(session, user, LinkPurpose.RESET)


_LINK_REFUSED = "Lien invalide, déjà utilisé ou expiré."


def _usable_link(session: Session, token: str, now: datetime,
                 lock: bool = False) -> tuple[UserLink, User] | None:
    """The link of `token` and its user, while it may set a password: unused, unexpired, and
    its user active."""
    query = sa.select(UserLink).where(UserLink.token_hash == domain.hash_link_token(token))
    link = session.scalars(query.with_for_update() if lock else query).first()
    if link is None or link.used_at is not None or clock.as_utc(link.expires_at) < now:
        return None
    # Locked with the link: a change made meanwhile (a deactivation) is read, not overwritten.
    user = session.get(User, link.user_id, with_for_update=True if lock else None)
    return (link, user) if user is not None and user.active else None


def check_password_link(session: Session, token: str) -> None:
    """410 when the link can no longer set a password, so the page says so before the form."""
    if _usable_link(session, token, clock.now()) is None:
        raise Gone(_LINK_REFUSED, field="token")


def set_password_from_link(session: Session, token: str, password: str) -> User:
    now = clock.now()
    usable = _usable_link(session, token, now, lock=True)
    if usable is None:
        raise Invalid(_LINK_REFUSED, field="token")
    link, user = usable
    domain.check_password(password)
    activating = user.password_hash is None
    user.password_hash = hasher.hash(password)
    link.used_at = now
    _password_changed(session, user)  # the other links die with the old password
    if activating:  # the invitation was answered: the address is the user's, mail may follow
        publish(session, EventType.USER_UPDATED, user_payload(user), producer=SERVICE)
    return user


# ---- first administrator ----

class AdminBootstrap(StrEnum):
    """What the start-up did with SPP_ADMIN_EMAIL / SPP_ADMIN_PASSWORD (`make up` says it)."""

    CREATED = "created"
    USERS_EXIST = "users_exist"  # the accounts are kept; the variables were not used
    NOT_SET = "not_set"
    NO_TABLES = "no_tables"


class AdminPasswordRefused(RuntimeError):
    """SPP_ADMIN_PASSWORD fails the password policy: no admin, and the start stops."""


def bootstrap_admin(db: Database, email: str | None, password: str | None) -> AdminBootstrap:
    """Create the first admin when no user exists; safe when several workers race.

    The password policy of every other password applies; a refused one raises
    AdminPasswordRefused (one line for the operator), only when the admin would be created:
    an existing platform restarts whatever the variables hold.
    """
    if not email or not password:
        return AdminBootstrap.NOT_SET
    try:
        with db.transaction() as session:
            if session.scalar(sa.select(sa.func.count()).select_from(User)):
                return AdminBootstrap.USERS_EXIST
            refusal = domain.admin_password_refusal(password)
            if refusal:
                raise AdminPasswordRefused(refusal)
            user = User(email=email.strip().lower(), name="Administrateur",
                        password_hash=hasher.hash(password), profile=Profile.ADMIN.value,
                        missions=[], structure_ids=[], notification_frequency="immediate",
                        active=True)
            session.add(user)
            session.flush()
            publish(session, EventType.USER_CREATED, user_payload(user), producer=SERVICE)
        log.info("first administrator created")
        return AdminBootstrap.CREATED
    except IntegrityError:
        return AdminBootstrap.USERS_EXIST  # another worker created it first
    except (OperationalError, ProgrammingError):
        log.warning("identity tables missing: first administrator not created")
        return AdminBootstrap.NO_TABLES


# ---- the acting user ----

def load_actor(session: Session, user_id: str) -> tuple[User, Actor]:
    """identity checks its own database on every call: deactivation takes effect at once."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise ApiError(401, "unauthorized", "Compte inconnu ou désactivé.")
    return user, Actor(user.id, user.profile, user.network_id)


# ---- networks and structures ----

_CODE_TAKEN = "Ce code de réseau existe déjà."


def _check_code_free(session: Session, code: str, network_id: str | None = None) -> None:
    other = session.scalar(sa.select(Network.id).where(
        sa.func.lower(Network.code) == code.lower()))
    if other is not None and other != network_id:
        raise Conflict(_CODE_TAKEN, field="code")


def _flush_or_taken(session: Session, message: str, field: str) -> None:
    """Flush; a unique value a concurrent request took meanwhile (past our own look for it)
    is the same conflict as one taken before."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(message, field=field) from None


def _flush_network(session: Session) -> None:
    _flush_or_taken(session, _CODE_TAKEN, "code")


def create_network(session: Session, actor: Actor, data: dict) -> Network:
    if not domain.is_admin(actor):
        raise Forbidden("Seul un administrateur crée un réseau.")
    _check_code_free(session, data["code"])
    network = Network(**data)
    session.add(network)
    _flush_network(session)
    publish(session, EventType.NETWORK_CREATED, network_payload(network), producer=SERVICE)
    return network


def list_networks(session: Session, page: int, per_page: int) -> dict:
    """Every signed-in user may read networks."""
    return page_of(session, queries.networks(), page, per_page)


def get_network(session: Session, network_id: str) -> Network:
    network = session.get(Network, network_id)
    if network is None:
        raise NotFound("Réseau introuvable.")
    return network


def _locked(session: Session, row):
    """The row read again under its lock, before a change: its event carries the whole row, and
    consumers keep the latest event's. Two changes at once each publish what the other made."""
    session.refresh(row, with_for_update=True)
    return row


def update_network(session: Session, actor: Actor, network_id: str, data: dict) -> Network:
    """Change a network's name, code, validation rule or target delay (admins)."""
    network = _locked(session, get_network(session, network_id))
    if not domain.is_admin(actor):
        raise Forbidden("Seul un administrateur modifie un réseau.")
    if "code" in data:
        _check_code_free(session, data["code"], network.id)
    for key, value in data.items():
        setattr(network, key, value)
    _flush_network(session)
    publish(session, EventType.NETWORK_UPDATED, network_payload(network), producer=SERVICE)
    return network


def _check_parent(session: Session, structure_id: str | None, network_id: str,
                  parent_id: str, active: bool = True) -> None:
    parent = session.get(Structure, parent_id)
    domain.check_parent(structure_id, network_id, parent.network_id if parent else None,
                        queries.ancestors(session, parent_id) if parent else [],
                        parent_active=bool(parent and parent.active), active=active)


def _existing_network(session: Session, network_id: str) -> Network:
    """The network a request names (a 422 on that field when it does not exist)."""
    network = session.get(Network, network_id)
    if network is None:
        raise Invalid("Réseau introuvable.", field="network_id")
    return network


def search_structures(session: Session, actor: Actor, args: dict) -> dict:
    """Structures by network, parent, or name / postal code / city: one page."""
    query = queries.structures(network_id=args.get("network_id"),
                               parent_id=args.get("parent_id"), q=args.get("q"))
    if not domain.reads_every_network(actor):  # another network's tree is not ours
        query = query.where(Structure.network_id == actor.network_id)
    return page_of(session, query, args["page"], args["per_page"])


def visible_structure(session: Session, actor: Actor, structure_id: str) -> Structure:
    """The structure if the caller may see it: another network's is 404, not even shown."""
    structure = session.get(Structure, structure_id)
    if structure is None or not (domain.reads_every_network(actor)
                                 or structure.network_id == actor.network_id):
        raise NotFound("Structure introuvable.")
    return structure


def create_structure(session: Session, actor: Actor, data: dict) -> Structure:
    _existing_network(session, data["network_id"])
    domain.check_network_scope(actor, data["network_id"])
    if data.get("parent_id"):
        _check_parent(session, None, data["network_id"], data["parent_id"])
    structure = Structure(**data)
    session.add(structure)
    session.flush()
    publish(session, EventType.STRUCTURE_CREATED, structure_payload(structure), producer=SERVICE)
    return structure


def import_structures(session: Session, actor: Actor, network_id: str,
                      text: str) -> ImportReport:
    """A network's structures from a CSV text (referents in their network, admins anywhere):
    the good rows are created, each bad row is reported; a file that cannot be read imports
    nothing (422)."""
    # imported here: import_structures builds on this module's payloads
    from services.identity.import_structures import Unreadable, import_into

    network = _existing_network(session, network_id)
    domain.check_network_scope(actor, network.id)
    try:
        return import_into(session, network, io.StringIO(text))
    except Unreadable as exc:
        raise Invalid(f"Fichier illisible : {exc}.", field="csv") from None


def update_structure(session: Session, actor: Actor, structure_id: str, data: dict) -> Structure:
    """Change, move (another parent of the same network, never under itself) or (de)activate."""
    structure = _locked(session, visible_structure(session, actor, structure_id))
    domain.check_network_scope(actor, structure.network_id)
    active = data.get("active", structure.active)
    parent_id = data["parent_id"] if "parent_id" in data else structure.parent_id
    if parent_id and parent_id != structure.parent_id:
        _check_parent(session, structure.id, structure.network_id, parent_id, active)
    elif parent_id and active and not structure.active:
        parent = session.get(Structure, parent_id)
        domain.check_reactivation(parent is None or parent.active)
    if structure.active and not active:
        domain.check_deactivation(queries.active_children(session, structure.id))
    for key, value in data.items():
        setattr(structure, key, value)
    session.flush()
    publish(session, EventType.STRUCTURE_UPDATED, structure_payload(structure), producer=SERVICE)
    return structure


# ---- users ----

def _check_structures(session: Session, structure_ids: list[str], network_id: str | None) -> None:
    if not structure_ids:
        return
    domain.check_structures_in_network(queries.networks_of(session, structure_ids),
                                       structure_ids, network_id)


_EMAIL_TAKEN = "Cette adresse e-mail est déjà utilisée."


def _check_email_free(session: Session, email: str, user_id: str | None = None) -> None:
    other = session.scalars(sa.select(User).where(User.email == email)).first()
    if other is not None and other.id != user_id:
        raise Conflict(_EMAIL_TAKEN, field="email")


def _flush_user(session: Session) -> None:
    _flush_or_taken(session, _EMAIL_TAKEN, "email")


def _without_repeats(data: dict) -> None:
    """["answer", "answer"] or a structure listed twice means it once."""
    for key in ("missions", "structure_ids"):
        if data.get(key) is not None:
            data[key] = list(dict.fromkeys(data[key]))


def create_user(session: Session, actor: Actor, data: dict) -> User:
    data = dict(data)
    _without_repeats(data)
    data["email"] = data["email"].strip().lower()
    if not domain.is_admin(actor) and data.get("network_id") is None \
            and data["profile"] != Profile.MODERATOR:
        data["network_id"] = actor.network_id  # a referent's users land in its network
    domain.check_grant(actor, data["profile"])
    domain.check_user_placement(data["profile"], data["network_id"])
    if data["network_id"] is not None:
        _existing_network(session, data["network_id"])
        domain.check_network_scope(actor, data["network_id"])
    _check_structures(session, data["structure_ids"], data["network_id"])
    _check_email_free(session, data["email"])
    password = data.pop("password", None)
    if password is not None:
        domain.check_password(password)
    user = User(**data, password_hash=hasher.hash(password) if password else None,
                notification_frequency=domain.NotificationFrequency.IMMEDIATE.value, active=True)
    session.add(user)
    _flush_user(session)
    publish(session, EventType.USER_CREATED, user_payload(user), producer=SERVICE)
    if password is None:
        publish(session, EventType.USER_INVITED, _new_link(session, user, LinkPurpose.INVITATION),
                producer=SERVICE)
    return user


def update_user(session: Session, actor: Actor, user_id: str, data: dict) -> User:
    """Change a user; `active: false` deactivates them."""
    user = _locked(session, get_user_for(session, actor, user_id))
    domain.check_manage_user(actor, user.profile, user.network_id)
    data = dict(data)
    _without_repeats(data)
    if "email" in data:
        data["email"] = data["email"].strip().lower()
        _check_email_free(session, data["email"], user.id)
    profile = data.get("profile", user.profile)
    network_id = data["network_id"] if "network_id" in data else user.network_id
    if "profile" in data and data["profile"] in (Profile.MODERATOR, Profile.ADMIN) \
            and "network_id" not in data:
        network_id = None  # becoming a moderator or an admin leaves the network
        data["network_id"] = None
    domain.check_grant(actor, profile)
    domain.check_user_placement(profile, network_id)
    if network_id is not None:
        _existing_network(session, network_id)
        domain.check_network_scope(actor, network_id)
    structure_ids = data.get("structure_ids", user.structure_ids or [])
    if network_id != user.network_id and "structure_ids" not in data:
        structure_ids = data["structure_ids"] = []
    _check_structures(session, structure_ids, network_id)
    if actor.user_id == user.id and data.get("active") is False:
        raise Refused("forbidden", "Vous ne pouvez pas désactiver votre propre compte.", "active")
    password = data.pop("password", None)
    if password is not None:
        domain.check_password(password)
        user.password_hash = hasher.hash(password)
        _password_changed(session, user)
    was_active = user.active
    before = _rights(user)
    moved = "email" in data and data["email"] != user.email
    for key, value in data.items():
        setattr(user, key, value)
    _flush_user(session)  # before the session queries below would flush it unguarded
    if not user.active:
        _retire_links(session, user.id, clock.now())
        end_sessions_of(session, user.id, "deactivated")
    elif domain.loses_rights(before, _rights(user)):
        end_sessions_of(session, user.id, "rights_reduced")
    if moved and user.active:
        # The links mailed to the old address (a typo's stranger, a former mailbox) die with
        # it; an invitation not yet answered goes again, to the new one.
        _retire_links(session, user.id, clock.now())
    session.flush()
    event = EventType.USER_DEACTIVATED if was_active and not user.active \
        else EventType.USER_UPDATED
    publish(session, event, user_payload(user), producer=SERVICE)
    if moved and user.active and user.password_hash is None:
        publish(session, EventType.USER_INVITED, _new_link(session, user, LinkPurpose.INVITATION),
                producer=SERVICE)
    return user


def resend_invitation(session: Session, actor: Actor, user_id: str, limit: str) -> dict:
    """A new invitation link for an account that never chose its password; the old links die.
    `limit` bounds how many a user is sent.

    The user's row is locked first, so two clicks leave exactly one live link."""
    user = get_user_for(session, actor, user_id)
    ratelimit.hit(session, rate_key("invitation:user", user.id), limit, commit=False)
    domain.check_manage_user(actor, user.profile, user.network_id)
    session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    session.refresh(user)
    domain.check_invitation(user.active, user.password_hash is not None)
    now = clock.now()
    _retire_links(session, user.id, now)
    link = _new_link(session, user, LinkPurpose.INVITATION)
    publish(session, EventType.USER_INVITED, link, producer=SERVICE)
    return link


def _rights(user: User) -> dict:
    return {"profile": user.profile, "missions": list(user.missions or []),
            "network_id": user.network_id, "structure_ids": list(user.structure_ids or [])}


def get_user_for(session: Session, actor: Actor, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Utilisateur introuvable.")
    if not domain.is_admin(actor) and user.network_id != actor.network_id:
        raise NotFound("Utilisateur introuvable.")  # other networks' users are not even visible
    return user


def list_users(session: Session, actor: Actor, args: dict) -> dict:
    """Users by e-mail (referents see their network's): one page."""
    query = queries.users(profile=args.get("profile"), q=args.get("q"))
    if actor.profile != Profile.ADMIN:
        query = query.where(User.network_id == actor.network_id)
    elif args.get("network_id"):
        query = query.where(User.network_id == args["network_id"])
    return page_of(session, query, args["page"], args["per_page"])


def set_preferences(session: Session, user: User, frequency: str) -> User:
    _locked(session, user)
    user.notification_frequency = frequency
    session.flush()
    publish(session, EventType.USER_UPDATED, user_payload(user), producer=SERVICE)
    return user
