"""Cite: tie every summary sentence to the source sentences that state its claim.

A source sentence is cited only when the support scorer (``support.py``) judges that it
states the summary sentence's main claim, at the calibrated ``Thresholds.cite``; its score
is that probability. Every document gets its best such sentence, so every outlet that
carried the fact is credited, whether or not dedup put the sentence in the same fact
cluster. An extractive sentence cites itself first (score 1.0). A generated sentence cites
what supports it, or nothing when nothing does — the fuser must then drop it.

Everything here works on vectors the caller already has: nothing is embedded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from newsfuse.readability import is_debris
from newsfuse.support import Evidence, SupportScorer
from newsfuse.types import Citation, ParsedDocument, RankedFact, Sentence

#: Sources less similar than this (MiniLM cosine) are never candidates.
CANDIDATE_COSINE = 0.4
#: At most this many of the most similar sentences are scored per summary sentence.
MAX_CANDIDATES = 48
#: Source lines that state no claim a reader could check, whatever the scorer makes of them:
#: a credit line ("With: Jerry Seinfeld."), a heading, a byline, a caption.
UNCITABLE = frozenset(
    ("fragment", "heading", "byline", "dateline", "caption", "editor's note", "contact or link")
)


def display_text(text: str) -> str:
    """A source span as it reads in a summary: whitespace runs collapsed to one space."""
    return " ".join(text.split())


def citation(sentence: Sentence, document_id: str, score: float) -> Citation:
    """A citation of one source sentence, score clipped to [0, 1]."""
    return Citation(
        document_id=document_id,
        sentence_index=sentence.index,
        start=sentence.start,
        end=sentence.end,
        score=round(min(1.0, max(0.0, float(score))), 4),
    )


def candidates(
    evidence: Evidence, vector: np.ndarray, always: Iterable[int] = (), exclude: int = -1
) -> list[int]:
    """Sentences worth scoring for a claim: the most similar ones, plus ``always``.

    Never a source line that states nothing a reader could check (``UNCITABLE``).
    """
    if not len(evidence.texts):
        return []
    cosine = evidence.vectors @ vector
    top = np.argsort(-cosine)[:MAX_CANDIDATES]
    found = [int(i) for i in top if cosine[i] >= CANDIDATE_COSINE]
    return [
        i
        for i in dict.fromkeys([*always, *found])
        if i != exclude and is_debris(evidence.texts[i]) not in UNCITABLE
    ]


def _best_per_document(
    scored: Sequence[tuple[int, float]],
    sentences: Sequence[Sentence],
    threshold: float,
    skip_documents: Iterable[int] = (),
) -> list[tuple[float, int]]:
    """``(score, sentence)`` of each document's best supporting sentence, best first."""
    best: dict[int, tuple[float, int]] = {}
    skip = set(skip_documents)
    for i, score in scored:
        doc = sentences[i].doc
        if score >= threshold and doc not in skip and score > best.get(doc, (-1.0, -1))[0]:
            best[doc] = (score, i)
    return sorted(best.values(), key=lambda item: (-item[0], sentences[item[1]].doc))


def _citations(
    chosen: Sequence[tuple[float, int]],
    sentences: Sequence[Sentence],
    documents: Sequence[ParsedDocument],
) -> list[Citation]:
    return [
        citation(sentences[i], documents[sentences[i].doc].document.id, score)
        for score, i in chosen
    ]


def _read_pools(
    evidence: Evidence, scorer: SupportScorer, claims: Sequence[int], pools: Sequence[list[int]]
) -> list[list[tuple[int, float]]]:
    """``(source, support)`` for each source of each claim's pool, all read in one pass."""
    flat = [i for i, pool in zip(claims, pools, strict=True) for _ in pool]
    scores = scorer.support(evidence, flat, [j for pool in pools for j in pool]).tolist()
    out = []
    at = 0
    for pool in pools:
        out.append(list(zip(pool, scores[at : at + len(pool)], strict=True)))
        at += len(pool)
    return out


def cite_extractive_many(
    facts: Sequence[RankedFact],
    shown: Sequence[int],
    sentences: Sequence[Sentence],
    documents: Sequence[ParsedDocument],
    evidence: Evidence,
    scorer: SupportScorer,
) -> list[tuple[Citation, ...]]:
    """``cite_extractive`` of each fact told by its sentence in ``shown``, read in one pass.

    The same citations as one call per sentence (a pair's score does not depend on what it
    is read with), with the pairs of the whole summary batched together.
    """
    pools = [
        candidates(evidence, evidence.vectors[i], fact.cluster.members, exclude=i)
        for fact, i in zip(facts, shown, strict=True)
    ]
    out = []
    for index, scored in zip(shown, _read_pools(evidence, scorer, shown, pools), strict=True):
        own = sentences[index]
        chosen = _best_per_document(
            scored, sentences, scorer.thresholds.cite, skip_documents=[own.doc]
        )
        first = citation(own, documents[own.doc].document.id, 1.0)
        out.append((first, *_citations(chosen, sentences, documents)))
    return out


def cite_extractive(
    fact: RankedFact,
    shown: int,
    sentences: Sequence[Sentence],
    documents: Sequence[ParsedDocument],
    evidence: Evidence,
    scorer: SupportScorer,
) -> tuple[Citation, ...]:
    """Citations of a fact told by its member sentence ``shown`` (which comes first)."""
    return cite_extractive_many([fact], [shown], sentences, documents, evidence, scorer)[0]


def cite_text(
    text: str,
    vector: np.ndarray,
    sentences: Sequence[Sentence],
    documents: Sequence[ParsedDocument],
    evidence: Evidence,
    scorer: SupportScorer,
    threshold: float,
) -> tuple[tuple[Citation, ...], float, list[int]]:
    """Citations of a sentence not taken from the sources (a generated one).

    Returns the citations (empty when no source supports it at ``threshold``), the best
    support found, and the flat indices of the cited sentences.
    """
    pool = candidates(evidence, vector)
    scores = scorer.support_text(evidence, text, vector, pool)
    scored = list(zip(pool, scores.tolist(), strict=True))
    best = max((s for _, s in scored), default=0.0)
    chosen = _best_per_document(scored, sentences, threshold)
    return tuple(_citations(chosen, sentences, documents)), best, [i for _, i in chosen]


def confirming_documents(
    facts: Sequence[RankedFact],
    shown: Mapping[int, int],
    sentences: Sequence[Sentence],
    evidence: Evidence,
    scorer: SupportScorer,
    canonical: Sequence[int],
    ignore: Iterable[int] = (),
) -> list[set[int]]:
    """Per fact: the other documents whose best sentence ``cite_extractive`` would cite.

    The fact is told by its member ``shown[cluster id]`` (no fact without one is asked);
    documents count by their ``canonical`` copy, never the sentence's own, nor ``ignore``.
    The candidates are those citing the sentence scores (less its own outlet's), so a fact
    then picked is cited from what was read here (the reader caches its pairs).
    """
    skip = set(ignore)
    told = [shown.get(f.cluster.id, -1) for f in facts]
    pools = [
        []
        if i < 0
        else [
            j
            for j in candidates(evidence, evidence.vectors[i], f.cluster.members, exclude=i)
            if canonical[sentences[j].doc] != canonical[sentences[i].doc]
            and sentences[j].doc not in skip
        ]
        for f, i in zip(facts, told, strict=True)
    ]
    return [
        {canonical[sentences[j].doc] for j, p in scored if p >= scorer.thresholds.cite}
        for scored in _read_pools(evidence, scorer, told, pools)
    ]


def sentence_facts(ranked: Sequence[RankedFact]) -> dict[int, RankedFact]:
    """Map each flat sentence index to the fact it belongs to."""
    return {m: fact for fact in ranked for m in fact.cluster.members}
