"""A real headless Chromium for the reader's tests: the system's chromium and chromedriver.

Nothing is downloaded: Selenium is pointed at /usr/bin/chromium and its driver (Debian's
``chromium`` and ``chromium-driver``, which ``.ci/run`` installs), and Selenium Manager is
kept offline.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1366,768",
    "--force-device-scale-factor=1",
    "--lang=en-US",
)


def browser_paths() -> tuple[str, str] | str:
    """``(chromium, chromedriver)``, or why there is no browser to test with."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[test]'"
    chromium = next(
        (p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None
    )
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        return (
            "no chromium and chromedriver on PATH: apt-get install chromium chromium-driver "
            "(.ci/run does)"
        )
    return chromium, driver


def start_chromium(chromium: str, driver: str, profile: Path | None = None):
    """A Selenium ``webdriver.Chrome`` on a fresh profile, 1366x768."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = profile or Path(tempfile.mkdtemp(prefix="newsfuse-chromium-"))
    options.add_argument(f"--user-data-dir={profile}")
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))
