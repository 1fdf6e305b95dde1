"""Fixtures of the browser tests: a real headless Chromium and a real server on 127.0.0.1.

Skipped, with the reason, only where no browser is installed; ``.ci/run`` installs Debian's
``chromium`` and ``chromium-driver`` and sets ``NEWSFUSE_REQUIRE_BROWSER=1``, so in CI a
missing browser fails instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "grpc"))
sys.path.insert(0, str(HERE.parent / "http"))

from browser import browser_paths, start_chromium  # noqa: E402


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    found = browser_paths()
    if isinstance(found, str):
        if os.environ.get("NEWSFUSE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"NEWSFUSE_REQUIRE_BROWSER=1 but {found}")
        pytest.skip(found)
    driver = start_chromium(*found, profile=tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium):
    """The browser at a 1366x768 viewport, on a blank page."""
    chromium.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False},
    )
    chromium.get("about:blank")
    return chromium


@pytest.fixture(scope="module")
def reader_server(minilm, shipped_scorer) -> Iterator:
    """A server (gRPC + HTTP) over the real MiniLM, as in production."""
    from http_support import http_server
    from newsfuse.pipeline import Pipeline

    with http_server(
        factory=lambda settings: Pipeline(settings, minilm, scorer=shipped_scorer)
    ) as server:
        yield server
