"""Fusion: turn the selected facts of a cluster into cited summary sentences.

Two interchangeable fusers implement ``Fuser``: ``extractive`` (the default, needs no
weights) and ``seq2seq`` (a local encoder-decoder checkpoint).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from newsfuse.embed import Embedder
from newsfuse.types import ParsedDocument, RankedFact, Sentence, SummaryOptions, SummarySentence


@dataclass(frozen=True, slots=True)
class FusionContext:
    """Everything a fuser may read about one request.

    ``sentences`` is the flat list of body sentences of all documents (a ``FactCluster``'s
    members index it) and ``embeddings`` holds one unit-length row per sentence.
    ``ranked`` has every fact cluster, most salient first; ``selected`` is the extractive
    choice within the word/sentence budget, already in summary order.
    ``documents[i].sentences`` are the sentences of document ``i``.
    """

    documents: Sequence[ParsedDocument]
    sentences: Sequence[Sentence]
    embeddings: np.ndarray
    ranked: Sequence[RankedFact]
    selected: Sequence[RankedFact]
    options: SummaryOptions
    embedder: Embedder
    duplicate_of: tuple[int | None, ...] = ()
    """Per document: the index of the earlier document it copies, or ``None``."""


@dataclass(slots=True)
class FusionResult:
    """Summary sentences (each cited) and fuser-specific statistics."""

    sentences: list[SummarySentence]
    model: str
    stats: dict[str, int] = field(default_factory=dict)


class Fuser(Protocol):
    """Turns a ``FusionContext`` into cited sentences. Must never return an uncited one."""

    name: str

    def fuse(self, ctx: FusionContext) -> FusionResult: ...


def fuse_many(fuser: Fuser, contexts: Sequence[FusionContext]) -> list[FusionResult]:
    """Fuse several requests; fusers with a batched ``fuse_batch`` use it."""
    batched = getattr(fuser, "fuse_batch", None)
    if batched is not None:
        return list(batched(contexts))
    return [fuser.fuse(ctx) for ctx in contexts]
