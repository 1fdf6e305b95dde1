"""``newsfuse.v1.Summarizer``: protobuf in → ``Engine`` → protobuf out."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait

import grpc

from newsfuse import __version__
from newsfuse.errors import Cancelled, DeadlineExceeded, Unavailable
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server import convert
from newsfuse.server.batcher import Call, ModelTimeout
from newsfuse.server.engine import Engine
from newsfuse.server.metrics import Metrics
from newsfuse.server.status import rpc, to_status
from newsfuse.settings import Settings

_LOGGER = logging.getLogger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Summarizer"].full_name


class SummarizerServicer(pb_grpc.SummarizerServicer):
    """Answers ``UNAVAILABLE`` until ``attach`` gives it a warmed-up engine."""

    def __init__(self, settings: Settings, metrics: Metrics, executor: Executor) -> None:
        self.settings = settings
        self.metrics = metrics
        self._executor = executor
        self._engine: Engine | None = None
        # Set when a drain starts: new calls answer UNAVAILABLE, calls in flight go on.
        self.draining = threading.Event()
        # Set at the end of a drain: calls still running answer UNAVAILABLE.
        self.shutdown = threading.Event()

    def attach(self, engine: Engine) -> None:
        self._engine = engine

    def _ready(self) -> Engine:
        if self.draining.is_set():
            raise Unavailable("the server is draining: retry on another replica")
        if self._engine is None:
            raise Unavailable("the models are still loading")
        return self._engine

    @rpc("Summarize")
    def Summarize(
        self, request: pb.SummarizeRequest, context: grpc.ServicerContext, call: Call
    ) -> pb.SummarizeResponse:
        engine = self._ready()
        documents, options = convert.request_from_proto(request, self.settings.max_words)
        summary = engine.summarize(documents, options, call)
        self.metrics.summarized(summary)
        return convert.summary_to_proto(summary)

    @rpc("SummarizeBatch")
    def SummarizeBatch(
        self, request: pb.SummarizeBatchRequest, context: grpc.ServicerContext, call: Call
    ) -> Iterator[pb.SummarizeBatchResult]:
        engine = self._ready()
        call.counts["clusters"] = len(request.requests)
        todo = iter(enumerate(request.requests))
        running: set[Future[pb.SummarizeBatchResult]] = set()

        def start_next() -> None:
            for index, cluster in todo:
                running.add(self._executor.submit(self._one, engine, index, cluster, call))
                return

        # A window of clusters in flight: enough to fill a model batch, never the whole list.
        for _ in range(self.settings.max_batch_size):
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

    def _one(
        self, engine: Engine, index: int, cluster: pb.SummarizeRequest, call: Call
    ) -> pb.SummarizeBatchResult:
        result = pb.SummarizeBatchResult(index=index, cluster_id=cluster.cluster_id)
        try:
            documents, options = convert.request_from_proto(cluster, self.settings.max_words)
            summary = engine.summarize(documents, options, call)
        except Exception as exc:  # noqa: BLE001 - one cluster's failure is reported in its result
            if isinstance(exc, DeadlineExceeded | Cancelled) and not isinstance(exc, ModelTimeout):
                raise  # the call's own deadline or cancellation: the whole call stops
            status = to_status(exc, f"{call.request_id}/{index}")
            result.error.code = status.code.value[0]
            result.error.message = status.message
            result.error.field = status.field
            return result
        self.metrics.summarized(summary)
        result.response.CopyFrom(convert.summary_to_proto(summary))
        return result

    @rpc("GetInfo")
    def GetInfo(
        self, request: pb.GetInfoRequest, context: grpc.ServicerContext, call: Call
    ) -> pb.GetInfoResponse:
        engine = self._ready()
        s = self.settings
        info = convert.ServerInfo(
            version=__version__,
            model=engine.model,
            embedding_model=engine.embedder.name,
            device=engine.device,
            modes=("auto", "extractive", "abstractive") if engine.model else ("auto", "extractive"),
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
        return convert.info_to_proto(info)
