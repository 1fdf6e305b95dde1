"""Confirmed facts first: newsfuse with and without the confirmation bonus, in one run.

Usage::

    python bench/confirm.py --eval-dir ../shared/eval [--datasets duc2006] [--skip N]
        [--limit N] [--out bench/results/confirm.json] [--summaries-out FILE.jsonl]

``rank.confirm`` raises a fact by ``RankWeights.confirmed`` when other outlets state its
claim, as the pair reader judges it for a citation. This script summarizes every cluster
twice with the same loaded models — the bonus off (``confirmed=0``: exactly the ranking
before it) and at its default — and reports per variant ROUGE-1/2 recall (as
``bench/quality.py`` computes it) and the citation measures of ``bench/citations.py``:
sentences citing two or more documents, citations per sentence, secondary citations, the
share of them sharing under 30 % of the sentence's content words and the share whose numbers
disagree. ``--summaries-out`` writes both summaries of each cluster with the texts of their
secondary citations, for people to read.

The cost: with ``--cold-reader`` the pair reader's cache is emptied before every summary, so
each variant reads every pair it needs, and the variants take turns going first (the one
that goes first also embeds the cluster's sentences; the other finds them cached). Reported:
pairs read and seconds per variant. Without it the variant without the bonus runs first and
the other finds part of its pairs already read: the seconds are then no speed comparison.

The default was chosen on DUC 2007 main; DUC 2006 is the held-out set (the default here).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, load_datasets, machine_info, markdown_table, write_json  # noqa: E402
from citations import CitationStats  # noqa: E402
from quality import cluster_documents, make_scorer, score_summary  # noqa: E402

_LOGGER = logging.getLogger(__name__)


def _span(text: str, start: int, end: int) -> str:
    return " ".join(text[start:end].split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--datasets", default="duc2006")
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N clusters")
    parser.add_argument("--limit", type=int, default=None, help="then take at most N clusters")
    parser.add_argument("--out", type=Path, default=RESULTS / "confirm.json")
    parser.add_argument("--summaries-out", type=Path, default=None)
    parser.add_argument("--cold-reader", action="store_true",
                        help="empty the pair reader's cache before every summary (timing)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    from newsfuse.pipeline import Pipeline
    from newsfuse.rank import RankWeights
    from newsfuse.settings import Settings
    from newsfuse.types import SummaryOptions

    started = time.perf_counter()
    on = Pipeline.load(Settings.from_env())
    off = Pipeline(
        on.settings, on.embedder, on.model_fuser, on.scorer, rank_weights=RankWeights(confirmed=0)
    )
    variants = {"without bonus": off, f"bonus {on.rank_weights.confirmed:g}": on}
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    datasets = load_datasets(args.eval_dir, names)
    rouge = make_scorer()
    stats = {name: CitationStats() for name in variants}
    per_cluster: dict[str, list[dict[str, Any]]] = {}
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    pairs_read: dict[str, list[int]] = {name: [] for name in variants}
    reader = on.scorer.reader
    read = [0]
    if reader is not None:
        real_read = reader._read

        def counting_read(claims: Any, sources: Any) -> Any:
            read[0] += len(claims)
            return real_read(claims, sources)

        reader._read = counting_read
    summaries = []
    turn = 0
    for dataset, clusters in datasets.items():
        end = None if args.limit is None else args.skip + args.limit
        for cluster in clusters[args.skip : end]:
            row: dict[str, Any] = {"dataset": dataset, "id": cluster.id}
            texts = {doc.name: doc.text for doc in cluster.documents}
            flip = args.cold_reader and turn % 2 == 1
            order = list(variants)[::-1] if flip else list(variants)
            turn += 1
            for name in order:
                pipeline = variants[name]
                if args.cold_reader and reader is not None:
                    reader._cache.clear()
                read[0] = 0
                t = time.perf_counter()
                summary = pipeline.summarize(
                    cluster_documents(cluster), SummaryOptions(max_words=cluster.budget)
                )
                seconds[name].append(time.perf_counter() - t)
                pairs_read[name].append(read[0])
                stats[name](cluster, summary)
                text = " ".join(s.text for s in summary.sentences)
                row[name] = score_summary(rouge, text, cluster.references, cluster.budget)
                summaries.append(
                    {
                        "dataset": dataset,
                        "cluster": cluster.id,
                        "variant": name,
                        "sentences": [
                            {
                                "text": s.text,
                                "documents": sorted({c.document_id for c in s.citations}),
                                "secondary": [
                                    {
                                        "document": c.document_id,
                                        "score": c.score,
                                        "text": _span(texts[c.document_id], c.start, c.end),
                                    }
                                    for c in s.citations[1:]
                                ],
                            }
                            for s in summary.sentences
                        ],
                    }
                )
            per_cluster.setdefault(dataset, []).append(row)
            _LOGGER.info(
                "%s %s: R2 %s", dataset, cluster.id,
                " / ".join(f"{row[n]['r2_recall']:.2f}" for n in variants),
            )
    result: dict[str, Any] = {
        "command": " ".join(["python", "bench/confirm.py", *(argv or sys.argv[1:])]),
        "machine": machine_info(),
        "variants": {},
    }
    table = []
    for name in variants:
        cites = stats[name].summary()
        result["variants"][name] = {
            "cold_reader": args.cold_reader,
            "seconds_total": round(sum(seconds[name]), 1),
            "seconds_median": round(statistics.median(seconds[name]), 2) if seconds[name] else None,
            "pairs_read_total": sum(pairs_read[name]),
            "pairs_read_median": statistics.median(pairs_read[name]) if pairs_read[name] else None,
            "datasets": {},
        }
        for dataset, rows in per_cluster.items():
            r1 = statistics.fmean(r[name]["r1_recall"] for r in rows)
            r2 = statistics.fmean(r[name]["r2_recall"] for r in rows)
            c = cites.get(dataset, {})
            result["variants"][name]["datasets"][dataset] = {
                "clusters": len(rows),
                "r1_recall": round(r1, 2),
                "r2_recall": round(r2, 2),
                **c,
            }
            table.append([
                name, dataset, len(rows), f"{r1:.2f}", f"{r2:.2f}", c.get("sentences"),
                f"{100 * c.get('citing_2plus_documents', 0):.1f} %",
                c.get("citations_per_sentence"), c.get("secondary_citations"),
                f"{100 * c.get('low_overlap_share', 0):.1f} %",
                f"{100 * c.get('numbers_disagree_share', 0):.1f} %",
            ])
    result["per_cluster"] = per_cluster
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    write_json(args.out, result)
    if args.summaries_out is not None:
        with args.summaries_out.open("w", encoding="utf-8") as handle:
            for record in summaries:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    for name in variants:
        v = result["variants"][name]
        print(f"{name}: {v['pairs_read_total']} pairs read, {v['seconds_total']} s "
              f"(median per cluster {v['pairs_read_median']} pairs, {v['seconds_median']} s; "
              f"cold reader: {args.cold_reader})")
    print(markdown_table(
        ["variant", "dataset", "clusters", "R1-R", "R2-R", "sentences", "citing ≥ 2 documents",
         "citations / sentence", "secondary", "sharing < 30 % of words", "numbers disagree"],
        table,
    ))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
