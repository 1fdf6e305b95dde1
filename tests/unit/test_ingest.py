"""Ingest: metadata, boilerplate removal and exact sentence spans."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from newsfuse.ingest import ingest, parse_date, repeated_copies, split_sentences
from newsfuse.types import Document


def _doc(text: str, **kw) -> Document:
    return Document(id="d", text=text, **kw)


def _assert_spans(parsed) -> None:
    text = parsed.document.text
    for s in parsed.sentences:
        assert 0 <= s.start < s.end <= len(text)
        assert text[s.start : s.end] == s.text


def test_front_matter_gives_title_date_and_authors_and_is_not_body():
    text = (
        '---\nauthors:\n- Jane Roe\ntitle: "Budget passes"\ndate: "2025-10-17"\n---\n\n'
        "The council passed the budget on Monday. Schools get more money.\n"
    )
    parsed = ingest(_doc(text))
    assert parsed.title == "Budget passes"
    assert parsed.date == dt.date(2025, 10, 17)
    assert parsed.authors == ("Jane Roe",)
    assert [s.text for s in parsed.sentences] == [
        "The council passed the budget on Monday.",
        "Schools get more money.",
    ]
    _assert_spans(parsed)


def test_header_line_gives_date_and_title():
    parsed = ingest(
        _doc(" date 2025-10-17 Council Passes Budget\nThe council met. It voted yes.\n")
    )
    assert parsed.date == dt.date(2025, 10, 17)
    assert parsed.title == "Council Passes Budget"
    assert [s.text for s in parsed.sentences] == ["The council met.", "It voted yes."]


def test_caller_metadata_wins_over_text():
    parsed = ingest(
        _doc(" date 2025-10-17 Headline\nBody text here.\n", title="T", date=dt.date(2020, 1, 2))
    )
    assert parsed.title == "T"
    assert parsed.date == dt.date(2020, 1, 2)


def test_share_bars_teasers_and_repeated_captions_are_removed():
    text = (
        "Storm hits coast\nShare and Follow\n\n"
        "A storm hit the coast on Monday, cutting power to thousands.\n\n"
        "Waves batter the pier in the morning\n\n"
        "Waves batter the pier in the morning\n\n"
        "Officials said repairs would take a week.\n"
        "You can share this story on social media:\n"
        "Read the full article here\n"
        "You May Also Like\n"
        "Celebrity chef opens new restaurant in Paris.\n"
        "Ten tips for better sleep this winter.\n"
    )
    parsed = ingest(_doc(text))
    assert [s.text for s in parsed.sentences] == [
        "A storm hit the coast on Monday, cutting power to thousands.",
        "Officials said repairs would take a week.",
    ]
    assert parsed.title == "Storm hits coast"
    _assert_spans(parsed)


def test_hard_wrapped_paragraph_is_not_split_at_line_breaks():
    text = (
        "The talks came a day before the president was to visit the White\n"
        "House, and with the cabinet weighing whether to send more aid to the\n"
        "region. A second sentence follows here.\n"
    )
    parsed = ingest(_doc(text))
    assert len(parsed.sentences) == 2
    assert parsed.sentences[0].text.endswith("the\nregion.")
    _assert_spans(parsed)


def test_markdown_emphasis_does_not_start_a_sentence():
    parsed = ingest(_doc("**The minister resigned on Friday.** She gave no reason.\n"))
    assert parsed.sentences[0].text == "The minister resigned on Friday."
    _assert_spans(parsed)


def test_html_tags_and_scripts_are_not_text():
    text = "<html><script>var x = 'Buy now.';</script><p>The bridge reopened on Sunday.</p></html>"
    parsed = ingest(_doc(text))
    assert [s.text for s in parsed.sentences] == ["The bridge reopened on Sunday."]


def test_text_without_punctuation_is_kept_and_long_sentences_are_cut():
    text = " ".join(["word"] * 3000)
    parsed = ingest(_doc(text), max_sentence_chars=500)
    assert parsed.sentences, "unpunctuated text must still yield sentences"
    assert all(len(s.text) <= 500 for s in parsed.sentences)
    assert sum(len(s.text.split()) for s in parsed.sentences) == 3000
    _assert_spans(parsed)


def test_example_corpus_has_no_boilerplate_in_sentences(example_paths: list[Path]):
    banned = (
        "Share and Follow",
        "You May Also Like",
        "Read the full article",
        "share this story",
        "Witness Protection",
        "Chicago Bears",
        "Australia Post",
        "@internewscast",
    )
    for i, path in enumerate(example_paths):
        parsed = ingest(Document(id=str(path), text=path.read_text(encoding="utf-8")), i)
        assert len(parsed.sentences) >= 10
        _assert_spans(parsed)
        for s in parsed.sentences:
            assert not any(b.lower() in s.text.lower() for b in banned), s.text
        texts = [" ".join(s.text.split()) for s in parsed.sentences]
        assert len(texts) == len(set(texts)), "a repeated caption survived"


def test_parse_date_forms():
    assert parse_date("2025-10-17") == dt.date(2025, 10, 17)
    assert parse_date("Published 16 October 2025") == dt.date(2025, 10, 16)
    assert parse_date("Oct. 16, 2025") == dt.date(2025, 10, 16)
    assert parse_date("no date here") is None
    assert parse_date("2025-13-45") is None


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=400))
def test_spans_reproduce_sentences_for_any_unicode(text: str):
    parsed = ingest(_doc(text))
    _assert_spans(parsed)
    for start, end in split_sentences(text):
        assert 0 <= start < end <= len(text)
        assert text[start:end].strip() == text[start:end]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60),
        min_size=1,
        max_size=12,
    )
)
def test_spans_hold_for_line_structured_text(lines: list[str]):
    parsed = ingest(_doc("\n".join(lines)))
    _assert_spans(parsed)
    indices = [s.index for s in parsed.sentences]
    assert indices == list(range(len(indices)))


def test_wire_datelines_are_not_part_of_the_first_sentence():
    text = (
        "PINE RIDGE, S.D. (AP) -- President Clinton visited the reservation today. "
        "He met tribal leaders.\n\nBEIJING, May 3 (Xinhua) -- This one stays, not first."
    )
    parsed = ingest(_doc(text))
    assert parsed.sentences[0].text == "President Clinton visited the reservation today."
    _assert_spans(parsed)


def _article(example_paths: list[Path]) -> str:
    return example_paths[2].read_text(encoding="utf-8")


def test_a_document_of_one_article_repeated_is_that_article(example_paths: list[Path]):
    article = _article(example_paths)
    once = ingest(_doc(article))
    # 3 MB of the article repeated, the last copy cut short where the file ends.
    repeated = ((article.rstrip() + "\n\n") * (3_000_000 // len(article) + 1))[:3_000_000]
    parsed = ingest(_doc(repeated))
    assert [s.text for s in parsed.sentences] == [s.text for s in once.sentences]
    spans = [(s.start, s.end) for s in once.sentences]
    assert [(s.start, s.end) for s in parsed.sentences] == spans
    assert parsed.title == once.title
    _assert_spans(parsed)
    # Every later copy is boilerplate: its spans are exact ranges of the text.
    masked = sum(span.end - span.start for span in parsed.boilerplate)
    assert masked > 0.99 * (len(repeated) - len(article))


def test_copies_separated_by_any_whitespace_count_as_repeats(example_paths: list[Path]):
    article = _article(example_paths).strip()
    text = f"\n{article}\n\n\n{article} \n{article}\n"
    parsed = ingest(_doc(text))
    assert [s.text for s in parsed.sentences] == [
        s.text for s in ingest(_doc(article)).sentences
    ]
    _assert_spans(parsed)


def test_a_repeated_document_with_differing_copies_is_not_emptied(example_paths: list[Path]):
    # Not one exact repetition (a different first line in each copy): the repeated-line rule
    # must keep each line once instead of dropping every line that occurs twice.
    article = _article(example_paths).strip()
    text = "\n\n".join(f"Copy {i} of the page, scraped on Monday.\n\n{article}" for i in range(4))
    parsed = ingest(_doc(text))
    once = ingest(_doc(article))
    body = {s.text for s in once.sentences}
    assert body <= {s.text for s in parsed.sentences}
    assert len(parsed.sentences) <= len(once.sentences) + 4
    _assert_spans(parsed)


def test_an_article_that_repeats_its_opening_later_is_not_a_repetition(example_paths):
    article = _article(example_paths).strip()
    opening = article[:600]
    text = f"{article}\n\n{opening}\n\nThe mayor welcomed it."
    assert repeated_copies(text) == []
    assert ingest(_doc(text)).sentences[-1].text == "The mayor welcomed it."
    # A word or a line repeated is not a document repeated.
    assert repeated_copies(" ".join(["word"] * 3000)) == []
    assert repeated_copies("The vote was close.\n" * 500) == []


def test_html_title_comes_from_og_title_or_title_with_entities_decoded():
    page = (
        "<!DOCTYPE html>\n<html><head>\n"
        "<title>Summit &amp; talks called off | World | News</title>\n"
        '<meta content="Trump&#8217;s summit with Putin &quot;called off&quot;" '
        "property='og:title'>\n</head><body><nav>Home | World | Europe</nav>\n"
        "<p>The meeting in Budapest will not take place, officials said on Tuesday.</p>\n"
        "</body></html>"
    )
    parsed = ingest(_doc(page))
    assert parsed.title == 'Trump’s summit with Putin "called off"'
    assert [s.text for s in parsed.sentences] == [
        "The meeting in Budapest will not take place, officials said on Tuesday."
    ]
    without_og = page.replace("og:title", "description")
    assert ingest(_doc(without_og)).title == "Summit & talks called off | World | News"
    bare = "<!doctype html>\n<p>Called off</p>\n<p>The summit will not take place, they said.</p>"
    title = ingest(_doc(bare)).title
    assert title == "Called off"
    # A title given by the caller still wins.
    assert ingest(_doc(page, title="Mine")).title == "Mine"
