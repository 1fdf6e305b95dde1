"""Cite: tie every summary sentence to the source sentences that support it.

An extractive sentence cites every member of its fact cluster (so every outlet that carried
the fact is credited). A generated sentence is aligned to the source sentences by a mix of
embedding cosine and lexical overlap; it cites the fact clusters of its best-supported
sources, or nothing when support is below the threshold — the caller must then drop it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from newsfuse.fuse import FusionContext
from newsfuse.types import Citation, RankedFact, Sentence

_CONTENT_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    "a an and are as at be been but by for from had has have he her his i in is it its of on or"
    " our she that the their them they this to was we were which who will with would you said"
    " says".split()
)
#: Weight of embedding cosine against lexical overlap in the support score.
_COSINE_WEIGHT = 0.6
#: Sources within this much of the best support score are cited too.
_SUPPORT_MARGIN = 0.05


def display_text(text: str) -> str:
    """A source span as it reads in a summary: whitespace runs collapsed to one space."""
    return " ".join(text.split())


def _content_words(text: str) -> set[str]:
    return {w for w in _CONTENT_WORD.findall(text.casefold()) if w not in _STOP}


def lexical_support(generated: str, source: str) -> float:
    """Share of the generated sentence's content words that the source sentence contains."""
    words = _content_words(generated)
    if not words:
        return 0.0
    return len(words & _content_words(source)) / len(words)


def citation(sentence: Sentence, document_id: str, score: float) -> Citation:
    """A citation of one source sentence, score clipped to [0, 1]."""
    return Citation(
        document_id=document_id,
        sentence_index=sentence.index,
        start=sentence.start,
        end=sentence.end,
        score=round(min(1.0, max(0.0, float(score))), 4),
    )


def cite_facts(
    ctx: FusionContext, facts: Iterable[RankedFact], anchor: np.ndarray
) -> tuple[Citation, ...]:
    """Cite every member sentence of ``facts``, scored by cosine to ``anchor`` (best first)."""
    members = sorted({m for fact in facts for m in fact.cluster.members})
    if not members:
        return ()
    scores = ctx.embeddings[members] @ anchor
    cited = [
        citation(ctx.sentences[m], ctx.documents[ctx.sentences[m].doc].document.id, s)
        for m, s in zip(members, scores.tolist(), strict=True)
    ]
    cited.sort(key=lambda c: -c.score)
    return tuple(cited)


def cite_extractive(ctx: FusionContext, fact: RankedFact) -> tuple[Citation, ...]:
    """Citations of a fact shown by its representative sentence (which comes first)."""
    return cite_facts(ctx, [fact], ctx.embeddings[fact.cluster.representative])


def align(text: str, ctx: FusionContext, *, top: int = 8) -> list[tuple[int, float]]:
    """Source sentences (flat indices) that support ``text``, with support in [0, 1], best first."""
    if not ctx.sentences:
        return []
    vector = ctx.embedder.encode([text])[0]
    cosine = ctx.embeddings @ vector
    candidates = np.argsort(-cosine)[: max(top * 4, top)]
    scored = [
        (
            int(i),
            _COSINE_WEIGHT * max(0.0, float(cosine[i]))
            + (1 - _COSINE_WEIGHT) * lexical_support(text, ctx.sentences[i].text),
        )
        for i in candidates
    ]
    scored.sort(key=lambda pair: -pair[1])
    return scored[:top]


def cite_generated(
    text: str, ctx: FusionContext, threshold: float
) -> tuple[tuple[Citation, ...], float]:
    """Citations for a generated sentence and its support; empty when support < threshold."""
    aligned = align(text, ctx)
    if not aligned or aligned[0][1] < threshold:
        return (), aligned[0][1] if aligned else 0.0
    best = aligned[0][1]
    supporting = {i for i, s in aligned if s >= max(threshold, best - _SUPPORT_MARGIN)}
    facts = [f for f in ctx.ranked if supporting.intersection(f.cluster.members)]
    vector = ctx.embedder.encode([text])[0]
    return cite_facts(ctx, facts, vector), best


def sentence_facts(ranked: Sequence[RankedFact]) -> dict[int, RankedFact]:
    """Map each flat sentence index to the fact it belongs to."""
    return {m: fact for fact in ranked for m in fact.cluster.members}
