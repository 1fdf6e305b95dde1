"""Load benchmark of ``newsfuse serve``: throughput and latency, cross-request batching on/off.

Starts two servers on 127.0.0.1 (free ports) — batching on (``--max-batch-size`` as
configured, default 16) and off (``--max-batch-size 1``, the baseline) — and drives each with
an asyncio closed-loop load generator at every concurrency level: ``c`` callers, each sending
its next request as soon as the previous one is answered. The levels of the two servers are
interleaved (on, off, on, off, ...) so background load on a shared machine hits both alike.
Each level runs a warm-up, unmeasured, then a measured window; throughput counts calls
finished inside the window, latency percentiles are over those calls. So that every level is
measured in steady state, the warm-up lasts at least one round of all callers and the window
at least 1.5 rounds (estimated from the previous level's rate; ``--warmup`` and ``--seconds``
are the minimums, ``--max-level`` caps the two together). Calls still running at the end are
cancelled and the server is left to drain before the next level.

Paths:
* ``extractive`` (default model work: MiniLM sentence embeddings, batched across requests);
* ``seq2seq``: ``--model DIR`` (default: a random-weight distilbart-cnn-12-6-shaped BART built
  by ``bench/seq2seq_throughput.py``), generation batched across requests.

    python bench/load.py                                  # extractive, c = 1 4 16 64
    python bench/load.py --path seq2seq --concurrency 1 4 16 --seconds 60

Prints a table and writes ``bench/results/load_<path>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import EXAMPLES, RESULTS, machine_info, markdown_table, write_json  # noqa: E402
from newsfuse.proto.v1 import summarizer_pb2 as pb  # noqa: E402
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc  # noqa: E402

_LOGGER = logging.getLogger("bench.load")

DEFAULT_MODEL = RESULTS / "distilbart-cnn-12-6-random"


# --- the server under test -----------------------------------------------------------------
class Server:
    """``newsfuse serve`` in a child process on free loopback ports."""

    def __init__(self, label: str, flags: list[str], env: dict[str, str]) -> None:
        self.label = label
        command = [sys.executable, "-m", "newsfuse.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", "0", "--metrics-port", "0", *flags]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        )
        self.log: list[str] = []
        self._ports = threading.Event()
        self.port = self.metrics_port = 0
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.rstrip())
            found = re.search(r"listening on [\d.]+:(\d+) .*metrics on port (\d+)", line)
            if found:
                self.port, self.metrics_port = int(found[1]), int(found[2])
                self._ports.set()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_serving(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if not self._ports.wait(timeout):
            raise SystemExit(f"{self.label}: server did not start:\n" + "\n".join(self.log[-20:]))
        with grpc.insecure_channel(self.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                with contextlib.suppress(grpc.RpcError):
                    reply = health.Check(health_pb2.HealthCheckRequest(), timeout=2)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                time.sleep(0.2)
        raise SystemExit(f"{self.label}: not SERVING in time:\n" + "\n".join(self.log[-20:]))

    def metrics(self) -> dict[str, float]:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as reply:
            text = reply.read().decode()
        values = {}
        for line in text.splitlines():
            if line.startswith("newsfuse_"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    def wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.metrics().get("newsfuse_inflight_requests", 0) == 0:
                return
            time.sleep(0.2)

    def stop(self) -> tuple[int | None, float]:
        """SIGTERM; the exit code and the seconds it took."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = None
        return code, time.monotonic() - started


# --- the load generator --------------------------------------------------------------------
@dataclass
class Level:
    server: str
    concurrency: int
    seconds: float
    warmup: float
    latencies: list[float] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    embed_batch: float | None = None
    fuse_batch: float | None = None

    def row(self) -> dict[str, Any]:
        ok = sorted(self.latencies)
        return {
            "server": self.server,
            "concurrency": self.concurrency,
            "warmup_s": self.warmup,
            "window_s": self.seconds,
            "calls": len(ok),
            "throughput_rps": len(ok) / self.seconds,
            "p50_s": _quantile(ok, 0.50),
            "p99_s": _quantile(ok, 0.99),
            "mean_s": statistics.fmean(ok) if ok else None,
            "codes": dict(self.codes),
            "mean_embed_batch": self.embed_batch,
            "mean_fuse_batch": self.fuse_batch,
        }


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[index]


async def drive(
    address: str, request: pb.SummarizeRequest, concurrency: int, warmup: float, seconds: float
) -> tuple[list[float], Counter[str]]:
    """Closed loop: ``concurrency`` callers for warmup + seconds; measured calls only."""
    latencies: list[float] = []
    codes: Counter[str] = Counter()
    start = time.monotonic() + warmup
    end = start + seconds
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.SummarizerStub(channel)

        async def caller() -> None:
            while time.monotonic() < end:
                sent = time.monotonic()
                try:
                    await stub.Summarize(request, timeout=max(1.0, end - sent + 60))
                    code = "OK"
                except grpc.aio.AioRpcError as exc:
                    code = exc.code().name
                done = time.monotonic()
                if start <= done <= end:
                    codes[code] += 1
                    if code == "OK":
                        latencies.append(done - sent)

        tasks = [asyncio.create_task(caller()) for _ in range(concurrency)]
        await asyncio.sleep(max(0.0, end - time.monotonic()))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return latencies, codes


def _mean_batch(before: dict[str, float], after: dict[str, float], stage: str) -> float | None:
    count_key = f'newsfuse_batch_size_count{{stage="{stage}"}}'
    sum_key = f'newsfuse_batch_size_sum{{stage="{stage}"}}'
    count = after.get(count_key, 0) - before.get(count_key, 0)
    total = after.get(sum_key, 0) - before.get(sum_key, 0)
    return total / count if count else None


def measure(
    server: Server,
    request: pb.SummarizeRequest,
    concurrency: int,
    warmup: float,
    seconds: float,
) -> Level:
    level = Level(server.label, concurrency, seconds, warmup)
    before = server.metrics()
    level.latencies, level.codes = asyncio.run(
        drive(server.address, request, concurrency, warmup, seconds)
    )
    after = server.metrics()
    level.embed_batch = _mean_batch(before, after, "embed")
    level.fuse_batch = _mean_batch(before, after, "fuse")
    server.wait_idle(300)
    return level


# --- workload ------------------------------------------------------------------------------
def build_request(docs: int, max_words: int, mode: int) -> pb.SummarizeRequest:
    """The ``docs`` shortest example articles as one cluster."""
    paths = sorted(EXAMPLES.glob("*.txt"), key=lambda p: p.stat().st_size)[:docs]
    request = pb.SummarizeRequest(options=pb.SummaryOptions(max_words=max_words, mode=mode))
    for path in paths:
        request.documents.add(id=path.name, text=path.read_text(encoding="utf-8"))
    return request


def seq2seq_model(directory: Path) -> Path:
    """The distilbart-shaped random model of ``bench/seq2seq_throughput.py`` (built if absent)."""
    from seq2seq_throughput import build_model

    texts = [
        [{"id": p.name, "text": p.read_text(encoding="utf-8")}] for p in EXAMPLES.glob("*.txt")
    ]
    return build_model(directory, texts)


@contextlib.contextmanager
def servers(args: argparse.Namespace) -> Iterator[list[Server]]:
    flags: list[str] = ["--max-wait-ms", str(args.max_wait_ms), "--threads", str(args.threads)]
    env: dict[str, str] = {}
    if args.path == "seq2seq":
        flags += ["--model", str(seq2seq_model(args.model))]
        env = {
            "NEWSFUSE_SEQ2SEQ_NUM_BEAMS": str(args.beams),
            "NEWSFUSE_SEQ2SEQ_BATCH_SIZE": str(args.max_batch_size),
        }
    # The two servers differ in --max-batch-size only (requests merged per model call).
    on = Server("batching", [*flags, "--max-batch-size", str(args.max_batch_size)], env)
    off = Server("no batching", [*flags, "--max-batch-size", "1"], env)
    started = [on, off]
    try:
        for server in started:
            server.wait_serving(600)
        yield started
    finally:
        for server in started:
            if server.process.poll() is None:
                code, took = server.stop()
                _LOGGER.info("%s: exit %s after %.1fs", server.label, code, took)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", choices=("extractive", "seq2seq"), default="extractive")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per level")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds per level")
    parser.add_argument(
        "--max-level", type=float, default=300.0, help="cap on warm-up + window per level"
    )
    parser.add_argument("--docs", type=int, default=2, help="shortest example articles per call")
    parser.add_argument("--max-words", type=int, default=60)
    parser.add_argument("--max-batch-size", type=int, default=16, help="of the batching server")
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads per server")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="seq2seq model dir")
    parser.add_argument("--beams", type=int, default=1, help="seq2seq beam width")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    mode = pb.MODE_ABSTRACTIVE if args.path == "seq2seq" else pb.MODE_EXTRACTIVE
    request = build_request(args.docs, args.max_words, mode)
    levels: list[Level] = []
    throughput: dict[str, float] = {}
    with servers(args) as (on, off):
        for concurrency in args.concurrency:
            for server in (on, off):
                # Steady state needs every caller to have gone round once before measuring,
                # and a window of more than one round: size both from the last level's rate.
                cycle = concurrency / throughput[server.label] if server.label in throughput else 0
                warmup = min(args.max_level / 3, max(args.warmup, cycle))
                seconds = min(args.max_level - warmup, max(args.seconds, 1.5 * cycle))
                level = measure(server, request, concurrency, warmup, seconds)
                _LOGGER.info("%s", level.row())
                levels.append(level)
                if level.latencies:
                    throughput[server.label] = len(level.latencies) / seconds
        exits = {s.label: s.stop() for s in (on, off)}

    rows = [level.row() for level in levels]
    by_key = {(r["server"], r["concurrency"]): r for r in rows}
    table = []
    for r in rows:
        base = by_key[("no batching", r["concurrency"])]
        speedup = r["throughput_rps"] / base["throughput_rps"] if base["throughput_rps"] else None
        tail = r["p99_s"] / r["p50_s"] if r["p50_s"] else None
        table.append(
            [r["server"], r["concurrency"], r["calls"], r["throughput_rps"], r["p50_s"],
             r["p99_s"], tail, speedup, r["mean_embed_batch"], r["mean_fuse_batch"],
             ", ".join(f"{k} {v}" for k, v in r["codes"].items() if k != "OK") or "-"]
        )  # fmt: skip
    headers = ["server", "conc.", "calls", "calls/s", "p50 s", "p99 s", "p99/p50",
               "× no batching", "embed batch", "fuse batch", "errors"]  # fmt: skip
    print(f"\nnewsfuse serve, {args.path} path, {request.ByteSize()} bytes/call "
          f"({len(request.documents)} docs), windows of {args.seconds:.0f}s or more")  # fmt: skip
    print(markdown_table(headers, table))
    payload = {
        "benchmark": "load",
        "path": args.path,
        "machine": machine_info(),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "request": {"documents": len(request.documents), "bytes": request.ByteSize()},
        "levels": rows,
        "server_exit": {k: {"code": c, "seconds": s} for k, (c, s) in exits.items()},
    }
    out = write_json(args.out or RESULTS / f"load_{args.path}.json", payload)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
