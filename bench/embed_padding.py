"""MiniLM inputs padded to a multiple of 32 tokens: how much do the embeddings move?

Usage::

    python bench/embed_padding.py --eval-dir ../shared/eval [--clusters 3] [--dtype auto]

The distinct sentences of the first ``--clusters`` DUC 2006 clusters are embedded

* the way newsfuse did before (each batch of 64 length-sorted sentences padded to its own
  longest: shapes vary with the batch), the *reference*;
* by ``TransformerEmbedder.encode`` (each sentence padded to a multiple of 32 tokens of its
  own length, batched with sentences of that padded length);

and compared: ``1 - cosine`` of each sentence's two vectors. The yardstick is the noise the
old way has on its own: the same sentences embedded in other batches (a third of them,
shuffled) move by that much too. Also checked: the new vectors are the same bits in any
batch.

And the embedding cache's key (``newsfuse.embed.cache_key``): over the sentences of the first
``--key-clusters`` clusters and 20,000 random strings, how many tokenize differently from
their key (must be none), how many would with the key lower-cased too, and how many distinct
keys there are with and without case folding (what folding would gain). Prints tables,
writes ``bench/results/embed_padding_<dtype>.json``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, load_datasets, machine_info, markdown_table, write_json  # noqa: E402


def unpadded(embedder: Any, texts: Sequence[str]) -> np.ndarray:
    """The previous ``TransformerEmbedder.encode``: length-sorted batches, padded to the longest."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.empty((len(texts), embedder.dim), dtype=np.float32)
    with torch.inference_mode():
        for lo in range(0, len(order), embedder.batch_size):
            idx = order[lo : lo + embedder.batch_size]
            batch = embedder._tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=embedder.max_length,
                return_tensors="pt",
            ).to(embedder.device)
            hidden = embedder._model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[idx] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
    return out


def key_check(embedder: Any, texts: Sequence[str]) -> dict[str, int]:
    """Texts whose token ids differ from their cache key's (and from the key lower-cased)."""
    from newsfuse.embed import cache_key

    def ids(batch: Sequence[str]) -> list[list[int]]:
        encoded = embedder._tokenizer(list(batch), truncation=True, max_length=embedder.max_length)
        return encoded["input_ids"]

    keys = [cache_key(t) for t in texts]
    own, keyed, lowered = ids(texts), ids(keys), ids([k.lower() for k in keys])
    return {
        "texts": len(texts),
        "key_tokenizes_differently": sum(a != b for a, b in zip(own, keyed, strict=True)),
        "lowercased_key_tokenizes_differently": sum(
            a != b for a, b in zip(own, lowered, strict=True)
        ),
        "distinct_keys": len(set(keys)),
        "distinct_lowercased_keys": len({k.lower() for k in keys}),
    }


def random_strings(count: int, seed: int = 1) -> list[str]:
    """Strings of Latin, Greek, CJK, symbols, spaces of every kind and control characters."""
    from newsfuse.embed import SPACE_SEPARATORS

    rng = random.Random(seed)
    pool = [chr(c) for c in range(0x20, 0x250)] + [chr(c) for c in range(0x370, 0x400)]
    pool += [chr(c) for c in range(0x3040, 0x30A0)] + list(SPACE_SEPARATORS) * 20
    pool += list("\t\n\r\x0b\x0c\x1c\x1f\x85\u2028\u2029\u200b\ufeff ") * 10
    return ["".join(rng.choice(pool) for _ in range(rng.randint(5, 60))) for _ in range(count)]


def _distance(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    gap = 1.0 - (a * b).sum(axis=1)
    return {
        "max": float(gap.max()),
        "mean": float(gap.mean()),
        "p99": float(np.quantile(gap, 0.99)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", required=True, type=Path, help="e.g. ../shared/eval")
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--key-clusters", type=int, default=10, help="for the cache-key check")
    parser.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="default results/embed_padding")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the newsfuse command sets it
    import torch
    from newsfuse.embed import TransformerEmbedder
    from newsfuse.ingest import ingest_all
    from newsfuse.types import Document

    torch.set_num_threads(args.threads)
    limit = max(args.clusters, args.key_clusters)
    every = load_datasets(args.eval_dir, ["duc2006"], limit=limit)["duc2006"]
    per_cluster: list[list[str]] = []
    for cluster in every:
        parsed = ingest_all([Document(id=d.name, text=d.text) for d in cluster.documents])
        per_cluster.append([s.text for doc in parsed for s in doc.sentences])
    clusters = every[: args.clusters]
    texts = list(dict.fromkeys(t for sentences in per_cluster[: args.clusters] for t in sentences))
    key_texts = [t for sentences in per_cluster[: args.key_clusters] for t in sentences]
    embedder = TransformerEmbedder(device="cpu", dtype=args.dtype)
    machine = machine_info()

    started = time.process_time()
    reference = unpadded(embedder, texts)
    reference_cpu = time.process_time() - started
    started = time.process_time()
    padded = embedder.encode(texts)
    padded_cpu = time.process_time() - started

    rows = random.Random(0).sample(range(len(texts)), len(texts) // 3)
    reference_again = unpadded(embedder, [texts[i] for i in rows])
    padded_again = embedder.encode([texts[i] for i in rows])
    alone = np.stack([embedder.encode([texts[i]])[0] for i in rows[:50]])
    dtype = str(embedder.dtype).removeprefix("torch.")
    result: dict[str, Any] = {
        "sentences": len(texts),
        "clusters": [c.id for c in clusters],
        "dtype": dtype,
        "padded_vs_unpadded": _distance(padded, reference),
        "unpadded_in_other_batches": _distance(reference[rows], reference_again),
        "unpadded_rows_bit_equal_in_other_batches": float(
            (reference[rows] == reference_again).all(axis=1).mean()
        ),
        "padded_rows_bit_equal_in_other_batches": float(
            (padded[rows] == padded_again).all(axis=1).mean()
        ),
        "padded_rows_bit_equal_alone": float((padded[rows[:50]] == alone).all(axis=1).mean()),
        "cpu_seconds": {"unpadded": reference_cpu, "padded": padded_cpu},
        "cache_key": {
            "duc_sentences": key_check(embedder, key_texts),
            "random_strings": key_check(embedder, random_strings(20_000)),
        },
        "command": " ".join(["python", "bench/embed_padding.py", *(argv or sys.argv[1:])]),
        "machine": machine,
    }
    table = [
        ["padded (new) vs unpadded (before)", *result["padded_vs_unpadded"].values()],
        ["unpadded vs itself in other batches", *result["unpadded_in_other_batches"].values()],
    ]
    print(f"{len(texts)} distinct sentences of {len(clusters)} DUC 2006 clusters, MiniLM {dtype}")
    cells = [[n, f"{a:.2e}", f"{b:.2e}", f"{c:.2e}"] for n, a, b, c in table]
    print(markdown_table(["1 - cosine", "max", "mean", "p99"], cells))
    print(
        f"\nrows bit-equal in other batches: unpadded "
        f"{result['unpadded_rows_bit_equal_in_other_batches']:.1%}, padded "
        f"{result['padded_rows_bit_equal_in_other_batches']:.1%} (alone: "
        f"{result['padded_rows_bit_equal_alone']:.1%}); CPU s: unpadded {reference_cpu:.1f}, "
        f"padded {padded_cpu:.1f}"
    )
    rows = [[name, *check.values()] for name, check in result["cache_key"].items()]
    headers = ["cache key check", "texts", "key tokenizes differently",
               "lower-cased key tokenizes differently", "distinct keys",
               "distinct lower-cased keys"]  # fmt: skip
    print()
    print(markdown_table(headers, rows))
    out = args.out or RESULTS / f"embed_padding_{dtype}.json"
    print(f"\nwrote {write_json(out, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
