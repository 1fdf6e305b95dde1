"""``/openapi.json`` describes what the server really does: real requests, answers, error
bodies and batch lines are validated against its schemas (JSON Schema 2020-12)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from http_support import COUNCIL, call, cluster, http_server
from jsonschema import Draft202012Validator
from newsfuse.http.openapi import SCHEMAS


def validator(document: dict[str, Any], name: str) -> Draft202012Validator:
    root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return Draft202012Validator(root)


def test_every_schema_is_valid_json_schema() -> None:
    for schema in SCHEMAS.values():
        Draft202012Validator.check_schema(schema)


def test_the_document_matches_the_routes_and_real_traffic() -> None:
    with http_server() as server:
        reply = call(server, "GET", "/openapi.json")
        assert reply.status == 200
        document = reply.json()
        assert document["openapi"].startswith("3.1")
        routes = {
            (method.lower(), route.path)
            for route in server.http.api.app.routes
            for method in route.methods - {"HEAD"}
        }
        described = {
            (method, path) for path, item in document["paths"].items() for method in item
        }
        assert described == routes - {("get", "/assets/{name}"), ("get", "/openapi.json")}

        request = {
            **cluster(*COUNCIL, cluster_id="c1"),
            "options": {"max_words": 50, "mode": "extractive"},
        }
        validator(document, "SummarizeRequest").validate(request)
        summary = call(server, "POST", "/v1/summarize", request)
        assert summary.status == 200
        validator(document, "Summary").validate(summary.json())
        info = call(server, "GET", "/v1/info")
        validator(document, "Info").validate(info.json())
        for path in ("/healthz", "/readyz"):
            validator(document, "Health").validate(call(server, "GET", path).json())
        errors = [
            call(server, "POST", "/v1/summarize", b"{oops"),
            call(server, "POST", "/v1/summarize", {"documents": [{"id": "a", "text": 1}]}),
        ]
        for error in errors:
            assert str(error.status) in document["paths"]["/v1/summarize"]["post"]["responses"]
            validator(document, "Error").validate(error.json())
        body = "\n".join(
            [json.dumps(request), "{bad", json.dumps(cluster(COUNCIL[0]))]
        )
        lines = call(server, "POST", "/v1/summarize:batch", body).lines()
        assert len(lines) == 3
        for line in lines:
            validator(document, "BatchLine").validate(line)


@pytest.mark.parametrize("name", ["Summary", "Error", "Info", "BatchLine"])
def test_schemas_refuse_what_the_server_never_sends(name: str) -> None:
    from jsonschema.exceptions import ValidationError

    document = {"components": {"schemas": SCHEMAS}}
    with pytest.raises(ValidationError):
        validator(document, name).validate({"surprise": True})

