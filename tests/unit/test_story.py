"""Story rules on hand-written clusters: lead, chronological order, inferred dates, updates."""

from __future__ import annotations

import datetime as dt

import pytest
from newsfuse import story
from newsfuse.errors import InvalidInput
from newsfuse.support import Evidence
from newsfuse.timeline import chronology_inversions, event_date
from newsfuse.types import (
    Document,
    FactCluster,
    ParsedDocument,
    RankedFact,
    Sentence,
    SummaryOptions,
)

EARLY = Document(
    id="early",
    date=dt.date(2025, 3, 3),
    text=(
        "The city council of Springfield approved a new budget for public schools on Monday.\n\n"
        "The budget raises spending on teachers by ten percent over two years, officials said.\n\n"
        "Parents had protested outside the city hall on Saturday, demanding smaller classes."
    ),
)
LATE = Document(
    id="late",
    date=dt.date(2025, 3, 20),
    text=(
        "Teachers in Springfield began a strike on Wednesday over classroom sizes and pay.\n\n"
        "The union said the strike would continue until the council reopens negotiations.\n\n"
        "Schools across the city stayed closed on Thursday as picket lines formed at dawn."
    ),
)


def test_after_the_lead_facts_are_told_in_the_order_they_happened(pipeline):
    # Given late first: whatever leads, the rest runs from 3 March to 19 March.
    summary = pipeline.summarize([LATE, EARLY], SummaryOptions(max_words=200))
    dates = {d.id: d.date for d in summary.documents}
    told = [
        event_date(s.text, dates[s.citations[0].document_id]) for s in summary.sentences[1:]
    ]
    assert len(told) >= 2
    assert chronology_inversions(told) == 0


def test_relative_days_are_resolved_and_shown(pipeline):
    summary = pipeline.summarize([LATE, EARLY], SummaryOptions(max_words=200))
    strike = next(s for s in summary.sentences if "strike on Wednesday" in s.text)
    (mention,) = strike.dates
    assert mention.date == dt.date(2025, 3, 19)
    assert strike.text[mention.start : mention.end] == mention.text
    assert "Wednesday" in mention.text


def test_an_undated_later_report_gets_an_inferred_date_and_overturns_the_plan(pipeline):
    planned = [
        Document(
            id=f"plan{i}",
            date=dt.date(2025, 10, 17),
            text=(
                "President Anna Berg said on Thursday she will meet Prime Minister Jonas Lind "
                f"in Vienna next month to discuss the trade dispute{tail}.\n\n"
                "Officials from both countries will prepare the summit in the coming weeks."
            ),
        )
        for i, tail in enumerate(("", ", her office said", ", according to officials"))
    ]
    called_off = Document(
        id="later",
        text=(
            "President Anna Berg has called off the planned summit with Prime Minister Jonas "
            "Lind in Vienna after talks between their ministers broke down.\n\n"
            "Berg had announced the Vienna summit with Lind last week, saying on Thursday, "
            "October 16, that she would meet him there next month."
        ),
    )
    summary = pipeline.summarize([*planned, called_off], SummaryOptions(max_words=120))
    info = {d.id: d for d in summary.documents}
    assert info["later"].date_inferred and info["later"].date > dt.date(2025, 10, 17)
    assert not info["plan0"].date_inferred
    assert "called off" in summary.sentences[0].text


def test_a_later_denial_does_not_overturn_the_main_event(pipeline):
    # Only calling the event off (cancelled, called off, postponed) overturns it; a later
    # report that someone denied or did not rule out something is news, not the new lead.
    reports = [
        Document(
            id=f"crash{i}",
            date=dt.date(2025, 10, 17),
            text=(
                "A passenger jet operated by Nordic Air crashed into the sea off Bergen on "
                f"Thursday, killing all 140 people on board{tail}.\n\n"
                "Rescue ships searched the area through the night."
            ),
        )
        for i, tail in enumerate(("", ", the airline said", ", officials said"))
    ]
    later = Document(
        id="later",
        date=dt.date(2025, 11, 2),
        text=(
            "Nordic Air denied on Sunday that a maintenance fault caused the crash of its "
            "passenger jet off Bergen, and officials did not rule out a bird strike.\n\n"
            "Investigators are still examining the flight recorders."
        ),
    )
    summary = pipeline.summarize([*reports, later], SummaryOptions(max_words=120))
    assert "crashed into the sea" in summary.sentences[0].text


def test_an_update_summary_tells_only_what_is_new(pipeline):
    summary = pipeline.summarize(
        [LATE], SummaryOptions(max_words=200, seen_documents=(EARLY,))
    )
    assert summary.sentences
    assert all(s.citations[0].document_id == "late" for s in summary.sentences)
    assert not any("approved a new budget" in s.text for s in summary.sentences)
    info = {d.id: d for d in summary.documents}
    assert info["early"].seen and not info["late"].seen


def test_seen_ids_name_documents_of_the_request(pipeline):
    with pytest.raises(InvalidInput) as error:
        pipeline.summarize([LATE, EARLY], SummaryOptions(seen_ids=("nope",)))
    assert error.value.field == "options.seen_ids[0]"
    with pytest.raises(InvalidInput, match="nothing new"):
        pipeline.summarize([LATE, EARLY], SummaryOptions(seen_ids=("late", "early")))
    with pytest.raises(InvalidInput) as error:
        pipeline.summarize([LATE], SummaryOptions(seen_documents=(LATE,)))
    assert error.value.field == "options.seen_documents[0].id"
    summary = pipeline.summarize([LATE, EARLY], SummaryOptions(seen_ids=("early",)))
    assert all(s.citations[0].document_id == "late" for s in summary.sentences)


def test_debris_never_shows_a_bullet_a_heading_or_a_cut_sentence(pipeline):
    wire = Document(
        id="wire",
        date=dt.date(2000, 8, 14),
        text=(
            "MOSCOW (AP) -- The Russian nuclear submarine Kursk sank in the Barents Sea on "
            "Saturday with 118 sailors aboard, the navy said Monday.\n\n"
            "YANKEES PITCHING\n\n"
            "-- The submarine crashes to the sea floor after two explosions.\n\n"
            "Rescue ships tried to reach the stricken submarine on Monday, but storms "
            "forced them back, navy spokesman Cmndr.\n\n"
            "Navy officials said rescuers would try again on Tuesday with a diving bell."
        ),
    )
    other = Document(
        id="other",
        date=dt.date(2000, 8, 15),
        text=(
            "Rescuers failed again on Tuesday to reach the Kursk, which sank on Saturday "
            "in the Barents Sea with 118 men aboard.\n\n"
            "Storms and strong currents hampered the diving bell, the Russian navy said."
        ),
    )
    summary = pipeline.summarize([wire, other], SummaryOptions(max_words=150))
    assert summary.sentences
    for s in summary.sentences:
        assert not s.text.startswith(("--", "YANKEES", "MOSCOW (AP)")), s.text
        assert "PITCHING" not in s.text and not s.text.endswith("Cmndr."), s.text


def test_a_pronoun_opener_is_told_by_a_member_that_stands_alone(pipeline):
    # The same claim twice: once opening with "He" (its antecedent is in its own article,
    # not in the summary), once with the name. The summary tells it with the name.
    first = Document(
        id="first",
        date=dt.date(2025, 5, 2),
        text=(
            "Storms flooded the valley towns of Northfield overnight, forcing hundreds of "
            "families from their homes.\n\n"
            "He said on Friday that the state would pay for temporary housing for every family "
            "that lost its home in the floods."
        ),
    )
    second = Document(
        id="second",
        date=dt.date(2025, 5, 2),
        text=(
            "Governor Maria Alvarez said on Friday that the state would pay for temporary "
            "housing for every family that lost its home in the floods.\n\n"
            "The river crested at nine metres on Thursday night, the highest in fifty years."
        ),
    )
    summary = pipeline.summarize([first, second], SummaryOptions(max_words=120))
    texts = [s.text for s in summary.sentences]
    assert not any(t.startswith("He ") for t in texts), texts
    housing = [t for t in texts if "temporary housing" in t]
    assert housing and "Alvarez" in housing[0]


@pytest.mark.parametrize("day", [dt.date(9999, 12, 31), dt.date(1, 1, 1)])
def test_documents_dated_at_the_ends_of_the_calendar_summarize(pipeline, day):
    # Found by the request fuzzer: "next week" from 9999-12-31 is past the calendar.
    documents = [
        Document(id="undated", text="0. It happened yesterday and goes on next month."),
        Document(
            id="dated",
            date=day,
            text="The council approved the budget on Monday. Next week it meets again.",
        ),
    ]
    summary = pipeline.summarize(documents, SummaryOptions(max_words=60))
    assert summary.sentences
    assert {d.id: d.date for d in summary.documents}["dated"] == day


def _one_sentence_documents(items: list[tuple[str, dt.date]]) -> tuple[list, list]:
    docs, sentences = [], []
    for k, (text, day) in enumerate(items):
        s = Sentence(doc=k, index=0, start=0, end=len(text), text=text, paragraph=0)
        docs.append(ParsedDocument(Document(id=str(k), text=text), None, day, (), (s,)))
        sentences.append(s)
    return docs, sentences


def test_background_a_later_article_retells_is_dated_by_its_first_report(minilm, shipped_scorer):
    docs, sentences = _one_sentence_documents(
        [
            ("Matthew Shepard died in a hospital in Fort Collins after he was beaten and tied "
             "to a fence near Laramie.", dt.date(1998, 10, 12)),
            ("The trial of Aaron McKinney opened on Monday with the testimony of a police "
             "investigator.", dt.date(1999, 10, 25)),
            # Retold in the trial's report, with no day of its own: it happened a year before.
            ("Matthew Shepard died in a Fort Collins hospital after he was beaten and tied to a "
             "fence near Laramie.", dt.date(1999, 10, 25)),
        ]
    )
    texts = [s.text for s in sentences]
    evidence = Evidence.build(texts, minilm.encode(texts))
    facts = [
        RankedFact(FactCluster(i, (i,), (i,), i), 1.0, 1, 0.0, 0.0, 0.0) for i in (1, 2)
    ]
    # Without a scorer the retold death has only its article's date; with one, its first report's.
    assert story.fact_dates(facts, sentences, docs)[2] == dt.date(1999, 10, 25)
    dates = story.fact_dates(facts, sentences, docs, evidence, shipped_scorer)
    assert dates == {1: dt.date(1999, 10, 25), 2: dt.date(1998, 10, 12)}
    assert story.order(facts, sentences, dates)[0].cluster.id == 2


@pytest.mark.parametrize("words", [100, 150])
def test_the_example_tells_the_budapest_plan_once(pipeline, example_paths, words):
    docs = [Document(id=p.name, text=p.read_text(encoding="utf-8")) for p in example_paths]
    summary = pipeline.summarize(docs, SummaryOptions(max_words=words))
    texts = [s.text for s in summary.sentences]
    assert "canceled a planned meeting" in texts[0]
    # Three outlets' ways of telling the plan (each with a detail of its own): only one shows.
    ways = ("face-to-face talks in Hungary", "announced plans for a summit", "agreed-upon location")
    assert sum(any(way in t for t in texts) for way in ways) <= 1


def test_a_fact_that_cannot_stand_where_it_falls_frees_its_place(pipeline, monkeypatch):
    # place_openers leaves out a fact whose sentence cannot stand where it falls (a surname
    # no earlier sentence introduced); selection then runs again without it, so the summary
    # is not left a sentence short.
    options = SummaryOptions(max_sentences=2)
    before = pipeline.prepare([LATE, EARLY], options)
    assert len(before.selected) == 2
    refused = before.selected[-1].cluster.id
    real = story.place_openers

    def refusing(facts, shown, sentences, surnames):
        return real([f for f in facts if f.cluster.id != refused], shown, sentences, surnames)

    monkeypatch.setattr(story, "place_openers", refusing)
    after = pipeline.prepare([LATE, EARLY], options)
    assert len(after.selected) == 2
    assert refused not in {f.cluster.id for f in after.selected}


def test_a_sentence_naming_what_its_source_introduced_gives_way_to_one_that_does_not():
    # "the samples" points back to its source's "soil samples"; a summary that has not told
    # them shows another member of the fact, or leaves the fact out.
    sentences = [
        Sentence(0, 0, 0, 10, "American inspectors took soil samples near the factory.", 0),
        Sentence(0, 1, 11, 20, "Officials said the samples contained traces of Empta.", 0),
        Sentence(1, 0, 0, 10, "Soil near the factory held traces of Empta, officials said.", 0),
    ]
    fact = RankedFact(FactCluster(0, (1, 2), (0, 1), 1), 1.0, 2, 0.0, 0.0, 0.0)
    kept, chosen = story.place_openers([fact], {0: 1}, sentences, frozenset())
    assert chosen == [2]
    # Alone, the fact cannot be told at all.
    alone = RankedFact(FactCluster(0, (1,), (0,), 1), 1.0, 1, 0.0, 0.0, 0.0)
    assert story.place_openers([alone], {0: 1}, sentences, frozenset()) == ([], [])
    # After a summary sentence that told the samples, it reads well.
    told = RankedFact(FactCluster(1, (0,), (0,), 0), 1.0, 1, 0.0, 0.0, 0.0)
    kept, chosen = story.place_openers([told, alone], {1: 0, 0: 1}, sentences, frozenset())
    assert chosen == [0, 1]
