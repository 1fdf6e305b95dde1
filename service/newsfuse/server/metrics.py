"""Prometheus metrics of one server, in its own registry (several servers may share a process)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from newsfuse.embed import EmbeddingCache
from newsfuse.types import Summary

_LOGGER = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_QUEUE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
_RATIO_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


class Metrics:
    """The ``newsfuse_*`` metrics; also the batchers' ``BatchObserver``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "newsfuse_requests",
            "Finished RPCs by method and status code.",
            ("method", "code"),
            registry=r,
        )
        self.latency = Histogram(
            "newsfuse_request_seconds",
            "RPC latency by method.",
            ("method",),
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.inflight = Gauge(
            "newsfuse_inflight_requests",
            "Summarizer calls accepted and not over yet, their answer sent or not (gRPC RPCs and "
            "HTTP /v1 requests).",
            registry=r,
        )
        self.http_requests = Counter(
            "newsfuse_http_requests",
            "Finished HTTP requests by route and status code.",
            ("route", "status"),
            registry=r,
        )
        self.http_latency = Histogram(
            "newsfuse_http_request_seconds",
            "HTTP request latency by route (a streamed batch: until its last line).",
            ("route",),
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_time = Histogram(
            "newsfuse_queue_seconds",
            "Time an item waited for its batch, by stage.",
            ("stage",),
            buckets=_QUEUE_BUCKETS,
            registry=r,
        )
        self.depth = Gauge(
            "newsfuse_queue_depth", "Items waiting for a batch, by stage.", ("stage",), registry=r
        )
        self.batch_size = Histogram(
            "newsfuse_batch_size",
            "Items (requests) per model batch, by stage.",
            ("stage",),
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.documents = Counter("newsfuse_documents", "Documents summarized.", registry=r)
        self.sentences = Counter(
            "newsfuse_sentences", "Source sentences processed, before dedup.", registry=r
        )
        self.sentences_unique = Counter(
            "newsfuse_sentences_after_dedup", "Source sentences left after dedup.", registry=r
        )
        self.dedup_ratio = Histogram(
            "newsfuse_dedup_ratio",
            "Per request: sentences after dedup / sentences in.",
            buckets=_RATIO_BUCKETS,
            registry=r,
        )
        self.stalled_calls = Gauge(
            "newsfuse_stalled_model_calls",
            "Model calls that overran the batch timeout and have not returned, by stage.",
            ("stage",),
            registry=r,
        )
        self.ready = Gauge(
            "newsfuse_ready",
            "1 once the models are loaded and warmed up, 0 while draining.",
            registry=r,
        )
        self._http = None
        # Tickets (numbered in order of arrival) of the calls not over / whose handler runs.
        self._tickets = 0
        self._open: set[int] = set()
        self._running: set[int] = set()
        self._last_event = time.monotonic()
        self._lock = threading.Lock()

    # --- BatchObserver ------------------------------------------------------------------
    def queue_depth(self, stage: str, depth: int) -> None:
        self.depth.labels(stage).set(depth)

    def queued(self, stage: str, seconds: float) -> None:
        self.queue_time.labels(stage).observe(seconds)

    def batch(self, stage: str, size: int) -> None:
        self.batch_size.labels(stage).observe(size)

    def stalled(self, stage: str, count: int) -> None:
        self.stalled_calls.labels(stage).set(count)

    # --- requests -----------------------------------------------------------------------
    def started(self) -> int:
        """A Summarizer call was accepted and its handler runs: the call's ticket."""
        with self._lock:
            self._tickets += 1
            self._last_event = time.monotonic()
            self._open.add(self._tickets)
            self._running.add(self._tickets)
            ticket = self._tickets
        self.inflight.inc()
        return ticket

    def finished(self, method: str, code: str, seconds: float, ticket: int) -> None:
        """The call's handler returned with ``code``; gRPC still has to send the answer."""
        with self._lock:
            self._running.discard(ticket)
        self.requests.labels(method, code).inc()
        self.latency.labels(method).observe(seconds)

    def http_finished(
        self, route: str, status: int, seconds: float, *, counted: bool, ticket: int = 0
    ) -> None:
        """An HTTP request is answered; ``counted``: it was counted by ``started`` (``ticket``)."""
        if counted:
            with self._lock:
                self._running.discard(ticket)
            self.ended(ticket)
        self.http_requests.labels(route, str(status)).inc()
        self.http_latency.labels(route).observe(seconds)

    def ended(self, ticket: int) -> None:
        """gRPC reports the call over: its status was sent, or the call was cancelled."""
        with self._lock:
            if ticket not in self._open:
                return
            self._open.discard(ticket)
            self._last_event = time.monotonic()
        self.inflight.dec()

    def idle_for(self) -> float:
        """Seconds without a Summarizer call in flight and without a new one (0 while busy)."""
        with self._lock:
            return 0.0 if self._open else time.monotonic() - self._last_event

    def last_ticket(self) -> int:
        """The ticket of the latest call accepted so far (0: none)."""
        with self._lock:
            return self._tickets

    def inflight_calls(self) -> int:
        """Summarizer calls accepted and not over yet (``ended`` not reported)."""
        with self._lock:
            return len(self._open)

    def open_calls(self, up_to: int) -> int:
        """Calls not over yet among those with a ticket up to ``up_to``."""
        with self._lock:
            return sum(1 for ticket in self._open if ticket <= up_to)

    def running_handlers(self, up_to: int | None = None) -> int:
        """Calls whose handler has not returned yet (with a ticket up to ``up_to``)."""
        with self._lock:
            return sum(1 for ticket in self._running if up_to is None or ticket <= up_to)

    def summarized(self, summary: Summary) -> None:
        stats = summary.stats
        self.documents.inc(stats.documents)
        self.sentences.inc(stats.sentences_in)
        self.sentences_unique.inc(stats.sentences_after_dedup)
        if stats.sentences_in:
            self.dedup_ratio.observe(stats.sentences_after_dedup / stats.sentences_in)

    def watch_cache(self, cache: EmbeddingCache) -> None:
        """Export the embedding cache's counters, read from the cache at each scrape."""
        self.registry.register(_CacheCollector(cache))

    # --- exposition ---------------------------------------------------------------------
    def serve(self, host: str, port: int) -> int:
        """Serve ``/metrics`` over HTTP in a background thread; return the bound port."""
        with self._lock:
            server, _thread = start_http_server(port, addr=host, registry=self.registry)
            self._http = server
        bound = int(server.server_port)
        _LOGGER.info("metrics on http://%s:%d/metrics", host, bound)
        return bound

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.shutdown()
                self._http.server_close()
                self._http = None


class _CacheCollector(Collector):
    """``newsfuse_embedding_cache_*``: the cache keeps its own counters; this reads them."""

    def __init__(self, cache: EmbeddingCache) -> None:
        self._cache = cache

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        stats = self._cache.stats()
        yield CounterMetricFamily(
            "newsfuse_embedding_cache_hits",
            "Sentence embeddings served from the cache.",
            value=stats.hits,
        )
        yield CounterMetricFamily(
            "newsfuse_embedding_cache_misses",
            "Sentence embeddings the cache did not hold (computed by the model).",
            value=stats.misses,
        )
        yield GaugeMetricFamily(
            "newsfuse_embedding_cache_entries", "Sentences in the cache.", value=stats.entries
        )
        yield GaugeMetricFamily(
            "newsfuse_embedding_cache_bytes", "Bytes the cache holds.", value=stats.bytes
        )
        yield GaugeMetricFamily(
            "newsfuse_embedding_cache_capacity_bytes",
            "Most bytes the cache may hold.",
            value=stats.capacity_bytes,
        )
