"""Fuzzing request validation through the real servicer over a real channel.

Random protobuf requests (ids, texts, titles, timestamps, authors, options, modes) go to a
real server on port 0 (extractive pipeline over the fast ``HashingEmbedder``, small limits
so that they are hit). Every answer is OK or ``INVALID_ARGUMENT``/``RESOURCE_EXHAUSTED`` —
never ``INTERNAL``/``UNKNOWN`` — and agrees with an oracle of what is valid; the server stays
SERVING.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_support import channel_to, metric, running_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server.app import NewsfuseServer
from newsfuse.wire import FIELD_KEY

LIMITS = {
    "max_documents": 4,
    "max_document_chars": 300,
    "max_request_chars": 700,
    "max_sentences_per_request": 12,
}
_MIN_SECONDS, _MAX_SECONDS = -62135596800, 253402300799  # what protobuf Timestamps allow
_ALLOWED = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT}


@pytest.fixture(scope="module")
def server() -> Iterator[NewsfuseServer]:
    with running_server(**LIMITS) as srv:
        yield srv


@pytest.fixture(scope="module")
def stub(server: NewsfuseServer) -> Iterator[pb_grpc.SummarizerStub]:
    with channel_to(server) as channel:
        yield pb_grpc.SummarizerStub(channel)


# Protobuf strings are UTF-8: anything but lone surrogates.
_chars = st.characters(blacklist_categories=("Cs",))
_any_text = st.text(_chars, max_size=60)
_blank = st.sampled_from(["", " ", "\n\t ", "\u3000", "\u2028"])
_sentence = st.sampled_from(
    [
        "The council approved the budget on Monday.",
        "On Monday the council passed the budget!",
        "Spending on schools will rise, officials said.",
        "Zoë met 東京 officials in Budapest…",
        "<p>Bridge opens.</p><script>alert('x. y.')</script>",
        "\x00\u202e\u200f\ufeff😀👍🏽",
        "12 345 6789 0",
        "word " * 40,
    ]
)
_text = st.one_of(
    _blank,
    _any_text,
    st.lists(st.one_of(_sentence, _any_text), min_size=1, max_size=6).map(" ".join),
)
_sentences = st.lists(_sentence, min_size=1, max_size=5).map(" ".join)
_id = st.one_of(_blank, st.sampled_from(["a", "b", "c", "a ", "é", "\x00"]), _any_text)


@st.composite
def _timestamp(draw: st.DrawFn) -> tuple[int, int] | None:
    kind = draw(st.sampled_from(["none", "none", "valid", "valid", "any"]))
    if kind == "none":
        return None
    if kind == "valid":
        return draw(st.integers(_MIN_SECONDS, _MAX_SECONDS)), draw(st.integers(0, 999_999_999))
    return draw(st.integers(-(2**63), 2**63 - 1)), draw(st.integers(-(2**31), 2**31 - 1))


def _rarely(strategy: st.SearchStrategy, usual: st.SearchStrategy) -> st.SearchStrategy:
    """``usual`` most of the time, ``strategy`` (hostile) about one time in five."""
    return st.integers(0, 4).flatmap(lambda n: strategy if n == 0 else usual)


@st.composite
def _document(draw: st.DrawFn, index: int) -> pb.Document:
    msg = pb.Document(
        id=draw(_rarely(_id, st.just(f"doc-{index}"))),
        text=draw(_rarely(_text, _sentences)),
        title=draw(st.one_of(_blank, _any_text)),
    )
    msg.authors.extend(draw(st.lists(_any_text, max_size=3)))
    stamp = draw(_timestamp())
    if stamp is not None:
        msg.published_at.seconds, msg.published_at.nanos = stamp
    return msg


@st.composite
def requests(draw: st.DrawFn) -> pb.SummarizeRequest:
    count = draw(st.integers(0, 5))
    msg = pb.SummarizeRequest(
        documents=[draw(_document(i)) for i in range(count)], cluster_id=draw(_any_text)
    )
    if draw(st.booleans()):
        counts = st.one_of(st.none(), st.integers(0, 2**32 - 1), st.integers(0, 12))
        max_words, max_sentences = draw(counts), draw(counts)
        if max_words is not None:
            msg.options.max_words = max_words
        if max_sentences is not None:
            msg.options.max_sentences = max_sentences
        # proto3 enums are open: unknown values arrive too.
        msg.options.mode = draw(_rarely(st.integers(-3, 8), st.integers(0, 2)))
    return msg


@dataclass(frozen=True)
class Expected:
    invalid: bool
    """A field is wrong whatever the limits."""
    over_limit: bool


def oracle(msg: pb.SummarizeRequest) -> Expected:
    docs = msg.documents
    ids = [d.id for d in docs]
    invalid = (
        not docs
        or any(not i.strip() for i in ids)
        or len(set(ids)) < len(ids)
        or any(not d.text.strip() for d in docs)
        or any(
            d.HasField("published_at")
            and not (
                _MIN_SECONDS <= d.published_at.seconds <= _MAX_SECONDS
                and 0 <= d.published_at.nanos <= 999_999_999
            )
            for d in docs
        )
        or msg.options.mode not in (pb.MODE_UNSPECIFIED, pb.MODE_AUTO, pb.MODE_EXTRACTIVE)
    )
    over_limit = (
        len(docs) > LIMITS["max_documents"]
        or any(len(d.text) > LIMITS["max_document_chars"] for d in docs)
        or sum(len(d.text) for d in docs) > LIMITS["max_request_chars"]
    )
    return Expected(invalid, over_limit)


def check_response(msg: pb.SummarizeRequest, reply: pb.SummarizeResponse) -> None:
    texts = {d.id: d.text for d in msg.documents}
    assert [d.id for d in reply.documents] == [d.id for d in msg.documents]
    for sentence in reply.sentences:
        assert sentence.text.strip() and sentence.citations
        for c in sentence.citations:
            assert 0 <= c.start < c.end <= len(texts[c.document_id])
            assert 0.0 <= c.score <= 1.0
    if msg.options.HasField("max_words") and msg.options.max_words:
        assert sum(len(s.text.split()) for s in reply.sentences) <= msg.options.max_words


def check_error(code: grpc.StatusCode, message: str, field: str, expected: Expected) -> None:
    assert code in _ALLOWED, f"{code.name}: {message}"
    assert field and message.startswith(f"{field}: "), message
    if not expected.invalid and not expected.over_limit:
        # Only the sentence limit cannot be told from the request without ingesting it.
        assert field == "documents" and "sentences" in message, message


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(msg=requests())
def test_summarize_answers_ok_or_a_clear_client_error(
    stub: pb_grpc.SummarizerStub, msg: pb.SummarizeRequest
) -> None:
    expected = oracle(msg)
    try:
        reply = stub.Summarize(msg, timeout=30)
    except grpc.RpcError as exc:
        trailing = dict(exc.trailing_metadata() or ())
        check_error(exc.code(), exc.details() or "", trailing.get(FIELD_KEY, ""), expected)
        return
    assert not expected.invalid and not expected.over_limit, "accepted an invalid request"
    check_response(msg, reply)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(requests(), min_size=1, max_size=4))
def test_batch_answers_each_cluster_ok_or_a_clear_client_error(
    stub: pb_grpc.SummarizerStub, batch: list[pb.SummarizeRequest]
) -> None:
    results = list(stub.SummarizeBatch(pb.SummarizeBatchRequest(requests=batch), timeout=60))
    assert sorted(r.index for r in results) == list(range(len(batch)))
    for result in results:
        msg = batch[result.index]
        if result.WhichOneof("result") == "error":
            code = next(c for c in grpc.StatusCode if c.value[0] == result.error.code)
            check_error(code, result.error.message, result.error.field, oracle(msg))
        else:
            check_response(msg, result.response)


def test_server_is_still_serving_and_never_answered_internal(server: NewsfuseServer) -> None:
    with channel_to(server) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5
        )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    for method in ("Summarize", "SummarizeBatch"):
        for code in ("INTERNAL", "UNKNOWN"):
            assert metric(server, "newsfuse_requests_total", method=method, code=code) == 0
    assert metric(server, "newsfuse_requests_total", method="Summarize", code="OK") > 0
    assert (
        metric(server, "newsfuse_requests_total", method="Summarize", code="INVALID_ARGUMENT") > 0
    )
