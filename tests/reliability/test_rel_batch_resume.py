"""A real ``newsfuse batch`` process (real MiniLM) killed mid-run, then resumed.

The resumed run must leave every cluster's id in the output exactly once, with no partial
line, and nothing lost of what the killed run had written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "budapest").glob("*.txt"))
CLUSTERS = 24


def complete_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    data = path.read_bytes()
    return data[: data.rfind(b"\n") + 1].decode().splitlines()


def test_killed_batch_resumed_writes_each_id_exactly_once(tmp_path: Path) -> None:
    texts = [p.read_text(encoding="utf-8") for p in EXAMPLES]
    source = tmp_path / "in.jsonl"
    with source.open("w") as handle:
        for i in range(CLUSTERS):
            documents = [
                {"id": f"d{k}", "text": texts[(i + k) % len(texts)]} for k in range(1 + i % 2)
            ]
            handle.write(json.dumps({"id": f"cluster-{i:02d}", "documents": documents}) + "\n")
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "newsfuse.cli", "batch", str(source), "-o", str(out)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", NEWSFUSE_THREADS="1")
    process = subprocess.Popen(
        [*command, "--window", "2"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 600
        while len(complete_lines(out)) < 2:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "no output within 10 minutes"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    before = complete_lines(out)
    assert 2 <= len(before) < CLUSTERS, "the run must be stopped mid-way for this test"

    resumed = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, timeout=900
    )
    assert resumed.returncode == 0, resumed.stderr
    data = out.read_text()
    assert data.endswith("\n")
    lines = data.splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    assert sorted(ids) == [f"cluster-{i:02d}" for i in range(CLUSTERS)]  # each exactly once
    assert lines[: len(before)] == before  # what the killed run wrote is kept as it was
    assert f"{len(before)} already done" in resumed.stderr
    assert all(json.loads(line)["sentences"] for line in lines)
