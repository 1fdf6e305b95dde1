"""Smoke tests of the benchmark harness on a small synthetic evaluation set (not DUC data)."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

common = importlib.import_module("_common")
quality = importlib.import_module("quality")
splitters = importlib.import_module("splitters")
speed = importlib.import_module("speed")


def _doc(name: str, date: str, sentences: list[str]) -> dict[str, str]:
    # Two sentences per paragraph, paragraphs separated by a blank line as in the DUC files.
    paragraphs = [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)]
    return {"name": name, "headline": f"Story {name}", "date": date,
            "text": "\n\n".join(paragraphs)}


FLOOD = [
    _doc("APW19990707.0001", "1999-07-07 08:30:27", [
        "Heavy rain flooded the river valley on Monday.",
        "Hundreds of families left their homes as the water rose.",
        "The mayor asked the army for help with the evacuation.",
        "Local schools will stay closed until Friday.",
    ]),
    _doc("NYT19990708.0002", "07/08/1999 10:00:00", [
        "Floods forced hundreds of families from their homes in the valley.",
        "Soldiers helped the evacuation after the mayor asked for the army.",
        "Forecasters expect more rain on Wednesday.",
        "Insurance claims are expected to be large.",
    ]),
]
ELECTION = [
    _doc("XIE19980614.0003", "1998-14-06 14:27:00", [
        "Voters elected a new parliament on Sunday.",
        "The governing party lost its majority after ten years in power.",
        "Turnout was the highest in two decades.",
    ]),
    _doc("APW19980615.0004", "1998-06-15", [
        "The governing party lost its parliamentary majority in Sunday's election.",
        "Opposition leaders began talks on forming a coalition.",
        "Turnout reached a twenty-year high.",
    ]),
]


def _cluster(cid: str, docs: list[dict[str, str]], refs: list[str], **extra) -> dict:
    return {"id": cid, "documents": docs, "references": refs, "query": {}, **extra}


@pytest.fixture()
def eval_dir(tmp_path: Path) -> Path:
    flood_refs = ["Floods in the valley forced hundreds of families from their homes. "
                  "The army helped the evacuation.",
                  "Heavy rain flooded the valley and families left their homes."]
    election_refs = ["The governing party lost its majority in the parliamentary election. "
                     "Turnout was high.",
                     "Voters elected a new parliament and opposition leaders began coalition "
                     "talks."]
    (tmp_path / "duc2006.jsonl").write_text(
        json.dumps(_cluster("D0601A", FLOOD, flood_refs)) + "\n"
        + json.dumps(_cluster("D0602B", ELECTION, election_refs)) + "\n"
    )
    (tmp_path / "duc2007.jsonl").write_text(
        json.dumps(_cluster("D0701A", FLOOD, flood_refs, task="main")) + "\n"
        + json.dumps(_cluster("D0702A-A", ELECTION, election_refs, task="update")) + "\n"
        + json.dumps(_cluster("D0702A-B", FLOOD, flood_refs, task="update")) + "\n"
    )
    return tmp_path


def test_datasets_split_by_task_with_budgets_and_dates(eval_dir: Path) -> None:
    data = common.load_datasets(eval_dir)
    assert {k: [c.id for c in v] for k, v in data.items()} == {
        "duc2006": ["D0601A", "D0602B"],
        "duc2007-main": ["D0701A"],
        "duc2007-update-A": ["D0702A-A"],
    }
    assert [c.budget for c in data["duc2006"]] == [250, 250]
    assert data["duc2007-update-A"][0].budget == 100
    # The name's YYYYMMDD wins over the ambiguous YYYY-DD-MM date field.
    assert data["duc2006"][1].documents[0].date == dt.date(1998, 6, 14)
    assert common.load_datasets(eval_dir, ["duc2006"], limit=1)["duc2006"][0].id == "D0601A"


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("no-date-here", "1999-07-07 08:30:27", dt.date(1999, 7, 7)),
        ("no-date-here", "1998-23-06 10:17:00", dt.date(1998, 6, 23)),
        ("no-date-here", "08/12/1998 13:29:00", dt.date(1998, 8, 12)),
        ("NYT20000101.0001", "garbage", dt.date(2000, 1, 1)),
        ("no-date-here", "", None),
    ],
)
def test_parse_doc_date(name: str, raw: str, expected: dt.date | None) -> None:
    assert common.parse_doc_date(name, raw) == expected


def test_lead_takes_first_sentences_round_robin_and_cuts_at_budget(eval_dir: Path) -> None:
    cluster = common.load_datasets(eval_dir, ["duc2006"])["duc2006"][0]
    _, split = common.get_splitter("blingfire")
    summary = quality.lead_summary(cluster, split)
    assert summary.startswith(
        "Heavy rain flooded the river valley on Monday. Floods forced hundreds of families"
    )
    assert summary.index("Hundreds of families left") < summary.index("Soldiers helped")
    short = dataclass_replace(cluster, budget=12)
    assert len(quality.lead_summary(short, split).split()) == 12


def dataclass_replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


@pytest.mark.parametrize("mode", ["blingfire", "regex", "auto"])
def test_splitters_give_exact_spans(mode: str) -> None:
    text = "Mr. Smith met Dr. Jones on Oct. 5 in Washington.\nIt rained. Prices rose 2.5 percent."
    name, split = common.get_splitter(mode)
    spans = split(text)
    assert name
    assert [text[a:b] for a, b in spans][-1] == "Prices rose 2.5 percent."
    for a, b in spans:
        assert text[a:b] == text[a:b].strip() and text[a:b]


def test_lexrank_summary_is_cached_and_made_of_cluster_sentences(
    eval_dir: Path, tmp_path: Path
) -> None:
    clusters = common.load_datasets(eval_dir, ["duc2006"])["duc2006"]
    cache = tmp_path / "cache"
    first = quality.run_lexrank(clusters, "blingfire", jobs=1, cache_dir=cache)
    assert len(list(cache.glob("*.json"))) == 2
    second = quality.run_lexrank(clusters, "blingfire", jobs=1, cache_dir=cache)
    assert all(not cached for _, _, cached in first.values())
    assert all(cached for _, _, cached in second.values())
    assert {k: v[0] for k, v in first.items()} == {k: v[0] for k, v in second.items()}
    source = " ".join(d.text for c in clusters for d in c.documents)
    for summary, _, _ in first.values():
        assert summary and len(summary.split()) <= 250
        assert all(s.strip() in source for s in summary.split(". ") if s.strip())


def test_rouge_of_a_reference_against_itself_is_full_recall() -> None:
    scorer = quality.make_scorer()
    refs = ["The governing party lost its majority.", "Turnout was high in the election."]
    same = quality.score_summary(scorer, refs[0], refs[:1], 250)
    assert same["r1_recall"] == pytest.approx(100.0) and same["r2_f1"] == pytest.approx(100.0)
    cut = quality.score_summary(scorer, refs[0], refs[:1], 3)  # "The governing party"
    assert cut["r1_recall"] == pytest.approx(100 * 3 / 6)
    assert quality.score_summary(scorer, "", refs, 250)["r1_recall"] == 0.0


def test_main_writes_table_and_json_for_the_baselines(
    eval_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(quality, "LEXRANK_CACHE", tmp_path / "cache")
    out = tmp_path / "quality.json"
    code = quality.main(["--eval-dir", str(eval_dir), "--systems", "lead,lexrank",
                         "--jobs", "1", "--no-cache", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| duc2007-update-A | lexrank | 1 |" in printed
    result = json.loads(out.read_text())
    rows = {(r["dataset"], r["system"]): r for r in result["results"]}
    assert set(rows) == {(d, s) for d in common.DATASETS for s in ("lead", "lexrank")}
    for row in rows.values():
        assert 0.0 < row["r1_recall"] <= 100.0
        assert row["r2_recall"] <= row["r1_recall"]
    assert set(result["per_cluster"]["duc2006"]["lead"]) == {"D0601A", "D0602B"}


def test_newsfuse_system_runs_through_the_pipeline(eval_dir: Path) -> None:
    from newsfuse.embed import HashingEmbedder
    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings

    pipeline = Pipeline(Settings(), HashingEmbedder())
    data = common.load_datasets(eval_dir)
    result = quality.evaluate(data, ["newsfuse", "lead"], pipeline=pipeline, jobs=1)
    rows = {(r["dataset"], r["system"]): r for r in result["results"]}
    assert rows["duc2006", "newsfuse"]["r1_recall"] > 0
    assert {c["baseline"] for c in result["comparison"]} == {"lead"}
    assert "newsfuse vs" in quality.render(result)


def test_snippet_labels_are_consistent() -> None:
    assert len(splitters.SNIPPETS) >= 40
    for text, expected in splitters.SNIPPETS:
        # Raises when an expected sentence is not found in order in its snippet.
        assert len(splitters._starts(text, expected)) == len(expected) - 1


def test_splitter_metrics_catch_bad_spans_and_wrap_breaks() -> None:
    text = "The talks were\npostponed again. Nobody knows why."
    broken = [(0, 14, "The talks were"), (15, 31, "postponed again."), (31, 48, "X")]
    fid = splitters.fidelity(text, broken)
    assert fid["text_mismatch"] == 1 and fid["bad_range"] == 0
    assert splitters.error_counts(text, broken)["wrap_breaks"] == 1
    good = splitters._blingfire()(text)
    assert splitters.fidelity(text, good)["text_mismatch"] == 0
    assert splitters.error_counts(text, good)["wrap_breaks"] == 0
    assert splitters.snippet_scores(splitters._blingfire())["exact"] >= 30


def test_percentile() -> None:
    assert speed.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert speed.percentile([1.0, 2.0], 90) == pytest.approx(1.9)
    assert speed.percentile([5.0], 90) == 5.0


def test_caching_embedder_round_trips_through_disk(tmp_path: Path) -> None:
    from newsfuse.embed import HashingEmbedder

    inner = HashingEmbedder(dim=64)
    path = tmp_path / "emb.npz"
    cache = quality.CachingEmbedder(inner, path)
    texts = ["Floods hit the valley.", "The army helped.", "Floods hit the valley."]
    first = cache.encode(texts)
    cache.save()
    reloaded = quality.CachingEmbedder(inner, path)
    assert set(reloaded.vectors) == set(texts)
    assert (reloaded.encode(texts) == first).all()
    assert (first == inner.encode(texts)).all()


def test_splitter_repairs_merge_titles_and_break_before_backtick_quotes() -> None:
    split = splitters.fixed(splitters._blingfire())
    text = "Dr.\nUlrich Roe spoke first. It ended. ``We won,'' said Sen. Doe."
    sentences = [text[a:b] for a, b, _ in split(text)]
    assert sentences[-2:] == ["It ended.", "``We won,'' said Sen. Doe."]
    assert sentences[0].startswith("Dr.\nUlrich")
