"""Identity's HTTP API (flask-smorest blueprints)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from flask.views import MethodView
from sqlalchemy.orm import Session

from services.chassis import ratelimit
from services.chassis.auth import current_principal, require
from services.chassis.errors import ApiError
from services.chassis.permissions import Permission
from services.chassis.web import Blueprint, client_address, db_of, settings_of
from services.identity import keys, service
from services.identity.domain import Actor
from services.identity.models import User
from services.identity.schemas import (
    ChangePasswordIn,
    InvitationOut,
    LinkStateOut,
    LoginIn,
    NetworkIn,
    NetworkOut,
    NetworkPage,
    NetworkPatch,
    PageArgs,
    PasswordLinkIn,
    PasswordResetIn,
    PreferencesIn,
    RefreshIn,
    SetPasswordIn,
    StructureArgs,
    StructureImportIn,
    StructureImportOut,
    StructureIn,
    StructureOut,
    StructurePage,
    StructurePatch,
    TokenOut,
    UserArgs,
    UserIn,
    UserOut,
    UserPage,
    UserPatch,
)

auth = Blueprint("auth", __name__, description="Login, tokens and passwords")
me = Blueprint("me", __name__, description="The caller's own account")
networks = Blueprint("networks", __name__, description="Networks")
structures = Blueprint("structures", __name__, description="Structures (a tree per network)")
users = Blueprint("users", __name__, description="Users, profiles and missions")

# Login throttling counts failures only, in three buckets (docs/security.md, "Keys and sessions"):
# one account from one address, one address whatever the account, and one account from
# everywhere. Past the last, only addresses the account signed in from lately still get in:
# failing someone's password from elsewhere never locks them out where they work.
DEFAULT_LIMITS = {"login_account_address_limit": "5/minute",
                  "login_address_limit": "20/minute",
                  "login_account_limit": "20/minute",
                  "reset_address_limit": "10/minute",
                  "invitation_limit": "5/hour"}


def _limit(name: str) -> str:
    return settings_of().extra.get(name, DEFAULT_LIMITS[name])


def _throttle(key: str, limit_name: str) -> None:
    with db_of().transaction() as session:
        ratelimit.hit(session, key, _limit(limit_name))


def _count_failure(limits: dict[str, str]) -> None:
    """One failure more in each bucket, in one transaction; 429 when one is now past its limit."""
    refused = None
    with db_of().transaction() as session:
        for key, limit_name in limits.items():
            try:
                ratelimit.hit(session, key, _limit(limit_name), commit=False)
            except ApiError as exc:
                refused = refused or exc
    if refused is not None:
        raise refused


def _waits(limits: dict[str, str]) -> dict[str, int]:
    """Seconds to wait, for each bucket that already spent its allowance in this window (a
    peek: nothing is counted)."""
    with db_of().transaction() as session:
        return service.waits(session, {key: _limit(name) for key, name in limits.items()})


@dataclass(frozen=True)
class _Acting:
    session: Session
    user: User
    actor: Actor


@contextmanager
def _acting() -> Iterator[_Acting]:
    """The caller's account and session for one transaction (a deactivated account is 401)."""
    principal = current_principal()
    with db_of().transaction() as session:
        yield _Acting(session, *service.load_actor(session, principal.user_id))


def key_source():
    return current_app.extensions["identity_keys"]


@auth.route("/.well-known/jwks.json")
@auth.response(200)
def jwks():
    """Public keys that verify identity's tokens (the one signing now, and the previous ones
    while tokens they signed may live)."""
    with db_of().transaction() as session:
        keys.current_key(session, key_source())
    with db_of().transaction() as session:
        return keys.jwks(session)


@auth.route("/auth/token", methods=["POST"])
@auth.arguments(LoginIn)
@auth.response(200, TokenOut)
def login(data):
    """Exchange an e-mail and password for a 15-minute access token and a session."""
    email = data["email"].strip().lower()
    address = client_address()
    # Only failures count, so the users behind one address never lock each other out.
    account = service.rate_key("login:account", email)
    limits = {service.rate_key("login:account-address", email, address):
              "login_account_address_limit",
              service.rate_key("login:address", address): "login_address_limit",
              account: "login_account_limit"}
    waits = _waits(limits)
    for key, retry_after in waits.items():
        if key != account:
            raise service.throttled(retry_after)
    with db_of().transaction() as session:
        tokens = service.sign_in(session, key_source(), settings_of().jwt_issuer, email,
                                 data["password"], address, locked_for=waits.get(account))
    if tokens is None:
        _count_failure(limits)
        raise ApiError(401, "invalid_credentials", "Adresse e-mail ou mot de passe incorrect.")
    return _tokens(*tokens)


def _tokens(access: str, refresh: str) -> dict:
    return {"access_token": access, "token_type": "Bearer", "expires_in": keys.TOKEN_TTL,
            "refresh_token": refresh,
            "refresh_expires_in": int(service.SESSION_IDLE.total_seconds())}


@auth.route("/auth/refresh", methods=["POST"])
@auth.arguments(RefreshIn)
@auth.response(200, TokenOut)
def refresh(data):
    """A new access token for a live session (the user's current rights, checked again), and a
    new refresh token that replaces the one sent: a replaced one used again ends the session."""
    key = service.rate_key("refresh:address", client_address())
    waiting = _waits({key: "login_address_limit"}).get(key)  # failures only, as for logins
    if waiting is not None:
        raise service.throttled(waiting)
    with db_of().transaction() as session:
        tokens = service.renew(session, key_source(), settings_of().jwt_issuer,
                               data["refresh_token"])
    if tokens is None:
        _count_failure({key: "login_address_limit"})
        raise ApiError(401, "session_expired", "Votre session a expiré. Veuillez vous reconnecter.")
    return _tokens(*tokens)


@auth.route("/auth/logout", methods=["POST"])
@auth.arguments(RefreshIn)
@auth.response(204)
def logout(data):
    """End the session of this refresh token; its access tokens are refused at once everywhere."""
    with db_of().transaction() as session:
        service.end_session(session, data["refresh_token"])
    return None


@auth.route("/auth/password-reset", methods=["POST"])
@auth.arguments(PasswordResetIn)
@auth.response(202)
def password_reset(data):
    """Mail a reset link when the account exists; the answer is the same either way, and
    takes as long: the request is recorded, the worker mails the link within a few seconds."""
    _throttle(service.rate_key("reset:address", client_address()), "reset_address_limit")
    with db_of().transaction() as session:
        service.ask_reset(session, data["email"])
    return {"status": "accepted"}


@auth.route("/auth/password-link", methods=["POST"])
@auth.arguments(PasswordLinkIn)
@auth.response(200, LinkStateOut)
@auth.alt_response(410, description="Used, expired or unknown link (`errors.token`)")
def password_link(data):
    """Whether an invitation or reset link may still set a password (the token in the body,
    never in a URL); nothing changes."""
    with db_of().transaction() as session:
        service.check_password_link(session, data["token"])
    return {"state": "open"}


@auth.route("/auth/password", methods=["POST"])
@auth.arguments(SetPasswordIn)
@auth.response(200)
def set_password(data):
    """Set a password from an invitation or reset link (single use, 24 h)."""
    with db_of().transaction() as session:
        service.set_password_from_link(session, data["token"], data["password"])
    return {"status": "ok"}


@me.route("/me")
@me.response(200, UserOut)
def get_me():
    """The caller's account."""
    with _acting() as acting:
        return acting.user


@me.route("/me/password", methods=["POST"])
@me.arguments(ChangePasswordIn)
@me.response(200)
@me.alt_response(422, description="Wrong current password (`errors.current_password`) or a "
                                  "new one the policy refuses (`errors.password`)")
@me.alt_response(429, description="Too many wrong current passwords")
def change_password(data):
    """Change the caller's own password, giving the current one. Her other sessions end; this
    one goes on. Wrong current passwords are throttled as failed logins are."""
    principal = current_principal()
    limits = {service.rate_key("password:account", principal.user_id):
              "login_account_address_limit"}
    waiting = _waits(limits)
    if waiting:
        raise service.throttled(max(waiting.values()))
    with _acting() as acting:
        changed = service.change_own_password(
            acting.session, acting.user, data["current_password"], data["password"],
            principal.claims.get("sid"))
    if not changed:
        _count_failure(limits)
        raise ApiError(422, "invalid", service.WRONG_CURRENT_PASSWORD,
                       errors={"current_password": [service.WRONG_CURRENT_PASSWORD]})
    return {"status": "ok"}


@me.route("/me/preferences", methods=["PATCH"])
@me.arguments(PreferencesIn)
@me.response(200, UserOut)
def patch_preferences(data):
    """Change the caller's notification frequency."""
    with _acting() as acting:
        return service.set_preferences(acting.session, acting.user,
                                       data["notification_frequency"])


@networks.route("/networks")
class Networks(MethodView):
    @networks.arguments(PageArgs, location="query")
    @networks.response(200, NetworkPage)
    def get(self, args):
        """List networks."""
        with _acting() as acting:
            return service.list_networks(acting.session, args["page"], args["per_page"])

    @require(Permission.NETWORK_MANAGE)
    @networks.arguments(NetworkIn)
    @networks.response(201, NetworkOut)
    def post(self, data):
        """Create a network (admins)."""
        with _acting() as acting:
            return service.create_network(acting.session, acting.actor, data)


@networks.route("/networks/<string:network_id>")
class NetworkItem(MethodView):
    @networks.response(200, NetworkOut)
    def get(self, network_id):
        """One network (every signed-in user may read networks)."""
        with _acting() as acting:
            return service.get_network(acting.session, network_id)

    @require(Permission.NETWORK_MANAGE)
    @networks.arguments(NetworkPatch)
    @networks.response(200, NetworkOut)
    def patch(self, data, network_id):
        """Change a network's name, code, validation rule or target delay (admins);
        publishes network.updated."""
        with _acting() as acting:
            return service.update_network(acting.session, acting.actor, network_id, data)


@structures.route("/structures")
class Structures(MethodView):
    @structures.arguments(StructureArgs, location="query")
    @structures.response(200, StructurePage)
    def get(self, args):
        """Search structures by network, parent, or name / postal code / city."""
        with _acting() as acting:
            return service.search_structures(acting.session, acting.actor, args)

    @require(Permission.STRUCTURE_MANAGE)
    @structures.arguments(StructureIn)
    @structures.response(201, StructureOut)
    def post(self, data):
        """Create a structure (referents in their network, admins anywhere)."""
        with _acting() as acting:
            return service.create_structure(acting.session, acting.actor, data)


@structures.route("/structures/import", methods=["POST"])
@require(Permission.STRUCTURE_MANAGE)
@structures.arguments(StructureImportIn)
@structures.response(200, StructureImportOut)
def import_structures(data):
    """Import a network's structures from a CSV text (referents in their network, admins
    anywhere): the good rows are created, each bad row is reported with its line; a file that
    cannot be read (a missing column, a broken quote, too many rows) imports nothing (422)."""
    with _acting() as acting:
        report = service.import_structures(acting.session, acting.actor, data["network_id"],
                                           data["csv"])
    return {"created": report.created, "created_ids": report.created_ids,
            "errors": [{"line": e.line, "column": e.column, "message": e.message}
                       for e in report.errors]}


@structures.route("/structures/<string:structure_id>")
class StructureItem(MethodView):
    @structures.response(200, StructureOut)
    def get(self, structure_id):
        """One structure."""
        with _acting() as acting:
            return service.visible_structure(acting.session, acting.actor, structure_id)

    @require(Permission.STRUCTURE_MANAGE)
    @structures.arguments(StructurePatch)
    @structures.response(200, StructureOut)
    def patch(self, data, structure_id):
        """Change a structure (referents in their network, admins anywhere)."""
        with _acting() as acting:
            return service.update_structure(acting.session, acting.actor, structure_id, data)


@users.route("/users")
class Users(MethodView):
    @require(Permission.USER_MANAGE)
    @users.arguments(UserArgs, location="query")
    @users.response(200, UserPage)
    def get(self, args):
        """List users (referents see their network's)."""
        with _acting() as acting:
            return service.list_users(acting.session, acting.actor, args)

    @require(Permission.USER_MANAGE)
    @users.arguments(UserIn)
    @users.response(201, UserOut)
    def post(self, data):
        """Create a user; without a password they are invited to set one."""
        with _acting() as acting:
            return service.create_user(acting.session, acting.actor, data)


@users.route("/users/<string:user_id>")
class UserItem(MethodView):
    @require(Permission.USER_MANAGE)
    @users.response(200, UserOut)
    def get(self, user_id):
        """One user."""
        with _acting() as acting:
            return service.get_user_for(acting.session, acting.actor, user_id)

    @require(Permission.USER_MANAGE)
    @users.arguments(UserPatch)
    @users.response(200, UserOut)
    def patch(self, data, user_id):
        """Change a user; `active: false` deactivates them."""
        with _acting() as acting:
            return service.update_user(acting.session, acting.actor, user_id, data)


@users.route("/users/<string:user_id>/invitation", methods=["POST"])
@require(Permission.USER_MANAGE)
@users.response(202, InvitationOut)
def resend_invitation(user_id):
    """Send a new invitation link to an account that never chose its password; its earlier
    links stop working (`user.invited`, as at creation). 409 once a password is set."""
    with _acting() as acting:
        link = service.resend_invitation(acting.session, acting.actor, user_id,
                                         _limit("invitation_limit"))
    return {"user_id": link["user_id"], "expires_at": link["expires_at"]}


BLUEPRINTS: list = [auth, me, networks, structures, users]
