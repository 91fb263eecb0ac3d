"""Identity's pure rules: no Flask, no SQLAlchemy."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from services.chassis.permissions import GRANTABLE, Profile, permissions_for
from services.chassis.refusals import Conflict, DomainError, Forbidden, Invalid
from services.chassis.vocabulary import MIN_PASSWORD_LENGTH
from services.chassis.vocabulary import Channel as Channel  # noqa: F401
from services.chassis.vocabulary import NotificationFrequency as NotificationFrequency  # noqa: F401

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


class LinkPurpose(StrEnum):
    INVITATION = "invitation"
    RESET = "reset"


class Refused(DomainError):
    """A rule says no. `kind` chooses the answer: forbidden 403, conflict 409, invalid 422."""

    ANSWERS = {"forbidden": (Forbidden.status, Forbidden.code),
               "conflict": (Conflict.status, Conflict.code)}

    def __init__(self, kind: str, message: str, field: str | None = None):
        super().__init__(message, field)
        self.kind = kind
        self.status, self.code = self.ANSWERS.get(kind, (Invalid.status, Invalid.code))


class WeakPassword(Invalid):
    """Every problem of the password is listed under `password`; the first is the message."""

    def __init__(self, problems: list[str]):
        super().__init__(problems[0], listed={"password": problems})
        self.problems = problems


@dataclass(frozen=True)
class Actor:
    user_id: str
    profile: str
    network_id: str | None


def _load_common() -> frozenset[str]:
    try:
        return frozenset(line.strip().lower() for line in
                         COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
                         if line.strip())
    except FileNotFoundError:
        return frozenset()


COMMON_PASSWORDS = _load_common()


def _password_faults(password: str, common: frozenset[str]) -> list[str]:
    """The policy, once: length and a list of common passwords; no composition rules."""
    faults = []
    if len(password) < MIN_PASSWORD_LENGTH:
        faults.append("short")
    if password.lower() in common:
        faults.append("common")
    return faults


def password_problems(password: str, common: frozenset[str] = COMMON_PASSWORDS) -> list[str]:
    """What the user is told (French), one line per fault."""
    said = {"short": f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères.",
            "common": "Ce mot de passe est trop courant : choisissez-en un autre."}
    return [said[fault] for fault in _password_faults(password, common)]


def admin_password_refusal(password: str, common: frozenset[str] = COMMON_PASSWORDS) -> str | None:
    """The same policy for SPP_ADMIN_PASSWORD, said to the operator (English, one line), or None."""
    said = {"short": f"shorter than {MIN_PASSWORD_LENGTH} characters",
            "common": "in the list of common passwords"}
    faults = _password_faults(password, common)
    if not faults:
        return None
    reasons = " and ".join(said[fault] for fault in faults)
    return (f"SPP_ADMIN_PASSWORD is refused by the password policy ({reasons}): set a longer, "
            "uncommon one; the first administrator was not created.")


def check_password(password: str) -> None:
    problems = password_problems(password)
    if problems:
        raise WeakPassword(problems)


def hash_link_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def loses_rights(before: dict, after: dict) -> bool:
    """Would a token issued before this change let the user do something they no longer may?

    Another network, a structure or a mission taken away, or a profile whose permissions are
    not all kept: the tokens already issued are ended (a pure gain waits for the next renewal).
    `before` and `after` hold `profile`, `missions`, `network_id`, `structure_ids`.
    """
    if before["network_id"] != after["network_id"]:
        return True
    if set(before["structure_ids"] or []) - set(after["structure_ids"] or []):
        return True
    if set(before["missions"] or []) - set(after["missions"] or []):
        return True
    return bool(permissions_for(before["profile"], before["missions"] or [])
                - permissions_for(after["profile"], after["missions"] or []))


def is_admin(actor: Actor) -> bool:
    return actor.profile == Profile.ADMIN


def reads_every_network(actor: Actor) -> bool:
    """Admins and moderators (who route across networks) read every network's structures."""
    return actor.profile in (Profile.ADMIN, Profile.MODERATOR)


def check_network_scope(actor: Actor, network_id: str | None) -> None:
    """Admins act anywhere; the others only inside their own network."""
    if is_admin(actor):
        return
    if actor.network_id is None or network_id != actor.network_id:
        raise Refused("forbidden", "Vous ne pouvez agir que dans votre réseau.", "network_id")


def check_grant(actor: Actor, profile: str) -> None:
    """Nobody grants a profile above their own; referents at most super_agent."""
    if Profile(profile) not in GRANTABLE.get(Profile(actor.profile), frozenset()):
        raise Refused("forbidden", "Vous ne pouvez pas attribuer ce profil.", "profile")


def check_user_placement(profile: str, network_id: str | None) -> None:
    """Moderators and DITP admins belong to no network (an administration never moderates its
    own experiences); agents, super agents and referents belong to one."""
    if profile == Profile.MODERATOR and network_id is not None:
        raise Refused("invalid", "Un modérateur n'appartient à aucun réseau.", "network_id")
    if profile == Profile.ADMIN and network_id is not None:
        raise Refused("invalid", "Un administrateur DITP n'appartient à aucun réseau.",
                      "network_id")
    if profile in (Profile.AGENT, Profile.SUPER_AGENT, Profile.REFERENT) and network_id is None:
        raise Refused("invalid", "Ce profil doit appartenir à un réseau.", "network_id")


def check_manage_user(actor: Actor, target_profile: str, target_network_id: str | None) -> None:
    """May `actor` manage an existing user (read or change)?"""
    check_network_scope(actor, target_network_id)
    check_grant(actor, target_profile)


def check_structures_in_network(structure_networks: dict[str, str], wanted: list[str],
                                network_id: str | None) -> None:
    """Every structure must exist and belong to the user's network."""
    for sid in wanted:
        if structure_networks.get(sid) is None or structure_networks[sid] != network_id:
            raise Refused("invalid", f"La structure {sid} n'appartient pas au réseau de "
                          "l'utilisateur.", "structure_ids")


def check_parent(structure_id: str | None, network_id: str, parent_network_id: str | None,
                 parent_ancestors: list[str], parent_active: bool = True,
                 active: bool = True) -> None:
    """The parent exists, lives in the same network, is not the structure or one of its
    descendants, and is active when the structure is (an active structure's ancestors are all
    active: moderation routes to active structures only, and a closed office's tree closes
    from its leaves up)."""
    if parent_network_id is None:
        raise Refused("invalid", "Structure parente introuvable.", "parent_id")
    if parent_network_id != network_id:
        raise Refused("invalid", "La structure parente doit appartenir au même réseau.",
                      "parent_id")
    if structure_id is not None and structure_id in parent_ancestors:
        raise Refused("invalid", "Une structure ne peut pas être placée sous elle-même ni sous "
                      "l'une de ses structures filles.", "parent_id")
    if active and not parent_active:
        raise Refused("invalid", "La structure parente est désactivée : réactivez-la d'abord "
                      "ou choisissez-en une autre.", "parent_id")


def check_deactivation(active_children: list[str]) -> None:
    """A structure closes after its children: each is deactivated or moved first."""
    if active_children:
        shown = ", ".join(f"« {name} »" for name in active_children[:5])
        more = len(active_children) - 5
        suffix = f" et {more} autre{'s' if more > 1 else ''}" if more > 0 else ""
        raise Refused("invalid", f"Cette structure a des structures filles actives ({shown}"
                      f"{suffix}) : désactivez-les ou déplacez-les d'abord.", "active")


def check_reactivation(parent_active: bool) -> None:
    if not parent_active:
        raise Refused("invalid", "Sa structure parente est désactivée : réactivez-la d'abord.",
                      "active")


def check_invitation(active: bool, password_set: bool) -> None:
    """A new invitation link only for an active account that never chose its password."""
    if not active:
        raise Refused("invalid", "Ce compte est désactivé : réactivez-le avant de renvoyer "
                      "l'invitation.", "active")
    if password_set:
        raise Refused("conflict", "Cette personne a déjà choisi son mot de passe : elle peut "
                      "en demander un nouveau avec « Mot de passe oublié ».", "password")
