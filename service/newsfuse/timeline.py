"""Time in news text: find time expressions, resolve them, date undated documents.

Pure functions over strings and dates (no models, no gRPC):

* :func:`find_dates` finds every time expression of a sentence ("October 16", "in 1993",
  "on Monday", "last week", "two days ago", ...) with its span, and resolves it against the
  document's date (the *anchor*) to a calendar day or a range of days.
* :func:`event_date` gives the day a sentence's main event happened, for ordering facts.
* :func:`infer_document_date` dates an undated document from the dates it mentions and from
  events that dated documents of its cluster report.
* :func:`parse_date` reads a date from front matter or a header line (used by ingest).

Conventions, the ones news writing follows (AP style):

* The tense of an expression's clause is read from the nearest tense cue before it in the
  sentence ("said on Monday", "will arrive next Thursday"), or, for a time that opens the
  sentence, the first one after it ("On Sunday, Trump said"). Cues inside a quotation only
  count for times inside it.
* A bare weekday ("on Monday", "Monday", "Thursday evening", "Tuesday's statement") is the
  most recent such day on or before the anchor (0-6 days back) when its clause is in the
  past tense or has no tense cue, and the next such day on or after the anchor (0-6 days on)
  when the clause has a future cue ("will", "is due", "is set to", "is expected to",
  "plans to", "scheduled", "upcoming", "would", "was to"). "last Monday" is 1-7 days back,
  "next Monday" 1-7 days on, "since Monday" always back. "every Friday", "a Monday",
  "Monday evenings", "Black Friday", "the Sunday Times" are no dates.
* A day or month without a year ("on 15 August", "in September") takes the year that puts it
  on or before the anchor for a past clause, on or after it for a future clause ("will",
  not "would"). Without a tense cue, or naming an event ("the March 26 election"), it is the
  past one when that began at most :data:`_UNTENSED_PAST_DAYS` days before the anchor, else
  the next one.
* Weeks run Monday to Sunday. "this/last/next week|month|year" are calendar periods;
  "earlier this week" runs from the period's first day to the anchor, "later this week" from
  the anchor to its last day.
* "a day earlier", "the previous day", "two days later" count from the nearest other
  day-granular time in the same sentence; without one they are not resolved (the reference
  is in another sentence, and guessing the anchor is wrong as often as right).
* Relative expressions inside direct quotations are found and resolved but marked
  ``quoted``: the speaker's "tomorrow" counts from when they spoke, not from the document's
  date, so :func:`event_date`, :func:`date_mentions` and the inference skip them.
* Without an anchor (``anchor=None``) only expressions that carry their own year resolve
  ("16 October 2025", "2025-10-16", "in 1993", "in September 2025"); everything relative to
  the document's date, and days or months without a year, are left out.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from newsfuse.types import DateMention, ParsedDocument

TimeKind = Literal["explicit", "relative"]
Granularity = Literal["day", "week", "month", "year"]
Tense = Literal["past", "future"]

MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
"""Month names and abbreviations, lower case, to month numbers."""

WEEKDAYS: dict[str, int] = {
    name: number
    for number, name in enumerate(
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    )
}
"""Weekday names, lower case, to ``date.weekday()`` numbers (Monday is 0)."""


@dataclass(frozen=True, slots=True)
class ResolvedTime:
    """A time expression found in a text and resolved to a day or a range of days."""

    text: str
    """The words as written, e.g. ``"on Thursday"``, ``"last week"``, ``"Oct. 16"``."""
    start: int
    end: int
    """Code-point range of ``text`` in the searched text."""
    kind: TimeKind
    """``explicit`` names its calendar date itself (a year may come from the anchor);
    ``relative`` counts from the anchor or from another time in the sentence."""
    granularity: Granularity
    first: dt.date
    last: dt.date
    """The range of days the expression covers (inclusive); equal for ``day``."""
    tense: Tense | None = None
    """The tense of the clause, as used to resolve a weekday or a day without a year."""
    quoted: bool = False
    """Inside a direct quotation."""

    @property
    def date(self) -> dt.date | None:
        """The day, for day granularity; ``None`` for a week, month or year."""
        return self.first if self.granularity == "day" else None

    def mention(self) -> DateMention:
        """This time as a :class:`~newsfuse.types.DateMention` (its first day)."""
        return DateMention(text=self.text, start=self.start, end=self.end, date=self.first)


@dataclass(frozen=True, slots=True)
class DatedSentence:
    """A sentence of a dated document of the cluster, as evidence for undated ones."""

    text: str
    date: dt.date
    """The date of the document the sentence comes from."""
    document: int = -1
    """Index of that document in the request (for the evidence record)."""
    index: int = -1
    """Body-sentence index of the sentence in that document."""


EvidenceKind = Literal["explicit", "relative", "event"]


@dataclass(frozen=True, slots=True)
class DateEvidence:
    """One reason for (or against) a document date: the dates it allows."""

    kind: EvidenceKind
    """``explicit``: the document reports a dated past event, so it was written on or after
    it. ``relative``: a relative time in the document ("last week", "on Friday") refers to an
    event that a dated sentence dates. ``event``: the document tells as past an event that a
    dated document tells as upcoming (or the other way round), without a time to match."""
    sentence: int
    """Index of the undated document's sentence (in the sequence given)."""
    mention: str
    """The time words of that sentence used ("last week"); ``""`` for ``event`` evidence."""
    earliest: dt.date | None
    latest: dt.date | None
    """The document dates this evidence allows (``None``: unbounded on that side)."""
    source: tuple[int, int] | None = None
    """``(document, index)`` of the dated sentence matched, for ``relative``/``event``."""
    event: dt.date | None = None
    """The matched event's date (its first day), for ``relative``/``event``."""

    def allows(self, day: dt.date) -> bool:
        """Whether a document dated ``day`` agrees with this evidence."""
        return (self.earliest is None or self.earliest <= day) and (
            self.latest is None or day <= self.latest
        )


@dataclass(frozen=True, slots=True)
class InferredDate:
    """The inferred date of an undated document and the evidence behind it."""

    date: dt.date
    """The date that agrees with the most evidence; among those, the one nearest to the
    cluster's dated reports (for a later report: the earliest)."""
    earliest: dt.date
    latest: dt.date | None
    """The range of dates agreeing with all of ``evidence`` (``latest`` may be open)."""
    evidence: tuple[DateEvidence, ...]
    """The evidence ``date`` agrees with."""
    contradicted: tuple[DateEvidence, ...] = ()
    """Evidence found but outvoted (a wrong match, a misread tense)."""


# --- explicit dates ------------------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_MDY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b")


def parse_date(value: object) -> dt.date | None:
    """Parse a date from front matter or a header line; ``None`` if it is not one.

    Takes a ``date``/``datetime`` (YAML gives those) or a string holding ``2025-10-17``,
    ``16 October 2025`` or ``Oct. 16, 2025`` somewhere in it.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if m := _ISO.search(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.search(text):
            month = MONTHS.get(m[2].lower())
            if month:
                return dt.date(int(m[3]), month, int(m[1]))
        if m := _MDY.search(text):
            month = MONTHS.get(m[1].lower())
            if month:
                return dt.date(int(m[3]), month, int(m[2]))
    except ValueError:
        return None
    return None


# --- patterns -----------------------------------------------------------------------------------

_FULL_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
# Abbreviations only where a day number follows, so "Jan" the name or "Mar" stay out.
_ANY_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Jan\.?|Feb\.?|Mar\.|Apr\.?|Jun\.|Jul\.|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[6-9]\d\d|20\d\d)"
# Not a day or year when a number goes on ("May 5,000", "in 2000-odd") or a unit follows.
_NUMBER_GOES_ON = r"(?![\d%]|,\d|\.\d|[-–]\d{3})"
_YEAR_ENDS = r"(?![\d%]|,\d|\.\d|[-–/]\d)"
_NOT_AMOUNT = (
    r"(?!\s+(?:people|persons|men|women|children|troops|soldiers|km|kilometres|kilometers"
    r"|miles|metres|meters|feet|tons|tonnes|dollars|euros|pounds|votes|cases|units)\b)"
)

_EXPLICIT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")),
    (
        "mdy",
        re.compile(
            rf"(?:\b(?P<wd>{_WEEKDAY}),?\s+)?\b(?P<mon>{_ANY_MONTH})\s+"
            rf"(?P<d>{_DAY})\b{_NUMBER_GOES_ON}(?:,?\s+(?P<y>{_YEAR})\b{_YEAR_ENDS})?"
        ),
    ),
    (
        "dmy",
        re.compile(
            rf"(?:\b(?P<wd>{_WEEKDAY}),?\s+)?(?<![\d,.])\b"
            rf"(?:the\s+(?=\d{{1,2}}(?:st|nd|rd|th)))?(?P<d>{_DAY})(?:\s+of)?\s+"
            rf"(?P<mon>{_ANY_MONTH})(?![\w])(?:,?\s+(?P<y>{_YEAR})\b{_YEAR_ENDS})?"
        ),
    ),
    (
        "month_year",
        re.compile(
            rf"(?:\b(?P<part>early|mid|late)[- ])?\b(?P<mon>{_FULL_MONTH}|Sept\.)\s+"
            rf"(?:of\s+)?(?P<y>{_YEAR})\b{_YEAR_ENDS}"
        ),
    ),
    (
        "month",
        re.compile(
            rf"\b(?P<prep>[Ii]n|[Ss]ince|[Uu]ntil|[Tt]ill|[Bb]y|[Dd]uring|[Ff]rom|[Tt]hrough"
            rf"|[Bb]efore|[Aa]fter|[Ll]ast|[Nn]ext|[Tt]his|[Ee]arly|[Ll]ate)\s+"
            rf"(?:(?P<part>early|mid|late)[- ])?(?P<mon>{_FULL_MONTH})\b(?!['’]s)"
            rf"|\b(?P<part2>[Mm]id)-(?P<mon2>{_FULL_MONTH})\b"
        ),
    ),
    (
        "year",
        re.compile(
            rf"\b(?P<prep>[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Dd]uring|[Ff]rom|[Bb]efore|[Aa]fter"
            rf"|[Ee]arly|[Ll]ate|[Mm]id-?)\s*(?<=[\s-])(?P<y>{_YEAR})\b{_YEAR_ENDS}"
            rf"{_NOT_AMOUNT}(?!['’]?s\b)"
        ),
    ),
)

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_COUNT = r"(?i:an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})"

_RELATIVE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "deictic",
        re.compile(
            r"\b(?P<w>[Tt]oday|[Tt]onight|[Yy]esterday|[Tt]omorrow|[Ll]ast night"
            r"|[Tt]his (?:morning|afternoon|evening))\b"
        ),
    ),
    (
        "period",
        re.compile(
            r"(?<!\bthe )(?<!\bThe )\b(?:(?P<part>[Ee]arlier|[Ll]ater)\s+)?"
            r"(?P<shift>[Tt]his|[Ll]ast|[Nn]ext)\s+(?P<unit>week|month|year|weekend)\b(?!s\b)"
        ),
    ),
    ("weekend", re.compile(r"\b(?:at|over|during)\s+the\s+weekend\b")),
    (
        "ago",
        re.compile(rf"\b(?P<n>{_COUNT})\s+(?P<unit>day|week|month|year)s?\s+ago\b", re.I),
    ),
    (
        "ref_days",
        re.compile(
            rf"\b(?i:(?P<n>{_COUNT})\s+days?\s+(?:(?P<dir>earlier|later)|(?P<prep>before|after))"
            r"|the\s+(?P<dir2>previous|next|following)\s+day"
            r"|the\s+day\s+(?P<prep2>before|after))\b"
        ),
    ),
    (
        "weekday",
        re.compile(
            rf"\b(?:(?P<mod>[Ll]ast|[Nn]ext|[Tt]his|[Ss]ince|[Oo]n|[Ee]arly|[Ll]ate)\s+)?"
            rf"(?P<wd>{_WEEKDAY})(?:['’]s)?\b"
            r"(?:\s+(?:morning|afternoon|evening|night))?(?!\w)"
        ),
    ),
)

# Named days and proper names built on a weekday: never a date of this week.
_WEEKDAY_NAME_BEFORE = frozenset(
    "black good bloody super easter palm ash cyber maundy holy whit shrove giving fat man girl"
    " low trinity mothering manic blue lazy any given".split()
)
_WEEKDAY_NAME_AFTER = frozenset(
    "times telegraph mirror express post herald tribune independent mail people sport star"
    " world night morning show club school service magazine review edition journal bloody"
    " weld league football special prayer prayers mass sermon".split()
)
# "the March 26 election", "Clinton's June 25-26 visit": a date naming an event, whose
# clause's tense says nothing about it.
_ATTRIBUTIVE_BEFORE = re.compile(
    r"(?:\b(?:[Aa]n?|[Tt]he|[Tt]his|[Tt]hat|[Ii]ts|[Hh]is|[Hh]er|[Tt]heir)|['’]s?)\s+$"
)
_OF_ANOTHER_YEAR = re.compile(r"\s+of\s+(?:that|the\s+same|the\s+following|the\s+previous)\s+year")
_NEWSPAPER_ON_SUNDAY = re.compile(r"\b(?:Mail|Independent|Observer)\s+on\s+$")

# --- tense cues ----------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_FUTURE_WORDS = frozenset(
    "will shall won't must should upcoming forthcoming tomorrow ahead starting beginning"
    " effective".split()
)
_FUTURE_AFTER_BE = frozenset(
    "due set scheduled expected slated likely going about poised planned to".split()
)
_NEEDS_TO = frozenset("set going about likely poised planned".split())
_FUTURE_BEFORE_TO = frozenset("plans plan planning intends intend aims aim hopes".split())
_PRESENT_BE = frozenset("is are am be 's 're".split())
_PAST_BE = frozenset("was were".split())
_PAST_IRREGULAR = frozenset(
    "said told was were had did met spoke went came made took gave held left saw got wrote"
    " began broke brought bought thought felt found kept paid sent won lost struck fell rose ran"
    " sat stood led became drew flew grew knew heard understood chose threw spent built fought"
    " caught taught sold shot hung swore woke wore tore drove rode froze stole sang sank swam"
    " fled bled fed ago earlier yesterday previously already last recently".split()
)
_PARTICIPLE_IRREGULAR = frozenset(
    "been met said told made taken given held left seen spoken written gone come done begun"
    " broken brought found kept lost paid sent shown won thrown chosen fallen risen struck put"
    " set cut become drawn flown grown known thought felt heard led run stood understood spent"
    " built fought caught sold shot".split()
)
_NOT_PAST_ED = frozenset(
    "need indeed speed proceed succeed exceed feed seed bed red shed hundred united"
    " sacred naked wicked alleged advanced limited detailed supposed armed married concerned"
    " interested related based planned scheduled ed fred ted".split()
)
_DETERMINERS = frozenset("a an the its his her their this that these those our my your".split())
_BE_FORMS = frozenset("be being is are am was were".split())


@dataclass(frozen=True, slots=True)
class _Token:
    word: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Cue:
    tense: Tense
    start: int
    end: int
    in_past: bool = False
    """A future seen from the past ("was due to", "would"), for the sentence's tense."""


@dataclass(frozen=True, slots=True)
class _Expression:
    """A time expression found in a sentence, not yet resolved."""

    rule: str
    start: int
    end: int
    kind: TimeKind
    tense: Tense | None
    in_past: bool
    """The tense cue is a future seen from the past ("was to", "would")."""
    quoted: bool
    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    modifier: str | None = None
    """"last", "next", "this", "since", "on" (what the expression counts from)."""
    part: str | None = None
    """"early", "mid", "late" of a month; "earlier", "later" of a period."""
    unit: str | None = None
    count: int = 0


def _tokens(text: str) -> list[_Token]:
    return [
        _Token(m.group().lower().replace("’", "'"), m.start(), m.end())
        for m in _TOKEN.finditer(text)
    ]


def _cues(tokens: Sequence[_Token]) -> list[_Cue]:
    """Tense cues: future (present or seen from the past) and past forms."""
    cues: list[_Cue] = []
    for i, tok in enumerate(tokens):
        word = tok.word
        prev = tokens[i - 1].word if i else ""
        nxt = tokens[i + 1].word if i + 1 < len(tokens) else ""
        prev_be = prev in _PRESENT_BE or prev.endswith(("'s", "'re")) or prev in _PAST_BE
        if word in _FUTURE_WORDS or word.endswith("'ll"):
            cues.append(_Cue("future", tok.start, tok.end))
        elif word == "would":
            cues.append(_Cue("future", tok.start, tok.end, in_past=True))
        elif (
            word in _FUTURE_AFTER_BE
            and prev_be
            and (word not in _NEEDS_TO or nxt == "to" or (word == "set" and nxt == "for"))
        ):
            cues.append(_Cue("future", tokens[i - 1].start, tok.end, prev in _PAST_BE))
        elif word in _FUTURE_BEFORE_TO and nxt == "to":
            cues.append(_Cue("future", tok.start, tok.end))
        elif word == "planned" and nxt == "to":
            cues.append(_Cue("future", tok.start, tok.end, in_past=True))
        elif word in ("has", "have", "had") and (
            nxt in _PARTICIPLE_IRREGULAR or (nxt.endswith("ed") and nxt not in _NOT_PAST_ED)
        ):
            cues.append(_Cue("past", tok.start, tokens[i + 1].end))
        elif word in _PAST_IRREGULAR:
            if word in _PAST_BE and nxt in _FUTURE_AFTER_BE:
                continue  # "was due to": a future seen from the past, cued with the next word
            if prev in _BE_FORMS:
                continue  # "will be held": a passive participle, not a past
            cues.append(_Cue("past", tok.start, tok.end))
        elif (
            len(word) > 3
            and word.endswith("ed")
            and word not in _NOT_PAST_ED
            and prev not in _DETERMINERS
            and prev not in _BE_FORMS  # "to be discussed" is a passive, not a past
            and prev not in ("has", "have", "had")
        ):
            cues.append(_Cue("past", tok.start, tok.end))
    return cues


def _quoted_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges inside direct quotations (a quote open at the start counts).

    Double marks (“ ” " and the newswire ``...'') and single marks (‘ ’) are tracked apart,
    so a ‘quote’ inside a “quote” nests; a right single mark with no left one is an
    apostrophe ("the leaders’ statement").
    """
    ranges: list[tuple[int, int]] = []
    open_double: int | None = None
    open_single: int | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        pair = text[i : i + 2]
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        opens_like_backticks = (
            pair == "''" and before.isspace() and text[i + 2 : i + 3].isalnum()
        )  # newswire text sometimes opens with '' too
        if pair == "``" or (opens_like_backticks and open_double is None):
            open_double = i if open_double is None else open_double
            i += 2
            continue
        if pair == "''":
            ranges.append((0 if open_double is None else open_double, i + 2))
            open_double = None
            i += 2
            continue
        if ch == "“" or (
            ch == '"' and open_double is None and (before.isspace() or before in "([—–-")
        ):
            open_double = i if open_double is None else open_double
        elif ch in '”"':
            ranges.append((0 if open_double is None else open_double, i + 1))
            open_double = None
        elif ch == "‘" and not before.isalnum():
            open_single = i if open_single is None else open_single
        elif ch == "’" and open_single is not None and not after.isalnum():
            ranges.append((open_single, i + 1))
            open_single = None
        i += 1
    for opened in (open_double, open_single):
        if opened is not None:
            ranges.append((opened, len(text)))
    return ranges


def _in_ranges(pos: int, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in ranges)


def _nearest_cue(
    start: int, end: int, cues: Sequence[_Cue], quotes: Sequence[tuple[int, int]]
) -> _Cue | None:
    """The tense cue governing ``[start, end)``, in the same quotation state.

    The nearest cue before it ("said on Monday", "will arrive next Thursday"); for a time
    that opens its sentence and has none before it, the nearest after it ("On Sunday,
    Trump said").
    """
    inside = _in_ranges(start, quotes)
    before: _Cue | None = None
    after: _Cue | None = None
    for cue in cues:
        if cue.start < end and cue.end > start:
            continue  # the expression's own words ("last", "next", "tomorrow")
        if _in_ranges(cue.start, quotes) != inside:
            continue
        if cue.end <= start:
            before = cue  # cues come in text order: the last one before is the nearest
        elif after is None:
            after = cue
    return before or after


def _sentence_cues(text: str) -> set[tuple[Tense, bool]]:
    """The kinds of tense cue outside quotations: ``(tense, seen from the past)``."""
    quotes = _quoted_ranges(text)
    return {(c.tense, c.in_past) for c in _cues(_tokens(text)) if not _in_ranges(c.start, quotes)}


def sentence_tense(text: str) -> Tense | None:
    """The tense a sentence tells its event in, from cues outside quotations.

    ``future`` when it has a plain future cue ("will", "is due to", "said he plans to"),
    ``past`` when it has past cues and none of those, ``None`` when it has neither or only a
    future seen from the past ("was to", "would"), which does not say whether it happened.
    """
    kinds = _sentence_cues(text)
    if ("future", False) in kinds:
        return "future"
    if ("future", True) in kinds:
        return None
    return "past" if ("past", False) in kinds else None


def _pure_tense(text: str) -> Tense | None:
    """The tense of a sentence with cues of one tense only; ``None`` if mixed or none."""
    tenses = {tense for tense, _ in _sentence_cues(text)}
    return tenses.pop() if len(tenses) == 1 else None


# --- finding -------------------------------------------------------------------------------------


def _scan(text: str) -> list[_Expression]:
    """Every time expression of ``text``, unresolved, in text order, without overlaps."""
    tokens = _tokens(text)
    cues = _cues(tokens)
    quotes = _quoted_ranges(text)
    found: list[_Expression] = []

    def add(
        rule: str, m: re.Match[str], kind: TimeKind, untensed: bool = False, **fields: object
    ) -> None:
        start, end = m.start(), m.end()
        cue = None if untensed else _nearest_cue(start, end, cues, quotes)
        tense = cue.tense if cue else None
        in_past = bool(cue and cue.in_past)
        quoted = _in_ranges(start, quotes)
        found.append(_Expression(rule, start, end, kind, tense, in_past, quoted, **fields))  # type: ignore[arg-type]

    for rule, pattern in _EXPLICIT_PATTERNS:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            if rule == "iso":
                add(rule, m, "explicit", year=int(m["y"]), month=int(m["m"]), day=int(m["d"]))
                continue
            mon_text = groups.get("mon") or groups.get("mon2")
            month = MONTHS.get(mon_text.rstrip(".").lower()) if mon_text else None
            if mon_text and month is None:
                continue
            year = int(m["y"]) if groups.get("y") else None
            if rule in ("mdy", "dmy"):
                if rule == "mdy" and mon_text == "May" and not year and _is_may_name(text, m):
                    continue
                day = int(m["d"].rstrip("stndrh"))
                attributive = _ATTRIBUTIVE_BEFORE.search(text[: m.start()]) and re.match(
                    r"(?:[-–]\d{1,2})?\s+[a-z]", text[m.end() :]
                )
                add(rule, m, "explicit", year=year, month=month, day=day,
                    untensed=bool(attributive))  # fmt: skip
            elif rule == "month_year":
                add(rule, m, "explicit", year=year, month=month, part=_lower(groups["part"]))
            elif rule == "month":
                if _OF_ANOTHER_YEAR.match(text, m.end()):
                    continue  # "in December of that year": the year is in another sentence
                prep = _lower(groups.get("prep"))
                if mon_text == "May" and prep == "by":
                    continue  # "written by May"
                part = _lower(groups.get("part") or groups.get("part2"))
                if prep in ("early", "late"):
                    part = prep
                modifier = prep if prep in ("last", "next", "this", "since") else None
                add(rule, m, "explicit", month=month, modifier=modifier, part=part)
            elif rule == "year":
                add(rule, m, "explicit", year=year, modifier=_lower(groups["prep"]))
    explicit = _without_overlaps(found)

    found = []
    for rule, pattern in _RELATIVE_PATTERNS:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            if rule == "deictic":
                word = m["w"].lower()
                if m["w"][0].isupper() and not _sentence_initial(text, m.start()):
                    continue  # "USA Today", "the Today programme", "The Tonight Show"
                if re.match(r"(?:['’]s)?\s+[Ss]how\b", text[m.end() :]):
                    continue
                offset = {"yesterday": -1, "tomorrow": 1, "last night": -1}.get(word, 0)
                add(rule, m, "relative", count=offset)
            elif rule == "period":
                shift = m["shift"].lower()
                add(rule, m, "relative", unit=m["unit"], modifier=shift,
                    count={"last": -1, "this": 0, "next": 1}[shift],
                    part=_lower(groups["part"]))  # fmt: skip
            elif rule == "weekend":
                add(rule, m, "relative", unit="weekend")
            elif rule == "ago":
                add(rule, m, "relative", unit=m["unit"].lower(), count=_count(m["n"]))
            elif rule == "ref_days":
                if (groups["prep"] or groups["prep2"]) and re.match(r"\s*\w", text[m.end() :]):
                    continue  # "a day before the summit": from an event, not from a time
                direction = (
                    groups["dir"] or groups["dir2"] or groups["prep"] or groups["prep2"]
                ).lower()
                sign = -1 if direction in ("earlier", "before", "previous") else 1
                add(rule, m, "relative", count=sign * _count(groups["n"] or "one"))
            elif rule == "weekday":
                if _weekday_is_name(text, m):
                    continue
                add(rule, m, "relative", weekday=WEEKDAYS[m["wd"].lower()],
                    modifier=_lower(groups["mod"]))  # fmt: skip
    relative = [e for e in _without_overlaps(found) if not any(_overlap(e, x) for x in explicit)]
    return sorted(explicit + relative, key=lambda e: e.start)


def _overlap(a: _Expression, b: _Expression) -> bool:
    return a.start < b.end and b.start < a.end


_RULE_ORDER = {"iso": 0, "mdy": 0, "dmy": 0, "month_year": 1, "month": 2, "year": 3}


def _without_overlaps(found: Sequence[_Expression]) -> list[_Expression]:
    """Finer rules first ("May 1" over "from May"), then the longest; overlaps go."""
    kept: list[_Expression] = []
    order = sorted(found, key=lambda e: (_RULE_ORDER.get(e.rule, 0), -(e.end - e.start), e.start))
    for expr in order:
        if not any(_overlap(expr, k) for k in kept):
            kept.append(expr)
    return kept


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def _count(word: str) -> int:
    word = word.lower()
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _sentence_initial(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \"'“‘(")
    return not before or before[-1] in ".!?:;—–-\n"


def _is_may_name(text: str, m: re.Match[str]) -> bool:
    """ "Theresa May 10 ..." reads as a name: May right after another capitalised word."""
    before = text[: m.start("mon")].rstrip()
    return (
        bool(before)
        and bool(re.search(r"\b[A-Z][a-z]+$", before))
        and not _sentence_initial(text, m.start("mon"))
    )


def _weekday_is_name(text: str, m: re.Match[str]) -> bool:
    """Weekdays that name no particular day: named days, titles, newspapers, "every Friday"."""
    if m["mod"]:
        prefix = text[: m.start("wd")]
        return bool(_NEWSPAPER_ON_SUNDAY.search(prefix)) and m["mod"].lower() == "on"
    before = re.search(r"([A-Za-z]+)[\s-]+$", text[: m.start("wd")])
    after = re.match(r"\s+([A-Za-z]+)", text[m.end("wd") :])
    if before and before[1] in ("a", "an", "every", "each", "one"):
        return True  # "it was a Monday", "every Friday": not one particular day
    if re.match(r"\s+(?:mornings|afternoons|evenings|nights)\b", text[m.end("wd") :]):
        return True  # "broadcast Monday evenings": a habit
    if re.match(r"\s+(?:school|best|driver|papers?)\b", text[m.end("wd") :]):
        return True  # "Sunday school", "Sunday best"
    if before and before[1].lower() in _WEEKDAY_NAME_BEFORE and before[1][0].isupper():
        return True
    if after and after[1][0].isupper() and after[1].lower() in _WEEKDAY_NAME_AFTER:
        return True
    # Inside a run of capitalised words ("Manic Monday", "Any Given Sunday Times"): a title.
    if (
        before
        and after
        and before[1][0].isupper()
        and after[1][0].isupper()
        and not _sentence_initial(text, before.start(1))
        and after[1] not in ("I",)
        and after[1].lower() not in MONTHS
    ):
        return True
    return False


#: A day or month without a year and without a tense cue is taken as past when that puts it
#: at most this many days before the document's date.
_UNTENSED_PAST_DAYS = 270

# --- resolving -----------------------------------------------------------------------------------


def _month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: dt.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _week_range(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def _part_of_month(year: int, month: int, part: str | None) -> tuple[dt.date, dt.date]:
    first, last = _month_range(year, month)
    if part == "early":
        return first, first.replace(day=10)
    if part == "mid":
        return first.replace(day=11), first.replace(day=20)
    if part == "late":
        return first.replace(day=21), last
    return first, last


def _choose_year(
    anchor: dt.date,
    make: Callable[[int], tuple[dt.date, dt.date] | None],
    tense: Tense | None,
) -> tuple[dt.date, dt.date] | None:
    """The year for a day or month written without one, by the clause's tense.

    Past: the latest on or before the anchor. Future: the earliest on or after it. No tense:
    the past one if it began within :data:`_UNTENSED_PAST_DAYS` before the anchor (news tells
    of the past more than of the future: "Dec. 10 -- Gonzalez applies for asylum"), else the
    next one ("the meetings in March and May", written in February).
    """
    options = [r for y in (anchor.year - 1, anchor.year, anchor.year + 1) if (r := make(y))]
    if not options:
        return None
    past = [r for r in options if r[0] <= anchor]
    future = [r for r in options if r[1] >= anchor]
    if tense == "past":
        return past[-1] if past else options[0]
    if tense == "future":
        return future[0] if future else options[-1]
    if past and (past[-1][1] >= anchor or (anchor - past[-1][0]).days <= _UNTENSED_PAST_DAYS):
        return past[-1]
    return future[0] if future else options[-1]


def _resolve(
    expr: _Expression, anchor: dt.date | None, reference: dt.date | None = None
) -> tuple[dt.date, dt.date, Granularity] | None:
    """``(first, last, granularity)`` of an expression, or ``None`` if it cannot resolve."""
    rule = expr.rule
    try:
        if rule in ("iso", "mdy", "dmy"):
            assert expr.month is not None and expr.day is not None
            month, day_of_month = expr.month, expr.day
            if expr.year is not None:
                day = dt.date(expr.year, month, day_of_month)
                return day, day, "day"
            if anchor is None:
                return None

            def make_day(year: int) -> tuple[dt.date, dt.date] | None:
                try:
                    d = dt.date(year, month, day_of_month)
                except ValueError:
                    return None
                return d, d

            found = _choose_year(anchor, make_day, None if expr.in_past else expr.tense)
            return (found[0], found[1], "day") if found else None
        if rule == "month_year":
            assert expr.year is not None and expr.month is not None
            first, last = _part_of_month(expr.year, expr.month, expr.part)
            return first, last, "month"
        if rule == "month":
            assert expr.month is not None
            if anchor is None:
                return None
            month, part = expr.month, expr.part
            if expr.modifier == "this":
                first, last = _part_of_month(anchor.year, month, part)
                return first, last, "month"
            if expr.modifier == "last":
                year = anchor.year if month < anchor.month else anchor.year - 1
            elif expr.modifier == "next":
                year = anchor.year if month > anchor.month else anchor.year + 1
            else:
                tense = None if expr.in_past else expr.tense
                if expr.modifier == "since":
                    tense = "past"
                found = _choose_year(anchor, lambda y: _part_of_month(y, month, part), tense)
                assert found is not None
                return found[0], found[1], "month"
            first, last = _part_of_month(year, month, part)
            return first, last, "month"
        if rule == "year":
            assert expr.year is not None
            return dt.date(expr.year, 1, 1), dt.date(expr.year, 12, 31), "year"
        if rule == "ref_days":
            if reference is None:
                return None
            day = reference + dt.timedelta(days=expr.count)
            return day, day, "day"
        if anchor is None:
            return None
        if rule == "deictic":
            day = anchor + dt.timedelta(days=expr.count)
            return day, day, "day"
        if rule == "weekday":
            assert expr.weekday is not None
            back = (anchor.weekday() - expr.weekday) % 7
            forward = (expr.weekday - anchor.weekday()) % 7
            if expr.modifier == "last":
                day = anchor - dt.timedelta(days=back or 7)
            elif expr.modifier == "next":
                day = anchor + dt.timedelta(days=forward or 7)
            elif expr.modifier != "since" and expr.tense == "future":
                day = anchor + dt.timedelta(days=forward)
            else:
                day = anchor - dt.timedelta(days=back)
            return day, day, "day"
        if rule == "weekend":
            saturday = anchor + dt.timedelta(days=5 - anchor.weekday())  # this week's
            if expr.tense != "future" and saturday > anchor:
                saturday -= dt.timedelta(days=7)
            return saturday, saturday + dt.timedelta(days=1), "week"
        if rule == "period":
            unit, shift, part = expr.unit, expr.count, expr.part
            if unit == "weekend":
                saturday = anchor + dt.timedelta(days=5 - anchor.weekday() + 7 * shift)
                return saturday, saturday + dt.timedelta(days=1), "week"
            if unit == "week":
                first, last = _week_range(anchor + dt.timedelta(days=7 * shift))
                granularity: Granularity = "week"
            elif unit == "month":
                first, last = _month_range(*_add_months(anchor, shift))
                granularity = "month"
            else:
                first = dt.date(anchor.year + shift, 1, 1)
                last = dt.date(anchor.year + shift, 12, 31)
                granularity = "year"
            if shift == 0 and part == "earlier":
                last = anchor
            elif shift == 0 and part == "later":
                first = anchor
            return first, last, granularity
        if rule == "ago":
            n = expr.count
            if expr.unit == "day":
                day = anchor - dt.timedelta(days=n)
                return day, day, "day"
            if expr.unit == "week":
                first, last = _week_range(anchor - dt.timedelta(days=7 * n))
                return first, last, "week"
            if expr.unit == "month":
                first, last = _month_range(*_add_months(anchor, -n))
                return first, last, "month"
            return dt.date(anchor.year - n, 1, 1), dt.date(anchor.year - n, 12, 31), "year"
    except (ValueError, OverflowError):
        # A day that does not exist ("February 30"), or one beyond the calendar (a
        # document dated 9999-12-31 and "next week").
        return None
    return None


def _resolve_all(
    text: str, expressions: Sequence[_Expression], anchor: dt.date | None
) -> list[ResolvedTime]:
    resolved: list[ResolvedTime | None] = []
    for expr in expressions:
        got = None if expr.rule == "ref_days" else _resolve(expr, anchor)
        resolved.append(_make(text, expr, got))
    # "a day earlier": from the nearest day-granular time in the sentence, preceding first.
    for i, expr in enumerate(expressions):
        if expr.rule != "ref_days":
            continue
        days = [(j, r) for j, r in enumerate(resolved) if r is not None and r.granularity == "day"]
        before = [r for j, r in days if j < i]
        after = [r for j, r in days if j > i]
        reference = before[-1] if before else (after[0] if after else None)
        if reference is not None:
            resolved[i] = _make(text, expr, _resolve(expr, anchor, reference.first))
    return [r for r in resolved if r is not None]


def _make(
    text: str, expr: _Expression, got: tuple[dt.date, dt.date, Granularity] | None
) -> ResolvedTime | None:
    if got is None:
        return None
    return ResolvedTime(
        text=text[expr.start : expr.end],
        start=expr.start,
        end=expr.end,
        kind=expr.kind,
        granularity=got[2],
        first=got[0],
        last=got[1],
        tense=expr.tense,
        quoted=expr.quoted,
    )


def find_dates(text: str, anchor: dt.date | None) -> list[ResolvedTime]:
    """Every time expression of ``text`` (a sentence) resolved against ``anchor``.

    Args:
        text: One sentence (the tense of each expression's clause is read from it).
        anchor: The date of the document the sentence comes from; ``None`` when unknown,
            and then only expressions that carry their own year are returned.

    Returns:
        The resolved expressions in text order, without overlaps.
    """
    return _resolve_all(text, _scan(text), anchor)


def date_mentions(text: str, anchor: dt.date | None) -> tuple[DateMention, ...]:
    """The relative days of a sentence resolved to dates, for showing next to the text.

    Only day-granular relative expressions outside quotations ("on Thursday", "yesterday");
    explicit dates already show their date and a range has no single date to show.
    """
    return tuple(
        r.mention()
        for r in find_dates(text, anchor)
        if r.kind == "relative" and r.granularity == "day" and not r.quoted
    )


def _usable(r: ResolvedTime) -> bool:
    return not (r.quoted and r.kind == "relative")


def stated_date(sentence_text: str, document_date: dt.date | None) -> dt.date | None:
    """The day the sentence itself gives its event: its first day-granular time (relative
    ones inside quotations skipped), resolved against the document's date; else ``None``."""
    for r in find_dates(sentence_text, document_date):
        if r.granularity == "day" and _usable(r):
            return r.first
    return None


def event_date(sentence_text: str, document_date: dt.date | None) -> dt.date | None:
    """The day the sentence's main event happened, as well as the text tells.

    The day the sentence gives (``stated_date``), else the document's date; ``None`` when
    neither is known.
    """
    return stated_date(sentence_text, document_date) or document_date


def fact_date(members: Iterable[tuple[str, dt.date | None]]) -> dt.date | None:
    """The date of a fact told by several sentences: ``(sentence text, document date)``.

    The day the members' texts give, the one most agree on (ties go to the earliest). When
    no text gives one, the earliest document date: a fact happened no later than its first
    report, and a later article that retells it ("Shepard died five days later") is telling
    background. ``None`` if no member has a date.
    """
    members = list(members)
    stated = [d for text, doc_date in members if (d := stated_date(text, doc_date)) is not None]
    if stated:
        counts = Counter(stated)
        return min(counts, key=lambda d: (-counts[d], d))
    known = [doc_date for _, doc_date in members if doc_date is not None]
    return min(known) if known else None


def chronology_inversions(dates: Sequence[dt.date | None]) -> int:
    """Pairs of dated items told out of order: ``i < j`` with ``dates[i] > dates[j]``."""
    seen: list[dt.date] = []
    inversions = 0
    for day in dates:
        if day is None:
            continue
        inversions += len(seen) - bisect.bisect_right(seen, day)
        bisect.insort(seen, day)
    return inversions


# --- inferring a document's date -----------------------------------------------------------------

#: An undated document is looked for within this many days of the cluster's dates.
_SEARCH_DAYS = 400
#: A day or month written without a year is placed no later than this many days after the
#: latest dated report of the cluster (an undated report is usually a later one).
_YEARLESS_HORIZON_DAYS = 60


def infer_document_date(
    sentences: Sequence[str],
    cluster: Sequence[DatedSentence],
    same_event: Callable[[str, str], bool],
) -> InferredDate | None:
    """Infer the date of an undated document from its text and its cluster.

    Evidence, each giving a range of possible dates:

    * ``explicit``: a dated past event it reports ("on 15 August", "in 1993") — it was
      written on or after it. These bound the result from below without exception.
    * ``relative``: a relative time in one of its sentences ("last week", "on Friday",
      "last month") whose sentence ``same_event`` matches to a dated sentence of the
      cluster that dates the event; the dates at which the relative time resolves to that
      event. Within a matched pair, each relative time is paired with the dated sentence's
      time whose context shares the most words.
    * ``event``: the document tells as past what a dated document tells as upcoming
      ("a subsequent meeting with Zelensky" vs "Zelensky is due at the White House on
      Friday"), so it is later than that event (or, the other way round, earlier).

    The result is the date that agrees with the most evidence (one vote per distinct piece),
    never before the latest explicit date; among equals, the one nearest to the cluster's
    dated reports, then the earliest. For a later report, whose evidence bounds it from
    below, that is the earliest date consistent with the evidence; for an earlier one, the
    latest (a report of the same story is more likely near the others than a week away).

    Args:
        sentences: The undated document's body sentences.
        cluster: The sentences of the cluster's dated documents, each with its document's
            date.
        same_event: Whether two sentences report the same event: ``(sentence of this
            document, dated sentence)``. Called only where this sentence has a relative time
            or a tense and the dated one a time or a tense: at most
            ``len(sentences) * len(cluster)`` calls.

    Returns:
        The inferred date and its evidence, or ``None`` when nothing supports a date.
    """
    reference = max((c.date for c in cluster), default=None)
    evidence: list[DateEvidence] = []

    # The document's own time expressions. Days and months without a year are placed by
    # resolving against the reference moved forward by the horizon.
    own: list[list[_Expression]] = [_scan(text) for text in sentences]
    try:
        pivot = reference + dt.timedelta(days=_YEARLESS_HORIZON_DAYS) if reference else None
    except OverflowError:
        pivot = None
    for i, (text, expressions) in enumerate(zip(sentences, own, strict=True)):
        for r in _resolve_all(text, [e for e in expressions if e.kind == "explicit"], pivot):
            if r.tense == "future":
                continue
            if pivot is not None and r.first > pivot:
                continue  # a year of its own far after the cluster: a plan, not a report
            evidence.append(DateEvidence("explicit", i, r.text, r.first, None))
    floor = max((e.earliest for e in evidence if e.earliest), default=None)
    if reference is None:
        reference = floor
    if reference is None:
        return None

    candidates = []
    for k in range(-_SEARCH_DAYS, _SEARCH_DAYS + 1):
        try:
            candidates.append(reference + dt.timedelta(days=k))
        except OverflowError:  # a reference at the calendar's ends (year 1 or 9999)
            continue
    dated = [
        (c, [r for r in find_dates(c.text, c.date) if _usable(r)], sentence_tense(c.text))
        for c in cluster
    ]
    for i, (text, expressions) in enumerate(zip(sentences, own, strict=True)):
        relative = [e for e in expressions if e.kind == "relative" and not e.quoted]
        tense = _pure_tense(text)
        if not relative and tense is None:
            continue
        for c, times, c_tense in dated:
            if not times and c_tense is None:
                continue
            if not same_event(text, c.text):
                continue
            paired = _pair(text, relative, c.text, times)
            for expr, time in paired:
                allowed = [
                    d
                    for d in candidates
                    if (got := _resolve(expr, d)) is not None
                    and got[0] <= time.last
                    and time.first <= got[1]
                ]
                if allowed:
                    mention = text[expr.start : expr.end]
                    source = (c.document, c.index)
                    evidence.append(
                        DateEvidence(
                            "relative", i, mention, allowed[0], allowed[-1], source, time.first
                        )
                    )
            if paired or tense is None or c_tense is None or tense == c_tense:
                continue
            days = [t.first for t in times if t.granularity == "day" and t.tense == c_tense]
            if tense == "past":
                # Upcoming on `c.date`, past here: written after the event.
                day = max([c.date, *days])
                evidence.append(DateEvidence("event", i, "", day, None, (c.document, c.index), day))
            elif c_tense == "past" and _pure_tense(c.text) == "past":
                # Past on `c.date`, upcoming here: written before the event.
                day = min([c.date, *days])
                evidence.append(DateEvidence("event", i, "", None, day, (c.document, c.index), day))
    if not evidence:
        return None

    # One vote per distinct (sentence, words, range): a relative time matched to the same
    # event in several dated sentences is one piece of evidence, not several.
    votes = list({(e.sentence, e.mention, e.earliest, e.latest): e for e in evidence}.values())
    scored = [d for d in candidates if floor is None or d >= floor] or [floor]
    cluster_dates = sorted({c.date for c in cluster})

    def distance_to_cluster(day: dt.date) -> int:
        return min((abs((day - c).days) for c in cluster_dates), default=0)

    def rank(day: dt.date) -> tuple[int, int, int]:
        agreeing = sum(e.allows(day) for e in votes)
        return agreeing, -distance_to_cluster(day), -day.toordinal()

    best = max(scored, key=rank)
    kept = tuple(e for e in evidence if e.allows(best))
    contradicted = tuple(e for e in evidence if not e.allows(best))
    lowers = [e.earliest for e in kept if e.earliest is not None]
    uppers = [e.latest for e in kept if e.latest is not None]
    return InferredDate(
        date=best,
        earliest=max(lowers) if lowers else best,
        latest=min(uppers) if uppers else None,
        evidence=kept,
        contradicted=contradicted,
    )


_CONTEXT_WORDS = 8
_STOPWORDS = frozenset(
    "a an the of to in on at for with and or but by from as that this his her its their he she"
    " it they was were is are be been has have had said says will would after before over".split()
)


def _context(text: str, start: int, end: int) -> set[str]:
    """Content words within a few words of ``[start, end)``, time words excluded."""
    tokens = _tokens(text)
    before = [t for t in tokens if t.end <= start][-_CONTEXT_WORDS:]
    after = [t for t in tokens if t.start >= end][:_CONTEXT_WORDS]
    return {
        t.word.removesuffix("'s")
        for t in before + after
        if t.word not in _STOPWORDS and t.word not in WEEKDAYS and t.word not in MONTHS
    }


def _pair(
    text: str,
    relative: Sequence[_Expression],
    other_text: str,
    times: Sequence[ResolvedTime],
) -> list[tuple[_Expression, ResolvedTime]]:
    """Pairs (relative time here, time there) that tell of the same event, by context."""
    if not relative or not times:
        return []
    if len(relative) == 1 and len(times) == 1:
        return [(relative[0], times[0])]
    scored = []
    for expr in relative:
        mine = _context(text, expr.start, expr.end)
        for time in times:
            shared = len(mine & _context(other_text, time.start, time.end))
            scored.append((shared, expr.start, time.start, expr, time))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    pairs: list[tuple[_Expression, ResolvedTime]] = []
    used_expr: set[int] = set()
    used_time: set[int] = set()
    for shared, _, _, expr, time in scored:
        if shared == 0 or id(expr) in used_expr or id(time) in used_time:
            continue
        used_expr.add(id(expr))
        used_time.add(id(time))
        pairs.append((expr, time))
    return pairs


def dated_sentences(documents: Sequence[ParsedDocument]) -> list[DatedSentence]:
    """The sentences of the documents that have a date, each with that date."""
    return [
        DatedSentence(text=s.text, date=doc.date, document=i, index=s.index)
        for i, doc in enumerate(documents)
        if doc.date is not None
        for s in doc.sentences
    ]


def infer_cluster_dates(
    documents: Sequence[ParsedDocument], same_event: Callable[[str, str], bool]
) -> tuple[InferredDate | None, ...]:
    """:func:`infer_document_date` for every undated document (``None`` for dated ones).

    Only documents with a date of their own serve as evidence, so one wrong inference
    cannot carry over to the next.
    """
    cluster = dated_sentences(documents)
    return tuple(
        None
        if doc.date is not None
        else infer_document_date([s.text for s in doc.sentences], cluster, same_event)
        for doc in documents
    )
