"""Conflicts: where outlets report the same thing with a different number, date or outcome.

A disagreement is two quantity mentions in sentences of different (independent) documents
that measure the same thing — same dimension, same counted noun, close topics, a shared
word around the numbers or very similar sentences — and whose values cannot both be true
after units, rounding and stated bounds (2,500 km = 1,550 miles; "at least 600" admits 700;
"nearly two and a half hours" is two-and-a-half hours). Values more than ``_MAX_RATIO``
apart are taken to measure different things (a two-hour call is not a two-week plan).
Not compared, since a wrong "sources differ" costs a reader's trust more than a missed one:
a share or sum that rose with one that fell ("shares have risen 20 percent", "shares lost
28 percent": two moves, not two reports of one), ages of two people ("Marianne Gingrich,
48", and "Gingrich, 56" where the articles name a Newt and a Marianne Gingrich), the ends of
a range ("2 to 6 degrees", "15 or 20 years", "between 3 and 6 percent") and the first value
of a change ("from 5 percent to 7 percent": the 7 percent compares), and a time counted back
from each article's own date ("five years ago").

Each side of a conflict gathers every mention that agrees with it (same slot, compatible
value), so "two hours [1] vs nearly two and a half hours [2][3]" credits every outlet.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from newsfuse import names
from newsfuse.claims import STOPWORDS, ClaimParts, Quantity, compatible, stem
from newsfuse.types import Citation, Conflict, ConflictValue, RankedFact, Sentence, SourceSpan

#: Sentences must be at least this close (MiniLM cosine) to be about the same thing.
_MIN_TOPIC = 0.45
#: Above this closeness the sentences need no shared word around the numbers.
_SAME_STATEMENT = 0.7
#: Values further apart than this factor measure different things.
_MAX_RATIO = 3.0
#: Words either side of a number that name what it measures.
_WINDOW = 4
_DIMENSIONS = ("length", "duration", "age", "money", "percent", "count", "time", "magnitude")
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
#: Words that tell which way a change went, as written in lower case ("Pete Rose" is none).
_UP = frozenset(
    "rise rises rose risen rising increase increased increases increasing jump jumped"
    " jumps gain gained gains climb climbed climbs soar soared soars grew grow grows"
    " surge surged surges".split()
)
_DOWN = frozenset(
    "fall falls fell fallen falling down drop dropped drops decline declined declines"
    " decrease decreased decreases lost lose loses loss skid skidded slid slide plunge"
    " plunged plunges tumble tumbled shrank shrink cut cuts".split()
)
#: Only moves in these have a direction: a share or a sum "rose" or "fell" by so much.
_MOVES = ("percent", "money")
#: "were up 20 percent" ("up to" is a bound, not a move).
_UP_BEFORE = re.compile(r"\bup\s+(?:by\s+)?$")
#: After the number: "closed 20 percent higher" / "28 percent lower".
_HIGHER, _LOWER = frozenset(("higher",)), frozenset(("lower",))
#: "rose to 7 percent", "closed at $14": a level reached, not the size of a move.
_LEVEL_BEFORE = re.compile(r"\b(?:to|at)\s*$", re.IGNORECASE)
#: What joins the two ends of a range ("2 to 6", "15 or 20", "1.0-3.5", "between 3 and 6").
_RANGE_JOINS = frozenset(("to", "or", "-", "–"))
_FROM_BEFORE = re.compile(r"\bfrom\s*$", re.IGNORECASE)
_BETWEEN_BEFORE = re.compile(r"\bbetween\s*$", re.IGNORECASE)
#: "five years ago": a time counted back from the article's own date, which differs.
_AGO = re.compile(r"^\s*ago\b", re.IGNORECASE)
#: A capitalized word or an initial ("Udi", "W."), and a word in lower case ("man").
_CAPITALIZED = r"[A-Z][\w'’.-]*"
_LOWER_CASE = r"[a-z][\w'’-]*"
#: A name: capitalized words (and initials), e.g. "Udi Hargov", "George W. Bush".
_NAME = rf"(?:{_CAPITALIZED}\s+){{0,3}}{_CAPITALIZED}"
#: The name before an appositive age: "Udi Hargov, 37," / "Rudolph, a 31-year-old".
_NAME_BEFORE = re.compile(rf"({_NAME}),\s*(?:an?\s+)?$")
#: The name after an age: "27-year-old Udi Hargov".
_NAME_AFTER = re.compile(rf"^\s+({_NAME})")
_AGE_NOUN = re.compile(rf"^\s*({_LOWER_CASE})")
#: "a 31-year-old Atlanta man", "an 18-year-old Palestinian youth": after "a"/"an" the age
#: describes someone unnamed; capitalized words before the noun say what kind, not who.
_INDEFINITE_BEFORE = re.compile(r"\ban?\s*$", re.IGNORECASE)
_KIND_THEN_NOUN = re.compile(rf"^\s+(?:{_CAPITALIZED}\s+){{1,3}}({_LOWER_CASE})")
#: Whose an age is: ``("name", given, surname)`` (given may be ""), ``("noun", word)`` for
#: "a 31-year-old carpenter", or ``None`` when the sentence does not say.
Holder = tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class _Mention:
    sentence: int
    quantity: Quantity
    context: frozenset[str]
    direction: int = 0
    """+1 a rise, -1 a fall, 0 neither or unknown (see ``_direction``)."""
    holder: Holder = None
    """For an age: whose (see ``_holder``)."""


def _direction(text: str, q: Quantity) -> int:
    """Which way the move a share or sum measures went: +1 up, -1 down, 0 unknown.

    Only for ``_MOVES``, and not for a level reached ("rose to 7 percent"). The three words
    before the number and the two after decide ("shares have risen 20 percent", "a decline
    of 31 percent", "were up 20 percent"); failing them, the sentence if all its direction
    words point one way ("the murder rate has dropped in some cities … by as much as 28
    percent").
    """
    if q.dimension not in _MOVES:
        return 0
    before = text[: q.start]
    if _LEVEL_BEFORE.search(before):
        return 0
    if _UP_BEFORE.search(before):
        return 1
    after = set(_WORD.findall(text[q.end :])[:2])
    for words, up_words, down_words in (
        (set(_WORD.findall(before)[-3:]) | after, _UP | _HIGHER, _DOWN | _LOWER),
        (set(_WORD.findall(text)), _UP, _DOWN),
    ):
        up, down = bool(words & up_words), bool(words & down_words)
        if up != down:
            return 1 if up else -1
    return 0


def _moved_before(text: str) -> bool:
    """Whether a move verb is among the three words before the end of ``text``."""
    return bool(set(_WORD.findall(text)[-3:]) & (_UP | _DOWN))


def _name(raw: str) -> Holder:
    # "On Monday, a 45-year-old man", "In Atlanta, a 31-year-old": no name (``person``).
    named = names.person(raw)
    return None if named is None else ("name", *named)


def _holder(text: str, q: Quantity) -> Holder:
    """Whose age ``q`` is: the name before an appositive age ("Udi Hargov, 37", "Rudolph, a
    31-year-old"), the name after one ("27-year-old Udi Hargov"), else the word after
    "N-year-old" ("a 33-year-old congressional aide"), past the capitalized words that say
    what kind after "a"/"an" ("a 31-year-old Atlanta man": a man, not someone named
    Atlanta); ``None`` when the sentence says none."""
    head, after = text[max(0, q.start - 60) : q.start], text[q.end :]
    if (before := _NAME_BEFORE.search(head)) is not None:
        if (holder := _name(before.group(1))) is not None:
            return holder
    if _INDEFINITE_BEFORE.search(head) and (kind := _KIND_THEN_NOUN.match(after)):
        return ("noun", kind.group(1).casefold())
    if (name := _NAME_AFTER.match(after)) is not None:
        if (holder := _name(name.group(1))) is not None:
            return holder
    if (noun := _AGE_NOUN.match(after)) is not None:
        return ("noun", noun.group(1).casefold())
    return None


def _same_holder(a: Holder, b: Holder, given: dict[str, set[str]]) -> bool:
    """Whether two ages may be one person's: either holder unknown, the same noun, or one
    surname whose given names agree — a bare surname stands for one person only when the
    request names one person of that surname ("Gingrich" with "Newt" and "Marianne
    Gingrich" in the articles is either)."""
    if a is None or b is None:
        return True
    if a[0] != b[0]:
        return False
    if a[0] == "noun":
        return a == b
    if a[2] != b[2]:
        return False
    if a[1] and b[1]:
        return a[1] == b[1]
    return len(given.get(a[2], set())) <= 1


def _not_compared(text: str, quantities: Sequence[Quantity]) -> set[int]:
    """Indices of ``quantities`` (one sentence's, in order) that are not compared: both ends
    of a range ("2 to 6 degrees", "1.0-3.5", "15 or 20 years", "between 3 and 6 percent",
    "$3 million to $5 million", "ranged from 200 to 300"), the first value of a change ("from
    5 percent" in "rose from 5 percent to 7 percent"; the 7 percent is a level and compares),
    and a time counted back from the article's own date ("five years ago")."""
    out = set()
    for k, (a, b) in enumerate(zip(quantities, quantities[1:], strict=False)):
        join = text[a.end : b.start].strip().casefold()
        if a.dimension in ("year", "day") or a.dimension not in (b.dimension, "plain"):
            continue
        before = text[: a.start]
        if join == "and" and _BETWEEN_BEFORE.search(before):
            out |= {k, k + 1}
        elif join in _RANGE_JOINS:
            if _FROM_BEFORE.search(before):
                # "rose from 5 to 7 percent": a change, whose end compares; "ranged from 200
                # to 300", "anywhere from 200 to 300": a range.
                moved = _moved_before(_FROM_BEFORE.sub("", before))
                out |= {k} if moved else {k, k + 1}
            elif not (join == "to" and _moved_before(before)):
                out |= {k, k + 1}  # "fell $3 to $26.94" is a move and a level, no range
    for k, q in enumerate(quantities):
        if q.dimension == "duration" and _AGO.match(text[q.end :]):
            out.add(k)
    return out


def _context(text: str, q: Quantity) -> frozenset[str]:
    before = _WORD.findall(text[: q.start])[-_WINDOW:]
    after = _WORD.findall(text[q.end :])[:_WINDOW]
    # The number's own words ("hours", "million") are not context: every duration has them,
    # and "spent seven hours" and "gained six hours" are not one slot.
    words = {stem(w.casefold()) for w in before + after}
    return frozenset(w for w in words if w not in STOPWORDS)


def find_conflicts(
    sentences: Sequence[Sentence],
    parts: Sequence[ClaimParts],
    embeddings: np.ndarray,
    document_ids: Sequence[str],
    canonical_doc: Sequence[int],
) -> list[Conflict]:
    """Every disagreement among the sentences, biggest first (most sources involved).

    ``canonical_doc`` maps each document to the one it copies (itself when independent):
    a syndicated copy never disagrees with its original.
    """
    mentions = []
    for i, p in enumerate(parts):
        text = sentences[i].text
        skip = _not_compared(text, p.quantities)
        for k, q in enumerate(p.quantities):
            if q.dimension not in _DIMENSIONS or k in skip:
                continue
            holder = _holder(text, q) if q.dimension == "age" else None
            mentions.append(_Mention(i, q, _context(text, q), _direction(text, q), holder))
    given = (
        names.given_names(s.text for s in sentences)
        if any(m.holder is not None for m in mentions)
        else {}
    )
    by_dimension: dict[tuple[str, str], list[int]] = {}
    for k, m in enumerate(mentions):
        # Shares are grouped together whatever they are a share of: one that does not say
        # ("rose 4 percent") may still be the same figure (``compatible`` decides).
        noun = "" if m.quantity.dimension == "percent" else m.quantity.noun
        by_dimension.setdefault((m.quantity.dimension, noun), []).append(k)
    of_sentence: dict[int, list[int]] = {}
    for k, m in enumerate(mentions):
        of_sentence.setdefault(m.sentence, []).append(k)

    def matched(k: int, sentence: int) -> bool:
        """Whether mention ``k`` agrees with a number of ``sentence`` that measures the same
        kind of thing: then a second number there ("12,000 square miles (31,000 square
        km)", "702 in all, 187 more") is about something else, not a disagreement."""
        q = mentions[k].quantity
        return any(
            mentions[j].quantity.dimension == q.dimension
            and compatible(q, mentions[j].quantity) is True
            for j in of_sentence[sentence]
        )

    agree: dict[int, set[int]] = {k: set() for k in range(len(mentions))}
    disagree: list[tuple[int, int]] = []
    for group in by_dimension.values():
        for x, a in enumerate(group):
            for b in group[x + 1 :]:
                ma, mb = mentions[a], mentions[b]
                da = canonical_doc[sentences[ma.sentence].doc]
                db = canonical_doc[sentences[mb.sentence].doc]
                if (
                    da == db
                    or ma.direction * mb.direction < 0
                    or not _same_holder(ma.holder, mb.holder, given)
                ):
                    continue
                topic = float(embeddings[ma.sentence] @ embeddings[mb.sentence])
                if topic < _MIN_TOPIC:
                    continue
                same_slot = topic >= _SAME_STATEMENT or bool(ma.context & mb.context)
                if not same_slot:
                    continue
                verdict = compatible(ma.quantity, mb.quantity)
                if verdict:
                    agree[a].add(b)
                    agree[b].add(a)
                elif (
                    verdict is False
                    and _close(ma.quantity, mb.quantity)
                    and not matched(a, mb.sentence)
                    and not matched(b, ma.sentence)
                ):
                    disagree.append((a, b))
    conflicts: dict[frozenset[frozenset[int]], Conflict] = {}
    for a, b in disagree:
        # A side gathers the mentions that agree with it and disagree with the other side
        # (not one that cannot be compared with it: a share of another thing).
        side_a = {a} | {
            k for k in agree[a] if compatible(mentions[k].quantity, mentions[b].quantity) is False
        }
        side_b = {b} | {
            k for k in agree[b] if compatible(mentions[k].quantity, mentions[a].quantity) is False
        }
        values = tuple(
            _value(
                sorted(side, key=lambda k: mentions[k].sentence), mentions, sentences, document_ids
            )
            for side in sorted((side_a, side_b), key=lambda s: min(mentions[k].sentence for k in s))
        )
        # One disagreement however many numbers each sentence gives for it (2,500 km and
        # 1,550 miles in one sentence): keyed by the sentences on each side.
        key = frozenset(frozenset(mentions[k].sentence for k in side) for side in (side_a, side_b))
        conflict = Conflict(
            kind="date" if mentions[a].quantity.dimension == "time" else "number",
            claim=" ".join(sentences[mentions[a].sentence].text.split()),
            values=values,
        )
        previous = conflicts.get(key)
        if previous is None or _sources(conflict) > _sources(previous):
            conflicts[key] = conflict
    return _merged(sorted(conflicts.values(), key=lambda c: -_sources(c)))


def _merged(conflicts: Sequence[Conflict]) -> list[Conflict]:
    """One disagreement per pair of values about one thing, biggest first.

    Agreement between mentions is not transitive, so one disagreement can come out as
    several whose sides hold different sentences ("died five days later" against "three
    days before Shepard died", with one or two more sentences on a side). Two are merged
    when they give the same values, written alike, and each value has a source sentence in
    both; the sources are joined and the first's claim is kept. Less is not enough: "The
    arrest came three days after Weizman ended a three-day visit" holds two values of one
    kind ("three days", "three-day"), and two people's ages 21 and 22 in one sentence
    ("Henderson, 21, and McKinney, 22") are two disagreements, the sentence shared being on
    another value in each.
    """
    out: list[Conflict] = list(conflicts)
    merged = True
    while merged:  # until none merges: a grown disagreement may now meet another
        out, merged = _merge_pass(out)
    return sorted(out, key=lambda c: -_sources(c))


def _by_value(conflict: Conflict) -> dict[tuple[str, str], ConflictValue]:
    return {(v.normalized, v.value.casefold()): v for v in conflict.values}


def _merge_pass(conflicts: Sequence[Conflict]) -> tuple[list[Conflict], bool]:
    out: list[Conflict] = []
    keyed: list[dict[tuple[str, str], ConflictValue]] = []  # ``_by_value`` of each in ``out``
    merged = False
    for conflict in conflicts:
        values = _by_value(conflict)
        for k, kept in enumerate(out):
            theirs = keyed[k]
            if kept.kind != conflict.kind or theirs.keys() != values.keys():
                continue
            if not all(set(theirs[n].sources) & set(v.sources) for n, v in values.items()):
                continue
            joined = tuple(
                dataclasses.replace(
                    v, sources=v.sources + tuple(s for s in values[n].sources if s not in v.sources)
                )
                for n, v in theirs.items()
            )
            out[k] = dataclasses.replace(kept, values=joined)
            keyed[k] = _by_value(out[k])
            merged = True
            break
        else:
            out.append(conflict)
            keyed.append(values)
    return out, merged


def _close(a: Quantity, b: Quantity) -> bool:
    lo, hi = sorted((abs(a.value), abs(b.value)))
    return lo > 0 and hi / lo <= _MAX_RATIO


def _value(
    side: Sequence[int],
    mentions: Sequence[_Mention],
    sentences: Sequence[Sentence],
    document_ids: Sequence[str],
) -> ConflictValue:
    first = mentions[side[0]].quantity
    spans = []
    seen = set()
    for k in side:
        s = sentences[mentions[k].sentence]
        if (s.doc, s.index) in seen:
            continue
        seen.add((s.doc, s.index))
        spans.append(SourceSpan(document_ids[s.doc], s.index, s.start, s.end))
    return ConflictValue(value=first.text, normalized=first.normalized, sources=tuple(spans))


def _sources(conflict: Conflict) -> int:
    return sum(len({s.document_id for s in v.sources}) for v in conflict.values)


#: Disagreements listed at the top of a summary.
MAX_LISTED = 5


def for_sentence(
    conflicts: Sequence[Conflict], citations: Sequence[Citation], *, generated: bool = False
) -> tuple[Conflict, ...]:
    """The disagreements about what a summary sentence states, its own value first.

    An extractive sentence's first citation is the sentence itself: it states a value of the
    conflict when that span is among the value's sources. A generated sentence counts when
    any of its sources states a value.
    """
    if not citations:
        return ()
    keys = {(c.document_id, c.sentence_index) for c in (citations if generated else citations[:1])}
    out = []
    for conflict in conflicts:
        for k, value in enumerate(conflict.values):
            if any((s.document_id, s.sentence_index) in keys for s in value.sources):
                values = (value, *conflict.values[:k], *conflict.values[k + 1 :])
                out.append(dataclasses.replace(conflict, values=values))
                break
    return tuple(out)


def most_salient(
    conflicts: Sequence[Conflict],
    ranked: Sequence[RankedFact],
    sentences: Sequence[Sentence],
    document_ids: Sequence[str],
    limit: int = MAX_LISTED,
) -> tuple[Conflict, ...]:
    """The disagreements about the most salient facts (then the most widely reported)."""
    score_of: dict[tuple[str, int], float] = {}
    for fact in ranked:
        for m in fact.cluster.members:
            s = sentences[m]
            score_of[(document_ids[s.doc], s.index)] = fact.score

    def salience(conflict: Conflict) -> tuple[float, int]:
        spans = [(s.document_id, s.sentence_index) for v in conflict.values for s in v.sources]
        return max((score_of.get(k, 0.0) for k in spans), default=0.0), _sources(conflict)

    return tuple(sorted(conflicts, key=lambda c: tuple(-x for x in salience(c)))[:limit])
