"""``newsfuse batch`` against one ``newsfuse summarize`` process per cluster, same run.

Usage::

    python bench/batch.py [--eval-dir ../shared/eval] [--clusters 50] [--docs 25] \
        [--max-words 250] [--window 32] [--out bench/results/batch.json]

Takes the first ``--clusters`` DUC 2006 clusters (25 news articles each; ``--docs`` keeps
fewer per cluster), writes them as JSON lines in the request form, then measures, as
separate processes on this machine with the same environment:

* per call: ``newsfuse summarize --json -`` once per cluster (the cluster's JSON on stdin),
  the way a script without ``batch`` would do it: every call loads the models again;
* batch: one ``newsfuse batch INPUT -o OUT`` over all the clusters (models loaded once, a
  window of clusters in flight, their model work batched together).

The batch run sits between the two halves of the per-call runs, so background load that
drifts during the run weighs on both. The load average is recorded before, between and
after. Every batch line must equal the per-call summary of its cluster (``stats.seconds``,
the only timing, left out). Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, load_datasets, machine_info, markdown_table, write_json  # noqa: E402
from newsfuse.api import ClusterRequest  # noqa: E402
from newsfuse.jsonform import request_to_dict  # noqa: E402
from newsfuse.types import Document, SummaryOptions  # noqa: E402

_LOGGER = logging.getLogger("bench.batch")

TARGET = 3.0


def newsfuse_command() -> list[str]:
    """The installed ``newsfuse`` script of this interpreter (as a user would run it)."""
    script = Path(sys.executable).parent / "newsfuse"
    return [str(script)] if script.exists() else [sys.executable, "-m", "newsfuse.cli"]


def cluster_lines(eval_dir: Path, clusters: int, docs: int, max_words: int) -> list[str]:
    """The clusters as request JSON lines (built by newsfuse's own ``request_to_dict``)."""
    (loaded,) = load_datasets(eval_dir, ["duc2006"], limit=clusters).values()
    lines = []
    for cluster in loaded:
        request = ClusterRequest(
            documents=tuple(
                Document(id=d.name, text=d.text, title=d.headline, date=d.date)
                for d in cluster.documents[:docs]
            ),
            options=SummaryOptions(max_words=max_words),
            id=cluster.id,
        )
        lines.append(json.dumps(request_to_dict(request), ensure_ascii=False))
    return lines


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A summary's JSON without its id and its timing."""
    record = {k: v for k, v in record.items() if k != "id"}
    record["stats"] = {k: v for k, v in record["stats"].items() if k != "seconds"}
    return record


def per_call(command: list[str], lines: list[str], env: dict[str, str]) -> list[dict[str, Any]]:
    """One ``summarize --json -`` process per cluster: wall time and the summary."""
    runs = []
    for line in lines:
        cluster_id = json.loads(line)["id"]
        started = time.perf_counter()
        done = subprocess.run(
            [*command, "summarize", "--json", "-"],
            input=line,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"summarize failed on {cluster_id}: {done.stderr.strip()}")
        runs.append({"id": cluster_id, "seconds": seconds, "summary": json.loads(done.stdout)})
        _LOGGER.info("per call %s: %.1fs", cluster_id, seconds)
    return runs


def batch_run(
    command: list[str], source: Path, out: Path, window: int, env: dict[str, str]
) -> tuple[float, dict[str, dict[str, Any]]]:
    """One ``newsfuse batch`` process over every cluster: wall time and its lines by id."""
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "batch", str(source), "-o", str(out), "--window", str(window), "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"batch failed ({done.returncode}): {done.stderr.strip()}")
    records = {}
    for raw in out.read_text(encoding="utf-8").splitlines():
        record = json.loads(raw)
        records[record["id"]] = record
    return seconds, records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--clusters", type=int, default=50, help="clusters (default 50)")
    parser.add_argument("--docs", type=int, default=25, help="documents per cluster (default 25)")
    parser.add_argument("--max-words", type=int, default=250, help="word budget (default 250)")
    parser.add_argument("--window", type=int, default=32, help="batch --window (default 32)")
    parser.add_argument("--out", type=Path, default=RESULTS / "batch.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    lines = cluster_lines(args.eval_dir, args.clusters, args.docs, args.max_words)
    command = newsfuse_command()
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    loads = {"start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "clusters.jsonl"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        half = len(lines) // 2
        calls = per_call(command, lines[:half], env)
        loads["before_batch"] = os.getloadavg()[0]
        out = Path(tmp) / "out.jsonl"
        batch_seconds, records = batch_run(command, source, out, args.window, env)
        _LOGGER.info("batch: %.1fs for %d clusters", batch_seconds, len(records))
        loads["after_batch"] = os.getloadavg()[0]
        calls += per_call(command, lines[half:], env)
    loads["end"] = os.getloadavg()[0]

    differing = [
        c["id"]
        for c in calls
        if c["id"] not in records or comparable(records[c["id"]]) != comparable(c["summary"])
    ]
    per_call_seconds = sum(c["seconds"] for c in calls)
    speedup = per_call_seconds / batch_seconds
    sentences = sum(c["summary"]["stats"]["sentences_in"] for c in calls)
    rows = [
        [
            "per call (one `summarize` process per cluster)",
            len(calls),
            per_call_seconds,
            per_call_seconds / len(calls),
            statistics.median(c["seconds"] for c in calls),
            1.0,
        ],
        [
            f"`newsfuse batch --window {args.window}`",
            len(records),
            batch_seconds,
            batch_seconds / len(records),
            None,
            speedup,
        ],
    ]
    table = markdown_table(
        ["run", "clusters", "wall s", "s per cluster", "median call s", "× per call"], rows
    )
    print(table)
    print(
        f"\n{len(calls) - len(differing)}/{len(calls)} batch lines equal the per-call summary "
        f"(stats.seconds left out); {sentences} source sentences; speed-up {speedup:.2f}× "
        f"(target {TARGET:g}×); load average {loads['start']:.2f} / {loads['before_batch']:.2f}"
        f" / {loads['after_batch']:.2f} / {loads['end']:.2f} (start / before batch / after "
        "batch / end)"
    )
    if differing:
        print(f"differing: {', '.join(differing)}")
    path = write_json(
        args.out,
        {
            "machine": machine_info(),
            "args": {k: str(v) for k, v in vars(args).items()},
            "clusters": len(lines),
            "documents_per_cluster": args.docs,
            "source_sentences": sentences,
            "per_call": {
                "seconds": per_call_seconds,
                "calls": [{"id": c["id"], "seconds": c["seconds"]} for c in calls],
            },
            "batch": {"seconds": batch_seconds, "window": args.window},
            "speedup": speedup,
            "target": TARGET,
            "identical": len(calls) - len(differing),
            "differing": differing,
            "load_average": loads,
            "table": table,
        },
    )
    print(f"wrote {path}")
    return 0 if not differing else 1


if __name__ == "__main__":
    sys.exit(main())
