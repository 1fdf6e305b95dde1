"""Fusion: turn the selected facts of a cluster into cited summary sentences.

Two interchangeable fusers implement ``Fuser``: ``extractive`` (the default, needs no
weights) and ``seq2seq`` (a local encoder-decoder checkpoint).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from newsfuse.support import Evidence
from newsfuse.types import (
    Conflict,
    ParsedDocument,
    RankedFact,
    Sentence,
    SummaryOptions,
    SummarySentence,
)


@dataclass(frozen=True, slots=True)
class FusionContext:
    """Everything a fuser may read about one request: data only, no models.

    ``sentences`` is the flat list of body sentences of all documents (a ``FactCluster``'s
    members index it) and ``embeddings`` holds one unit-length row per sentence;
    ``evidence`` is the same sentences as the support scorer compares them.
    ``ranked`` has every fact cluster, most salient first; ``selected`` is the extractive
    choice within the word/sentence budget, already in summary order, and ``shown`` the
    member sentence that tells each selected fact. ``documents[i].sentences`` are the
    sentences of document ``i``. Fusers get their models (embedder, support scorer) when
    they are built.
    """

    documents: Sequence[ParsedDocument]
    sentences: Sequence[Sentence]
    embeddings: np.ndarray
    ranked: Sequence[RankedFact]
    selected: Sequence[RankedFact]
    options: SummaryOptions
    evidence: Evidence
    shown: Sequence[int] = ()
    """Per selected fact: the flat index of the sentence that tells it."""
    duplicate_of: tuple[int | None, ...] = ()
    """Per document: the index of the earlier document it copies, or ``None``."""
    conflicts: tuple[Conflict, ...] = ()
    """Every disagreement between sources found in the request, most sources first."""
    dates_inferred: tuple[bool, ...] = ()
    """Per document: its date was inferred from the text and the cluster."""

    def shown_sentence(self, k: int) -> int:
        """The flat index of the sentence telling ``selected[k]``."""
        return self.shown[k] if self.shown else self.selected[k].cluster.representative


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
