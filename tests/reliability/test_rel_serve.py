"""``newsfuse serve`` (real MiniLM) driven from outside: hostile inputs, a short soak, SIGTERM.

One server process for the module, started and driven with the helpers of ``bench/soak.py``
(the benchmark runs the same code for longer and records the timings). The tests run in file
order; the last one stops the server with SIGTERM under load.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from newsfuse.ingest import ingest
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.types import Document

pytestmark = pytest.mark.slow

soak = importlib.import_module("soak")  # bench/soak.py

_NEVER = {"INTERNAL", "UNKNOWN"}


@pytest.fixture(scope="module")
def served() -> Iterator[object]:
    with soak.serve(dict(soak.SERVER_ENV)) as server:
        yield server


def _check_spans(documents: list, reply: pb.SummarizeResponse) -> None:
    texts = {d.id: d.text for d in documents}
    for sentence in reply.sentences:
        assert sentence.citations
        for c in sentence.citations:
            assert 0 <= c.start < c.end <= len(texts[c.document_id])
            assert texts[c.document_id][c.start : c.end].strip()


@pytest.mark.parametrize("name", list(soak.PATHOLOGICAL))
def test_pathological_input_is_answered_and_the_server_stays_up(served, name: str) -> None:
    documents = soak.PATHOLOGICAL[name]()
    outcome, reply = soak.call_once(served.address, name, documents)
    assert outcome.code not in _NEVER, outcome
    assert outcome.serving_after, outcome
    if name == "5 MB document":
        # Over the sentence limit: a clear client error naming the field.
        assert outcome.code == grpc.StatusCode.INVALID_ARGUMENT.name, outcome
        assert outcome.message.startswith("documents"), outcome
        return
    assert outcome.code == "OK", outcome
    _check_spans(documents, reply)
    assert reply.sentences or name in ("random Unicode", "numbers only")
    text = " ".join(s.text for s in reply.sentences)
    if name == "HTML and scripts":
        assert "alert(" not in text and "<" not in text and "var x" not in text
    if name == "single word":
        assert [s.text for s in reply.sentences] == ["Budapest"]
    if name == "100 identical documents":
        # One document's summary, every sentence citing all 100 copies.
        ids = {d.id for d in documents}
        for sentence in reply.sentences:
            assert {c.document_id for c in sentence.citations} == ids
        copies = [d.duplicate_of for d in reply.documents]
        assert copies[0] == "" and set(copies[1:]) == {"copy-0"}
    if name == "3 MB: one article repeated":
        # The article once: every citation lies in its first copy.
        article = soak.corpus()[2].text
        assert all(c.end <= len(article) for s in reply.sentences for c in s.citations)
        assert reply.stats.sentences_in == len(ingest(Document("a", article)).sentences)


def test_the_server_runs_on_jemalloc_where_installed(served) -> None:
    if "LD_PRELOAD" not in soak.SERVER_ENV:
        pytest.skip("libjemalloc2 is not installed on this machine")
    maps = Path(f"/proc/{served.process.pid}/maps").read_text()
    assert "libjemalloc" in maps


def test_short_soak_has_no_unexpected_failures(served) -> None:
    result = soak.run_soak(served, concurrency=16, warmup=3.0, seconds=8.0, windows=2)
    assert result["calls_answered"] > 0
    assert result["failures"] == {}, result
    assert result["unanswered"] == 0
    assert result["health_after"] == "SERVING"


def test_sigterm_under_load_answers_every_accepted_call_and_exits_0(served) -> None:
    result = soak.run_sigterm(served, concurrency=16, after=3.0)
    assert result["accepted"] > 0, result
    assert result["vanished"] == 0, result
    assert result["completed_ok"] + result["answered_unavailable"] == result["accepted"]
    assert result["exit_code"] == 0, result
