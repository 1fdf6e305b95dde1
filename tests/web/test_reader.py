"""The reader page in a real headless Chromium, against a real server on 127.0.0.1.

The sample cluster (``examples/budapest``) is dropped into the page as files and summarized
through ``/v1/summarize`` (real MiniLM); hovering a citation must highlight exactly
``text[start:end]`` (code points, computed here in Python) of the cited document, scrolled
into view; the keyboard reaches and drives the same; a ``--format html`` report opened from
disk shows the same highlights without touching the network. A screenshot is written for
people to look at (``NEWSFUSE_SCREENSHOT=PATH``; ``make screenshot`` updates docs/img).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from http_support import call, http_server
from newsfuse import cli
from newsfuse.api import ClusterRequest
from newsfuse.embed import HashingEmbedder
from newsfuse.pipeline import Pipeline
from newsfuse.reader import report_html
from newsfuse.types import (
    Citation,
    Conflict,
    ConflictValue,
    DateMention,
    Document,
    DocumentInfo,
    DuplicateSpan,
    SourceSpan,
    Stats,
    Summary,
    SummarySentence,
)
from reader_support import (
    CONTRAST_JS,
    UNNAMED_JS,
    expected_spans,
    highlighted,
    hover,
    in_view,
    marker_target,
    markers,
    report_data,
    sentences,
    shown,
    wait,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "budapest").glob("*.txt"))


def read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as handle:  # as the CLI and the page read
        return handle.read()


def without_seconds(summary: dict) -> dict:
    summary = json.loads(json.dumps(summary))
    summary["stats"].pop("seconds")
    return summary


def open_page(browser, server) -> None:
    browser.get(f"http://127.0.0.1:{server.http_port}/")
    wait(lambda: browser.find_element(By.ID, "status").text.startswith("newsfuse "), 30,
         "the page's /v1/info")  # fmt: skip


def submit_sample(browser, server) -> tuple[dict, dict, dict[str, str]]:
    """Drop the five sample files into the page and summarize; (request, summary, texts)."""
    open_page(browser, server)
    browser.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in EXAMPLES))
    wait(lambda: browser.find_element(By.ID, "count").text == "5", 30, "five articles")
    browser.find_element(By.ID, "go").click()
    wait(lambda: sentences(browser), 300, "the summary")
    data = shown(browser)
    texts = {d["id"]: d["text"] for d in data["request"]["documents"]}
    return data["request"], data["summary"], texts


def check_every_marker(browser, summary: dict, texts: dict[str, str]) -> int:
    """Hover each [n] marker: exactly its cited spans, each scrolled into view."""
    count = 0
    for marker in markers(browser):
        index, n = marker_target(browser, marker)
        document = summary["documents"][n - 1]["id"]
        hover(browser, marker)
        assert highlighted(browser) == expected_spans(summary, texts, index, document)
        assert in_view(browser) == {document: {"mark": True, "card": True}}
        info = browser.find_element(By.CSS_SELECTOR, f'.doc[data-document="{document}"] .cite-info')
        assert info.text.startswith("Cited passage") and "support" in info.text
        count += 1
    return count


def check_every_sentence(browser, summary: dict, texts: dict[str, str]) -> None:
    for index, sentence in enumerate(sentences(browser)):
        hover(browser, sentence)
        assert highlighted(browser) == expected_spans(summary, texts, index)
        views = in_view(browser)
        assert all(view["mark"] for view in views.values())
        assert any(view["card"] for view in views.values())


# --- the live page on the sample cluster -------------------------------------------------
@pytest.mark.slow
def test_sample_cluster_highlights_exactly_the_cited_spans(browser, reader_server, tmp_path):
    request, summary, texts = submit_sample(browser, reader_server)
    # The page sent the files as they are and shows what the API answers for them.
    assert texts == {p.name: read(p) for p in EXAMPLES}
    assert request["options"] == {"max_words": reader_server.settings.max_words, "mode": "auto"}
    again = call(reader_server, "POST", "/v1/summarize", request)
    assert without_seconds(again.json()) == without_seconds(summary)
    assert len(sentences(browser)) == len(summary["sentences"]) > 0

    assert check_every_marker(browser, summary, texts) >= len(summary["sentences"])
    check_every_sentence(browser, summary, texts)

    # Usable on a 1366x768 laptop: no page scrolling, both panes on screen.
    size = browser.execute_script(
        "const s = document.scrollingElement; return [s.scrollWidth, s.scrollHeight,"
        " innerWidth, innerHeight]"
    )
    assert size == [1366, 768, 1366, 768]
    for pane in (".summary-pane", ".sources-pane"):
        rect = browser.find_element(By.CSS_SELECTOR, pane).rect
        assert rect["x"] >= 0 and rect["x"] + rect["width"] <= 1366
        assert rect["y"] >= 0 and rect["y"] + rect["height"] <= 768 and rect["height"] > 400

    # The view people see: the sentence citing the most sources, highlighted.
    def sources_cited(i: int) -> int:
        return len({c["document"] for c in summary["sentences"][i]["citations"]})

    richest = max(range(len(summary["sentences"])), key=sources_cited)
    hover(browser, sentences(browser)[richest])
    contrast = browser.execute_script(CONTRAST_JS)
    assert contrast["checked"] > 50 and contrast["bad"] == []
    assert browser.execute_script(UNNAMED_JS) == []
    target = Path(os.environ.get("NEWSFUSE_SCREENSHOT") or tmp_path / "reader.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(target))
    png = target.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (1366, 768)
    print(f"screenshot: {target}")


@pytest.mark.slow
def test_keyboard_reaches_and_drives_the_highlights(browser, reader_server):
    _, summary, texts = submit_sample(browser, reader_server)

    def press(*sequence: str) -> None:
        ActionChains(browser).send_keys(*sequence).perform()

    def focused():
        return browser.switch_to.active_element

    def outline() -> tuple[str, float]:
        return tuple(browser.execute_script(
            "const s = getComputedStyle(document.activeElement);"
            "return [s.outlineStyle, parseFloat(s.outlineWidth)]"
        ))  # fmt: skip

    # After summarizing, focus is on the summary; Tab reaches the first sentence.
    assert focused().get_attribute("id") == "summary"
    press(Keys.TAB)
    assert focused().get_attribute("id") == "sentence-1"
    assert highlighted(browser) == expected_spans(summary, texts, 0)
    assert outline()[0] != "none" and outline()[1] >= 2
    assert browser.find_element(By.ID, "status").text.startswith(
        f"Sentence 1 of {len(summary['sentences'])}"
    )
    # Arrows: down to the next sentence, right to its first marker.
    press(Keys.ARROW_DOWN)
    assert focused().get_attribute("id") == "sentence-2"
    assert highlighted(browser) == expected_spans(summary, texts, 1)
    press(Keys.ARROW_RIGHT)
    marker = focused()
    assert "marker" in marker.get_attribute("class")
    index, n = marker_target(browser, marker)
    document = summary["documents"][n - 1]["id"]
    assert index == 1
    assert highlighted(browser) == expected_spans(summary, texts, 1, document)
    assert outline()[0] != "none" and outline()[1] >= 2
    # Enter pins it: it stays when focus leaves the summary.
    press(Keys.ENTER)
    assert marker.get_attribute("aria-pressed") == "true"
    browser.execute_script(
        "const title = document.getElementById('sources-title');"
        "title.setAttribute('tabindex', '-1'); title.focus()"
    )
    assert highlighted(browser) == expected_spans(summary, texts, 1, document)
    # Back on a sentence: left from the marker, then Enter pins the sentence instead.
    marker.click()  # unpins (a second press toggles)
    assert marker.get_attribute("aria-pressed") == "false"
    press(Keys.ARROW_LEFT)
    assert focused().get_attribute("id") == "sentence-2"
    press(Keys.ENTER)
    assert focused().get_attribute("aria-pressed") == "true"
    # End and Home jump; Escape clears every highlight and pin.
    press(Keys.END)
    assert focused().get_attribute("id") == f"sentence-{len(summary['sentences'])}"
    press(Keys.HOME)
    assert focused().get_attribute("id") == "sentence-1"
    press(Keys.ESCAPE)
    assert highlighted(browser) == {}
    assert browser.find_elements(By.CSS_SELECTOR, '[aria-pressed="true"]') == []
    # Each source's text can be reached and scrolled from the keyboard too.
    regions = browser.find_elements(By.CSS_SELECTOR, ".doc-body[tabindex='0'][role=region]")
    assert len(regions) == len(summary["documents"])


# --- the standalone report ----------------------------------------------------------------
@pytest.mark.slow
def test_format_html_report_opens_offline_with_the_same_highlights(
    browser, tmp_path, pipeline, monkeypatch
):
    """``newsfuse summarize --format html -o report.html FILE...`` (in process, over the
    session's real MiniLM pipeline), opened from disk."""
    monkeypatch.setattr(Pipeline, "load", classmethod(lambda cls, settings: pipeline))
    monkeypatch.chdir(ROOT)
    paths = [str(p.relative_to(ROOT)) for p in EXAMPLES]
    report = tmp_path / "report.html"
    assert cli.main(["summarize", "--format", "html", "-o", str(report), *paths]) == 0
    html = report.read_text(encoding="utf-8")
    data = report_data(html)
    texts = {path: read(ROOT / path) for path in paths}
    assert {d["id"]: d["text"] for d in data["request"]["documents"]} == texts
    assert 'http-equiv="Content-Security-Policy"' in html and "default-src 'none'" in html

    browser.get(report.as_uri())
    wait(lambda: sentences(browser), 30, "the report")
    assert shown(browser) == data
    assert not browser.find_element(By.ID, "compose").is_displayed()
    assert not browser.find_element(By.ID, "edit").is_displayed()
    assert check_every_marker(browser, data["summary"], texts) > 0
    check_every_sentence(browser, data["summary"], texts)
    # Offline: the page loaded nothing besides itself.
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_report_with_every_feature_and_non_bmp_text(browser, tmp_path):
    """Offsets are code points: characters outside the BMP (two UTF-16 units in JS) before a
    cited span must not shift the highlight. Also shows generated sentences, resolved dates,
    conflicts, duplicate groups and inferred, seen and copied documents."""
    a = "𝔗𝔥𝔢 council 🗳️ met. The council approved a budget of 5 million on Monday. 🎉 Schools gain."
    b = "Officials 👍 said the council passed a 7 million budget. Schools 🏫 gain a lot, they said."
    c = "𝔗𝔥𝔢 council 🗳️ met. The council approved a budget of 5 million on Monday."

    def span(text: str, part: str) -> tuple[int, int]:
        start = text.index(part)  # a code point index, as newsfuse's offsets are
        return start, start + len(part)

    a1, b1 = span(a, "The council approved a budget of 5 million on Monday."), span(
        b, "Officials 👍 said the council passed a 7 million budget."
    )
    a2, b2 = span(a, "🎉 Schools gain."), span(b, "Schools 🏫 gain a lot, they said.")
    five, seven = span(a, "5 million"), span(b, "7 million")
    # What makes this test bite: UTF-16 and code point offsets differ before each span.
    assert len(a[: a1[0]].encode("utf-16-le")) // 2 != a1[0]
    assert len(b[: b2[0]].encode("utf-16-le")) // 2 != b2[0]

    first_text = "The 𝔠ouncil approved a budget of 5 million on Monday."
    monday = span(first_text, "on Monday")
    conflict = Conflict(
        kind="number",
        claim="The council approved a budget of 5 million on Monday.",
        values=(
            ConflictValue("5 million", "5000000", (SourceSpan("a", 1, *five),)),
            ConflictValue("7 million", "7000000", (SourceSpan("b", 0, *seven),)),
        ),
    )
    summary = Summary(
        sentences=(
            SummarySentence(
                first_text,
                (Citation("a", 1, *a1, 1.0), Citation("b", 0, *b1, 0.62)),
                conflicts=(conflict,),
                dates=(DateMention("on Monday", *monday, dt.date(2025, 10, 13)),),
            ),
            SummarySentence(
                "Schools 🏫 gain a lot.",
                (Citation("b", 1, *b2, 0.91), Citation("a", 2, *a2, 0.55)),
                generated=True,
            ),
        ),
        documents=(
            DocumentInfo("a", "𝔄 budget", dt.date(2025, 10, 13), date_inferred=True),
            DocumentInfo("b", "Budget passes", dt.date(2025, 10, 14), seen=True),
            DocumentInfo("c", None, None, duplicate_of="a"),
        ),
        duplicates=((DuplicateSpan("a", *a1), DuplicateSpan("c", *span(c, a[a1[0] : a1[1]]))),),
        stats=Stats("extractive", 3, 7, 5, 0.01),
        conflicts=(conflict,),
    )
    request = ClusterRequest((Document("a", a), Document("b", b), Document("c", c)))
    texts = {"a": a, "b": b, "c": c}
    report = tmp_path / "features.html"
    report.write_text(report_html(request, summary), encoding="utf-8")
    browser.get(report.as_uri())
    wait(lambda: sentences(browser), 30, "the report")
    data = shown(browser)

    check_every_marker(browser, data["summary"], texts)
    check_every_sentence(browser, data["summary"], texts)
    first, second = browser.find_elements(By.CSS_SELECTOR, "#sentences > li")
    # The resolved date, at code points 38-47 of a sentence with a non-BMP letter before it.
    time_element = first.find_element(By.TAG_NAME, "time")
    assert time_element.text == "on Monday"
    assert time_element.get_attribute("datetime") == "2025-10-13"
    assert "on Monday (2025-10-13)." in first.find_element(By.CSS_SELECTOR, ".sent").text
    # Sources differ, on the sentence and in the summary's list; a value highlights its span.
    assert "Sources differ: 5 million [1] vs 7 million [2]" in first.text
    assert browser.find_element(By.ID, "conflicts-box").is_displayed()
    first.find_elements(By.CSS_SELECTOR, ".value")[1].click()
    assert highlighted(browser) == {"b": [b[seven[0] : seven[1]]]}
    assert browser.find_elements(By.CSS_SELECTOR, "mark.conflict")
    # A generated sentence is marked as such.
    assert second.find_element(By.CSS_SELECTOR, ".badge.gen").text == "generated"
    assert "generated" in second.find_element(By.CSS_SELECTOR, ".sent").get_attribute("class")
    assert first.find_elements(By.CSS_SELECTOR, ".badge.gen") == []
    # Repeated reporting: the group highlights each member.
    browser.find_element(By.CSS_SELECTOR, "#dups .dup").click()
    assert highlighted(browser) == {"a": [a[a1[0] : a1[1]]], "c": [c[a1[0] : a1[1]]]}
    # Documents: inferred date, seen, copy.
    meta = {d.get_attribute("data-document"): d.find_element(By.CSS_SELECTOR, ".meta").text
            for d in browser.find_elements(By.CSS_SELECTOR, "#sources .doc")}  # fmt: skip
    assert "2025-10-13" in meta["a"] and "date inferred" in meta["a"]
    assert "seen" in meta["b"] and "date inferred" not in meta["b"]
    assert "copy of [1]" in meta["c"]
    # Accessible in this state too.
    assert browser.execute_script(CONTRAST_JS)["bad"] == []
    assert browser.execute_script(UNNAMED_JS) == []


# --- composing: pasted text, the token, errors --------------------------------------------
def test_pasted_non_bmp_text_the_token_and_errors(browser):
    model = HashingEmbedder()
    pasted = [
        "𝒜𝓁𝓅𝒽𝒶 🚀 The council approved the budget on Monday. Spending on schools will rise.",
        "🎉🎉 On Monday the council passed the budget. Schools get 4 percent more, officials said.",
        "A third article 🧪 about the budget. The vote was close.",
    ]
    with http_server(
        factory=lambda settings: Pipeline(settings, model), auth_token="t0ken", max_documents=2
    ) as server:
        open_page_with_token = f"http://127.0.0.1:{server.http_port}/"
        browser.get(open_page_with_token)
        # /v1/info answered 401: the page asks for the token.
        wait(lambda: browser.find_element(By.ID, "token").is_displayed(), 30, "the token field")
        assert browser.execute_script(CONTRAST_JS)["bad"] == []
        assert browser.execute_script(UNNAMED_JS) == []
        textarea = browser.find_element(By.ID, "paste")
        for text in pasted:  # chromedriver types only BMP characters: set the value directly
            browser.execute_script("arguments[0].value = arguments[1]", textarea, text)
            browser.find_element(By.ID, "add-paste").click()
        assert browser.find_element(By.ID, "count").text == "3"
        browser.find_element(By.ID, "go").click()
        error = browser.find_element(By.ID, "error")
        wait(lambda: error.is_displayed(), 30, "an error")
        assert error.get_attribute("role") == "alert"
        assert "token" in error.text
        browser.find_element(By.ID, "token").send_keys("t0ken")
        browser.find_element(By.ID, "go").click()
        wait(lambda: "the limit is 2" in error.text, 30, "the limit error")
        assert error.text.startswith("documents: ")
        remove = '#articles button[aria-label="Remove pasted-3"]'
        browser.find_element(By.CSS_SELECTOR, remove).click()
        browser.find_element(By.ID, "go").click()
        wait(lambda: sentences(browser), 60, "the summary")
        data = shown(browser)
        texts = {d["id"]: d["text"] for d in data["request"]["documents"]}
        assert texts == {"pasted-1": pasted[0], "pasted-2": pasted[1]}
        check_every_marker(browser, data["summary"], texts)
        check_every_sentence(browser, data["summary"], texts)
        # Back to the articles: they are all still there.
        browser.find_element(By.ID, "edit").click()
        assert browser.find_element(By.ID, "count").text == "2"
