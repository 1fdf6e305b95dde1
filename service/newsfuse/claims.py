"""What a sentence asserts, in comparable pieces: content terms, names, quantities, negation.

The support scorer (``support.py``) compares these between a claim and a source sentence:
whether the source covers the claim's words and names, whether their numbers agree (after
units and rounding: 2,500 km is 1,550 miles), and whether one of them negates or calls off
what the other asserts. Everything here is plain string work, deterministic and cheap.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

Dimension = Literal[
    "length", "duration", "age", "money", "percent", "count", "year", "time", "magnitude", "plain"
]

_TOKEN = re.compile(
    r"\$|%|\d{1,2}:\d{2}\b|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
    r"|[^\W\d_]+(?:['’][^\W\d_]+)?|[-–,;:()]",
    re.UNICODE,
)
_TERM = re.compile(r"[^\W\d_]{2,}|\d+(?:[.,]\d+)*", re.UNICODE)

STOPWORDS = frozenset(
    "about above after again against all also am an and any are as at be because been before"
    " being below between both but by can could did do does doing down during each few for from"
    " further had has have having he her here hers herself him himself his how if in into is it"
    " its itself just me more most my myself no nor not now of off on once only or other our"
    " ours out over own said same says she should so some such than that the their theirs them"
    " then there these they this those through to too under until up very was we were what when"
    " where which while who whom why will with would you your yours mr mrs ms one two new year"
    " years told say".split()
)

_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALE = {
    "dozen": 12, "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12
}  # fmt: skip
_FRACTION = {
    "half": 0.5, "third": 1 / 3, "thirds": 1 / 3, "quarter": 0.25, "quarters": 0.25,
    "fifth": 0.2, "fifths": 0.2,
}  # fmt: skip

# unit word -> (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[Dimension, float]] = {
    "km": ("length", 1.0), "kilometre": ("length", 1.0), "kilometres": ("length", 1.0),
    "kilometer": ("length", 1.0), "kilometers": ("length", 1.0), "mile": ("length", 1.609),
    "miles": ("length", 1.609), "mi": ("length", 1.609), "metre": ("length", 1e-3),
    "metres": ("length", 1e-3), "meter": ("length", 1e-3), "meters": ("length", 1e-3),
    "m": ("length", 1e-3), "feet": ("length", 3.048e-4), "foot": ("length", 3.048e-4),
    "ft": ("length", 3.048e-4), "yards": ("length", 9.144e-4),
    "second": ("duration", 1 / 60), "seconds": ("duration", 1 / 60),
    "minute": ("duration", 1.0), "minutes": ("duration", 1.0), "min": ("duration", 1.0),
    "hour": ("duration", 60.0), "hours": ("duration", 60.0), "hr": ("duration", 60.0),
    "day": ("duration", 1440.0), "days": ("duration", 1440.0),
    "week": ("duration", 10080.0), "weeks": ("duration", 10080.0),
    "month": ("duration", 43800.0), "months": ("duration", 43800.0),
    "year": ("duration", 525600.0), "years": ("duration", 525600.0),
    "percent": ("percent", 1.0), "per": ("percent", 1.0), "%": ("percent", 1.0),
    "dollars": ("money", 1.0), "dollar": ("money", 1.0), "$": ("money", 1.0),
    "euros": ("money", 1.1), "euro": ("money", 1.1), "pounds": ("money", 1.3),
    "magnitude": ("magnitude", 1.0), "degree": ("magnitude", 1.0),
}  # fmt: skip
_BASE_UNIT = {"length": "km", "duration": "min", "percent": "%", "money": "$", "age": "years old"}

_APPROX = (
    "about", "around", "nearly", "almost", "some", "roughly", "approximately", "estimated",
    "close to", "circa", "an estimated", "just over", "just under",
    # "a range of up to 2,500 km" states the range: it is the value, give or take.
    "up to",
)  # fmt: skip
_LOWER_BOUND = ("at least", "more than", "over", "upwards of", "in excess of", "exceeding")
_EXACT_TOLERANCE = 0.05
_APPROX_TOLERANCE = 0.12
_UPPER_BOUND = ("less than", "under", "fewer than", "at most", "no more than")
# Longest first: "no more than" is an upper bound, "just over" an approximation.
_BOUND_PHRASES = sorted(
    [(p, "min") for p in _LOWER_BOUND]
    + [(p, "max") for p in _UPPER_BOUND]
    + [(p, "approx") for p in _APPROX],
    key=lambda item: -len(item[0]),
)

_NEGATION = frozenset(
    "not no never n't without nobody none nothing neither nor cannot can't won't didn't doesn't"
    " don't isn't wasn't aren't weren't hasn't haven't hadn't couldn't wouldn't shouldn't".split()
)
_CALLED_OFF = re.compile(
    r"\b(cancel(?:l?ed|s|ling|lation)?|call(?:ed|s|ing)? off|scrap(?:ped|s|ping)?|"
    r"no longer|postpone[ds]?|postponing|abandon(?:ed|s)?|den(?:y|ied|ies)|reject(?:ed|s)?|"
    r"fail(?:ed|s)? to|ruled? out|suspend(?:ed|s)?|halt(?:ed|s)?|withdr[ae]w[ns]?)\b",
    re.IGNORECASE,
)
#: The narrow set of outcome words: the event itself is off (not "denied", "rejected").
_OUTCOME_OFF = re.compile(
    r"\b(cancel(?:l?ed|s|ling|lation)?|call(?:ed|s|ing)?(?: \w+){0,2} off|"
    r"scrap(?:ped|s|ping)?|no longer|postpone[ds]?|postponing|abandon(?:ed|s)?)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![\w'’])[A-Z][\w'’.-]*[\w]|\b[A-Z]{2,}\b", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number in a sentence with its dimension, in the dimension's base unit."""

    dimension: Dimension
    value: float
    text: str
    """The words as written, e.g. ``"around 1,600 kilometres"``."""
    start: int
    end: int
    bound: Literal["exact", "approx", "min", "max"] = "exact"
    noun: str = ""
    """For counts: the counted word ("people", "killed"), so 600 dead ≠ 600 injured. For
    shares: what they are a share of ("of child"), so "70 percent of the time" and "80
    percent of child seats" are not one figure."""

    @property
    def normalized(self) -> str:
        unit = _BASE_UNIT.get(self.dimension, "")
        value = f"{self.value:,.4g}" if self.value < 1e4 else f"{self.value:,.0f}"
        value = value.replace(",", "")
        if self.dimension == "count" and self.noun:
            unit = self.noun
        return f"{value} {unit}".strip()


@dataclass(frozen=True, slots=True)
class ClaimParts:
    """The comparable parts of one sentence."""

    terms: frozenset[str]
    """Content words, case folded and crudely stemmed."""
    lead_terms: tuple[str, ...]
    """The first content words, in order: where the main clause usually is."""
    bigrams: frozenset[tuple[str, str]]
    """Pairs of consecutive content words."""
    names: frozenset[str]
    """Capitalized words that are not the first word (people, places, organizations)."""
    quantities: tuple[Quantity, ...]
    negated: bool
    called_off: bool
    outcome_off: bool
    """Says the event is off: cancelled, called off, scrapped, postponed, no longer on."""
    words: int


def stem(word: str) -> str:
    """Strip plural and tense endings: enough to match "bombings" with "bombing"."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_terms(text: str) -> list[str]:
    """Content words of ``text`` in order (stop words dropped), case folded and stemmed."""
    return [stem(w) for w in _TERM.findall(text.casefold()) if w not in STOPWORDS]


def parse(text: str) -> ClaimParts:
    """Split a sentence into the parts the support scorer compares."""
    terms = content_terms(text)
    names = set()
    for m in _NAME.finditer(text):
        if m.start() == _first_word_start(text):
            continue
        word = m.group().strip(".'’").casefold()
        if word and word not in STOPWORDS:
            names.add(stem(word))
    lowered = f" {text.casefold()} "
    tokens = set(re.findall(r"[a-z']+", lowered.replace("’", "'")))
    negated = bool(tokens & _NEGATION) or "n't" in lowered
    return ClaimParts(
        terms=frozenset(terms),
        lead_terms=tuple(terms[:8]),
        bigrams=frozenset(zip(terms, terms[1:], strict=False)),
        names=frozenset(names),
        quantities=tuple(quantities(text)),
        negated=negated,
        called_off=bool(_CALLED_OFF.search(text)),
        outcome_off=bool(_OUTCOME_OFF.search(text)),
        words=len(text.split()),
    )


def _first_word_start(text: str) -> int:
    m = re.search(r"[^\W_]", text)
    return m.start() if m else -1


# --- quantities --------------------------------------------------------------------------------


def quantities(text: str) -> list[Quantity]:
    """Numbers of ``text`` with dimension, value in base units, bound and the words as written."""
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    out: list[Quantity] = []
    i = 0
    while i < len(tokens):
        parsed = _number_at(tokens, i)
        if parsed is None:
            i += 1
            continue
        value, j, numeric = parsed  # tokens[i:j] are the number
        start = tokens[i][1]
        bound, lead = _bound_before(text, start)
        q_start = start - lead
        if ":" in tokens[i][0]:
            value, k = _clock(tokens, j, value)
            dimension, factor, noun = "time", 1.0, ""
        else:
            dimension, factor, noun, k = _unit_after(tokens, j)
        if i > 0 and tokens[i - 1][0] == "$":
            dimension, factor, noun, q_start = "money", 1.0, "", tokens[i - 1][1] - lead
        if dimension == "plain" and (where := _place_after(tokens, j)) is not None:
            noun, k = where  # "four on the ground": four people, counted where they were
            dimension = "count"
        end = tokens[k - 1][2] if k > j else tokens[j - 1][2]
        if numeric and dimension in ("plain", "count") and _is_year(tokens[i][0], tokens, j):
            dimension, noun, k, end = "year", "", j, tokens[j - 1][2]
        elif numeric and _word(tokens, i - 1) in _MONTHS and value <= 31:
            # "the August 17 earthquake": a day of the month, not 17 earthquakes.
            dimension, noun, k, end = "day", "", j, tokens[j - 1][2]
        elif dimension == "plain" and numeric and _appositive_age(text, start, tokens[j - 1][2]):
            dimension = "age"
        elif dimension == "plain" and not numeric and value < 1 and _word(tokens, j) == "of":
            dimension, factor = "percent", 100.0  # "one-third of the cases"
        if dimension == "percent" and not noun:
            noun = _share_of(tokens, k)
        if dimension == "plain" and not numeric and value < 20:
            i = max(j, i + 1)
            continue  # "one of the", "a" ...: not a quantity anyone reports
        out.append(
            Quantity(
                dimension=dimension,
                value=value * factor,
                text=text[q_start:end],
                start=q_start,
                end=end,
                bound=bound,
                noun=noun,
            )
        )
        i = max(k, i + 1)
    return out


_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)


def _word(tokens: list[tuple[str, int, int]], k: int) -> str:
    return tokens[k][0].casefold() if 0 <= k < len(tokens) else ""


def _is_year(raw: str, tokens: list[tuple[str, int, int]], j: int) -> bool:
    """A four-digit 19xx/20xx number not followed by a lowercase counted word."""
    if not (len(raw) == 4 and raw.isdigit() and 1900 <= int(raw) <= 2100):
        return False
    following = tokens[j][0] if j < len(tokens) else ""
    return not (following.isalpha() and following.islower() and following not in STOPWORDS)


def _appositive_age(text: str, start: int, end: int) -> bool:
    """"Rudolph, 33, is charged": a small number between commas right after a name."""
    return bool(
        re.search(r"[A-Z][\w'’.-]*,\s*$", text[max(0, start - 40) : start])
        and re.match(r"\s*,", text[end:])
        and 0 < float(text[start:end]) < 120
    )


_NUMBER_WORDS = frozenset(_SMALL) | frozenset(_SCALE) | frozenset(_FRACTION)
_CONNECTORS = frozenset(("and", "-", "–", "a", "an"))


def _number_at(tokens: list[tuple[str, int, int]], i: int) -> tuple[float, int, bool] | None:
    """``(value, index after the number, written with digits)`` or None."""
    word = _word(tokens, i)
    if word[0].isdigit():
        try:
            if ":" in word:
                hours, minutes = word.split(":")
                return int(hours) * 60 + int(minutes), i + 1, True
            value = float(word.replace(",", ""))
        except ValueError:
            return None  # digits of another script ("፯"), "1:2:3": not a number read here
        j = i + 1
        if _word(tokens, j) in _SCALE:
            value *= _SCALE[_word(tokens, j)]
            j += 1
        return value, j, True
    # Number words: "two", "two and a half", "one-third", "a dozen", "three million".
    if (
        word in ("a", "an")
        and _word(tokens, i + 1) in _FRACTION
        and _word(tokens, i + 2) == "of"
        and _word(tokens, i + 3) not in ("a", "an")
    ):
        # "a quarter of the workers" is a share; "a quarter of an hour", "a third of a mile"
        # are not read (a share of one thing, rarely what outlets dispute).
        return _FRACTION[_word(tokens, i + 1)], i + 2, False
    if word in _CONNECTORS:
        return None  # "and two", "a dozen": the number starts at the next word
    parts: list[str] = []
    j = i
    while j < len(tokens):
        w = _word(tokens, j)
        if w in _NUMBER_WORDS and _continues(parts, w):
            parts.append(w)
            j += 1
            continue
        ahead = j
        while _word(tokens, ahead) in _CONNECTORS:
            ahead += 1
        joined = _word(tokens, ahead)
        if (
            w in _CONNECTORS
            and parts
            and joined in _NUMBER_WORDS
            # "two and a half", "three hundred and twenty", "twenty-five"; not "one and two"
            and (joined in _FRACTION or parts[-1] in _SCALE or w in ("-", "–"))
        ):
            parts.extend(_word(tokens, k) for k in range(j, ahead))
            j = ahead
            continue
        break
    if not parts:
        return None
    if parts[0] in _FRACTION and parts[0] != "half":
        return None  # "third" alone is an ordinal
    total = current = 0.0
    previous = ""
    for part in parts:
        if part in ("-", "–"):
            continue
        if part in _SMALL:
            current += _SMALL[part]
        elif part in _SCALE:
            total += max(current, 1) * _SCALE[part]
            current = 0
        elif part in _FRACTION:
            if current and previous not in ("a", "an", "and"):
                current *= _FRACTION[part]  # "one third", "two-thirds"
            else:
                current += _FRACTION[part]  # "two and a half", "a half"
        previous = part
    value = total + current
    if value == 0:
        return None
    return value, j, False


def _continues(parts: list[str], word: str) -> bool:
    """Whether number word ``word`` goes on the number ``parts`` began: "twenty six",
    "twenty-six", "three hundred", "two and a half"; not "two six" ("two six-year terms" is
    two terms of six years) nor "twenty thirty"."""
    last = next((p for p in reversed(parts) if p not in _CONNECTORS), None)
    if last in _SMALL and word in _SMALL:
        return _SMALL[last] >= 20 and _SMALL[last] % 10 == 0 and _SMALL[word] < 10
    return True


def _clock(tokens: list[tuple[str, int, int]], j: int, minutes: float) -> tuple[float, int]:
    """A clock time in minutes after midnight ("8:45 p.m." is 1245) and the index after it."""
    word, nxt = _word(tokens, j), _word(tokens, j + 1)
    if word in ("pm", "am") or (word in ("p", "a") and nxt == "m"):
        if word.startswith("p") and minutes < 12 * 60:
            minutes += 12 * 60
        return minutes, j + (2 if nxt == "m" and word in ("p", "a") else 1)
    return minutes, j


def _bound_before(text: str, start: int) -> tuple[Literal["exact", "approx", "min", "max"], int]:
    """The bound a number's preceding words give it, and how many characters they take."""
    before = text[max(0, start - 24) : start]
    stripped = before.rstrip().casefold()
    for phrase, bound in _BOUND_PHRASES:
        at = len(stripped) - len(phrase)
        if stripped.endswith(phrase) and (at == 0 or not stripped[at - 1].isalnum()):
            return bound, len(before) - at  # type: ignore[return-value]
    return "exact", 0


def _unit_after(tokens: list[tuple[str, int, int]], j: int) -> tuple[Dimension, float, str, int]:
    """The unit following a number: ``(dimension, factor, counted noun, index after it)``."""
    k = j
    if _word(tokens, k) in ("-", "–"):
        k += 1  # "two-hour", "10-year-old"
    word = _word(tokens, k)
    if not word:
        return "plain", 1.0, "", j
    if word in ("year", "years") and _word(tokens, k + 1) in ("-", "–"):
        if _word(tokens, k + 2) == "old":
            return "age", 1.0, "", k + 3
    if word in ("year", "years") and _word(tokens, k + 1) == "old":
        return "age", 1.0, "", k + 2
    if word == "per" and _word(tokens, k + 1) == "cent":
        return "percent", 1.0, "", k + 2
    if word in _UNITS and word != "per":
        dimension, factor = _UNITS[word]
        return dimension, factor, "", k + 1
    if k == j:
        # A counted thing: "600 people", "12 killed", "three Atlanta-area bombings".
        while k < len(tokens) and k < j + 5:
            raw = tokens[k][0]
            if raw in ("-", "–"):
                k += 2  # the second half of a hyphenated modifier
                continue
            if not raw.isalpha() or raw.casefold() in STOPWORDS:
                return "plain", 1.0, "", j
            if raw[0].isupper() or _word(tokens, k + 1) in ("-", "–"):
                k += 1
                continue
            if len(raw) > 2:
                return "count", 1.0, stem(raw.casefold()), k + 1
            break
    return "plain", 1.0, "", j


#: Words between "of" and what a share is a share of ("40 percent of all the votes").
#: "Of those receiving the drug", "of these": the thing is named elsewhere; such a share
#: does not say of what.
_SHARE_DETERMINERS = frozenset("the a an all its their his her our your each every".split())


#: Content words of the phrase after "of" that name what a share is a share of.
_SHARE_WORDS = 3


def _share_of(tokens: list[tuple[str, int, int]], k: int) -> str:
    """What a share ending before ``tokens[k]`` is a share of: "of " and the content words
    of the phrase after "of" ("of child seat" in "80 percent of child seats", up to
    ``_SHARE_WORDS``), or "" when no "of" follows ("prices rose 4 percent")."""
    if _word(tokens, k) != "of":
        return ""
    k += 1
    while _word(tokens, k) in _SHARE_DETERMINERS:
        k += 1
    words = []
    while k < len(tokens) and len(words) < _SHARE_WORDS:
        word = tokens[k][0]
        if not word.isalpha() or word.casefold() in STOPWORDS:
            break
        words.append(stem(word.casefold()))
        k += 1
    return f"of {' '.join(words)}" if words else ""


def _same_share(a: str, b: str) -> bool:
    """Whether two shares' ``noun`` may name one thing: either does not say ("") or their
    phrases share a word ("of the popular vote", "of the vote")."""
    return not a or not b or bool(set(a.split()[1:]) & set(b.split()[1:]))


# A number followed by where the counted ones were: "four on the ground", "two in prison".
_PLACE_PREPOSITIONS = frozenset(("on", "in", "at", "inside", "outside"))
_NOT_PLACES = frozenset(
    "morning afternoon evening night day week month year time times total all row turn part"
    " order case fact".split()
)


def _place_after(tokens: list[tuple[str, int, int]], j: int) -> tuple[str, int] | None:
    """``(place, index after it)`` when a bare number is followed by a place phrase.

    "five on the ground" and "four on the ground" count the same thing (people killed on the
    ground), so they can disagree; "one in five", "4 in the afternoon" are no place.
    """
    preposition = _word(tokens, j)
    if preposition == "aboard":
        return preposition, j + 1
    if preposition not in _PLACE_PREPOSITIONS:
        return None
    k = j + 1
    if _word(tokens, k) == "board":
        return "on board", k + 1
    if _word(tokens, k) in ("the", "a", "an"):
        k += 1
    word = tokens[k][0] if k < len(tokens) else ""
    if (
        not word.isalpha()
        or len(word) < 3
        or word[0].isupper()
        or word.casefold() in STOPWORDS
        or word.casefold() in _NOT_PLACES
        or _number_at(tokens, k) is not None
    ):
        return None
    return f"{preposition} {stem(word.casefold())}", k + 1


def compatible(a: Quantity, b: Quantity) -> bool | None:
    """Whether two quantities can report the same value: True, False, or None (incomparable).

    Incomparable: different dimensions or counted things, or shares of different things
    ("70 percent of the time", "80 percent of child seats": no word in common after "of";
    a share that does not say of what compares with any other). Rounding is tolerated: 5 % between
    exact values, 12 % when either is approximate ("about", "nearly", "up to"); a bound ("at
    least 600", "fewer than 20") accepts every value on its side (and another bound of the
    same direction).
    """
    if a.dimension != b.dimension or a.dimension == "plain":
        return None
    if a.dimension == "count" and a.noun != b.noun:
        return None
    if a.dimension == "percent" and not _same_share(a.noun, b.noun):
        return None
    if a.dimension in ("year", "day", "age", "time"):
        return math.isclose(a.value, b.value, abs_tol=0.01)
    slack = _APPROX_TOLERANCE if "approx" in (a.bound, b.bound) else _EXACT_TOLERANCE
    for x, y in ((a, b), (b, a)):
        if x.bound == "min":
            return y.bound == "min" or y.value >= x.value * (1 - slack)
        if x.bound == "max":
            return y.bound == "max" or y.value <= x.value * (1 + slack)
    hi = max(abs(a.value), abs(b.value))
    return hi == 0 or abs(a.value - b.value) / hi <= slack


def quantity_agreement(claim: ClaimParts, source: ClaimParts) -> tuple[float, float]:
    """``(share of the claim's quantities the source confirms, share it contradicts)``.

    A claim quantity is confirmed when the source has a compatible one, contradicted when the
    source has comparable ones (same dimension and counted thing, or shares of one thing)
    and none is compatible.
    """
    if not claim.quantities:
        return 1.0, 0.0
    confirmed = contradicted = 0
    for q in claim.quantities:
        verdicts = [compatible(q, s) for s in source.quantities]
        if any(v is True for v in verdicts):
            confirmed += 1
        elif any(v is False for v in verdicts):
            contradicted += 1
    n = len(claim.quantities)
    return confirmed / n, contradicted / n
