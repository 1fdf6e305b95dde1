"""Dedup: collapse repeated reporting into fact clusters whose members all state one claim.

Sentences with the same words (after case folding and punctuation removal) are one fact
outright. For the rest, two cheap searches propose candidate pairs, each on the distinct
sentences only:

1. near-duplicate — MinHash LSH over word 3-shingles (``datasketch``), verified Jaccard;
2. paraphrase — cosine of sentence embeddings: exact all-pairs in blocks for small inputs,
   an inverted-file index (spherical k-means cells, several probed per vector) above that,
   so the cost grows about as n·√n rather than n².

The support scorer (``support.py``) then decides each candidate: two sentences are the same
fact only when each states the other's claim — "planned" vs "called off", 12 vs 15 dead,
and a sentence that merely shares the topic are different facts. Clusters are stars around
a representative: every member is linked to the representative itself, never only through
another member, so A≈B and B≈C do not put A and C together unless both state B's claim.

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

from newsfuse.support import Evidence, SupportScorer
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
    evidence: Evidence
    """The sentences as the support scorer compares them (texts, parsed parts, vectors)."""
    candidate_pairs: int = 0
    """Pairs of distinct sentences the scorer was asked about."""


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
    scorer: SupportScorer,
    *,
    near_duplicate_threshold: float = 0.6,
    candidate_threshold: float = 0.6,
) -> DedupResult:
    """Group sentences that state the same claim; find documents that copy another.

    ``encode`` embeds texts (``Embedder.encode``); it is called once, on the distinct
    sentences, so repeated reporting costs no model time. Pairs of distinct sentences with
    MinHash Jaccard ≥ ``near_duplicate_threshold`` or cosine ≥ ``candidate_threshold`` are
    candidates; ``scorer`` decides which of them state one claim.
    """
    n = len(sentences)
    root_of = list(range(n))
    first_by_key: dict[str, int] = {}
    for i, sentence in enumerate(sentences):
        key = normalise(sentence.text)
        if key in first_by_key:
            root_of[i] = first_by_key[key]
        else:
            first_by_key[key] = i
    roots = sorted(first_by_key.values())
    vectors = encode([sentences[i].text for i in roots])
    if n == 0:
        embeddings = np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0), np.float32)
    else:
        row_of = {root: row for row, root in enumerate(roots)}
        embeddings = vectors[[row_of[root_of[i]] for i in range(n)]]
    evidence = Evidence.build([s.text for s in sentences], embeddings)

    candidates = {
        (roots[a], roots[b])
        for a, b in near_duplicate_pairs(
            [sentences[i].text for i in roots], near_duplicate_threshold
        )
    }
    candidates.update((roots[a], roots[b]) for a, b in similar_pairs(vectors, candidate_threshold))
    pairs = sorted(candidates)
    scores = scorer.mutual(evidence, pairs, at_least=scorer.thresholds.same_fact)
    linked: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for (a, b), score in zip(pairs, scores.tolist(), strict=True):
        if score >= scorer.thresholds.same_fact:
            linked[a].append((score, b))
            linked[b].append((score, a))
    copies: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        copies[root_of[i]].append(i)
    centers = _stars(roots, linked, copies, sentences, embeddings)
    clusters = tuple(
        FactCluster(
            id=cid,
            members=tuple(members),
            documents=tuple(sorted({sentences[i].doc for i in members})),
            representative=center,
        )
        for cid, (center, members) in enumerate(sorted(centers.items(), key=lambda kv: kv[1][0]))
    )
    duplicate_of = _duplicate_documents(clusters, sentences, n_documents)
    _LOGGER.debug(
        "dedup: %d sentences, %d distinct, %d candidate pairs -> %d facts",
        n,
        len(roots),
        len(pairs),
        len(clusters),
    )
    return DedupResult(
        clusters=clusters,
        duplicate_of=duplicate_of,
        embeddings=embeddings,
        evidence=evidence,
        candidate_pairs=len(pairs),
    )


def _stars(
    roots: Sequence[int],
    linked: dict[int, list[tuple[float, int]]],
    copies: dict[int, list[int]],
    sentences: Sequence[Sentence],
    embeddings: np.ndarray,
) -> dict[int, list[int]]:
    """Clusters as stars: each center with the unassigned sentences linked to it directly.

    Centers are taken in order of how many sentences state the same claim as they do (the
    claim most outlets share first), ties by how well the sentence reads as a summary
    sentence; a sentence linked to two centers joins the first.
    """
    weight = {r: len(copies[r]) + sum(len(copies[b]) for _, b in linked.get(r, ())) for r in roots}
    quality = {r: _readability(r, sentences) for r in roots}
    order = sorted(roots, key=lambda r: (-weight[r], -quality[r], r))
    assigned: set[int] = set()
    stars: dict[int, list[int]] = {}
    for center in order:
        if center in assigned:
            continue
        group = [center] + [b for _, b in sorted(linked.get(center, ()), reverse=True)]
        group = [g for g in dict.fromkeys(group) if g not in assigned]
        assigned.update(group)
        members = sorted(m for g in group for m in copies[g])
        allowed = set(copies[center])
        best = choose_representative(members, sentences, embeddings, allowed=allowed)
        stars[best] = members
    return stars


def _readability(i: int, sentences: Sequence[Sentence]) -> float:
    text = sentences[i].text
    words = len(_WORD.findall(text))
    return -(0.1 * ("\n" in text) + 0.2 * (words < 8) + 0.1 * (words > 45)) - 0.01 * min(
        sentences[i].index, 10
    )


def choose_representative(
    members: Sequence[int],
    sentences: Sequence[Sentence],
    embeddings: np.ndarray,
    allowed: set[int] | None = None,
) -> int:
    """The member that best stands for the cluster: central, clean, of readable length.

    ``allowed`` limits the choice (a star's center and the exact copies of it: the only
    members every other member is known to state the same claim as).
    """
    if len(members) == 1:
        return members[0]
    vecs = embeddings[list(members)]
    centrality = (vecs @ vecs.mean(0)).tolist()
    best, best_score = members[0], -math.inf
    for i, member in enumerate(members):
        if allowed is not None and member not in allowed:
            continue
        # A hard-wrapped source span reads less well; fragments and run-ons too.
        score = centrality[i] + _readability(member, sentences)
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
