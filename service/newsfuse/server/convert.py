"""Protobuf <-> dataclass conversion for the ``newsfuse.v1`` API (the only module doing it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from newsfuse.errors import InvalidInput
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.types import (
    Citation,
    Conflict,
    ConflictValue,
    DateMention,
    Document,
    DocumentInfo,
    DuplicateSpan,
    Mode,
    SourceSpan,
    Stats,
    Summary,
    SummaryOptions,
    SummarySentence,
)

_MODES: dict[int, Mode] = {
    pb.MODE_UNSPECIFIED: "auto",
    pb.MODE_AUTO: "auto",
    pb.MODE_EXTRACTIVE: "extractive",
    pb.MODE_ABSTRACTIVE: "abstractive",
}
_MODE_VALUES: dict[str, int] = {
    "auto": pb.MODE_AUTO,
    "extractive": pb.MODE_EXTRACTIVE,
    "abstractive": pb.MODE_ABSTRACTIVE,
}
_CONFLICT_KINDS = {
    "number": pb.CONFLICT_KIND_NUMBER,
    "date": pb.CONFLICT_KIND_DATE,
    "outcome": pb.CONFLICT_KIND_OUTCOME,
}
_CONFLICT_NAMES = {v: k for k, v in _CONFLICT_KINDS.items()}
_OPTIONAL_STATS = ("generated_sentences", "unsupported_dropped", "input_tokens", "input_tokens_raw")


# --- requests ---------------------------------------------------------------------------
def request_from_proto(
    msg: pb.SummarizeRequest, default_max_words: int
) -> tuple[list[Document], SummaryOptions]:
    """Documents and options of a request; unset ``max_words`` takes the server default."""
    documents = [_document_from_proto(d, i) for i, d in enumerate(msg.documents)]
    return documents, options_from_proto(msg.options, default_max_words)


def _document_from_proto(msg: pb.Document, index: int, field: str = "documents") -> Document:
    date = None
    if msg.HasField("published_at"):
        try:
            date = msg.published_at.ToDatetime(tzinfo=dt.UTC).date()
        except (ValueError, OverflowError) as exc:
            raise InvalidInput(
                f"{field}[{index}].published_at", f"not a valid time: {exc}"
            ) from None
    return Document(
        id=msg.id,
        text=msg.text,
        title=msg.title or None,
        date=date,
        authors=tuple(msg.authors),
    )


def options_from_proto(msg: pb.SummaryOptions, default_max_words: int) -> SummaryOptions:
    """0 for ``max_words``/``max_sentences`` means no limit; unset ``max_words``: the default."""
    mode = _MODES.get(msg.mode)
    if mode is None:
        raise InvalidInput("options.mode", f"unknown mode {msg.mode}")
    max_words = msg.max_words if msg.HasField("max_words") else default_max_words
    return SummaryOptions(
        max_words=max_words or None,
        max_sentences=msg.max_sentences or None,
        mode=mode,
        seen_ids=tuple(msg.seen_ids),
        seen_documents=tuple(
            _document_from_proto(d, i, field="options.seen_documents")
            for i, d in enumerate(msg.seen_documents)
        ),
    )


def request_to_proto(
    documents: Sequence[Document], options: SummaryOptions | None = None, cluster_id: str = ""
) -> pb.SummarizeRequest:
    """The request message; ``options`` None leaves every option to the server's defaults."""
    msg = pb.SummarizeRequest(cluster_id=cluster_id)
    for doc in documents:
        _document_to_proto(doc, msg.documents.add())
    if options is not None:
        msg.options.max_words = options.max_words or 0
        if options.max_sentences:
            msg.options.max_sentences = options.max_sentences
        msg.options.mode = _MODE_VALUES[options.mode]
        msg.options.seen_ids.extend(options.seen_ids)
        for doc in options.seen_documents:
            _document_to_proto(doc, msg.options.seen_documents.add())
    return msg


def _document_to_proto(doc: Document, item: pb.Document) -> None:
    item.id = doc.id
    item.text = doc.text
    item.title = doc.title or ""
    item.authors.extend(doc.authors)
    if doc.date is not None:
        item.published_at.FromDatetime(dt.datetime.combine(doc.date, dt.time(), dt.UTC))


# --- responses --------------------------------------------------------------------------
def summary_to_proto(summary: Summary) -> pb.SummarizeResponse:
    msg = pb.SummarizeResponse()
    for sentence in summary.sentences:
        out = msg.sentences.add(text=sentence.text, generated=sentence.generated)
        for c in sentence.citations:
            out.citations.add(
                document_id=c.document_id,
                sentence_index=c.sentence_index,
                start=c.start,
                end=c.end,
                score=c.score,
            )
        for conflict in sentence.conflicts:
            _conflict_to_proto(conflict, out.conflicts.add())
        for mention in sentence.dates:
            out.dates.add(
                text=mention.text,
                start=mention.start,
                end=mention.end,
                date=mention.date.isoformat(),
            )
    for info in summary.documents:
        msg.documents.add(
            id=info.id,
            title=info.title or "",
            date=info.date.isoformat() if info.date else "",
            duplicate_of=info.duplicate_of or "",
            date_inferred=info.date_inferred,
            seen=info.seen,
        )
    for conflict in summary.conflicts:
        _conflict_to_proto(conflict, msg.conflicts.add())
    for group in summary.duplicates:
        out_group = msg.duplicates.add()
        for span in group:
            out_group.spans.add(document_id=span.document_id, start=span.start, end=span.end)
    _stats_to_proto(summary.stats, msg.stats)
    return msg


def _conflict_to_proto(conflict: Conflict, out: pb.Conflict) -> None:
    out.kind = _CONFLICT_KINDS[conflict.kind]
    out.claim = conflict.claim
    for value in conflict.values:
        side = out.values.add(value=value.value, normalized=value.normalized)
        for span in value.sources:
            side.sources.add(
                document_id=span.document_id,
                sentence_index=span.sentence_index,
                start=span.start,
                end=span.end,
            )


def _conflict_from_proto(msg: pb.Conflict) -> Conflict:
    return Conflict(
        kind=_CONFLICT_NAMES.get(msg.kind, "number"),  # type: ignore[arg-type]
        claim=msg.claim,
        values=tuple(
            ConflictValue(
                value=v.value,
                normalized=v.normalized,
                sources=tuple(
                    SourceSpan(s.document_id, s.sentence_index, s.start, s.end) for s in v.sources
                ),
            )
            for v in msg.values
        ),
    )


def _stats_to_proto(stats: Stats, out: pb.Stats) -> None:
    out.model = stats.model
    out.documents = stats.documents
    out.sentences_in = stats.sentences_in
    out.sentences_after_dedup = stats.sentences_after_dedup
    out.seconds = stats.seconds
    out.duplicate_documents = stats.duplicate_documents
    for name in _OPTIONAL_STATS:
        value = getattr(stats, name)
        if value is not None:
            setattr(out, name, value)
    for key, value in stats.extra.items():
        if isinstance(value, str):
            out.extra[key].string_value = value
        elif isinstance(value, int):
            out.extra[key].int_value = value
        else:
            out.extra[key].double_value = float(value)


def summary_from_proto(msg: pb.SummarizeResponse) -> Summary:
    sentences = tuple(
        SummarySentence(
            text=s.text,
            citations=tuple(
                Citation(
                    document_id=c.document_id,
                    sentence_index=c.sentence_index,
                    start=c.start,
                    end=c.end,
                    score=_shortest_float32(c.score),
                )
                for c in s.citations
            ),
            generated=s.generated,
            conflicts=tuple(_conflict_from_proto(c) for c in s.conflicts),
            dates=tuple(
                DateMention(d.text, d.start, d.end, dt.date.fromisoformat(d.date)) for d in s.dates
            ),
        )
        for s in msg.sentences
    )
    documents = tuple(
        DocumentInfo(
            id=d.id,
            title=d.title or None,
            date=dt.date.fromisoformat(d.date) if d.date else None,
            duplicate_of=d.duplicate_of or None,
            date_inferred=d.date_inferred,
            seen=d.seen,
        )
        for d in msg.documents
    )
    duplicates = tuple(
        tuple(DuplicateSpan(s.document_id, s.start, s.end) for s in group.spans)
        for group in msg.duplicates
    )
    return Summary(
        sentences,
        documents,
        duplicates,
        _stats_from_proto(msg.stats),
        conflicts=tuple(_conflict_from_proto(c) for c in msg.conflicts),
    )


def _shortest_float32(value: float) -> float:
    # A float32 widened to float64 shows noise digits (0.8736 -> 0.8736000061035156): take
    # the shortest decimal that is the same float32, so remote output equals local output.
    return float(str(np.float32(value)))


def _stats_from_proto(msg: pb.Stats) -> Stats:
    extra: dict[str, float | int | str] = {}
    for key, value in msg.extra.items():
        kind = value.WhichOneof("value")
        if kind is not None:
            extra[key] = getattr(value, kind)
    optional = {name: getattr(msg, name) for name in _OPTIONAL_STATS if msg.HasField(name)}
    return Stats(
        model=msg.model,
        documents=msg.documents,
        sentences_in=msg.sentences_in,
        sentences_after_dedup=msg.sentences_after_dedup,
        seconds=msg.seconds,
        duplicate_documents=msg.duplicate_documents,
        extra=extra,
        **optional,
    )


# --- server info ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What ``GetInfo`` tells about a server."""

    version: str
    model: str
    embedding_model: str
    device: str
    modes: tuple[Mode, ...]
    default_max_words: int
    limits: dict[str, int]
    batching: dict[str, float]


def info_to_proto(info: ServerInfo) -> pb.GetInfoResponse:
    return pb.GetInfoResponse(
        version=info.version,
        model=info.model,
        embedding_model=info.embedding_model,
        device=info.device,
        modes=[_MODE_VALUES[m] for m in info.modes],
        default_max_words=info.default_max_words,
        limits=pb.Limits(**info.limits),
        batching=pb.Batching(**info.batching),
    )


def info_from_proto(msg: pb.GetInfoResponse) -> ServerInfo:
    return ServerInfo(
        version=msg.version,
        model=msg.model,
        embedding_model=msg.embedding_model,
        device=msg.device,
        modes=tuple(_MODES[m] for m in msg.modes if m in _MODES),
        default_max_words=msg.default_max_words,
        limits={f.name: getattr(msg.limits, f.name) for f in msg.limits.DESCRIPTOR.fields},
        batching={f.name: getattr(msg.batching, f.name) for f in msg.batching.DESCRIPTOR.fields},
    )
