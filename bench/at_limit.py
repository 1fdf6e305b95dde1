"""How long a request at the sentence limit takes on 2 idle CPU cores, estimated from CPU time.

Usage::

    python bench/at_limit.py [--sentences N]     # default: the max_sentences_per_request setting

The request is the soak's "at the limit" case (``bench/soak.py``: 50 documents of N / 50
news-length sentences). It is summarized in this process, embedding cache off (a cold
request), twice:

* with **1 torch thread**: the process' CPU time is split into the model's (time inside the
  embedder) and everything else. On an idle machine a 1-thread run takes its CPU time, so
  this is what 2 idle cores take *at most* (no use of the second core);
* with **2 torch threads**: wall and CPU time as measured (inflated when other jobs share
  the cores).

The estimate for 2 idle cores is ``other CPU + model CPU / 2`` (the model splits over two
threads, the rest of the pipeline is one thread); the 1-thread CPU time is the upper bound.
The machine we measure on is shared, so wall times are not taken at face value: CPU time
counts only what this process computed. Prints a table, writes ``bench/results/at_limit.json``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, machine_info, markdown_table, write_json  # noqa: E402

TARGET_SECONDS = 60.0


class TimedEmbedder:
    """Wraps an embedder and adds up the process CPU time spent inside ``encode``."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.cpu = 0.0

    def encode(self, texts: Sequence[str]) -> Any:
        started = time.process_time()
        try:
            return self.inner.encode(texts)
        finally:
            self.cpu += time.process_time() - started


def measure(sentences: int, threads: int) -> dict[str, Any]:
    import torch
    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings

    soak = importlib.import_module("soak")
    torch.set_num_threads(threads)
    settings = Settings.from_env(threads=threads, embed_cache_mb=0)
    loaded = Pipeline.load(settings)
    timed = TimedEmbedder(loaded.embedder)
    pipeline = Pipeline(settings, timed, loaded.model_fuser)
    pipeline.warmup()
    timed.cpu = 0.0
    documents = soak.at_limit_case(sentences)()
    wall, cpu = time.perf_counter(), time.process_time()
    summary = pipeline.summarize(documents)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "threads": threads,
        "sentences": summary.stats.sentences_in,
        "wall_s": wall,
        "cpu_s": cpu,
        "model_cpu_s": timed.cpu,
        "other_cpu_s": cpu - timed.cpu,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, help="default: max_sentences_per_request")
    parser.add_argument("--out", type=Path, default=RESULTS / "at_limit.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the newsfuse command sets it
    logging.basicConfig(level=logging.WARNING)
    from newsfuse.settings import Settings

    sentences = args.sentences or Settings.from_env().max_sentences_per_request
    machine = machine_info()
    one = measure(sentences, 1)
    two = measure(sentences, 2)
    estimate = one["other_cpu_s"] + one["model_cpu_s"] / 2
    result = {
        "sentences_requested": sentences,
        "one_thread": one,
        "two_threads": two,
        "idle_2_cores_estimate_s": estimate,
        "idle_2_cores_upper_bound_s": one["cpu_s"],
        "target_s": TARGET_SECONDS,
        "meets_target": one["cpu_s"] <= TARGET_SECONDS,
        "command": " ".join(["python", "bench/at_limit.py", *(argv or sys.argv[1:])]),
        "machine": machine,
        "machine_after": machine_info(),
    }
    rows = [
        [f"{r['threads']} thread(s)", r["sentences"], r["wall_s"], r["cpu_s"], r["model_cpu_s"],
         r["other_cpu_s"]]
        for r in (one, two)
    ]  # fmt: skip
    print(markdown_table(["run", "sentences", "wall s", "CPU s", "model CPU s", "other CPU s"],
                         rows))  # fmt: skip
    print(
        f"\n2 idle cores: about {estimate:.1f} s (other CPU + model CPU / 2 of the 1-thread "
        f"run), at most {one['cpu_s']:.1f} s (its whole CPU time); target {TARGET_SECONDS:.0f} "
        f"s: {'met' if result['meets_target'] else 'NOT met'}; load average "
        f"{machine['load_average_1m']} before, {result['machine_after']['load_average_1m']} after"
    )
    print(f"\nwrote {write_json(args.out, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
