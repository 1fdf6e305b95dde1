"""Rendering a ``Summary``: the JSON contract (both ways) and the human-readable text.

``summary_to_dict`` is the one JSON form of a summary: ``summarize --json``, every line of
``newsfuse batch`` and the HTTP API write it; ``summary_from_dict`` reads it back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from newsfuse.errors import InvalidInput
from newsfuse.types import (
    Citation,
    Conflict,
    ConflictValue,
    DateMention,
    DocumentInfo,
    DuplicateSpan,
    SourceSpan,
    Stats,
    Summary,
    SummarySentence,
)


def _markers(sentence: SummarySentence, numbers: dict[str, int]) -> str:
    cited = sorted({numbers[c.document_id] for c in sentence.citations if c.document_id in numbers})
    return "".join(f"[{n}]" for n in cited)


def _span_markers(spans: tuple[SourceSpan, ...], numbers: dict[str, int]) -> str:
    cited = sorted({numbers[s.document_id] for s in spans if s.document_id in numbers})
    return "".join(f"[{n}]" for n in cited)


def _with_dates(sentence: SummarySentence) -> str:
    """The sentence with each resolved relative time followed by its date in brackets."""
    text = sentence.text
    for mention in sorted(sentence.dates, key=lambda m: -m.end):
        text = f"{text[: mention.end]} ({mention.date.isoformat()}){text[mention.end :]}"
    return text


def conflict_line(conflict: Conflict, numbers: dict[str, int]) -> str:
    """One disagreement in words: each value with the sources that state it."""
    sides = " vs ".join(
        f"{v.value} {_span_markers(v.sources, numbers)}".rstrip() for v in conflict.values
    )
    claim = conflict.claim if len(conflict.claim) <= 160 else conflict.claim[:157] + "..."
    return f"{sides} (on: {claim})"


def summary_text(summary: Summary) -> str:
    """The summary with ``[n]`` markers; ``n`` numbers ``summary.documents`` from 1."""
    numbers = {doc.id: i for i, doc in enumerate(summary.documents, start=1)}
    return " ".join(f"{s.text} {_markers(s, numbers)}".rstrip() for s in summary.sentences)


def summary_to_dict(summary: Summary) -> dict[str, Any]:
    """The machine-readable form printed by ``newsfuse summarize --json``."""
    stats = summary.stats
    stats_dict: dict[str, Any] = {
        "model": stats.model,
        "documents": stats.documents,
        "sentences_in": stats.sentences_in,
        "sentences_after_dedup": stats.sentences_after_dedup,
        "seconds": stats.seconds,
        "duplicate_documents": stats.duplicate_documents,
    }
    for key in ("generated_sentences", "unsupported_dropped", "input_tokens", "input_tokens_raw"):
        value = getattr(stats, key)
        if value is not None:
            stats_dict[key] = value
    stats_dict.update(stats.extra)
    return {
        "summary": summary_text(summary),
        "sentences": [
            {
                "text": s.text,
                "generated": s.generated,
                "citations": [
                    {
                        "document": c.document_id,
                        "sentence": c.sentence_index,
                        "start": c.start,
                        "end": c.end,
                        "score": c.score,
                    }
                    for c in s.citations
                ],
                "conflicts": [conflict_to_dict(c) for c in s.conflicts],
                "dates": [
                    {"text": m.text, "start": m.start, "end": m.end, "date": m.date.isoformat()}
                    for m in s.dates
                ],
            }
            for s in summary.sentences
        ],
        "conflicts": [conflict_to_dict(c) for c in summary.conflicts],
        "documents": [
            {
                "id": d.id,
                "title": d.title,
                "date": d.date.isoformat() if d.date else None,
                "date_inferred": d.date_inferred,
                "seen": d.seen,
                "duplicate_of": d.duplicate_of,
            }
            for d in summary.documents
        ],
        "duplicates": [
            [{"document": m.document_id, "start": m.start, "end": m.end} for m in group]
            for group in summary.duplicates
        ],
        "stats": stats_dict,
    }


def conflict_to_dict(conflict: Conflict) -> dict[str, Any]:
    """A disagreement in the JSON form: its kind, the fact, and each value with its sources."""
    return {
        "kind": conflict.kind,
        "claim": conflict.claim,
        "values": [
            {
                "value": v.value,
                "normalized": v.normalized,
                "sources": [
                    {
                        "document": s.document_id,
                        "sentence": s.sentence_index,
                        "start": s.start,
                        "end": s.end,
                    }
                    for s in v.sources
                ],
            }
            for v in conflict.values
        ],
    }


_STATS = ("model", "documents", "sentences_in", "sentences_after_dedup", "seconds")
_OPTIONAL_STATS = (
    "duplicate_documents",
    "generated_sentences",
    "unsupported_dropped",
    "input_tokens",
    "input_tokens_raw",
)


def summary_from_dict(data: dict[str, Any]) -> Summary:
    """The ``Summary`` of its JSON form (``summary_to_dict``); ``summary`` text is derived.

    Raises ``InvalidInput`` (field ``summary``) when ``data`` is not in that form.
    """
    try:
        return _summary_from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(
            "summary", f"not a summary in the newsfuse JSON form ({type(exc).__name__}: {exc})"
        ) from None


def _summary_from_dict(data: dict[str, Any]) -> Summary:
    sentences = tuple(
        SummarySentence(
            text=s["text"],
            citations=tuple(
                Citation(c["document"], c["sentence"], c["start"], c["end"], c["score"])
                for c in s["citations"]
            ),
            generated=bool(s.get("generated", False)),
            conflicts=tuple(_conflict_from_dict(c) for c in s.get("conflicts", ())),
            dates=tuple(
                DateMention(m["text"], m["start"], m["end"], dt.date.fromisoformat(m["date"]))
                for m in s.get("dates", ())
            ),
        )
        for s in data["sentences"]
    )
    documents = tuple(
        DocumentInfo(
            id=d["id"],
            title=d.get("title"),
            date=dt.date.fromisoformat(d["date"]) if d.get("date") else None,
            duplicate_of=d.get("duplicate_of"),
            date_inferred=bool(d.get("date_inferred", False)),
            seen=bool(d.get("seen", False)),
        )
        for d in data["documents"]
    )
    duplicates = tuple(
        tuple(DuplicateSpan(m["document"], m["start"], m["end"]) for m in group)
        for group in data.get("duplicates", ())
    )
    raw = dict(data["stats"])
    stats = Stats(
        **{key: raw.pop(key) for key in _STATS},
        **{key: raw.pop(key) for key in _OPTIONAL_STATS if key in raw},
        extra=raw,
    )
    conflicts = tuple(_conflict_from_dict(c) for c in data.get("conflicts", ()))
    return Summary(sentences, documents, duplicates, stats, conflicts=conflicts)


def _conflict_from_dict(data: dict[str, Any]) -> Conflict:
    return Conflict(
        kind=data["kind"],
        claim=data["claim"],
        values=tuple(
            ConflictValue(
                value=v["value"],
                normalized=v["normalized"],
                sources=tuple(
                    SourceSpan(s["document"], s["sentence"], s["start"], s["end"])
                    for s in v["sources"]
                ),
            )
            for v in data["values"]
        ),
    )


def render_human(summary: Summary) -> str:
    """Summary paragraph with ``[n]`` markers, then the numbered list of sources."""
    numbers = {doc.id: i for i, doc in enumerate(summary.documents, start=1)}
    lines = []
    if summary.sentences:
        lines.extend(
            f"{_with_dates(s)} {_markers(s, numbers)}".rstrip() for s in summary.sentences
        )
    else:
        lines.append("(the documents contain no text to summarize)")
    if summary.conflicts:
        lines.append("")
        lines.append("Sources differ:")
        lines.extend(f"- {conflict_line(c, numbers)}" for c in summary.conflicts)
    lines.append("")
    lines.append("Sources:")
    for i, doc in enumerate(summary.documents, start=1):
        parts = [f"[{i}] {doc.id}"]
        if doc.title:
            parts.append(f"— {doc.title}")
        if doc.date:
            inferred = ", inferred" if doc.date_inferred else ""
            parts.append(f"({doc.date.isoformat()}{inferred})")
        if doc.seen:
            parts.append("[seen]")
        if doc.duplicate_of:
            parts.append(f"[copy of {doc.duplicate_of}]")
        lines.append(" ".join(parts))
    s = summary.stats
    lines.append("")
    lines.append(
        f"{s.documents} documents, {s.sentences_in} sentences, {s.sentences_after_dedup} after "
        f"dedup; {s.model}; {s.seconds:.2f}s"
    )
    return "\n".join(lines)
