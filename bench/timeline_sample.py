"""Time expressions found in DUC news, and a random sample of them for a person to judge.

Runs ``newsfuse.timeline.find_dates`` over the body sentences of dated DUC documents (each
resolved against its own document date), prints how many expressions of each kind and
granularity it found, then prints a seeded random sample: the sentence with the expression
marked ``[[...]]``, the document date and the resolved date or range, numbered for judging
by hand. The text goes to the terminal only; the JSON in ``bench/results/`` holds counts.

    python bench/timeline_sample.py ../shared/eval --dataset duc2006 --sample 60 --seed 2025
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, load_datasets, machine_info, markdown_table, write_json  # noqa: E402
from newsfuse.ingest import ingest  # noqa: E402
from newsfuse.timeline import find_dates  # noqa: E402
from newsfuse.types import Document  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eval_dir", help="folder with duc2006.jsonl / duc2007.jsonl")
    parser.add_argument("--dataset", default="duc2006")
    parser.add_argument("--clusters", type=int, default=None, help="first N clusters only")
    parser.add_argument("--sample", type=int, default=60, help="expressions to print")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)

    clusters = load_datasets(args.eval_dir, [args.dataset], limit=args.clusters)[args.dataset]
    found = []
    sentences = 0
    for cluster in clusters:
        for doc in cluster.documents:
            if doc.date is None:
                continue
            parsed = ingest(Document(id=doc.name, text=doc.text, date=doc.date))
            for s in parsed.sentences:
                sentences += 1
                for r in find_dates(s.text, doc.date):
                    found.append((cluster.id, doc.name, doc.date, s.text, r))

    counts = Counter((r.kind, r.granularity) for *_, r in found)
    rows = [(kind, gran, n) for (kind, gran), n in sorted(counts.items())]
    print(f"{args.dataset}: {len(clusters)} clusters, {sentences} sentences, {len(found)} times")
    print(markdown_table(["kind", "granularity", "count"], rows))

    sample = random.Random(args.seed).sample(found, min(args.sample, len(found)))
    for n, (cluster_id, name, date, text, r) in enumerate(sample, 1):
        shown = " ".join(f"{text[: r.start]}[[{text[r.start : r.end]}]]{text[r.end :]}".split())
        span = r.first.isoformat() if r.first == r.last else f"{r.first}..{r.last}"
        flags = f"{r.kind} {r.granularity} tense={r.tense}{' quoted' if r.quoted else ''}"
        print(f"\n{n}. {cluster_id} {name} doc {date} -> {span} ({flags})\n   {shown}")

    write_json(
        RESULTS / f"timeline_sample_{args.dataset}.json",
        {
            "dataset": args.dataset,
            "clusters": len(clusters),
            "sentences": sentences,
            "times": len(found),
            "by_kind": {f"{k}/{g}": n for (k, g), n in sorted(counts.items())},
            "machine": machine_info(),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
