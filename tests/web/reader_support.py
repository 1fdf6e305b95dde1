"""What the browser tests ask the page: highlighted spans, visibility, contrast, names."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

# For each source card with marks: the text of each highlighted span, by its index in the
# list of spans of that document (marks split by an overlapping span are joined again).
HIGHLIGHTED_JS = """
const out = {};
for (const card of document.querySelectorAll('#sources .doc')) {
  const marks = card.querySelectorAll('mark');
  if (!marks.length) continue;
  const spans = {};
  for (const m of marks) {
    for (const k of m.dataset.spans.split(' ')) spans[k] = (spans[k] || '') + m.textContent;
  }
  out[card.dataset.document] = spans;
}
return out;
"""

# Each source card with marks: is its first mark inside the visible part of its text pane,
# and is the card itself at least partly inside the visible part of the sources strip?
IN_VIEW_JS = """
const out = {};
const strip = document.getElementById('sources').getBoundingClientRect();
for (const card of document.querySelectorAll('#sources .doc')) {
  const mark = card.querySelector('mark');
  if (!mark) continue;
  const body = card.querySelector('.doc-body').getBoundingClientRect();
  const m = mark.getBoundingClientRect();
  const c = card.getBoundingClientRect();
  out[card.dataset.document] = {
    mark: m.top >= body.top - 1 && m.top < body.bottom
      && m.left >= body.left - 1 && m.left < body.right,
    card: c.right > strip.left && c.left < strip.right,
  };
}
return out;
"""

# Every visible text node (and the score labels drawn before marks): its contrast ratio with
# the background composited behind it; WCAG AA: 4.5, or 3 for large text.
CONTRAST_JS = """
function rgba(c) {
  const p = c.match(/[\\d.]+/g).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function lum(c) {
  const f = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
}
function over(top, under) {
  return [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3]));
}
function background(el, own) {
  const layers = own ? [own] : [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  let out = [255, 255, 255];
  for (const c of layers.reverse()) out = over(c, out);
  return out;
}
function ratio(fg, bg) {
  const a = lum(fg), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
function check(el, style, bg, what) {
  const fg = over(rgba(style.color), bg);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  const r = ratio(fg, bg);
  if (r < (large ? 3 : 4.5)) {
    const shown = bg.map(Math.round).join(',');
    bad.push({what, ratio: Math.round(r * 100) / 100, color: style.color, background: shown});
  }
  checked += 1;
}
const bad = [];
let checked = 0;
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  if (!node.textContent.trim()) continue;
  const el = node.parentElement;
  if (!el.getClientRects().length || el.closest('[hidden]')) continue;
  check(el, getComputedStyle(el), background(el), node.textContent.trim().slice(0, 40));
}
for (const mark of document.querySelectorAll('mark[data-label]')) {
  const style = getComputedStyle(mark, '::before');
  check(mark, style, background(mark, rgba(style.backgroundColor)), 'score ' + mark.dataset.label);
}
return {bad, checked};
"""

# Interactive elements without an accessible name, and form controls without a label.
UNNAMED_JS = """
const bad = [];
for (const el of document.querySelectorAll('button, [role=button], a[href], [tabindex="0"]')) {
  if (el.closest('[hidden]')) continue;
  const name = (el.getAttribute('aria-label') || el.textContent || '').trim();
  const labelled = el.getAttribute('aria-labelledby');
  if (!name && !labelled) bad.push(el.outerHTML.slice(0, 80));
}
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (el.closest('[hidden]')) continue;
  const labelled = (el.labels && el.labels.length) || el.getAttribute('aria-label');
  if (!labelled) bad.push(el.outerHTML.slice(0, 80));
}
return bad;
"""


def wait(predicate: Callable[[], Any], timeout: float = 120.0, what: str = "condition") -> Any:
    """Poll until ``predicate()`` is truthy (synchronisation, not a timing assertion)."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what} not reached in {timeout:.0f}s")
        time.sleep(0.05)


def shown(driver: WebDriver) -> dict[str, Any] | None:
    """The request and summary the page shows (its own JSON, as received)."""
    return driver.execute_script("return window.newsfuseReader.shown()")


def highlighted(driver: WebDriver) -> dict[str, list[str]]:
    """Document id → the highlighted text of each of its spans, in the spans' order."""
    raw = driver.execute_script(HIGHLIGHTED_JS)
    return {doc: [spans[str(k)] for k in range(len(spans))] for doc, spans in raw.items()}


def in_view(driver: WebDriver) -> dict[str, dict[str, bool]]:
    return driver.execute_script(IN_VIEW_JS)


def hover(driver: WebDriver, element: WebElement) -> None:
    ActionChains(driver).move_to_element(element).perform()


def markers(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#sentences .marker")


def sentences(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#sentences .sent")


def marker_target(driver: WebDriver, marker: WebElement) -> tuple[int, int]:
    """``(sentence index, source number)`` of a ``[n]`` marker."""
    index = driver.execute_script(
        "const li = arguments[0].closest('li');"
        "return [...li.parentElement.children].indexOf(li);",
        marker,
    )
    return index, int(marker.text.strip("[]"))


def expected_spans(
    summary: dict[str, Any], texts: dict[str, str], sentence: int, document: str | None = None
) -> dict[str, list[str]]:
    """What a sentence (or its marker for ``document``) must highlight: ``text[start:end]``
    of each citation, by document, computed in Python on code points."""
    out: dict[str, list[str]] = {}
    for c in summary["sentences"][sentence]["citations"]:
        if document is None or c["document"] == document:
            out.setdefault(c["document"], []).append(texts[c["document"]][c["start"] : c["end"]])
    return out


def report_data(html: str) -> dict[str, Any]:
    """The JSON a ``--format html`` report carries."""
    start = html.rindex('<script type="application/json" id="newsfuse-report">')
    start = html.index(">", start) + 1
    end = html.index("</script>", start)
    return json.loads(html[start:end])
