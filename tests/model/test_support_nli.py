"""An optional NLI / cross-encoder checkpoint as the support model: real loading, tiny random."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from newsfuse.embed import HashingEmbedder, default_embedding_dir
from newsfuse.errors import ModelLoadError
from newsfuse.pipeline import Pipeline
from newsfuse.settings import Settings
from newsfuse.support import Evidence, NliBackend, SupportScorer
from newsfuse.types import Document, SummaryOptions


def build_nli(directory: Path, labels: dict[int, str]) -> Path:
    """A tiny random BERT sequence classifier with the given labels, saved like a checkpoint."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(default_embedding_dir(), local_files_only=True)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=512,
        num_labels=len(labels),
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    BertForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def nli_dir(tmp_path_factory) -> Path:
    labels = {0: "contradiction", 1: "neutral", 2: "entailment"}
    return build_nli(tmp_path_factory.mktemp("tiny-nli"), labels)


def test_entailment_probabilities_come_from_the_checkpoint(nli_dir):
    backend = NliBackend(nli_dir)
    assert backend.entailment == 2
    p = backend.entailment_probability(["The dam broke.", "Rain fell."], ["A dam broke.", "Sun."])
    assert p.shape == (2,) and np.all((p > 0) & (p < 1))


def test_an_nli_scorer_replaces_the_model_but_keeps_the_vetoes(nli_dir):
    scorer = SupportScorer(nli=NliBackend(nli_dir))
    assert scorer.name == "nli:tiny-nli0"
    texts = [
        "The quake killed 600 people in western Turkey.",
        "The quake killed 600 people in western Turkey, officials said.",
        "The quake killed 1,200 people in western Turkey.",
    ]
    evidence = Evidence.build(texts, HashingEmbedder().encode(texts))
    p = scorer.support(evidence, [0, 0], [1, 2])
    expected = NliBackend(nli_dir).entailment_probability([texts[1]], [texts[0]])[0]
    assert p[0] == pytest.approx(expected, rel=1e-5)
    assert p[1] <= 0.01  # a different number vetoes whatever the checkpoint says


def test_the_pipeline_loads_it_from_the_setting(nli_dir):
    pipeline = Pipeline.load(Settings(support_model=str(nli_dir), device="cpu"))
    assert pipeline.scorer.name.startswith("nli:")
    docs = [Document(id="a", text="The dam broke at noon. Rescue teams arrived.")]
    summary = pipeline.summarize(docs, SummaryOptions(max_words=20))
    assert summary.sentences and all(s.citations for s in summary.sentences)


def test_a_checkpoint_without_an_entailment_label_is_refused(tmp_path):
    directory = build_nli(tmp_path / "sentiment", {0: "negative", 1: "positive"})
    with pytest.raises(ModelLoadError, match="no entailment label"):
        NliBackend(directory)


def test_a_directory_that_is_not_a_checkpoint_is_refused(tmp_path):
    (tmp_path / "notes.json").write_text(json.dumps({}))
    with pytest.raises(ModelLoadError, match="no config.json"):
        NliBackend(tmp_path)
