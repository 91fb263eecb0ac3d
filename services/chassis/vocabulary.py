"""Words of the programme that several services carry in their events and APIs."""

from __future__ import annotations

import re
from enum import StrEnum

# identity decides both; the gateway's forms say them with the form's other errors.
NETWORK_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
MIN_PASSWORD_LENGTH = 12


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
