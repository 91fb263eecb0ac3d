"""What the signed-in user may do, read from the permissions their token carries."""

from __future__ import annotations

import functools

from flask import abort

from services.chassis.permissions import permissions_for
from services.gateway.auth import current_user, login_required
from services.gateway.calls import calling
from services.gateway.presenters import token_claims


def claims() -> dict:
    """The current token's claims (not verified: the services check the token)."""
    user = current_user()
    return token_claims(user.token) if user else {}


def may(permission: str) -> bool:
    """Whether the token grants `permission`; only to adapt the pages, the services decide."""
    found = claims()
    if not found:
        return False
    perms = found.get("perms")
    if not isinstance(perms, list):  # an older token: derive them from the profile
        try:
            perms = permissions_for(str(found.get("profile", "")), found.get("missions") or [])
        except ValueError:
            return False
    return permission in perms


def permission_required(permission: str):
    """Log in first, then 403 when the token lacks `permission`."""

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not may(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def my_structures(identity, token: str) -> list[dict]:
    """Structures the user may pick: the network's for referents, their own for the others."""
    found = claims()
    if found.get("profile") in ("referent", "admin"):
        return identity.get_all("/structures", token=token,
                                params={"network_id": found.get("network_id")})
    structures = []
    for structure_id in found.get("structure_ids") or []:
        structure = {"id": structure_id, "name": str(structure_id)}  # a vanished one, by its id
        with calling():
            structure = identity.get(f"/structures/{structure_id}", token=token)
        structures.append(structure)
    return structures
