"""Ingest: metadata, boilerplate removal and sentence splitting with exact character spans.

Nothing here rewrites the caller's text. Boilerplate is found as character ranges and
*masked* (replaced by spaces in a working copy of the same length), so every offset found
on the working copy is also an offset into the original and ``text[start:end]`` is always
the sentence.
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import blingfire
import yaml

from newsfuse import readability
from newsfuse.timeline import parse_date
from newsfuse.types import Document, ParsedDocument, Sentence, Span

_LOGGER = logging.getLogger(__name__)

# Sentence-final punctuation, optionally followed by closing quotes/brackets (wire copy spaces
# nested ones: "... `reconnect.' ''").
_TERMINATED = re.compile(r"[.!?…。！？][\"'”’»)\]\s]*$")
_WORD = re.compile(r"\w+", re.UNICODE)
_LINE = re.compile(r"[^\n]*\n|[^\n]+")

_FRONT_MATTER = re.compile(r"\A\ufeff?\s*---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)", re.DOTALL)
_HEADER_LINE = re.compile(r"^\s*date:?\s+(\d{4}-\d{2}-\d{2})\b[ \t]*(.*)$", re.IGNORECASE)
_PUBLISHED_LINE = re.compile(
    r"^\s*(?:>\s*)?(?:published|updated|posted|last updated)\b:?\s*(.*)$", re.IGNORECASE
)
_QUOTE_MARKER_ONLY = re.compile(r"^\s*>\s*$")

# A line that starts a block of teasers for other stories: everything after it is dropped.
_TEASER_START = re.compile(
    r"^\s*(you may also like|you might also like|you may have missed|related (stories|articles"
    r"|coverage|news|posts)|more (stories|news|from [^.!?]{1,40})|recommended( for you| stories)?"
    r"|most (read|popular|viewed)|read next|trending( now| stories)?|editor'?s picks"
    r"|more on this story|around the web|from our partners)\s*:?\s*$",
    re.IGNORECASE,
)
# Lines that are page furniture wherever they stand.
_FURNITURE = re.compile(
    r"^\s*(share( and follow| this( story| article)?( on [^.]{0,40})?| on [^.]{0,40}"
    r"| via [^.]{0,40}"
    r"|this @\S+)?|follow( us)?( on [^.]{0,40})?|advertisement|skip advertisement|ad"
    r"|read the full (article|story)( here)?|read (the )?more( here)?|click here[^.]{0,60}"
    r"|you can share this (story|article)[^.]{0,60}|sign up[^.]{0,80}newsletter[^.]{0,40}"
    r"|subscribe[^.]{0,60}|getty images|image (source|caption)[^.]{0,60}|copyright[^.]{0,80}"
    r"|all rights reserved\.?|©[^.]{0,80}|(listen|watch) to this (article|story)[^.]{0,40}"
    r"|print|email|comments?|\d+ comments?)\s*:?\s*[.!]?\s*$",
    re.IGNORECASE,
)
_HTML_DROP = re.compile(
    r"<(script|style|noscript|template|title)\b[^>]*>.*?</\1\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)
# Tags, and declarations such as <!DOCTYPE html> (not text either).
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,2000}>|<![A-Za-z][^<>]{0,2000}>")
# Block-level elements: their tags end a paragraph, wherever the page breaks its lines.
_HTML_BLOCK = re.compile(
    r"</?(p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|nav|header|footer|main|article|section|aside"
    r"|table|thead|tbody|tr|td|th|blockquote|pre|figure|figcaption|form|head|body|html)\b",
    re.IGNORECASE,
)
_HTML_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_HTML_META = re.compile(r"<meta\b[^<>]{0,2000}>", re.IGNORECASE)
_HTML_ATTRIBUTE = re.compile(r"""([A-Za-z_:][\w:.-]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_MARKDOWN = re.compile(r"\*\*|__|^\s{0,3}#{1,6}\s|^\s{0,3}>\s?", re.MULTILINE)
_SURROGATE_OR_CONTROL = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: Units without sentence-final punctuation and at least this many words are kept as text
#: (a sentence that lost its full stop); shorter ones are headings, captions or bylines.
_MIN_WORDS_UNTERMINATED_BODY = 30
#: Wrapped-paragraph detection: lines no longer than this are candidates for hard wrapping.
_MAX_WRAPPED_LINE = 100
#: Repeated-document detection: characters of the text's start searched for further copies.
_REPEAT_PROBE = 256
#: Lines that occur more than once and make up more than this share of a document's text are
#: not captions printed twice but a document repeated (imperfectly): only repeats are dropped.
_REPEATED_LINES_SHARE = 0.5
#: ... and a line at least this long without a sentence end is taken to go on in the next.
_MIN_WRAPPED_LINE = 50
# A sentence ending inside a unit: a word (not a title), its full stop, then a new sentence.
_SENTENCE_INSIDE = re.compile(
    r"\b(?!(?:" + "|".join(sorted(readability.TITLE_ABBREVIATIONS)) + r")\.)[A-Za-z][a-z]+[.!?]"
    r"[\"'”’)\]]*\s+[\"“`'(]*[A-Z]"
)
#: ``is_debris`` reasons that make a sentence boilerplate (masked), not body text unfit to show.
_NOT_BODY = frozenset({"byline", "editor's note", "caption"})
#: A terminated unit this short and (nearly) all in capitals is a heading ("MOVED FRIDAY.").
_MAX_WORDS_CAPITAL_HEADING = 15
# Title abbreviations end no sentence: blingfire breaks "Cmndr. | Ivan Petrov" apart.
_TITLE_AT_END = re.compile(
    r"(?:^|[\s(\"“`'‘])(?:" + "|".join(sorted(readability.TITLE_ABBREVIATIONS)) + r")\.$"
)
# A piece that goes on a dateline or a timeline label ("SPARTA, Ga. | _ By ten o'clock").
_CONTINUES = re.compile(r"^(?:_|--|—)\s")
# Wire copy opens quotes with two backticks; blingfire does not break before them.
_BACKTICK_OPEN = re.compile(r"[.!?]['\"”’]*\s+(?=``[A-Z0-9])")


@dataclass(slots=True)
class _Unit:
    """A paragraph candidate: a character range of the working text."""

    start: int
    end: int
    terminated: bool
    words: int


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text``; whitespace is trimmed off each span.

    Uses blingfire's sentence breaker (no downloads, fast, keeps hard-wrapped lines
    together) with three repairs: no break after a title before a name ("Cmndr. Ivan
    Petrov"), none before a piece that goes on with "_ " or "-- " (a dateline, a timeline
    label), and a break before a ````quote`` that opens a new sentence. Works for any
    ``str``: characters blingfire cannot take are masked first.
    """
    work = _SURROGATE_OR_CONTROL.sub(" ", text)
    spans: list[tuple[int, int]] = []
    if not work.strip():
        return spans
    _, offsets = blingfire.text_to_sentences_and_offsets(work)
    for start, end in offsets:
        start, end = _trim(work, max(0, start), min(len(work), end))
        if start >= end:
            continue
        piece = work[start:end]
        after_title = spans and _TITLE_AT_END.search(work[spans[-1][0] : spans[-1][1]])
        if spans and (
            (after_title and piece.lstrip("`'\"“‘")[:1].isupper()) or _CONTINUES.match(piece)
        ):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    spans = [piece for span in spans for piece in _split_at_backticks(work, *span)]
    if not spans:
        start, end = _trim(work, 0, len(work))
        if start < end:
            spans.append((start, end))
    return spans


def _split_at_backticks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces = []
    for m in _BACKTICK_OPEN.finditer(text, start, end):
        cut = m.start() + len(m.group().rstrip())
        pieces.append((start, cut))
        start = m.end()
    pieces.append((start, end))
    return pieces


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _mask(chars: list[str], start: int, end: int) -> None:
    chars[start:end] = ["\n" if c == "\n" else " " for c in chars[start:end]]


def html_title(text: str) -> str | None:
    """The title of an HTML page: its ``og:title``, else its ``<title>``, entities decoded."""
    if "<" not in text:
        return None
    for m in _HTML_META.finditer(text):
        attributes = {k.lower(): _unquote(v) for k, v in _HTML_ATTRIBUTE.findall(m.group())}
        if (attributes.get("property") or attributes.get("name") or "").lower() == "og:title":
            if title := _clean_title(attributes.get("content", "")):
                return title
    if m := _HTML_TITLE.search(text):
        return _clean_title(_HTML_TAG.sub(" ", m.group(1)))
    return None


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) > 1 and value[0] in "\"'" and value[-1] == value[0] else value


def _clean_title(raw: str) -> str | None:
    return " ".join(html.unescape(raw).split()) or None


def repeated_copies(work: str) -> list[tuple[int, int]]:
    """When ``work`` is one text repeated, the spans of its second and later copies.

    Copies may be separated by any whitespace, and the last may be cut short (a file capped
    at some size). A copy is at least ``_REPEAT_PROBE`` characters long (a word or a line
    repeated is not a document repeated); anything that is not such a repetition from start
    to end gives ``[]``.
    """
    start, end = len(work) - len(work.lstrip()), len(work.rstrip())
    if end - start < 2 * _REPEAT_PROBE:
        return []
    probe = work[start : start + _REPEAT_PROBE]
    at = start
    for _ in range(3):  # a few candidate periods: the probe may recur inside the text
        at = work.find(probe, at + 1, end)
        if at < 0 or at < start + _REPEAT_PROBE:
            return []  # no copy, or a period shorter than the probe: a word or line repeated
        copies = _copies(work, work[start:at].rstrip(), at, end)
        if copies:
            return copies
    return []


def _copies(work: str, unit: str, at: int, end: int) -> list[tuple[int, int]]:
    copies = []
    while at < end:
        if work.startswith(unit, at):
            copies.append((at, at + len(unit)))
            at += len(unit)
        elif unit.startswith(work[at:end]):
            copies.append((at, end))  # the last copy, cut short
            break
        else:
            return []
        while at < end and work[at].isspace():
            at += 1
    return copies


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each line, without its newline."""
    for m in _LINE.finditer(text):
        end = m.end() - 1 if m.group().endswith("\n") else m.end()
        yield m.start(), end


def _normalise_line(line: str) -> str:
    return " ".join(_WORD.findall(line.casefold()))


def _split_long(start: int, end: int, text: str, limit: int) -> list[tuple[int, int]]:
    """Cut a span longer than ``limit`` at whitespace so no piece exceeds ``limit``."""
    pieces = []
    while end - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit)
        if cut <= start:
            cut = start + limit
        s, e = _trim(text, start, cut)
        if s < e:
            pieces.append((s, e))
        start = cut
    s, e = _trim(text, start, end)
    if s < e:
        pieces.append((s, e))
    return pieces


def ingest(
    document: Document, doc_index: int = 0, *, max_sentence_chars: int = 2000
) -> ParsedDocument:
    """Find metadata, mask boilerplate and split the body into sentences with exact spans."""
    text = document.text
    chars = list(_SURROGATE_OR_CONTROL.sub(" ", text))
    title = document.title or None
    date = document.date
    authors = document.authors
    boilerplate: list[Span] = []

    def drop(start: int, end: int) -> None:
        if start < end:
            _mask(chars, start, end)
            boilerplate.append(Span(doc_index, start, end))

    # Front matter (YAML between --- lines) at the very top.
    if m := _FRONT_MATTER.match(text):
        try:
            meta = yaml.safe_load(m.group(1))
        except yaml.YAMLError:
            meta = None
        if isinstance(meta, dict):
            if title is None and isinstance(meta.get("title"), str | int | float):
                title = str(meta["title"]).strip() or None
            date = date or parse_date(meta.get("date") or meta.get("published"))
            raw_authors = meta.get("authors") or meta.get("author")
            if not authors and raw_authors:
                items = raw_authors if isinstance(raw_authors, list) else [raw_authors]
                authors = tuple(str(a).strip() for a in items if str(a).strip())
        drop(m.start(), m.end())

    # HTML: scripts and comments go whole, tags are masked but their text stays.
    if "<" in text:
        title = title or html_title(text)
        for m in _HTML_DROP.finditer(text):
            drop(m.start(), m.end())
        for m in _HTML_TAG.finditer(text):
            _mask(chars, m.start(), m.end())
            if _HTML_BLOCK.match(m.group()):
                # A blank line in the working copy (same length): a paragraph break.
                chars[m.start()] = chars[m.start() + 1] = "\n"
    # Markdown emphasis and quote markers are masked so they never start a sentence.
    for m in _MARKDOWN.finditer(text):
        _mask(chars, m.start(), m.end())
    # Photo credits, "(END OPTIONAL TRIM)", separator rules inside paragraphs.
    for m in readability.INLINE_DEBRIS.finditer(text):
        drop(m.start(), m.end())

    # A document that is one text repeated (a scraper looping, a paste gone wrong) is that
    # text: the later copies are boilerplate, and the repeated-line rule below sees one copy.
    work = "".join(chars)
    copies = repeated_copies(work)
    for start, end in copies:
        drop(start, end)
    if copies:
        _LOGGER.debug("document %d: %d repeated copies masked", doc_index, len(copies))
        work = "".join(chars)

    lines = [(s, e) for s, e in _lines(work)]
    first_content = True
    keys = [_normalise_line(work[s:e]) for s, e in lines]
    seen = Counter(key for key in keys if len(key.split()) >= 3)
    # Lines printed twice are captions; but when they make up most of the text, the document
    # is repeated imperfectly (copies that differ somewhere): keep each line's first time.
    repeated = sum(e - s for (s, e), key in zip(lines, keys, strict=True) if seen.get(key, 0) >= 2)
    keep_first = repeated > _REPEATED_LINES_SHARE * sum(e - s for s, e in lines if e > s)
    kept: set[str] = set()
    teaser = False
    first_body = True
    open_before = False  # the line before goes on (a hard-wrapped paragraph)
    # Lines whose sentences are body text but never to be shown: list items, timelines.
    flagged: list[tuple[int, int, str]] = []
    for start, end in lines:
        line = work[start:end]
        if not line.strip():
            open_before = False
            continue
        if teaser:
            drop(start, end)
            continue
        if _TEASER_START.match(line):
            teaser = True
            drop(start, end)
            continue
        if first_content and (m := _HEADER_LINE.match(line)):
            date = date or parse_date(m.group(1))
            title = title or (m.group(2).strip() or None)
            drop(start, end)
            first_content = False
            continue
        first_content = False
        if (m := _PUBLISHED_LINE.match(text[start:end])) and (found := parse_date(m.group(1))):
            date = date or found
            drop(start, end)
            continue
        if _QUOTE_MARKER_ONLY.match(text[start:end]) or (
            len(line.split()) <= 12 and _FURNITURE.match(line)
        ):
            drop(start, end)
            continue
        key = _normalise_line(line)
        if seen.get(key, 0) >= 2:
            if keep_first and key not in kept:
                kept.add(key)
                continue
            # The same line twice in one article: an image caption printed twice.
            drop(start, end)
            continue
        if readability.is_debris_line(line):
            # Byline, note to editors, photo credit, contact details, separator.
            drop(start, end)
            continue
        # A hard-wrapped paragraph goes on on the next line: a long line without a sentence end.
        was_open = open_before
        open_before = len(line.strip()) >= _MIN_WRAPPED_LINE and not _TERMINATED.search(line)
        is_first, first_body = first_body, False
        pos = start
        while found := readability.leading_debris(work[pos:end], first=is_first):
            length, kind = found
            if kind == "list marker":
                if was_open:
                    break  # "-- " opening a hard-wrapped line is a dash, not a bullet
                flagged.append((start, end, "list item"))
            drop(pos, pos + length)
            pos += length
        if readability.is_timeline_entry(work[pos:end]):
            flagged.append((start, end, "timeline entry"))

    work = "".join(chars)
    units = list(_units(work))
    has_terminated = any(u.terminated for u in units)
    has_lower = any(c.islower() for c in work)
    sentences: list[Sentence] = []
    for paragraph, unit in enumerate(units):
        segment = work[unit.start : unit.end]
        if (
            has_terminated
            and not unit.terminated
            and unit.words < _MIN_WORDS_UNTERMINATED_BODY
            and not _SENTENCE_INSIDE.search(segment)
        ):
            # Headline, section heading, caption or byline: not body text. (A paragraph with
            # a sentence end inside is text that ends in a colon or was cut off: it stays.)
            if title is None and paragraph < 3:
                title = " ".join(segment.split())
            drop(unit.start, unit.end)
            continue
        if has_lower and unit.words <= _MAX_WORDS_CAPITAL_HEADING and _capitals(segment):
            drop(unit.start, unit.end)  # "MOVED FRIDAY.", "IS THERE AN EDITOR IN THE HOUSE?"
            continue
        quoted = 0  # depth of double quotes open at the start of the sentence
        for s, e in split_sentences(segment):
            for start, end in _split_long(unit.start + s, unit.start + e, work, max_sentence_chars):
                if not _WORD.search(work[start:end]):
                    continue
                sentence_text = text[start:end]
                debris = readability.is_debris(work[start:end])
                if debris in _NOT_BODY:
                    drop(start, end)  # a note or credit inside a paragraph of news
                    continue
                unfit = next((why for a, b, why in flagged if a <= start < b), None)
                unfit = unfit or debris
                if quoted > 0 and unfit is None:
                    unfit = "inside a quotation"
                quoted = max(0, quoted + readability.quote_depths(work[start:end])[1])
                sentences.append(
                    Sentence(
                        doc=doc_index,
                        index=len(sentences),
                        start=start,
                        end=end,
                        text=sentence_text,
                        paragraph=paragraph,
                        unfit=unfit,
                    )
                )
    return ParsedDocument(
        document=document,
        title=title,
        date=date,
        authors=tuple(authors),
        sentences=tuple(sentences),
        boilerplate=tuple(boilerplate),
    )


def _capitals(segment: str) -> bool:
    """Nearly all letters are capitals, in two words or more: a heading, not a sentence."""
    letters = [c for c in segment if c.isalpha()]
    words = [w for w in segment.split() if any(c.isalpha() for c in w)]
    return len(words) >= 2 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _units(work: str) -> Iterator[_Unit]:
    """Paragraph units: blank-line blocks, either hard-wrapped paragraphs or one unit per line."""
    block: list[tuple[int, int]] = []
    for start, end in [*_lines(work), (len(work), len(work))]:
        if work[start:end].strip():
            block.append(_trim(work, start, end))
            continue
        if block:
            yield from _block_units(work, block)
            block = []


def _block_units(work: str, block: Sequence[tuple[int, int]]) -> Iterator[_Unit]:
    open_lines = sum(1 for s, e in block[:-1] if not _TERMINATED.search(work[s:e]))
    wrapped = (
        len(block) > 1
        and max(e - s for s, e in block) <= _MAX_WRAPPED_LINE
        and open_lines * 2 >= len(block) - 1
    )
    groups = [(block[0][0], block[-1][1])] if wrapped else block
    for start, end in groups:
        segment = work[start:end]
        yield _Unit(
            start=start,
            end=end,
            terminated=bool(_TERMINATED.search(segment)),
            words=len(_WORD.findall(segment)),
        )


def ingest_all(
    documents: Sequence[Document], *, max_sentence_chars: int = 2000
) -> list[ParsedDocument]:
    """Ingest every document of a request."""
    return [
        ingest(doc, i, max_sentence_chars=max_sentence_chars) for i, doc in enumerate(documents)
    ]
