"""Would stacking the pair reader with the features cite more? Measured on unseen topics.

Usage::

    python bench/support_stack.py --eval-dir ../shared/eval [--folds 5] [--precision 0.95] \
        [--out bench/results/support_stack.json]

The shipped reader was trained on DUC 2007 and example-cluster pairs only, so its logits on
the 1,969 labelled DUC 2006 pairs (``bench/data/support_labels.jsonl``, both directions) are
what it gives topics it never saw. This script

1. scores those pairs and the 200 held-out DUC 2006 pairs of ``shared/eval`` with the shipped
   cascade (features prefilter, reader, Platt scaling, vetoes) at its own cite threshold;
2. fits a logistic regression over the reader's logit, the feature model's log-odds and the
   features themselves on the DUC 2006 labels, in ``--folds`` folds by topic: the cut is the
   lowest out-of-fold probability at which FULL reaches ``--precision``, and each held-out
   test pair is scored by the fold model that never saw its topic.

Nothing is trained on the 200 test pairs or chosen with them. Reported in docs/support.md
("Stacking the reader with the features").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, machine_info, markdown_table, write_json  # noqa: E402
from train_support import (  # noqa: E402
    LABELS,
    ClusterIndex,
    _cluster_texts,
    _gold,
    _read,
    featurize,
    load_pairs,
    report,
    threshold_for_precision,
)


def _topic(pair: dict[str, Any]) -> str:
    return str(pair["cluster"]).split("/")[-1].split("-")[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--precision", type=float, default=0.95)
    parser.add_argument("--out", type=Path, default=RESULTS / "support_stack.json")
    args = parser.parse_args(argv)

    from newsfuse.embed import TransformerEmbedder
    from newsfuse.support import SupportModel, SupportScorer, vetoed
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    started = time.perf_counter()
    texts = _cluster_texts(args.eval_dir)
    pairs = [
        p for p in load_pairs(args.eval_dir, args.labels, texts)
        if str(p["cluster"]).startswith("duc2006")
    ]
    if not pairs:
        raise SystemExit(f"{args.labels}: no labelled DUC 2006 pairs to fit on")
    test = [_gold(r, "duc2006") for r in _read(args.eval_dir / "citation_pairs_duc2006.jsonl")]
    index, embedder = ClusterIndex(texts), TransformerEmbedder(device="cpu")
    x, x_test = featurize(pairs, index, embedder), featurize(test, index, embedder)
    scorer = SupportScorer.load()
    if scorer.reader is None or scorer.model.cross_encoder is None:
        raise SystemExit("the shipped scorer has no pair reader (NEWSFUSE_SUPPORT_READER=0?)")
    spec = scorer.model.cross_encoder
    features_model = SupportModel.default()

    def read(rows: list[dict], feats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        logit = scorer.reader.logits([p["claim"] for p in rows], [p["source"] for p in rows])
        p_features = features_model.probability(feats)
        shipped = p_features.copy()
        plausible = p_features >= spec.prefilter
        shipped[plausible] = 1 / (1 + np.exp(-(spec.slope * logit[plausible] + spec.intercept)))
        shipped = np.where(vetoed(feats), np.minimum(shipped, 0.01), shipped)
        odds = np.log(np.clip(p_features, 1e-9, 1 - 1e-9) / np.clip(1 - p_features, 1e-9, 1))
        return shipped, np.column_stack([logit, odds, feats]), vetoed(feats)

    shipped, design, veto = read(pairs, x)
    shipped_test, design_test, veto_test = read(test, x_test)
    y = np.asarray([p["positive"] for p in pairs], dtype=np.int64)
    cut = scorer.thresholds.cite
    result: dict[str, Any] = {
        "command": " ".join(["python", "bench/support_stack.py", *(argv or sys.argv[1:])]),
        "machine": machine_info(),
        "shipped_cut": cut,
        "shipped_on_duc2006_labels": report(shipped, pairs, cut),
        "shipped_on_test": report(shipped_test, test, cut),
    }
    topics = sorted({_topic(p) for p in pairs})
    fold_of = {t: i % args.folds for i, t in enumerate(topics)}
    fold = np.asarray([fold_of[_topic(p)] for p in pairs])
    fold_test = np.asarray([fold_of.get(_topic(p), -1) for p in test])
    oof, p_test = np.zeros(len(pairs)), np.zeros(len(test))
    for k in range(args.folds):
        scale = StandardScaler().fit(design[fold != k])
        model = LogisticRegression(C=1.0, max_iter=5000)
        model.fit(scale.transform(design[fold != k]), y[fold != k])
        oof[fold == k] = model.predict_proba(scale.transform(design[fold == k]))[:, 1]
        unseen = (fold_test == k) | (fold_test == -1) if k == 0 else fold_test == k
        if unseen.any():
            p_test[unseen] = model.predict_proba(scale.transform(design_test[unseen]))[:, 1]
    oof = np.where(veto, np.minimum(oof, 0.01), oof)
    p_test = np.where(veto_test, np.minimum(p_test, 0.01), p_test)
    stack_cut = threshold_for_precision(oof, y, args.precision)
    result["stacked_cut"] = stack_cut
    result["stacked_out_of_fold"] = report(oof, pairs, stack_cut)
    result["stacked_on_test"] = report(p_test, test, stack_cut)
    recut = threshold_for_precision(shipped, y, args.precision)
    result["shipped_recut"] = recut
    result["shipped_recut_on_duc2006_labels"] = report(shipped, pairs, recut)
    result["shipped_recut_on_test"] = report(shipped_test, test, recut)
    result["seconds"] = round(time.perf_counter() - started, 1)
    write_json(args.out, result)
    rows = [
        ["shipped cascade, its cut", f"{cut:.4f}", result["shipped_on_duc2006_labels"],
         result["shipped_on_test"]],
        ["shipped cascade, cut for the target on these labels", f"{recut:.4f}",
         result["shipped_recut_on_duc2006_labels"], result["shipped_recut_on_test"]],
        ["stacked (reader logit + features), out of fold", f"{stack_cut:.4f}",
         result["stacked_out_of_fold"], result["stacked_on_test"]],
    ]
    print(
        markdown_table(
            ["scorer", "cut", "DUC 2006 labels P / R", "held-out test P / R (cited)"],
            [
                [name, c, f"{a['precision']} / {a['recall']}",
                 f"{b['precision']} / {b['recall']} ({b['cited']})"]
                for name, c, a, b in rows
            ],
        )
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
