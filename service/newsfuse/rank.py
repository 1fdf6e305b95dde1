"""Rank: salience of fact clusters, redundancy-aware selection within a budget, ordering.

Salience combines how many independent sources carry a fact, how central it is to the
whole cluster, how early it comes in its articles and how recent the reports are. The
selection is maximal marginal relevance (MMR) under a word and sentence budget; the
chosen facts are then ordered by when they were first reported and where.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from newsfuse.support import Evidence, SupportScorer
from newsfuse.types import FactCluster, ParsedDocument, RankedFact, Sentence

_WORD = re.compile(r"\w+", re.UNICODE)
_DANGLING = re.compile(
    r"^\W*(he|she|they|it|his|her|their|its|this|these|those|but|and|also|however|meanwhile"
    r"|still|yet|so|then|there)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class RankWeights:
    """Weights of the salience features; they need not sum to one."""

    support: float = 0.25
    centrality: float = 0.35
    lexical: float = 0.5
    position: float = 0.20
    headline: float = 0.15
    recency: float = 0.10
    mmr_lambda: float = 0.85
    new_source_bonus: float = 0.08
    """MMR bonus for a fact from a source the summary does not cite yet."""
    min_relative_score: float = 0.5
    """Facts scoring under this share of the best one are never used to fill the budget."""
    dangling_penalty: float = 0.85
    """Factor for sentences that open with a pronoun or connective (they need context)."""
    confirmed: float = 0.4
    """Added to a fact's score when other outlets state its claim, as the pair reader judges
    it for a citation (half for one outlet, all of it for two or more): facts a reader can
    check in several sources come first. Chosen on DUC 2007 main (docs/bench.md); the
    pipeline takes it from ``Settings.confirm_bonus``."""
    confirm_top: int = 60
    """How many of the most salient facts (of those selection may use) are checked."""


_TERM = re.compile(r"[^\W\d_]{2,}|\d+(?:[.,]\d+)*", re.UNICODE)
_STOP = frozenset(
    "about above after again against all also am an and any are as at be because been before"
    " being below between both but by can could did do does doing down during each few for from"
    " further had has have having he her here hers herself him himself his how if in into is it"
    " its itself just me more most my myself no nor not now of off on once only or other our"
    " ours out over own said same says she should so some such than that the their theirs them"
    " then there these they this those through to too under until up very was we were what when"
    " where which while who whom why will with would you your yours mr mrs ms one two new year"
    " years told say".split()
)


def _terms(text: str) -> set[str]:
    """Content words, crudely stemmed (plural and tense endings)."""
    out = set()
    for word in _TERM.findall(text.casefold()):
        if word in _STOP:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if len(word) > len(suffix) + 3 and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
        out.add(word)
    return out


def lexical_centrality(
    sentences: Sequence[Sentence],
    canonical_doc: Sequence[int],
    seen: frozenset[int] = frozenset(),
) -> np.ndarray:
    """Per sentence: mean share of the independent sources that use each of its content words.

    Words only one source uses count zero. A sentence made of the words most outlets use is
    what the cluster is about: a lexical centroid score (as in MEAD), cheap, and a good
    complement to embedding centrality. Documents in ``seen`` (already read) are no source.
    """
    terms = [_terms(s.text) for s in sentences]
    by_source: dict[int, set[str]] = defaultdict(set)
    for sentence, words in zip(sentences, terms, strict=True):
        if sentence.doc not in seen:
            by_source[canonical_doc[sentence.doc]] |= words
    df = Counter(w for words in by_source.values() for w in words)
    n_sources = max(1, len(by_source))
    out = np.zeros(len(sentences), dtype=np.float32)
    for i, words in enumerate(terms):
        if words:
            out[i] = sum(df[w] for w in words if df[w] > 1) / (len(words) * n_sources)
    return out


def _rescale(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    return (values - lo) / (hi - lo) if hi - lo > 1e-9 else np.ones_like(values)


def word_count(text: str) -> int:
    """Words as the budget counts them: whitespace-separated tokens."""
    return len(text.split())


def fact_vectors(clusters: Sequence[FactCluster], embeddings: np.ndarray) -> np.ndarray:
    """Unit-length mean embedding of each cluster's members."""
    if not clusters:
        return np.zeros((0, embeddings.shape[1] if embeddings.ndim == 2 else 0), dtype=np.float32)
    out = np.stack([embeddings[list(c.members)].mean(0) for c in clusters]).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def rank(
    clusters: Sequence[FactCluster],
    sentences: Sequence[Sentence],
    documents: Sequence[ParsedDocument],
    embeddings: np.ndarray,
    duplicate_of: Sequence[int | None],
    title_vectors: np.ndarray | None = None,
    weights: RankWeights = RankWeights(),
    reported_by: Sequence[set[int]] | None = None,
    seen: frozenset[int] = frozenset(),
) -> list[RankedFact]:
    """Score every fact cluster; most salient first.

    ``title_vectors`` holds one unit-length row per document (zeros where it has no title):
    a sentence close to its own article's headline is what that outlet found most important.
    ``reported_by`` gives, per cluster, the documents that report its fact (by default the
    documents of its members); independent ones count as its sources.

    ``seen`` holds the documents the reader has already read (an update summary): what is
    salient is judged on the new documents alone. A fact a seen document tells is not ranked
    at all, and seen documents count neither as sources nor towards what the story is about;
    they stay in ``documents`` so that indices hold.
    """
    if seen:
        keep = [k for k, c in enumerate(clusters) if not set(c.documents) & seen]
        clusters = [clusters[k] for k in keep]
        if reported_by is not None:
            reported_by = [set(reported_by[k]) - seen for k in keep]
    if not clusters:
        return []
    canonical = [d if duplicate_of[d] is None else duplicate_of[d] for d in range(len(documents))]
    n_sources = len({canonical[d] for d in range(len(documents)) if d not in seen})
    vectors = fact_vectors(clusters, embeddings)
    # Centrality: cosine to the centroid of the whole cluster of articles, weighted by how
    # many sentences carry each fact, rescaled to [0, 1] across the request.
    sizes = np.asarray([len(c.members) for c in clusters], dtype=np.float32)
    centroid = (vectors * sizes[:, None]).sum(0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    centrality = _rescale(vectors @ centroid)
    lexical = _rescale(
        lexical_centrality(sentences, canonical, seen)[[c.representative for c in clusters]]
    )

    dates = [d.date for d in documents]
    known = [d for k, d in enumerate(dates) if d is not None and k not in seen]
    first, last = (min(known), max(known)) if known else (None, None)

    ranked = []
    for k, cluster in enumerate(clusters):
        reporters = cluster.documents if reported_by is None else reported_by[k]
        support = len({canonical[d] for d in reporters})
        support_score = math.log1p(support) / math.log1p(n_sources) if n_sources > 1 else 1.0
        position = max(1.0 / math.sqrt(1 + sentences[m].index) for m in cluster.members)
        recency = _recency([dates[d] for d in cluster.documents], first, last)
        headline = 0.0
        if title_vectors is not None:
            headline = max(
                0.0,
                max(
                    float(embeddings[m] @ title_vectors[sentences[m].doc]) for m in cluster.members
                ),
            )
        rep_words = len(_WORD.findall(sentences[cluster.representative].text))
        # Fragments and run-ons make poor summary sentences whatever their content.
        length_factor = min(1.0, rep_words / 12) * (1.0 if rep_words <= 60 else 60 / rep_words)
        if _DANGLING.match(sentences[cluster.representative].text):
            length_factor *= weights.dangling_penalty
        score = length_factor * (
            weights.support * support_score
            + weights.centrality * float(centrality[k])
            + weights.lexical * float(lexical[k])
            + weights.position * position
            + weights.headline * headline
            + weights.recency * recency
        )
        ranked.append(
            RankedFact(
                cluster=cluster,
                score=score,
                support=support,
                centrality=float(centrality[k]),
                position=position,
                recency=recency,
                headline=headline,
            )
        )
    ranked.sort(key=lambda r: (-r.score, r.cluster.id))
    return ranked


def confirm(
    ranked: Sequence[RankedFact],
    confirming: Mapping[int, int],
    weights: RankWeights = RankWeights(),
) -> list[RankedFact]:
    """``ranked`` rescored: each fact gains ``weights.confirmed`` by how many other outlets
    state its claim (``confirming``: cluster id -> count; half for one, all for two or more).
    """
    out = []
    for r in ranked:
        bonus = weights.confirmed * min(confirming.get(r.cluster.id, 0), 2) / 2
        out.append(
            dataclasses.replace(r, score=r.score + bonus, confirmed=r.confirmed + bonus)
        )
    out.sort(key=lambda r: (-r.score, r.cluster.id))
    return out


def _recency(dates: Sequence[dt.date | None], first: dt.date | None, last: dt.date | None) -> float:
    known = [d for d in dates if d is not None]
    if not known or first is None or last is None or first == last:
        return 0.5
    return (max(known) - first).days / (last - first).days


def select(
    ranked: Sequence[RankedFact],
    sentences: Sequence[Sentence],
    documents: Sequence[ParsedDocument],
    embeddings: np.ndarray,
    *,
    max_words: int | None,
    max_sentences: int | None,
    redundancy_threshold: float,
    weights: RankWeights = RankWeights(),
    evidence: Evidence | None = None,
    scorer: SupportScorer | None = None,
    lead: RankedFact | None = None,
    shown: Mapping[int, int] | None = None,
) -> list[RankedFact]:
    """Pick facts by MMR within the budget, ``lead`` first; returns them in the order picked.

    A candidate that repeats a chosen fact is never picked: one whose vectors are as close
    as ``redundancy_threshold`` to it, or (with a ``scorer``) whose sentence states the
    chosen sentence's claim or the other way round, or tells the same thing as a chosen
    sentence, each at least in part (``SupportScorer.retells``). ``shown`` maps a fact
    (cluster id) to the member sentence that tells it (default: its representative); a fact
    missing from a given map cannot be told and is never picked.
    """
    if not ranked:
        return []
    told = [
        r.cluster.representative if shown is None else shown.get(r.cluster.id, -1) for r in ranked
    ]
    vectors = fact_vectors([r.cluster for r in ranked], embeddings)
    rep_vectors = embeddings[[max(t, 0) for t in told]]
    words = np.asarray([word_count(sentences[max(t, 0)].text) for t in told], dtype=np.int64)
    scores = np.asarray([r.score for r in ranked], dtype=np.float32)
    max_sim = np.full(len(ranked), -1.0, dtype=np.float32)
    # The floor is on salience alone: a confirmed fact must not push the others under it.
    salience = scores - np.asarray([r.confirmed for r in ranked], dtype=np.float32)
    available = salience >= weights.min_relative_score * float(salience.max())
    available &= np.asarray([t >= 0 for t in told])
    # How many of each fact's sources the summary does not cite yet, kept up to date per pick
    # (a full rescan per pick would make selection quadratic in the number of facts).
    uncovered = np.asarray([len(r.cluster.documents) for r in ranked], dtype=np.int64)
    facts_of_doc: dict[int, list[int]] = defaultdict(list)
    for k, r in enumerate(ranked):
        for d in r.cluster.documents:
            facts_of_doc[d].append(k)
    covered: set[int] = set()
    chosen: list[int] = []
    words_used = 0
    while True:
        if max_words is not None:
            available &= words <= max_words - words_used  # only what still fits
        available &= max_sim < redundancy_threshold  # nothing that repeats a chosen fact
        if not available.any() or (max_sentences is not None and len(chosen) >= max_sentences):
            break
        mmr = (
            weights.mmr_lambda * scores
            - (1 - weights.mmr_lambda) * np.maximum(max_sim, 0)
            + weights.new_source_bonus * (uncovered > 0)
        )
        mmr[~available] = -np.inf
        k = int(np.argmax(mmr))
        if not chosen and lead is not None:
            first = next((j for j, r in enumerate(ranked) if r is lead), None)
            if first is not None and available[first]:
                k = first
        available[k] = False
        if chosen and scorer is not None and evidence is not None:
            # Asked at pick time, of the chosen facts close to k: the same decisions as
            # dropping every repeat of a fact when it is picked, at a fraction of the reading.
            if _repeats(k, chosen, told, vectors, rep_vectors, evidence, scorer) or _retells(
                k, chosen, told, rep_vectors, evidence, scorer
            ):
                continue
        chosen.append(k)
        words_used += int(words[k])
        for d in ranked[k].cluster.documents:
            if d not in covered:
                covered.add(d)
                uncovered[facts_of_doc[d]] -= 1
        sims = np.maximum(vectors @ vectors[k], rep_vectors @ rep_vectors[k])
        max_sim = np.maximum(max_sim, sims)
    return [ranked[k] for k in chosen]


#: Only candidates at least this close to a chosen fact are asked whether they repeat it.
_REPEAT_COSINE = 0.45


def _retells(
    k: int,
    chosen: Sequence[int],
    told: Sequence[int],
    vectors: np.ndarray,
    evidence: Evidence,
    scorer: SupportScorer,
) -> bool:
    """Whether the sentence of fact ``k`` tells what a chosen fact's sentence told, each at
    least in part (``SupportScorer.retells``): the same event again, with a detail of its own.

    Asked when ``k`` is about to be picked, of the chosen facts close to it only.
    """
    if scorer.redundancy is None:
        return False
    near = [c for c in chosen if float(vectors[c] @ vectors[k]) >= _REPEAT_COSINE]
    if not near:
        return False
    p = scorer.retells(evidence, [told[k]] * len(near), [told[c] for c in near])
    return bool((p >= scorer.redundancy.threshold).any())


def _repeats(
    k: int,
    chosen: Sequence[int],
    told: Sequence[int],
    vectors: np.ndarray,
    rep_vectors: np.ndarray,
    evidence: Evidence,
    scorer: SupportScorer,
) -> bool:
    """Whether the sentence of fact ``k`` states a chosen fact's claim, or the other way round.

    Asked when ``k`` is about to be picked, of the chosen facts close to it only (fact or
    sentence vectors at cosine ``_REPEAT_COSINE`` or more).
    """
    near = [
        c
        for c in chosen
        if max(float(vectors[c] @ vectors[k]), float(rep_vectors[c] @ rep_vectors[k]))
        >= _REPEAT_COSINE
    ]
    if not near:
        return False
    p = scorer.either(
        evidence, [told[c] for c in near], [told[k]] * len(near), at_least=scorer.thresholds.repeat
    )
    return bool((p >= scorer.thresholds.repeat).any())
