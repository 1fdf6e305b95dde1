"""Timeline: time expressions found and resolved, event dates, undated documents dated."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from newsfuse.ingest import ingest_all
from newsfuse.timeline import (
    DatedSentence,
    ResolvedTime,
    chronology_inversions,
    date_mentions,
    dated_sentences,
    event_date,
    fact_date,
    find_dates,
    infer_cluster_dates,
    infer_document_date,
    parse_date,
    sentence_tense,
)
from newsfuse.types import DateMention, Document

D = dt.date
FRI = D(2025, 10, 17)  # a Friday: Thursday is the 16th, Monday the 13th
TUE = D(2025, 10, 21)  # a Tuesday


def only(text: str, anchor: dt.date | None) -> ResolvedTime:
    found = find_dates(text, anchor)
    assert len(found) == 1, found
    r = found[0]
    assert text[r.start : r.end] == r.text
    return r


def day(text: str, anchor: dt.date | None) -> dt.date:
    r = only(text, anchor)
    assert r.granularity == "day" and r.first == r.last
    return r.first


def span(text: str, anchor: dt.date | None) -> tuple[dt.date, dt.date, str]:
    r = only(text, anchor)
    return r.first, r.last, r.granularity


# --- explicit dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("A drone struck the vehicle on October 16.", "October 16"),
        ("A drone struck the vehicle on Oct. 16.", "Oct. 16"),
        ("A drone struck the vehicle on 16 October 2025.", "16 October 2025"),
        ("A drone struck the vehicle on Oct 16, 2025, officials said.", "Oct 16, 2025"),
        ("The report is dated 2025-10-16.", "2025-10-16"),
        ("A drone struck the vehicle on Thursday, Oct. 16.", "Thursday, Oct. 16"),
        ("The vote took place on the 16th of October.", "the 16th of October"),
    ],
)
def test_explicit_days(sentence, words):
    r = only(sentence, TUE)
    assert (r.text, r.kind, r.granularity, r.first) == (words, "explicit", "day", D(2025, 10, 16))


def test_month_and_year_ranges():
    assert span("In September, Trump signalled a major shift.", FRI) == (
        D(2025, 9, 1),
        D(2025, 9, 30),
        "month",
    )
    assert span("The company was founded in 1993.", FRI) == (D(1993, 1, 1), D(1993, 12, 31), "year")
    assert span("Russia invaded in February 2022.", FRI) == (D(2022, 2, 1), D(2022, 2, 28), "month")
    assert span("He spoke to Putin in late July.", FRI)[:2] == (D(2025, 7, 21), D(2025, 7, 31))
    assert span("It was the first call since mid-August.", FRI)[:2] == (
        D(2025, 8, 11),
        D(2025, 8, 20),
    )
    assert span("She was suspended last October.", D(1999, 4, 19))[0] == D(1998, 10, 1)


def test_a_day_without_a_year_takes_the_year_its_tense_asks_for():
    # Past: on or before the document's date, even when the other year is nearer.
    assert day("The pair met on 15 August for a summit.", FRI) == D(2025, 8, 15)
    assert day("Relations came to a head on 28 February in the Oval Office.", FRI) == D(2025, 2, 28)
    assert day("Yeltsin resigned Dec. 31 and named Putin acting president.", D(2000, 3, 9)) == D(
        1999, 12, 31
    )
    # Future: on or after it.
    assert day("The vote will be held on March 26.", FRI) == D(2026, 3, 26)
    assert day("Revenue will be reported on Jan. 29.", D(1999, 1, 22)) == D(1999, 1, 29)
    # A date naming an event ("the March 26 election") ignores its clause's tense: the
    # nearest sensible year.
    assert day(
        "It came after the commission completed registration for the March 26 presidential"
        " election.",
        D(2000, 2, 22),
    ) == D(2000, 3, 26)
    assert day("They planned to top the toll of the April 20 massacre.", D(1999, 5, 16)) == D(
        1999, 4, 20
    )
    # No tense at all: the past one unless that is most of a year back.
    assert day("Dec. 10 -- Lazaro Gonzalez applies for asylum for Elian.", D(2000, 6, 28)) == D(
        1999, 12, 10
    )
    assert span("Economists look for rate rises at the meetings in March.", D(2000, 2, 23))[0] == D(
        2000, 3, 1
    )


def test_the_finer_expression_wins_an_overlap():
    assert [r.text for r in find_dates("The poll ran from May 1 to 7.", D(1997, 5, 15))] == [
        "May 1"
    ]


def test_without_an_anchor_only_expressions_with_their_own_year_resolve():
    text = (
        "On Monday, after the October 16 call and the talks last week, officials recalled"
        " the 16 October 2025 memo, the cuts in September 2025 and the crisis in 1993."
    )
    assert [(r.text, r.first) for r in find_dates(text, None)] == [
        ("16 October 2025", D(2025, 10, 16)),
        ("September 2025", D(2025, 9, 1)),
        ("in 1993", D(1993, 1, 1)),
    ]
    assert event_date(text, None) == D(2025, 10, 16)


def test_parse_date_reads_header_forms():
    assert parse_date(dt.datetime(2025, 10, 17, 8, 30)) == FRI
    assert parse_date("Published 16 October 2025") == D(2025, 10, 16)
    assert parse_date("Oct. 16, 2025") == D(2025, 10, 16)
    assert parse_date("October 16") is None
    assert parse_date(20251017) is None


# --- relative dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The minister said today that talks continue.", TUE),
        ("The president will speak tonight.", TUE),
        ("Yesterday, the Kremlin denied the report.", D(2025, 10, 20)),
        ("The vote is tomorrow.", D(2025, 10, 22)),
        ("The Kremlin said on Tuesday there was no timeframe.", TUE),  # same day allowed
        ("Trump said on Monday that he is doubtful it will happen.", D(2025, 10, 20)),
        ("Officials said Monday that the plan had failed.", D(2025, 10, 20)),
        ("On Sunday, Trump said the region should be cut up.", D(2025, 10, 19)),
        ("The talks collapsed last Tuesday.", D(2025, 10, 14)),  # last: strictly before
        ("He met the envoy last Friday.", D(2025, 10, 17)),
        ("The summit opens next Friday.", D(2025, 10, 24)),
        ("The summit opens next Tuesday.", D(2025, 10, 28)),  # next: strictly after
        ("Trump spoke to Putin on Thursday evening.", D(2025, 10, 16)),
        ("Tuesday's statement said peace needs pressure.", TUE),
        ("Tuesday’s statement said peace needs pressure.", TUE),
        ("He was sentenced to two years in prison two days ago.", D(2025, 10, 19)),
        ("Prices rose three days ago.", D(2025, 10, 18)),
        ("The strike began early Monday.", D(2025, 10, 20)),
    ],
)
def test_relative_days(sentence, expected):
    r = only(sentence, TUE)
    assert (r.kind, r.granularity, r.first, r.last) == ("relative", "day", expected, expected)


@pytest.mark.parametrize(
    "sentence",
    [
        "Zelensky will visit the White House on Friday.",
        "Zelensky is due at the White House on Friday.",
        "Zelensky is set to visit the White House on Friday.",
        "Zelensky is expected to visit the White House on Friday.",
        "Zelensky plans to visit the White House on Friday.",
        "Zelensky's visit to the White House is scheduled for Friday.",
        "Similar ceremonies are set for Friday at the other plants.",
        "During Zelensky's upcoming visit on Friday, missiles are on the agenda.",
        "Trump said he would update Zelensky on Friday.",
        "The talks came a day before Zelensky was to visit on Friday.",
        "On Friday, a meeting of the coalition is due to take place in London.",
        "Sanctions are likely to be discussed at an EU summit on Friday.",
        "Starting Friday, the list will be posted in shops.",
    ],
)
def test_a_bare_weekday_with_a_future_cue_is_the_next_one(sentence):
    # Anchor Tuesday 21 October: Friday ahead is the 24th, Friday behind the 17th.
    assert day(sentence, TUE) == D(2025, 10, 24)


def test_a_future_weekday_on_its_own_day_is_that_day():
    assert day("Zelensky is due at the White House on Friday.", FRI) == FRI


def test_a_bare_weekday_without_a_future_cue_is_the_last_one():
    assert day("Zelensky met Trump at the White House on Friday.", TUE) == FRI
    assert day("Workers cheered Friday as the trucks arrived.", TUE) == FRI
    # "will" belongs to another clause; "said" governs the day.
    assert day("Trump said on Friday that while peace is possible, it will take time.", TUE) == FRI


def test_periods():
    assert span("Talks were announced last week.", TUE) == (
        D(2025, 10, 13),
        D(2025, 10, 19),
        "week",
    )
    assert span("Teams will meet next week.", FRI) == (D(2025, 10, 20), D(2025, 10, 26), "week")
    assert span("Officials visited Washington this week.", TUE)[:2] == (
        D(2025, 10, 20),
        D(2025, 10, 26),
    )
    assert span("He was asked earlier this week about the missiles.", FRI)[:2] == (
        D(2025, 10, 13),
        FRI,
    )
    assert span("Trump last month reversed his position.", TUE) == (
        D(2025, 9, 1),
        D(2025, 9, 30),
        "month",
    )
    assert span("They met at the White House earlier this month.", TUE)[:2] == (
        D(2025, 10, 1),
        TUE,
    )
    assert span("The law passed last year.", TUE) == (D(2024, 1, 1), D(2024, 12, 31), "year")
    assert span("Trump had warned at the weekend that he might send missiles.", TUE)[:2] == (
        D(2025, 10, 18),
        D(2025, 10, 19),
    )


def test_a_day_earlier_counts_from_the_time_in_its_sentence():
    text = (
        "Earlier on Thursday, India's foreign ministry cast doubt on a claim made by Trump a"
        " day earlier."
    )
    assert [(r.text, r.first) for r in find_dates(text, FRI)] == [
        ("on Thursday", D(2025, 10, 16)),
        ("a day earlier", D(2025, 10, 15)),
    ]
    both = find_dates("The rebels withdrew on Oct. 3 and the army entered the next day.", FRI)
    assert [r.first for r in both] == [D(2025, 10, 3), D(2025, 10, 4)]
    # Without a time in the sentence the reference is elsewhere: not guessed.
    assert find_dates("He denied any conversation taking place the previous day.", FRI) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Prices may rise, the court may rule, and May is a name too.",
        "Thousands march on Washington as the March on Washington is remembered.",
        "Theresa May met the president.",
        "The Sunday Times reported the deal.",
        "The Mail on Sunday reported the deal.",
        "Black Friday sales fell as Good Friday approached.",
        "He hosted Saturday Night Live and watched Any Given Sunday.",
        "It was a Monday, and every Friday the market closes early.",
        "Shops close on Mondays.",
        "He analysed the 1997 data in December of that year.",
        "The show is broadcast Monday evenings at 7:30.",
        "She taught Sunday school in her Sunday best.",
        "She told USA Today and the Today programme that she would run.",
        "The conversation took place a day before Trump's White House meeting.",
        "The talks came a day before the summit.",
        "Prices fell in the last week and over the past month.",
        "Ms Giuffre, aged 41, was one of 35 plaintiffs.",
        "The missiles have a range of 2,500 km (1,550 miles) and a range of 1,600 kilometres.",
        "The 1991 Gulf War and Flight 990 killed many in its fourth year.",
        "He drew 2000 people in 2000 cases.",
        "Jan Smith and Mar Lopez arrived at 9 a.m. on Route 66.",
    ],
)
def test_false_hits(sentence):
    assert find_dates(sentence, TUE) == []


def test_quoted_relative_times_are_marked_and_not_used():
    text = "“I will meet him tomorrow,” Trump said on Thursday."
    tomorrow, thursday = find_dates(text, FRI)
    assert (tomorrow.text, tomorrow.quoted, thursday.quoted) == ("tomorrow", True, False)
    assert event_date(text, FRI) == D(2025, 10, 16)
    assert date_mentions(text, FRI) == (
        DateMention(text="on Thursday", start=text.index("on Thursday"), end=len(text) - 1,
                    date=D(2025, 10, 16)),
    )  # fmt: skip
    wire = "``We are anticipating viruses because of Jan. 1,'' she said Thursday."
    jan, _ = find_dates(wire, D(1999, 12, 16))
    assert jan.quoted and jan.first == D(2000, 1, 1)
    opened = "Writing Monday, Scalia said a court ''bars a school from even suggesting it.''"
    assert not only(opened, D(2000, 6, 19)).quoted
    # An apostrophe or a plural possessive opens no quotation.
    assert not only("The leaders’ statement came on Tuesday.", TUE).quoted


def test_sentence_tense():
    assert sentence_tense("Zelensky is due at the White House on Friday.") == "future"
    assert sentence_tense("Trump said he plans to meet Putin.") == "future"
    assert sentence_tense("Trump has canceled a planned meeting with Putin.") == "past"
    assert sentence_tense("The meeting was to take place in Budapest.") is None
    assert sentence_tense("Russia occupies a fifth of Ukraine.") is None
    assert sentence_tense("“It will happen,” he said.") == "past"


# --- event dates and ordering --------------------------------------------------------------------


def test_event_date_is_the_first_day_in_the_sentence_else_the_documents():
    assert event_date("Putin called Trump on Thursday, a day before the summit.", FRI) == D(
        2025, 10, 16
    )
    assert event_date("The talks last week went well.", FRI) == FRI  # a week is no day
    assert event_date("Russia occupies a fifth of Ukraine.", FRI) == FRI
    assert event_date("Russia occupies a fifth of Ukraine.", None) is None


def test_date_mentions_show_relative_days_only():
    text = "On Monday, after the October 16 call and talks last week, he said he is hopeful."
    assert [(m.text, m.date) for m in date_mentions(text, TUE)] == [("On Monday", D(2025, 10, 20))]


def test_fact_date_takes_the_date_most_reports_agree_on():
    members = [
        ("Putin and Trump spoke by phone on Thursday.", FRI),
        ("Trump and Putin talked on Thursday.", FRI),
        ("Trump and Putin talked on Thursday.", D(2025, 10, 18)),  # a misdated copy
        ("Trump and Putin talked.", None),
    ]
    assert fact_date(members) == D(2025, 10, 16)
    assert fact_date([("No date here.", None)]) is None
    assert fact_date([("They talked.", FRI), ("They talked.", D(2025, 10, 16))]) == D(2025, 10, 16)


def test_chronology_inversions():
    a, b, c = D(2025, 10, 1), D(2025, 10, 2), D(2025, 10, 3)
    assert chronology_inversions([a, None, b, c]) == 0
    assert chronology_inversions([c, b, a]) == 3
    assert chronology_inversions([b, None, a, b]) == 1
    assert chronology_inversions([]) == 0


# --- inferring a document's date -----------------------------------------------------------------

_STOP = frozenset(
    "a an the of to in on at for with and or but by from as that this his her its their he she"
    " it they was were is are be been has have had said says will would after before over who"
    " which last next week month year monday tuesday wednesday thursday friday saturday sunday"
    " today yesterday tomorrow".split()
)


def _content(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in _STOP and len(w) > 2}


def same_event(a: str, b: str) -> bool:
    """Stand-in for the support scorer: enough content words shared."""
    x, y = _content(a), _content(b)
    shared = len(x & y)
    return shared >= 3 and shared / min(len(x), len(y)) >= 0.4


def test_an_event_upcoming_in_a_dated_document_and_past_here_makes_this_one_later():
    cluster = [
        DatedSentence("Zelensky is due at the White House on Friday to meet Trump.", FRI, 0, 0),
        DatedSentence("Trump and Putin spoke by phone on Thursday for two hours.", FRI, 0, 1),
    ]
    undated = [
        "Trump shifted his position after a phone call with Putin last week and a subsequent"
        " meeting at the White House with Zelensky on Friday.",
    ]
    inferred = infer_document_date(undated, cluster, same_event)
    assert inferred is not None
    # "last week" holds the 16th only from Monday the 20th on; "on Friday" (past) holds the
    # 17th from the 17th to the 23rd: the earliest date for both is the 20th.
    assert inferred.date == D(2025, 10, 20)
    assert (inferred.earliest, inferred.latest) == (D(2025, 10, 20), D(2025, 10, 23))
    by_words = {e.mention: e for e in inferred.evidence}
    assert by_words["last week"].event == D(2025, 10, 16)
    assert by_words["last week"].source == (0, 1)
    assert by_words["on Friday"].event == FRI
    assert inferred.contradicted == ()


def test_tense_alone_orders_documents():
    cluster = [DatedSentence("Zelensky is due at the White House on Friday to meet Trump.", FRI)]
    later = infer_document_date(
        ["Zelensky met Trump at the White House and asked for missiles."], cluster, same_event
    )
    assert later is not None and later.date == FRI
    assert [e.kind for e in later.evidence] == ["event"]
    assert later.evidence[0].earliest == FRI and later.evidence[0].latest is None

    done = [DatedSentence("Zelensky met Trump at the White House on Friday.", D(2025, 10, 19))]
    earlier = infer_document_date(
        ["Zelensky will meet Trump at the White House to ask for missiles."], done, same_event
    )
    assert earlier is not None and earlier.date <= FRI
    assert earlier.latest == FRI


def test_never_before_the_latest_explicit_date_it_reports():
    cluster = [DatedSentence("Trump and Putin spoke by phone on Thursday for two hours.", FRI)]
    undated = [
        "Trump and Putin spoke by phone last week about the war.",
        "The summit was cancelled on November 3, 2025.",
    ]
    inferred = infer_document_date(undated, cluster, same_event)
    assert inferred is not None
    assert inferred.date == D(2025, 11, 3)
    assert [e.kind for e in inferred.contradicted] == ["relative"]


def test_explicit_dates_alone_date_a_document():
    inferred = infer_document_date(
        ["The pair met on 15 August 2025 in Alaska.", "The war began in February 2022."],
        [],
        same_event,
    )
    assert inferred is not None and inferred.date == D(2025, 8, 15)
    assert {e.mention for e in inferred.evidence} == {"15 August 2025", "February 2022"}
    # A future date says when it was not written yet, not when it was.
    assert infer_document_date(["Elections will be held on 5 May 2026."], [], same_event) is None


def test_nothing_to_go_on_gives_none():
    cluster = [DatedSentence("Zelensky is due at the White House on Friday.", FRI)]
    assert infer_document_date(["Russia occupies a fifth of Ukraine."], cluster, same_event) is None
    assert infer_document_date([], cluster, same_event) is None
    calls: list[tuple[str, str]] = []

    def counting(a: str, b: str) -> bool:
        calls.append((a, b))
        return False

    assert infer_document_date(["Officials met on Monday."], cluster, counting) is None
    assert calls == [("Officials met on Monday.", "Zelensky is due at the White House on Friday.")]


def test_a_wrong_match_is_outvoted():
    cluster = [
        DatedSentence("Trump and Putin spoke by phone on Thursday for two hours.", FRI),
        DatedSentence("Zelensky is due at the White House on Friday to meet Trump.", FRI),
        DatedSentence(
            "Rubio and Lavrov will hold talks on Monday in Geneva about the summit.", FRI
        ),
    ]
    undated = [
        "Trump and Putin spoke by phone last week for two hours.",
        "Zelensky met Trump at the White House on Friday.",
        "Rubio and Lavrov held talks on Monday in Geneva about the summit.",
        # The same words as the call of the 16th, but "two days ago" would make it the 18th.
        "Trump and Putin spoke by phone two days ago for two hours.",
        # A Monday can never be the Thursday of the call: no evidence at all.
        "Trump and Putin spoke by phone on Monday for two hours.",
    ]
    inferred = infer_document_date(undated, cluster, same_event)
    assert inferred is not None and inferred.date == D(2025, 10, 20)
    assert {(e.sentence, e.mention) for e in inferred.evidence} == {
        (0, "last week"),
        (1, "on Friday"),
        (2, "on Monday"),
    }
    assert [(e.sentence, e.mention) for e in inferred.contradicted] == [(3, "two days ago")]


# --- the bundled example cluster -----------------------------------------------------------------


def test_budapest_cluster_dates(example_paths: list[Path]):
    parsed = ingest_all([Document(id=p.name, text=p.read_text()) for p in example_paths])
    assert [d.date for d in parsed] == [None, FRI, None, FRI, None]

    bbc = {r.text: r.first for s in parsed[3].sentences for r in find_dates(s.text, FRI)}
    assert bbc["on Thursday"] == D(2025, 10, 16)  # the phone call
    assert bbc["on Friday"] == FRI  # Zelensky's upcoming visit
    assert bbc["15 August"] == D(2025, 8, 15)
    assert bbc["28 February"] == D(2025, 2, 28)
    assert bbc["In September"] == D(2025, 9, 1)

    inferred = infer_cluster_dates(parsed, same_event)
    assert [i is None for i in inferred] == [False, True, False, True, False]
    latest = inferred[0]
    assert latest is not None
    # 000, the report of the cancellation, comes after the 17 October reports: "a phone call
    # with Putin last week" is the call of Thursday 16 October, so it was written in the
    # week after, and "last month" is the September shift the BBC dates.
    assert D(2025, 10, 20) <= latest.date <= D(2025, 10, 26)
    assert latest.date > max(d.date for d in parsed if d.date)
    matched = {(e.mention, e.event) for e in latest.evidence if e.kind == "relative"}
    assert ("last week", D(2025, 10, 16)) in matched
    assert ("last month", D(2025, 9, 1)) in matched
    # The reports of the call itself (002, 004) date to the days around it.
    for report in (inferred[2], inferred[4]):
        assert report is not None and D(2025, 10, 16) <= report.date <= FRI


def test_dated_sentences_take_their_documents_date(example_paths: list[Path]):
    parsed = ingest_all([Document(id=p.name, text=p.read_text()) for p in example_paths])
    dated = dated_sentences(parsed)
    assert {d.document for d in dated} == {1, 3}
    assert all(d.date == FRI for d in dated)
    assert dated[0].text == parsed[1].sentences[0].text and dated[0].index == 0
