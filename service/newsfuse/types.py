"""Data types passed between the pipeline stages.

Every stage takes and returns these frozen dataclasses; none of them knows about gRPC,
protobuf or the command line. Character offsets are Python ``str`` indices (Unicode code
points) into ``Document.text`` exactly as the caller sent it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, get_args

Mode = Literal["auto", "extractive", "abstractive"]
MODES: tuple[Mode, ...] = get_args(Mode)
"""Every summary mode, in the order help texts list them (the one list: CLI, wire, info)."""


@dataclass(frozen=True, slots=True)
class Document:
    """One article as the caller sent it."""

    id: str
    text: str
    title: str | None = None
    date: dt.date | None = None
    authors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` in one document's text."""

    doc: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sentence:
    """A body sentence of one document.

    ``doc`` indexes the request's documents; ``index`` counts body sentences within that
    document (0-based); ``text == document.text[start:end]`` always holds.
    """

    doc: int
    index: int
    start: int
    end: int
    text: str
    paragraph: int
    unfit: str | None = None
    """Why this sentence must never be shown in a summary (``"list item"``, ``"inside a
    quotation"``, or an ``is_debris`` reason such as ``"byline"``), else ``None``. It is
    still body text: it may be cited and it counts as a source of its fact."""


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A document after ingest: metadata found in it, body sentences, removed boilerplate."""

    document: Document
    title: str | None
    date: dt.date | None
    authors: tuple[str, ...]
    sentences: tuple[Sentence, ...]
    boilerplate: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class FactCluster:
    """Sentences (indices into the flat sentence list) that report the same fact."""

    id: int
    members: tuple[int, ...]
    documents: tuple[int, ...]
    representative: int


@dataclass(frozen=True, slots=True)
class RankedFact:
    """A fact cluster with its salience score and the features behind it."""

    cluster: FactCluster
    score: float
    support: int
    centrality: float
    position: float
    recency: float
    headline: float = 0.0
    confirmed: float = 0.0
    """The part of ``score`` earned by other outlets stating the fact's claim
    (``rank.confirm``); how far the fact ranks below the best one ignores it."""


@dataclass(frozen=True, slots=True)
class Citation:
    """A source sentence supporting a summary sentence."""

    document_id: str
    sentence_index: int
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """One source sentence, located: the document, its body-sentence index, its span."""

    document_id: str
    sentence_index: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ConflictValue:
    """One side of a disagreement: a value as the sources write it, and who writes it."""

    value: str
    """As written in the first source, e.g. ``"around 1,600 kilometres"``."""
    normalized: str
    """Comparable form, e.g. ``"1600 km"``, ``"2025-10-16"``, ``"called off"``."""
    sources: tuple[SourceSpan, ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Sources that report the same fact with a different number, date or outcome."""

    kind: Literal["number", "date", "outcome"]
    claim: str
    """The fact the sources disagree about, as one source sentence tells it."""
    values: tuple[ConflictValue, ...]
    """Two or more differing values; for a summary sentence's conflict the first is the
    sentence's own."""


@dataclass(frozen=True, slots=True)
class DateMention:
    """A relative time in a summary sentence resolved to a calendar date."""

    text: str
    """The words as written, e.g. ``"on Thursday"``."""
    start: int
    end: int
    """Code-point range of ``text`` in the summary sentence's text."""
    date: dt.date


@dataclass(frozen=True, slots=True)
class SummarySentence:
    """One output sentence, every source sentence that supports it, and where sources differ."""

    text: str
    citations: tuple[Citation, ...]
    generated: bool = False
    conflicts: tuple[Conflict, ...] = ()
    dates: tuple[DateMention, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What the summary tells about each input document."""

    id: str
    title: str | None
    date: dt.date | None
    duplicate_of: str | None = None
    date_inferred: bool = False
    """``date`` was not given or stated in a header but inferred from the text and cluster."""
    seen: bool = False
    """The reader has already seen this document (update summaries)."""


@dataclass(frozen=True, slots=True)
class DuplicateSpan:
    """A member of a group of sentences that say the same thing."""

    document_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SummaryOptions:
    """Per-request options. ``None`` means no limit of that kind."""

    max_words: int | None = 150
    max_sentences: int | None = None
    mode: Mode = "auto"
    seen_ids: tuple[str, ...] = ()
    """Ids of request documents the reader has already seen: the summary tells what is new."""
    seen_documents: tuple[Document, ...] = ()
    """Earlier documents the reader has seen, sent as context only (never cited as new)."""


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts and timings of one summarization."""

    model: str
    documents: int
    sentences_in: int
    sentences_after_dedup: int
    seconds: float
    duplicate_documents: int = 0
    generated_sentences: int | None = None
    unsupported_dropped: int | None = None
    input_tokens: int | None = None
    input_tokens_raw: int | None = None
    extra: dict[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Summary:
    """The fused, cited summary of one cluster of documents."""

    sentences: tuple[SummarySentence, ...]
    documents: tuple[DocumentInfo, ...]
    duplicates: tuple[tuple[DuplicateSpan, ...], ...]
    stats: Stats
    conflicts: tuple[Conflict, ...] = ()
    """The cluster's most salient disagreements between sources, stated or not."""

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)
