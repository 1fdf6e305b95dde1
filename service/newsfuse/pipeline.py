"""The pipeline: ingest → dedup → rank → fuse → cite, for one request or many.

``Pipeline`` holds the loaded models and the settings; it has no other state, so one
instance serves concurrent requests. The gRPC servicer and the CLI are thin adapters
around it. The steps are exposed separately (``prepare``, ``fuse``, ``finish``) so a server
can batch the model work of many requests between them.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence

import numpy as np

from newsfuse import story
from newsfuse.cite import confirming_documents
from newsfuse.conflicts import find_conflicts, for_sentence, most_salient
from newsfuse.dedup import deduplicate
from newsfuse.embed import (
    CachingEmbedder,
    Embedder,
    EmbeddingCache,
    TransformerEmbedder,
    resolve_device,
)
from newsfuse.errors import InvalidInput, LimitExceeded
from newsfuse.fuse import Fuser, FusionContext, FusionResult, fuse_many
from newsfuse.fuse.extractive import ExtractiveFuser
from newsfuse.ingest import ingest_all
from newsfuse.rank import RankWeights, confirm, rank, select, word_count
from newsfuse.readability import known_surnames
from newsfuse.settings import Settings, how_to_raise
from newsfuse.support import SupportScorer
from newsfuse.timeline import date_mentions
from newsfuse.types import (
    MODES,
    Document,
    DocumentInfo,
    DuplicateSpan,
    RankedFact,
    Stats,
    Summary,
    SummaryOptions,
)

_LOGGER = logging.getLogger(__name__)

#: How many summaries selection may place, each after leaving out facts whose sentence cannot
#: stand where it fell in the one before.
_SELECT_ROUNDS = 6
#: Rounds of selection in all, counting those that only leave out facts a seen article told
#: (update summaries; such a round places nothing). Past it, those facts are dropped from
#: the last round's picks.
_MAX_ROUNDS = 30

_WARMUP_DOCUMENTS = (
    Document(
        id="warmup-1",
        text="The council approved the new budget on Monday. Spending on schools will rise.",
    ),
    Document(
        id="warmup-2",
        text="On Monday the council passed the budget. It raises spending on schools.",
    ),
)


class Pipeline:
    """Summarizes clusters of documents with the models it was built with."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        fuser: Fuser | None = None,
        scorer: SupportScorer | None = None,
        rank_weights: RankWeights | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.scorer = scorer or SupportScorer()
        self.rank_weights = rank_weights or RankWeights(confirmed=settings.confirm_bonus)
        self.extractive = ExtractiveFuser(self.scorer)
        self.model_fuser = fuser

    @classmethod
    def load(cls, settings: Settings) -> Pipeline:
        """Load the embedding model and, when ``settings.model`` is set, the seq2seq model.

        The embedding model sits behind a ``CachingEmbedder`` of ``settings.embed_cache_mb``
        (none when 0), so every request summarized by this pipeline shares the cache.
        """
        if settings.threads:
            import torch

            torch.set_num_threads(settings.threads)
        embedder: Embedder = TransformerEmbedder(
            device=settings.device, batch_size=settings.embed_batch_size, dtype=settings.embed_dtype
        )
        if settings.embed_cache_mb:
            embedder = CachingEmbedder(embedder, EmbeddingCache(settings.embed_cache_mb * 2**20))
        scorer = SupportScorer.load(
            nli_dir=settings.support_model,
            device=resolve_device(settings.device),
            reader=settings.support_reader,
            dtype=settings.embed_dtype,
        )
        fuser = None
        if settings.model:
            from newsfuse.fuse.seq2seq import load_fuser

            fuser = load_fuser(settings, embedder, scorer)
        return cls(settings, embedder, fuser, scorer)

    @property
    def model_name(self) -> str:
        return self.model_fuser.name if self.model_fuser is not None else self.extractive.name

    def warmup(self) -> None:
        """Run one small request through every loaded model so the first real one is fast."""
        ctx = self.prepare(_WARMUP_DOCUMENTS, SummaryOptions(max_words=40), validate=False)
        self.fuse([ctx])

    # -- validation ----------------------------------------------------------------------

    def validate(self, documents: Sequence[Document], options: SummaryOptions) -> None:
        """Raise ``InvalidInput`` naming the first offending field."""
        s = self.settings
        if not documents:
            raise InvalidInput("documents", "at least one document is required")
        count = len(documents) + len(options.seen_documents)
        if count > s.max_documents:
            raise LimitExceeded(
                "documents",
                f"{count} documents, the limit is {s.max_documents} "
                f"({how_to_raise('max_documents')})",
            )
        first_use: dict[str, str] = {}
        total = 0
        extra = [("options.seen_documents", options.seen_documents)]
        for name, docs in [("documents", documents), *extra]:
            for i, doc in enumerate(docs):
                field = f"{name}[{i}]"
                if not doc.id or not doc.id.strip():
                    raise InvalidInput(f"{field}.id", "must not be empty")
                if doc.id in first_use:
                    raise InvalidInput(
                        f"{field}.id", f"duplicate id {doc.id!r} (also {first_use[doc.id]})"
                    )
                first_use[doc.id] = field
                if not doc.text or not doc.text.strip():
                    raise InvalidInput(f"{field}.text", "must not be empty or whitespace only")
                if len(doc.text) > s.max_document_chars:
                    raise LimitExceeded(
                        f"{field}.text",
                        f"{len(doc.text)} characters, the limit is {s.max_document_chars} "
                        f"({how_to_raise('max_document_chars')})",
                    )
                total += len(doc.text)
        if total > s.max_request_chars:
            raise LimitExceeded(
                "documents",
                f"{total} characters in all, the limit is {s.max_request_chars} "
                f"({how_to_raise('max_request_chars')})",
            )
        ids = {doc.id for doc in documents}
        for i, seen_id in enumerate(options.seen_ids):
            if seen_id not in ids:
                raise InvalidInput(
                    f"options.seen_ids[{i}]",
                    f"no document has id {seen_id!r}: name documents of this request (send "
                    "earlier articles in options.seen_documents)",
                )
        if ids and ids <= set(options.seen_ids):
            raise InvalidInput(
                "options.seen_ids", "every document is marked seen: there is nothing new to tell"
            )
        if options.max_words is not None and options.max_words < 1:
            raise InvalidInput("options.max_words", "must be at least 1")
        if options.max_sentences is not None and options.max_sentences < 1:
            raise InvalidInput("options.max_sentences", "must be at least 1")
        if options.mode not in MODES:
            raise InvalidInput("options.mode", f"must be one of {', '.join(MODES)}")
        if options.mode == "abstractive" and self.model_fuser is None:
            raise InvalidInput(
                "options.mode", "abstractive fusion needs a seq2seq model; none is loaded"
            )

    # -- the stages ----------------------------------------------------------------------

    def prepare(
        self, documents: Sequence[Document], options: SummaryOptions, *, validate: bool = True
    ) -> FusionContext:
        """Validate, ingest, embed, deduplicate, rank and select: everything before fusion.

        ``validate=False`` skips the request checks and limits (for trusted internal input
        such as the warm-up request, which must work whatever limits are configured).
        """
        if validate:
            self.validate(documents, options)
        s = self.settings
        # Articles the reader has seen come along as context: their facts are not news.
        documents = [*documents, *options.seen_documents]
        seen_ids = {*options.seen_ids, *(d.id for d in options.seen_documents)}
        parsed = ingest_all(documents, max_sentence_chars=s.max_sentence_chars)
        sentences = [sent for doc in parsed for sent in doc.sentences]
        if validate and len(sentences) > s.max_sentences_per_request:
            raise LimitExceeded(
                "documents",
                f"{len(sentences)} sentences, the limit is {s.max_sentences_per_request} "
                f"({how_to_raise('max_sentences_per_request')})",
            )
        dedup = deduplicate(
            sentences,
            self.embedder.encode,
            len(parsed),
            self.scorer,
            near_duplicate_threshold=s.near_duplicate_threshold,
            candidate_threshold=s.candidate_threshold,
        )
        embeddings = dedup.embeddings
        parsed, inferred = story.date_documents(parsed, sentences, dedup.evidence)
        titled = [i for i, doc in enumerate(parsed) if doc.title]
        title_vectors = np.zeros((len(parsed), embeddings.shape[1]), dtype=np.float32)
        if titled:
            title_vectors[titled] = self.embedder.encode([parsed[i].title for i in titled])
        reporters = self.scorer.reported_by(
            dedup.evidence,
            [c.representative for c in dedup.clusters],
            [s.doc for s in sentences],
        )
        for cluster, docs in zip(dedup.clusters, reporters, strict=True):
            docs.update(cluster.documents)
        seen = story.seen_documents(parsed, seen_ids)
        weights = self.rank_weights
        ranked = rank(
            dedup.clusters,
            sentences,
            parsed,
            embeddings,
            dedup.duplicate_of,
            title_vectors,
            weights=weights,
            reported_by=reporters,
            seen=frozenset(seen),
        )
        surnames = known_surnames(s.text for s in sentences)
        shown = story.shown_members(ranked, sentences, surnames)
        canonical = [d if dup is None else dup for d, dup in enumerate(dedup.duplicate_of)]
        if weights.confirmed and ranked:
            # Facts other outlets state, as read for a citation, gain on those they do not.
            floor = weights.min_relative_score * ranked[0].score
            top = [f for f in ranked if f.score >= floor][: weights.confirm_top]
            confirming = confirming_documents(
                top, shown, sentences, dedup.evidence, self.scorer, canonical, ignore=seen
            )
            ranked = confirm(
                ranked,
                {f.cluster.id: len(c) for f, c in zip(top, confirming, strict=True)},
                weights,
            )
        known: set[int] = set()  # told by an article the reader has seen
        unplaced: set[int] = set()  # no member reads well where the fact falls
        # The fullest summary of the rounds: a round that left a fact out may have placed
        # more than the rounds after it (each leaves out more), the last one included.
        fullest: tuple[int, list[RankedFact], list[int]] | None = None
        placed_rounds = 0
        for round_ in range(_MAX_ROUNDS):
            candidates = [f for f in ranked if f.cluster.id not in known | unplaced]
            lead = story.choose_lead(
                candidates, sentences, parsed, dedup.evidence, shown, seen=seen
            )
            picked = select(
                candidates,
                sentences,
                parsed,
                embeddings,
                max_words=options.max_words,
                max_sentences=options.max_sentences,
                redundancy_threshold=s.redundancy_threshold,
                weights=weights,
                evidence=dedup.evidence,
                scorer=self.scorer,
                lead=lead,
                shown=shown,
            )
            # Update summary: what a seen article tells is not news. Checked for the facts
            # selection wants (lazily: the check reads pairs), then selected again; such a
            # round costs none of the placement rounds (each leaves out at least one fact).
            stale = {
                f.cluster.id
                for f in picked
                if seen
                and f.cluster.id not in known
                and story.told_by_seen(f, sentences, seen, dedup.evidence, self.scorer)
            }
            if stale:
                known |= stale
                if round_ < _MAX_ROUNDS - 1:
                    continue
                picked = [f for f in picked if f.cluster.id not in known]
                if lead is not None and lead.cluster.id in known:
                    lead = None
            dates = story.fact_dates(picked, sentences, parsed, dedup.evidence, self.scorer)
            ordered = story.order(picked, sentences, dates, lead=lead)
            selected, shown_sentences = story.place_openers(ordered, shown, sentences, surnames)
            # A fact left out here (a surname no earlier sentence introduced) frees its words
            # for another fact: selected again without it.
            dropped = {f.cluster.id for f in ordered} - {f.cluster.id for f in selected}
            words = sum(word_count(sentences[i].text) for i in shown_sentences)
            if fullest is None or words >= fullest[0]:
                fullest = (words, selected, shown_sentences)
            placed_rounds += 1
            if not dropped or placed_rounds == _SELECT_ROUNDS:
                break
            unplaced |= dropped
        if fullest is not None:
            _, selected, shown_sentences = fullest
        conflicts = find_conflicts(
            sentences,
            dedup.evidence.parts,
            embeddings,
            [doc.document.id for doc in parsed],
            canonical,
        )
        return FusionContext(
            documents=tuple(parsed),
            sentences=tuple(sentences),
            embeddings=embeddings,
            ranked=tuple(ranked),
            selected=tuple(selected),
            shown=tuple(shown_sentences),
            options=options,
            evidence=dedup.evidence,
            duplicate_of=dedup.duplicate_of,
            conflicts=tuple(conflicts),
            dates_inferred=tuple(inferred),
        )

    def _fuser_for(self, ctx: FusionContext) -> Fuser:
        if ctx.options.mode == "extractive" or self.model_fuser is None or not ctx.ranked:
            return self.extractive
        return self.model_fuser

    def fuse(self, contexts: Sequence[FusionContext]) -> list[FusionResult]:
        """Fuse several prepared requests, batching those that go to the same fuser."""
        results: list[FusionResult | None] = [None] * len(contexts)
        by_fuser: dict[int, tuple[Fuser, list[int]]] = {}
        for i, ctx in enumerate(contexts):
            fuser = self._fuser_for(ctx)
            by_fuser.setdefault(id(fuser), (fuser, []))[1].append(i)
        for fuser, indices in by_fuser.values():
            for i, result in zip(
                indices, fuse_many(fuser, [contexts[i] for i in indices]), strict=True
            ):
                results[i] = result
        return [r for r in results if r is not None]

    def finish(self, ctx: FusionContext, result: FusionResult, seconds: float) -> Summary:
        """Assemble the summary: sentences, document list, duplicate groups and stats."""
        ids = [doc.document.id for doc in ctx.documents]
        seen_ids = {*ctx.options.seen_ids, *(d.id for d in ctx.options.seen_documents)}
        documents = tuple(
            DocumentInfo(
                id=doc.document.id,
                title=doc.title,
                date=doc.date,
                duplicate_of=None if dup is None else ids[dup],
                date_inferred=bool(ctx.dates_inferred and ctx.dates_inferred[i]),
                seen=doc.document.id in seen_ids,
            )
            for i, (doc, dup) in enumerate(zip(ctx.documents, ctx.duplicate_of, strict=True))
        )
        duplicates = tuple(
            tuple(
                DuplicateSpan(
                    document_id=ids[ctx.sentences[m].doc],
                    start=ctx.sentences[m].start,
                    end=ctx.sentences[m].end,
                )
                for m in fact.cluster.members
            )
            for fact in sorted(ctx.ranked, key=lambda f: f.cluster.id)
            if len(fact.cluster.members) > 1
        )
        extra = dict(result.stats)
        stats = Stats(
            model=result.model,
            documents=len(ctx.documents),
            sentences_in=len(ctx.sentences),
            sentences_after_dedup=len(ctx.ranked),
            seconds=round(seconds, 4),
            duplicate_documents=sum(d is not None for d in ctx.duplicate_of),
            generated_sentences=extra.pop("generated_sentences", None),
            unsupported_dropped=extra.pop("unsupported_dropped", None),
            input_tokens=extra.pop("input_tokens", None),
            input_tokens_raw=extra.pop("input_tokens_raw", None),
            extra=extra,
        )
        date_of = {doc.document.id: doc.date for doc in ctx.documents}
        sentences = tuple(
            dataclasses.replace(
                s,
                conflicts=for_sentence(ctx.conflicts, s.citations, generated=s.generated),
                dates=date_mentions(s.text, date_of.get(s.citations[0].document_id))
                if s.citations
                else (),
            )
            for s in result.sentences
        )
        return Summary(
            sentences=sentences,
            documents=documents,
            duplicates=duplicates,
            stats=stats,
            conflicts=most_salient(ctx.conflicts, ctx.ranked, ctx.sentences, ids),
        )

    def summarize(
        self, documents: Sequence[Document], options: SummaryOptions | None = None
    ) -> Summary:
        """Summarize one cluster of documents."""
        started = time.perf_counter()
        options = options or SummaryOptions(max_words=self.settings.max_words)
        ctx = self.prepare(documents, options)
        (result,) = self.fuse([ctx])
        summary = self.finish(ctx, result, time.perf_counter() - started)
        _LOGGER.debug(
            "summarized %d documents, %d sentences -> %d facts -> %d summary sentences in %.3fs",
            summary.stats.documents,
            summary.stats.sentences_in,
            summary.stats.sentences_after_dedup,
            len(summary.sentences),
            summary.stats.seconds,
        )
        return summary
