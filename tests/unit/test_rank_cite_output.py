"""Rank, select, cite and the JSON contract, with the torch-free hashing embedder."""

from __future__ import annotations

import datetime as dt
import json

from newsfuse.embed import HashingEmbedder
from newsfuse.output import render_human, summary_to_dict
from newsfuse.pipeline import Pipeline
from newsfuse.settings import Settings
from newsfuse.types import Document, SummaryOptions

STORY = [
    Document(
        id="a.txt",
        date=dt.date(2025, 1, 1),
        text=(
            "The city council approved a new transit plan on Monday. "
            "The plan adds twelve bus lines across the northern districts. "
            "Critics said the plan ignores cyclists. "
            "The mayor's cat was seen on the balcony."
        ),
    ),
    Document(
        id="b.txt",
        date=dt.date(2025, 1, 2),
        text=(
            "The city council approved a new transit plan on Monday. "
            "Twelve new bus lines will serve the northern districts. "
            "Construction starts in March."
        ),
    ),
    Document(
        id="c.txt",
        date=dt.date(2025, 1, 5),
        text=(
            "A court suspended the transit plan on Friday after a lawsuit. "
            "The city council approved a new transit plan on Monday."
        ),
    ),
]


def _pipeline(**overrides) -> Pipeline:
    return Pipeline(Settings(**overrides), HashingEmbedder())


def test_fact_carried_by_every_source_ranks_first_and_cites_all():
    ctx = _pipeline().prepare(STORY, SummaryOptions(max_words=200))
    top = ctx.ranked[0]
    assert top.support == 3
    assert "approved a new transit plan" in ctx.sentences[top.cluster.representative].text


def test_word_and_sentence_budgets_hold():
    p = _pipeline()
    for max_words in (8, 15, 30, 60):
        summary = p.summarize(STORY, SummaryOptions(max_words=max_words))
        assert sum(len(s.text.split()) for s in summary.sentences) <= max_words
        assert summary.sentences
    summary = p.summarize(STORY, SummaryOptions(max_words=None, max_sentences=2))
    assert len(summary.sentences) == 2


def test_budget_smaller_than_any_sentence_still_gives_a_cut_cited_sentence():
    summary = _pipeline().summarize(STORY, SummaryOptions(max_words=3))
    (only,) = summary.sentences
    assert len(only.text.split()) == 3
    assert only.citations


def test_every_sentence_is_cited_with_valid_spans_and_order_follows_dates():
    summary = _pipeline().summarize(STORY, SummaryOptions(max_words=200))
    texts = {d.id: d.text for d in STORY}
    for sentence in summary.sentences:
        assert sentence.citations
        first = sentence.citations[0]
        assert " ".join(texts[first.document_id][first.start : first.end].split()) == sentence.text
        for c in sentence.citations:
            assert 0 <= c.start < c.end <= len(texts[c.document_id])
            assert 0.0 <= c.score <= 1.0
    lead = summary.sentences[0]
    assert {c.document_id for c in lead.citations} == {"a.txt", "b.txt", "c.txt"}
    assert "court suspended" in summary.sentences[-1].text


def test_json_contract_shape():
    summary = _pipeline().summarize(STORY, SummaryOptions(max_words=60))
    data = json.loads(json.dumps(summary_to_dict(summary)))
    assert set(data) >= {"summary", "sentences", "documents", "duplicates", "stats", "conflicts"}
    assert "[1][2][3]" in data["summary"]
    for s in data["sentences"]:
        assert set(s) >= {"text", "citations", "conflicts", "dates"}
        for c in s["citations"]:
            assert set(c) >= {"document", "sentence", "start", "end", "score"}
            assert isinstance(c["sentence"], int) and isinstance(c["score"], float)
    assert data["documents"][0] == {
        "id": "a.txt",
        "title": None,
        "date": "2025-01-01",
        "date_inferred": False,
        "seen": False,
        "duplicate_of": None,
    }
    assert data["duplicates"] and all(len(g) >= 2 for g in data["duplicates"])
    stats = data["stats"]
    assert stats["model"] == "extractive"
    assert stats["documents"] == 3
    assert stats["sentences_in"] == 9
    assert stats["sentences_after_dedup"] < stats["sentences_in"]
    assert stats["seconds"] >= 0
    human = render_human(summary)
    assert "Sources:" in human and "[3] c.txt" in human


def test_identical_documents_give_one_summary_citing_all():
    docs = [Document(id=f"copy{i}", text=STORY[0].text) for i in range(20)]
    summary = _pipeline().summarize(docs, SummaryOptions(max_words=100))
    assert summary.stats.duplicate_documents == 19
    cited = {c.document_id for s in summary.sentences for c in s.citations}
    assert cited == {d.id for d in docs}


def test_warmup_works_whatever_the_request_limits():
    _pipeline(max_document_chars=10, max_sentences_per_request=1).warmup()


def test_update_ranking_judges_salience_on_the_new_documents_only():
    # The reader has read a.txt and b.txt; c.txt and d.txt are new.
    new = [
        STORY[2],
        Document(
            id="d.txt",
            date=dt.date(2025, 1, 6),
            text=(
                "A court suspended the transit plan on Friday after a lawsuit. "
                "The mayor said the city would appeal the ruling."
            ),
        ),
    ]
    ctx = _pipeline().prepare(
        new, SummaryOptions(max_words=200, seen_documents=(STORY[0], STORY[1]))
    )
    seen = {i for i, d in enumerate(ctx.documents) if d.document.id in {"a.txt", "b.txt"}}
    assert seen and ctx.ranked
    for fact in ctx.ranked:
        # What a seen article tells is not ranked at all, and seen articles are no source.
        assert not {ctx.sentences[m].doc for m in fact.cluster.members} & seen
        assert fact.support <= 2
    top = ctx.ranked[0]
    assert "court suspended" in ctx.sentences[top.cluster.representative].text
    assert top.support == 2


def test_a_credit_line_or_heading_is_never_a_citation_candidate():
    import numpy as np
    from newsfuse.cite import candidates
    from newsfuse.support import Evidence

    texts = [
        "Trump said the summit with Putin in Budapest was off.",
        "With: Jerry Seinfeld.",
        "TRUMP CALLS OFF BUDAPEST SUMMIT",
        "The planned summit in Budapest will not take place, Trump said.",
    ]
    vectors = np.ones((len(texts), 4), dtype=np.float32) / 2.0  # all alike: only the rule decides
    evidence = Evidence.build(texts, vectors)
    assert candidates(evidence, vectors[0], always=[1], exclude=0) == [3]
