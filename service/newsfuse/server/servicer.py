"""``newsfuse.v1.Summarizer``: protobuf in → ``SummarizerService`` → protobuf out."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc

from newsfuse import wire
from newsfuse.api import ClusterRequest, ClusterResult
from newsfuse.batching import Call
from newsfuse.errors import InvalidInput
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server.metrics import Metrics
from newsfuse.server.status import rpc
from newsfuse.service import SummarizerService

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Summarizer"].full_name


class SummarizerServicer(pb_grpc.SummarizerServicer):
    """The gRPC face of a ``SummarizerService`` (``UNAVAILABLE`` until it is loaded)."""

    def __init__(self, service: SummarizerService, metrics: Metrics) -> None:
        self.service = service
        self.metrics = metrics

    @property
    def shutdown(self) -> threading.Event:
        """Set at the end of a drain: calls still running answer ``UNAVAILABLE``."""
        return self.service.shutdown

    @rpc("Summarize")
    def Summarize(
        self, request: pb.SummarizeRequest, context: grpc.ServicerContext, call: Call
    ) -> pb.SummarizeResponse:
        cluster = wire.cluster_from_proto(request, self.service.settings.max_words)
        return wire.summary_to_proto(self.service.summarize(cluster, call))

    @rpc("SummarizeBatch")
    def SummarizeBatch(
        self, request: pb.SummarizeBatchRequest, context: grpc.ServicerContext, call: Call
    ) -> Iterator[pb.SummarizeBatchResult]:
        call.counts["clusters"] = len(request.requests)
        default_max_words = self.service.settings.max_words

        def clusters() -> Iterator[ClusterRequest | ClusterResult]:
            for msg in request.requests:
                try:
                    yield wire.cluster_from_proto(msg, default_max_words)
                except InvalidInput as exc:  # this cluster's own fault: its result says so
                    yield ClusterResult(0, msg.cluster_id, error=exc)

        for result in self.service.summarize_many(clusters(), call=call):
            yield wire.result_to_proto(result, call.request_id)

    @rpc("GetInfo")
    def GetInfo(
        self, request: pb.GetInfoRequest, context: grpc.ServicerContext, call: Call
    ) -> pb.GetInfoResponse:
        return wire.info_to_proto(self.service.info())
