"""The support scorer on hand-written pairs, and dedup built on it (real MiniLM embeddings)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from newsfuse.dedup import deduplicate
from newsfuse.ingest import ingest_all
from newsfuse.support import FEATURES, Evidence, RedundancyHead, SupportModel, SupportScorer
from newsfuse.types import Document


@pytest.fixture(scope="module", params=["features", "features+reader"])
def scorer(request, shipped_scorer) -> SupportScorer:
    """Each rule holds for the features-only model and for the shipped cascade."""
    return SupportScorer() if request.param == "features" else shipped_scorer


def support(scorer, minilm, claim: str, source: str) -> float:
    evidence = Evidence.build([claim, source], minilm.encode([claim, source]))
    return float(scorer.support(evidence, [0], [1])[0])


PARAPHRASE = (
    "An earthquake killed 600 people in western Turkey on Tuesday, officials said.",
    "Officials said 600 people were killed when an earthquake struck western Turkey on Tuesday.",
)


def test_the_shipped_model_matches_the_features():
    model = SupportModel.default()
    assert len(model.weights) == len(FEATURES)
    t = model.thresholds
    assert 0 < t.cite <= 1 and 0 < t.same_fact <= 1 and 0 < t.ground <= 1


def test_the_reader_brings_its_own_thresholds(shipped_scorer):
    model = SupportModel.default()
    assert model.cross_encoder is not None and model.cross_encoder.thresholds is not None
    assert shipped_scorer.reader is not None
    assert shipped_scorer.thresholds == model.cross_encoder.thresholds
    assert SupportScorer(model).thresholds == model.thresholds
    assert SupportScorer.load(reader=False).thresholds == model.thresholds
    assert SupportModel.from_json(model.to_json()) == model


def test_a_paraphrase_supports_its_claim(scorer, minilm):
    # The features-only model is tuned for precision (its cite threshold is near 1): it
    # finds the paraphrase likely; the shipped cascade cites it.
    bar = scorer.thresholds.cite if scorer.reader is not None else 0.8
    assert support(scorer, minilm, *PARAPHRASE) >= bar
    assert support(scorer, minilm, *PARAPHRASE[::-1]) >= bar


def test_an_event_called_off_is_another_fact_than_the_plan(scorer, minilm):
    plan = "Trump said he would meet Putin in Budapest within two weeks to discuss the war."
    off = "Trump said he would not meet Putin in Budapest after all, calling the talks off."
    assert support(scorer, minilm, plan, off) < 0.05
    assert support(scorer, minilm, off, plan) < 0.05


def test_a_different_number_never_supports(scorer, minilm):
    other = PARAPHRASE[1].replace("600", "1,200")
    assert support(scorer, minilm, PARAPHRASE[0], other) < 0.05


def test_a_negation_does_not_support(scorer, minilm):
    claim = "The company said on Monday that it will close the steel plant in Ohio."
    denial = "The company said on Monday that it will not close the steel plant in Ohio."
    assert support(scorer, minilm, claim, denial) < scorer.thresholds.cite


def test_same_topic_other_fact_does_not_support(scorer, minilm):
    claim = PARAPHRASE[0]
    other = "Rescue teams from Israel and Germany arrived in western Turkey on Wednesday."
    assert support(scorer, minilm, claim, other) < scorer.thresholds.cite


def test_a_source_stating_only_part_of_the_claim_does_not_support(scorer, minilm):
    claim = (
        "The report, commissioned after the death of Stephen Lawrence, accused the London "
        "police of institutional racism."
    )
    part = "Stephen Lawrence, 18, was stabbed to death at a bus stop in southeast London in 1993."
    assert support(scorer, minilm, claim, part) < scorer.thresholds.cite


def test_dedup_never_chains_different_claims(scorer, minilm):
    # A and B state one claim, B and C share most words, A and C assert different things:
    # C may only join if it states the representative's claim itself.
    a = "Trump said he would meet Putin in Budapest within two weeks to discuss the war."
    b = "Trump said he would meet Putin in Budapest to discuss the war in Ukraine."
    c = "Trump said he would not meet Putin in Budapest after all, calling the talks off."
    docs = [Document(id=f"d{i}", text=t) for i, t in enumerate([a, b, c])]
    sentences = [s for d in ingest_all(docs) for s in d.sentences]
    result = deduplicate(sentences, minilm.encode, len(docs), scorer)
    for cluster in result.clusters:
        others = [m for m in cluster.members if m != cluster.representative]
        if others:
            pairs = [(cluster.representative, m) for m in others]
            assert (scorer.mutual(result.evidence, pairs) >= scorer.thresholds.same_fact).all()
    together = [cl for cl in result.clusters if {0, 2} <= set(cl.members)]
    assert not together, "the called-off sentence was chained to the plan"


def test_exact_repeats_are_one_fact_whatever_the_scorer(scorer, minilm):
    text = "The dam broke at noon on Sunday. Rescue teams arrived an hour later."
    docs = [Document(id=f"d{i}", text=text) for i in range(3)]
    sentences = [s for d in ingest_all(docs) for s in d.sentences]
    result = deduplicate(sentences, minilm.encode, len(docs), scorer)
    assert sorted(len(c.members) for c in result.clusters) == [3, 3]
    assert result.duplicate_of == (None, 0, 0)


def test_the_reader_gives_a_pair_the_same_logit_whatever_it_is_read_with(shipped_scorer):
    reader = shipped_scorer.reader
    claims = [PARAPHRASE[0], "Trump will meet Putin in Budapest.", PARAPHRASE[1] * 3]
    sources = [PARAPHRASE[1], "Trump and Putin are to meet in the Hungarian capital.", "No."]
    # ``_read`` is the model itself (``logits`` would answer the second time from its cache).
    together = reader._read(claims, sources)
    alone = [reader._read([c], [s])[0] for c, s in zip(claims, sources, strict=True)]
    # Same padding and batch shape, so the same logit up to the rounding of the CPU's kernels:
    # a busy CI machine once read 4.2663708 together and 4.2663713 alone.
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-4)


def test_the_reader_reads_a_pair_once_per_process(shipped_scorer, monkeypatch):
    reader = shipped_scorer.reader
    read: list[int] = []
    model = reader._read
    monkeypatch.setattr(reader, "_read", lambda c, s: (read.append(len(c)), model(c, s))[1])
    claims = ["A pair that no other test reads, first.", "And a second pair, never read."]
    sources = ["Its source sentence.", "Its own source sentence."]
    first = reader.logits(claims, sources)
    again = reader.logits(
        [claims[1], "A third claim.", claims[0]], [sources[1], "Src.", sources[0]]
    )
    assert read == [2, 1]  # only the new pair is read the second time
    assert again[0] == first[1] and again[2] == first[0]


def test_the_reader_can_be_turned_off_for_speed():
    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings

    off = Pipeline.load(Settings.from_env({"NEWSFUSE_SUPPORT_READER": "0"}, device="cpu"))
    assert off.scorer.reader is None
    assert off.scorer.thresholds == SupportModel.default().thresholds
    assert Settings.from_env({}).support_reader is True


def test_the_reader_takes_the_precision_of_the_embedder():
    # One setting pins both MiniLM models, so NEWSFUSE_EMBED_DTYPE=float32 makes summaries the
    # same on a CPU with native bf16 and on one without (a pair at a threshold can move).
    import torch
    from newsfuse.pipeline import Pipeline
    from newsfuse.settings import Settings

    for name, dtype in (("bfloat16", torch.bfloat16), ("float32", torch.float32)):
        pipeline = Pipeline.load(
            Settings.from_env({"NEWSFUSE_EMBED_DTYPE": name}, device="cpu", embed_cache_mb=0)
        )
        assert pipeline.scorer.reader is not None
        assert pipeline.scorer.reader.dtype == dtype
        assert next(pipeline.scorer.reader.model.parameters()).dtype == dtype


# Sentences of the example cluster: the Budapest summit told two ways, and its cancellation.
PLANS = (
    'US President Donald Trump says "great progress" was made during a phone call with Russian '
    "President Vladimir Putin on Thursday, with the pair agreeing to face-to-face talks in "
    "Hungary.",
    "Trump described the conversation as “very productive” and announced plans for a summit "
    "with Putin in Hungary’s capital, Budapest.",
)
CANCELLED = (
    "Donald Trump has canceled a planned meeting with Vladimir Putin in Hungary after a recent "
    "phone conversation between U.S. and Russian negotiators reportedly took a turn for the "
    "worse."
)
OTHER = (
    "The cruise missiles have a range of up to 2,500 km (1,550 miles) and could reach Moscow "
    "and other cities deep inside Russia."
)


def test_the_redundancy_head_finds_one_event_told_twice(shipped_scorer, minilm):
    texts = [*PLANS, CANCELLED, OTHER]
    evidence = Evidence.build(texts, minilm.encode(texts))
    head = shipped_scorer.redundancy
    assert head is not None and head.reader_sha256 == shipped_scorer.reader.sha256
    # Neither plan sentence states all of the other's claim, yet they tell one event.
    assert shipped_scorer.support(evidence, [0, 1], [1, 0]).max() < shipped_scorer.thresholds.cite
    retold, off, other = shipped_scorer.retells(evidence, [0, 0, 0], [1, 2, 3])
    assert retold >= head.threshold
    assert off == 0.0  # planned vs called off: two facts, whatever the head reads
    assert other < head.threshold
    # Symmetric: the order of the two sentences does not matter.
    assert shipped_scorer.retells(evidence, [1], [0])[0] == pytest.approx(retold, abs=1e-6)


def test_the_redundancy_head_needs_its_own_reader(shipped_scorer, caplog):
    head = shipped_scorer.redundancy
    assert head is not None
    assert RedundancyHead.from_json(head.to_json()).to_json() == head.to_json()
    stranger = RedundancyHead.from_json({**head.to_json(), "reader_sha256": "0" * 64})
    with caplog.at_level("WARNING", logger="newsfuse.support"):
        scorer = SupportScorer(
            shipped_scorer.model, reader=shipped_scorer.reader, redundancy=stranger
        )
    assert scorer.redundancy is None and "bench/train_redundancy.py" in caplog.text
    # Without a head (or without the reader) nothing is judged a retelling.
    evidence = Evidence.build(list(PLANS), np.eye(2, dtype=np.float32))
    assert scorer.retells(evidence, [0], [1]).tolist() == [0.0]
    assert SupportScorer().retells(evidence, [0], [1]).tolist() == [0.0]


BOUND_SENTENCES = [
    PARAPHRASE[0],
    PARAPHRASE[1],
    "An earthquake killed 700 people in western Turkey on Tuesday, officials said.",
    "Rescuers pulled survivors from the rubble in western Turkey on Wednesday.",
    "The earthquake in western Turkey on Tuesday killed 600 people and injured thousands.",
    "Trump will meet Putin in Budapest, the White House said.",
    "Trump will not meet Putin in Budapest after all, calling the talks off.",
    "The White House said Trump and Putin will meet in Budapest.",
]


def exact(scorer, evidence, pairs):
    """Both directions of every pair, each read in full."""
    a = [i for i, _ in pairs]
    b = [j for _, j in pairs]
    return scorer.support(evidence, a, b), scorer.support(evidence, b, a)


def record_reads(scorer, monkeypatch) -> list[tuple[str, str]]:
    """The (claim, source) pairs the scorer's reading model is asked about, as they come."""
    read: list[tuple[str, str]] = []
    model = scorer._read_texts
    monkeypatch.setattr(
        scorer, "_read_texts", lambda c, s: (read.extend(zip(c, s, strict=True)), model(c, s))[1]
    )
    return read


def least_prior(scorer, evidence, pairs) -> np.ndarray:
    """The features' probability of each pair's less plausible direction."""
    a, b = [i for i, _ in pairs], [j for _, j in pairs]
    return np.minimum(
        scorer._screen_pairs(evidence, a, b).prior, scorer._screen_pairs(evidence, b, a).prior
    )


def test_mutual_and_either_decide_as_the_exact_minimum_and_maximum(shipped_scorer, minilm):
    evidence = Evidence.build(BOUND_SENTENCES, minilm.encode(BOUND_SENTENCES))
    n = len(BOUND_SENTENCES)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    ab, ba = exact(shipped_scorer, evidence, pairs)
    high = np.maximum(ab, ba)
    # Dedup's screen: a pair the features find implausible either way keeps their score.
    prior = least_prior(shipped_scorer, evidence, pairs)
    screened = prior >= shipped_scorer.model.cross_encoder.mutual_prefilter
    low = np.where(screened, np.minimum(ab, ba), np.minimum(prior, np.minimum(ab, ba)))
    for at_least in (0.3, 0.5, shipped_scorer.thresholds.same_fact, 0.95):
        mutual = shipped_scorer.mutual(evidence, pairs, at_least=at_least)
        np.testing.assert_array_equal(mutual >= at_least, low >= at_least)
        # Read in full where it decides "yes"; an upper bound under ``at_least`` elsewhere.
        yes = low >= at_least
        np.testing.assert_allclose(mutual[yes], low[yes], rtol=0, atol=1e-9)
        assert (mutual[~yes] >= low[~yes] - 1e-9).all()
        either = shipped_scorer.either(
            evidence, [a for a, _ in pairs], [b for _, b in pairs], at_least
        )
        np.testing.assert_array_equal(either >= at_least, high >= at_least)
        assert (either <= high + 1e-9).all()
    # Without ``at_least`` both are exact.
    np.testing.assert_allclose(shipped_scorer.mutual(evidence, pairs), low, rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        shipped_scorer.either(evidence, [a for a, _ in pairs], [b for _, b in pairs]),
        high,
        rtol=0,
        atol=1e-9,
    )
    assert low.max() >= shipped_scorer.thresholds.same_fact  # the test has pairs of each kind
    assert low.min() < 0.3 and not screened.all()


def test_pairs_known_without_reading_are_not_read(shipped_scorer, minilm, monkeypatch):
    """A vetoed pair (another number, a plan and its cancellation) or one the features find
    implausible scores what it would after reading as far as any decision goes, unread."""
    evidence = Evidence.build(BOUND_SENTENCES, minilm.encode(BOUND_SENTENCES))
    read = record_reads(shipped_scorer, monkeypatch)
    vetoed_pairs = [(0, 2), (5, 6)]  # 600 against 700 dead; the meeting on and off
    scores = shipped_scorer.support(
        evidence, [a for a, _ in vetoed_pairs], [b for _, b in vetoed_pairs]
    )
    assert (scores <= 0.01).all() and read == []
    mutual = shipped_scorer.mutual(evidence, vetoed_pairs, at_least=0.5)
    assert (mutual <= 0.01).all() and read == []
    # A pair stating one claim is read both ways, and only once each way.
    assert shipped_scorer.mutual(evidence, [(0, 1)], at_least=0.5)[0] >= 0.5
    assert sorted(read) == sorted(
        [(BOUND_SENTENCES[0], BOUND_SENTENCES[1]), (BOUND_SENTENCES[1], BOUND_SENTENCES[0])]
    )


def test_dedup_reads_only_pairs_the_features_find_plausible_both_ways(
    shipped_scorer, minilm, monkeypatch
):
    """Two sentences are one fact only when each states the other's claim: dedup does not
    read a pair one of whose directions the features find under ``mutual_prefilter``."""
    evidence = Evidence.build(BOUND_SENTENCES, minilm.encode(BOUND_SENTENCES))
    n = len(BOUND_SENTENCES)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    prior = least_prior(shipped_scorer, evidence, pairs)
    floor = shipped_scorer.model.cross_encoder.mutual_prefilter
    read = record_reads(shipped_scorer, monkeypatch)
    shipped_scorer.mutual(evidence, pairs, at_least=shipped_scorer.thresholds.same_fact)
    below = {
        pair
        for (i, j), p in zip(pairs, prior.tolist(), strict=True)
        if p < floor
        for pair in (
            (BOUND_SENTENCES[i], BOUND_SENTENCES[j]),
            (BOUND_SENTENCES[j], BOUND_SENTENCES[i]),
        )
    }
    assert below and read and not below & set(read)


def test_a_source_with_too_few_of_the_claims_words_is_left_to_the_features(
    shipped_scorer, minilm, monkeypatch
):
    """Under ``min_coverage`` of the claim's content words the reader is not asked: off the
    topics it was trained on it calls such pairs support far too often (issue 9)."""
    claim = "Health officials say malaria is not endemic in this country or in Canada or Europe."
    source = "Doctors say that, properly treated, malaria is not fatal."  # same topic, other fact
    evidence = Evidence.build([claim, source], minilm.encode([claim, source]))
    spec = shipped_scorer.model.cross_encoder
    coverage = FEATURES.index("coverage")
    assert spec.min_coverage == 0.3
    assert shipped_scorer.features(evidence.parts[:1], evidence.parts[1:], [0.5])[0, coverage] < 0.3
    unscreened = SupportScorer(
        dataclasses.replace(
            shipped_scorer.model, cross_encoder=dataclasses.replace(spec, min_coverage=0.0)
        ),
        reader=shipped_scorer.reader,
    )
    # Asked, the reader would cite it ...
    assert unscreened.support(evidence, [0], [1])[0] >= shipped_scorer.thresholds.cite
    # ... screened, it is not asked and the features' probability stands.
    read = record_reads(shipped_scorer, monkeypatch)
    score = shipped_scorer.support(evidence, [0], [1])[0]
    prior = shipped_scorer._screen_pairs(evidence, [0], [1]).prior[0]
    assert read == [] and score == prior < shipped_scorer.thresholds.cite
    # A paraphrase sharing most of the words is read.
    paraphrase = Evidence.build(list(PARAPHRASE), minilm.encode(list(PARAPHRASE)))
    shipped_scorer.support(paraphrase, [0], [1])
    assert read == [PARAPHRASE]
