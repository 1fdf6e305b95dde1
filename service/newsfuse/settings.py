"""Configuration: one frozen ``Settings`` built at start-up and passed down explicitly.

Every field can be set from an environment variable ``NEWSFUSE_<FIELD>`` (upper case) and,
for the command line, from a flag; flags win over the environment, which wins over the
defaults below. Nothing else in newsfuse reads the environment.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CPU_DTYPES = ("float32", "bfloat16", "int8", "auto")
"""Precisions of the seq2seq model on CPU (``seq2seq_cpu_dtype``)."""
EMBED_DTYPES = ("auto", "float32", "bfloat16")
"""Precisions of the MiniLM models (``embed_dtype``)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """All tunables of newsfuse. Defaults suit news clusters on a small CPU machine."""

    # --- models -------------------------------------------------------------------------
    model: str | None = None
    """Directory of a Hugging Face encoder-decoder checkpoint; unset: extractive fusion."""
    device: str = "auto"
    """``auto`` (CUDA when present, else CPU), ``cpu``, ``cuda`` or ``cuda:N``."""
    threads: int = 0
    """torch intra-op threads on CPU; 0 keeps torch's default (one per core)."""
    embed_batch_size: int = 64
    embed_dtype: str = "auto"
    """Precision of the MiniLM models — the sentence embedder and the support scorer's pair
    reader: ``auto`` (bf16 on CPUs that compute it natively — AMX / AVX512-BF16 — and fp16
    on CUDA, else fp32), ``float32`` or ``bfloat16``. bf16 changes pairwise cosines by < 0.01
    on the example cluster, enough to move a decision that sits at a threshold: set
    ``float32`` where summaries must be the same on every machine."""
    embed_cache_mb: int = 32
    """Size of the process' cache of sentence embeddings (LRU, keyed by the sentence text
    with whitespace collapsed), shared by every request; about 1.8 KB a sentence, so 32 MB
    hold some 18,000 sentences. Re-summarizing a cluster embeds only its new sentences.
    0 turns the cache off."""

    # --- pipeline -----------------------------------------------------------------------
    max_words: int = 150
    """Default word budget of a summary when the request gives none."""
    candidate_threshold: float = 0.6
    """Cosine of sentence embeddings at and above which two sentences are *candidates* for
    one fact; the support scorer decides (each must state the other's claim)."""
    near_duplicate_threshold: float = 0.6
    """Estimated Jaccard of word 3-shingles at and above which two sentences are candidates
    for one fact."""
    redundancy_threshold: float = 0.75
    """Cosine above which a candidate summary sentence repeats one already chosen, whatever
    the support scorer says (it also stops a sentence that states a chosen one's claim)."""
    confirm_bonus: float = 0.4
    """Salience a fact gains when other outlets state its claim (as the support scorer
    judges a citation; half for one outlet): 0 ranks facts without asking (docs/bench.md,
    "Confirmed facts first")."""
    support_model: str | None = None
    """Optional directory of a local NLI / cross-encoder checkpoint (Hugging Face
    sequence-classification with an ``entailment`` label): its entailment probability
    replaces the shipped support model's. Unset: the shipped model (features and the pair
    reader, whose 1.3 MB of weights are in the package; nothing to download)."""
    support_reader: bool = True
    """Whether the shipped support model reads candidate pairs with its cross-encoder. Off:
    the features-only model decides, at its own stricter thresholds — several times faster
    per request, and far fewer secondary citations (docs/support.md)."""

    # --- request limits -----------------------------------------------------------------
    max_documents: int = 2000
    max_document_chars: int = 5_000_000
    max_request_chars: int = 20_000_000
    max_sentences_per_request: int = 4000
    """Sentences after ingest. Each distinct sentence costs one MiniLM embedding (about 17 ms
    of CPU): 4,000 keep a request within about a minute on 2 CPU cores; raise it on a GPU."""
    max_sentence_chars: int = 2000
    """Longer sentences are cut into pieces of at most this many characters."""

    # --- server -------------------------------------------------------------------------
    host: str = "0.0.0.0"
    port: int = 50051
    metrics_port: int = 9090
    http_port: int | None = None
    """Port of the HTTP/JSON API and the web page, served beside gRPC by the same process
    (needs the ``http`` extra); unset: no HTTP; 0: any free port."""
    max_batch_size: int = 16
    max_wait_ms: float = 5.0
    max_queue: int = 256
    workers: int = 32
    max_receive_mb: int = 64
    grace_seconds: float = 15.0
    batch_timeout_seconds: float = 300.0
    """Longest one model batch (embedding or generation) may run before its requests fail
    with DEADLINE_EXCEEDED and a fresh worker takes over; 0 means no limit."""
    tls_cert: str | None = None
    tls_key: str | None = None
    auth_token: str | None = None

    # --- seq2seq fusion (issue 3; owned by newsfuse.fuse.seq2seq) ------------------------
    seq2seq_num_beams: int = 4
    """Beam width of generation; 1 is greedy."""
    seq2seq_length_penalty: float = 2.0
    """Above 1 favours longer beams (news summarizers are trained with 2.0)."""
    seq2seq_no_repeat_ngram_size: int = 3
    """No n-gram of this size is generated twice; 0 turns the rule off."""
    seq2seq_min_length_ratio: float = 0.5
    """Minimum generated length as a share of the maximum derived from the word budget."""
    seq2seq_tokens_per_word: float = 1.4
    """Converts the word budget into a maximum number of generated tokens."""
    seq2seq_max_new_tokens: int = 256
    """Hard cap on generated tokens per pass, whatever the word budget."""
    seq2seq_max_input_tokens: int = 0
    """Cap on the encoder input per pass; 0 uses the model's own maximum."""
    seq2seq_fact_tokens: int = 128
    """Token budget of one fact: a longer fact goes in as several pieces (never cut)."""
    seq2seq_input_words_factor: float = 3.0
    """Facts read by the model: the best-ranked ones up to this many times the word budget
    (the extractive selection always included); 0 reads every fact."""
    seq2seq_batch_size: int = 8
    """Most model inputs generated together in one batch."""
    seq2seq_batch_tokens: int = 16384
    """Most input tokens (rows × padded length) in one batch."""
    seq2seq_support_threshold: float = 0.0
    """Support probability below which a generated sentence is dropped; 0 uses the support
    model's calibrated ``ground`` threshold."""
    seq2seq_cpu_dtype: str = "auto"
    """Precision of the seq2seq model on CPU: ``float32``; ``bfloat16`` (fast on CPUs with
    AMX or AVX512-BF16); ``int8`` (dynamic quantization of the linear layers); ``auto``
    (``bfloat16`` where the CPU computes it natively, else ``float32``). CUDA always runs in
    bf16 (or fp16)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``NEWSFUSE_*`` variables, then apply non-``None`` overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            raw = environ.get(f"NEWSFUSE_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, raw, hints[f.name])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Reject values that cannot work, naming the setting."""
        positive = (
            "embed_batch_size",
            "max_words",
            "max_documents",
            "max_document_chars",
            "max_request_chars",
            "max_sentences_per_request",
            "max_sentence_chars",
            "max_batch_size",
            "max_queue",
            "workers",
            "max_receive_mb",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"setting {name} must be at least 1, got {getattr(self, name)}")
        for name in ("candidate_threshold", "near_duplicate_threshold", "redundancy_threshold"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"setting {name} must be in (0, 1], got {value}")
        if self.confirm_bonus < 0:
            raise ValueError(f"setting confirm_bonus must be >= 0, got {self.confirm_bonus}")
        if self.embed_cache_mb < 0:
            raise ValueError(f"setting embed_cache_mb must be >= 0, got {self.embed_cache_mb}")
        if min(self.threads, self.max_wait_ms, self.grace_seconds, self.batch_timeout_seconds) < 0:
            raise ValueError(
                "settings threads, max_wait_ms, grace_seconds and batch_timeout_seconds "
                "must be >= 0"
            )
        for name in ("port", "metrics_port", "http_port"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 65535:
                raise ValueError(f"setting {name} must be a port number 0-65535, got {value}")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("settings tls_cert and tls_key must be given together")
        if self.embed_dtype not in EMBED_DTYPES:
            raise ValueError(
                f"setting embed_dtype must be one of {', '.join(EMBED_DTYPES)}, "
                f"got {self.embed_dtype!r}"
            )
        self._validate_seq2seq()

    def _validate_seq2seq(self) -> None:
        for name in (
            "seq2seq_num_beams",
            "seq2seq_max_new_tokens",
            "seq2seq_fact_tokens",
            "seq2seq_batch_size",
            "seq2seq_batch_tokens",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"setting {name} must be at least 1, got {getattr(self, name)}")
        if self.seq2seq_no_repeat_ngram_size < 0 or self.seq2seq_max_input_tokens < 0:
            raise ValueError(
                "settings seq2seq_no_repeat_ngram_size and seq2seq_max_input_tokens must be >= 0"
            )
        if not 0.0 <= self.seq2seq_min_length_ratio <= 1.0:
            raise ValueError(
                "setting seq2seq_min_length_ratio must be in [0, 1], got "
                f"{self.seq2seq_min_length_ratio}"
            )
        if not 0.0 <= self.seq2seq_support_threshold <= 1.0:
            raise ValueError(
                "setting seq2seq_support_threshold must be in [0, 1], got "
                f"{self.seq2seq_support_threshold}"
            )
        if self.seq2seq_cpu_dtype not in CPU_DTYPES:
            raise ValueError(
                f"setting seq2seq_cpu_dtype must be one of {', '.join(CPU_DTYPES)}, "
                f"got {self.seq2seq_cpu_dtype!r}"
            )
        if self.seq2seq_tokens_per_word <= 0 or self.seq2seq_input_words_factor < 0:
            raise ValueError(
                "setting seq2seq_tokens_per_word must be > 0 and seq2seq_input_words_factor >= 0"
            )


def how_to_raise(name: str) -> str:
    """How an operator raises the limit held by setting ``name``: its flag and variable.

    Every limit has a flag of the same name on ``newsfuse serve`` and ``newsfuse summarize``
    (``--max-documents`` for ``max_documents``); the tests check that they exist.
    """
    return f"raise it with --{name.replace('_', '-')} or NEWSFUSE_{name.upper()}"


def _parse(name: str, raw: str, hint: Any) -> Any:
    origin_args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in origin_args if a is not type(None))
    try:
        if hint is bool:
            lowered = raw.strip().lower()
            if lowered not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(raw)
            return lowered in ("1", "true", "yes")
        return hint(raw)
    except ValueError:
        raise ValueError(
            f"environment variable NEWSFUSE_{name.upper()}={raw!r} is not a valid {hint.__name__}"
        ) from None
