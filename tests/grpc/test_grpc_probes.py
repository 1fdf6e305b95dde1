"""Readiness and liveness health names, as orchestrator probes ask them (Kubernetes, Envoy).

A real server on 127.0.0.1, new ``Check`` calls on a fresh channel each time (as a kubelet's
gRPC probe does): before the models are ready, while serving, and while a drain is held open
by a call in flight.
"""

from __future__ import annotations

import threading

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_support import GatedEmbedder, marked_request, metric, running_server, wait_for
from newsfuse.pipeline import Pipeline
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server.app import (
    LIVENESS_SERVICE_NAME,
    READINESS_SERVICE_NAMES,
    NewsfuseServer,
)
from newsfuse.server.servicer import SERVICE_NAME
from newsfuse.settings import Settings

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
NAMES = (*READINESS_SERVICE_NAMES, LIVENESS_SERVICE_NAME)


def probe(server: NewsfuseServer) -> dict[str, str]:
    """Each health name's status as a new connection sees it (or the call's error code)."""
    seen = {}
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in NAMES:
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            except grpc.RpcError as exc:
                seen[name] = exc.code().name
            else:
                seen[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return seen


def expect(readiness: str, liveness: str) -> dict[str, str]:
    return {**dict.fromkeys(READINESS_SERVICE_NAMES, readiness), LIVENESS_SERVICE_NAME: liveness}


def test_readiness_is_the_whole_server_and_the_summarizer_liveness_a_name_of_its_own() -> None:
    assert READINESS_SERVICE_NAMES == ("", "newsfuse.v1.Summarizer") == ("", SERVICE_NAME)
    assert LIVENESS_SERVICE_NAME == "newsfuse.liveness"


def test_liveness_serves_while_loading_and_draining_readiness_only_when_taking_calls() -> None:
    embedder = GatedEmbedder()
    loaded = threading.Event()

    def slow_load(settings: Settings) -> Pipeline:
        loaded.wait(30)
        return Pipeline(settings, embedder)

    with running_server(factory=slow_load, wait=False, grace_seconds=30.0) as server:
        # loading: alive, not ready
        assert probe(server) == expect("NOT_SERVING", "SERVING")
        loaded.set()
        assert server.wait_ready(30)
        assert probe(server) == expect("SERVING", "SERVING")

        # a call in flight holds the drain open
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = pb_grpc.SummarizerStub(channel)
            embedder.gate.clear()
            running = stub.Summarize.future(marked_request("InFlight"), timeout=60)
            wait_for(lambda: embedder.waiting == 1)
            stopper = threading.Thread(target=server.stop)
            stopper.start()
            wait_for(lambda: metric(server, "newsfuse_ready") == 0)  # the drain has begun
            assert probe(server) == expect("NOT_SERVING", "SERVING")
            # new calls are refused (retryable) while the one in flight goes on
            with pytest.raises(grpc.RpcError) as refused:
                stub.Summarize(marked_request("Late"), timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "draining" in (refused.value.details() or "")
            assert stopper.is_alive()
            embedder.gate.set()
            assert running.result().sentences
            stopper.join(30)
            assert not stopper.is_alive()
        assert not embedder.encoded("Late")
        # drained: the port is closed, every probe fails
        assert set(probe(server).values()) == {"UNAVAILABLE"}


def test_health_cli_asks_the_liveness_name() -> None:
    from newsfuse.cli import main

    with running_server() as server:
        address = f"127.0.0.1:{server.port}"
        assert main(["health", "--address", address, "--service", LIVENESS_SERVICE_NAME]) == 0
        assert main(["health", "--address", address, "--service", SERVICE_NAME]) == 0
        assert main(["health", "--address", address, "--service", "no.such.Service"]) == 1
