"""``newsfuse summarize --format text|json|html`` and ``-o``; the HTML report's safety."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import pytest
from newsfuse import cli
from newsfuse.embed import HashingEmbedder
from newsfuse.pipeline import Pipeline


@pytest.fixture()
def run_cli(monkeypatch, capsys):
    """``newsfuse`` in process over the torch-free embedder."""
    model = HashingEmbedder()
    monkeypatch.setattr(
        Pipeline, "load", classmethod(lambda cls, settings: Pipeline(settings, model))
    )

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def without_seconds(data: dict) -> dict:
    data["stats"].pop("seconds")
    return data


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self.styles: list[str] = []
        self._open: tuple[str, dict] | None = None
        self.csp = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._open = (tag, attrs)
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy":
            self.csp = attrs["content"]

    def handle_data(self, data):
        if self._open:
            tag, attrs = self._open
            if tag == "script":
                self.scripts.append((attrs, data))
            else:
                self.styles.append(data)

    def handle_endtag(self, tag):
        self._open = None


def test_format_json_is_json_and_text_is_the_default(run_cli, example_paths, tmp_path):
    paths = [str(p) for p in example_paths]
    code, alias, _ = run_cli("summarize", "--json", *paths)
    assert code == 0
    _, formatted, _ = run_cli("summarize", "--format", "json", *paths)
    assert without_seconds(json.loads(alias)) == without_seconds(json.loads(formatted))
    _, text, _ = run_cli("summarize", *paths)
    _, also_text, _ = run_cli("summarize", "--format", "text", *paths)
    assert text.splitlines()[:3] == also_text.splitlines()[:3] and "Sources:" in text
    out = tmp_path / "summary.json"
    code, printed, _ = run_cli("summarize", "--format", "json", "-o", str(out), *paths)
    assert (code, printed) == (0, "")
    assert without_seconds(json.loads(out.read_text())) == without_seconds(json.loads(alias))
    assert not list(tmp_path.glob(".*partial"))


def test_format_html_writes_one_self_contained_report(run_cli, example_paths, tmp_path):
    paths = [str(p) for p in example_paths]
    report = tmp_path / "report.html"
    code, printed, err = run_cli("summarize", "--format", "html", "-o", str(report), *paths)
    assert (code, printed) == (0, ""), err
    _, as_json, _ = run_cli("summarize", "--json", *paths)
    html = report.read_text(encoding="utf-8")
    page = _Elements()
    page.feed(html)
    (data_attrs, data), = [(a, d) for a, d in page.scripts if a.get("type") == "application/json"]
    assert data_attrs["id"] == "newsfuse-report"
    embedded = json.loads(data)
    assert without_seconds(embedded["summary"]) == without_seconds(json.loads(as_json))
    texts = {}
    for path in paths:
        with open(path, encoding="utf-8", newline="") as handle:
            texts[path] = handle.read()
    assert {d["id"]: d["text"] for d in embedded["request"]["documents"]} == texts
    # Everything inline, and the policy allows exactly the inline script and style.
    assert "<link" not in html.replace('<link rel="icon" href="data:,">', "")
    assert not re.search(r"<script[^>]+src=", html)
    (code_attrs, script), = [(a, d) for a, d in page.scripts if "type" not in a]
    (style,) = page.styles

    def digest(text: str) -> str:
        return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src '{digest(script)}'" in page.csp
    assert f"style-src '{digest(style)}'" in page.csp
    assert "default-src 'none'" in page.csp and "connect-src" not in page.csp
    # The report's title is the first document title.
    assert "<title>Trump's meeting with Putin" in html


def test_markup_in_articles_cannot_break_out_of_the_report(monkeypatch, tmp_path, capsys):
    from newsfuse.api import ClusterRequest
    from newsfuse.reader import report_html
    from newsfuse.settings import Settings
    from newsfuse.types import Document, SummaryOptions

    hostile = (
        "The council met on Monday. </script><script>alert(1)</script> <!-- "
        "The budget passed. <style>body{display:none}</style> \u2028 It was close."
    )
    documents = (Document("a</script>", hostile, title="<b>Title</b>"),)
    summary = Pipeline(Settings(), HashingEmbedder()).summarize(
        list(documents), SummaryOptions(max_words=50)
    )
    html = report_html(ClusterRequest(documents), summary)
    page = _Elements()
    page.feed(html)
    assert len(page.scripts) == 2 and len(page.styles) == 1
    data = json.loads(next(d for a, d in page.scripts if a.get("type") == "application/json"))
    assert data["request"]["documents"][0]["text"] == hostile
    assert "<title>&lt;b&gt;Title&lt;/b&gt; — newsfuse reader</title>" in html


def test_output_to_a_directory_is_bad_input(run_cli, example_paths, tmp_path):
    code, _, err = run_cli("summarize", "-o", str(tmp_path), str(example_paths[0]))
    assert code == 2
    assert err.startswith(f"newsfuse: error: {tmp_path}: is a directory")


def test_summarize_help_lists_the_formats(capsys):
    with pytest.raises(SystemExit):
        cli.main(["summarize", "--help"])
    text = capsys.readouterr().out
    assert "--format {text,json,html}" in text and "(default text)" in text
    assert "--json" in text and "-o FILE, --output FILE" in text
