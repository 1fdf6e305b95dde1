"""Reliability benchmark of ``newsfuse serve``: hostile inputs, a soak, SIGTERM under load.

Starts ``newsfuse serve`` (real MiniLM, extractive) on 127.0.0.1 with free ports and drives it
from this process over gRPC, in three phases:

* ``inputs`` — pathological requests one after the other (a 5 MB document, 2,000 small
  documents, 200,000 characters without punctuation, a 50,000-character sentence, random
  Unicode, HTML with scripts, numbers only, a single word, 100 identical documents, 3 MB of
  one article repeated, and a request at the sentence limit): status, seconds, and health
  after each;
* ``soak`` — ``--concurrency`` closed-loop callers (default 16) for ``--warmup`` +
  ``--seconds`` (default 10 + 30) with mixed cluster sizes (subsets of
  ``examples/budapest`` and synthetic clusters of 1-12 documents); every status counted
  (only ``RESOURCE_EXHAUSTED`` is designed back-pressure, anything else is a failure), server
  RSS when SERVING, after the warm-up, every ``--rss-every`` seconds (default 30) and at the
  end, its growth after the warm-up and over the last half of the measured time, p50/p99
  per window, health afterwards;
* ``sigterm`` — the same load, SIGTERM after ``--sigterm-after`` seconds: every call the
  server accepted (it echoed the request id) must end OK or ``UNAVAILABLE``; none may vanish
  (no answer, or another status); the exit code and the seconds to exit.

    python bench/soak.py                                   # all phases, 30 s soak
    python bench/soak.py --phases inputs soak --after-inputs   # 30 s soak after the inputs
    python bench/soak.py --long       # 10 min (after 60 s warm-up) right after the inputs
    python bench/soak.py --phases soak sigterm --seconds 60

By default the soak starts on a fresh server (its RSS baseline is the server as it comes
up); with ``--after-inputs`` (implied by ``--long``) it runs on the server that has just
taken the hostile inputs, as an outside tester would do it. The server runs with its
defaults (the limits in ``docs/reliability.md``) and with jemalloc preloaded when this
machine has it (``libjemalloc.so.2``, as the container image does; ``--no-jemalloc`` for
glibc's malloc); ``--server-env`` adds or overrides variables of its environment. Prints
tables and writes ``bench/results/soak.json``. Every loop is bounded in time and calls go
to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes.util
import logging
import os
import random
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import EXAMPLES, RESULTS, machine_info, markdown_table, write_json  # noqa: E402
from load import Server  # noqa: E402
from newsfuse import wire  # noqa: E402
from newsfuse.proto.v1 import summarizer_pb2 as pb  # noqa: E402
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc  # noqa: E402
from newsfuse.settings import Settings  # noqa: E402
from newsfuse.types import Document  # noqa: E402
from newsfuse.wire import REQUEST_ID_KEY  # noqa: E402

_LOGGER = logging.getLogger("bench.soak")


def jemalloc_env() -> dict[str, str]:
    """``LD_PRELOAD`` of jemalloc, as the container image sets it, when this machine has it."""
    found = ctypes.util.find_library("jemalloc")  # "libjemalloc.so.2" (Debian: libjemalloc2)
    return {"LD_PRELOAD": found} if found else {}


#: Environment of the server under test on top of ours: its settings are the defaults, its
#: allocator jemalloc where installed (``--server-env`` adds ``NEWSFUSE_*`` or allocator
#: variables).
SERVER_ENV: dict[str, str] = jemalloc_env()
#: Statuses that are designed behaviour under load, not failures.
BACK_PRESSURE = {"RESOURCE_EXHAUSTED"}


# --- workload -------------------------------------------------------------------------------
def corpus() -> list[Document]:
    return [
        Document(id=p.name, text=p.read_text(encoding="utf-8"))
        for p in sorted(EXAMPLES.glob("*.txt"))
    ]


def vocabulary() -> list[str]:
    words = re.findall(r"[A-Za-z]+", " ".join(d.text for d in corpus()))
    return sorted(set(words))


def sentences(
    rng: random.Random, count: int, words: Sequence[str], length: tuple[int, int] = (8, 30)
) -> list[str]:
    """Random news-like sentences (``length`` words from the example corpus' vocabulary)."""
    out = []
    for _ in range(count):
        chosen = rng.choices(words, k=rng.randint(*length))
        out.append(" ".join([chosen[0].capitalize(), *chosen[1:]]) + ".")
    return out


def synthetic_cluster(rng: random.Random, docs: int, words: Sequence[str]) -> list[Document]:
    """A story told by ``docs`` outlets: shared facts (some reworded) plus their own lines."""
    facts = sentences(rng, rng.randint(4, 10), words)
    out = []
    for i in range(docs):
        lines = []
        for fact in facts:
            roll = rng.random()
            if roll < 0.4:
                lines.append(fact)  # syndicated wording
            elif roll < 0.7:
                tokens = fact.rstrip(".").split()
                tokens.insert(rng.randrange(len(tokens) + 1), rng.choice(words))
                lines.append(" ".join(tokens) + ".")  # lightly reworded
        lines += sentences(rng, rng.randint(1, 6), words)
        paragraphs = "\n\n".join(" ".join(lines[j : j + 2]) for j in range(0, len(lines), 2))
        out.append(Document(id=f"outlet-{i}", text=paragraphs))
    return out


def mixed_cluster(rng: random.Random, words: Sequence[str], examples: Sequence[Document]):
    """One soak request: a subset of the example cluster or a synthetic cluster."""
    if rng.random() < 0.3:
        return rng.sample(list(examples), rng.randint(1, len(examples)))
    return synthetic_cluster(rng, rng.randint(1, 12), words)


def big_document(chars: int, rng: random.Random, words: Sequence[str]) -> str:
    parts, total = [], 0
    while total < chars:
        paragraph = " ".join(sentences(rng, 4, words)) + "\n\n"
        parts.append(paragraph)
        total += len(paragraph)
    return "".join(parts)[:chars]


def _html_page() -> str:
    paragraphs = [s for s in corpus()[2].text.split("\n\n") if s.strip()]
    return (
        "<!DOCTYPE html><html><head><title>Summit off</title><style>p {color: red}</style>"
        "<script>var x = 'Budapest summit. Called off. Really.'; alert(x);</script></head>"
        "<body><nav><a href='/'>Home</a> | <a href='/world'>World</a></nav><article>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "<!-- tracking pixel --><script src='x.js'></script><noscript>Enable JS.</noscript>"
        "</article><footer>&copy; 2025 &amp; all rights reserved</footer></body></html>"
    )


def repeated_article(chars: int = 3_000_000) -> str:
    """One example article over and over (a scraper looping), cut at ``chars``."""
    article = corpus()[2].text.rstrip() + "\n\n"
    return (article * (chars // len(article) + 1))[:chars]


def _random_unicode(rng: random.Random, chars: int) -> str:
    # Any code point but surrogates (protobuf strings are UTF-8).
    return "".join(
        chr(rng.choice([rng.randint(1, 0xD7FF), rng.randint(0xE000, 0x10FFFF)]))
        for _ in range(chars)
    )


def _case(build: Callable[[random.Random, list[str]], list[Document]]):
    """A deterministic case: ``build(rng, vocabulary)`` with its own seeded generator."""
    return lambda: build(random.Random(5), vocabulary())


PATHOLOGICAL: dict[str, Callable[[], list[Document]]] = {
    "5 MB document": _case(lambda rng, w: [Document("big", big_document(5_000_000, rng, w))]),
    "2,000 small documents": _case(
        # News briefs: one headline-length sentence each.
        lambda rng, w: [
            Document(f"brief-{i}", sentences(rng, 1, w, (6, 14))[0]) for i in range(2000)
        ]
    ),
    "200,000 chars, no punctuation": _case(
        lambda rng, w: [Document("flat", " ".join(rng.choices(w, k=40_000))[:200_000])]
    ),
    "50,000-char sentence": _case(
        lambda rng, w: [Document("long", " ".join(rng.choices(w, k=10_000))[:49_999] + ".")]
    ),
    "random Unicode": _case(lambda rng, w: [Document("unicode", _random_unicode(rng, 20_000))]),
    "HTML and scripts": _case(lambda rng, w: [Document("page", _html_page())]),
    "numbers only": _case(
        lambda rng, w: [
            Document("numbers", " ".join(str(rng.randint(0, 10**6)) for _ in range(5000)))
        ]
    ),
    "single word": _case(lambda rng, w: [Document("word", "Budapest")]),
    "100 identical documents": _case(
        lambda rng, w: [Document(f"copy-{i}", corpus()[1].text) for i in range(100)]
    ),
    "3 MB: one article repeated": _case(lambda rng, w: [Document("looped", repeated_article())]),
}
"""The hostile inputs of the ``inputs`` phase: name -> builder of the request's documents."""


def at_limit_case(sentence_limit: int) -> Callable[[], list[Document]]:
    """A request right at the sentence limit: 50 documents of ``limit / 50`` sentences."""
    per_doc = sentence_limit // 50
    return _case(
        lambda rng, w: [
            Document(f"long-{i}", " ".join(sentences(rng, per_doc, w))) for i in range(50)
        ]
    )


# --- one call -------------------------------------------------------------------------------
@dataclass
class Outcome:
    name: str
    code: str
    seconds: float
    message: str = ""
    summary_sentences: int = 0
    cited_documents: int = 0
    serving_after: bool | None = None


def health_status(address: str, timeout: float = 10.0) -> str:
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout
            )
        except grpc.RpcError as exc:
            return exc.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def call_once(
    address: str, name: str, documents: Sequence[Document], timeout: float = 300.0
) -> tuple[Outcome, pb.SummarizeResponse | None]:
    """One ``Summarize`` of ``documents``; its status, time and summary, then health."""
    request = wire.request_to_proto(documents)
    options = [("grpc.max_send_message_length", 64 * 1024 * 1024)]
    with grpc.insecure_channel(address, options=options) as channel:
        stub = pb_grpc.SummarizerStub(channel)
        started = time.perf_counter()
        reply = None
        try:
            reply = stub.Summarize(request, timeout=timeout)
            code, message = "OK", ""
        except grpc.RpcError as exc:
            code, message = exc.code().name, exc.details() or ""
        seconds = time.perf_counter() - started
    outcome = Outcome(name, code, seconds, message[:200])
    if reply is not None:
        outcome.summary_sentences = len(reply.sentences)
        outcome.cited_documents = len({c.document_id for s in reply.sentences for c in s.citations})
    outcome.serving_after = health_status(address) == "SERVING"
    return outcome, reply


def run_inputs(address: str, cases: dict[str, Callable[[], list[Document]]]) -> list[Outcome]:
    outcomes = []
    for name, build in cases.items():
        outcome, _ = call_once(address, name, build())
        _LOGGER.info("%s", outcome)
        outcomes.append(outcome)
    return outcomes


# --- load -----------------------------------------------------------------------------------
@dataclass
class CallRecord:
    sent: float
    done: float
    code: str
    accepted: bool
    message: str
    documents: int
    request_id: str = ""


@dataclass
class Load:
    records: list[CallRecord] = field(default_factory=list)
    sent: int = 0


async def drive(
    address: str,
    concurrency: int,
    until: float,
    seed: int,
    *,
    stagger: float = 0.0,
    stop_when_refused: bool = False,
    keep_calling_while_draining: bool = False,
    timeout: float = 120.0,
) -> Load:
    """``concurrency`` closed-loop callers until ``until`` (monotonic).

    Each caller starts after a random delay of up to ``stagger`` seconds (so that they do not
    move in lockstep); with ``stop_when_refused`` a caller stops at its first call the server
    refused — ``UNAVAILABLE`` "draining", or not accepted at all once the port is closed — as
    a client of a draining server would go elsewhere; ``keep_calling_while_draining`` makes
    it go on through "draining" refusals until the port closes (a flood of retries).
    """
    load = Load()
    words = vocabulary()
    examples = corpus()
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.SummarizerStub(channel)

        async def caller(index: int) -> None:
            rng = random.Random(seed * 1000 + index)
            await asyncio.sleep(rng.uniform(0, stagger))
            number = 0
            while time.monotonic() < until:
                documents = mixed_cluster(rng, words, examples)
                request = wire.request_to_proto(documents)
                number += 1
                request_id = f"soak-{seed}-{index}-{number}"
                sent = time.monotonic()
                load.sent += 1
                call = stub.Summarize(
                    request, timeout=timeout, metadata=((REQUEST_ID_KEY, request_id),)
                )
                accepted = False
                try:
                    metadata = await call.initial_metadata()
                    accepted = any(k == REQUEST_ID_KEY for k, _ in metadata or ())
                    await call
                    code, message = "OK", ""
                except grpc.aio.AioRpcError as exc:
                    code, message = exc.code().name, exc.details() or ""
                load.records.append(
                    CallRecord(
                        sent,
                        time.monotonic(),
                        code,
                        accepted,
                        message[:160],
                        len(documents),
                        request_id,
                    )
                )
                draining = code == "UNAVAILABLE" and "draining" in message
                if stop_when_refused and (
                    not accepted or (draining and not keep_calling_while_draining)
                ):
                    return
                if code != "OK":
                    await asyncio.sleep(0.05)  # refused or failed: do not spin

        await asyncio.gather(*(caller(i) for i in range(concurrency)))
    return load


class RssSampler:
    """Samples a process' resident set size (``/proc/PID/status``) in the background."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def now(self) -> int | None:
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(found[1]) * 1024 if found else None

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            value = self.now()
            if value is not None:
                self.samples.append((time.monotonic(), value))

    def peak(self) -> int | None:
        return max((v for _, v in self.samples), default=None)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


def _quantile(values: Sequence[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _mb(value: int | None) -> float | None:
    return None if value is None else round(value / 2**20, 1)


def _cache_bytes(server: Server) -> int | None:
    """Bytes in the server's embedding cache (its metrics), or None without a cache."""
    try:
        value = server.metrics().get("newsfuse_embedding_cache_bytes")
    except OSError:
        return None
    return None if value is None else int(value)


def _rss_at(samples: Sequence[tuple[float, int]], when: float) -> int | None:
    """The first sample at or after ``when`` (the last one if none)."""
    for at, value in samples:
        if at >= when:
            return value
    return samples[-1][1] if samples else None


def run_soak(
    server: Server,
    *,
    concurrency: int,
    warmup: float,
    seconds: float,
    windows: int,
    seed: int = 1,
    rss_every: float = 30.0,
) -> dict[str, Any]:
    """The soak phase: warm-up, measured windows, RSS, statuses, health afterwards."""
    sampler = RssSampler(server.process.pid)
    rss_serving = sampler.now()
    start = time.monotonic()
    measured_from = start + warmup
    end = measured_from + seconds
    rss_warm: list[int | None] = []

    cache_warm: list[float | None] = []

    def mark_warm() -> None:
        time.sleep(max(0.0, measured_from - time.monotonic()))
        rss_warm.append(sampler.now())
        cache_warm.append(_cache_bytes(server))

    marker = threading.Thread(target=mark_warm, daemon=True)
    marker.start()
    load = asyncio.run(drive(server.address, concurrency, end, seed, stagger=warmup / 2))
    marker.join()
    rss_end = sampler.now()
    cache_end = _cache_bytes(server)
    sampler.close()
    measured = [r for r in load.records if r.done >= measured_from]
    codes = Counter(r.code for r in load.records)
    failures = {k: v for k, v in codes.items() if k != "OK" and k not in BACK_PRESSURE}
    width = seconds / windows
    rows = []
    for w in range(windows):
        lo = measured_from + w * width
        inside = [
            r for r in measured if lo <= r.done < lo + width or (w == windows - 1 and r.done >= lo)
        ]
        ok = [r.done - r.sent for r in inside if r.code == "OK"]
        rows.append(
            {
                "window": w + 1,
                "from_s": round(lo - measured_from, 1),
                "calls": len(inside),
                "ok": len(ok),
                "calls_per_s": round(len(ok) / width, 3),
                "p50_s": _quantile(ok, 0.5),
                "p99_s": _quantile(ok, 0.99),
            }
        )
    ok_all = [r.done - r.sent for r in measured if r.code == "OK"]
    warm = rss_warm[0] if rss_warm else None
    growth = (rss_end - warm) / warm if rss_end and warm else None
    samples = sampler.samples
    every = []
    at = 0.0
    while at <= end - start + 1e-6:
        every.append(
            {
                "t_s": round(at),
                "rss_mb": _mb(_rss_at(samples, start + at)),
                "calls_answered": sum(1 for r in load.records if r.done <= start + at),
            }
        )
        at += rss_every
    half_from = _rss_at(samples, measured_from + seconds / 2)
    last_half = [v for t, v in samples if t >= measured_from + seconds / 2]
    return {
        "concurrency": concurrency,
        "warmup_s": warmup,
        "seconds": seconds,
        "calls_sent": load.sent,
        "calls_answered": len(load.records),
        "calls_measured": len(measured),
        "codes": dict(codes),
        "failures": failures,
        "unanswered": load.sent - len(load.records),
        "documents_per_call": {
            "min": min((r.documents for r in load.records), default=0),
            "max": max((r.documents for r in load.records), default=0),
        },
        "p50_s": _quantile(ok_all, 0.5),
        "p99_s": _quantile(ok_all, 0.99),
        "windows": rows,
        "rss_mb": {
            "serving": _mb(rss_serving),
            "after_warmup": _mb(warm),
            "end": _mb(rss_end),
            "peak": _mb(sampler.peak()),
        },
        "rss_growth_after_warmup": None if growth is None else round(growth, 4),
        # The embedding cache fills up to its bound during a soak of distinct sentences: how
        # much of the growth it is (bytes it holds, from the server's metrics).
        "embedding_cache_mb": {
            "after_warmup": _mb(cache_warm[0])
            if cache_warm and cache_warm[0] is not None
            else None,
            "end": _mb(cache_end) if cache_end is not None else None,
        },
        "rss_every_s": rss_every,
        "rss_every": every,
        "rss_last_half": {
            "from_s": round(warmup + seconds / 2, 1),
            "from_mb": _mb(half_from),
            "end_mb": _mb(rss_end),
            "growth": round((rss_end - half_from) / half_from, 4)
            if rss_end and half_from
            else None,
            "min_mb": _mb(min(last_half, default=None)),
            "max_mb": _mb(max(last_half, default=None)),
        },
        "rss_curve_mb": [
            [round(t - start, 1), _mb(v)]
            for t, v in sampler.samples[:: max(1, len(sampler.samples) // 40)]
        ],
        "health_after": health_status(server.address),
    }


def run_sigterm(
    server: Server, *, concurrency: int, after: float, limit: float = 120.0, seed: int = 2
) -> dict[str, Any]:
    """Load, SIGTERM after ``after`` seconds; each caller goes on until the server refuses it."""
    timing: dict[str, float] = {}

    def terminate() -> None:
        time.sleep(after)
        timing["sigterm"] = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(limit)
        except Exception:  # noqa: BLE001 - reported as no exit below
            pass
        timing["exit"] = time.monotonic()

    killer = threading.Thread(target=terminate, daemon=True)
    killer.start()
    until = time.monotonic() + limit
    load = asyncio.run(drive(server.address, concurrency, until, seed, stop_when_refused=True))
    killer.join(limit + 30)
    if server.process.poll() is None:  # never hangs the benchmark
        server.process.kill()
        server.process.wait(10)
    sigterm = timing.get("sigterm", float("inf"))
    accepted = [r for r in load.records if r.accepted]
    answered_ok = [r for r in accepted if r.code == "OK"]
    answered_unavailable = [r for r in accepted if r.code == "UNAVAILABLE"]
    vanished = [r for r in accepted if r.code not in ("OK", "UNAVAILABLE")]
    refused = [r for r in load.records if not r.accepted]
    in_flight = [r for r in accepted if r.sent < sigterm < r.done]
    return {
        "concurrency": concurrency,
        "sigterm_after_s": after,
        "calls_sent": load.sent,
        "calls_returned": len(load.records),
        "accepted": len(accepted),
        "accepted_in_flight_at_sigterm": len(in_flight),
        "completed_ok": len(answered_ok),
        "answered_unavailable": len(answered_unavailable),
        "vanished": len(vanished) + (load.sent - len(load.records)),
        "vanished_codes": dict(Counter(r.code for r in vanished)),
        "refused_before_accepting": dict(Counter(r.code for r in refused)),
        "refused_messages": sorted({r.message for r in refused})[:5],
        "exit_code": server.process.returncode,
        "exit_seconds": round(timing["exit"] - sigterm, 2) if "exit" in timing else None,
    }


# --- the run --------------------------------------------------------------------------------
@contextlib.contextmanager
def serve(env: dict[str, str], flags: Sequence[str] = ()) -> Iterator[Server]:
    server = Server("newsfuse serve", list(flags), env)
    try:
        server.wait_serving(600)
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


def _print_inputs(outcomes: list[Outcome]) -> None:
    rows = [
        [o.name, o.code, o.seconds, o.summary_sentences, o.cited_documents,
         "SERVING" if o.serving_after else "NOT SERVING", o.message[:70]]
        for o in outcomes
    ]  # fmt: skip
    headers = ["input", "status", "seconds", "summary sentences", "cited docs", "health after",
               "message"]  # fmt: skip
    print(markdown_table(headers, rows))


def _print_soak(soak: dict[str, Any]) -> None:
    rss = soak["rss_mb"]
    print(
        f"\nsoak: {soak['calls_answered']} calls answered of {soak['calls_sent']} sent at "
        f"concurrency {soak['concurrency']} ({soak['warmup_s']:.0f} s warm-up + "
        f"{soak['seconds']:.0f} s), statuses {soak['codes']}, failures {soak['failures'] or 0}, "
        f"health after: {soak['health_after']}"
    )
    print(
        f"RSS MB: serving {rss['serving']}, after warm-up {rss['after_warmup']}, end "
        f"{rss['end']}, peak {rss['peak']}; growth after warm-up "
        f"{soak['rss_growth_after_warmup']:.1%}"
        if soak["rss_growth_after_warmup"] is not None
        else f"RSS MB: {rss}"
    )
    rows = [[w["window"], w["from_s"], w["calls"], w["ok"], w["calls_per_s"], w["p50_s"],
             w["p99_s"]] for w in soak["windows"]]  # fmt: skip
    print(markdown_table(["window", "from s", "calls", "ok", "calls/s", "p50 s", "p99 s"], rows))
    cache = soak["embedding_cache_mb"]
    if cache["end"] is not None:
        print(f"embedding cache MB: after warm-up {cache['after_warmup']}, end {cache['end']}")
    half = soak["rss_last_half"]
    if half["growth"] is not None:
        print(
            f"RSS over the last half (from {half['from_s']:.0f} s): {half['from_mb']} → "
            f"{half['end_mb']} MB ({half['growth']:+.1%}), range {half['min_mb']}–"
            f"{half['max_mb']} MB"
        )
    rows = [[e["t_s"], e["rss_mb"], e["calls_answered"]] for e in soak["rss_every"]]
    print(markdown_table(["t s (warm-up first)", "RSS MB", "calls answered"], rows))


def _print_sigterm(result: dict[str, Any]) -> None:
    keys = ["calls_sent", "accepted", "accepted_in_flight_at_sigterm", "completed_ok",
            "answered_unavailable", "vanished", "refused_before_accepting", "exit_code",
            "exit_seconds"]  # fmt: skip
    print("\nSIGTERM under load:")
    print(markdown_table(["measure", "value"], [[k, result[k]] for k in keys]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--phases", nargs="+", choices=("inputs", "soak", "sigterm"),
        default=["inputs", "soak", "sigterm"],
    )  # fmt: skip
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0, help="measured soak seconds")
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds first")
    parser.add_argument("--windows", type=int, default=3, help="latency windows of the soak")
    parser.add_argument("--sigterm-after", type=float, default=8.0, help="seconds of load")
    parser.add_argument("--rss-every", type=float, default=30.0, help="RSS table step, seconds")
    parser.add_argument(
        "--after-inputs", action="store_true", help="soak the server that took the inputs"
    )
    parser.add_argument(
        "--long", action="store_true",
        help="10-minute soak after 60 s of warm-up, on the server that took the inputs "
        "(--phases inputs soak --after-inputs --warmup 60 --seconds 600 --windows 10)",
    )  # fmt: skip
    parser.add_argument("--no-jemalloc", action="store_true", help="glibc malloc in the server")
    parser.add_argument(
        "--server-env", nargs="*", default=[], metavar="NEWSFUSE_X=V", help="extra server env"
    )
    parser.add_argument("--out", type=Path, default=None, help="default bench/results/soak.json")
    args = parser.parse_args()
    if args.long:
        args.phases, args.after_inputs = ["inputs", "soak"], True
        args.warmup, args.seconds, args.windows = 60.0, 600.0, 10
    args.out = args.out or RESULTS / ("soak_long.json" if args.long else "soak.json")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    env = {} if args.no_jemalloc else dict(SERVER_ENV)
    env.update(item.split("=", 1) for item in args.server_env)
    payload: dict[str, Any] = {
        "benchmark": "soak",
        "machine": machine_info(),
        "settings": {k: str(v) for k, v in vars(args).items()},
        "server_env": env,
    }
    with contextlib.ExitStack() as stack:
        server = None
        if "inputs" in args.phases:
            server = stack.enter_context(serve(env))
            cases = dict(PATHOLOGICAL)
            limit = Settings.from_env({**os.environ, **env}).max_sentences_per_request
            cases[f"{limit:,} sentences (at the limit)"] = at_limit_case(limit)
            outcomes = run_inputs(server.address, cases)
            payload["inputs"] = [asdict(o) for o in outcomes]
            _print_inputs(outcomes)
            if not args.after_inputs:
                stack.close()
                server = None
        # Unless --after-inputs, the soak starts on a fresh server: its RSS baseline is the
        # server as it comes up.
        if server is None and {"soak", "sigterm"} & set(args.phases):
            server = stack.enter_context(serve(env))
        if "soak" in args.phases:
            payload["soak"] = run_soak(
                server,
                concurrency=args.concurrency,
                warmup=args.warmup,
                seconds=args.seconds,
                windows=args.windows,
                rss_every=args.rss_every,
            )
            _print_soak(payload["soak"])
        if "sigterm" in args.phases:
            payload["sigterm"] = run_sigterm(
                server, concurrency=args.concurrency, after=args.sigterm_after
            )
            _print_sigterm(payload["sigterm"])
    payload["machine_after"] = machine_info()
    out = write_json(args.out, payload)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
