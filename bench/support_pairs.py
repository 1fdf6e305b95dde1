"""Sample (claim, source) sentence pairs for people to label: training data of the support model.

Usage::

    python bench/support_pairs.py --eval-dir ../shared/eval --out /tmp/pairs.jsonl \
        [--per-cluster 16]

Pairs come from DUC 2007 (main and update clusters) and the bundled example cluster, or with
``--dataset duc2006`` from DUC 2006 — never with a sentence of the 200 labelled DUC 2006
pairs in ``shared/eval``, which are the held-out test of the support model.

Claims are what newsfuse must decide support for: the sentences of its own summaries
(citations, grounding) and body sentences that have a close neighbour in another document
(dedup). For each claim, sources from *other* documents are drawn at several similarity
ranks (the nearest, the 2nd and 3rd, one from the top 10, one of moderate cosine), so the
labels cover the decision boundary rather than only the easy ends. The output holds the
texts (for the reader) and the character spans (so the labels can be kept without the
text: ``bench/support_labels.py`` stores spans only).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import EXAMPLES, parse_doc_date  # noqa: E402


def _clusters(eval_dir: Path, dataset: str) -> list[tuple[str, int, list[dict[str, Any]]]]:
    out = []
    with (eval_dir / f"{dataset}.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            docs = [
                {
                    "id": d["name"],
                    "text": d["text"],
                    "title": d.get("headline") or None,
                    "date": parse_doc_date(d["name"], d.get("date")),
                }
                for d in record["documents"]
            ]
            budget = 100 if record.get("task") == "update" else 250
            out.append((f"{dataset}/{record['id']}", budget, docs))
    docs = [
        {"id": p.name, "text": p.read_text(encoding="utf-8"), "title": None, "date": None}
        for p in sorted(EXAMPLES.glob("*.txt"))
    ]
    if dataset == "duc2007":
        out.append(("example/budapest", 150, docs))
    return out


def _test_sentences(eval_dir: Path) -> set[str]:
    """Every sentence of the labelled DUC 2006 test pairs, whitespace collapsed."""
    out = set()
    with (eval_dir / "citation_pairs_duc2006.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            out.add(" ".join(row["summary_sentence"].split()))
            out.add(" ".join(row["source_sentence"].split()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-cluster", type=int, default=16, help="claims per cluster")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--dataset",
        choices=("duc2007", "duc2006"),
        default="duc2007",
        help="duc2006: never a sentence of the labelled DUC 2006 test pairs",
    )
    parser.add_argument(
        "--exclude", type=Path, nargs="*", default=[], help="earlier samples: skip their claims"
    )
    parser.add_argument(
        "--min-support",
        type=float,
        default=0.0,
        help="keep only pairs the current support model scores at least this high in one "
        "direction (active sampling: labels where the model is unsure or wrong)",
    )
    args = parser.parse_args(argv)

    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings
    from newsfuse.types import Document, SummaryOptions

    rng = random.Random(args.seed)
    taken: set[tuple[str, str, int]] = set()
    for path in args.exclude:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                old = json.loads(line)
                for side in ("claim", "source"):
                    taken.add((old["cluster"], old[side]["doc"], old[side]["start"]))
    pipeline = Pipeline.load(Settings.from_env())
    pairs: list[dict[str, Any]] = []
    banned = _test_sentences(args.eval_dir) if args.dataset == "duc2006" else set()
    for name, budget, docs in _clusters(args.eval_dir, args.dataset):
        documents = [Document(**d) for d in docs]
        ctx = pipeline.prepare(documents, SummaryOptions(max_words=budget), validate=False)
        sentences = ctx.sentences
        if len(sentences) < 4:
            continue
        vectors = ctx.embeddings
        summary_claims = [f.cluster.representative for f in ctx.selected]
        sims = vectors @ vectors.T
        other_doc = np.asarray([[a.doc != b.doc for b in sentences] for a in sentences])
        sims_other = np.where(other_doc, sims, -1.0)
        # Body sentences with a close neighbour elsewhere: what dedup has to decide about.
        near = [i for i in range(len(sentences)) if sims_other[i].max() >= 0.6]
        near = [i for i in near if len(sentences[i].text.split()) >= 6]
        rng.shuffle(near)
        usable = [" ".join(s.text.split()) not in banned for s in sentences]
        fresh = [
            i
            for i in summary_claims + near
            if (name, documents[sentences[i].doc].id, sentences[i].start) not in taken and usable[i]
        ]
        claims = list(dict.fromkeys(fresh))
        claims = claims[: args.per_cluster]
        for claim in claims:
            order = [int(j) for j in np.argsort(-sims_other[claim]) if sims_other[claim, j] > -1]
            order = [j for j in order if len(sentences[j].text.split()) >= 4 and usable[j]]
            if not order:
                continue
            picks: dict[int, str] = {}
            for rank, stratum in ((0, "top1"), (1, "top2"), (2, "top3")):
                if rank < len(order):
                    picks.setdefault(order[rank], stratum)
            if len(order) > 3:
                picks.setdefault(rng.choice(order[3:10]), "top10")
            moderate = [j for j in order if 0.45 <= sims_other[claim, j] < 0.65]
            if moderate:
                picks.setdefault(rng.choice(moderate), "moderate")
            if args.min_support > 0 and picks:
                chosen = list(picks)
                forward = pipeline.scorer.support(ctx.evidence, [claim] * len(chosen), chosen)
                backward = pipeline.scorer.support(ctx.evidence, chosen, [claim] * len(chosen))
                keep = np.maximum(forward, backward) >= args.min_support
                picks = {j: picks[j] for j, k in zip(chosen, keep, strict=True) if k}
            for j, stratum in picks.items():
                a, b = sentences[claim], sentences[j]
                pairs.append(
                    {
                        "id": f"{name}#s{args.seed}-{len(pairs)}",
                        "cluster": name,
                        "claim": {
                            "doc": documents[a.doc].id,
                            "start": a.start,
                            "end": a.end,
                            "text": " ".join(a.text.split()),
                        },
                        "source": {
                            "doc": documents[b.doc].id,
                            "start": b.start,
                            "end": b.end,
                            "text": " ".join(b.text.split()),
                        },
                        "cosine": round(float(sims[claim, j]), 4),
                        "stratum": stratum,
                        "claim_in_summary": claim in summary_claims,
                    }
                )
        print(f"{name}: {len(sentences)} sentences, {len(pairs)} pairs so far", file=sys.stderr)
    rng.shuffle(pairs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(json.dumps(pair, ensure_ascii=False) + "\n")
    print(f"wrote {len(pairs)} pairs to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
