"""SIGTERM trials: does a draining ``newsfuse serve`` deliver every call it accepted?

Each trial starts a fresh ``newsfuse serve`` (real MiniLM, extractive, its defaults: 15 s
grace) on 127.0.0.1, drives it with ``--concurrency`` closed-loop callers (the soak's mixed
clusters, ``bench/soak.py``), sends SIGTERM after a random ``--sigterm-after`` seconds of
load, and lets every caller go on until the server refuses it (then it goes elsewhere;
with ``--keep-calling`` it retries through the "draining" refusals until the port closes).
Then it compares what the server logged for each request id (``request ID Summarize CODE``)
with what the caller got:

* **lost** — the server logged OK, the caller did not get the answer (the bug of issue 11);
* **unanswered** — the server accepted the call (echoed its request id) and the caller got
  no answer from the server: the call never ended, or ended with a status the server did
  not give it (a cancelled stream, a reset connection);
* **taken, not completed** — calls the server took before the drain began (not refused)
  that were answered ``UNAVAILABLE`` because the grace period ran out (allowed, but with
  the default grace it should not happen);
* **refused** — not taken: refused by the draining server (``UNAVAILABLE``, "draining"),
  or not accepted at all once the port is closed; must be ``UNAVAILABLE`` (retryable). With
  ``--keep-calling`` a few calls that reach the server at the very moment it closes its port
  are cancelled by gRPC itself (``CANCELLED``, never accepted): counted here too.

    python bench/drain.py                      # 50 trials at concurrency 16
    python bench/drain.py --trials 5 --concurrency 8

Prints a table per trial and the totals, writes ``bench/results/drain.json``. Every loop is
bounded in time and calls go to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import soak  # noqa: E402
from _common import RESULTS, machine_info, markdown_table, write_json  # noqa: E402
from load import Server  # noqa: E402

_LOGGER = logging.getLogger("bench.drain")

_LOGGED = re.compile(r"request (\S+) Summarize ([A-Z_]+) ")


def server_outcomes(log: Sequence[str]) -> dict[str, str]:
    """Request id -> the status the server logged for it."""
    return {m[1]: m[2] for line in log if (m := _LOGGED.search(line))}


def trial(
    index: int,
    *,
    concurrency: int,
    sigterm_after: float,
    env: dict[str, str],
    keep_calling: bool = False,
    limit: float = 120.0,
) -> dict[str, Any]:
    """One server, load, SIGTERM; the calls classified as in the module docstring."""
    server = Server(f"trial {index}", [], env)
    try:
        server.wait_serving(600)
    except BaseException:
        if server.process.poll() is None:
            server.process.kill()
        raise
    timing: dict[str, float] = {}

    def terminate() -> None:
        time.sleep(sigterm_after)
        timing["sigterm"] = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(limit)
        except Exception:  # noqa: BLE001 - reported as no exit below
            pass
        timing["exit"] = time.monotonic()

    killer = threading.Thread(target=terminate, daemon=True)
    killer.start()
    load = asyncio.run(
        soak.drive(
            server.address,
            concurrency,
            time.monotonic() + limit,
            seed=1000 + index,
            stagger=0.5,
            stop_when_refused=True,
            keep_calling_while_draining=keep_calling,
        )
    )
    killer.join(limit + 30)
    if server.process.poll() is None:  # never hangs the benchmark
        server.process.kill()
        server.process.wait(10)
    # The log reader thread reaches the end of the server's stderr shortly after the exit.
    end = time.monotonic() + 5
    while time.monotonic() < end and not any("stopped after" in line for line in server.log):
        time.sleep(0.05)
    logged = server_outcomes(server.log)
    sigterm = timing.get("sigterm", float("inf"))
    accepted = [r for r in load.records if r.accepted]
    returned = {r.request_id for r in load.records}
    lost = [r for r in load.records if logged.get(r.request_id) == "OK" and r.code != "OK"]
    lost_unreturned = [rid for rid, code in logged.items() if code == "OK" and rid not in returned]
    unanswered = [
        r
        for r in accepted
        if r.code != "OK" and not (r.code == "UNAVAILABLE" and logged.get(r.request_id) == r.code)
    ]
    draining = [r for r in accepted if r.code == "UNAVAILABLE" and "draining" in r.message]
    taken = [r for r in accepted if r not in draining]
    refused = [r for r in load.records if not r.accepted] + draining
    return {
        "trial": index,
        "sigterm_after_s": round(sigterm_after, 2),
        "calls_sent": load.sent,
        "never_ended": load.sent - len(load.records),
        "accepted": len(accepted),
        "in_flight_at_sigterm": sum(1 for r in taken if r.sent < sigterm < r.done),
        "server_logged_ok": sum(1 for code in logged.values() if code == "OK"),
        "client_ok": sum(1 for r in load.records if r.code == "OK"),
        "lost": len(lost) + len(lost_unreturned),
        "unanswered": len(unanswered) + (load.sent - len(load.records)),
        "unanswered_examples": sorted({f"{r.code}: {r.message}" for r in unanswered})[:3],
        "taken": len(taken),
        "taken_not_ok": sum(1 for r in taken if r.code != "OK"),
        "refused_while_draining": len(draining),
        "refused": dict(Counter(r.code for r in refused)),
        "refused_not_unavailable_examples": sorted(
            {f"{r.code}: {r.message}" for r in refused if r.code != "UNAVAILABLE"}
        )[:3],
        "exit_code": server.process.returncode,
        "exit_seconds": round(timing["exit"] - sigterm, 2) if "exit" in timing else None,
    }


def totals(trials: Sequence[dict[str, Any]]) -> dict[str, Any]:
    refused: Counter[str] = Counter()
    for t in trials:
        refused.update(t["refused"])
    keys = ("calls_sent", "accepted", "in_flight_at_sigterm", "server_logged_ok", "client_ok",
            "lost", "unanswered", "taken", "taken_not_ok", "refused_while_draining",
            "never_ended")  # fmt: skip
    out: dict[str, Any] = {k: sum(t[k] for t in trials) for k in keys}
    out["trials"] = len(trials)
    out["trials_with_loss"] = sum(1 for t in trials if t["lost"] or t["unanswered"])
    out["refused"] = dict(refused)
    out["refused_not_unavailable"] = sum(v for k, v in refused.items() if k != "UNAVAILABLE")
    out["exit_codes"] = dict(Counter(str(t["exit_code"]) for t in trials))
    seconds = sorted(t["exit_seconds"] for t in trials if t["exit_seconds"] is not None)
    out["exit_seconds_max"] = seconds[-1] if seconds else None
    return out


def run(
    trials: int,
    *,
    concurrency: int,
    window: tuple[float, float],
    seed: int,
    env: dict[str, str],
    keep_calling: bool = False,
) -> dict[str, Any]:
    rng = random.Random(seed)
    results = []
    for index in range(trials):
        after = rng.uniform(*window)
        results.append(
            trial(
                index,
                concurrency=concurrency,
                sigterm_after=after,
                env=env,
                keep_calling=keep_calling,
            )
        )
        _LOGGER.info("%s", results[-1])
    return {"trials": results, "totals": totals(results)}


def render(result: dict[str, Any]) -> str:
    rows = [
        [t["trial"], t["sigterm_after_s"], t["calls_sent"], t["accepted"],
         t["in_flight_at_sigterm"], t["server_logged_ok"], t["client_ok"], t["lost"],
         t["unanswered"], t["taken_not_ok"], t["refused"], t["exit_code"],
         t["exit_seconds"]]
        for t in result["trials"]
    ]  # fmt: skip
    headers = ["trial", "SIGTERM after s", "sent", "accepted", "in flight at SIGTERM",
               "server OK", "client OK", "lost", "unanswered", "taken, not OK",
               "refused", "exit", "exit s"]  # fmt: skip
    t = result["totals"]
    return (
        markdown_table(headers, rows)
        + f"\n\n{t['trials']} trials: {t['calls_sent']} calls sent, {t['accepted']} accepted "
        f"({t['in_flight_at_sigterm']} in flight at SIGTERM), server OK {t['server_logged_ok']}, "
        f"client OK {t['client_ok']}; **lost {t['lost']}, unanswered {t['unanswered']}**; "
        f"taken before the drain but not OK {t['taken_not_ok']}; refused "
        f"{t['refused']}; exit codes {t['exit_codes']}, slowest exit {t['exit_seconds_max']} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--sigterm-after", type=float, nargs=2, default=(1.0, 5.0), metavar=("MIN", "MAX"),
        help="SIGTERM after a uniform random number of seconds of load in [MIN, MAX]",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--keep-calling", action="store_true",
        help="callers go on through 'draining' refusals until the port closes (a flood of "
        "retries) instead of going elsewhere at the first refusal",
    )  # fmt: skip
    parser.add_argument(
        "--server-env", nargs="*", default=[], metavar="NEWSFUSE_X=V", help="extra server env"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "drain.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    env = dict(item.split("=", 1) for item in args.server_env)
    machine = machine_info()
    result = run(
        args.trials,
        concurrency=args.concurrency,
        window=tuple(args.sigterm_after),
        seed=args.seed,
        env=env,
        keep_calling=args.keep_calling,
    )
    result.update(
        command=" ".join(["python", "bench/drain.py", *(argv or sys.argv[1:])]),
        server_env=env,
        machine=machine,
        machine_after=machine_info(),
    )
    print(render(result))
    print(f"\nwrote {write_json(args.out, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
