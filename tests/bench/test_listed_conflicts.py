"""bench/listed_conflicts.py on the example cluster: the lists people read, a baseline finder."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

listed_conflicts = importlib.import_module("listed_conflicts")


def test_lists_the_example_disagreements_and_a_baseline_finder(
    pipeline, example_paths, tmp_path
):
    from newsfuse import conflicts
    from newsfuse.types import Document, SummaryOptions

    documents = [Document(id=p.name, text=p.read_text(encoding="utf-8")) for p in example_paths]
    ctx = pipeline.prepare(documents, SummaryOptions(max_words=150))
    row = listed_conflicts.listed(ctx, conflicts)
    assert row["all"] == 2
    values = sorted(tuple(v["value"] for v in c["values"]) for c in row["top"])
    assert any("2,500 km" in a + b for a, b in values)
    assert any("two" in a + b and "hour" in a + b for a, b in values)
    # Each value carries the sentences that state it, as written in the sources.
    for conflict in row["top"]:
        for value in conflict["values"]:
            assert value["sources"] and all(value["value"] in s for s in value["sources"][:1])
    # A finder loaded from a file (the baseline) lists from the same prepared inputs: the
    # shipped one gives the same lists, one that finds nothing lists nothing.
    baseline = listed_conflicts._load_finder(Path(conflicts.__file__))
    assert listed_conflicts.listed(ctx, baseline) == row
    stub = tmp_path / "old_conflicts.py"
    stub.write_text("def find_conflicts(*args, **kwargs):\n    return []\n", encoding="utf-8")
    assert listed_conflicts.listed(ctx, listed_conflicts._load_finder(stub)) == {
        "all": 0,
        "top": [],
    }
