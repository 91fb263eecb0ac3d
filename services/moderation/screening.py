"""Automatic screening of an experience's text: personal data and insults.

Pure rules: the only I/O is reading the insult lexicon shipped with this package, once.
A flag is a hint for the moderator, who decides. Numbers are flagged only when their own
check proves what they are (NIR key, IBAN mod 97, Luhn), or when they have the shape of a
phone number, so amounts, dates, postal codes and file references stay unflagged.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import phonenumbers
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.fr import nir as std_nir

LEXICON_PATH = Path(__file__).parent / "insults_fr.txt"


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


@dataclass(frozen=True)
class Flag:
    kind: FlagKind
    start: int  # str offsets in the screened text, end exclusive
    end: int
    note: str | None = None  # e.g. "checksum_failed": a probable number whose key is wrong


def default_masks(flags: list[Flag]) -> list[Flag]:
    """The flags masked unless the moderator decides otherwise."""
    return [f for f in flags if FlagKind(f.kind) not in ADVISORY_KINDS]


def screen(text: str) -> list[Flag]:
    """Flags found in `text`, sorted by start, never overlapping."""
    candidates = [
        *_find_emails(text),
        *_find_phones(text),
        *_find_nirs(text),
        *_find_ibans(text),
        *_find_cards(text),
        *_find_addresses(text),
        *_find_person_names(text),
        *_find_insults(text),
    ]
    rank = {kind: i for i, kind in enumerate(PRIORITY)}
    candidates.sort(key=lambda f: (rank[f.kind], -(f.end - f.start), f.start))
    kept: list[Flag] = []
    for flag in candidates:
        if all(flag.end <= other.start or other.end <= flag.start for other in kept):
            kept.append(flag)
    return sorted(kept, key=lambda f: f.start)


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


# --- e-mails

# The local part and domain accept letters with accents (internationalised addresses);
# "(at)", "[at]", « arobase » and spaces around "@" are the usual ways of hiding an
# address from robots.
_AT = r"(?:\s?@\s?|\s?[(\[{]\s?(?:at|arobase|@)\s?[)\]}]\s?|\s(?:arobase|at)\s)"
_EMAIL_RE = re.compile(
    rf"(?<![\w.+'’-])[\w+-]+(?:[.'’][\w+-]+)*"
    rf"{_AT}"
    rf"[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{{2,}}(?![\w-])",
    re.IGNORECASE,
)
# An apostrophe may belong to the address (o'neil@…) or be a French elision before it
# (« l'adresse d'amelie@… »).
_ELISION_RE = re.compile(r"(?:[cdjlmnst]|qu)['’]", re.IGNORECASE)


def _find_emails(text: str) -> Iterator[Flag]:
    for m in _EMAIL_RE.finditer(text):
        elision = _ELISION_RE.match(m.group())
        yield Flag(FlagKind.EMAIL, m.start() + (elision.end() if elision else 0), m.end())


# --- phones

# phonenumbers misses numbers outside the allocated ranges it knows (and the ranges that
# ARCEP keeps for fiction) and slashes between pairs; a French shape is personal data all
# the same. One separator used throughout, so that "06/12/2024" is a date, not a phone.
_DIGIT_SEP = r"[ \u00a0\u202f.\-/]"
_PHONE_RE = re.compile(
    rf"""(?<![\w+(])
    (?:(?:\+33|0033|\(\+33\))[\s.\-]?(?:\(0\)\s?)?[1-9] | 0[1-9])
    (?P<sep>{_DIGIT_SEP}?)\d{{2}}(?:(?P=sep)\d{{2}}){{3}}
    (?!\d)""",
    re.VERBOSE,
)


def _find_phones(text: str) -> Iterator[Flag]:
    for match in phonenumbers.PhoneNumberMatcher(text, "FR", phonenumbers.Leniency.VALID):
        # Nobody writes a number digit by digit; a list of digits is no phone.
        if sum(len(g) == 1 for g in re.findall(r"\d+", match.raw_string)) <= 2:
            yield Flag(FlagKind.PHONE, match.start, match.end)
    for m in _PHONE_RE.finditer(text):
        yield Flag(FlagKind.PHONE, m.start(), m.end())


# --- numbers proven by a checksum

_NUMBER_SEP = "[ \u00a0\u202f.\\-]"


def _search_all(
    pattern: re.Pattern[str], text: str, accept: Callable[[re.Match[str]], tuple[int, int] | None]
) -> Iterator[tuple[int, int]]:
    """Spans accepted among the matches of `pattern`, retrying one character further on
    after a refused match, so that a refused run does not hide a valid one inside it."""
    position = 0
    while m := pattern.search(text, position):
        span = accept(m)
        if span:
            yield span
            position = span[1]
        else:
            position = m.start() + 1


def _group_prefixes(m: re.Match[str]) -> Iterator[tuple[int, int]]:
    """Spans from the start of the run to the end of each of its groups, longest first:
    a greedy run also takes what follows the number ("4970 1012 3456 7894 12/25")."""
    text, start = m.string, m.start()
    ends = [i for i in range(m.end(), start, -1) if i == m.end() or not text[i].isalnum()]
    for end in ends:
        if text[end - 1].isalnum():
            yield start, end


def _compact(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value)


# NIR: sex (1-2, 3-4 and 7-8 for temporary numbers), year, month, department (2A/2B for
# Corsica), commune, order, then the key that stdnum checks.
_NIR_RE = re.compile(rf"(?<!\w)[1-478](?:{_NUMBER_SEP}?[0-9ABab]){{14}}(?!\w)")


def _find_nirs(text: str) -> Iterator[Flag]:
    def accept(m: re.Match[str]) -> tuple[int, int] | None:
        return m.span() if std_nir.is_valid(_compact(m.group()).upper()) else None

    for start, end in _search_all(_NIR_RE, text, accept):
        yield Flag(FlagKind.NIR, start, end)


_IBAN_RE = re.compile(r"(?<!\w)[A-Za-z]{2}\d{2}[A-Za-z0-9]*(?:[ \u00a0\-][A-Za-z0-9]+){0,10}")


def _find_ibans(text: str) -> Iterator[Flag]:
    def accept(m: re.Match[str]) -> tuple[int, int] | None:
        for start, end in _group_prefixes(m):
            compact = _compact(text[start:end])
            if 15 <= len(compact) <= 34 and std_iban.is_valid(compact.upper()):
                return start, end
        return None

    for start, end in _search_all(_IBAN_RE, text, accept):
        yield Flag(FlagKind.IBAN, start, end)


# No dot between groups: "1.250.000" is an amount, never a card.
_CARD_RE = re.compile(r"(?<![\w.,])\d+(?:[ \u00a0\u202f\-]\d+){0,7}")


def _is_card_number(digits: str) -> bool:
    """Luhn passes one random number in ten, and every SIRET: ask also for a length that
    the issuer of the first digits uses. 14 digits (old Diners) is left out for SIRET."""
    length, first = len(digits), digits[0]
    if first == "4":
        plausible = length in (13, 16, 19)
    elif first == "2":
        plausible = length == 16 and 2221 <= int(digits[:4]) <= 2720
    elif first == "3":
        plausible = (length == 15 and digits[:2] in ("34", "37")) or (
            16 <= length <= 19 and digits[:2] in ("35", "36", "38")
        )
    elif first in "56":
        plausible = 16 <= length <= 19
    else:
        plausible = False
    return plausible and luhn.is_valid(digits)


def _find_cards(text: str) -> Iterator[Flag]:
    def accept(m: re.Match[str]) -> tuple[int, int] | None:
        for start, end in _group_prefixes(m):
            if _is_card_number(_compact(text[start:end])):
                return start, end
        return None

    for start, end in _search_all(_CARD_RE, text, accept):
        yield Flag(FlagKind.CARD, start, end)


# --- postal addresses

# Street types whose name may be written in lower case by usagers ("12 rue de la paix").
_STREET_TYPES = (
    r"rue|avenue|av|bd|bld|blvd|boulevard|all[ée]e|impasse|quai|chemin|faubourg|fbg|ruelle"
    r"|sentier|venelle|mont[ée]e|rond-point"
)
# Words that are also common nouns ("1 place de parking", "2 cours de français"): only
# with a capitalised name.
_AMBIGUOUS_STREET_TYPES = (
    r"place|pl|cours|route|rte|square|sq|r[ée]sidence|lotissement|lieu-dit|voie|passage"
    r"|cit[ée]|hameau|promenade|esplanade|parvis|villa|clos|domaine|traverse|chauss[ée]e"
)
_STREET_RE = re.compile(
    rf"""(?<![\w.,/])
    \d{{1,4}}(?:\s?(?:bis|ter|quater)\b|[A-Da-d]\b)?(?:\s?[-/]\s?\d{{1,4}})?
    ,?\s+
    (?:(?P<strict>{_STREET_TYPES})|(?P<ambiguous>{_AMBIGUOUS_STREET_TYPES}))\.?
    (?=\s)""",
    re.VERBOSE | re.IGNORECASE,
)
_TOKEN_RE = re.compile(r"(?:\s+|(?<=['’]))(?:(?P<elided>[dlDL]['’])|(?P<word>[\w-]+(?:['’]\w+)?))")
_NAME_PARTICLES = {"de", "du", "des", "la", "le", "les", "aux", "et"}
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
}  # fmt: skip
_POSTCODE_CITY_RE = re.compile(
    r",?\s*(?:-\s*)?\d{5}\s+(?:[A-ZÀ-Þ][\w'’-]*(?:\s+[A-ZÀ-Þ][\w'’-]*){0,2}|[a-zà-ÿ][\w-]*)"
)


def _street_name_end(text: str, position: int, lower_case_allowed: bool) -> int | None:
    """End of the street name that starts at `position`, or None when there is none."""
    end, words, previous, capitalised = None, 0, "", False
    while words < 6 and (m := _TOKEN_RE.match(text, position)):
        if m.group("elided"):
            previous, position = "elided", m.end()
            continue
        word = m.group("word")
        lower = word.lower()
        if lower in _NAME_PARTICLES and word.islower():
            previous, position = lower, m.end()
            continue
        if word.isdigit():
            # "rue du 8 Mai 1945", "avenue du 11 Novembre"
            accepted = len(word) <= 4 and (previous == "du" or previous in _MONTHS)
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


def _find_addresses(text: str) -> Iterator[Flag]:
    for m in _STREET_RE.finditer(text):
        end = _street_name_end(text, m.end(), lower_case_allowed=bool(m.group("strict")))
        if end is None:
            continue
        city = _POSTCODE_CITY_RE.match(text, end)
        if city and city.group().split()[-1].lower() not in _STOP_WORDS:
            end = city.end()
        yield Flag(FlagKind.ADDRESS, m.start(), end)


# --- named persons

_TITLE = (
    r"(?:(?i:monsieur|madame|mademoiselle|docteur|ma[iî]tre|professeur)"
    r"|(?i:mmes?|mlle|melle)\.?|M\.?|Mr\.?|Dr\.?|Pr\.?)"
)
_NAME_WORD = r"(?:[A-ZÀ-Þ][\w'’]*(?:-[A-ZÀ-Þ]?[\w'’]+)*|[A-Z]\.)"
_PERSON_RE = re.compile(
    rf"(?<![\w.])(?P<title>{_TITLE})\s+"
    rf"(?P<particle>(?:(?:de|du|des|van|von|di|da|le|la|Le|La|De|Du)\s+|[dD]['’]))?"
    rf"(?P<names>{_NAME_WORD}(?:[ ]{_NAME_WORD}){{0,2}})"
)
# Capitalised words after a title that are no one's name: functions, institutions, days.
_NOT_NAMES = {
    "directeur", "directrice", "préfet", "préfète", "sous-préfet", "sous-préfète", "maire",
    "ministre", "président", "présidente", "conseiller", "conseillère", "agent", "agente",
    "juge", "député", "députée", "sénateur", "sénatrice", "responsable", "chef", "cheffe",
    "inspecteur", "inspectrice", "contrôleur", "contrôleuse", "médecin", "commissaire",
    "procureur", "procureure", "défenseur", "défenseure", "délégué", "déléguée",
    "secrétaire", "gestionnaire", "receveur", "trésorier", "comptable", "adjoint", "adjointe",
    "monsieur", "madame", "mademoiselle", "messieurs", "mesdames", "docteur", "maître",
    "caf", "cpam", "msa", "urssaf", "cnav", "carsat", "dgfip", "ants", "mdph", "ccas", "cpf",
    "pôle", "france", "préfecture", "sécurité", "assurance", "impôts", "trésor", "la", "le",
    "les", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "bonjour", "merci", "cordialement", "je", "nous", "vous", "il", "elle", "ne", "si",
    "tout-le-monde",
} | _MONTHS  # fmt: skip


# "rue du Docteur Roux" names a street, not a person met at the counter.
_STREET_BEFORE_RE = re.compile(
    rf"\b(?:{_STREET_TYPES}|{_AMBIGUOUS_STREET_TYPES})\.?\s+(?:du|de\s+la|de|des)\s+$",
    re.IGNORECASE,
)


def _find_person_names(text: str) -> Iterator[Flag]:
    def accept(m: re.Match[str]) -> tuple[int, int] | None:
        kept = []
        for name in m.group("names").split(" "):
            if name.lower().rstrip(".") in _NOT_NAMES:
                break
            kept.append(name)
        if not kept or kept[-1].endswith("."):
            return None  # a function ("Madame la Directrice"), or an initial alone ("M. J.")
        if _STREET_BEFORE_RE.search(text, max(0, m.start() - 30), m.start()):
            return None
        return m.start(), m.start("names") + len(" ".join(kept))

    # Searching again one character further after a refusal finds "Monsieur Dupont"
    # in "Madame Monsieur Dupont".
    for start, end in _search_all(_PERSON_RE, text, accept):
        yield Flag(FlagKind.PERSON_NAME, start, end)


# --- insults

# Apostrophes as one; digits and signs that stand for letters to dodge filters ("c0nnard",
# "s@lope"). Lexicon forms are whole words, so a plain number never spells one.
_FOLD_TABLE = str.maketrans({"’": "'", "ʼ": "'", "0": "o", "1": "i", "3": "e", "@": "a", "$": "s"})


@cache
def _fold_char(char: str) -> str:
    """Lower case without accents, one character for one, so offsets stay valid."""
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    folded = base.lower().translate(_FOLD_TABLE)
    return folded if len(folded) == 1 else char


def _fold(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


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


def parse_lexicon(lines: list[str]) -> set[str]:
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


def compile_lexicon(forms: set[str]) -> re.Pattern[str]:
    """One pattern over folded text; longest forms first so "fils de pute" beats "pute"."""
    alternatives = []
    for form in sorted({_fold(f) for f in forms}, key=lambda f: (-len(f), f)):
        words = re.split(r"[\s-]+", form)
        alternatives.append(r"[\s-]+".join(re.escape(w) for w in words))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


@cache
def _insult_pattern() -> re.Pattern[str]:
    return compile_lexicon(parse_lexicon(LEXICON_PATH.read_text(encoding="utf-8").splitlines()))


def _find_insults(text: str) -> Iterator[Flag]:
    for m in _insult_pattern().finditer(_fold(text)):
        yield Flag(FlagKind.INSULT, m.start(), m.end())
