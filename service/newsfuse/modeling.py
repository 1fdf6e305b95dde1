"""Loading a local Hugging Face encoder-decoder checkpoint for seq2seq fusion.

A model is a directory in Hugging Face format (``config.json``, tokenizer files, weights).
It is loaded once with the Auto classes and ``local_files_only=True`` — never from a hub.
``inspect_checkpoint`` checks the directory without torch; ``load_model`` loads it onto the
chosen device and describes the conventions of its family (task prefix, document separator,
maximum input length).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsfuse.errors import ModelLoadError
from newsfuse.settings import CPU_DTYPES

_LOGGER = logging.getLogger(__name__)


class _ProgressBars:
    """Turns transformers' progress bars off while newsfuse loads models, then back on.

    transformers draws a "Loading weights" bar on stderr for every ``from_pretrained``: noise
    in a library's user's terminal or logs. Its switch is process-wide, so newsfuse flips it
    only for the duration of its own loading (nested and concurrent loads counted) and then
    restores what the caller had chosen.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._were_on = False

    @contextlib.contextmanager
    def off(self) -> Iterator[None]:
        from transformers.utils import logging as hf_logging

        with self._lock:
            if self._depth == 0:
                self._were_on = hf_logging.is_progress_bar_enabled()
                hf_logging.disable_progress_bar()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._were_on:
                    hf_logging.enable_progress_bar()


no_progress_bars = _ProgressBars().off
"""``with no_progress_bars(): ...`` loads models without transformers' progress bars."""

EXPECTED = (
    "a local Hugging Face encoder-decoder (seq2seq) checkpoint such as BART, distilBART, "
    "PEGASUS, T5/Flan-T5 or LED/PRIMERA: config.json, tokenizer files and weights "
    "(*.safetensors or pytorch_model.bin)"
)

# config.model_type -> the family whose input conventions newsfuse applies.
FAMILIES: dict[str, str] = {
    "bart": "bart",
    "mbart": "bart",
    "mvp": "bart",
    "pegasus": "pegasus",
    "pegasus_x": "pegasus",
    "bigbird_pegasus": "pegasus",
    "t5": "t5",
    "mt5": "t5",
    "umt5": "t5",
    "longt5": "t5",
    "led": "led",
}

DOC_SEP = "<doc-sep>"
"""The document separator of PRIMERA (an LED whose tokenizer has this token)."""

_TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.json",
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
)
_WEIGHT_GLOBS = ("*.safetensors", "pytorch_model*.bin", "*.safetensors.index.json")
# T5 was trained on 512-token inputs; its relative positions set no hard limit.
_T5_DEFAULT_MAX_INPUT = 512
_SANE_TOKENIZER_LIMIT = 1_000_000


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    """What ``config.json`` says about a checkpoint directory."""

    path: Path
    model_type: str
    family: str
    config: dict[str, Any]

    @property
    def label(self) -> str:
        """``"<directory name> (<family>)"`` — how summaries name the model."""
        return f"{self.path.name} ({self.family})"


@dataclass(frozen=True, slots=True)
class Seq2SeqModel:
    """A loaded checkpoint and the input conventions of its family."""

    path: Path
    family: str
    model: Any
    tokenizer: Any
    device: str
    dtype: str
    """``float32``, ``bfloat16``, ``float16``, or ``int8`` (dynamically quantized linears)."""
    max_input_tokens: int
    """Longest encoder input (special tokens included) the model takes."""
    max_output_tokens: int | None
    """Longest decoder output (learned decoder positions), ``None`` when unbounded."""
    prefix: str
    """Task prefix put before the input (``"summarize: "`` for T5)."""
    doc_sep_id: int | None
    """Token put after each document's facts (PRIMERA's ``<doc-sep>``), or ``None``."""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def label(self) -> str:
        """``"<directory name> (<family>)"`` — how summaries name the model."""
        return f"{self.path.name} ({self.family})"


def inspect_checkpoint(path: str | Path) -> CheckpointInfo:
    """Check that ``path`` looks like a usable encoder-decoder checkpoint, without loading it.

    Raises:
        ModelLoadError: naming the directory and what was expected, when the directory is
            missing, has no or an unreadable ``config.json``, holds a decoder-only or
            encoder-only model, or lacks tokenizer files or weights.
    """
    directory = Path(path).expanduser()
    if not directory.exists():
        raise ModelLoadError(f"model directory {directory} does not exist; expected {EXPECTED}")
    if not directory.is_dir():
        raise ModelLoadError(f"model path {directory} is not a directory; expected {EXPECTED}")
    config_file = directory / "config.json"
    if not config_file.is_file():
        raise ModelLoadError(f"model directory {directory} has no config.json; expected {EXPECTED}")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(
            f"model directory {directory} has a broken config.json ({exc}); expected {EXPECTED}"
        ) from None
    if not isinstance(config, dict) or not isinstance(config.get("model_type"), str):
        raise ModelLoadError(
            f"model directory {directory}: config.json has no model_type; expected {EXPECTED}"
        )
    model_type = config["model_type"]
    if not _is_encoder_decoder(model_type, config):
        architectures = ", ".join(config.get("architectures") or []) or "unknown architecture"
        raise ModelLoadError(
            f"model directory {directory} holds a {model_type} model ({architectures}), which is "
            f"not an encoder-decoder; newsfuse needs {EXPECTED}. Decoder-only (GPT-style) and "
            "encoder-only (BERT-style) models cannot be used for fusion"
        )
    if not any((directory / name).is_file() for name in _TOKENIZER_FILES):
        raise ModelLoadError(
            f"model directory {directory} has no tokenizer files (one of "
            f"{', '.join(_TOKENIZER_FILES)}); expected {EXPECTED}"
        )
    if not any(any(directory.glob(pattern)) for pattern in _WEIGHT_GLOBS):
        raise ModelLoadError(
            f"model directory {directory} has no weights (*.safetensors or pytorch_model.bin); "
            f"expected {EXPECTED}"
        )
    family = FAMILIES.get(model_type, "seq2seq")
    return CheckpointInfo(path=directory, model_type=model_type, family=family, config=config)


def _is_encoder_decoder(model_type: str, config: dict[str, Any]) -> bool:
    if model_type in FAMILIES:
        return True
    if config.get("is_encoder_decoder") is True:
        return True
    try:
        from transformers.models.auto.modeling_auto import (
            MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES,
        )
    except ImportError:  # pragma: no cover - very old or very new transformers
        return False
    return model_type in MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES


def select_device(device: str, cpu_dtype: str = "float32") -> tuple[str, Any, bool]:
    """The torch device, the dtype to load in and whether to quantize to int8 afterwards.

    CUDA runs in bf16 (fp16 where bf16 is missing). On CPU ``cpu_dtype`` decides; ``auto``
    means bf16 where the CPU computes it natively (AMX, AVX512-BF16), else fp32.
    """
    import torch

    from newsfuse.embed import resolve_device

    if cpu_dtype not in CPU_DTYPES:
        raise ValueError(
            f"setting seq2seq_cpu_dtype must be one of {', '.join(CPU_DTYPES)}, got {cpu_dtype!r}"
        )
    resolved = resolve_device(device)
    if resolved.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ModelLoadError(f"device {device!r} was asked for but CUDA is not available")
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return resolved, dtype, False
    if cpu_dtype == "auto":
        cpu_dtype = "bfloat16" if native_cpu_bf16() else "float32"
    if cpu_dtype == "bfloat16":
        return resolved, torch.bfloat16, False
    return resolved, torch.float32, cpu_dtype == "int8"


def native_cpu_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices natively (AMX or AVX512-BF16 via oneDNN)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # pragma: no cover - torch without oneDNN
        return False


def load_model(
    path: str | Path,
    *,
    device: str = "auto",
    threads: int = 0,
    cpu_dtype: str = "float32",
    max_input_tokens: int = 0,
) -> Seq2SeqModel:
    """Load a local encoder-decoder checkpoint with the Auto classes, ready for generation.

    Args:
        path: the checkpoint directory.
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
        threads: torch intra-op threads on CPU; 0 keeps torch's default.
        cpu_dtype: ``float32``, ``bfloat16``, ``int8`` (dynamic quantization of the linear
            layers) or ``auto``; CPU only, CUDA always runs in bf16 or fp16.
        max_input_tokens: cap on the encoder input; 0 uses the model's own limit.

    Raises:
        ModelLoadError: naming the directory and what was expected.
    """
    with no_progress_bars():
        return _load_model(path, device, threads, cpu_dtype, max_input_tokens)


def _load_model(
    path: str | Path, device: str, threads: int, cpu_dtype: str, max_input_tokens: int
) -> Seq2SeqModel:
    info = inspect_checkpoint(path)
    directory = info.path
    started = time.perf_counter()
    import torch
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

    resolved, dtype, quantize = select_device(device, cpu_dtype)
    if resolved == "cpu" and threads > 0:
        torch.set_num_threads(threads)
    try:
        config = AutoConfig.from_pretrained(directory, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means the checkpoint is unusable
        raise ModelLoadError(
            f"model directory {directory}: cannot read the configuration ({exc}); "
            f"expected {EXPECTED}"
        ) from exc
    if not getattr(config, "is_encoder_decoder", False):
        raise ModelLoadError(
            f"model directory {directory} holds a {info.model_type} model that is not an "
            f"encoder-decoder; newsfuse needs {EXPECTED}"
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(
            f"model directory {directory}: cannot load the tokenizer ({exc}); expected {EXPECTED}"
        ) from exc
    try:
        model, loading = AutoModelForSeq2SeqLM.from_pretrained(
            directory,
            local_files_only=True,
            dtype=dtype,
            output_loading_info=True,
        )
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(
            f"model directory {directory}: cannot load the weights, the checkpoint looks broken "
            f"or incomplete ({type(exc).__name__}: {exc}); expected {EXPECTED}"
        ) from exc
    missing = sorted(k for k in loading.get("missing_keys") or () if not _benign_missing(k, config))
    mismatched = sorted(str(k) for k in loading.get("mismatched_keys") or ())
    if missing or mismatched:
        # transformers would fill these with random values: a silently useless model.
        shown = ", ".join((missing + mismatched)[:5])
        raise ModelLoadError(
            f"model directory {directory}: the weights do not match config.json "
            f"({len(missing)} missing, {len(mismatched)} of the wrong shape, e.g. {shown}); "
            f"the checkpoint is broken or incomplete; expected {EXPECTED}"
        )
    model.eval()
    if quantize:
        model = quantize_linear_int8(model)
    model.to(resolved)
    limit = _max_input_tokens(info.family, config, tokenizer)
    if max_input_tokens > 0:
        limit = min(limit, max_input_tokens)
    loaded = Seq2SeqModel(
        path=directory,
        family=info.family,
        model=model,
        tokenizer=tokenizer,
        device=resolved,
        dtype="int8" if quantize else str(dtype).removeprefix("torch."),
        max_input_tokens=limit,
        max_output_tokens=_max_output_tokens(info.family, config),
        prefix=_task_prefix(info.family, config),
        doc_sep_id=_doc_sep_id(info.family, tokenizer),
    )
    _LOGGER.info(
        "loaded %s on %s (%s, max input %d tokens, %d threads) in %.2fs",
        loaded.label,
        resolved,
        loaded.dtype,
        limit,
        torch.get_num_threads(),
        time.perf_counter() - started,
    )
    return loaded


# Tensors a checkpoint may lack without harm: computed buffers, zero-initialised biases.
_BENIGN_MISSING = re.compile(r"position_ids|_float_tensor|embed_positions|final_logits_bias")
_TIED = ("lm_head.weight", "embed_tokens.weight")


def _benign_missing(key: str, config: Any) -> bool:
    if _BENIGN_MISSING.search(key):
        return True
    return key.endswith(_TIED) and bool(getattr(config, "tie_word_embeddings", True))


def quantize_linear_int8(model: Any) -> Any:
    """Dynamic int8 quantization of every ``nn.Linear`` (weights int8, activations fp32)."""
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao; it still works here.
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def _sane(value: Any) -> int | None:
    if isinstance(value, int) and 0 < value < _SANE_TOKENIZER_LIMIT:
        return value
    return None


def _max_input_tokens(family: str, config: Any, tokenizer: Any) -> int:
    from_tokenizer = _sane(getattr(tokenizer, "model_max_length", None))
    if family == "led":
        from_config = _sane(getattr(config, "max_encoder_position_embeddings", None))
    elif family == "t5":
        from_config = None
        if from_tokenizer is None:
            from_tokenizer = _T5_DEFAULT_MAX_INPUT
    else:
        from_config = _sane(getattr(config, "max_position_embeddings", None))
    limits = [x for x in (from_config, from_tokenizer) if x is not None]
    return min(limits) if limits else _T5_DEFAULT_MAX_INPUT


def _max_output_tokens(family: str, config: Any) -> int | None:
    if family == "led":
        return _sane(getattr(config, "max_decoder_position_embeddings", None))
    if family == "t5":
        return None
    return _sane(getattr(config, "max_position_embeddings", None))


def _task_prefix(family: str, config: Any) -> str:
    params = getattr(config, "task_specific_params", None) or {}
    prefix = (params.get("summarization") or {}).get("prefix")
    if isinstance(prefix, str) and prefix:
        return prefix
    return "summarize: " if family == "t5" else ""


def _doc_sep_id(family: str, tokenizer: Any) -> int | None:
    if family != "led":
        return None
    token_id = tokenizer.convert_tokens_to_ids(DOC_SEP)
    if token_id is None or token_id == tokenizer.unk_token_id:
        _LOGGER.info("LED tokenizer has no %s token: documents are joined without it", DOC_SEP)
        return None
    return int(token_id)
