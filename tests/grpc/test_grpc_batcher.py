"""The micro-batcher on its own: merging, bounded queue, deadlines, cancellation, failures."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from grpc_support import wait_for
from newsfuse.batching import BatchingEmbedder, Call, MicroBatcher, call_scope
from newsfuse.embed import HashingEmbedder
from newsfuse.errors import Cancelled, DeadlineExceeded, Overloaded, Unavailable


class Model:
    """A batched function that can be held closed; records every batch it ran."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.batches: list[list[int]] = []
        self.running = threading.Event()
        self.fail_with: Exception | None = None

    def __call__(self, values: list[int]) -> list[int]:
        self.running.set()
        self.gate.wait(10)
        self.batches.append(list(values))
        if self.fail_with is not None and (len(values) > 1 or "memory" not in str(self.fail_with)):
            raise self.fail_with
        return [v * 10 for v in values]


@pytest.fixture
def model() -> Model:
    return Model()


def make(model: Model, **kwargs: float) -> MicroBatcher[int, int]:
    options = {"max_batch_size": 4, "max_wait_ms": 1.0, "max_queue": 8}
    options.update(kwargs)
    return MicroBatcher("test", model, **options)  # type: ignore[arg-type]


def hold_worker(batcher: MicroBatcher[int, int], model: Model, pool: ThreadPoolExecutor):
    """Occupy the worker with one item so later submissions queue up."""
    model.gate.clear()
    first = pool.submit(batcher.submit, 0, Call("first"))
    wait_for(model.running.is_set)
    return first


def test_concurrent_submissions_share_one_batch(model: Model) -> None:
    batcher = make(model)
    with ThreadPoolExecutor(8) as pool:
        first = hold_worker(batcher, model, pool)
        rest = [pool.submit(batcher.submit, i, Call(f"r{i}")) for i in range(1, 5)]
        wait_for(lambda: batcher.depth() == 4)
        model.gate.set()
        assert first.result() == 0
        assert [f.result() for f in rest] == [10, 20, 30, 40]
    assert model.batches == [[0], [1, 2, 3, 4]]
    batcher.close()


def test_full_queue_rejects_at_once(model: Model) -> None:
    batcher = make(model, max_queue=2)
    with ThreadPoolExecutor(4) as pool:
        hold_worker(batcher, model, pool)
        queued = [pool.submit(batcher.submit, i, Call(f"q{i}")) for i in (1, 2)]
        wait_for(lambda: batcher.depth() == 2)
        with pytest.raises(Overloaded):
            batcher.submit(3, Call("over"))
        # Internal work (no call: warm-up, fusers embedding their output) is never refused.
        internal = pool.submit(batcher.submit, 4)
        wait_for(lambda: batcher.depth() == 3)
        model.gate.set()
        assert [f.result() for f in queued] == [10, 20]
        assert internal.result() == 40
    assert 3 not in [v for batch in model.batches for v in batch]
    batcher.close()


def test_expired_item_leaves_the_queue_before_compute(model: Model) -> None:
    batcher = make(model)
    with ThreadPoolExecutor(4) as pool:
        hold_worker(batcher, model, pool)
        late = Call("late", deadline=time.monotonic() + 0.2)
        with pytest.raises(DeadlineExceeded):
            batcher.submit(7, late)
        assert batcher.depth() == 0
        model.gate.set()
    assert 7 not in [v for batch in model.batches for v in batch]
    batcher.close()


def test_cancelled_item_leaves_the_queue_before_compute(model: Model) -> None:
    batcher = make(model)
    with ThreadPoolExecutor(4) as pool:
        hold_worker(batcher, model, pool)
        call = Call("gone")
        waiting = pool.submit(batcher.submit, 8, call)
        wait_for(lambda: batcher.depth() == 1)
        call.cancelled.set()
        with pytest.raises(Cancelled):
            waiting.result()
        model.gate.set()
    assert 8 not in [v for batch in model.batches for v in batch]
    batcher.close()


def test_expired_call_is_refused_before_queueing(model: Model) -> None:
    batcher = make(model)
    with pytest.raises(DeadlineExceeded):
        batcher.submit(1, Call("past", deadline=time.monotonic() - 1))
    assert model.batches == []
    batcher.close()


def test_a_failing_batch_fails_only_its_own_items(model: Model) -> None:
    batcher = make(model)
    model.fail_with = ValueError("broken batch")
    with pytest.raises(ValueError, match="broken batch"):
        batcher.submit(1, Call("a"))
    model.fail_with = None
    assert batcher.submit(2, Call("b")) == 20
    batcher.close()


def test_out_of_memory_splits_the_batch_and_retries(model: Model) -> None:
    batcher = make(model)
    model.fail_with = RuntimeError("CUDA out of memory")
    with ThreadPoolExecutor(8) as pool:
        hold_worker(batcher, model, pool)
        rest = [pool.submit(batcher.submit, i, Call(f"r{i}")) for i in range(1, 5)]
        wait_for(lambda: batcher.depth() == 4)
        model.gate.set()
        assert [f.result() for f in rest] == [10, 20, 30, 40]
    assert [1, 2, 3, 4] in model.batches and [1] in model.batches
    batcher.close()


def test_close_fails_queued_items_and_refuses_new_ones(model: Model) -> None:
    batcher = make(model)
    with ThreadPoolExecutor(4) as pool:
        hold_worker(batcher, model, pool)
        queued = pool.submit(batcher.submit, 5, Call("q"))
        wait_for(lambda: batcher.depth() == 1)
        batcher.close(timeout=0)
        with pytest.raises(Unavailable):
            queued.result()
        with pytest.raises(Unavailable):
            batcher.submit(6, Call("after"))
        model.gate.set()


def test_batching_embedder_gives_each_caller_its_own_rows() -> None:
    inner = HashingEmbedder()
    embedder = BatchingEmbedder(inner, max_batch_size=8, max_wait_ms=20, max_queue=8)
    groups = [[f"sentence {i} of group {g}" for i in range(g + 1)] for g in range(6)]

    def encode(group: list[str]) -> np.ndarray:
        with call_scope(Call("embed")):
            return embedder.encode(group)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(encode, groups))
    for group, vectors in zip(groups, results, strict=True):
        np.testing.assert_allclose(vectors, inner.encode(group))
    assert embedder.encode([]).shape == (0, inner.dim)
    embedder.close()
