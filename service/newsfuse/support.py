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

import json
import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
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
class SupportModel:
    """Logistic weights over ``FEATURES`` and the decision thresholds chosen at calibration."""

    weights: tuple[float, ...]
    bias: float
    thresholds: Thresholds = Thresholds()
    meta: Mapping[str, Any] = field(default_factory=dict)

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
        return cls(
            weights=tuple(float(w) for w in data["weights"]),
            bias=float(data["bias"]),
            thresholds=Thresholds(**data.get("thresholds", {})),
            meta=dict(data.get("meta", {})),
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
        try:
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


class SupportScorer:
    """Scores (claim, source) sentence pairs: the probability that the source states the claim.

    Stateless across requests and thread-safe. ``support`` compares sentences of one request
    (an ``Evidence``); ``support_text`` compares a new sentence (a generated one) with them.
    """

    def __init__(self, model: SupportModel | None = None, nli: NliBackend | None = None) -> None:
        self.model = model or SupportModel.default()
        self.nli = nli
        self.thresholds = self.model.thresholds

    @property
    def name(self) -> str:
        return f"nli:{self.nli.name}" if self.nli is not None else "features"

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
        x = self.features(claims, sources, cosines, idf)
        if self.nli is None:
            p = self.model.probability(x)
        else:
            if claim_texts is None or source_texts is None:
                raise ValueError("an NLI support model needs the texts of the pairs")
            p = self.nli.entailment_probability(source_texts, claim_texts)
        # Contradicting numbers veto support whatever the model says: "killed 12" is not
        # "killed 15", however alike the sentences read.
        contradicted = x[:, FEATURES.index("numbers_contradicted")] > 0
        return np.where(contradicted, np.minimum(p, 0.01), p)

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

    def mutual(self, evidence: Evidence, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
        """For each pair, the smaller of the two directions: both sentences state one claim."""
        if not pairs:
            return np.zeros(0, dtype=np.float64)
        a = [i for i, _ in pairs]
        b = [j for _, j in pairs]
        both = self.support(evidence, a + b, b + a)
        return np.minimum(both[: len(pairs)], both[len(pairs) :])

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
    "Evidence",
    "NliBackend",
    "SupportModel",
    "SupportScorer",
    "Thresholds",
    "idf_weights",
    "pair_features",
    "parse",
]
