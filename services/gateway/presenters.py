"""Pure helpers that shape API answers for the pages (no I/O)."""

from __future__ import annotations

import base64
import json
import math
import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from services.gateway.labels import FLAG_KINDS, label


def highlight_flags(text: str, flags: list[dict]) -> Markup:
    """The text, escaped, with each flagged span wrapped in <mark> (overlaps merged).

    Screen readers do not announce <mark>, so each one is followed by its kinds in words; a span
    the published text keeps (`masked` false: advisory, or unmasked by the moderator) says so and
    has its own style."""
    text = text or ""
    spans = []
    for flag in flags or []:
        try:
            start, end = max(0, int(flag["start"])), min(len(text), int(flag["end"]))
        except (KeyError, TypeError, ValueError):
            continue
        if start < end:
            spans.append((start, end, str(flag.get("kind", "")), flag.get("masked") is not False))
    spans.sort()
    merged: list[list] = []
    for start, end, kind, masked in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            if kind not in merged[-1][2]:
                merged[-1][2].append(kind)
            merged[-1][3] = merged[-1][3] or masked
        else:
            merged.append([start, end, [kind], masked])
    out, cursor = [], 0
    for start, end, kinds, masked in merged:
        out.append(escape(text[cursor:start]))
        title = ", ".join(label(FLAG_KINDS, k) for k in kinds)
        kept = Markup("") if masked else Markup(' class="spp-mark--kept"')
        out.append(Markup('<mark title="{}"{}>{}</mark><span class="fr-sr-only"> ({}, {})</span>')
                   .format(title, kept, text[start:end], title,
                           "masqué" if masked else "non masqué"))
        cursor = end
    out.append(escape(text[cursor:]))
    return Markup("").join(out)


def response_of(experience: dict, draft: bool = False) -> dict | None:
    """The experience's response as {body, closing, signature, ...}, whatever the API's shape;
    with draft=True (agents' pages), the unpublished draft of the internal view too."""
    response = experience.get("response")
    if isinstance(response, dict) and response.get("body"):
        return response
    response = experience.get("response_draft")
    if draft and isinstance(response, dict) and response.get("body"):
        return response
    if experience.get("response_body"):
        return {"body": experience["response_body"],
                "closing": experience.get("response_closing") or "",
                "signature": experience.get("response_signature") or ""}
    return None


def without_private(experience: dict) -> dict:
    """A copy without the author's e-mail: no page ever shows it."""
    return {k: v for k, v in experience.items() if k != "author_email"}


def pagination(listing: dict, page: int, per_page: int) -> dict:
    """Page numbers for the DSFR pagination from a list answer."""
    total = int(listing.get("total") or 0)
    per_page = int(listing.get("per_page") or per_page) or per_page
    page = int(listing.get("page") or page)
    pages = max(1, math.ceil(total / per_page)) if per_page else 1
    capped = bool(listing.get("total_capped"))
    # A capped total is a lower bound (« plus de … »): there is always a next page.
    if capped and page >= pages:
        pages = page + 1
    found = {"page": page, "pages": pages, "total": total,
             "previous": page - 1 if page > 1 else None,
             "next": page + 1 if page < pages else None}
    if capped:
        found["capped"] = True
    return found


def count_fr(value: Any) -> str:
    """A count the French way: 1 000 with a narrow no-break space."""
    try:
        return f"{int(value):,}".replace(",", "\u202f")
    except (TypeError, ValueError):
        return ""


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, NOT verified: only to adapt the pages (the APIs check the token)."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
        return claims if isinstance(claims, dict) else {}
    except (IndexError, ValueError):
        return {}


PARIS = ZoneInfo("Europe/Paris")
MAX_PAGE = 10_000  # the experiences API refuses pages beyond it
MAX_SEARCH = 200  # the APIs' longest accepted search text
# The internal view of an experience carries these; the public one (what an agent gets for an
# experience outside their scope) never does.
INTERNAL_ONLY = ("submitted_at", "response_draft")


def page_number(raw: str | None) -> int:
    """A page number from the query string, within 1..MAX_PAGE whatever was typed."""
    try:
        return min(max(1, int(raw or 1)), MAX_PAGE)
    except ValueError:
        return 1


def search_text(raw: str | None) -> str:
    """Free text for an API search: no control characters, at most MAX_SEARCH characters."""
    text = "".join(c for c in raw or "" if unicodedata.category(c) != "Cc")
    return text.strip()[:MAX_SEARCH].strip()


_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def typed_date(raw: str | None) -> date | None:
    """« 05/03/2026 » or « 2026-03-05 » as a date; None when empty; ValueError when invalid."""
    text = (raw or "").strip()
    if not text:
        return None
    match = _FRENCH_DATE.fullmatch(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    return date.fromisoformat(text)


def iso_date(raw: str | None) -> str:
    """A typed date as 2026-03-05 for the APIs; "" stays ""; ValueError when invalid."""
    found = typed_date(raw)
    return found.isoformat() if found else ""


INVALID_DATE = "Saisissez une date valide au format JJ/MM/AAAA, par exemple 05/03/2026."


def convert_dates(form: dict, fields: tuple[str, ...]) -> dict[str, list[str]]:
    """Turn the form's typed dates into ISO in place; the errors of those that are not dates."""
    errors: dict[str, list[str]] = {}
    for field in fields:
        try:
            form[field] = iso_date(form.get(field))
        except ValueError:
            errors[field] = [INVALID_DATE]
    return errors


def iso_moment(value: Any) -> datetime | None:
    """A datetime from an API's ISO text (« Z » is UTC); None when empty or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def date_fr(value: Any) -> str:
    """dd/mm/yyyy from a date or an ISO text; datetimes in Paris time (naive ones are UTC)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = (date.fromisoformat(value) if len(value) == 10
                     else datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(PARIS)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def time_fr(value: Any) -> str:
    """HH h MM in Paris time from an ISO datetime (naive ones are UTC)."""
    if not isinstance(value, str | datetime) or not value:
        return ""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(
            value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS).strftime("%H h %M")


_NAMED_FIELD = re.compile(r"^Le champ « [^»]* » ")


_VOWELS = set("aeiouyàâäéèêëîïôöùûüÿæœ")


def of_name(name: str) -> str:
    """« de Bruno », « d'Alain », « d'Élodie »: « de » elided before a vowel. A mute h (« d'Hélène »
    but « de Hugo ») cannot be told from the name alone: kept « de »."""
    name = str(name or "").strip()
    return f"d'{name}" if name[:1].lower() in _VOWELS else f"de {name}"


def field_message(message: str) -> str:
    """« Le champ « postal_code » doit… » next to its field reads « Ce champ doit… »."""
    return said_of(message, "Ce champ")


def said_of(message: str, subject: str) -> str:
    """« Le champ « x » doit… » said of `subject`: « L'étiquette « RSA » doit… »."""
    return _NAMED_FIELD.sub(subject + " ", str(message))


def renamed(errors: dict[str, list[str]], names: dict[str, str] | None) -> dict[str, list[str]]:
    """An API's field errors under the page's field names, where they differ."""
    return {(names or {}).get(field, field): messages for field, messages in errors.items()}


def is_internal_view(experience: dict) -> bool:
    return any(key in experience for key in INTERNAL_ONLY)


def first_error_messages(errors: dict[str, list[str]], known: tuple[str, ...]) -> list[str]:
    """Messages for fields the form does not show, so the summary still lists them."""
    return [m for field, msgs in errors.items() if field not in known for m in msgs]
