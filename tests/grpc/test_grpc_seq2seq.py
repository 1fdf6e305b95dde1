"""The abstractive path over gRPC: a tiny random BART loaded through the real loading code."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from grpc_support import ROOT, channel_to, running_server
from newsfuse import wire
from newsfuse.embed import HashingEmbedder
from newsfuse.fuse.seq2seq import load_fuser
from newsfuse.pipeline import Pipeline
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server.app import NewsfuseServer
from newsfuse.settings import Settings
from newsfuse.support import SupportScorer
from newsfuse.types import Document, SummaryOptions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_bart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The model tests' builder (tokenizer trained on the example articles, random weights).
    spec = importlib.util.spec_from_file_location(
        "model_fixtures", ROOT / "tests/model/conftest.py"
    )
    assert spec is not None and spec.loader is not None
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    return fixtures.build_bart(tmp_path_factory.mktemp("bart") / "tiny-bart")


@pytest.fixture(scope="module")
def abstractive_server(tiny_bart: Path) -> Iterator[NewsfuseServer]:
    def factory(settings: Settings) -> Pipeline:
        embedder, scorer = HashingEmbedder(), SupportScorer()
        return Pipeline(settings, embedder, load_fuser(settings, embedder, scorer), scorer)

    with running_server(factory=factory, model=str(tiny_bart), seq2seq_num_beams=1) as server:
        yield server


def test_info_reports_the_model_and_the_abstractive_mode(
    abstractive_server: NewsfuseServer,
) -> None:
    stub = pb_grpc.SummarizerStub(channel_to(abstractive_server))
    info = stub.GetInfo(pb.GetInfoRequest(), timeout=10)
    assert info.model.startswith("tiny-bart")
    assert pb.MODE_ABSTRACTIVE in info.modes


def test_concurrent_abstractive_calls_are_cited(
    abstractive_server: NewsfuseServer, corpus: list[Document]
) -> None:
    stub = pb_grpc.SummarizerStub(channel_to(abstractive_server))
    texts = {d.id: d.text for d in corpus}
    request = wire.request_to_proto(corpus, SummaryOptions(max_words=40, mode="abstractive"))
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: stub.Summarize(request, timeout=120), range(4)))
    for reply in replies:
        assert reply.sentences and reply.stats.model.startswith("tiny-bart")
        for sentence in reply.sentences:
            assert sentence.citations
            for c in sentence.citations:
                assert 0 <= c.start < c.end <= len(texts[c.document_id])
    fused = abstractive_server.metrics.registry.get_sample_value(
        "newsfuse_batch_size_sum", {"stage": "fuse"}
    )
    assert fused is not None and fused >= 4
