"""Fuzzing the pipeline stages with hostile Unicode: never raises, spans hold, output cited."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from newsfuse.embed import HashingEmbedder
from newsfuse.pipeline import Pipeline
from newsfuse.settings import Settings
from newsfuse.types import Document, SummaryOptions

_PIPELINE = Pipeline(Settings(max_sentence_chars=300), HashingEmbedder(dim=128))

_nasty_chars = st.sampled_from(
    ["\x00", "\u202e", "\u200f", "\u200b", "\ufeff", "\u0301", "\u0308", "😀", "👍🏽", "\r", "\t",
     "\n", "\n\n", ".", "?", "!", "。", "…", "---", "**", "<p>", "</p>", "<script>", "&amp;",
     "\x1b[31m", "\u2028", "\ud800"]
)
_words = st.sampled_from(
    ["Budapest", "summit", "the", "Putin", "called", "off", "2025", "Zoë", "naïve", "東京",
     "مرحبا", "שלום", "x" * 80, "U.S.", "Mr.", "e.g."]
)
_fragment = st.one_of(_nasty_chars, _words, st.text(max_size=20), st.just(" "))
_text = st.lists(_fragment, min_size=1, max_size=120).map("".join)


def _check(documents: list[Document], options: SummaryOptions) -> None:
    texts = {d.id: d.text for d in documents}
    summary = _PIPELINE.summarize(documents, options)
    for sentence in summary.sentences:
        assert sentence.citations, "uncited output"
        assert sentence.text.strip()
        for c in sentence.citations:
            assert 0 <= c.start < c.end <= len(texts[c.document_id])
            assert 0.0 <= c.score <= 1.0
    for group in summary.duplicates:
        for member in group:
            assert 0 <= member.start < member.end <= len(texts[member.document_id])
    if options.max_words is not None:
        assert sum(len(s.text.split()) for s in summary.sentences) <= options.max_words
    if options.max_sentences is not None:
        assert len(summary.sentences) <= options.max_sentences


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_text.filter(lambda t: t.strip()), min_size=1, max_size=5),
    st.one_of(st.none(), st.integers(1, 300)),
    st.one_of(st.none(), st.integers(1, 8)),
)
def test_pipeline_survives_hostile_unicode(texts, max_words, max_sentences):
    documents = [Document(id=f"doc-{i}", text=t) for i, t in enumerate(texts)]
    _check(documents, SummaryOptions(max_words=max_words, max_sentences=max_sentences))


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=3000).filter(lambda t: t.strip()))
def test_pipeline_survives_arbitrary_text(text):
    _check([Document(id="only", text=text)], SummaryOptions(max_words=60))


def test_pathological_shapes():
    shapes = {
        "no punctuation": " ".join(["word"] * 5000),
        "one giant sentence": "and " * 12_000 + "end.",
        "numbers only": " ".join(str(i) for i in range(2000)),
        "single word": "Budapest",
        "html": "<html><head><style>p {}</style></head><body><p>Bridge opens.</p>"
        "<script>alert('x. y. z.')</script></body></html>",
        "only boilerplate": "Share and Follow\nYou May Also Like\nSome teaser.",
    }
    for name, text in shapes.items():
        documents = [Document(id=name, text=text)]
        _check(documents, SummaryOptions(max_words=100))
