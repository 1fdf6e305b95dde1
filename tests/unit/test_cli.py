"""The command line on the example corpus, its JSON contract and its errors on bad files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from newsfuse import cli
from newsfuse.pipeline import Pipeline

BOILERPLATE = (
    "Share and Follow",
    "You May Also Like",
    "Read the full article",
    "share this story",
    "Share this",
    "@internewscast",
    "Couch Naps",
    "Chicago Bears",
    "Witness Protection",
    "Australia Post",
    "Turkish parliament",
    "---",
    "**",
)


@pytest.fixture()
def run_cli(pipeline, monkeypatch, capsys):
    """Run ``newsfuse`` in-process over the session's already-loaded pipeline."""
    monkeypatch.setattr(Pipeline, "load", classmethod(lambda cls, settings: pipeline))

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _words(text: str) -> set[str]:
    return {w.lower().strip(".,\"'“”‘’") for w in text.split()}


def test_example_json_meets_the_done_criteria(run_cli, example_paths, minilm):
    paths = [str(p) for p in example_paths]
    code, out, err = run_cli("summarize", "--json", "--max-words", "150", *paths)
    assert code == 0, err
    data = json.loads(out)
    sentences = data["sentences"]
    assert sentences
    files = {p: Path(p).read_text(encoding="utf-8") for p in paths}
    for s in sentences:
        assert s["citations"], "every sentence is cited"
        for c in s["citations"]:
            text = files[c["document"]]
            assert 0 <= c["start"] < c["end"] <= len(text)
        first = s["citations"][0]
        assert s["text"] in " ".join(
            files[first["document"]][first["start"] : first["end"]].split()
        )
        assert not any(b.lower() in s["text"].lower() for b in BOILERPLATE), s["text"]
    assert sum(len(s["text"].split()) for s in sentences) <= 150
    assert any(len({c["document"] for c in s["citations"]}) >= 2 for s in sentences)
    summary = data["summary"]
    assert "Budapest" in summary
    assert any(
        k in summary.lower() for k in ("canceled", "cancelled", "called off", "no longer meet")
    )
    vectors = minilm.encode([s["text"] for s in sentences])
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, 0)
    assert sims.max() < 0.8, "two summary sentences say the same thing"
    for i, a in enumerate(sentences):
        for b in sentences[i + 1 :]:
            wa, wb = _words(a["text"]), _words(b["text"])
            assert len(wa & wb) / len(wa | wb) < 0.5
    assert [d["id"] for d in data["documents"]] == paths
    assert data["documents"][1]["date"] == "2025-10-17"
    stats = data["stats"]
    assert stats["model"] == "extractive" and stats["documents"] == 5
    assert stats["sentences_after_dedup"] < stats["sentences_in"]


def test_human_output_has_markers_and_sources(run_cli, example_paths):
    code, out, _ = run_cli("summarize", "--max-sentences", "3", *map(str, example_paths))
    assert code == 0
    body, sources = out.split("\nSources:")
    summary, _, differ = body.partition("\nSources differ:")
    assert "[1]" in summary or "[2]" in summary
    assert len([line for line in summary.strip().splitlines() if line.strip()]) == 3
    # The cluster's two disagreements are listed whatever the summary tells.
    assert len([line for line in differ.splitlines() if line.startswith("- ")]) == 2
    assert f"[5] {example_paths[4]}" in sources
    assert "(2025-10-17)" in sources


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.txt", "no such file"),
        (lambda d: d, "is a directory"),
        (
            lambda d: (d / "latin1.txt", (d / "latin1.txt").write_bytes(b"caf\xe9 au lait.\n"))[0],
            "not UTF-8",
        ),
        (lambda d: (d / "empty.txt", (d / "empty.txt").write_text("  \n\n"))[0], "empty file"),
    ],
)
def test_bad_files_exit_2_with_a_message_naming_the_file(run_cli, tmp_path, make, message):
    bad = make(tmp_path)
    good = tmp_path / "good.txt"
    good.write_text("The river flooded the town on Monday. Residents left their homes.\n")
    code, out, err = run_cli("summarize", str(good), str(bad))
    assert code == 2
    assert out == ""
    assert str(bad) in err and message in err
    assert "Traceback" not in err


def test_unreadable_file_exits_2(run_cli, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    locked = tmp_path / "locked.txt"
    locked.write_text("Text.")
    locked.chmod(0)
    code, _, err = run_cli("summarize", str(locked))
    assert code == 2 and "permission denied" in err


def test_same_file_twice_is_an_error(run_cli, example_paths):
    code, _, err = run_cli("summarize", str(example_paths[0]), str(example_paths[0]))
    assert code == 2 and "given twice" in err


def test_bad_option_values_are_usage_errors(run_cli, example_paths):
    with pytest.raises(SystemExit) as exc:
        run_cli("summarize", "--max-words", "0", str(example_paths[0]))
    assert exc.value.code == 2


@pytest.mark.slow
def test_console_script_end_to_end(example_paths, tmp_path):
    """The installed command in a fresh process: what README's first command runs."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, "-m", "newsfuse.cli", "summarize", "--json", *map(str, example_paths)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["sentences"] and data["stats"]["documents"] == 5
    assert "Traceback" not in result.stderr


def _commands(parser, path=()):
    import argparse

    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _commands(child, (*path, name))


def test_every_help_shows_every_default_and_the_exit_codes() -> None:
    """``--help`` of every subcommand: each option's default, then the exit codes."""
    parser = cli.build_parser()
    seen = set()
    for path, command in _commands(parser):
        seen.add(path)
        text = command.format_help()
        assert "exit codes:" in text, path
        for action in command._actions:
            if not action.option_strings or action.help == "show this help message and exit":
                continue
            if action.__class__.__name__ == "_VersionAction":
                continue
            assert "default" in (action.help or ""), (path, action.option_strings)
    assert {("summarize",), ("batch",), ("serve",), ("health",), ("models", "fetch")} <= seen
    table = cli.build_parser().format_help()
    for code in ("2  invalid_input", "3  limit_exceeded", "10  batch", "130  interrupted"):
        assert code in table
