"""Citation quality: the support scorer on labelled pairs, and newsfuse's citations on DUC.

Usage::

    python bench/citations.py --eval-dir ../shared/eval [--limit N] [--pairs-only]

Two measurements, one run:

1. **Labelled pairs.** Every pair of ``citation_pairs_duc2006.jsonl`` (the held-out test:
   nothing of DUC 2006 trains or calibrates the scorer) and ``citation_pairs_duc2007.jsonl``
   is scored the way newsfuse scores a candidate citation (the pair's cluster gives the word
   weights); "cited" means scored at or above the cite threshold. Reported: how many cited
   pairs are FULL, PARTIAL, NONE, and contradicting, precision (share FULL) and recall (share
   of the FULL pairs cited).
2. **Summaries.** newsfuse, lead and LexRank on DUC 2006 and DUC 2007 main at 250 words
   (``bench/quality.py``'s harness: ROUGE in the same run), and for newsfuse's summaries:
   sentences citing two or more documents, citations per sentence, and among the secondary
   citations (every citation but the sentence's own span) the share whose source sentence
   has under 30 % of the summary sentence's content words and the share whose numbers
   disagree with it.

3. **Conflicts.** The conflict finder on every pair of ``bench/data/support_labels.jsonl``
   (each pair as a two-document cluster) against the labellers' ``contradicts``: recall of
   the number disagreements, false alarms on pairs labelled as not contradicting.

Writes ``bench/results/citations.json`` and prints the tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, load_datasets, machine_info, markdown_table, write_json  # noqa: E402
from quality import evaluate, render  # noqa: E402
from train_support import (  # noqa: E402
    LABELS,
    ClusterIndex,
    _cluster_texts,
    _gold,
    _read,
    report,
)

_LOGGER = logging.getLogger(__name__)


def score_pairs(pipeline: Any, eval_dir: Path) -> dict[str, Any]:
    """The scorer's decisions on both labelled pair files."""
    from newsfuse.claims import parse

    scorer = pipeline.scorer
    index = ClusterIndex(_cluster_texts(eval_dir))
    out: dict[str, Any] = {"scorer": scorer.name}
    out["thresholds"] = {
        name: getattr(scorer.thresholds, name) for name in ("cite", "same_fact", "ground", "repeat")
    }
    for dataset in ("duc2006", "duc2007"):
        rows = _read(eval_dir / f"citation_pairs_{dataset}.jsonl")
        pairs = [_gold(r, dataset) for r in rows]
        texts = sorted({p["claim"] for p in pairs} | {p["source"] for p in pairs})
        vectors = dict(zip(texts, pipeline.embedder.encode(texts), strict=True))
        probabilities = np.asarray(
            [
                scorer.score(
                    [parse(p["claim"])],
                    [parse(p["source"])],
                    [float(vectors[p["claim"]] @ vectors[p["source"]])],
                    index.idf(p["cluster"]),
                    claim_texts=[p["claim"]],
                    source_texts=[p["source"]],
                )[0]
                for p in pairs
            ]
        )
        cite = scorer.thresholds.cite
        out[dataset] = {
            "all": report(probabilities, pairs, cite),
            **{
                kind: report(
                    probabilities[[i for i, p in enumerate(pairs) if p["kind"] == kind]],
                    [p for p in pairs if p["kind"] == kind],
                    cite,
                )
                for kind in ("cited", "nearest-uncited")
            },
            "role": "held-out test" if dataset == "duc2006" else "calibration (used in training)",
            # Not for choosing a threshold (DUC 2006 is the test): what other cuts would give,
            # and whether the scores read as probabilities (share FULL per score bin).
            "at_thresholds": {
                f"{t:.2f}": report(probabilities, pairs, t) for t in (0.2, 0.35, 0.5, 0.65, 0.8)
            },
            "reliability": _reliability(probabilities, pairs),
        }
    return out


def _reliability(probabilities: np.ndarray, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per score bin: pairs, mean score, share labelled FULL (without a contradiction)."""
    edges = (0.0, 0.05, 0.2, 0.5, 0.8, 1.01)
    y = np.asarray([p["positive"] for p in pairs], dtype=float)
    out = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        inside = (probabilities >= lo) & (probabilities < hi)
        if inside.any():
            out.append(
                {
                    "bin": f"{lo:.2f}-{min(hi, 1.0):.2f}",
                    "pairs": int(inside.sum()),
                    "mean_score": round(float(probabilities[inside].mean()), 3),
                    "share_full": round(float(y[inside].mean()), 3),
                }
            )
    return out


def conflict_detection(pipeline: Any, eval_dir: Path, labels: Path) -> dict[str, Any]:
    """The conflict finder on the labelled pairs: each pair as a two-document cluster.

    Reference: the labellers' ``contradicts`` (and whether the differing values they gave
    are numbers, ``numeric``). newsfuse finds number and time disagreements only.
    """
    from newsfuse.claims import parse
    from newsfuse.conflicts import find_conflicts
    from newsfuse.types import Sentence

    texts = _cluster_texts(eval_dir)
    rows = _read(labels)
    claims, sources = [], []
    for row in rows:
        docs = texts[row["cluster"]]
        for side, out in (("claim", claims), ("source", sources)):
            span = row[side]
            out.append(" ".join(docs[span["doc"]][span["start"] : span["end"]].split()))
    vectors = pipeline.embedder.encode(claims + sources)
    flagged = []
    for k, (a, b) in enumerate(zip(claims, sources, strict=True)):
        sentences = [
            Sentence(doc=0, index=0, start=0, end=len(a), text=a, paragraph=0),
            Sentence(doc=1, index=0, start=0, end=len(b), text=b, paragraph=0),
        ]
        pair_vectors = vectors[[k, len(claims) + k]]
        found = find_conflicts(sentences, [parse(a), parse(b)], pair_vectors, ["c", "s"], [0, 1])
        flagged.append(bool(found))
    numeric = [r.get("numeric", False) for r in rows]
    contradicts = [r["contradicts"] for r in rows]
    hits = sum(f and n for f, n in zip(flagged, numeric, strict=True))
    false_alarms = sum(f and not c for f, c in zip(flagged, contradicts, strict=True))
    return {
        "pairs": len(rows),
        "labelled_contradicting": sum(contradicts),
        "labelled_numeric_contradicting": sum(numeric),
        "flagged": sum(flagged),
        "flagged_and_labelled_contradicting": sum(
            f and c for f, c in zip(flagged, contradicts, strict=True)
        ),
        "recall_numeric": round(hits / max(1, sum(numeric)), 4),
        "false_alarms": false_alarms,
        "false_alarm_rate": round(false_alarms / max(1, len(rows) - sum(contradicts)), 5),
        "precision": round(
            sum(f and c for f, c in zip(flagged, contradicts, strict=True)) / max(1, sum(flagged)),
            4,
        ),
    }


class CitationStats:
    """Collects citation measures from newsfuse's summaries, per dataset."""

    def __init__(self) -> None:
        self.by_dataset: dict[str, list[dict[str, Any]]] = {}
        #: Every secondary citation with its texts, for people to read (``--citations-out``).
        self.cited: list[dict[str, Any]] = []

    def __call__(self, cluster: Any, summary: Any) -> None:
        from newsfuse.claims import content_terms, parse, quantity_agreement

        texts = {doc.name: doc.text for doc in cluster.documents}
        for sentence in summary.sentences:
            claim_terms = set(content_terms(sentence.text))
            claim_parts = parse(sentence.text)
            secondary = sentence.citations if sentence.generated else sentence.citations[1:]
            low_overlap = disagree = 0
            for c in secondary:
                source = texts[c.document_id][c.start : c.end]
                shared = claim_terms & set(content_terms(source))
                if claim_terms and len(shared) / len(claim_terms) < 0.3:
                    low_overlap += 1
                if quantity_agreement(claim_parts, parse(source))[1] > 0:
                    disagree += 1
                self.cited.append(
                    {
                        "cluster": f"{cluster.dataset}/{cluster.id}",
                        "summary_sentence": sentence.text,
                        "source_document": c.document_id,
                        "source_sentence": " ".join(source.split()),
                        "score": c.score,
                    }
                )
            self.by_dataset.setdefault(cluster.dataset, []).append(
                {
                    "documents": len({c.document_id for c in sentence.citations}),
                    "citations": len(sentence.citations),
                    "secondary": len(secondary),
                    "low_overlap": low_overlap,
                    "numbers_disagree": disagree,
                    "conflicts": len(sentence.conflicts),
                }
            )

    def summary(self) -> dict[str, Any]:
        out = {}
        for dataset, rows in self.by_dataset.items():
            secondary = sum(r["secondary"] for r in rows)
            out[dataset] = {
                "sentences": len(rows),
                "citing_2plus_documents": round(
                    sum(r["documents"] >= 2 for r in rows) / max(1, len(rows)), 4
                ),
                "citations_per_sentence": round(statistics.fmean(r["citations"] for r in rows), 3)
                if rows
                else None,
                "secondary_citations": secondary,
                "low_overlap_share": round(
                    sum(r["low_overlap"] for r in rows) / max(1, secondary), 4
                ),
                "numbers_disagree_share": round(
                    sum(r["numbers_disagree"] for r in rows) / max(1, secondary), 4
                ),
                "sentences_with_conflicts": sum(r["conflicts"] > 0 for r in rows),
            }
        return out


def _screen_coverage(scorer: Any, min_coverage: float) -> None:
    """Set the pair reader's ``min_coverage`` screen on a loaded scorer, in place."""
    spec = scorer.model.cross_encoder
    if spec is None or scorer.reader is None:
        raise SystemExit("--min-coverage needs the pair reader (NEWSFUSE_SUPPORT_READER=1)")
    scorer.model = dataclasses.replace(
        scorer.model, cross_encoder=dataclasses.replace(spec, min_coverage=min_coverage)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None, help="first N clusters per dataset")
    parser.add_argument("--systems", default="newsfuse,lead,lexrank")
    parser.add_argument("--pairs-only", action="store_true", help="skip the summaries")
    parser.add_argument(
        "--min-coverage",
        type=float,
        default=None,
        help="replace the pair reader's min_coverage screen (0 turns it off), to compare",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "citations.json")
    parser.add_argument(
        "--citations-out",
        type=Path,
        default=None,
        help="write every secondary citation of the summaries here (JSONL, texts) for readers",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings

    started = time.perf_counter()
    pipeline = Pipeline.load(Settings.from_env())
    if args.min_coverage is not None:
        _screen_coverage(pipeline.scorer, args.min_coverage)
    result: dict[str, Any] = {"pairs": score_pairs(pipeline, args.eval_dir)}
    result["conflicts_on_labelled_pairs"] = conflict_detection(pipeline, args.eval_dir, LABELS)
    if not args.pairs_only:
        stats = CitationStats()
        datasets = load_datasets(args.eval_dir, ["duc2006", "duc2007-main"], args.limit)
        quality = evaluate(
            datasets,
            [s.strip() for s in args.systems.split(",") if s.strip()],
            pipeline=pipeline,
            on_summary=stats,
            progress=lambda line: _LOGGER.info("%s", line),
        )
        result["summaries"] = stats.summary()
        if args.citations_out is not None:
            with args.citations_out.open("w", encoding="utf-8") as handle:
                for n, row in enumerate(stats.cited):
                    handle.write(json.dumps({"id": n, **row}, ensure_ascii=False) + "\n")
        result["rouge"] = quality["results"]
        result["rouge_comparison"] = quality["comparison"]
        print(render(quality))
        print()
    result["command"] = " ".join(["python", "bench/citations.py", *(argv or sys.argv[1:])])
    result["machine"] = machine_info()
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    write_json(args.out, result)

    pairs = result["pairs"]
    rows = []
    for dataset in ("duc2006", "duc2007"):
        for kind in ("all", "cited", "nearest-uncited"):
            r = pairs[dataset][kind]
            rows.append([
                f"{dataset} ({pairs[dataset]['role']})", kind, r["pairs"], r["full_pairs"],
                r["cited"], r["cited_full"], r["cited_partial"], r["cited_none"],
                r["cited_contradicts"], r["precision"], r["recall"],
            ])  # fmt: skip
    print(markdown_table(
        ["pairs", "kind", "n", "FULL", "cited", "FULL", "PARTIAL", "NONE", "contradicts",
         "precision", "recall"], rows))  # fmt: skip
    print(f"scorer {pairs['scorer']}, thresholds {json.dumps(pairs['thresholds'])}")
    print(f"conflicts on labelled pairs: {json.dumps(result['conflicts_on_labelled_pairs'])}")
    if "summaries" in result:
        print()
        print(markdown_table(
            ["dataset", "sentences", "citing ≥2 docs", "citations/sentence", "secondary",
             "<30 % words", "numbers disagree", "with conflicts"],
            [[d, s["sentences"], s["citing_2plus_documents"], s["citations_per_sentence"],
              s["secondary_citations"], s["low_overlap_share"], s["numbers_disagree_share"],
              s["sentences_with_conflicts"]] for d, s in result["summaries"].items()]))  # fmt: skip
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
