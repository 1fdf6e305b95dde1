"""The reader: one web page that shows where each summary sentence came from.

The page (``assets/index.html`` with ``reader.css`` and ``reader.js``, plain HTML/CSS/JS, no
build step, nothing loaded from elsewhere) is served at ``/`` by the HTTP transport, where it
summarizes pasted text or dropped files through ``POST /v1/summarize``. ``report_html``
turns the same page into one self-contained file with a cluster and its summary inline
(``newsfuse summarize --format html``): it opens offline, and its content security policy
forbids every network request.

Needs nothing beyond the standard library, so the command line writes reports without the
``http`` extra.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

from newsfuse.api import ClusterRequest
from newsfuse.jsonform import request_to_dict
from newsfuse.output import summary_to_dict
from newsfuse.types import Summary

ASSETS = {
    "reader.css": "text/css; charset=utf-8",
    "reader.js": "text/javascript; charset=utf-8",
}
"""The page's static files (served under ``/assets/``) and their media types."""

_CHARSET = '<meta charset="utf-8">'
_STYLESHEET = '<link rel="stylesheet" href="assets/reader.css">'
_SCRIPT = '<script src="assets/reader.js" defer></script>'
_DATA_ID = "newsfuse-report"


@cache
def asset(name: str) -> bytes:
    """The bytes of one of ``ASSETS``."""
    if name not in ASSETS:
        raise KeyError(name)
    return resources.files(__name__).joinpath("assets", name).read_bytes()


@cache
def page_html() -> str:
    """The page as the server sends it (its assets linked under ``assets/``)."""
    return resources.files(__name__).joinpath("assets", "index.html").read_text("utf-8")


def report_data(request: ClusterRequest, summary: Summary) -> dict[str, Any]:
    """What a report shows: the request (its documents' text) and the summary, as JSON."""
    return {"request": request_to_dict(request), "summary": summary_to_dict(summary)}


def report_html(request: ClusterRequest, summary: Summary) -> str:
    """One self-contained HTML file: the reader with ``request`` and ``summary`` inline.

    Styles, script and data are inside the file; its content security policy allows only
    them (by hash), so it shows the same view offline and never reaches the network.
    """
    page = page_html()
    css = asset("reader.css").decode("utf-8")
    js = asset("reader.js").decode("utf-8")
    # ``</`` would end the element early; nothing else in a script or style is markup.
    css, js = css.replace("</", "<\\/"), js.replace("</", "<\\/")
    data = json.dumps(report_data(request, summary), ensure_ascii=False)
    data = data.replace("<", "\\u003c")  # JSON stays the same, markup cannot start
    policy = (
        "default-src 'none'; "
        f"style-src '{_sha256(css)}'; script-src '{_sha256(js)}'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    title = _title(summary)
    for expected in (_CHARSET, _STYLESHEET, _SCRIPT, "<title>", "</head>"):
        if expected not in page:
            raise RuntimeError(f"reader/assets/index.html lost its {expected!r}")
    page = page.replace(_STYLESHEET, f"<style>{css}</style>")
    page = page.replace(_SCRIPT, f"<script>{js}</script>")
    page = page.replace("<title>", f"<title>{_escape(title)} — ", 1)
    # The policy first: it covers only what comes after it.
    meta = f'{_CHARSET}\n<meta http-equiv="Content-Security-Policy" content="{policy}">'
    page = page.replace(_CHARSET, meta, 1)
    data_element = f'<script type="application/json" id="{_DATA_ID}">{data}</script>'
    return page.replace("</head>", f"{data_element}\n</head>", 1)


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _title(summary: Summary) -> str:
    titles = [d.title for d in summary.documents if d.title]
    return titles[0] if titles else "summary"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
