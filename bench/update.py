"""Update summaries on DUC 2007: what is new in B after A, and in C after A and B.

Usage::

    python bench/update.py --eval-dir ../shared/eval [--limit N]

Each DUC 2007 update topic has clusters A, B and C of successive articles; the reference
summaries of B and C tell only what is new. Three systems, same run, 100 words, ROUGE
(rouge-score, Porter stemmer, recall and F1, mean over references then clusters):

* **newsfuse update** — the new cluster's articles, with the earlier clusters' articles as
  ``SummaryOptions.seen_documents``;
* **newsfuse plain** — the new cluster's articles alone (what a caller without update mode
  gets);
* **lead** — the first sentences of the new articles in turn (``bench/quality.py``).

Also counted for the update summaries: sentences whose first citation (the sentence shown)
comes from a seen article — there must be none.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    RESULTS,
    get_splitter,
    load_datasets,
    machine_info,
    markdown_table,
    write_json,  # noqa: E402
)
from quality import cluster_documents, lead_summary, make_scorer, score_summary  # noqa: E402

SYSTEMS = ("newsfuse update", "newsfuse plain", "lead")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None, help="first N topics")
    parser.add_argument("--out", type=Path, default=RESULTS / "update.json")
    args = parser.parse_args(argv)

    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings
    from newsfuse.types import SummaryOptions

    started = time.perf_counter()
    names = ["duc2007-update-A", "duc2007-update-B", "duc2007-update-C"]
    datasets = load_datasets(args.eval_dir, names, args.limit)
    by_id = {c.id: c for clusters in datasets.values() for c in clusters}
    pipeline = Pipeline.load(Settings.from_env())
    rouge = make_scorer()
    _, split = get_splitter("auto")
    rows: list[dict[str, Any]] = []
    per_cluster: dict[str, Any] = {}
    for name in names[1:]:
        scores: dict[str, list[dict[str, float]]] = {s: [] for s in SYSTEMS}
        shown_from_seen = 0
        for cluster in datasets[name]:
            seen = [d for cid in cluster.previous for d in cluster_documents(by_id[cid])]
            new = cluster_documents(cluster)
            budget = cluster.budget
            update = pipeline.summarize(
                new, SummaryOptions(max_words=budget, seen_documents=tuple(seen))
            )
            seen_ids = {d.id for d in seen}
            shown_from_seen += sum(
                bool(s.citations) and s.citations[0].document_id in seen_ids
                for s in update.sentences
            )
            plain = pipeline.summarize(new, SummaryOptions(max_words=budget))
            texts = {
                "newsfuse update": update.text,
                "newsfuse plain": plain.text,
                "lead": lead_summary(cluster, split),
            }
            per_cluster[cluster.id] = {}
            for system, text in texts.items():
                score = score_summary(rouge, text, cluster.references, budget)
                scores[system].append(score)
                per_cluster[cluster.id][system] = score
        for system in SYSTEMS:
            rows.append(
                {
                    "dataset": name,
                    "system": system,
                    "clusters": len(scores[system]),
                    **{
                        key: round(statistics.fmean(s[key] for s in scores[system]), 2)
                        for key in ("r1_recall", "r2_recall", "r1_f1", "r2_f1")
                    },
                }
            )
        rows[-3]["shown_from_seen"] = shown_from_seen
    result = {
        "command": " ".join(["python", "bench/update.py", *(argv or sys.argv[1:])]),
        "machine": machine_info(),
        "results": rows,
        "per_cluster": per_cluster,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_json(args.out, result)
    print(
        markdown_table(
            ["dataset", "system", "clusters", "R1-R", "R2-R", "R1-F", "R2-F"],
            [
                [
                    r["dataset"],
                    r["system"],
                    r["clusters"],
                    r["r1_recall"],
                    r["r2_recall"],
                    r["r1_f1"],
                    r["r2_f1"],
                ]
                for r in rows
            ],
        )  # fmt: skip
    )
    print(
        json.dumps({r["dataset"]: r.get("shown_from_seen") for r in rows if "shown_from_seen" in r})
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
