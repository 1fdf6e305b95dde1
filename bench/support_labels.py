"""Merge people's labels of sampled pairs into ``bench/data/support_labels.jsonl`` (spans only).

Usage::

    python bench/support_labels.py --pairs /tmp/pairs.jsonl --labels /tmp/labels*.jsonl \
        [--eval-dir ../shared/eval]

``--pairs`` is the output of ``bench/support_pairs.py``; each ``--labels`` file holds one
labeller's lines ``{"id", "cs", "sc", "contradicts", "values"?}`` (the protocol the labellers
followed is in ``docs/support.md``). The stored file keeps the character spans of the two
sentences and the labels, never the text: the DUC texts stay in ``shared/eval``. Pairs
labelled twice (an overlap between labellers, for agreement) are stored once, first label
wins, and pairs already in the stored file keep their label (a new round is added to it);
pairs labelled by a labeller as a check against the project's gold DUC 2007 labels
(ids ``gold2007#n``) are only counted. Prints agreement between labellers and with gold.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO  # noqa: E402

OUT = REPO / "bench" / "data" / "support_labels.jsonl"
_VALID = {"FULL", "PARTIAL", "NONE"}


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


_NUMBER_WORDS = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|half|third|quarter|dozen)\b",
    re.IGNORECASE,
)


def _numeric(values: Any) -> bool:
    if not isinstance(values, dict):
        return False
    return all(_NUMBER_WORDS.search(str(values.get(side, ""))) for side in ("c", "s"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--labels", type=Path, nargs="+", required=True)
    parser.add_argument("--eval-dir", type=Path, default=None, help="for agreement with gold")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    pairs = {p["id"]: p for p in _read(args.pairs)}
    gold: dict[str, dict[str, Any]] = {}
    if args.eval_dir is not None:
        for row in _read(args.eval_dir / "citation_pairs_duc2007.jsonl"):
            gold[f"gold2007#{row['n']}"] = row
    # Pairs stored by earlier rounds stay (their sampled texts are gone; their spans are not).
    stored = {row["id"]: row for row in _read(args.out)} if args.out.is_file() else {}
    offset = max((int(r.get("labeller", 0)) for r in stored.values()), default=0)
    merged: dict[str, dict[str, Any]] = {}
    twice: list[tuple[dict[str, Any], dict[str, Any]]] = []
    vs_gold: list[tuple[str, str]] = []
    bad = 0
    for labeller, path in enumerate(args.labels, start=1):
        for row in _read(path):
            if row.get("cs") not in _VALID or row.get("sc") not in _VALID:
                bad += 1
                continue
            if row["id"].startswith("gold2007#"):
                if row["id"] in gold:
                    vs_gold.append((row["cs"], gold[row["id"]]["label"]))
                continue
            if row["id"] in stored:
                continue  # labelled in an earlier round: the first label wins
            if row["id"] not in pairs:
                bad += 1
                continue
            row = {**row, "labeller": offset + labeller}  # new labellers get new numbers
            if row["id"] in merged:
                twice.append((merged[row["id"]], row))
                continue
            merged[row["id"]] = row
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for row in stored.values():
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        for pair_id, row in sorted(merged.items()):
            pair = pairs[pair_id]
            out = {
                "id": pair_id,
                "cluster": pair["cluster"],
                "claim": {k: pair["claim"][k] for k in ("doc", "start", "end")},
                "source": {k: pair["source"][k] for k in ("doc", "start", "end")},
                "cs": row["cs"],
                "sc": row["sc"],
                "contradicts": bool(row.get("contradicts")),
                # Whether the two differing values the labeller gave are numbers (the values
                # themselves are source text and stay out of the repository).
                "numeric": bool(row.get("contradicts")) and _numeric(row.get("values")),
                "labeller": row["labeller"],
            }
            handle.write(json.dumps(out, ensure_ascii=False) + "\n")
    counts = Counter(r["cs"] for r in merged.values()) + Counter(r["sc"] for r in merged.values())
    print(
        f"{len(merged)} new pairs stored in {args.out} beside {len(stored)} stored before "
        f"({bad} unusable lines); new labels {counts}"
    )
    if twice:
        same = sum(a["cs"] == b["cs"] for a, b in twice) + sum(a["sc"] == b["sc"] for a, b in twice)
        full = sum((a["cs"] == "FULL") == (b["cs"] == "FULL") for a, b in twice) + sum(
            (a["sc"] == "FULL") == (b["sc"] == "FULL") for a, b in twice
        )
        print(
            f"labellers agree on {same}/{2 * len(twice)} judgements of {len(twice)} pairs "
            f"labelled twice; on FULL vs not FULL {full}/{2 * len(twice)}"
        )
    if vs_gold:
        same = sum(a == b for a, b in vs_gold)
        full = sum((a == "FULL") == (b == "FULL") for a, b in vs_gold)
        tp = sum(a == "FULL" and b == "FULL" for a, b in vs_gold)
        print(
            f"against the gold DUC 2007 labels: {same}/{len(vs_gold)} equal, FULL vs not FULL "
            f"{full}/{len(vs_gold)}; labellers' FULL: {sum(a == 'FULL' for a, _ in vs_gold)}, "
            f"of which gold FULL {tp}; gold FULL {sum(b == 'FULL' for _, b in vs_gold)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
