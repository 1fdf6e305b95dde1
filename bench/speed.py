"""Speed of the extractive path on the example cluster, after the models are loaded.

Usage::

    python bench/speed.py [--runs 20] [--threads 2] [--max-words 150] \
        [--out bench/results/speed.json] [FILE ...]

Reports the import and ``Pipeline.load`` time on their own, the first (cold) request, then
the median / p90 of ``--runs`` warm ``pipeline.summarize`` calls over the files (default:
``examples/budapest/*.txt``), with the time split into prepare (ingest, embed, dedup, rank,
select), fuse and finish. The target of issue 2 is a warm median under 1 s on 2 CPU cores;
the table shows the ratio to it.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import EXAMPLES, RESULTS, machine_info, markdown_table, write_json  # noqa: E402

_LOGGER = logging.getLogger(__name__)

TARGET_SECONDS = 1.0


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile ``q`` in [0, 100] of a non-empty sequence."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize_timed(pipeline: Any, documents: Sequence[Any], options: Any) -> dict[str, float]:
    """One request through the pipeline's public steps, timing each (same work as summarize)."""
    started = time.perf_counter()
    ctx = pipeline.prepare(documents, options)
    prepared = time.perf_counter()
    (result,) = pipeline.fuse([ctx])
    fused = time.perf_counter()
    summary = pipeline.finish(ctx, result, fused - started)
    finished = time.perf_counter()
    return {
        "total": finished - started,
        "prepare": prepared - started,
        "fuse": fused - prepared,
        "finish": finished - fused,
        "sentences_in": summary.stats.sentences_in,
        "summary_sentences": len(summary.sentences),
        "summary_words": sum(len(s.text.split()) for s in summary.sentences),
    }


def run(files: Sequence[Path], *, runs: int, threads: int, max_words: int) -> dict[str, Any]:
    started = time.perf_counter()
    import torch
    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings
    from newsfuse.types import Document, SummaryOptions

    import_seconds = time.perf_counter() - started
    torch.set_num_threads(threads)
    # The same cluster again and again: without this, every warm run would come from the
    # embedding cache (bench/resummarize.py measures the cache).
    settings = Settings.from_env(threads=threads, embed_cache_mb=0)

    started = time.perf_counter()
    pipeline = Pipeline.load(settings)
    load_seconds = time.perf_counter() - started

    documents = [Document(id=str(p), text=p.read_text(encoding="utf-8")) for p in files]
    options = SummaryOptions(max_words=max_words)
    cold = summarize_timed(pipeline, documents, options)
    warm = [summarize_timed(pipeline, documents, options) for _ in range(runs)]
    totals = [w["total"] for w in warm]
    median = statistics.median(totals)
    return {
        "files": [str(p) for p in files],
        "threads": threads,
        "torch_threads": torch.get_num_threads(),
        "max_words": max_words,
        "runs": runs,
        "import_seconds": import_seconds,
        "load_seconds": load_seconds,
        "cold_seconds": cold["total"],
        "warm": {
            "median": median,
            "p90": percentile(totals, 90),
            "min": min(totals),
            "max": max(totals),
            "prepare_median": statistics.median(w["prepare"] for w in warm),
            "fuse_median": statistics.median(w["fuse"] for w in warm),
            "finish_median": statistics.median(w["finish"] for w in warm),
            "all": totals,
        },
        "sentences_in": cold["sentences_in"],
        "summary_sentences": cold["summary_sentences"],
        "summary_words": cold["summary_words"],
        "target_seconds": TARGET_SECONDS,
        "median_over_target": median / TARGET_SECONDS,
        "meets_target": median < TARGET_SECONDS,
    }


def render(result: dict[str, Any]) -> str:
    warm = result["warm"]
    rows = [
        ["import (torch, newsfuse)", result["import_seconds"], ""],
        ["Pipeline.load", result["load_seconds"], ""],
        ["first request (cold)", result["cold_seconds"], ""],
        ["warm median", warm["median"], f"{result['median_over_target']:.2f}× target"],
        ["warm p90", warm["p90"], ""],
        ["warm min / max", f"{warm['min']:.3f} / {warm['max']:.3f}", ""],
        ["  prepare (median)", warm["prepare_median"], ""],
        ["  fuse (median)", warm["fuse_median"], ""],
        ["  finish (median)", warm["finish_median"], ""],
    ]
    rows = [[name, f"{v:.3f}" if isinstance(v, float) else v, note] for name, v, note in rows]
    text = markdown_table(["step", "seconds", "vs 1 s target"], rows)
    text += (
        f"\n\n{len(result['files'])} files, {result['sentences_in']} sentences in, "
        f"{result['summary_sentences']} summary sentences ({result['summary_words']} words, "
        f"budget {result['max_words']}); torch threads {result['torch_threads']}; "
        f"{result['runs']} warm runs; target met: {'yes' if result['meets_target'] else 'NO'}"
    )
    if "machine" in result:
        text += (
            f"\nmachine: {result['machine']['cpus']} CPUs, load average "
            f"{result['machine']['load_average_1m']} when the run ended"
        )
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="default: examples/budapest/*.txt")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-words", type=int, default=150)
    parser.add_argument("--out", default=str(RESULTS / "speed.json"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    files = args.files or sorted(EXAMPLES.glob("*.txt"))
    result = run(files, runs=args.runs, threads=args.threads, max_words=args.max_words)
    result["command"] = " ".join(["python", "bench/speed.py", *(argv or sys.argv[1:])])
    result["machine"] = machine_info()
    print(render(result))
    print(f"\nwrote {write_json(args.out, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
