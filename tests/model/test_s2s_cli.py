"""``newsfuse summarize --model DIR --json`` end to end, for a BART, a T5 and an LED directory."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from newsfuse.cli import main


@pytest.mark.slow
@pytest.mark.parametrize(
    ("family", "label"),
    [("bart", "tiny-bart (bart)"), ("t5", "tiny-t5 (t5)"), ("led", "tiny-primera (led)")],
)
def test_summarize_with_a_model_directory(
    checkpoints, example_files, capsys, monkeypatch, family, label
):
    # Greedy and short keeps three runs of the real CLI (real MiniLM embedder) quick.
    monkeypatch.setenv("NEWSFUSE_SEQ2SEQ_NUM_BEAMS", "1")
    files = [str(p) for p in example_files]
    argv = ["summarize", "--model", str(checkpoints[family]), "--threads", "1"]
    code = main([*argv, "--max-words", "40", "--json", *files])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out)
    stats = result["stats"]
    assert stats["model"] == label
    assert "generated_sentences" in stats and "unsupported_dropped" in stats
    assert 0 < stats["input_tokens"] < stats["input_tokens_raw"]
    texts = {path: open(path, encoding="utf-8", newline="").read() for path in files}
    assert result["sentences"]
    for sentence in result["sentences"]:
        assert sentence["citations"], sentence["text"]
        for c in sentence["citations"]:
            assert 0 <= c["start"] < c["end"] <= len(texts[c["document"]])
        assert "Share and Follow" not in sentence["text"]
        assert "Read the full article" not in sentence["text"]
    words = [set(re.findall(r"\w+", s["text"].lower())) for s in result["sentences"]]
    for a, b in itertools.combinations(words, 2):
        assert len(a & b) / len(a | b) < 0.7
