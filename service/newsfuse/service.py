"""The transport-neutral core: one ``SummarizerService`` shared by gRPC, HTTP, the CLI and batch.

Like kserve's ``DataPlane``, shared by its gRPC and REST servers: a transport turns its
messages into ``ClusterRequest`` and back, maps errors through ``errors.ERROR_TABLE``, and
holds no logic of its own. The service owns the models (loaded once, warmed up), the
cross-request batchers (``engine.Engine``), the scheduling of many clusters (a bounded window
in flight, each result handed out as it finishes), the description of itself (``info``) and
its life cycle (``LOADING`` → ``SERVING`` → ``DRAINING`` → ``STOPPED``, or ``FAILED``), which
health checks follow through ``subscribe``.

    with SummarizerService(Settings.from_env()).load() as service:
        summary = service.summarize(ClusterRequest(tuple(documents)))
        for result in service.summarize_many(requests, window=32):
            ...
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Protocol

from newsfuse import __version__
from newsfuse.api import ClusterRequest, ClusterResult, ServiceInfo, ServiceState
from newsfuse.batching import BatchObserver, Call, ModelTimeout
from newsfuse.embed import EmbeddingCache
from newsfuse.engine import Engine
from newsfuse.errors import Cancelled, DeadlineExceeded, Internal, NewsfuseError, Unavailable
from newsfuse.modeling import no_progress_bars
from newsfuse.pipeline import Pipeline
from newsfuse.settings import Settings
from newsfuse.types import MODES, Summary, SummaryOptions

__all__ = [
    "ClusterRequest",
    "ClusterResult",
    "PipelineFactory",
    "ServiceInfo",
    "ServiceObserver",
    "ServiceState",
    "SummarizerService",
]

_LOGGER = logging.getLogger(__name__)

PipelineFactory = Callable[[Settings], Pipeline]
StateListener = Callable[[ServiceState], None]


class ServiceObserver(BatchObserver, Protocol):
    """Receives the service's measurements (implemented by ``server.metrics.Metrics``)."""

    def summarized(self, summary: Summary) -> None: ...

    def watch_cache(self, cache: EmbeddingCache) -> None:
        """Export the counters of the pipeline's embedding cache."""


class SummarizerService:
    """Summarizes clusters with models loaded once; thread-safe, one per process (or test)."""

    def __init__(
        self,
        settings: Settings,
        pipeline_factory: PipelineFactory | None = None,
        *,
        observer: ServiceObserver | None = None,
        warmup: bool = True,
    ) -> None:
        """Nothing is loaded yet: call ``load`` (blocking) or ``start_loading``.

        Args:
            pipeline_factory: builds the loaded ``Pipeline`` (default ``Pipeline.load``).
            observer: metrics of the batchers and of each summary.
            warmup: run one small request through the models before turning ``SERVING``.
        """
        self.settings = settings
        self._factory = pipeline_factory or Pipeline.load
        self._observer = observer
        self._warmup = warmup
        self._engine: Engine | None = None
        self._state = ServiceState.LOADING
        self._load_error: BaseException | None = None
        self._loaded = threading.Event()
        # Held while the state changes and its listeners run, so they see changes in order.
        self._lock = threading.RLock()
        self._listeners: list[StateListener] = []
        self._executor = ThreadPoolExecutor(settings.workers, thread_name_prefix="cluster")
        self.shutdown = threading.Event()
        """Set by ``abandon_calls``: calls still running stop with ``Unavailable``."""

    # --- life cycle ---------------------------------------------------------------------
    def load(self) -> SummarizerService:
        """Load (and warm up) the models; ``SERVING`` afterwards, ``FAILED`` and raise on error."""
        started = time.perf_counter()
        try:
            with no_progress_bars():  # every model the factory loads, the support model's too
                pipeline = self._factory(self.settings)
            engine = Engine(pipeline, self.settings, self._observer)
            if self._warmup:
                engine.warmup()
        except BaseException as exc:
            with self._lock:
                self._load_error = exc
                self._set_state(ServiceState.FAILED, only_from=(ServiceState.LOADING,))
            self._loaded.set()
            raise
        if engine.cache is not None and self._observer is not None:
            self._observer.watch_cache(engine.cache)
        with self._lock:
            self._engine = engine
            serving = self._set_state(ServiceState.SERVING, only_from=(ServiceState.LOADING,))
        self._loaded.set()
        if serving:
            _LOGGER.info("models ready in %.2fs", time.perf_counter() - started)
        return self

    def start_loading(self) -> threading.Thread:
        """``load`` in a background thread (a server opens its ports meanwhile)."""

        def run() -> None:
            try:
                self.load()
            except BaseException as exc:  # noqa: BLE001 - reported by state and wait_ready
                _LOGGER.error("loading the models failed", exc_info=exc)

        thread = threading.Thread(target=run, name="model-loader", daemon=True)
        thread.start()
        return thread

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait for loading to end; True when ``SERVING``. Raises when loading failed."""
        if not self._loaded.wait(timeout):
            return False
        if self._load_error is not None:
            raise RuntimeError("loading the models failed") from self._load_error
        return self.state is ServiceState.SERVING

    @property
    def state(self) -> ServiceState:
        with self._lock:
            return self._state

    def ready(self) -> bool:
        """Serving requests: models loaded and warmed up, not draining (readiness probes)."""
        return self.state is ServiceState.SERVING

    def live(self) -> bool:
        """Not broken: loading, serving or draining (liveness probes)."""
        return self.state is not ServiceState.FAILED

    @property
    def load_error(self) -> BaseException | None:
        """Why loading failed, once it has."""
        return self._load_error

    def subscribe(self, listener: StateListener) -> None:
        """Call ``listener(state)`` now and on every change of state (keep it quick)."""
        with self._lock:
            self._listeners.append(listener)
            listener(self._state)

    def _set_state(
        self, state: ServiceState, only_from: tuple[ServiceState, ...] | None = None
    ) -> bool:
        with self._lock:
            if only_from is not None and self._state not in only_from:
                return False
            if self._state is state:
                return True
            self._state = state
            for listener in self._listeners:
                listener(state)
            return True

    def drain(self) -> None:
        """Stop being ready (health ``NOT_SERVING``): new calls get ``Unavailable``, calls
        already in (the clusters of a ``summarize_many`` too) go on."""
        self._set_state(
            ServiceState.DRAINING, only_from=(ServiceState.LOADING, ServiceState.SERVING)
        )

    def abandon_calls(self) -> None:
        """Make calls still running stop at their next check with ``Unavailable``."""
        self.shutdown.set()

    def close(self, timeout: float = 0.5) -> None:
        """Stop the batchers (waiting at most ``timeout`` for a model call) and the workers."""
        self._set_state(ServiceState.STOPPED, only_from=tuple(ServiceState))
        with self._lock:
            engine = self._engine
        if engine is not None:
            engine.close(timeout)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> SummarizerService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine | None:
        """The loaded engine (its batchers), or None while loading."""
        with self._lock:
            return self._engine

    def _serving_engine(self) -> Engine:
        with self._lock:
            engine, state = self._engine, self._state
        if state is ServiceState.SERVING and engine is not None:
            return engine
        if state is ServiceState.LOADING:
            raise Unavailable("the models are still loading")
        if state is ServiceState.DRAINING:
            raise Unavailable("the server is draining: retry on another replica")
        if state is ServiceState.FAILED:
            raise Unavailable("the models failed to load")
        raise Unavailable("the service has stopped")

    # --- work ---------------------------------------------------------------------------
    def new_call(self, request_id: str | None = None, timeout: float | None = None) -> Call:
        """A ``Call`` for in-process callers: a request id for the logs, an optional deadline."""
        deadline = None if timeout is None else time.monotonic() + timeout
        return Call(request_id or uuid.uuid4().hex[:16], deadline, shutdown=self.shutdown)

    def default_options(self) -> SummaryOptions:
        """Options of a request that gives none."""
        return SummaryOptions(max_words=self.settings.max_words)

    def summarize(self, request: ClusterRequest, call: Call | None = None) -> Summary:
        """Summarize one cluster.

        Raises the domain errors of ``errors.ERROR_TABLE``; anything unexpected is logged with
        its trace and raised as ``Internal`` carrying the request id.
        """
        engine = self._serving_engine()
        call = call or self.new_call()
        return self._summarize(engine, request, call, call.request_id)

    def _summarize(
        self, engine: Engine, request: ClusterRequest, call: Call, label: str
    ) -> Summary:
        options = request.options or self.default_options()
        try:
            summary = engine.summarize(request.documents, options, call)
        except NewsfuseError:
            raise
        except Exception as exc:
            _LOGGER.error("request %s: unexpected error", label, exc_info=exc)
            raise Internal(f"internal error (request id {label})") from None
        if self._observer is not None:
            self._observer.summarized(summary)
        return summary

    def summarize_many(
        self,
        requests: Iterable[ClusterRequest | ClusterResult],
        *,
        call: Call | None = None,
        window: int | None = None,
    ) -> Iterator[ClusterResult]:
        """Summarize many clusters, yielding each result as it finishes (not in input order).

        At most ``window`` clusters (default ``Settings.max_batch_size``) are in flight, so
        ``requests`` may be a lazy, unbounded iterable; their model work is batched together.
        A cluster that fails yields a result with its ``error``; the others go on. An item that
        already is a ``ClusterResult`` (a cluster that failed before it reached the service,
        such as a malformed line) is passed through among the results, with its ``index`` set.
        The whole iteration stops only for the call itself: its deadline, cancellation, or
        the service shutting down before the first cluster.
        """
        engine = self._serving_engine()
        owned = call is None
        call = call or self.new_call()
        window = max(1, window or self.settings.max_batch_size)
        todo = enumerate(requests)
        running: set[Future[ClusterResult]] = set()

        def start_next() -> None:
            for index, item in todo:
                if isinstance(item, ClusterResult):
                    future: Future[ClusterResult] = Future()
                    future.set_result(dataclasses.replace(item, index=index))
                else:
                    future = self._executor.submit(self._one, engine, index, item, call)
                running.add(future)
                return

        for _ in range(window):
            start_next()
        try:
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    running.discard(future)
                    yield future.result()
                    start_next()
        finally:
            for future in running:
                future.cancel()
            if owned and running:
                call.cancelled.set()  # the caller stopped early: clusters still running stop

    def _one(
        self, engine: Engine, index: int, request: ClusterRequest, call: Call
    ) -> ClusterResult:
        try:
            summary = self._summarize(engine, request, call, f"{call.request_id}/{index}")
        except (DeadlineExceeded, Cancelled) as exc:
            if not isinstance(exc, ModelTimeout):
                raise  # the call's own deadline or cancellation: the whole call stops
            return ClusterResult(index, request.id, error=exc)
        except NewsfuseError as exc:
            return ClusterResult(index, request.id, error=exc)
        return ClusterResult(index, request.id, summary=summary)

    def info(self) -> ServiceInfo:
        """Version, models, modes, limits and batching of this service."""
        engine = self._serving_engine()
        s = self.settings
        model = engine.model
        return ServiceInfo(
            version=__version__,
            model=model,
            embedding_model=engine.embedder.name,
            device=engine.device,
            modes=MODES if model else tuple(m for m in MODES if m != "abstractive"),
            default_max_words=s.max_words,
            limits={
                "max_documents": s.max_documents,
                "max_document_chars": s.max_document_chars,
                "max_request_chars": s.max_request_chars,
                "max_sentences_per_request": s.max_sentences_per_request,
                "max_receive_bytes": s.max_receive_mb * 1024 * 1024,
            },
            batching={
                "max_batch_size": s.max_batch_size,
                "max_wait_ms": s.max_wait_ms,
                "max_queue": s.max_queue,
            },
        )
