"""The disagreements a summary lists ("Sources differ"), written out for people to judge.

Usage::

    python bench/listed_conflicts.py --eval-dir ../shared/eval [--datasets duc2007-main,duc2006]
        [--limit N] [--baseline OLD_CONFLICTS.py] --out FILE.jsonl

Per cluster (250 words, as ``bench/quality.py`` summarizes it): how many disagreements the
conflict finder found in all and the ones the summary lists at the top (``most_salient``),
each with its values and up to two source sentences per value. With ``--baseline`` (a copy
of an older ``service/newsfuse/conflicts.py``, e.g. ``git show REV:service/newsfuse/conflicts.py
> /tmp/old.py``), the same prepared inputs go through both finders, so the two lists differ
only by the finder: rows carry ``new`` and ``old``.

Reading the lists (REAL: the same quantity of the same thing, values that cannot both be
true; DIFFERENT: values of different things; AGREE; UNCLEAR) is done by people or helpers;
the figures are in docs/support.md ("Conflicts").
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_datasets  # noqa: E402
from quality import cluster_documents  # noqa: E402


def _load_finder(path: Path) -> ModuleType:
    """An older ``conflicts.py`` as a module (it imports today's ``newsfuse.claims``)."""
    spec = importlib.util.spec_from_file_location("baseline_conflicts", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"--baseline {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def listed(ctx: Any, finder: Any) -> dict[str, Any]:
    """Every disagreement ``finder`` finds in a prepared request, and the listed ones."""
    from newsfuse.conflicts import most_salient

    ids = [d.document.id for d in ctx.documents]
    canonical = [d if dup is None else dup for d, dup in enumerate(ctx.duplicate_of)]
    found = finder.find_conflicts(ctx.sentences, ctx.evidence.parts, ctx.embeddings, ids, canonical)
    text_of = {(ids[s.doc], s.index): s.text for s in ctx.sentences}
    return {
        "all": len(found),
        "top": [
            {
                "claim": c.claim,
                "values": [
                    {
                        "value": v.value,
                        "sources": [
                            text_of[(s.document_id, s.sentence_index)] for s in v.sources[:2]
                        ],
                    }
                    for v in c.values
                ],
            }
            for c in most_salient(found, ctx.ranked, ctx.sentences, ids)
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--datasets", default="duc2007-main,duc2006")
    parser.add_argument("--limit", type=int, default=None, help="first N clusters per dataset")
    parser.add_argument("--baseline", type=Path, default=None, help="an older conflicts.py")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    from newsfuse import conflicts
    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings
    from newsfuse.types import SummaryOptions

    old = _load_finder(args.baseline) if args.baseline else None
    pipeline = Pipeline.load(Settings.from_env())
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    datasets = load_datasets(args.eval_dir, names, args.limit)
    with args.out.open("w", encoding="utf-8") as handle:
        for name in names:
            for cluster in datasets[name]:
                ctx = pipeline.prepare(
                    cluster_documents(cluster), SummaryOptions(max_words=cluster.budget)
                )
                row: dict[str, Any] = {"dataset": name, "cluster": cluster.id}
                row["new"] = listed(ctx, conflicts)
                if old is not None:
                    row["old"] = listed(ctx, old)
                handle.write(json.dumps(row) + "\n")
                handle.flush()
                print(
                    cluster.id,
                    row["new"]["all"],
                    "" if old is None else f"(baseline {row['old']['all']})",
                    flush=True,
                )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
