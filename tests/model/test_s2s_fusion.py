"""Seq2seq fusion on tiny random checkpoints: packing, batching, hierarchy, grounding."""

from __future__ import annotations

import itertools
import re

import pytest
from newsfuse.embed import HashingEmbedder
from newsfuse.fuse.seq2seq import Seq2SeqFuser, facts_to_read, load_fuser
from newsfuse.grounding import ground, split_generated
from newsfuse.pipeline import Pipeline
from newsfuse.settings import Settings
from newsfuse.support import SupportScorer
from newsfuse.types import Document, SummaryOptions

FAST = dict(threads=1, seq2seq_num_beams=1, seq2seq_no_repeat_ngram_size=0)


def make_fuser(checkpoints, family: str, **overrides) -> Seq2SeqFuser:
    values = {**FAST, **overrides}
    return load_fuser(
        Settings(model=str(checkpoints[family]), **values), HashingEmbedder(), SupportScorer()
    )


def prepare(fuser, embedder, documents, max_words=30, **options):
    pipeline = Pipeline(fuser.settings, embedder, fuser, fuser.scorer)
    return pipeline.prepare(documents, SummaryOptions(max_words=max_words, **options))


def ground_text(fuser, ctx, text: str, **kwargs):
    """Ground generated ``text`` the way the fuser does: split, embed once, score."""
    pieces = split_generated(text)
    vectors = fuser.embedder.encode(pieces)
    threshold = fuser.scorer.thresholds.ground
    return ground(ctx, pieces, vectors, fuser.scorer, threshold=threshold, **kwargs)


def assert_cited_in_sources(result, ctx):
    texts = {d.document.id: d.document.text for d in ctx.documents}
    for sentence in result.sentences:
        assert sentence.citations, f"uncited sentence: {sentence.text!r}"
        for c in sentence.citations:
            assert 0 <= c.start < c.end <= len(texts[c.document_id])


def assert_no_near_duplicates(result):
    words = [set(re.findall(r"\w+", s.text.lower())) for s in result.sentences]
    for a, b in itertools.combinations(words, 2):
        assert len(a & b) / len(a | b) < 0.7


# -- packing ------------------------------------------------------------------------------


def test_t5_input_starts_with_the_task_prefix(checkpoints, embedder, example_documents):
    fuser = make_fuser(checkpoints, "t5")
    ctx = prepare(fuser, embedder, example_documents)
    units = fuser.packer.fact_units(ctx, facts_to_read(ctx, 3.0))
    (chunk,) = fuser.packer.chunks(units)
    decoded = fuser.model.tokenizer.decode(chunk.input_ids)
    assert decoded.startswith("summarize: ")
    assert chunk.input_ids[-1] == fuser.model.tokenizer.eos_token_id


def test_led_input_separates_documents_with_global_attention(
    checkpoints, embedder, example_documents
):
    fuser = make_fuser(checkpoints, "led")
    ctx = prepare(fuser, embedder, example_documents)
    facts = facts_to_read(ctx, 3.0)
    (chunk,) = fuser.packer.chunks(fuser.packer.fact_units(ctx, facts))
    sep = fuser.model.doc_sep_id
    separators = [i for i, t in enumerate(chunk.input_ids) if t == sep]
    documents = {ctx.sentences[f.cluster.representative].doc for f in facts}
    assert len(separators) == len(documents)  # one <doc-sep> after each document's facts
    assert chunk.global_positions == (0, *separators)
    assert chunk.input_ids[0] == fuser.model.tokenizer.bos_token_id


def test_model_reads_deduplicated_facts_not_the_raw_articles(
    checkpoints, embedder, example_documents
):
    fuser = make_fuser(checkpoints, "bart")
    text = example_documents[0].text
    copies = [*example_documents, Document(id="copy.txt", text=text)]
    ctx = prepare(fuser, embedder, copies, max_words=None, max_sentences=None)
    facts = facts_to_read(ctx, 0.0)
    assert len(facts) == len(ctx.ranked) < len(ctx.sentences)
    units = fuser.packer.fact_units(ctx, facts)
    assert sorted({u.key for u in units}) == sorted(f.cluster.id for f in facts)


def test_long_fact_goes_in_as_pieces_never_cut(checkpoints, embedder, example_documents):
    fuser = make_fuser(checkpoints, "bart", seq2seq_fact_tokens=8)
    ctx = prepare(fuser, embedder, example_documents)
    facts = facts_to_read(ctx, 3.0)
    units = fuser.packer.fact_units(ctx, facts)
    for fact in facts:
        pieces = [u for u in units if u.key == fact.cluster.id]
        joined = [t for u in sorted(pieces, key=lambda u: u.position) for t in u.ids]
        text = " ".join(ctx.sentences[fact.cluster.representative].text.split())
        assert joined == fuser.packer._encode([text])[0]
        assert all(len(u.ids) <= 8 for u in pieces)


def test_cluster_larger_than_the_context_is_chunked_without_loss(
    checkpoints, embedder, example_documents
):
    fuser = make_fuser(checkpoints, "bart", seq2seq_max_input_tokens=96)
    ctx = prepare(fuser, embedder, example_documents, max_words=20)
    facts = facts_to_read(ctx, 0.0)
    units = fuser.packer.fact_units(ctx, facts)
    chunks = fuser.packer.chunks(units)
    assert len(chunks) > 3
    assert all(len(c.input_ids) <= 96 for c in chunks)
    packed = sorted((u.key, u.position) for c in chunks for u in c.units)
    assert packed == sorted((u.key, u.position) for u in units)  # every unit, exactly once


def test_each_document_gets_a_share_of_an_input(checkpoints, embedder, example_documents):
    fuser = make_fuser(checkpoints, "led", seq2seq_max_input_tokens=200)
    ctx = prepare(fuser, embedder, example_documents)
    facts = facts_to_read(ctx, 0.0)
    first = fuser.packer.chunks(fuser.packer.fact_units(ctx, facts))[0]
    assert {u.group for u in first.units} == {
        ctx.sentences[f.cluster.representative].doc for f in facts
    }


# -- generation ---------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["bart", "t5", "led"])
def test_batched_generation_equals_one_by_one(checkpoints, embedder, example_documents, family):
    fuser = make_fuser(checkpoints, family, seq2seq_max_input_tokens=160)
    ctx = prepare(fuser, embedder, example_documents, max_words=12)
    chunks = fuser.packer.chunks(fuser.packer.fact_units(ctx, facts_to_read(ctx, 0.0)))
    chunks = sorted(chunks, key=lambda c: len(c.input_ids))[:: max(1, len(chunks) // 4)]
    assert len({len(c.input_ids) for c in chunks}) > 1  # the batch needs padding
    params, _ = fuser.generation_params(12)
    batched = fuser.generate(chunks, params)
    single = [fuser.generate([c], params)[0] for c in chunks]
    assert batched == single
    assert any(batched)


def test_fuse_batch_equals_fuse_one_by_one(checkpoints, embedder, example_documents):
    fuser = make_fuser(checkpoints, "bart", seq2seq_max_input_tokens=128)
    contexts = [
        prepare(fuser, embedder, example_documents[:2], max_words=10),
        prepare(fuser, embedder, example_documents, max_words=25),
        prepare(fuser, embedder, example_documents[2:], max_words=10),  # batched with the first
    ]
    batched = fuser.fuse_batch(contexts)
    single = [fuser.fuse(ctx) for ctx in contexts]
    assert batched == single
    for result, ctx in zip(batched, contexts, strict=True):
        assert_cited_in_sources(result, ctx)


def test_lengths_follow_the_word_budget(checkpoints):
    fuser = make_fuser(
        checkpoints, "bart", seq2seq_tokens_per_word=1.5, seq2seq_min_length_ratio=0.5
    )
    final, partial = fuser.generation_params(100)
    assert (final.min_new_tokens, final.max_new_tokens) == (75, 150)
    assert partial.max_new_tokens <= fuser.packer.capacity // 4
    unlimited, _ = fuser.generation_params(None)
    assert unlimited.max_new_tokens == fuser.settings.seq2seq_max_new_tokens


@pytest.mark.slow
def test_chunk_and_fuse_end_to_end(checkpoints, embedder, example_documents):
    fuser = make_fuser(
        checkpoints, "bart", seq2seq_max_input_tokens=96, seq2seq_input_words_factor=0.0
    )
    ctx = prepare(fuser, embedder, example_documents, max_words=20)
    (result,) = fuser.fuse_batch([ctx])
    assert result.stats["fusion_levels"] >= 2
    assert result.stats["generation_passes"] > 3
    assert result.stats["facts_read"] == len(ctx.ranked)
    assert result.stats["encoded_tokens"] > result.stats["input_tokens"]
    assert result.model == "tiny-bart (bart)"
    assert_cited_in_sources(result, ctx)
    assert_no_near_duplicates(result)


# -- grounding ----------------------------------------------------------------------------


def _source(ctx, n: int) -> str:
    return " ".join(ctx.sentences[ctx.selected[n].cluster.representative].text.split())


def test_supported_sentences_are_kept_and_cited(checkpoints, embedder, example_documents):
    fuser = make_fuser(checkpoints, "bart")
    ctx = prepare(fuser, embedder, example_documents, max_words=150)
    first, second = _source(ctx, 0), _source(ctx, 1)
    grounded = ground_text(fuser, ctx, f"{first} {second}")
    assert [s.text for s in grounded.sentences] == [first, second]
    assert all(s.generated for s in grounded.sentences)
    assert grounded.stats["generated_sentences"] == 2
    assert grounded.stats["unsupported_dropped"] == 0
    rep = ctx.sentences[ctx.selected[0].cluster.representative]
    cited = {(c.document_id, c.start, c.end) for c in grounded.sentences[0].citations}
    assert (ctx.documents[rep.doc].document.id, rep.start, rep.end) in cited


def test_unsupported_sentence_falls_back_to_an_extractive_one(
    checkpoints, embedder, example_documents
):
    fuser = make_fuser(checkpoints, "bart")
    ctx = prepare(fuser, embedder, example_documents, max_words=150)
    good = _source(ctx, 0)
    nonsense = "Purple elephants negotiated quietly with the moon over breakfast cereal."
    grounded = ground_text(fuser, ctx, f"{good} {nonsense}")
    assert grounded.stats["unsupported_dropped"] == 1
    assert grounded.stats["generated_sentences"] == 1
    assert grounded.stats["fallback_sentences"] >= 1
    texts = [s.text for s in grounded.sentences]
    assert nonsense not in texts
    assert texts[0] == good
    # The gap is filled by the extractive sentence of a selected fact not yet covered.
    assert texts[1] in {_source(ctx, i) for i in range(1, len(ctx.selected))}
    assert not grounded.sentences[1].generated and grounded.sentences[1].citations


def test_all_nonsense_gives_the_extractive_summary(checkpoints, embedder, example_documents):
    fuser = make_fuser(checkpoints, "bart")
    ctx = prepare(fuser, embedder, example_documents, max_words=60)
    garbage = "Zzz qqq xxx. Lorem ipsum dolor sit amet consectetur. Ok ok ok ok ok ok."
    grounded = ground_text(fuser, ctx, garbage)
    assert grounded.stats["generated_sentences"] == 0
    assert grounded.stats["unsupported_dropped"] == 3
    assert [s.text for s in grounded.sentences] == [
        _source(ctx, i) for i in range(len(ctx.selected))
    ]
    assert sum(len(s.text.split()) for s in grounded.sentences) <= 60


def test_repeated_sentences_are_dropped(checkpoints, embedder, example_documents):
    fuser = make_fuser(checkpoints, "bart")
    ctx = prepare(fuser, embedder, example_documents, max_words=150)
    good = _source(ctx, 0)
    grounded = ground_text(fuser, ctx, f"{good} {good} {good}")
    assert [s.text for s in grounded.sentences] == [good]
    assert grounded.stats["duplicates_dropped"] == 2


@pytest.mark.parametrize("family", ["bart", "t5", "led"])
def test_random_model_output_is_never_shipped_uncited(
    checkpoints, embedder, example_documents, family
):
    fuser = make_fuser(checkpoints, family)
    ctx = prepare(fuser, embedder, example_documents, max_words=25)
    (result,) = fuser.fuse_batch([ctx])
    assert result.sentences
    assert_cited_in_sources(result, ctx)
    assert_no_near_duplicates(result)
    assert result.stats["input_tokens"] < result.stats["input_tokens_raw"]
    assert {"generated_sentences", "unsupported_dropped"} <= result.stats.keys()


def test_sentence_with_a_made_up_name_or_number_is_unsupported(
    checkpoints, embedder, example_documents
):
    fuser = make_fuser(checkpoints, "bart")
    ctx = prepare(fuser, embedder, example_documents, max_words=150)
    good = _source(ctx, 0)
    # Near-identical to a source sentence (high similarity), but with a place and a number
    # that no source has: similarity alone would ship it.
    made_up = f"In Vienna, 4711 officials said: {good}"
    grounded = ground_text(fuser, ctx, f"{made_up} {good}")
    assert grounded.stats["novel_names_dropped"] == 1
    assert grounded.stats["unsupported_dropped"] == 1
    texts = [s.text for s in grounded.sentences]
    assert made_up not in texts and good in texts
    assert all(s.citations for s in grounded.sentences)
