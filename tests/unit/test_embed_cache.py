"""The embedding cache: keys, LRU bounds, counters, thread safety, and equal output to a cold run.

The first tests use the torch-free ``HashingEmbedder``; the last ones the real MiniLM (its
vectors must not depend on the batch they were computed in, or a cached run would differ
from a cold one).
"""

from __future__ import annotations

import sys
import threading
import tracemalloc
import unicodedata
from collections.abc import Sequence

import numpy as np
import pytest
from newsfuse.embed import (
    SPACE_SEPARATORS,
    CachingEmbedder,
    EmbeddingCache,
    HashingEmbedder,
    cache_key,
)
from newsfuse.output import summary_to_dict
from newsfuse.pipeline import Pipeline
from newsfuse.settings import Settings
from newsfuse.types import Document, SummaryOptions


class CountingEmbedder:
    """``HashingEmbedder`` that records what it was asked to embed."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.name, self.dim = self.inner.name, self.inner.dim
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            self.seen.extend(texts)
        return self.inner.encode(texts)


def test_space_separators_are_unicode_category_zs() -> None:
    zs = "".join(chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Zs")
    assert SPACE_SEPARATORS == zs


def test_key_collapses_whitespace_only() -> None:
    assert cache_key("  The  vote\twas\n\nclose.\u00a0 ") == "The vote was close."
    # Case is kept, and characters the tokenizer deletes or keeps are not folded into spaces.
    assert cache_key("The vote") != cache_key("the vote")
    assert cache_key("a\x1cb") != cache_key("a b")
    assert cache_key("a\u2028b") != cache_key("a b")


def test_only_misses_reach_the_model_and_vectors_are_the_models() -> None:
    inner = CountingEmbedder()
    cache = EmbeddingCache(2**20)
    embedder = CachingEmbedder(inner, cache)
    first = ["The council met.", "Schools get more.", "The council met."]
    out = embedder.encode(first)
    assert inner.seen == ["The council met.", "Schools get more."]  # repeats embedded once
    np.testing.assert_array_equal(out, HashingEmbedder().encode(first))
    again = embedder.encode(["Schools  get more.", "A new fact.", "The council met."])
    assert inner.seen[2:] == ["A new fact."]
    np.testing.assert_array_equal(again[0], out[1])
    np.testing.assert_array_equal(again[2], out[0])
    stats = cache.stats()
    # 3 + 3 lookups; hits: the repeat inside the first call counts as a miss (one model call).
    assert (stats.hits, stats.misses, stats.entries) == (2, 4, 3)
    assert embedder.encode([]).shape == (0, inner.dim)


def test_least_recently_used_leave_first_and_the_bound_holds() -> None:
    dim = HashingEmbedder().dim
    per_entry = EmbeddingCache._cost("sentence 00", np.zeros(dim, np.float32).tobytes())
    cache = EmbeddingCache(per_entry * 3)
    embedder = CachingEmbedder(CountingEmbedder(), cache)
    embedder.encode(["sentence 00", "sentence 01", "sentence 02"])
    embedder.encode(["sentence 00"])  # now the most recent
    embedder.encode(["sentence 03"])  # evicts sentence 01, the least recently used
    assert cache.get_many(["sentence 01"]) == [None]
    assert all(blob is not None for blob in cache.get_many(["sentence 00", "sentence 03"]))
    assert cache.stats().bytes <= cache.capacity_bytes
    cache.clear()
    assert cache.stats().entries == 0 and cache.stats().bytes == 0


def test_charged_bytes_cover_what_the_entries_really_take() -> None:
    cache = EmbeddingCache(2**30)
    rng = np.random.default_rng(1)
    vectors = rng.random((5000, 384), dtype=np.float32)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        keys = [cache_key(f"Sentence {i} of a news-length text about the budget vote.")
                for i in range(5000)]  # fmt: skip
        cache.put_many(keys, vectors)
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    charged = cache.stats().bytes
    assert used <= charged <= 1.2 * used


def test_threads_share_one_cache_safely() -> None:
    inner = CountingEmbedder()
    embedder = CachingEmbedder(inner, EmbeddingCache(2**22))
    texts = [f"Fact number {i} was reported." for i in range(300)]
    expected = HashingEmbedder().encode(texts)
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            for _ in range(20):
                rows = rng.choice(len(texts), 40)
                out = embedder.encode([texts[r] for r in rows])
                np.testing.assert_array_equal(out, expected[rows])
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert set(inner.seen) <= set(texts)
    assert embedder.cache.stats().entries == len(set(inner.seen))


def test_settings_and_pipeline_load_apply_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    import newsfuse.pipeline as pipeline_module

    monkeypatch.setattr(pipeline_module, "TransformerEmbedder", lambda **_: HashingEmbedder())
    cached = Pipeline.load(Settings.from_env({"NEWSFUSE_EMBED_CACHE_MB": "3"}))
    assert isinstance(cached.embedder, CachingEmbedder)
    assert cached.embedder.cache.capacity_bytes == 3 * 2**20
    plain = Pipeline.load(Settings.from_env({}, embed_cache_mb=0))
    assert isinstance(plain.embedder, HashingEmbedder)
    with pytest.raises(ValueError, match="embed_cache_mb"):
        Settings(embed_cache_mb=-1)


# --- the real model ----------------------------------------------------------------------------


@pytest.mark.slow
def test_minilm_vectors_do_not_depend_on_the_batch(minilm, example_paths) -> None:
    from newsfuse.ingest import ingest

    text = example_paths[0].read_text(encoding="utf-8")
    sentences = [s.text for s in ingest(Document(id="a", text=text)).sentences]
    together = minilm.encode(sentences)
    alone = np.stack([minilm.encode([s])[0] for s in sentences[:12]])
    others = minilm.encode(sentences[5:] + ["An unrelated, much longer sentence " * 8])
    np.testing.assert_array_equal(alone, together[:12])
    np.testing.assert_array_equal(others[: len(sentences) - 5], together[5:])


@pytest.mark.slow
def test_minilm_tokenizes_every_text_like_its_key(minilm) -> None:
    tokenizer = minilm._tokenizer
    texts = [
        "  Trump  met\tPutin\n\nin  Budapest. ",
        "Prices\u00a0rose\u2009by 3\u202f%.",
        "ΟΔΟΣ ΟΔΟΣ.",
        "Straße ẞ İstanbul ǅ ﬁ",
        "a\x1cb a\u2028b a\x0bb",
        "\u3000全角\u3000スペース",
    ]
    for text in texts:
        assert tokenizer(text)["input_ids"] == tokenizer(cache_key(text))["input_ids"], text


@pytest.mark.slow
def test_a_cached_run_gives_the_cold_runs_summary(minilm, example_paths) -> None:
    documents = [Document(id=p.name, text=p.read_text(encoding="utf-8")) for p in example_paths]
    options = SummaryOptions(max_words=150)
    cold = Pipeline(Settings(), CachingEmbedder(minilm, EmbeddingCache(2**26)))
    cold_summary = summary_to_dict(cold.summarize(documents, options))

    cache = EmbeddingCache(2**26)
    warm = Pipeline(Settings(), CachingEmbedder(minilm, cache))
    warm.summarize(documents[:-1], options)  # the cluster before its latest article
    misses = cache.stats().misses
    warm_summary = summary_to_dict(warm.summarize(documents, options))
    for summary in (cold_summary, warm_summary):
        summary["stats"].pop("seconds")
    assert warm_summary == cold_summary
    assert cache.stats().hits > 0 and cache.stats().misses > misses
