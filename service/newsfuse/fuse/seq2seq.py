"""Seq2seq fusion: a local encoder-decoder writes the summary from the deduplicated facts.

The model never reads the raw articles. It reads the representative sentences of the ranked
fact clusters (each fact once, however many outlets carried it), packed into its input
budget: a token budget per fact (longer facts go in as several pieces) and per document,
PRIMERA's ``<doc-sep>`` after each document's facts with global attention on ``<s>`` and the
separators (LED), ``summarize: `` before the input (T5). Facts that do not fit one pass are
summarized chunk by chunk and the partial summaries fused again, level by level — nothing is
silently truncated.

Generation runs batched across requests, inputs sorted by length so that each batch carries
little padding, under ``torch.inference_mode()``. Every generated sentence is then aligned to
the source sentences; one without enough support is dropped (``unsupported_dropped``) and the
extractive sentence of a selected fact takes its place, so no sentence ships uncited.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from newsfuse.cite import display_text
from newsfuse.embed import Embedder
from newsfuse.fuse import FusionContext, FusionResult
from newsfuse.grounding import ground, split_generated, words_of
from newsfuse.modeling import Seq2SeqModel, load_model
from newsfuse.settings import Settings
from newsfuse.support import SupportScorer
from newsfuse.types import RankedFact

_LOGGER = logging.getLogger(__name__)

#: A budget of N sentences (and no word budget) counts as this many words per sentence.
_WORDS_PER_SENTENCE = 25
#: Hierarchy depth after which fusion stops (each level divides the input by at least 3).
_MAX_LEVELS = 8
# Marker tokens some checkpoints emit as text (PEGASUS writes <n> for a newline).
_MARKERS = re.compile(r"<n>|<doc-sep>|\|\|\|\|\|")


@dataclass(frozen=True, slots=True)
class GenerationParams:
    """How one pass generates: the same for every input of a batch."""

    num_beams: int
    length_penalty: float
    no_repeat_ngram_size: int
    min_new_tokens: int
    max_new_tokens: int


@dataclass(frozen=True, slots=True)
class Unit:
    """One piece of model input: a fact (or a piece of a long fact) or a partial summary.

    ``group`` is the document the unit comes from (LED/PRIMERA inputs are grouped by it) and
    ``position`` orders units within their group.
    """

    key: int
    group: int
    position: tuple[int, int]
    ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Chunk:
    """The token ids of one encoder input and the units packed into it."""

    input_ids: tuple[int, ...]
    global_positions: tuple[int, ...]
    units: tuple[Unit, ...]


class Packer:
    """Packs units into encoder inputs of at most ``max_input_tokens`` tokens each."""

    def __init__(
        self,
        tokenizer: Any,
        *,
        max_input_tokens: int,
        prefix: str = "",
        doc_sep_id: int | None = None,
        fact_tokens: int = 128,
        global_first: bool = False,
    ) -> None:
        self.tokenizer = tokenizer
        probe = tokenizer("x", add_special_tokens=False)["input_ids"]
        wrapped = tokenizer("x", add_special_tokens=True)["input_ids"]
        at = _find(wrapped, probe)
        self.head = tuple(wrapped[:at])
        self.tail = tuple(wrapped[at + len(probe) :])
        self.prefix_ids = tuple(self._encode([prefix])[0]) if prefix.strip() else ()
        self.doc_sep_id = doc_sep_id
        self.global_first = global_first or doc_sep_id is not None
        self.max_input_tokens = max_input_tokens
        self.capacity = max_input_tokens - len(self.head) - len(self.tail) - len(self.prefix_ids)
        if self.capacity < 8:
            raise ValueError(
                f"an input of {max_input_tokens} tokens leaves no room for text; "
                "raise seq2seq_max_input_tokens"
            )
        sep_cost = 1 if doc_sep_id is not None else 0
        self.piece_tokens = max(1, min(fact_tokens, self.capacity - sep_cost))

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        # A leading space makes a byte-level BPE tokenize the first word as it would inside
        # a running text, so the ids of units can be concatenated as they are.
        if not texts:
            return []
        encoded = self.tokenizer([" " + t for t in texts], add_special_tokens=False)
        return [list(ids) for ids in encoded["input_ids"]]

    def fact_units(self, ctx: FusionContext, facts: Sequence[RankedFact]) -> list[Unit]:
        """Units of the facts' representative sentences, in the order given."""
        reps = [ctx.sentences[f.cluster.representative] for f in facts]
        units = []
        for fact, rep, ids in zip(
            facts, reps, self._encode([display_text(r.text) for r in reps]), strict=True
        ):
            for lo in range(0, max(1, len(ids)), self.piece_tokens):
                units.append(
                    Unit(
                        key=fact.cluster.id,
                        group=rep.doc,
                        position=(rep.index, lo),
                        ids=tuple(ids[lo : lo + self.piece_tokens]),
                    )
                )
        return [u for u in units if u.ids]

    def text_units(self, texts: Sequence[str]) -> list[Unit]:
        """Units of partial summaries: each its own group ("document")."""
        units = []
        for i, ids in enumerate(self._encode(texts)):
            for lo in range(0, len(ids), self.piece_tokens):
                piece = tuple(ids[lo : lo + self.piece_tokens])
                units.append(Unit(key=-1 - i, group=i, position=(0, lo), ids=piece))
        return units

    def chunks(self, units: Sequence[Unit]) -> list[Chunk]:
        """Pack every unit into as few inputs as fit, most important units first.

        Within one input each document gets an equal share of the room first (so one long
        article cannot crowd out the others); room left over is then filled in order.
        """
        sep_cost = 1 if self.doc_sep_id is not None else 0
        remaining = list(units)
        out: list[Chunk] = []
        while remaining:
            groups = {u.group for u in remaining}
            share = max(1, self.capacity // len(groups))
            taken = [False] * len(remaining)
            used = 0
            per_group: dict[int, int] = defaultdict(int)
            for respect_share in (True, False):
                for i, unit in enumerate(remaining):
                    if taken[i]:
                        continue
                    cost = len(unit.ids) + (sep_cost if unit.group not in per_group else 0)
                    if used + cost > self.capacity:
                        continue
                    if respect_share and per_group[unit.group] + len(unit.ids) > share:
                        continue
                    taken[i] = True
                    used += cost
                    per_group[unit.group] += len(unit.ids)
            chosen = [u for u, t in zip(remaining, taken, strict=True) if t]
            if not chosen:  # cannot happen: every unit fits an empty input
                raise AssertionError("a unit is larger than the model input")
            remaining = [u for u, t in zip(remaining, taken, strict=True) if not t]
            out.append(self.render(chosen))
        return out

    def render(self, units: Sequence[Unit]) -> Chunk:
        """The encoder input of ``units``: by document with separators (LED), else in order."""
        ids: list[int] = [*self.head, *self.prefix_ids]
        global_positions: list[int] = [0] if self.global_first else []
        if self.doc_sep_id is None:
            ordered = list(units)
            for unit in ordered:
                ids.extend(unit.ids)
        else:
            by_group: dict[int, list[Unit]] = defaultdict(list)
            for unit in units:
                by_group[unit.group].append(unit)
            ordered = []
            for group in sorted(by_group):
                members = sorted(by_group[group], key=lambda u: u.position)
                ordered.extend(members)
                for unit in members:
                    ids.extend(unit.ids)
                global_positions.append(len(ids))
                ids.append(self.doc_sep_id)
        ids.extend(self.tail)
        return Chunk(
            input_ids=tuple(ids), global_positions=tuple(global_positions), units=tuple(ordered)
        )


def _find(haystack: Sequence[int], needle: Sequence[int]) -> int:
    for at in range(len(haystack) - len(needle) + 1):
        if list(haystack[at : at + len(needle)]) == list(needle):
            return at
    raise ValueError("the tokenizer adds tokens inside the text; cannot tell its special tokens")


def facts_to_read(ctx: FusionContext, words_factor: float) -> list[RankedFact]:
    """The facts the model reads, most important first.

    The extractive selection (in reading order) comes first, then further facts by rank up
    to ``words_factor`` times the word budget; ``words_factor`` 0 or no budget: every fact.
    """
    chosen = list(ctx.selected)
    seen = {f.cluster.id for f in chosen}
    budget = _word_budget(ctx)
    limit = None if budget is None or words_factor <= 0 else words_factor * budget
    words = sum(_words(ctx.sentences[f.cluster.representative].text) for f in chosen)
    for fact in ctx.ranked:
        if fact.cluster.id in seen:
            continue
        if limit is not None:
            n = _words(ctx.sentences[fact.cluster.representative].text)
            if words + n > limit:
                continue
            words += n
        chosen.append(fact)
        seen.add(fact.cluster.id)
    return chosen


def _word_budget(ctx: FusionContext) -> int | None:
    if ctx.options.max_words is not None:
        return ctx.options.max_words
    if ctx.options.max_sentences is not None:
        return ctx.options.max_sentences * _WORDS_PER_SENTENCE
    return None


def _words(text: str) -> int:
    return len(text.split())


@dataclass(slots=True)
class _Request:
    """The fusion of one request as it goes through the levels of the hierarchy."""

    ctx: FusionContext
    final: GenerationParams
    partial: GenerationParams
    units: list[Unit]
    facts_read: int = 0
    source_words: frozenset[str] = frozenset()
    level: int = 0
    input_tokens: int = 0
    encoded_tokens: int = 0
    passes: int = 0
    text: str | None = None


@dataclass(slots=True)
class _Job:
    request: int
    chunk: Chunk
    params: GenerationParams
    output: str = ""


class Seq2SeqFuser:
    """Fuses the facts of each request with a local encoder-decoder checkpoint."""

    def __init__(
        self,
        model: Seq2SeqModel,
        settings: Settings,
        embedder: Embedder,
        scorer: SupportScorer,
    ) -> None:
        self.model = model
        self.settings = settings
        self.embedder = embedder
        self.scorer = scorer
        self.name = model.label
        self.packer = Packer(
            model.tokenizer,
            max_input_tokens=model.max_input_tokens,
            prefix=model.prefix,
            doc_sep_id=model.doc_sep_id,
            fact_tokens=settings.seq2seq_fact_tokens,
            global_first=model.family == "led",
        )
        self._pad_id = _pad_id(model.tokenizer, model.model)
        # The checkpoint's own length limits (distilbart: min_length=56, max_length=142) would
        # fight the word budget, which sets min/max_new_tokens on every call.
        model.model.generation_config.min_length = None
        model.model.generation_config.max_length = None
        # One generate() at a time: a second caller would only slow the first one down.
        self._lock = threading.Lock()

    # -- the Fuser interface -------------------------------------------------------------

    def fuse(self, ctx: FusionContext) -> FusionResult:
        """Fuse one request."""
        return self.fuse_batch([ctx])[0]

    def fuse_batch(self, contexts: Sequence[FusionContext]) -> list[FusionResult]:
        """Fuse several requests, generating for all of them in shared, length-bucketed batches."""
        started = time.perf_counter()
        requests = [self._plan(ctx) for ctx in contexts]
        self._run_levels(requests)
        generated = time.perf_counter()
        # Every generated sentence of every request embedded once, in one call.
        pieces = [split_generated(r.text or "") for r in requests]
        flat = [p for request_pieces in pieces for p in request_pieces]
        vectors = self.embedder.encode(flat) if flat else np.zeros((0, 1), dtype=np.float32)
        results = []
        offset = 0
        for request, request_pieces in zip(requests, pieces, strict=True):
            own = vectors[offset : offset + len(request_pieces)]
            offset += len(request_pieces)
            results.append(self._ground(request, request_pieces, own))
        _LOGGER.debug(
            "seq2seq fused %d requests: %d passes, %d tokens encoded, generation %.2fs, "
            "grounding %.2fs",
            len(requests),
            sum(r.passes for r in requests),
            sum(r.encoded_tokens for r in requests),
            generated - started,
            time.perf_counter() - generated,
        )
        return results

    def warmup(self) -> None:
        """Run one short generation so the first request does not pay for lazy set-up."""
        chunk = self.packer.render(self.packer.text_units(["The council approved the budget."]))
        params = dataclasses.replace(
            self.generation_params(20)[1], min_new_tokens=0, max_new_tokens=4
        )
        self.generate([chunk], params)

    # -- planning ------------------------------------------------------------------------

    def generation_params(
        self, budget_words: int | None
    ) -> tuple[GenerationParams, GenerationParams]:
        """Parameters of the final pass and of partial (chunk) passes for a word budget."""
        s = self.settings
        cap = s.seq2seq_max_new_tokens
        if self.model.max_output_tokens is not None:
            cap = min(cap, max(1, self.model.max_output_tokens - 2))
        if budget_words is None:
            max_new = cap
        else:
            max_new = max(1, min(cap, math.ceil(budget_words * s.seq2seq_tokens_per_word)))
        # Partial summaries must leave room for at least three of them in one input.
        partial_max = max(1, min(max_new, self.packer.capacity // 4))
        common = dict(
            num_beams=s.seq2seq_num_beams,
            length_penalty=s.seq2seq_length_penalty,
            no_repeat_ngram_size=s.seq2seq_no_repeat_ngram_size,
        )
        final = GenerationParams(
            min_new_tokens=int(max_new * s.seq2seq_min_length_ratio),
            max_new_tokens=max_new,
            **common,
        )
        partial = GenerationParams(
            min_new_tokens=int(partial_max * s.seq2seq_min_length_ratio),
            max_new_tokens=partial_max,
            **common,
        )
        return final, partial

    def _plan(self, ctx: FusionContext) -> _Request:
        facts = facts_to_read(ctx, self.settings.seq2seq_input_words_factor)
        final, partial = self.generation_params(_word_budget(ctx))
        units = self.packer.fact_units(ctx, facts)
        return _Request(
            ctx=ctx,
            final=final,
            partial=partial,
            units=units,
            facts_read=len(facts),
            # What the model read: a name or number outside it was made up.
            source_words=words_of(ctx.sentences[f.cluster.representative].text for f in facts),
        )

    def _run_levels(self, requests: Sequence[_Request]) -> None:
        active = [i for i, r in enumerate(requests) if r.units]
        for r in requests:
            if not r.units:
                r.text = ""
        while active:
            jobs: list[_Job] = []
            finals: dict[int, bool] = {}
            for i in active:
                r = requests[i]
                chunks = self.packer.chunks(r.units)
                finals[i] = len(chunks) == 1
                params = r.final if finals[i] else r.partial
                tokens = sum(len(c.input_ids) for c in chunks)
                if r.level == 0:
                    r.input_tokens = tokens
                r.encoded_tokens += tokens
                r.passes += len(chunks)
                r.level += 1
                jobs.extend(_Job(request=i, chunk=c, params=params) for c in chunks)
            self._run_jobs(jobs)
            outputs: dict[int, list[str]] = defaultdict(list)
            for job in jobs:
                outputs[job.request].append(job.output)
            still = []
            for i in active:
                r = requests[i]
                texts = [t for t in outputs[i] if t.strip()]
                if finals[i]:
                    r.text = texts[0] if texts else ""
                elif not texts:
                    r.text = ""
                elif r.level >= _MAX_LEVELS:
                    # Cannot happen with sane settings; the fallback keeps the output cited.
                    _LOGGER.warning("fusion stopped after %d levels", r.level)
                    r.text = " ".join(texts)
                else:
                    r.units = self.packer.text_units(texts)
                    still.append(i)
            active = still

    # -- generation ----------------------------------------------------------------------

    def _run_jobs(self, jobs: Sequence[_Job]) -> None:
        """Generate every job: grouped by parameters, sorted by length, batched."""
        by_params: dict[GenerationParams, list[_Job]] = defaultdict(list)
        for job in jobs:
            by_params[job.params].append(job)
        for params, group in by_params.items():
            group.sort(key=lambda j: len(j.chunk.input_ids))
            for batch in self._batches(group):
                outputs = self.generate([j.chunk for j in batch], params)
                for job, text in zip(batch, outputs, strict=True):
                    job.output = text

    def _batches(self, jobs: Sequence[_Job]) -> list[list[_Job]]:
        s = self.settings
        batches: list[list[_Job]] = []
        current: list[_Job] = []
        for job in jobs:  # sorted by length: the last job of a batch is its longest
            rows = len(current) + 1
            if current and (
                rows > s.seq2seq_batch_size
                or rows * len(job.chunk.input_ids) > s.seq2seq_batch_tokens
            ):
                batches.append(current)
                current = []
            current.append(job)
        if current:
            batches.append(current)
        return batches

    def generate(self, chunks: Sequence[Chunk], params: GenerationParams) -> list[str]:
        """Generate one text per chunk in one batch (right-padded, attention-masked)."""
        import torch

        model = self.model
        width = max(len(c.input_ids) for c in chunks)
        input_ids = torch.full((len(chunks), width), self._pad_id, dtype=torch.long)
        attention = torch.zeros((len(chunks), width), dtype=torch.long)
        for row, chunk in enumerate(chunks):
            input_ids[row, : len(chunk.input_ids)] = torch.tensor(chunk.input_ids)
            attention[row, : len(chunk.input_ids)] = 1
        kwargs: dict[str, Any] = {}
        if model.family == "led":
            global_mask = torch.zeros_like(attention)
            for row, chunk in enumerate(chunks):
                global_mask[row, list(chunk.global_positions)] = 1
            kwargs["global_attention_mask"] = global_mask.to(model.device)
        config = self._generation_config(params)
        with self._lock, torch.inference_mode():
            out = model.model.generate(
                input_ids=input_ids.to(model.device),
                attention_mask=attention.to(model.device),
                generation_config=config,
                **kwargs,
            )
        texts = model.tokenizer.batch_decode(out, skip_special_tokens=True)
        return [_clean(t) for t in texts]

    def _generation_config(self, params: GenerationParams) -> Any:
        config = self.model.model.generation_config.__class__.from_dict(
            self.model.model.generation_config.to_dict()
        )
        config.max_new_tokens = params.max_new_tokens
        config.min_new_tokens = params.min_new_tokens
        config.num_beams = params.num_beams
        config.num_return_sequences = 1
        config.length_penalty = params.length_penalty
        config.no_repeat_ngram_size = params.no_repeat_ngram_size
        config.early_stopping = True if params.num_beams > 1 else False
        config.do_sample = False
        config.pad_token_id = self._pad_id
        eos = (
            config.eos_token_id if isinstance(config.eos_token_id, list) else [config.eos_token_id]
        )
        if self._pad_id is not None and self._pad_id not in eos:
            # Padding is never text: a weak checkpoint that ranks it first (a small or
            # random model does) would otherwise "write" a summary of padding.
            config.suppress_tokens = [self._pad_id]
        return config

    # -- grounding -----------------------------------------------------------------------

    def _ground(self, request: _Request, pieces: list[str], vectors: np.ndarray) -> FusionResult:
        ctx = request.ctx
        grounded = ground(
            ctx,
            pieces,
            vectors,
            self.scorer,
            threshold=self.settings.seq2seq_support_threshold or self.scorer.thresholds.ground,
            source_words=request.source_words,
        )
        stats = dict(grounded.stats)
        stats.update(
            input_tokens=request.input_tokens,
            input_tokens_raw=self._raw_tokens(ctx),
            encoded_tokens=request.encoded_tokens,
            generation_passes=request.passes,
            fusion_levels=request.level,
            facts_read=request.facts_read,
        )
        return FusionResult(sentences=grounded.sentences, model=self.name, stats=stats)

    def _raw_tokens(self, ctx: FusionContext) -> int:
        """Tokens of the raw concatenation of every document: what a plain summarizer reads."""
        texts = [doc.document.text for doc in ctx.documents]
        if not texts:
            return 0
        encoded = self.model.tokenizer(texts, add_special_tokens=False, verbose=False)
        body = sum(len(ids) for ids in encoded["input_ids"])
        return body + len(self.packer.head) + len(self.packer.tail) + len(self.packer.prefix_ids)


def _clean(text: str) -> str:
    return " ".join(_MARKERS.sub(" ", text).split())


def _pad_id(tokenizer: Any, model: Any) -> int:
    for value in (
        getattr(tokenizer, "pad_token_id", None),
        getattr(model.config, "pad_token_id", None),
        getattr(tokenizer, "eos_token_id", None),
    ):
        if isinstance(value, int):
            return value
    return 0


def load_fuser(settings: Settings, embedder: Embedder, scorer: SupportScorer) -> Seq2SeqFuser:
    """Load ``settings.model`` and wrap it in a ``Seq2SeqFuser`` grounding with ``scorer``."""
    if not settings.model:
        raise ValueError("setting model (NEWSFUSE_MODEL / --model) names no directory")
    model = load_model(
        settings.model,
        device=settings.device,
        threads=settings.threads,
        cpu_dtype=settings.seq2seq_cpu_dtype,
        max_input_tokens=settings.seq2seq_max_input_tokens,
    )
    return Seq2SeqFuser(model, settings, embedder, scorer)
