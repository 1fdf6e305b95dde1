"""Readability of summary sentences: debris, questions, and openings that need what came before.

Three questions, asked of every candidate sentence, so all are plain regular-expression work:

- ``is_debris(text)``: is this not a sentence a reader should ever see in a summary? List
  markers, datelines, bylines, headings, photo captions, editor's notes, contact lines,
  sentences cut short (at "Gen." or without a proper end), quotation fragments and bare
  quotes. Ingest masks most debris before it becomes a sentence at all; it records what is
  body text but unfit to show in ``Sentence.unfit`` (using this function too).
- ``not_a_statement(text)``: does the sentence ask rather than tell (a teaser, a rhetorical
  question, a "Q:" line)? Body text, never shown.
- ``needs_antecedent(text, introduced)``: does the sentence's opening lean on something
  said before it (a pronoun, a connective, "also", "the move", a surname never given in
  full)? ``introduced`` is what earlier summary sentences told: ``names_introduced(texts)``.

Each returns a short reason (for logs, tests and the benchmark) or ``None``. None reads
beyond the sentence; they err on the side of flagging, since a flagged sentence is only
passed over for another member of its fact cluster or another fact.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

from newsfuse import names

# --- shared pieces --------------------------------------------------------------------------

#: Titles that stand before a name: a sentence never ends with one.
TITLE_ABBREVIATIONS = frozenset(
    "Mr Mrs Ms Dr Gen Gens Sen Sens Rep Reps Gov Lt Col Sgt Capt Cmdr Cmndr Comdr Cdr Adm Maj"
    " Prof Rev Supt Insp Det Pvt Cpl Brig Lieut Msgr Hon Atty Amb Gov Pres Sec Fr".split()
)
_TITLE_END = re.compile(
    r"(?:^|[\s(\"“`'‘])(?:" + "|".join(sorted(TITLE_ABBREVIATIONS)) + r")\.[\"'”’)]*$"
)
_OPEN_QUOTES = ("``", "“", '"', "‘‘")
_DOUBLE_QUOTE = re.compile(r"``|''|[“”\"]")
_LEADING_JUNK = re.compile(r"^[\s(\[\"“”'‘’`]+")

# --- debris ---------------------------------------------------------------------------------

_LIST_MARKER = re.compile(
    r"^\s*(?:--+|[—–•·▪►◦*]+|[-_](?=\s)|\d{1,2}[.)](?=\s)|\(\d{1,2}\)(?=\s)|[a-h][.)](?=\s))\s*"
)
_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?|January|February|March|April|May"
    r"|June|July|August|September|October|November|December"
)
_AGENCIES = r"AP|Xinhua|xinhua|XINHUA|Reuters|AFP|UPI|CNA|dpa|DPA|Kyodo|Bloomberg|IPS|PTI|NYT"
# "PINE RIDGE, S.D. (AP) -- ", "COEUR d'ALENE, Idaho _ ", "HONG KONG, September 10 (Xinhua)
# -- ", "BEIDAIHE (Hebei), March 5 (Xinhua) -- ", "WASHINGTON (AP -- " (sic).
_DATELINE = re.compile(
    r"^\s*(?:\(NYT\d*\)\s*)?(?P<place>[A-Z][A-Z.'’\-]+(?:\s+(?:[A-Z][A-Z.'’\-]+|[a-z]'[A-Z]+))*)"
    r"(?:\s*\([A-Z][a-z]+\))?"
    r"(?P<region>(?:,\s*[A-Z][A-Za-z.'’\-]*(?:\s+[A-Z][A-Za-z.'’\-]*)*)*?)"
    r"(?P<date>,?\s*(?:" + _MONTH + r")\s+\d{1,2}(?:,\s*\d{4})?)?"
    r"(?P<agency>\s*\((?:" + _AGENCIES + r")\)?)?"
    r"\s*(?:--|—|–|_|(?<=[\s)])-(?=\s))\s*(?=[A-Z\"“`'‘(0-9])"
)
# Xinhua writes the place in title case; then the date and the agency make it a dateline:
# "Madrid, June 24 (Xinhua) -- ", "New Delhi, March 3 (Xinhua) -- ".
_TITLED_DATELINE = re.compile(
    r"^\s*[A-Z][a-z'’\-]+(?:\s+[A-Z][a-z'’\-]+){0,3}(?:\s*\([A-Z][a-z]+\))?"
    r"(?:,\s*[A-Z][A-Za-z.'’\-]*(?:\s+[A-Z][A-Za-z.'’\-]*){0,2}){0,2}"
    r",?\s*(?:" + _MONTH + r")\s+\d{1,2}(?:,\s*\d{4})?"
    r"\s*\((?:" + _AGENCIES + r")\)\s*(?:--|—|–|_|-)\s*(?=[A-Z\"“`'‘(0-9])"
)
# Budget slugs of the wire services: "FBN-VECSEY-COLUMN _ ", "GORE-BRADLEY (St. Louis) _ ",
# "ONLINE-AUCTIONS-2-COX, 10-20 -- ", "KIDBOOKS (undated) ".
_SLUG = re.compile(
    r"^\s*[A-Z0-9]{2,}(?:-[A-Z0-9]{1,})+(?:,\s*\d{1,2}-\d{1,2})?(?:\s*\([^()\n]{1,40}\))?"
    r"\s*(?:_|--|—)\s+|^\s*[A-Z][A-Z0-9-]{2,}\s*\((?:undated|Undated|UNDATED)\)\s*(?:_|--|—)?\s*"
)
_BYLINE = re.compile(
    r"\s*(?:By|BY)\s+[A-Z][\w.'’-]*(?:\s+(?:and\s+|&\s+)?[A-Z][\w.'’-]*){0,5}\s*[.,]?\s*$"
    r"|\s*(?:By\s+[^,]{3,40},\s*)?(?:The\s+)?(?:Associated\s+Press|AP|Xinhua|Reuters|Cox\s+News"
    r"|New\s+York\s+Times)(?:\s+\w+){0,2}\s+(?:Writers?|Correspondents?|Reporters?|Editors?"
    r"|Staff)\s*\.?\s*$|\s*c\.\s*\d{4}\s+(?:N\.Y\.|The\s+New\s+York)|AP\s+NewsBrief\b"
    # A copyright line: "Copyright 1999 by T. Berry Brazelton, M.D.", "(c) 1998 Reuters".
    r"|\s*(?:copyright|\(c\)|©)\s*(?:\(c\)\s*|©\s*)?(?:19|20)\d\d\b",
    re.IGNORECASE,
)
# Notes to editors: how they open, and phrases that give them away wherever they stand
# (looked up as plain lower-case substrings: every sentence is checked, so this must be cheap).
_EDITORS_NOTE_START = re.compile(
    r"\W*(?:attention\s+)?editors?\s*:|\W*eds?\s*:|\W*please\s+note\s*:"
    r"|\W*editor(?:'s|s'|’s|s)?\s+note|\W*(?:the\s+)?following\s+(?:are|is)\b"
    r"|\W*end\s+of\s+story\b|\W*(?:endit|nnnn|\(end\))\W*$|\W*nonsubscribers\b"
    r"|\W*(?:story|photos?)\s+will\s+move\b|\W*(?:this\s+``?separate|to\s+publish\s+this)"
    r"|\W*for\s+use\s+by\s+(?:clients|new\s+york)",
    re.IGNORECASE,
)
# A whole paragraph is a note when it opens like one ("Following is a transcript ..." is an
# introduction: only that sentence goes).
_EDITORS_NOTE_LINE = re.compile(
    r"(?!\W*(?:the\s+)?following\s+(?:are|is)\b)(?:" + _EDITORS_NOTE_START.pattern + ")",
    re.IGNORECASE,
)
_EDITORS_NOTE_PHRASES = (
    "editor's note", "editors' note", "editors note", "editor’s note", "(eds:", "(ed:",
    "(editors:", "story will move", "will move in the", "optional trim", "optional material",
    "story can end here", "to publish this article", "separate buy", "separate-buy",
    "nonsubscribers", "for use by clients", "for use by new york times",
    "contributed to this report", "can be reached at", "can be reached by",
    "can be reached on", "news items in leading", "embargoed for", "this article is excerpted",
    "this article is reprinted", "this article is adapted",
)  # fmt: skip
_CAPTION_HINTS = ("photo", "graphic", "pictured", "caption", "left", "right", "center", "centre",
                  "top,", "bottom", "ground", "images")  # fmt: skip
_CAPTION = re.compile(
    r"\((?:[^()]{0,60}/)?\s*(?:AP|AFP|Reuters|Getty|[A-Z][\w .]{0,40})?\s*(?:photos?|graphics?)\s*"
    r"(?:by[^()]{0,40})?\)|^\W*(?:photo|pictured|caption|photograph)\s*(?:\(|:)"
    r"|,\s*(?:left|right|center|centre|top|bottom|foreground|background)\s*,|\bfrom\s+left\b"
    r"|^\W*\(?(?:AP|Reuters|AFP|Getty)\s+(?:Photo|Images)",
    re.IGNORECASE,
)
_PHONE = re.compile(r"\d{3}[-. ]\d{3}[-. ]\d{4}\b|\(\d{3}\)\s*\d{3}-\d{4}")
_CONTACT = re.compile(
    _PHONE.pattern + r"|\w\(at\)\w|[\w.-]+@[\w-]+\.\w|https?://|\bwww\.|^\W*on\s+the\s+net\b",
    re.IGNORECASE,
)


def _editors_note(s: str, low: str) -> bool:
    return bool(_EDITORS_NOTE_START.match(s)) or any(p in low for p in _EDITORS_NOTE_PHRASES)


def _caption(s: str, low: str) -> bool:
    return any(h in low for h in _CAPTION_HINTS) and _CAPTION.search(s) is not None


def _contact(s: str, low: str) -> bool:
    if "@" in s or "(at)" in low or "http" in low or "www." in low or "on the net" in low:
        return _CONTACT.search(s) is not None
    return _PHONE.search(s) is not None


_RUN_IN_LABEL = re.compile(r"^\s*[A-Z][A-Z'’.&\-]+(?:\s+[A-Z][A-Z'’.&\-]+)*\s*:\s")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$|[!?][\"'”’)\]\s]*(?:''|”)?$|[.!?]\s*''$")
_ELLIPSIS_END = re.compile(r"(?:\.\s?\.\s?\.|…)[\"'”’)\]]*$")
_LOWER_START_OK = frozenset(
    "de van von der den al el bin ibn da di du la le e-mail eBay iPhone iPod iPad iTunes".split()
)
_TIMELINE_LABEL = re.compile(
    r"^\s*(?:(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?|January|February|March|April"
    r"|May|June|July|August|September|October|November|December)\s+\d{1,2}(?:,\s*\d{4})?\s*"
    r"(?:[:.]\s*)?(?:--|—|:|_(?=\s))|^\s*(?:19|20)\d\d\s*(?::|--|—|_)\s",
)


_UPPER = re.compile(r"[A-Z]")
_LETTERS = re.compile(r"[A-Za-z]")


def _all_caps_share(text: str) -> float:
    letters = len(_LETTERS.findall(text))
    return len(_UPPER.findall(text)) / letters if letters else 0.0


def _heading(text: str) -> bool:
    """A heading, a section label or a run-in head: mostly capitals, or a capital lead-in."""
    words = text.split()
    first = words[0].strip("\"'“”‘’`(") if words else ""
    if not (first.isupper() and any(c.isalpha() for c in first)):
        return False  # every kind of heading opens with a word in capitals
    if len(words) == 1:
        return sum(c.isalpha() for c in first) >= 4  # "SPORTS", "TIMELINE:"
    if _all_caps_share(text) >= 0.8:
        return True
    if _RUN_IN_LABEL.match(text):
        return True
    # "YANKEES Pitching ...": a capitalised word too long for an acronym, then a Title-case
    # word: a heading run into the text.
    if (
        len(words) >= 2
        and len(first) >= 6
        and first.isalpha()
        and words[1][:1].isupper()
        and not words[1].isupper()
    ):
        return True
    # Three or more all-capital words ahead of ordinary text ("EQUAL RIGHTS FOR ALL _ The").
    caps = 0
    for word in words:
        core = word.strip("\"'“”‘’`(),:;_-")
        if core.isupper() and sum(c.isalpha() for c in core) >= 2:
            caps += 1
            continue
        break
    return caps >= 3


def quote_depths(text: str) -> tuple[int, int]:
    """``(lowest, final)`` depth of double quotation marks over ``text``.

    ```` and “ open, '' and ” close; a '' or " at the start of a word opens (wire copy
    writes ''quote'' as often as ``quote''). A lowest depth below zero means the text starts
    inside a quotation begun before it; a final depth above zero, one that goes on after it.
    """
    depth = lowest = 0
    for m in _DOUBLE_QUOTE.finditer(text):
        mark, at = m.group(), m.start()
        before = text[at - 1] if at else " "
        after = text[m.end()] if m.end() < len(text) else " "
        if mark in ("``", "“"):
            opening = True
        elif mark == "”":
            opening = False
        else:  # '' or ": by position
            opening = (before.isspace() or before in "([{—–-") and not after.isspace()
            if mark == '"' and not opening and not (before.isspace() or before in "([{"):
                opening = False
        depth += 1 if opening else -1
        lowest = min(lowest, depth)
    return lowest, depth


def _bare_quotation(text: str) -> bool:
    """The sentence is only a quotation: no words outside it name a speaker."""
    stripped = text.strip()
    if not stripped.startswith((*_OPEN_QUOTES, "''")):
        return False
    for m in _DOUBLE_QUOTE.finditer(stripped):
        if quote_depths(stripped[: m.end()])[1] == 0:
            # Back outside the quotation: bare only if nothing but punctuation follows.
            return not re.search(r"\w", stripped[m.end() :])
    return True  # never leaves the quotation


def is_debris(text: str) -> str | None:
    """Why ``text`` is not a sentence to show a reader, or ``None`` when it is one.

    Reasons: ``list marker``, ``timeline entry``, ``dateline``, ``byline``, ``heading``,
    ``caption``, ``editor's note``, ``contact or link``, ``truncated at an abbreviation``,
    ``no sentence end``, ``ends in an ellipsis``, ``starts mid-sentence``, ``fragment``
    (three words or fewer), ``bracketed aside``, ``quotation fragment`` (it starts inside a
    quotation begun in an earlier sentence) and ``bare quotation`` (only a quotation, or the
    opening of one, with no speaker). Cheap: a few regular expressions over the sentence.
    """
    s = " ".join(text.split())
    if not s:
        return "fragment"
    low = s.lower()
    tail = s[-12:]
    if _LIST_MARKER.match(s):
        return "list marker"
    if _TIMELINE_LABEL.match(s):
        return "timeline entry"
    if _DATELINE.match(s) or _TITLED_DATELINE.match(s) or _SLUG.match(s):
        return "dateline"
    if _BYLINE.match(s):
        return "byline"
    if _editors_note(s, low):
        return "editor's note"
    if _caption(s, low):
        return "caption"
    if _contact(s, low):
        return "contact or link"
    if _heading(s):
        return "heading"
    words = s.split()
    if len(words) <= 6 and sum(1 for w in words if any(c.isalnum() for c in w)) <= 3:
        return "fragment"
    if _TITLE_END.search(tail):
        return "truncated at an abbreviation"
    if _ELLIPSIS_END.search(tail):
        return "ends in an ellipsis"
    if not _TERMINAL.search(tail) or s.endswith((":", ";", ",")):
        return "no sentence end"
    first = _LEADING_JUNK.sub("", s[:40]).split(" ", 1)[0]
    if first[:1].islower() and first.split("-")[0] not in _LOWER_START_OK:
        return "starts mid-sentence"
    if s.startswith("(") and s.rstrip(".").endswith(")"):
        return "bracketed aside"
    if "``" in s or "''" in s or '"' in s or "“" in s or "”" in s:
        if quote_depths(s)[0] < 0:
            return "quotation fragment"
        if _bare_quotation(s):
            return "bare quotation"
    return None


# "Q: What is autism?", "A: A brain disorder ...": an interview's or a FAQ's labels.
_QA_MARKER = re.compile(r"^(?:Q\s*[:.]|A\s*:)\s")
# A feature writer's address to the reader: "Just look at who's going to bat for Napster",
# "Consider the Coeur d'Alene tribe", "Imagine ...", "Remember when ...", "Take, for example,".
_ADDRESS = re.compile(
    r"^(?![`'\"“‘])\W*(?:(?:just\s+)?(?:look\s+at|consider|imagine|forget|remember|think\s+about"
    r"|take\s+(?:the|a|an))\b|take\s*,)",
    re.IGNORECASE,
)
# What introduces a list, a transcript or a fact box rather than stating a fact: "Here are
# some of the findings", "Following is a primer on the issue", "Figures available Saturday on
# the earthquake that struck Turkey early Tuesday".
_INTRODUCES = re.compile(
    r"^(?![`'\"“‘])\W*(?:here\s+(?:is|are)\b|here's\b|following\s+(?:is|are)\b"
    r"|(?:figures|facts|details|statistics|highlights)\s+available\s+"
    r"(?:(?:\w+day|today|now)\s+)?(?:on|about|for|as\s+of)\b)",
    re.IGNORECASE,
)
# A feature's or a fact box's run-in label: "Claim: ...", "Proof: ...", "Microsoft's take:
# ...", "His best option: ...". Not a speaker ("Sims agreed: ...", "But she argues: ..."):
# the label has no verb-like word (ending in -ed or -s, possessives aside) and no pronoun.
_RUN_IN = re.compile(r"^(?P<label>[A-Z][\w'’.-]*(?:\s+[\w'’.-]+){0,2}):\s+[A-Z`\"“]")
_NOT_A_LABEL = re.compile(
    r"(?:ed|[^'’s]s)$|^(?:he|she|it|they|we|i|you|it's|that|this|there|but|and)$", re.IGNORECASE
)
# A question mark at the end of the sentence inside a quoted word or two that ask nothing
# themselves, not introduced as speech: "Depressed that there's no more ``Seinfeld?''" asks
# (the mark is the sentence's); "He asked, ``Why?''" reports a question; "the film ``Why
# Not?''" names one.
_QUOTED_END_QUESTION = re.compile(
    r"(?<![,:])\s(?:``|\"|“)(?P<quoted>[^`\"“”'\s]+(?:\s[^`\"“”'\s]+)?)\?\s*(?:''|\"|”)\W*$"
)
_ASKING_WORD = re.compile(
    r"\b(?:who|what|why|where|when|how|which|whose|is|are|was|were|do|does|did|can|could|will"
    r"|would|should|not)\b",
    re.IGNORECASE,
)


def not_a_statement(text: str) -> str | None:
    """Why a body sentence states nothing a brief could tell, or ``None``.

    ``question`` (the sentence itself asks: a feature's teaser, a rhetorical question; a
    question quoted inside it is fine), ``question and answer marker`` ("Q: ...",
    "A: ..."), ``addresses the reader`` (a feature writer's "Just look at ...", "Consider
    ...", "Imagine ...") and ``introduces what follows`` ("Here are ...", "Following is
    ...", a fact box's "Figures available Saturday on ...") and ``run-in label`` ("Claim:
    ...", "Microsoft's take: ..."). Such sentences are body text,
    not debris, and may be cited; a summary never shows them.
    """
    s = " ".join(text.split())
    if _QA_MARKER.match(s):
        return "question and answer marker"
    if _outside_quotes(s).rstrip(" \"'”’").endswith("?"):
        return "question"
    m = _QUOTED_END_QUESTION.search(s)
    if m and not _ASKING_WORD.search(m.group("quoted")):
        return "question"
    if _ADDRESS.match(s):
        return "addresses the reader"
    if _INTRODUCES.match(s):
        return "introduces what follows"
    label = _RUN_IN.match(s)
    if label and not any(_NOT_A_LABEL.search(w) for w in label.group("label").split()):
        return "run-in label"
    return None


# --- whole lines and line openings (for ingest, which masks them) ---------------------------

_PHOTO_PACKAGE = re.compile(r"^\s*\(NYT\d+\)\s")
_PHOTO_CREDIT = re.compile(
    r"\((?:[^()\n]{0,60}/)[^()\n]{0,60}(?:photo|graphic|illustration)s?\)(?:\s*\*?LITE\b)?",
    re.IGNORECASE,
)
_SEPARATOR_LINE = re.compile(
    r"^[\W_]*(?:-0-|x(?:\s*x)+|nn|endit|more|\$+|\(?end\)?|end\s+of\s+story|how\s+to\s+reach\s+us)?"
    r"[\W_]*$",
    re.IGNORECASE,
)
#: Notes and markers inside a paragraph: masked, the rest of the paragraph stays.
INLINE_DEBRIS = re.compile(
    _PHOTO_CREDIT.pattern
    + r"|\(\s*(?:begin|end)\s+optional\s+trim\s*\)|\b(?:BEGIN|END)\s+OPTIONAL\s+TRIM\b"
    r"|\((?:[^()\n]{0,80})will\s+move\s+in\s+the[^()\n]{0,40}\)|_{3,}|-{4,}|={3,}|\*{3,}"
    r"|(?<=\s)-0-(?=\s|$)|\(\s*(?:eds?|editors?)\s*:[^()\n]{0,300}\)"
    # AP desk initials closing a paragraph: "(gw/sl)", "(pw)"; NYT credits "(Lipman, Cox News
    # Service)".
    r"|(?<=\s)\((?-i:[a-z]{1,4}(?:/[a-z]{1,4})*)\)?(?=\s*$)"
    r"|\([A-Z][\w.' -]{1,40},\s*(?:Cox|[A-Z][\w ]{0,30})\s+News\s+Service\)\.?"
    # Xinhua's subject slug closing a paragraph: "(Egypt-Israel-Troop Pullback)".
    r"|(?<=\s)\((?-i:[A-Z][\w.]*(?:\s*-\s*[A-Z][\w.]*(?:\s+[A-Z][\w.]*)*)+)\)(?=\s*$)",
    re.IGNORECASE | re.MULTILINE,
)


def is_debris_line(line: str) -> str | None:
    """Why a whole line (a paragraph of wire copy) is not body text, or ``None``.

    Bylines, paragraphs that open as a note to editors, photo credits and photo-package
    captions, contact details and separators: ingest masks such lines, so they are never
    sentences, cited or counted. Stricter than ``is_debris``: a paragraph that only
    contains a note or a web address keeps its other sentences.
    """
    s = " ".join(line.split())
    if not s:
        return None
    if _SEPARATOR_LINE.match(s):
        return "separator"
    if _PHOTO_PACKAGE.match(s):
        return "caption"
    if _BYLINE.match(s):
        return "byline"
    if _EDITORS_NOTE_LINE.match(s):
        return "editor's note"
    if _PHOTO_CREDIT.fullmatch(s.strip(" .")) or re.match(
        r"^\W*(?:photo|pictured|caption)\s*(?:\(|:)", s, re.IGNORECASE
    ):
        return "caption"
    if len(s.split()) <= 20 and _contact(s, s.lower()):
        return "contact or link"
    return None


def leading_debris(line: str, *, first: bool = False) -> tuple[int, str] | None:
    """``(length, kind)`` of debris opening a line, or ``None``.

    Kinds: ``dateline`` ("PINE RIDGE, S.D. (AP) -- "; a bare "PHOENIX _ " only when
    ``first``, the document's first line), ``slug`` ("GORE-BRADLEY (St. Louis) _ ") and
    ``list marker`` ("-- ", "* ", "• ", "1. "). Ingest masks them and keeps the rest.
    """
    if m := _SLUG.match(line):
        return m.end(), "slug"
    if (m := _DATELINE.match(line)) and (
        first or m.group("region") or m.group("date") or m.group("agency")
    ):
        return m.end(), "dateline"
    if m := _TITLED_DATELINE.match(line):
        return m.end(), "dateline"
    if m := _LIST_MARKER.match(line):
        return m.end(), "list marker"
    return None


def is_timeline_entry(text: str) -> bool:
    """A line that opens with a date label: "Aug. 14 -- ...", "1999: ...", "May 30 _ ..." (the
    New York Times wire writes its dashes as "_")."""
    return _TIMELINE_LABEL.match(text) is not None


# --- antecedents ----------------------------------------------------------------------------

_PRONOUNS = frozenset(
    "he she they it its his her hers their theirs them him this these those that such both"
    " another others".split()
)
_TIME_NOUNS = frozenset(
    "year week month weekend morning afternoon evening night summer winter spring fall autumn"
    " season century decade days years weeks months past".split()
)
_COPULA = (
    r"(?:'s|’s|is|was|has\s+been|had\s+been|will\s+be|would\s+be|may\s+be|might\s+be|could\s+be"
    r"|can\s+be|should\s+be|must\s+be|remains|remained|seems|seemed|appears|appeared|became"
    r"|becomes|takes|took|will\s+take|would\s+take|isn't|wasn't|is\s+not|was\s+not)"
)
# "It" that refers to nothing: extraposition ("It is unclear whether ..."), time ("It has been
# ten years since ..."), "It takes ... to ...", and "It is the first time ..." (decided: the
# clause after "first time" says what happened, so the sentence stands on its own).
_DUMMY_IT = re.compile(
    r"^It\s+" + _COPULA + r"\s+(?:not\s+|also\s+|still\s+|now\s+|only\s+|just\s+|too\s+|so\s+"
    r"|very\s+|more\s+|less\s+|no\s+longer\s+|immediately\s+|yet\s+)*"
    r"(?:(?:the\s+(?:first|second|third|last|latest|only)\s+time\b(?!\s+such))"
    r"|(?:(?!\w+ed\s+(?:to|as|by)\b)[\w,-]+\s+){0,5}(?:that|to|whether|if|how|why|what|when"
    r"|where|who"
    r"|since|for|before|until)\b)",
    re.IGNORECASE,
)
_CONNECTIVES = re.compile(
    r"^(?:also|but|and|or|nor|however|meanwhile|moreover|furthermore|further|still(?=,)|yet|thus"
    r"|therefore|hence|consequently|accordingly|instead|nevertheless|nonetheless|besides(?=,)"
    r"|rather(?=,)"
    r"|otherwise|then|later|afterward|afterwards|subsequently|similarly|likewise|indeed"
    r"|additionally|again(?=,)|finally(?=,)|elsewhere|conversely|regardless|in\s+addition(?!\s+to)"
    r"|in\s+fact|in\s+turn|in\s+return|in\s+response(?!\s+to)|in\s+contrast(?!\s+to)"
    r"|by\s+contrast|on\s+the\s+other\s+hand|at\s+the\s+same\s+time|as\s+a\s+result(?!\s+of)"
    r"|for\s+example|for\s+instance|even\s+so|even\s+then|so(?=,)|so\s+(?=the\b|it\b|he\b|she\b"
    r"|they\b|we\b)|now(?=,)|there(?=,)|earlier(?!\s+(?:this|last|in)\b)|too(?=,)|as\s+well(?=,)"
    r"|not\s+only\s+that|what'?s\s+more|on\s+top\s+of\s+that|all\s+the\s+same|after\s+that"
    r"|before\s+that|since\s+then|by\s+then|until\s+then|at\s+that\s+time|that\s+same)\b",
    re.IGNORECASE,
)
_ALSO = re.compile(r"\balso\b", re.IGNORECASE)
_ALSO_OK = re.compile(
    r"\b(?:but|not\s+only\b[^.]{0,80}?)\s+also\b|\balso\s+(?:known|called|spelled|referred|named"
    r"|dubbed)\b",
    re.IGNORECASE,
)
_SPEECH_VERBS = (
    "said|says|say|told|tells|added|adds|argued|argues|insisted|insists|acknowledged|explained"
    "|noted|notes|believes|believed|thinks|thought|wrote|writes|recalled|recalls|testified"
    "|admitted|admits|denied|denies|warned|warns|claimed|claims|stressed|declared|announced"
    "|asked|replied|urged|predicted|suggested|conceded|contended|complained|agreed|disagreed"
)
_SPEECH = frozenset(_SPEECH_VERBS.split("|"))
_SPEECH_BEFORE_ALSO = re.compile(r"\b(?:" + _SPEECH_VERBS + r")\b", re.IGNORECASE)
# Descriptions that refer back to a whole event or statement: always need what came before
# (an antecedent is a predication the caller must place right before, not a word to match).
_ABSTRACT_ANAPHORS = (
    "move|decision|statement|announcement|remarks?|comments?|step|measure|action|actions"
    "|development|developments|news|episode|incident|situation|matter|issue|effort|efforts"
    "|request|offer|gesture|response|reaction|claim|claims|allegations?|charges?|change|changes"
    "|former|latter|same|two|three|four|pair|trio|couple|duo|other|others|rest|latest|idea"
    "|company|firm|agency|group|official|officials|man|woman|men|women|boy|girl|victim|victims"
    "|suspect|suspects|defendant|pilot|driver|gunman|teenager|student|organization|body"
    "|problem|problems|result|results|outcome"
)
# Events and things a summary introduces before it says "the crash", "the report": fine once
# the noun (or its verb) has been used in an earlier sentence.
_EVENT_ANAPHORS = (
    "crash|attack|attacks|accident|blast|explosion|bombing|shooting|killing|killings|disaster"
    "|tragedy|fire|quake|earthquake|storm|flood|flooding|sinking|collision|meeting|talks|summit"
    "|visit|trip|deal|agreement|accord|pact|treaty|plan|proposal|bill|law|ruling|verdict"
    "|decree|report|study|survey|poll|findings|investigation|inquiry|probe|trial|case|strike"
    "|protest|protests|election|vote|war|conflict|campaign|program|programme|project|scheme"
    "|operation|mission|rescue|ceasefire|truce|cancellation|call|conversation|interview"
    "|letter|speech|warning|threat|ban|tax|policy|law|scandal|affair|dispute|crisis|outbreak"
    "|epidemic|virus|disease|drug|submarine|ship|plane|aircraft|vessel|boat|train|car|bus"
    "|document|documents|sample|samples|hearing|lawsuit|suit|settlement|merger|rally|riot"
    "|act|venture|data|advisory|item|items|finding|studies"
)
# Bodies a story names before it says "the board" or "the panel" bare ("The city council",
# "The school board" say which one).
_BODY_ANAPHORS = (
    "board|panel|committee|commission|council|center|centre|jury|court|team|newspaper|paper"
    "|union"
)
# Up to two lower-case words before the noun ("The random telephone survey", "The coming
# visit"): a capitalised one names the thing ("The Supreme Court", "The Macpherson report").
_DEFINITE = re.compile(
    r"^(?:The|These|Those|This|That|Such|Both)\s+(?:"
    r"(?:(?-i:[a-z][a-z'’-]*)\s+){0,2}?(?P<noun>" + _ABSTRACT_ANAPHORS + "|" + _EVENT_ANAPHORS
    + r")(?:e?s)?|(?P<body>" + _BODY_ANAPHORS + r"))(?![\w-])(?P<rest>.{0,40})",
    re.IGNORECASE | re.DOTALL,
)
# A person known by a role, perhaps with a nationality ("The Mongolian minister", "The
# spokesman"): which one? One person only ("The actors said the play would go on" names a
# group the story is about). Unique offices ("The Russian president") and capitalised titles
# ("The Foreign Minister") are not here.
_ROLE_ANAPHORS = (
    "minister|spokesman|spokeswoman|spokesperson|diplomat|envoy|ambassador|lawyer|attorney"
    "|judge|senator|lawmaker|legislator|commander|officer|scientist|researcher"
    "|doctor|physician|author|writer|leader|director|chairman|activist"
    "|witness|resident|worker|soldier|player|coach|singer|actor|actress|professor|priest"
)
_ROLE_DEFINITE = re.compile(
    r"^The\s+(?:(?-i:[a-z][a-z'’-]*)\s+)?(?:(?-i:[A-Z][a-z]+(?:ian|an|ese|ish|i|ch))\s+)?"
    r"(?:(?-i:[a-z][a-z'’-]*)\s+)?(?P<noun>" + _ROLE_ANAPHORS + r")(?![\w-])"
    r"(?P<rest>.{0,40})",
    re.DOTALL,
)
# "The target is Napster", "The arrangement temporarily secures …", "The farm was sold":
# a singular noun (at most one lower-case word before it) followed at once by a verb names
# one thing the reader must already know. Plural groups ("The actors said …") are the
# story's own subjects and pass, as do nouns the summary has used ("introduced").
_NOUN_THEN_VERB = (
    "is|was|has|had|will|would|could|can|may|might|must|should|did|does"
    "|remains|remained|seems|seemed|appears|appeared"
)
# Words ending in "-ly" that are nouns, not the adverb of "The arrangement temporarily secures".
_LY_NOUNS = "family|ally|assembly|rally|supply|monopoly|anomaly|reply|july|italy"
_BARE_DEFINITE = re.compile(
    r"^The\s+(?:[a-z][a-z'’-]*\s+)?(?P<noun>[a-z][a-z-]{2,})\s+"
    r"(?:(?P<verb>" + _NOUN_THEN_VERB + r")|(?!(?:" + _LY_NOUNS + r")\s)[a-z]+ly\s+[a-z]+(?:s|ed))"
    r"(?![\w'’-])"
)
# Things a story names with "the" as everyone knows them ("The music industry has …"); see
# also _UNIQUE_NOUNS.
_SHARED_NOUNS = frozenset(
    "industry market markets economy euro dollar yen weather sun moon earth planet sea"
    " ocean web climate environment navy administration parliament opposition"
    " regime junta president cabinet senate congress legislature".split()
)
# "The first, in 1997, ended …": the first of what?
_BARE_ORDINAL = re.compile(
    r"^The\s+(?P<noun>first|second|third|fourth|last|latter|former|other)"
    r"(?:\s*,|\s+(?:is|was|were|are|had|has|came|ended|began|took)\b)"
)
# What may follow the noun and spell out which one is meant ("The decision to scrap the
# meeting", "The report by the Census Bureau", "The two countries' leaders" is not one).
_DEFINING = re.compile(
    r"^\s*(?:to\s+\w+|by\b|of\b|that\b(?!\s*,)|which\b|who\b|on\b|from\b|against\b|for\b|in\s+which"
    r"|between\b|,\s*(?:released|issued|published|prepared|commissioned|written|conducted"
    r"|compiled|signed|announced|approved|adopted|passed)\b)",
    re.IGNORECASE,
)
_DETERMINERS = frozenset("the a an his her their its our my this these those".split())
# A sentence adverb before the subject: what follows it must stand alone as an opening would.
_HEDGE = re.compile(
    r"^(Maybe|Perhaps|Probably|Possibly|Apparently|Clearly|Obviously|Certainly|Surely"
    r"|Undoubtedly|Evidently|Of\s+course|No\s+doubt),?\s+"
)
# A short lead-in before a pronoun ("More recently, it's been hyped", "In response, they"):
# nothing in it can be what the pronoun means.
_LEAD_IN_PRONOUN = re.compile(
    r"^[A-Z][a-z]+(?:\s+[a-z]+){0,3},\s+(he|she|it|they|his|her|its|their)(?:['’](?:s|re|ve|ll|d))?\b"
)
# The writer speaking ("In my garden I used native viburnums"): a column's voice, which a
# summary of the news cannot take over. Reported speech without quotation marks ("We will
# not give up, he said") is left alone.
_FIRST_PERSON = re.compile(r"(?<![\w'’-])(I|my|me|we|our|us)(?![\w'’-])")
_REPORTED = re.compile(r"\b(?:" + _SPEECH_VERBS + r")\b", re.IGNORECASE)
# "One would create 15,000 vouchers": one of what? "All were targeted at …": all of what?
_ONE_OF_THEM = re.compile(
    r"^(?:One|Another|The\s+other|All|Most|None|Each|Several|Neither|Either)\s+(?:would|will"
    r"|is|was|are|were|has|have|had|could|can|may|might|should|must|does|did|do|came|comes"
    r"|went|goes|says|said|say|calls|called)\b"
)
# "Other countries have offered help": other than the ones told before.
_OTHER = re.compile(r"^Other\s+(?!than\b)[a-z]")
_OF_THEM = re.compile(
    r"^\W*(?:one|two|three|some|many|most|all|none|each|few|several|both|either|neither|half"
    r"|much|any|the\s+rest|the\s+majority|a\s+third|the\s+first|the\s+second|the\s+last"
    r"|(?:more\s+than\s+|fewer\s+than\s+|less\s+than\s+|about\s+|nearly\s+|almost\s+|at\s+least\s+)?"
    r"\d[\d,.]*)"
    r"\s+of\s+(?:them|those|these|which|whom|it|us)\b",
    re.IGNORECASE,
)
# An opening phrase before the subject ("Under the act, ...", "In an interview, he said ...",
# "After their meeting, ..."): what it refers to, and the subject after it, need an antecedent
# as an opening would.
_OPENING_PHRASE = re.compile(
    r"^(?P<prep>In|Under|After|Before|During|With|Without|At|On|From|Since|Despite|Following"
    r"|For|By|Through|Upon|Within|Amid|Among|Against|Unlike|Like|Besides|Beyond|Throughout"
    r"|Over|Into|Across|As\s+for|As\s+part\s+of|According\s+to|Because\s+of|Due\s+to"
    r"|In\s+response\s+to"
    r"|When|While|Once|Although|Though|If|Because|Until|Unless|Whereas)\s+"
    r"(?P<object>[^,;:\"“”`]{1,70}?),\s+(?P<rest>\S.*)$",
    re.DOTALL,
)
_SUBORDINATORS = frozenset(
    "When While Once Although Though If Because Until Unless Whereas After Before Since".split()
)
_PERSONAL = frozenset("he she him his her".split())
# A quotation that opens the sentence and is then given to "he" or "she": who is speaking?
_QUOTE_SPEAKER = re.compile(
    r"(?:''|”|\"|’)\s*,?\s*(he|she|they|it)\s+(?:"
    + _SPEECH_VERBS
    + r")\b[^\"“”`']{0,40}[.!?]?\s*$",
    re.IGNORECASE,
)
# "China will keep to its policy, he added.": reported speech given to a pronoun at the end
# ("…, it added.": an agency or a report named in a sentence the summary does not show).
_TRAILING_SPEAKER = re.compile(
    r",\s*(he|she|they|it)\s+(?:" + _SPEECH_VERBS + r")\b(?:\s+[\w-]+){0,4}\s*[.!?]\s*$",
    re.IGNORECASE,
)
# "Tang said this during talks with …": what "this" is was said in the sentence before.
_SAID_THIS = re.compile(
    r"\b(?:said|says|stated|stressed|noted|made|added|announced|repeated)\s+(?:(this|so)"
    r"(?=\s+(?:during|at|in|on|when|while|after|before|to|as)\b|\s*[.,;])|(that)(?=\s*[.,;]))",
    re.IGNORECASE,
)
# "one-third that many", "twice that much", "by that much.": a quantity told before. Not
# "said that many residents fled" (a "that" clause).
_THAT_MANY = re.compile(
    r"\b(?:(?:half|twice|thrice|double|triple|quadruple|(?:one|two|three)-(?:half|third|"
    r"quarter|fourth|fifth|tenth)s?|(?:a|one)\s+(?:half|third|quarter|fifth|tenth)\s+of|"
    r"\w+\s+times)\s+that\s+(many|much|number|amount|figure|sum)\b"
    r"|that\s+(many|much)(?=\s*[.,;:!?]|\s*$))",
    re.IGNORECASE,
)
# "said here", "met here": the place was the dateline, which a summary never shows.
_HERE = re.compile(r"\bhere\b(?!\s+and\s+there)", re.IGNORECASE)
_HONORIFIC = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Dr|Mme|Messrs)\.?\s+(?P<name>[A-Z][\w'’-]+)\b(?!\s+[A-Z])"
)
# Roles written in lower case right before a person's name ("defense attorney Wyatt Skaggs").
_ROLE_WORDS = frozenset(
    _ROLE_ANAPHORS.split("|")
    + "defender prosecutor counsel investigator detective trooper sheriff agent president"
    " premier chief aide adviser advisor".split()
)
_ARTICLES = frozenset(("the", "a", "an"))
_FUNCTION_WORDS = frozenset(
    "with from that than this were have been when where while what which said says told"
    " about after before into over under their there they them then also only even".split()
)
_PLACE_BEFORE = frozenset("in at from near across throughout outside inside into".split())



def names_introduced(texts: Iterable[str]) -> frozenset[str]:
    """What earlier summary sentences have told: names given in full, and words used.

    A name counts as introduced when it was written with a first name or a role title
    ("Gary Locke", "Gov. Locke", "President Clinton"): the set then holds the full name and
    the surname ("Locke"). "Mr. Locke" alone introduces nobody. A capitalised word that
    stood alone is in the set too (once a summary has used a lone surname, its later uses
    are not counted again), and so are the lower-cased words and their stems, so "the crash"
    is covered once a sentence said "crashed".
    """
    out: set[str] = set()
    for text in texts:
        full, single = names.introductions(text)
        out |= full | single
        for word in re.findall(r"[a-z]{3,}", text.lower()):
            out.add(word)
            out.add(_stem(word))
    return frozenset(out)


# A full name followed by an age between commas: a person ("Manfred Hoeppner, 65, ...").
_AGE_APPOSITIVE = re.compile(r"\b[A-Z][\w'’-]+\s+([A-Z][\w'’-]+),\s*\d{1,3},")


def known_surnames(texts: Iterable[str]) -> frozenset[str]:
    """Surnames of people the cluster's sentences name in full.

    Passed to ``needs_antecedent`` to tell a surname standing alone ("Paddock said") from a
    place, a people or an organisation ("Moscow said", "Indian tribes"). A word counts when
    it ends a name written with a first name or a title, something in the cluster shows it
    is a person (a title or "Mr." before it, a speech verb next to it: "Locke said", "said
    Locke", an age after it: "Manfred Hoeppner, 65,") more often than something shows it is
    a place ("in Moscow", "from Quebec"; "correspondence from Gingrich" reads like one too).
    """
    texts = list(texts)
    # Words the cluster also writes in lower case: "New" opening "New Microsoft filings
    # allege ..." is not a first name.
    lower = names.lower_case_words(texts)
    candidates: set[str] = set()
    person: Counter[str] = Counter()
    place: Counter[str] = Counter()
    for text in texts:
        full, _ = names.introductions(text)
        opening = text.split(maxsplit=1)[0] if text.strip() else ""
        doubtful = {
            name.split()[-1]
            for name in full
            if " " in name and name.split()[0] == opening and opening.lower() in lower
        }
        sure = {name.split()[-1] for name in full if " " in name} - doubtful
        candidates |= {
            name
            for name in full
            if " " not in name and len(name) > 2 and (name in sure or name not in doubtful)
        }
        person.update(_AGE_APPOSITIVE.findall(text))  # "Manfred Hoeppner, 65, was convicted"
        for run in names.name_runs(text):
            last = run.words[-1]
            titled = any(w in names.PERSON_TITLES or w in names.HONORIFICS for w in run.words[:-1])
            # "in Moscow" shows a place; "in Ms. Bisek's possession" and "in Gingrich's
            # notice" do not.
            if run.before.lower() in _PLACE_BEFORE and not titled and not run.possessive:
                place.update(run.words)
            # "Locke said", "said Locke." (not "the Committee Against Smoking say", "said
            # Islamic militants").
            spoke = (run.after.lower() in _SPEECH and run.before.lower() not in _ARTICLES) or (
                run.before.lower() in ("said", "says") and run.after in ("", ".", ",", ";")
            )
            # "defense attorney Wyatt Skaggs", "public defender Wyatt Skaggs": a role said
            # before the name in lower case.
            described = run.before in _ROLE_WORDS
            if titled or spoke or described:
                person[last] += 1
    # A person is said to do things more often than "from Gingrich" makes him look a place.
    people = {name for name in candidates if person[name] > place[name]}
    return frozenset(people - names.INSTITUTIONS - names.CALENDAR)


def _stem(word: str) -> str:
    for suffix in ("ings", "ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _outside_quotes(text: str) -> str:
    """The text with quoted passages blanked (names and pronouns inside quotes are the
    speaker's, not the summary's)."""
    return re.sub(r"(``|“|\").*?(''|”|\"|$)", " ", text)




_PREPOSITIONS = frozenset("in at of from to for on by with near into across over".split())
_APPOSITION_START = frozenset("a an the who whose one".split())


def _lone_surnames(
    text: str, introduced: Collection[str], surnames: Collection[str] | None
) -> str | None:
    body = _outside_quotes(text)
    here, _ = names.introductions(body)  # "Steve Mann ... Ms. Mann": introduced in the sentence
    for m in _HONORIFIC.finditer(body):
        name = names.possessive_free(m.group("name").rstrip(".,;:"))
        role = re.search(r"([a-z]{4,})\s+$", body[: m.start()])
        if role and role.group(1) not in _SPEECH and role.group(1) not in _FUNCTION_WORDS:
            continue  # "rap artist Dr. Dre": the description says who it is
        if name and name not in introduced and name not in here:
            return f"surname alone: {m.group(0)}"
    tokens = names.tokens(body)
    for i, token in enumerate(tokens):
        bare = names.possessive_free(token)
        if (
            not names.NAME_TOKEN.fullmatch(bare)
            or bare in names.NOT_NAMES
            or bare in names.ROLE_TITLES
        ):
            continue
        prev = tokens[i - 1] if i else ""
        nxt = tokens[i + 1:i + 3]
        if prev and (
            names.is_cap(names.possessive_free(prev))
            or prev in names.ROLE_TITLES
            or prev in names.HONORIFICS
        ):
            continue
        if prev.lower() in ("the", "a", "an") or prev in names.NAME_PARTICLES:
            continue
        if bare == token and nxt and (names.is_cap(nxt[0]) or nxt[0] in names.NAME_PARTICLES):
            continue
        if bare in introduced or bare in here:
            continue
        if nxt[:1] == [","] and len(nxt) > 1 and nxt[1].lower() in _APPOSITION_START:
            continue  # "Lewis, a historian at Auburn University": said who he is
        if surnames is not None:
            if bare in surnames:
                return f"surname alone: {bare}"
            continue
        # Without the cluster's names: a capitalised word as the subject or object of a
        # speech verb, not at the start (where every word is capitalised).
        following = " ".join(nxt).lower()
        if i > 0 and prev.lower() not in _PREPOSITIONS and (
            re.match(r"(?:" + _SPEECH_VERBS + r")\b", following)
            or prev.lower() in ("said", "says")
        ):
            return f"surname alone: {bare}"
    return None


# "the samples", "the power station", "the Continental plane": a definite noun phrase whose
# head its source introduced a few sentences before ("took soil samples", "a solar power
# station", "a Continental Airlines DC-10 ... the plane").
_THE_PHRASE = re.compile(
    r"(?<![\w-])[Tt]he\s+(?P<w1>[A-Za-z][\w'’-]*)(?:\s+(?P<w2>[a-z][a-z-]{2,}))?"
)
_FIRST_MENTION = (
    r"(?<![\w-])(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|some|several"
    r"|\d[\d,]*)\s+(?:[\w'’-]+\s+){{0,3}}(?:{noun}|{stem})(?:s|es)?(?![\w-])"
)
# A plural first mentioned without an article ("took soil samples").
_BARE_PLURAL = r"(?<![\w-])(?<!the\s)(?<!The\s){noun}(?![\w-])"
# Things a news story names without introducing them.
_UNIQUE_NOUNS = frozenset(
    "government police military army public press world nation country economy people media"
    " internet war".split()
)
# Words that follow a noun rather than continue it.
_AFTER_A_NOUN = frozenset(
    "is are was were has have had will would could can may might must should did does do"
    " says said told in on at to for of by as with from into near after before during since"
    " than that which who whose where when".split()
)
#: How many sentences back in its source a first mention is looked for.
SOURCE_CONTEXT = 6


def told_before_in_source(
    text: str, earlier: Sequence[str], introduced: Collection[str] = frozenset()
) -> str | None:
    """A definite noun phrase whose thing the source introduced before this sentence.

    ``earlier`` are the sentences before ``text`` in its own document (nearest last).
    Returns ``refers back: the samples`` when "the samples" names something an earlier
    sentence introduced ("soil samples", "a sample") and the summary so far has not
    (``introduced``, as from ``names_introduced``); ``None`` otherwise.
    """
    if not earlier:
        return None
    body = _outside_quotes(text)
    context = " ".join(earlier[-SOURCE_CONTEXT:])
    for m in _THE_PHRASE.finditer(body):
        w1, w2 = m.group("w1"), m.group("w2")
        # "the samples contained", "the meeting." — the first word is the noun; in "the
        # power station" or "the environmental and cultural values" it is not.
        w1_is_head = w2 is None or (
            w2 not in ("and", "or", "nor")
            and (w2 in _AFTER_A_NOUN or w2.endswith("ed") or w2 in _FUNCTION_WORDS)
        )
        heads = [w for w in (w2, w1 if w1_is_head else None) if w and w[:1].islower()]
        if w1[:1].islower() and w1.endswith(("'s", "’s")):
            heads = [w1[:-2]]  # "the band's lawyer": the band is what must be known
        for head in heads:
            noun = head.lower()
            if (
                len(noun) < 3
                or noun in _FUNCTION_WORDS
                or noun in _TIME_NOUNS
                or noun in _UNIQUE_NOUNS
                or noun in _AFTER_A_NOUN
                or noun in ("and", "or", "nor", "but")
            ):
                continue
            stem = _stem(noun)
            if noun in introduced or stem in introduced:
                continue
            after = body[m.end() :] if head == m.group("w2") else body[m.start("w1") + len(head) :]
            if _DEFINING.match(after):
                continue
            first = _FIRST_MENTION.format(noun=re.escape(noun), stem=re.escape(stem))
            plural = noun.endswith("s") and re.search(
                _BARE_PLURAL.format(noun=re.escape(noun)), context
            )
            if plural or re.search(first, context, re.IGNORECASE):
                phrase = body[m.start() : m.start("w1") + len(m.group("w1"))]
                if head == m.group("w2"):
                    phrase = body[m.start() : m.end()]
                phrase = phrase.removesuffix("'s").removesuffix("’s")
                return f"refers back: {phrase} (told earlier in its source)"
    return None


def needs_antecedent(
    text: str,
    introduced: Collection[str] = frozenset(),
    *,
    surnames: Collection[str] | None = None,
) -> str | None:
    """Why ``text`` cannot stand where nothing before it supplies its antecedent, or ``None``.

    Args:
        text: The candidate summary sentence.
        introduced: What the summary has already told (``names_introduced`` of the sentences
            before this one); empty for a summary's first sentence.
        surnames: Surnames of the people the sources name in full (``known_surnames`` of the
            cluster's sentences). Without it, a lone surname is recognised only after "Mr."/
            "Ms." or next to a speech verb ("Paddock said").

    Reasons: ``pronoun opener: He``, ``connective opener: However``, ``also near the start``,
    ``refers back: The move`` (an event or statement: the caller must place the sentence
    right after the one it follows in its source), ``refers back: The crash`` (only when no
    earlier sentence used "crash"), ``of them``, ``surname alone: Paddock``.

    Openers that pass: "It is unclear whether ...", "It has been ten years since ...", "It
    is the first time ..." (the clause after it tells what happened), "This year ...",
    "There are ...", "In addition to X, ...", "The decision to scrap the meeting ...".
    """
    s = " ".join(text.split())
    opener = _LEADING_JUNK.sub("", s)
    quoted_start = s.lstrip("(").startswith(_OPEN_QUOTES)
    if not quoted_start:
        if m := _CONNECTIVES.match(opener):
            return f"connective opener: {m.group(0).rstrip(',').strip()}"
        if reason := _opening_reason(opener, introduced):
            return reason
        hedge = _HEDGE.match(opener)  # "Maybe they are accustomed": who are "they"?
        rest = opener[hedge.end() :] if hedge else ""
        if hedge and (reason := _opening_reason(rest[:1].upper() + rest[1:], introduced)):
            return f"{hedge.group(1).lower()} + {reason}"
        if (phrase := _OPENING_PHRASE.match(opener)) and (
            reason := _phrase_reason(phrase, introduced)
        ):
            return reason
        if lead_in := _LEAD_IN_PRONOUN.match(opener):
            return f"pronoun after the opening phrase: {lead_in.group(1)}"
    if s.lstrip("(").startswith((*_OPEN_QUOTES, "‘", "'")) and (
        speaker := _QUOTE_SPEAKER.search(s)
    ):
        return f"pronoun speaker: {speaker.group(1)}"
    if speaker := _TRAILING_SPEAKER.search(_outside_quotes(s)):
        return f"pronoun speaker: {speaker.group(1)}"
    if said := _SAID_THIS.search(_outside_quotes(s)):
        return f"refers back: said {said.group(1) or said.group(2)}"
    if (me := _FIRST_PERSON.search(_outside_quotes(s))) and not _REPORTED.search(s):
        return f"first person: {me.group(1)}"
    if many := _THAT_MANY.search(_outside_quotes(s)):
        return f"refers back: that {many.group(1) or many.group(2)}"
    if _HERE.search(_outside_quotes(s)):
        return "here: the place of a dateline"
    head = " ".join(s.split()[:16])
    also = _ALSO.search(head)
    if also and not _ALSO_OK.search(s[: also.end() + 12]):
        before = head[: also.start()]
        if not _SPEECH_BEFORE_ALSO.search(before):  # "Clinton said the plan also ..." passes
            return "also near the start"
    return _lone_surnames(s, introduced, surnames)


def _opening_reason(opener: str, introduced: Collection[str]) -> str | None:
    """Why the words a sentence (or its opening clause) starts with need an antecedent."""
    if _OF_THEM.match(opener) or _ONE_OF_THEM.match(opener):
        return "of them"
    if _OTHER.match(opener):
        return "refers back: Other"
    first = re.match(r"[A-Za-z'’]+", opener)
    word = re.sub(r"['’](?:s|re|ve|ll|d)$", "", first.group(0)) if first else ""  # "It's"
    lower = word.lower()
    if lower in _PRONOUNS:
        rest = opener[len(word) :].split()
        following = names.possessive_free(rest[0].lower().strip(",.;:")) if rest else ""
        # "It's unclear whether ...", "It's been ten years since ...": a dummy "it" too.
        expanded = re.sub(r"^It['’]s\s+been\b", "It has been", opener)
        expanded = re.sub(r"^It['’]s\b", "It is", expanded)
        exempt = (
            (lower in ("this", "these") and following in _TIME_NOUNS)
            or (lower == "it" and _DUMMY_IT.match(expanded) is not None)
            or (
                lower == "both"
                and " and " in " ".join(rest[:6])
                and bool(rest)
                and (names.is_cap(rest[0]) or rest[0].lower() in _DETERMINERS)
            )
        )
        if not exempt:
            return f"pronoun opener: {word}"
    m = _DEFINITE.match(opener)
    if m and (reason := _definite_reason(m, introduced)):
        return reason
    role = _ROLE_DEFINITE.match(opener)
    if role and not _DEFINING.match(role.group("rest")):
        noun = role.group("noun")
        if noun not in introduced and _stem(noun) not in introduced:
            return f"refers back: {opener[: role.start('rest')].strip()}"
    if ordinal := _BARE_ORDINAL.match(opener):
        return f"refers back: The {ordinal.group('noun')}"
    bare = _BARE_DEFINITE.match(opener)
    if bare:
        noun = bare.group("noun")
        singular = not noun.endswith("s") or noun.endswith(("ss", "us", "is"))
        if (
            singular
            and noun not in _UNIQUE_NOUNS
            and noun not in _SHARED_NOUNS
            and noun not in _TIME_NOUNS
            and noun not in _FUNCTION_WORDS
            and noun not in introduced
            and _stem(noun) not in introduced
        ):
            return f"refers back: {opener[: bare.end('noun')].strip()}"
    return None


# Words that may name the person a later "he" or "she" means ("After the pilot radioed, he
# ..."): a person noun or a word shaped like one.
_PERSON_LIKE = re.compile(
    r"\b(?:\w+(?:er|or|ist|man|woman|men|women|ian|ent|ant)s?|official|officials|chief|judge"
    r"|police|aide|aides|staff|child|children|people|person|boy|girl|mother|father|wife"
    r"|husband|son|daughter|family|friend|friends)\b",
    re.IGNORECASE,
)


def _phrase_reason(m: re.Match[str], introduced: Collection[str]) -> str | None:
    """An opening phrase ("Under the act, ...") that refers back, or a subject after it
    ("In an interview, he said ...") that nothing in the phrase can supply."""
    phrase = m.group("object")
    if reason := _opening_reason(phrase[:1].upper() + phrase[1:], introduced):
        return f"opening phrase: {reason}"
    rest = re.sub(r"^(?:though|however|too|also|still|then),\s*", "", m.group("rest"))
    if (
        re.match(r"(?:this|these)\s+[a-z]", rest)
        and not any(names.is_cap(t) for t in names.tokens(phrase))
        and (reason := _opening_reason(rest[:1].upper() + rest[1:], introduced))
    ):
        return f"after the opening phrase: {reason}"
    subject = re.match(r"[A-Za-z']+", rest)
    if (
        subject
        and subject.group(0).lower() in _PERSONAL
        and not any(names.is_cap(t) for t in names.tokens(phrase))
        and not _PERSON_LIKE.search(phrase)
    ):
        return f"pronoun after the opening phrase: {subject.group(0)}"
    return None


def _definite_reason(m: re.Match[str], introduced: Collection[str]) -> str | None:
    noun = (m.group("noun") or m.group("body")).lower()
    phrase = m.group(0)[: m.start("rest")].strip()
    if _DEFINING.match(m.group("rest")):
        return None
    if re.fullmatch(_EVENT_ANAPHORS + "|" + _BODY_ANAPHORS, noun):
        if noun in introduced or _stem(noun) in introduced:
            return None
        return f"refers back: {phrase}"
    return f"refers back: {phrase}"


__all__ = [
    "INLINE_DEBRIS",
    "TITLE_ABBREVIATIONS",
    "is_debris",
    "is_debris_line",
    "is_timeline_entry",
    "leading_debris",
    "known_surnames",
    "names_introduced",
    "needs_antecedent",
    "told_before_in_source",
    "quote_depths",
]
