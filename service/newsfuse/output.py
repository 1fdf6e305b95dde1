"""Rendering a ``Summary``: the JSON contract and the human-readable text."""

from __future__ import annotations

from typing import Any

from newsfuse.types import Conflict, SourceSpan, Summary, SummarySentence


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
