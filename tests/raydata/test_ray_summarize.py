"""``newsfuse.ray_engine`` without a Ray: the ``map_batches`` class called directly, the
reading of input files, the writing of results, and what the command refuses.

The class runs here exactly as in an actor (Ray only calls it); these tests use the
torch-free ``HashingEmbedder``. ``test_ray_batch.py`` runs it in a real local Ray.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from newsfuse import batch, cli, ray_engine
from newsfuse.batch import Counts, Done
from newsfuse.embed import HashingEmbedder
from newsfuse.errors import InvalidInput, ModelLoadError
from newsfuse.pipeline import Pipeline
from newsfuse.service import SummarizerService
from newsfuse.settings import Settings
from ray_support import small_clusters, without_timing, write_jsonl

SETTINGS = Settings(threads=1)
BAD_LINES = ['{"id": "cut", "documents": [{"id": "a", "te', '{"documents": []}', "not json"]


def hashing_pipeline(settings: Settings) -> Pipeline:
    return Pipeline(settings, HashingEmbedder())


@pytest.fixture(scope="module")
def summarize() -> ray_engine.Summarize:
    return ray_engine.Summarize(SETTINGS, pipeline_factory=hashing_pipeline)


def in_process(lines: list[tuple[int, bytes]]) -> dict[str, dict]:
    """What the in-process ``newsfuse batch`` writes for these lines, by id or line."""
    out = io.StringIO()
    with SummarizerService(SETTINGS, hashing_pipeline, warmup=False).load() as service:
        run = batch.Batch(lines, out, default_max_words=SETTINGS.max_words)
        run.run(lambda items: service.summarize_many(items, window=4))
    return _by_key(json.loads(line) for line in out.getvalue().splitlines())


def _by_key(records) -> dict[str, dict]:
    return {r["id"] or f"line {r['line']}": without_timing(r) for r in records}


def test_a_batch_of_lines_gives_the_lines_batch_writes(summarize) -> None:
    raw = [json.dumps(c) for c in small_clusters(6)] + BAD_LINES
    lines = [(n, text.encode()) for n, text in enumerate(raw, start=1)]
    table = pa.table({"request": [r for _, r in lines], "line": [n for n, _ in lines]})
    result = summarize(table)
    assert result.schema == ray_engine.RESULT_SCHEMA
    rows = result.to_pylist()
    assert len(rows) == len(raw)  # one row per cluster, bad ones included
    got = _by_key(json.loads(r["result"]) for r in rows)
    assert got == in_process(lines)
    statuses = {r["id"] or f"line {r['line']}": (r["status"], r["error"]) for r in rows}
    assert statuses["c03"] == ("summarized", None)
    assert statuses["line 7"] == ("failed", "invalid_input")  # cut JSON: no id to read
    assert statuses["line 8"] == ("failed", "invalid_input")  # no id
    assert got["line 8"]["error"]["field"] == "id"


def test_columns_of_a_json_or_parquet_reader_are_requests_too(summarize) -> None:
    """Rows with the request's fields as columns (Arrow types, nulls for absent fields)."""
    clusters = small_clusters(2, documents=2)
    clusters[1]["options"] = {"max_words": 40, "mode": "extractive"}
    columns = [json.loads(json.dumps(c)) for c in clusters]
    columns[0]["documents"][0]["date"] = dt.date(2025, 10, 17)  # an Arrow date32
    clusters[0]["documents"][0]["date"] = "2025-10-17"
    table = pa.Table.from_struct_array(pa.array(columns))  # absent fields become nulls
    assert table.column("options").to_pylist()[0] is None
    assert table.column("documents").to_pylist()[1][0]["date"] is None
    rows = summarize(table).to_pylist()
    got = {r["id"]: json.loads(r["result"]) for r in rows}
    expected = in_process([(n, json.dumps(c).encode()) for n, c in enumerate(clusters, 1)])
    assert {k: without_timing(v) for k, v in got.items()} == expected
    assert got["c00"]["documents"][0]["date"] == "2025-10-17"
    assert len(got["c01"]["summary"].split()) < 60  # its own word budget (40), not 150
    # pandas batches (batch_format="pandas") give the same rows.
    again = summarize(table.to_pandas()).to_pylist()
    assert {r["id"]: without_timing(json.loads(r["result"])) for r in again} == expected


def test_clusters_already_done_are_skipped_without_model_work() -> None:
    done = Done(ids={"c01"}, lines={3}, file_lines={("b.jsonl", 2)})
    summarize = ray_engine.Summarize(SETTINGS, done=done, pipeline_factory=hashing_pipeline)
    raw = [json.dumps(c).encode() for c in small_clusters(2)] + [b"not json"] * 2
    table = pa.table(
        {
            "request": raw + [b"not json"],
            "line": [1, 2, 3, 2, 2],
            "file": ["", "", "", "b.jsonl", "c.jsonl"],
        }
    )
    rows = summarize(table).to_pylist()
    status = {(r["id"], r["file"], r["line"]): r["status"] for r in rows}
    assert status == {
        ("c00", "", 1): "summarized",
        ("c01", "", 2): "skipped",
        (None, "", 3): "skipped",
        (None, "b.jsonl", 2): "skipped",
        (None, "c.jsonl", 2): "failed",  # same line number, another file: not done
    }
    failed = json.loads(next(r["result"] for r in rows if r["status"] == "failed"))
    assert (failed["file"], failed["line"]) == ("c.jsonl", 2)
    assert failed["error"]["message"].startswith("request: not valid JSON")
    assert all(r["result"] is None for r in rows if r["status"] == "skipped")


def broken_model(settings: Settings) -> Pipeline:
    raise ModelLoadError("model directory /models/x does not exist")


def test_a_model_that_fails_to_load_stops_the_run_with_its_error() -> None:
    with pytest.raises(ModelLoadError):
        ray_engine.Summarize(SETTINGS, pipeline_factory=broken_model)
    summarize = ray_engine.Summarize(
        SETTINGS, pipeline_factory=broken_model, report_load_error=True
    )
    rows = summarize(pa.table({"request": [b"{}", b"{}"]})).to_pylist()
    assert [r["status"] for r in rows] == ["stopped"]
    out = io.StringIO()
    sink = ray_engine._Sink(out, None)
    with pytest.raises(ModelLoadError, match="/models/x does not exist"):
        ray_engine._write_results(rows, sink, Counts(total=None), lambda counts: None)
    assert out.getvalue() == ""


def test_results_are_written_as_they_come_and_each_id_once() -> None:
    ok = {"id": "c1", "file": "", "line": 1, "status": "summarized", "error": None}
    rows = [
        {**ok, "result": '{"id": "c1", "summary": "first"}'},
        {**ok, "id": None, "line": 2, "status": "skipped", "result": None},
        {**ok, "file": "b.jsonl", "line": 5, "result": '{"id": "c1", "summary": "again"}'},
        {**ok, "id": "c2", "line": 3, "status": "failed", "error": "limit_exceeded",
         "result": '{"id": "c2", "line": 3, "error": {"reason": "limit_exceeded"}}'},
    ]  # fmt: skip
    out = io.StringIO()
    counts = Counts(total=4)
    seen = []
    ray_engine._write_results(rows, ray_engine._Sink(out, None), counts, seen.append)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in lines] == ["c1", "c1", "c2"]
    assert lines[0]["summary"] == "first"
    assert lines[1]["error"]["reason"] == "invalid_input"
    assert lines[1]["error"]["message"] == "id: duplicate id 'c1' (also line 1)"
    assert (lines[1]["file"], lines[1]["line"]) == ("b.jsonl", 5)
    assert (counts.done, counts.failed, counts.skipped) == (3, 2, 1)
    assert len(seen) == 4


def test_parquet_output_holds_every_result(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    with open(target, "wb") as handle:
        sink = ray_engine._Sink(None, handle)
        for i in range(ray_engine.PARQUET_ROW_GROUP + 3):  # more than one row group
            error = "internal" if i == 7 else None
            sink.write(f"c{i}", error, json.dumps({"id": f"c{i}"}))
        sink.close()
    table = pq.read_table(target)
    assert table.schema == ray_engine.PARQUET_SCHEMA
    assert table.num_rows == ray_engine.PARQUET_ROW_GROUP + 3
    assert table.column("error").to_pylist()[7] == "internal"
    assert json.loads(table.column("result")[-1].as_py())["id"] == f"c{table.num_rows - 1}"


def test_input_files_of_a_directory_skip_hidden_and_bookkeeping_files(tmp_path: Path) -> None:
    (tmp_path / "in" / "part").mkdir(parents=True)
    for name in ("a.jsonl", "part/b.parquet", "_SUCCESS", ".a.jsonl.crc", "part/_meta"):
        (tmp_path / "in" / name).write_text("x")
    files = ray_engine.input_files(str(tmp_path / "in"))
    assert [files.relative(p) for p in files.paths] == ["a.jsonl", "part/b.parquet"]
    single = ray_engine.input_files(str(tmp_path / "in" / "a.jsonl"))
    assert single.paths == (str(tmp_path / "in" / "a.jsonl"),) and single.relative("x") == ""
    uri = ray_engine.input_files(f"file://{tmp_path / 'in'}")
    assert len(uri.paths) == 2
    with pytest.raises(InvalidInput, match="no such file or directory"):
        ray_engine.input_files(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="no input files"):
        ray_engine.input_files(str(tmp_path / "empty"))


def test_a_file_is_split_into_clusters_with_their_line_numbers() -> None:
    data = b'{"id": "a", "documents": []}\n\n  \n{"id": "b"}\nlast'
    rows = ray_engine._split_file({"bytes": data, "path": "/in/x/f.jsonl"}, root="/in")
    assert [r["line"] for r in rows] == [1, 4, 5]  # blank lines count, as in process
    assert {r["file"] for r in rows} == {"x/f.jsonl"}
    assert rows[2]["request"] == b"last"
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(small_clusters(2)), buffer)
    rows = ray_engine._split_file({"bytes": buffer.getvalue(), "path": "/in/c.parquet"}, root="")
    assert [(r["line"], r["file"]) for r in rows] == [(1, ""), (2, "")]
    assert json.loads(rows[1]["request"]) == small_clusters(2)[1]


@pytest.fixture
def run(capsys):
    def invoke(argv: list[str]) -> tuple[int, str]:
        code = cli.main(argv)
        return code, capsys.readouterr().err

    return invoke


def test_what_the_command_refuses_before_starting_ray(run, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", small_clusters(1))
    code, err = run(["batch", "-", "--engine", "ray"])
    assert code == 2 and "not - (stdin)" in err
    code, err = run(["batch", str(source), "-o", str(tmp_path / "o.parquet"), "--resume",
                     "--engine", "ray"])  # fmt: skip
    assert code == 2 and "--resume: needs a local JSON lines output file" in err
    code, err = run(["batch", str(source), "--engine", "ray", "--server", "127.0.0.1:1"])
    assert code == 2 and "--server: goes with --engine local" in err
    code, err = run(["batch", str(tmp_path / "nothing"), "--engine", "ray"])
    assert code == 2 and "no such file or directory" in err
    (tmp_path / "old.jsonl").write_text('{"id": "x"}\n')
    code, err = run(["batch", str(source), "-o", str(tmp_path / "old.jsonl"), "--engine", "ray"])
    assert code == 2 and "exists: add --resume" in err
    code, err = run(["batch", str(source), "-o", str(tmp_path / "o.parquet")])
    assert code == 2 and "Parquet is read and written by --engine ray only" in err
    for bad in ("0", "3:2", "x", "2:y"):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["batch", str(source), "--engine", "ray", "--ray-actors", bad])
        assert exit_info.value.code == 2


def test_pool_sizes_parse() -> None:
    assert cli._actor_pool("4") == (4, 4)
    assert cli._actor_pool("1:8") == (1, 8)
    assert cli._actor_pool("2:") == (2, None)


def test_output_to_a_uri_goes_through_pyarrows_filesystems(tmp_path: Path) -> None:
    """``-o s3://...`` and the like: here a ``file://`` URI, through the same code."""
    from contextlib import ExitStack

    target = tmp_path / "out.jsonl"
    with ExitStack() as stack:
        sink, done = ray_engine._open_sink(stack, f"file://{target}", resume=False,
                                           overwrite=False)  # fmt: skip
        sink.write("c1", None, '{"id": "c1"}')
        sink.write("c2", None, '{"id": "c2", "summary": "é"}')
        assert len(done) == 0
    assert target.read_text(encoding="utf-8").splitlines() == [
        '{"id": "c1"}',
        '{"id": "c2", "summary": "é"}',
    ]
    with ExitStack() as stack, pytest.raises(InvalidInput, match="exists: add --overwrite"):
        ray_engine._open_sink(stack, f"file://{target}", resume=False, overwrite=False)
    with ExitStack() as stack:
        sink, _ = ray_engine._open_sink(stack, f"file://{target}.parquet", resume=False,
                                        overwrite=False)  # fmt: skip
        sink.write("c1", "internal", '{"id": "c1"}')
    assert pq.read_table(f"{target}.parquet").column("error").to_pylist() == ["internal"]
    with ExitStack() as stack, pytest.raises(InvalidInput, match="--resume"):
        ray_engine._open_sink(stack, f"file://{target}", resume=True, overwrite=False)
