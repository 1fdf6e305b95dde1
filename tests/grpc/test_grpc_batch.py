"""``newsfuse batch --server``: streamed through ``SummarizeBatch`` with a bounded window."""

from __future__ import annotations

import io
import json
import sys

import pytest
from grpc_support import CORPUS_DIR, running_server
from newsfuse import cli
from newsfuse.api import ClusterRequest, ClusterResult
from newsfuse.client import Client
from newsfuse.embed import HashingEmbedder
from newsfuse.errors import EXIT_PARTIAL, InvalidInput, LimitExceeded
from newsfuse.pipeline import Pipeline
from newsfuse.types import Document

PATHS = sorted(CORPUS_DIR.glob("*.txt"))


def line(cluster_id: str, first: int, count: int) -> str:
    paths = [PATHS[(first + k) % len(PATHS)] for k in range(count)]
    documents = [{"id": p.name, "text": p.read_text(encoding="utf-8")} for p in paths]
    return json.dumps({"id": cluster_id, "documents": documents})


@pytest.fixture
def run(monkeypatch, capsys):
    monkeypatch.setattr(
        Pipeline, "load", classmethod(lambda cls, settings: Pipeline(settings, HashingEmbedder()))
    )

    def invoke(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        code = cli.main(argv)
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def records(text: str) -> dict[str, dict]:
    out = {}
    for raw in text.splitlines():
        record = json.loads(raw)
        if "stats" in record:
            record["stats"].pop("seconds")
        out[record["id"] or f"line {record['line']}"] = record
    return out


def test_batch_through_a_server_equals_batch_in_process(run, tmp_path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join([line(f"c{i}", i, 1 + i % 3) for i in range(9)] + ["{oops"]) + "\n"
    )
    with running_server(factory=lambda s: Pipeline(s, HashingEmbedder())) as server:
        address = f"127.0.0.1:{server.port}"
        remote = tmp_path / "remote.jsonl"
        code, _, err = run(
            ["batch", str(source), "-o", str(remote), "--server", address, "--window", "8"]
        )
        assert code == EXIT_PARTIAL, err
        calls = server.metrics.registry.get_sample_value(
            "newsfuse_requests_total", {"method": "SummarizeBatch", "code": "OK"}
        )
    local = tmp_path / "local.jsonl"
    code, _, err = run(["batch", str(source), "-o", str(local), "--window", "8"])
    assert code == EXIT_PARTIAL, err
    assert records(remote.read_text()) == records(local.read_text())
    assert len(records(local.read_text())) == 10
    # A window of 8 goes out in calls of 2 clusters: several calls, never all at once.
    assert calls is not None and calls >= 4


def test_stream_keeps_its_window_and_isolates_a_cluster_over_the_message_limit() -> None:
    with running_server(max_receive_mb=1) as server:
        small = (Document("a", "The council approved the budget on Monday."),)
        big = (Document("big", "word " * 300_000),)
        pulled = yielded = most = 0

        def requests():
            nonlocal pulled
            for i in range(8):
                pulled += 1
                if i == 3:
                    yield ClusterRequest(big, id="big")
                elif i == 5:
                    yield ClusterResult(0, "failed-early", error=InvalidInput("id", "bad"))
                else:
                    yield ClusterRequest(small, id=f"s{i}")

        results = []
        with Client(f"127.0.0.1:{server.port}") as client:
            for result in client.stream(requests(), window=4, group=2, timeout=60):
                most = max(most, pulled - yielded)
                yielded += 1
                results.append(result)
    assert most <= 4
    by_id = {r.id: r for r in results}
    assert sorted(r.index for r in results) == list(range(8))
    assert isinstance(by_id["big"].error, LimitExceeded) and by_id["big"].index == 3
    assert by_id["failed-early"].index == 5
    assert all(by_id[f"s{i}"].summary is not None for i in (0, 1, 2, 4, 6, 7))
