"""ROUGE-1/2 of newsfuse against the lead and LexRank baselines on DUC 2006 / DUC 2007.

Usage::

    python bench/quality.py --eval-dir ../shared/eval [--limit N] \
        [--systems newsfuse,lead,lexrank] [--out bench/results/quality.json]

Protocol (as in ``shared/eval/README.md``): rouge-score with the Porter stemmer, every summary
cut at the word budget (250 words for DUC 2006 and DUC 2007 main, 100 for the DUC 2007 update
task, whose ``-A`` clusters only are used), recall and F1 averaged over the references of a
cluster, then over the clusters. Each dataset is reported on its own. The baselines are
measured in the same run; LexRank results are cached per cluster in ``bench/results/cache`` so
reruns are cheap.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DATASETS,
    RESULTS,
    Cluster,
    SpanSplitter,
    get_splitter,
    load_datasets,
    machine_info,
    markdown_table,
    paragraph_sentences,
    truncate_words,
    write_json,
)

_LOGGER = logging.getLogger(__name__)

BASELINES = ("lead", "lexrank")
SYSTEMS = ("newsfuse", *BASELINES)
LEXRANK_CACHE = RESULTS / "cache" / "lexrank"
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


# --- baselines ------------------------------------------------------------------------------


def _unique(sentences: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for sentence in sentences:
        if sentence not in seen:
            seen.add(sentence)
            out.append(sentence)
    return out


def _fill(sentences: Sequence[str], budget: int) -> str:
    """Join sentences in the given order until the word budget is reached (then cut)."""
    chosen: list[str] = []
    words = 0
    for sentence in _unique(sentences):
        if words >= budget:
            break
        chosen.append(sentence)
        words += len(sentence.split())
    return truncate_words(" ".join(chosen), budget)


def lead_summary(cluster: Cluster, split: SpanSplitter) -> str:
    """First sentence of each document in turn, then the second of each, ... up to the budget."""
    per_doc = [paragraph_sentences(doc.text, split) for doc in cluster.documents]
    order: list[str] = []
    depth = max((len(s) for s in per_doc), default=0)
    for position in range(depth):
        order.extend(s[position] for s in per_doc if position < len(s))
    return _fill(order, cluster.budget)


class SumyTokenizer:
    """A sumy tokenizer that needs no NLTK data: our sentence splitter and a word regex."""

    language = "english"

    def __init__(self, split: SpanSplitter) -> None:
        self._split = split

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(paragraph[a:b] for a, b in self._split(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(_WORD.findall(sentence))


def _lexrank_document(cluster: Cluster, split: SpanSplitter) -> Any:
    from sumy.parsers.plaintext import PlaintextParser

    text = "\n\n".join(doc.text for doc in cluster.documents)
    return PlaintextParser.from_string(text, SumyTokenizer(split)).document


def lexrank_ranking(cluster: Cluster, split: SpanSplitter) -> list[tuple[str, int]]:
    """``(sentence, position in the cluster)`` pairs, best sumy LexRank score first.

    Only the head of the ranking is kept: sentences up to three times the word budget.
    """
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    class RankingLexRank(LexRankSummarizer):
        # sumy returns the top-N in document order; we want the whole ranking.
        @staticmethod
        def _get_best_sentences(sentences, count, rating, *args, **kwargs):
            order = {s: i for i, s in reversed(list(enumerate(sentences)))}
            return tuple(sorted(sentences, key=lambda s: (-rating[s], order[s])))

    document = _lexrank_document(cluster, split)
    summarizer = RankingLexRank(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    positions = {s: i for i, s in reversed(list(enumerate(document.sentences)))}
    ranking: list[tuple[str, int]] = []
    words = 0
    for sentence in summarizer(document, len(document.sentences)):
        if sentence.is_heading:
            continue
        text = " ".join(str(sentence).split())
        ranking.append((text, positions[sentence]))
        words += len(text.split())
        if words >= 3 * cluster.budget:
            break
    return ranking


def lexrank_summary_from_ranking(ranking: Sequence[tuple[str, int]], budget: int) -> str:
    """Best-ranked sentences until the budget, in rank order (the cut drops the weakest)."""
    return _fill([text for text, _ in ranking], budget)


def lexrank_summary(cluster: Cluster, split: SpanSplitter) -> str:
    return lexrank_summary_from_ranking(lexrank_ranking(cluster, split), cluster.budget)


def _lexrank_key(cluster: Cluster, split: SpanSplitter) -> str:
    """Cache key: the exact sentences LexRank sees (so a splitter change invalidates it)."""
    import sumy

    digest = hashlib.sha1(f"{sumy.__version__}|v2|{cluster.budget}".encode())
    for sentence in _lexrank_document(cluster, split).sentences:
        digest.update(str(sentence).encode())
        digest.update(b"\0")
    return f"{cluster.id}-{digest.hexdigest()[:12]}"


def _lexrank_job(cluster: Cluster, splitter_mode: str) -> tuple[list[tuple[str, int]], float]:
    _, split = get_splitter(splitter_mode)
    started = time.perf_counter()
    ranking = lexrank_ranking(cluster, split)
    return ranking, time.perf_counter() - started


def run_lexrank(
    clusters: Sequence[Cluster],
    splitter_mode: str,
    *,
    jobs: int = 2,
    cache_dir: Path | None = LEXRANK_CACHE,
) -> dict[str, tuple[str, float, bool]]:
    """``{cluster id: (summary, compute seconds, from cache)}``; computes misses in a pool."""
    splitter_name, split = get_splitter(splitter_mode)
    found: dict[str, tuple[list[tuple[str, int]], float, bool]] = {}
    missing: list[Cluster] = []
    keys = {c.id: _lexrank_key(c, split) for c in clusters}
    for cluster in clusters:
        path = cache_dir / f"{keys[cluster.id]}.json" if cache_dir else None
        if path is not None and path.is_file():
            record = json.loads(path.read_text())
            found[cluster.id] = ([tuple(r) for r in record["ranking"]], record["seconds"], True)
        else:
            missing.append(cluster)
    if missing:
        _LOGGER.info("LexRank: %d clusters to compute with %d processes", len(missing), jobs)
        pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 and len(missing) > 1 else None
        try:
            computed = (
                pool.map(_lexrank_job, missing, [splitter_mode] * len(missing))
                if pool is not None
                else (_lexrank_job(c, splitter_mode) for c in missing)
            )
            _store_rankings(missing, computed, found, keys, splitter_name, cache_dir)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    budgets = {c.id: c.budget for c in clusters}
    return {
        cid: (lexrank_summary_from_ranking(ranking, budgets[cid]), seconds, cached)
        for cid, (ranking, seconds, cached) in found.items()
    }


def _store_rankings(
    missing: Sequence[Cluster],
    computed: Any,
    found: dict[str, tuple[list[tuple[str, int]], float, bool]],
    keys: dict[str, str],
    splitter_name: str,
    cache_dir: Path | None,
) -> None:
    """Record each ranking as it arrives (and cache it, so an interrupted run keeps it)."""
    for cluster, (ranking, seconds) in zip(missing, computed, strict=True):
        found[cluster.id] = (ranking, seconds, False)
        if cache_dir is not None:
            write_json(
                cache_dir / f"{keys[cluster.id]}.json",
                {"cluster": cluster.id, "splitter": splitter_name, "seconds": seconds,
                 "ranking": ranking},
            )


# --- newsfuse -------------------------------------------------------------------------------


def load_newsfuse(settings_overrides: dict[str, Any] | None = None) -> tuple[Any, float]:
    """``(pipeline, load seconds)`` with settings from the environment (plus overrides)."""
    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings

    started = time.perf_counter()
    pipeline = Pipeline.load(Settings.from_env(**(settings_overrides or {})))
    return pipeline, time.perf_counter() - started


class CachingEmbedder:
    """Wraps an embedder and remembers every sentence vector, optionally on disk.

    For tuning runs only: with ``--embed-cache`` a rerun skips the transformer (ROUGE is the
    same, the seconds column is not a speed measurement any more).
    """

    def __init__(self, inner: Any, path: Path | None = None) -> None:
        import numpy as np

        self._np = np
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.path = path
        self.vectors: dict[str, Any] = {}
        if path is not None and path.is_file():
            with np.load(path, allow_pickle=False) as data:
                texts = json.loads(data["texts_json"].tobytes().decode("utf-8"))
                self.vectors = dict(zip(texts, data["vectors"], strict=True))

    def encode(self, texts: Sequence[str]) -> Any:
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        if missing:
            for text, vector in zip(missing, self.inner.encode(missing), strict=True):
                self.vectors[text] = vector
        if not texts:
            return self._np.zeros((0, self.dim), dtype=self._np.float32)
        return self._np.stack([self.vectors[t] for t in texts]).astype(self._np.float32)

    def save(self) -> None:
        if self.path is None or not self.vectors:
            return
        import os
        import tempfile

        np = self._np
        self.path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self.vectors)
        # Texts as one UTF-8 JSON blob: a numpy string array pads every text to the longest.
        blob = np.frombuffer(json.dumps(texts).encode("utf-8"), dtype=np.uint8)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as handle:
                vectors = np.stack([self.vectors[t] for t in texts])
                np.savez(handle, texts_json=blob, vectors=vectors)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def cluster_documents(cluster: Cluster) -> list[Any]:
    """The cluster's articles as newsfuse ``Document``s (headline and date as given)."""
    from newsfuse.types import Document

    return [
        Document(id=doc.name, text=doc.text, title=doc.headline, date=doc.date)
        for doc in cluster.documents
    ]


def newsfuse_summary(
    pipeline: Any, cluster: Cluster, on_summary: Callable[[Cluster, Any], None] | None = None
) -> str:
    """newsfuse's summary text; ``on_summary`` also gets the ``Summary`` (citations and all)."""
    from newsfuse.types import SummaryOptions

    summary = pipeline.summarize(
        cluster_documents(cluster), SummaryOptions(max_words=cluster.budget)
    )
    if on_summary is not None:
        on_summary(cluster, summary)
    return " ".join(s.text for s in summary.sentences)


# --- scoring --------------------------------------------------------------------------------


def make_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)


def score_summary(
    scorer: Any, summary: str, references: Sequence[str], budget: int
) -> dict[str, float]:
    """ROUGE-1/2 recall and F1 (in %) of the budget-cut summary, mean over the references."""
    cut = truncate_words(summary, budget)
    totals = {"r1_recall": 0.0, "r2_recall": 0.0, "r1_f1": 0.0, "r2_f1": 0.0}
    for reference in references:
        scores = scorer.score(reference, cut)
        totals["r1_recall"] += scores["rouge1"].recall
        totals["r2_recall"] += scores["rouge2"].recall
        totals["r1_f1"] += scores["rouge1"].fmeasure
        totals["r2_f1"] += scores["rouge2"].fmeasure
    return {k: 100.0 * v / len(references) for k, v in totals.items()}


def evaluate(
    datasets: dict[str, list[Cluster]],
    systems: Sequence[str],
    *,
    splitter_mode: str = "auto",
    jobs: int = 2,
    cache_dir: Path | None = LEXRANK_CACHE,
    pipeline: Any = None,
    embed_cache: Path | None = None,
    summaries_out: Path | None = None,
    progress: Callable[[str], None] | None = None,
    on_summary: Callable[[Cluster, Any], None] | None = None,
) -> dict[str, Any]:
    """Run every system on every dataset; returns the result document (see ``main``).

    ``on_summary`` receives each newsfuse ``Summary`` with its cluster (for measures beyond
    ROUGE taken from the same run: citations, readability).
    """
    splitter_name, split = get_splitter(splitter_mode)
    scorer = make_scorer()
    rows: list[dict[str, Any]] = []
    per_cluster: dict[str, dict[str, dict[str, Any]]] = {}
    dumped: list[dict[str, Any]] = []
    load_seconds = None
    # Baselines first: LexRank forks worker processes, better before torch is loaded.
    ordered = [s for s in SYSTEMS[::-1] if s in systems]
    for system in ordered:
        if system == "newsfuse" and pipeline is None:
            pipeline, load_seconds = load_newsfuse()
        if system == "newsfuse" and embed_cache is not None:
            if not isinstance(pipeline.embedder, CachingEmbedder):
                pipeline.embedder = CachingEmbedder(pipeline.embedder, embed_cache)
        for dataset, clusters in datasets.items():
            outputs: dict[str, tuple[str, float, bool]] = {}
            if system == "lexrank":
                outputs = run_lexrank(clusters, splitter_mode, jobs=jobs, cache_dir=cache_dir)
            else:
                for cluster in clusters:
                    started = time.perf_counter()
                    if system == "lead":
                        summary = lead_summary(cluster, split)
                    else:
                        summary = newsfuse_summary(pipeline, cluster, on_summary)
                    outputs[cluster.id] = (summary, time.perf_counter() - started, False)
                    _LOGGER.debug("%s %s %s: %.2fs", dataset, system, cluster.id,
                                  outputs[cluster.id][1])
                if isinstance(getattr(pipeline, "embedder", None), CachingEmbedder):
                    pipeline.embedder.save()
            scores = {}
            for cluster in clusters:
                summary, seconds, cached = outputs[cluster.id]
                scores[cluster.id] = {
                    **score_summary(scorer, summary, cluster.references, cluster.budget),
                    "words": len(summary.split()),
                    "seconds": round(seconds, 4),
                    "cached": cached,
                }
                if summaries_out is not None:
                    dumped.append(
                        {"dataset": dataset, "system": system, "cluster": cluster.id,
                         "summary": summary, **scores[cluster.id]}
                    )
            per_cluster.setdefault(dataset, {})[system] = scores
            row = {
                "dataset": dataset,
                "system": system,
                "clusters": len(clusters),
                **{
                    key: statistics.fmean(s[key] for s in scores.values()) if scores else None
                    for key in ("r1_recall", "r2_recall", "r1_f1", "r2_f1")
                },
                "seconds": sum(s["seconds"] for s in scores.values()),
                "cached": sum(1 for s in scores.values() if s["cached"]),
            }
            rows.append(row)
            if progress is not None:
                progress(f"{dataset} {system}: R1-R {row['r1_recall']} R2-R {row['r2_recall']}")
    if summaries_out is not None:
        summaries_out.parent.mkdir(parents=True, exist_ok=True)
        with summaries_out.open("w", encoding="utf-8") as handle:
            for record in dumped:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return {
        "protocol": {
            "rouge": "rouge-score, rouge1+rouge2, use_stemmer=True",
            "aggregate": "mean over references, then over clusters; scores in percent",
            "budgets": {name: budget for name, (_, _, budget) in DATASETS.items()},
            "splitter": splitter_name,
        },
        "newsfuse_load_seconds": load_seconds,
        "newsfuse_embed_cache": str(embed_cache) if embed_cache else None,
        "results": rows,
        "comparison": compare(rows),
        "per_cluster": per_cluster,
    }


def compare(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """newsfuse minus each baseline, and ratio, per dataset and metric."""
    by_key = {(r["dataset"], r["system"]): r for r in rows}
    out = []
    for (dataset, system), row in by_key.items():
        if system != "newsfuse":
            continue
        for baseline in BASELINES:
            base = by_key.get((dataset, baseline))
            if base is None:
                continue
            entry: dict[str, Any] = {"dataset": dataset, "baseline": baseline}
            for metric in ("r1_recall", "r2_recall"):
                entry[f"{metric}_delta"] = row[metric] - base[metric]
                entry[f"{metric}_ratio"] = row[metric] / base[metric] if base[metric] else None
            entry["beats"] = entry["r1_recall_delta"] > 0 and entry["r2_recall_delta"] > 0
            out.append(entry)
    return out


def render(result: dict[str, Any]) -> str:
    headers = ["dataset", "system", "clusters", "R1-R", "R2-R", "R1-F", "R2-F", "seconds"]
    rows = [
        [r["dataset"], r["system"], r["clusters"], r["r1_recall"], r["r2_recall"], r["r1_f1"],
         r["r2_f1"], r["seconds"]]
        for r in sorted(result["results"], key=lambda r: (list(DATASETS).index(r["dataset"])
                                                          if r["dataset"] in DATASETS else 99,
                                                          SYSTEMS.index(r["system"])))
    ]
    text = markdown_table(headers, rows)
    if result["comparison"]:
        text += "\n\n" + markdown_table(
            ["dataset", "newsfuse vs", "ΔR1-R", "ΔR2-R", "R1-R ratio", "R2-R ratio", "beats"],
            [
                [c["dataset"], c["baseline"], c["r1_recall_delta"], c["r2_recall_delta"],
                 c["r1_recall_ratio"], c["r2_recall_ratio"], "yes" if c["beats"] else "NO"]
                for c in result["comparison"]
            ],
        )
    if result.get("newsfuse_load_seconds") is not None:
        text += f"\n\nnewsfuse Pipeline.load: {result['newsfuse_load_seconds']:.2f} s"
    text += f"\nsentence splitter for the baselines: {result['protocol']['splitter']}"
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", required=True, help="directory with duc2006/7.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="first N clusters per dataset")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument(
        "--splitter", default="auto", choices=("auto", "newsfuse", "blingfire", "regex"),
        help="sentence splitter of the baselines (auto: newsfuse.ingest if present, else "
        "blingfire)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="LexRank worker processes")
    parser.add_argument("--no-cache", action="store_true", help="recompute LexRank")
    parser.add_argument("--out", default=str(RESULTS / "quality.json"))
    parser.add_argument("-v", "--verbose", action="store_true", help="log every cluster")
    parser.add_argument(
        "--summaries", default=None, help="also write every summary to this jsonl file"
    )
    parser.add_argument(
        "--embed-cache", default=None,
        help="tuning runs: keep sentence embeddings in this .npz file across runs (ROUGE is "
        "unchanged; newsfuse seconds then no longer measure speed)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.verbose:
        _LOGGER.setLevel(logging.DEBUG)

    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        parser.error(f"unknown systems {unknown}; known: {', '.join(SYSTEMS)}")
    datasets = load_datasets(
        args.eval_dir, [d.strip() for d in args.datasets.split(",") if d.strip()], args.limit
    )
    started = time.perf_counter()
    result = evaluate(
        datasets,
        systems,
        splitter_mode=args.splitter,
        jobs=args.jobs,
        cache_dir=None if args.no_cache else LEXRANK_CACHE,
        summaries_out=Path(args.summaries) if args.summaries else None,
        embed_cache=Path(args.embed_cache) if args.embed_cache else None,
        progress=lambda line: _LOGGER.info("%s", line),
    )
    result["command"] = " ".join(["python", "bench/quality.py", *(argv or sys.argv[1:])])
    result["machine"] = machine_info()
    result["wall_seconds"] = time.perf_counter() - started
    path = write_json(args.out, result)
    print(render(result))
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
