"""What ingest removes from DUC newswire, and what it keeps but marks unfit to show.

Usage::

    python bench/debris.py --eval-dir ../shared/eval [--datasets duc2006,duc2007-main,...]
        [--sample 40] [--seed 1] [--out bench/results/debris.json]

Every DUC document is split two ways: plainly (blingfire, paragraph by paragraph, nothing
removed: ``_common.paragraph_sentences``) and by ``newsfuse.ingest``. A plain sentence is
*dropped* when ingest keeps less than half of its characters in any body sentence. Dropped
sentences are grouped by what ``readability.is_debris`` calls them; those it does not
recognise as debris are the candidates for wrongly removed body text, and a seeded sample
of them is printed for a person to read (to the terminal only: DUC text stays out of the
repository and out of the JSON). Also counted: the body sentences ingest marks unfit
(``Sentence.unfit``), by reason. ``--baseline FILE`` takes another version's ``ingest.py``
(``git show ff1921d:service/newsfuse/ingest.py > /tmp/ingest_old.py``) and counts its body
sentences that this ingest no longer keeps.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DATASETS,
    RESULTS,
    blingfire_split,
    load_datasets,
    machine_info,
    markdown_table,
    write_json,
)


def plain_sentences(text: str) -> list[tuple[int, int]]:
    """Blingfire sentence spans of each blank-line paragraph, nothing removed."""
    import re

    spans = []
    start = 0
    for m in [*re.finditer(r"\n[ \t]*\n", text), None]:
        end = m.start() if m else len(text)
        for a, b in blingfire_split(text[start:end]):
            spans.append((start + a, start + b))
        if m:
            start = m.end()
    return spans


def load_ingest(path: Path) -> Any:
    """The ``ingest`` function of another version's ``ingest.py``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("baseline_ingest", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}: give the path of an ingest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.ingest


def _lost(text: str, spans: Sequence[tuple[int, int]], kept: bytearray) -> bool:
    """Less than half of the span's visible characters are in a kept sentence."""
    a, b = spans
    chars = [i for i in range(a, b) if not text[i].isspace()]
    return sum(kept[i] for i in chars) * 2 < len(chars)


def measure(
    datasets: dict[str, list], sample: int, seed: int, baseline: Any = None
) -> tuple[dict, list[str]]:
    from newsfuse.ingest import ingest
    from newsfuse.readability import is_debris
    from newsfuse.types import Document

    seen: set[str] = set()
    plain_total = 0
    body_total = 0
    dropped: Counter[str] = Counter()
    unfit: Counter[str] = Counter()
    unrecognised: list[str] = []
    baseline_total = 0
    baseline_lost = 0
    started = time.perf_counter()
    for clusters in datasets.values():
        for cluster in clusters:
            for doc in cluster.documents:
                if doc.name in seen:
                    continue
                seen.add(doc.name)
                parsed = ingest(Document(id=doc.name, text=doc.text))
                kept = bytearray(len(doc.text))
                for s in parsed.sentences:
                    kept[s.start : s.end] = b"\x01" * (s.end - s.start)
                    body_total += 1
                    if s.unfit:
                        unfit[s.unfit] += 1
                if baseline is not None:
                    for s in baseline(Document(id=doc.name, text=doc.text)).sentences:
                        baseline_total += 1
                        baseline_lost += _lost(doc.text, (s.start, s.end), kept)
                for a, b in plain_sentences(doc.text):
                    plain_total += 1
                    if not _lost(doc.text, (a, b), kept):
                        continue
                    text = " ".join(doc.text[a:b].split())
                    reason = is_debris(text)
                    dropped[reason or "not recognised as debris"] += 1
                    if reason is None:
                        unrecognised.append(f"{doc.name} | {text}")
    rng = random.Random(seed)
    shown = rng.sample(unrecognised, min(sample, len(unrecognised)))
    total_dropped = sum(dropped.values())
    return {
        "documents": len(seen),
        "plain_sentences": plain_total,
        "body_sentences": body_total,
        "dropped": total_dropped,
        "dropped_pct": 100.0 * total_dropped / plain_total if plain_total else None,
        "dropped_by_reason": dict(dropped.most_common()),
        "unfit": sum(unfit.values()),
        "unfit_pct": 100.0 * sum(unfit.values()) / body_total if body_total else None,
        "unfit_by_reason": dict(unfit.most_common()),
        "baseline_sentences": baseline_total if baseline is not None else None,
        "baseline_lost": baseline_lost if baseline is not None else None,
        "baseline_lost_pct": 100.0 * baseline_lost / baseline_total if baseline_total else None,
        "seconds": time.perf_counter() - started,
    }, shown


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", required=True)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--sample", type=int, default=40, help="dropped sentences to print")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another version's ingest.py: count its sentences lost here")
    parser.add_argument("--out", default=str(RESULTS / "debris.json"))
    args = parser.parse_args(argv)
    datasets = load_datasets(args.eval_dir, [d.strip() for d in args.datasets.split(",")])
    baseline = load_ingest(args.baseline) if args.baseline else None
    result, shown = measure(datasets, args.sample, args.seed, baseline)
    print(markdown_table(
        ["documents", "plain sentences", "dropped", "dropped %", "body sentences", "unfit",
         "unfit %"],
        [[result["documents"], result["plain_sentences"], result["dropped"],
          result["dropped_pct"], result["body_sentences"], result["unfit"],
          result["unfit_pct"]]],
    ))
    if baseline is not None:
        print(f"\n{args.baseline}: {result['baseline_lost']} of its "
              f"{result['baseline_sentences']} sentences are not body text here "
              f"({result['baseline_lost_pct']:.2f} %)")
    print("\ndropped, by is_debris reason:")
    print(markdown_table(["reason", "sentences"], list(result["dropped_by_reason"].items())))
    print("\nkept but unfit to show, by reason:")
    print(markdown_table(["reason", "sentences"], list(result["unfit_by_reason"].items())))
    print(f"\n{len(shown)} dropped sentences not recognised as debris (seed {args.seed}):")
    for line in shown:
        print("  ", line[:240])
    result["command"] = " ".join(["python", "bench/debris.py", *(argv or sys.argv[1:])])
    result["machine"] = machine_info()
    path = write_json(args.out, result)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
