"""The MiniLM embedder: a text's vector never depends on what it is batched with."""

from __future__ import annotations

import numpy as np
from newsfuse.ingest import ingest_all
from newsfuse.types import Document


def test_embeddings_do_not_depend_on_batch_mates(minilm, example_paths) -> None:
    """Alone, among other clusters' sentences, in chunks: bitwise the same vectors.

    This is what lets ``newsfuse batch`` and a busy server (whose batchers merge the sentences
    of many requests) give exactly the summary a cluster gets on its own.
    """
    documents = [Document(p.name, p.read_text(encoding="utf-8")) for p in example_paths]
    parsed = ingest_all(documents, max_sentence_chars=2000)
    sentences = [s.text for doc in parsed for s in doc.sentences]
    mine, others = sentences[:40], sentences[40:]
    alone = minilm.encode(mine)
    mixed = minilm.encode(others[:25] + mine + others[25:])[25 : 25 + len(mine)]
    chunked = np.concatenate([minilm.encode(mine[i : i + 7]) for i in range(0, len(mine), 7)])
    assert np.array_equal(alone, mixed)
    assert np.array_equal(alone, chunked)
    assert np.allclose(np.linalg.norm(alone, axis=1), 1.0, atol=1e-5)
