"""A normalised view of a text for the number detectors, with a map back to the text.

People type numbers in ways the digit patterns do not read: letters for digits inside the
groups (« O6 l2 »), numbers in words (« zéro six », « deux 48 … », « douze rue »), signs,
emojis or small words between the groups (« 07 15 😅 et après 33 », « 06 → 12 »). The view
rewrites those, and every character of the view remembers the span of the text it comes
from, so that a flag found on the view masks the characters as typed.

The rewrites are data-light on purpose: they only fire among digits (or before a street
word, for a number of a house), so that ordinary prose reads the same in both views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# --- numbers in words

_UNITS = {"zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5,
          "six": 6, "sept": 7, "huit": 8, "neuf": 9}  # fmt: skip
_TEENS = {"dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
          "seize": 16}  # fmt: skip
# Belgian and Swiss tens too (« septante », « nonante »).
_TENS = {"vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50,
         "soixante": 60, "septante": 70, "huitante": 80, "octante": 80, "nonante": 90}  # fmt: skip
# English, for the numbers dictated by or for a usager who does not write French.
_EN_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8,
             "nine": 9}  # fmt: skip
_EN_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
             "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}  # fmt: skip
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
            "seventy": 70, "eighty": 80, "ninety": 90}  # fmt: skip
_ALL_UNITS = {**_UNITS, **_EN_UNITS}
_NUMBER_WORD = (
    # « zer0 »: a digit typed inside the word
    r"double|triple|z[ée3]r[o0]|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze"
    r"|treize|quatorze|quinze|seize|vingts?|trente|quarante|cinquante|soixante|septante"
    r"|huitante|octante|nonante|cents?"
    r"|one|two|three|four|five|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    r"|sixteen|seventeen|eighteen|nineteen|twenty|thirty|fou?rty|fifty|sixty|seventy|eighty"
    r"|ninety"
)
# One number said in words: « quarante-sept », « soixante et onze », « quatre-vingt-dix ».
# What a speech recogniser writes for a number word (« si » for six, « cette » for sept,
# « vin » for vingt, « sans » for cent): read as that number only between number words of
# a phrase that holds four real ones (_phrases).
_HOMOPHONES = {"si": "six", "scie": "six", "cette": "sept", "set": "sept", "de": "deux",
               "vin": "vingt", "vain": "vingt", "dis": "dix", "oui": "huit", "sans": "cent",
               "sang": "cent", "saint": "cinq", "sein": "cinq", "cat": "quatre"}  # fmt: skip
_HOMOPHONE = "|".join(_HOMOPHONES)
_SPOKEN_RE = re.compile(
    rf"(?<![\w'’])(?:{_NUMBER_WORD})(?:(?:[\s-]+et[\s-]+|,?[\s-]+)(?:{_NUMBER_WORD}|{_HOMOPHONE}))*(?![\w'’])",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[\w'’]+")


@dataclass(frozen=True)
class _Said:
    start: int
    end: int
    phrase: str


def _phrases(text: str) -> list[_Said]:
    """The numbers said in words, a misheard word inside a long enough phrase included."""
    out = []
    for m in _SPOKEN_RE.finditer(text):
        words = list(_WORD_RE.finditer(m.group()))
        heard = [w.group().lower() in _HOMOPHONES for w in words]
        keep = len(words)
        while keep and heard[keep - 1]:
            keep -= 1  # never at the end (« trois de mes enfants »)
        if any(heard[:keep]) and keep - sum(heard[:keep]) < 4:
            keep = heard.index(True)  # too few real number words: up to the first misheard one
        end = m.start() + words[keep - 1].end()
        out.append(_Said(m.start(), end, text[m.start() : end]))
    return out
# Between two numbers said in words, what a dictation puts: signs, « tiret », « slash »…
# A run of such numbers is dictated as a whole when it holds six words or more.
_CHAIN_GAP_RE = re.compile(
    r"[\s,/|.;:\-–—]*(?:\b(?:tiret|slash|barre|virgule|point|puis|ensuite|espace|euh+|heu+|hum)\b[\s,/|.;:\-–—]*)?",
    re.IGNORECASE,
)
# A number in words stands for digits when digits or a street, a flat or a key are beside it.
_DIGITS_NEAR_BEFORE_RE = re.compile(r"\d[^\w\n]{0,3}$")
_DIGITS_NEAR_AFTER_RE = re.compile(r"[^\w\n]{0,3}\d")
_HOUSE_AFTER_RE = re.compile(
    r"\s*(?:bis\s+|ter\s+)?(?:rue|avenue|av\.?|bd|boulevard|chemin|all[ée]e|impasse|place|route"
    r"|quai|cours|square|r[ée]sidence|lotissement)\b",
    re.IGNORECASE,
)
_DETAIL_BEFORE_RE = re.compile(
    r"(?:appartement|appart|appt|app|apt|b[âa]timent|b[âa]t|[ée]tage|porte|escalier|esc|chambre"
    r"|studio|cl[ée]|logement|bo[iî]te)\.?\s*(?:n°\s*)?$",
    re.IGNORECASE,
)


def _below_hundred(words: list[str], i: int) -> tuple[int, int, bool] | None:
    """The number below a hundred said from words[i]: (value, next index, one digit said)."""
    word = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if word == "quatre" and nxt.startswith("vingt"):
        value, i = 80, i + 2
    elif word in _ALL_UNITS:
        return _ALL_UNITS[word], i + 1, True
    elif word in _TEENS:
        if word == "dix" and nxt in ("sept", "huit", "neuf"):
            return 10 + _UNITS[nxt], i + 2, False
        return _TEENS[word], i + 1, False
    elif word in _EN_TEENS:
        return _EN_TEENS[word], i + 1, False
    elif word in _EN_TENS:
        value = _EN_TENS[word]
        if nxt in _EN_UNITS or nxt == "six":
            return value + (_EN_UNITS.get(nxt) or 6), i + 2, False
        return value, i + 1, False
    elif word in _TENS:
        value, i = _TENS[word], i + 1
    else:
        return None
    if i < len(words) and words[i] == "et":
        i += 1
    rest = words[i] if i < len(words) else ""
    if rest in _TEENS and value in (60, 80):
        more = _TEENS[rest]
        i += 1
        if rest == "dix" and i < len(words) and words[i] in ("sept", "huit", "neuf"):
            more, i = 10 + _UNITS[words[i]], i + 1
        value += more
    elif rest in _UNITS and rest != "zero":
        value, i = value + _UNITS[rest], i + 1
    return value, i, False


def _value(words: list[str]) -> str | None:
    """The digits that words say, number by number: « zéro six » -> "06", « quarante sept »
    -> "47", « soixante dix huit » -> "78", « trois cent vingt-deux » -> "322", « forty
    four » -> "44"."""
    out, i = "", 0
    while i < len(words):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        # « double zéro », « triple six »: the next digit said two or three times
        if word in ("double", "triple") and nxt in _ALL_UNITS:
            out, i = out + str(_ALL_UNITS[nxt]) * (2 if word == "double" else 3), i + 2
            continue
        # hundreds: « cent dix-huit », « quatre cent sept »
        hundreds = 0
        if word in ("cent", "cents"):
            hundreds, i = 1, i + 1
        elif word in _UNITS and word not in ("zero", "un", "une") and nxt in ("cent", "cents"):
            hundreds, i = _UNITS[word], i + 2
        if hundreds:
            rest = _below_hundred(words, i) if i < len(words) else None
            # « cent zéro six »: a hundred then digits said one by one
            if rest and not (rest[2] and words[i] == "zero"):
                value, i = hundreds * 100 + rest[0], rest[1]
            else:
                value = hundreds * 100
            out += str(value)
            continue
        said = _below_hundred(words, i)
        if said is None:
            return None
        value, i, single = said
        out += str(value)
    return out


def _spoken_digits(phrase: str) -> str | None:
    folded = phrase.lower().replace("é", "e").replace("3", "e").replace("0", "o")
    words = [_HOMOPHONES.get(w, w) for w in re.split(r"[\s,-]+", folded) if w]
    return _value(words)


def _beside_digits(text: str, start: int, end: int) -> bool:
    return bool(
        _DIGITS_NEAR_BEFORE_RE.search(text, max(0, start - 4), start)
        or _DIGITS_NEAR_AFTER_RE.match(text, end)
        or _HOUSE_AFTER_RE.match(text, end)
        or _DETAIL_BEFORE_RE.search(text[max(0, start - 20) : start])
    )


# --- letters typed for digits, and what people put between the groups

# A short group of digits and the letters that look like them (O, o for 0; l, I for 1).
_GROUP_RE = re.compile(r"(?<![\w])[0-9OoIl]{1,4}(?![\w])")
LOOKALIKE_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1"})
_SHORT_GAP_RE = re.compile(r"[^\w\n]{1,3}")
_WORDS_NOT_DIGITS = frozenset({"Il", "il", "lo", "Lo", "Io", "ol", "OI", "l", "I", "o", "O"})
# Between two groups of digits: signs, emojis, arrows, and the small words of a dictation.
_GAP_RE = re.compile(
    r"(?:[^\w\n]|_){0,4}(?:\b(?:et\s+apr[eè]s|et\s+ensuite|ensuite|puis|apr[eè]s|et|suivi\s+de"
    # hesitations of a dictation (« 123 euh 456 »)
    r"|tiret|espace|euh+|heu+|hum|attendez|attends)\b(?:[^\w\n]|_){0,4})?",
    re.IGNORECASE,
)
_ODD_SIGN_RE = re.compile(r"[^\w\s.,;:!?'’\"«»()\[\]{}@&%€$+/*=<>#-]|[|→—–]")


_GLUED_ZERO_RE = re.compile(r"(?<![\w'’])z[ée]ro(?=\d)", re.IGNORECASE)
_LETTER_JOINED_RE = re.compile(r"(?<![\w])\d{2}(?:([xX])\d{2})(?:\1\d{2}){2,}(?![\w])")
# « 0six », « 0sept »: a digit typed, the next one said
_GLUED_UNIT_RE = re.compile(
    r"(?<=(?<![\w'’])\d)(deux|trois|quatre|cinq|six|sept|huit|neuf)(?![\w'’])", re.IGNORECASE
)
_PLUS_RE = re.compile(
    r"(?<![\w'’])plus\s*(?=(?:33|3\d\d|4\d|2\d\d)\b|trente[\s-]+trois\b|trois[\s-]+trois\b)",
    re.IGNORECASE,
)
# « 05 55 deux fois 7 12 40 »: a digit said twice (or thrice) between digits
_TIMES_RE = re.compile(r"(?<=\d)(\s+)(deux|trois)\s+fois\s+(\d)(?=\s+\d)", re.IGNORECASE)


@dataclass(frozen=True)
class View:
    """`text` rewritten, and for each of its characters the span of the original it reads."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]


Edit = tuple[int, int, str]  # start, end, replacement


def _edits(text: str) -> list[Edit]:
    """The parts of `text` to rewrite, not overlapping."""
    edits = [*_spoken_edits(text), *_lookalike_edits(text), *_spelled_code_edits(text)]
    # « plus 33 6 … » said for « +33 6 … », « zero6 … » typed for « 06 … »
    edits += [(m.start(), m.end(), "+") for m in _PLUS_RE.finditer(text)]
    edits += [(m.start(), m.end(), "0") for m in _GLUED_ZERO_RE.finditer(text)]
    edits += [(m.start(), m.end(), str(_UNITS[m.group().lower()])) for m in _GLUED_UNIT_RE.finditer(text)]
    edits += [(m.start(), m.end(), m.group(1) + m.group(3) * (2 if m.group(2).lower() == "deux" else 3))
              for m in _TIMES_RE.finditer(text)]
    # « 06x12x34x56x78 »: a letter typed between the pairs
    for run in _LETTER_JOINED_RE.finditer(text):
        edits += [(run.start() + i, run.start() + i + 1, " ")
                  for i, c in enumerate(run.group()) if c.isalpha()]
    edits = _without_overlaps(edits)
    edits += _gap_edits(text, edits)
    return _without_overlaps(edits)


def _spoken_edits(text: str) -> list[Edit]:
    said = [(m, digits) for m in _phrases(text) if (digits := _spoken_digits(m.phrase))]
    # Runs of numbers in words with dictation signs or words between them (« zéro six
    # tiret quarante tiret … », « zero six / vingt-deux / … »).
    runs: list[list[_Said]] = []
    for m, _ in said:
        if runs and _CHAIN_GAP_RE.fullmatch(text, runs[-1][-1].end, m.start):
            runs[-1].append(m)
        else:
            runs.append([m])
    run_words = {}
    for run in runs:
        words = sum(len(re.findall(r"\w+", r.phrase)) for r in run)
        run_words.update((m.start, words) for m in run)
    edits = []
    for m, digits in said:
        dictated = run_words[m.start] >= 6  # a whole number said in words
        # « un », « une » alone are articles, « double » an adjective, but for a first digit
        if m.phrase.lower() in ("un", "une", "double", "triple", "cent", "cents", "one"):
            near = bool(_DIGITS_NEAR_AFTER_RE.match(text, m.end))
        else:
            near = _beside_digits(text, m.start, m.end)
        # « douze rue des lilas soixante-neuf zéro zéro trois lyon »: a postal code said
        postcode = len(digits) == 5 and bool(_STREET_BEFORE_RE.search(text, max(0, m.start - 50), m.start))
        if dictated or near or postcode:
            edits.append((m.start, m.end, digits))
    return edits


_STREET_BEFORE_RE = re.compile(
    r"\b(?:rue|avenue|av|bd|boulevard|chemin|all[ée]e|impasse|place|route|quai|cours|square"
    r"|lotissement|r[ée]sidence|lieu-dit)\b[^\d\n.!?]{1,40}$",
    re.IGNORECASE,
)


# A code typed one sign at a time, letters first (« F R 7 6 3 0 0 0 … »): an IBAN spelled
# out, read whole. Digits alone are left as they are (« 0 1 2 3 … » is a list).
_SPELLED_CODE_RE = re.compile(r"(?<![\w])[A-Za-z] [A-Za-z](?: [0-9A-Za-z]){11,31} [0-9](?![\w])")


def _spelled_code_edits(text: str) -> list[Edit]:
    return [
        (m.start(), m.end(), m.group().replace(" ", ""))
        for m in _SPELLED_CODE_RE.finditer(text)
        if sum(c.isdigit() for c in m.group()) >= 10
    ]


def _lookalike_edits(text: str) -> list[Edit]:
    """« O6 », « l2 »: a digit inside and a group beside; « lO », « OO »: a digit group beside."""
    edits = []
    groups = list(_GROUP_RE.finditer(text))
    for i, m in enumerate(groups):
        value = m.group()
        if value.isdigit():
            continue
        if value in _WORDS_NOT_DIGITS:
            # « secu:l 8O 06 … »: a lone letter for a digit, first of a run of digit groups
            after = groups[i + 1 : i + 3]
            if not (value in ("l", "I") and len(after) == 2 and _close(text, m, after[0])
                    and _close(text, after[0], after[1])
                    and all(any(c.isdigit() for c in g.group()) for g in after)):
                continue
        beside = [g for g in groups[max(0, i - 1) : i + 2] if g is not m and _close(text, g, m)]
        has_digit = any(c.isdigit() for c in value)
        if (has_digit and beside) or any(any(c.isdigit() for c in g.group()) for g in beside):
            edits.append((m.start(), m.end(), value.translate(LOOKALIKE_DIGITS)))
    return edits


def _close(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
    return bool(_SHORT_GAP_RE.fullmatch(text, min(a.end(), b.end()), max(a.start(), b.start())))


def _gap_edits(text: str, edits: list[Edit]) -> list[Edit]:
    """A gap between two groups of digits made of odd signs or dictation words: one blank.
    Plain blanks and dots are left to the patterns that read them."""
    digit_at = {i for i, c in enumerate(text) if c.isdigit()}
    for start, end, replacement in edits:
        if replacement.isdigit():
            digit_at.update(range(start, end))
    out = []
    i = 0
    while i < len(text):
        if i not in digit_at or i + 1 >= len(text) or i + 1 in digit_at:
            i += 1
            continue
        j = _GAP_RE.match(text, i + 1).end()
        odd = _ODD_SIGN_RE.search(text, i + 1, j) or re.search(r"[a-z]", text[i + 1 : j], re.I)
        if j > i + 1 and j in digit_at and odd:
            out.append((i + 1, j, " "))
        i = max(j, i + 1)
    return out


def _without_overlaps(edits: list[Edit]) -> list[Edit]:
    kept: list[Edit] = []
    for edit in sorted(edits):
        if not kept or edit[0] >= kept[-1][1]:
            kept.append(edit)
    return kept


@lru_cache(maxsize=16)  # read by the number detectors and by the safety net
def normalised(text: str) -> View | None:
    """The view of `text` for the number detectors, or None when nothing is rewritten."""
    edits = _edits(text)
    if not edits:
        return None
    return _view(text, edits)


# --- an e-mail address dictated or spelled out

# A speech recogniser cuts « arobase » (« a robase », « à robaz », « arrow base »); people
# dictate the dots, hyphens and underscores as words, with commas where they pause, spell a
# name again letter by letter (« cheyroux, c h e y r o u x »), and the recogniser writes
# « point comme » for « point com ». The mail view writes those as the signs they stand
# for, so that the e-mail patterns read « michel.durand@wanadoo.fr ».
_MAIL_AT_RE = re.compile(
    r"[\s,]*(?<![\w'’])(?:(?:[aàh]{1,2}[\s-]?)?r{1,2}o[bp]{1,2}[ae][sz]{1,2}e?|arrow[\s-]?base"
    r"|[aà][\s-]?robe(?:[\s-]?ba[sz]e?)?"  # « à robe base », « à robe »
    r"|a[\s-]commercial|arob|arroba|chiocciola|at)(?![\w'’])[\s,]*",
    re.IGNORECASE,
)
_MAIL_SIGN_WORDS_RE = re.compile(
    r"[\s,]*(?<![\w'’])(?:(?P<under>tiret[\s-]+(?:bas|du[\s-]+bas|du[\s-]+(?:8|huit))|under[\s-]?score"
    r"|soulign[ée])|(?P<dash>tiret(?:[\s-]+du[\s-]+(?:6|six))?|trait[\s-]+d['’]\s?union)|(?P<dot>point|dot|punto|ponto|punkt))(?![\w'’])[\s,]*"
    # signs typed for a dot: « ines · haddad », « gmail • com »
    r"|\s*(?P<sign>[·•∙‧・])\s*",
    re.IGNORECASE,
)
# Letters spelled one by one: « c h e y r o u x », « d-u-m-a-s ».
_SPELLED_RE = re.compile(r"(?<![\w'’])[^\W\d_](?:(?:[ \-]|,[ ]?)[^\W\d_]){2,}(?![\w'’])")
_SPELLED_PAIR_RE = re.compile(r"(?<![\w'’])([^\W\d_])[ ]([^\W\d_])(?![\w'’])")
_SPOKEN_TLDS = {"comme": "com", "come": "com", "kom": "com", "f r": "fr", "effe erre": "fr",
                "nette": "net", "orgue": "org"}  # fmt: skip
_SPOKEN_TLD_RE = re.compile(r"(comme|come|kom|f r|effe erre|nette|orgue)(?![\w'’])", re.IGNORECASE)


# Without a word for "@", a dot said before a domain's end (« sophie_b chez orange, point
# fr »): the domain-anchored patterns may then read the view.
_SAID_DOMAIN_END_RE = re.compile(
    r"(?<![\w'’])(?:point|dot|punto|ponto)[\s,]+(?:fr|com|comme|net|org|be|ch|eu)(?![\w'’])|[·•∙‧・]",
    re.IGNORECASE,
)


# An address cut by a line break (« christophe.delaunay-\nmarchand@… », « …@gm\nail.com »),
# as printed on a letter and copied: the break between two of its characters is taken out.
_CUT_ADDRESS_RE = re.compile(r"(?<=[\w.@-])[ \t]*\r?\n[ \t]*(?=[\w.@])")


def joined_lines_view(text: str) -> View | None:
    """The view of `text` with the line breaks that cut an address taken out, or None."""
    if "@" not in text or "\n" not in text:
        return None
    edits = [(m.start(), m.end(), "") for m in _CUT_ADDRESS_RE.finditer(text)
             if _cuts_an_address(text[: m.start()].split()[-1], text[m.end() :].split()[0])]
    return _view(text, edits) if edits else None


def _cuts_an_address(before: str, after: str) -> bool:
    """The break is inside an address: after a sign that cannot end one, or inside a domain
    that has no dot yet (a line that ends a word before an address on the next is no cut)."""
    if before.endswith(("-", ".", "@", "_")) and "@" in before + after:
        return True
    if "@" in after and "@" not in before:
        # « c.hoare\nau@… »: a local part in lower case with its separator, cut before its end
        return bool(re.fullmatch(r"[a-z0-9]+(?:[._-][a-z0-9]+)+", before)) and after[:1].islower()
    if "@" not in before:
        return False
    domain = before.rsplit("@", 1)[1]
    # « …@dgfip.fin\nances.gouv.fr »: the domain goes on where no known end closed it
    return "." not in domain or bool(
        re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", after.rstrip(".,;:!?»)"))
        and not re.search(r"\.(?:fr|com|net|org|eu|be|ch|re|info|gouv\.fr)$", domain))


_TWO_WORD_DOMAIN_RE = re.compile(r"([^\W\d_]{2,})[ ]([^\W\d_]{2,})(?=[ ]+(?:point|dot)[ ]+[a-z]{2,4}\b)",
                                 re.IGNORECASE)


def mail_view(text: str) -> View | None:
    """The view of `text` for the e-mail patterns, or None without a word for "@"."""
    ats = list(_MAIL_AT_RE.finditer(text))
    if not ats and not _SAID_DOMAIN_END_RE.search(text):
        return None
    edits: list[Edit] = [(m.start(), m.end(), "@") for m in ats]
    # « … arobase france travail point fr »: a domain said in two words before its dot
    for at in ats:
        two = _TWO_WORD_DOMAIN_RE.match(text, at.end())
        if two:
            edits.append((two.end(1), two.start(2), ""))
    for m in _MAIL_SIGN_WORDS_RE.finditer(text):
        sign = "_" if m.group("under") else "-" if m.group("dash") else "."
        edits.append((m.start(), m.end(), sign))
        tld = _SPOKEN_TLD_RE.match(text, m.end()) if sign == "." else None
        if tld:
            edits.append((tld.start(), tld.end(), _SPOKEN_TLDS[tld.group(1).lower()]))
    # « thomas underscore girard quatre-vingt-sept arobase … »: a number said before the "@"
    # ends the local part, joined to it.
    at_starts = {a.start() for a in ats}
    sign_ends = {m.end() for m in _MAIL_SIGN_WORDS_RE.finditer(text)}
    sign_starts = at_starts | {m.start() for m in _MAIL_SIGN_WORDS_RE.finditer(text)}
    for m in _phrases(text):
        digits = _spoken_digits(m.phrase) if m.end in at_starts else None
        if digits:
            glued = m.start > 1 and text[m.start - 1] == " " and text[m.start - 2].isalnum()
            edits.append((m.start - glued, m.end, digits))
    for m in _SPELLED_RE.finditer(text):
        # « b e n a l i, à robase »: the « à » of the "@" is no spelled letter
        end = min([m.end(), *(a.start() for a in ats if m.start() < a.start() < m.end())])
        run = text[m.start() : end].rstrip(" ,-")
        letters = re.sub(r"[ ,\-]", "", run)
        if len(letters) < 3:
            continue
        # A word spelled again after it (« cheyroux, c h e y r o u x »): the spelling is
        # part of the word, not a second one.
        before = re.search(r"([^\W\d_]+)[\s,:]*$", text[max(0, m.start() - 40) : m.start()])
        if before and before.group(1).lower() == letters.lower():
            edits.append((m.start() - len(before.group()) + len(before.group(1)), m.start() + len(run), ""))
        else:
            edits.append((m.start(), m.start() + len(run), letters))
    # two letters spelled between two signs said (« h a m z a point d z at g m a i l »)
    for end in sign_ends:
        pair = _SPELLED_PAIR_RE.match(text, end)
        if pair and pair.end() in sign_starts:
            edits.append((pair.start(), pair.end(), pair.group(1) + pair.group(2)))
    return _view(text, _without_overlaps(edits))


def _view(text: str, edits: list[Edit]) -> View:
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for start, end, replacement in edits:
        parts.append(text[position:start])
        starts += range(position, start)
        ends += range(position + 1, start + 1)
        parts.append(replacement)
        starts += [start] * len(replacement)
        ends += [end] * len(replacement)
        position = end
    parts.append(text[position:])
    starts += range(position, len(text))
    ends += range(position + 1, len(text) + 1)
    return View("".join(parts), tuple(starts), tuple(ends))
