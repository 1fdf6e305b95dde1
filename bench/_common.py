"""Helpers shared by the benchmark scripts: evaluation data, sentence splitting, output."""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
EXAMPLES = REPO / "examples" / "budapest"

Spans = list[tuple[int, int]]
SpanSplitter = Callable[[str], Spans]

# Dataset name -> (file, filter on the cluster record, word budget). DUC 2007 update clusters
# B and C summarise what is new after A; plain multi-document evaluation uses A only.
DATASETS: dict[str, tuple[str, Callable[[dict[str, Any]], bool], int]] = {
    "duc2006": ("duc2006.jsonl", lambda c: True, 250),
    "duc2007-main": ("duc2007.jsonl", lambda c: c.get("task") == "main", 250),
    "duc2007-update-A": (
        "duc2007.jsonl",
        lambda c: c.get("task") == "update" and str(c["id"]).endswith("-A"),
        100,
    ),
}
# The update clusters B (the reader has seen A) and C (seen A and B): bench/update.py only.
UPDATE_DATASETS: dict[str, tuple[str, Callable[[dict[str, Any]], bool], int]] = {
    f"duc2007-update-{part}": (
        "duc2007.jsonl",
        lambda c, part=part: c.get("task") == "update" and str(c["id"]).endswith(f"-{part}"),
        100,
    )
    for part in "ABC"
}


@dataclass(frozen=True, slots=True)
class EvalDocument:
    name: str
    text: str
    headline: str | None
    date: dt.date | None


@dataclass(frozen=True, slots=True)
class Cluster:
    """One evaluation cluster: its documents, the reference summaries and the word budget."""

    id: str
    dataset: str
    documents: tuple[EvalDocument, ...]
    references: tuple[str, ...]
    budget: int
    previous: tuple[str, ...] = ()
    """Update clusters: ids of the clusters the reader has already seen."""

    def fingerprint(self) -> str:
        """A short hash of the documents, so cached results notice changed data."""
        digest = hashlib.sha1()
        for doc in self.documents:
            digest.update(doc.name.encode())
            digest.update(b"\0")
            digest.update(doc.text.encode())
            digest.update(b"\0")
        return digest.hexdigest()[:12]


_NAME_DATE = re.compile(r"(19|20)(\d\d)(\d\d)(\d\d)")
_ISO = re.compile(r"^(\d{4})-(\d\d)-(\d\d)")
_US = re.compile(r"^(\d\d)/(\d\d)/(\d{4})")


def parse_doc_date(name: str, raw: str | None) -> dt.date | None:
    """The date of a DUC document.

    The ``date`` field mixes ``YYYY-MM-DD``, ``YYYY-DD-MM`` and ``MM/DD/YYYY``; the document
    name (``APW19990707.0181``) carries an unambiguous ``YYYYMMDD``, so it wins.
    """
    match = _NAME_DATE.search(name)
    if match:
        try:
            return dt.date(int(match.group(1) + match.group(2)), int(match[3]), int(match[4]))
        except ValueError:
            pass
    raw = (raw or "").strip()
    for pattern, order in ((_ISO, (1, 2, 3)), (_ISO, (1, 3, 2)), (_US, (3, 1, 2))):
        match = pattern.match(raw)
        if match:
            year, month, day = (int(match.group(i)) for i in order)
            try:
                return dt.date(year, month, day)
            except ValueError:
                continue
    return None


def load_datasets(
    eval_dir: str | Path, names: Sequence[str] | None = None, limit: int | None = None
) -> dict[str, list[Cluster]]:
    """Read the DUC jsonl files in ``eval_dir`` into clusters per dataset (file order kept)."""
    eval_dir = Path(eval_dir)
    out: dict[str, list[Cluster]] = {}
    known = {**DATASETS, **UPDATE_DATASETS}
    for name in names or list(DATASETS):
        if name not in known:
            raise ValueError(f"unknown dataset {name!r}; known: {', '.join(known)}")
        filename, keep, budget = known[name]
        clusters: list[Cluster] = []
        for record in _read_jsonl(eval_dir / filename):
            if not keep(record):
                continue
            clusters.append(
                Cluster(
                    id=str(record["id"]),
                    dataset=name,
                    documents=tuple(
                        EvalDocument(
                            name=str(d["name"]),
                            text=str(d["text"]),
                            headline=(d.get("headline") or None),
                            date=parse_doc_date(str(d["name"]), d.get("date")),
                        )
                        for d in record["documents"]
                    ),
                    references=tuple(str(r) for r in record["references"]),
                    budget=budget,
                    previous=tuple(record.get("update_previous_clusters") or ()),
                )
            )
            if limit is not None and len(clusters) >= limit:
                break
        out[name] = clusters
    return out


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


# --- sentence splitting ---------------------------------------------------------------------

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# A regex splitter in the spirit of the one behind the README reference figures: a sentence
# ends at . ! ? (plus closing quotes/brackets) followed by white space and an upper-case letter,
# a digit or an opening quote, unless the word before the period is a known abbreviation.
_REGEX_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]*[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sen rep gov gen col lt sgt capt st jr sr inc corp co ltd no vs "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.n d.c u.k a.m p.m e.g i.e".split()
)


def regex_split(text: str) -> Spans:
    """Sentence spans by punctuation rules only (no model, no data files)."""
    spans: Spans = []
    start = 0
    for match in _REGEX_BOUNDARY.finditer(text):
        word = text[start : match.start()].rsplit(None, 1)[-1:] or [""]
        token = word[0].lower().lstrip("\"'“‘([")
        if match.group().startswith(".") and (
            token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token)
        ):
            continue
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    return _trim(text, spans)


def blingfire_split(text: str) -> Spans:
    """Sentence spans from blingfire (its offsets are already ``str`` indices)."""
    import blingfire

    if not text.strip():
        return []
    _, offsets = blingfire.text_to_sentences_and_offsets(text)
    return _trim(text, [(int(a), int(b)) for a, b in offsets])


def _trim(text: str, spans: Spans) -> Spans:
    out: Spans = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append((start, end))
    return out


def _newsfuse_split() -> tuple[str, SpanSplitter] | None:
    try:
        from newsfuse import ingest
    except Exception:  # noqa: BLE001 - not written yet or broken: fall back to blingfire
        return None
    split = getattr(ingest, "split_sentences", None)
    if split is None:
        return None
    try:
        version = hashlib.sha1(inspect.getsource(ingest).encode()).hexdigest()[:8]
    except (OSError, TypeError):
        version = "unknown"

    def spans(text: str) -> Spans:
        return _as_spans(text, split(text))

    return f"newsfuse.ingest@{version}", spans


def _as_spans(text: str, items: Any) -> Spans:
    """Adapt whatever ``split_sentences`` returns (spans, strings or objects) to spans."""
    out: Spans = []
    cursor = 0
    for item in items:
        if isinstance(item, str):
            start = text.find(item, cursor)
            if start < 0:
                continue
            out.append((start, start + len(item)))
        elif hasattr(item, "start") and hasattr(item, "end"):
            out.append((int(item.start), int(item.end)))
        else:
            start, end = item[-2], item[-1]
            out.append((int(start), int(end)))
        cursor = out[-1][1]
    return _trim(text, out)


def get_splitter(name: str = "auto") -> tuple[str, SpanSplitter]:
    """``(name, split)``: newsfuse's own splitter when it exists (``auto``), else blingfire."""
    if name == "auto":
        found = _newsfuse_split()
        if found is not None:
            return found
        name = "blingfire"
    if name == "newsfuse":
        found = _newsfuse_split()
        if found is None:
            raise RuntimeError("newsfuse.ingest.split_sentences is not available")
        return found
    if name == "blingfire":
        return "blingfire", blingfire_split
    if name == "regex":
        return "regex", regex_split
    raise ValueError(f"unknown splitter {name!r}")


def paragraph_sentences(text: str, split: SpanSplitter) -> list[str]:
    """Sentences of a plain text whose paragraphs are separated by blank lines.

    Single newlines inside a paragraph are hard wraps, so they become spaces in the sentence.
    """
    sentences: list[str] = []
    start = 0
    for match in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        paragraph = text[start:end]
        for a, b in split(paragraph):
            sentence = " ".join(paragraph[a:b].split())
            if sentence:
                sentences.append(sentence)
        if match:
            start = match.end()
    return sentences


# --- output -------------------------------------------------------------------------------


def truncate_words(text: str, budget: int) -> str:
    """The first ``budget`` white-space separated words of ``text``."""
    return " ".join(text.split()[:budget])


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.2f}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_json(path: str | Path, payload: Any) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def machine_info() -> dict[str, Any]:
    import os
    import platform

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        # Other work on the machine inflates timings: record the load when we ran.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
