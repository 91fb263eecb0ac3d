"""Profiles, missions and the rights matrix, declared once as data.

identity applies it when it issues a token; the other services only read the permissions the
token carries (plus its scope) and never recompute them.
"""

from __future__ import annotations

from enum import StrEnum


class Profile(StrEnum):
    """What a staff member is; with their missions it gives their permissions."""

    AGENT = "agent"
    SUPER_AGENT = "super_agent"
    REFERENT = "referent"
    MODERATOR = "moderator"
    ADMIN = "admin"


class Mission(StrEnum):
    """What an agent is entrusted with: answering experiences, filling in their structure's
    diagnostic, or both (MISSION_GATED below)."""

    ANSWER = "answer"
    DIAGNOSTIC = "diagnostic"


class Permission(StrEnum):
    """What an endpoint checks, with the caller's scope; MATRIX grants them per profile."""

    EXPERIENCE_READ = "experience:read"
    EXPERIENCE_ANNOTATE = "experience:annotate"
    EXPERIENCE_MOVE = "experience:move"
    EXPERIENCE_REORIENT = "experience:reorient"
    RESPONSE_DRAFT = "response:draft"
    RESPONSE_VALIDATE = "response:validate"
    IMPROVEMENT_WRITE = "improvement:write"
    DASHBOARD_READ = "dashboard:read"
    DIAGNOSTIC_FILL = "diagnostic:fill"
    DIAGNOSTIC_READ = "diagnostic:read"
    MODERATION_DECIDE = "moderation:decide"
    STRUCTURE_MANAGE = "structure:manage"
    USER_MANAGE = "user:manage"
    NETWORK_MANAGE = "network:manage"
    NOTIFICATION_READ = "notification:read"


P = Permission
_AGENT_BASE = {P.EXPERIENCE_READ, P.EXPERIENCE_ANNOTATE, P.EXPERIENCE_MOVE, P.EXPERIENCE_REORIENT,
               P.IMPROVEMENT_WRITE, P.DASHBOARD_READ, P.DIAGNOSTIC_READ}

# What each profile may do; `None` in MISSION_GATED means "whatever the missions".
MATRIX: dict[Profile, frozenset[Permission]] = {
    Profile.AGENT: frozenset(_AGENT_BASE | {P.RESPONSE_DRAFT, P.DIAGNOSTIC_FILL}),
    Profile.SUPER_AGENT: frozenset(_AGENT_BASE | {P.RESPONSE_DRAFT, P.RESPONSE_VALIDATE,
                                                  P.DIAGNOSTIC_FILL}),
    Profile.REFERENT: frozenset({P.EXPERIENCE_READ, P.EXPERIENCE_REORIENT, P.IMPROVEMENT_WRITE,
                                 P.DASHBOARD_READ, P.DIAGNOSTIC_FILL, P.DIAGNOSTIC_READ,
                                 P.STRUCTURE_MANAGE, P.USER_MANAGE}),
    Profile.MODERATOR: frozenset({P.EXPERIENCE_READ, P.MODERATION_DECIDE}),
    Profile.ADMIN: frozenset(set(Permission)),
}

# An agent drafts only with mission `answer` and fills diagnostics only with `diagnostic`.
MISSION_GATED: dict[Permission, Mission] = {
    P.RESPONSE_DRAFT: Mission.ANSWER,
    P.DIAGNOSTIC_FILL: Mission.DIAGNOSTIC,
}

RANK = {Profile.AGENT: 1, Profile.SUPER_AGENT: 2, Profile.REFERENT: 3, Profile.MODERATOR: 3,
        Profile.ADMIN: 4}

# Who may grant which profiles (nobody grants above their own; referents at most super_agent).
GRANTABLE: dict[Profile, frozenset[Profile]] = {
    Profile.ADMIN: frozenset(Profile),
    Profile.REFERENT: frozenset({Profile.AGENT, Profile.SUPER_AGENT}),
}


def permissions_for(profile: str, missions: list[str] | tuple[str, ...] = ()) -> frozenset[str]:
    profile = Profile(profile)
    granted = set(MATRIX[profile])
    if profile is Profile.AGENT:
        granted = {p for p in granted
                   if p not in MISSION_GATED or MISSION_GATED[p].value in missions}
    return frozenset(str(p) for p in granted)
