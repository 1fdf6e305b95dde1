"""End to end with the real MiniLM: in-process server, and ``newsfuse serve`` as a process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_support import ROOT, channel_to, marked_request, running_server, wait_for
from newsfuse import wire
from newsfuse.client import Client
from newsfuse.embed import Embedder
from newsfuse.pipeline import Pipeline
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server.app import NewsfuseServer
from newsfuse.settings import Settings
from newsfuse.types import Document

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def minilm_server(minilm: Embedder, shipped_scorer) -> Iterator[NewsfuseServer]:
    def factory(settings: Settings) -> Pipeline:
        return Pipeline(settings, minilm, scorer=shipped_scorer)

    with running_server(factory=factory) as server:
        yield server


def test_real_model_summarizes_the_corpus_with_valid_citations(
    minilm_server: NewsfuseServer, corpus: list[Document]
) -> None:
    with Client(f"127.0.0.1:{minilm_server.port}") as client:
        summary = client.summarize(corpus, timeout=120)
        info = client.info()
    texts = {d.id: d.text for d in corpus}
    assert summary.sentences and summary.stats.sentences_after_dedup < summary.stats.sentences_in
    for sentence in summary.sentences:
        assert sentence.citations
        for c in sentence.citations:
            assert " ".join(texts[c.document_id][c.start : c.end].split())
    assert info.embedding_model and info.model == ""


def test_real_model_32_calls_at_concurrency_16(minilm_server: NewsfuseServer) -> None:
    stub = pb_grpc.SummarizerStub(channel_to(minilm_server))
    with ThreadPoolExecutor(16) as pool:
        replies = list(
            pool.map(lambda i: stub.Summarize(marked_request(f"Agent{i}"), timeout=120), range(32))
        )
    assert len(replies) == 32 and all(r.sentences for r in replies)
    batches = minilm_server.metrics.registry.get_sample_value(
        "newsfuse_batch_size_count", {"stage": "embed"}
    )
    assert batches is not None and batches >= 1


class ServeProcess:
    """``newsfuse serve`` on free ports, with its log collected."""

    def __init__(self, *extra: str) -> None:
        # A grace long enough for the call in flight even on a crowded machine.
        env = dict(os.environ, HF_HUB_OFFLINE="1", NEWSFUSE_GRACE_SECONDS="300")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newsfuse.cli", "serve", "--host", "127.0.0.1", "--port", "0",
             "--metrics-port", "0", *extra],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=ROOT,
        )  # fmt: skip
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        wait_for(lambda: self.ports is not None or self.process.poll() is not None, 120)
        assert self.ports is not None, "\n".join(self.log)
        self.address = f"127.0.0.1:{self.ports[0]}"

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.rstrip())

    @property
    def ports(self) -> tuple[int, int] | None:
        for line in list(self.log):
            found = re.search(r"listening on [\d.]+:(\d+) .*metrics on port (\d+)", line)
            if found:
                return int(found[1]), int(found[2])
        return None

    def metrics(self) -> str:
        url = f"http://127.0.0.1:{self.ports[1]}/metrics"  # type: ignore[index]
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.read().decode()

    def health_cli(self, address: str | None = None) -> int:
        return subprocess.run(
            [sys.executable, "-m", "newsfuse.cli", "health", "--address", address or self.address,
             "--timeout", "5"],
            capture_output=True,
            timeout=60,
        ).returncode  # fmt: skip

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def serve_process() -> Iterator[ServeProcess]:
    process = ServeProcess()
    try:
        yield process
    finally:
        process.close()


def test_serve_process_end_to_end_and_sigterm_with_a_call_in_flight(
    serve_process: ServeProcess, corpus: list[Document]
) -> None:
    proc = serve_process
    channel = grpc.insecure_channel(proc.address)
    health = health_pb2_grpc.HealthStub(channel)
    stub = pb_grpc.SummarizerStub(channel)

    def serving() -> bool:
        try:
            reply = health.Check(health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.RpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    wait_for(serving, 180)
    assert proc.health_cli() == 0

    with pytest.raises(grpc.RpcError) as invalid:
        stub.Summarize(pb.SummarizeRequest(), timeout=30)
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as late:
        stub.Summarize(wire.request_to_proto(corpus), timeout=0.001)
    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "newsfuse_requests_total" in proc.metrics()

    # A call in flight when SIGTERM arrives completes; then the process exits 0.
    in_flight = stub.Summarize.future(wire.request_to_proto(corpus), timeout=300)
    wait_for(lambda: "newsfuse_inflight_requests 1.0" in proc.metrics(), 60)
    proc.process.send_signal(signal.SIGTERM)
    response = in_flight.result()
    assert response.sentences and response.stats.documents == len(corpus)
    assert proc.process.wait(300) == 0
    assert any("draining" in line for line in proc.log)
    assert proc.health_cli() == 1
    channel.close()
