"""Dedup: collapse repeated reporting into fact clusters.

Three passes, each on what the previous one left, so the costly ones see few sentences:

1. exact — the same words after case folding and punctuation removal (a hash);
2. near-duplicate — MinHash LSH over word 3-shingles (``datasketch``), verified Jaccard;
3. paraphrase — cosine of sentence embeddings: exact all-pairs in blocks for small inputs,
   an inverted-file index (spherical k-means cells, several probed per vector) above that,
   so the cost grows about as n·√n rather than n².

Whole duplicate documents (syndicated copies) are found from the clusters they share.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

from newsfuse.types import FactCluster, Sentence

_LOGGER = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)
_NUM_PERM = 64
#: Above this many vectors the paraphrase search switches from exact to the IVF index.
EXACT_SEARCH_LIMIT = 4096
_BLOCK = 1024
#: Share of a document's facts that another document must also carry to make it a copy.
_DUPLICATE_DOCUMENT_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class DedupResult:
    """Fact clusters (in order of first appearance) and duplicate-document links."""

    clusters: tuple[FactCluster, ...]
    duplicate_of: tuple[int | None, ...]
    """Per document: the index of the earlier document it copies, or ``None``."""
    embeddings: np.ndarray
    """One unit-length row per sentence (exact repeats share their first copy's row)."""


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller index stays the root: clusters are named by their first sentence.
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def normalise(text: str) -> str:
    """Case-folded words joined by single spaces: the key of the exact pass."""
    return " ".join(_WORD.findall(text.casefold()))


def _shingles(words: list[str], k: int = 3) -> list[bytes]:
    if len(words) < k:
        return [" ".join(words).encode("utf-8", "surrogatepass")]
    return [
        " ".join(words[i : i + k]).encode("utf-8", "surrogatepass")
        for i in range(len(words) - k + 1)
    ]


def near_duplicate_pairs(texts: Sequence[str], threshold: float) -> list[tuple[int, int]]:
    """Pairs of texts whose word 3-shingle sets have estimated Jaccard >= ``threshold``."""
    words = [normalise(t).split() for t in texts]
    usable = [i for i, w in enumerate(words) if w]
    if len(usable) < 2:
        return []
    hashes = dict(
        zip(
            usable,
            MinHash.bulk([_shingles(words[i]) for i in usable], num_perm=_NUM_PERM),
            strict=True,
        )
    )
    lsh = MinHashLSH(threshold=threshold, num_perm=_NUM_PERM)
    for key, mh in hashes.items():
        lsh.insert(key, mh)
    pairs = []
    for key, mh in hashes.items():
        for other in lsh.query(mh):
            if other > key and mh.jaccard(hashes[other]) >= threshold:
                pairs.append((key, other))
    return pairs


def similar_pairs(vectors: np.ndarray, threshold: float, *, seed: int = 0) -> list[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, of unit vectors with cosine >= ``threshold``.

    Exact for up to ``EXACT_SEARCH_LIMIT`` vectors; above that an IVF search that compares
    each vector only with the members of its nearest cells (high recall, not exact).
    """
    n = len(vectors)
    if n < 2:
        return []
    if n <= EXACT_SEARCH_LIMIT:
        return _pairs_within(vectors, np.arange(n), threshold)
    return _ivf_pairs(vectors, threshold, seed=seed)


def _pairs_within(vectors: np.ndarray, ids: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    sub = vectors[ids]
    for lo in range(0, len(ids), _BLOCK):
        sims = sub[lo : lo + _BLOCK] @ sub.T
        rows, cols = np.nonzero(sims >= threshold)
        keep = cols > rows + lo
        for r, c in zip(rows[keep], cols[keep], strict=True):
            pairs.append((int(ids[r + lo]), int(ids[c])))
    return pairs


def _ivf_pairs(vectors: np.ndarray, threshold: float, *, seed: int) -> list[tuple[int, int]]:
    n = len(vectors)
    rng = np.random.default_rng(seed)
    cells = max(2, int(math.sqrt(n)))
    probes = 3
    sample = vectors[rng.choice(n, size=min(n, 50 * cells), replace=False)]
    centroids = sample[rng.choice(len(sample), size=cells, replace=False)].copy()
    for _ in range(8):  # spherical k-means
        assign = np.argmax(sample @ centroids.T, axis=1)
        for c in range(cells):
            members = sample[assign == c]
            if len(members):
                mean = members.sum(0)
                centroids[c] = mean / max(np.linalg.norm(mean), 1e-12)
    membership: dict[int, list[int]] = defaultdict(list)
    for lo in range(0, n, _BLOCK):
        sims = vectors[lo : lo + _BLOCK] @ centroids.T
        top = np.argpartition(-sims, kth=min(probes, cells) - 1, axis=1)[:, :probes]
        for r, row in enumerate(top):
            for c in row:
                membership[int(c)].append(lo + r)
    found: set[tuple[int, int]] = set()
    for ids in membership.values():
        found.update(_pairs_within(vectors, np.asarray(sorted(ids)), threshold))
    return sorted(found)


def deduplicate(
    sentences: Sequence[Sentence],
    encode: Callable[[Sequence[str]], np.ndarray],
    n_documents: int,
    *,
    near_duplicate_threshold: float = 0.6,
    paraphrase_threshold: float = 0.8,
) -> DedupResult:
    """Group sentences that report the same fact; find documents that copy another.

    ``encode`` embeds texts (``Embedder.encode``); it is called once, on the sentences left
    after the exact pass, so repeated reporting costs no model time.
    """
    n = len(sentences)
    uf = _UnionFind(n)
    first_by_key: dict[str, int] = {}
    for i, sentence in enumerate(sentences):
        key = normalise(sentence.text)
        if key in first_by_key:
            uf.union(first_by_key[key], i)
        else:
            first_by_key[key] = i
    exact = sorted(first_by_key.values())
    embeddings = _embed_unique(sentences, exact, uf, encode)
    for a, b in near_duplicate_pairs([sentences[i].text for i in exact], near_duplicate_threshold):
        uf.union(exact[a], exact[b])
    roots = sorted({uf.find(i) for i in range(n)})
    for a, b in similar_pairs(embeddings[roots], paraphrase_threshold):
        uf.union(roots[a], roots[b])

    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[uf.find(i)].append(i)
    ordered = sorted(groups.values(), key=lambda members: members[0])
    clusters = tuple(
        FactCluster(
            id=cid,
            members=tuple(members),
            documents=tuple(sorted({sentences[i].doc for i in members})),
            representative=choose_representative(members, sentences, embeddings),
        )
        for cid, members in enumerate(ordered)
    )
    duplicate_of = _duplicate_documents(clusters, sentences, n_documents)
    _LOGGER.debug("dedup: %d sentences -> %d facts", n, len(clusters))
    return DedupResult(clusters=clusters, duplicate_of=duplicate_of, embeddings=embeddings)


def _embed_unique(
    sentences: Sequence[Sentence],
    unique: Sequence[int],
    uf: _UnionFind,
    encode: Callable[[Sequence[str]], np.ndarray],
) -> np.ndarray:
    """Embed each distinct sentence once; exact repeats get their first copy's vector."""
    vectors = encode([sentences[i].text for i in unique])
    if not len(sentences):
        return np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0), dtype=np.float32)
    row_of = {root: row for row, root in enumerate(unique)}
    return vectors[[row_of[uf.find(i)] for i in range(len(sentences))]]


def choose_representative(
    members: Sequence[int], sentences: Sequence[Sentence], embeddings: np.ndarray
) -> int:
    """The member that best stands for the cluster: central, clean, of readable length."""
    if len(members) == 1:
        return members[0]
    vecs = embeddings[list(members)]
    centrality = (vecs @ vecs.mean(0)).tolist()
    best, best_score = members[0], -math.inf
    for i, member in enumerate(members):
        text = sentences[member].text
        words = len(_WORD.findall(text))
        score = centrality[i]
        score -= 0.1 * ("\n" in text)  # hard-wrapped source: the span is less readable
        score -= 0.2 * (words < 8) + 0.1 * (words > 45)
        score -= 0.01 * min(sentences[member].index, 10)
        if score > best_score:
            best, best_score = member, score
    return best


def _duplicate_documents(
    clusters: Sequence[FactCluster], sentences: Sequence[Sentence], n_documents: int
) -> tuple[int | None, ...]:
    facts_per_doc = Counter()
    shared: Counter[tuple[int, int]] = Counter()
    for cluster in clusters:
        docs = cluster.documents
        facts_per_doc.update(docs)
        for i, a in enumerate(docs):
            for b in docs[i + 1 :]:
                shared[(a, b)] += 1
    duplicate_of: list[int | None] = [None] * n_documents
    for (a, b), count in sorted(shared.items()):
        if duplicate_of[b] is not None or duplicate_of[a] is not None:
            continue
        smaller, larger = sorted((facts_per_doc[a], facts_per_doc[b]))
        if count >= _DUPLICATE_DOCUMENT_SHARE * larger and smaller > 0:
            duplicate_of[b] = a
    return tuple(duplicate_of)
