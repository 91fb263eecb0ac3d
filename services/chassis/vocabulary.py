"""Words of the programme that several services carry in their events and APIs."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """How the usager reached the office (an experience), or how an office can be reached
    (a structure)."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    MAIL = "mail"
    EMAIL = "email"
    ONLINE = "online"
    OTHER = "other"


class NotificationFrequency(StrEnum):
    """How often a staff member wants their e-mails (identity keeps it, the notifier uses it)."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = "none"
