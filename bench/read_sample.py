"""Sample newsfuse's own citations for people to read and judge (the labels' protocol).

Usage::

    HF_HUB_OFFLINE=1 python bench/read_sample.py --eval-dir ../shared/eval --out /tmp/read.jsonl \
        [--dataset duc2006] [--clusters 10] [--from-end] [--per-cluster 6] [--example]

Summarizes clusters (250 words, as ``bench/citations.py``) and writes one line per sampled
*secondary* citation (every citation but the sentence's own span): the summary sentence,
the cited source sentence, the citation's score, and where they come from. ``--from-end``
takes the last clusters of the dataset (clusters that no threshold was chosen on);
``--example`` adds every citation of the bundled example's summary (150 words). Readers
label each line FULL / PARTIAL / NONE and ``contradicts`` under the rules of
``shared/eval/README.md``; ``--score LABELS.jsonl`` then prints the counts.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import EXAMPLES, parse_doc_date  # noqa: E402


def _clusters(eval_dir: Path, dataset: str) -> list[dict[str, Any]]:
    name, _, task = dataset.partition("-")
    with (eval_dir / f"{name}.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return [r for r in rows if not task or r.get("task") == task]


def _lines(pipeline: Any, cluster: str, docs: list[Any], words: int) -> list[dict[str, Any]]:
    from newsfuse.types import SummaryOptions

    summary = pipeline.summarize(docs, SummaryOptions(max_words=words))
    texts = {d.id: d.text for d in docs}
    out = []
    for k, sentence in enumerate(summary.sentences):
        for c in sentence.citations[0 if sentence.generated else 1 :]:
            out.append(
                {
                    "cluster": cluster,
                    "sentence": k,
                    "summary_sentence": sentence.text,
                    "source_document": c.document_id,
                    "source_sentence": " ".join(texts[c.document_id][c.start : c.end].split()),
                    "score": c.score,
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dataset", default="duc2006", help="duc2006, duc2007-main")
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--from-end", action="store_true", help="the dataset's last clusters")
    parser.add_argument("--per-cluster", type=int, default=6, help="citations sampled per cluster")
    parser.add_argument("--example", action="store_true", help="add the example's citations")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--score", type=Path, default=None, help="labels of --out: count them")
    args = parser.parse_args(argv)

    if args.score is not None:
        sample = {r["id"]: r for r in map(json.loads, args.out.read_text().splitlines())}
        labels = [json.loads(line) for line in args.score.read_text().splitlines() if line]
        by_source: dict[str, Counter[str]] = {}
        for row in labels:
            origin = sample[row["id"]]["cluster"].split("/")[0]
            counts = by_source.setdefault(origin, Counter())
            counts[row["label"]] += 1
            counts["contradicts"] += bool(row.get("contradicts"))
        print(json.dumps(by_source, indent=1))
        return 0

    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings
    from newsfuse.types import Document

    pipeline = Pipeline.load(Settings.from_env())
    rng = random.Random(args.seed)
    rows = _clusters(args.eval_dir, args.dataset)
    rows = rows[-args.clusters :] if args.from_end else rows[: args.clusters]
    lines: list[dict[str, Any]] = []
    for row in rows:
        docs = [
            Document(
                id=d["name"],
                text=d["text"],
                title=d.get("headline") or None,
                date=parse_doc_date(d["name"], d.get("date")),
            )
            for d in row["documents"]
        ]
        found = _lines(pipeline, f"{args.dataset}/{row['id']}", docs, 250)
        lines += rng.sample(found, min(args.per_cluster, len(found)))
        print(f"{row['id']}: {len(found)} secondary citations", file=sys.stderr)
    if args.example:
        docs = [
            Document(id=p.name, text=p.read_text(encoding="utf-8"))
            for p in sorted(EXAMPLES.glob("*.txt"))
        ]
        lines += _lines(pipeline, "example/budapest", docs, 150)
    with args.out.open("w", encoding="utf-8") as handle:
        for n, line in enumerate(lines):
            handle.write(json.dumps({"id": n, **line}, ensure_ascii=False) + "\n")
    print(f"wrote {len(lines)} citations to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
