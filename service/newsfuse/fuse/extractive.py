"""Extractive fusion: each selected fact is told by one of its source sentences, verbatim."""

from __future__ import annotations

from newsfuse.cite import cite_extractive_many, display_text
from newsfuse.fuse import FusionContext, FusionResult
from newsfuse.support import SupportScorer
from newsfuse.types import SummarySentence


class ExtractiveFuser:
    """The default fuser: needs no model weights, never invents a word."""

    name = "extractive"

    def __init__(self, scorer: SupportScorer) -> None:
        self.scorer = scorer

    def fuse(self, ctx: FusionContext) -> FusionResult:
        facts = list(ctx.selected)
        shown = [ctx.shown_sentence(k) for k in range(len(facts))]
        budget = ctx.options.max_words
        truncated = False
        if not facts and ctx.ranked and (budget is None or budget > 0):
            # Not one sentence fits the word budget: show the best fact, cut to the budget.
            facts = [ctx.ranked[0]]
            shown = [facts[0].cluster.representative]
            truncated = True
        cited = cite_extractive_many(
            facts, shown, ctx.sentences, ctx.documents, ctx.evidence, self.scorer
        )
        sentences = []
        for index, citations in zip(shown, cited, strict=True):
            text = display_text(ctx.sentences[index].text)
            if truncated and budget is not None:
                text = " ".join(text.split()[:budget])
            sentences.append(SummarySentence(text=text, citations=citations))
        return FusionResult(sentences=sentences, model=self.name)
