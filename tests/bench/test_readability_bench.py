"""bench/readability.py and bench/debris.py on small synthetic clusters (not DUC data)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

common = importlib.import_module("_common")
readability_bench = importlib.import_module("readability")
debris_bench = importlib.import_module("debris")

# Wire copy with the debris the benchmark counts: a dateline, a byline, a timeline bullet, a
# note to editors, a sentence that opens with a pronoun.
FLOOD = [
    {"name": "APW19990707.0001", "headline": "Flood", "date": "1999-07-07",
     "text": "VALLEY, Ore. (AP) -- Heavy rain flooded the river valley on Monday, forcing "
             "hundreds of families from their homes.\n\nBy JOHN SMITH\n\n"
             "The mayor asked the army for help on Tuesday. He said the water was still "
             "rising.\n\n-- Schools will stay closed until Friday.\n\n"
             "(Story will move in the ``a'' category.)"},
    {"name": "NYT19990708.0002", "headline": "Flood 2", "date": "1999-07-08",
     "text": "Floods forced hundreds of families from their homes in the river valley on "
             "Monday.\n\nSoldiers helped the evacuation after the mayor asked for the army. "
             "Forecasters expect more rain on Wednesday."},
]
REFS = ["Floods in the valley forced hundreds of families from their homes. The army helped."]


@pytest.fixture()
def eval_dir(tmp_path: Path) -> Path:
    record = {"documents": FLOOD, "references": REFS, "query": {}}
    (tmp_path / "duc2006.jsonl").write_text(json.dumps({"id": "D0601A", **record}) + "\n")
    (tmp_path / "duc2007.jsonl").write_text(
        json.dumps({"id": "D0701A", "task": "main", **record}) + "\n"
        + json.dumps({"id": "D0702A-A", "task": "update", **record}) + "\n"
    )
    return tmp_path


def _pipeline():
    from newsfuse.embed import HashingEmbedder
    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings

    return Pipeline(Settings(), HashingEmbedder())


def test_readability_bench_counts_every_dataset(eval_dir: Path) -> None:
    data = common.load_datasets(eval_dir)
    result = readability_bench.evaluate(data, pipeline=_pipeline())
    rows = {r["dataset"]: r for r in result["results"]}
    assert set(rows) == {"duc2006", "duc2007-main", "duc2007-update-A"}
    for row in rows.values():
        assert row["clusters"] == 1 and row["sentences"] >= 1
        assert row["debris"] == 0  # the dateline, byline, bullet and note never get in
        assert 0 < row["r1_recall"] <= 100 and row["r2_recall"] <= row["r1_recall"]
        assert row["lead_top_fact_pct"] in (0.0, 100.0)
    report = result["per_cluster"]["duc2006"][0]
    assert report.texts and not any(t.startswith(("VALLEY", "By ", "--")) for t in report.texts)
    table = readability_bench.render(result)
    assert "dangling %" in table and "duc2007-update-A" in table


def test_assess_finds_debris_dangling_openers_repeats_and_inversions(eval_dir: Path) -> None:
    """``assess`` on a summary assembled by hand from the cluster's own sentences."""
    import datetime as dt

    from newsfuse.types import Citation, Summary, SummaryOptions, SummarySentence

    pipeline = _pipeline()
    cluster = common.load_datasets(eval_dir, ["duc2006"])["duc2006"][0]
    ctx = pipeline.prepare(
        readability_bench.cluster_documents(cluster), SummaryOptions(max_words=250)
    )
    by_text = {" ".join(s.text.split()): s for s in ctx.sentences}
    ids = [d.document.id for d in ctx.documents]

    def shown(text: str) -> SummarySentence:
        s = by_text[text]
        return SummarySentence(
            text=text, citations=(Citation(ids[s.doc], s.index, s.start, s.end, 1.0),)
        )

    texts = [
        "Soldiers helped the evacuation after the mayor asked for the army.",  # 8 July
        "He said the water was still rising.",  # its source's sentence before is not before
        "Schools will stay closed until Friday.",  # a list item: debris
        "Heavy rain flooded the river valley on Monday, forcing hundreds of families from "
        "their homes.",  # 5 July: told after an 8 July fact
        "Floods forced hundreds of families from their homes in the river valley on Monday.",
    ]
    summary = Summary(sentences=tuple(shown(t) for t in texts), documents=(), duplicates=(),
                      stats=None)
    judge = readability_bench.RepeatJudge(pipeline, threshold=0.3)
    scorer = readability_bench.make_scorer()
    report = readability_bench.assess(cluster, ctx, summary, judge, scorer,
                                      pipeline.embedder.encode)
    assert report.debris == ["list item"]
    assert report.dangling == [(1, "pronoun opener: He")]
    assert report.inversions >= 1
    assert (3, 4) in {(i, j) for i, j, _ in report.repeats}
    assert report.max_pair >= 0.3
    assert ctx.documents[0].date == dt.date(1999, 7, 7)


def test_main_writes_json_without_text_unless_asked(eval_dir: Path, tmp_path: Path,
                                                    monkeypatch) -> None:
    monkeypatch.setattr(readability_bench, "load_newsfuse", lambda: (_pipeline(), 0.0))
    out = tmp_path / "r.json"
    summaries = tmp_path / "s.jsonl"
    assert readability_bench.main(["--eval-dir", str(eval_dir), "--limit", "1", "--out",
                                   str(out), "--summaries", str(summaries)]) == 0
    result = json.loads(out.read_text())
    assert result["per_cluster"]["duc2006"][0]["cluster"] == "D0601A"
    assert "summary" not in result["per_cluster"]["duc2006"][0]
    lines = [json.loads(line) for line in summaries.read_text().splitlines()]
    assert len(lines) == 3 and all(line["summary"] for line in lines)


def test_debris_bench_counts_drops_and_unfit(eval_dir: Path) -> None:
    data = common.load_datasets(eval_dir)
    result, shown = debris_bench.measure(data, sample=5, seed=1)
    assert result["documents"] == 2
    # The byline and the note to editors are dropped; the bullet is kept, marked unfit.
    assert result["dropped_by_reason"].get("byline") == 1
    assert result["dropped_by_reason"].get("editor's note") == 1
    assert result["unfit_by_reason"].get("list item") == 1
    assert result["dropped"] == sum(result["dropped_by_reason"].values())
    assert all(" | " in line for line in shown)


def test_debris_bench_baseline_loses_nothing_against_itself(eval_dir: Path) -> None:
    from newsfuse import ingest

    baseline = debris_bench.load_ingest(Path(ingest.__file__))
    result, _ = debris_bench.measure(common.load_datasets(eval_dir), 0, 1, baseline)
    assert result["baseline_sentences"] == result["body_sentences"] > 0
    assert result["baseline_lost"] == 0
