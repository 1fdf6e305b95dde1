"""Micro-batching of model work across concurrent requests.

Request threads submit items (sentences to embed, contexts to fuse) to a ``MicroBatcher``;
one worker thread takes whatever is queued, waits at most ``max_wait`` for the batch to fill,
drops items whose caller's deadline passed or who went away, and runs the rest as one
batched call. The queue is bounded: when it is full ``submit`` raises ``Overloaded`` at once.

Faults stay inside their batch: a batch that raises is split to find the items that fail on
their own (the others are served); an out-of-memory batch is split in halves and retried; a
batch that runs longer than ``timeout`` fails with ``ModelTimeout`` and a fresh worker takes
over the queue, so one stuck model call never stalls the server.

The caller's deadline and cancellation travel with each item as a ``Call`` taken from a
context variable, so code that knows nothing about gRPC (``Pipeline.prepare`` calling
``embedder.encode``) still carries them.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
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


class ModelTimeout(DeadlineExceeded):
    """A model batch ran longer than the batcher's timeout (the model, not the caller, is slow)."""


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

    def stalled(self, stage: str, count: int) -> None:
        """``count`` model calls that overran the timeout are still running."""


class _NullObserver:
    def queue_depth(self, stage: str, depth: int) -> None:
        pass

    def queued(self, stage: str, seconds: float) -> None:
        pass

    def batch(self, stage: str, size: int) -> None:
        pass

    def stalled(self, stage: str, count: int) -> None:
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
        with _FINISH_LOCK:
            if self.done.is_set():
                return  # already failed by a timeout: a late result is dropped
            self.result, self.error = result, error
            self.done.set()


_FINISH_LOCK = threading.Lock()


@dataclass(slots=True)
class _Running:
    """The batch a worker is running, so a watchdog can give up on it."""

    items: list[_Item]
    started: float


def _is_out_of_memory(exc: BaseException) -> bool:
    # torch.OutOfMemoryError (CUDA) without importing torch here.
    return type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower()


def _free_accelerator_memory() -> None:
    """Return cached CUDA blocks before a retry (torch only if the model already loaded it)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


class MicroBatcher(Generic[T, R]):
    """Groups items submitted from many threads into batched calls of ``run``.

    ``run`` receives a list of values and must return one result per value, in order.
    When ``run`` raises on a batch of several items, the batch is split in halves and each
    half is run again, so items that fail only together with others are served and the
    exception reaches only the items that fail on their own (when both halves fail the error
    is taken as systematic and every item gets it, without further splitting). After an
    out-of-memory error the halves are always retried; one item alone out of memory fails
    with ``Overloaded``. A batch still running after ``timeout`` seconds (0: no limit)
    fails with ``ModelTimeout`` and a new worker serves the queue; the stuck call's
    results are dropped whenever it returns.
    """

    def __init__(
        self,
        stage: str,
        run: Callable[[list[T]], Sequence[R]],
        *,
        max_batch_size: int,
        max_wait_ms: float,
        max_queue: int,
        timeout: float = 0.0,
        observer: BatchObserver | None = None,
    ) -> None:
        self.stage = stage
        self._run = run
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000.0
        self.max_queue = max_queue
        self.timeout = timeout
        self._observer = observer or _NullObserver()
        self._queue: deque[_Item[T, R]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._generation = 0
        self._running: _Running | None = None
        self._stalled = 0
        self._worker = self._start_worker()

    def _start_worker(self) -> threading.Thread:
        """A new worker; the previous one (if stuck in a model call) retires when it returns."""
        self._generation += 1
        worker = threading.Thread(
            target=self._loop,
            name=f"batcher-{self.stage}-{self._generation}",
            daemon=True,
        )
        worker.start()
        return worker

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

    def stalled(self) -> int:
        """Model calls given up on after the timeout that have not returned yet."""
        with self._cond:
            return self._stalled

    # --- worker -------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            if not batch:
                continue
            running = _Running(batch, time.monotonic())
            with self._cond:
                self._running = running
            watchdog = None
            if self.timeout > 0:
                watchdog = threading.Timer(self.timeout, self._give_up, (running,))
                watchdog.daemon = True
                watchdog.start()
            try:
                self._execute(batch)
            except BaseException as exc:  # noqa: BLE001 - a batch must never hang its callers
                _LOGGER.error("%s: batch failed outside the model call", self.stage, exc_info=exc)
                failure = RuntimeError(f"the {self.stage} batch failed: {type(exc).__name__}")
                for item in batch:
                    item.finish(error=failure)
            finally:
                if watchdog is not None:
                    watchdog.cancel()
            with self._cond:
                if self._running is running:
                    self._running = None
                    continue
                # Given up on by the watchdog: a new worker owns the queue now.
                self._stalled -= 1
                self._observer.stalled(self.stage, self._stalled)
            _LOGGER.warning(
                "%s: a model call given up on returned after %.1fs; its worker retires",
                self.stage,
                time.monotonic() - running.started,
            )
            return

    def _give_up(self, running: _Running) -> None:
        """Watchdog: fail a batch that overran the timeout and start a new worker."""
        with self._cond:
            if self._running is not running or self._closed:
                return
            self._running = None
            self._stalled += 1
            self._observer.stalled(self.stage, self._stalled)
            self._worker = self._start_worker()
            stalled = self._stalled
        _LOGGER.error(
            "%s: a batch of %d ran longer than %.1fs: its requests fail, a new worker takes "
            "the queue (%d model calls stuck)",
            self.stage,
            len(running.items),
            self.timeout,
            stalled,
        )
        error = ModelTimeout(f"the {self.stage} model did not finish within {self.timeout:g}s")
        for item in running.items:
            item.finish(error=error)

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

    def _attempt(self, batch: list[_Item[T, R]]) -> Exception | None:
        """Run one batch; hand out its results, or return what it raised."""
        self._observer.batch(self.stage, len(batch))
        try:
            results = self._run([item.value for item in batch])
            if len(results) != len(batch):
                raise RuntimeError(
                    f"{self.stage} batch returned {len(results)} results for {len(batch)} items"
                )
        except Exception as exc:  # noqa: BLE001 - handed to the callers of the batch
            return exc
        for item, result in zip(batch, results, strict=True):
            item.finish(result=result)
        return None

    def _execute(self, batch: list[_Item[T, R]]) -> None:
        if all(item.done.is_set() for item in batch):
            return  # given up on by the watchdog meanwhile
        error = self._attempt(batch)
        if error is not None:
            self._recover(batch, error)

    def _recover(self, batch: list[_Item[T, R]], error: Exception) -> None:
        """After ``batch`` raised ``error``: split and retry, or fail its items."""
        if _is_out_of_memory(error):
            _free_accelerator_memory()
            if len(batch) == 1:
                _LOGGER.warning("%s: out of memory on a single request", self.stage)
                batch[0].finish(
                    error=Overloaded(f"the {self.stage} model ran out of memory on this request")
                )
                return
            _LOGGER.warning("%s: out of memory on a batch of %d, splitting", self.stage, len(batch))
            half = len(batch) // 2
            self._execute(batch[:half])
            self._execute(batch[half:])
            return
        if len(batch) == 1:
            batch[0].finish(error=error)
            return
        # Find the items that fail on their own; the others must not pay for them.
        _LOGGER.warning(
            "%s: a batch of %d failed (%s), retrying its halves",
            self.stage,
            len(batch),
            type(error).__name__,
        )
        half = len(batch) // 2
        failed = []
        for part in (batch[:half], batch[half:]):
            part_error = self._attempt(part)
            if part_error is not None:
                failed.append((part, part_error))
        if len(failed) == 2:
            # Both halves fail: systematic (a broken model), not one bad request.
            for part, part_error in failed:
                for item in part:
                    item.finish(error=part_error)
        elif failed:
            self._recover(*failed[0])


def _unique(texts: Sequence[str]) -> tuple[list[str], list[int] | None]:
    """Distinct texts in first-seen order, and each text's row among them (None: all distinct)."""
    rows: dict[str, int] = {}
    index = [rows.setdefault(text, len(rows)) for text in texts]
    if len(rows) == len(index):
        return list(texts), None
    return list(rows), index


class BatchingEmbedder:
    """An ``Embedder`` whose ``encode`` calls from many threads run as one batched call.

    A request's distinct texts go to the batcher in chunks of at most ``chunk_size``, one
    chunk after the other: a batch holds at most ``max_batch_size`` chunks, so a huge
    request shares the model fairly with small ones (it never holds the model for minutes)
    and stops at the next chunk when its caller goes away. Identical texts (syndicated
    copies, repeated lines) are embedded once, within a request and across a batch.
    """

    def __init__(
        self,
        inner: Embedder,
        *,
        max_batch_size: int,
        max_wait_ms: float,
        max_queue: int,
        chunk_size: int = 64,
        timeout: float = 0.0,
        observer: BatchObserver | None = None,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.chunk_size = chunk_size
        self._batcher: MicroBatcher[Sequence[str], np.ndarray] = MicroBatcher(
            "embed",
            self._encode_many,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
            max_queue=max_queue,
            timeout=timeout,
            observer=observer,
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        distinct, index = _unique(texts)
        call = current_call()
        parts = [
            self._batcher.submit(distinct[lo : lo + self.chunk_size], call)
            for lo in range(0, len(distinct), self.chunk_size)
        ]
        vectors = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return vectors if index is None else vectors[index]

    def _encode_many(self, groups: list[Sequence[str]]) -> list[np.ndarray]:
        distinct, index = _unique([text for group in groups for text in group])
        vectors = self.inner.encode(distinct)
        if index is not None:
            vectors = vectors[index]
        out, start = [], 0
        for group in groups:
            out.append(vectors[start : start + len(group)])
            start += len(group)
        return out

    def stalled(self) -> int:
        return self._batcher.stalled()

    def depth(self) -> int:
        return self._batcher.depth()

    def close(self, timeout: float = 5.0) -> None:
        self._batcher.close(timeout)


class BatchFusion:
    """Runs ``fuse(contexts)`` (``Pipeline.fuse``) over contexts of concurrent requests."""

    def __init__(
        self,
        fuse: Callable[[Sequence[FusionContext]], list[FusionResult]],
        *,
        max_batch_size: int,
        max_wait_ms: float,
        max_queue: int,
        timeout: float = 0.0,
        observer: BatchObserver | None = None,
    ) -> None:
        self._batcher: MicroBatcher[FusionContext, FusionResult] = MicroBatcher(
            "fuse",
            fuse,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
            max_queue=max_queue,
            timeout=timeout,
            observer=observer,
        )

    def fuse(self, ctx: FusionContext) -> FusionResult:
        return self._batcher.submit(ctx, current_call())

    def stalled(self) -> int:
        return self._batcher.stalled()

    def depth(self) -> int:
        return self._batcher.depth()

    def close(self, timeout: float = 5.0) -> None:
        self._batcher.close(timeout)
