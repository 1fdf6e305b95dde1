"""Tiny random encoder-decoder checkpoints with real tokenizers, built once per session.

No hub is reachable, so the tokenizers are trained here (byte-level BPE for BART/LED, a
Unigram model for T5) on the bundled example articles and wrapped in the transformers
tokenizer classes the real checkpoints use. The models have random weights; they are saved
to temporary directories and every test loads them through ``newsfuse.modeling``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "budapest"

_EXTRA = (
    "The council approved the new budget on Monday after a long debate.",
    "Spending on schools and hospitals will rise by five percent next year.",
    "Officials said the talks would resume in Geneva later this month.",
    "Summarize the following articles about the summit in one paragraph.",
)


def corpus() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.txt"))]
    return texts + list(_EXTRA)


def train_bpe(texts: list[str], vocab_size: int = 1200) -> tuple[dict[str, int], list[tuple]]:
    """A byte-level BPE vocabulary and merges, with BART's special tokens first."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts,
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    )
    model = json.loads(bpe._tokenizer.to_str())["model"]
    return model["vocab"], [tuple(m) for m in model["merges"]]


def train_unigram(texts: list[str], vocab_size: int = 900) -> list[tuple[str, float]]:
    """A Unigram vocabulary (piece, log-probability) with T5's pad/eos/unk first."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    uni = Tokenizer(models.Unigram())
    uni.normalizer = normalizers.NFKC()
    uni.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>"
    )
    uni.train_from_iterator(texts, trainer)
    return [tuple(piece) for piece in json.loads(uni.to_str())["model"]["vocab"]]


def build_bart(directory: Path, *, max_positions: int = 512, seed: int = 0) -> Path:
    import torch
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    vocab, merges = train_bpe(corpus())
    tokenizer = BartTokenizer(vocab=vocab, merges=merges)
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    BartForConditionalGeneration(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_t5(directory: Path, *, seed: int = 0) -> Path:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    tokenizer = T5Tokenizer(vocab=train_unigram(corpus()), extra_ids=0)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=2,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    T5ForConditionalGeneration(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_led(directory: Path, *, seed: int = 0) -> Path:
    """A PRIMERA-style LED: its tokenizer has the ``<doc-sep>`` token."""
    import torch
    from transformers import LEDConfig, LEDForConditionalGeneration, LEDTokenizer

    vocab, merges = train_bpe(corpus())
    tokenizer = LEDTokenizer(vocab=vocab, merges=merges)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<doc-sep>"]})
    config = LEDConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_encoder_position_embeddings=1024,
        max_decoder_position_embeddings=256,
        attention_window=[16, 16],
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    LEDForConditionalGeneration(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_gpt2(directory: Path) -> Path:
    """A decoder-only model, which newsfuse must refuse."""
    import torch
    from transformers import BartTokenizer, GPT2Config, GPT2LMHeadModel

    vocab, merges = train_bpe(corpus(), vocab_size=400)
    tokenizer = BartTokenizer(vocab=vocab, merges=merges)
    config = GPT2Config(vocab_size=len(tokenizer), n_embd=16, n_layer=1, n_head=2, n_positions=64)
    torch.manual_seed(0)
    GPT2LMHeadModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Directories of tiny random checkpoints: ``bart``, ``t5``, ``led`` and ``gpt2``."""
    root = tmp_path_factory.mktemp("checkpoints")
    return {
        "bart": build_bart(root / "tiny-bart"),
        "t5": build_t5(root / "tiny-t5"),
        "led": build_led(root / "tiny-primera"),
        "gpt2": build_gpt2(root / "tiny-gpt2"),
    }


@pytest.fixture(scope="session")
def embedder():
    """The lexical stand-in embedder: fast, deterministic, no weights."""
    from newsfuse.embed import HashingEmbedder

    return HashingEmbedder()


@pytest.fixture(scope="session")
def example_files() -> list[Path]:
    """The bundled example cluster (real articles with web boilerplate)."""
    return sorted(EXAMPLES.glob("*.txt"))


@pytest.fixture(scope="session")
def example_documents():
    from newsfuse.types import Document

    return [
        Document(id=p.name, text=p.read_text(encoding="utf-8"))
        for p in sorted(EXAMPLES.glob("*.txt"))
    ]
