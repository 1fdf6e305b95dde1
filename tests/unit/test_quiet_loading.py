"""Loading models prints no progress bar, and leaves transformers' own switch as it was."""

from __future__ import annotations

import os
import subprocess
import sys

from newsfuse.modeling import no_progress_bars


def test_bars_are_off_inside_and_restored_after_nested_use() -> None:
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    try:
        for before in (True, False):
            (hf_logging.enable_progress_bar if before else hf_logging.disable_progress_bar)()
            with no_progress_bars():
                assert not hf_logging.is_progress_bar_enabled()
                with no_progress_bars():
                    assert not hf_logging.is_progress_bar_enabled()
                assert not hf_logging.is_progress_bar_enabled()
            assert hf_logging.is_progress_bar_enabled() is before
    finally:
        (hf_logging.enable_progress_bar if was else hf_logging.disable_progress_bar)()


def test_the_python_api_loads_without_a_loading_weights_bar() -> None:
    """``Pipeline.load`` from Python, in a fresh interpreter, as a library user calls it."""
    code = (
        "from transformers.utils import logging as l\n"
        "from newsfuse.pipeline import Pipeline\n"
        "from newsfuse.settings import Settings\n"
        "Pipeline.load(Settings())\n"
        "print('bars on after:', l.is_progress_bar_enabled())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSFUSE_", "TRANSFORMERS_"))}
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "HF_HUB_OFFLINE": "1"},
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert "Loading weights" not in run.stderr and "it/s" not in run.stderr
    assert run.stdout.strip() == "bars on after: True"
