"""Automatic screening of an experience's public text: personal data, insults and threats.

Pure rules and one optional model: the only I/O is reading the data files shipped with this
package (lexicons, published public contacts, public names), once, and loading the French
spaCy model on the first text that needs it, once per process. A flag is a hint for the
moderator, who decides.

Numbers: a number whose own check proves what it is (NIR key, IBAN mod 97, Luhn) is flagged
as such; a number with the shape of a NIR or an IBAN whose key is wrong or missing is
flagged too, with a note, since publishing it would leak as much. Amounts, dates, postal
codes and the administration's file references stay unflagged, unless the usager gives the
reference as his own (« mon dossier n° … »).

Words: each detector reads the words around what it finds (a title, « née », a form's
« Nom : », « à <ville> », a label, « espèce de », « je vais … »), so that a name, an
address or a threat is found in the shapes people write, not only in the listed ones.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers
import yaml
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.fr import nir as std_nir

from services.moderation.screening_normal import (
    LOOKALIKE_DIGITS,
    joined_lines_view,
    mail_view,
    normalised,
)

DATA_DIR = Path(__file__).parent
LEXICON_PATH = DATA_DIR / "insults_fr.txt"
VULGARITIES_PATH = DATA_DIR / "vulgarities_fr.txt"
ABUSE_CONTEXT_PATH = DATA_DIR / "abuse_context.yaml"
PUBLIC_CONTACTS_PATH = DATA_DIR / "public_contacts.yaml"
PUBLIC_NAMES_PATH = DATA_DIR / "names_public.yaml"
FIRST_NAMES_PATH = DATA_DIR / "first_names_fr.txt"
COMMUNES_PATH = DATA_DIR / "communes_fr.txt"
NAME_MODEL = "fr_core_news_sm"


class FlagKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    NIR = "nir"
    IBAN = "iban"
    CARD = "card"
    ADDRESS = "address"
    PERSON_NAME = "person_name"
    BIRTH_DATE = "birth_date"
    IDENTIFIER = "identifier"  # CAF, fiscal, France Travail, passport, licence, plate, RIB...
    INSULT = "insult"  # aimed at a person
    THREAT = "threat"
    VULGARITY = "vulgarity"  # aimed at no one: shown to the moderator, not masked by default
    OTHER = "other"  # a passage the moderator masked herself


FLAG_KINDS: tuple[str, ...] = tuple(kind.value for kind in FlagKind)

PLACEHOLDERS: dict[FlagKind, str] = {
    FlagKind.EMAIL: "[courriel masqué]",
    FlagKind.PHONE: "[téléphone masqué]",
    FlagKind.NIR: "[numéro de sécurité sociale masqué]",
    FlagKind.IBAN: "[IBAN masqué]",
    FlagKind.CARD: "[numéro de carte masqué]",
    FlagKind.ADDRESS: "[adresse masquée]",
    FlagKind.PERSON_NAME: "[nom masqué]",
    FlagKind.BIRTH_DATE: "[date de naissance masquée]",
    FlagKind.IDENTIFIER: "[identifiant masqué]",
    FlagKind.INSULT: "[propos injurieux masqué]",
    FlagKind.THREAT: "[menace masquée]",
    FlagKind.VULGARITY: "[propos grossier masqué]",
    FlagKind.OTHER: "[passage masqué]",
}

# Flags shown to the moderator but left in the published text unless she masks them.
ADVISORY_KINDS: frozenset[FlagKind] = frozenset({FlagKind.VULGARITY})

# When candidates overlap, the earlier kind wins: a number proven by its checksum is more
# specific than a phone shape (phonenumbers finds "phones" inside IBANs), and any number
# is more specific than the free-text patterns around it.
PRIORITY: tuple[FlagKind, ...] = (
    FlagKind.IBAN,
    FlagKind.NIR,
    FlagKind.CARD,
    FlagKind.IDENTIFIER,
    FlagKind.EMAIL,
    FlagKind.PHONE,
    FlagKind.BIRTH_DATE,
    FlagKind.ADDRESS,
    FlagKind.PERSON_NAME,
    FlagKind.THREAT,
    FlagKind.INSULT,
    FlagKind.VULGARITY,
    FlagKind.OTHER,
)

# The shape of the number with a wrong key, or none (a NIR without its two digits): masked
# all the same, and the moderator is told the number could not be checked.
CHECKSUM_FAILED = "checksum_failed"


@dataclass(frozen=True)
class Flag:
    kind: FlagKind
    start: int  # str offsets in the screened text, end exclusive
    end: int
    note: str | None = None  # e.g. "checksum_failed": a probable number whose key is wrong


def default_masks(flags: list[Flag]) -> list[Flag]:
    """The flags masked unless the moderator decides otherwise."""
    return [f for f in flags if FlagKind(f.kind) not in ADVISORY_KINDS]


# The fields where the usager names herself: a first name alone names the author there.
AUTHOR_FIELDS = frozenset({"author_name", "pseudonym"})
PLACE_FIELD = "structure_hint"


def screen(text: str, *, use_model: bool = True, field: str = "body") -> list[Flag]:
    """Flags found in `text`, sorted by start, never overlapping.

    `use_model=False` leaves out the names found only by the spaCy model (the rules still
    find titled names, « Prénom NOM » and the like). `field` is the form's field the text
    comes from: in the author's name (AUTHOR_FIELDS) a first name alone names the author."""
    candidates = list(_rule_candidates(text))
    if field in AUTHOR_FIELDS:
        # « Papy Dédé » signs as « Papy [nom] »: the family word stays, as a title would
        candidates = [_after_a_nickname(text, c) for c in candidates]
        candidates += _author_names(text)
        candidates += _leading_name(text, use_model)
    candidates += _safety_net(text, candidates)
    if use_model:
        candidates += _model_names(text, candidates)
    candidates = [
        named for c in candidates
        if (named := c if c.kind != FlagKind.PERSON_NAME else _person_in(text, c)) is not None
    ]
    if field in AUTHOR_FIELDS:
        candidates = [c for c in candidates if c.kind != FlagKind.PERSON_NAME
                      or _names_the_author(text, c)]
    elif field == PLACE_FIELD:
        candidates = [c for c in candidates if c.kind != FlagKind.PERSON_NAME
                      or not _town_of_the_place(text, c)]
    flags = resolve(_addresses_after_names(text, _phones_over_identifiers(text, candidates)), text)
    if use_model:
        flags = _lower_case_surnames(text, flags)
    again = [*_repeated_names(text, flags), *_other_spellings(text, flags), *_signed_addresses(text, flags)]
    return _couples_joined(text, resolve([*flags, *again], text))


# A signature: the name, then a house or a place and a way, then the postal code and the town
# (« M. Lionel Blanchard, Les Hauts de Chabrières, chemin rural n° 4, 04700 Oraison »).
_SIGNED_ADDRESS_RE = re.compile(
    r"[ \t]*,[ \t]*(?P<parts>(?:(?:(?!\.\s)[^,;:!?\n]){2,40}?[ \t]*,[ \t]*){1,3}?)(?P<code>\d{5})[ \t]+"
)


def _signed_addresses(text: str, flags: list[Flag]) -> Iterator[Flag]:
    for name in (f for f in flags if f.kind == FlagKind.PERSON_NAME):
        m = _SIGNED_ADDRESS_RE.match(text, name.end)
        end = m and _commune_at(text, m.end(), m.group("code"))
        if not end or any(f.start < end and m.start("parts") < f.end for f in flags if f is not name
                          and f.kind != FlagKind.ADDRESS):
            continue
        parts = _fold(m.group("parts"))
        if _office_words_re().search(parts) or _person_words_re().search(parts):
            continue  # « Mme Martin, CAF de Lyon, 69003 Lyon »: her office's
        if not _is_office_address(text, m.start("parts"), end):
            yield Flag(FlagKind.ADDRESS, m.start("parts"), end)


@cache
def _person_words_re() -> re.Pattern[str]:
    return re.compile(rf"\b(?:{_words_pattern(_public_names().get('person_words', []))})\b")


def _addresses_after_names(text: str, candidates: list[Flag]) -> list[Flag]:
    """« Signé : Pierre-Yves Le Gall, GAEC de Kerlann, lieu-dit … »: an address whose start
    was walked back into a name begun before it starts after that name."""
    names = [c for c in candidates if c.kind == FlagKind.PERSON_NAME]
    out = []
    for c in candidates:
        inside = [n for n in names if c.kind == FlagKind.ADDRESS and n.start < c.start < n.end
                  and _NAME_TAIL_RE.match(text, n.end)]
        if inside:
            start = _NAME_TAIL_RE.match(text, max(n.end for n in inside)).end()
            c = Flag(c.kind, start, c.end, c.note) if start < c.end else c
        out.append(c)
    return out


# the name closed by a sign: « Pierre-Yves Le Gall, GAEC … », not « GUILLOT J'HABITE LIEU DIT … »
_NAME_TAIL_RE = re.compile(r"[ \t]*[,;:–-][ \t]*")


def _after_a_nickname(text: str, flag: Flag) -> Flag:
    nickname = _NICKNAME_START_RE.match(text, flag.start, flag.end)
    if flag.kind != FlagKind.PERSON_NAME or not nickname or nickname.end() >= flag.end:
        return flag
    return Flag(flag.kind, nickname.end(), flag.end, flag.note)


_TOWN_BEFORE_RE = re.compile(r"(?:,|\s[-–—]|\b(?:de|d'|à|a))\s*$")


def _town_of_the_place(text: str, flag: Flag) -> bool:
    """« Résidence CROUS Jean Zay, Antony »: in the place's field, a commune's name after a
    comma, a dash, « de » or « à » is the town, not a person."""
    return (
        _commune_at(text, flag.start) == flag.end
        and _TOWN_BEFORE_RE.search(text, max(0, flag.start - 4), flag.start) is not None
        and not _strict_person_context(_fold(text[max(0, flag.start - 40) : flag.start]))
    )


# Where the author's name field goes on past the name: a comma, a bracket, a dash between
# spaces, « <mail> », « / », a number, or words saying who she is (« pour sa mère », « né le »).
_AFTER_THE_NAME_RE = re.compile(
    r"\s*(?:[,(<;/|]|\s[-–—]\s|\s\+?\d{2}|\s(?i:pour|tel|t[ée]l|n[ée]e?|quartier|chez|mail)\b)"
    r"|(?<=[^\W\d_])(?=\+?\d{8})"  # « Christophe Barbaud0678124593 »
)


def _leading_name(text: str, use_model: bool) -> list[Flag]:
    """The names of the author's name field's opening words, read as a field of their own
    (« LEFEVRE Pascale, 27 rue … », « Kofi A., interprète bénévole », « nadia.h 06 … »)."""
    value = text.lstrip()
    cut = _AFTER_THE_NAME_RE.search(value, 1)
    if cut is None or not value[: cut.start()].strip():
        return []
    offset = len(text) - len(value)
    return [Flag(f.kind, f.start + offset, f.end + offset) for f in
            screen(value[: cut.start()], use_model=use_model, field="author_name")
            if f.kind == FlagKind.PERSON_NAME]


# What a name detector or the model may take for a person's name and is not: a firm
# (« SARL Transports Ledoux »), a town named after a saint (« Saint-Pierre »), a letter
# spelled out (« Q comme Quentin »), « pr FT » (« pour France Travail »), a lone letter.
_FIRM_START_RE = re.compile(
    r"(?i:sarl|sas|sasu|eurl|sci|snc|scp|selarl|eirl|soci[ée]t[ée]|ets|[ée]tablissements)\b"
)
_SAINT_PLACE_RE = re.compile(r"Sainte?-[A-ZÀ-Þ][\w'’-]*")
_SPELLING_BEFORE_RE = re.compile(r"\b[A-Za-z]\s+comme\s+$")
_TITLE_BEFORE_ACRONYM_RE = re.compile(r"(?:pr|dr|me|mr|m)\.?\s+[A-Z]{2,3}")


def _person_in(text: str, flag: Flag) -> Flag | None:
    """The flag, what of it names a person after a firm's legal form, or None."""
    firm = _FIRM_START_RE.match(text, flag.start, flag.end)
    after_firm = re.search(rf"{_FIRM_START_RE.pattern}\s+$", text[max(0, flag.start - 20) : flag.start])
    first = re.match(r"[\w'’-]+", text[flag.start : flag.end])
    if after_firm and first and _fold(first.group()) in _name_lists()["firm_words"]:
        return None  # « SARL Transports Ledoux », the model's span without « SARL »
    if firm:
        trade = re.match(r"\s*([\w'’-]+)", text[firm.end() : flag.end])
        if not trade or _fold(trade.group(1)) in _name_lists()["firm_words"]:
            return None
        start = firm.end() + len(trade.group()) - len(trade.group(1))
        flag = Flag(flag.kind, start, flag.end, flag.note)
    span = text[flag.start : flag.end]
    lower_title = re.match(r"(?:pr|me|m)\.?\s+([\w'’]+)", span)  # « pr le remboursement »
    if (
        (lower_title and _fold(lower_title.group(1)) in _FUNCTION_WORDS | _STOP_FOLDED)
        or sum(c.isalpha() for c in span) < 2
        or _SAINT_PLACE_RE.fullmatch(span)
        or _TITLE_BEFORE_ACRONYM_RE.fullmatch(span)
        or _SPELLING_BEFORE_RE.search(text, max(0, flag.start - 12), flag.start)
    ):
        return None
    return flag


def _couples_joined(text: str, flags: list[Flag]) -> list[Flag]:
    """« Sylvie et Bernard Lagarde »: two names joined by « et » are one flag."""
    out: list[Flag] = []
    for flag in flags:
        previous = out[-1] if out else None
        if (
            previous
            and previous.kind == flag.kind == FlagKind.PERSON_NAME
            # « Corinne Lenoir née Pasquier »: a maiden name found apart
            and re.fullmatch(r"\s+(?:et|&)\s+", text[previous.end : flag.start])
        ):
            out[-1] = Flag(FlagKind.PERSON_NAME, previous.start, flag.end)
        else:
            out.append(flag)
    return out


_BARE_NUMBER_BEFORE_RE = re.compile(r"\b(?:mon|ton|son|votre|le|du) (?:numero|num|no)\s*[:(]?\s*$")


def _phones_over_identifiers(text: str, candidates: list[Flag]) -> list[Flag]:
    """An identifier whose digits all lie in a longer phone number is a part of it (« mon
    numéro : 06 23 81 » and « 47 09 » on the next line), or the phone with a word read as its
    letters (« MON NUMERO C LE 06 98 … »), not a file's number."""
    phones = [c for c in candidates if c.kind == FlagKind.PHONE]

    def within(c: Flag, p: Flag) -> bool:
        digits = [i for i in range(c.start, c.end) if text[i].isdigit()]
        return bool(digits) and p.start <= digits[0] and digits[-1] < p.end and (
            p.end - p.start > len(text[c.start : c.end].strip())
            or text[c.start : p.start].endswith(" ") and text[c.start : p.start].replace(" ", "").isalpha()
            # « mon numéro (06 18 4 75 96 …) »: a number of no file, shaped as a phone
            or bool(_BARE_NUMBER_BEFORE_RE.search(_fold(text[max(0, c.start - 20) : c.start]))))

    return [c for c in candidates if c.kind != FlagKind.IDENTIFIER or not any(within(c, p) for p in phones)]


def resolve(candidates: Iterable[Flag], text: str = "") -> list[Flag]:
    """Overlapping candidates: those of one free-text kind are joined (a street found by one
    rule, its building by another); then the kind earlier in PRIORITY wins, then the longer
    span. A threat, a whole clause, keeps its longest part outside the flags that won over it;
    an address, the street that follows them (« tél 06 … 39 / 8 rue … »: « 39 / 8 » read as
    a street number)."""
    rank = {kind: i for i, kind in enumerate(PRIORITY)}
    ordered = sorted(_joined(candidates), key=lambda f: (rank[f.kind], -(f.end - f.start), f.start))
    kept: list[Flag] = []
    for flag in ordered:
        overlapping = [o for o in kept if o.start < flag.end and flag.start < o.end]
        if overlapping and flag.kind == FlagKind.THREAT:
            flag = _longest_part(flag, overlapping)
        elif overlapping and flag.kind == FlagKind.ADDRESS and text:
            flag = _street_after(text, flag, overlapping)
        elif overlapping:
            continue
        if flag.start < flag.end:
            kept.append(flag)
    return sorted(kept, key=lambda f: f.start)


_TO_STREET_NUMBER_RE = re.compile(r"[\W_]*(?=\d)")


def _street_after(text: str, flag: Flag, winners: list[Flag]) -> Flag:
    """The part of an address after the flags that won over it, when it starts with a street
    number; else nothing."""
    start = max(w.end for w in winners)
    match = _TO_STREET_NUMBER_RE.match(text, start, flag.end)
    if start < flag.start or not match:
        return Flag(flag.kind, 0, 0)
    return Flag(flag.kind, match.end(), flag.end, flag.note)


_JOINED_KINDS = frozenset(
    {FlagKind.ADDRESS, FlagKind.PERSON_NAME, FlagKind.THREAT, FlagKind.INSULT}
)


def _joined(candidates: Iterable[Flag]) -> list[Flag]:
    """Overlapping candidates of a kind of _JOINED_KINDS become their union."""
    out: list[Flag] = []
    by_kind: dict[FlagKind, list[Flag]] = {}
    for flag in candidates:
        if flag.kind in _JOINED_KINDS:
            by_kind.setdefault(flag.kind, []).append(flag)
        else:
            out.append(flag)
    for kind, flags in by_kind.items():
        flags.sort(key=lambda f: (f.start, -f.end))
        current = flags[0]
        for flag in flags[1:]:
            if flag.start < current.end:
                current = Flag(kind, current.start, max(current.end, flag.end), current.note)
            else:
                out.append(current)
                current = flag
        out.append(current)
    return out


def _longest_part(flag: Flag, others: list[Flag]) -> Flag:
    bounds = [flag.start]
    for other in sorted(others, key=lambda o: o.start):
        bounds += [other.start, other.end]
    bounds.append(flag.end)
    pairs = zip(bounds[::2], bounds[1::2], strict=True)
    parts = [(max(a, flag.start), min(b, flag.end)) for a, b in pairs]
    start, end = max(parts, key=lambda p: p[1] - p[0])
    return Flag(flag.kind, start, end, flag.note) if end - start >= 3 else Flag(flag.kind, 0, 0)


def redact(text: str, flags: list[Flag]) -> str:
    """`text` with each flagged span replaced by the French placeholder of its kind."""
    ordered = sorted(flags, key=lambda f: f.start)
    for previous, flag in itertools.pairwise(ordered):
        if flag.start < previous.end:
            raise ValueError(f"overlapping flags: {previous} and {flag}")
    parts: list[str] = []
    position = 0
    for flag in ordered:
        if not 0 <= flag.start < flag.end <= len(text):
            raise ValueError(f"flag out of the text: {flag}")
        parts += [text[position : flag.start], PLACEHOLDERS[FlagKind(flag.kind)]]
        position = flag.end
    parts.append(text[position:])
    return "".join(parts)


def _rule_candidates(text: str) -> Iterator[Flag]:
    yield from _find_emails(text)
    yield from _domain_anchored_emails(text)
    yield from _on_mail_view(text)
    yield from _on_joined_lines(text)
    yield from _find_phones(text)
    yield from _find_nirs(text)
    yield from _find_ibans(text)
    yield from _on_normalised_view(text)
    yield from _find_cards(text)
    yield from _lookalike_cards(text)
    yield from _find_identifiers(text)
    yield from _find_birth_dates(text)
    yield from _find_addresses(text)
    yield from _find_person_names(text)
    yield from _find_abuse(text)


# The number detectors also read the normalised view (screening_normal.py): letters typed
# for digits, numbers in words, emojis and dictation words between groups; what they find
# there masks the characters as typed.
def _on_normalised_view(text: str) -> Iterator[Flag]:
    view = normalised(text)
    if view is None:
        return
    for detector in (_find_phones, _find_nirs, _find_ibans, _find_cards, _find_addresses):
        for flag in detector(view.text):
            start, end = view.span(flag.start, flag.end)
            yield Flag(flag.kind, start, end, flag.note)


# The safety net of the numbers never to publish: what the detectors above left, a stretch
# of nine digits or more with only short signs (or one line break) between its groups, is
# masked as the likeliest kind by its length and first digits, unless it is a date, an
# amount, a published public number or the administration's reference. It reads the text
# and the normalised view (numbers in words, letters typed for digits).
_NET_GAP_RE = re.compile(r"[^\w\n]{1,3}|[ \t\u00a0]*\r?\n[ \t\u00a0]*")
_NET_AMOUNT_BEFORE_RE = re.compile(r"(?:€|\$|\beur\b|\beuros?\b|montant|somme|total)[^\w\n]{0,4}$")
# The administration's references: a year among groups joined by dashes or slashes
# (« 2024-33871 », « 69-2023-045872 », « 2023/45871 »), or a file, a decision, a firm named
# before (wider than _ADMIN_REFERENCE_RE: « Réclamation n° RC-2024-… », « SIRET »).
_NET_YEAR_GROUP_RE = re.compile(r"(?<!\d)(?:19[5-9]\d|20[0-4]\d)(?!\d)")
_NET_REFERENCE_RE = re.compile(
    r"\b(?:dossier|reference|ref|reclamation|decision|recommande|contravention|amende|siret"
    r"|siren|facture|commande|colis|suivi|ticket|avis|notification|courrier)\b[^.!?\n]{0,30}$"
)
_NET_PHONE_WORDS_RE = re.compile(
    r"\b(?:tel|telephone|portable|mobile|cell|cellulaire|gsm|fixe|whatsapp|sms|joindre|joignable"
    r"|rappel\w*|appel\w*)\b[^.!?\n]{0,30}$"
)
_NET_KINDS = frozenset(
    {FlagKind.PHONE, FlagKind.NIR, FlagKind.IBAN, FlagKind.CARD, FlagKind.IDENTIFIER,
     FlagKind.EMAIL, FlagKind.BIRTH_DATE, FlagKind.ADDRESS}
)  # fmt: skip


def _net_chains(text: str) -> Iterator[tuple[int, int, str]]:
    chain: list[tuple[int, int]] = []
    for run in [*((m.start(), m.end()) for m in _DIGIT_RUN_RE.finditer(text)), (-1, -1)]:
        if chain and run[0] >= 0 and _NET_GAP_RE.fullmatch(text, chain[-1][1], run[0]):
            chain.append(run)
            continue
        if chain:
            start, end = chain[0][0], chain[-1][1]
            digits = "".join(text[a:b] for a, b in chain)
            singles = sum(b - a == 1 for a, b in chain)
            # « 13001 13002 13003 »: postal codes listed, never a number of a person
            postcodes = len(chain) >= 2 and all(b - a == 5 for a, b in chain)
            context = _context_before(text, start, 40)
            if postcodes and not (_NIR_CONTEXT_RE.search(context) or _NET_PHONE_WORDS_RE.search(context)):
                pass
            elif singles < 4 or _NET_PHONE_WORDS_RE.search(context) or _luhn_card(digits):
                # not « 0 1 2 3 4 … », but a card's number typed digit by digit
                yield start, end, digits
        chain = [run]


def _luhn_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and luhn.is_valid(digits) and _card_plausible(digits)


def _net_kind(text: str, start: int, digits: str) -> FlagKind | None:
    international = text[max(0, start - 2) : start].strip().endswith("+") or digits.startswith("0033")
    if international and digits.lstrip("0").startswith("33"):
        national = "0" + digits.lstrip("0")[2:]
        return FlagKind.PHONE if not _is_public_number(national) else None
    if _is_public_number(digits):
        return None
    if digits[0] == "0" and digits[1] != "0" and len(digits) <= 13:
        return FlagKind.PHONE
    if len(digits) == 9 and digits[0] in "67":
        return FlagKind.PHONE
    if len(digits) in (13, 15) and digits[0] in "12":
        month = int(digits[3:5])
        if 1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99:
            return FlagKind.NIR
    if 13 <= len(digits) <= 19 and luhn.is_valid(digits) and _card_plausible(digits):
        return FlagKind.CARD
    return None  # an unknown number: the administration's as often as the usager's


def _net_flags(text: str) -> Iterator[Flag]:
    for start, end, digits in _net_chains(text):
        if len(digits) < 9 or len(digits) > 34:
            continue
        if (start and text[start - 1].isalpha()) or (end < len(text) and text[end].isalpha()):
            continue  # glued to a word: a reference, an IBAN, a plate, left to their detectors
        if start and text[start - 1] in ".," and start > 1 and text[start - 2].isdigit():
            continue  # the decimals of an amount
        span = text[start:end]
        # a date inside, not an hour: nine digits and more are no time (« 06 : 12 / 34 … »)
        if _FULL_DATE_RE.search(span) or _ISO_DATE_RE.search(span):
            continue
        amount_before = _NET_AMOUNT_BEFORE_RE.search(_context_before(text, start, 20))
        if _AMOUNT_AFTER_RE.match(text, end) or amount_before:
            continue
        context = _context_before(text, start, 40)
        phone_words = bool(_NET_PHONE_WORDS_RE.search(context))
        if (_NET_REFERENCE_RE.search(context) or _ADMIN_REFERENCE_RE.search(context)) and not (
            phone_words or _NIR_CONTEXT_RE.search(context)
        ):
            continue
        if re.search(r"[-/]", span) and _NET_YEAR_GROUP_RE.search(span):
            continue
        if _is_public_number(digits) or _is_public_number("0" + digits):
            continue
        kind = _net_kind(text, start, digits)
        if kind is None and phone_words and len(digits) <= 13:
            kind = FlagKind.PHONE  # « mon cell c'est le 1-514-555-0187 »
        if kind is None:
            continue
        if kind == FlagKind.PHONE and _is_switchboard(text, start, end, digits):
            continue
        note = CHECKSUM_FAILED if kind == FlagKind.NIR else None
        yield Flag(kind, start, end, note)


def _safety_net(text: str, candidates: list[Flag]) -> list[Flag]:
    found = list(_net_flags(text))
    view = normalised(text)
    if view is not None:
        for flag in _net_flags(view.text):
            start, end = view.span(flag.start, flag.end)
            found.append(Flag(flag.kind, start, end, flag.note))
    out = []
    for flag in found:
        digits = {i for i in range(flag.start, flag.end) if text[i].isdigit() or text[i].isalpha()}
        covering = [
            c for c in candidates if c.kind in _NET_KINDS and c.start < flag.end and flag.start < c.end
        ]
        covered = {i for c in covering for i in range(c.start, c.end)}
        if digits <= covered:
            continue  # already masked
        out.append(flag)
    return out


# An address cut by a line break (screening_normal.joined_lines_view): found on the view, it
# masks the address as typed, the break included.
def _on_joined_lines(text: str) -> Iterator[Flag]:
    view = joined_lines_view(text)
    if view is None:
        return
    for flag in (*_find_emails(view.text), *_domain_anchored_emails(view.text)):
        start, end = view.span(flag.start, flag.end)
        if "\n" in text[start:end]:
            yield Flag(flag.kind, start, end, flag.note)


# An address dictated or spelled (screening_normal.mail_view): what the e-mail patterns
# find on the view masks the words as typed, if it ends like an address.
def _on_mail_view(text: str) -> Iterator[Flag]:
    view = mail_view(text)
    if view is None:
        return
    ending = re.compile(rf"(?:[.@](?:{_TLDS})|@(?:{_MAIL_PROVIDERS}))$", re.IGNORECASE)
    for flag in (*_find_emails(view.text), *_domain_anchored_emails(view.text)):
        if not ending.search(view.text, flag.start, flag.end):
            continue
        start, end = view.span(flag.start, flag.end)
        # « marie claire tiret dumas arobase … »: first names said before the address
        for _ in range(2):
            first = re.search(r"([^\W\d_]+)[ ]+$", text[max(0, start - 30) : start])
            if not first or not _is_first_name(first.group(1)):
                break
            start -= len(first.group())
        yield Flag(FlagKind.EMAIL, start, end)


# --- data files


def _read_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


@cache
def _public_contacts() -> dict[str, Any]:
    return _read_yaml(PUBLIC_CONTACTS_PATH)


@cache
def _public_names() -> dict[str, Any]:
    return _read_yaml(PUBLIC_NAMES_PATH)


@cache
def _abuse_context() -> dict[str, Any]:
    return _read_yaml(ABUSE_CONTEXT_PATH)


def _words_pattern(words: Iterable[str]) -> str:
    """An alternation of folded words and phrases, longest first, spaces as any blank."""
    folded = sorted({_fold(w.strip()) for w in words if w.strip()}, key=lambda w: (-len(w), w))
    return "|".join(r"[\s-]+".join(re.escape(p) for p in re.split(r"[\s-]+", w)) for w in folded)


# --- folding: lower case without accents, one character for one so that offsets stay valid

# Apostrophes as one; digits and signs that stand for letters to dodge filters ("c0nnard",
# "s@lope"). Lexicon forms are whole words, so a plain number never spells one.
_FOLD_TABLE = str.maketrans(
    {"’": "'", "ʼ": "'", "`": "'", "0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s",
     "€": "e"}
)  # fmt: skip


@cache
def _fold_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    folded = base.lower().translate(_FOLD_TABLE)
    return folded if len(folded) == 1 else char.lower() if len(char.lower()) == 1 else char


# Characters of the scripts usagers write in: translated by one C call, one for one.
_TABLE_RANGE = range(0x3000)
_BEYOND_TABLE_RE = re.compile("[\u3000-\U0010ffff]")


@cache
def _translation(char_function: Callable[[str], str]) -> dict[int, str]:
    return {i: char_function(chr(i)) for i in _TABLE_RANGE if char_function(chr(i)) != chr(i)}


def _translate(text: str, char_function: Callable[[str], str]) -> str:
    translated = text.translate(_translation(char_function))
    if text.isascii() or not _BEYOND_TABLE_RE.search(text):
        return translated
    return "".join(char_function(c) if ord(c) >= _TABLE_RANGE.stop else c for c in translated)


def _fold(text: str) -> str:
    return _translate(text, _fold_char)


_PLAIN_TABLE = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})


@cache
def _plain_char(char: str) -> str:
    """Like _fold_char, digits and signs kept: for patterns that read numbers."""
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    plain = base.lower().translate(_PLAIN_TABLE)
    return plain if len(plain) == 1 else char


def _plain(text: str) -> str:
    return _translate(text, _plain_char)


# --- e-mails

# Obfuscations: "(at)", "[at]", « arobase », « at », spaces around "@"; « point », « dot »,
# "[.]" and spaces around the dots. A spelled-out dot needs a known top-level domain after
# it, so that « rendez-vous at home point final » is no address.
_AT_WORDS = (
    r"at|arobase|arrobase|arobas|arrobas|arobaz|arrobaz|arobasse|a[\s-]commercial|arob"
    r"|arr?obe|arr?oba|arr?obasse"
)
_AT = (
    rf"(?:\s{{0,2}}[@＠]{{1,2}}\s{{0,2}}|\s?[(\[{{<]\s?(?:{_AT_WORDS}|@|a|chez)\s?[)\]}}>]\s?"
    rf"|\s+(?:{_AT_WORDS})\s+)"
)
# « chez », « a », « à » between two words are French: an "@" only between a local part that
# shows a separator (« paul.meunier chez orange.fr ») and a domain with a dot and a known end.
_LOOSE_AT = r"\s+(?:chez|a|à)\s+"
_DOT_WORDS = r"point|dot|pt"
_SPELLED_DOT = rf"(?:\s?[(\[{{<]\s?(?:{_DOT_WORDS}|\.)\s?[)\]}}>]\s?|\s+(?:{_DOT_WORDS})\s+)"
_DOT = rf"(?:\.|\s\.\s|{_SPELLED_DOT})"
_TLDS = (
    r"fr|com|net|org|eu|be|ch|ca|lu|de|es|it|pt|uk|co|io|info|biz|me|tv|pro|asso|gouv|re"
    r"|gp|mq|gf|yt|pf|nc|ma|dz|tn|sn|ci|cm|us|nl|pl|ro|ie|at|dk|se|no|fi|mc"
)
# The commonest ends, after a dot typed with one space or as a comma (« orange .fr »).
_COMMON_TLDS = r"fr|com|net|org|eu|be|ch"
# "_" is a word character: giving it again as a separator made « a_a_a_… » backtrack
# exponentially, so only the dot (or a spelled one) separates the tokens.
# At most a dozen parts: « point point point … » read each « point » as a word or as a dot,
# a quadratic search over the text without that bound.
_LOCAL = r"[\w+'’-]+(?:(?:\.|{dot})[\w+'’-]+){{0,12}}"
_DOMAIN = (
    rf"[\w-]+(?:{_DOT}[\w-]+){{0,8}}(?:(?:\.|\s\.\s)[^\W\d_]{{2,}}|{_SPELLED_DOT}(?:{_TLDS})"
    rf"|(?:\s\.\s?|\.\s|,)(?:{_COMMON_TLDS})(?![\w-]))"
)
_EMAIL_RES = (
    # Literal dots in the local part: the usual address, "@" possibly spelled out.
    re.compile(
        r"(?<![\w.+'’-])" + _LOCAL.format(dot=r"(?!)") + rf"{_AT}{_DOMAIN}(?![\w-])",
        re.IGNORECASE,
    ),
    # Spelled or spaced dots in the local part: « jean point dupont arobase gmail point com ».
    re.compile(
        r"(?<![\w.+'’-])" + _LOCAL.format(dot=rf"\s\.\s|{_SPELLED_DOT}") + rf"{_AT}{_DOMAIN}(?![\w-])",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?<![\w.+'’-])(?=[\w+'’-]*[._])[\w+'’-]+(?:\.[\w+'’-]+)*" + _LOOSE_AT
        + rf"[\w-]+(?:\.[\w-]+)*(?:\.|{_SPELLED_DOT})(?:{_TLDS})(?![\w-])",
        re.IGNORECASE,
    ),
)
# The catch-all: an address-like local part, an "@" or an « arobase », and a mail provider
# without its end (« jean.dupont arobase gmail »), or any word after a literal "@" when the
# local part shows a separator or a digit (« j.dupont@orange », « dupont93@free »).
_MAIL_PROVIDERS = (
    r"gmail|googlemail|hotmail|yahoo|orange|free|sfr|laposte|outlook|wanadoo|icloud|live|msn|aol"
    r"|protonmail|proton|neuf|bbox|gmx|yopmail|numericable|club-internet|caramail"
)
# Something _AT can read: a sign, a bracket, or a word for "@".
_AT_HINT_RE = re.compile(r"[(\[{<]|(?i:\bat\b|arr?ob|a[\s-]commercial)")
_LOOSE_EMAIL_RES = (
    re.compile(
        r"(?<![\w.+'’-])[\w+'’-]{2,}(?:\.[\w+'’-]+)*" + _AT
        + rf"(?:{_MAIL_PROVIDERS})(?:{_COMMON_TLDS})?(?![\w-])",  # « …@gmailcom »
        re.IGNORECASE,
    ),
    re.compile(
        r"(?<![\w.+'’-])(?=[\w+'’.-]*(?:[._]|\d))[\w+'’-]{2,}(?:\.[\w+'’-]+)*\s?[@＠]{1,2}\s?[^\W\d_][\w-]{2,}"
        r"(?:\.{1,2}[\w-]+)*(?![\w-])",
        re.IGNORECASE,
    ),
)
# An apostrophe may belong to the address (o'neil@…) or be a French elision before it
# (« l'adresse d'amelie@… »).
_ELISION_RE = re.compile(r"(?:[cdjlmnst]|qu)['’]", re.IGNORECASE)


_STRONG_MAILBOX_WORDS = frozenset(
    {"accueil", "contact", "contacts", "info", "infos", "secretariat", "courrier", "noreply",
     "no-reply", "service", "services", "support", "standard"}
)  # fmt: skip


@cache
def _mailbox_words() -> frozenset[str]:
    return frozenset(_fold(w) for w in _public_contacts().get("mailbox_words", []))


@cache
def _public_domain_re() -> re.Pattern[str]:
    starts = "|".join(re.escape(_fold(d)) for d in _public_contacts().get("public_domains", []))
    return re.compile(rf"(?:^|[.@\s-])(?:{starts})(?:\d*(?=[.\s-]|$)|(?<=-))")


def _shows_a_person(local: str) -> bool:
    """« marie.dupont », « s.ortiz », « nkoulou.b »: a first name, an initial beside a name,
    or two names joined by a dot."""
    # digits after a name are the handle's (« zayn.moussa974 »)
    parts = [p for p in re.split(r"[._+\s-]+", _fold(local.rstrip("0123456789"))) if p]
    # « jean-marc.teissedre »: a compound first name is one, though « jean » alone is a word
    compounds = [p for p in re.split(r"[._+\s]+", _fold(local.rstrip("0123456789")))
                 if "-" in p and _commune_key(p.split("-")) not in _communes()[0]]  # not « saint-brieuc »
    if any(_is_first_name(p, allow_word=False) for p in parts + compounds):
        return True
    alpha = [p for p in parts if p.isalpha()]
    generic = _mailbox_words() | _STRONG_MAILBOX_WORDS
    if len(alpha) == len(parts) >= 2 and any(len(p) <= 2 and p not in generic for p in alpha) and any(
        len(p) > 2 for p in alpha
    ):
        return True
    generic = _mailbox_words() | _STRONG_MAILBOX_WORDS
    return bool(
        re.fullmatch(r"[a-z]{2,}\.[a-z]{2,}", _fold(local.rstrip("0123456789")))
        and not any(p in generic or _not_a_name(p) or len(p) <= 3 for p in parts)
    )


# Public services write from French domains: a generic or top-level end that is not one of
# theirs (.info, .com, .net …) is no office's, whatever name it borrows.
_FOREIGN_END_RE = re.compile(r"\.(?:info|com|net|org|biz|xyz|top|online|site|io|co|me|tk|ru|cn)\s*$")


def _is_generic_mailbox(address: str) -> bool:
    """An office's mailbox: its local part only names a service, never a person; at a
    public service's domain, any local part that shows no person."""
    at = re.search(_AT, address, flags=re.IGNORECASE) or re.search(_LOOSE_AT, address, re.I)
    local, domain = (address[: at.start()], address[at.end() :]) if at else (address, "")
    domain = re.sub(rf"{_SPELLED_DOT}", ".", _fold(domain), flags=re.IGNORECASE)
    # « securite-caf@caf-fr.info »: a public service's name in a domain it does not own
    public = _public_domain_re().search(domain) and not _FOREIGN_END_RE.search(domain)
    if public and not _shows_a_person(local):
        return True
    words = [w for w in re.split(r"[._+\s-]+|(?<=\D)(?=\d)|(?<=\d)(?=\D)", _fold(local)) if w]
    generic = _mailbox_words()
    # « contact.famille-baudry@wanadoo.fr »: at a consumer provider, a word that names no
    # service is a family's or a person's name.
    private = re.match(_PROVIDER_DOMAIN, domain.lstrip(" .")) and any(
        w.isalpha() and len(w) >= 4 and w not in generic and w not in _STRONG_MAILBOX_WORDS
        for w in words
    )
    if words and words[0] in _STRONG_MAILBOX_WORDS and not private and not any(
        _is_first_name(w) for w in words
    ):
        return True  # « accueil.paris15@… »
    return bool(words) and all(
        w in generic or w.isdigit() or len(w) <= 2 or re.fullmatch(r"(?:2a|2b|\d{2,3})", w)
        for w in words
    ) and any(w in generic for w in words)


# An address typed letter by letter: « m a r i e . t @ y a h o o . f r ».
_SPACED_EMAIL_RE = re.compile(
    r"(?<![\w.])(?:[\w.+-][ \u00a0]){2,60}[@＠](?:[ \u00a0][\w.-]){3,60}(?![\w.])"
)
# Blanks typed around the dots and the « @ » (« Jean. Lambert@Orange. Fr », « anthony . roux 92 @
# gmail . com », « rfontaine@ caf.fr »), the domain ending as addresses end.
_BLANKS_EMAIL_RE = re.compile(
    r"(?<![\w.])[\w+-]+(?:[ \u00a0]?\.[ \u00a0]?[\w+-]+|[ \u00a0]\d+){0,4}[ \u00a0]?[@＠][ \u00a0]?"
    r"[^\W\d_][\w-]*(?:[ \u00a0]?\.[ \u00a0]?[\w-]+){0,3}?[ \u00a0]?\.[ \u00a0]?"
    r"(?i:fr|com|net|org|eu|be|ch|info)(?!\w)"
)
# Signs typed between the parts of an address (« jean.dupont + arobase + gmail + point + com
# », « jean.dupont / at / gmail / com »): read as blanks, one character for one.
_JOINING_SIGNS_RE = re.compile(r"(?<=\s)[+/|*~_](?=\s)")


def _find_emails(text: str) -> Iterator[Flag]:
    for m in _SPACED_EMAIL_RE.finditer(text) if ("@" in text or "＠" in text) else ():
        if re.search(r"[ \u00a0]\.[ \u00a0]\w", m.group().split("@")[-1]):
            yield Flag(FlagKind.EMAIL, m.start(), m.end())
    for m in _BLANKS_EMAIL_RE.finditer(text) if ("@" in text or "＠" in text) else ():
        first = _fold(re.match(r"[\w+-]+", m.group()).group())
        if first not in _STOP_FOLDED | _FUNCTION_WORDS and not _is_generic_mailbox(
            re.sub(r"[ \u00a0]", "", m.group())
        ):
            yield Flag(FlagKind.EMAIL, m.start(), m.end())
    yield from _emails_in(text)
    at = "@" in text or "＠" in text
    hint = at or bool(_AT_HINT_RE.search(text))
    for pattern, needed in zip(_LOOSE_EMAIL_RES, (hint, at), strict=True):
        for m in pattern.finditer(text) if needed else ():
            start = m.start() + (e.end() if (e := _ELISION_RE.match(m.group())) else 0)
            if not _is_generic_mailbox(text[start : m.end()]):
                yield Flag(FlagKind.EMAIL, start, m.end())
    joined = _JOINING_SIGNS_RE.sub(" ", text)
    if joined != text:
        yield from _emails_in(joined)


def _emails_in(text: str) -> Iterator[Flag]:
    for pattern in _EMAIL_RES:
        for m in pattern.finditer(text):
            start = m.start()
            elision = _ELISION_RE.match(m.group())
            if elision:
                start += elision.end()
            value = text[start : m.end()]
            if "@" not in value and not re.search(rf"{_SPELLED_DOT}|\.", value, re.IGNORECASE):
                continue
            if _is_generic_mailbox(value):
                continue
            # « jean dupont arobase orange point fr »: the first name belongs to it.
            first = re.search(r"([^\W\d_]+)\s+$", text[max(0, start - 30) : start])
            if first and "@" not in value.split()[0] and _is_first_name(first.group(1)):
                start -= len(first.group())
            yield Flag(FlagKind.EMAIL, start, m.end())


# The catch-all anchored on the domain: a mail provider (with or without its end) or a
# « word.tld », preceded within a short gap by something shaped like a local part, is an
# address, whatever sign, emoji or small word stands for the "@" (« nour.h 🌀 gmail.com »,
# « dylan.m sur outlook.fr », « jdupont (a) free fr », « camille underscore roux 92 at
# yahoo point fr »). The address runs from the local part to the end of the domain.
# A provider's name may be typed in two words (« hot mail », « la poste »).
_SPLIT_PROVIDERS = r"g\s?mail|hot\s?mail|la\s?poste|out\s?look|ya\s?hoo|i\s?cloud|wana\s?doo"
_PROVIDER_DOMAIN = rf"(?:{_MAIL_PROVIDERS}|{_SPLIT_PROVIDERS})(?![\w-])"
_ANY_DOT = r"(?:\s*[.,]\s*|\s*[^\w\s]{1,3}\s*|\s+(?:point|dot|pt)\s+|\s*[(\[](?:\.|point|dot)[)\]]\s*|\s)"
_ANCHOR_DOMAIN_RE = re.compile(
    rf"(?<![\w.-])(?:(?P<provider>{_PROVIDER_DOMAIN})(?:{_ANY_DOT}(?:{_TLDS})(?![\w-]))?"
    rf"|(?P<site>[a-z0-9][\w-]*(?:\.[\w-]+)*(?:\.|\s+(?:point|dot)\s+)(?:{_TLDS}))(?![\w-]))",
    re.IGNORECASE,
)
_LOCAL_JOIN = (
    r"(?:[.\-]|\s+(?:point|dot|pt|tiret\s+(?:bas|du\s+bas|du\s+(?:8|huit))|underscore"
    r"|tiret|trait\s+d['’]union)\s+)"
)
_STRONG_GAP = rf"(?:[@＠]|[(\[{{<]\s?(?:a|at|@|arobase)\s?[)\]}}>]|ⓐ|\b(?:{_AT_WORDS})\b)"
_WEAK_GAP = r"(?:\b(?:chez|sur|à|a)\b|[^\w\s.,;:!?'’\"«»()\[\]-]{1,3})"
_LOCAL_BEFORE_RE = re.compile(
    rf"(?<![\w.+'’-])(?P<local>[\w+'’]+(?:{_LOCAL_JOIN}[\w+'’]+)*(?:\s\d{{1,4}})?)"
    rf"(?P<gap>\s*[,;:]?\s*(?:(?P<strong>{_STRONG_GAP})|{_WEAK_GAP})?\s*)$",
    re.IGNORECASE,
)
# « pierre.vidalarobaselaposte.net »: the word for "@" typed inside the address.
_GLUED_AT_RE = re.compile(
    rf"(?<![\w.+-])[\w.+-]{{2,}}?(?:arr?obase?|arr?obas)(?:{_MAIL_PROVIDERS}|[\w-]+\.(?:{_TLDS}))"
    rf"(?:\.(?:{_TLDS}))?(?![\w-])"
    # « bobby75atcaramaildotcom »: "at" and "dot" glued too, around a mail provider
    rf"|(?<![\w.+-])[\w.+-]{{2,}}?(?:at|arr?obase?)(?:{_MAIL_PROVIDERS})(?:\.|dot|point)(?:{_COMMON_TLDS})(?![\w-])"
    # « sarah.b_at_gmail.com », « sarah.b-at-gmail-dot-com »: joined by "_" or "-"
    rf"|(?<![\w.+-])[\w.+-]{{2,}}?[_-](?:at|arr?obase?|arr?obaz)[_-](?:{_MAIL_PROVIDERS}|[a-z0-9]+)"
    rf"(?:\.|[_-](?:dot|point)[_-])(?:{_TLDS})(?![\w-])",
    re.IGNORECASE,
)


# The provider named before the local part: « mon gmail c'est lucas.martin75 », « sur
# hotmail : kevin_b92 ». The local part must show a dot, an underscore or a digit.
_PROVIDER_FIRST_RE = re.compile(
    rf"\b(?:mon|ma|son|sa|sur|par|via|en)\s+(?:(?:adresse|compte|mail)\s+)?(?P<provider>{_MAIL_PROVIDERS})"
    r"\s*(?:,\s*)?(?:c['’]est|c|cest|:|=|->|→|est)?\s*(?:le\s+|la\s+)?"
    r"(?P<local>(?=[\w.+-]*[._\d])(?=[\w.+-]*[^\W\d_]{2})[\w+-]+(?:\.[\w+-]+){0,4})(?![\w@.-])",
    re.IGNORECASE,
)


# A token glued to a mail provider and its end, the "@" left out or typed as a dot, a dash
# or nothing: « lucas.martin.gmail.com », « lucas_martin-gmail.com », « lucasmartin93gmail.com ».
_GLUED_PROVIDER_RE = re.compile(
    rf"(?<![\w.+@-])(?!www\.)(?P<local>[\w+-]+(?:\.[\w+-]+){{0,3}}?)[._-]?(?:{_MAIL_PROVIDERS})"
    rf"\.(?:{_COMMON_TLDS})(?![\w-])",
    re.IGNORECASE,
)


def _glued_provider_emails(text: str) -> Iterator[Flag]:
    for m in _GLUED_PROVIDER_RE.finditer(text):
        local = m.group("local").strip("._-")
        if len(re.sub(r"[\W_]", "", local)) < 3 or not re.search(r"[^\W\d_]{2}", local):
            continue
        # a local part that shows a person: a separator, a digit or a first name
        if not (re.search(r"[._\d]", local) or _is_first_name(local) or _starts_with_a_first_name(local)):
            continue
        if not _is_generic_mailbox(text[m.start() : m.end()].replace(local, local + "@", 1)):
            yield Flag(FlagKind.EMAIL, m.start(), m.end())


def _domain_anchored_emails(text: str) -> Iterator[Flag]:
    yield from _glued_provider_emails(text)
    for m in _PROVIDER_FIRST_RE.finditer(text):
        local = m.group("local")
        generic = _is_generic_mailbox(local + "@" + m.group("provider"))
        if re.fullmatch(r"[\d.]+|\d+[.,]\d+", local) or generic:
            continue
        yield Flag(FlagKind.EMAIL, m.start("provider"), m.end("local"))
    for m in _GLUED_AT_RE.finditer(text):
        if not _is_generic_mailbox(m.group()):
            yield Flag(FlagKind.EMAIL, m.start(), m.end())
    for domain in _ANCHOR_DOMAIN_RE.finditer(text):
        before = _LOCAL_BEFORE_RE.search(text, max(0, domain.start() - 80), domain.start())
        if before and _local_part_ok(before, domain):
            elision = _ELISION_RE.match(before.group("local"))
            start = before.start() + (elision.end() if elision else 0)
            local = text[start : before.end("local")]
            if not _is_generic_mailbox(text[start : domain.end()]) and not _is_generic_mailbox(
                local + "@" + domain.group()
            ):
                # « lucas martin 93 gmail com »: a first name said before the local part
                first = re.search(r"([^\W\d_]+)[ ]+$", text[max(0, start - 30) : start])
                spaced = " " in before.group("local")
                if first and spaced and _is_first_name(first.group(1), allow_word=False):
                    start -= len(first.group())
                yield Flag(FlagKind.EMAIL, start, domain.end())


def _local_part_ok(before: re.Match[str], domain: re.Match[str]) -> bool:
    """A sign or word for "@" needs a local part of two letters; a weaker gap (« chez »,
    « sur », an emoji, nothing) needs a local part that shows a separator or a digit, and
    a known provider or a written dot in the domain."""
    local = before.group("local")
    if not re.search(r"[^\W\d_]{2}", local) or _HYPHENATED_WORD_RE.fullmatch(_fold(local)):
        return False
    if before.group("strong"):
        return True
    shaped = re.search(rf"\d|_|{_LOCAL_JOIN}", local, re.IGNORECASE)
    # A first name glued to a name or an initial, before a provider and its end.
    if domain.group("provider") and "." in domain.group() and _starts_with_a_first_name(local):
        return True  # « nourhamdi 🌀 gmail.com », « dylanmrc sur outlook.fr »
    if domain.group("provider") and re.search(r"\.|\s(?:point|dot)\s", domain.group()) and \
            re.fullmatch(r"\s*chez\s*", before.group("gap")) and _is_first_name(local, allow_word=False):
        return True  # « lucile chez laposte point net »
    if not shaped:
        return False
    # « rond-point SFR »: with nothing between them, a hyphenated word is French.
    if not before.group("gap").strip(" ,;:") and not re.search(r"[._\d]|\s", local):
        return False
    if re.search(r"\s", domain.group("provider") or ""):
        return False  # « la Poste », « hot mail » in two words: only after a word for "@"
    if domain.group("provider"):
        return True
    # « rendez-vous sur ameli.fr »: a hyphen alone is French; a site needs a dot or a digit.
    return "." in domain.group() and bool(re.search(r"[._\d]", local))


def _starts_with_a_first_name(local: str) -> bool:
    """« nourhamdi », « lucasb »: a first name glued to a name or an initial."""
    folded = _fold(local)
    return len(folded) >= 5 and folded.isalpha() and not _is_first_name(folded) and any(
        _is_first_name(folded[:n], allow_word=False) for n in range(len(folded) - 1, 2, -1)
    )


# French words joined by a hyphen, never a local part: « e-mail », « inscrivez-vous »,
# « c'est-à-dire », « peut-être ».
_HYPHENATED_WORD_RE = re.compile(
    r"[\w'’]*(?:-(?:vous|moi|nous|toi|les|le|la|lui|leur|leurs|ci|la|meme|memes|il|elle|on|ils"
    r"|elles|t|y|en))+|e-?mail|e-?mails|mail|rendez-vous|peut-etre|c'est-a-dire|est-a-dire"
    r"|au-dessus|au-dessous|vis-a-vis|quelques-uns|c'est|vous|moi"
)


# --- phones

# A run of digits (or the letter O typed for a zero) with single separators, after an
# optional international prefix. The letter O counts only next to no other letter, so that
# « bonjour 06… » keeps its o.
_DIGITISH = r"(?:\d|(?<![^\W\dOo_])[Oo](?![^\W\dOo_]))"
# One blank, or a sign with a blank on either side (« 06 - 31 - 47 », « 06 • 12 »), or a
# line break (a number split across two lines).
_PHONE_SEP = r"(?:[ \u00a0\u202f]?(?:[.\-–—•·_,/:]|\.{2,3})[ \u00a0\u202f]?|[ \u00a0\u202f]|\r?\n)"
_PHONE_RE = re.compile(
    rf"""(?<![\d+])
    (?P<prefix>
        \(\s?\+\s?(?P<cc1>\d{{1,3}})\s?\)
      | \+\s?(?P<cc2>\d{{1,3}})
      | 00\s?(?P<cc3>33|262|590|594|596|269|508|681|687|689|32|41|352|377|44|34|39|49|212|213|216|221|225|237)
    )?
    (?P<trunk>[\s.\-]{{0,2}}\(\s?0\s?\))?
    [\s.\-]{{0,2}}
    (?P<body>(?:\(\s?0\d\s?\)|{_DIGITISH})(?:{_PHONE_SEP}?{_DIGITISH}){{5,13}})
    (?:(?![^\W_])|(?=[a-zà-ÿ]{{2,}}(?![\w]*\d)))  # stuck to the next word: « 0612345678svp »""",
    re.VERBOSE,
)
# Digits after the country code of French numbers outside the mainland.
_OVERSEAS_LENGTHS = {"262": 9, "590": 9, "594": 9, "596": 9, "269": 9, "508": 6, "681": 6,
                     "687": 6, "689": 8}  # fmt: skip


@cache
def _public_numbers() -> tuple[frozenset[str], tuple[str, ...]]:
    contacts = _public_contacts()
    numbers = frozenset(re.sub(r"\D", "", str(n)) for n in contacts.get("phones", []))
    prefixes = tuple(re.sub(r"\D", "", str(p)) for p in contacts.get("phone_prefixes", []))
    return numbers, prefixes


@cache
def _switchboard_re() -> re.Pattern[str]:
    words = _words_pattern(_public_contacts().get("switchboard_words", []))
    return re.compile(rf"(?:{words})\b[^.!?\n]{{0,40}}$")


@cache
def _office_words_re() -> re.Pattern[str]:
    """Offices, not every capitalised acronym (« tél », « RDV » name none)."""
    return re.compile(rf"\b(?:{_words_pattern(_public_contacts().get('office_words', []))})\b")


@cache
def _office_number_after_re() -> re.Pattern[str]:
    """« 04 72 61 74 00 (numéro de la MDPH) »"""
    return re.compile(
        r"\s*[(,–-]?\s*(?:c'est |qui est )?(?:le |son |leur )?(?:numero|n°|standard|tel"
        r"|telephone|ligne|accueil)(?: direct| general| public| officiel)?\s+(?:de la |du |de l'"
        rf"|des |de )(?:{_office_words_re().pattern})"
        # « … ou au 02 99 87 23 00 aux heures d'ouverture »: an office's opening hours
        r"|\s*[(,]?\s*(?:aux|pendant les|durant les) (?:heures|horaires) d'ouverture"
        # « Le 02 43 47 47 47 de la mairie ne fait que transférer »
        rf"|\s+(?:de la |du |de l'|des )(?:{_office_words_re().pattern})\b(?!\s+(?:de mon|de ma|de mes))"
        # « 04 91 55 11 11 c'est leur standard », « 0590 89 10 10 (standard) »
        r"|\s*[(,–-]?\s*(?:c'?est |qui est )?(?:le |son |leur |leurs |du |un |au )?"
        r"(?:standard|accueil telephonique)\b"
        # « … 09 69 32 34 34 indiqué sur leur site »: the number the office publishes
        # « … qu'on m'a donné sur le courrier, c'est le standard du ministère »
        r"|[^.!?\n]{0,60}\b(?:c'est|est) (?:le|leur|son|un) standard\b"
        r"|\s*[(,–-]?\s*(?:(?:qui est |celui |qu'on m'a |qu'on nous a |que vous m'avez |que l'on m'a )?"
        r"(?:indique|donne|affiche|inscrit|mentionne|ecrit)e?"
        r"|qui (?:figure|est ecrit|est indique))\s+(?:sur|dans)\s+"
        r"(?:leur|leurs|votre|vos|le|la|les|l'|son|sa)\s*(?:site|courrier|lettre|convocation|avis"
        r"|page|affiche|mail|courriel|notification|facture)"
    )


# The office's own line, as the usager calls it: « j'ai essayé de vous joindre au … », « le
# numéro indiqué sur votre courrier, le … ».
_OFFICE_LINE_BEFORE_RE = re.compile(
    r"\b(?:vous (?:joindre|appeler|contacter|telephoner)|(?:ai|avons) appele (?:votre|vos|leur)"
    r"|(?:votre|vos|leur|leurs) (?:numero|standard|ligne|plateforme|service client)"
    r"|(?:numero|tel|telephone) (?:indique|donne|affiche|inscrit|figurant|mentionne)e? (?:sur|dans)"
    r" (?:votre|vos|leur|leurs|le|la|les|l'))(?P<rest>[^.!?\n]{0,40})$"
)
_OWN_LINE_RE = re.compile(r"\b(?:me|m'|moi|mon|ma|mes|perso\w*|portable|rappel\w*|sms|whatsapp)\b")


_FIRST_PERSON_RE = re.compile(
    r"\b(?:mon|ma|mes|me|m'|moi|mien|mienne|perso|personnel|portable|mobile|joindre|rappel\w*"
    r"|contacte[rz]|appelez|appeler|sms|(?:suis|sommes|reste|restons) joignables?)\b"
)


_TEL_LABEL_END_RE = re.compile(r"\b(?:tel|telephone)\.?\s*:?\s*$")
_DIRECT_LINE_RE = re.compile(r"\b(?:direct|directe|ligne perso\w*|portable|mobile|poste)\b[^\d\w]{0,4}$")
# « j'ai laissé mon numéro 06 … au standard »: the author's own number, whatever follows.
_OWN_NUMBER_BEFORE_RE = re.compile(
    r"\b(?:(?:mon|ma) (?:numero|num|tel|telephone|portable|mobile|cell|gsm|0[67])"
    r"|(?:me|m') (?:rappeler|joindre|contacter|appeler|telephoner))\b[^.!?\n\d]{0,15}$"
)


_LINE_OF_A_PERSON_AFTER_RE = re.compile(
    r"\s*[,(–-]?\s*(?:c'?est\s+|qui est\s+)?(?:le|la|sa|son)\s+(?:bureau|ligne|poste|portable)"
    r"(?:\s+direct\w*)?\s+(?:de|du|d')\s*(?:m|mme|mr|monsieur|madame|mlle|mademoiselle|dr|docteur"
    r"|maitre|me)\b"
)


def _is_switchboard(text: str, start: int, end: int, national: str) -> bool:
    """An office's published number: named so (« le standard de la mairie », « (numéro de
    la MDPH) »), or a landline ending in 00, as switchboards do, given for an office by
    someone who does not give it as hers."""
    before = _CLAUSE_SPLIT_RE.split(_fold(text[max(0, start - 60) : start]))[-1]
    if _DIRECT_LINE_RE.search(before) or _OWN_NUMBER_BEFORE_RE.search(before):
        return False  # « Tél. direct : … »: an agent's own line, not the office's
    if _person_of_the_office_before(text, start):
        return False  # « Hervé du service urbanisme, tél … »: his line
    if _LINE_OF_A_PERSON_AFTER_RE.match(_fold(text[end : end + 50])):
        return False  # « … 05 96 63 41 27, c'est le bureau de M. Louis-Joseph »
    if _switchboard_re().search(before) or _number_of_an_office_re().search(before):
        return True
    if national[:2] in ("06", "07"):
        return False  # offices publish landlines: a mobile given for one is a person's
    after = _fold(text[end : end + 60])
    named_after = _office_number_after_re().match(after)
    # « …, numéro de l'agence : 09 … »: that label names the next number, not this one
    if named_after and not re.match(r"\s*:\s*[+(\d]", text[end + named_after.end() : end + 70]):
        return True
    line = _OFFICE_LINE_BEFORE_RE.search(before)
    if line and not _OWN_LINE_RE.search(line.group("rest")):
        return True
    landline = national[:2] in ("01", "02", "03", "04", "05", "09")
    # « la CPAM (05 90 21 44 44) », « le CCAS, tél. 02 … »: a landline right after the
    # office's name, where no person is named.
    # « Mairie de Quimperlé — Service État civil — Tél. 02 … »: an office's heading.
    heading = _office_words_re().search(before) and _TEL_LABEL_END_RE.search(before) or (
        _office_heading_re().fullmatch(_unaccent(text[: start]).strip())
    )
    if landline and (_office_named_before_re().search(before) or heading) and not (
        _FIRST_PERSON_RE.search(before) or _NAMED_PERSON_BEFORE_RE.search(before)
    ):
        return True
    return bool(
        landline
        and national.endswith("00")
        and _office_words_re().search(before)
        and not _FIRST_PERSON_RE.search(before)
    )


@cache
def _number_of_an_office_re() -> re.Pattern[str]:
    """« on m'a donné le numéro du CCAS, 04 … »: the office's number, whoever gave it."""
    return re.compile(
        rf"\b(?:le|son|leur)\s+(?:numero|n°|tel|telephone)\s+(?:du|de la|de l'|des)\s*"
        # « le numéro de l'accueil de la mairie c'est le 04 … »
        r"(?:(?:accueil|standard|secretariat)\s+(?:du|de la|de l'|des)\s*)?"
        rf"(?:{_office_words_re().pattern})(?:\s+(?:de la|de l'|de|du|d')\s*[\w'-]+){{0,2}}"
        r"\s*[(,:–-]?\s*(?:au|:|c'est(?: le)?|est(?: le)?)?\s*$"
    )


@cache
def _office_named_before_re() -> re.Pattern[str]:
    return re.compile(
        rf"\b(?:le|la|les|l'|du|de la|de l'|des|au|a la|a l')\s*(?:{_office_words_re().pattern})"
        r"(?:\s+(?:de la|de l'|de|du|d')\s*[\w'-]+){0,3}"
        r"\s*[(,:–-]\s*(?:(?:tel|telephone|n°|numero)\.?\s*:?\s*)?$"
    )


@cache
def _office_heading_re() -> re.Pattern[str]:
    """A text that is only an office's name and its town before the number: « Maison France
    services Le Bourg 05 … », « CAF de la Creuse - tél. : … » (unaccented, case kept)."""
    offices = _words_pattern(_public_contacts().get("office_words", []))
    return re.compile(
        rf"(?i:{offices})(?:[ \t]+(?:[A-Z][\w'-]*|(?i:de la|de l'|de|du|des|d'|l'|la|le|les|et|sur|en|-)))"
        r"{0,6}[ \t]*[(,:–-]?[ \t]*(?:(?i:tel|telephone|n°|numero|standard)\.?[ \t]*:?)?"
    )


# « Hervé du service urbanisme », « Mme Roux de la CAF »: a person of the office, his line.
_PERSON_OF_OFFICE_RE = re.compile(
    r"(?<![\w'’-])([A-ZÀ-ÖØ-Þ][\w'’-]+)[ \t]+(?:du|de la|de l'|des|d'|de)[ \t]*(?P<office>[^.!?\n]{0,40})$"
)


def _person_of_the_office_before(text: str, start: int) -> bool:
    m = _PERSON_OF_OFFICE_RE.search(text, max(0, start - 70), start)
    if not m or not _office_words_re().match(_fold(m.group("office"))):
        return False
    return _is_first_name(m.group(1)) and not _office_words_re().fullmatch(_fold(m.group(1)))


_NAMED_PERSON_BEFORE_RE = re.compile(
    r"\b(?:monsieur|madame|mme|mlle|mr|m\.|dr|docteur|conseill\w*|agent\w*|gestionnaire"
    r"|referent\w*|assistante?)\b"
)


def _is_public_number(national: str) -> bool:
    numbers, prefixes = _public_numbers()
    return national in numbers or national.startswith(prefixes)


_PHONE_CONTEXT_RE = re.compile(
    r"(?:\btel|\btelephone|\bportable|\bmobile|\bfixe|\bnumero|\bnum\b|\bn°|\bjoindre|\bappel"
    r"|\brappel|\bcontact|\bsms|\bjoignable|\bwhatsapp)[^.!?\n]{0,25}$"
)
# A number typed digit by digit may come further after its words (« mon numéro en chiffres
# séparés pour que les robots ne le lisent pas : 0 7 … »).
_WIDE_PHONE_CONTEXT_RE = re.compile(
    r"(?:\btel|\btelephone|\bportable|\bmobile|\bfixe|\bnumero|\bnum\b|\bjoindre|\bappel"
    r"|\brappel|\bsms|\bjoignable|\bwhatsapp)[^!?\n]{0,80}$"
)


# Words about a phone after the number (« … voilà mon tel », « … sur whatsapp »).
_PHONE_WORDS_AFTER_RE = re.compile(
    r"^[^.!?\n]{0,60}?(?:\btel\b|\btelephone|\bportable|\bmobile|\bnumero|\bnum\b|\bjoindre"
    r"|\bappel|\brappel|\bsms\b|\bwhatsapp|\bjoignable)"
)


def _phone_body_ok(body: str, international: bool, context: str, after: str = "") -> bool:
    """Groups as people write them: no digit alone but the first (« 0 800 », « +33 6 »,
    « 0 6 12 … »), unless words about a phone come before, or the number is typed digit by
    digit beside such words or as a mobile; one kind of slash, comma or colon throughout
    (« 06/12/2024 » is a date, « 08:30-12:00 » hours), but for a number cut once by a
    slash (« 06 27 41 / 93 58 ») or mixed signs after words about a phone."""
    unbracketed = body.replace("(", "").replace(")", "")
    found = re.findall(_PHONE_SEP, unbracketed)
    separators = {sep.strip() or " " for sep in found}
    if separators & {"/", ",", ":"} and len(separators) > 1:
        cut_once = separators <= {" ", ".", "/"} and body.count("/") == 1
        mixed = ":" not in separators and _PHONE_CONTEXT_RE.search(context)
        if not (cut_once or mixed):
            return False
    groups = [g.strip("() ") for g in re.split(_PHONE_SEP, body) if g.strip("() ")]
    one_by_one = sum(len(g) == 1 for g in groups) >= 6
    mobile = one_by_one and "".join(groups[:2]) in ("06", "07", "O6", "O7")
    if not international and len(groups) > 2 and groups[0] in ("0", "O") and len(groups[1]) == 1:
        groups = [groups[0] + groups[1], *groups[2:]]  # « 0 6 12 34 56 78 »
    if any(len(g) == 1 for g in groups[1:]) and not _PHONE_CONTEXT_RE.search(context):
        near = _WIDE_PHONE_CONTEXT_RE.search(context) or _PHONE_WORDS_AFTER_RE.search(after)
        if not (one_by_one and (near or mobile)):
            return False
    return not (international and len(groups[0]) > 4 and len(groups) > 1)


def _phone_flag(m: re.Match[str]) -> Flag | None:
    """The number the match reads, or the first one of two numbers run together by a
    separator (« 06 12 34 56 78 - 06 98 76 54 32 »)."""
    text, body_start = m.string, m.start("body")
    if not (m.group("cc1") or m.group("cc2") or m.group("cc3")):
        # Without a country code every reading needs « 0 » or « 33 » first: a run of other
        # digits (« 1 1 1 1 … ») is refused here once, not at each of its group ends.
        lead = re.sub(r"\D", "", text[body_start : body_start + 8].replace("O", "0").replace("o", "0"))
        if len(lead) >= 2 and not (lead.startswith("33") or (lead[0] == "0" and lead[1] != "0")):
            return None
    for body_end in _group_ends(text, body_start, m.end("body")):
        flag = _phone_at(m, body_end)
        if flag or body_end - body_start < 10:
            return flag
    return None


def _phone_at(m: re.Match[str], body_end: int) -> Flag | None:
    body = m.string[m.start("body") : body_end]
    digits = re.sub(r"\D", "", body.replace("O", "0").replace("o", "0"))
    cc = m.group("cc1") or m.group("cc2") or m.group("cc3")
    start = m.start("prefix") if cc else m.start("body")
    # « tel 33 6 12 34 56 78 »: the country code without its plus, after words of a phone.
    if cc is None and re.fullmatch(r"33[1-9]\d{8}", digits) and _PHONE_CONTEXT_RE.search(
        _fold(m.string[max(0, start - 40) : start])
    ):
        cc, digits, body = "33", digits[2:], re.sub(r"^33[ .\-]?", "", body)
    if cc is None and not (len(digits) == 10 and digits[0] == "0" and digits[1] != "0"):
        return None  # checked again below; first here, before the costlier checks
    after = _fold(m.string[body_end : body_end + 70])
    if not _phone_body_ok(body, bool(cc), _fold(m.string[max(0, start - 100) : start]), after):
        return None
    if cc is None:
        if not (len(digits) == 10 and digits[0] == "0" and digits[1] != "0"):
            return None
        national = digits
    elif cc == "33":
        national = digits if digits.startswith("0") else "0" + digits
        if len(national) != 10 or national[1] == "0":
            return None
    elif cc in _OVERSEAS_LENGTHS:
        if len(digits.lstrip("0")) != _OVERSEAS_LENGTHS[cc]:
            return None
        national = digits
    else:
        try:
            number = phonenumbers.parse(f"+{cc}{digits}")
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_possible_number(number):
            return None
        national = digits
    if cc in (None, "33") and _is_public_number(national):
        return None
    if cc is None and _FULL_DATE_RE.search(body):
        return None  # « 03.11.2024 / 09:30 »: a date and an hour
    # Ten digits in one block after « facture », « référence »…: the administration's number.
    context = _context_before(m.string, start, 30)
    if body.isdigit() and _ADMIN_REFERENCE_RE.search(context) and not _PHONE_CONTEXT_RE.search(
        context
    ):
        return None
    if _is_switchboard(m.string, start, body_end, national if cc in (None, "33") else ""):
        return None
    # An O typed for a zero must sit among digits, not make most of the number.
    if sum(c in "Oo" for c in body) > 3:
        return None
    return Flag(FlagKind.PHONE, start, body_end)


# Numbers written in words, digits among them: « zéro six douze trente-quatre … ».
_UNITS = {"zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
          "sept": 7, "huit": 8, "neuf": 9}  # fmt: skip
_TEENS = {"dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
          "seize": 16}  # fmt: skip
_TENS = {"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60}
_NUMBER_WORD_RE = re.compile(
    r"(?:zero|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze"
    r"|quinze|seize|vingts?|trente|quarante|cinquante|soixante|et|\d+)(?![\w])"
)
_SPOKEN_SEP_RE = re.compile(r"[\s,.\-–/]*")


def _spoken_number(words: list[str]) -> tuple[str, int] | None:
    """The digits of the number the words at the start of `words` say, and how many words
    it takes: « soixante-dix-huit » -> ("78", 3), « zéro » -> ("0", 1), « 12 » -> ("12", 1)."""
    first = words[0]
    if first.isdigit():
        return first, 1
    if first in _UNITS:
        if first == "quatre" and len(words) > 1 and words[1].startswith("vingt"):
            rest = _below_twenty(words[2:])
            return (str(80 + rest[0]), 2 + rest[1]) if rest else ("80", 2)
        return str(_UNITS[first]), 1
    if first in _TEENS or first == "dix":
        return _below_twenty_str(words)
    if first in _TENS:
        value, used = _TENS[first], 1
        if len(words) > used and words[used] == "et" and len(words) > used + 1:
            extra = {"un": 1, "une": 1, "onze": 11}.get(words[used + 1])
            if extra is not None:
                return str(value + extra), used + 2
        rest = _below_twenty(words[used:]) if first == "soixante" else None
        if rest and rest[0] >= 10:
            return str(value + rest[0]), used + rest[1]
        if len(words) > used and words[used] in _UNITS and words[used] not in ("zero", "une"):
            return str(value + _UNITS[words[used]]), used + 1
        return str(value), used
    return None


def _below_twenty(words: list[str]) -> tuple[int, int] | None:
    if not words:
        return None
    if words[0] in _TEENS and words[0] != "dix":
        return _TEENS[words[0]], 1
    if words[0] == "dix":
        if len(words) > 1 and words[1] in ("sept", "huit", "neuf"):
            return 10 + _UNITS[words[1]], 2
        return 10, 1
    if words[0] in _UNITS and words[0] not in ("zero",):
        return _UNITS[words[0]], 1
    return None


def _below_twenty_str(words: list[str]) -> tuple[str, int] | None:
    rest = _below_twenty(words)
    return (str(rest[0]), rest[1]) if rest else None


def _spoken_phones(text: str) -> Iterator[Flag]:
    folded = _plain(text)
    plain_until = -1  # the end of a run of plain digits already seen whole
    for start in re.finditer(r"(?<![\w])(?:zero|0)(?![\w])", folded):
        if start.start() < plain_until and start.group() == "0":
            continue  # a suffix of that run: plain digits too (« 0 0 0 0 … » stays linear)
        tokens: list[tuple[str, int, int]] = []  # word, start, end
        position = start.start()
        while len(tokens) < 24:
            word = _NUMBER_WORD_RE.match(folded, position)
            if not word:
                break
            tokens.append((word.group(), word.start(), word.end()))
            position = _SPOKEN_SEP_RE.match(folded, word.end()).end()
        words = [t[0] for t in tokens]
        if not any(w.isalpha() for w in words[1:]) and words[0] != "zero":
            plain_until = tokens[-1][2]
            continue  # plain digits: the patterns above read them
        digits, used = "", 0
        while used < len(words) and len(digits) < 10:
            spoken = _spoken_number(words[used:])
            if spoken is None:
                break
            digits, used = digits + spoken[0], used + spoken[1]
        if re.fullmatch(r"0[1-9]\d{8}", digits) and not _is_public_number(digits):
            yield Flag(FlagKind.PHONE, tokens[0][1], tokens[used - 1][2])


# The catch-all: runs of digits joined by any short run of signs (« 06 23 // 94 // 17 // 38 »,
# « 06 | 12 | 34 | 56 | 78 », « 06)12)34 »), ten digits in all from « 0X », or nine after
# « +33 » / « 0033 », read as a phone unless it is a date, a public number or the
# administration's reference. What is also a NIR, an IBAN or an identifier loses to them.
_DIGIT_RUN_RE = re.compile(r"\d+")
_LOOSE_GAP_RE = re.compile(
    r"[^\w\n]{1,5}|[ \u00a0]*\n(?:[ \u00a0]*\n)?[ \u00a0]*|[ ,]*\b(?:puis|tiret|espace)\b[ ,]*")
_FULL_DATE_RE = re.compile(r"(?<!\d)\d{1,2}\s?([/.\-])\s?\d{1,2}\s?\1\s?(?:19|20)\d\d(?!\d)")
_LOOSE_DATE_RE = re.compile(rf"{_FULL_DATE_RE.pattern}|\d{{1,2}}\s?[:h]\s?\d\d")
_LOOSE_PREFIX_RE = re.compile(r"(?:\+\s?|\b00\s?)(33)[^\w\n]{0,4}(?:\(\s?0\s?\)[^\w\n]{0,3})?$")


def _loose_phones(text: str) -> Iterator[Flag]:
    runs = [(m.start(), m.end()) for m in _DIGIT_RUN_RE.finditer(text)]
    chains: list[list[tuple[int, int]]] = []
    for run in runs:
        if chains and _LOOSE_GAP_RE.fullmatch(text, chains[-1][-1][1], run[0]):
            chains[-1].append(run)
        else:
            chains.append([run])
    for chain in chains:
        if (chain[0][0] > 0 and text[chain[0][0] - 1].isalpha() and len(chain) == 1) or (
            chain[-1][1] < len(text) and text[chain[-1][1]].isalpha() and len(chain) == 1
        ):
            continue
        i = 0
        starts = [r[0] for r in chain]
        while i < len(chain):
            flag = _loose_phone_at(text, chain, i)
            if flag:
                yield flag
                i = bisect.bisect_left(starts, flag.end)  # the first run after the flag
            else:
                i += 1


def _loose_phone_at(text: str, chain: list[tuple[int, int]], i: int) -> Flag | None:
    if i > 0 and not re.search(r"[^\w\s.]|\s{2,}", text[chain[i - 1][1] : chain[i][0]]):
        return None  # inside a longer number
    start = chain[i][0]
    prefix = _LOOSE_PREFIX_RE.search(text, max(0, start - 12), start)
    if not prefix and text[start] not in "067":
        return None  # every reading below needs « 0 », « 6 » or « 7 » first: refused at once
    digits, j = "", i
    while j < len(chain) and len(digits) < (9 if prefix else 10):
        digits += text[chain[j][0] : chain[j][1]]
        j += 1
    end = chain[j - 1][1]
    if prefix:
        ok = len(digits) == 9 and digits[0] != "0"
        national, start = "0" + digits, prefix.start()
    elif len(digits) == 9 and digits[0] in "67" and _PHONE_CONTEXT_RE.search(
        _context_before(text, start, 40)
    ):
        ok, national = True, "0" + digits  # « tel 6 12 34 56 78 »: the first zero left out
    else:
        ok = len(digits) == 10 and digits[0] == "0" and digits[1] != "0"
        national = digits
    if not ok or j - i > 7 or (j - i > 1 and any(e - s > 4 for s, e in chain[i + 1 : j])):
        return None
    if j < len(chain) and not re.search(r"[^\w\s.]|\s{2,}", text[end : chain[j][0]]):
        return None  # the number goes on
    span = text[start:end]
    if _LOOSE_DATE_RE.search(span) or _is_public_number(national):
        return None
    context = _context_before(text, start, 30)
    if _ADMIN_REFERENCE_RE.search(context) and not _PHONE_CONTEXT_RE.search(context):
        return None
    if _is_switchboard(text, start, end, national):
        return None
    return Flag(FlagKind.PHONE, start, end)


# Phones by digit density: a stretch of 8 to 13 digits with short gaps is a phone when it
# starts like one (« 0X », an overseas code) or comes right after words about a phone, even
# a digit short or long (« 06.74.19.83.2 », « 07911 123456 », « 596 696 45 33 21 »). A
# length other than ten needs words about a phone near it or the pairs people type.
_DENSE_GAP_RE = re.compile(r"[^\w\n]{1,4}")
_OVERSEAS_STARTS = ("262", "269", "590", "594", "596", "508", "681", "687", "689")
_STRICT_PHONE_WORDS_RE = re.compile(
    # « vini »: a mobile in Polynesia
    r"(?:\btel\b\.?|\btelephone|\bportable|\bmobile|\bfixe\b|\bvini\b|\bjoignable|\bjoindre|\bappel|\brappel"
    r"|\bwhatsapp|\bsms\b|\bnumero (?:de (?:tel|portable|telephone)|etranger|perso|local|au pays|la-bas"
    # « mon numéro tunisien », « numéro canadien »: a number of another country
    r"|[a-z]+(?:ais|aise|ain|aine|ien|ienne|ois|oise|ais|an|ane)\b))"
    r"[^.!?\n\d]{0,20}$"
)
_ISO_DATE_RE = re.compile(r"(?<!\d)(?:19|20)\d\d([-/.])\d{1,2}\1\d{1,2}(?!\d)")
_AMOUNT_AFTER_RE = re.compile(r"\s?(?:€|eur\b|euros?\b|%|ans\b|h\b|km\b|kg\b)", re.IGNORECASE)


def _digit_chains(text: str) -> Iterator[list[tuple[int, int]]]:
    chain: list[tuple[int, int]] = []
    for m in _DIGIT_RUN_RE.finditer(text):
        if chain and _DENSE_GAP_RE.fullmatch(text, chain[-1][1], m.start()):
            chain.append((m.start(), m.end()))
            continue
        if chain:
            yield chain
        chain = [(m.start(), m.end())]
    if chain:
        yield chain


def _dense_phones(text: str) -> Iterator[Flag]:
    for chain in _digit_chains(text):
        if len(chain) > 1 and _STREET_RE.match(text, chain[-1][0]):
            chain = chain[:-1]  # « 04 66 …, 2 rue … »: the street's number after the phone
        start, end = chain[0][0], chain[-1][1]
        digits = "".join(text[a:b] for a, b in chain)
        # six digits: a Pacific local number (never « 0… », a French number cut short)
        pacific = len(digits) == 6 and digits[0] != "0"
        if (8 <= len(digits) <= 13 or pacific) and _dense_phone_ok(text, chain, digits):
            prefix = _LOOSE_PREFIX_RE.search(text, max(0, start - 12), start)
            closed = text[chain[0][1] : chain[0][1] + 1] == ")"
            if not prefix and start and (text[start - 1] == "+" or text[start - 1] == "(" and closed):
                start -= 1  # « (418) 555-0142 », « +33 6 … », not « (0690 41 22 87) »
            yield Flag(FlagKind.PHONE, prefix.start() if prefix else start, end)


_PACIFIC_PREFIX_RE = re.compile(r"(?:\+|\b00)\s?6(?:87|81)\b")


def _dense_phone_ok(text: str, chain: list[tuple[int, int]], digits: str) -> bool:
    start, end = chain[0][0], chain[-1][1]
    if (start and text[start - 1].isalpha()) or (end < len(text) and text[end].isalpha()):
        return False
    groups = [b - a for a, b in chain]
    if start and text[start - 1] == "+":
        # « +33 6 12 34 56 7 »: an international number a digit short or long
        national = "0" + digits[2:] if digits.startswith("33") else digits
        return 10 <= len(digits) <= 13 and len(groups) >= 3 and not (
            _is_public_number(national) or _is_switchboard(text, start - 1, end, national)
        )
    before = _STRICT_PHONE_WORDS_RE.search(_context_before(text, start, 40))
    words = before or _PHONE_WORDS_AFTER_RE.search(_fold(text[end : end + 60]))
    paired = len(groups) >= 4 and sum(g == 2 for g in groups) >= len(groups) - 1
    if re.match(r"0[1-9]", digits):
        ok = len(digits) == 10 or words or (paired and 9 <= len(digits) <= 11)
    elif digits.startswith(_OVERSEAS_STARTS) and 11 <= len(digits) <= 13:
        ok = len(groups) >= 3
    else:
        ok = bool(before) and len(digits) <= 10 and len(groups) >= 3
        # six digits in pairs: a local number of New Caledonia or Wallis-et-Futuna
        # (not a date: « appel du 12 03 24 »)
        ok = ok and (len(digits) > 6 or groups == [2, 2, 2] and "/" not in text[start:end]
                     and not (1 <= int(digits[:2]) <= 31 and 1 <= int(digits[2:4]) <= 12))
    # « Rappel au 87785412 »: a Polynesian number (mobiles 87–89, landlines 40) typed as one block
    polynesian = bool(before) and groups == [8] and digits.startswith(("87", "88", "89", "40"))
    # « +687 92 41 58, ou chez ma sœur au 28 14 63 »: beside a number of New Caledonia or Wallis,
    # six digits in pairs after « au » are another local number
    pacific_pair = groups == [2, 2, 2] and _PACIFIC_PREFIX_RE.search(text) is not None and bool(
        re.search(r"\bau\s*$", text[max(0, start - 6) : start])
    ) and not (1 <= int(digits[:2]) <= 31 and 1 <= int(digits[2:4]) <= 12)
    ok = ok or polynesian or pacific_pair
    if not ok or len(groups) == 1 and len(digits) != 10 and not polynesian:
        return False
    if sum(g == 1 for g in groups) >= 4 and not words:
        return False  # « 0 1 2 3 4 5 … »: digits listed, not dictated
    span = text[start:end]
    national = "0" + digits if len(digits) == 9 and digits[0] != "0" else digits
    if _LOOSE_DATE_RE.search(span) or _ISO_DATE_RE.search(span) or _AMOUNT_AFTER_RE.match(text, end):
        return False
    if _is_public_number(national) or _is_public_number(digits):
        return False
    context = _context_before(text, start, 30)
    if _ADMIN_REFERENCE_RE.search(context) and not _PHONE_CONTEXT_RE.search(context):
        return False
    return not _is_switchboard(text, start, end, national)


# A phone cut in two by a pause: an ellipsis and an aside, or a hesitation (« 06 41 … enfin
# 27 83 90 », « 06 09 ... (la suite plus bas) ... 71 35 22 », « 07 15 euh 33 … »). The two
# parts must make ten digits from « 0X », the first one short of them.
_SPLIT_PAUSE_RE = re.compile(
    r"\s*(?:…|\.{2,})\s*(?:[^.…\d\n]{0,80}?\s*(?:…|\.{2,})\s*|[^.…\d\n]{0,25}?\s+)?"
    r"|[\s,]+(?:euh+|heu+|enfin|pardon|bref|donc|attendez|attends|je\s+disais)[\s,.…]+",
    re.IGNORECASE,
)


def _split_phones(text: str) -> Iterator[Flag]:
    if "…" not in text and ".." not in text and not re.search(r"\d[\s,]+[ehbdapj]", text):
        return
    chains = [c for c in _digit_chains(text)]
    for first, second in itertools.pairwise(chains):
        a = "".join(text[x:y] for x, y in first)
        b = "".join(text[x:y] for x, y in second)
        if not (re.fullmatch(r"0[1-9]\d{0,6}", a) and len(a) + len(b) == 10 and len(first) >= 1):
            continue
        pause = _SPLIT_PAUSE_RE.fullmatch(text, first[-1][1], second[0][0])
        if not pause or any(e - s > 4 for s, e in [*first, *second]):
            continue
        start, end = first[0][0], second[-1][1]
        if (start and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
            continue
        if not _is_public_number(a + b) and not _is_switchboard(text, start, end, a + b):
            yield Flag(FlagKind.PHONE, start, end)


# Part of a phone given in a sentence about its parts (« mon numéro finit par 56 78, le
# début c'est 06 12 34 », « les deux derniers chiffres de mon portable : 47 »): the digits
# after the word for the part, in pairs or one short block, are masked too.
_PART_OF_NUMBER_RE = re.compile(
    r"\b(?:(?:se )?termine|finit|fini|commence|debute|le debut|la fin|(?:deux|quatre|[2-8]) (?:premiers"
    r"|derniers) chiffres|(?:premiers|derniers) chiffres)\b[^\d.!?\n]{0,25}?"
    r"(?<![\w+])(?P<digits>\d\d(?:[ .\-]\d\d){0,3}|\d{2,4})(?![\d\w]|[ .,-]?\d"
    r"|\s?(?:€|%|(?:e|eur|euros?|h|heures?|min|minutes?|mn|jours?|mois|ans?|semaines?|secondes?"
    r"|sec|s|fois|km|kg|personnes?|pages?)\b))"
)
_PARTS_PHONE_WORDS_RE = re.compile(r"\b(?:numero|num|tel|telephone|portable|mobile|fixe|0[67])\b")
_PARTS_OTHER_NUMBER_RE = re.compile(
    r"\b(?:dossier|allocataire|fiscal|secu|securite|carte|cb|compte|iban|rib|client|contrat"
    r"|facture|reference|ref|badge|passeport|siret|siren|immatriculation|plaque|colis|suivi|caf"
    r"|nir|insee|cle|attestation)\b|\d{7}"
)


def _partial_phones(text: str) -> Iterator[Flag]:
    plain = _plain(text)
    if not re.search(r"\b(?:termine|finit|fini|commence|debute|debut|fin|chiffres)\b", plain):
        return
    for sentence in re.finditer(r"(?:[^.!?\n]|\.(?=\S))+", plain):
        words = sentence.group()
        if not _PARTS_PHONE_WORDS_RE.search(words) or _PARTS_OTHER_NUMBER_RE.search(words):
            continue
        for m in _PART_OF_NUMBER_RE.finditer(plain, sentence.start(), sentence.end()):
            digits = re.sub(r"\D", "", m.group("digits"))
            if digits[0] == "0" and len(digits) < 6:
                continue  # « un numéro qui commence par 09 70 »: a prefix names no one
            yield Flag(FlagKind.PHONE, m.start("digits"), m.end("digits"))


# A number dialled from France with « 00 » and any country code (« 00223 76 12 34 56 »,
# « 0090 532 123 45 67 »): valid for its country as the phone numbering plans say, in
# groups or after words about a phone, and not the administration's reference.
def _international_zeros(text: str) -> Iterator[Flag]:
    if "00" not in text:
        return
    for chain in _digit_chains(text):
        digits = "".join(text[a:b] for a, b in chain)
        start, end = chain[0][0], chain[-1][1]
        if not re.fullmatch(r"00[1-9]\d{7,14}", digits) or digits.startswith("0033"):
            continue
        if (start and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
            continue
        context = _context_before(text, start, 40)
        if len(chain) < 3 and not _STRICT_PHONE_WORDS_RE.search(context):
            continue
        if _NET_REFERENCE_RE.search(context) or _ADMIN_REFERENCE_RE.search(context):
            continue
        try:
            number = phonenumbers.parse("+" + digits[2:])
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            yield Flag(FlagKind.PHONE, start, end)


def _find_phones(text: str) -> Iterator[Flag]:
    yield from _search_all(_PHONE_RE, text, _phone_flag)
    yield from _international_zeros(text)
    yield from _split_phones(text)
    yield from _partial_phones(text)
    yield from _loose_phones(text)
    yield from _dense_phones(text)
    yield from _spoken_phones(text)
    # Foreign numbers in international format that the French shapes above do not cover.
    if "+" in text:
        for match in phonenumbers.PhoneNumberMatcher(text, "FR", phonenumbers.Leniency.VALID):
            if match.raw_string.lstrip("( ").startswith("+"):
                singles = sum(len(g) == 1 for g in re.findall(r"\d+", match.raw_string))
                if singles <= 2 and not _french_office_number(text, match):
                    yield Flag(FlagKind.PHONE, match.start, match.end)


def _french_office_number(text: str, match: phonenumbers.PhoneNumberMatch) -> bool:
    """« +33 9 71 10 39 60 », the 3960 from abroad: a published number in its +33 form."""
    if match.number.country_code != 33:
        return False
    national = "0" + str(match.number.national_number)
    return _is_public_number(national) or _is_switchboard(text, match.start, match.end, national)


# --- numbers checked by a key

_NUMBER_SEP = "[ \u00a0\u202f.\\-]"


def _search_all(
    pattern: re.Pattern[str], text: str, accept: Callable[[re.Match[str]], Flag | None]
) -> Iterator[Flag]:
    """Flags accepted among the matches of `pattern`, retrying one character further on
    after a refused match, so that a refused run does not hide a valid one inside it."""
    position = 0
    while m := pattern.search(text, position):
        flag = accept(m)
        if flag:
            yield flag
            position = max(flag.end, m.start() + 1)
        else:
            position = m.start() + 1


def _group_ends(text: str, start: int, end: int) -> Iterator[int]:
    """Ends of the groups of the run text[start:end], longest first: a greedy run also
    takes what follows the number ("4970 1012 3456 7894 12/25")."""
    for i in range(end, start, -1):
        if (i == end or not text[i].isalnum()) and text[i - 1].isalnum():
            yield i


def _compact(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value)


def _context_before(text: str, start: int, width: int = 60) -> str:
    return _plain(text[max(0, start - width) : start])


# NIR: sex (1-2, 3-4 and 7-8 for temporary numbers), year, month, department (2A/2B for
# Corsica), commune, order; then the key, possibly after « clé ».
# Any one sign between the groups (« 2/79/10/… », « 1_82_… »), and before the key any short
# run of signs around « clé » (« + clé 59 », « — clé 40 », « [49] », « (clé: 12) »).
_NIR_SEP = "[ \u00a0\u202f.\\-/_–—]"
_NIR_RE = re.compile(
    rf"""(?<![\w.,])
    (?P<body>[1-478](?:{_NIR_SEP}?\d){{2}}{_NIR_SEP}?(?:\d{_NIR_SEP}?\d|2[ABab]){_NIR_SEP}?(?:\d{{2}}|2[ABab])
             (?:{_NIR_SEP}?\d){{6}})
    (?:(?:[\s.,:;+/\-–—(\[]{{0,4}}(?i:(?:euh+\s+)?(?:et\s+)?(?:la\s+)?(?:cl[ée]f?|cle|key)(?:\s+est)?)[\s:=(\[]{{0,3}}
        |\s?[/+\-–—(\[]\s?|{_NIR_SEP}?)(?P<key>\d{{2}}))?
    (?![\w])""",
    re.VERBOSE,
)
_NIR_GROUPS_RE = re.compile(
    rf"\d{_NUMBER_SEP}\d\d{_NUMBER_SEP}\d\d{_NUMBER_SEP}(?:\d\d|2[ABab]){_NUMBER_SEP}"
    rf"\d{{3}}{_NUMBER_SEP}\d{{3}}"
)
_NIR_CONTEXT_RE = re.compile(
    r"(?:secu|securite sociale|\bnir\b|insee|assure|immatriculation|vitale|\bss\b|"
    r"social security)[^.!?\n]*$"
)
_FISCAL_CONTEXT_RE = re.compile(r"(?:fiscal|\bspi\b|impot|dgfip|contribuable)[^.!?\n]{0,40}$")


def _nir_flag(m: re.Match[str]) -> Flag | None:
    body = _compact(m.group("body")).upper()
    context = _context_before(m.string, m.start())
    nir_context = bool(_NIR_CONTEXT_RE.search(context))
    if body[3:5] in ("2A", "2B"):
        # « 1 99 2A 04 … »: Corsica's department written where the month goes, said a NIR
        return Flag(FlagKind.NIR, m.start(), m.end(), CHECKSUM_FAILED) if nir_context else None
    month = int(body[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return None
    fiscal_context = bool(_FISCAL_CONTEXT_RE.search(context)) and not nir_context
    if m.group("key"):
        if std_nir.is_valid(body + m.group("key")):
            return Flag(FlagKind.NIR, m.start(), m.end())
        # A wrong key: a NIR if said so or written as one, and not a card number.
        digits = _compact(m.group())
        if fiscal_context or (luhn.is_valid(digits) and _card_plausible(digits)):
            return None
        if nir_context or _NIR_GROUPS_RE.match(m.group("body")) or " " not in m.group():
            return Flag(FlagKind.NIR, m.start(), m.end(), CHECKSUM_FAILED)
        return None
    # Without a key, 13 digits are a NIR when the context says so or when they are written
    # in the groups of a NIR; otherwise they may be a fiscal number (see identifiers).
    if nir_context or (_NIR_GROUPS_RE.fullmatch(m.group("body")) and not fiscal_context):
        said = _KEY_SAID_AFTER_RE.match(m.string, m.end("body"))
        if said:  # « … 115 et finit par 43 », « … 039, la clé c'est 35 »
            note = None if std_nir.is_valid(body + said.group("key")) else CHECKSUM_FAILED
            return Flag(FlagKind.NIR, m.start(), said.end(), note)
        return Flag(FlagKind.NIR, m.start(), m.end("body"), CHECKSUM_FAILED)
    return None


# The key announced in words after the body of a NIR.
_KEY_SAID_AFTER_RE = re.compile(
    r"[\s,;:.\-–—]{0,3}(?:et\s+|puis\s+|avec\s+)?(?:(?:la\s+)?(?:cl[ée]f?|key)(?:\s+(?:c'est|est|:))?"
    r"|(?:(?:qui\s+)?(?:se\s+)?(?:finit|fini|termine|finissant)\s+(?:par|avec))"
    r"|(?:les\s+)?(?:deux\s+)?(?:derniers|dernier)(?:\s+chiffres)?(?:\s+(?:c'est|sont|:))?)"
    r"[\s:=(]{0,3}(?P<key>\d{2})(?![\w])",
    re.IGNORECASE,
)


# A NIR by density: after words about the social security in the same sentence, 12 to 16
# digits in short groups starting like a NIR are one, a digit short or long (« secu 1 85 05
# 75 123 45 78 »), masked with its key unchecked.
_NIR_CHAIN_GAP_RE = re.compile(r"[^\w\n]{1,4}|[^\w\n]{0,3}(?i:cl[ée]f?)[^\w\n]{0,3}")


def _dense_nirs(text: str) -> Iterator[Flag]:
    runs = [(m.start(), m.end()) for m in _DIGIT_RUN_RE.finditer(text)]
    chain: list[tuple[int, int]] = []
    length = 0  # the chain's digits, counted as it grows: joining them at each run is quadratic
    for run in [*runs, (-1, -1)]:
        # « NIR 2 44 … 215 95, 3 rue … »: a NIR its key proves whole takes nothing after it
        if chain and run[0] >= 0 and _NIR_CHAIN_GAP_RE.fullmatch(text, chain[-1][1], run[0]) and not (
            length == 15 and std_nir.is_valid("".join(text[a:b] for a, b in chain))
        ):
            chain.append(run)
            length += run[1] - run[0]
            continue
        if chain and 12 <= length <= 16:
            digits = "".join(text[a:b] for a, b in chain)
            start, end = chain[0][0], chain[-1][1]
            if (
                12 <= len(digits) <= 16
                and digits[0] in "1278"
                and len(chain) >= 2
                and not (start and text[start - 1].isalnum())
                and not (end < len(text) and text[end].isalnum())
                and _NIR_CONTEXT_RE.search(_context_before(text, start))
            ):
                yield Flag(FlagKind.NIR, start, end, CHECKSUM_FAILED)
        chain = [run]
        length = run[1] - run[0]


# « numéro sécu173025935015268 »: fifteen digits glued to the word before, a NIR only when its
# key proves it (a reference glued to its letters would need that one chance in 97).
_GLUED_NIR_RE = re.compile(r"(?<=[^\W\d_])[1-478]\d{4}(?:\d{2}|2[ABab])\d{8}(?!\w)")


# « 197O3972l287538 »: letters typed for digits inside one word, a NIR when its key proves it.
_LOOKALIKE_NIR_RE = re.compile(r"(?<![\w])[1-478lI][0-9OolI]{14}(?![\w])")


def _find_nirs(text: str) -> Iterator[Flag]:
    yield from _search_all(_NIR_RE, text, _nir_flag)
    yield from _dense_nirs(text)
    for m in _LOOKALIKE_NIR_RE.finditer(text):
        if not m.group().isdigit() and std_nir.is_valid(m.group().translate(LOOKALIKE_DIGITS)):
            yield Flag(FlagKind.NIR, m.start(), m.end())
    for m in _GLUED_NIR_RE.finditer(text):
        if std_nir.is_valid(m.group()):
            yield Flag(FlagKind.NIR, m.start(), m.end())


_IBAN_RE = re.compile(
    r"(?<![\w])[A-Za-z]{2}[ \u00a0.]?\d{2}"
    r"(?:(?:[ \u00a0\-.]|[ \u00a0]?/[ \u00a0]?|[ \u00a0]?\r?\n)?[A-Za-z0-9]){8,34}"
)


def _iban_format_ok(compact: str) -> bool:
    """The country's length and structure, whatever the check digits."""
    try:
        info = std_iban._ibandb.info(compact)
        structure = info[0][1].get("bban", "")
        return bool(structure) and bool(std_iban._struct_to_re(structure).fullmatch(compact[4:]))
    except Exception:  # noqa: BLE001 - an unknown country or structure is no IBAN
        return False


_IBAN_CONTEXT_RE = re.compile(r"(?:\biban|\brib\b|\bcompte|\bvirement|\bbanque)[^.!?\n]{0,40}$")


def _iban_flag(m: re.Match[str]) -> Flag | None:
    text, probable, near = m.string, None, None
    context = _IBAN_CONTEXT_RE.search(_context_before(text, m.start()))
    for end in _group_ends(text, m.start(), m.end()):
        compact = _compact(text[m.start() : end]).upper()
        if not 15 <= len(compact) <= 34:
            continue
        if std_iban.is_valid(compact, check_country=False):
            return Flag(FlagKind.IBAN, m.start(), end)
        if probable is None and _iban_format_ok(compact):
            probable = Flag(FlagKind.IBAN, m.start(), end, CHECKSUM_FAILED)
        # A digit too many or too few after « IBAN »: the same number with a typo.
        tail_is_a_word = re.search(r"\s[^\W\d_]+$", text[m.start() : end])  # « … 1 il manque »
        if near is None and context and compact[:2] == "FR" and 25 <= len(compact) <= 29 \
                and not tail_is_a_word:
            if re.fullmatch(r"FR\d{12,}[0-9A-Z]*", compact):
                near = Flag(FlagKind.IBAN, m.start(), end, CHECKSUM_FAILED)
    return probable or near


# An IBAN typed in groups of four but with a group missing or one too many (« FR76 1130
# 6033 4282 2860 480 »), or cut by a few words (« FR76 1558 9907 et la suite c'est 0969
# 4128 … »): the shape of an IBAN of a known country, masked with its key unchecked.
_IBAN_GROUP = r"(?:\d{4}|[0-9A-Z]{4}(?![a-z]))"
_IBAN_START_RE = re.compile(
    rf"(?<![\w])(?P<cc>[A-Za-z]{{2}})[ \u00a0.]?\d{{2}}(?:[ \u00a0\-.]?{_IBAN_GROUP}){{2,}}"
    r"(?:[ \u00a0\-.]?[0-9A-Z]{1,3})?(?![\w])"
)
_IBAN_WORDS_GAP_RE = re.compile(
    r"(?:[ \u00a0]*(?:[^\w\s]{1,3}(?![^\w\s])|[^\W\d_]+(?![^\W\d_])['’]?)){1,8}[ \u00a0]*"
    rf"(?={_IBAN_GROUP}[ \u00a0\-.]?\d)"
)
_IBAN_REST_RE = re.compile(
    rf"{_IBAN_GROUP}(?:[ \u00a0\-.]?{_IBAN_GROUP})*(?:[ \u00a0\-.]?[0-9A-Z]{{1,3}})?(?![\w])"
)


def _iban_country(code: str) -> bool:
    return bool(std_iban._ibandb.info(code)[0][1].get("bban"))


def _iban_shapes(text: str) -> Iterator[Flag]:
    for m in _IBAN_START_RE.finditer(text):
        lower = not m.group("cc").isupper()
        if not _iban_country(m.group("cc").upper()) or (
            lower and not _IBAN_CONTEXT_RE.search(_context_before(text, m.start(), 30))
        ):
            continue
        end, groups = m.end(), len(re.findall(r"[0-9A-Z]{4}", m.group()[4:]))
        gap = _IBAN_WORDS_GAP_RE.match(text, end)
        rest = _IBAN_REST_RE.match(text, gap.end()) if gap else None
        if rest and not re.search(r"\d", gap.group()):
            end, groups = rest.end(), groups + len(re.findall(r"[0-9A-Z]{4}", rest.group()))
        compact = _compact(text[m.start() : end])
        if groups >= 4 - lower and 15 <= len(compact) <= 34 or (rest and std_iban.is_valid(
            _compact(m.group() + rest.group())
        )):
            yield Flag(FlagKind.IBAN, m.start(), end, CHECKSUM_FAILED)


# An IBAN in groups of any size (« FR 763 0006 00011 2345 … », « F R 76 3000 … »): its
# country code, then groups read while they may still make an IBAN; kept when the key
# proves it, or at the length of a French IBAN after words about a bank account.
_LOOSE_IBAN_START_RE = re.compile(r"(?<![\w])([A-Za-z]) ?([A-Za-z])(?=[ .\-]?\d\d)")
_LOOSE_IBAN_GROUP_RE = re.compile(r"[ .\-]?([0-9A-Z]{1,7})(?![\w])|[ .\-]?(\d{1,7})(?=[ .\-]|$)")


def _loose_ibans(text: str) -> Iterator[Flag]:
    for m in _LOOSE_IBAN_START_RE.finditer(text):
        code = (m.group(1) + m.group(2)).upper()
        lower = not (m.group(1) + m.group(2)).isupper()
        context = _IBAN_CONTEXT_RE.search(_context_before(text, m.start(), 40))
        if not _iban_country(code) or (lower and not context):
            continue
        compact, position, found, french = code, m.end(), None, None
        for _ in range(20):
            group = _LOOSE_IBAN_GROUP_RE.match(text, position)
            if not group or len(compact) >= 34:
                break
            compact += group.group(1) or group.group(2)
            position = group.end()
            if len(compact) >= 15 and std_iban.is_valid(compact):
                found = position
            if code == "FR" and len(compact) == 27:
                french = position
        if found:
            yield Flag(FlagKind.IBAN, m.start(), found)
        elif french and context:
            yield Flag(FlagKind.IBAN, m.start(), french, CHECKSUM_FAILED)


def _find_ibans(text: str) -> Iterator[Flag]:
    yield from _search_all(_IBAN_RE, text, _iban_flag)
    yield from _iban_shapes(text)
    yield from _loose_ibans(text)
    yield from _odd_ibans(text)


# What only the check digits can tell from anything else, and masked only when they prove it:
# the country's letters dictated apart (« F R 7630 … », read from words by the normalised
# view), and letters typed for digits inside the code (« FR763OOO3O3483l47… »).
_SPACED_COUNTRY_IBAN_RE = re.compile(r"(?<![\w])[A-Z] [A-Z][ \u00a0]?\d{2}(?:[ \u00a0]?[0-9A-Z]){10,30}")
_LOOKALIKE_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9OolI]{2}[0-9A-Za-z]{10,30}(?![A-Za-z0-9])")


# « 5176O294515S6829 »: a card's number with letters typed for digits, proven by its Luhn key.
_LOOKALIKE_CARD_RE = re.compile(r"(?<![\w])(?=(?:[^\W\d_]*\d){10})[0-9OolIS]{13,19}(?![\w])")
_CARD_LOOKALIKES = {**LOOKALIKE_DIGITS, ord("S"): ord("5")}


def _lookalike_cards(text: str) -> Iterator[Flag]:
    for m in _LOOKALIKE_CARD_RE.finditer(text):
        digits = m.group().translate(_CARD_LOOKALIKES)
        if not m.group().isdigit() and _luhn_card(digits):
            yield Flag(FlagKind.CARD, m.start(), m.end())


def _odd_ibans(text: str) -> Iterator[Flag]:
    for m in _SPACED_COUNTRY_IBAN_RE.finditer(text):
        end = m.end()
        while end - m.start() >= 15:  # the longest valid prefix: words may follow the code
            if std_iban.is_valid(_compact(text[m.start() : end])):
                yield Flag(FlagKind.IBAN, m.start(), end)
                break
            end = m.start() + len(text[m.start() : end - 1].rstrip(" \u00a0"))
        else:
            # « le RIB c'est F R soixante-seize … »: dictated after words about a bank account,
            # a French IBAN's length give or take a digit is one, whatever its key
            compact = _compact(m.group())
            if compact.startswith("FR") and 26 <= len(compact) <= 28 and _IBAN_CONTEXT_RE.search(
                _fold(text[max(0, m.start() - 60) : m.start()])
            ):
                yield Flag(FlagKind.IBAN, m.start(), m.end(), CHECKSUM_FAILED)
    for m in _LOOKALIKE_IBAN_RE.finditer(text):
        value = m.group()
        read = value[:2] + value[2:].translate(LOOKALIKE_DIGITS)
        if not std_iban.is_valid(value) and std_iban.is_valid(read):
            yield Flag(FlagKind.IBAN, m.start(), m.end())


# No dot between groups: "1.250.000" is an amount, never a card.
_CARD_RE = re.compile(r"(?<![\w.,])\d+(?:[ \u00a0\u202f\-]\d+){0,7}")
_CARD_CONTEXT_RE = re.compile(r"(?:carte|\bcb\b|visa|mastercard|amex|bancaire)[^.!?\n]{0,40}$")


def _card_plausible(digits: str) -> bool:
    """Luhn passes one random number in ten, and every SIRET: ask also for a length that
    the issuer of the first digits uses. 14 digits (old Diners) is left out for SIRET."""
    length, first = len(digits), digits[0]
    if first == "4":
        return length in (13, 16, 19)
    if first == "2":
        return length == 16 and 2221 <= int(digits[:4]) <= 2720
    if first == "3":
        return (length == 15 and digits[:2] in ("34", "37")) or (
            16 <= length <= 19 and digits[:2] in ("35", "36", "38")
        )
    return first in "56" and 16 <= length <= 19


def _card_flag(m: re.Match[str]) -> Flag | None:
    text, probable = m.string, None
    if text[m.start()] not in "23456" or sum(c.isdigit() for c in m.group()) < 13:
        return None  # no issuer starts so, or too short (_card_plausible): refused once
    for end in _group_ends(text, m.start(), m.end()):
        digits = _compact(text[m.start() : end])
        if not _card_plausible(digits):
            continue
        if luhn.is_valid(digits):
            return Flag(FlagKind.CARD, m.start(), end)
        # Four groups of four after « carte »: a card number with a typo.
        if probable is None and re.fullmatch(r"\d{4}(?:[ \-]\d{4}){3}", text[m.start() : end]):
            if _CARD_CONTEXT_RE.search(_context_before(text, m.start())):
                probable = Flag(FlagKind.CARD, m.start(), end, CHECKSUM_FAILED)
    return probable


def _find_cards(text: str) -> Iterator[Flag]:
    yield from _search_all(_CARD_RE, text, _card_flag)


# --- other personal identifiers: a label, then the number

_ID_LABEL = r"""(?:
    (?:n(?:°|o\b|um(?:ero)?\b)\.?\s*)?(?:d'\s*)?allocataire(?:\s+caf)?
  | (?:n°|no\b|numero|num\b|identifiant|matricule)\s*(?:de\s+la\s+|de\s+|du\s+)?caf
  | (?:numero|n°|no\b|identifiant|id\b|reference)\s*(?:de\s+|d')?(?:l'|la\s+)?(?:fiscal|spi|contribuable)
  | (?:identifiant|id\b|n°|numero|code)\s+fiscal | \bspi\b | \bnif\b
  | (?:identifiant|id\b|n°|numero|numero\s+d'identifiant|numero\s+d'inscription)\s*(?:de\s+|d'|du\s+|a\s+)?
      (?:demandeur\s+d'emploi\s*(?:a\s+)?)?(?:france\s+travail|pole\s+emploi|\bft\b|\bpe\b)
  | (?:identifiant|numero|n°)\s+(?:de\s+)?demandeur\s+d'emploi
  | (?:numero|n°|no\b)?\s*(?:de\s+|du\s+|d'un\s+|mon\s+)?(?:passeport|passport|pasaporte|passaporte)
  | (?:numero|n°|no\b)?\s*(?:de\s+|du\s+|mon\s+)?permis(?:\s+de\s+conduire)?
  | (?:plaque|immatriculation)(?:\s+d'immatriculation)?
      (?:\s+(?:de\s+)?(?:ma\s+|la\s+|mon\s+|sa\s+|notre\s+)?
         (?:voiture|vehicule|moto|scooter|camion|camping-car))?
  | (?:numero|n°|no\b)?\s*(?:d')?agdref | (?:numero|n°|no\b)\s*(?:d')?etranger
  | (?:numero|n°|no\b)\s+(?:de\s+|du\s+)?
      (?:titre\s+de\s+sejour|carte\s+de\s+sejour|carte\s+de\s+resident|recepisse|visa)
  | (?:(?:titre|carte)\s+de\s+(?:sejour|resident)|recepisse)\s+(?:n°|no\b|numero)
  | (?:numero|n°|no\b)\s+(?:de\s+)?(?:(?:ma|sa|la|mon|son)\s+)?carte
      (?:\s+(?:mobilite\s+inclusion|d'invalidite|de\s+stationnement|d'identite))?
  | \brib\b(?:\s+complet)?
  | (?:numero|n°)\s+(?:de\s+)?compte(?:\s+bancaire)?
  | (?:mon|ma|notre|son|sa|leur)\s+(?:numero|n°|identifiant|matricule|no\b)\s*(?:de\s+|d'|du\s+)?
      (?:adherent|pension|retraite|msa|carsat|cnav|mutuelle|beneficiaire|usager|client|
         cotisant|urssaf|ants|agirc-arrco|ircantec|affilie|assure\s+msa|pensionne|
         inscription|invalidite|rente|allocataire|dossier\s+(?:caf|msa|mdph|retraite))
  | \bmatricule\b
  | (?:numero|n°)\s+(?:d')?(?:usager|beneficiaire|adherent|cotisant|pensionne|affilie|invalidite|rente)
  | (?:numero|n°)\s+(?:de\s+)?(?:pension|retraite)(?:\s+(?:civile|militaire|de\s+reversion))?
)"""
_ID_RE = re.compile(
    rf"""(?P<label>{_ID_LABEL})
    (?:\s+(?:de|du|d')\s*(?:mon|ma|mes|son|sa|ses|notre|votre|leur)\s+[\w-]+)?  # « de ma fille »
    (?:\s*\([^()]{{0,40}}\))?                                              # « (ancien modèle) »
    \s*(?:\(\s*)?(?:(?:n°|no|numero|num)\s*)?(?:[:=#-]|est|:?\s*le|c'est|etait)?\s*(?:le\s+|bien\s+)?
    (?P<number>[A-Za-z0-9](?:[ \u00a0./\-]?[A-Za-z0-9]){{3,30}})""",
    re.VERBOSE,
)
# Shapes that are identifiers without a label: a licence plate (SIV), a passport, a fiscal
# number in its printed groups, a RIB.
_ID_SHAPES_RE = re.compile(
    r"(?<![\w-])(?:[A-HJ-NP-TV-Z]{2}([- ])\d{3}\1[A-HJ-NP-TV-Z]{2}"
    r"|(?<![.@])\d{7}[A-Z](?![.@])"  # a France Travail identifier (« 1234567A »)
    r"|\d{2}[A-Z]{2}\d{5}"
    r"|[0-3]\d \d{2} \d{3} \d{3} \d{3}"
    r"|\d{5}[ ]?\d{5}[ ]?[0-9A-Z]{11}[ ]?\d{2})(?![\w-])"
)
_PLATE_RE = re.compile(r"[A-Z]{2}[ -]?\d{3}[ -]?[A-Z]{2}|\d{1,4}[ -]?[A-Z]{1,3}[ -]?(?:\d{2}|2[AB]|97\d)")
_DATE_RE = re.compile(r"\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?")
# The administration's own references (« dossier n° … », « référence … »): no personal data.
_ADMIN_REFERENCE_RE = re.compile(
    r"\b(?:dossier|reference|ref|demande|courrier|facture|recommande|suivi|commande|accuse"
    r"|decret|article|formulaire|cerfa|ticket|reclamation)\b[^.!?\n]{0,15}$"
)


def _identifier_number_end(text: str, start: int, end: int) -> int | None:
    """End of the number that starts at `start`: its groups while they hold a digit or
    are a short block of capitals (« 1234 AB 75 »), never a following word."""
    last = None
    for m in re.finditer(r"[A-Za-z0-9]+", text[start:end]):
        token = m.group()
        gap = text[start + (last - start if last else 0) : start + m.start()] if last else ""
        if last is not None and (len(gap) > 1 or gap not in (" ", ".", "-", "/", "\u00a0")):
            break
        if not (any(c.isdigit() for c in token) or (token.isupper() and len(token) <= 3)):
            break
        if last is not None and _fold(token) in _NOT_ID_BLOCKS:
            break  # « … 3456789C TEL 07 … »: a word in capitals, not a block of the number
        last = start + m.end()
    return last


# Short words in capitals that end a number rather than continue it.
_NOT_ID_BLOCKS = frozenset(
    "tel fax mob gsm et ou le la les du de des au aux ne nee mon ma mes son sa ses svp est "
    "par sur en id num no ref nir iban rib caf cpam msa ans age".split()
)


def _identifier_flag(m: re.Match[str]) -> Flag | None:
    start = m.start("number")
    end = _identifier_number_end(m.string, start, m.end("number"))
    if end is None:
        return None
    value = m.string[start:end]
    digits = sum(c.isdigit() for c in value)
    if _PLATE_RE.fullmatch(value):
        return Flag(FlagKind.IDENTIFIER, start, end)
    if digits < 4 or _DATE_RE.fullmatch(value) or re.fullmatch(r"(?:19|20)\d\d", value):
        return None
    return Flag(FlagKind.IDENTIFIER, start, end)


_RIB_PARTS_RE = re.compile(
    r"(?i:code\s+banque|banque)\s*:?\s*(?P<start>\d{5})[^.!?\n]{0,25}?(?i:guichet)\s*:?\s*\d{5}"
    r"[^.!?\n]{0,30}?(?i:compte)\s*:?\s*[0-9A-Z]{11}[^.!?\n]{0,15}?(?i:cl[ée])(?:\s+(?i:rib))?"
    r"\s*:?\s*(?P<key>\d{2})(?!\d)"
)


# The files a usager has a number in, named in the label before the number (on _plain text):
# « numéro d'adhérent mutuelle », « n° de carte d'identité », « CNI n° », « Numéro MSA ».
_RECORD = r"""(?:
    allocataire|caf|msa|cpam|urssaf|carsat|cnav|agirc[\s-]arrco|ircantec|mutuelle|adherente?
  | client|usager|beneficiaire|assuree?|cotisant|affiliee?|pensionnee?|pension|retraite|rente
  | invalidite|fiscale?s?|fiscaux|spi|contribuable|nif|identification(?:\s+fiscale)?
  | france\s+travail|pole\s+emploi|demandeur\s+d'emploi|inscription|passeport
  | permis(?:\s+de\s+conduire)?|carte\s+(?:nationale\s+)?d'identite|cni|titre\s+de\s+sejour
  | carte\s+de\s+sejour|carte\s+de\s+resident|visa|agdref|etranger|ofii|ofpra
  | demandeur\s+d'asile|asile|ine|etudiante?|eleve|electeur|licence|badge|adhesion
  | societaire|abonne|abonnement|compte\s+ameli|ameli|securite\s+sociale\s+etudiante
  | locataire|neph|siret|siren|retraite\s+complementaire
  | cmi|plainte|ecrou|d'ecrou|d'electeur|unique\s+de\s+demande|point\s+de\s+livraison|pdl
  | alloc|cesu|pajemploi|unique\s+(?:departemental|regional)
)"""
_ID_OF = r"(?:d'|de\s+la\s+|de\s+l'|de\s+|du\s+|des\s+|a\s+la\s+|au\s+|mon\s+|ma\s+)"
# Whose the file is. Not « votre »: a usager writing to an office says « votre dossier » of
# the office's reference as well as of his own.
_POSSESSIVE = r"(?:mon|ma|mes|son|sa|ses|notre|nos|leur|leurs)"
# Files of the usager's own, after a possessive (« mon dossier ANTS n° … », « son numéro de
# dossier à la Banque de France : … »): the administration's reference of his file is his.
_FILE = (
    r"(?:dossier|contrat|compte|certificat|abonnement|bail|carte|reference|ref|numero|n°|no"
    r"|identifiant|matricule|badge|adhesion|formule|police|avis|attestation|inscription|nom)"
)
_ID_LABEL_RE = re.compile(
    rf"""(?<![\w'@.])(?:
        (?P<generic>{_POSSESSIVE}\s+(?:numero|n°|nº|no|num|identifiant|matricule|id)
          (?:\s+personnel|\s+[a-z]{{2,10}})?(?=\s*(?:[:=]|est\b|c'est\b|c\b|etait\b)))
      | identifiant(?:\s+(?:personnel|usager|client|de\s+connexion))?(?=\s*[:=])
      | (?P<own>{_POSSESSIVE}\s+(?:[a-z'-]+\s+)?{_FILE})
      | (?:numero|n°|nº|no|num|identifiant|id|matricule|code)\.?\s*{_ID_OF}?(?:[a-z'-]+\s+){{0,2}}?{_RECORD}
      | {_RECORD}
    )(?![\w])""",
    re.VERBOSE,
)
# Words between a label and its number: connectors, the office, whose number it is.
_ID_SKIPPED = frozenset(
    "n° nº no num numero numéro est c'est c cest etait le la l' bien porte pour a : = # - – ( ) "
    "caf msa cnav carsat edf engie sncf ratp free orange sfr bouygues urssaf cpam ants ofii "
    "pole emploi france travail complet provisoire actuel actuelle ancien ancienne nouveau "
    "nouvelle francais francaise personnel personnelle b d'identite d'identification vaut "
    "suivant voici figure indique sur d'invalidite moi".split()
)
_ID_MARKERS = frozenset("n° nº no num numero numéro : = # ( ref reference".split())
_POSSESSIVES = frozenset("mon ma mes son sa ses notre nos votre vos leur leurs".split())
_ID_TOKEN_RE = re.compile(r"[\s:=#()\-–,]*([^\s:=#()\-–,]+)")
_ID_PUNCT_RE = re.compile(r"\s*([:=#(])")
_ADMIN_WORDS = frozenset(
    "dossier reference ref facture courrier ticket decret cerfa formulaire commande suivi convocation "
    "recommande reclamation article loi demande contrat recepisse".split()
)
# The administration's papers named between a label and a number: the number is theirs.
_ADMIN_BETWEEN = frozenset(
    "convocation courrier facture ticket commande suivi recommande reclamation cerfa formulaire".split()
)
_PHONE_WORDS_RE = re.compile(r"\b(?:tel|telephone|portable|mobile|fixe|joindre|appel\w*|rappel\w*|sms)\b")


_FILE_NOUN_RE = re.compile(rf"\b(?:{_RECORD}|{_FILE})(?!\w)", re.VERBOSE)
# A file noun that says the number is no phone (not « numéro » alone).
_SPECIFIC_FILE_RE = re.compile(rf"\b(?:{_RECORD}|(?!numero|n°|no\b|identifiant){_FILE})(?!\w)", re.VERBOSE)
_ANNOUNCED_RE = re.compile(r"(?:n°|numero|reference|ref)\s*:?\s*$|[:(]\s*$")


# A clause ends at a stop, not at the dot of « Réf. », « tél. » or « n. ».
_CLAUSE_SPLIT_RE = re.compile(r"[!?;\n]|(?<!\bref)(?<!\btel)(?<!\bn)(?<!\bno)\.")
_TRACKING_RE = re.compile(r"\b(?:recommande|colis|courrier|lettre|envoi|accuse|suivi)\b")
_COMPANY_BEFORE_RE = re.compile(r"\b(?:sarl|sas|sasu|eurl|sci|snc|societe|association)\b[^.;:]{0,15}$")


@cache
def _office_of_re() -> re.Pattern[str]:
    """« SIRET de la CAF »: the office whose number it is, right after the label."""
    offices = _words_pattern(_public_contacts().get("office_words", []))
    return re.compile(rf"\s*(?:de\s+la|de\s+l'|du|des|de|d')\s*(?:{offices}|{_RECORD})\b", re.VERBOSE)


def _labelled_identifiers(text: str, plain: str) -> Iterator[Flag]:
    """A label naming a personal file (or « mon numéro : »), a few connecting words, then
    the number: its groups of digits, or letters and digits."""
    public: set[int] = set()  # numbers already known to be an office's or a company's
    for m in _ID_LABEL_RE.finditer(plain):
        number = _number_after_label(text, plain, m.end())
        if number is None or number in public:
            continue
        clause = _CLAUSE_SPLIT_RE.split(plain[max(0, m.start() - 30) : number])[-1]
        own = bool(re.search(rf"\b{_POSSESSIVE}\b|\bpersonnel", clause))
        # « référence client », « référence allocataire »: a label, not the office's reference.
        prefix = re.search(r"\b(?:reference|ref)\.?\s+$", plain[max(0, m.start() - 12) : m.start()])
        label_start = m.start() - (len(prefix.group()) if prefix else 0)
        before_label = _CLAUSE_SPLIT_RE.split(plain[max(0, label_start - 30) : m.end()])[-1]
        if prefix:
            before_label = before_label.replace(prefix.group(), " ", 1)
        if not own and _ADMIN_WORDS & set(re.findall(r"[a-z]+", before_label)):
            continue
        if not (m.group("own") or m.group("generic")) and _ADMIN_BETWEEN & set(
            re.findall(r"[a-z]+", plain[m.end() : number])
        ):
            continue  # « titre de séjour, convocation n° 2024/IDF/118745 »
        if _TRACKING_RE.search(before_label):
            continue  # « mon recommandé n° 1A 123 … »: the post's number, not a file's
        if re.search(r"\bsire[nt]\b", m.group()) and (
            _COMPANY_BEFORE_RE.search(plain, max(0, m.start() - 30), m.start())
            or _office_of_re().match(plain, m.end())
        ):
            public.add(number)
            continue  # the SIRET of an office or of a company, both public
        announced = _ANNOUNCED_RE.search(plain, max(0, number - 20), number)
        if m.group("own") and not _FILE_NOUN_RE.search(clause.replace(m.group(), "", 1)) \
                and not announced:
            continue  # « mon dossier 3 mois après »: a number must be announced
        # An office named alone says nothing of the number: « la CPAM (05 90 …) » is a phone.
        specific = _SPECIFIC_FILE_RE.search(_office_words_re().sub(" ", clause))
        # « Tél. du propriétaire communiqué par la locataire : 03… »: a phone said so first.
        said_phone = _PHONE_WORDS_RE.search(plain, max(0, label_start - 40), label_start)
        flag = _identifier_value(text, plain, number, phone_possible=not specific or bool(said_phone))
        if flag and not (m.group("own") and _PHONE_WORDS_RE.search(clause)):
            yield flag


def _number_after_label(text: str, plain: str, position: int) -> int | None:
    """Where the number after a label starts, past connecting words, the office (an acronym
    in capitals), whose it is (« de ma mère »), or a word or two before « n° » or « : »."""
    skipped, free, number, start = 0, 0, None, position
    while skipped < 12:
        token = _ID_TOKEN_RE.match(plain, position)
        if not token or token.start(1) - position > 3:
            return None
        word = token.group(1)
        marker = _ID_PUNCT_RE.match(plain, position)
        if marker or word in _ID_MARKERS:
            free = 0
        # « X 428 715 », « AB-123 »: a letter or two of the number before its digits
        if any(c.isdigit() for c in word) or re.match(r"[A-Z]{1,3}[ -]?\d", text[token.start(1) :]):
            number = token.start(1)
            break
        if word in ("de", "du", "d'", "a") or word.startswith("d'"):
            following = _ID_TOKEN_RE.match(plain, token.end())
            if following and following.group(1) in _POSSESSIVES:
                after = _ID_TOKEN_RE.match(plain, following.end())
                position, skipped = (after or following).end(), skipped + 3
                continue
        original = text[token.start(1) : token.end(1)]
        if word in _ID_SKIPPED or word.rstrip(".") in _ID_SKIPPED:
            pass
        elif original.isupper() and 2 <= len(original) <= 8 and original.isalpha():
            pass  # the office's acronym (« APA », « MDPH »)
        elif word in _ID_PARTICLES:
            pass
        elif word.isalpha() and free < 3 and not _PHONE_WORDS_RE.match(word):
            free += 1
        else:
            return None
        position, skipped = token.end(), skipped + 1
    if number is None or free or number - start > 60:
        return None  # free words must be followed by « n° » or « : »
    return number


_ID_PARTICLES = frozenset("de du des d' a au aux la le les l' en".split())


def _identifier_value(text: str, plain: str, number: int, *, phone_possible: bool) -> Flag | None:
    end = _identifier_number_end(text, number, min(len(text), number + 40))
    if end is None:
        return None
    value = text[number:end]
    digits = sum(c.isdigit() for c in value)
    letters = sum(c.isalpha() for c in value)
    if digits < 5 and not (digits >= 1 and letters >= 1 and len(_compact(value)) >= 6):
        return None
    if _DATE_RE.fullmatch(value) or (phone_possible and _looks_like_a_phone(value)):
        return None
    if _HOURS_RE.fullmatch(value):
        return None  # « l'accueil de la CARSAT : 8h30-12h »: opening hours
    # A mobile's number in a phone's groups is a phone whatever the label (« Usager mécontent
    # (0690 41 22 87) »): no personal file is numbered so.
    if _looks_like_a_phone(value) and re.match(r"0?(?:[67]|69[0-9]|639)", _compact(value)):
        return None
    if phone_possible and (phone := _PHONE_RE.match(text, number)) and _phone_flag(phone):
        return None
    if re.match(r"\s*(?:€|euros?\b|eur\b|%|ans\b|mois\b|jours\b|h\b)", plain[end : end + 8]):
        return None
    if _OFFICE_MAIL_VALUE_RE.match(text, number):
        return None  # « Service Retraite, TSA 70001 », « URSSAF, 93518 Montreuil Cedex »: an office's mail
    compact = _compact(value)
    sentence = plain[max(0, number - 80) : end + 80]
    if _NIR_WITHOUT_KEY_RE.fullmatch(compact) and _NIR_WORDS_RE.search(sentence) and not (
        _NOT_NIR_WORDS_RE.search(sentence)
    ):
        return Flag(FlagKind.NIR, number, end, CHECKSUM_FAILED)  # « mon numéro 2690544109003, sans la clé »
    if re.fullmatch(r"[1-9]\d{8}", compact) and _ZERO_LEFT_OUT_RE.match(plain, end):
        return Flag(FlagKind.PHONE, number, end)  # « le 6 5 2 4 1 8 3 7 0, précédé du zéro »
    return Flag(FlagKind.IDENTIFIER, number, end)


# A NIR's thirteen digits without their key: sex, year, month, department, commune, order.
_NIR_WITHOUT_KEY_RE = re.compile(r"[12]\d\d(?:0[1-9]|1[0-2]|[2-9]\d)(?:\d\d|2[ABab])\d{6}")
_NIR_WORDS_RE = re.compile(r"\b(?:cle|secu|securite sociale|nir|vitale|ameli|insee)\b")
_NOT_NIR_WORDS_RE = re.compile(
    r"\b(?:fiscal|fiscale|allocataire|caf|impots|spi|france travail|pole emploi)\b"
)
_ZERO_LEFT_OUT_RE = re.compile(
    r"[\s,]*\(?(?:precede|precedee|precedes) (?:du|d'un) (?:zero|0)|[\s,]*\(?sans le (?:zero|0)"
)


_HOURS_RE = re.compile(r"\d{1,2}[hH]\d{0,2}(?:[ \t]?[-–/][ \t]?\d{1,2}[hH]\d{0,2})*")
_OFFICE_MAIL_VALUE_RE = re.compile(
    r"(?:TSA|CS)[ \t]*\d{4,5}(?!\d)|\d{5}[ \t]+[A-ZÀ-Þ][\w'’-]*(?:[ \t-]+[\w'’-]+){0,3}?[ \t]+(?i:cedex)\b"
)


def _looks_like_a_phone(value: str) -> bool:
    # « O6 21 … » with the letter O typed for a zero; « 6 12 34 56 78 » without its zero
    digits = re.sub(r"\D", "", value.replace("O", "0").replace("o", "0"))
    return bool(
        re.fullmatch(r"(?:0|0033|33)[1-9]\d{8}", digits) and re.fullmatch(r"[\dOo\s.\-]+", value)
        or re.fullmatch(r"[67](?:[ .\-]\d\d){4}", value.strip())
        or value.lstrip().startswith("+")
    )


# A plate after words about a vehicle, in any case and any layout (« immatriculée ab-123-cd »,
# « le véhicule AB123CD », « plaque 2345 XY 93 »).
_VEHICLE_RE = re.compile(
    r"\b(?:immatricul\w*|immat|plaques?|vehicules?|voitures?|auto|automobile|moto|scooter"
    r"|camion|camionnette|fourgon|utilitaire|carte grise|certificat d'immatriculation|bagnole"
    r"|caisse|clio|megane|twingo|peugeot|renault|citroen|dacia|toyota)\b[^.!?\n]{0,40}$"
)
_ANY_CASE_PLATE_RE = re.compile(
    r"(?<![\w-])(?:(?i:[a-z]{2}([ -]?)\d{3}\1[a-z]{2})"
    r"|\d{1,4}([ -]?)[A-Z]{1,3}\2(?:\d{2}|2[AB]|97\d))(?![\w-])"
)


def _vehicle_plates(text: str, plain: str) -> Iterator[Flag]:
    for m in _ANY_CASE_PLATE_RE.finditer(text):
        if _VEHICLE_RE.search(plain, max(0, m.start() - 60), m.start()):
            yield Flag(FlagKind.IDENTIFIER, m.start(), m.end())


# A number written with an international prefix (« +33 6 … », « +212 6 … », « 0033 6 … ») is
# a phone, whatever label comes before it (« mon numéro français +33 … »).
_INTERNATIONAL_PREFIX_RE = re.compile(
    r"\(?\s?\+\s?\d"
    r"|00[\s.\-/]{0,2}(?:33|32|41|44|34|39|49|212|213|216|221|225|237|262|590|594|596|269)"
    r"[\s.\-/]{0,2}[1-9]"
)


def _find_identifiers(text: str) -> Iterator[Flag]:
    # « le vrai numéro de France Travail c'est le 3949 »: a published number is no one's file
    flags = [f for f in _identifier_candidates(text) if not _INTERNATIONAL_PREFIX_RE.match(text, f.start)
             and re.sub(r"\D", "", text[f.start : f.end]) not in _public_numbers()[0]]
    yield from flags
    yield from _distant_label_identifiers(text, flags)


# « d identité », « n est »: an elision typed without its apostrophe, one character for one.
_BARE_ELISION_RE = re.compile(r"(?<![\w'])([dlnjcmst]) (?=[aeiouyhéèêàâîôû]\w)")
# A label naming a personal file, and further in its clause a number of a file's shape (« mon
# numéro fiscal pour le chèque énergie, c'est le 3012457889216 », « passeport marocain
# UZ4816273 »).
_STRONG_LABEL_RE = re.compile(
    r"\b(?:fiscal|allocataire|passeport|passport|cni|carte (?:nationale )?d'identite|permis"
    r"|france travail|pole emploi|identifiant|agdref|titre de sejour|carte de sejour"
    r"|carte de resident|numero unique|neph|siret|securite sociale etudiante|id)\b"
)
_FILE_SHAPE_RE = re.compile(
    r"(?<![\w/.,+-])(?:[A-Za-z]{0,3}\d{6,15}[A-Za-z]?|[A-Z]{1,2}\d{6,9})(?![\w/-]|[.,]\d)"
)
_DISTANT_STOP_RE = re.compile(
    r"[.!?;\n]|\b(?:dossier|courrier|reference|facture|convocation|demande|tel|telephone"
    r"|portable|appel\w*|rappel\w*|joindre|mail|montant|euros?)\b"
)


def _distant_label_identifiers(text: str, flags: list[Flag]) -> Iterator[Flag]:
    shapes = list(_FILE_SHAPE_RE.finditer(text))
    if not shapes:
        return
    plain = _BARE_ELISION_RE.sub(r"\1'", _plain(text))
    for m in shapes:
        if any(f.start < m.end() and m.start() < f.end for f in flags):
            continue
        value = m.group()
        if _looks_like_a_phone(value) or re.fullmatch(r"0[1-9]\d{8}", value):
            continue
        if re.match(r"\s*(?:€|euros?\b|eur\b|%)", plain[m.end() : m.end() + 8]):
            continue
        window = plain[max(0, m.start() - 80) : m.start()]
        labels = list(_STRONG_LABEL_RE.finditer(window))
        before = re.split(r"[.!?;:,\n]", window[: labels[-1].start()] if labels else "")[-1]
        own = re.search(rf"\b{_POSSESSIVE}\s+(?:[\w']+\s+){{0,2}}$", before)
        if labels and not _DISTANT_STOP_RE.search(window, labels[-1].end()) and (
            own or not _ADMIN_WORDS & set(re.findall(r"[a-z]+", before))
        ):
            yield Flag(FlagKind.IDENTIFIER, m.start(), m.end())


def _identifier_candidates(text: str) -> Iterator[Flag]:
    for m in _RIB_PARTS_RE.finditer(_unaccent(text)):
        yield Flag(FlagKind.IDENTIFIER, m.start("start"), m.end("key"))
    # Offsets are those of the text: _plain keeps one character for one.
    plain = _BARE_ELISION_RE.sub(r"\1'", _plain(text))
    labelled = [
        *_search_all(_ID_RE, plain, lambda m: _identifier_flag(_Rematch(m, text))),
        *_labelled_identifiers(text, plain),
    ]
    yield from labelled
    yield from _listed_after(text, plain, labelled)
    yield from _vehicle_plates(text, plain)
    for m in _ID_SHAPES_RE.finditer(text):
        if not _ADMIN_REFERENCE_RE.search(_context_before(text, m.start(), 30)):
            yield Flag(FlagKind.IDENTIFIER, m.start(), m.end())


# « … est le 1245789306147 pour Monsieur et le 2245789306150 pour Madame »: a second
# number of the same length, joined to a labelled one.
_NEXT_NUMBER_RE = re.compile(
    r"(?:\s+(?:pour|de|du|d')\s*[^\d.;:!?\n]{1,25}?)?\s*(?:,|\bet\b|\bou\b|/|\bpuis\b)\s*"
    r"(?:le\s+|la\s+|l'|celui\s+d[eu']\s*[^\d.;:!?\n]{1,20}?\s*:?\s*)?(?=[A-Za-z]{0,3}\d)"
)


def _listed_after(text: str, plain: str, flags: list[Flag]) -> Iterator[Flag]:
    for flag in flags:
        first = _compact(text[flag.start : flag.end])
        while m := _NEXT_NUMBER_RE.match(plain, flag.end):
            end = _identifier_number_end(text, m.end(), min(len(text), m.end() + 40))
            value = _compact(text[m.end() : end]) if end else ""
            if not value or abs(len(value) - len(first)) > 1 or sum(c.isdigit() for c in value) < 5:
                break
            flag = Flag(FlagKind.IDENTIFIER, m.end(), end)
            yield flag


class _Rematch:
    """A match on a folded copy, read against the original text (same offsets)."""

    def __init__(self, match: re.Match[str], text: str) -> None:
        self._match, self.string = match, text

    def start(self, group: str | int = 0) -> int:
        return self._match.start(group)

    def end(self, group: str | int = 0) -> int:
        return self._match.end(group)


# --- dates of birth

_MONTH_NAMES = (
    r"janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre"
    r"|janv|fevr?|avr|juil|sept|oct|nov|dec"
)
_BIRTH_CUE_RE = re.compile(
    r"\bne(?:e|s|es)?(?:\s?\(e\)|\s?\(e?s?\))?(?=\s+(?:le|en|a|au|aux|the|on)\b)"
    r"|\b(?:date|jour|dates)\s+de\s+naissance\b|\bd\.?d\.?n\.?(?=[\s:])|\bnaissance\s*:"
    r"|\bdate of birth\b|\bdob\b"
    # « (DN 03.05.33) », « à la naissance de Noé, le 8 août 2022 »
    r"|\bdn(?=\s?:?\s?\d)|\bnaissance\s+(?:de|d')\s*[^\W\d_][\w'-]*\s*,?"
    r"(?=\s*le\s+(?:\d|1er)[^.!?\n]{0,14}?(?:19|20)\d\d)"
)
# « née le 30 septembre 48 »: a year in two digits after the month, not an age or an amount.
_SHORT_YEAR = r"\d{2}(?!\s?(?:ans?|h|heures?|€|euros?|mois|jours?|%)\b)"
_BIRTH_DATE_RE = re.compile(
    rf"""(?<![\d/.-])(?:
        (?P<d>\d{{1,2}})\s?(?P<s>[/.\-])\s?(?P<m>\d{{1,2}})\s?(?P=s)\s?(?P<y>(?:19|20)?\d{{2}})
      | (?P<d2>1er|\d{{1,2}})\s+(?P<m2>{_MONTH_NAMES})\.?(?:\s+(?P<y2>(?:19|20)\d{{2}}|{_SHORT_YEAR}))?
      | (?P<y3>(?:19|20)\d{{2}})(?P<s3>[/.\-])(?P<m3>[01]\d)(?P=s3)(?P<d3>[0-3]\d)  # ISO: 1986-11-23
      | (?P<d4>[0-3]?\d)[ ](?P<m4>[01]?\d)[ ](?P<y4>(?:19|20)\d{{2}})  # « né le 12 12 1990 »
    )(?![\d/])""",
    re.VERBOSE,
)


# A date said in words (a dictation, a carer writing as told): « premier mai mille neuf
# cent trente neuf », « dix-huit juin mil neuf cent quarante cinq », « 3 mars deux mille ».
_DATE_WORD = (
    r"(?:une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze"
    r"|seize|vingts?|trente|quarante|cinquante|soixante|septante|huitante|octante|nonante"
    r"|cents?|mille|mil)"
)
_SPOKEN_DATE_RE = re.compile(
    rf"(?<![\w'])(?:premier|1er|\d{{1,2}}|{_DATE_WORD}(?:(?:[\s-]+et)?[\s-]+{_DATE_WORD}){{0,3}})"
    rf"\s+(?:{_MONTH_NAMES})\.?"
    rf"(?:\s+(?:(?:19|20)\d\d|(?:mil|mille|deux\s+mille)(?:(?:[\s-]+et)?[\s-]+{_DATE_WORD}){{0,8}}))?(?![\w'])"
)


# « j'ai 3 enfants : Ilyes 12/04/2011, Sofia 01/02/2015 »: a full date right after a first name
_DATE_AFTER_A_NAME_RE = re.compile(
    r"(?<![\w'’-])([A-ZÀ-Þ][a-zß-ÿ]+(?:-[A-ZÀ-Þ][a-zß-ÿ]+)?)[ \t]*(?:\(|,|:|née?)?[ \t]*"
    r"(\d{1,2}([/.\-])\d{1,2}\3(?:19|20)\d\d)(?![\d/])"
)


def _find_birth_dates(text: str) -> Iterator[Flag]:
    yield from _dates_after_cues(text)
    for m in _DATE_AFTER_A_NAME_RE.finditer(text):
        if _is_first_name(m.group(1), allow_word=False):
            yield Flag(FlagKind.BIRTH_DATE, m.start(2), m.end(2))
    plain = _plain(text)
    for cue in _BIRTH_CUE_RE.finditer(plain):
        said = _SPOKEN_DATE_RE.search(plain, cue.end(), min(len(plain), cue.end() + 200))
        # what the digit patterns read already is left to them
        in_words = said and (not said.group()[0].isdigit() or re.search(r"\b(?:mil|mille)\b", said.group()))
        if said and said.start() - cue.end() <= 30 and in_words:
            yield Flag(FlagKind.BIRTH_DATE, said.start(), said.end())


def _dates_after_cues(text: str) -> Iterator[Flag]:
    """The first full date after « né le », « date de naissance »…, within a few words;
    then the dates after it that repeat its day and month or its year (« né le 17/08/1999
    et on a écrit 17/08/1990 »)."""
    plain = _plain(text)
    position = 0
    for cue in _BIRTH_CUE_RE.finditer(plain):
        if cue.start() < position:
            continue
        first = _BIRTH_DATE_RE.search(plain, cue.end(), min(len(plain), cue.end() + 80))
        if not first:
            continue
        yield Flag(FlagKind.BIRTH_DATE, first.start(), first.end())
        position = first.end()
        parts = {g for g in first.groups() if g and g[0].isdigit()}
        for later in _BIRTH_DATE_RE.finditer(plain, first.end(), min(len(plain), first.end() + 80)):
            later_parts = [g for g in later.groups() if g and g[0].isdigit()]
            if len(parts & set(later_parts)) >= 2 or (
                len(later_parts) == 3 and {p.lstrip("0") for p in parts}
                == {p.lstrip("0") for p in later_parts}
            ):
                yield Flag(FlagKind.BIRTH_DATE, later.start(), later.end())
                position = later.end()


# --- postal addresses

# Street types whose name may be written in lower case by usagers ("12 rue de la paix").
_STREET_TYPES = (
    r"rue|r\.|avenue|av\.?|ave\.?|bd\.?|bld\.?|blvd\.?|bvd\.?|boulevard|boul\.?|all?[ée]e|all\.|voie"
    r"|avnue|avenu|boulvard|boulevar|ru|al[ée]|impass?e|imp\.?|quai|chemin|ch\.|chem\.?|faubourg|fbg\.?|fg\.?|ruelle|sentier|venelle"
    r"|mont[ée]e|rond-point|lieu-dit|lieudit|lieudi|lieu\s+dit|rte\.?|hent|straed|karront"
)
# Words that are also common nouns ("1 place de parking", "2 cours de français"): only
# with a capitalised name.
_AMBIGUOUS_STREET_TYPES = (
    r"place|pl\.?|cours|crs\.?|route|square|sq\.?|r[ée]sidence|r[ée]s\.|lotissement|lot\."
    r"|passage|cit[ée]|hameau|promenade|esplanade|parvis|villa|clos|domaine|traverse|c[ôo]te|all[ée]"
    r"|chauss[ée]e|quartier|zone|za|zi|zac|mail|carrefour|sente|cour|port|parc|rocade|r"
    r"|ligne|rampe|sentier"
)
# Streets whose type is the whole name (« 24 grande rue », « 2 Grand'Rue »).
_NAMELESS_STREET_TYPES = r"grande?[\s-]?rue|grand['’]\s?rue"
# « 12B », « 12 B », « 12 bis »: the letter after a space only in capitals (« 12 a rue »).
_STREET_NUMBER = r"\d{1,4}(?:\s?(?:bis|ter|quater)\b|[A-Da-d]\b|\s[A-D]\b)?(?:\s?[-/]\s?\d{1,4}){0,3}"
# Overseas, a road's kilometre point stands for the number (« PK 4,5 route de Montabo »).
_KILOMETRE_POINT = r"(?:PK|pk|Pk|km|KM)\s?\d{1,3}(?:[,.]\d{1,3})?"
_STREET_RE = re.compile(
    rf"""(?<![\w.,/])
    (?:{_KILOMETRE_POINT}|{_STREET_NUMBER})
    ,?\s+
    (?:(?:de\s+la|du|de\s+l['’])\s*)?                      # « au 14 de la rue des Lilas »
    (?:(?P<nameless>{_NAMELESS_STREET_TYPES})(?![\w'’-])
      |(?P<strict>{_STREET_TYPES})(?=\s)|(?P<ambiguous>{_AMBIGUOUS_STREET_TYPES})(?=\s))""",
    re.VERBOSE | re.IGNORECASE,
)
_NUMBER_BEFORE_RE = re.compile(rf"{_STREET_NUMBER},?\s+(?:(?:de\s+la|du|de\s+l['’])\s*)?$")
_UNNUMBERED_STREET_RE = re.compile(
    rf"(?<![\w.'’-])(?:(?P<strict>{_STREET_TYPES})|(?P<ambiguous>{_AMBIGUOUS_STREET_TYPES}))(?=\s)",
    re.IGNORECASE,
)
# « 10 Le Bourg », « lieu-dit Les Granges »: rural addresses without a street type.
_RURAL_RE = re.compile(
    rf"(?<![\w.,/])(?:{_STREET_NUMBER},?\s+(?i:le\s+)?(?i:bourg)\b"
    rf"|(?i:lieu-dit|lieudit|lieu\s+dit|hameau\s+d[eu']s?|l\.d\.)\s*(?:(?:le|la|les)\s+|l['’])?(?=[A-ZÀ-Þ]))"
)
# An initial counts as a word of the name (« rue A. Briand »).
_TOKEN_RE = re.compile(
    r"(?:\s+|(?<=['’]))(?:(?P<elided>[dlDL]['’])|(?P<word>[A-ZÀ-Þ]\.(?=\s+[A-ZÀ-Þ])|[\w-]+(?:['’]\w+)?))"
)
_NAME_PARTICLES = {"de", "du", "des", "la", "le", "les", "aux", "et", "sur", "en", "a", "à", "au"}
_MONTHS = {
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
    "septembre", "octobre", "novembre", "décembre",
}  # fmt: skip
# Lower-case words that end a street name written in lower case.
_STOP_WORDS = {
    "je", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "me", "te", "se", "ce",
    "ça", "qui", "que", "quand", "où", "mais", "ou", "donc", "or", "ni", "car", "pour", "par",
    "avec", "sans", "chez", "dans", "depuis", "pendant", "avant", "après", "vers", "entre",
    "contre", "est", "était", "sont", "a", "ai", "as", "avait", "ont", "été", "suis", "à",
    "au", "en", "sur", "sous", "y", "ne", "pas", "plus", "très", "mon", "ma", "mes", "son",
    "sa", "ses", "notre", "votre", "nos", "vos", "leur", "leurs", "un", "une", "cette", "ces",
    "puis", "alors", "aussi", "comme", "si", "afin", "lors", "bâtiment", "bât", "appartement",
    "appt", "apt", "étage", "escalier", "porte", "résidence", "cedex", "bp", "tout",
    "tous", "toute", "toutes", "ville", "commune", "mairie", "agence", "guichet", "accueil",
    "et", "rez", "code", "postal", "numéro", "n°", "tél", "tel", "téléphone", "mail",
}  # fmt: skip
_CITY_WORD = r"[A-ZÀ-Þ](?:[\w'’]*\w)?(?:-[\w'’]*\w)*"
# The town written first, its postal code with it: « 23220 Bonnat, lieu-dit … », « Bonnat
# (23220), au lieu-dit … ».
_TOWN_FIRST_RE = re.compile(
    rf"(?:\d{{5}}[ \t]+{_CITY_WORD}(?:[ \t-]+{_CITY_WORD}){{0,2}}"
    rf"|{_CITY_WORD}(?:[ \t-]+{_CITY_WORD}){{0,2}}[ \t]*\([ \t]*\d{{5}}[ \t]*\))"
    r"[ \t]*[,–-]?[ \t]*(?:(?i:au|en)[ \t]+)?$"
)
# A city in lower case after its postal code: « metz », « st maur », « le tampon », « la
# roche sur yon ».
_LOWER_CITY = (
    r"(?:(?:le|la|les|st|ste|saint|sainte)[ \t]+|l['’])?[a-zà-ÿ][\w-]*"
    r"(?:[ \t]+(?:sur|sous|lès|les|en)[ \t]+[a-zà-ÿ][\w-]*)?"
    # « 97122 baie mahault », « 97200 fort de france »: more words only up to the clause's end
    r"(?:(?:[ \t]+(?:(?:de|du|des)[ \t]+|d['’])?[a-zà-ÿ][\w-]*){1,2}(?=[ \t]*(?:[.,;:!?)\n]|$)))?"
)
# Postal codes abroad, before the city: Belgium, Switzerland, Luxembourg (« 1000 », « L-1234 »),
# Canada (« H2J 2L3 »), the United Kingdom (« SW1A 1AA »), Portugal (« 4050-262 »).
_FOREIGN_POSTCODE = (
    r"\d{4}-\d{3}(?!\d)|(?:[A-Z]{1,2}-)?\d{4}(?!\d)|[A-Z]\d[A-Z][ \u00a0]?\d[A-Z]\d"
    r"|[A-Z]{1,2}\d[A-Z\d]?[ \u00a0]\d[A-Z]{2}"
)
_POSTCODE_CITY_RE = re.compile(
    rf",?\s*(?:-\s*)?(?:\d{{5}}|\d{{2}}\s\d{{3}}|{_FOREIGN_POSTCODE})"
    rf"(?:[ \t\u00a0]*[-–][ \t\u00a0]*|[ \t\u00a0]+)"
    rf"(?:(?:(?:le|la|les)[ \t]+|l['’])?{_CITY_WORD}(?:[ \t\u00a0]+(?:{_CITY_WORD}"
    rf"|(?:sur|sous|en|les|le|la|de|du|des|aux|lès)(?![\w'’])|d'|l')){{0,4}}(?<![ \t\u00a0])|{_LOWER_CITY})"
    rf"(?:\s+(?i:cedex)(?:\s+\d{{1,2}})?)?"
)
_COMMA_CITY_RE = re.compile(
    rf",\s*(?P<city>{_CITY_WORD}(?:(?:[ \t]+|-){_CITY_WORD}){{0,2}})(?=\s*(?:[.;:!?)]|$)|\s*[,(]"
    # « de 12 rue X, Roubaix à 8 rue Y »: a move from one address to the next
    r"|[ \t]+(?:à|a|au)[ \t]+\d|[ \t]+[-–][ \t])"
)
# Flat and building details written before or after the street: « Bât B, appt 12, 3 rue … »,
# « …, 3e étage gauche, 75011 Paris ».
_FLOOR = (
    r"\d{1,2}\s?(?i:e|è|ème|eme|er|ère|ere|°)\s*(?i:[ée]tage|[ée]t\.?)(?:\s+(?i:gauche|droite|droit"
    r"|fond|face|g|d)(?![\w'’]))?"
    r"|\d{1,2}\s?(?i:e|è|ème|eme|er|ère|ere)\s+(?i:gauche|droite|droit)(?![\w'’])"
    r"|(?i:rez-de-chauss[ée]e|rdc)(?![\w'’])"
    # abroad, a floor by its ordinal sign: « 3º B », « 2º Esq. », « 1º izda »
    r"|\d{1,2}\s?º(?:\s?[A-Z](?![\w'’])|\s+(?i:izq|izda|dcha|dta|esq|dto|dir)\.?)?"
)
_DETAIL = (
    r"(?:(?<![\w'’-])(?i:b[aâ]timent|b[aâ]t|bt|appartement|app?artem[ea]nt?|appart|appt|app|apt|logement|logt|escalier|esc|atelier"
    r"|entr[ée]e|porte|[ée]tage|imm(?:euble)?|tour|bo[iî]te|bal|chambre|studio|lot|villa|case|pavillon"
    r"|emplacement|casa|piso|puerta|flat|unit|bloc"
    r"|ch(?=\.?\s*\d))(?![^\W\d_])\.?"
    r"\s*(?:n°\s*)?[\w-]{0,8}"
    rf"|{_FLOOR}|{_KILOMETRE_POINT}|(?:RN|RD|CD|N|D)\s?\d{{1,4}}(?![\w'’])"
    # a floor by its ordinal alone in the details before the street (« esc 2, 4e, 112 av. »)
    r"|(?<![\w'’-])\d{1,2}\s?(?i:e|è|ème|eme|er|ère)(?![\w'’])"
    # a travellers' site (« aire d'accueil des gens du voyage »)
    r"|(?:(?<![\w'’-])|(?<=\b[lL]['’]))(?i:aire\s+d['’]accueil(?:\s+des\s+gens\s+du\s+voyage)?)(?![\w'’-])"
    # a courtyard (« 2e cour », « fond de cour »)
    r"|(?<![\w'’-])(?:\d{1,2}\s?(?i:e|è|ème|eme|er|ère|[èe]re)|(?i:premi[èe]re|deuxi[èe]me|fond\s+de))\s+(?i:cour)(?![\w'’])"
    r"|(?:(?<![\w'’-])|(?<=\b[lLdD]['’]))(?i:r[ée]sidence|r[ée]s\.?|cit[ée]|immeuble|villa|domaine|lotissement|hameau|foyer|quartier"
    r"|lieu-dit|lieudit|section|habitation|ehpad|village|b[aâ]timent|b[aâ]t\.?|tour|za|zi|zac"
    # lodgings of social housing and shelters: « CHRS L'Escale », « FJT Les Acacias »
    r"|chrs|fjt|cada|huda|prahda|cph|chu|usld|maison\s+relais|pension\s+de\s+famille"
    r"|centre\s+d['’]h[ée]bergement|r[ée]sidence\s+sociale|r[ée]sidence\s+autonomie"
    # where a child, an old or disabled person lives, a boat or a pitch: « IME Les Sources »,
    # « Maison de retraite Saint-Roch », « péniche « L'Albatros » »
    r"|ime|itep|mecs|fam|marpa|maison\s+de\s+retraite|maison\s+d['’]enfants|village\s+d['’]enfants"
    r"|foyer\s+de\s+vie|camping(?:\s+municipal)?|p[ée]niche|bateau|voilier)\s+"
    r"(?:[«\"“][ \t]*)?(?:(?i:les|le|la|l'|des|du|de)\s*)?[A-ZÀ-Þ][\w'’-]*"
    r"(?:\s+(?:(?i:les|le|la|des|du|de)\s+)?"
    r"[A-ZÀ-Þ][\w'’-]*){0,3}(?:[ \t]*[»\"”])?"
    r"|(?<![\w'’-])(?i:ferme|mas|moulin|ch[aâ]teau|manoir|chalet|maison|les\s+jardins|le\s+clos)\s+"
    # not a person's house (« maison de M. X »)
    r"(?:(?i:des|du|de\s+la|de\s+l'|de|d'|les|le|la)\s*)?(?!(?:M|Mme|Mlle|Mr|Dr|Me)\.?\s)[A-ZÀ-Þ][\w'’-]*)"
)
# A detail written after the street without a comma: a keyword and its number or letter only.
_FLAT_DETAIL = (
    r"(?:(?i:b[aâ]timent|b[aâ]t|appartement|appart|appt|apt|logement|logt|escalier|esc|porte"
    r"|entr[ée]e|chambre)\.?\s*(?:n°\s*)?(?:\d{1,4}[A-Za-z]?|[A-Z]\d?|(?i:gauche|droite|droit))(?![\w'’])"
    rf"|{_FLOOR})"
)
# Before a street already found, a residence may be written in lower case (« res les
# glycines bat C, 22 rue … »).
_NOT_A_PLACE_WORD = (
    r"(?!(?i:b[aâ]t|b[aâ]timent|esc|escalier|appt|apt|app|appart|appartement|porte|entr[ée]e|[ée]tage|chambre"
    r"|est|sont|[ée]tait|a|ai|as|avait|avec|pour|par|qui|que|et|ou|mais|c|ce|il|elle|on|je|tu|nous|vous"
    r"|ils|elles|en|au|aux|sur|dans|pas|plus|tr[èe]s|trop|tout|bien|mal|depuis|ici|la-bas)(?![\w'’-]))"
)
_LOWER_RESIDENCE = (
    r"(?:(?<![\w'’])|(?<=\b[lLdD]['’]))(?i:r[ée]sidence|r[ée]s|cit[ée]|foyer|ehpad|hameau|quartier|lieu-dit|lieudit|za|zi|zac"
    r"|zone\s+artisanale|zone\s+industrielle)\.?\s+(?:(?i:les|le|la|l'|des|du|de\s+la|de\s+l'|de|d')\s*)?"
    rf"{_NOT_A_PLACE_WORD}[^\W\d_][\w'’-]+(?:\s+(?:(?i:les|le|la|des|du|de)\s+)?{_NOT_A_PLACE_WORD}[^\W\d_][\w'’-]+){{0,3}}"
)
# (« TSA 30210 », « CS 70001 »: boxes that only organisations have, so never read as a home's.)
_DETAILS_BEFORE_RE = re.compile(
    rf"(?:(?:{_DETAIL}|{_LOWER_RESIDENCE}|(?i:bp|bo[iî]te\s+postale)\s*\d{{1,5}})"
    rf"\s*[,;–—-]?\s*)+$"
)


@cache
def _office_before_re() -> re.Pattern[str]:
    """An office word, its name (« l'agence France Travail de Lyon », « le centre des
    finances publiques »), then « du », « au », a comma…: on text without accents, case kept."""
    offices = _words_pattern(_public_contacts().get("office_words", []))
    # « lantenne du 15 rue … »: an elided article stuck to the office word.
    return re.compile(
        rf"(?:^|[^\w])(?:[lLdD](?=[aeiouhAEIOUH]))?(?:(?i:{offices})"
        r"(?:\s+(?:(?i:annexe|principale?|centrale?|departementale?|locale?|regionale?|de quartier"
        r"|[a-z-]+(?:aire|ales?|aux|iennes?|ique|elles?|ives?|if))"
        r"|(?i:de\s+la\s+|de\s+l'|de\s+|du\s+|des\s+|d'|a\s+|en\s+)?[A-Z0-9][\w'-]*)){0,4}"
        # « UDAF de la Marne, service des majeurs protégés, », « URSSAF X, site d'Arras, »
        r"(?:\s*,\s*(?i:service|site|pole|direction|antenne|accueil|bureau|cellule|departement"
        r"|unite|plateforme|agence|delegation|permanence)\b[^,.;:!?()]{0,40}?(?=\s*,))?"
        # « Préfecture du Cantal, Aurillac, 2 cours … »: its town between commas
        r"(?:\s*,\s*[A-Z][\w'-]*(?:[ -][A-Z][\w'-]*){0,2}(?=\s*,))?"
        rf"|(?i:adresse|coordonnees|locaux|siege)\s+(?i:de\s+la\s+|de\s+l'|du\s+|des\s+|de\s+)"
        rf"(?i:{offices})\b.*)"
        r"\s*(?:(?i:,|:|\(|-|–|\bdu|\bau|\bde la|\bsituee?s? au|\bsise? au|\bsis|\bse trouvant au"
        r"|\bc'?\s?est au|\bsont au|\bsont situee?s au|\bjoignable par courrier au"
        r"|\bqui se trouve au|\bse trouve au|\best au|\best situee? au|\bdomiciliee? au|\bsituee?s?)\s*)?$"
    )


@cache
def _home_words_re() -> re.Pattern[str]:
    return re.compile(rf"\b(?:{_words_pattern(_public_contacts().get('home_words', []))})\b")


def _unaccent(text: str) -> str:
    return _translate(text, _unaccent_char)


@cache
def _unaccent_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    base = base.translate(_PLAIN_TABLE)
    return base if len(base) == 1 else char


# The usager speaking of herself or her family: an address in her sentence may be hers.
_OWN_RE = re.compile(
    r"(?:^|[^\w'])(?:(?:je|me|moi|mon|ma|mes|nous|nos|chez|perso|personnelle?"
    r"|(?:son|sa|ses|leur|leurs) (?:domicile|logement|appartement|maison|adresse))(?![\w'])"
    # an elided « je », « me » before its verb (« j'ai déménagé au … »)
    r"|[jm]')"
)


@cache
def _office_moved_re() -> re.Pattern[str]:
    """An office as the subject of a move (« le centre des impôts a déménagé … »)."""
    offices = _words_pattern(_public_contacts().get("office_words", []))
    return re.compile(
        rf"\b(?:{offices})\b(?:\s+[\w'-]+){{0,3}}?\s+(?:a|ont|s'est|se sont|a ete|ont ete)\s+"
        r"(?:demenagee?s?|installee?s?|transferee?s?)\b"
    )


@cache
def _office_subject_re() -> re.Pattern[str]:
    return re.compile(rf"\b(?:{_words_pattern(_public_contacts().get('office_words', []))})\b")


def _is_office_address(text: str, start: int, end: int | None = None) -> bool:
    """An office's address: right after the office's name (« la CAF du 27 avenue … »), or
    in a sentence about an office where nobody speaks of a home (« La permanence du CCAS a
    lieu au 3 rue Carnot le mardi »)."""
    if end is not None and 0 <= (earlier := text.find(text[start:end])) < start and _is_office_address(
        text, earlier, earlier + end - start
    ):
        return True  # an office's address written again is still the office's
    sentence = re.split(r"[.!?\n]", text[max(0, start - 70) : start])[-1]
    firm_mail = end is not None and _FIRM_MAIL_RE.search(text, start, min(len(text), end + 12))
    if firm_mail and (
        firm_mail.group().startswith("CS") or _POST_BOX_IN_RE.search(text, start, end)
        or firm_mail.group()[-1].isdigit() and _office_words_re().search(_fold(sentence))
    ):
        return True  # « CS 40001 », « le centre des impôts, …, Cedex 9 »: delivery for firms, no home
    after = re.split(r"[.!?\n]", text[end : end + 60])[0] if end is not None else ""
    folded = _fold(sentence)
    if _OWN_HOME_AFTER_RE.match(_fold(after)):
        return False  # « MSA Limousin, lieu-dit La Croix, 87120 Eymoutiers (mon domicile) »
    if _ADDRESS_HELD_BY_OFFICE_RE.search(folded):
        return False  # « adresse connue de la CPAM : … », « le passage de l'assistante de la CAF au … »
    whole = _fold(re.split(r"[.!?\n]", text[max(0, start - 160) : start])[-1])  # the office said first
    if _office_moved_re().search(whole) and not _OWN_RE.search(whole):
        return True  # « le centre des impôts a déménagé du boulevard X à la ZI, 7 avenue … »
    if _OFFICE_HOURS_RE.search(folded) and _office_subject_re().search(folded) and not (
        _OWN_RE.search(folded) or _home_words_re().search(folded)
    ):
        return True  # « les permanences du CCAS ont lieu le lundi …, au 1 place … »
    if (
        end is not None
        and _OFFICE_SITE_RE.search(folded)
        and _office_subject_re().search(folded)
        and not _OWN_RE.search(folded)
        and not _OWN_RE.search(_VISIT_RE.sub(" ", _fold(after)))
    ):
        return True  # « la MDPH a déménagé au 15 avenue … »
    if (
        _OFFICE_SITE_AFTER_RE.match(_fold(after))
        and _office_subject_re().search(folded)
        and not _OWN_RE.search(folded)
        and not _home_words_re().search(folded)
    ):
        return True  # « Le centre des impôts de X, 5 rue …, est fermé depuis … »
    if _PROFESSIONAL_BEFORE_RE.search(sentence):
        return True  # « Me Romain Vial, 14 cours Pasteur … »: a lawyer's, a doctor's office
    if _home_words_re().search(folded):
        return False
    if end is not None and _opens_with_an_office(_fold(text[start:end])):
        return True  # « L'UDAF de la Marne, 35 rue … »: the office named first, in the span
    if end is not None and _PROFESSIONAL_OPENS_RE.match(text, start, end):
        return True  # « Cabinet Fiducial, 12 rue … »
    # « caf de l oise, beauvais, 2 bd … », « Mairie du 8e arrondissement de Lyon, 12 avenue … »:
    # the sentence opens with the office and names nothing else before its address
    lead = _fold(re.split(r"[.!?\n]", text[:start])[-1]).lstrip(" \t«\"'")
    if _opens_with_an_office(lead) and _OFFICE_HEADING_RE.fullmatch(lead) and not (
        _OWN_RE.search(lead) or _NOT_AN_OFFICE_HEADING_RE.search(lead)
    ):
        return True
    return bool(_office_before_re().search(_unaccent(sentence)))


def _opens_with_an_office(folded: str) -> bool:
    """Folded text that starts with an office where nobody lives (« l'udaf de la marne, … »)."""
    office = _office_words_re().match(folded, _OFFICE_OPENS_RE.match(folded).end())
    return bool(office) and office.group() not in _LIVED_IN_OFFICES


_OFFICE_OPENS_RE = re.compile(r"(?:l'|la |le |les )?")
_OFFICE_HEADING_RE = re.compile(r"[^,;:() \t]+(?:[ \t]+[^,;:() \t]+){0,7}(?:,[^,;:()]{1,40}){0,3},[ \t]*")
# someone's or a home's words in the heading: « CNAV / … pour Louis Ferrer, », « CROUS
# résidence X, studio 34, »
_NOT_AN_OFFICE_HEADING_RE = re.compile(
    r"\b(?:pour|residence|studio|chambre|logement|appartement|appt|apt|foyer|batiment|bat|etage)\b"
)
_LIVED_IN_OFFICES = frozenset({"ehpad", "chu", "hopital", "clinique", "locaux", "domiciliation"})
_PROFESSIONAL_OPENS_RE = re.compile(r"(?:Me|Ma[iî]tre|Dr\.?|Docteure?|[Cc]abinet|[ÉE]tude)\s+[A-ZÀ-Þ]")


_POST_BOX_IN_RE = re.compile(r"\b(?:BP|B\.P\.)[ \u00a0]?\d{1,5}\b")
_FIRM_MAIL_RE = re.compile(r"\b(?i:cedex)(?:[ \t\u00a0]*\d{1,2})?\b|\bCS[ \u00a0]?\d{4,5}\b")
# « …, j'y suis allée trois fois »: a visit to the office, no home of the writer's
_VISIT_RE = re.compile(r"\bj'y (?:suis|etais|vais|retourne|retournerai|serai)\b")
_PROFESSIONAL_BEFORE_RE = re.compile(
    r"(?:\bMe|\bMa[iî]tre|\bDr\.?|\bDocteure?|\b[Cc]abinet|[ÉE]tude)\s+(?:(?:de|d'|du)\s*)?(?:[A-ZÀ-Þ][\w'’-]+\s+){0,3}"
    r"[A-ZÀ-Þ][\w'’-]+\s*[,:–-]\s*$"
)


# An office holding or visiting the usager's address, not giving its own.
_ADDRESS_HELD_BY_OFFICE_RE = re.compile(
    r"\badresse (?:connue|enregistree|declaree|retenue|utilisee|notee)\b"
    r"|\b(?:erreur|changement|modification|correction|mise a jour) d'?\s*adresse\b"
    r"|\b(?:passage|visite|venue) (?:de|du|d')"
)
_OWN_HOME_AFTER_RE = re.compile(
    r"\s*[(,–-]?\s*(?:c'est |qui est )?(?:mon|ma|notre|son|sa|leur) (?:domicile|adresse|logement|maison)"
)
_OFFICE_HOURS_RE = re.compile(r"\b(?:a lieu|ont lieu|se tien(?:t|nent)|permanences?|recoit|recoivent"
                              r"|horaires?|ouvert(?:e|s|es)?)\b")


# The office's address as the subject of a verb of an office, right after it.
_OFFICE_SITE_AFTER_RE = re.compile(
    r"\s*[,)]?\s*(?:est|sont|a ete|ont ete|reste|restent)?\s*(?:desormais |toujours |encore )?"
    r"(?:fermee?s?|ouverte?s?|ouvre|ouvrent|ferme|ferment|recoit|recoivent|demenage|en travaux)\b"
)
# Verbs that place an office (« l'agence se trouve 12 rue … », « la permanence a lieu au … »).
_OFFICE_SITE_RE = re.compile(
    r"\b(?:se trouve(?:nt)?|se situe(?:nt)?|est situee?|sont situee?s|situee?s?|a lieu|ont lieu"
    r"|se tien(?:t|nent)|est installee?|sont installee?s|a demenage|ont demenage|demenage"
    r"|est au|sont au|est a|ouvre|ouvrent|ferme|ferment|recoit|recoivent|tient (?:sa|ses) permanences?)"
    r"(?:\s+(?:desormais|maintenant|toujours|encore|aussi|au|a|le|les|a la|a l'|dans|du|de la))*\s*$"
)


_NUMBERED_ROADS = frozenset(
    "nationale departementale départementale communale forestiere forestière departemental "
    "départemental communal vicinal rural".split()
)


_FLAT_WORDS = frozenset("esc escalier bat batiment bt app appt apt appart appartement logt".split())


def _flat_word_at(text: str, m: re.Match[str], words: int, previous: str) -> bool:
    """A flat's keyword and its number or letter after the street's first word."""
    return bool(
        words and previous not in _NAME_PARTICLES and previous != "elided"
        and _fold(m.group("word").lower()) in _FLAT_WORDS
        and re.match(r"\.?[ \t]*(?:n°[ \t]*)?[\dA-Z]", text[m.end() :])
    )


def _street_name_end(text: str, position: int, lower_case_allowed: bool) -> int | None:
    """End of the street name that starts at `position`, or None when there is none."""
    end, words, previous, capitalised = None, 0, "", False
    while words < 6 and (m := _TOKEN_RE.match(text, position)):
        if "\n" in text[position : m.start(m.lastgroup or 0)]:
            break  # the next line of a form (« Adresse : 7 rue X \n CP / Ville : … »)
        if m.group("elided"):
            previous, position = "elided", m.end()
            continue
        word = m.group("word")
        lower = word.lower()
        if lower in _NAME_PARTICLES and word.islower():
            if lower in ("a", "à", "au"):  # « rue du Four à Chaux », not « rue d'à côté »
                following = _TOKEN_RE.match(text, m.end())
                if not (following and following.group("word") and following.group("word")[0].isupper()):
                    break
            previous, position = lower, m.end()
            continue
        if word.isdigit():
            # "rue du 8 Mai 1945", "avenue du 11 Novembre"
            # « rue des 3 Frères », « cité des 4000 »
            accepted = (len(word) <= 4 and (previous == "du" or previous in _MONTHS)) or (
                len(word) <= 4 and previous == "des"
                # « route nationale 2 », « chemin départemental 12 »: a numbered road
            ) or (len(word) <= 4 and previous in _NUMBERED_ROADS)
        elif _flat_word_at(text, m, words, previous):
            break  # « 9 RUE DES LILAS ESC. 2 APT 14 »: the flat's details, not the street's name
        elif word[0].isupper():
            accepted = capitalised = True
        else:
            # Lower case only in a name written all in lower case: after "Tilleuls",
            # "et le facteur" is the sentence going on.
            accepted = (
                lower_case_allowed
                and not capitalised
                and word.isalpha()
                and lower not in _STOP_WORDS
            )
        if not accepted:
            break
        end, words, previous, position = m.end(), words + 1, lower, m.end()
    return end


_BUILDING_AFTER_RE = re.compile(rf"(?:\s*,\s*(?:{_DETAIL})|\s+{_FLAT_DETAIL}|\s*\((?:{_DETAIL})\))+")
# A road without a number between a place and its postal code (« quartier Beauséjour, route
# de la Trinité, 97230 … »).
_ROAD_DETAIL = (
    rf"(?i:{_STREET_TYPES}|route|chemin)\s+(?:(?i:de\s+la|de\s+l['’]|des|du|de|d['’])\s*)?"
    r"[A-ZÀ-Þ][\w'’-]*(?:\s+[A-ZÀ-Þ][\w'’-]*){0,2}"
)
_DETAILS_AFTER_RE = re.compile(
    rf"(?:\s*[,–-]\s*(?:{_DETAIL}|{_ROAD_DETAIL}|[A-ZÀ-Þ][\w'’]*(?:[\s-](?:(?:de|du|des|la|le|les)\s+|d['’]|l['’])?"
    rf"[A-ZÀ-Þ][\w'’]*){{0,3}})"
    rf"|\s*,?\s*(?i:n°|no\.?|num[ée]ro)\s*\d{{1,4}}(?:\s?(?:bis|ter)\b)?"
    rf"|\s+{_FLAT_DETAIL}|\s*\((?:{_DETAIL})\))+"
)
# « 4 impasse des Roses à Vannes »: the city after « à » when no postal code is given. A city
# in lower case only at the end of the clause (« … a evreux »), not « à côté de la poste ».
_A_CITY_RE = re.compile(
    rf"\s*,?\s*(?:à|a|A|À)\s+(?P<city>{_CITY_WORD}(?:[\s-]+(?:(?:sur|sous|en|lès|les|le|la|de|du|aux)(?![\w'’])"
    rf"|d'|l'|{_CITY_WORD})){{0,4}}(?<![\s-])|[a-zà-ÿ][\w'’-]{{2,}}(?=\s*(?:[.,;:!?)]|\n|$)))"
    rf"(?:\s*\(?\s*\d{{5}}\s*\)?)?"
)


_FLOOR_AFTER_RE = re.compile(rf"(?:\s*,?\s*(?:(?i:au)\s+)?(?:{_FLAT_DETAIL}))+")


# « Le Kremlin-Bicêtre », « Les Lilas »: a town's article, read past when it names a town.
_ARTICLE_BEFORE_TOWN_RE = re.compile(r"^(?:Le|La|Les)[ \t]+(?=[A-ZÀ-Þ][\w'’]*-)")


_NAME_IN_DETAILS_RE = re.compile(r"[,–-][ \t]*([A-ZÀ-Þ][\w'’]*)[ \t]+[A-ZÀ-Þ]")


def _address_end(text: str, end: int) -> int:
    """The postal code and city after the street, with the building details or the
    locality in between (« , Bât D, 93200 Saint-Denis »), a city after « à » or after a
    comma, or the building details alone."""
    details = _DETAILS_AFTER_RE.match(text, end)
    if details and _NAME_IN_DETAILS_RE.search(details.group()) and any(
        _is_first_name(w.group(1), allow_word=False) for w in _NAME_IN_DETAILS_RE.finditer(details.group())
    ):
        details = None  # « 6 rue du Moulin, Brest - Manon Kerboul »: a signature after the town
    for position in ([details.end()] if details else []) + [end]:
        city_end = _postcode_city_end(text, position)
        if city_end is not None:
            floor = _FLOOR_AFTER_RE.match(text, city_end)  # « …, 93000 Bobigny, au 7e étage »
            return floor.end() if floor else city_end
        city = _A_CITY_RE.match(text, position)
        if city and _is_city(city.group("city")):
            return city.end()
    building = _BUILDING_AFTER_RE.match(text, end)
    for position in ([building.end()] if building else []) + [end]:
        # « 12 bd …, bât. E, Lille »: the town after the building's details too
        city = _COMMA_CITY_RE.match(text, position)
        if city and not re.search(rf"\b(?:{_DETAIL})", city.group()) and _is_city(
            _ARTICLE_BEFORE_TOWN_RE.sub("", city.group("city"))
        ):
            if re.match(r"\s*[.;:!?)]|\s*$", text[city.end() :]) or not _is_first_name(
                city.group("city")
            ) or _country_after_re().match(_fold(text[city.end() : city.end() + 40])):
                return city.end()
        if building:
            return building.end()
    town = _KNOWN_TOWN_AFTER_RE.match(text, end)
    town_end = town and _commune_at(text, town.end())
    if town_end and _TOWN_ENDS_RE.match(text, town_end) and not (
        _is_first_name(text[town.end() : town_end]) and not _ENDS_A_CLAUSE_RE.match(text, town_end)
    ):
        return town_end  # « 5 allée des Mimosas, Le Lavandou », « 3, rue X – Montmorillon »
    street = text[max(0, end - 25) : end]
    city = _LOWER_COMMA_CITY_RE.match(text, end)
    if city and street.islower() and _is_city(city.group("city")):
        return city.end()  # « 12 rue des lilas, rennes »: all in lower case
    return end


# A known commune after the street (the gazetteer), at the end of the clause.
_KNOWN_TOWN_AFTER_RE = re.compile(r"[ \t]*(?:,|[–-]|(?<![\w'’])(?:à|a)(?![\w'’]))[ \t]*(?=[^\W\d_])")
_TOWN_ENDS_RE = re.compile(r"[ \t]*(?:[.,;:!?()\n]|[–-][ \t]|$)")
_ENDS_A_CLAUSE_RE = re.compile(r"[ \t]*(?:[.;:!?)\n]|$)")


# The city in lower case after a comma, at the end of the clause.
_LOWER_COMMA_CITY_RE = re.compile(
    r",\s*(?P<city>[a-zà-ÿ][\w'’-]{2,}(?:[ -](?:sur|sous|en|les|le|la)[ -][a-zà-ÿ][\w'’-]+)?)"
    r"(?=\s*(?:[.;!?)]|\n|$))"
)


def _city_word_ok(city: str) -> bool:
    """The last word of « 75011 Paris » is a city's, not « 75011 et » (« Cedex » aside)."""
    words = re.sub(r"(?i)\s+cedex(?:\s+\d{1,2})?$", "", city).split()
    return words[-1].lower() not in _STOP_WORDS


_CITY_PARTICLES = frozenset("sur sous en les le la de du des aux d' l' lès".split())
_CITY_TAIL_WORD_RE = re.compile(r"[ \t\u00a0]+([\w'’-]+)")


def _postcode_city_end(text: str, position: int) -> int | None:
    """End of the postal code and city at `position`. In capitals the sentence goes on in
    capitals too (« 23200 AUBUSSON TEL 05… »): the city stops before a word that ends it."""
    city = _POSTCODE_CITY_RE.match(text, position)
    if not city:
        return None
    first = re.search(r"\d[ \t\u00a0]*[-–]?[ \t\u00a0]*[\w'’-]+", city.group())
    end = position + first.end() if first else city.end()
    for word in _CITY_TAIL_WORD_RE.finditer(text, end, city.end()):
        folded = word.group(1).lower()
        if folded == "cedex":
            return city.end()
        if folded not in _CITY_PARTICLES and (folded in _STOP_WORDS or _fold(folded) in _CITY_STOP_WORDS):
            break
        end = word.end() if folded not in _CITY_PARTICLES else end
    return end if _city_word_ok(text[position:end]) else None


def _is_city(name: str) -> bool:
    first = _fold(name.split()[0])
    return not (
        first in _STOP_WORDS or first in _CITY_STOP_WORDS or first in _FUNCTION_WORDS
        or first in _name_lists()["acronyms"]
    )


# Words after « à » that are no city: times, days, feasts, people.
_CITY_STOP_WORDS = frozenset(
    "cote partir peine chaque cause travers moins condition pied nouveau present midi minuit "
    "noel paques toussaint lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier "
    "mars avril mai juin juillet aout septembre octobre novembre decembre monsieur madame "
    "mademoiselle bonjour merci mercii cordialement svp stp voila bref etc".split()
)


def _has_postcode_after(text: str, end: int) -> int | None:
    details = _DETAILS_AFTER_RE.match(text, end)
    for position in ([details.end()] if details else []) + [end]:
        city_end = _postcode_city_end(text, position)
        if city_end is not None:
            return city_end
    return None


# --- the French communes (communes_fr.txt, built by build_communes.py): a gazetteer read once,
# looked up by the folded words at a position, never compiled into a pattern.

_COMMUNE_WORD_RE = re.compile(r"[^\W\d_]+(?:['’](?=[^\W\d_]))?")
_COMMUNE_GAP_RE = re.compile(r"[ \t\u00a0]*-[ \t\u00a0]*|[ \t\u00a0]+|(?<=['’])")
_SAINT_KEYS = {"saint": "st", "sainte": "ste"}


def _commune_key(folded_words: Iterable[str]) -> str:
    """« saint-gervais-d'auvergne », « st gervais d auvergne » -> « st gervais d auvergne »."""
    return " ".join(_SAINT_KEYS.get(w, w) for w in (w.rstrip("'") for w in folded_words))


@cache
def _communes() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], int]:
    """Folded commune name -> the departments of its postal codes (« 33 »); the short names
    (« charleville » for « Charleville-Mézières »), read only after a postal code; the most
    words a name has."""
    raw = COMMUNES_PATH.read_text(encoding="utf-8")
    communes: dict[str, set[str]] = {}
    short: dict[str, set[str]] = {}
    # _fold keeps offsets: the folded file is read line by line beside the raw one (digits
    # are folded to letters, so the postal codes are taken from the raw line)
    for line, folded in zip(raw.splitlines(), _fold(raw).splitlines(), strict=True):
        if line and not line.startswith("#"):
            words = _COMMUNE_WORD_RE.findall(folded.partition(";")[0])
            departments = {code[:2] for code in line.rpartition(";")[2].split()}
            communes.setdefault(_commune_key(words), set()).update(departments)
            if len(words) > 1 and len(words[0]) >= 5 and words[0] not in _SAINT_KEYS:
                short.setdefault(words[0], set()).update(departments)
    longest = max(key.count(" ") + 1 for key in communes)
    return (
        {key: tuple(sorted(codes)) for key, codes in communes.items()},
        {key: tuple(sorted(codes)) for key, codes in short.items()},
        longest,
    )


def _commune_at(text: str, position: int, postcode: str | None = None) -> int | None:
    """End of the longest known commune written at `position` (any case, accents or not,
    « st » for « saint », hyphens or spaces), or None. With `postcode`, a commune of that
    postal code's department only (« 33600 pessac », not « 33600 paris »)."""
    communes, short, longest = _communes()
    words: list[str] = []
    ends: list[int] = []
    cursor = position
    while len(words) < longest and (m := _COMMUNE_WORD_RE.match(text, cursor)):
        words.append(_fold(m.group()))
        ends.append(m.end())
        gap = _COMMUNE_GAP_RE.match(text, m.end())
        if not gap or "\n" in gap.group():
            break
        cursor = gap.end()
    for count in range(len(words), 0, -1):
        key = _commune_key(words[:count])
        departments = communes.get(key)
        if postcode and key in short:
            departments = short[key] + (departments or ())
        if departments is None or (ends[count - 1] < len(text) and text[ends[count - 1]].isalnum()):
            continue
        if postcode and departments and postcode[:2] not in departments:
            continue
        return ends[count - 1]
    return None


def _is_commune(name: str) -> bool:
    return _commune_at(name, 0) == len(name.rstrip())


# « n°12 route de Pau »: the sign written before the street number.
_NUMBER_SIGN_BEFORE_RE = re.compile(r"(?<![\w'’])(?i:n°|nº|no\.|num[ée]ro)[ \t]*$")


def _address_start(text: str, start: int) -> int:
    if start < len(text) and text[start].isdigit() and (
        sign := _NUMBER_SIGN_BEFORE_RE.search(text, max(0, start - 10), start)
    ):
        start = sign.start()
    details = _DETAILS_BEFORE_RE.search(text, max(0, start - 80), start)
    return details.start() if details and details.end() == start else start


# Belgium and Switzerland write the number after the street, a four-digit postal code
# before the city: « Rue de la Loi 16, 1040 Bruxelles », « Avenue Louise 231 boîte 4, … ».
_NUMBER_AFTER_STREET_RE = re.compile(
    r"(?<![\w-])(?i:rue|avenue|av\.|boulevard|bd|chauss[ée]e|place|chemin|quai|all[ée]e|route|impasse)"
    r"\s+(?:(?i:de\s+la|de\s+l['’]|des|du|de|d['’])\s*)?[A-ZÀ-Þ][\w'’-]*(?:\s+[A-ZÀ-Þ][\w'’-]*){0,3}"
    r"\s+\d{1,4}[a-z]?(?:\s*(?i:bo[iî]te|bte|bus)\s*\d{1,4})?,?\s+(?:[A-Z]-)?\d{4}\s+[A-ZÀ-Þ][\w'’-]+"
    r"(?:[\s-][A-ZÀ-Þ][\w'’-]+){0,2}"
)
# Addresses abroad written the local way: « Hauptstraße 12, 77694 Kehl », « Boxhagener
# Str. 47 »; « 14/52 Beach Road », « 8 Elm Street ».
_FOREIGN_STREET_RE = re.compile(
    r"(?<![\w-])[A-ZÀ-Þ][\w'’-]*(?:stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|ring|damm|laan"
    r"|straat|plein|gracht|[ \t]+(?:Stra(?:ß|ss)e|Str\.|Weg|Gasse|Platz|Allee|Ring|Damm))\s+\d{1,4}[a-z]?\b"
    r"|(?<![\w.,/])\d{1,5}[A-Z]?(?:/\d{1,5})?(?:[ \t]+[A-Z][\w'’-]*){1,3}[ \t]+(?:Road|Street|Avenue|Lane"
    r"|Drive|Crescent|Close|Terrace|Parade|Gardens|Grove|Square|Highway|Mews)(?![\w'’-])"
)
# The number after the street's name: Spain, Portugal, Italy (« Rua das Flores 23 », « Carrer
# de X 212 »), and French streets written so (« rue des Lilas 12 », « Bd X n°41 »). Not a
# count (« rue X 3 fois ») nor a year.
_STREET_THEN_NUMBER_RE = re.compile(
    r"(?<![\w-])(?i:rue|avenue|av\.|boulevard|bd|chauss[ée]e|place|chemin|quai|all[ée]e|route|impasse"
    r"|rua|avenida|avda\.|calle|carrer|carretera|camino|paseo|passeig|plaza|pla[çc]a|pra[çc]a|travessa"
    r"|largo|estrada|via|viale|piazza|corso|vicolo|strada)\s+"
    r"(?:(?i:de\s+la|de\s+l['’]|des|du|de|d['’]|das|dos|da|do|del|dels|della|di)\s*)?"
    r"[A-ZÀ-Þ][\w'’-]*(?:\s+(?:(?i:de|da|do|das|dos|del|di|la|le|les|des|du)\s+)?[A-ZÀ-Þ][\w'’-]*){0,3}"
    r",?[ \t]+(?:(?i:n°|nº|no\.?)[ \t]*)?(?!(?:19|20)\d\d(?!\d))"
    r"\d{1,4}(?:[ \t]?(?:bis|ter)\b|[a-zA-Z](?![\w'’]))?"
    r"(?![\w'’]|[,.]\d|[ \t]*(?i:ans?|mois|jours?|semaines?|fois|heures?|h|min\w*|€|euros?|%|km|m"
    r"|personnes|enfants|e|[èe]me|er)(?![\w'’]))"
)
# Postal codes abroad written after the town: the United Kingdom (« London WC2B 6EX »),
# Canada (« Montréal (Québec) H2J 3V4 »), Australia (« Bondi NSW 2026 »), the United States.
_ABROAD_POSTCODE = (
    r"[A-Z]{1,2}\d[A-Z\d]?[ \u00a0]?\d[A-Z]{2}|[A-Z]\d[A-Z][ \u00a0]?\d[A-Z]\d"
    r"|(?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT)[ \u00a0]+\d{4}"
    r"|[A-Z]{2}[ \u00a0]\d{5}(?:-\d{4})?"  # and the United States
)
_TOWN_THEN_POSTCODE_RE = re.compile(
    r"(?<![\w'’-])[A-ZÀ-Þ][\w'’-]+(?:[ \t-][A-ZÀ-Þ][\w'’-]+){0,2}(?:[ \t]*\([A-ZÀ-Þ][\w'’ -]{1,30}\))?"
    rf",?[ \t]+(?:{_ABROAD_POSTCODE})(?![\w])"
)
# The parts before such a town: « Flat 12 », « 40 Kingsway », « Kingsway Court », « app. 3 ».
_ABROAD_PART_BEFORE_RE = re.compile(
    r"(?:^|(?<=[,\n:])|(?<=[ \t])(?=\d))[ \t]*(\d{1,5}[A-Z]?(?:/\d{1,5})?(?:[ \t]+[A-ZÀ-Þ][\w'’.-]*){1,4}"
    r"|(?i:flat|apartment|apt|appt|app\.?|unit|suite)[ \t]*\d{1,4}[A-Z]?"
    r"|[A-ZÀ-Þ][\w'’-]*(?:[ \t]+[A-ZÀ-Þ][\w'’-]*){0,3}[ \t]+"
    r"(?:Court|House|Building|Mansions|Tower|Lodge|Hall)"
    r"|\d{1,5})[ \t]*,?[ \t]*$"
)


def _abroad_addresses(text: str) -> Iterator[Flag]:
    """A town and its postal code written the way of the country, the numbered parts before
    it (« Flat 12, 40 Kingsway, London WC2B 6EX »)."""
    for m in _TOWN_THEN_POSTCODE_RE.finditer(text):
        start, numbered = m.start(), False
        for _ in range(4):
            before = text[max(0, start - 80) : start]
            part = _ABROAD_PART_BEFORE_RE.search(before)
            if not part:
                break
            start -= len(before) - part.start(1)
            numbered = numbered or any(c.isdigit() for c in part.group(1))
        if numbered and not _is_office_address(text, start, m.end()):
            yield Flag(FlagKind.ADDRESS, start, m.end())


# Rural dwellings named after what they were (« moulin de la Roche, 87… »).
_DWELLINGS = r"ferme|mas|moulin|ch[aâ]teau|manoir|chalet|grange|borde|bastide|m[ée]tairie|bergerie"
# A named place without a number, when a postal code follows (« Hameau de la Forêt, 12345
# Ville », « Quartier Bellevue, 97200 Fort-de-France »).
_NAMED_PLACE_RE = re.compile(
    r"(?<![\w-])(?:(?i:hameau|quartier|cit[ée]|r[ée]sidence|r[ée]s\.?|ehpad|foyer|lotissement|lot\.|domaine|village"
    r"|section|morne|habitation|lieu-dit|lieudit|lieu\s+dit|zone|chemin|route"
    rf"|(?P<dwelling>{_DWELLINGS}))\s+"
    r"(?:(?i:de\s+la|de\s+l'|des|du|de|d'|les|le|la)\s*)?"
    # « Le Moulin Neuf, 46100 Figeac »: a rural place named by its article, a postal code after;
    # in lower case after « habite » (« elle habite la Combe 23… »); « Chez Baudy », a hamlet.
    rf"|(?P<article>Le|La|Les|L['’]|Chez|(?:le|la|les|l['’])(?=\s*[A-ZÀ-Þ])(?!\s*(?i:{_DWELLINGS})\s))"
    r"\s*(?=[A-ZÀ-Þ]))[A-ZÀ-Þ][\w'’-]*"
    r"(?:\s+(?:(?i:de\s+la|de\s+l'|des|du|de|d'|les|le|la|aux|au|sur|sous|en|lès)\s+)?[A-ZÀ-Þ][\w'’-]*){0,3}"
)


def _town_named(city: str) -> bool:
    """A town's name after a comma (« Le Moule », « Bras-Panon »), not a person's."""
    name = re.sub(r"^(?:Le|La|Les)[ \t]+(?=[A-ZÀ-Þ])", "", city)
    return _is_city(name) and not _is_first_name(name)


_HOME_VERB_BEFORE_RE = re.compile(
    r"(?<![\w'’])(?i:habite|habitent|habitons|vit|vis|vivent|vivons|r[ée]side|r[ée]sident|demeurant|domicili[ée]e?s?)"
    r"(?:[ \t]+(?i:au|à|a|en|dans))?[ \t]+$"
)
_RESIDENTIAL_PLACE_RE = re.compile(
    r"(?i:domaine|r[ée]sidence|lotissement|hameau|lieu-dit|lieudit|quartier|section)\s"
)
_TO_A_PLACE_BEFORE_RE = re.compile(r"(?<![\w'’])(?i:au|à\s+la|a\s+la|à\s+l['’]|a\s+l['’])\s*$")


def _home_for_an_institution(text: str, m: re.Match[str]) -> bool:
    """« l'EHPAD Les Lilas, 59000 Lille »: an institution's address, unless someone lives there
    (« sa chambre : EHPAD Les Lilas, … », « j'habite foyer Adoma, … »)."""
    if not re.match(r"(?i:ehpad|foyer)\b", m.group().lstrip("0123456789 ,")):
        return True
    sentence = _fold(re.split(r"[.!?\n]", text[max(0, m.start() - 70) : m.start()])[-1])
    return bool(_home_words_re().search(sentence) or _OWN_RE.search(sentence))


_ARTICLE_BEFORE_RE = re.compile(r"(?i:\b(?:le|la|les|ce|cette|du|des|notre|mon|ma|son|sa|leur|un|une)\s+)$")
_LOWER_PLACE_RE = re.compile(rf"(?<![\w.,/])(?:{_STREET_NUMBER},?\s+)?{_LOWER_RESIDENCE}")
_POST_BOX_RE = re.compile(r"(?<![\w.])(?i:bp|b\.p\.|bo[iî]te\s+postale)\s*(?:n°\s*)?\d{1,5}(?![\w])")
_PLACE_NUMBER_BEFORE_RE = re.compile(rf"(?<![\w.,/]){_STREET_NUMBER},?\s+$")


def _home_before(text: str, start: int) -> bool:
    sentence = _fold(re.split(r"[.!?\n]", text[max(0, start - 70) : start])[-1])
    return bool(_home_words_re().search(sentence))


def _is_rural_name(name: str, after: str) -> bool:
    """« La Grange Haute » before « , 23200 Aubusson »: not an office (« La Poste ») nor the
    city itself (« Le Havre, 76600 Le Havre »)."""
    words = [_fold(w) for w in re.findall(r"[\w-]+", re.sub(r"^[lL]['’]", "l ", name))[1:]]
    if any(_office_subject_re().fullmatch(w) or w in _CITY_STOP_WORDS or w in _name_lists()["acronyms"]
           for w in words):
        return False
    return _fold(name) not in _fold(after)


# A soldier's postal sector: « SP 69210 00800 Armées », « BP 53, SP 85025, 00843 ARMEES ».
_MILITARY_SECTOR_RE = re.compile(
    r"(?<![\w])(?:(?i:bp)[ \t]*\d{1,5}[ \t]*,?[ \t]*)?(?i:sp|secteur[ \t]+postal)[ \t]*\d{5}[ \t]*,?[ \t]*"
    r"\d{5}[ \t]+(?i:arm[ée]es)(?![\w])"
)


def _address_anchors(text: str) -> Iterator[Flag]:
    for m in _MILITARY_SECTOR_RE.finditer(text):
        yield Flag(FlagKind.ADDRESS, m.start(), m.end())
    for m in _FOREIGN_STREET_RE.finditer(text):
        if not _is_office_address(text, m.start(), m.end()):
            yield Flag(FlagKind.ADDRESS, m.start(), _address_end(text, m.end()))
    yield from _abroad_addresses(text)
    for m in _STREET_THEN_NUMBER_RE.finditer(text):
        end = _address_end(text, m.end())
        # a town after it, or a home or an address spoken of before it
        if end == m.end() and not (
            _home_before(text, m.start())
            or _ADDRESS_LABEL_BEFORE_RE.search(text, max(0, m.start() - 40), m.start())
        ):
            continue
        if not _is_office_address(text, m.start(), end):
            yield Flag(FlagKind.ADDRESS, _address_start(text, m.start()), end)
    for m in _NUMBER_AFTER_STREET_RE.finditer(text):
        if not _is_office_address(text, m.start(), m.end()):
            yield Flag(FlagKind.ADDRESS, _address_start(text, m.start()), m.end())
    # « 12 res les flamboyants bat C 97139 les abymes »: a residence in lower case, numbered or
    # not, its postal code after.
    for m in _LOWER_PLACE_RE.finditer(text):
        if _ARTICLE_BEFORE_RE.search(text, max(0, m.start() - 12), m.start()):
            continue  # « le quartier est calme »: a common noun
        end = _has_postcode_after(text, m.end())
        if not end or not re.search(r"(?<!\d)\d{5}(?!\d)", text[m.end() : end]):
            continue
        if _is_office_address(text, m.start(), end) or not _home_for_an_institution(text, m):
            continue
        yield Flag(FlagKind.ADDRESS, _address_start(text, m.start()), end)
    for m in _POST_BOX_RE.finditer(text):
        end = _has_postcode_after(text, m.end())
        if end and _home_words_re().search(_fold(text[max(0, m.start() - 40) : m.start()])):
            yield Flag(FlagKind.ADDRESS, m.start(), end)  # « domicilié BP 58, 97620 Chirongui »
    for m in _NAMED_PLACE_RE.finditer(text):
        end = _has_postcode_after(text, m.end())
        if not end and _RESIDENTIAL_PLACE_RE.match(m.group()) and (
            _TO_A_PLACE_BEFORE_RE.search(text, max(0, m.start() - 8), m.start())
            or _HOME_VERB_BEFORE_RE.search(text, max(0, m.start() - 25), m.start())
        ):
            # « livré au Domaine des Cigales, Aix-en-Provence »: the town after a comma ends the clause
            city = _COMMA_CITY_RE.match(text, m.end())
            if city and _ends_a_part(text, city.end()) and _town_named(city.group("city")) and not (
                _NAMED_BUILDING_RE.search(city.group("city"))
            ):
                end = city.end()
        # « 3 Le Mas, 48150 … », « 215 chemin de Gibbes, … »: the number is the address's.
        number = _PLACE_NUMBER_BEFORE_RE.search(text, max(0, m.start() - 12), m.start())
        start = number.start() if number and _address_start(text, m.start()) == m.start() else m.start()
        if not end or _is_office_address(text, start, end):
            continue
        article = m.group("article")
        if (article or m.group("dwelling")) and not _is_rural_name(m.group(), text[m.end() : end]):
            continue
        if article and article[0].islower() and not _home_before(text, m.start()):
            continue  # « la Poste 23000 … », « la Creuse 23000 … »: a home is spoken of first
        if not _home_for_an_institution(text, m):
            continue
        yield Flag(FlagKind.ADDRESS, _address_start(text, start), end)
    # « rue de Langlois, 29914 Gosselin »: a street without a number, its postal code after.
    for m in _UNNUMBERED_STREET_RE.finditer(text):
        if _NUMBER_BEFORE_RE.search(text, max(0, m.start() - 20), m.start()):
            continue  # numbered: read by _STREET_RE
        end = _street_name_end(text, m.end(), lower_case_allowed=bool(m.group("strict")))
        name_end, end = end, _has_postcode_after(text, end) if end else None
        if name_end and not end and _HOME_VERB_BEFORE_RE.search(text, max(0, m.start() - 25), m.start()):
            # « elle habite chemin Ti-Bois, Bras-Panon, … »: no number, the town after a comma
            city = _COMMA_CITY_RE.match(text, name_end)
            if city and _town_named(city.group("city")):
                end = city.end()
        if end and not _is_office_address(text, m.start(), end):
            yield Flag(FlagKind.ADDRESS, _address_start(text, m.start()), end)
    for m in _STREET_RE.finditer(text):
        if m.group("nameless"):
            end: int | None = m.end()
        else:
            end = _street_name_end(text, m.end(), lower_case_allowed=bool(m.group("strict")))
        if end is None and m.group("ambiguous"):
            # « 17 pl. de la republique, 76600 le havre »: a lower-case name, then a postal code.
            lower = _street_name_end(text, m.end(), lower_case_allowed=True)
            end = lower if lower and _has_postcode_after(text, lower) else None
        if end is None:
            continue
        end = _address_end(text, end)
        if _is_office_address(text, m.start(), end):
            continue
        yield Flag(FlagKind.ADDRESS, _address_start(text, m.start()), end)
    for m in _RURAL_RE.finditer(text):
        end = m.end() if m.group().lower().rstrip().endswith("bourg") else _street_name_end(
            text, m.end() - 1 if text[m.end() - 1].isspace() else m.end(), lower_case_allowed=False
        )
        if end is None or _is_office_address(text, m.start(), end):
            continue
        town = _TOWN_FIRST_RE.search(text, max(0, m.start() - 50), m.start())
        start = town.start() if town else _address_start(text, m.start())
        yield Flag(FlagKind.ADDRESS, start, _address_end(text, end))


# --- an address as a chain of parts
#
# A French postal address is a chain of parts joined by commas, spaces or line breaks: the
# flat's details (« Bât B, esc 2, 3e gauche »), the number and street, a locality (a
# lieu-dit, a hamlet, a quarter), the postal code and the town, or an arrondissement
# (« Lyon 2e »). The detectors above find its strong parts; the chain reads the weaker parts
# joined to them, and a locality written alone before a postal code and its town.

# A valid French postal code: a department (01-95), overseas (971-978, 986-988).
_FRENCH_POSTCODE = r"(?:0[1-9]|[1-8]\d|9[0-5])\d{3}|97[1-8]\d\d|98[6-8]\d\d"
_PLACE_PARTICLE = r"(?:de|du|des|la|le|les|ar|an|al|er|en|ez|a|à|au|aux|sur|sous|lès|di|da|do)"
_PLACE_WORD = r"[A-ZÀ-Þ](?!['’])[\w'’]*(?:-[\w'’]+)*"
# A locality's name: capitalised words with their particles, Breton (« ar », « an »),
# Occitan (« Au », « En ») or French, a point of the compass or « village » after.
_PLACE_NAME = (
    rf"(?:(?:Au|Aux|En|Le|La|Les|Ar|An)[ \t]+|L['’])?{_PLACE_WORD}"
    rf"(?:[ \t-]+(?:{_PLACE_PARTICLE}[ \t]+|[dlDL]['’])*{_PLACE_WORD}){{0,3}}"
    r"(?:[ \t]+(?i:village|bourg|sud|nord|est|ouest|haut|bas))?"
)
_PLACE_NAME_RE = re.compile(_PLACE_NAME)
_PLACE_NAME_AT_END_RE = re.compile(rf"(?<![\w'’-])({_PLACE_NAME})[ \t]*$")
_ORDINAL = r"(?:e|è|ème|eme|er|ère|ere)"
# Parts that belong to an address wherever they stand in the chain.
_BUILDING_WORDS = (
    r"b[aâ]timent|b[aâ]t\.?|tour|r[ée]sidence|r[ée]s\.?|cit[ée]|immeuble|imm\.?|villa|domaine|lotissement"
    r"|hameau|quartier|escalier|esc\.?|entr[ée]e|camping(?:\s+municipal)?"
)
# « Bât. Les Mimosas », « tour Mercure », « Bât 7 des Acacias », « résidence les Lilas »
_NAMED_BUILDING_RE = re.compile(
    rf"(?<![\w'’-])(?i:{_BUILDING_WORDS})\s+(?:(?:\d{{1,4}}[A-Z]?|[A-Z])\s+(?i:des|du|de\s+la|de\s+l['’]|de)\s+)?"
    r"(?:(?i:les|le|la|l'|des|du|de)\s*)?[A-ZÀ-Þ][\w'’-]*(?:\s+(?:(?i:les|le|la|des|du|de)\s+)?"
    rf"[A-ZÀ-Þ][\w'’-]*){{0,3}}|{_LOWER_RESIDENCE}"
)
_CHAIN_DETAIL_RE = re.compile(
    rf"(?:{_FLOOR}|{_DETAIL}|(?i:maison|case|villa|lot|lotisman|porte|bo[iî]te)\s*(?:n[°o]\s*)?\d{{1,4}}[A-Za-z]?"
    rf"|(?i:n°|no\.?|num[ée]ro)\s*\d{{1,4}}(?:\s?(?:bis|ter)\b)?|(?i:bp|bo[iî]te\s+postale)\s*\d{{1,5}}"
    r"|\(?(?i:digicode|code|interphone)\s*:?\s*[\w#*]{2,8}\)?)"
    rf"(?:\s+(?:(?i:à|a)\s+)?(?i:gauche|droite|droit|fond|face))?"
)
# A road without a number, or a numbered street: « rue principale », « 2ème rue », « route
# nationale 1 », « impasse des Lilas », « 3 lotisman Bellevue ».
_CHAIN_STREET_RE = re.compile(
    rf"(?:{_STREET_NUMBER},?\s+)?(?:\d{{1,2}}\s?{_ORDINAL}\s+(?i:rue|ruelle|impasse|all[ée]e)"
    rf"|(?i:{_STREET_TYPES}|{_AMBIGUOUS_STREET_TYPES}|lotisman|lotissement|route|chemin|RN|RD|CD)"
    rf"(?:\s+(?:{_PLACE_PARTICLE}\s+|[dlDL]['’])*(?:{_PLACE_WORD}|\d{{1,4}}|(?i:principale|nationale|d[ée]partementale)"
    rf"(?:\s+\d{{1,4}})?)){{1,4}}|(?:RN|RD|CD|N|D)\s?\d{{1,4}})"
)
# « à côté de la station », « près de l'église »: a landmark given for the postman.
_CHAIN_LANDMARK_RE = re.compile(
    r"(?:(?i:[àa]\s+c[ôo]t[ée]|pr[èe]s|en\s+face|derri[èe]re|au\s+bout|face)\s+(?:de\s+la|de\s+l['’]|du|des|de|d['’])"
    r"|(?i:derri[èe]re|devant|apr[èe]s)\s+(?:la|le|les|l['’]))\s*"
    r"[\w'’-]+(?:\s+[\w'’-]+){0,2}"
)
# An arrondissement after the town (« Lyon 2e », « Paris 18e »), the postal code alone at
# the clause's end (« …, 13014. »).
_ARRONDISSEMENT_RE = re.compile(rf"{_CITY_WORD}[ \t]+\d{{1,2}}\s?{_ORDINAL}(?![\w'’])")
_CHAIN_PARTS = (
    ("street", _CHAIN_STREET_RE),
    ("detail", re.compile(r"(?i:à|a)\s+(?i:gauche|droite)(?![\w'’])")),
    ("detail", _CHAIN_DETAIL_RE),
    ("detail", _NAMED_BUILDING_RE),
    ("city", _ARRONDISSEMENT_RE),
)
_LONE_POSTCODE_RE = re.compile(rf"(?:{_FRENCH_POSTCODE})(?!\d)(?=\s*(?:[.,;:!?)\n]|$))")
_CODE_AT_RE = re.compile(rf"(?:{_FRENCH_POSTCODE}|\d{{2}}\s\d{{3}})(?!\d)")
_CHAIN_GAP_RE = re.compile(r"[ \t]*(?:,|\n|[ \t]-[ \t])[ \t]*|[ \t]+")
_CHAIN_TITLE_RE = re.compile(
    r"(?i:m|mr|mme|mlle|mmes|monsieur|madame|mademoiselle|famille|dr|me|c/o|chez)\.?$"
)


_ELIDED_BEFORE_RE = re.compile(r"(?<![\w'’])[lLdD]['’]")


def _chain_part_ending(text: str, start: int, end: int) -> int | None:
    """The start of the earliest part that ends at `end`, from `start` on."""
    for position in range(start, end):
        if position > 0 and (text[position - 1].isalnum() or text[position - 1] in "'’-") and not (
            _ELIDED_BEFORE_RE.match(text, max(0, position - 2), position)  # « l'aire d'accueil »
        ):
            continue
        for _sort, pattern in (*_CHAIN_PARTS, ("landmark", _CHAIN_LANDMARK_RE)):
            if (m := pattern.match(text, position, end)) and m.end() == end:
                return position
    return None


def _chain_part_end(text: str, position: int, *, comma: bool) -> tuple[int, str] | None:
    """The part of an address that starts at `position` and its sort, or None."""
    best: tuple[int, str] | None = None
    for sort, pattern in _CHAIN_PARTS:
        m = pattern.match(text, position)
        if m and not _continues_the_word(text, m.end()) and (best is None or m.end() > best[0]):
            best = m.end(), sort
    if best:
        return best
    if comma and (m := _CHAIN_LANDMARK_RE.match(text, position)) and _ends_a_part(text, m.end()):
        return m.end(), "landmark"
    return None


def _continues_the_word(text: str, end: int) -> bool:
    return end < len(text) and (text[end].isalnum() or text[end] in "'’-")


def _ends_a_part(text: str, end: int) -> bool:
    return bool(re.match(r"[ \t]*(?:[,.;:!?)\n]|$)", text[end:]))


_TOWN_LABEL_RE = re.compile(
    r"(?i:code[ \t]+postal|cp|ville|commune|localit[ée])"
    r"(?:[ \t]*(?:/|&|(?i:et))[ \t]*(?i:ville|commune|cp|code[ \t]+postal))?"
    r"[ \t]*:[ \t]*"
)
_DETAIL_LABEL_RE = re.compile(
    r"(?i:compl[ée]ment(?:[ \t]+d['’]adresse)?|b[aâ]timent|r[ée]sidence|appartement)[ \t]*:[ \t]*"
)
_LINE_TOWN_RE = re.compile(
    rf"{_CITY_WORD}(?:[ \t-]+(?:(?:sur|sous|en|les|le|la|de|du|d')[ \t]+)?{_CITY_WORD}){{0,3}}"
    r"(?=[ \t]*(?:\n|$))"
)


def _chain_after(text: str, end: int) -> int:
    """The end of the address once the parts joined after `end` are read: details, a road,
    a locality and its postal code, the town and its arrondissement."""
    for _ in range(6):
        gap = _CHAIN_GAP_RE.match(text, end)
        if not gap:
            break
        comma = "," in gap.group() or "\n" in gap.group()
        position = gap.end()
        if comma and (detail := _DETAIL_LABEL_RE.match(text, position)):
            position = detail.end()  # « Complément d'adresse : bât B »
        label = _TOWN_LABEL_RE.match(text, position) if comma else None
        if label:  # a pasted form: « CP / Ville : 29000 Quimper », « Ville : Carcassonne »
            town = _postcode_city_end(text, label.end()) or (
                (lone := _LONE_POSTCODE_RE.match(text, label.end())) and lone.end()
            ) or ((name := _LINE_TOWN_RE.match(text, label.end())) and _is_city(name.group()) and name.end())
            if not town:
                break
            end = town
            continue
        city_end = _postcode_city_end(text, position)
        if city_end is not None and _CODE_AT_RE.match(text, position):
            end = city_end
            continue
        if (lone := _LONE_POSTCODE_RE.match(text, position)) and (comma or gap.group().strip() == ""):
            end = lone.end()
            continue
        part = _chain_part_end(text, position, comma=comma)
        if part and (part[1] != "city" or comma):
            end = part[0]
            continue
        # a locality between the street and the postal code or the town: « , Le Baril, 97442 … »,
        # « , Terres-Basses, Ville. »
        name = _PLACE_NAME_RE.match(text, position) if comma else None
        if name and not _continues_the_word(text, name.end()) and _locality_ok(text, position, name.end()):
            after = _CHAIN_GAP_RE.match(text, name.end())
            if after and _CODE_AT_RE.match(text, after.end()):
                end = name.end()
                continue
            city = _COMMA_CITY_RE.match(text, name.end())
            if city and _is_city(city.group("city")) and _ends_a_part(text, city.end()):
                end = city.end()
            elif (_ends_a_part(text, name.end()) and _is_city(text[position : name.end()])
                  and not re.search(r"\d{4}", text[max(0, end - 40) : end])):
                end = name.end()  # « Appt 7, Maarif, Casablanca »: the town after its quarter
        elif (name and not _continues_the_word(text, name.end()) and _ends_a_part(text, name.end())
              and "-" in name.group() and _town_named(name.group())
              and not re.search(r"\d{4}", text[max(0, end - 40) : end])):
            end = name.end()  # « …, Terres-Sainville, Fort-de-France »: a hyphenated town's words
        break
    return end


def _locality_ok(text: str, start: int, end: int) -> bool:
    """A locality's name, not a person's nor an office's."""
    words = re.findall(r"[\w'’]+", text[start:end])
    # « Les Hauts de X »: a place's article is read past (« Le », « La », « Les » in capitals)
    articled = len(words) > 1 and words[0] in ("Le", "La", "Les", "Au", "Aux")
    first = words[1] if articled else (words[0] if words else "")
    if not words or _fold(first) in _CITY_STOP_WORDS or _fold(first) in _FUNCTION_WORDS:
        return False
    acronyms = _name_lists()["acronyms"]
    if any(_office_subject_re().fullmatch(_fold(w)) or (not w.islower() and _fold(w) in acronyms)
           for w in words):
        return False
    if words[0] in ("Au", "Aux", "En", "Le", "La", "Les", "Ar", "An", "L"):
        words = words[1:] or words
    breton = any(w in ("ar", "an", "al", "er", "ez") for w in words)
    if not breton and (_is_first_name(words[0]) or any(
        _CHAIN_TITLE_RE.fullmatch(w) or (w[0].isupper() and _is_first_name(w, allow_word=False))
        for w in words
    )):
        return False  # « Mme Jean Martin, 75011 Paris »: a person's name
    before = text[max(0, start - 30) : start]
    return not (_CHAIN_TITLE_RE.search(before.rstrip(" \t,")) or _STREET_NAME_BEFORE_RE.search(before)
                or _MAIDEN_NAME_BEFORE_RE.search(before))  # « Corinne X née Pasquier, 18 rue … »


_MAIDEN_NAME_BEFORE_RE = re.compile(r"(?<![\w'’])(?i:n[ée]e?|[ée]pouse|[ée]p\.|veuve|vve)[ \t]+$")


# The locality's words are a street's name (« chemin de Gibbes, 13014 … »).
_STREET_NAME_BEFORE_RE = re.compile(
    rf"(?:(?i:{_STREET_TYPES}|{_AMBIGUOUS_STREET_TYPES})|\b(?:de|du|des|la|le|les))\s+(?:(?:de|du|des|la|le|les)\s+|[dl]['’])?$"
)


_CHAIN_BEFORE_GAP_RE = re.compile(r"(?:,|\n)[ \t]*$|[ \t]+$")
_CLAUSE_BEFORE_RE = re.compile(r"(?:[.!?;:«\"(\n]|^)[^.!?;:«\"(\n]*$")


def _chain_before(text: str, start: int, *, named: bool = False) -> int:
    """The start of the address once the parts joined before `start` are read: the flat's
    details, a road, a locality named before it (« Kawéni, rue …, 97600 … »)."""
    for _ in range(6):
        gap = _CHAIN_BEFORE_GAP_RE.search(text, max(0, start - 4), start)
        if not gap:
            break
        comma = "," in gap.group() or "\n" in gap.group()
        clause = _CLAUSE_BEFORE_RE.search(text, max(0, gap.start() - 80), gap.start())
        segment_start = clause.start() if clause else max(0, gap.start() - 80)
        if clause and clause.group()[:1] in ".!?;:«\"(\n":
            segment_start += 1
        if comma:
            last_comma = text.rfind(",", segment_start, gap.start())
            segment_start = max(segment_start, last_comma + 1)
        segment = text[segment_start : gap.start()]
        offset = len(segment) - len(segment.lstrip())
        part_start = segment_start + offset
        part = _chain_part_ending(text, part_start, gap.start()) if comma else None
        if part is not None:
            start = part
            if part != part_start:
                break
            continue
        if not comma:
            # « Esc. A, 5e gauche au 112 av. … »: details before « au »
            joined = re.search(r"(?i:\b(?:au|du))\s+$", text[max(0, start - 5) : start])
            end = start - len(joined.group()) if joined else start
            details = _DETAILS_BEFORE_RE.search(text, max(0, end - 80), end)
            if details and details.end() == end and re.search(r"\d|\b[A-Z]\b", details.group()):
                start = details.start()
                continue
            break
        name = _PLACE_NAME_AT_END_RE.search(text, part_start, gap.start())
        # on an envelope, a residence's line of its own before the street (« Les Hauts du Parc »)
        article = name and re.match(r"(?:Le|La|Les|L['’])\s*(?=[A-ZÀ-Þ])", name.group(1))
        line = bool(article and "\n" in gap.group() and name.start(1) == part_start
                    and (part_start == 0 or text[part_start - 1] == "\n"))
        if (named and not line) or not name or not _locality_ok(
            text, name.start(1) + (article.end() if line and article else 0), gap.start()
        ):
            break
        if name.start(1) != part_start and not _CHAIN_POSTCODE_RE.match(text, start) and re.search(
            r"(?i:\b(?:à|a|au|en|vers|de|depuis))\s+$", text[part_start : name.start(1)]
        ):
            break  # « seule à Montaigut, hameau de … »: the town she lives in, said first
        start, named = name.start(1), True
        if name.start(1) != part_start:
            break  # « habite Kergoff, … »: the sentence before
    return start


_CHAIN_POSTCODE_RE = re.compile(rf"(?<![\w,.])(?:{_FRENCH_POSTCODE})(?!\d)")
_TOWN_BEFORE_CODE_RE = re.compile(rf"(?<![\w'’-]){_CITY_WORD}(?:[ \t-]+{_CITY_WORD}){{0,2}}[ \t]+$")


_DETAIL_START_RE = re.compile(
    rf"(?<![\w'’-])(?i:{_BUILDING_WORDS}|appartement|appart|appt|apt|app|logement|logt|porte|chambre|rue|n°)"
)


def _chained_details(text: str) -> Iterator[Flag]:
    """Details and roads without a street number (« appt 12, bât C, résidence Les Pins »,
    « tour Ravel, 9e étage, Ville », « rue 12, n° 8, Ville »): two parts or more, one of them a
    number or a letter, and the town after them if it is given."""
    position = 0
    for m in _DETAIL_START_RE.finditer(text):
        if m.start() < position:
            continue
        part = _chain_part_end(text, m.start(), comma=True)
        if not part:
            continue
        parts, end, starts = [text[m.start() : part[0]]], part[0], [m.start()]
        while (gap := _CHAIN_GAP_RE.match(text, end)) and (
            following := _chain_part_end(text, gap.end(), comma=True)
        ) and following[1] != "city":
            parts.append(text[gap.end() : following[0]])
            starts.append(gap.end())
            end = following[0]
        position = end
        if len(parts) < 2 or not any(re.search(r"\d|(?<![\w'’])[A-Z](?![\w'’])", p) for p in parts):
            continue
        end = _chain_after(text, _address_end(text, end))
        start = _chain_before(text, m.start())
        # an office's among its parts (« Cité administrative, 2 rue … »), or said before them
        if not any(_is_office_address(text, s, end) for s in {start, *starts}):
            yield Flag(FlagKind.ADDRESS, start, end)


def _chained_localities(text: str) -> Iterator[Flag]:
    """A locality without a street number before a postal code and its town (« demeurant
    Kerbihan, 29000 Ville »), its road and details with it; the town first, its details
    after (« VILLE 97300, lotissement X, case 4 »)."""
    for m in _CHAIN_POSTCODE_RE.finditer(text):
        city_end = _postcode_city_end(text, m.start())
        if city_end is not None:
            gap = _CHAIN_BEFORE_GAP_RE.search(text, max(0, m.start() - 4), m.start())
            if not gap or "," not in gap.group() and "\n" not in gap.group():
                continue
            start = _chain_before(text, m.start())
            # « 8 Roz ar Gall, 29… », « 112 RN2, Le Baril, 97… »: the number of the first part
            number = _PLACE_NUMBER_BEFORE_RE.search(text, max(0, start - 12), start)
            if number and start < m.start() and not text[start].isdigit() and not re.search(
                r"\d[^\w\n]*$", text[max(0, number.start() - 3) : number.start()]
            ):  # not the last group of a phone
                start = number.start()
            if start < m.start() and not (
                _is_office_address(text, start, city_end)
                # « l'EHPAD Les Lilas, 33000 … »: an office's name right before the postal code
                or (start < m.start() - 2 and _is_office_address(text, m.start(), city_end))
            ):
                yield Flag(FlagKind.ADDRESS, start, _chain_after(text, city_end))
            continue
        town = _TOWN_BEFORE_CODE_RE.search(text, max(0, m.start() - 40), m.start())
        if town and _is_city(town.group()) and _locality_ok(text, town.start(), town.end()):
            end = _chain_after(text, m.end())
            if end > m.end() and not _is_office_address(text, town.start(), end):
                yield Flag(FlagKind.ADDRESS, town.start(), end)


# After the town: its province or department in brackets (« Estepona (Málaga) », « Vitré (35) »),
# the country (« , Belgique »).
_PROVINCE_AFTER_RE = re.compile(r"[ \t]*\((?P<province>[A-ZÀ-Þ][\w'’-]*(?:[ -][A-ZÀ-Þ][\w'’-]*)?|\d{2,3})\)")


@cache
def _country_after_re() -> re.Pattern[str]:
    countries = _words_pattern(_public_names().get("countries", []))
    return re.compile(
        rf"[ \t]*(?:,|-|–)?[ \t]*(?:{countries}"
        r"|france(?![ \t-]*(?:travail|services?|connect|info|bleu|televisions?)))"
        r"(?![\w'’-])"
    )


def _address_tail(text: str, end: int) -> int:
    province = _PROVINCE_AFTER_RE.match(text, end)
    if province and not _is_first_name(province.group("province"), allow_word=False):
        end = province.end()
    country = _country_after_re().match(_fold(text[end : end + 40]))  # folded: offsets kept
    return end + country.end() if country else end


# A postal code and a known commune of its department (« 33600 pessac », « 13001marseille »,
# glued as typed on a phone) anchor the street written before them in the same clause:
# a number, a street word or its abbreviation, the name in any case.
_GAZETTEER_POSTCODE_RE = re.compile(rf"(?<!\d)(?:{_FRENCH_POSTCODE})(?!\d)")
_TYPED_STREET_WORDS = (
    rf"{_STREET_TYPES}|{_AMBIGUOUS_STREET_TYPES}|ru|av|all|imp|ch|pl|bd|res|bat|b[aâ]t\.?|apt|appt"
)
_STREET_BEFORE_CODE_RE = re.compile(
    rf"(?<![\w.,/-])\d{{1,4}}(?:[ \t]?(?:bis|ter)\b|[A-Da-d]\b)?,?[ \t]+(?i:{_TYPED_STREET_WORDS})[ \t]"
    r"[^.!?;:\n\d]*(?:\d{1,4}[^.!?;:\n\d]*)?$"
)


def _gazetteer_addresses(text: str) -> Iterator[Flag]:
    for code in _GAZETTEER_POSTCODE_RE.finditer(text):
        town = re.match(r"[ \t\u00a0]*(?:-[ \t]*)?", text[code.end() :])
        end = _commune_at(text, code.end() + town.end(), code.group())
        if end is None:
            continue
        street, start = None, max(0, code.start() - 70)
        # the street nearest the code (« du 5 rue Hoche, Lens à 2 rue Zola, 62300 Lens »)
        while nearer := _STREET_BEFORE_CODE_RE.search(text, start, code.start()):
            street, start = nearer, nearer.start() + 1
        if street is None or _is_office_address(text, street.start(), end):
            continue
        yield Flag(FlagKind.ADDRESS, _address_start(text, street.start()), end)


# A locality then a known commune (« quartier Morne Pitault, Le Lamentin », « Section
# Boisvin, Petit-Bourg », « 3 Les Granges Basses, Saint-Gervais-d'Auvergne », « au Bourg,
# numéro 6, à Chanteuges »): the gazetteer tells the town from the rest of the sentence.
_LOCALITY_BEFORE_TOWN_RE = re.compile(
    r"(?:(?<![\w'’])(?i:lieu-dit|lieudit|hameau|quartier|section|lotissement)[ \t]+"
    r"|(?<![\w.,/-])\d{1,4}(?:[ \t]?(?:bis|ter)\b)?,?[ \t]+(?=L[ae]s?[ \t]|L['’]))"
    r"(?:(?:L[ae]s?|d[eu]s?|la|les|l['’]|d['’])[ \t]*)?[A-ZÀ-Þ][\w'’]*(?:[ \t-]+[A-ZÀ-Þ][\w'’]*){0,2}"
    r"|(?<=\b[Aa]u[ \t])Bourg(?:[ \t]*,[ \t]*(?i:n°|num[ée]ro)[ \t]*\d{1,4})?"
)
_TOWN_AFTER_LOCALITY_RE = re.compile(r"[ \t]*(?:,[ \t]*)?(?:(?:à|a)[ \t]+)?(?=[^\W\d_])")


def _localities_before_a_town(text: str) -> Iterator[Flag]:
    for m in _LOCALITY_BEFORE_TOWN_RE.finditer(text):
        gap = _TOWN_AFTER_LOCALITY_RE.match(text, m.end())
        end = gap and _commune_at(text, gap.end())
        if not end or not _ENDS_A_CLAUSE_RE.match(text, end) and not _TOWN_ENDS_RE.match(text, end):
            continue
        if _is_office_address(text, m.start(), end):
            continue
        yield Flag(FlagKind.ADDRESS, m.start(), end)


_LINE_ARTICLE_BEFORE_RE = re.compile(r"(?:^|(?<=\n))(?:Le|La|Les)[ \t]+$")


def _find_addresses(text: str) -> Iterator[Flag]:
    detectors = (_address_anchors, _chained_localities, _chained_details, _gazetteer_addresses,
                 _localities_before_a_town)
    for flag in itertools.chain.from_iterable(detector(text) for detector in detectors):
        end = _address_tail(text, _chain_after(text, flag.end))
        start = _chain_before(text, flag.start, named=True)
        if (start, end) != (flag.start, flag.end) and _is_office_address(text, start, end):
            start, end = flag.start, flag.end
        if article := _LINE_ARTICLE_BEFORE_RE.search(text, max(0, start - 5), start):
            start = article.start()  # « La Maison Blanche \n 4 route … »: the line's article
        yield Flag(FlagKind.ADDRESS, start, end)


# --- named persons

_TITLE = (
    r"(?:(?i:monsieur|madame|madam|mademoiselle|docteur|docteure|doctoresse|ma[iî]tre|professeur|professeure)"
    r"|(?i:madanm|misy[eé]|msy[eé])"  # Creole (Antilles, Guyane)
    r"|(?i:senhora|senhor|se[ñn]ora|se[ñn]or|signora|signore)"  # « Obrigado senhor Lopes »
    r"|(?i:mmes?|mlle|melle|mr|mrs|mme|dr|pr)\.?|M\.|m\.(?=\s+\w)|M(?=\s+[A-ZÀ-Þ])"
    r"|Me\.?(?=\s+[A-ZÀ-Þ]))"
)
# with the capitals of Latin Extended-A: « Şahin », « Łukasz », « Đặng »
_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"
_LOWER = "a-zß-öø-ÿ\u0100-\u017f"  # with Latin Extended-A: « Ayşe », « Łukasz »
# the initial first: « Mme F. Dubreuil », not « Mme F » and a dot
_NAME_WORD = rf"(?:[{_UPPER}]\.(?=[ ][{_UPPER}])|[{_UPPER}][\w'’]*(?:-[{_UPPER}]?[\w'’]+)*|[{_UPPER}]\.)"
_PARTICLE = (
    r"(?:(?:de|du|des|van|von|den|der|della|del|di|da|le|la|ben|el|al|ait|aït|dos|do|mac|ter)\s+|[dD]['’])"
)
_LOWER_PARTICLE = r"(?:le|la|de|du|des|van|von|ben|el|al|da|di|dos)"
_PERSON_RE = re.compile(
    rf"(?<![\w.])(?P<title>{_TITLE}(?:\s+(?i:et|&|ou)\s+{_TITLE})?)(?:\s+|(?<=\.)(?=[{_UPPER}](?:[{_LOWER}]|[{_UPPER}]{{3}})))"
    rf"(?P<names>(?i:{_PARTICLE}){{0,2}}{_NAME_WORD}(?:[ ](?i:{_PARTICLE})?{_NAME_WORD}){{0,3}}"
    rf"|(?:{_LOWER_PARTICLE}[ ])?[{_LOWER}][{_LOWER}'’-]{{2,}}(?:[ ][{_LOWER}][{_LOWER}'’-]{{2,}})?)"
)
# Lower-case words that are not a name after a title written in lower case (« madame est »).
_FUNCTION_WORDS = frozenset(
    "le la les l un une des du de d et ou est a été était sera je tu il elle on nous vous ils "
    "elles me te se ce ça qui que quoi dont où au aux en y ne pas plus très bien mal tout tous "
    "toute toutes mon ma mes ton ta tes son sa ses notre votre nos vos leur leurs avec sans pour "
    "par sur sous dans chez vers m'a m'ont n'a n'est s'est c'est".split()
)
_CAPITALISED_WORD_RE = re.compile(
    rf"(?:(?<![\w'’-])|(?<=\b[dD]['’]))(?:[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)*"
    # « N'Diaye », « M'Bappé »: West African names with their apostrophe
    rf"|[NM]['’][{_UPPER}][{_LOWER}]+"
    rf"|[{_UPPER}]{{2,}}(?:-[{_UPPER}]{{2,}})*)(?![\w'’-])"
)
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?\n…]|\.\.\.)[\s\"«»“”'’*-]*$")
_INITIAL_RE = re.compile(rf"\s+[{_UPPER}]\.(?!\w)")
_SURNAME_RE = re.compile(
    rf"[ \t\u00a0]+(?:(?i:{_PARTICLE})){{0,2}}(?:[{_UPPER}][{_LOWER}'’]+(?:-[{_UPPER}][{_LOWER}]+)*"
    rf"|[{_UPPER}]{{2,}}(?:[-'’][{_UPPER}]{{2,}})*)(?![\w'’-])"
)


@cache
def _name_lists() -> dict[str, frozenset[str]]:
    data = _public_names()
    return {
        key: frozenset(_fold(str(w)) for w in data.get(key, []))
        for key in ("public_figures", "set_phrases", "place_words", "public_functions",
                    "not_names", "acronyms", "person_words", "places", "title_words", "firm_words")
    }  # fmt: skip


# The first names of the file come by rank of use; the commonest are names wherever they
# stand, the rarer ones (often also places or surnames: « Metz ») need a person's context.
COMMON_FIRST_NAMES = 1500


@cache
def _first_names() -> dict[str, bool]:
    """Folded first name -> whether it is also a French word, in the file's order (rank)."""
    names: dict[str, bool] = {}
    for line in FIRST_NAMES_PATH.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, mark = line.partition(" ")
            names.setdefault(_fold(name), mark.strip() == "~")
    return names


def _name_key(word: str) -> str:
    """The key of a first name in _first_names(): folded, ligatures written out."""
    return _fold(word).replace("æ", "ae").replace("œ", "oe")


@cache
def _common_first_names() -> frozenset[str]:
    return frozenset(itertools.islice(_first_names(), COMMON_FIRST_NAMES))


# « Hôpital européen Georges-Pompidou », « centre hospitalier universitaire Félix Guyon »
_PLACE_ADJECTIVES = (
    r"(?i:europeen|europeenne|universitaire|hospitalier|departemental|departementale|regional"
    r"|regionale|municipal|municipale|national|nationale|intercommunal|intercommunale|prive"
    r"|privee|public|publique|militaire|pediatrique|psychiatrique|elementaire|maternelle|primaire"
    r"|superieur|superieure|professionnel|professionnelle|technique|agricole)"
)


@cache
def _place_before_re() -> re.Pattern[str]:
    """A place word, then particles or capitalised words (« la Maison de Santé », « la
    résidence Les Jardins de »), or a public function: on text without accents, case kept."""
    words = _words_pattern(_public_names().get("place_words", []))
    functions = _words_pattern(_public_names().get("public_functions", []))
    particle = r"(?i:de\s+la|de\s+l'|du|des|de|d'|l'|la|le|les)"
    # After a subject pronoun the word is a verb (« je cite Mme Laurent »).
    pronoun = "".join(rf"(?<!\b(?i:{p}) )" for p in ("je", "il", "on", "elle", "nous", "vous"))
    return re.compile(
        rf"(?:^|[^\w]){pronoun}(?:(?i:{words})(?!\w)\.?(?:\s+{_PLACE_ADJECTIVES})?(?:\s*(?:{particle}|[A-Z][\w-]*)){{0,4}}"
        rf"|(?i:{functions})(?:\s+(?i:de\s+la|de\s+l'|du|des|de|d')\s*[\w'-]+)?\s*,?)\s*$"
    )


@cache
def _institution_before_re() -> re.Pattern[str]:
    """« l'agence CAF de », « la gendarmerie de », « France Travail »: a place comes next."""
    offices = _words_pattern(_public_contacts().get("office_words", []))
    acronyms = _words_pattern(_public_names().get("acronyms", []))
    return re.compile(
        rf"(?:^|[^\w])(?:(?:{offices}|{acronyms})(?:\s+[\w'-]+){{0,2}}\s+(?:de\s+la|de\s+l'|du|des|de|d')"
        rf"|(?:{acronyms})|france travail|france services|pole emploi|\ba|\ben|\bau|\bsur|\bvers"
        rf"|\bpres de|\bville de|\bcommune de|\bregion)\s*$"
    )


def _is_public_name(text: str, start: int, end: int) -> bool:
    """A public figure, a set phrase, a place or a building named after someone."""
    lists = _name_lists()
    name = _fold(text[start:end]).strip()
    words = name.split()
    if name in lists["public_figures"] or name in lists["set_phrases"]:
        return True
    # « M. Macron », not « Sylvie Larcher », « Félicité Larcher »: a first name before it
    titled = bool(_TITLE_WORD_RE.fullmatch(words[0].rstrip("."))) or words[0] in lists["public_functions"]
    if len(words) > 1 and " ".join(words[1:]) in lists["public_figures"] and not (
        _is_first_name(words[0]) or text[start].isupper() and not titled
    ):
        return True
    if re.search(r"\d{5}\s*$", text[max(0, start - 8) : start]):
        return True  # « 46872 Durand »: a city after its postal code
    window = _fold(text[max(0, start - 25) : end + 30])
    offset = start - max(0, start - 25)
    for phrase in lists["set_phrases"]:
        at = window.find(phrase)
        if at != -1 and at <= offset < at + len(phrase):
            return True
    before = _unaccent(text[max(0, start - 40) : start])
    # « l'hôpital de Cayenne (Andrée Rosemon) »: the name of a place, given in brackets
    bracket = re.search(r"\s*\(\s*$", before)
    return bool(_place_before_re().search(before[: bracket.start()] if bracket else before))


def _not_a_name(word: str) -> bool:
    lists = _name_lists()
    folded = _fold(word).strip(".'’")
    return folded in lists["not_names"] or folded in lists["acronyms"]


def _is_first_name(word: str, *, allow_word: bool = True) -> bool:
    folded = _name_key(word)
    if folded not in _first_names() and "-" in folded.strip("-"):
        # « Paul-Émile », « Marie-Noëlle »: a compound of first names the list lacks.
        parts = folded.split("-")
        # « Marie-Thérèse »: one part may be a word too when the other is only a name
        return len(parts) == 2 and all(
            p in _common_first_names() and not _not_a_name(p) for p in parts
        ) and any(not _first_names()[p] for p in parts) and not _not_a_name(word)
    if folded not in _first_names() or _not_a_name(word):
        return False
    return allow_word or not _first_names()[folded]


_DETERMINER_BEFORE_RE = re.compile(
    r"(?<![\w'’])(?i:un|une|le|la|les|des|ce|cet|cette|ces|du|au|aux|quel|quelle|autre|vieux"
    r"|vieille|petit|petite|brave|gentil|gentille|grand|grande|jeune)\s+$"
)


_LOWER_GIVEN_AFTER_RE = re.compile(rf"[ \t]+([{_LOWER}]{{3,}})(?![\w'’-])")


# After a title in capitals, a name in lower case (« Madame lefevre », « Mme de villeneuve »)
# only when it reads as no verb and no function: « Madame vit à … », « Monsieur le Médiateur ».
_VERB_ENDING_RE = re.compile(r"(?:ait|aient|ent|ons|ez|er|e|es|ee|ir|it|ut)$")
_SURNAME_PARTICLES = frozenset("de du des van von di da dos ben el al".split())


def _lower_name_after_capital_title(words: list[str]) -> bool:
    word = _fold(words[0])
    if word in _SURNAME_PARTICLES:
        return len(words) > 1 and len(words[1]) > 2 and not _is_a_word(words[1])
    if len(words) > 1 and _is_first_name(words[1], allow_word=False) and not _is_a_word(word):
        return True  # « Mlle tessier chloé »: a surname, then a first name
    if _is_first_name(words[0].title()) and not _VERB_ENDING_RE.search(word):
        return True  # « Mr bernard a perdu mon dossier »
    return len(word) >= 4 and not _VERB_ENDING_RE.search(word) and not _is_a_word(word)


_PARTICLES_FIRST_RE = re.compile(rf"(?:de|du|des|van|von|di|da|dos)[ ](?:(?:la|le|den|der)[ ])?[{_UPPER}]")
_CALENDAR_WORDS = frozenset(
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre "
    "toussaint noel paques pentecote".split()
)
_PROFESSIONAL_TITLES = frozenset("dr docteur docteure doctoresse pr professeur professeure".split())


def _titled_flag(m: re.Match[str]) -> Flag | None:
    names = m.group("names")
    before = m.string[max(0, m.start() - 40) : m.start()]
    if m.group("title").rstrip(".") == "m" and re.search(r"\d[ \t\u00a0]?$", before):
        return None  # « hauteur sous plafond de 2,10 m. Pourtant … »: metres
    # « Mme de la Tour-Maubourg »: particles in lower case before a capitalised surname
    particles_first = _PARTICLES_FIRST_RE.match(names)
    if names[0].islower() and not particles_first:
        # A title in lower case may come with a name in lower case (« avec m. leroy »).
        words = names.split(" ")
        word = words[0]
        title = m.group("title")
        abbreviated = re.fullmatch(r"(?:dr|mme|mlle|mr|me)\.?", title) is not None
        if _DETERMINER_BEFORE_RE.search(before) and not abbreviated:
            return None  # « un monsieur âgé »: a man, not a title (« au dr haddad » is one)
        if not title[0].islower() and not _lower_name_after_capital_title(words):
            return None  # « Madame vit à Rennes », « Madame la Médiatrice »
        if title.rstrip(".") == "pr":
            return None  # « c pr dire »: « pour » in a text message
        if re.fullmatch(_LOWER_PARTICLE, word) and len(words) > 1:
            # « dr le goff », not « madame la directrice »
            following = _fold(words[1])
            if _not_a_name(following) or following in _name_lists()["person_words"] or (
                following.rstrip("s") in _name_lists()["place_words"]  # « professeure des écoles »
            ) or (
                following in _name_lists()["public_functions"] or following in _FUNCTION_WORDS
                or re.match(r"[ldjmnst]['’]", following) or following in _STOP_FOLDED
            ):
                return None
            words = [f"{word} {words[1]}", *words[2:]]
            word = words[0]
        elif word in _FUNCTION_WORDS or _not_a_name(word):
            return None
        if re.match(r"[ldjmst]['’]", word) or re.match(r"n['’]", word) and (
            _fold(word[2:]) in _FUNCTION_WORDS or _fold(word[2:]) in _STOP_FOLDED
        ):
            return None  # « monsieur l'agent », « madame n'est pas là », not « mme n'diaye »
        kept = [word]
        if len(words) == 2 and (_is_first_name(words[1], allow_word=False) or (
            _is_first_name(word) and _fold(words[1]) not in _FUNCTION_WORDS
            and _fold(words[1]) not in _STOP_FOLDED and not _not_a_name(words[1])
        )):
            kept.append(words[1])  # « mme traore fatoumata », « mme rosalie zami »
    else:
        kept = []
        # « le voisin M. Bouygues »: after a word for a person, a titled word is a surname
        person_before = bool(_person_noun_re().search(_fold(before)))
        for name in names.split(" "):
            particle = re.fullmatch(_PARTICLE.strip(), name + " ", re.I)
            # « Mme Tran Thi Mai »: after a Vietnamese middle name « Thi », the given name
            middle = bool(kept) and _fold(kept[-1]) == "thi"
            # « M. Lucien TOUSSAINT », « Mme Geneviève Paris »: after a title and a first name, a
            # word written as a surname is one, whatever else it means (not an acronym)
            surname = len(kept) == 1 and _is_first_name(kept[0], allow_word=False) and (
                name.isupper() and len(name) > 3 or name[:1].isupper() and name[1:].islower()
            ) and _fold(name) not in _name_lists()["acronyms"] and _fold(name) not in _FUNCTION_WORDS \
                and not _office_words_re().fullmatch(_fold(name))
            # « Mme Paris », « M. Janvier », « Mme Toussaint »: after a title, a town, a month or a
            # feast written as a surname is one
            calendar = not kept and name[:1].isupper() and name[1:].islower() and (
                _fold(name) in _CALENDAR_WORDS or _fold(name) in _name_lists()["places"]
            )
            if _not_a_name(name) and not particle and not (person_before and not kept) and not middle \
                    and not surname and not calendar:
                break
            if name.isupper() and _fold(name) in _FUNCTION_WORDS and not particle:
                break  # « MME DUPONT AU GUICHET »
            kept.append(name)
        while kept and re.fullmatch(r"(?i:de|du|des|van|von|di|da|le|la|ben|el|al|d['’])", kept[-1]):
            # « M. Erwan Le Du »: a capitalised particle after « Le » is the surname's end
            if len(kept) >= 3 and kept[-1][0].isupper() and kept[-2] in ("Le", "La"):
                break
            kept.pop()
    if not kept or (len(kept) == 1 and re.fullmatch(r"\w\.", kept[0])):
        return None  # a function (« Madame la Directrice »), or an initial alone (« M. J. »)
    start, end = m.start("names"), m.start("names") + len(" ".join(kept))
    given = _LOWER_GIVEN_AFTER_RE.match(m.string, end)
    if given and kept[-1].isupper() and len(kept[-1]) > 2 \
            and _is_first_name(given.group(1), allow_word=False):
        end = given.end()  # « mme COULIBALY aissatou »: the surname in capitals, then the first name
    lists = _name_lists()
    name = _fold(m.string[start:end])
    # « Dr Vautrin »: a minister's surname, but no minister is called doctor by a usager
    professional = _fold(m.group("title")).rstrip(".") in _PROFESSIONAL_TITLES
    if name in lists["public_figures"] and not professional or any(
        p.startswith(_fold(m.group("title")) + " " + name) for p in lists["set_phrases"]
    ):
        return None
    # « le service du Dr Nestor »: a department named by the person at its head.
    headed = re.search(r"\b(?:service|cabinet|bureau|equipe)\s+(?:du|de\s+la|de)\s*$", _fold(before))
    if not headed and _place_before_re().search(_unaccent(before)):
        return None  # « rue du Docteur Roux »
    return Flag(FlagKind.PERSON_NAME, m.start(), end)


@cache
def _person_context_re() -> re.Pattern[str]:
    """Words before a first name (« la conseillère Nadia », « mon fils Lucas », « merci à
    Sophie »)."""
    persons = _words_pattern(_public_names().get("person_words", []))
    return re.compile(
        rf"(?:\b(?:{persons})\s*(?:\(|,|:|d')?\s*|\bmoi\s+(?:c'est\s+)?|\bmoi\s*\(\s*|\bmerci\s+(?:a\s+|beaucoup\s+a\s+|encore\s+a\s+|bien\s+a\s+)?"
        rf"|\bgrace\s+a\s+|\bremerci\w*\s+(?:encore\s+|beaucoup\s+|aussi\s+)?|\bbravo\s+a\s+"
        rf"|\bfelicitations\s+a\s+|\bdemande[rz]?\s+a\s+|\bdemande[rz]\s+|\bcertaine?\s+['\"«“‘]?\s*"
        rf"|\bdite?s\s+a\s+|\bdire\s+a\s+|\bparle[rz]?\s+(?:a|avec)\s+|\bpassez\s+le\s+bonjour\s+a\s+"
        rf"|\b(?:notamment|surtout|en\s+particulier|particulierement|specialement|et\s+aussi)\s+(?:a\s+|avec\s+)?"
        rf"|\bet\s+|\bou\s+|,\s*)$"
    )


# Words after a name that speak of a person (« Sophie, à l'accueil, a été … »).
_PHONE_AFTER_NAME_RE = re.compile(r"[ \t]*[:,]?[ \t]*(?:\+33[ \t]?|0)[1-9](?:[ .]?\d\d){4}(?!\d)")
_PERSON_AFTER_RE = re.compile(
    r"^\s*(?:,\s*)?(?:m'a|m'ont|nous a|l'a|lui a|a ete|etait|est (?:tres|super|genial|adorable"
    r"|gentil|aimable|patient|top|la|une|un|vraiment|toujours|partie|parti)|a su|a pris|a fait"
    r"|a tout|a bien|a tres|a vraiment|a refuse|a dit|a ose|a ete|a repondu|a rappele|a appele"
    r"|a traite|a raccroche|s'est|qui m'|qui nous|qui a|qui est|de l'accueil|du guichet"
    r"|a l'accueil|au guichet|je crois|et (?:[A-Z]|[a-z]+ [A-Z])|et moi\b"
    r"|\(\s*(?:tel|tel\.|telephone|portable|mob|gsm|mail)\b|[:,]?\s*(?:\+33|0[1-9])[\s.]?\d\d[\s.]?\d\d"
    r"|\(\s*(?:la |le |notre |mon |ma )?(?:conseill|agent|assistant|secretaire|gestionnaire)"
    r"|,\s*(?:la |le |notre |mon |ma |une |un |l')?(?:conseill|agent|assistant|secretaire"
    r"|gestionnaire|responsable|referent|directeur|directrice|chef|infirmier|medecin|accueil"
    r"|hotesse|collegue|voisin|ami|fils|fille|mari|femme|mere|pere|soeur|frere))"
)


def _is_sentence_start(text: str, start: int) -> bool:
    return bool(_SENTENCE_START_RE.search(text, max(0, start - 6), start))


def _extend_name(text: str, start: int, end: int) -> tuple[int, int]:
    """The surname or initial after a first name, a first name before it (« Jean Pierre
    DUPONT », « Karim B. »)."""
    while m := (_INITIAL_RE.match(text, end) or _SURNAME_RE.match(text, end)):
        word = m.group().strip()
        bare = re.sub(rf"^(?i:{_PARTICLE})", "", word)
        if bare.endswith("."):
            end = m.end()
            break
        if _not_a_name(bare) or (bare.isupper() and len(bare) <= 3):
            break
        if _fold(bare) in _name_lists()["places"] or _place_before_re().search(
            _unaccent(text[max(0, m.start() - 40) : m.start()])
        ):
            break
        end = m.end()
    return start, end


def _first_name_flags(text: str) -> Iterator[Flag]:
    """Names built on a known first name: « Nadia », « Jean DUPONT », « ODILE MARCHAND »,
    « Karim B. »; at the start of a sentence only when the words around speak of a person."""
    lists = _name_lists()
    refused_until = 0  # a public name refused whole: its words are not looked at alone
    for m in _CAPITALISED_WORD_RE.finditer(text):
        if m.start() < refused_until:
            continue
        word = m.group()
        shouted = word.isupper()
        if shouted and len(word) < 3:
            continue
        if not _is_first_name(word.title() if shouted else word):
            continue
        if shouted and _name_key(word.title()) not in _common_first_names() and re.match(
            rf"\s+[{_UPPER}]{{2,}}\b", text[m.end() : m.end() + 20]
        ):
            continue  # « CHUI KARIM … »: in a text in capitals, only the common first names
        start, end = _extend_name(text, m.start(), m.end())
        has_surname = end > m.end()
        before = _fold(text[max(0, start - 40) : start])
        if shouted and not has_surname and not _shouted_name_alone(word, before):
            continue  # a word of a sentence in capitals
        after = _fold(text[end : end + 40])
        context_before = bool(_person_context_re().search(before))
        # « Jules 06 31 45 88 02 »: a phone right after (on the raw text: _fold spells digits)
        phone_after = _PHONE_AFTER_NAME_RE.match(text, end) is not None
        context = context_before or phone_after or bool(_PERSON_AFTER_RE.search(after))
        # « Marc et Isabelle »: a first name next to another one.
        pair = re.match(rf"\s+(?:et|ou)\s+([{_UPPER}][{_LOWER}]+)", text[end : end + 30])
        paired = bool(pair and _is_first_name(pair.group(1), allow_word=False))
        context = context or paired
        is_word = _first_names().get(_name_key(word.title()), False)
        if _is_public_name(text, start, end):
            refused_until = end
            continue
        place_like = (
            is_word
            or _fold(word) in lists["places"]
            or _name_key(word.title() if shouted else word) not in _common_first_names()
        )
        # « la CARSAT de Nancy, qui a … »: after an office, words after the town speak of it
        if place_like and _institution_before_re().search(before) and not (
            context_before or context and _fold(word) not in lists["places"]
        ):
            continue
        # « merci à Florence et Abdel »: thanked beside a first name, a person, not the town
        if _fold(word) in lists["places"] and not (
            has_surname or context and not is_word or paired and context_before
            or _person_noun_re().search(before)  # « l'infirmière Florence »
        ):
            continue
        common = _name_key(word.title() if shouted else word) in _common_first_names()
        alone = len(text.split()) <= 3  # a signature, an author's name
        # « …\nFilipa »: a first name alone on the last line signs the text
        signs = not is_word and re.search(r"\n[ \t]*$", text[:start]) is not None \
            and re.fullmatch(r"[ \t.!]*", text[end:]) is not None
        if _is_sentence_start(text, start) and not (
            has_surname or context or alone or (common and not is_word) or signs
        ):
            continue
        if is_word and not (has_surname or context):
            continue
        if re.search(r"\b(?:au|aux)\s+$", before) and not has_surname:
            continue  # « au Robert »: a place (a person is « à Robert »)
        if re.search(r"(?:^|[^\w'])(?:le|la|les|du|des)\s+$", before):
            continue  # « le Samu Social », « la Marianne »: an article names a thing
        if re.search(r"\d{5}\s+$", before):
            continue  # « 46872 Durand »: the city after its postal code
        if not has_surname and not context_before and _TOWN_PREPOSITION_RE.search(before) and (
            _is_commune(word)
        ):
            continue  # « le trajet depuis Sada »: a town after words for a way
        if not common and not context and (
            _firm_word_before_re().search(before) or _ADDRESS_LABEL_BEFORE_RE.search(before)
        ):
            refused_until = end
            continue  # « Cabinet Morel », « Adresse au Maroc : Hay Salam, … »: a firm, a place
        # « CHUI KARIM BENSALEM »: with a surname after it, the word before is no surname.
        yield Flag(FlagKind.PERSON_NAME, start if has_surname else _surname_before(text, start), end)


@cache
def _firm_word_before_re() -> re.Pattern[str]:
    return re.compile(rf"\b(?:{_words_pattern(_public_names().get('firm_words', []))})\s+$")


_ADDRESS_LABEL_BEFORE_RE = re.compile(r"\badresse\b[^:.\n]{0,25}:\s*$")
_TOWN_PREPOSITION_RE = re.compile(
    r"\b(?:depuis|jusqu'a|jusqua|pres de|originaire de|venant de|en provenance de|nee? a)\s+$"
)


def _shouted_name_alone(word: str, before: str) -> bool:
    """« MERCI SOPHIE ET FATIMA »: a first name in capitals without a surname, after words
    for a person, when it is no French word and no place."""
    key = _name_key(word.title())
    return (
        key in _common_first_names()
        and not _first_names()[key]
        and key not in _name_lists()["places"]
        and bool(_person_context_re().search(before))
    )


_WORD_BEFORE_RE = re.compile(rf"(?<![\w'’-])([{_UPPER}][\w'’]*(?:-[{_UPPER}][\w'’]*)*)[ ]$")


def _surname_before(text: str, start: int) -> int:
    """« Lemoine Gaëlle »: a surname written before the first name."""
    m = _WORD_BEFORE_RE.search(text, max(0, start - 40), start)
    if not m or len(m.group(1)) < 2:
        return start
    word = m.group(1)
    folded = _fold(word)
    # « Le Roux Yannick »: a capitalised particle opens the surname
    particle = _CAPITAL_PARTICLE_BEFORE_SURNAME_RE.search(text, max(0, m.start(1) - 5), m.start(1))
    if (
        _not_a_name(word)
        or folded in _FUNCTION_WORDS
        or folded in _STOP_FOLDED
        or folded in _name_lists()["places"]
        or folded in _name_lists()["person_words"]
        or _is_first_name(word)
        or _place_before_re().search(_unaccent(text[max(0, m.start() - 40) : m.end()]))
        or _is_sentence_start(text, m.start()) and not word.isupper() and not particle
    ):
        return start
    return particle.start() if particle else m.start(1)


_CAPITAL_PARTICLE_BEFORE_SURNAME_RE = re.compile(r"(?<![\w'’-])(?:Le|La|De|Du|Da|Van|Von|Di|Del)[ ]$")


_LOWER_PARTICLE_SURNAME_RE = re.compile(
    rf"[ \t]+(?:el|al|ben|bin|ait|ould|da|dos|van)[ \t]+([{_LOWER}]{{3,}})(?![\w'’-])"
)


# « sarah b. de la cpam », « kevin de l'accueil »: a person of the office, named after it.
_OF_THE_OFFICE_AFTER_RE = re.compile(r"(?P<initial>[ \t]+[a-z]\.)?[ \t]+(?:du|de la|de l'|des|d')[ \t]*")
_INITIAL_AFTER_RE = re.compile(r"[ \t]+[a-z]\.(?![\w.])")


def _lower_case_first_names(text: str) -> Iterator[Flag]:
    """« merci a kevin », « la conseillere nadia », « le guichet de nadia »: a first name in
    lower case right after words for a person; « julie et marc »: the one joined to it. A
    text typed in capitals is read in lower case (« KEVIN DE L'ACCUEIL … »)."""
    if text.isupper() and len(lowered := text.lower()) == len(text):
        yield from _lower_case_first_names(lowered)
        return
    previous_end = -1
    for m in re.finditer(rf"(?<![\w'’-])[{_LOWER}]{{3,}}(?![\w'’-])", text):
        if not _is_first_name(m.group()):
            continue  # every way below needs a first name: skip the context of other words
        joined = previous_end >= 0 and re.fullmatch(
            r"\s+(?:et|&)\s+(?:(?:a|à)\s+)?", text[previous_end : m.start()]
        )
        before = _fold(text[max(0, m.start() - 40) : m.start()])
        after = _fold(text[m.end() : m.end() + 40])
        office = _OF_THE_OFFICE_AFTER_RE.match(after)
        if office and _office_words_re().match(after, office.end()) and _is_first_name(
            m.group(), allow_word=bool(office.group("initial"))
        ):
            previous_end = m.end() + (office.end("initial") if office.group("initial") else 0)
            yield Flag(FlagKind.PERSON_NAME, m.start(), previous_end)
            continue
        initial = _INITIAL_AFTER_RE.match(text, m.end())
        cued = bool(_LOWER_NAME_CUE_RE.search(before) or _strict_person_context(before))
        if initial and _is_first_name(m.group(), allow_word=cued):  # « vu avec florence g. »
            previous_end = initial.end()  # « lina s. 48 av … », « salim a. 19 rue … »
            yield Flag(FlagKind.PERSON_NAME, m.start(), previous_end)
            continue
        # after a word of kinship, a self-introduction or « un certain », a first name that
        # is also a word is the name (« ma fille, jade », « c laura, », « jsui romain, »)
        kin = _LOWER_KIN_CUE_RE.search(before) or _LOWER_SELF_CUE_RE.search(before)
        if kin and not _is_first_name(m.group(), allow_word=False):
            # a word as well (« marie », « rose »): a name when set apart or before a verb
            apart = re.match(r"\s*[,)(;:]|\s*$|\s+(?:qui|a|est|et|ne|n'|va|vit|habite|\d)\b", text[m.end() :])
            surname_end = _lower_surname_end(text, m.end())
            apart = apart or surname_end > m.end() and re.match(r"[ \t]*(?:[,;:]|\d)", text[surname_end:])
            married = _fold(m.group()) == "marie" and not kin.group().strip().startswith("c")
            kin = kin if apart and not married else None
        # « la meuf du crous kelly elle m'a dit »: a person's word, her office, her first name
        # taken up by « elle » or « il »
        after_a_name = previous_end >= 0 and not text[previous_end : m.start()].strip()
        if _RESUMED_BY_PRONOUN_RE.match(text, m.end()) and not after_a_name and (
            _person_word_a_few_words_before_re().search(before)
        ):
            previous_end = m.end()
            yield Flag(FlagKind.PERSON_NAME, m.start(), m.end())
            continue
        if not (_is_first_name(m.group(), allow_word=bool(joined or kin))):
            continue
        # « arthur mon fils », « julie ma conseillere », « steven il disait s'appeler »
        surname_end = _lower_surname_end(text, m.end())
        named = _LOWER_APPOSITIVE_AFTER_RE.match(_fold(text[surname_end : surname_end + 40]))
        if named and not joined and not kin and not _LOWER_NAME_CUE_RE.search(before):
            # the commoner first names only: « ché ma mère » is « chez ma mère »
            common = _name_key(m.group()) in _common_first_names()
            if common and _is_first_name(m.group(), allow_word=named.group().lstrip(" \t").startswith(",")):
                previous_end = surname_end
                yield Flag(FlagKind.PERSON_NAME, m.start(), surname_end)
            continue
        # « merci bcp\nsandrine »: a first name alone on the last line signs the text
        if re.search(r"\n[ \t]*$", text[: m.start()]) and re.fullmatch(
            rf"(?:[ \t]+[{_LOWER}][{_LOWER}'’-]+)?[ \t.!]*", text[m.end() :]
        ) and _is_first_name(m.group(), allow_word=False):
            yield Flag(FlagKind.PERSON_NAME, m.start(), len(text.rstrip(" \t.!")))
            continue
        if joined or kin or _LOWER_NAME_CUE_RE.search(before) or _strict_person_context(before):
            # « ma mere fatima el idrissi »: a surname after an Arabic or Portuguese particle
            surname = _LOWER_PARTICLE_SURNAME_RE.match(text, m.end())
            end = surname.end() if surname and _fold(surname.group(1)) not in _STOP_FOLDED else m.end()
            end = _lower_surname_end(text, end)
            previous_end = end
            yield Flag(FlagKind.PERSON_NAME, m.start(), end)
            continue
        # « kevin 0612983475 », « yanis benhamou 2 allee des tilleuls … »: a signature in lower
        # case, a first name (and a surname) opening the text, then a number or an address.
        signed = _LOWER_SIGNATURE_RE.match(text, m.end())
        opens = not text[: m.start()].strip() or _CLOSING_BEFORE_RE.search(before)
        if signed and opens and _is_first_name(m.group(), allow_word=False):
            surname = signed.group("surname")
            if surname and (_fold(surname) in _FUNCTION_WORDS or _fold(surname) in _STOP_FOLDED):
                continue
            yield Flag(FlagKind.PERSON_NAME, m.start(), signed.end("surname") if surname else m.end())


# « aicha diallo ki habite », « marie dubois 4 imp … », « leila b, » : a surname in lower case
# or an initial after a first name found, where the clause stops after it.
_LOWER_SURNAME_AFTER_RE = re.compile(
    rf"[ \t]+(?:(?P<initial>[{_LOWER}]\.)|(?P<word>[{_LOWER}][{_LOWER}'’-]{{1,}}|[{_LOWER}]))"
    r"(?=[ \t]*(?:[,;:!?]|\.(?!\w)|\d|$)|[ \t]+(?:ki|qui|ne|nee|née|il|elle|mon tel|mon num\w*|tel)\b)"
)


def _lower_surname_end(text: str, end: int) -> int:
    m = _LOWER_SURNAME_AFTER_RE.match(text, end)
    if not m:
        return end
    word = m.group("word")
    if word and len(word) > 1 and (
        _fold(word) in _STOP_FOLDED or _fold(word) in _FUNCTION_WORDS or _fold(word) in _STOP_WORDS
    ):
        return end
    if word and len(word) == 1 and not re.match(r"[ \t]*,", text[m.end() :]):
        return end  # an initial without its dot only before a comma (« leila b, »), not « rose a 80 ans »
    return m.end()


# « …cordialement. georgette bonnet, 3 rue … »: the signature after the closing words
_CLOSING_BEFORE_RE = re.compile(
    r"\b(?:cordialement|bien a (?:vous|toi)|(?:sinceres |meilleures )?salutations(?: distinguees)?"
    r"|merci d'avance|merci par avance)\s*[.,!]*\s*$"
)
_LOWER_SIGNATURE_RE = re.compile(
    rf"(?:[ ](?P<surname>[{_LOWER}][{_LOWER}'’-]{{2,}}))?[ ,:;-]*\n?[ \t]*(?=\+?\d|[\w.-]+@|\s*$)"
)
_LOWER_NAME_CUE_RE = re.compile(
    r"(?:\bmerci\s+(?:a\s+)?|\bavec\s+|\bpar\s+|\b(?:guichet|bureau|equipe)\s+(?:de|d')\s*"
    r"|\b(?:jsuis|chui|je suis|moi c'est|moi|nom de jeune fille|nom de naissance)\s+"
    r"|\bmon nom (?:c|c'est|cest|est|s'ecrit)\s+"
    # typed on a phone: « c sofia », « jsui abdel », « je m'appel anthony », « elle sappelle clara »
    r"|(?:^|[\s,.!])(?:c|c'est|cest|moi c|jsui|jsuis|je m'appel\w*|s'?appel\w*|mon coloc|ma coloc"
    r"|ma copine|mon copain|un certain|une certaine)\s+"
    r"|\b(?:nom|prenom)\s*:\s*)$"
)
_LOWER_APPOSITIVE_AFTER_RE = re.compile(
    r"[ \t]*,?[ \t]*(?:(?:mon|ma|notre|sa|son)[ \t]+(?:mere|pere|fille|fils|soeur|frere|voisine?|tante"
    r"|oncle|cousine?|mari|femme|epouse|epoux|conseill\w+|assistante?|referente?|educat\w+|collegue"
    r"|amie?|niece|neveu|petite?-fille|petit-fils|compagne|compagnon)\b|(?:il|elle)[ \t]+(?:disait[ \t]+"
    r"|dit[ \t]+)?s'?appel)"
)
# « c laura, », « jsui romain, », « une certaine jessica »: a person introduced
_LOWER_SELF_CUE_RE = re.compile(
    r"(?:^|[\s,.!])(?:c|c'est|cest|moi c|moi c'est|jsui|jsuis|chui|je suis|je m'appel\w*|s'?appel\w*"
    r"|ici|un certain|une certaine)\s+$"
)
# « ma voisine paulette », « pour mon fils enzo »: kin named in lower case
_LOWER_KIN_CUE_RE = re.compile(
    r"\b(?:ma|mon|sa|son|notre|votre|leur|ta|ton)\s+(?:mere|pere|fille|fils|soeur|frere|voisine?"
    r"|tante|oncle|cousine?|mari|femme|epouse|epoux|grand-mere|grand-pere|mamie|papi|papy|petite?-fille"
    r"|petit-fils|niece|neveu|belle-mere|beau-pere|belle-fille|beau-fils|compagne|compagnon"
    r"|protegee?|filleule?|marraine|parrain|fiston|bebe)\s*,?\s+$"
)


def _strict_person_context(before: str) -> bool:
    """Words for a person before a name, without the loose joints (« et », « ou », a comma)
    that only a capitalised name may follow."""
    m = _person_context_re().search(before)
    return bool(m) and not re.fullmatch(r"\s*(?:,|et|ou|notamment|surtout|certaine?)?\s*", m.group())


_HANDLE_TITLE_RE = re.compile(
    r"(?:^|[._-])((?i:mme|mr|mlle|madame|monsieur|dr)[._-]([^\W\d_]{2,}))(?=[._\d-]|$)"
)


_GROUP_HANDLE_WORDS = frozenset(
    "asso association collectif club team groupe equipe officiel amicale "
    "comite syndicat service services".split()
)


def _is_a_word(word: str) -> bool:
    """A French word, as far as the lists tell: a stop word, a function, a first name that
    is also a word."""
    folded = _fold(word)
    return (
        folded in _STOP_FOLDED or folded in _FUNCTION_WORDS or _not_a_name(word)
        or bool(_first_names().get(folded)) or folded in _name_lists()["person_words"]
    )


# A field that is a name and nothing else, written as people sign: « JP Roussel », « Jo'
# Lemaire », « Rose-Aimée Lamon », « steph B. ». The first word reads as a first name (or
# initials, or a short form with an apostrophe), the second as a surname or an initial.
_NAME_ALONE_RE = re.compile(
    rf"(?P<first>[{_UPPER}]{{2,3}}|[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?['’]?|[{_LOWER}]{{3,}})"
    rf"\s+(?P<last>[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?|[{_UPPER}][{_UPPER}]+|[{_UPPER}]\.)"
)


def _name_alone(text: str) -> Iterator[Flag]:
    value = text.strip()
    m = _NAME_ALONE_RE.fullmatch(value)
    if not m:
        return
    first, last = m.group("first").rstrip("'’"), m.group("last")
    parts = first.split("-")
    first_ok = (
        first.isupper() and len(first) <= 3  # initials
        or any(_is_first_name(p) for p in parts)
        or (m.group("first")[-1] in "'’" and len(first) <= 4)  # « Jo' »
    )
    if first.islower() and not (_is_first_name(first) and last.endswith(".")):
        return  # in lower case, only « steph B. »: a first name and an initial
    last_ok = last.endswith(".") or not (
        _is_a_word(last) or _fold(last) in _name_lists()["places"] or _is_first_name(last, allow_word=False)
        and not _is_first_name(first)
    )
    if first_ok and last_ok and not _is_a_word(first) or (first_ok and last_ok and any(
        _is_first_name(p, allow_word=False) for p in parts
    )):
        start = text.find(value)
        yield Flag(FlagKind.PERSON_NAME, start, start + len(value))


def _lone_handle(text: str) -> Iterator[Flag]:
    yield from _name_alone(text)
    """A field that is only a pseudonym made of a person's names (« kevin.lefort »,
    « manon_r »), or two or three lower-case words with a first name (« mamadou diop »)."""
    value = text.strip()
    start = text.find(value) if value else 0
    # « fils_de_mme_ngo », « mr.kone93 »: a title and a name inside a handle
    titled = _HANDLE_TITLE_RE.search(value)
    if titled and " " not in value and _fold(titled.group(2)) not in _STOP_FOLDED:
        word = _fold(titled.group(2))
        # « Mr_Propre »: a set phrase (« Monsieur Propre ») names no one
        if not any(f"{t} {word}" in _name_lists()["set_phrases"] for t in ("monsieur", "madame")):
            yield Flag(FlagKind.PERSON_NAME, start + titled.start(1), start + titled.end(1))
        return
    # « KarimB », « SoniaLM »: a first name and the initial of the surname glued to it
    glued = re.fullmatch(rf"([{_UPPER}][{_LOWER}]{{2,}})[{_UPPER}]{{1,2}}\d*", value)
    if glued and _is_first_name(glued.group(1), allow_word=False):
        yield Flag(FlagKind.PERSON_NAME, start, start + len(value))
        return
    if re.fullmatch(r"[^\W\d_]+(?:[._-][^\W\d_]+)+\d*", value):
        parts = [p for p in re.split(r"[._-]", value.rstrip("0123456789")) if p]
        if any(_fold(p) in _GROUP_HANDLE_WORDS for p in parts):
            return  # « asso_solidarite », « collectif.parents »: a group's handle
        initial = any(len(p) == 1 for p in parts) and any(len(p) > 2 for p in parts)
        # « jp.moreau »: the initials of a compound first name, two consonants, then a surname
        initial = initial or (
            len(parts) == 2 and re.search(r"[._]", value) is not None and len(parts[1]) > 2
            and re.fullmatch(r"(?!st|mr|dr|pr|ms|sr|bd|ch)[bcdfghjklmnpqrstvwxz]{2}", parts[0]) is not None
        )
        # Hyphens alone join the words of a place too (« marie-galante »): an initial only.
        named = re.search(r"[._]", value) and any(_is_first_name(p, allow_word=False) for p in parts)
        # « pierre.arnaudet »: a first name that is also a word, beside a word that is none
        named = named or (
            len(parts) == 2 and re.search(r"[._]", value) and _is_first_name(parts[0])
            and len(parts[1]) > 2 and not _is_a_word(parts[1])
        )
        # « MARIE-THERESE », « jean-luc »: a compound first name alone
        compound = len(parts) == 2 and "-" in value and _is_first_name(value)
        if named or compound or (initial and len(parts) == 2):
            yield Flag(FlagKind.PERSON_NAME, start, start + len(value))
        return
    words = value.split()
    if not (2 <= len(words) <= 3 and value.islower()
            and all(w.isalpha() or re.fullmatch(r"[^\W\d_]\.", w) for w in words)):
        return
    persons = _name_lists()["person_words"]
    while words and _fold(words[0]) in persons:
        words = words[1:]  # « mamie jeanine »: the name only
    names = [w for w in words if _is_first_name(w, allow_word=False)]
    others = [w for w in words if w not in names]
    if names and _fold(" ".join(words)) not in _name_lists()["places"] and all(
        _fold(w) not in _FUNCTION_WORDS and _fold(w) not in _STOP_FOLDED and not _not_a_name(w)
        and _fold(w) not in persons and not _COMMON_WORD_ENDING_RE.search(_fold(w))
        for w in others
    ):
        first = value.rfind(" ".join(words))
        yield Flag(FlagKind.PERSON_NAME, start + first, start + len(value))


# --- the author's name field

_AUTHOR_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_ARTICLE_TOKENS = frozenset("le la les l du de des d un une".split())
# Words of a group's name: a field naming a group names no one by a first name alone.
_GROUP_FIELD_RE = re.compile(
    r"(?i:\b(?:asso|association|collectif|club|team|groupe|amicale|comit[ée]|syndicat|cabinet"
    r"|services?|ccas|cias|mairie|f[ée]d[ée]ration|union|r[ée]seau|antenne|permanence)\b)"
)


_WORDS_ONLY_RE = re.compile(r"[^\W\d_]+(?:['’ -]+[^\W\d_]+)*")
# What a family calls its elders, before the name they go by (« Mamie Jo », « Tonton Fredo »).
_FAMILY_WORDS = frozenset(
    "mamie mamy mami meme memere papy papi pepe pepere tonton tata tatie tantine maman papa "
    "tante oncle".split()
)
_GROUP_START_RE = re.compile(
    r"\s*(?i:asso|association|collectif|club|team|groupe|amicale|comit[ée]|syndicat|cabinet"
    r"|f[ée]d[ée]ration|union|r[ée]seau)\b"
)


def _names_the_author(text: str, flag: Flag) -> bool:
    """Whether a name found in the author's field is a person's: not in a group's signature
    (« Asso Solidarité Pantin », « Cabinet Roche & associés ») unless a title makes it one,
    not a role and the group it serves (« Bénévole Restos »)."""
    span = text[flag.start : flag.end]
    if re.search(rf"(?<![\w'’]){_TITLE}(?![\w'’])", span):
        return True
    if _GROUP_START_RE.match(text):
        return False
    words = span.split()
    return not (
        len(words) > 1 and _fold(words[0]) in _name_lists()["person_words"]
        and not any(_is_first_name(w) for w in words[1:])
    )


# The words of a name in the author's field: a surname with its particles (« de », « DA »,
# « EL »), « née » and the maiden name, initials (« J.-P. »), first names.
_TITLE_CASE_PARTICLES = frozenset("van von de da di del della ter".split())
_NAME_FIELD_PARTICLES = frozenset(
    "de du des van von der den di da do dos das del della le la el al ben bin ait ter nee epouse ep "
    "ep.".split()
)
_INITIALS_RE = re.compile(rf"[{_UPPER}]\.(?:-?[{_UPPER}]\.)*")


def _whole_name_field(text: str) -> Flag | None:
    """A field made only of a name's words, a particle or « née » among them, or initials
    first (« de X-Y Amaury », « X née Y Naïma », « ALVES DA CUNHA Maria », « J.-P. X-Y »):
    the whole field."""
    value = text.strip()
    words = value.split()
    if not 2 <= len(words) <= 6:
        return None
    particles = initials = firsts = 0
    for i, word in enumerate(words):
        folded = _fold(word)
        # « J. Van den Broeck »: « Van » and « De » open a surname in title case too
        titled_particle = word.istitle() and folded in _TITLE_CASE_PARTICLES
        if folded in _NAME_FIELD_PARTICLES and (word.islower() or word.isupper() or titled_particle) \
                and i < len(words) - 1:
            particles += 1
        elif _INITIALS_RE.fullmatch(word) and sum(c.isupper() for c in word) <= 2:
            initials += 1  # « J.-P. X », « Nguyen V. T. », « J.-P. M. », not « S.O.S. »
        elif re.fullmatch(rf"[{_UPPER}][\w'’]*(?:-[{_UPPER}][\w'’]*)*", word) and (
            folded not in _name_lists()["places"]
        ):
            title = word.title() if word.isupper() else word
            if _is_first_name(title, allow_word=False):
                firsts += 1
            elif _is_a_word(word) and not (i and _is_first_name(title)):
                return None  # « Maria » after the surname is a first name, not a word
        else:
            return None
    if not (particles and firsts) and not (initials and len(words) - initials - particles <= 1):
        return None  # « J. Van den Broeck »: an initial, then a surname and its particles
    start = text.find(value)
    return Flag(FlagKind.PERSON_NAME, start, start + len(value))


_PHRASE_AFTER_RE = re.compile(
    r"[ \t_]+(?:de|des|du|sur|sous|en|au|aux)[ \t_]+(?:l['’])?[a-zà-ÿ]|[ \t_]+d['’][a-zà-ÿ]"
)
_STREET_WORDS = frozenset("rue avenue boulevard bd place allee impasse chemin quai cours square".split())


def _author_names(text: str) -> Iterator[Flag]:
    """In the author's name field, the words that name her: a first name alone whatever its
    case, with digits, an emoji, « du 19 » or underscores around it (« Pierrot 19 »,
    « kevin_du_93 », « ROGER »); a name after a family word (« Mamie Jo »); a field made only
    of capitalised words, one of them a first name (« Tran Thi Mai »)."""
    if _GROUP_FIELD_RE.search(text):
        return
    if (whole := _whole_name_field(text)) is not None:
        yield whole
        return
    persons = _name_lists()["person_words"]
    tokens = list(_AUTHOR_TOKEN_RE.finditer(text))
    named: list[re.Match[str]] = []
    for i, m in enumerate(tokens):
        word = m.group()
        before = tokens[i - 1].group() if i else ""
        # « Nanou974 »: a word glued to digits is a handle's, not a name given
        glued = text[max(0, m.start() - 1) : m.start()].isdigit() or text[m.end() : m.end() + 1].isdigit()
        key = _name_key(word.title() if word.isupper() else word)
        if glued or len(word) < 2 or key in persons or _fold(word) in _name_lists()["places"]:
            continue
        if word.isupper() and len(word) <= 4:
            continue  # « tuteur_UDAF », « Conseillère ESF »: an acronym
        if _fold(before) in _FAMILY_WORDS and word[0].isupper() and not _is_a_word(word):
            named.append(m)  # « Mamie Jo », « Tonton Fredo »
            continue
        if not _is_first_name(word.title() if word.isupper() else word) or _fold(word) in _GROUP_HANDLE_WORDS:
            continue
        also_a_word = _first_names().get(key, False)
        if also_a_word and _PHRASE_AFTER_RE.match(text, m.end()):
            continue  # « Rose des vents », « Victoire sur l'administration »: a phrase
        if any(_fold(t.group()).split("'")[-1] in _STREET_WORDS for t in tokens[max(0, i - 3) : i]):
            continue  # « Habitante de la rue Victor Hugo »: a street named after someone
        if _place_before_re().search(_unaccent(text[max(0, m.start() - 40) : m.start()])):
            continue  # « L'infirmière du collège Anne Frank »: a place named after someone
        signing = i == 0 and re.match(r"[ \t]*,[ \t]*\d", text[m.end() :])  # « baptiste, 4 av … »
        # « laurent », « rose »: a common first name that is the whole field names its author
        alone = len(tokens) == 1 and text.strip() == word and key in _common_first_names()
        if word.islower() and (also_a_word or key not in _common_first_names()) and not (signing or alone):
            continue  # « la_reine_des_neiges », « ti_moun_971 »: words of a handle
        if also_a_word and _fold(before) in _ARTICLE_TOKENS:
            continue  # « La_Reine_Des_Files »: a word after its article
        named.append(m)
    if not named:
        return
    words = [t.group() for t in tokens]
    if 2 <= len(words) <= 4 and len(named) == 1 and _WORDS_ONLY_RE.fullmatch(text.strip()) and all(
        w[0].isupper() and _fold(w) not in _STOP_FOLDED | _FUNCTION_WORDS | persons for w in words
    ):
        value = text.strip()
        start = text.find(value)
        yield Flag(FlagKind.PERSON_NAME, start, start + len(value))  # « Tran Thi Mai »
        return
    for m in named:
        yield Flag(FlagKind.PERSON_NAME, m.start(), _author_surname_end(text, m, persons))


# « lea m », « gwen le goff », « karim b du 93 »: a lower-case surname or initial after the
# author's first name, up to the end of the field, a comma or « du 93 ».
_AUTHOR_SURNAME_RE = re.compile(
    r"(?:[ \t]+(?:le|la|de|du|des|van|von|da|di|dos|ben|el|al|ait)(?=[ \t]+[a-z]))?[ \t]+([a-z][a-z'’-]*)\.?"
    r"(?=[ \t]*(?:$|,|[ \t](?:du|de)[ \t]+\d))"
)


def _author_surname_end(text: str, m: re.Match[str], persons: frozenset[str]) -> int:
    after = _AUTHOR_SURNAME_RE.match(text, m.end())
    if not m.group().islower() or not after or re.fullmatch(r"du|de", after.group(1)):
        return m.end()
    word = _fold(after.group(1))
    if len(word) > 1 and (word in _STOP_FOLDED or word in _FUNCTION_WORDS or word in persons):
        return m.end()
    return after.end()


# « DUPONT Jean », « Jean DUPONT », « G. Lambert »: the parts are checked by _full_name_flag.
_FULL_NAME_RES = (
    re.compile(
        rf"(?<![\w.'’-])(?P<names>[{_UPPER}]{{2,}}(?:[-'’][{_UPPER}]{{2,}})?(?:[ \t]+[{_UPPER}]{{2,}})?"
        rf"[ \t]+[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?)(?![\w'’-])"
    ),
    re.compile(
        rf"(?<![\w.'’-])(?P<names>[{_UPPER}]\.\s?[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?)"
        rf"(?![\w'’-])"
    ),
)


# « Signé : P. Lemaire », « Cordialement, A. Messaoudi »: an initial and a surname sign.
_SIGNED_BEFORE_RE = re.compile(
    r"(?i:sign[ée]e?|signature|cordialement|salutations|bien [àa] vous|sinc[èe]rement)[ \t]*[:,]?[ \t\n]*$"
)
_CAPITAL_PARTICLES = frozenset("da de du des dos le la el al ben ait van von di".split())


def _full_name_flag(m: re.Match[str]) -> Flag | None:
    words = re.split(r"\s+", m.group("names"))
    particle = len(words) == 3 and _fold(words[0]) in _CAPITAL_PARTICLES
    if any(_not_a_name(w) for w in words[particle:] if not w.endswith(".")):
        return None
    if words[0].endswith("."):
        signed = _SIGNED_BEFORE_RE.search(m.string, max(0, m.start() - 30), m.start())
        if words[0] == "M." or not (_is_sentence_start(m.string, m.start()) or signed) \
                and len(m.string) > 40:
            return None  # « M. Dupont » is a title; « J. Martin » alone is a signature
    elif not _is_first_name(words[-1]) or len(words[0]) <= 3 and not (
        particle and len(words[1]) > 3
    ):
        return None  # « CAF Lyon », not « DA COSTA Manuel », « LE GUEN Yves-Marie »
    if _is_public_name(m.string, m.start("names"), m.end("names")):
        return None
    return Flag(FlagKind.PERSON_NAME, m.start("names"), m.end("names"))


# A name said to be one by the words before it: « je m'appelle », « un certain », a form's
# « Nom : », « Prénom : », « Signé : ». The value is a name whatever the first-name list says.
_NAMED_CUE_RE = re.compile(
    r"(?:(?<![\w'’])(?i:je\s+m(?:['’]\s?|\s+)appelle|(?:il|elle)\s+s(?:['’]\s?|\s)appelle"
    # « je suis monsieur nguyen van thanh », « Je soussigné LE VAN HAI »
    r"|je\s+suis\s+(?:monsieur|madame|mr|mme)|soussign[ée]e?"
    # « mon fils s'appelle enzo »: a word for a person as the subject
    r"|(?:fils|fille|mari|femme|m[èe]re|p[èe]re|fr[èe]re|s(?:œ|oe)ur|conseill[eè]re?|agente?"
    r"|voisine?|enfant|b[ée]b[ée]|gar[çc]on|oncle|tante|neveu|ni[èe]ce)\s+s['’]\s?appelle"
    r"|qui\s+s(?:['’]\s?|\s)appel(?:le|ait)|s(?:['’]\s?|\s)appelait|un\s+certain|une\s+certaine|(?:d[ée])?nomm[ée]e?"
    r"|pr[ée]nomm[ée]e?|du\s+nom\s+de|moi\s+c['’]est)\s+|(?i:de\s+la\s+part\s+d['’])\s*"
    r"|(?i:de\s+la\s+part\s+de)\s+(?=[A-ZÀ-Þ])"
    # « il s'est présenté comme Mathieu »
    r"|(?<![\w'’])(?i:pr[ée]sent[ée]e?s?\s+comme)\s+(?=[A-ZÀ-Þ])"
    # « tout le monde l'appelle Mimi »
    r"|(?<![\w'’])(?i:l['’]\s?appel(?:le|lent|ait|aient))\s+(?=[A-ZÀ-Þ])"
    # « le double nom Garnier-Loiseau », « le nom de famille Keller »
    r"|(?<![\w'’])(?i:(?:le|du|au|son|mon)\s+(?:double\s+)?nom(?:\s+de\s+famille|\s+d['’]usage"
    r"|\s+de\s+naissance|\s+de\s+jeune\s+fille)?)\s+(?=[A-ZÀ-Þ])"
    # « mon nom est Kouadio Yao Serge », « ils ont écrit mon nom 'Ngoma Jean' »
    r"|(?<![\w'’])(?i:(?:mon|ton|son|sa|leur|votre)\s+(?:vrai\s+)?nom(?:\s+complet)?(?:\s+(?:est|c['’]est|s['’][ée]crit))?)"
    r"\s*:?\s*['\"«“‘]?\s*(?=[A-ZÀ-Þ])"
    # « le nom est mal écrit « LE GALL » », « avec mon nom écrit “NGOMA” »: a spelling quoted
    r"|(?<![\w'’])(?i:(?:le|mon|son|leur)\s+nom\s+(?:est\s+|a\s+[ée]t[ée]\s+)?(?:mal\s+)?"
    r"(?:[ée]crit|orthographi[ée]|not[ée]|marqu[ée]|imprim[ée]))\s*:?\s*['\"«“‘]\s*(?=[A-ZÀ-Þ]))"
)
_FORM_LABEL_RE = re.compile(
    r"(?<![\w'’])(?i:nom(?:\s+(?:de\s+naissance|de\s+famille|de\s+jeune\s+fille|d['’]usage"
    r"|marital|d['’][ée]pouse|et\s+pr[ée]noms?|complet|patronymique))?|pr[ée]noms?(?:\s*\(s\))?"
    r"(?:\s+et\s+nom)?|identit[ée]|sign[ée]e?|signature|conseill[eè]re?|interlocut(?:eur|rice)"
    r"|agent|r[ée]f[ée]rente?|gestionnaire|exp[ée]dit(?:eur|rice)|demandeur|demandeuse|titulaire"
    r"|b[ée]n[ée]ficiaire|envoy[ée]e?\s+par|de\s+la\s+part\s+de|[ée]crit\s+par|auteur|autrice"
    r"|contact|p[èe]re|m[èe]re|enfant|conjoint|conjointe|[ée]poux|[ée]pouse|parent)"
    r"\s*(?:\d\s*)?:\s*"
    r"|(?<![\w'’])(?i:nom\s+(?:de\s+naissance|de\s+famille|de\s+jeune\s+fille|d['’]usage|marital"
    r"|d['’][ée]pouse))\s+(?=[A-ZÀ-Þ])"
)
# Words that end a name in a form (the next label) or that are no name.
_FORM_STOP = frozenset(
    "nom prenom prenoms ne nee date adresse tel telephone mail courriel email age sexe "
    "numero n° voir cf idem neant inconnu".split()
)
# « née Moulin », « épouse Lambert », « veuve Carré »: the other name of the same person.
_OTHER_NAME_RE = re.compile(
    rf"(?<![\w'’])(?i:n[ée]e|[ée]pouse|[ée]p\.|veuve|vve|divorc[ée]e)\s+"
    rf"(?P<names>(?i:{_PARTICLE})?[{_UPPER}][\w'’]*(?:-[{_UPPER}]?[\w'’]+)*"
    rf"(?:[ ](?i:{_PARTICLE})?[{_UPPER}][\w'’]*(?:-[{_UPPER}]?[\w'’]+)*){{0,2}})"
)
# « la famille Kowalski », « les époux Marchetti »: a surname after words for a household.
_HOUSEHOLD_RE = re.compile(
    rf"(?<![\w'’])(?i:famille|les\s+[ée]poux|[ée]poux|couple)\s+"
    rf"(?P<names>(?i:{_PARTICLE})?[{_UPPER}][\w'’]*(?:-[{_UPPER}]?[\w'’]+)*)"
)
# « mes voisins, les Colin », « c/o Lefort »: a household after a word for neighbours or
# kin, mail in the care of someone; the flag is the surname only.
_HOUSEHOLD_AFTER_RE = re.compile(
    rf"(?:(?<![\w'’])(?i:(?:mes|nos|les|des|ses|leurs)\s+(?:voisins|voisines|cousins|amis|beaux-parents))"
    rf"\s*,?\s+les\s+|(?<![\w'’])(?i:c/o|c\.o\.)\s*)"
    rf"(?P<names>(?i:{_PARTICLE})?[{_UPPER}][\w'’]*(?:-[{_UPPER}]?[\w'’]+)*)"
)
_NATIONALITY_PLURAL_RE = re.compile(r"(?:ais|ois|ains|iens|ols|ands|ches|ens|ots)$")
_NAME_TOKEN_RE = re.compile(
    rf"(?:(?i:{_PARTICLE}))?(?:[{_UPPER}][\w'’]*(?:-[\w'’]+)*|[{_UPPER}]\.)"
)


_LOWER_TOKEN_RE = re.compile(r"[\w'’-]+")


def _name_words_end(text: str, start: int, *, lower_case: bool = False, joined: bool = False,
                    limit: int = 4) -> int | None:
    """End of the name words from `start`: capitalised words (and particles), or lower-case
    words when `lower_case`; « et » between two when `joined` (« Gilberte et Roger Pons »)."""
    end, position, count = None, start, 0
    pattern = _NAME_TOKEN_RE if not lower_case else _LOWER_TOKEN_RE
    while count < limit:
        m = pattern.match(text, position)
        if not m:
            break
        word = m.group()
        bare = _fold(re.sub(rf"^(?i:{_PARTICLE})", "", word)).strip(".")
        if bare in _FORM_STOP or (_not_a_name(word) and not lower_case) or (
            lower_case and (bare in _FUNCTION_WORDS or _fold(word) in _STOP_FOLDED
                            or not word.isalpha())
        ):
            break
        end, count, position = m.end(), count + 1, m.end()
        gap = re.match(r"[ \t]+(?:(?:et|&)[ \t]+)?" if joined else r"[ \t]+", text[position:])
        if not gap:
            break
        position += gap.end()
    return end


_STOP_FOLDED = frozenset(
    "suis est etait a ai avec depuis pour et mais car de du des la le les un une au aux en "
    "dans sur chez qui que mon ma mes son sa ses ne pas plus tres bien j je comme aussi pareil "
    "ainsi toujours encore jamais rien personne tout".split()
)


# Person words after which a capitalised word is an organisation, not a name.
_ORGANISATION_HOLDERS = frozenset(
    "employeur bailleur proprietaire patron patronne locataire avec par bonjour salut".split()
)


# Kinship, after which « de » names the person (« la fille de Paulette »), not a place.
_KIN = (
    r"fille|fils|mere|pere|femme|mari|epouse|epoux|soeur|frere|tante|oncle|cousin|cousine"
    r"|niece|neveu|grand-mere|grand-pere|petit-fils|petite-fille|veuve|veuf|compagne|compagnon"
    r"|maman|papa|enfants?|belle-mere|beau-pere"
)


@cache
def _person_word_a_few_words_before_re() -> re.Pattern[str]:
    """A determiner and a word for a person, then up to three words: on folded text."""
    nouns = [w for w in _public_names().get("person_words", []) if " " not in w.strip()]
    return re.compile(
        rf"(?:^|\W)(?:mon|ma|notre|votre|sa|son|la|le|l'|une|un|cette|ce|cet)\s*(?:{_words_pattern(nouns)})"
        r"(?:\s+[a-z'-]+){0,3}\s*$"
    )


_RESUMED_BY_PRONOUN_RE = re.compile(r"[ \t]+(?:elle|il)[ \t]+\w")


@cache
def _person_noun_re() -> re.Pattern[str]:
    """A determiner and a word for a person, right before a capitalised word: « ma mère
    Germaine », « l'agent Kowalczyk »; on folded text."""
    nouns = [w for w in _public_names().get("person_words", [])
             if " " not in w.strip() and _fold(w) not in _ORGANISATION_HOLDERS]
    return re.compile(
        rf"(?:^|\W)(?:(?:mon|ma|mes|notre|votre|nos|vos|sa|son|ses|leur|la|le|l'|une|un|cette|ce"
        rf"|cet)\s*(?:{_words_pattern(nouns)})\s*[,(]?|(?:la|le|les|l')\s*(?:{_KIN})\s+(?:de|d'))\s*$"
        # « Hassan (fils de Fatma) », « Nadine L., fille de Jacqueline »: a kin word opening a
        # bracket, a line or a clause
        rf"|(?:^|[(\n,])\s*(?:{_KIN})\s+(?:de|d')\s*$"
    )


# Endings of French nouns and adjectives that names seldom have (« mon fils Autiste », « le
# médecin Généraliste »): a capitalised word ending so after a word for a person is no name
# unless the first-name list knows it.
_COMMON_WORD_ENDING_RE = re.compile(
    r"(?:iste|isme|tion|sion|ment|ique|ite|ites|able|ible|ance|ence|euse|eux|aire|ive|if|ee|age"
    r"|ale|aux|ant|ante|ants|ien|ienne|iens|iennes)$"
)
# « je suis Tiên, l'épouse de … », « Je suis Kouyaté Moussa, et … »: the writer names herself;
# the clause stops after the name.
_SELF_NAMED_RE = re.compile(
    rf"(?<![\w'’])(?i:je\s+suis|moi\s+c['’]?est)\s+"
    rf"(?P<name>[{_UPPER}][{_LOWER}'’-]+(?:[ ][{_UPPER}][{_LOWER}'’-]+){{0,2}})"
    r"(?=\s*(?:[,.;:!?)]|$)|\s+(?:et|de|du|d'|qui|a|à)\s)"
)


_ADJECTIVE_ENDING_RE = re.compile(r"(?:aises?|ais|oises?|ois|onnes?|ines?|aines?|ains?|ie|e[es]?)$")


def _introduced_name_word(word: str) -> bool:
    folded = _fold(word)
    if _is_first_name(word):
        return folded not in _name_lists()["places"]
    return not (
        _is_a_word(word) or folded in _name_lists()["places"] or _COMMON_WORD_ENDING_RE.search(folded)
        or _ADJECTIVE_ENDING_RE.search(folded) and word[-1] not in "éÉ"
    )


# « Morel & Associés », « Durand et Fils »: a firm's name
_FIRM_PARTNERS = frozenset("associes associe associees fils freres cie compagnie".split())
_PAIR_BEFORE_RE = re.compile(rf"(?<![\w'’-])([{_UPPER}][{_LOWER}]+)\s+(?:et|&)\s+$")


_SURNAME_WORD_AFTER_RE = re.compile(rf"[ \t]+([{_UPPER}][{_LOWER}'’]+(?:-[{_UPPER}][{_LOWER}]+)?)(?![\w'’-])")
# A family nickname before a first name names the person (« Papy Roger », « tatie Josette »).
_NICKNAMES = (
    r"(?i:mamie|mamy|mami|m[ée]m[ée]|m[ée]m[ée]re|papy|papi|p[ée]p[ée]|p[ée]p[ée]re|tonton|tata"
    r"|tatie|tantine)[ \t]+"
)
_NICKNAME_BEFORE_RE = re.compile(rf"(?<![\w'’-]){_NICKNAMES}$")
_NICKNAME_START_RE = re.compile(_NICKNAMES)
# A rank of the police, the gendarmerie or the army after its determiner: the capitalised word
# after it is a surname, whatever else it means (« le brigadier Sauvage », « l'OPJ Benhamou »;
# not the pseudonym « Capitaine Caverne »); on folded text.
_RANK_BEFORE_RE = re.compile(
    r"(?:^|[^\w])(?:le|la|l'|au|du|un|une|ce|cet|cette|notre|votre|son|sa|mon|ma)\s*"
    r"(?:marechal des logis(?:-chef)?|brigadier(?:-chef)?|adjudant(?:e)?(?:-chef)?|major"
    r"|capitaine|lieutenant(?:-colonel)?|commandant|colonel|gendarme|opj|apj|gardien de la paix"
    r"|sergent(?:-chef)?|caporal(?:-chef)?|enqueteur|enquetrice)\s+$"
)
# A name in quotes, one to three capitalised words (« « Dupond » », « « Da Silva Moreau » »), …
_QUOTED_NAME_RE = re.compile(
    rf"[«“\"]\s?([{_UPPER}][{_LOWER}'’]+(?:[- ][{_UPPER}][{_LOWER}'’]+){{0,2}})\s?[»”\"]"
)
# … where the sentence speaks of how a name is written (on folded text)
_SPELLED_NAME_CUE_RE = re.compile(
    r"\b(?:nom|noms|prenom|prenoms|patronyme|nom de famille|nom d'usage|nom de jeune fille|ecrit|ecrite"
    r"|orthographie|orthographe|transcrit|transcrite|inscrit|inscrite|epele|epelle|au lieu de)\b"
)
def _spelled_name(text: str, m: re.Match[str]) -> bool:
    """« écrit « Emrre » », « le nom « Lemaire-Boulanger » »: a name spelled, in quotes, in a
    sentence about how a name is written; no word, place or public name."""
    before = _fold(text[max(0, m.start() - 70) : m.start()]).split(".")[-1]
    words = m.group(1).split()
    if not _SPELLED_NAME_CUE_RE.search(before) or len(m.group(1)) <= 3:
        return False
    if any(_not_a_name(w) or _fold(w) in _name_lists()["places"] or _is_a_word(w) and not _is_first_name(w)
           for w in words):
        return False
    alone = len(words) == 1 and "-" not in words[0]
    if alone and _COMMON_WORD_ENDING_RE.search(_fold(words[0])) and not _is_first_name(words[0]):
        return False  # « au lieu de « Prioritaire » »
    return not _is_public_name(text, m.start(1), m.end(1))


# A name spelled letter by letter in capitals (« L E B L A N C »): four letters at least.
_SPELLED_LETTERS_RE = re.compile(rf"(?<![\w'’])[{_UPPER}](?:[ ][{_UPPER}]){{3,}}(?![\w'’])")
_CONTEMPT_OF_RE = re.compile(
    rf"(?<![\w'’])(?i:ce|cet|cette)[ \t]+([\w-]+)[ \t]+d(?:e[ \t]+|['’])"
    rf"([{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?)"
)
_AS_A_FIRST_NAME_RE = re.compile(
    rf"(?<![\w'’-])([{_UPPER}][{_LOWER}'’]+(?:-[{_UPPER}][{_LOWER}'’]+)?)[ \t]+comme[ \t]+"
    r"(?:(?:premier|deuxi[eè]me|second|troisi[eè]me|dernier)[ \t]+)?pr[ée]nom\b"
)
# « Fatima Boudiaf épouse Lemaire », « Mme Roux veuve Garnier »: the married name after a name
_MARRIED_NAME_RE = re.compile(
    rf"(?<![\w'’-])([{_UPPER}][\w'’-]+)[ \t]+(?i:[ée]pouse|veuve|[ée]p\.)[ \t]+(?=([{_UPPER}]))"
)
@cache
def _place_word_before_re() -> re.Pattern[str]:
    """« rue du Colonel », « le métro Colonel »: a place word, then words (on folded text)."""
    words = _words_pattern(_fold(w) for w in _public_names().get("place_words", []))
    return re.compile(rf"\b(?:{words})\b(?:\s+[\w'-]+){{0,3}}\s+$")


_RANK_WORDS_AFTER = frozenset("general generale chef principal principale divisionnaire".split())
_CAPITAL_PARTICLE_BEFORE_RE = re.compile(r"(?<![\w'’])(?:Le|La|De|Du|Van|Von|Di|Da|Ben|El|Mac)[ \t]+$")


def _cued_names(text: str) -> Iterator[Flag]:
    for m in _CAPITALISED_WORD_RE.finditer(text):
        word = m.group()
        if word.isupper() and len(word) <= 3 or _not_a_name(word):
            continue
        if _fold(word) in _name_lists()["places"] or _is_sentence_start(text, m.start()):
            continue
        nickname = _NICKNAME_BEFORE_RE.search(text, max(0, m.start() - 12), m.start())
        if nickname and (_is_first_name(word) or not _is_a_word(word)) and not word.isupper() and (
            not _is_public_name(text, nickname.start(), m.end())
        ):
            yield Flag(FlagKind.PERSON_NAME, nickname.start(), m.end())  # « Papy Roger »
            continue
        pair = _PAIR_BEFORE_RE.search(text, max(0, m.start() - 30), m.start())
        if pair and _is_first_name(pair.group(1), allow_word=False) and not word.isupper() and (
            _fold(word) not in _FIRM_PARTNERS
        ):
            yield Flag(FlagKind.PERSON_NAME, m.start(), m.end())  # « Mehmet et Ayşe »
            continue
        # « l'adjudant Le Bihan », « mon voisin Van Damme »: the particle opens the surname
        particle = _CAPITAL_PARTICLE_BEFORE_RE.search(text, max(0, m.start() - 5), m.start())
        lead = particle.start() if particle else m.start()
        if _RANK_BEFORE_RE.search(_fold(text[max(0, lead - 40) : lead])) and not _not_a_name(word) and (
            not _place_word_before_re().search(_fold(text[max(0, lead - 40) : lead]))  # « rue du Colonel X »
        ):
            start, end = _extend_name(text, m.start(), m.end())
            # not _is_public_name: « maréchal » also names the streets of « avenue du Maréchal Foch »
            if _fold(text[min(start, lead) : end]) not in _name_lists()["public_figures"] and (
                _fold(word) not in _RANK_WORDS_AFTER
            ):
                yield Flag(FlagKind.PERSON_NAME, min(start, lead), end)  # « le brigadier Sauvage »
            continue
        if _person_noun_re().search(_fold(text[max(0, lead - 40) : lead])) and (
            _is_first_name(word) or not _COMMON_WORD_ENDING_RE.search(_fold(word))
        ):
            start, end = _extend_name(text, m.start(), m.end())
            start = min(start, lead)
            if not _is_public_name(text, start, end):
                yield Flag(FlagKind.PERSON_NAME, start, end)
    for m in _NAMED_CUE_RE.finditer(text):
        lower = not text[m.end() : m.end() + 1].isupper()
        if lower and not re.search(r"(?i:appel\w*|c['’]est|monsieur|madame|mr|mme)\s+$", m.group()):
            continue  # « une certaine lenteur »
        end = _name_words_end(text, m.end(), lower_case=lower, limit=3 if lower else 4)
        if end and not lower and _is_first_name(text[m.end() : end], allow_word=False):
            # « je m'appelle Josiane Trésor »: after a first name, a capitalised word is the
            # surname, whatever else it means
            surname = _SURNAME_WORD_AFTER_RE.match(text, end)
            if surname and _fold(surname.group(1)) not in _FUNCTION_WORDS | _STOP_FOLDED:
                end = surname.end()
        if end and not _is_public_name(text, m.end(), end):
            yield Flag(FlagKind.PERSON_NAME, m.end(), end)
    for m in _SELF_NAMED_RE.finditer(text):
        words = m.group("name").split()
        if len(words) == 1 and words[0][-1] in "éÉ":
            continue  # « je suis Handicapé. »: a participle
        if all(_introduced_name_word(w) for w in words) and not _is_public_name(
            text, m.start("name"), m.end("name")
        ):
            yield Flag(FlagKind.PERSON_NAME, m.start("name"), m.end("name"))  # « je suis Tiên, »
    for m in _QUOTED_NAME_RE.finditer(text):
        if _spelled_name(text, m):
            yield Flag(FlagKind.PERSON_NAME, m.start(1), m.end(1))
    for m in _SPELLED_LETTERS_RE.finditer(text):
        joined = _fold(m.group().replace(" ", ""))
        if _normal_form(joined) not in _abuse().kinds and not _abuse().aimed_only.fullmatch(joined):
            yield Flag(FlagKind.PERSON_NAME, m.start(), m.end())  # « F O N T A I N E », not « C O N S »
    for m in _CONTEMPT_OF_RE.finditer(text):
        # « cet abruti de Lacroix », « ce crétin de Vasseur »: an insult, then the name
        if _fold(m.group(1)) in _abuse().kinds or _abuse().aimed_only.fullmatch(_fold(m.group(1))):
            if not _not_a_name(m.group(2)) and not _is_public_name(text, m.start(2), m.end(2)):
                yield Flag(FlagKind.PERSON_NAME, m.start(2), m.end(2))
    for m in _AS_A_FIRST_NAME_RE.finditer(text):
        if _fold(m.group(1)) not in _STOP_FOLDED | _FUNCTION_WORDS:
            yield Flag(FlagKind.PERSON_NAME, m.start(1), m.end(1))  # « choisi Noël comme prénom »
    for m in _MARRIED_NAME_RE.finditer(text):
        if _fold(m.group(1)) in _STOP_FOLDED | _FUNCTION_WORDS or _not_a_name(m.group(1)):
            continue  # « Mon épouse Marie »: a word for a person, not a name before it
        end = _name_words_end(text, m.start(2), limit=2)
        if end and not _is_public_name(text, m.start(2), end):
            yield Flag(FlagKind.PERSON_NAME, m.start(2), end)
    for m in _FORM_LABEL_RE.finditer(text):
        end = _name_words_end(text, m.end(), joined=True)
        if end and _reads_as_a_name(text, m.end(), end):
            yield Flag(FlagKind.PERSON_NAME, m.end(), end)
    for m in _HOUSEHOLD_AFTER_RE.finditer(text):
        end = _name_words_end(text, m.start("names"), limit=2)
        if end and _NATIONALITY_PLURAL_RE.search(_fold(text[m.start("names") : end])):
            continue  # « nos amis les Anglais »
        if end and _reads_as_a_name(text, m.start("names"), end):
            yield Flag(FlagKind.PERSON_NAME, m.start("names"), end)
    for pattern in (_OTHER_NAME_RE, _HOUSEHOLD_RE):
        for m in pattern.finditer(text):
            if pattern is _HOUSEHOLD_RE and m.group()[0].isupper() and _WORD_BEFORE_RE.search(
                text, max(0, m.start() - 30), m.start()
            ) and not _is_sentence_start(text, m.start()):
                continue  # « Point Info Famille de … »: a word of an office's name
            end = _name_words_end(text, m.start("names"))
            if end and _reads_as_a_name(text, m.start("names"), end):
                yield Flag(FlagKind.PERSON_NAME, m.start(), end)


def _reads_as_a_name(text: str, start: int, end: int) -> bool:
    """Words after a label that are a name: not an office (« Bénéficiaire : Caisse
    d'Allocations »), not a common word (« Famille Nombreuse »), not a public name."""
    words = text[start:end].split()
    if _office_subject_re().search(_fold(words[0])):
        return False
    if not any(_is_first_name(w) for w in words) and _COMMON_WORD_ENDING_RE.search(_fold(words[-1])):
        return False
    return not _is_public_name(text, start, end)


# « NOM PRENOM 8, rue … » at the head of an envelope, « Adresse : NOM PRENOM Rue … »: words
# in capitals at a line's start or after a colon, right before a street.
_CAPITALS_BEFORE_STREET_RE = re.compile(
    rf"(?:^|\n|:)[ \t]*(?P<names>[{_UPPER}]{{2,}}(?:[-'’][{_UPPER}]{{2,}})?"
    rf"(?:[ \t]+[{_UPPER}]{{2,}}(?:[-'’][{_UPPER}]{{2,}})?){{1,2}})"
    rf"[ \t]*,?(?:[ \t]+|[ \t]*\n[ \t]*)"
    rf"(?={_STREET_NUMBER},?[ \t]+(?i:{_STREET_TYPES})[ \t]|(?i:{_STREET_TYPES})[ \t])"
)


def _capitals_before_a_street(text: str) -> Iterator[Flag]:
    for m in _CAPITALS_BEFORE_STREET_RE.finditer(text):
        words = m.group("names").split()
        if any(_is_a_word(w.title()) or _fold(w) in _name_lists()["places"]
               or _office_subject_re().search(_fold(w)) or _fold(w) in _name_lists()["acronyms"]
               for w in words):
            continue
        yield Flag(FlagKind.PERSON_NAME, m.start("names"), m.end("names"))


def _find_person_names(text: str) -> Iterator[Flag]:
    # Searching again one character further after a refusal finds "Monsieur Dupont"
    # in "Madame Monsieur Dupont".
    yield from _search_all(_PERSON_RE, text, _titled_flag)
    for pattern in _FULL_NAME_RES:
        yield from _search_all(pattern, text, _full_name_flag)
    yield from _first_name_flags(text)
    yield from _lower_case_first_names(text)
    yield from _lone_handle(text)
    yield from _cued_names(text)
    yield from _capitals_after_a_label(text)
    yield from _capitals_before_a_street(text)
    yield from _table_names(text)
    yield from _vietnamese_names(text)


# Vietnamese names: the family name first, then a middle name that marks the name (« Thi »,
# « Van »…), then the given name (« Nguyen Thi Mai », « Vo Van Hung »); or the given name
# of two words and an initial (« Ngoc Anh T. »). The commonest family names and middle names.
_VIET_FAMILY = (
    r"Nguy[eễ]n|Tr[aầ]n|L[eê]|Ph[aạ]m|Ho[aà]ng|Hu[yỳ]nh|Phan|V[uũ]|V[oõ]|[ĐD][aặ]ng|B[uù]i|[ĐD][oỗ]"
    r"|H[oồ]|Ng[oô]|D[uư][oơ]ng|L[yý]|Tr[uư][oơ]ng|[ĐD]inh|[ĐD]o[aà]n|L[aâ]m|L[uư][oơ]ng|Trinh|Cao|Mai|H[aà]"
)
_VIET_MIDDLE = (
    r"Th[iị]|V[aă]n|Ng[oọ]c|[ĐD][uứ]c|Minh|Thanh|Xu[aâ]n|H[oồ]ng|Kim|Qu[oố]c|H[uữ]u|Thu|B[aả]o|Gia|Tu[aấ]n"
)
# the family names that are no French word or place (not « Le », « Mai », « Ha »…)
_VIET_LONG_FAMILY = (
    r"Nguy[eễ]n|Tr[aầ]n|Ph[aạ]m|Ho[aà]ng|Hu[yỳ]nh|[ĐD][aặ]ng|Tr[uư][oơ]ng|D[uư][oơ]ng|L[uư][oơ]ng"
    r"|[ĐD]o[aà]n"
)
_VIET_SHORT_WORD = rf"[{_UPPER}][{_LOWER}]{{1,5}}"
_VIETNAMESE_NAME_RE = re.compile(
    rf"(?<![\w'’-])(?:(?:{_VIET_LONG_FAMILY})[ \t]+{_VIET_SHORT_WORD}[ \t]+{_VIET_SHORT_WORD}(?![\w'’-])"
    rf"|(?:{_VIET_FAMILY})[ \t]+(?:{_VIET_MIDDLE})(?:[ \t]+[{_UPPER}][{_LOWER}]+){{1,2}}"
    rf"|(?:{_VIET_MIDDLE})[ \t]+[{_UPPER}][{_LOWER}]+[ \t]+[{_UPPER}]\.)(?![\w'’-])"
)


def _vietnamese_names(text: str) -> Iterator[Flag]:
    for m in _VIETNAMESE_NAME_RE.finditer(text):
        if not _is_public_name(text, m.start(), m.end()):
            yield Flag(FlagKind.PERSON_NAME, m.start(), m.end())


# A row of a table pasted from a spreadsheet (« DUPUIS;Sylvie;0611223344 »): beside a cell
# that is a first name, a cell of one or two capitalised words is the surname.
_CELL_RE = re.compile(r"[^;\t|\n]+")


def _table_names(text: str) -> Iterator[Flag]:
    if ";" not in text and "\t" not in text:
        return
    header: list[str] = []
    for line in re.finditer(r"[^\n]+", text):
        if line.group().count(";") + line.group().count("\t") < 2:
            continue
        cells = [(m.start() + line.start(), m.group()) for m in _CELL_RE.finditer(line.group())]
        if not header:
            header = [_fold(c.strip()) for _, c in cells]
        firsts = {i for i, (_, c) in enumerate(cells) if _is_first_name(c.strip(), allow_word=False)}
        for i, (start, cell) in enumerate(cells):
            value = cell.strip()
            # the surname in capitals, or under a « nom » column
            surname = value.isupper() or (i < len(header) and header[i] in ("nom", "name", "surname"))
            named = i in firsts or (
                (i - 1 in firsts or i + 1 in firsts) and surname
                and re.fullmatch(rf"[{_UPPER}][\w'’-]+(?: [{_UPPER}][\w'’-]+)?", value)
                and not _is_a_word(value) and _fold(value) not in _name_lists()["places"]
            )
            if named:
                offset = start + cell.find(value)
                yield Flag(FlagKind.PERSON_NAME, offset, offset + len(value))


# A form written without colons, the name in capitals after its label (« Nom DUPRAT |
# Prénom … », « titulaire KONE SALIF », « SALARIE: LEGRAND PASCAL »).
_CAPITALS_LABEL_RE = re.compile(
    r"(?<![\w'’])(?i:nom|titulaire|salari[ée]e?|assur[ée]e?|patiente?|locataire|allocataire"
    r"|b[ée]n[ée]ficiaire|d[ée]funte?|employ[ée]e?|adh[ée]rente?|souscript(?:eur|rice)"
    r"|demandeur|demandeuse|conjointe?|propri[ée]taire|bailleur|bailleresse)"
    rf"\s*:?\s*(?=[{_UPPER}]{{2,}}(?![\w'’-]*[{_LOWER}]))"
)


def _capitals_after_a_label(text: str) -> Iterator[Flag]:
    for m in _CAPITALS_LABEL_RE.finditer(text):
        end = _name_words_end(text, m.end(), limit=3)
        words = text[m.end() : end].split() if end else []
        # One word alone after « nom » only: « adhérent MGEN » names a mutual insurer.
        alone_ok = len(words) >= 2 or m.group().lower().startswith("nom")
        if words and text[m.end() : end].isupper() and alone_ok \
                and _fold(words[0]) not in _FUNCTION_WORDS | _STOP_FOLDED \
                and not any(_not_a_name(w) for w in words) and _reads_as_a_name(text, m.end(), end):
            yield Flag(FlagKind.PERSON_NAME, m.end(), end)


def _repeated_full_names(text: str, flags: list[Flag]) -> list[Flag]:
    """A full name of two words or more written again in another case or without its
    accents (« LE VAN HAI » … « Le Van Hai »)."""
    folded = _fold(text)
    out: list[Flag] = []
    names = {
        _fold(text[f.start : f.end]) for f in flags
        if f.kind == FlagKind.PERSON_NAME and len(text[f.start : f.end].split()) >= 2
    }
    for name in names:
        name = _TITLE_AT_START_RE.sub("", name)
        if len(name) < 6 or len(name.split()) < 2:
            continue
        for start in _whole_word_occurrences(folded, name):
            end = start + len(name)
            if not any(
                (f.start <= start and end <= f.end)
                or (f.kind != FlagKind.PERSON_NAME and f.start < end and start < f.end)
                for f in flags
            ):  # parts of it found apart (« Pham », « Minh Tuan ») are joined into it
                out.append(Flag(FlagKind.PERSON_NAME, start, end))
    return out


def _whole_word_occurrences(haystack: str, needle: str) -> Iterator[int]:
    """Where `needle` stands in `haystack` with no word character, apostrophe or hyphen on
    either side. A plain search: a pattern per name would be compiled for each text, and
    would push the module's own patterns out of `re`'s cache."""
    def joined(i: int) -> bool:
        return 0 <= i < len(haystack) and (haystack[i].isalnum() or haystack[i] in "_'’-")

    at = haystack.find(needle)
    while at != -1:
        if not joined(at - 1) and not joined(at + len(needle)):
            yield at
        at = haystack.find(needle, at + 1)


_TITLE_AT_START_RE = re.compile(r"^(?:monsieur|madame|mademoiselle|mr|mme|mlle|m\.|dr|me)\s+")


def _repeated_names(text: str, flags: list[Flag]) -> list[Flag]:
    """A surname flagged once is a name wherever else the text writes it (« au nom de
    BENSAÏD Mohamed au lieu de BENSAID »), accents and case aside."""
    words = {
        _fold(w)
        for f in flags
        if f.kind == FlagKind.PERSON_NAME
        for w in re.findall(r"[^\W\d_][\w'’-]{2,}", text[f.start : f.end])
        if w[0].isupper() and not _TITLE_WORD_RE.fullmatch(w) and not _not_a_name(w)
    }
    if not words:
        return []
    taken = [(f.start, f.end) for f in flags]
    out = _repeated_full_names(text, flags)
    taken += [(f.start, f.end) for f in out]
    for m in _CAPITALISED_WORD_RE.finditer(text):
        if _fold(m.group()) in words and not any(a < m.end() and m.start() < b for a, b in taken):
            if _fold(m.group()) in _name_lists()["places"] or _PLACE_PREPOSITION_RE.search(
                text, max(0, m.start() - 6), m.start()
            ):
                continue  # « M. Paris … à Paris »: the town
            # « Cabinet Lenoir », « SARL Lefort »: a firm named after the person is no person.
            before = _WORD_BEFORE_RE.search(text, max(0, m.start() - 30), m.start())
            word = before.group(1) if before else ""
            if before and not (
                (_is_first_name(word, allow_word=False) and not word.isupper())
                or _TITLE_WORD_RE.fullmatch(word)
            ):
                continue
            out.append(Flag(FlagKind.PERSON_NAME, m.start(), m.end()))
    return out


# « Tiouka et pas Tiouca », « DIALLO, pas DJALLO »: the wrong spelling of a name just given.
_OTHER_SPELLING_RE = re.compile(
    r"[ \t]*,?[ \t]*(?i:et\s+)?(?i:pas|non|non\s+pas|au\s+lieu\s+de|et\s+non|mais)[ \t]+['\"«“‘]?[ \t]*"
    rf"([{_UPPER}][\w'’-]+)"
)


def _other_spellings(text: str, flags: list[Flag]) -> list[Flag]:
    out = []
    for flag in flags:
        m = _OTHER_SPELLING_RE.match(text, flag.end) if flag.kind == FlagKind.PERSON_NAME else None
        if not m or any(f.start < m.end(1) and m.start(1) < f.end for f in flags):
            continue
        last = _fold(text[flag.start : flag.end].split()[-1])
        other = _fold(m.group(1))
        if other != last and difflib.SequenceMatcher(None, last, other).ratio() >= 0.7:
            out.append(Flag(FlagKind.PERSON_NAME, m.start(1), m.end(1)))
    return out


_PLACE_PREPOSITION_RE = re.compile(r"(?<![\w'’])(?:à|a|en|vers|rue|avenue|place)\s+$", re.IGNORECASE)
_TITLE_WORD_RE = re.compile(r"(?i:monsieur|madame|mademoiselle|docteur|ma[iî]tre|mme|mlle|mr|dr|me|m)")


@cache
def name_model() -> Any:
    """The French spaCy pipeline reduced to its entity recogniser, loaded once."""
    import spacy  # imported here: only a process that screens text pays for it

    return spacy.load(
        NAME_MODEL,
        exclude=["parser", "lemmatizer", "attribute_ruler", "morphologizer", "senter"],
    )


@cache
def _french_words() -> tuple[frozenset[int], frozenset[str]]:
    """The word forms the French model's lemmatizer knows (about 217,000, kept as the hashes
    its table is keyed by) and its lemmas: the model's own tables, a maintained source,
    loaded once and only with the model."""
    import spacy.util
    from spacy.lookups import Lookups

    path = next(spacy.util.get_package_path(NAME_MODEL).glob("*/lemmatizer/lookups"))
    lookups = Lookups().from_disk(path)
    lemmas = frozenset(w for forms in lookups.get_table("lemma_index").values() for w in forms)
    return frozenset(lookups.get_table("lemma_lookup").keys()), lemmas


def _is_french_word(word: str) -> bool:
    from spacy.strings import get_string_id

    forms, lemmas = _french_words()
    word = word.lower()
    return get_string_id(word) in forms or word in lemmas


# « ma femme samia ferhat », « il s'appelle dylan fabre »: a first name in lower case that
# the rules found, followed by a word in lower case that is no French word, a particle
# allowed between (« hamid el ouardi »): that word is the surname.
_UNKNOWN_WORD_AFTER_RE = re.compile(
    rf"[ ](?:(?P<particle>el|ben|de|da|du|le|la|van|dos|di)[ ])?"
    rf"(?P<word>[{_LOWER}][{_LOWER}'’-]{{2,}})(?![\w'’-])"
)


_LOWER_FIRST_NAME_RE = re.compile(rf"(?<![\w'’.@-])[{_LOWER}][{_LOWER}-]{{2,}}(?![\w'’@-])")


def _lower_case_surnames(text: str, flags: list[Flag]) -> list[Flag]:
    """`flags` with their lower-case first names extended over such a surname; a first name
    that is no French word and that no rule found counts only with one (« mon ex kevin
    garnier »)."""
    taken = {i for f in flags for i in range(f.start, f.end)}
    unfound = [Flag(FlagKind.PERSON_NAME, m.start(), m.end())
               for m in _LOWER_FIRST_NAME_RE.finditer(text)
               if m.start() not in taken and len(m.group()) >= 4 and _fold(m.group()) in _common_first_names()
               and (_is_first_name(m.group(), allow_word=False) or _kin_before(text, m.start()))]
    out = [_with_surname(text, f, flags) or f for f in flags]
    figures = _name_lists()["public_figures"]
    for flag in unfound:
        longer = _with_surname(text, flag, flags)
        # « rue victor hugo », « le lycée victor hugo »: a public figure or a place's name
        if longer and longer.end - longer.start >= 9 \
                and _fold(text[longer.start : longer.end]) not in figures \
                and not _place_before_re().search(_unaccent(text[max(0, flag.start - 40) : flag.start])):
            out.append(longer)
    return sorted(out, key=lambda f: f.start)


def _kin_before(text: str, start: int) -> bool:
    """« mon mari joseph nkoulou »: after a word of kinship, a first name that is also a word
    (« joseph », « pierre ») is one when a surname follows."""
    return bool(_LOWER_KIN_CUE_RE.search(_fold(text[max(0, start - 40) : start])))


def _with_surname(text: str, flag: Flag, others: list[Flag]) -> Flag | None:
    name = text[flag.start : flag.end]
    if flag.kind != FlagKind.PERSON_NAME or not name.islower() or " " in name or not _is_first_name(name):
        return None
    after = _UNKNOWN_WORD_AFTER_RE.match(text, flag.end)
    if not after or any(o.start < after.end() and after.start() < o.end for o in others if o is not flag):
        return None
    word = after.group("word")
    folded = _fold(word)
    if folded in _FUNCTION_WORDS or folded in _STOP_FOLDED or _not_a_name(word) or _is_french_word(word) \
            or re.match(r"[ldjmnst]['’]", word):
        return None
    return Flag(flag.kind, flag.start, after.end(), flag.note)


def _speaks_of_a_person(text: str, start: int, end: int) -> bool:
    before = _fold(text[max(0, start - 40) : start])
    after = _fold(text[end : end + 40])
    return bool(_person_context_re().search(before) or _PERSON_AFTER_RE.search(after))


def _model_names(text: str, found: list[Flag]) -> list[Flag]:
    """Names the spaCy model tags PER where the words around speak of a person but no rule
    found a name (surnames the first-name list does not know: « le conseiller Tsiranana »,
    « C'est Rakotoarisoa qui m'a reçu »). Its labels are noisy on short French texts, so an
    entity counts only when it reads as a name: capitalised words that are neither a
    function nor a place. Only the sentences with such a word go through the model."""
    named = {i for f in found if f.kind == FlagKind.PERSON_NAME for i in range(f.start, f.end)}
    alone = _is_a_name_alone(text)
    candidates = [
        m.span()
        for m in _CAPITALISED_WORD_RE.finditer(text)
        if m.start() not in named
        and not m.group().isupper()
        and not _not_a_name(m.group())
        and (alone or _speaks_of_a_person(text, m.start(), m.end()))
    ]
    if not candidates:
        return []
    bounds = [0] + [b.end() for b in re.finditer(r"[.!?\n]+\s*", text)] + [len(text)]
    sentences = sorted({
        (a, b) for a, b in itertools.pairwise(bounds) for s, _ in candidates if a <= s < b
    })  # fmt: skip
    flags = []
    for (offset, _), doc in zip(
        sentences, name_model().pipe(text[a:b] for a, b in sentences), strict=True
    ):
        for ent in doc.ents:
            flag = _model_flag(text, offset, ent)
            if flag:
                flags.append(flag)
    return flags


def _is_a_name_alone(text: str) -> bool:
    """A field of two to four capitalised words and nothing else (« Pham Van Duc »): an
    author's name, if the model reads a person there."""
    words = text.split()
    return (
        2 <= len(words) <= 4
        and all(re.fullmatch(rf"[{_UPPER}][\w'’-]*", w) for w in words)
        and not any(_fold(w) in _name_lists()["title_words"] or _fold(w) in _name_lists()["acronyms"]
                    for w in words)
    )


def _model_flag(text: str, offset: int, ent: Any) -> Flag | None:
    if ent.label_ != "PER":
        return None
    tokens = [t for t in ent if not t.is_punct]
    if tokens and _fold(tokens[0].text) in _name_lists()["firm_words"]:
        return None  # « Cabinet Fiducial »: a firm
    # Leading words that are not part of a name (« Merci Aurélie », « Mon fils Lucas »).
    while tokens and (not tokens[0].text[:1].isupper() or _not_a_name(tokens[0].text)):
        tokens = tokens[1:]
    if not tokens or any(
        not t.text[:1].isupper() or t.text.isupper() or _not_a_name(t.text)
        or not re.fullmatch(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", t.text)
        for t in tokens
    ):
        return None
    start, end = offset + tokens[0].idx, offset + tokens[-1].idx + len(tokens[-1].text)
    if _is_public_name(text, start, end):
        return None
    if len(tokens) == 1 and not _is_first_name(tokens[0].text) and _COMMON_WORD_ENDING_RE.search(
        _fold(tokens[0].text)
    ):
        return None  # « le médecin Généraliste »
    if not _speaks_of_a_person(text, start, end) and not (_is_a_name_alone(text) and len(tokens) > 1):
        return None
    if len(tokens) == 1 and _town_not_a_person(text, start, end):
        return None
    if len(tokens) == 1 and _fold(tokens[0].text) in _name_lists()["places"] and not _is_first_name(
        tokens[0].text
    ):
        return None  # « URSSAF Limousin »: a region
    return Flag(FlagKind.PERSON_NAME, start, end)


_TOWN_LIST_BEFORE_RE = re.compile(r"([^\W\d_][\w'’-]*)[ \t]*,[ \t]*$")
_TOWN_LIST_AFTER_RE = re.compile(r"[ \t]*,[ \t]*([^\W\d_][\w'’-]*)")


def _town_not_a_person(text: str, start: int, end: int) -> bool:
    """A commune the model reads as a person (« Langeac »): a town, unless it is also a first
    name; then a town only among other towns (« Saint-Flour, Murat, Riom-ès-Montagnes »)."""
    if not _is_commune(text[start:end]):
        return False
    if not _is_first_name(text[start:end]):
        return True
    before = _TOWN_LIST_BEFORE_RE.search(text, max(0, start - 40), start)
    after = _TOWN_LIST_AFTER_RE.match(text, end)
    return any(m and _is_commune(m.group(1)) and not _is_first_name(m.group(1)) for m in (before, after))


# --- insults, vulgarity and threats


def _derived_forms(lemma: str) -> set[str]:
    """The lemma and its regular plural and feminine forms."""
    if " " in lemma or "-" in lemma:
        return {lemma}
    if lemma.endswith("eur"):
        return {lemma, lemma + "s", lemma[:-1] + "se", lemma[:-1] + "ses"}
    if lemma.endswith("eux"):
        return {lemma, lemma[:-1] + "se", lemma[:-1] + "ses"}
    if lemma.endswith("eau"):
        return {lemma, lemma + "x"}
    if lemma.endswith(("s", "x", "z")):
        return {lemma}
    if lemma.endswith("e"):
        return {lemma, lemma + "s"}
    forms = {lemma, lemma + "s", lemma + "e", lemma + "es"}
    if lemma.endswith("on"):  # bouffon -> bouffonne
        forms |= {lemma + "ne", lemma + "nes"}
    return forms


def parse_lexicon(lines: Iterable[str]) -> set[str]:
    """Every form of every lemma: "lemma" derives forms, "lemma = form, form" lists them."""
    forms: set[str] = set()
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        lemma, _, listed = line.partition("=")
        if listed.strip():
            forms |= {lemma.strip()} | {f.strip() for f in listed.split(",") if f.strip()}
        else:
            forms |= _derived_forms(lemma.strip())
    return forms


def compile_lexicon(forms: Iterable[str]) -> re.Pattern[str]:
    """One pattern over folded text; longest forms first so "fils de pute" beats "pute"."""
    return re.compile(r"(?<!\w)(?:" + _words_pattern(forms) + r")(?!\w)")


_PHONETIC_STEPS = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"ph", "f"), (r"ck|qu|q|c(?=[aouklrnt])|c$", "k"), (r"c(?=[eiy])", "s"), (r"h", ""),
        (r"y", "i"), (r"eau|au", "o"), (r"ai|ei", "e"), (r"z", "s"), (r"w", "v"),
        (r"(.)\1+", r"\1"), (r"(?:er|ez|et)$", "e"),
    )
)  # fmt: skip


@cache
def _phonetic(word: str) -> str:
    """A rough French sound key: « konar » and « connard » sound alike."""
    w = re.sub(r"[^a-z]", "", word)
    for pattern, replacement in _PHONETIC_STEPS:
        w = pattern.sub(replacement, w)
    # Silent endings: a final e, else final consonants (« connasse », « konas », « conard »).
    return w[:-1] if w.endswith("e") else re.sub(r"[dtsx]+$", "", w)


@dataclass(frozen=True)
class _Abuse:
    pattern: re.Pattern[str]  # insults and vulgar words
    kinds: dict[str, FlagKind]  # folded form -> kind
    phonetic: dict[str, FlagKind]  # sound key of a long form -> kind
    aimed_only: re.Pattern[str]
    aimed_as_group: frozenset[str]
    person_cue: re.Pattern[str]
    group_cue: re.Pattern[str]
    thing_after: re.Pattern[str]
    thing_before: re.Pattern[str]
    thing_subject: re.Pattern[str]
    weak_cue: re.Pattern[str]
    aimed_weakly: frozenset[str]
    person_noun_of: re.Pattern[str]
    beside_person_before: re.Pattern[str]
    beside_person_after: re.Pattern[str]
    of_an_office: re.Pattern[str]
    of_persons: re.Pattern[str]
    dirty_person: re.Pattern[str]
    threats: re.Pattern[str]
    threats_of_the_person_named: re.Pattern[str]
    last_person_or_thing: re.Pattern[str]
    weapons: re.Pattern[str]
    weapon_intent: re.Pattern[str]


def _normal_form(folded: str) -> str:
    return re.sub(r"[\s-]+", " ", folded)


@cache
def _abuse() -> _Abuse:
    insults = parse_lexicon(LEXICON_PATH.read_text(encoding="utf-8").splitlines())
    vulgar = parse_lexicon(VULGARITIES_PATH.read_text(encoding="utf-8").splitlines())
    kinds = {_normal_form(_fold(f)): FlagKind.VULGARITY for f in vulgar}
    kinds |= {_normal_form(_fold(f)): FlagKind.INSULT for f in insults}
    phonetic = {}
    for form, kind in kinds.items():
        key = _phonetic(form)
        if " " not in form and len(form) >= 5 and len(key) >= 5:
            phonetic.setdefault(key, kind)
    context = _abuse_context()
    things = _words_pattern(context.get("things", []))
    cues = "|".join(f"(?:{c})" for c in context.get("person_cues", []))
    group_cues = "|".join(f"(?:{c})" for c in context.get("group_cues", []))
    weak_cues = "|".join(f"(?:{c})" for c in context.get("weak_cues", []))
    persons = _words_pattern(context.get("person_nouns", []))
    offices = _words_pattern(_public_contacts().get("office_words", []))
    parts = context.get("threat_parts", {})
    return _Abuse(
        pattern=compile_lexicon(kinds),
        kinds=kinds,
        phonetic=phonetic,
        aimed_only=compile_lexicon(parse_lexicon(context.get("aimed_only", []))),
        aimed_as_group=frozenset(_normal_form(_fold(w)) for w in context.get("aimed_as_group", [])),
        person_cue=re.compile(rf"(?:^|(?<=\W))(?:{cues})$"),
        group_cue=re.compile(rf"(?:^|(?<=\W))(?:{group_cues})$"),
        thing_after=re.compile(
            rf"^\s+d(?:e\s+|')(?:ce\s+|cet\s+|cette\s+|ces\s+|mon\s+|ma\s+|mes\s+|son\s+"
            rf"|leur\s+|votre\s+|vos\s+)?(?:{things})\b"
        ),
        thing_before=re.compile(rf"\b(?:{things})\s+(?:de\s+|d')?$"),
        # « le répondeur est complètement idiot »: the clause speaks of a thing.
        thing_subject=re.compile(
            rf"\b(?:{things})\s+(?:est|etait|sont|etaient|reste|semble|parait|devient)\s+"
            rf"(?:[a-z']+\s+){{0,2}}$"
        ),
        weak_cue=re.compile(rf"(?:^|(?<=\W))(?:{weak_cues})$"),
        aimed_weakly=frozenset(_normal_form(_fold(w)) for w in context.get("aimed_weakly", [])),
        person_noun_of=re.compile(rf"\b(?:{persons})\s+(?:de\s+|d'|a\s+la\s+)$"),
        beside_person_before=re.compile(
            rf"\b(?:{persons})(?:\s+[\w']+){{0,3}}\s*,\s*(?:(?:un|une|des|ce|cet|cette|ces|l'|le|la"
            rf"|les)\s*)?(?:(?:{weak_cues}))?$"
        ),
        of_persons=re.compile(rf"\s+(?:de|d')\s*(?:{persons})\b"),
        dirty_person=re.compile(rf"\bsales?\s+(?:{persons}|bureaucrates?|gauchistes?|fachos?)\b"),
        # « Pourris de la MDPH », « ces incapables de la CAF »: the persons of an office.
        of_an_office=re.compile(
            rf"\s+(?:de\s+la|de\s+l'|du|des|d')\s*(?:{offices})\b"
        ),
        beside_person_after=re.compile(
            rf"(?:\s+[\w']+){{0,2}}\s*,\s*(?:ce|cet|cette|ces|le|la|les|l'|mon|ma|mes|votre|vos|notre|son|sa)\s*"
            rf"(?:{persons})\b"
        ),
        threats=re.compile("|".join(f"(?:{_with_parts(t, parts)})" for t in context.get("threats", []))),
        threats_of_the_person_named=re.compile("|".join(
            f"(?:{_with_parts(t, parts)})" for t in context.get("threats_of_the_person_named", [])
        ) or "(?!)"),
        last_person_or_thing=re.compile(
            rf"\b(?:(?P<person>{persons})|(?P<thing>{things}))\b(?!.*\b(?:{persons}|{things})\b)", re.DOTALL
        ),
        weapons=re.compile(rf"\b(?:{_words_pattern(context.get('weapons', []))})\b"),
        weapon_intent=re.compile(context.get("weapon_intent", "(?!)")),
    )


def _with_parts(pattern: str, parts: dict[str, str]) -> str:
    """`pattern` with each <name> of threat_parts replaced by its group."""
    return re.sub(r"<(\w+)>", lambda m: f"(?:{parts[m.group(1)]})", pattern)


def _abuse_kind(folded: str, start: int, end: int, kind: FlagKind) -> FlagKind:
    """An insult aimed at a thing is a vulgarity; a vulgar word aimed at a person, an insult."""
    abuse = _abuse()
    before = folded[max(0, start - 40) : start]
    if kind == FlagKind.INSULT:
        if _said_of_a_thing(folded, start, end):
            return FlagKind.VULGARITY
        return kind
    if abuse.person_cue.search(before) or abuse.person_noun_of.search(before):
        return FlagKind.INSULT
    return kind


def _said_of_a_thing(folded: str, start: int, end: int) -> bool:
    abuse = _abuse()
    before = folded[max(0, start - 40) : start]
    return bool(
        abuse.thing_after.search(folded[end : end + 40])
        or abuse.thing_before.search(before)
        or abuse.thing_subject.search(before)
    )


_DEMONSTRATIVE_BEFORE_RE = re.compile(r"\b(?:ce|cet|cette|ces|quel|quelle)\s+$")
_TITLED_AFTER_RE = re.compile(r"\s+d(?:e\s+|')(?:m|mr|mme|mlle|madame|monsieur|mademoiselle|dr|docteur)\b")


def _aimed_at_a_person(folded: str, start: int, end: int, form: str) -> bool:
    """A word of aimed_only insults when a cue aims it at a person: « espèce d'ordure »,
    « ces incompétents de la CAF », « un gros porc », « une vipère, cette secrétaire »."""
    abuse = _abuse()
    before = folded[max(0, start - 40) : start]
    if _said_of_a_thing(folded, start, end):
        return False
    if abuse.person_cue.search(before):
        return True
    if abuse.of_an_office.match(folded, end) and not re.search(r"\b(?:la|cette|une)\s+$", before):
        return True  # « ces rigolos de la préfecture », not « la merde de la CAF »
    if form in abuse.aimed_as_group and abuse.group_cue.search(before):
        return True
    if abuse.of_persons.match(folded, end):
        return True  # « ces parasites de fonctionnaires »
    if _DEMONSTRATIVE_BEFORE_RE.search(before) and _TITLED_AFTER_RE.match(folded, end):
        return True  # « ce clown de Mr Petitjean »
    if form in abuse.aimed_weakly and (
        abuse.weak_cue.search(before)
        or abuse.beside_person_before.search(before)
        or abuse.beside_person_after.match(folded, end)
    ):
        return True
    return False


_SPELLED_OUT_RE = re.compile(r"(?<![\w*])(?:[^\W_][.\-_* ]){2,}[^\W_](?![\w*])")
_STARRED_RE = re.compile(r"(?<![\w*])[\w@$]*\*[\w*@$]*(?![\w*])")
_WORD_RE = re.compile(r"[^\W\d_]{4,}")


def _find_abuse(text: str) -> Iterator[Flag]:
    # « vous n êtes qu une bande d escrocs »: elisions typed without their apostrophe.
    abuse, folded = _abuse(), _BARE_ELISION_RE.sub(r"\1'", _fold(text))
    found: list[Flag] = []
    for m in abuse.pattern.finditer(folded):
        kind = abuse.kinds.get(_normal_form(m.group()), FlagKind.INSULT)
        found.append(Flag(_abuse_kind(folded, m.start(), m.end(), kind), m.start(), m.end()))
    for m in abuse.aimed_only.finditer(folded):
        if _aimed_at_a_person(folded, m.start(), m.end(), _normal_form(m.group())):
            found.append(Flag(FlagKind.INSULT, m.start(), m.end()))
    # Dodged spellings: « c.o.n.n.a.r.d », « c*nnard », « konar ».
    for m in _SPELLED_OUT_RE.finditer(folded):
        joined = re.sub(r"[.\-_* ]", "", m.group())
        if joined in abuse.kinds:
            found.append(Flag(_abuse_kind(folded, m.start(), m.end(), abuse.kinds[joined]),
                              m.start(), m.end()))  # fmt: skip
    if "*" in text:
        for m in _STARRED_RE.finditer(folded):
            star = re.compile(
                re.sub(r"\\\*(?:\\\*)*", lambda s: f"[a-z]{{1,{s.group().count('*') + 1}}}",
                       re.escape(m.group()))  # fmt: skip
            )
            form = next((f for f in abuse.kinds if " " not in f and star.fullmatch(f)), None)
            if form and m.group().strip("*"):
                found.append(Flag(_abuse_kind(folded, m.start(), m.end(), abuse.kinds[form]),
                                  m.start(), m.end()))  # fmt: skip
    for m in _WORD_RE.finditer(folded):
        if m.group() in abuse.kinds:
            continue
        kind = abuse.phonetic.get(_phonetic(m.group()))
        if kind and text[m.start()].isupper() and not text[m.start() + 1 : m.end()].isupper() and (
            not _is_sentence_start(text, m.start())
        ):
            continue  # « les habitants de la Lozère »: a proper noun, not « loser » misspelt
        if kind:
            found.append(Flag(_abuse_kind(folded, m.start(), m.end(), kind), m.start(), m.end()))
    for m in abuse.dirty_person.finditer(folded):  # « sale fonctionnaire », « sales flics »
        found.append(Flag(FlagKind.INSULT, m.start(), m.end()))
    insults = [_whole_insult(folded, f) if f.kind == FlagKind.INSULT else f for f in found]
    yield from insults
    yield from _find_threats(text, folded, insults)


# Words around an insult that belong to it: « bande de fumiers », « sale raciste », « gros
# con », « abruti fini », « allez vous faire enculer ».
_INSULT_BEFORE_RE = re.compile(
    r"(?:(?:(?:une|cette|la|ces|des) )?(?:bandes?|especes?|tas|ramassis) d(?:e |')"
    r"|(?:sales?|gros(?:se|ses)?|petite?s?|pauvres?"
    r"|vieux|vieilles?|sacree?s?|vrai(?:e|s|es)?|grand(?:e|s|es)?) |(?:va te|allez vous|aller vous"
    r"|vas te|va vous|allez|va|vous|te|se) faire )+$"
)
_INSULT_AFTER_RE = re.compile(
    r"^(?: fini(?:e|s|es)?| de merde| de mes deux| pretentieux| pretentieuse| aigrie?s?)"
)


def _whole_insult(folded: str, flag: Flag) -> Flag:
    before = _INSULT_BEFORE_RE.search(folded, max(0, flag.start - 40), flag.start)
    after = _INSULT_AFTER_RE.match(folded[flag.end : flag.end + 20])
    start = before.start() if before else flag.start
    end = flag.end + (after.end() if after else 0)
    # « ces fainéants de fonctionnaires »: a group named by the insult, then by its persons
    persons = _abuse().of_persons.match(folded, end)
    if persons and not (folded[end - 1] in "sx" and persons.group()[-1] in "sx"):
        persons = None
    return Flag(flag.kind, start, persons.end() if persons else end, flag.note)


_SENTENCE_BOUNDARY_RE = re.compile(r"[.!?;\n]")


_FIGURATIVE_ARMS_RE = re.compile(
    r"\s+(?:de|d')\s*(?:patience|courage|bonne volonte|mes papiers|documents|papiers|justificatifs"
    r"|preuves|arguments)"
)


def _armed(folded: str) -> Iterator[re.Match[str]]:
    """A weapon named in a sentence where someone says he will act."""
    abuse = _abuse()
    for weapon in abuse.weapons.finditer(folded):
        if _FIGURATIVE_ARMS_RE.match(folded, weapon.end()):
            continue  # « armée de patience »
        starts = [b.end() for b in _SENTENCE_BOUNDARY_RE.finditer(folded, 0, weapon.start())]
        start = starts[-1] if starts else 0
        boundary = _SENTENCE_BOUNDARY_RE.search(folded, weapon.end())
        intent = abuse.weapon_intent.search(folded, start, boundary.start() if boundary else len(folded))
        if intent:
            yield intent if intent.start() < weapon.start() else weapon


def _threats_of_the_person_named(folded: str) -> Iterator[re.Match[str]]:
    """« Le mec au guichet … Jvais le retrouver »: « le » is the person last named before."""
    for m in _abuse().threats_of_the_person_named.finditer(folded):
        named = _abuse().last_person_or_thing.search(folded, max(0, m.start() - 150), m.start())
        if named and named.group("person"):
            yield m


_DIGIT_RE = re.compile(r"\d")


def _find_threats(text: str, folded: str, abuse: list[Flag]) -> Iterator[Flag]:
    """The whole sentence of a threat (« La prochaine fois je reviens avec une batte »),
    short of the insults in it, which keep their own flag."""
    for m in itertools.chain(_abuse().threats.finditer(folded), _armed(folded),
                             _threats_of_the_person_named(folded)):
        starts = [b.end() for b in _SENTENCE_BOUNDARY_RE.finditer(folded, 0, m.start())]
        start = starts[-1] if starts else 0
        # « si … au 7 chemin X, 30900 Nîmes, je vais … »: the clause after the numbers written
        # before it, which keep their own flags
        numbers = [d.end() for d in _DIGIT_RE.finditer(folded, start, m.start())]
        if numbers and (comma := folded.find(",", numbers[-1], m.start())) >= 0:
            start = comma + 1
        boundary = _SENTENCE_BOUNDARY_RE.search(folded, m.end())
        end = boundary.start() if boundary else len(text)
        # A vulgar word inside the clause is part of the threat (« foutre le feu »).
        for flag in (f for f in abuse if f.kind == FlagKind.INSULT):
            if start <= flag.start and flag.end <= m.start():
                start = flag.end
            if m.end() <= flag.start < end:
                end = flag.start
        while start < m.start() and not text[start].isalnum():
            start += 1
        while end > m.end() and not text[end - 1].isalnum():
            end -= 1
        yield Flag(FlagKind.THREAT, start, max(end, m.end()))
