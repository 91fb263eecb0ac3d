"""Words of the programme that several services carry in their events and APIs."""

from __future__ import annotations

import re
from enum import StrEnum

# identity decides both; the gateway's forms say them with the form's other errors.
NETWORK_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
MIN_PASSWORD_LENGTH = 12
# What a field that is one line (a title, a name, a pseudonym) may not hold: tab and every line
# break, and the bidirectional embeddings, overrides and isolates, which show it in another order
# than it is read (« \u202eadmin » shows « nimda ») in lists, page titles, subjects and CSV cells.
# A long text keeps them: a paragraph in Arabic or Hebrew may need them, and bounds them.
_NOT_ON_ONE_LINE = re.compile("[\t\n\r\x0b\x0c\x85\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def breaks_line(text: str) -> bool:
    """Whether `text` would not read as one line, in its own order."""
    return _NOT_ON_ONE_LINE.search(text) is not None


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
