"""Seq2seq throughput: newsfuse's full abstractive path against plain transformers summarization.

Both sides run the same model: a BART shaped like distilbart-cnn-12-6 (12 encoder and 6
decoder layers, d_model 1024, vocabulary 50264) with random weights — the same compute as the
real checkpoint, which cannot be downloaded here. A byte-level BPE tokenizer is trained on
the evaluation text for it. Decode work is forced equal: every generation makes exactly
``--new-tokens`` tokens (min_new_tokens == max_new_tokens), with the same beams,
length penalty and no-repeat rule on both sides.

* baseline: what the transformers summarization pipeline does (it was removed from
  transformers 5, so its steps are spelled out): the raw concatenation of a cluster's
  documents, truncated to the model's 1024 tokens, one cluster at a time.
* newsfuse: ``Pipeline`` with the seq2seq fuser. Every cluster is prepared once (ingest,
  MiniLM embeddings, dedup, rank), then fused — packing of the deduplicated facts,
  generation batched across ``--batch`` clusters, grounding of every generated sentence —
  once per CPU precision in ``--precisions`` (``seq2seq_cpu_dtype``: float32, bfloat16,
  int8 dynamic quantization). The quality cost of a reduced precision is measured as the
  agreement of its generated tokens with the float32 run's (a pessimistic proxy: random
  weights give flat next-token distributions, where tiny numeric changes flip the argmax).

Ratios are given for the seq2seq path (fusion) and end to end (prepare + fusion). Each side
runs in its own process; peak memory is sampled resident memory during its run. Usage::

    python bench/seq2seq_throughput.py --eval ../shared/eval/duc2006.jsonl --clusters 20 \
        --precisions float32,bfloat16,int8

About 20 minutes on the shared 2-core machine with all three precisions (baseline ~6.5,
newsfuse preparation ~5, fusion 4 + 1.5 + 2). By default only ``auto`` runs (bf16 where the
CPU computes it natively, else fp32): about 13 minutes.

Prints a table and writes ``bench/results/seq2seq_throughput.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, machine_info, markdown_table, write_json  # noqa: E402

_LOGGER = logging.getLogger("bench.seq2seq_throughput")

#: distilbart-cnn-12-6's config.json, less the weights.
DISTILBART_CNN_12_6 = dict(
    vocab_size=50264,
    d_model=1024,
    encoder_layers=12,
    decoder_layers=6,
    encoder_attention_heads=16,
    decoder_attention_heads=16,
    encoder_ffn_dim=4096,
    decoder_ffn_dim=4096,
    max_position_embeddings=1024,
    activation_function="gelu",
    scale_embedding=False,
    normalize_before=False,
    add_final_layer_norm=False,
    pad_token_id=1,
    bos_token_id=0,
    eos_token_id=2,
    decoder_start_token_id=2,
    forced_bos_token_id=0,
    forced_eos_token_id=2,
)
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def read_clusters(path: Path, limit: int | None) -> list[list[dict[str, str]]]:
    """The first ``limit`` (or all) clusters of a DUC jsonl file: per cluster, its documents."""
    clusters = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            clusters.append(
                [{"id": str(d["name"]), "text": str(d["text"])} for d in record["documents"]]
            )
            if limit is not None and len(clusters) >= limit:
                break
    if limit is not None and len(clusters) < limit:
        raise SystemExit(f"{path} has only {len(clusters)} clusters, {limit} asked for")
    return clusters


def build_model(directory: Path, clusters: Sequence[Sequence[dict[str, str]]]) -> Path:
    """Save a random-weight distilbart-cnn-12-6-shaped BART and a BPE tokenizer (cached).

    The tokenizer is trained on every cluster of the evaluation file, so it does not depend
    on how many clusters a run uses.
    """
    marker = directory / "bench-config.json"
    spec = json.dumps(DISTILBART_CNN_12_6, sort_keys=True)
    if marker.is_file() and marker.read_text() == spec:
        return directory
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    started = time.perf_counter()
    texts = [doc["text"] for cluster in clusters for doc in cluster]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts,
        vocab_size=DISTILBART_CNN_12_6["vocab_size"],
        min_frequency=2,
        special_tokens=SPECIALS,
    )
    model_json = json.loads(bpe._tokenizer.to_str())["model"]
    tokenizer = BartTokenizer(
        vocab=model_json["vocab"], merges=[tuple(m) for m in model_json["merges"]]
    )
    tokenizer.model_max_length = DISTILBART_CNN_12_6["max_position_embeddings"]
    torch.manual_seed(0)
    model = BartForConditionalGeneration(BartConfig(**DISTILBART_CNN_12_6))
    # distilbart-cnn-12-6's generation defaults; both sides override the lengths.
    model.generation_config.num_beams = 4
    model.generation_config.length_penalty = 2.0
    model.generation_config.no_repeat_ngram_size = 3
    model.generation_config.early_stopping = True
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    marker.write_text(spec)
    _LOGGER.info(
        "built %s (%d tokenizer entries) in %.1fs",
        directory,
        len(tokenizer),
        time.perf_counter() - started,
    )
    return directory


class RssSampler:
    """Samples this process's resident memory in the background; ``peak_mb`` is the max seen."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak_mb = current_rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, current_rss_mb())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, current_rss_mb())


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


# -- workers (each system runs in its own process) ----------------------------------------


def run_baseline(args: argparse.Namespace, clusters: list[list[dict[str, str]]]) -> dict[str, Any]:
    """transformers summarization: raw concatenation, truncated, one cluster at a time."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    torch.set_num_threads(args.threads)
    with RssSampler() as rss:
        tokenizer = AutoTokenizer.from_pretrained(args.model_dir, local_files_only=True)
        model = AutoModelForSeq2SeqLM.from_pretrained(args.model_dir, local_files_only=True)
        model.eval()
        encoded = raw = generated = 0
        started = time.perf_counter()
        for cluster in clusters:
            text = "\n\n".join(doc["text"] for doc in cluster)
            raw += len(tokenizer(text, verbose=False)["input_ids"])
            inputs = tokenizer(text, truncation=True, max_length=1024, return_tensors="pt")
            encoded += int(inputs["input_ids"].shape[1])
            with torch.inference_mode():
                out = model.generate(
                    **inputs,
                    num_beams=args.beams,
                    length_penalty=2.0,
                    no_repeat_ngram_size=3,
                    early_stopping=True,
                    min_new_tokens=args.new_tokens,
                    max_new_tokens=args.new_tokens,
                )
            generated += int(out.shape[1]) - 1
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "clusters": len(clusters),
        "input_tokens_encoded": encoded,
        "input_tokens_raw": raw,
        "generated_tokens": generated,
        "passes": len(clusters),
        "peak_rss_mb": rss.peak_mb,
    }


def run_prepare(args: argparse.Namespace, clusters: list[list[dict[str, str]]]) -> dict[str, Any]:
    """newsfuse before fusion: ingest, MiniLM embeddings, dedup, rank — saved for the fusers."""
    import dataclasses
    import pickle

    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings
    from newsfuse.types import Document, SummaryOptions

    pipeline = Pipeline.load(Settings(threads=args.threads))
    pipeline.warmup()
    options = SummaryOptions(max_words=args.max_words)
    documents = [[Document(id=d["id"], text=d["text"]) for d in cluster] for cluster in clusters]
    with RssSampler() as rss:
        started = time.perf_counter()
        contexts = [pipeline.prepare(docs, options) for docs in documents]
        seconds = time.perf_counter() - started
    with open(args.contexts, "wb") as handle:  # the embedder is re-attached by each fuser run
        pickle.dump([dataclasses.replace(c, embedder=None) for c in contexts], handle)
    return {
        "seconds": seconds,
        "clusters": len(clusters),
        "sentences": sum(len(c.sentences) for c in contexts),
        "facts": sum(len(c.ranked) for c in contexts),
        "peak_rss_mb": rss.peak_mb,
    }


def run_newsfuse(args: argparse.Namespace, clusters: list[list[dict[str, str]]]) -> dict[str, Any]:
    """newsfuse's seq2seq path on the prepared clusters, ``--batch`` clusters per fuse call."""
    import dataclasses
    import pickle

    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings

    settings = Settings(
        model=str(args.model_dir),
        threads=args.threads,
        seq2seq_num_beams=args.beams,
        seq2seq_max_new_tokens=args.new_tokens,
        seq2seq_min_length_ratio=1.0,  # min_new_tokens == max_new_tokens
        seq2seq_batch_size=args.batch,
        seq2seq_cpu_dtype=args.precision,
    )
    with RssSampler() as rss:
        pipeline = Pipeline.load(settings)
        fuser = pipeline.model_fuser
        fuser.warmup()
        with open(args.contexts, "rb") as handle:
            contexts = [
                dataclasses.replace(c, embedder=pipeline.embedder) for c in pickle.load(handle)
            ]
        generated: list[str] = []
        generate = fuser.generate

        def recording(chunks, params):
            texts = generate(chunks, params)
            generated.extend(texts)  # the raw texts, for the agreement check
            return texts

        fuser.generate = recording
        summaries = []
        started = time.perf_counter()
        for lo in range(0, len(contexts), args.batch):
            batch = contexts[lo : lo + args.batch]
            results = pipeline.fuse(batch)
            summaries += [pipeline.finish(c, r, 0.0) for c, r in zip(batch, results, strict=True)]
        seconds = time.perf_counter() - started
    stats = [s.stats for s in summaries]
    tokenizer = fuser.model.tokenizer
    return {
        "seconds": seconds,
        "clusters": len(contexts),
        "precision": fuser.model.dtype,
        "input_tokens_encoded": sum(int(st.extra.get("encoded_tokens", 0)) for st in stats),
        "input_tokens": sum(st.input_tokens or 0 for st in stats),
        "input_tokens_raw": sum(st.input_tokens_raw or 0 for st in stats),
        "passes": sum(int(st.extra.get("generation_passes", 0)) for st in stats),
        "generated_sentences": sum(st.generated_sentences or 0 for st in stats),
        "unsupported_dropped": sum(st.unsupported_dropped or 0 for st in stats),
        "uncited_sentences": sum(
            1 for s in summaries for sentence in s.sentences if not sentence.citations
        ),
        "peak_rss_mb": rss.peak_mb,
        "generated_token_ids": [
            tokenizer(t, add_special_tokens=False)["input_ids"] for t in generated
        ],
    }


# -- the driver ---------------------------------------------------------------------------

WORKERS = {"baseline": run_baseline, "prepare": run_prepare, "newsfuse": run_newsfuse}


def spawn(system: str, args: argparse.Namespace, precision: str = "float32") -> dict[str, Any]:
    """Run one system in a fresh process and return its JSON report."""
    command = [
        sys.executable,
        __file__,
        "--worker",
        system,
        "--eval",
        str(args.eval),
        "--clusters",
        str(args.clusters),
        "--new-tokens",
        str(args.new_tokens),
        "--beams",
        str(args.beams),
        "--batch",
        str(args.batch),
        "--threads",
        str(args.threads),
        "--max-words",
        str(args.max_words),
        "--model-dir",
        str(args.model_dir),
        "--precision",
        precision,
        "--contexts",
        str(args.contexts),
    ]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        # Idle OpenMP threads sleep instead of spinning: on a shared machine spinning threads
        # of one process steal the cores of the other and timings become noise.
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
    }
    _LOGGER.info("running %s %s", system, precision if system == "newsfuse" else "")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{system} failed with exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def agreement(reference: list[list[int]], other: list[list[int]]) -> dict[str, float]:
    """How far int8 generations agree with fp32 ones: exact, leading-prefix and position match."""
    pairs = list(zip(reference, other, strict=True))
    if not pairs:
        return {"exact": 0.0, "prefix": 0.0, "positions": 0.0}
    exact = sum(a == b for a, b in pairs) / len(pairs)
    prefixes, positions = [], []
    for a, b in pairs:
        n = max(len(a), len(b), 1)
        common = 0
        while common < min(len(a), len(b)) and a[common] == b[common]:
            common += 1
        prefixes.append(common / n)
        positions.append(sum(x == y for x, y in zip(a, b, strict=False)) / n)
    return {
        "exact": exact,
        "prefix": sum(prefixes) / len(prefixes),
        "positions": sum(positions) / len(positions),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, required=True, help="DUC jsonl file (not copied)")
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--new-tokens", type=int, default=32, help="tokens generated per pass")
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--batch", type=int, default=8, help="clusters fused together")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-words", type=int, default=150, help="newsfuse word budget")
    parser.add_argument(
        "--precisions",
        type=lambda v: [p for p in v.split(",") if p],
        default=["auto"],
        help="newsfuse CPU precisions to run (seq2seq_cpu_dtype), comma-separated",
    )
    parser.add_argument(
        "--model-dir", type=Path, default=RESULTS / "distilbart-cnn-12-6-random", help="cache"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "seq2seq_throughput.json")
    parser.add_argument("--contexts", type=Path, default=RESULTS / "seq2seq_contexts.pickle")
    parser.add_argument("--worker", choices=WORKERS, help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="float32", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("transformers").setLevel(logging.ERROR)
    clusters = read_clusters(args.eval, args.clusters)

    if args.worker:
        print(json.dumps(WORKERS[args.worker](args, clusters)))
        return 0

    build_model(args.model_dir, read_clusters(args.eval, None))
    base = spawn("baseline", args)
    prepared = spawn("prepare", args)
    news = {
        "clusters": prepared["clusters"],
        "prepare_seconds": prepared["seconds"],
        "prepare": prepared,
        "variants": {p: spawn("newsfuse", args, p) for p in args.precisions},
    }
    args.contexts.unlink(missing_ok=True)
    base_rate = base["clusters"] / base["seconds"]
    rows = [
        [
            "baseline: transformers, raw concatenation, 1 cluster at a time (fp32)",
            round(base["seconds"], 1),
            round(base_rate, 3),
            "",
            base["input_tokens_encoded"],
            base["passes"],
            round(base["peak_rss_mb"]),
            "1.00x",
            "1.00x",
        ]
    ]
    reference = news["variants"].get("float32", {}).get("generated_token_ids")
    for precision, v in news["variants"].items():
        path_rate = news["clusters"] / v["seconds"]
        e2e_seconds = news["prepare_seconds"] + v["seconds"]
        e2e_rate = news["clusters"] / e2e_seconds
        if reference is not None and precision != "float32":
            v["agreement_with_float32"] = agreement(reference, v["generated_token_ids"])
        rows.append(
            [
                f"newsfuse seq2seq, batch {args.batch} ({v['precision']})",
                round(v["seconds"], 1),
                round(path_rate, 3),
                round(e2e_rate, 3),
                v["input_tokens_encoded"],
                v["passes"],
                round(v["peak_rss_mb"]),
                f"{path_rate / base_rate:.2f}x",
                f"{e2e_rate / base_rate:.2f}x",
            ]
        )
        v.pop("generated_token_ids", None)
    table = markdown_table(
        [
            "system",
            "fusion s",
            "clusters/s",
            "clusters/s end to end",
            "input tokens encoded",
            "generate passes",
            "peak RSS MB",
            "ratio",
            "ratio end to end",
        ],
        rows,
    )
    print(table)
    any_variant = next(iter(news["variants"].values()))
    print(
        f"\n{args.clusters} clusters, {args.new_tokens} new tokens per pass, {args.beams} beams, "
        f"{args.threads} threads. newsfuse prepare (ingest, MiniLM embeddings, dedup, rank) "
        f"took {news['prepare_seconds']:.1f}s in all; the raw documents are "
        f"{any_variant['input_tokens_raw']} tokens, the packed facts "
        f"{any_variant['input_tokens']}."
    )
    for precision, v in news["variants"].items():
        if "agreement_with_float32" in v:
            print(
                f"{precision} vs float32 generations: exact {{exact:.2f}}, shared prefix "
                "{prefix:.2f}, same token at position {positions:.2f}".format(
                    **v["agreement_with_float32"]
                )
            )
    payload = {
        "benchmark": "seq2seq_throughput",
        "machine": machine_info(),
        "model": "distilbart-cnn-12-6 shape, random weights",
        "settings": {
            "clusters": args.clusters,
            "eval": args.eval.name,
            "new_tokens": args.new_tokens,
            "beams": args.beams,
            "batch": args.batch,
            "threads": args.threads,
            "max_words": args.max_words,
        },
        "baseline": base,
        "newsfuse": news,
        "table": table,
    }
    print(f"\nwrote {write_json(args.out, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
