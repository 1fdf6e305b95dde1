"""Model work of the core: each request's stages in its thread, model calls batched across.

``prepare`` (ingest, embed, dedup, rank, select) runs in the request's thread; its
``embedder.encode`` asks the pipeline's embedding cache first (when it has one) and sends
only the misses through a ``BatchingEmbedder``, so concurrent requests share one model
call. Fusion of concurrent requests is batched by ``BatchFusion`` over ``Pipeline.fuse``.
The call's deadline and cancellation are checked between the stages and carried into both
batchers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from newsfuse.batching import BatchFusion, BatchingEmbedder, BatchObserver, Call, call_scope
from newsfuse.embed import CachingEmbedder, EmbeddingCache
from newsfuse.pipeline import Pipeline
from newsfuse.settings import Settings
from newsfuse.types import Document, Summary, SummaryOptions

_LOGGER = logging.getLogger(__name__)


class Engine:
    """Summarizes with a loaded ``Pipeline``, batching the model work of concurrent calls."""

    def __init__(
        self, loaded: Pipeline, settings: Settings, observer: BatchObserver | None = None
    ) -> None:
        batching = {
            "max_batch_size": settings.max_batch_size,
            "max_wait_ms": settings.max_wait_ms,
            "max_queue": settings.max_queue,
            "timeout": settings.batch_timeout_seconds,
            "observer": observer,
        }
        model = loaded.embedder
        cached = model if isinstance(model, CachingEmbedder) else None
        self.cache: EmbeddingCache | None = cached.cache if cached is not None else None
        # A request's sentences go to the model in chunks of one embedding mini-batch.
        self.embedder = BatchingEmbedder(
            cached.inner if cached is not None else model,
            chunk_size=settings.embed_batch_size,
            **batching,
        )
        # The cache in front of the batcher: only sentences it does not hold are queued.
        front = cached.with_inner(self.embedder) if cached is not None else self.embedder
        self.pipeline = Pipeline(settings, front, loaded.model_fuser, loaded.scorer)
        self.fusion = BatchFusion(self.pipeline.fuse, **batching)

    def warmup(self) -> None:
        started = time.perf_counter()
        self.pipeline.warmup()
        _LOGGER.info("warm-up done in %.2fs", time.perf_counter() - started)

    def summarize(
        self, documents: Sequence[Document], options: SummaryOptions, call: Call
    ) -> Summary:
        """Summarize one cluster for ``call``; raises the pipeline's and batchers' errors."""
        started = time.perf_counter()
        with call_scope(call):
            call.check()
            ctx = self.pipeline.prepare(documents, options)
            call.check()
            result = self.fusion.fuse(ctx)
        call.check()
        summary = self.pipeline.finish(ctx, result, time.perf_counter() - started)
        stats = summary.stats
        for key, value in (
            ("documents", stats.documents),
            ("sentences", stats.sentences_in),
            ("facts", stats.sentences_after_dedup),
            ("summary_sentences", len(summary.sentences)),
        ):
            call.counts[key] = int(call.counts.get(key, 0)) + value
        return summary

    @property
    def model(self) -> str:
        """Name of the seq2seq model, or ``""`` when only extractive fusion is available."""
        fuser = self.pipeline.model_fuser
        return fuser.name if fuser is not None else ""

    @property
    def device(self) -> str:
        return str(getattr(self.embedder.inner, "device", "cpu"))

    def close(self, timeout: float = 5.0) -> None:
        """Stop the batchers, waiting at most ``timeout`` for each model call in progress."""
        self.fusion.close(timeout)
        self.embedder.close(timeout)
