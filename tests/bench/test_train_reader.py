"""bench/train_cross_encoder.py's reader: LoRA on any BERT-like base, read back by the service.

The base is the packaged MiniLM (what the shipped reader loads) and a tiny random MPNet built
here (the architecture ``bench/reader_base.py`` compared it with).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

train_cross_encoder = importlib.import_module("train_cross_encoder")


def _lora_modules(encoder: object) -> list[str]:
    return sorted(
        name.removesuffix(".lora_a")
        for name, _ in encoder.named_parameters()  # type: ignore[attr-defined]
        if name.endswith(".lora_a")
    )


#: The layers the reader's deltas were first listed by, in that order (the shipped reader).
BERT_LAYERS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def test_every_linear_layer_of_minilm_takes_a_delta_that_starts_at_zero() -> None:
    from newsfuse.embed import default_embedding_dir
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    tokenizer, encoder, head, _ = train_cross_encoder.build(4)
    wrapped = _lora_modules(encoder)
    assert {name.split(".", 3)[3] for name in wrapped} == set(BERT_LAYERS)
    assert len(wrapped) == 6 * encoder.config.num_hidden_layers
    # Drawn in the order the layers were first listed by name: a seed gives the same start
    # (and so the same trained reader) as before the wrapping became generic.
    torch.manual_seed(0)
    AutoTokenizer.from_pretrained(default_embedding_dir(), local_files_only=True)
    base = AutoModel.from_pretrained(default_embedding_dir(), local_files_only=True)
    for k, layer in enumerate(base.encoder.layer):
        for name in BERT_LAYERS:
            expected = torch.randn(4, layer.get_submodule(name).in_features) * 0.01
            got = encoder.get_parameter(f"encoder.layer.{k}.{name}.lora_a")
            assert torch.equal(got.detach(), expected), name
    trainable = {n for n, p in encoder.named_parameters() if p.requires_grad}
    assert trainable == {f"{m}.lora_{x}" for m in wrapped for x in "ab"}
    # A fresh delta is zero: the wrapped encoder reads a pair as the base model does.
    plain = AutoModel.from_pretrained(default_embedding_dir(), local_files_only=True).eval()
    batch = tokenizer(["A judge ruled on Thursday."], ["The judge ruled."], return_tensors="pt")
    with torch.no_grad():
        a = encoder.eval()(**batch).last_hidden_state
        b = plain(**batch).last_hidden_state
    assert torch.allclose(a, b, atol=1e-5)


def test_a_saved_reader_is_merged_by_module_name_and_reads_as_it_was_trained(
    tmp_path: Path,
) -> None:
    from newsfuse.embed import default_embedding_dir
    from newsfuse.support import CrossEncoder
    from transformers import AutoModel

    torch.manual_seed(1)
    model = train_cross_encoder.build(4)
    _, encoder, head, _ = model
    with torch.no_grad():  # a trained-looking delta: non-zero in every layer
        for name, parameter in encoder.named_parameters():
            if name.endswith(".lora_b"):
                parameter.normal_(0, 0.3)
        head.weight.normal_(0, 0.5)
    encoder.eval()
    path = tmp_path / "reader.safetensors"
    train_cross_encoder.save(model, path, {"base": "all-MiniLM-L6-v2", "rank": "4"})
    pairs = [
        {"claim": "Putin was elected with 52.94 percent.", "source": "Putin won 53 percent."},
        {"claim": "The summit was called off.", "source": "Officials cancelled the summit."},
    ]
    for pair in pairs:
        pair["positive"] = True  # read by the training batcher, unused when scoring
    trained = train_cross_encoder.logits_of(model, pairs, 96, bf16=False)
    reader = CrossEncoder(path, dtype="float32")
    served = reader.logits([p["claim"] for p in pairs], [p["source"] for p in pairs])
    # Without the deltas (the base model under the same head) the logits are far off: what
    # matches below is the merge, not the head alone.
    base = AutoModel.from_pretrained(default_embedding_dir(), local_files_only=True).eval()
    unmerged = train_cross_encoder.logits_of(
        (reader.tokenizer, base, head, 0.0), pairs, 96, bf16=False
    )
    # The file holds the deltas in float16: the logits agree to that precision.
    assert np.abs(served - trained).max() < 0.01, (served, trained)
    assert np.abs(unmerged - trained).max() > 0.5, (unmerged, trained)


def test_an_mpnet_base_takes_a_delta_on_each_of_its_linear_layers(tmp_path: Path) -> None:
    from newsfuse.embed import default_embedding_dir
    from transformers import AutoTokenizer, MPNetConfig, MPNetModel

    config = MPNetConfig(
        vocab_size=30527,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )
    MPNetModel(config).save_pretrained(tmp_path)
    # Any tokenizer will do for building: the packaged WordPiece one.
    AutoTokenizer.from_pretrained(default_embedding_dir(), local_files_only=True).save_pretrained(
        tmp_path
    )
    torch.manual_seed(0)
    _, encoder, head, _ = train_cross_encoder.build(4, tmp_path)
    per_layer = {name.split(".", 3)[3] for name in _lora_modules(encoder)}
    assert per_layer == {
        "attention.attn.q",
        "attention.attn.k",
        "attention.attn.v",
        "attention.attn.o",
        "intermediate.dense",
        "output.dense",
    }
    assert len(_lora_modules(encoder)) == 6 * config.num_hidden_layers
    assert head.in_features == 32
    ids = torch.tensor([[0, 5, 6, 7, 2]])
    logits = train_cross_encoder._forward(
        encoder, head, {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    )
    logits.sum().backward()
    grads = [p.grad for n, p in encoder.named_parameters() if n.endswith(".lora_a")]
    assert all(g is not None for g in grads)
