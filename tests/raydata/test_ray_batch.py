"""``newsfuse batch --engine ray`` against a real local Ray started by these tests.

A Ray of 2 CPUs on loopback, no dashboard, its files under the tests' temporary folder; the
command runs as a real process joining it (``--ray-address``), with a deadline, and its
actors load the real MiniLM. Its lines must equal what the in-process ``newsfuse batch``
writes for the same input (timings left out).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from newsfuse import cli
from newsfuse.errors import ERROR_TABLE, EXIT_OK, EXIT_PARTIAL, InvalidInput, ModelLoadError
from newsfuse.pipeline import Pipeline
from ray_support import read_lines, small_clusters, without_timing, write_jsonl

pytestmark = pytest.mark.slow

COMMAND_TIMEOUT = 480  # seconds; a 12-cluster run takes about two minutes on 2 idle cores
BAD_LINES = ['{"id": "cut", "documents": [{"id": "a", "te', "", '{"id": "empty", "documents": []}']


@pytest.fixture(scope="module")
def ray_address(tmp_path_factory) -> Iterator[str]:
    """A local Ray for this module: 2 CPUs, no dashboard, stopped at the end."""
    import ray

    # Ray's socket paths must stay under 107 characters: a short folder of its own.
    temp = tmp_path_factory.mktemp("ray")
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        _temp_dir=str(temp),
        object_store_memory=200 * 1024 * 1024,
        logging_level="WARNING",
        log_to_driver=False,
    )
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


def newsfuse_ray(address: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``newsfuse batch --engine ray`` as a process joining the test's Ray."""
    command = [sys.executable, "-m", "newsfuse.cli", "batch", *args, "--engine", "ray",
               "--ray-address", address, "--ray-actors", "1", "--ray-batch-size", "8"]  # fmt: skip
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
    )


@pytest.fixture
def in_process(monkeypatch, capsys, pipeline):
    """The in-process ``newsfuse batch`` (the session's MiniLM pipeline) into a file."""
    monkeypatch.setattr(Pipeline, "load", classmethod(lambda cls, settings: pipeline))

    def run(source: Path, out: Path) -> int:
        code = cli.main(["batch", str(source), "-o", str(out), "--quiet"])
        capsys.readouterr()
        return code

    return run


def test_ray_batch_gives_the_summaries_of_in_process_batch(
    ray_address, in_process, tmp_path: Path
) -> None:
    # 12 clusters: model batches of 8 and 4.
    source = write_jsonl(tmp_path / "in.jsonl", small_clusters(12), *BAD_LINES)
    assert in_process(source, tmp_path / "local.jsonl") == EXIT_PARTIAL
    expected = read_lines(tmp_path / "local.jsonl")
    assert len(expected) == 14 and sum("error" in r for r in expected.values()) == 2

    out = tmp_path / "ray.jsonl"
    result = newsfuse_ray(ray_address, str(source), "-o", str(out))
    assert result.returncode == EXIT_PARTIAL, result.stderr
    assert "12 summarized, 2 failed, 0 already done" in result.stderr
    assert read_lines(out) == expected
    assert all(r["sentences"] for k, r in expected.items() if "error" not in r)

    # Resume: a run killed after 7 lines, in the middle of writing the 8th.
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:7]) + lines[7][:50], encoding="utf-8")
    result = newsfuse_ray(ray_address, str(source), "-o", str(out), "--resume")
    assert result.returncode == EXIT_PARTIAL, result.stderr
    assert "7 already done" in result.stderr
    assert out.read_text(encoding="utf-8").startswith("".join(lines[:7]))
    assert read_lines(out) == expected  # every id exactly once (read_lines checks)


def test_ray_batch_reads_a_directory_of_jsonl_and_parquet_and_writes_parquet(
    ray_address, in_process, tmp_path: Path
) -> None:
    clusters = small_clusters(5, documents=2, lines=4)
    folder = tmp_path / "clusters"
    folder.mkdir()
    write_jsonl(folder / "part-0.jsonl", clusters[:3], "{}")
    pq.write_table(pa.Table.from_pylist(clusters[3:]), folder / "part-1.parquet")
    (folder / "_SUCCESS").write_text("")
    code = in_process(write_jsonl(tmp_path / "all.jsonl", clusters), tmp_path / "local.jsonl")
    assert code == EXIT_OK
    expected = read_lines(tmp_path / "local.jsonl")

    out = tmp_path / "summaries.parquet"
    result = newsfuse_ray(ray_address, str(folder), "-o", str(out))
    assert result.returncode == EXIT_PARTIAL, result.stderr
    table = pq.read_table(out)
    assert table.column_names == ["id", "error", "result"]
    records = [json.loads(text) for text in table.column("result").to_pylist()]
    failed = [r for r in records if "error" in r]
    assert failed == [
        {
            "id": None,
            "file": "part-0.jsonl",
            "line": 4,
            "error": {
                "reason": "invalid_input",
                "message": "documents: required: a list of {id, text} objects",
                "field": "documents",
                "retryable": False,
            },
        }
    ]
    assert {r["id"]: without_timing(r) for r in records if r["id"]} == expected
    assert table.column("error").to_pylist().count("invalid_input") == 1


def test_a_model_that_cannot_load_stops_the_job_with_its_exit_code(
    ray_address, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", small_clusters(2))
    out = tmp_path / "out.jsonl"
    result = newsfuse_ray(ray_address, str(source), "-o", str(out), "--model", str(tmp_path))
    assert result.returncode == ERROR_TABLE[ModelLoadError].exit_code, result.stderr
    assert f"newsfuse: error: model directory {tmp_path} has no config.json" in result.stderr
    assert "Traceback" not in result.stderr  # the error by the table, not Ray's trace
    assert out.read_text() == ""  # nothing written, nothing to resume from


def test_actors_larger_than_the_local_ray_are_refused(ray_address) -> None:
    from newsfuse.ray_engine import RayOptions, check_resources

    check_resources(RayOptions(cpus_per_actor=2))
    with pytest.raises(InvalidInput, match="each actor asks for 3 CPUs; this Ray has 2"):
        check_resources(RayOptions(cpus_per_actor=3))
    with pytest.raises(InvalidInput, match="--ray-gpus-per-actor"):
        check_resources(RayOptions(gpus_per_actor=1))
