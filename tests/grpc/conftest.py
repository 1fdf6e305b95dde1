"""Fixtures of the gRPC tests (helpers are in ``grpc_support``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from grpc_support import channel_to, load_corpus, running_server  # noqa: E402
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc  # noqa: E402
from newsfuse.server.app import NewsfuseServer  # noqa: E402
from newsfuse.types import Document  # noqa: E402


@pytest.fixture(scope="session")
def corpus() -> list[Document]:
    return load_corpus()


@pytest.fixture(scope="module")
def server() -> Iterator[NewsfuseServer]:
    with running_server() as srv:
        yield srv


@pytest.fixture
def stub(server: NewsfuseServer) -> Iterator[pb_grpc.SummarizerStub]:
    with channel_to(server) as channel:
        yield pb_grpc.SummarizerStub(channel)
