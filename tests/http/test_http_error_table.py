"""The error table walked through HTTP: every error of ``errors.ERROR_TABLE`` (and a bug)
raised inside a real server comes back with the table's HTTP status and the JSON error body
``{reason, message, field?, retryable}``, from ``/v1/summarize`` and ``/v1/summarize:batch``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from http_support import call, http_server
from newsfuse.errors import InvalidInput, NewsfuseError
from newsfuse.pipeline import Pipeline
from newsfuse.server.app import NewsfuseServer
from test_grpc_error_table import (
    CALL_ERRORS,
    CASES,
    FIELD,
    RaisingEmbedder,
    make_error,
    request_json,
    spec_of,
)


@pytest.fixture(scope="module")
def raising_http_server() -> Iterator[NewsfuseServer]:
    model = RaisingEmbedder()
    with http_server(factory=lambda settings: Pipeline(settings, model)) as server:
        yield server


def expected_body(name: str, body: dict) -> dict:
    spec = spec_of(name)
    original = make_error(name)
    out = {"reason": spec.reason}
    if isinstance(original, NewsfuseError):
        out["message"] = str(original)
    else:  # a bug: a generic message that carries the request id to find the trace
        assert body["message"].startswith("internal error (request id ")
        assert "a bug" not in body["message"]
        out["message"] = body["message"]
    if isinstance(original, InvalidInput):
        out["field"] = FIELD
    out["retryable"] = spec.retryable
    return out


@pytest.mark.parametrize("name", CASES)
def test_summarize_answers_by_the_table(raising_http_server: NewsfuseServer, name: str) -> None:
    reply = call(raising_http_server, "POST", "/v1/summarize", request_json(name))
    assert reply.status == spec_of(name).http
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == expected_body(name, reply.json())
    if name == "RuntimeError":
        assert reply.headers["x-request-id"] in reply.json()["message"]


@pytest.mark.parametrize("name", CASES)
def test_batch_lines_answer_by_the_table(raising_http_server: NewsfuseServer, name: str) -> None:
    spec = spec_of(name)
    body = request_json(None, "fine") + "\n" + request_json(name, "bad") + "\n"
    reply = call(raising_http_server, "POST", "/v1/summarize:batch", body)
    if isinstance(make_error(name), CALL_ERRORS):
        # The call's own deadline or cancellation ends the whole call: before any line, the
        # status says so; after some, a last line without a line number does.
        if reply.status != 200:
            assert reply.status == spec.http and reply.json()["reason"] == spec.reason
        else:
            last = reply.lines()[-1]
            assert last["id"] is None and "line" not in last
            assert last["error"]["reason"] == spec.reason
        return
    assert reply.status == 200
    records = {r["id"]: r for r in reply.lines()}
    assert records["fine"]["sentences"]
    assert records["bad"]["line"] == 2
    assert records["bad"]["error"] == expected_body(name, records["bad"]["error"])
    json.dumps(records)  # plain JSON all the way
