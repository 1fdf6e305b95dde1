"""The drain delivers every answer: a call is over when gRPC says so, not when its handler returns.

Issue 11 saw "Summarize OK" in the server log while the client got UNAVAILABLE ("Cancelling
all calls"): the drain counted a call done when its handler returned and cancelled what was
left while the answer was still on its way. Here the answer of a call is held between its
handler and the wire (a response serializer that waits), and the server is stopped meanwhile.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_support import channel_to, marked_request, running_server, wait_for
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc


class HeldAnswers:
    """A response serializer of ``Summarize`` that holds answers until released."""

    def __init__(self) -> None:
        self.held = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def serialize(self, response: pb.SummarizeResponse) -> bytes:
        with self._lock:
            self.held += 1
        self.release.wait(30)
        return response.SerializeToString()

    def register(self, servicer: pb_grpc.SummarizerServicer, server: grpc.Server) -> None:
        """``add_SummarizerServicer_to_server`` with this serializer for ``Summarize``."""
        handlers = {
            "Summarize": grpc.unary_unary_rpc_method_handler(
                servicer.Summarize,
                request_deserializer=pb.SummarizeRequest.FromString,
                response_serializer=self.serialize,
            ),
            "GetInfo": grpc.unary_unary_rpc_method_handler(
                servicer.GetInfo,
                request_deserializer=pb.GetInfoRequest.FromString,
                response_serializer=pb.GetInfoResponse.SerializeToString,
            ),
        }
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("newsfuse.v1.Summarizer", handlers),)
        )


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> HeldAnswers:
    answers = HeldAnswers()
    monkeypatch.setattr(pb_grpc, "add_SummarizerServicer_to_server", answers.register)
    return answers


def test_an_answer_on_its_way_when_the_drain_starts_is_delivered(held: HeldAnswers) -> None:
    with running_server() as server:
        stub = pb_grpc.SummarizerStub(channel_to(server))
        with ThreadPoolExecutor(4) as pool:
            futures = [
                pool.submit(stub.Summarize, marked_request(f"Agent{i}"), timeout=60)
                for i in range(4)
            ]
            # Every handler has returned (the calls are logged OK); the answers are held.
            wait_for(lambda: held.held == 4)
            assert server.metrics.running_handlers() == 0
            assert server.metrics.inflight_calls() == 4
            stopper = threading.Thread(target=server.stop, args=(10.0,))
            stopper.start()
            # The drain waits for gRPC to report the calls over; it never cancels them.
            stopper.join(0.5)
            assert stopper.is_alive()
            held.release.set()
            replies = [f.result() for f in futures]
            stopper.join(30)
        assert not stopper.is_alive()
        assert all(reply.sentences for reply in replies)
        assert server.metrics.inflight_calls() == 0
        # New calls after the drain began: refused with a retryable status.
        with pytest.raises(grpc.RpcError) as refused:
            stub.Summarize(marked_request("Late"), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_the_in_flight_gauge_counts_a_call_until_it_is_over(held: HeldAnswers) -> None:
    held.release.set()
    with running_server() as server:
        stub = pb_grpc.SummarizerStub(channel_to(server))
        held.release.clear()
        future = stub.Summarize.future(marked_request("Gauge"), timeout=60)
        wait_for(lambda: held.held == 1)
        gauge = server.metrics.registry.get_sample_value("newsfuse_inflight_requests")
        assert gauge == 1 and server.metrics.running_handlers() == 0
        held.release.set()
        assert future.result().sentences
        wait_for(lambda: server.metrics.inflight_calls() == 0)
        assert server.metrics.registry.get_sample_value("newsfuse_inflight_requests") == 0
