"""Protobuf <-> dataclass conversion round-trips."""

from __future__ import annotations

import datetime as dt

import pytest
from newsfuse import wire
from newsfuse.errors import InvalidInput
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.types import (
    Citation,
    Conflict,
    ConflictValue,
    DateMention,
    Document,
    DocumentInfo,
    DuplicateSpan,
    SourceSpan,
    Stats,
    Summary,
    SummaryOptions,
    SummarySentence,
)


def test_request_round_trip() -> None:
    documents = [
        Document("a", "Text one.", title="Headline", date=dt.date(2025, 10, 21), authors=("X",)),
        Document("b", "Text two.\r\n"),
    ]
    options = SummaryOptions(
        max_words=80,
        max_sentences=3,
        mode="extractive",
        seen_ids=("b",),
        seen_documents=(Document("old", "Earlier text.", date=dt.date(2025, 10, 1)),),
    )
    msg = pb.SummarizeRequest.FromString(
        wire.request_to_proto(documents, options).SerializeToString()
    )
    back, back_options = wire.request_from_proto(msg, default_max_words=150)
    assert back == documents
    assert back_options == options


def test_unset_options_take_server_defaults_and_zero_means_no_limit() -> None:
    msg = wire.request_to_proto([Document("a", "x")])
    assert wire.request_from_proto(msg, 99)[1] == SummaryOptions(99, None, "auto")
    unlimited = wire.request_to_proto([Document("a", "x")], SummaryOptions(None, None))
    assert wire.request_from_proto(unlimited, 99)[1] == SummaryOptions(None, None, "auto")


def test_unknown_mode_names_the_field() -> None:
    msg = pb.SummarizeRequest(options=pb.SummaryOptions(mode=42))
    with pytest.raises(InvalidInput) as error:
        wire.request_from_proto(msg, 150)
    assert error.value.field == "options.mode"


def test_summary_round_trip() -> None:
    conflict = Conflict(
        kind="number",
        claim="The missiles have a range of 2,500 km.",
        values=(
            ConflictValue("2,500 km", "2500 km", (SourceSpan("a", 0, 0, 4),)),
            ConflictValue(
                "around 1,600 kilometres",
                "1600 km",
                (SourceSpan("b", 2, 10, 14), SourceSpan("a", 3, 20, 30)),
            ),
        ),
    )
    summary = Summary(
        sentences=(
            SummarySentence("One.", (Citation("a", 0, 0, 4, 0.5), Citation("b", 2, 10, 14, 0.25))),
            SummarySentence(
                "Two on Monday.",
                (Citation("b", 1, 5, 9, 1.0),),
                generated=True,
                conflicts=(conflict,),
                dates=(DateMention("on Monday", 4, 13, dt.date(2025, 1, 6)),),
            ),
        ),
        documents=(
            DocumentInfo("a", "Title", dt.date(2025, 1, 2), date_inferred=True),
            DocumentInfo("b", None, None, duplicate_of="a", seen=True),
        ),
        conflicts=(conflict,),
        duplicates=((DuplicateSpan("a", 0, 4), DuplicateSpan("b", 10, 14)),),
        stats=Stats(
            model="extractive",
            documents=2,
            sentences_in=7,
            sentences_after_dedup=5,
            seconds=0.125,
            duplicate_documents=1,
            generated_sentences=1,
            input_tokens=300,
            extra={"batch": 3, "ratio": 0.5, "note": "x"},
        ),
    )
    encoded = wire.summary_to_proto(summary).SerializeToString()
    assert wire.summary_from_proto(pb.SummarizeResponse.FromString(encoded)) == summary
