"""README's JSON example holds offsets the example cluster really has."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _example() -> dict:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"prints the\s+machine form.*?```json\n(.*?)```", readme, re.S)
    assert block, "README's --json example is missing"
    return json.loads(block.group(1))


def _text(document: str) -> str:
    with open(ROOT / document, encoding="utf-8", newline="") as handle:
        return handle.read()


def test_readme_json_example_offsets_are_real() -> None:
    example = _example()
    for sentence in example["sentences"]:
        first = sentence["citations"][0]
        cited = _text(first["document"])[first["start"] : first["end"]]
        assert cited != sentence["text"] and "\n" in cited  # the hard-wrapped case it explains
        assert cited.split() == sentence["text"].split()  # equal up to whitespace
        assert sentence["text"] in example["summary"]
    for conflict in example["conflicts"]:
        for value in conflict["values"]:
            # A value is as written in its first source; the others may word it otherwise.
            first = value["sources"][0]
            span = " ".join(_text(first["document"])[first["start"] : first["end"]].split())
            assert value["value"] in span, (value["value"], span)
            for source in value["sources"]:
                assert 0 <= source["start"] < source["end"] <= len(_text(source["document"]))
    for document in example["documents"]:
        assert (ROOT / document["id"]).is_file()
