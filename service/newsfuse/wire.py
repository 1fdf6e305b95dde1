"""The ``newsfuse.v1`` wire: protobuf <-> core types, and errors <-> gRPC statuses.

The only module that converts, shared by the server and the client: it imports the
generated proto code, ``grpc`` and the core types, and nothing of the pipeline or the server
(so a client does not pull in ``prometheus_client`` or torch). Errors map through
``errors.ERROR_TABLE``; the offending field and the error's reason travel as trailing
metadata (``newsfuse-field``, ``newsfuse-error``) of a failed call and in the ``Status`` of a
failed cluster of a batch, so a client raises the very error the server raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import grpc
import numpy as np

from newsfuse.api import ClusterRequest, ClusterResult, ServiceInfo
from newsfuse.errors import (
    ERROR_TABLE,
    Internal,
    InvalidInput,
    LimitExceeded,
    NewsfuseError,
    Unavailable,
    build_error,
    error_field,
    error_from_reason,
    error_spec,
    public_error,
)
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.types import (
    MODES,
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

REQUEST_ID_KEY = "x-request-id"
# Trailing metadata of a failed call: the offending field and the error's reason
# (``ErrorSpec.reason``), so clients can raise the same typed error the server raised.
FIELD_KEY = "newsfuse-field"
ERROR_KEY = "newsfuse-error"

_MODE_VALUES: dict[str, int] = {mode: pb.Mode.Value(f"MODE_{mode.upper()}") for mode in MODES}
_MODES: dict[int, Mode] = {value: mode for mode, value in _MODE_VALUES.items()}
_MODES[pb.MODE_UNSPECIFIED] = "auto"
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


def cluster_from_proto(msg: pb.SummarizeRequest, default_max_words: int) -> ClusterRequest:
    """The core request of a message (its ``cluster_id`` as the request's id)."""
    documents, options = request_from_proto(msg, default_max_words)
    return ClusterRequest(tuple(documents), options, msg.cluster_id)


def cluster_to_proto(request: ClusterRequest) -> pb.SummarizeRequest:
    """The message of a core request (``options`` None: the server's defaults)."""
    return request_to_proto(request.documents, request.options, cluster_id=request.id)


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
def info_to_proto(info: ServiceInfo) -> pb.GetInfoResponse:
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


def info_from_proto(msg: pb.GetInfoResponse) -> ServiceInfo:
    return ServiceInfo(
        version=msg.version,
        model=msg.model,
        embedding_model=msg.embedding_model,
        device=msg.device,
        modes=tuple(_MODES[m] for m in msg.modes if m in _MODES),
        default_max_words=msg.default_max_words,
        limits={f.name: getattr(msg.limits, f.name) for f in msg.limits.DESCRIPTOR.fields},
        batching={f.name: getattr(msg.batching, f.name) for f in msg.batching.DESCRIPTOR.fields},
    )


# --- errors -----------------------------------------------------------------------------
_CODES = {code.value[0]: code for code in grpc.StatusCode}
# gRPC code -> the error a status without a reason stands for (a status from gRPC itself,
# such as a refused connection, or from an older server): the table's row of that code, and
# for a code that several rows share, the most general of them.
_KIND_OF_CODE: dict[grpc.StatusCode, type[NewsfuseError]] = {
    grpc.StatusCode[spec.grpc]: kind for kind, spec in ERROR_TABLE.items()
}
_KIND_OF_CODE[grpc.StatusCode.INVALID_ARGUMENT] = InvalidInput
_KIND_OF_CODE[grpc.StatusCode.UNAVAILABLE] = Unavailable


@dataclass(frozen=True, slots=True)
class Status:
    """What a failed call (or one failed cluster of a batch) reports."""

    code: grpc.StatusCode
    message: str
    field: str = ""
    reason: str = ""


def status_of(exc: BaseException, request_id: str) -> Status:
    """The status of ``exc`` by the error table (``INTERNAL``, logged, for anything unlisted)."""
    error = public_error(exc, request_id)
    spec = error_spec(error)
    return Status(grpc.StatusCode[spec.grpc], str(error), error_field(error), spec.reason)


def trailing_metadata(status: Status) -> tuple[tuple[str, str], ...]:
    """Trailing metadata of a failed call: the field and the reason."""
    return ((FIELD_KEY, status.field), (ERROR_KEY, status.reason))


def error_of_status(
    code: grpc.StatusCode, message: str, field: str = "", reason: str = ""
) -> NewsfuseError:
    """The typed error of a status: by its reason when sent, else by its code."""
    error = error_from_reason(reason, message, field) if reason else None
    if error is not None:
        return error
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and "larger than max" in message:
        # gRPC's own refusal of a message over the server's receive limit.
        return LimitExceeded("request", message)
    kind = _KIND_OF_CODE.get(code)
    if kind is None or kind is Internal:
        return ServerError(code, message)
    return build_error(kind, message, field)


def error_of_rpc(exc: grpc.RpcError) -> NewsfuseError:
    """The typed error of a failed call (blocking or asyncio)."""
    trailing = {k: v for k, v in (exc.trailing_metadata() or ()) if isinstance(v, str)}
    return error_of_status(
        exc.code(), exc.details() or "", trailing.get(FIELD_KEY, ""), trailing.get(ERROR_KEY, "")
    )


class ServerError(Internal):
    """A call failed with a status no more specific error describes (INTERNAL, UNKNOWN...)."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


# --- batch results ----------------------------------------------------------------------
def result_to_proto(result: ClusterResult, request_id: str) -> pb.SummarizeBatchResult:
    """One cluster's outcome as a ``SummarizeBatchResult``."""
    msg = pb.SummarizeBatchResult(index=result.index, cluster_id=result.id)
    if result.error is not None:
        status = status_of(result.error, f"{request_id}/{result.index}")
        msg.error.code = status.code.value[0]
        msg.error.message = status.message
        msg.error.field = status.field
        msg.error.reason = status.reason
    else:
        assert result.summary is not None
        msg.response.CopyFrom(summary_to_proto(result.summary))
    return msg


def result_from_proto(msg: pb.SummarizeBatchResult) -> ClusterResult:
    """The core result of a ``SummarizeBatchResult``."""
    if msg.WhichOneof("result") == "error":
        code = _CODES.get(msg.error.code, grpc.StatusCode.UNKNOWN)
        error = error_of_status(code, msg.error.message, msg.error.field, msg.error.reason)
        return ClusterResult(msg.index, msg.cluster_id, error=error)
    return ClusterResult(msg.index, msg.cluster_id, summary=summary_from_proto(msg.response))
