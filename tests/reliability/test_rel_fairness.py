"""A huge request never holds the model: its sentences go in chunks that small requests share."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import grpc
import numpy as np
import pytest
from grpc_support import channel_to, marked_request, running_server, wait_for
from newsfuse.embed import HashingEmbedder
from newsfuse.pipeline import Pipeline
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc

CHUNK = 8


class SteppedEmbedder:
    """Runs one model call per ``step`` (a test holds the model between calls)."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.name, self.dim = self.inner.name, self.inner.dim
        self.free = threading.Semaphore(1000)  # effectively open until a test takes it
        self.calls: list[list[str]] = []
        self.lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        assert self.free.acquire(timeout=30)
        with self.lock:
            self.calls.append(list(texts))
        return self.inner.encode(texts)

    def hold(self) -> None:
        """From now on every model call waits for a ``step``."""
        while self.free.acquire(blocking=False):
            pass

    def step(self, calls: int = 1) -> None:
        self.free.release(calls)

    def calls_with(self, marker: str) -> int:
        with self.lock:
            return sum(any(marker in t for t in call) for call in self.calls)


def big_request(sentences: int) -> pb.SummarizeRequest:
    text = " ".join(f"Bigword number {i} reports item {i * 7} today." for i in range(sentences))
    return pb.SummarizeRequest(documents=[pb.Document(id="big", text=text)])


@pytest.fixture
def stepped() -> SteppedEmbedder:
    return SteppedEmbedder()


def _server(embedder: SteppedEmbedder):
    return running_server(
        factory=lambda s: Pipeline(s, embedder),
        embed_batch_size=CHUNK,
        max_batch_size=4,
        max_wait_ms=0,
    )


def test_small_request_is_served_between_the_chunks_of_a_huge_one(stepped) -> None:
    with _server(stepped) as server:
        stub = pb_grpc.SummarizerStub(channel_to(server))
        stepped.hold()
        big = stub.Summarize.future(big_request(20 * CHUNK), timeout=60)
        stepped.step()  # the big request's first chunk
        wait_for(lambda: stepped.calls_with("Bigword") == 1)
        small = stub.Summarize.future(marked_request("Small"), timeout=60)
        engine = server.engine
        assert engine is not None
        # One of them waits for the model, the other one in the queue.
        wait_for(lambda: engine.embedder.depth() == 1)
        stepped.step()
        stepped.step()
        assert small.result().sentences
        assert not big.done()  # 18 of its 20 chunks still to go
        assert stepped.calls_with("Small") == 1 and stepped.calls_with("Bigword") <= 3
        stepped.step(1000)
        assert big.result().stats.sentences_in == 20 * CHUNK


def test_a_cancelled_huge_request_stops_at_its_next_chunk(stepped) -> None:
    with _server(stepped) as server:
        stub = pb_grpc.SummarizerStub(channel_to(server))
        stepped.hold()
        big = stub.Summarize.future(big_request(20 * CHUNK), timeout=60)
        stepped.step()
        wait_for(lambda: stepped.calls_with("Bigword") == 1)
        big.cancel()
        with pytest.raises(grpc.FutureCancelledError):
            big.result()
        # The client knows at once; the server learns it a moment later. Free the model only
        # once the server's handler has seen the cancellation and returned.
        wait_for(lambda: server.metrics.running_handlers() == 0)
        stepped.step(1000)
        stub.Summarize(marked_request("After"), timeout=30)
        # At most the chunk already queued ran: 2 of the 20 chunks, not all of them.
        assert stepped.calls_with("Bigword") <= 2
