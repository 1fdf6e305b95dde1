"""The server over a real channel (Pipeline over the hashing embedder): statuses and behaviour."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_support import (
    GatedEmbedder,
    channel_to,
    marked_request,
    metric,
    running_server,
    scrape,
    wait_for,
)
from newsfuse import wire
from newsfuse.client import Client
from newsfuse.errors import InvalidInput, LimitExceeded
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server.app import NewsfuseServer
from newsfuse.types import Document


def assert_cited_spans_valid(response: pb.SummarizeResponse, documents: list[Document]) -> None:
    """Every sentence is cited; every span lies in its document; extractive text is a span."""
    texts = {d.id: d.text for d in documents}
    assert response.sentences
    for sentence in response.sentences:
        assert sentence.citations, "every summary sentence is cited"
        spans = []
        for c in sentence.citations:
            assert 0 <= c.start < c.end <= len(texts[c.document_id])
            spans.append(" ".join(texts[c.document_id][c.start : c.end].split()))
            assert spans[-1]
        if not sentence.generated:
            assert " ".join(sentence.text.split()) in spans


def test_summarize_example_corpus(stub: pb_grpc.SummarizerStub, corpus: list[Document]) -> None:
    response, call = stub.Summarize.with_call(
        wire.request_to_proto(corpus),
        timeout=60,
        metadata=(("x-request-id", "happy-path-1"),),
    )
    assert ("x-request-id", "happy-path-1") in call.initial_metadata()
    assert_cited_spans_valid(response, corpus)
    assert [d.id for d in response.documents] == [d.id for d in corpus]
    assert response.stats.documents == len(corpus)
    assert response.stats.sentences_in >= response.stats.sentences_after_dedup > 0


BAD_REQUESTS = {
    "no documents": (pb.SummarizeRequest(), "documents"),
    "empty text": (
        pb.SummarizeRequest(documents=[pb.Document(id="a", text="")]),
        "documents[0].text",
    ),
    "whitespace text": (
        pb.SummarizeRequest(
            documents=[pb.Document(id="a", text="Fine."), pb.Document(id="b", text=" \n\t ")]
        ),
        "documents[1].text",
    ),
    "duplicate ids": (
        pb.SummarizeRequest(
            documents=[pb.Document(id="a", text="One."), pb.Document(id="a", text="Two.")]
        ),
        "documents[1].id",
    ),
    "empty id": (pb.SummarizeRequest(documents=[pb.Document(text="One.")]), "documents[0].id"),
    "unknown mode": (
        pb.SummarizeRequest(
            documents=[pb.Document(id="a", text="One.")], options=pb.SummaryOptions(mode=9)
        ),
        "options.mode",
    ),
    "abstractive without a model": (
        pb.SummarizeRequest(
            documents=[pb.Document(id="a", text="One.")],
            options=pb.SummaryOptions(mode=pb.MODE_ABSTRACTIVE),
        ),
        "options.mode",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_bad_input_is_invalid_argument_naming_the_field(
    stub: pb_grpc.SummarizerStub, case: str
) -> None:
    request, field = BAD_REQUESTS[case]
    with pytest.raises(grpc.RpcError) as error:
        stub.Summarize(request, timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.value.details().startswith(f"{field}: ")
    assert ("newsfuse-field", field) in error.value.trailing_metadata()


def test_limits_are_invalid_argument_and_client_raises_typed_errors() -> None:
    with running_server(max_documents=2, max_document_chars=100, max_request_chars=170) as server:
        stub = pb_grpc.SummarizerStub(channel_to(server))
        cases = {
            "documents": [pb.Document(id=str(i), text="Short.") for i in range(3)],
            "documents[0].text": [pb.Document(id="a", text="x" * 101)],
        }
        for field, documents in cases.items():
            with pytest.raises(grpc.RpcError) as error:
                stub.Summarize(pb.SummarizeRequest(documents=documents), timeout=10)
            assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert error.value.details().startswith(f"{field}: ")
        with Client(f"127.0.0.1:{server.port}") as client:
            with pytest.raises(LimitExceeded) as limit:
                client.summarize([Document("a", "y" * 90), Document("b", "z" * 90)], timeout=10)
            assert limit.value.field == "documents"
            with pytest.raises(InvalidInput) as invalid:
                client.summarize([Document("a", "   ")], timeout=10)
            assert invalid.value.field == "documents[0].text"
            assert not isinstance(invalid.value, LimitExceeded)


def test_request_over_the_receive_limit_is_refused() -> None:
    with running_server(max_receive_mb=1) as server:
        stub = pb_grpc.SummarizerStub(channel_to(server))
        big = pb.SummarizeRequest(documents=[pb.Document(id="a", text="word " * 300_000)])
        with pytest.raises(grpc.RpcError) as error:
            stub.Summarize(big, timeout=30)
        assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        ok = stub.Summarize(marked_request("Alpha"), timeout=30)
        assert ok.sentences


def test_one_millisecond_deadline(stub: pb_grpc.SummarizerStub, corpus: list[Document]) -> None:
    with pytest.raises(grpc.RpcError) as error:
        stub.Summarize(wire.request_to_proto(corpus), timeout=0.001)
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_unexpected_error_is_internal_with_a_generic_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    embedder = GatedEmbedder()
    with running_server(embedder) as server:
        stub = pb_grpc.SummarizerStub(channel_to(server))
        embedder.fail_marker = "Kaboom"
        with caplog.at_level(logging.ERROR, logger="newsfuse"):
            with pytest.raises(grpc.RpcError) as error:
                stub.Summarize(
                    marked_request("Kaboom"), timeout=10, metadata=(("x-request-id", "r-42"),)
                )
        assert error.value.code() == grpc.StatusCode.INTERNAL
        assert "exploded" not in error.value.details() and "r-42" in error.value.details()
        assert any("r-42" in r.getMessage() and r.exc_info for r in caplog.records)
        # The server keeps serving.
        assert stub.Summarize(marked_request("Fine"), timeout=10).sentences
        assert metric(server, "newsfuse_requests_total", method="Summarize", code="INTERNAL") == 1


def test_queue_full_is_resource_exhausted_and_deadline_travels_with_queued_work() -> None:
    embedder = GatedEmbedder()
    with running_server(embedder, max_batch_size=1, max_queue=2, max_wait_ms=0) as server:
        stub = pb_grpc.SummarizerStub(channel_to(server))
        engine = server.engine
        assert engine is not None
        embedder.gate.clear()
        with ThreadPoolExecutor(4) as pool:
            running = pool.submit(stub.Summarize, marked_request("Running"), timeout=30)
            wait_for(lambda: embedder.waiting == 1)
            queued = pool.submit(stub.Summarize, marked_request("Queued"), timeout=30)
            expiring = pool.submit(stub.Summarize, marked_request("Expiring"), timeout=3.0)
            wait_for(lambda: engine.embedder.depth() == 2)
            with pytest.raises(grpc.RpcError) as error:
                stub.Summarize(marked_request("Rejected"), timeout=30)
            assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            with pytest.raises(grpc.RpcError) as late:
                expiring.result()
            assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            wait_for(lambda: engine.embedder.depth() == 1)
            embedder.gate.set()
            assert running.result().sentences and queued.result().sentences
        assert embedder.encoded("Queued")
        assert not embedder.encoded("Expiring") and not embedder.encoded("Rejected")
        assert (
            metric(server, "newsfuse_requests_total", method="Summarize", code="RESOURCE_EXHAUSTED")
            == 1
        )


def test_cancelled_call_leaves_the_queue_before_compute() -> None:
    embedder = GatedEmbedder()
    with running_server(embedder, max_batch_size=1, max_wait_ms=0) as server:
        stub = pb_grpc.SummarizerStub(channel_to(server))
        engine = server.engine
        assert engine is not None
        embedder.gate.clear()
        running = stub.Summarize.future(marked_request("Running"), timeout=30)
        wait_for(lambda: embedder.waiting == 1)
        doomed = stub.Summarize.future(marked_request("Doomed"), timeout=30)
        wait_for(lambda: engine.embedder.depth() == 1)
        assert doomed.cancel()
        wait_for(lambda: engine.embedder.depth() == 0)
        wait_for(
            lambda: (
                metric(server, "newsfuse_requests_total", method="Summarize", code="CANCELLED") == 1
            )
        )
        embedder.gate.set()
        assert running.result().sentences
        assert not embedder.encoded("Doomed")


def test_concurrent_calls_are_batched_into_one_model_call() -> None:
    embedder = GatedEmbedder()
    with running_server(embedder, max_batch_size=8, max_wait_ms=0) as server:
        stub = pb_grpc.SummarizerStub(channel_to(server))
        engine = server.engine
        assert engine is not None
        embedder.gate.clear()
        calls_before = embedder.calls
        with ThreadPoolExecutor(8) as pool:
            first = pool.submit(stub.Summarize, marked_request("First"), timeout=30)
            wait_for(lambda: embedder.waiting == 1)
            rest = [
                pool.submit(stub.Summarize, marked_request(f"Next{i}"), timeout=30)
                for i in range(5)
            ]
            wait_for(lambda: engine.embedder.depth() == 5)
            embedder.gate.set()
            assert first.result().sentences and all(f.result().sentences for f in rest)
        # One call for the first request, one for the five that queued behind it.
        assert embedder.calls - calls_before == 2
        assert metric(server, "newsfuse_batch_size_bucket", stage="embed", le="8.0") >= 2
        assert metric(server, "newsfuse_batch_size_bucket", stage="embed", le="4.0") < metric(
            server, "newsfuse_batch_size_bucket", stage="embed", le="8.0"
        )


def test_32_calls_at_concurrency_16(server: NewsfuseServer, corpus: list[Document]) -> None:
    with Client(f"127.0.0.1:{server.port}") as client:
        with ThreadPoolExecutor(16) as pool:
            summaries = list(pool.map(lambda _: client.summarize(corpus, timeout=120), range(32)))
    assert len(summaries) == 32
    assert all(s.sentences == summaries[0].sentences for s in summaries)


def test_batch_streams_each_cluster_with_its_own_status(
    stub: pb_grpc.SummarizerStub, corpus: list[Document]
) -> None:
    request = pb.SummarizeBatchRequest(
        requests=[
            wire.request_to_proto(corpus, cluster_id="full"),
            pb.SummarizeRequest(cluster_id="empty"),
            wire.request_to_proto(corpus[:2], cluster_id="two"),
        ]
    )
    results = {r.cluster_id: r for r in stub.SummarizeBatch(request, timeout=60)}
    assert set(results) == {"full", "empty", "two"}
    assert results["empty"].index == 1
    assert results["empty"].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert results["empty"].error.field == "documents"
    assert_cited_spans_valid(results["full"].response, corpus)
    assert_cited_spans_valid(results["two"].response, corpus[:2])


def test_client_summarize_many_and_info(server: NewsfuseServer, corpus: list[Document]) -> None:
    with Client(f"127.0.0.1:{server.port}") as client:
        results = sorted(
            client.summarize_many([corpus, [], corpus[:1]], timeout=60), key=lambda r: r.index
        )
        info = client.info()
    assert [r.index for r in results] == [0, 1, 2]
    assert results[0].summary is not None and results[2].summary is not None
    assert isinstance(results[1].error, InvalidInput) and results[1].error.field == "documents"
    assert info.modes == ("auto", "extractive") and info.model == ""
    assert info.limits["max_receive_bytes"] == 64 * 1024 * 1024
    assert info.batching["max_batch_size"] == server.settings.max_batch_size


def test_metrics_scrape(server: NewsfuseServer, stub: pb_grpc.SummarizerStub) -> None:
    stub.Summarize(marked_request("Metered"), timeout=10)
    text = scrape(server)
    for name in (
        'newsfuse_requests_total{code="OK",method="Summarize"}',
        'newsfuse_request_seconds_bucket{le="0.005",method="Summarize"}',
        'newsfuse_queue_seconds_count{stage="embed"}',
        'newsfuse_queue_seconds_count{stage="fuse"}',
        'newsfuse_queue_depth{stage="embed"}',
        'newsfuse_batch_size_count{stage="fuse"}',
        "newsfuse_documents_total",
        "newsfuse_sentences_total",
        "newsfuse_dedup_ratio_count",
        "newsfuse_ready 1.0",
    ):
        assert name in text, name
    assert metric(server, "newsfuse_documents_total") >= 2


def test_several_servers_in_one_process_have_their_own_metrics(server: NewsfuseServer) -> None:
    before = metric(server, "newsfuse_requests_total", method="Summarize", code="OK")
    with running_server() as other:
        assert other.metrics_port != server.metrics_port
        pb_grpc.SummarizerStub(channel_to(other)).Summarize(marked_request("Other"), timeout=10)
        assert metric(other, "newsfuse_requests_total", method="Summarize", code="OK") == 1
    assert metric(server, "newsfuse_requests_total", method="Summarize", code="OK") == before
