"""Faults injected into the models of a real server: each stays inside its own requests.

* a model (embedder or fuser) raising during a batch: the requests that fail on their own get
  a clear status at once, every other request of the batch and after it is served, health
  stays SERVING;
* CUDA out of memory (``torch.cuda.OutOfMemoryError``): the batch is split and retried, every
  request is served; a single request out of memory gets ``RESOURCE_EXHAUSTED``;
* a generation that never finishes: its requests get ``DEADLINE_EXCEEDED`` after the batch
  timeout, a new worker serves everything else, the stuck call is dropped when it returns.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import grpc
import pytest
import torch
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_support import GatedEmbedder, channel_to, marked_request, metric, wait_for
from newsfuse.fuse import FusionContext, FusionResult
from newsfuse.fuse.extractive import ExtractiveFuser
from newsfuse.pipeline import Pipeline
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server.app import NewsfuseServer
from newsfuse.settings import Settings
from newsfuse.support import SupportScorer


class FaultyFuser:
    """A model fuser (extractive underneath) with faults keyed on marker words in the input.

    ``gate`` holds every batch (to make requests queue up into one batch); a context whose
    sentences contain ``fail_marker`` makes its batch raise; ``oom_above`` makes batches of
    more contexts raise CUDA out of memory; ``hang_marker`` blocks a batch until ``release``.
    """

    name = "faulty"

    def __init__(self) -> None:
        self.inner = ExtractiveFuser(SupportScorer())
        self.gate = threading.Event()
        self.gate.set()
        self.running = threading.Event()
        self.release = threading.Event()
        self.fail_marker: str | None = None
        self.hang_marker: str | None = None
        self.oom_above: int | None = None
        self.batches: list[int] = []
        self.finished_hung = threading.Event()

    @staticmethod
    def _has(ctx: FusionContext, marker: str | None) -> bool:
        return marker is not None and any(marker in s.text for s in ctx.sentences)

    def fuse(self, ctx: FusionContext) -> FusionResult:
        return self.fuse_batch([ctx])[0]

    def fuse_batch(self, contexts: Sequence[FusionContext]) -> list[FusionResult]:
        self.running.set()
        self.gate.wait(30)
        self.batches.append(len(contexts))
        if any(self._has(ctx, self.hang_marker) for ctx in contexts):
            self.release.wait(60)
            self.finished_hung.set()
        if self.oom_above is not None and len(contexts) > self.oom_above:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        if any(self._has(ctx, self.fail_marker) for ctx in contexts):
            raise RuntimeError("generation exploded")
        results = [self.inner.fuse(ctx) for ctx in contexts]
        for result in results:
            result.model = self.name
        return results


@contextlib.contextmanager
def fault_server(
    embedder: GatedEmbedder | None = None, fuser: FaultyFuser | None = None, **overrides: object
) -> Iterator[NewsfuseServer]:
    """A real server on port 0 over the given (faulty) models."""
    values = {"host": "127.0.0.1", "port": 0, "metrics_port": 0, "grace_seconds": 5.0}
    values.update(overrides)
    settings = Settings.from_env({}, **values)
    model = embedder or GatedEmbedder()

    def factory(s: Settings) -> Pipeline:
        return Pipeline(s, model, fuser)

    server = NewsfuseServer(settings, factory).start()
    try:
        assert server.wait_ready(60)
        yield server
    finally:
        server.stop(2.0)


def serving(server: NewsfuseServer) -> bool:
    with channel_to(server) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5
        )
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def code_of(future: Future[pb.SummarizeResponse]) -> grpc.StatusCode:
    try:
        future.result()
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def one_batch(
    server: NewsfuseServer,
    markers: Sequence[str],
    hold: Callable[[bool], None],
    depth: Callable[[], int],
    waiting: Callable[[], bool],
) -> dict[str, grpc.StatusCode]:
    """Send a holder call that occupies the model, queue ``markers`` behind it, release.

    Returns the status of each marked call; the holder must have succeeded.
    """
    stub = pb_grpc.SummarizerStub(channel_to(server))
    hold(True)
    with ThreadPoolExecutor(len(markers) + 1) as pool:
        holder = pool.submit(stub.Summarize, marked_request("Holder"), timeout=60)
        wait_for(waiting)
        futures = {m: pool.submit(stub.Summarize, marked_request(m), timeout=60) for m in markers}
        wait_for(lambda: depth() == len(markers))
        hold(False)
        codes = {m: code_of(f) for m, f in futures.items()}
        assert code_of(holder) == grpc.StatusCode.OK
    return codes


def test_embedder_raising_fails_only_the_request_that_breaks_it() -> None:
    embedder = GatedEmbedder()
    with fault_server(embedder, max_batch_size=8, max_wait_ms=0) as server:
        engine = server.engine
        assert engine is not None
        embedder.fail_marker = "Poison"
        markers = ["Alpha", "Bravo", "Poison", "Delta", "Echo"]
        codes = one_batch(
            server,
            markers,
            hold=lambda closed: embedder.gate.clear() if closed else embedder.gate.set(),
            depth=engine.embedder.depth,
            waiting=lambda: embedder.waiting == 1,
        )
        assert codes.pop("Poison") == grpc.StatusCode.INTERNAL
        assert set(codes.values()) == {grpc.StatusCode.OK}, codes
        assert serving(server)
        stub = pb_grpc.SummarizerStub(channel_to(server))
        assert stub.Summarize(marked_request("After"), timeout=30).sentences


def test_fuser_raising_fails_only_the_request_that_breaks_it() -> None:
    fuser = FaultyFuser()
    with fault_server(fuser=fuser, max_batch_size=8, max_wait_ms=0) as server:
        engine = server.engine
        assert engine is not None
        fuser.fail_marker = "Poison"
        markers = ["Alpha", "Bravo", "Charlie", "Poison"]
        fuser.running.clear()
        fuser.batches.clear()
        codes = one_batch(
            server,
            markers,
            hold=lambda closed: fuser.gate.clear() if closed else fuser.gate.set(),
            depth=engine.fusion.depth,
            waiting=fuser.running.is_set,
        )
        assert codes.pop("Poison") == grpc.StatusCode.INTERNAL
        assert set(codes.values()) == {grpc.StatusCode.OK}, codes
        assert 4 in fuser.batches  # they did share one batch
        assert serving(server)


def test_a_model_failing_every_batch_fails_fast_and_the_server_stays_up() -> None:
    fuser = FaultyFuser()
    with fault_server(fuser=fuser, max_batch_size=8, max_wait_ms=0) as server:
        engine = server.engine
        assert engine is not None
        fuser.fail_marker = "Agent"  # in every request below
        fuser.running.clear()
        fuser.batches.clear()
        markers = [f"Agent{i}" for i in range(6)]
        codes = one_batch(
            server,
            markers,
            hold=lambda closed: fuser.gate.clear() if closed else fuser.gate.set(),
            depth=engine.fusion.depth,
            waiting=fuser.running.is_set,
        )
        assert set(codes.values()) == {grpc.StatusCode.INTERNAL}
        # A systematic failure is not bisected down to single requests: both halves failing
        # is enough (holder + batch of 6 + its two halves).
        assert fuser.batches == [1, 6, 3, 3]
        fuser.fail_marker = None
        assert serving(server)
        stub = pb_grpc.SummarizerStub(channel_to(server))
        assert stub.Summarize(marked_request("Healthy"), timeout=30).sentences
        internal = metric(server, "newsfuse_requests_total", method="Summarize", code="INTERNAL")
        assert internal == len(markers)


def test_cuda_out_of_memory_splits_the_batch_and_serves_every_request() -> None:
    fuser = FaultyFuser()
    with fault_server(fuser=fuser, max_batch_size=8, max_wait_ms=0) as server:
        engine = server.engine
        assert engine is not None
        fuser.oom_above = 2
        fuser.running.clear()
        fuser.batches.clear()
        markers = [f"Caller{i}" for i in range(6)]
        codes = one_batch(
            server,
            markers,
            hold=lambda closed: fuser.gate.clear() if closed else fuser.gate.set(),
            depth=engine.fusion.depth,
            waiting=fuser.running.is_set,
        )
        assert set(codes.values()) == {grpc.StatusCode.OK}, codes
        # 6 out of memory -> 3 + 3, each out of memory -> 1 + 2 and 1 + 2, which fit.
        assert fuser.batches == [1, 6, 3, 1, 2, 3, 1, 2]
        assert serving(server)


def test_one_request_out_of_memory_alone_is_resource_exhausted() -> None:
    fuser = FaultyFuser()
    with fault_server(fuser=fuser) as server:
        fuser.oom_above = 0
        stub = pb_grpc.SummarizerStub(channel_to(server))
        with pytest.raises(grpc.RpcError) as error:
            stub.Summarize(marked_request("Huge"), timeout=30)
        assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "out of memory" in (error.value.details() or "")
        fuser.oom_above = None
        assert stub.Summarize(marked_request("Small"), timeout=30).sentences
        assert serving(server)


def test_embedding_out_of_memory_splits_the_batch() -> None:
    class MemoryHungryEmbedder(GatedEmbedder):
        """Runs out of memory on more than 8 texts at once (one marked request has 4)."""

        def encode(self, texts: Sequence[str]):  # type: ignore[no-untyped-def]
            if len(texts) > 8:
                self.gate.wait(30)
                raise torch.cuda.OutOfMemoryError("CUDA out of memory.")
            return super().encode(texts)

    embedder = MemoryHungryEmbedder()
    with fault_server(embedder, max_batch_size=8, max_wait_ms=0) as server:
        engine = server.engine
        assert engine is not None
        codes = one_batch(
            server,
            [f"Caller{i}" for i in range(4)],
            hold=lambda closed: embedder.gate.clear() if closed else embedder.gate.set(),
            depth=engine.embedder.depth,
            waiting=lambda: embedder.waiting == 1,
        )
        assert set(codes.values()) == {grpc.StatusCode.OK}, codes
        assert all(embedder.encoded(f"Caller{i}") for i in range(4))


def test_generation_timeout_is_deadline_exceeded_and_the_server_keeps_serving() -> None:
    fuser = FaultyFuser()
    with fault_server(fuser=fuser, batch_timeout_seconds=1.0) as server:
        fuser.hang_marker = "Stuck"
        stub = pb_grpc.SummarizerStub(channel_to(server))
        with ThreadPoolExecutor(2) as pool:
            stuck = pool.submit(stub.Summarize, marked_request("Stuck"), timeout=60)
            assert code_of(stuck) == grpc.StatusCode.DEADLINE_EXCEEDED
            details = stuck.exception().details()  # type: ignore[union-attr]
            assert "fuse model did not finish within 1s" in details
        # The model call is still stuck, yet everything else is served by a new worker.
        assert not fuser.finished_hung.is_set()
        assert metric(server, "newsfuse_stalled_model_calls", stage="fuse") == 1
        assert stub.Summarize(marked_request("Next"), timeout=30).sentences
        assert serving(server)
        # In a batch stream the stuck cluster reports its own status; the stream goes on.
        clusters = [pb.SummarizeRequest(), marked_request("Stuck")]
        results = {
            r.index: r
            for r in stub.SummarizeBatch(pb.SummarizeBatchRequest(requests=clusters), timeout=60)
        }
        assert results[0].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
        assert results[1].error.code == grpc.StatusCode.DEADLINE_EXCEEDED.value[0]
        assert metric(server, "newsfuse_stalled_model_calls", stage="fuse") == 2
        # When the stuck calls return, their results are dropped and their workers retire.
        fuser.release.set()
        wait_for(lambda: metric(server, "newsfuse_stalled_model_calls", stage="fuse") == 0)
        assert stub.Summarize(marked_request("Later"), timeout=30).sentences
