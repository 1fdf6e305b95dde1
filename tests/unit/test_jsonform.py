"""The JSON forms: requests parsed in one place, summaries and errors both ways, one mode list."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from newsfuse import wire
from newsfuse.api import ClusterRequest
from newsfuse.errors import ERROR_TABLE, InvalidInput, LimitExceeded, build_error
from newsfuse.jsonform import (
    error_from_dict,
    error_to_dict,
    parse_request,
    request_from_dict,
    request_to_dict,
)
from newsfuse.output import summary_from_dict, summary_to_dict
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.types import (
    MODES,
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

CONFLICT = Conflict(
    kind="number",
    claim="The missiles have a range of 2,500 km.",
    values=(
        ConflictValue("2,500 km", "2500 km", (SourceSpan("a", 0, 0, 4),)),
        ConflictValue("around 1,600 kilometres", "1600 km", (SourceSpan("b", 2, 10, 14),)),
    ),
)
SUMMARY = Summary(
    sentences=(
        SummarySentence("One.", (Citation("a", 0, 0, 4, 0.5), Citation("b", 2, 10, 14, 0.25))),
        SummarySentence(
            "Two on Monday.",
            (Citation("b", 1, 5, 9, 0.8736),),
            generated=True,
            conflicts=(CONFLICT,),
            dates=(DateMention("on Monday", 4, 13, dt.date(2025, 1, 6)),),
        ),
    ),
    documents=(
        DocumentInfo("a", "Title", dt.date(2025, 1, 2), date_inferred=True),
        DocumentInfo("b", None, None, duplicate_of="a", seen=True),
    ),
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
    conflicts=(CONFLICT,),
)


def test_summary_json_round_trip_and_matches_the_wire() -> None:
    text = json.dumps(summary_to_dict(SUMMARY))
    assert summary_from_dict(json.loads(text)) == SUMMARY
    # The same summary through protobuf gives the very same JSON.
    back = wire.summary_from_proto(
        pb.SummarizeResponse.FromString(wire.summary_to_proto(SUMMARY).SerializeToString())
    )
    assert summary_to_dict(back) == summary_to_dict(SUMMARY)


def test_summary_from_something_else_names_the_problem() -> None:
    with pytest.raises(InvalidInput) as error:
        summary_from_dict({"sentences": [{"text": "x"}]})
    assert error.value.field == "summary"


def test_request_round_trip() -> None:
    request = ClusterRequest(
        documents=(
            Document("a", "One.", title="Headline", date=dt.date(2025, 10, 21), authors=("X",)),
            Document("b", "Text two.\r\n"),
        ),
        options=SummaryOptions(
            max_words=None,
            max_sentences=3,
            mode="extractive",
            seen_ids=("b",),
            seen_documents=(Document("old", "Earlier.", date=dt.date(2025, 10, 1)),),
        ),
        id="cluster-7",
    )
    data = json.loads(json.dumps(request_to_dict(request)))
    assert request_from_dict(data, default_max_words=150) == request
    plain = ClusterRequest((Document("a", "x"),))
    assert request_from_dict(request_to_dict(plain), 150) == plain


def test_request_defaults_and_forms() -> None:
    parsed = parse_request(
        '{"id": 12, "documents": [{"id": "a", "text": "x", "date": "1999-07-07 08:30:27"}],'
        ' "options": {"mode": "extractive", "max_sentences": 0}}',
        default_max_words=99,
    )
    assert parsed.id == "12"
    assert parsed.documents[0].date == dt.date(1999, 7, 7)
    assert parsed.options == SummaryOptions(max_words=99, max_sentences=None, mode="extractive")
    assert parse_request('{"documents": []}', 99).options is None  # the service's defaults
    unlimited = parse_request('{"documents": [], "options": {"max_words": null}}', 99)
    assert unlimited.options is not None and unlimited.options.max_words is None


BAD_REQUESTS = {
    "[1, 2]": "request",
    '{"documents": [], "extra": 1}': "extra",
    '{"documents": [}': "request",
    '{"id": true, "documents": []}': "id",
    '{"id": "x"}': "documents",
    '{"documents": {"id": "a"}}': "documents",
    '{"documents": ["text"]}': "documents[0]",
    '{"documents": [{"text": "x"}]}': "documents[0].id",
    '{"documents": [{"id": "a", "text": 5}]}': "documents[0].text",
    '{"documents": [{"id": "a", "text": "x", "titel": "y"}]}': "documents[0].titel",
    '{"documents": [{"id": "a", "text": "x", "date": "17/10/2025"}]}': "documents[0].date",
    '{"documents": [{"id": "a", "text": "x", "title": 3}]}': "documents[0].title",
    '{"documents": [{"id": "a", "text": "x", "authors": "me"}]}': "documents[0].authors",
    '{"documents": [], "options": []}': "options",
    '{"documents": [], "options": {"max_word": 5}}': "options.max_word",
    '{"documents": [], "options": {"max_words": -1}}': "options.max_words",
    '{"documents": [], "options": {"max_words": 1.5}}': "options.max_words",
    '{"documents": [], "options": {"max_sentences": "3"}}': "options.max_sentences",
    '{"documents": [], "options": {"mode": "fancy"}}': "options.mode",
    '{"documents": [], "options": {"seen_ids": [1]}}': "options.seen_ids",
    '{"documents": [], "options": {"seen_documents": [{"id": "a"}]}}': (
        "options.seen_documents[0].text"
    ),
}


@pytest.mark.parametrize("text", sorted(BAD_REQUESTS))
def test_bad_requests_name_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_request(text, 150)
    assert error.value.field == BAD_REQUESTS[text]
    assert str(error.value).startswith(f"{BAD_REQUESTS[text]}: ")


def test_not_utf8_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_request(b'{"documents": "\xff"}', 150)
    assert error.value.field == "request"


@pytest.mark.parametrize("kind", list(ERROR_TABLE))
def test_error_json_round_trip(kind: type) -> None:
    message = "documents: the limit is 4" if issubclass(kind, InvalidInput) else "x"
    error = build_error(kind, message)
    data = json.loads(json.dumps(error_to_dict(error)))
    spec = ERROR_TABLE[kind]
    assert data["reason"] == spec.reason and data["retryable"] == spec.retryable
    back = error_from_dict(data)
    assert type(back) is kind and str(back) == str(error)


def test_unexpected_errors_become_generic_internal_ones() -> None:
    data = error_to_dict(KeyError("secret text"), "r-1")
    assert data == {
        "reason": "internal",
        "message": "internal error (request id r-1)",
        "retryable": False,
    }
    limit = error_from_dict({"reason": "limit_exceeded", "message": "a: b"})
    assert isinstance(limit, LimitExceeded) and limit.field == "a"


def test_one_list_of_modes() -> None:
    assert MODES == ("auto", "extractive", "abstractive")
    assert set(wire._MODE_VALUES) == set(MODES)
    assert [pb.Mode.Name(v) for v in pb.Mode.values()][1:] == [f"MODE_{m.upper()}" for m in MODES]


def test_the_client_imports_no_server_code() -> None:
    """``newsfuse.client`` needs the generated code and core types: no server, metrics, torch."""
    code = (
        "import sys, newsfuse.client\n"
        "bad = [m for m in sys.modules if m.startswith('newsfuse.server')\n"
        "       or m.split('.')[0] in ('prometheus_client', 'torch', 'transformers')]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == ""
