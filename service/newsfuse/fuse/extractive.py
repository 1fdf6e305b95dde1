"""Extractive fusion: each selected fact is told by its representative source sentence."""

from __future__ import annotations

from newsfuse.cite import cite_extractive, display_text
from newsfuse.fuse import FusionContext, FusionResult
from newsfuse.types import SummarySentence


class ExtractiveFuser:
    """The default fuser: needs no model weights, never invents a word."""

    name = "extractive"

    def fuse(self, ctx: FusionContext) -> FusionResult:
        facts = list(ctx.selected)
        budget = ctx.options.max_words
        truncated = False
        if not facts and ctx.ranked and (budget is None or budget > 0):
            # Not one sentence fits the word budget: show the best fact, cut to the budget.
            facts = [ctx.ranked[0]]
            truncated = True
        sentences = []
        for fact in facts:
            text = display_text(ctx.sentences[fact.cluster.representative].text)
            if truncated and budget is not None:
                text = " ".join(text.split()[:budget])
            sentences.append(SummarySentence(text=text, citations=cite_extractive(ctx, fact)))
        return FusionResult(sentences=sentences, model=self.name)
