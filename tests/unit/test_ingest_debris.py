"""Debris in wire copy and web articles: masked by ingest, or kept but marked unfit to show.

The clusters are written for these tests in the forms the DUC newswire and the example
articles use (datelines, bylines, notes to editors, timelines, captions); no corpus text.
"""

from __future__ import annotations

import numpy as np
from newsfuse.embed import HashingEmbedder
from newsfuse.ingest import ingest, ingest_all, split_sentences
from newsfuse.pipeline import Pipeline
from newsfuse.settings import Settings
from newsfuse.types import Document, SummaryOptions

WIRE = (
    "MURMANSK, Russia (AP) -- Rescuers failed again on Saturday to reach the crew of the "
    "sunken submarine Kursk, the navy said.\n\n"
    "By JOHN SMITH\n\n"
    "Associated Press Writer\n\n"
    "The operation was led by Cmndr. Ivan Petrov, who said the escape hatch was damaged. "
    "He said divers would try again on Sunday.\n\n"
    "``We did all we could. The sea was too rough. Nobody could have done more,'' Petrov "
    "said.\n\n"
    "TIMELINE\n\n"
    "--Aug. 12. -- The submarine crashes to the bottom of the Barents Sea.\n\n"
    "--Aug. 14 -- The navy announces the accident. It says the crew is alive.\n\n"
    "(Story will move in the ``a'' category.)\n\n"
    "Editor's note: Jane Roe contributed to this report from Moscow.\n\n"
    "(Jane Roe/Daily Planet Photo)\n\n"
    "For questions call the news desk at 404-555-0123.\n"
)


def _doc(text: str, name: str = "d") -> Document:
    return Document(id=name, text=text)


def _texts(parsed) -> list[str]:
    return [" ".join(s.text.split()) for s in parsed.sentences]


def _assert_spans(parsed) -> None:
    text = parsed.document.text
    for s in parsed.sentences:
        assert text[s.start : s.end] == s.text


def test_wire_debris_is_masked_and_never_a_sentence() -> None:
    parsed = ingest(_doc(WIRE))
    _assert_spans(parsed)
    texts = _texts(parsed)
    joined = " ".join(texts)
    for debris in ("MURMANSK", "(AP)", "JOHN SMITH", "Associated Press Writer", "TIMELINE",
                   "Story will move", "Editor's note", "contributed to this report",
                   "Daily Planet Photo", "404-555-0123"):
        assert debris not in joined, debris
    assert texts[0].startswith("Rescuers failed again on Saturday")
    masked = " ".join(WIRE[b.start : b.end] for b in parsed.boilerplate)
    assert "MURMANSK, Russia (AP) --" in masked and "By JOHN SMITH" in masked


def test_sentence_is_not_cut_at_a_title_abbreviation() -> None:
    parsed = ingest(_doc(WIRE))
    assert "The operation was led by Cmndr. Ivan Petrov, who said the escape hatch was " \
        "damaged." in _texts(parsed)
    assert split_sentences("He met Gen. Ivan Petrov. They spoke.") == [(0, 24), (25, 36)]


def test_timeline_bullets_lose_their_marker_and_are_marked_unfit() -> None:
    parsed = ingest(_doc(WIRE))
    items = [s for s in parsed.sentences if s.unfit == "list item"]
    assert items, "the timeline bullets must be kept as (citable) body text"
    for s in items:
        assert not s.text.lstrip().startswith("-"), s.text
    crashes = [s for s in items if "crashes to the bottom" in s.text]
    assert len(crashes) == 1 and crashes[0].text.startswith("Aug. 12.")
    # Both sentences of a two-sentence bullet are unfit, not only the first.
    alive = [s for s in parsed.sentences if "crew is alive" in s.text]
    assert alive and alive[0].unfit == "list item"


def test_quotations_without_a_speaker_are_marked_unfit() -> None:
    parsed = ingest(_doc(WIRE))
    by_text = {" ".join(s.text.split()): s.unfit for s in parsed.sentences}
    assert by_text["``We did all we could."] == "bare quotation"
    assert by_text["The sea was too rough."] == "inside a quotation"
    assert by_text["Nobody could have done more,'' Petrov said."] == "quotation fragment"
    assert by_text["He said divers would try again on Sunday."] is None


def test_a_headline_line_is_not_body_text() -> None:
    text = (
        "YANKEES Pitching Coach Quits\n\n"
        "The team's pitching coach resigned on Monday after a dispute over his contract.\n\n"
        "SPORTS\n\n"
        "MOVED FRIDAY.\n\n"
        "He had held the job for nine seasons.\n"
    )
    parsed = ingest(_doc(text))
    assert _texts(parsed) == [
        "The team's pitching coach resigned on Monday after a dispute over his contract.",
        "He had held the job for nine seasons.",
    ]
    assert parsed.title == "YANKEES Pitching Coach Quits"


def test_datelines_are_masked_in_every_paragraph_of_a_digest() -> None:
    text = (
        "GENEVA (AP) -- A balloon team was 300 miles from Jamaica late Wednesday.\n\n"
        "TOKYO (AP) -- Japanese stocks fell on Thursday as investors took profits.\n\n"
        "HONG KONG, September 10 (Xinhua) -- The Hang Seng index closed higher on Friday.\n\n"
        "SPARTA, Ga. _ By ten o'clock the heat on the courthouse square was fierce.\n"
    )
    parsed = ingest(_doc(text))
    _assert_spans(parsed)
    assert _texts(parsed) == [
        "A balloon team was 300 miles from Jamaica late Wednesday.",
        "Japanese stocks fell on Thursday as investors took profits.",
        "The Hang Seng index closed higher on Friday.",
        "By ten o'clock the heat on the courthouse square was fierce.",
    ]
    assert all(s.unfit is None for s in parsed.sentences)


def test_editors_notes_and_digest_intros_inside_news_paragraphs() -> None:
    text = (
        "The following are major news items in leading Israeli newspapers Friday.\n\n"
        "The cabinet approved the budget after a long debate. (END OPTIONAL TRIM)\n\n"
        "Officials said the vote was close. Jane Roe contributed to this report.\n\n"
        "EDITORS: Embargoed for release at 6 p.m. Eastern. The story has two parts.\n"
    )
    parsed = ingest(_doc(text))
    _assert_spans(parsed)
    assert _texts(parsed) == [
        "The cabinet approved the budget after a long debate.",
        "Officials said the vote was close.",
    ]


def test_photo_captions_are_masked() -> None:
    text = (
        "Pictured: the crew of the submarine during an exercise last year.\n\n"
        "The navy named the 118 crew members on Monday. (Jane Roe/Daily Planet Photo)\n\n"
        "Relatives gathered at the base, where officials read out the names.\n"
    )
    parsed = ingest(_doc(text))
    assert _texts(parsed) == [
        "The navy named the 118 crew members on Monday.",
        "Relatives gathered at the base, where officials read out the names.",
    ]


def test_wire_backtick_quote_starts_a_new_sentence() -> None:
    parsed = ingest(_doc("The navy gave up on Sunday. ``We did all we could,'' the admiral "
                         "said.\n"))
    assert _texts(parsed) == [
        "The navy gave up on Sunday.",
        "``We did all we could,'' the admiral said.",
    ]


def test_a_dash_opening_a_hard_wrapped_line_is_not_a_bullet() -> None:
    text = (
        "The submarine went down with all hands aboard, and the crew\n"
        "-- all 118 of them -- died within hours, the commission found.\n"
    )
    parsed = ingest(_doc(text))
    assert len(parsed.sentences) == 1
    assert parsed.sentences[0].unfit is None
    assert "-- all 118 of them --" in parsed.sentences[0].text


def test_a_cluster_with_debris_gives_a_clean_summary() -> None:
    documents = [
        _doc(WIRE, "ap"),
        _doc(
            "MOSCOW (AP) -- Rescuers failed on Saturday to reach the crew of the sunken "
            "submarine Kursk.\n\n"
            "By JANE ROE\n\n"
            "-- The submarine crashes to the bottom of the Barents Sea on Aug. 12.\n\n"
            "Norway sent a team of deep-sea divers to the Barents Sea on Sunday.\n\n"
            "(Story will move in the ``a'' category.)\n",
            "ap2",
        ),
        _doc(
            "Russian officials said the Kursk's escape hatch was badly damaged.\n\n"
            "EDITORS: Photo available.\n\n"
            "The families of the crew criticised the navy for refusing foreign help.\n",
            "web",
        ),
    ]
    parsed = ingest_all(documents)
    for doc in parsed:
        _assert_spans(doc)
    pipeline = Pipeline(Settings(), HashingEmbedder())
    summary = pipeline.summarize(documents, SummaryOptions(max_words=120))
    assert summary.sentences
    banned = ("(AP)", "By J", "Story will move", "EDITORS", "Photo", "404-555", "MOSCOW")
    for sentence in summary.sentences:
        assert not sentence.text.startswith(("-", "*", "•")), sentence.text
        assert not any(b in sentence.text for b in banned), sentence.text
        for c in sentence.citations:
            cited = next(d.text for d in documents if d.id == c.document_id)[c.start : c.end]
            assert not any(b in cited for b in banned), cited
    assert np.isfinite(summary.stats.seconds)


def test_a_paragraph_ending_in_a_colon_keeps_its_sentences() -> None:
    text = (
        "The lawyer for the boy's father released a short statement on Friday. It said:\n\n"
        "``We are grateful to the court.''\n\n"
        "Here are the details:\n\n"
        "Asked about the party, he said: ``Of course there is. I am here''\n\n"
        "Officials said the boy would fly home within days.\n"
    )
    parsed = ingest(_doc(text))
    texts = _texts(parsed)
    assert texts[0] == "The lawyer for the boy's father released a short statement on Friday."
    assert "It said:" in texts and parsed.sentences[texts.index("It said:")].unfit
    assert "Here are the details:" not in texts  # a one-line lead-in is not body text
    assert "Asked about the party, he said: ``Of course there is." in texts
