"""``newsfuse batch --engine ray`` against the in-process ``newsfuse batch``, same run.

Usage::

    python bench/ray_batch.py [--eval-dir ../shared/eval] [--clusters 20] [--docs 25] \
        [--max-words 250] [--pools 1x2 2x1] [--out bench/results/ray_batch.json]

Takes the first ``--clusters`` DUC 2006 clusters (as ``bench/batch.py`` does) and runs, as
separate processes on this machine with the same environment:

* in process: ``newsfuse batch INPUT -o OUT`` (models loaded once, a window of clusters in
  flight, their model work batched together);
* Ray: ``newsfuse batch INPUT -o OUT --engine ray`` with a Ray started by the command, once
  per ``--pools`` entry ``AxC``: A actors of C CPUs each (their torch threads = C).

The in-process run goes first and last, the Ray runs between, so load that drifts during
the run weighs on both; the in-process figure is the mean of the two. Every Ray line must
equal the in-process line of its cluster (``stats.seconds`` left out). Records the load
average before and after each run; prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, machine_info, markdown_table, write_json  # noqa: E402
from batch import cluster_lines, comparable, newsfuse_command  # noqa: E402

_LOGGER = logging.getLogger("bench.ray_batch")


def run_batch(
    command: list[str], source: Path, out: Path, extra: list[str], env: dict[str, str]
) -> dict[str, Any]:
    """One ``newsfuse batch`` process: wall time, load average around it, lines by id."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "batch", str(source), "-o", str(out), "--overwrite", "--quiet", *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"batch {' '.join(extra)} failed ({done.returncode}): {done.stderr}")
    records = {}
    for raw in out.read_text(encoding="utf-8").splitlines():
        record = json.loads(raw)
        records[record["id"]] = comparable(record)
    load = (load_before, os.getloadavg()[0])
    _LOGGER.info("batch %s: %.1fs (load %.2f -> %.2f)", " ".join(extra), seconds, *load)
    return {"seconds": seconds, "load_average": load, "records": records}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--clusters", type=int, default=20, help="clusters (default 20)")
    parser.add_argument("--docs", type=int, default=25, help="documents per cluster (default 25)")
    parser.add_argument("--max-words", type=int, default=250, help="word budget (default 250)")
    parser.add_argument(
        "--pools",
        nargs="+",
        default=["1x2", "2x1"],
        metavar="AxC",
        help="Ray runs: A actors of C CPUs each (default 1x2 2x1)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "ray_batch.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    lines = cluster_lines(args.eval_dir, args.clusters, args.docs, args.max_words)
    command = newsfuse_command()
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    runs: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "clusters.jsonl"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = Path(tmp) / "out.jsonl"
        runs.append(("in process (first)", run_batch(command, source, out, [], env)))
        for pool in args.pools:
            actors, cpus = pool.split("x")
            extra = ["--engine", "ray", "--ray-actors", actors, "--ray-cpus-per-actor", cpus]
            runs.append((f"--engine ray, {actors} actor(s) × {cpus} CPU", run_batch(
                command, source, out, extra, env
            )))  # fmt: skip
        runs.append(("in process (last)", run_batch(command, source, out, [], env)))

    baseline = (runs[0][1]["seconds"] + runs[-1][1]["seconds"]) / 2
    expected = runs[0][1]["records"]
    differing = {
        name: sorted(k for k in expected if run["records"].get(k) != expected[k])
        for name, run in runs[1:]
    }
    rows = [
        [
            name,
            len(run["records"]),
            run["seconds"],
            run["seconds"] / len(run["records"]),
            run["seconds"] / baseline,
            f"{run['load_average'][0]:.1f} → {run['load_average'][1]:.1f}",
        ]
        for name, run in runs
    ]
    table = markdown_table(
        ["run", "clusters", "wall s", "s per cluster", "× in-process wall", "load average"],
        rows,
    )
    print(table)
    same = all(not d for d in differing.values())
    print(
        f"\nin-process baseline {baseline:.1f}s (mean of first and last); every Ray line equals "
        f"the in-process line: {same}"
    )
    for name, ids in differing.items():
        if ids:
            print(f"{name} differs on: {', '.join(ids)}")
    path = write_json(
        args.out,
        {
            "machine": machine_info(),
            "args": {k: str(v) for k, v in vars(args).items()},
            "clusters": len(lines),
            "runs": [
                {"run": name, "seconds": run["seconds"], "load_average": run["load_average"]}
                for name, run in runs
            ],
            "baseline_seconds": baseline,
            "differing": differing,
            "table": table,
        },
    )
    print(f"wrote {path}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
