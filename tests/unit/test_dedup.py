"""Dedup: exact, near-duplicate and paraphrase passes; the sub-quadratic search; copies."""

from __future__ import annotations

import numpy as np
from newsfuse import dedup as dedup_module
from newsfuse.dedup import deduplicate, near_duplicate_pairs, similar_pairs
from newsfuse.embed import HashingEmbedder
from newsfuse.ingest import ingest_all
from newsfuse.support import SupportModel, SupportScorer
from newsfuse.types import Document

# The features-only scorer: dedup's own logic is under test here, not the pair reader.
SCORER = SupportScorer(SupportModel.default())


def _run(texts: list[str]):
    parsed = ingest_all([Document(id=f"d{i}", text=t) for i, t in enumerate(texts)])
    sentences = [s for d in parsed for s in d.sentences]
    result = deduplicate(sentences, HashingEmbedder().encode, len(parsed), SCORER)
    return sentences, result


def test_exact_duplicates_across_documents_form_one_fact():
    sentences, result = _run(
        ["The dam broke at noon. Rescue teams arrived.", "THE DAM BROKE AT NOON! Nobody was hurt."]
    )
    dam = [c for c in result.clusters if len(c.members) > 1]
    assert len(dam) == 1
    assert dam[0].documents == (0, 1)
    assert len(result.clusters) == 3


def test_near_duplicates_are_found_by_minhash():
    a = "Officials said the new bridge over the river will open next spring after long delays."
    b = "Officials said the new bridge over the river will open next spring, after long delays."
    pairs = near_duplicate_pairs([a, b, "Completely different words about football results."], 0.6)
    assert pairs == [(0, 1)]


def test_unrelated_sentences_stay_apart():
    _, result = _run(["Apples are red. Cars need fuel.", "The sea is deep. Music can be loud."])
    assert all(len(c.members) == 1 for c in result.clusters)
    assert result.duplicate_of == (None, None)


def test_whole_duplicate_document_is_detected():
    body = "The mayor resigned on Tuesday. She cited health reasons. An election follows in May."
    _, result = _run([body, "Unrelated text about gardens. Roses bloom in June.", body])
    assert result.duplicate_of == (None, None, 0)


def test_exact_repeats_are_embedded_once():
    text = "The dam broke at noon. Rescue teams arrived."
    parsed = ingest_all([Document(id=f"d{i}", text=text) for i in range(30)])
    sentences = [s for d in parsed for s in d.sentences]
    embedder = HashingEmbedder()
    seen: list[str] = []

    def encode(texts):
        seen.extend(texts)
        return embedder.encode(texts)

    result = deduplicate(sentences, encode, len(parsed), SCORER)
    assert seen == ["The dam broke at noon.", "Rescue teams arrived."]
    assert result.embeddings.shape == (60, embedder.dim)
    assert len(result.clusters) == 2


def test_representative_prefers_a_clean_sentence():
    sentences, result = _run(
        [
            "Ministers agreed the climate deal\nin Paris today.",
            "Ministers agreed the climate deal in Paris today.",
        ]
    )
    (cluster,) = result.clusters
    assert "\n" not in sentences[cluster.representative].text


def _random_unit(n: int, dim: int, rng) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_ivf_search_finds_the_pairs_exact_search_finds(monkeypatch):
    rng = np.random.default_rng(1)
    base = _random_unit(1500, 64, rng)
    # 300 planted near-copies (cosine ~0.95) among otherwise unrelated vectors.
    noisy = base[:300] + 0.2 * _random_unit(300, 64, rng)
    vectors = np.vstack([base, noisy / np.linalg.norm(noisy, axis=1, keepdims=True)])
    exact = set(similar_pairs(vectors, 0.9))
    monkeypatch.setattr(dedup_module, "EXACT_SEARCH_LIMIT", 100)
    approx = set(similar_pairs(vectors, 0.9))
    assert len(exact) >= 300
    assert approx <= exact, "the index must never invent a pair"
    assert len(approx) / len(exact) >= 0.95


def test_ivf_compares_far_fewer_pairs_than_all_pairs(monkeypatch):
    rng = np.random.default_rng(2)
    vectors = _random_unit(20_000, 32, rng)
    compared = 0
    original = dedup_module._pairs_within

    def counting(vecs, ids, threshold):
        nonlocal compared
        compared += len(ids) * len(ids)
        return original(vecs, ids, threshold)

    monkeypatch.setattr(dedup_module, "_pairs_within", counting)
    similar_pairs(vectors, 0.95)
    n = len(vectors)
    # Each vector lands in 3 of √n cells: about 9·n·√n comparisons, not n².
    assert compared < 15 * n**1.5
    assert compared < 0.1 * n**2
