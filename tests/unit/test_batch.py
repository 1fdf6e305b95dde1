"""``newsfuse batch`` and ``summarize -`` in process: output lines, bad lines, resume, progress."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from newsfuse import batch, cli
from newsfuse.api import ClusterRequest, ClusterResult
from newsfuse.embed import HashingEmbedder
from newsfuse.errors import EXIT_OK, EXIT_PARTIAL, InvalidInput
from newsfuse.pipeline import Pipeline
from newsfuse.service import SummarizerService
from newsfuse.settings import Settings
from newsfuse.types import Document

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "budapest").glob("*.txt"))


def cluster_line(cluster_id: str, paths: list[Path], **options: object) -> str:
    data: dict[str, object] = {
        "id": cluster_id,
        "documents": [{"id": p.name, "text": p.read_text(encoding="utf-8")} for p in paths],
    }
    if options:
        data["options"] = options
    return json.dumps(data)


@pytest.fixture
def run(monkeypatch, capsys):
    """``newsfuse`` in this process; stdin given as text."""

    def invoke(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        code = cli.main(argv)
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


@pytest.fixture
def hashing(monkeypatch) -> None:
    monkeypatch.setattr(
        Pipeline, "load", classmethod(lambda cls, settings: Pipeline(settings, HashingEmbedder()))
    )


@pytest.fixture
def minilm_pipeline(monkeypatch, pipeline) -> None:
    """The session's real MiniLM pipeline instead of loading one per command."""
    monkeypatch.setattr(Pipeline, "load", classmethod(lambda cls, settings: pipeline))


def without_timing(record: dict) -> dict:
    record = dict(record)
    record.pop("id", None)
    record["stats"] = {k: v for k, v in record["stats"].items() if "seconds" not in k}
    return record


@pytest.mark.slow
def test_batch_lines_equal_summarize_json(minilm_pipeline, run, tmp_path) -> None:
    """Clusters batched together (real MiniLM) give what each gives alone, line for line."""
    clusters = {
        "all": cluster_line("all", EXAMPLES),
        "first-three": cluster_line("first-three", EXAMPLES[:3], max_words=60),
        "last-two": cluster_line("last-two", EXAMPLES[3:], mode="extractive"),
        "middle": cluster_line("middle", EXAMPLES[1:4], max_sentences=2),
    }
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(clusters.values()) + "\n")
    out = tmp_path / "out.jsonl"
    code, _, err = run(["batch", str(source), "-o", str(out), "--window", "4"])
    assert code == EXIT_OK, err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["id"] for r in lines) == sorted(clusters)
    for record in lines:
        code, single, err = run(["summarize", "--json", "-"], clusters[record["id"]])
        assert code == EXIT_OK, err
        assert without_timing(record) == without_timing(json.loads(single))


def test_bad_lines_get_error_lines_and_the_run_goes_on(hashing, run, tmp_path) -> None:
    good = cluster_line("good", EXAMPLES[:2])
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        "\n".join(
            [
                good,
                '{"id": "cut", "documents": [{"id": "a", "te',
                "",
                json.dumps({"documents": [{"id": "a", "text": "No id here."}]}),
                json.dumps({"id": "empty", "documents": []}),
                good,
                json.dumps({"id": "typo", "documents": [], "option": {}}),
            ]
        ).encode()
        + b'\n{"id": "bytes", "documents": [{"id": "a", "text": "caf\xe9"}]}\n'
    )
    out = tmp_path / "out.jsonl"
    code, _, err = run(["batch", str(source), "-o", str(out), "--quiet"])
    assert code == EXIT_PARTIAL
    assert err == ""  # --quiet: no progress, no summary line
    records = [json.loads(line) for line in out.read_text().splitlines()]
    by_line = {r.get("line"): r for r in records if "error" in r}
    assert {r["id"] for r in records if "error" not in r} == {"good"}
    expected = {
        2: (None, "request"),
        4: (None, "id"),
        5: ("empty", "documents"),
        6: ("good", "id"),
        7: ("typo", "option"),
        8: ("bytes", "request"),
    }
    assert {n: (r["id"], r["error"]["field"]) for n, r in by_line.items()} == expected
    assert "duplicate id 'good' (also line 1)" in by_line[6]["error"]["message"]
    assert all(r["error"]["reason"] == "invalid_input" for r in by_line.values())


def test_resume_skips_what_is_done_and_cuts_a_partial_line(hashing, run, tmp_path) -> None:
    source = tmp_path / "in.jsonl"
    ids = [f"c{i}" for i in range(5)]
    source.write_text(
        "".join(cluster_line(i, EXAMPLES[k % 5 : k % 5 + 1]) + "\n" for k, i in enumerate(ids))
        + "not json\n"
    )
    out = tmp_path / "out.jsonl"
    code, _, _ = run(["batch", str(source), "-o", str(out), "--quiet"])
    assert code == EXIT_PARTIAL
    complete = out.read_text().splitlines()
    # As if the run had been killed while writing its third line.
    kept = [line for line in complete if json.loads(line)["id"] in ("c0", "c3")]
    out.write_text("\n".join(kept) + "\n" + complete[-1][:40])
    code, _, err = run(["batch", str(source), "-o", str(out), "--resume"])
    assert code == EXIT_PARTIAL  # the line that is not JSON fails again: it was cut off
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["id"] or "" for r in records) == ["", *ids]
    assert "2 already done" in err
    code, _, err = run(["batch", str(source), "-o", str(out), "--resume"])
    assert code == EXIT_OK and "0 summarized, 0 failed, 6 already done" in err
    assert len(out.read_text().splitlines()) == 6


def test_output_is_never_overwritten_by_accident(hashing, run, tmp_path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(cluster_line("a", EXAMPLES[:1]) + "\n")
    out = tmp_path / "out.jsonl"
    out.write_text("earlier results\n")
    code, _, err = run(["batch", str(source), "-o", str(out)])
    assert code == 2 and "--resume" in err and out.read_text() == "earlier results\n"
    code, _, err = run(["batch", str(source), "-o", str(out), "--resume"])
    assert code == 2 and "not JSON" in err
    assert run(["batch", str(source), "-o", str(source)])[0] == 2
    assert run(["batch", str(source), "--resume"])[0] == 2  # resume needs an output file
    code, _, _ = run(["batch", str(source), "-o", str(out), "--overwrite", "--quiet"])
    assert code == EXIT_OK and json.loads(out.read_text())["id"] == "a"


def test_stdin_to_stdout(hashing, run) -> None:
    code, out, err = run(["batch", "-"], cluster_line("x", EXAMPLES[:2]) + "\n")
    assert code == EXIT_OK
    (record,) = map(json.loads, out.splitlines())
    assert record["id"] == "x" and list(record)[1] == "summary"
    assert "1 summarized" in err


def test_summarize_stdin_takes_the_request_options_and_the_flags_win(hashing, run) -> None:
    request = cluster_line("x", EXAMPLES, max_sentences=2, mode="extractive")
    code, out, _ = run(["summarize", "--json", "-"], request)
    assert code == EXIT_OK and len(json.loads(out)["sentences"]) == 2
    code, out, _ = run(["summarize", "--json", "--max-sentences", "1", "-"], request)
    assert code == EXIT_OK and len(json.loads(out)["sentences"]) == 1
    code, _, err = run(["summarize", "-", str(EXAMPLES[0])], request)
    assert code == 2 and "stdin" in err
    code, _, err = run(["summarize", "-"], '{"documents": [{"id": "a"}]}')
    assert code == 2 and "documents[0].text: required" in err


def test_progress_line() -> None:
    now = [100.0]
    stream = io.StringIO()
    progress = batch.Progress(stream, enabled=True, clock=lambda: now[0])
    counts = batch.Counts(total=50, skipped=10)
    now[0] += 8.0
    counts.done, counts.failed = 4, 1
    progress.update(counts)
    line = stream.getvalue()
    assert "4/40 clusters" in line and "1 failed" in line and "10 skipped" in line
    assert "0.50/s" in line and "ETA 0:01:12" in line and line.startswith("\r")
    assert "[##" in line
    unknown = batch.Progress(io.StringIO(), enabled=True, clock=lambda: now[0]).line(
        batch.Counts(total=None, done=3)
    )
    assert "ETA" not in unknown and "3 clusters" in unknown


def test_progress_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert batch.Progress.wanted(Terminal(), quiet=False)
    assert not batch.Progress.wanted(Terminal(), quiet=True)
    assert not batch.Progress.wanted(io.StringIO(), quiet=False)
    silent = io.StringIO()
    batch.Progress(silent, enabled=False).update(batch.Counts(total=1, done=1))
    assert silent.getvalue() == ""


def test_summarize_many_keeps_a_bounded_window_and_passes_failed_items_on() -> None:
    settings = Settings.from_env({}, max_batch_size=4)
    pulled = 0
    most_in_flight = 0
    yielded = 0

    def requests():
        nonlocal pulled
        for i in range(12):
            pulled += 1
            if i == 5:
                yield ClusterResult(0, "bad", error=InvalidInput("id", "broken"))
            elif i == 7:
                yield ClusterRequest((), id="empty")
            else:
                yield ClusterRequest((Document("a", f"Item {i} happened on Monday."),), id=f"c{i}")

    factory = lambda s: Pipeline(s, HashingEmbedder())  # noqa: E731
    with SummarizerService(settings, factory, warmup=False).load() as service:
        results = []
        for result in service.summarize_many(requests(), window=3):
            most_in_flight = max(most_in_flight, pulled - yielded)
            yielded += 1
            results.append(result)
    assert most_in_flight <= 3
    assert sorted(r.index for r in results) == list(range(12))
    by_id = {r.id: r for r in results}
    assert by_id["bad"].index == 5 and str(by_id["bad"].error) == "id: broken"
    assert isinstance(by_id["empty"].error, InvalidInput)
    assert all(r.summary is not None for r in results if r.id.startswith("c"))
