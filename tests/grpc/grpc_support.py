"""Helpers of the gRPC tests: real newsfuse servers on 127.0.0.1 port 0, real channels.

Most tests run the real server over a ``Pipeline`` with the torch-free ``HashingEmbedder``
(wrapped in ``GatedEmbedder`` so a test can hold the model and fill the queue on purpose);
the end-to-end tests load the real MiniLM.
"""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import grpc
import numpy as np
from newsfuse.embed import HashingEmbedder
from newsfuse.pipeline import Pipeline
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.server.app import NewsfuseServer
from newsfuse.settings import Settings
from newsfuse.types import Document

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = ROOT / "examples" / "budapest"


class GatedEmbedder:
    """``HashingEmbedder`` that a test can hold closed; records every text it encoded."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.name = self.inner.name
        self.dim = self.inner.dim
        self.gate = threading.Event()
        self.gate.set()
        self.calls = 0
        self.waiting = 0
        self.seen: list[str] = []
        self.fail_marker: str | None = None
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            self.calls += 1
            self.waiting += 1
        self.gate.wait(30)
        with self._lock:
            self.waiting -= 1
            self.seen.extend(texts)
        if self.fail_marker and any(self.fail_marker in t for t in texts):
            raise RuntimeError(f"model exploded on {self.fail_marker}")
        return self.inner.encode(texts)

    def encoded(self, marker: str) -> bool:
        with self._lock:
            return any(marker in t for t in self.seen)


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll until ``predicate()`` holds (synchronisation, not a timing assertion). The
    limit only ends a hung test: on a loaded 2-core machine a request can take 20 s to reach
    the model queue."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def server_settings(**overrides: object) -> Settings:
    values = {"host": "127.0.0.1", "port": 0, "metrics_port": 0, "grace_seconds": 5.0}
    values.update(overrides)
    return Settings.from_env({}, **values)


@contextlib.contextmanager
def running_server(
    embedder: GatedEmbedder | None = None,
    *,
    factory: Callable[[Settings], Pipeline] | None = None,
    wait: bool = True,
    **overrides: object,
) -> Iterator[NewsfuseServer]:
    """A started server (by default over a ``GatedEmbedder``), stopped afterwards."""
    if factory is None:
        model = embedder or GatedEmbedder()

        def factory(settings: Settings) -> Pipeline:
            return Pipeline(settings, model)

    server = NewsfuseServer(server_settings(**overrides), factory).start()
    try:
        if wait:
            assert server.wait_ready(60)
        yield server
    finally:
        server.stop(2.0)


def channel_to(server: NewsfuseServer) -> grpc.Channel:
    return grpc.insecure_channel(f"127.0.0.1:{server.port}")


def scrape(server: NewsfuseServer) -> str:
    url = f"http://127.0.0.1:{server.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.read().decode()


def metric(server: NewsfuseServer, name: str, **labels: str) -> float:
    """Current value of one sample of the server's registry (0 when absent)."""
    value = server.metrics.registry.get_sample_value(name, labels)
    return value or 0.0


def load_corpus() -> list[Document]:
    return [
        Document(id=path.name, text=path.read_text(encoding="utf-8"))
        for path in sorted(CORPUS_DIR.glob("*.txt"))
    ]


def marked_request(marker: str) -> pb.SummarizeRequest:
    """A small request whose every sentence contains ``marker``."""
    texts = (
        f"{marker} reported that the council approved the budget on Monday. "
        f"Spending on schools will rise, {marker} said.",
        f"On Monday the council passed the budget, according to {marker}. "
        f"{marker} added that the vote was close.",
    )
    return pb.SummarizeRequest(
        documents=[pb.Document(id=f"{marker}-{i}", text=t) for i, t in enumerate(texts)]
    )
