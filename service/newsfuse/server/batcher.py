"""Micro-batching of model work across concurrent requests.

Request threads submit items (sentences to embed, contexts to fuse) to a ``MicroBatcher``;
one worker thread takes whatever is queued, waits at most ``max_wait`` for the batch to fill,
drops items whose caller's deadline passed or who went away, and runs the rest as one
batched call. The queue is bounded: when it is full ``submit`` raises ``Overloaded`` at once.

The caller's deadline and cancellation travel with each item as a ``Call`` taken from a
context variable, so code that knows nothing about gRPC (``Pipeline.prepare`` calling
``embedder.encode``) still carries them.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

import numpy as np

from newsfuse.embed import Embedder
from newsfuse.errors import Cancelled, DeadlineExceeded, Overloaded, Unavailable
from newsfuse.fuse import FusionContext, FusionResult

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# How often a waiting caller re-checks its own cancellation.
_POLL_SECONDS = 0.05


@dataclass(slots=True)
class Call:
    """One client call: its id, deadline (``time.monotonic()`` seconds) and cancellation."""

    request_id: str
    deadline: float | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    counts: dict[str, int | float | str] = field(default_factory=dict)
    """What the call did (documents, sentences, ...), for its log line."""
    shutdown: threading.Event | None = None
    """Set by a server that gives up on its calls still running at the end of a drain."""

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def check(self) -> None:
        """Raise ``DeadlineExceeded``, ``Cancelled`` or ``Unavailable`` if the call must stop."""
        # Deadline first: gRPC also reports an expired call as terminated (cancelled).
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise DeadlineExceeded(f"request {self.request_id} ran out of time")
        if self.cancelled.is_set():
            raise Cancelled(f"request {self.request_id} was cancelled")
        if self.shutdown is not None and self.shutdown.is_set():
            raise Unavailable("the server is shutting down")


_CURRENT_CALL: contextvars.ContextVar[Call | None] = contextvars.ContextVar(
    "newsfuse_call", default=None
)


@contextlib.contextmanager
def call_scope(call: Call) -> Iterator[Call]:
    """Make ``call`` the current call of this thread for the duration of the block."""
    token = _CURRENT_CALL.set(call)
    try:
        yield call
    finally:
        _CURRENT_CALL.reset(token)


def current_call() -> Call | None:
    """The call this thread works for, or ``None`` for internal work (warm-up, fusers)."""
    return _CURRENT_CALL.get()


class BatchObserver(Protocol):
    """Receives the batcher's measurements (implemented by ``metrics.Metrics``)."""

    def queue_depth(self, stage: str, depth: int) -> None: ...

    def queued(self, stage: str, seconds: float) -> None: ...

    def batch(self, stage: str, size: int) -> None: ...


class _NullObserver:
    def queue_depth(self, stage: str, depth: int) -> None:
        pass

    def queued(self, stage: str, seconds: float) -> None:
        pass

    def batch(self, stage: str, size: int) -> None:
        pass


class _Item(Generic[T, R]):
    __slots__ = ("value", "call", "enqueued", "done", "result", "error", "abandoned")

    def __init__(self, value: T, call: Call | None) -> None:
        self.value = value
        self.call = call
        self.enqueued = time.monotonic()
        self.done = threading.Event()
        self.result: R | None = None
        self.error: BaseException | None = None
        self.abandoned = False

    def finish(self, result: R | None = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done.set()


def _is_out_of_memory(exc: BaseException) -> bool:
    # torch.OutOfMemoryError (CUDA) without importing torch here.
    return type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower()


class MicroBatcher(Generic[T, R]):
    """Groups items submitted from many threads into batched calls of ``run``.

    ``run`` receives a list of values and must return one result per value, in order.
    When ``run`` raises, every item of that batch gets the exception (after an
    out-of-memory error the batch is split in halves and retried first).
    """

    def __init__(
        self,
        stage: str,
        run: Callable[[list[T]], Sequence[R]],
        *,
        max_batch_size: int,
        max_wait_ms: float,
        max_queue: int,
        observer: BatchObserver | None = None,
    ) -> None:
        self.stage = stage
        self._run = run
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000.0
        self.max_queue = max_queue
        self._observer = observer or _NullObserver()
        self._queue: deque[_Item[T, R]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._worker = threading.Thread(target=self._loop, name=f"batcher-{stage}", daemon=True)
        self._worker.start()

    # --- callers ------------------------------------------------------------------------
    def submit(self, value: T, call: Call | None = None) -> R:
        """Queue ``value`` and block until its result; raise what its batch raised.

        Raises ``Overloaded`` at once when the queue is full (internal work, ``call`` None,
        is always admitted), ``DeadlineExceeded``/``Cancelled`` when the call stops first.
        """
        if call is not None:
            call.check()
        item: _Item[T, R] = _Item(value, call)
        with self._cond:
            if self._closed:
                raise Unavailable("the server is shutting down")
            if call is not None and len(self._queue) >= self.max_queue:
                raise Overloaded(f"the {self.stage} queue is full ({self.max_queue} waiting)")
            self._queue.append(item)
            self._observer.queue_depth(self.stage, len(self._queue))
            self._cond.notify()
        while not item.done.wait(self._wait_slice(call)):
            if call is None:
                continue
            try:
                call.check()
            except (Cancelled, DeadlineExceeded, Unavailable):
                with self._cond:
                    # Still queued: leave the queue now. Already running: the result is dropped.
                    item.abandoned = True
                    if item in self._queue:
                        self._queue.remove(item)
                        self._observer.queue_depth(self.stage, len(self._queue))
                raise
        if item.error is not None:
            raise item.error
        return item.result  # type: ignore[return-value]

    @staticmethod
    def _wait_slice(call: Call | None) -> float:
        if call is None:
            return _POLL_SECONDS * 20
        remaining = call.remaining()
        if remaining is None:
            return _POLL_SECONDS
        return max(0.0, min(_POLL_SECONDS, remaining))

    def depth(self) -> int:
        with self._cond:
            return len(self._queue)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker; items still queued fail with ``Unavailable``."""
        with self._cond:
            self._closed = True
            pending = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()
        for item in pending:
            item.finish(error=Unavailable("the server is shutting down"))
        self._worker.join(timeout)

    # --- worker -------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            if batch:
                self._execute(batch)

    def _next_batch(self) -> list[_Item[T, R]] | None:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            # Wait for the batch to fill, but never keep the oldest item more than max_wait.
            flush_at = self._queue[0].enqueued + self.max_wait
            while len(self._queue) < self.max_batch_size and not self._closed:
                left = flush_at - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch: list[_Item[T, R]] = []
            while self._queue and len(batch) < self.max_batch_size:
                batch.append(self._queue.popleft())
            self._observer.queue_depth(self.stage, len(self._queue))
        now = time.monotonic()
        live = []
        for item in batch:
            try:
                if item.abandoned:
                    continue
                if item.call is not None:
                    item.call.check()
            except (Cancelled, DeadlineExceeded, Unavailable) as exc:
                # Expired, cancelled or given up while queued: never computed.
                item.finish(error=exc)
                continue
            self._observer.queued(self.stage, now - item.enqueued)
            live.append(item)
        if len(live) < len(batch):
            _LOGGER.debug(
                "%s: dropped %d expired or cancelled items", self.stage, len(batch) - len(live)
            )
        return live

    def _execute(self, batch: list[_Item[T, R]]) -> None:
        self._observer.batch(self.stage, len(batch))
        try:
            results = self._run([item.value for item in batch])
            if len(results) != len(batch):
                raise RuntimeError(
                    f"{self.stage} batch returned {len(results)} results for {len(batch)} items"
                )
        except Exception as exc:  # noqa: BLE001 - handed to each caller of the batch
            if _is_out_of_memory(exc) and len(batch) > 1:
                _LOGGER.warning(
                    "%s: out of memory on a batch of %d, splitting", self.stage, len(batch)
                )
                half = len(batch) // 2
                self._execute(batch[:half])
                self._execute(batch[half:])
                return
            for item in batch:
                item.finish(error=exc)
            return
        for item, result in zip(batch, results, strict=True):
            item.finish(result=result)


class BatchingEmbedder:
    """An ``Embedder`` whose ``encode`` calls from many threads run as one batched call.

    Each request's texts stay one item (so a batch holds at most ``max_batch_size``
    requests); the wrapped embedder sees all their texts at once and can sort them by
    length and fill its own mini-batches.
    """

    def __init__(
        self,
        inner: Embedder,
        *,
        max_batch_size: int,
        max_wait_ms: float,
        max_queue: int,
        observer: BatchObserver | None = None,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._batcher: MicroBatcher[Sequence[str], np.ndarray] = MicroBatcher(
            "embed",
            self._encode_many,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
            max_queue=max_queue,
            observer=observer,
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._batcher.submit(list(texts), current_call())

    def _encode_many(self, groups: list[Sequence[str]]) -> list[np.ndarray]:
        flat = [text for group in groups for text in group]
        vectors = self.inner.encode(flat)
        out, start = [], 0
        for group in groups:
            out.append(vectors[start : start + len(group)])
            start += len(group)
        return out

    def depth(self) -> int:
        return self._batcher.depth()

    def close(self) -> None:
        self._batcher.close()


class BatchFusion:
    """Runs ``fuse(contexts)`` (``Pipeline.fuse``) over contexts of concurrent requests."""

    def __init__(
        self,
        fuse: Callable[[Sequence[FusionContext]], list[FusionResult]],
        *,
        max_batch_size: int,
        max_wait_ms: float,
        max_queue: int,
        observer: BatchObserver | None = None,
    ) -> None:
        self._batcher: MicroBatcher[FusionContext, FusionResult] = MicroBatcher(
            "fuse",
            fuse,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
            max_queue=max_queue,
            observer=observer,
        )

    def fuse(self, ctx: FusionContext) -> FusionResult:
        return self._batcher.submit(ctx, current_call())

    def depth(self) -> int:
        return self._batcher.depth()

    def close(self) -> None:
        self._batcher.close()
