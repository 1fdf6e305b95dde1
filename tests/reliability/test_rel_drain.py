"""SIGTERM trials against ``newsfuse serve`` under load (``bench/drain.py``, fewer trials).

Each trial is a fresh server process with the real MiniLM, 8 callers, and SIGTERM at a random
moment; the server's log is compared with what each caller got. No timing is asserted (the
benchmark reports how long the drains took).
"""

from __future__ import annotations

import importlib

import pytest

pytestmark = pytest.mark.slow

drain = importlib.import_module("drain")  # bench/drain.py
soak = importlib.import_module("soak")  # bench/soak.py


def test_sigterm_trials_lose_no_answer_and_refuse_late_calls_retryably() -> None:
    # A grace period long enough for the calls in flight on a busy 2-core machine (each reads
    # its pairs with the support scorer's cross-encoder): what is tested is that nothing the
    # server accepted goes unanswered, not how fast the drain is (bench/drain.py measures
    # that with the default 15 s).
    env = dict(soak.SERVER_ENV, NEWSFUSE_GRACE_SECONDS="60")
    result = drain.run(3, concurrency=8, window=(0.5, 3.0), seed=5, env=env)
    totals = result["totals"]
    assert totals["accepted"] > 0, result
    # Nothing the server completed is lost; every accepted call gets the server's answer.
    assert totals["server_logged_ok"] == totals["client_ok"], result
    assert totals["lost"] == 0 and totals["unanswered"] == 0, result
    assert totals["never_ended"] == 0, result
    # Calls after the drain began are refused with UNAVAILABLE (retryable), nothing else.
    assert totals["refused_not_unavailable"] == 0, result
    assert totals["exit_codes"] == {"0": 3}, result
