"""The OpenAPI 3.1 document of the HTTP API (``GET /openapi.json``).

Written out by hand from the JSON forms (``jsonform``, ``output.summary_to_dict``); the tests
validate real requests, responses and error bodies against these schemas, so the document
cannot drift from what the server does.
"""

from __future__ import annotations

from typing import Any

from newsfuse import __version__
from newsfuse.errors import ERROR_TABLE
from newsfuse.types import MODES


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _object(properties: dict[str, Any], required: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
        **extra,
    }


_STR = {"type": "string"}
_INT = {"type": "integer", "minimum": 0}
_BOOL = {"type": "boolean"}
_NULLABLE_STR = {"type": ["string", "null"]}
_OFFSET = {"type": "integer", "minimum": 0, "description": "Unicode code point index"}

SCHEMAS: dict[str, Any] = {
    "SummarizeRequest": _object(
        {
            "id": {"type": ["string", "integer"], "description": "the caller's label"},
            "documents": {**_array(_ref("Document")), "minItems": 1},
            "options": {"oneOf": [_ref("Options"), {"type": "null"}]},
        },
        ("documents",),
        description="One cluster (the form `newsfuse summarize -` reads). Unknown fields are "
        "refused.",
    ),
    "Document": _object(
        {
            "id": _STR,
            "text": _STR,
            "title": _NULLABLE_STR,
            "date": {**_NULLABLE_STR, "description": "ISO 8601 date or timestamp"},
            "authors": _array(_STR),
        },
        ("id", "text"),
    ),
    "Options": _object(
        {
            "max_words": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "word budget; absent: the server's default; null or 0: none",
            },
            "max_sentences": {"type": ["integer", "null"], "minimum": 0},
            "mode": {"enum": list(MODES)},
            "seen_ids": _array(_STR),
            "seen_documents": _array(_ref("Document")),
        },
        (),
    ),
    "Summary": _object(
        {
            "summary": {**_STR, "description": "the text with [n] markers"},
            "sentences": _array(_ref("Sentence")),
            "conflicts": _array(_ref("Conflict")),
            "documents": _array(_ref("DocumentInfo")),
            "duplicates": _array(_array(_ref("DuplicateSpan"))),
            "stats": _ref("Stats"),
        },
        ("summary", "sentences", "conflicts", "documents", "duplicates", "stats"),
        description="What `newsfuse summarize --json` prints.",
    ),
    "Sentence": _object(
        {
            "text": _STR,
            "generated": {**_BOOL, "description": "written by a seq2seq model"},
            "citations": _array(_ref("Citation")),
            "conflicts": _array(_ref("Conflict")),
            "dates": _array(_ref("DateMention")),
        },
        ("text", "generated", "citations", "conflicts", "dates"),
    ),
    "Citation": _object(
        {
            "document": _STR,
            "sentence": _INT,
            "start": _OFFSET,
            "end": _OFFSET,
            "score": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "description": "calibrated probability that the span states the sentence's "
                "claim",
            },
        },
        ("document", "sentence", "start", "end", "score"),
        description="`text[start:end]` of the document (code points) is the cited sentence, "
        "up to whitespace",
    ),
    "SourceSpan": _object(
        {"document": _STR, "sentence": _INT, "start": _OFFSET, "end": _OFFSET},
        ("document", "sentence", "start", "end"),
    ),
    "Conflict": _object(
        {
            "kind": {"enum": ["number", "date", "outcome"]},
            "claim": _STR,
            "values": _array(
                _object(
                    {"value": _STR, "normalized": _STR, "sources": _array(_ref("SourceSpan"))},
                    ("value", "normalized", "sources"),
                )
            ),
        },
        ("kind", "claim", "values"),
    ),
    "DateMention": _object(
        {
            "text": _STR,
            "start": {**_OFFSET, "description": "code point index in the sentence's text"},
            "end": _OFFSET,
            "date": {"type": "string", "format": "date"},
        },
        ("text", "start", "end", "date"),
    ),
    "DocumentInfo": _object(
        {
            "id": _STR,
            "title": _NULLABLE_STR,
            "date": _NULLABLE_STR,
            "date_inferred": _BOOL,
            "seen": _BOOL,
            "duplicate_of": _NULLABLE_STR,
        },
        ("id", "title", "date", "date_inferred", "seen", "duplicate_of"),
    ),
    "DuplicateSpan": _object(
        {"document": _STR, "start": _OFFSET, "end": _OFFSET}, ("document", "start", "end")
    ),
    "Stats": {
        "type": "object",
        "properties": {
            "model": _STR,
            "documents": _INT,
            "sentences_in": _INT,
            "sentences_after_dedup": _INT,
            "seconds": {"type": "number"},
            "duplicate_documents": _INT,
        },
        "required": ["model", "documents", "sentences_in", "sentences_after_dedup", "seconds"],
        "additionalProperties": True,
    },
    "Error": _object(
        {
            "reason": {"enum": [spec.reason for spec in ERROR_TABLE.values()]},
            "message": _STR,
            "field": {**_STR, "description": "JSON path of the offending field"},
            "retryable": _BOOL,
        },
        ("reason", "message", "retryable"),
        description="Every error, by the one error table (docs/core.md).",
    ),
    "Info": _object(
        {
            "version": _STR,
            "model": _STR,
            "embedding_model": _STR,
            "device": _STR,
            "modes": _array({"enum": list(MODES)}),
            "default_max_words": _INT,
            "limits": {"type": "object", "additionalProperties": {"type": "integer"}},
            "batching": {"type": "object", "additionalProperties": {"type": "number"}},
        },
        (
            "version",
            "model",
            "embedding_model",
            "device",
            "modes",
            "default_max_words",
            "limits",
            "batching",
        ),
    ),
    "Health": _object(
        {
            "status": {"enum": ["SERVING", "NOT_SERVING"]},
            "state": {"enum": ["loading", "serving", "draining", "stopped", "failed"]},
        },
        ("status", "state"),
    ),
}

SCHEMAS["BatchLine"] = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"id": _STR, **SCHEMAS["Summary"]["properties"]},
            "required": ["id", *SCHEMAS["Summary"]["required"]],
            "additionalProperties": False,
            "description": "a summarized cluster: its id, then the Summary's fields",
        },
        _object(
            {
                "id": {"type": ["string", "null"]},
                "line": {"type": "integer", "minimum": 1},
                "error": _ref("Error"),
            },
            ("id", "error"),
            description="a cluster that failed (line: its input line); a last line without "
            "a line number: the whole call stopped",
        ),
    ]
}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(schema)}}


def _errors(*statuses: int) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for spec in ERROR_TABLE.values():
        by_status.setdefault(spec.http, []).append(spec.reason)
    return {
        str(status): {"description": ", ".join(by_status[status]), "content": _json("Error")}
        for status in statuses
    }


_CALL_ERRORS = (400, 401, 413, 429, 500, 503, 504)


def openapi_document() -> dict[str, Any]:
    """The API description, as served at ``/openapi.json``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "newsfuse",
            "version": __version__,
            "description": "Fused, cited summaries of clusters of news articles. The same "
            "service as the gRPC API newsfuse.v1.Summarizer, with the same limits and errors.",
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "only when the server has NEWSFUSE_AUTH_TOKEN",
                }
            },
        },
        "security": [{"bearer": []}, {}],
        "paths": {
            "/v1/summarize": {
                "post": {
                    "summary": "Summarize one cluster",
                    "operationId": "summarize",
                    "requestBody": {"required": True, "content": _json("SummarizeRequest")},
                    "responses": {
                        "200": {"description": "the summary", "content": _json("Summary")},
                        **_errors(*_CALL_ERRORS),
                    },
                }
            },
            "/v1/summarize:batch": {
                "post": {
                    "summary": "Summarize many clusters: JSON lines in, JSON lines out",
                    "description": "One SummarizeRequest per line (each with its id), as "
                    "`newsfuse batch` reads; each cluster's line is written as it finishes "
                    "(not in input order), as `newsfuse batch` writes.",
                    "operationId": "summarizeBatch",
                    "requestBody": {
                        "required": True,
                        "content": {"application/x-ndjson": {"schema": _ref("SummarizeRequest")}},
                    },
                    "responses": {
                        "200": {
                            "description": "one BatchLine per cluster, streamed",
                            "content": {"application/x-ndjson": {"schema": _ref("BatchLine")}},
                        },
                        **_errors(*_CALL_ERRORS),
                    },
                }
            },
            "/v1/info": {
                "get": {
                    "summary": "Version, models, modes, limits and batching",
                    "operationId": "info",
                    "responses": {
                        "200": {"description": "the service", "content": _json("Info")},
                        **_errors(401, 503),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness: OK while the process answers (draining included)",
                    "operationId": "liveness",
                    "security": [],
                    "responses": {"200": {"description": "alive", "content": _json("Health")}},
                }
            },
            "/readyz": {
                "get": {
                    "summary": "Readiness: OK only while calls are taken (as gRPC health)",
                    "operationId": "readiness",
                    "security": [],
                    "responses": {
                        "200": {"description": "serving", "content": _json("Health")},
                        "503": {"description": "loading or draining", "content": _json("Health")},
                    },
                }
            },
            "/": {
                "get": {
                    "summary": "The reader: a web page to summarize and see the cited spans",
                    "operationId": "page",
                    "security": [],
                    "responses": {"200": {"description": "HTML"}},
                }
            },
        },
    }
