"""The JSON forms of the API: a request, a summary, an error — each parsed in one place.

A request (``summarize -``, each line of ``newsfuse batch``, HTTP ``POST /v1/summarize``)::

    {"id": "cluster-1",                                  # optional (required by batch)
     "documents": [{"id": "a", "text": "...",            # required
                    "title": "...", "date": "2025-10-17", "authors": ["..."]}],  # optional
     "options": {"max_words": 150, "max_sentences": null, "mode": "auto",        # optional
                 "seen_ids": ["a"], "seen_documents": [{"id": "old", "text": "..."}]}}

Without ``options`` the service's defaults apply; a missing ``max_words`` is the default
word budget, ``null`` or 0 no limit (``max_sentences``: absent, ``null`` or 0, no limit).
Unknown fields are refused, so a misspelt option never goes unnoticed. Every problem is an
``InvalidInput`` whose field is the JSON path (``documents[2].date``).

A summary is ``output.summary_to_dict`` (``summary_from_dict`` reads it back); an error is
``{"reason", "message", "field"?, "retryable"}`` by the error table; what a service says
about itself is ``info_to_dict``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from newsfuse.api import ClusterRequest, ServiceInfo
from newsfuse.errors import (
    Internal,
    InvalidInput,
    NewsfuseError,
    error_field,
    error_from_reason,
    error_spec,
    public_error,
)
from newsfuse.output import summary_from_dict, summary_to_dict
from newsfuse.types import MODES, Document, SummaryOptions

__all__ = [
    "error_from_dict",
    "error_to_dict",
    "info_to_dict",
    "parse_request",
    "request_from_dict",
    "request_to_dict",
    "summary_from_dict",
    "summary_to_dict",
]

REQUEST_FIELDS = ("id", "documents", "options")
DOCUMENT_FIELDS = ("id", "text", "title", "date", "authors")
OPTION_FIELDS = ("max_words", "max_sentences", "mode", "seen_ids", "seen_documents")


# --- requests ---------------------------------------------------------------------------
def parse_request(text: str | bytes, default_max_words: int) -> ClusterRequest:
    """A request from its JSON text; malformed JSON is an ``InvalidInput`` of ``request``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}" if exc.lineno > 1 else f"column {exc.colno}"
        raise InvalidInput("request", f"not valid JSON ({exc.msg} at {where})") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput("request", f"not UTF-8 (invalid byte at offset {exc.start})") from None
    return request_from_dict(data, default_max_words)


def request_from_dict(data: Any, default_max_words: int) -> ClusterRequest:
    """A request from its parsed JSON; ``default_max_words`` fills a missing ``max_words``."""
    obj = _object(data, "request", REQUEST_FIELDS)
    cluster_id = obj.get("id", "")
    if isinstance(cluster_id, int) and not isinstance(cluster_id, bool):
        cluster_id = str(cluster_id)
    if not isinstance(cluster_id, str):
        raise InvalidInput("id", f"must be a string, got {_kind(cluster_id)}")
    if "documents" not in obj:
        raise InvalidInput("documents", "required: a list of {id, text} objects")
    documents = _documents(obj["documents"], "documents")
    options = None
    if obj.get("options") is not None:
        options = _options(obj["options"], default_max_words)
    return ClusterRequest(documents, options, cluster_id)


def _documents(data: Any, field: str) -> tuple[Document, ...]:
    if not isinstance(data, list):
        raise InvalidInput(field, f"must be a list of {{id, text}} objects, got {_kind(data)}")
    return tuple(_document(item, f"{field}[{i}]") for i, item in enumerate(data))


def _document(data: Any, field: str) -> Document:
    obj = _object(data, field, DOCUMENT_FIELDS)
    for key in ("id", "text"):
        if key not in obj:
            raise InvalidInput(f"{field}.{key}", "required")
        if not isinstance(obj[key], str):
            raise InvalidInput(f"{field}.{key}", f"must be a string, got {_kind(obj[key])}")
    title = obj.get("title")
    if title is not None and not isinstance(title, str):
        raise InvalidInput(f"{field}.title", f"must be a string or null, got {_kind(title)}")
    return Document(
        id=obj["id"],
        text=obj["text"],
        title=title or None,
        date=_date(obj.get("date"), f"{field}.date"),
        authors=tuple(_strings(obj.get("authors", []), f"{field}.authors")),
    )


def _date(value: Any, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        try:  # a full timestamp: its calendar date
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    raise InvalidInput(field, f"not an ISO 8601 date such as 2025-10-17: {value!r}")


def _options(data: Any, default_max_words: int) -> SummaryOptions:
    obj = _object(data, "options", OPTION_FIELDS)
    max_words = _limit(obj.get("max_words", default_max_words), "options.max_words")
    mode = obj.get("mode", "auto")
    if mode not in MODES:
        raise InvalidInput("options.mode", f"must be one of {', '.join(MODES)}, got {mode!r}")
    return SummaryOptions(
        max_words=max_words,
        max_sentences=_limit(obj.get("max_sentences"), "options.max_sentences"),
        mode=mode,
        seen_ids=tuple(_strings(obj.get("seen_ids", []), "options.seen_ids")),
        seen_documents=_documents(obj.get("seen_documents", []), "options.seen_documents"),
    )


def _limit(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(
            field, f"must be a whole number >= 0 (0 or null: no limit), got {value!r}"
        )
    return value or None


def _strings(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(field, f"must be a list of strings, got {_kind(value)}")
    return value


def _object(data: Any, field: str, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput(field, f"must be a JSON object, got {_kind(data)}")
    unknown = sorted(set(data) - set(known))
    if unknown:
        where = f"{field}.{unknown[0]}" if field != "request" else unknown[0]
        raise InvalidInput(where, f"unknown field (known: {', '.join(known)})")
    return data


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def request_to_dict(request: ClusterRequest) -> dict[str, Any]:
    """The JSON form of a request (what ``request_from_dict`` reads)."""
    out: dict[str, Any] = {}
    if request.id:
        out["id"] = request.id
    out["documents"] = [_document_to_dict(d) for d in request.documents]
    options = request.options
    if options is not None:
        out["options"] = {
            "max_words": options.max_words,
            "max_sentences": options.max_sentences,
            "mode": options.mode,
            "seen_ids": list(options.seen_ids),
            "seen_documents": [_document_to_dict(d) for d in options.seen_documents],
        }
    return out


def _document_to_dict(doc: Document) -> dict[str, Any]:
    out: dict[str, Any] = {"id": doc.id, "text": doc.text}
    if doc.title is not None:
        out["title"] = doc.title
    if doc.date is not None:
        out["date"] = doc.date.isoformat()
    if doc.authors:
        out["authors"] = list(doc.authors)
    return out


# --- errors -----------------------------------------------------------------------------
def error_to_dict(exc: BaseException, request_id: str = "") -> dict[str, Any]:
    """The JSON form of an error, by the table (unexpected errors: generic, logged)."""
    error = public_error(exc, request_id)
    spec = error_spec(error)
    out: dict[str, Any] = {"reason": spec.reason, "message": str(error)}
    field = error_field(error)
    if field:
        out["field"] = field
    out["retryable"] = spec.retryable
    return out


def error_from_dict(data: dict[str, Any]) -> NewsfuseError:
    """The typed error of its JSON form (``Internal`` for an unknown reason)."""
    message = str(data.get("message", ""))
    error = error_from_reason(str(data.get("reason", "")), message, str(data.get("field", "")))
    return error if error is not None else Internal(message)


# --- service info -----------------------------------------------------------------------
def info_to_dict(info: ServiceInfo) -> dict[str, Any]:
    """The JSON form of ``ServiceInfo`` (HTTP ``GET /v1/info``)."""
    return {
        "version": info.version,
        "model": info.model,
        "embedding_model": info.embedding_model,
        "device": info.device,
        "modes": list(info.modes),
        "default_max_words": info.default_max_words,
        "limits": dict(info.limits),
        "batching": dict(info.batching),
    }
