"""Health transitions, reflection, auth, TLS, client retries and the asyncio client."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from grpc_support import GatedEmbedder, channel_to, marked_request, metric, running_server, wait_for
from newsfuse.client import AsyncClient, Client, RetryPolicy
from newsfuse.errors import InvalidInput, Unauthenticated, Unavailable
from newsfuse.pipeline import Pipeline
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server.app import NewsfuseServer
from newsfuse.settings import Settings
from newsfuse.types import Document

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class SlowLoad:
    """A pipeline factory that blocks until the test releases it."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self, settings: Settings) -> Pipeline:
        self.release.wait(30)
        return Pipeline(settings, GatedEmbedder())


def test_health_not_serving_while_loading_then_serving_then_not_serving_while_draining() -> None:
    load = SlowLoad()
    with running_server(factory=load, wait=False) as server:
        channel = channel_to(server)
        health = health_pb2_grpc.HealthStub(channel)
        stub = pb_grpc.SummarizerStub(channel)
        for service in ("", "newsfuse.v1.Summarizer"):
            request = health_pb2.HealthCheckRequest(service=service)
            assert health.Check(request, timeout=5).status == NOT_SERVING
        with pytest.raises(grpc.RpcError) as error:
            stub.Summarize(marked_request("Early"), timeout=5)
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE

        watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
        seen = [next(watch).status]
        load.release.set()
        assert server.wait_ready(30)
        seen.append(next(watch).status)
        assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == SERVING
        assert stub.Summarize(marked_request("Ready"), timeout=10).sentences

        stopper = threading.Thread(target=server.stop, args=(5.0,))
        stopper.start()
        seen.append(next(watch).status)
        stopper.join(30)
        assert not stopper.is_alive()
        assert seen == [NOT_SERVING, SERVING, NOT_SERVING]
        with pytest.raises(grpc.RpcError) as refused:
            stub.Summarize(marked_request("Late"), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_client_retries_unavailable_until_the_server_is_ready() -> None:
    load = SlowLoad()
    with running_server(factory=load, wait=False) as server:
        unavailable = {"method": "Summarize", "code": "UNAVAILABLE"}
        released = threading.Thread(
            target=lambda: (
                wait_for(lambda: metric(server, "newsfuse_requests_total", **unavailable) >= 1),
                load.release.set(),
            )
        )
        released.start()
        retry = RetryPolicy(attempts=50, initial_backoff=0.05, max_backoff=0.2)
        with Client(f"127.0.0.1:{server.port}", retry=retry) as client:
            summary = client.summarize(
                [Document("a", "The vote passed. Schools gain.")], timeout=30
            )
        released.join()
        assert summary.sentences
        assert metric(server, "newsfuse_requests_total", **unavailable) >= 1


def test_client_gives_up_after_its_attempts() -> None:
    load = SlowLoad()
    with running_server(factory=load, wait=False) as server:
        retry = RetryPolicy(attempts=2, initial_backoff=0.01, max_backoff=0.01)
        with Client(f"127.0.0.1:{server.port}", retry=retry) as client:
            with pytest.raises(Unavailable):
                client.summarize([Document("a", "Text.")], timeout=10)
        assert (
            metric(server, "newsfuse_requests_total", method="Summarize", code="UNAVAILABLE") == 2
        )
        load.release.set()


def test_reflection_lists_services_and_a_stub_built_from_it_alone_works(
    server: NewsfuseServer, corpus: list[Document]
) -> None:
    with channel_to(server) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = set(database.get_services())
        assert {"newsfuse.v1.Summarizer", "grpc.health.v1.Health"} <= services
        pool = descriptor_pool.DescriptorPool(database)
        method = pool.FindServiceByName("newsfuse.v1.Summarizer").methods_by_name["Summarize"]
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        assert request_class is not pb.SummarizeRequest
        request = request_class()
        for doc in corpus:
            request.documents.add(id=doc.id, text=doc.text)
        summarize = channel.unary_unary(
            "/newsfuse.v1.Summarizer/Summarize",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        response = summarize(request, timeout=60)
    texts = {d.id: d.text for d in corpus}
    assert response.sentences
    for sentence in response.sentences:
        assert sentence.citations
        for c in sentence.citations:
            assert 0 <= c.start < c.end <= len(texts[c.document_id])


def test_bearer_token_is_required_except_for_health() -> None:
    with running_server(auth_token="s3cret") as server:
        address = f"127.0.0.1:{server.port}"
        stub = pb_grpc.SummarizerStub(channel_to(server))
        for metadata in ((), (("authorization", "Bearer wrong"),)):
            with pytest.raises(grpc.RpcError) as error:
                stub.Summarize(marked_request("Anon"), timeout=5, metadata=metadata)
            assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
        health = health_pb2_grpc.HealthStub(channel_to(server))
        assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == SERVING
        with Client(address, token="s3cret") as client:
            assert client.summarize([Document("a", "The vote passed.")], timeout=10).sentences
        with Client(address, token="nope") as client:
            with pytest.raises(Unauthenticated) as denied:
                client.info()
        assert "bearer token" in str(denied.value)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_tls(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    with running_server(tls_cert=str(cert), tls_key=str(key)) as server:
        address = f"127.0.0.1:{server.port}"
        with Client(address, root_certificates=cert) as client:
            assert client.summarize([Document("a", "The vote passed.")], timeout=10).sentences
        with grpc.insecure_channel(address) as plain:
            with pytest.raises(grpc.RpcError):
                pb_grpc.SummarizerStub(plain).GetInfo(pb.GetInfoRequest(), timeout=3)


def test_async_client(server: NewsfuseServer, corpus: list[Document]) -> None:
    async def run() -> None:
        async with AsyncClient(f"127.0.0.1:{server.port}") as client:
            summaries = await asyncio.gather(
                *(client.summarize(corpus, timeout=60) for _ in range(4))
            )
            assert all(s.sentences == summaries[0].sentences for s in summaries)
            results = [r async for r in client.summarize_many([corpus[:2], []], timeout=60)]
            assert {r.index for r in results} == {0, 1}
            failed = next(r for r in results if r.index == 1)
            assert isinstance(failed.error, InvalidInput)
            with pytest.raises(InvalidInput) as error:
                await client.summarize([Document("a", "x"), Document("a", "y")], timeout=10)
            assert error.value.field == "documents[1].id"
            assert (await client.info()).version

    asyncio.run(run())


def test_a_port_in_use_fails_start_up_with_exit_code_1(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings.from_env({}, host="127.0.0.1", port=port, metrics_port=0)
        assert NewsfuseServer(settings, SlowLoad()).run() == 1
    assert any(f"127.0.0.1:{port}" in r.getMessage() for r in caplog.records)


def test_calls_still_running_after_the_grace_period_are_answered_unavailable() -> None:
    embedder = GatedEmbedder()
    with running_server(embedder, max_batch_size=1, max_wait_ms=0) as server:
        engine = server.engine
        assert engine is not None
        stub = pb_grpc.SummarizerStub(channel_to(server))
        embedder.gate.clear()
        running = stub.Summarize.future(marked_request("Running"), timeout=60)
        wait_for(lambda: embedder.waiting == 1)
        queued = stub.Summarize.future(marked_request("Queued"), timeout=60)
        wait_for(lambda: engine.embedder.depth() == 1)
        stopper = threading.Thread(target=server.stop, args=(0.2,))
        stopper.start()
        for future in (running, queued):
            with pytest.raises(grpc.RpcError) as error:
                future.result()
            assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        embedder.gate.set()
        stopper.join(30)
        assert not stopper.is_alive()
    assert not embedder.encoded("Queued")
