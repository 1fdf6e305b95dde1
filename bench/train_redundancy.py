"""Train the redundancy head: do two sentences tell the same thing, each at least in part?

Usage::

    python bench/train_redundancy.py --eval-dir ../shared/eval [--write]
        [--repeat-pairs FILE]

The support scorer answers "does this sentence state that one's main claim?". Summaries
still told one thing twice: two reports of the same event, each with a detail of its own,
so neither states all of the other's claim (the editors' reading in README). This head
answers the looser question an editor asks before cutting a sentence.

Data: the pairs people labelled for the support scorer (``bench/data/support_labels.jsonl``,
both directions of each pair). A pair is positive when each sentence states the other's
claim at least in part (FULL or PARTIAL both ways). Inputs: the shipped pair reader's
mean-pooled states of both directions (their sum and absolute difference, so the order of
the two does not matter) and the MiniLM cosine; a logistic regression over them
(``RedundancyHead``). Reported: the area under the ROC curve out of fold (5 folds grouped by
cluster) and, at the shipped threshold (0.5, a probability, not tuned), the out-of-fold
precision and recall. ``--repeat-pairs``: a JSONL of sentence pairs from newsfuse summaries
that people read (``a``, ``b``, ``label`` REPEAT / OVERLAP / CONFLICT / NO; the texts are
DUC's, so the file stays outside the repository) to measure the head on.

``--write`` stores the head in ``service/newsfuse/data/support_redundancy.json`` with the
sha256 of the reader it was trained on (a retrained reader needs a retrained head).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, machine_info, markdown_table, write_json  # noqa: E402
from train_support import (  # noqa: E402
    LABELS,
    _cluster_texts,
    fit,
    labelled_texts,
    out_of_fold,
)

HEAD = Path(__file__).resolve().parents[1] / "service" / "newsfuse" / "data"
THRESHOLD = 0.5
C = 0.1


def load(labels: Path, texts: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Undirected labelled pairs ``{cluster, a, b, positive}``."""
    out = []
    with labels.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            a, b = labelled_texts(row, texts)
            out.append(
                {
                    "cluster": row["cluster"],
                    "a": a,
                    "b": b,
                    "positive": row["cs"] != "NONE" and row["sc"] != "NONE",
                }
            )
    return out


def inputs(pairs: list[dict[str, Any]], reader: Any, embedder: Any) -> np.ndarray:
    from newsfuse.support import RedundancyHead

    a = [p["a"] for p in pairs]
    b = [p["b"] for p in pairs]
    cosine = np.einsum("ij,ij->i", embedder.encode(a), embedder.encode(b))
    return RedundancyHead.inputs(reader.pooled(a, b), reader.pooled(b, a), cosine)


def auc(p: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve (the Mann-Whitney statistic, ties counted half)."""
    pos, neg = p[y], p[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--repeat-pairs", type=Path, default=None)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "redundancy.json")
    args = parser.parse_args(argv)

    from newsfuse.embed import TransformerEmbedder
    from newsfuse.support import RedundancyHead, SupportScorer

    started = time.perf_counter()
    scorer = SupportScorer.load(device="cpu")
    reader = scorer.reader
    assert reader is not None, "the shipped support model has no pair reader"
    embedder = TransformerEmbedder(device="cpu")
    pairs = load(args.labels, _cluster_texts(args.eval_dir))
    x = inputs(pairs, reader, embedder)
    y = np.asarray([p["positive"] for p in pairs])
    groups = [p["cluster"] for p in pairs]
    oof = out_of_fold(x, y, groups, C)
    flagged = oof >= THRESHOLD
    result: dict[str, Any] = {
        "pairs": len(pairs),
        "positive": int(y.sum()),
        "oof_auc": round(auc(oof, y), 4),
        "oof_precision": round(float(y[flagged].mean()), 4) if flagged.any() else None,
        "oof_recall": round(float(flagged[y].mean()), 4),
        "threshold": THRESHOLD,
        "C": C,
    }
    weights, bias = fit(x, y, C)
    head = RedundancyHead(
        weights=np.asarray(weights),
        bias=bias,
        threshold=THRESHOLD,
        reader_sha256=reader.sha256,
        meta={
            "trained_by": "bench/train_redundancy.py",
            "target": "FULL or PARTIAL in both directions (bench/data/support_labels.jsonl)",
            "pairs": len(pairs),
            "oof_auc": result["oof_auc"],
        },
    )
    if args.repeat_pairs is not None:
        rows = [json.loads(line) for line in args.repeat_pairs.open(encoding="utf-8")]
        p = head.score(inputs([{"a": r["a"], "b": r["b"]} for r in rows], reader, embedder))
        labels = np.asarray([r["label"] for r in rows])
        result["repeat_pairs"] = {
            "pairs": len(rows),
            "by_label": {str(k): int((labels == k).sum()) for k in sorted(set(labels))},
            "auc_repeat": round(auc(p, labels == "REPEAT"), 4),
            "auc_repeat_or_overlap": round(auc(p, np.isin(labels, ["REPEAT", "OVERLAP"])), 4),
            "flagged_by_label": {
                str(k): int(((labels == k) & (p >= THRESHOLD)).sum()) for k in sorted(set(labels))
            },
        }
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(
        markdown_table(
            ["pairs", "positive", "out-of-fold AUC", "precision at 0.5", "recall at 0.5"],
            [[result["pairs"], result["positive"], result["oof_auc"], result["oof_precision"],
              result["oof_recall"]]],
        )
    )
    if "repeat_pairs" in result:
        print(json.dumps(result["repeat_pairs"], indent=1))
    write_json(args.out, {"machine": machine_info(), **result})
    if args.write:
        path = HEAD / "support_redundancy.json"
        path.write_text(json.dumps(head.to_json()) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
