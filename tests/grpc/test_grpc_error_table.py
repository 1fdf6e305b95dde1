"""The error table walked through every transport: gRPC, the client, the CLI and batch.

A real server on a loopback port runs a pipeline whose embedder raises, for a text that
names it, each error of ``errors.ERROR_TABLE``; every transport must report that error as
the table says (status code and reason, typed error, exit code, JSON error line).
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator, Sequence

import grpc
import numpy as np
import pytest
from grpc_support import running_server
from newsfuse import cli, wire
from newsfuse.client import Client, RetryPolicy
from newsfuse.embed import HashingEmbedder
from newsfuse.errors import (
    ERROR_TABLE,
    EXIT_OK,
    EXIT_PARTIAL,
    Cancelled,
    DeadlineExceeded,
    InvalidInput,
    LimitExceeded,
    NewsfuseError,
    Unavailable,
    error_spec,
)
from newsfuse.pipeline import Pipeline
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server.app import NewsfuseServer
from newsfuse.types import Document

FIELD = "documents[0].text"


class RaisingEmbedder:
    """``HashingEmbedder`` that raises the error a text names (``raise:LimitExceeded``)."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.name = self.inner.name
        self.dim = self.inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        for text in texts:
            if "raise:" in text:
                name = text.split("raise:", 1)[1].split()[0].strip(".")
                raise make_error(name)
        return self.inner.encode(texts)


def make_error(name: str) -> Exception:
    if name == "RuntimeError":
        return RuntimeError("a bug, never shown to callers")
    kind = next(k for k in ERROR_TABLE if k.__name__ == name)
    if issubclass(kind, InvalidInput):
        return kind(FIELD, "walked through the table")
    return kind("walked through the table")


# Every row of the table, plus an unexpected exception (a bug), which is ``Internal``'s row.
CASES = [kind.__name__ for kind in ERROR_TABLE] + ["RuntimeError"]
# Errors that end a whole call (not one cluster of a batch): the deadline or cancellation.
CALL_ERRORS = (DeadlineExceeded, Cancelled)


def documents(name: str | None) -> list[Document]:
    marker = f"raise:{name}" if name else "so"
    return [
        Document("a", f"The council approved the budget on Monday. It said {marker} today."),
        Document("b", "On Monday the council passed the budget. Schools will get more money."),
    ]


def request_json(name: str | None, cluster_id: str = "") -> str:
    data = {"documents": [{"id": d.id, "text": d.text} for d in documents(name)]}
    if cluster_id:
        data = {"id": cluster_id, **data}
    return json.dumps(data)


@pytest.fixture(scope="module")
def raising_server() -> Iterator[NewsfuseServer]:
    model = RaisingEmbedder()
    with running_server(factory=lambda settings: Pipeline(settings, model)) as server:
        yield server


@pytest.fixture
def local_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """``newsfuse`` in this process loads the raising pipeline instead of MiniLM."""
    model = RaisingEmbedder()
    monkeypatch.setattr(
        Pipeline, "load", classmethod(lambda cls, settings: Pipeline(settings, model))
    )


def run_cli(
    argv: list[str], stdin: str, capsys: pytest.CaptureFixture[str], monkeypatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def spec_of(name: str):
    return error_spec(make_error(name))


def test_every_domain_error_has_a_row_and_rows_are_distinct() -> None:
    import newsfuse.errors as errors

    domain = {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.NewsfuseError)
    } - {errors.NewsfuseError}
    assert domain == set(ERROR_TABLE)
    specs = list(ERROR_TABLE.values())
    assert len({s.reason for s in specs}) == len(specs)
    assert len({s.exit_code for s in specs}) == len(specs)
    assert EXIT_OK not in {s.exit_code for s in specs} | {EXIT_PARTIAL}
    assert error_spec(RuntimeError()) == ERROR_TABLE[errors.Internal]
    for spec in specs:
        assert grpc.StatusCode[spec.grpc]
        assert 400 <= spec.http < 600


@pytest.mark.parametrize("name", CASES)
def test_grpc_status_and_client_error(raising_server: NewsfuseServer, name: str) -> None:
    spec = spec_of(name)
    stub = pb_grpc.SummarizerStub(grpc.insecure_channel(f"127.0.0.1:{raising_server.port}"))
    with pytest.raises(grpc.RpcError) as failed:
        stub.Summarize(wire.request_to_proto(documents(name)), timeout=30)
    assert failed.value.code() == grpc.StatusCode[spec.grpc]
    trailing = dict(failed.value.trailing_metadata())
    assert trailing[wire.ERROR_KEY] == spec.reason
    if name == "RuntimeError":
        assert "a bug" not in failed.value.details()  # generic: the trace is in the log
    address = f"127.0.0.1:{raising_server.port}"
    with Client(address, retry=RetryPolicy(attempts=1)) as client:
        with pytest.raises(NewsfuseError) as raised:
            client.summarize(documents(name), timeout=30)
    assert error_spec(raised.value) == spec
    original = make_error(name)
    if isinstance(original, NewsfuseError):
        assert type(raised.value) is type(original)
        assert str(raised.value) == str(original)
    if isinstance(original, InvalidInput):
        assert raised.value.field == FIELD  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", CASES)
def test_summarize_batch_reports_each_cluster_by_the_table(
    raising_server: NewsfuseServer, name: str
) -> None:
    """A cluster's error in ``SummarizeBatch`` keeps its kind (LimitExceeded stays one)."""
    spec = spec_of(name)
    address = f"127.0.0.1:{raising_server.port}"
    with Client(address, retry=RetryPolicy(attempts=1)) as client:
        clusters = [documents(None), documents(name)]
        if isinstance(make_error(name), CALL_ERRORS):
            # The call's own deadline or cancellation ends the whole call.
            with pytest.raises(NewsfuseError) as raised:
                list(client.summarize_many(clusters, timeout=30))
            assert error_spec(raised.value) == spec
            return
        results = sorted(client.summarize_many(clusters, timeout=30), key=lambda r: r.index)
    assert results[0].summary is not None
    assert results[1].error is not None and error_spec(results[1].error) == spec
    stub = pb_grpc.SummarizerStub(grpc.insecure_channel(address))
    batch = pb.SummarizeBatchRequest(requests=[wire.request_to_proto(documents(name))])
    (reply,) = stub.SummarizeBatch(batch, timeout=30)
    assert reply.error.code == grpc.StatusCode[spec.grpc].value[0]
    assert reply.error.reason == spec.reason


@pytest.mark.parametrize("name", CASES)
def test_cli_exit_codes_in_process_and_through_the_server(
    raising_server: NewsfuseServer, local_pipeline: None, name: str, capsys, monkeypatch
) -> None:
    spec = spec_of(name)
    for extra in ([], ["--server", f"127.0.0.1:{raising_server.port}"]):
        argv = ["summarize", *extra, "-"]
        code, out, err = run_cli(argv, request_json(name), capsys, monkeypatch)
        assert code == spec.exit_code, (extra, err)
        assert out == "" and err.startswith("newsfuse: error: ")
        if isinstance(make_error(name), InvalidInput):
            assert f"{FIELD}: walked through the table" in err


@pytest.mark.parametrize("name", CASES)
def test_batch_error_lines(
    raising_server: NewsfuseServer, local_pipeline: None, name: str, capsys, monkeypatch, tmp_path
) -> None:  # fmt: skip
    spec = spec_of(name)
    lines = request_json(None, "fine") + "\n" + request_json(name, "bad") + "\n"
    for extra in ([], ["--server", f"127.0.0.1:{raising_server.port}"]):
        out_file = tmp_path / f"out{len(extra)}.jsonl"
        argv = ["batch", "-", "-o", str(out_file), "--quiet", "--timeout", "30", *extra]
        code, _, err = run_cli(argv, lines, capsys, monkeypatch)
        if isinstance(make_error(name), CALL_ERRORS):
            assert code == spec.exit_code, err  # the run stops; --resume continues it
            continue
        assert code == EXIT_PARTIAL, err
        records = {r["id"]: r for r in map(json.loads, out_file.read_text().splitlines())}
        assert records["fine"]["sentences"]
        error = records["bad"]["error"]
        assert error["reason"] == spec.reason and error["retryable"] == spec.retryable
        assert records["bad"]["line"] == 2
        if isinstance(make_error(name), InvalidInput):
            assert error["field"] == FIELD


def test_a_server_refusing_the_message_size_is_a_limit_not_overload(capsys, monkeypatch) -> None:
    with running_server(max_receive_mb=1) as server:
        big = json.dumps({"documents": [{"id": "a", "text": "word " * 300_000}]})
        code, _, err = run_cli(
            ["summarize", "--server", f"127.0.0.1:{server.port}", "-"], big, capsys, monkeypatch
        )
    assert code == ERROR_TABLE[LimitExceeded].exit_code
    assert "request: " in err


def test_statuses_without_a_reason_map_by_their_code(capsys, monkeypatch) -> None:
    """gRPC's own statuses (no newsfuse reason): a server that is not there is Unavailable."""
    for kind, spec in ERROR_TABLE.items():
        error = wire.error_of_status(grpc.StatusCode[spec.grpc], "field: message")
        assert error_spec(error).grpc == spec.grpc, kind
    unavailable = wire.error_of_status(grpc.StatusCode.UNAVAILABLE, "connection refused")
    assert type(unavailable) is Unavailable
    invalid = wire.error_of_status(grpc.StatusCode.INVALID_ARGUMENT, "documents: bad")
    assert type(invalid) is InvalidInput and invalid.field == "documents"
    with running_server() as server:
        port = server.port
    code, _, err = run_cli(
        ["summarize", "--server", f"127.0.0.1:{port}", "--timeout", "3", "-"],
        request_json(None),
        capsys,
        monkeypatch,
    )
    assert code == ERROR_TABLE[Unavailable].exit_code, err
