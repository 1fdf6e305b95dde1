"""Generated from protos/newsfuse/v1/summarizer.proto by scripts/gen_protos.py. Do not edit."""
import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODE_UNSPECIFIED: _ClassVar[Mode]
    MODE_AUTO: _ClassVar[Mode]
    MODE_EXTRACTIVE: _ClassVar[Mode]
    MODE_ABSTRACTIVE: _ClassVar[Mode]

class ConflictKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONFLICT_KIND_UNSPECIFIED: _ClassVar[ConflictKind]
    CONFLICT_KIND_NUMBER: _ClassVar[ConflictKind]
    CONFLICT_KIND_DATE: _ClassVar[ConflictKind]
    CONFLICT_KIND_OUTCOME: _ClassVar[ConflictKind]
MODE_UNSPECIFIED: Mode
MODE_AUTO: Mode
MODE_EXTRACTIVE: Mode
MODE_ABSTRACTIVE: Mode
CONFLICT_KIND_UNSPECIFIED: ConflictKind
CONFLICT_KIND_NUMBER: ConflictKind
CONFLICT_KIND_DATE: ConflictKind
CONFLICT_KIND_OUTCOME: ConflictKind

class Document(_message.Message):
    __slots__ = ("id", "text", "title", "published_at", "authors")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    AUTHORS_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: str
    title: str
    published_at: _timestamp_pb2.Timestamp
    authors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., text: _Optional[str] = ..., title: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., authors: _Optional[_Iterable[str]] = ...) -> None: ...

class SummaryOptions(_message.Message):
    __slots__ = ("max_words", "max_sentences", "mode", "seen_ids", "seen_documents")
    MAX_WORDS_FIELD_NUMBER: _ClassVar[int]
    MAX_SENTENCES_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    SEEN_IDS_FIELD_NUMBER: _ClassVar[int]
    SEEN_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    max_words: int
    max_sentences: int
    mode: Mode
    seen_ids: _containers.RepeatedScalarFieldContainer[str]
    seen_documents: _containers.RepeatedCompositeFieldContainer[Document]
    def __init__(self, max_words: _Optional[int] = ..., max_sentences: _Optional[int] = ..., mode: _Optional[_Union[Mode, str]] = ..., seen_ids: _Optional[_Iterable[str]] = ..., seen_documents: _Optional[_Iterable[_Union[Document, _Mapping]]] = ...) -> None: ...

class SummarizeRequest(_message.Message):
    __slots__ = ("documents", "options", "cluster_id")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[Document]
    options: SummaryOptions
    cluster_id: str
    def __init__(self, documents: _Optional[_Iterable[_Union[Document, _Mapping]]] = ..., options: _Optional[_Union[SummaryOptions, _Mapping]] = ..., cluster_id: _Optional[str] = ...) -> None: ...

class Citation(_message.Message):
    __slots__ = ("document_id", "sentence_index", "start", "end", "score")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SENTENCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    sentence_index: int
    start: int
    end: int
    score: float
    def __init__(self, document_id: _Optional[str] = ..., sentence_index: _Optional[int] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., score: _Optional[float] = ...) -> None: ...

class SummarySentence(_message.Message):
    __slots__ = ("text", "citations", "generated", "conflicts", "dates")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    GENERATED_FIELD_NUMBER: _ClassVar[int]
    CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    DATES_FIELD_NUMBER: _ClassVar[int]
    text: str
    citations: _containers.RepeatedCompositeFieldContainer[Citation]
    generated: bool
    conflicts: _containers.RepeatedCompositeFieldContainer[Conflict]
    dates: _containers.RepeatedCompositeFieldContainer[DateMention]
    def __init__(self, text: _Optional[str] = ..., citations: _Optional[_Iterable[_Union[Citation, _Mapping]]] = ..., generated: _Optional[bool] = ..., conflicts: _Optional[_Iterable[_Union[Conflict, _Mapping]]] = ..., dates: _Optional[_Iterable[_Union[DateMention, _Mapping]]] = ...) -> None: ...

class SourceSpan(_message.Message):
    __slots__ = ("document_id", "sentence_index", "start", "end")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SENTENCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    sentence_index: int
    start: int
    end: int
    def __init__(self, document_id: _Optional[str] = ..., sentence_index: _Optional[int] = ..., start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class ConflictValue(_message.Message):
    __slots__ = ("value", "normalized", "sources")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    value: str
    normalized: str
    sources: _containers.RepeatedCompositeFieldContainer[SourceSpan]
    def __init__(self, value: _Optional[str] = ..., normalized: _Optional[str] = ..., sources: _Optional[_Iterable[_Union[SourceSpan, _Mapping]]] = ...) -> None: ...

class Conflict(_message.Message):
    __slots__ = ("kind", "claim", "values")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    kind: ConflictKind
    claim: str
    values: _containers.RepeatedCompositeFieldContainer[ConflictValue]
    def __init__(self, kind: _Optional[_Union[ConflictKind, str]] = ..., claim: _Optional[str] = ..., values: _Optional[_Iterable[_Union[ConflictValue, _Mapping]]] = ...) -> None: ...

class DateMention(_message.Message):
    __slots__ = ("text", "start", "end", "date")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    text: str
    start: int
    end: int
    date: str
    def __init__(self, text: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., date: _Optional[str] = ...) -> None: ...

class DocumentInfo(_message.Message):
    __slots__ = ("id", "title", "date", "duplicate_of", "date_inferred", "seen")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_OF_FIELD_NUMBER: _ClassVar[int]
    DATE_INFERRED_FIELD_NUMBER: _ClassVar[int]
    SEEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    date: str
    duplicate_of: str
    date_inferred: bool
    seen: bool
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., date: _Optional[str] = ..., duplicate_of: _Optional[str] = ..., date_inferred: _Optional[bool] = ..., seen: _Optional[bool] = ...) -> None: ...

class DuplicateSpan(_message.Message):
    __slots__ = ("document_id", "start", "end")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    start: int
    end: int
    def __init__(self, document_id: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class DuplicateGroup(_message.Message):
    __slots__ = ("spans",)
    SPANS_FIELD_NUMBER: _ClassVar[int]
    spans: _containers.RepeatedCompositeFieldContainer[DuplicateSpan]
    def __init__(self, spans: _Optional[_Iterable[_Union[DuplicateSpan, _Mapping]]] = ...) -> None: ...

class StatValue(_message.Message):
    __slots__ = ("int_value", "double_value", "string_value")
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    int_value: int
    double_value: float
    string_value: str
    def __init__(self, int_value: _Optional[int] = ..., double_value: _Optional[float] = ..., string_value: _Optional[str] = ...) -> None: ...

class Stats(_message.Message):
    __slots__ = ("model", "documents", "sentences_in", "sentences_after_dedup", "seconds", "duplicate_documents", "generated_sentences", "unsupported_dropped", "input_tokens", "input_tokens_raw", "extra")
    class ExtraEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: StatValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[StatValue, _Mapping]] = ...) -> None: ...
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    SENTENCES_IN_FIELD_NUMBER: _ClassVar[int]
    SENTENCES_AFTER_DEDUP_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    GENERATED_SENTENCES_FIELD_NUMBER: _ClassVar[int]
    UNSUPPORTED_DROPPED_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_RAW_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    model: str
    documents: int
    sentences_in: int
    sentences_after_dedup: int
    seconds: float
    duplicate_documents: int
    generated_sentences: int
    unsupported_dropped: int
    input_tokens: int
    input_tokens_raw: int
    extra: _containers.MessageMap[str, StatValue]
    def __init__(self, model: _Optional[str] = ..., documents: _Optional[int] = ..., sentences_in: _Optional[int] = ..., sentences_after_dedup: _Optional[int] = ..., seconds: _Optional[float] = ..., duplicate_documents: _Optional[int] = ..., generated_sentences: _Optional[int] = ..., unsupported_dropped: _Optional[int] = ..., input_tokens: _Optional[int] = ..., input_tokens_raw: _Optional[int] = ..., extra: _Optional[_Mapping[str, StatValue]] = ...) -> None: ...

class SummarizeResponse(_message.Message):
    __slots__ = ("sentences", "documents", "duplicates", "stats", "conflicts")
    SENTENCES_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    sentences: _containers.RepeatedCompositeFieldContainer[SummarySentence]
    documents: _containers.RepeatedCompositeFieldContainer[DocumentInfo]
    duplicates: _containers.RepeatedCompositeFieldContainer[DuplicateGroup]
    stats: Stats
    conflicts: _containers.RepeatedCompositeFieldContainer[Conflict]
    def __init__(self, sentences: _Optional[_Iterable[_Union[SummarySentence, _Mapping]]] = ..., documents: _Optional[_Iterable[_Union[DocumentInfo, _Mapping]]] = ..., duplicates: _Optional[_Iterable[_Union[DuplicateGroup, _Mapping]]] = ..., stats: _Optional[_Union[Stats, _Mapping]] = ..., conflicts: _Optional[_Iterable[_Union[Conflict, _Mapping]]] = ...) -> None: ...

class SummarizeBatchRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[SummarizeRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[SummarizeRequest, _Mapping]]] = ...) -> None: ...

class Status(_message.Message):
    __slots__ = ("code", "message", "field", "reason")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    field: str
    reason: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., field: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SummarizeBatchResult(_message.Message):
    __slots__ = ("index", "cluster_id", "response", "error")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    index: int
    cluster_id: str
    response: SummarizeResponse
    error: Status
    def __init__(self, index: _Optional[int] = ..., cluster_id: _Optional[str] = ..., response: _Optional[_Union[SummarizeResponse, _Mapping]] = ..., error: _Optional[_Union[Status, _Mapping]] = ...) -> None: ...

class GetInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Limits(_message.Message):
    __slots__ = ("max_documents", "max_document_chars", "max_request_chars", "max_sentences_per_request", "max_receive_bytes")
    MAX_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    MAX_DOCUMENT_CHARS_FIELD_NUMBER: _ClassVar[int]
    MAX_REQUEST_CHARS_FIELD_NUMBER: _ClassVar[int]
    MAX_SENTENCES_PER_REQUEST_FIELD_NUMBER: _ClassVar[int]
    MAX_RECEIVE_BYTES_FIELD_NUMBER: _ClassVar[int]
    max_documents: int
    max_document_chars: int
    max_request_chars: int
    max_sentences_per_request: int
    max_receive_bytes: int
    def __init__(self, max_documents: _Optional[int] = ..., max_document_chars: _Optional[int] = ..., max_request_chars: _Optional[int] = ..., max_sentences_per_request: _Optional[int] = ..., max_receive_bytes: _Optional[int] = ...) -> None: ...

class Batching(_message.Message):
    __slots__ = ("max_batch_size", "max_wait_ms", "max_queue")
    MAX_BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    MAX_WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUE_FIELD_NUMBER: _ClassVar[int]
    max_batch_size: int
    max_wait_ms: float
    max_queue: int
    def __init__(self, max_batch_size: _Optional[int] = ..., max_wait_ms: _Optional[float] = ..., max_queue: _Optional[int] = ...) -> None: ...

class GetInfoResponse(_message.Message):
    __slots__ = ("version", "model", "embedding_model", "device", "modes", "default_max_words", "limits", "batching")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    MODES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MAX_WORDS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    BATCHING_FIELD_NUMBER: _ClassVar[int]
    version: str
    model: str
    embedding_model: str
    device: str
    modes: _containers.RepeatedScalarFieldContainer[Mode]
    default_max_words: int
    limits: Limits
    batching: Batching
    def __init__(self, version: _Optional[str] = ..., model: _Optional[str] = ..., embedding_model: _Optional[str] = ..., device: _Optional[str] = ..., modes: _Optional[_Iterable[_Union[Mode, str]]] = ..., default_max_words: _Optional[int] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ..., batching: _Optional[_Union[Batching, _Mapping]] = ...) -> None: ...
