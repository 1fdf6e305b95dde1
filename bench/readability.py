"""Readability of newsfuse summaries on DUC 2006 / DUC 2007, with ROUGE in the same run.

Usage::

    HF_HUB_OFFLINE=1 python bench/readability.py --eval-dir ../shared/eval [--limit N] \
        [--datasets duc2006,duc2007-main,duc2007-update-A] [--cache bench/results/emb.npz] \
        [--out bench/results/readability.json] [--summaries FILE.jsonl] [-v]

Per summary (DUC 2006 and DUC 2007 main at 250 words, DUC 2007 update A at 100 words, the
budgets of ``bench/quality.py``), counted on the summary sentences as the pipeline returns
them:

- **debris**: sentences that are not sentences a reader should see: ``is_debris`` of the
  text, a sentence that states nothing (``not_a_statement``: a teaser question, an address
  to the reader, a fact box's heading), or the ``unfit`` reason ingest gave the source
  sentence shown (a list item, a line of a timeline, a sentence inside a quotation).
- **repeats**: pairs of summary sentences where one states the other's main claim, judged
  by the pipeline's ``newsfuse.support.SupportScorer`` at its ``repeat`` threshold (or
  ``--repeat-threshold``), in either direction; ``max pair P`` is the mean over summaries
  of the highest such probability between two of its sentences. The pipeline's selection
  asks the same scorer, so at the default threshold this counts what slips past it. Only
  if no scorer can be built (no model shipped) a stand-in is used, and named in the
  output: MiniLM cosine ≥ 0.75 (the paraphrase threshold), or cosine ≥ 0.6 with 70 % of the
  claim's rarity-weighted content words covered, unless their numbers contradict.
- **dangling**: sentences whose opening needs an antecedent (``needs_antecedent`` with the
  names introduced by the sentences before it and the surnames the cluster gives in full)
  that the summary does not supply. A sentence counts as supplied when the summary
  sentence right before it is the sentence right before it in its source article.
- **inversions**: chronology inversions among the dated facts after the lead
  (``timeline.chronology_inversions`` of each fact's date as ``story.fact_dates`` gives it:
  the day its fact cluster's members state, relative times resolved against their article's
  date, else the date of its first report).
- **lead top fact**: whether the first sentence comes from the most widely reported fact
  (the largest number of independent sources among ``FusionContext.ranked``; ties all count).
- ROUGE-1/2 recall and F1 exactly as ``bench/quality.py`` computes them.

Prints a table per dataset and writes JSON (per cluster: counts and the reasons, no text
unless ``--summaries``). ``--cache`` keeps sentence embeddings on disk across runs (tuning
only: the seconds then no longer measure speed).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DATASETS,
    RESULTS,
    Cluster,
    load_datasets,
    machine_info,
    markdown_table,
    write_json,
)
from quality import (  # noqa: E402
    CachingEmbedder,
    cluster_documents,
    load_newsfuse,
    make_scorer,
    score_summary,
)

_LOGGER = logging.getLogger(__name__)

#: Stand-in repeat judge (used only when no support model ships with newsfuse).
STANDIN_COSINE = 0.75
STANDIN_COVERED_COSINE = 0.6
STANDIN_COVERAGE = 0.7


# --- repeats --------------------------------------------------------------------------------


class RepeatJudge:
    """Decides whether one summary sentence states another's main claim.

    The pipeline's own ``SupportScorer`` when it has one (the scorer every stage uses), else
    a fresh ``SupportScorer()``; the documented stand-in only when neither can be built.
    """

    def __init__(self, pipeline: Any = None, threshold: float | None = None) -> None:
        self.scorer = getattr(pipeline, "scorer", None)
        self.name = "stand-in (cosine, coverage)"
        if self.scorer is None:
            try:
                from newsfuse.support import SupportScorer

                self.scorer = SupportScorer()
            except Exception as exc:  # noqa: BLE001 - no model shipped, or an older newsfuse
                _LOGGER.warning("no support scorer (%s): repeats use the stand-in", exc)
        self.threshold = threshold
        if self.threshold is None:
            self.threshold = self.scorer.thresholds.repeat if self.scorer is not None else 0.5
        if self.scorer is not None:
            self.name = f"SupportScorer ({self.scorer.name}, repeat ≥ {self.threshold:.2f})"

    def pairs(
        self, texts: Sequence[str], vectors: np.ndarray, idf: Any
    ) -> list[tuple[int, int, float]]:
        """``(i, j, score)`` for every pair i < j: the higher of the two directions."""
        from newsfuse.support import FEATURES, pair_features, parse

        n = len(texts)
        if n < 2:
            return []
        parts = [parse(t) for t in texts]
        cos = vectors @ vectors.T
        index = [(i, j) for i in range(n) for j in range(n) if i != j]
        claims = [parts[i] for i, _ in index]
        sources = [parts[j] for _, j in index]
        cosines = [float(cos[i, j]) for i, j in index]
        if self.scorer is not None:
            scores = self.scorer.score(
                claims, sources, cosines, idf,
                claim_texts=[texts[i] for i, _ in index],
                source_texts=[texts[j] for _, j in index],
            )
        else:
            coverage = FEATURES.index("idf_coverage")
            contradicted = FEATURES.index("numbers_contradicted")
            scores = []
            for c, s, cosine in zip(claims, sources, cosines, strict=True):
                f = pair_features(c, s, cosine, idf)
                hit = f[contradicted] <= 0 and (
                    cosine >= STANDIN_COSINE
                    or (cosine >= STANDIN_COVERED_COSINE and f[coverage] >= STANDIN_COVERAGE)
                )
                scores.append(1.0 if hit else 0.0)
        best: dict[tuple[int, int], float] = {}
        for (i, j), score in zip(index, scores, strict=True):
            key = (min(i, j), max(i, j))
            best[key] = max(best.get(key, 0.0), float(score))
        return [(i, j, s) for (i, j), s in sorted(best.items())]


# --- one summary ----------------------------------------------------------------------------


@dataclass(slots=True)
class SummaryReport:
    """What the readability counts found in one summary."""

    cluster: str
    sentences: int
    words: int
    debris: list[str] = field(default_factory=list)
    repeats: list[tuple[int, int, float]] = field(default_factory=list)
    max_pair: float = 0.0
    """The highest support probability between two of the summary's sentences."""
    dangling: list[tuple[int, str]] = field(default_factory=list)
    dangling_supplied: int = 0
    inversions: int = 0
    dated_after_lead: int = 0
    lead_top_fact: bool = False
    lead_support: int = 0
    top_support: int = 0
    rouge: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    texts: list[str] = field(default_factory=list)

    def to_json(self, with_text: bool) -> dict[str, Any]:
        out = {
            "cluster": self.cluster,
            "sentences": self.sentences,
            "words": self.words,
            "debris": self.debris,
            "repeats": [list(p) for p in self.repeats],
            "max_pair": round(self.max_pair, 4),
            "dangling": [list(d) for d in self.dangling],
            "dangling_supplied": self.dangling_supplied,
            "inversions": self.inversions,
            "dated_after_lead": self.dated_after_lead,
            "lead_top_fact": self.lead_top_fact,
            "lead_support": self.lead_support,
            "top_support": self.top_support,
            **{k: round(v, 4) for k, v in self.rouge.items()},
            "seconds": round(self.seconds, 3),
        }
        if with_text:
            out["summary"] = self.texts
        return out


def assess(
    cluster: Cluster,
    ctx: Any,
    summary: Any,
    judge: RepeatJudge,
    scorer: Any,
    embed: Callable[[Sequence[str]], np.ndarray],
) -> SummaryReport:
    """Count debris, repeats, dangling openers, inversions and the lead for one summary."""
    from newsfuse import story
    from newsfuse.readability import (
        is_debris,
        known_surnames,
        names_introduced,
        needs_antecedent,
        not_a_statement,
    )
    from newsfuse.support import idf_weights, parse
    from newsfuse.timeline import chronology_inversions, fact_date

    sentences = list(ctx.sentences)
    documents = list(ctx.documents)
    doc_index = {doc.document.id: i for i, doc in enumerate(documents)}
    by_span = {(s.doc, s.start, s.end): k for k, s in enumerate(sentences)}
    fact_of: dict[int, Any] = {}
    for fact in ctx.ranked:
        for member in fact.cluster.members:
            fact_of[member] = fact

    texts = [s.text for s in summary.sentences]
    report = SummaryReport(
        cluster=cluster.id,
        sentences=len(texts),
        words=sum(len(t.split()) for t in texts),
        texts=texts,
    )
    # The source sentence each summary sentence shows: an extractive sentence's first citation.
    shown: list[int | None] = []
    for sentence in summary.sentences:
        source = None
        if not sentence.generated and sentence.citations:
            c = sentence.citations[0]
            source = by_span.get((doc_index.get(c.document_id, -1), c.start, c.end))
        shown.append(source)

    for text, source in zip(texts, shown, strict=True):
        reason = is_debris(text) or not_a_statement(text)
        if reason is None and source is not None:
            reason = getattr(sentences[source], "unfit", None)
        if reason:
            report.debris.append(reason)

    if len(texts) > 1:
        evidence = getattr(ctx, "evidence", None)
        idf = evidence.idf if evidence is not None else idf_weights(
            [parse(s.text) for s in sentences]
        )
        pairs = judge.pairs(texts, embed(texts), idf)
        report.repeats = [(i, j, round(p, 4)) for i, j, p in pairs if p >= judge.threshold]
        report.max_pair = max(p for _, _, p in pairs)

    surnames = known_surnames(s.text for s in sentences)
    for k, text in enumerate(texts):
        reason = needs_antecedent(text, names_introduced(texts[:k]), surnames=surnames)
        if reason is None:
            continue
        previous, current = (shown[k - 1] if k else None), shown[k]
        if (
            previous is not None
            and current is not None
            and sentences[previous].doc == sentences[current].doc
            and sentences[previous].index + 1 == sentences[current].index
        ):
            report.dangling_supplied += 1  # the source's own context comes right before
            continue
        report.dangling.append((k, reason))

    # Each fact's date as the pipeline dates it (``story.fact_dates``: the day its sentences
    # give, else its first report); a sentence outside every fact by ``timeline.fact_date``.
    facts = {f.cluster.id: f for source in shown if (f := fact_of.get(source)) is not None}
    fact_days = story.fact_dates(
        list(facts.values()), sentences, documents, getattr(ctx, "evidence", None), judge.scorer
    )
    dates = []
    for source in shown:
        fact = fact_of.get(source) if source is not None else None
        if source is None:
            dates.append(None)
        elif fact is not None:
            dates.append(fact_days[fact.cluster.id])
        else:
            alone = sentences[source]
            dates.append(fact_date([(alone.text, documents[alone.doc].date)]))
    after_lead = dates[1:]
    report.dated_after_lead = sum(d is not None for d in after_lead)
    report.inversions = chronology_inversions(after_lead)

    if ctx.ranked:
        report.top_support = max(f.support for f in ctx.ranked)
        first = fact_of.get(shown[0]) if shown and shown[0] is not None else None
        report.lead_support = first.support if first is not None else 0
        report.lead_top_fact = first is not None and first.support == report.top_support

    report.rouge = score_summary(scorer, " ".join(texts), cluster.references, cluster.budget)
    return report


def summarize(pipeline: Any, cluster: Cluster) -> tuple[Any, Any, float]:
    """``(context, summary, seconds)`` through the pipeline's own stages."""
    from newsfuse.types import SummaryOptions

    started = time.perf_counter()
    documents = cluster_documents(cluster)
    ctx = pipeline.prepare(documents, SummaryOptions(max_words=cluster.budget))
    (result,) = pipeline.fuse([ctx])
    seconds = time.perf_counter() - started
    return ctx, pipeline.finish(ctx, result, seconds), seconds


# --- the run --------------------------------------------------------------------------------


def aggregate(dataset: str, reports: Sequence[SummaryReport]) -> dict[str, Any]:
    """One table row: totals and shares over the summaries of a dataset."""
    sentences = sum(r.sentences for r in reports)
    n = len(reports)

    def mean(values: Sequence[float]) -> float | None:
        return statistics.fmean(values) if values else None

    return {
        "dataset": dataset,
        "clusters": n,
        "sentences": sentences,
        "debris": sum(len(r.debris) for r in reports),
        "summaries_with_debris": sum(1 for r in reports if r.debris),
        "repeats": sum(len(r.repeats) for r in reports),
        "summaries_with_repeats": sum(1 for r in reports if r.repeats),
        "max_pair_mean": mean([r.max_pair for r in reports]),
        "dangling": sum(len(r.dangling) for r in reports),
        "dangling_pct": 100.0 * sum(len(r.dangling) for r in reports) / sentences
        if sentences else None,
        "dangling_supplied": sum(r.dangling_supplied for r in reports),
        "inversions": sum(r.inversions for r in reports),
        "summaries_with_inversions": sum(1 for r in reports if r.inversions),
        "lead_top_fact_pct": 100.0 * sum(r.lead_top_fact for r in reports) / n if n else None,
        **{
            key: mean([r.rouge[key] for r in reports])
            for key in ("r1_recall", "r2_recall", "r1_f1", "r2_f1")
        },
        "seconds": sum(r.seconds for r in reports),
    }


def evaluate(
    datasets: dict[str, list[Cluster]],
    *,
    pipeline: Any = None,
    cache: Path | None = None,
    repeat_threshold: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Summarize and assess every cluster; returns the result document."""
    load_seconds = None
    if pipeline is None:
        pipeline, load_seconds = load_newsfuse()
    if cache is not None and not isinstance(pipeline.embedder, CachingEmbedder):
        pipeline.embedder = CachingEmbedder(pipeline.embedder, cache)
    judge = RepeatJudge(pipeline, repeat_threshold)
    scorer = make_scorer()
    rows = []
    per_cluster: dict[str, list[SummaryReport]] = {}
    for dataset, clusters in datasets.items():
        reports = []
        for cluster in clusters:
            ctx, summary, seconds = summarize(pipeline, cluster)
            report = assess(cluster, ctx, summary, judge, scorer, pipeline.embedder.encode)
            report.seconds = seconds
            reports.append(report)
            _LOGGER.debug(
                "%s %s: %d sentences, debris %d, repeats %d, dangling %d, inversions %d",
                dataset, cluster.id, report.sentences, len(report.debris),
                len(report.repeats), len(report.dangling), report.inversions,
            )
        if isinstance(pipeline.embedder, CachingEmbedder):
            pipeline.embedder.save()
        per_cluster[dataset] = reports
        row = aggregate(dataset, reports)
        rows.append(row)
        if progress is not None:
            progress(
                f"{dataset}: debris {row['debris']}, repeats {row['repeats']}, dangling "
                f"{row['dangling']}, inversions {row['inversions']}, R2-R {row['r2_recall']}"
            )
    return {
        "protocol": {
            "budgets": {name: budget for name, (_, _, budget) in DATASETS.items()},
            "repeats": judge.name,
            "dangling": "needs_antecedent, unless the sentence before is its source's previous",
            "inversions": "chronology_inversions of fact_date, sentences after the first",
            "rouge": "as bench/quality.py: rouge-score 1/2, stemmed, cut at the budget",
        },
        "newsfuse_load_seconds": load_seconds,
        "embed_cache": str(cache) if cache else None,
        "results": rows,
        "per_cluster": per_cluster,
    }


def render(result: dict[str, Any]) -> str:
    headers = ["dataset", "clusters", "sentences", "debris", "repeats", "max pair P",
               "dangling", "dangling %", "inversions", "lead = top fact %", "R1-R", "R2-R"]
    rows = [
        [r["dataset"], r["clusters"], r["sentences"], r["debris"], r["repeats"],
         r["max_pair_mean"], r["dangling"], r["dangling_pct"], r["inversions"],
         r["lead_top_fact_pct"], r["r1_recall"], r["r2_recall"]]
        for r in result["results"]
    ]
    text = markdown_table(headers, rows)
    text += f"\n\nrepeats judged by: {result['protocol']['repeats']}"
    reasons: dict[str, int] = {}
    dangling: dict[str, int] = {}
    for reports in result["per_cluster"].values():
        for report in reports:
            for reason in report.debris:
                reasons[reason] = reasons.get(reason, 0) + 1
            for _, why in report.dangling:
                kind = why.split(":")[0]
                dangling[kind] = dangling.get(kind, 0) + 1
    if reasons:
        text += "\ndebris: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
    if dangling:
        text += "\ndangling: " + ", ".join(f"{k} {v}" for k, v in sorted(dangling.items()))
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", required=True, help="directory with duc2006/7.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="first N clusters per dataset")
    parser.add_argument(
        "--skip", type=int, default=0,
        help="leave out the first N clusters per dataset (--skip 25 --limit 12: clusters 26-37,"
        " a slice nobody tuned on)",
    )
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--cache", default=None, help="sentence embeddings kept in this .npz")
    parser.add_argument(
        "--repeat-threshold", type=float, default=None,
        help="support probability at which a pair counts as a repeat (default: the scorer's "
        "own repeat threshold)",
    )
    parser.add_argument("--out", default=str(RESULTS / "readability.json"))
    parser.add_argument("--summaries", default=None,
                        help="also write every summary's sentences to this jsonl file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every cluster")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.verbose:
        _LOGGER.setLevel(logging.DEBUG)

    datasets = load_datasets(
        args.eval_dir, [d.strip() for d in args.datasets.split(",") if d.strip()], None
    )
    end = None if args.limit is None else args.skip + args.limit
    datasets = {name: clusters[args.skip : end] for name, clusters in datasets.items()}
    started = time.perf_counter()
    result = evaluate(
        datasets,
        cache=Path(args.cache) if args.cache else None,
        repeat_threshold=args.repeat_threshold,
        progress=lambda line: _LOGGER.info("%s", line),
    )
    text = render(result)
    if args.summaries:
        import json

        path = Path(args.summaries)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            for dataset, reports in result["per_cluster"].items():
                for report in reports:
                    record = {"dataset": dataset, **report.to_json(with_text=True)}
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    result["per_cluster"] = {
        dataset: [r.to_json(with_text=False) for r in reports]
        for dataset, reports in result["per_cluster"].items()
    }
    result["command"] = " ".join(["python", "bench/readability.py", *(argv or sys.argv[1:])])
    result["machine"] = machine_info()
    result["wall_seconds"] = time.perf_counter() - started
    path = write_json(args.out, result)
    print(text)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
