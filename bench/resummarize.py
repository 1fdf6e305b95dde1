"""Re-summarizing a growing cluster: cold vs after one new article, with the embedding cache.

Usage::

    python bench/resummarize.py --eval-dir ../shared/eval [--clusters 3] [--repeats 3]

For each of the first ``--clusters`` 25-document DUC 2006 clusters, in one process with the
models loaded once (``Pipeline.load``, the embedding cache as configured, default 32 MB),
each repeat measures:

* **cold** — the cache emptied, then ``summarize`` of all 25 documents;
* **re-summarize** — the cache emptied, the cluster summarized without its last document
  (the story before its latest report, not timed), then ``summarize`` of all 25 documents:
  only the new article's sentences miss the cache.

and checks that both give the same summary (JSON equal, but for the time). The target of
issue 11 is a re-summarize time of at most 30 % of the cold time. Wall and CPU time are both
reported (the machine is shared: CPU time is the steadier figure); the ratio is given per
repeat, with its median and spread. Prints a table, writes ``bench/results/resummarize.json``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, load_datasets, machine_info, markdown_table, write_json  # noqa: E402

_LOGGER = logging.getLogger("bench.resummarize")

TARGET_RATIO = 0.30


def _timed(pipeline: Any, documents: Sequence[Any], options: Any) -> tuple[dict, float, float]:
    from newsfuse.output import summary_to_dict

    wall, cpu = time.perf_counter(), time.process_time()
    summary = pipeline.summarize(documents, options)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    as_dict = summary_to_dict(summary)
    as_dict["stats"].pop("seconds")
    return as_dict, wall, cpu


def run(args: argparse.Namespace) -> dict[str, Any]:
    # As the newsfuse command sets it (cli.main): idle OpenMP threads sleep. Spinning ones
    # make small model calls many times slower on a busy machine.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch
    from newsfuse.embed import CachingEmbedder
    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings
    from newsfuse.types import Document, SummaryOptions

    torch.set_num_threads(args.threads)
    settings = Settings.from_env(threads=args.threads)
    pipeline = Pipeline.load(settings)
    if not isinstance(pipeline.embedder, CachingEmbedder):
        raise SystemExit("the embedding cache is off (NEWSFUSE_EMBED_CACHE_MB=0)")
    cache = pipeline.embedder.cache
    pipeline.warmup()
    clusters = [
        c for c in load_datasets(args.eval_dir, ["duc2006"])["duc2006"] if len(c.documents) == 25
    ][: args.clusters]
    options = SummaryOptions(max_words=args.max_words)
    rows = []
    for cluster in clusters:
        documents = [
            Document(id=d.name, text=d.text, title=d.headline, date=d.date)
            for d in cluster.documents
        ]
        for repeat in range(args.repeats):
            cache.clear()
            before = cache.stats()
            cold, cold_wall, cold_cpu = _timed(pipeline, documents, options)
            cold_misses = cache.stats().misses - before.misses
            cache.clear()
            pipeline.summarize(documents[:-1], options)  # the story before its latest report
            before = cache.stats()
            warm, warm_wall, warm_cpu = _timed(pipeline, documents, options)
            after = cache.stats()
            rows.append(
                {
                    "cluster": cluster.id,
                    "repeat": repeat + 1,
                    "sentences": cold["stats"]["sentences_in"],
                    "cold_s": cold_wall,
                    "cold_cpu_s": cold_cpu,
                    "cold_embedded": cold_misses,
                    "resummarize_s": warm_wall,
                    "resummarize_cpu_s": warm_cpu,
                    "resummarize_embedded": after.misses - before.misses,
                    "resummarize_from_cache": after.hits - before.hits,
                    "ratio": warm_wall / cold_wall,
                    "cpu_ratio": warm_cpu / cold_cpu,
                    "identical": warm == cold,
                }
            )
            _LOGGER.info("%s", rows[-1])
    ratios = [r["ratio"] for r in rows]
    cpu_ratios = [r["cpu_ratio"] for r in rows]
    return {
        "clusters": [c.id for c in clusters],
        "repeats": args.repeats,
        "threads": args.threads,
        "max_words": args.max_words,
        "embed_cache_mb": settings.embed_cache_mb,
        "rows": rows,
        "ratio": {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)},
        "cpu_ratio": {
            "median": statistics.median(cpu_ratios),
            "min": min(cpu_ratios),
            "max": max(cpu_ratios),
        },
        "all_identical": all(r["identical"] for r in rows),
        "target_ratio": TARGET_RATIO,
        "meets_target": statistics.median(ratios) <= TARGET_RATIO,
    }


def render(result: dict[str, Any]) -> str:
    rows = [
        [r["cluster"], r["repeat"], r["sentences"], r["cold_s"], r["cold_cpu_s"],
         r["resummarize_s"], r["resummarize_cpu_s"],
         f"{r['resummarize_embedded']} / {r['resummarize_from_cache']}", f"{r['ratio']:.1%}",
         f"{r['cpu_ratio']:.1%}", "yes" if r["identical"] else "NO"]
        for r in result["rows"]
    ]  # fmt: skip
    headers = ["cluster", "repeat", "sentences", "cold s", "cold CPU s", "re-summarize s",
               "re-summarize CPU s", "embedded / from cache", "ratio", "CPU ratio",
               "same summary"]  # fmt: skip
    ratio, cpu = result["ratio"], result["cpu_ratio"]
    return (
        markdown_table(headers, rows)
        + f"\n\nre-summarize / cold, wall: median {ratio['median']:.1%} (min {ratio['min']:.1%}, "
        f"max {ratio['max']:.1%}); CPU: median {cpu['median']:.1%} (min {cpu['min']:.1%}, max "
        f"{cpu['max']:.1%}); target ≤ {result['target_ratio']:.0%}: "
        f"{'met' if result['meets_target'] else 'NOT met'}; identical summaries: "
        f"{'all' if result['all_identical'] else 'NO'}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", required=True, type=Path, help="e.g. ../shared/eval")
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-words", type=int, default=250)
    parser.add_argument("--out", type=Path, default=RESULTS / "resummarize.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    machine = machine_info()
    result = run(args)
    result["command"] = " ".join(["python", "bench/resummarize.py", *(argv or sys.argv[1:])])
    result["machine"] = machine
    result["machine_after"] = machine_info()
    print(render(result))
    print(f"\nwrote {write_json(args.out, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
