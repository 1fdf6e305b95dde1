"""How much of dedup's reading the ``mutual_prefilter`` screen saves, and what it costs.

Dedup asks the support scorer whether each candidate pair (MinHash or cosine ≥ 0.6) states
one claim both ways; the pair reader reads the pairs the features find plausible. The
screen (``CrossEncoderSpec.mutual_prefilter``) skips a pair when the features find either
direction less plausible than it. This script runs dedup with the screen off, records every
candidate pair (cosine, the features' probability both ways, whether the reader linked it),
and reports, per screen value, the reading it saves and the links it loses. It also reports
how many pairs that people labelled as stating each other's claim (both directions FULL,
``bench/data/support_labels.jsonl``) fall under each value.

    .venv/bin/python bench/dedup_reading.py --eval-dir ../shared/eval --datasets duc2007-main
    .venv/bin/python bench/dedup_reading.py --eval-dir ../shared/eval --datasets duc2006 --limit 12
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, load_datasets, machine_info, markdown_table, write_json  # noqa: E402

SCREENS = (0.02, 0.03, 0.05, 0.1, 0.2)


def record_pairs(pipeline: Any, clusters: list[Any]) -> list[dict[str, Any]]:
    """Every dedup candidate pair of ``clusters``, decided with the screen off."""
    from newsfuse.types import SummaryOptions
    from quality import cluster_documents

    scorer = pipeline.scorer
    spec = scorer.model.cross_encoder
    if spec is None or scorer.reader is None:
        raise SystemExit("dedup_reading: the pair reader is off (NEWSFUSE_SUPPORT_READER=0)")
    rows: list[dict[str, Any]] = []
    mutual = type(scorer).mutual
    current = [""]

    def recording(self: Any, evidence: Any, pairs: Any, at_least: float = 0.0) -> np.ndarray:
        a, b = [i for i, _ in pairs], [j for _, j in pairs]
        ab = self._screen_pairs(evidence, a, b)
        ba = self._screen_pairs(evidence, b, a)
        out = mutual(self, evidence, pairs, at_least)
        cosine = np.einsum("ij,ij->i", evidence.vectors[a], evidence.vectors[b])
        for k in range(len(pairs)):
            rows.append(
                {
                    "cluster": current[0],
                    "cosine": round(float(cosine[k]), 4),
                    "prior": round(float(min(ab.prior[k], ba.prior[k])), 6),
                    "read": not bool(ab.known[k] or ba.known[k]),
                    "linked": bool(out[k] >= at_least),
                }
            )
        return out

    scorer.model = dataclasses.replace(
        scorer.model, cross_encoder=dataclasses.replace(spec, mutual_prefilter=0.0)
    )
    type(scorer).mutual = recording  # type: ignore[method-assign]
    try:
        for cluster in clusters:
            current[0] = cluster.id
            started = time.perf_counter()
            pipeline.prepare(cluster_documents(cluster), SummaryOptions(max_words=cluster.budget))
            seen = [r for r in rows if r["cluster"] == cluster.id]
            print(
                f"{cluster.id}: {len(seen)} candidate pairs, "
                f"{sum(r['linked'] for r in seen)} linked ({time.perf_counter() - started:.1f} s)",
                file=sys.stderr,
            )
    finally:
        type(scorer).mutual = mutual  # type: ignore[method-assign]
        scorer.model = dataclasses.replace(scorer.model, cross_encoder=spec)
    return rows


def screen_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    read = [r for r in rows if r["read"]]
    linked = sum(r["linked"] for r in rows)
    out = []
    for screen in SCREENS:
        skipped = [r for r in read if r["prior"] < screen]
        out.append(
            {
                "screen": screen,
                "pairs_read_without": len(read),
                "skipped": len(skipped),
                "skipped_share": len(skipped) / len(read) if read else 0.0,
                "links": linked,
                "links_lost": sum(r["linked"] for r in skipped),
            }
        )
    return out


def labelled_table(eval_dir: Path) -> list[dict[str, Any]]:
    """Pairs people labelled FULL both ways, and how many each screen would skip."""
    from newsfuse.embed import TransformerEmbedder
    from newsfuse.settings import Settings
    from newsfuse.support import SupportScorer, parse
    from train_support import LABELS, ClusterIndex, _cluster_texts, labelled_texts

    texts = _cluster_texts(eval_dir)
    index = ClusterIndex(texts)
    with LABELS.open(encoding="utf-8") as handle:
        labels = [json.loads(line) for line in handle if line.strip()]
    labels = [r for r in labels if r["cs"] == "FULL" and r["sc"] == "FULL" and not r["contradicts"]]
    pairs = [labelled_texts(r, texts) for r in labels]
    embedder = TransformerEmbedder(device="cpu", dtype=Settings.from_env().embed_dtype)
    distinct = sorted({t for p in pairs for t in p})
    vectors = dict(zip(distinct, embedder.encode(distinct), strict=True))
    scorer = SupportScorer()
    prior = []
    for row, (a, b) in zip(labels, pairs, strict=True):
        pa, pb, idf = parse(a), parse(b), index.idf(row["cluster"])
        cosine = float(vectors[a] @ vectors[b])
        p_ab = scorer.model.probability(scorer.features([pa], [pb], [cosine], idf))[0]
        p_ba = scorer.model.probability(scorer.features([pb], [pa], [cosine], idf))[0]
        prior.append(min(p_ab, p_ba))
    values = np.asarray(prior)
    return [
        {"screen": s, "mutual_full": len(values), "under": int((values < s).sum())} for s in SCREENS
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--datasets", default="duc2007-main")
    parser.add_argument("--limit", type=int, default=None, help="first N clusters per dataset")
    parser.add_argument("--skip-labels", action="store_true", help="no labelled-pairs table")
    parser.add_argument("--out", type=Path, default=RESULTS / "dedup_reading.json")
    args = parser.parse_args(argv)

    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings

    pipeline = Pipeline.load(Settings.from_env())
    result: dict[str, Any] = {"machine": machine_info(), "datasets": {}}
    for name, clusters in load_datasets(
        args.eval_dir, args.datasets.split(","), args.limit
    ).items():
        table = screen_table(record_pairs(pipeline, clusters))
        result["datasets"][name] = {"clusters": len(clusters), "screens": table}
        print(f"\n{name}, {len(clusters)} clusters\n")
        print(
            markdown_table(
                ["screen", "pairs read (screen off)", "skipped", "links", "links lost"],
                [
                    [
                        r["screen"],
                        r["pairs_read_without"],
                        f"{r['skipped']} ({100 * r['skipped_share']:.0f} %)",
                        r["links"],
                        r["links_lost"],
                    ]
                    for r in table
                ],
            )
        )
    if not args.skip_labels:
        result["labelled"] = labelled_table(args.eval_dir)
        print("\nlabelled pairs FULL both ways (bench/data/support_labels.jsonl)\n")
        print(
            markdown_table(
                ["screen", "pairs", "under the screen"],
                [[r["screen"], r["mutual_full"], r["under"]] for r in result["labelled"]],
            )
        )
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
