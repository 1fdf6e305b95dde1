"""Grounding: turn generated text into cited summary sentences, or drop what nothing supports.

A generated sentence is kept only when the support scorer finds a source sentence that
states its claim (at ``threshold``, a calibrated probability) and it names no person, place
or number the model never read. What is dropped is counted, and the extractive sentence of
a selected fact that no kept sentence covers takes its place, so no sentence ships uncited.
The caller embeds the generated sentences (once, for every request of a batch together).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from newsfuse.cite import cite_extractive, cite_text, display_text
from newsfuse.claims import parse
from newsfuse.fuse import FusionContext
from newsfuse.ingest import split_sentences
from newsfuse.support import SupportScorer
from newsfuse.types import SummarySentence

#: Word-set Jaccard at and above which two output sentences count as the same sentence.
_LEXICAL_DUPLICATE = 0.7
#: Generated "sentences" shorter than this many words are fragments, not claims.
_MIN_WORDS = 3
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Grounded:
    sentences: list[SummarySentence]
    stats: dict[str, int]


@dataclass(slots=True)
class _Slot:
    """An output position: a supported generated sentence, or room for a fallback fact."""

    sentence: SummarySentence | None
    vector: np.ndarray | None
    words: frozenset[str]


def split_generated(generated: str) -> list[str]:
    """The sentences of generated text, whitespace collapsed, empty ones dropped."""
    pieces = [display_text(generated[a:b]) for a, b in split_sentences(generated)]
    return [p for p in pieces if p]


def ground(
    ctx: FusionContext,
    pieces: Sequence[str],
    vectors: np.ndarray,
    scorer: SupportScorer,
    *,
    threshold: float,
    source_words: frozenset[str] | None = None,
) -> Grounded:
    """Cite each generated sentence (``pieces``, embedded as ``vectors``) or replace it.

    A sentence whose best source supports it below ``threshold``, or that has a name or
    number the model never read (a capitalized word or one with a digit that is not among
    ``source_words``, by default the words of every source sentence), is dropped: similarity
    alone cannot tell "met on Friday in Vienna" from what the sources say. A sentence that
    repeats an earlier output sentence (either states the other's claim, or near-identical
    words) is dropped too. The word and sentence budgets of the request hold.
    """
    if source_words is None:
        source_words = words_of(s.text for s in ctx.sentences)
    budget_words = ctx.options.max_words
    budget_sentences = ctx.options.max_sentences
    slots: list[_Slot] = []
    covered: set[int] = set()
    unsupported = duplicates = novel = 0
    words_used = 0
    member_fact = {m: f.cluster.id for f in ctx.ranked for m in f.cluster.members}
    for piece, vector in zip(pieces, vectors, strict=True):
        word_set = _word_set(piece)
        if len(_WORD.findall(piece)) < _MIN_WORDS:
            unsupported += 1
            slots.append(_Slot(None, None, frozenset()))
            continue
        if novel_words(piece, source_words):
            novel += 1
            unsupported += 1
            slots.append(_Slot(None, None, frozenset()))
            continue
        citations, _best, cited = cite_text(
            piece, vector, ctx.sentences, ctx.documents, ctx.evidence, scorer, threshold
        )
        if not citations:
            unsupported += 1
            slots.append(_Slot(None, None, frozenset()))
            continue
        if _repeats(piece, vector, word_set, slots, scorer):
            duplicates += 1
            continue
        n = _words(piece)
        kept = sum(1 for s in slots if s.sentence is not None)
        if (budget_sentences is not None and kept >= budget_sentences) or (
            budget_words is not None and kept and words_used + n > budget_words
        ):
            continue
        words_used += n
        slots.append(_Slot(SummarySentence(piece, citations, generated=True), vector, word_set))
        covered.update(member_fact[i] for i in cited if i in member_fact)
    generated_kept = sum(1 for s in slots if s.sentence is not None)
    fallback = 0
    if unsupported or generated_kept == 0:
        candidates = [
            (fact, ctx.shown_sentence(k))
            for k, fact in enumerate(ctx.selected)
            if fact.cluster.id not in covered
        ]
        if not candidates and generated_kept == 0 and ctx.ranked and not ctx.selected:
            # Not one fact fits the budget: show the best one.
            candidates = [(ctx.ranked[0], ctx.ranked[0].cluster.representative)]
        filled: list[_Slot] = []
        # Gaps are filled first (in place of the dropped sentences), then the remaining room.
        gaps = [i for i, s in enumerate(slots) if s.sentence is None]
        extra: list[_Slot] = []
        for fact, shown in candidates:
            text = display_text(ctx.sentences[shown].text)
            vector = ctx.embeddings[shown]
            word_set = _word_set(text)
            if _repeats(text, vector, word_set, [*slots, *filled, *extra], scorer):
                continue
            kept = generated_kept + len(filled) + len(extra)
            n = _words(text)
            if budget_sentences is not None and kept >= budget_sentences:
                break
            if budget_words is not None and kept and words_used + n > budget_words:
                continue
            if budget_words is not None and not kept and n > budget_words:
                text = " ".join(text.split()[:budget_words])
                n = budget_words
            words_used += n
            citations = cite_extractive(
                fact, shown, ctx.sentences, ctx.documents, ctx.evidence, scorer
            )
            slot = _Slot(SummarySentence(text, citations, generated=False), vector, word_set)
            if len(filled) < len(gaps):
                filled.append(slot)
            else:
                extra.append(slot)
            fallback += 1
        ordered: list[_Slot] = []
        fill = iter(filled)
        for slot in slots:
            if slot.sentence is not None:
                ordered.append(slot)
            else:
                replacement = next(fill, None)
                if replacement is not None:
                    ordered.append(replacement)
        slots = ordered + extra
    sentences = [s.sentence for s in slots if s.sentence is not None]
    return Grounded(
        sentences=sentences,
        stats={
            "generated_sentences": generated_kept,
            "unsupported_dropped": unsupported,
            "novel_names_dropped": novel,
            "duplicates_dropped": duplicates,
            "fallback_sentences": fallback,
        },
    )


def words_of(texts: Iterable[str]) -> frozenset[str]:
    """Case-folded words of ``texts``: what a generated name or number must be among."""
    return frozenset(w for text in texts for w in _WORD.findall(text.casefold()))


def novel_words(text: str, known: frozenset[str]) -> list[str]:
    """Names and numbers of ``text`` (capitalized or with a digit) that ``known`` lacks."""
    return [
        w
        for w in _WORD.findall(text)
        if len(w) > 1
        and (w[0].isupper() or any(c.isdigit() for c in w))
        and w.casefold() not in known
    ]


def _words(text: str) -> int:
    return len(text.split())


def _word_set(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold()))


def _repeats(
    text: str,
    vector: np.ndarray,
    words: frozenset[str],
    slots: Sequence[_Slot],
    scorer: SupportScorer,
) -> bool:
    """Whether ``text`` tells what a kept slot tells: either states the other's claim."""
    kept = [s for s in slots if s.sentence is not None and s.vector is not None]
    for slot in kept:
        union = words | slot.words
        if union and len(words & slot.words) / len(union) >= _LEXICAL_DUPLICATE:
            return True
    if not kept:
        return False
    claim = parse(text)
    others = [parse(s.sentence.text) for s in kept]  # type: ignore[union-attr]
    cosines = [float(np.dot(vector, s.vector)) for s in kept]
    texts = [s.sentence.text for s in kept]  # type: ignore[union-attr]
    forward = scorer.score(
        [claim] * len(kept), others, cosines, claim_texts=[text] * len(kept), source_texts=texts
    )
    backward = scorer.score(
        others, [claim] * len(kept), cosines, claim_texts=texts, source_texts=[text] * len(kept)
    )
    return bool(np.maximum(forward, backward).max() >= scorer.thresholds.repeat)
