"""Helpers of the Ray tests: small clusters from the example articles, output lines by id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "budapest").glob("*.txt"))


def example_lines() -> list[list[str]]:
    """The non-blank lines (paragraphs) of each example article."""
    return [
        [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for path in EXAMPLES
    ]


def small_clusters(count: int, *, documents: int = 3, lines: int = 6) -> list[dict[str, Any]]:
    """``count`` small clusters in the request JSON form, each different: cluster i takes
    ``lines`` paragraphs of ``documents`` example articles, at offsets that move with i."""
    articles = example_lines()
    clusters = []
    for i in range(count):
        docs = []
        for k in range(documents):
            article = articles[(i + k) % len(articles)]
            start = (3 * i + k) % max(1, len(article) - lines)
            docs.append({"id": f"a{k}", "text": "\n".join(article[start : start + lines])})
        clusters.append({"id": f"c{i:02d}", "documents": docs})
    return clusters


def write_jsonl(path: Path, records: list[dict[str, Any]], *extra: str) -> Path:
    """Clusters as JSON lines, then ``extra`` raw lines (bad ones, blank ones)."""
    text = "".join(json.dumps(r) + "\n" for r in records) + "".join(e + "\n" for e in extra)
    path.write_text(text, encoding="utf-8")
    return path


def without_timing(record: dict[str, Any]) -> dict[str, Any]:
    """An output line with its timing left out (the one field that differs run to run)."""
    record = dict(record)
    if "stats" in record:
        record["stats"] = {k: v for k, v in record["stats"].items() if "seconds" not in k}
    return record


def read_lines(path: Path) -> dict[str, dict[str, Any]]:
    """Output lines by id (``line N`` for an id-less error line)."""
    records = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(raw)
        key = record["id"] or f"line {record['line']}"
        assert key not in records, f"{key} twice in {path}"
        records[key] = without_timing(record)
    return records
