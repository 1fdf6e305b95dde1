"""Train and calibrate the support model; measure it on held-out labelled pairs.

Usage::

    python bench/train_support.py --eval-dir ../shared/eval \
        [--labels bench/data/support_labels.jsonl] [--write] [--test]

Training data: the pairs people labelled for this project (``bench/data/support_labels.jsonl``:
spans of DUC 2007 and example-cluster sentences, both directions, see
``bench/support_pairs.py``) and the 400 labelled DUC 2007 pairs of ``shared/eval``. A pair
is positive when it is labelled FULL and does not contradict.

The model is a logistic regression over ``newsfuse.support.FEATURES``; its regularization
and the decision thresholds are chosen from predictions made out of fold (5 folds grouped
by cluster, so no cluster is scored by a model that saw it), the cite threshold as the
lowest at which out-of-fold precision reaches ``--precision``. ``--write`` stores the model
in ``service/newsfuse/data/support_model.json``. ``--test`` then reports the held-out test:
the 200 labelled DUC 2006 pairs, which take no part in training or calibration.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import EXAMPLES, REPO, RESULTS, machine_info, markdown_table, write_json  # noqa: E402

LABELS = REPO / "bench" / "data" / "support_labels.jsonl"
MODEL = REPO / "service" / "newsfuse" / "data" / "support_model.json"


def _cluster_texts(eval_dir: Path) -> dict[str, dict[str, str]]:
    """``{cluster key: {document id: text}}`` for DUC 2006, DUC 2007 and the example."""
    out: dict[str, dict[str, str]] = {}
    for name in ("duc2006", "duc2007"):
        with (eval_dir / f"{name}.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                docs = {d["name"]: d["text"] for d in record["documents"]}
                out[f"{name}/{record['id']}"] = docs
    out["example/budapest"] = {
        p.name: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.txt"))
    }
    return out


class ClusterIndex:
    """Per cluster: every body sentence parsed, and the inverse sentence frequencies."""

    def __init__(self, texts: dict[str, dict[str, str]]) -> None:
        self.texts = texts
        self._idf: dict[str, dict[str, float]] = {}

    def idf(self, cluster: str) -> dict[str, float]:
        if cluster not in self._idf:
            from newsfuse.ingest import ingest_all
            from newsfuse.support import idf_weights, parse
            from newsfuse.types import Document

            docs = [Document(id=k, text=v) for k, v in self.texts[cluster].items()]
            parts = [parse(s.text) for d in ingest_all(docs) for s in d.sentences]
            self._idf[cluster] = idf_weights(parts)
        return self._idf[cluster]


def labelled_texts(row: dict[str, Any], texts: dict[str, dict[str, str]]) -> tuple[str, str]:
    """The two sentences of a stored label row (spans into the cluster's texts), whitespace
    normalised: ``(claim, source)``."""
    docs = texts[row["cluster"]]
    a = docs[row["claim"]["doc"]][row["claim"]["start"] : row["claim"]["end"]]
    b = docs[row["source"]["doc"]][row["source"]["start"] : row["source"]["end"]]
    return " ".join(a.split()), " ".join(b.split())


def load_pairs(eval_dir: Path, labels_path: Path, texts: dict[str, dict[str, str]]) -> list[dict]:
    """Directed pairs ``{cluster, claim, source, positive, label, origin}`` for training."""
    pairs: list[dict[str, Any]] = []
    if labels_path.is_file():
        with labels_path.open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                a, b = labelled_texts(row, texts)
                for claim, source, label in ((a, b, row["cs"]), (b, a, row["sc"])):
                    pairs.append(
                        {
                            "cluster": row["cluster"],
                            "claim": claim,
                            "source": source,
                            "label": label,
                            "contradicts": bool(row["contradicts"]),
                            "positive": label == "FULL" and not row["contradicts"],
                            "origin": "labelled",
                        }
                    )
    for row in _read(eval_dir / "citation_pairs_duc2007.jsonl"):
        pairs.append(_gold(row, "duc2007"))
    return pairs


def _gold(row: dict[str, Any], dataset: str) -> dict[str, Any]:
    return {
        "cluster": f"{dataset}/{row['cluster']}",
        "claim": row["summary_sentence"],
        "source": row["source_sentence"],
        "label": row["label"],
        "contradicts": bool(row["contradicts"]),
        "positive": row["label"] == "FULL" and not row["contradicts"],
        "origin": f"gold-{dataset}-{row['kind']}",
        "kind": row["kind"],
    }


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def featurize(pairs: list[dict], index: ClusterIndex, embedder: Any) -> np.ndarray:
    from newsfuse.support import SupportScorer, parse

    texts = sorted({p["claim"] for p in pairs} | {p["source"] for p in pairs})
    vectors = dict(zip(texts, embedder.encode(texts), strict=True))
    parsed = {t: parse(t) for t in texts}
    scorer = SupportScorer.__new__(SupportScorer)  # features only: no model needed yet
    rows = []
    for p in pairs:
        cosine = float(vectors[p["claim"]] @ vectors[p["source"]])
        rows.append(
            scorer.features(
                [parsed[p["claim"]]], [parsed[p["source"]]], [cosine], index.idf(p["cluster"])
            )[0]
        )
    return np.asarray(rows)


def fit(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def out_of_fold(
    x: np.ndarray, y: np.ndarray, groups: list[str], c: float, folds: int = 5
) -> np.ndarray:
    names = sorted(set(groups))
    fold_of = {g: i % folds for i, g in enumerate(names)}
    fold = np.asarray([fold_of[g] for g in groups])
    p = np.zeros(len(y))
    for k in range(folds):
        train, test = fold != k, fold == k
        w, b = fit(x[train], y[train], c)
        p[test] = 1 / (1 + np.exp(-(x[test] @ w + b)))
    return p


def threshold_for_precision(p: np.ndarray, y: np.ndarray, target: float) -> float:
    """The lowest threshold at which the pairs scoring at or above it are ``target`` precise."""
    order = np.argsort(-p)
    hits = np.cumsum(y[order])
    counts = np.arange(1, len(y) + 1)
    precise = hits / counts >= target
    # Ignore the first few pairs: a precision over 5 pairs says nothing.
    ok = [k for k in range(10, len(y)) if precise[k]]
    if not ok:
        return 0.99
    return float(p[order][max(ok)])


def report(p: np.ndarray, pairs: list[dict], threshold: float) -> dict[str, Any]:
    """Precision and recall of FULL among the pairs scoring at or above ``threshold``."""
    cited = p >= threshold
    labels = np.asarray([q["label"] for q in pairs])
    contradicts = np.asarray([q["contradicts"] for q in pairs])
    full = (labels == "FULL") & ~contradicts
    n = int(cited.sum())
    return {
        "pairs": len(pairs),
        "full_pairs": int(full.sum()),
        "cited": n,
        "cited_full": int((cited & full).sum()),
        "cited_partial": int((cited & (labels == "PARTIAL")).sum()),
        "cited_none": int((cited & (labels == "NONE")).sum()),
        "cited_contradicts": int((cited & contradicts).sum()),
        "precision": round(float((cited & full).sum() / n), 4) if n else None,
        "recall": round(float((cited & full).sum() / max(1, full.sum())), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--precision", type=float, default=0.97, help="target of the cite cut")
    parser.add_argument("--write", action="store_true", help="store the model in the package")
    parser.add_argument("--test", action="store_true", help="report the DUC 2006 test pairs")
    parser.add_argument("--out", type=Path, default=RESULTS / "support.json")
    args = parser.parse_args(argv)

    from newsfuse.embed import TransformerEmbedder
    from newsfuse.support import FEATURES, SupportModel, SupportScorer, Thresholds, vetoed

    started = time.perf_counter()
    texts = _cluster_texts(args.eval_dir)
    index = ClusterIndex(texts)
    embedder = TransformerEmbedder(device="cpu")
    pairs = load_pairs(args.eval_dir, args.labels, texts)
    x = featurize(pairs, index, embedder)
    y = np.asarray([p["positive"] for p in pairs], dtype=np.int64)
    groups = [p["cluster"].split("-")[0] for p in pairs]  # update clusters A/B/C: one topic
    print(f"{len(pairs)} training pairs, {int(y.sum())} positive", file=sys.stderr)

    best_c, best_loss = 1.0, float("inf")
    for c in (0.03, 0.1, 0.3, 1.0, 3.0, 10.0):
        p = np.clip(out_of_fold(x, y, groups, c), 1e-6, 1 - 1e-6)
        loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        print(f"C={c}: out-of-fold log loss {loss:.4f}", file=sys.stderr)
        if loss < best_loss:
            best_c, best_loss = c, loss
    oof = out_of_fold(x, y, groups, best_c)
    cite = threshold_for_precision(oof, y, args.precision)
    # Reliability of the probabilities out of fold: mean score vs share positive per bin.
    bins = np.clip((oof * 5).astype(int), 0, 4)
    calibration = [
        {
            "bin": f"{k / 5:.1f}-{(k + 1) / 5:.1f}",
            "pairs": int((bins == k).sum()),
            "mean_score": round(float(oof[bins == k].mean()), 3) if (bins == k).any() else None,
            "share_full": round(float(y[bins == k].mean()), 3) if (bins == k).any() else None,
        }
        for k in range(5)
    ]
    weights, bias = fit(x, y, best_c)
    thresholds = Thresholds(cite=round(cite, 4), same_fact=round(cite, 4), ground=round(cite, 4),
                            repeat=0.5)  # fmt: skip
    model = SupportModel(
        weights=tuple(float(w) for w in weights),
        bias=bias,
        thresholds=thresholds,
        meta={
            "trained_on": f"{len(pairs)} directed pairs ({int(y.sum())} FULL)",
            "regularization_C": best_c,
            "cite_precision_target": args.precision,
            "out_of_fold_log_loss": round(best_loss, 4),
        },
    )
    results: dict[str, Any] = {
        "machine": machine_info(),
        "training_pairs": len(pairs),
        "positive": int(y.sum()),
        "C": best_c,
        "weights": dict(zip(FEATURES, [round(float(w), 4) for w in weights], strict=True)),
        "bias": round(bias, 4),
        "thresholds": model.to_json()["thresholds"],
        "out_of_fold": report(oof, pairs, cite),
        "calibration_out_of_fold": calibration,
        "by_origin_out_of_fold": {
            origin: report(
                oof[[i for i, p in enumerate(pairs) if p["origin"] == origin]],
                [p for p in pairs if p["origin"] == origin],
                cite,
            )
            for origin in sorted({p["origin"] for p in pairs})
        },
    }
    if args.write:
        MODEL.parent.mkdir(parents=True, exist_ok=True)
        data = model.to_json()
        if MODEL.exists():
            # The pair reader was calibrated behind the old feature model (its prefilter):
            # kept, but retrain it (bench/train_cross_encoder.py) after a new feature model.
            old = json.loads(MODEL.read_text(encoding="utf-8"))
            data["cross_encoder"] = old.get("cross_encoder")
            if "cross_encoder" in old.get("meta", {}):
                data["meta"]["cross_encoder"] = old["meta"]["cross_encoder"]
        MODEL.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {MODEL}", file=sys.stderr)
    if args.test:
        test = [_gold(r, "duc2006") for r in _read(args.eval_dir / "citation_pairs_duc2006.jsonl")]
        scorer = SupportScorer(model)
        xt = featurize(test, index, embedder)
        pt = scorer.model.probability(xt)
        pt = np.where(vetoed(xt), np.minimum(pt, 0.01), pt)
        results["test_duc2006"] = report(pt, test, cite)
        results["test_duc2006_by_kind"] = {
            kind: report(
                pt[[i for i, p in enumerate(test) if p["kind"] == kind]],
                [p for p in test if p["kind"] == kind],
                cite,
            )
            for kind in ("cited", "nearest-uncited")
        }
    results["seconds"] = round(time.perf_counter() - started, 1)
    write_json(args.out, results)
    rows = [["out of fold (training data)", *_cells(results["out_of_fold"])]]
    if "test_duc2006" in results:
        rows.append(["DUC 2006 test pairs (held out)", *_cells(results["test_duc2006"])])
    print(
        markdown_table(
            ["pairs", "n", "FULL", "cited", "FULL", "PARTIAL", "NONE", "contra", "P", "R"], rows
        )
    )
    print(json.dumps({k: results[k] for k in ("C", "thresholds", "weights")}, indent=1))
    return 0


def _cells(r: dict[str, Any]) -> list[Any]:
    return [
        r["pairs"],
        r["full_pairs"],
        r["cited"],
        r["cited_full"],
        r["cited_partial"],
        r["cited_none"],
        r["cited_contradicts"],
        r["precision"],
        r["recall"],
    ]


if __name__ == "__main__":
    raise SystemExit(main())
