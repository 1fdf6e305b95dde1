"""The HTTP/JSON API against real servers on 127.0.0.1 (gRPC and HTTP in one process).

Most servers run the pipeline over the torch-free ``GatedEmbedder`` (a test can hold the
model); the comparison with ``newsfuse summarize --json`` loads the real MiniLM on both sides.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_support import GatedEmbedder, metric, running_server, scrape, wait_for
from http_support import COUNCIL, call, cluster, connect, http_server
from newsfuse import cli
from newsfuse.api import ServiceState
from newsfuse.embed import HashingEmbedder
from newsfuse.pipeline import Pipeline
from newsfuse.server.app import LIVENESS_SERVICE_NAME

ROOT = Path(__file__).resolve().parents[2]
SUMMARIZE = "POST /v1/summarize"


def without_seconds(summary: dict) -> dict:
    summary = json.loads(json.dumps(summary))
    summary["stats"].pop("seconds")
    return summary


def grpc_health(server, service: str = "") -> str:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=10
        )
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


# --- the same summary as the command line ---------------------------------------------------
@pytest.mark.slow
def test_curl_summarize_returns_what_summarize_json_prints(
    tmp_path: Path, minilm, shipped_scorer
) -> None:
    """``curl -XPOST :N/v1/summarize -d @cluster.json`` = ``newsfuse summarize --json`` (its own
    process, loading its own MiniLM)."""
    paths = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples" / "budapest").glob("*.txt"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("NEWSFUSE_")}
    printed = subprocess.run(
        [sys.executable, "-m", "newsfuse.cli", "summarize", "--json", *paths],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    assert "Loading weights" not in printed.stderr
    documents = []
    for path in paths:
        with open(ROOT / path, encoding="utf-8", newline="") as handle:
            documents.append({"id": path, "text": handle.read()})
    request = tmp_path / "cluster.json"
    request.write_text(json.dumps({"documents": documents}), encoding="utf-8")
    with http_server(
        factory=lambda settings: Pipeline(settings, minilm, scorer=shipped_scorer)
    ) as server:
        url = f"http://127.0.0.1:{server.http_port}/v1/summarize"
        if shutil.which("curl"):
            answer = subprocess.run(
                ["curl", "-s", "-XPOST", url, "-d", f"@{request}"],
                capture_output=True, timeout=300, check=True,
            ).stdout  # fmt: skip
        else:  # what curl -d @FILE sends: the file without newlines, as a form
            reply = call(
                server, "POST", "/v1/summarize", request.read_bytes().replace(b"\n", b""),
                {"Content-Type": "application/x-www-form-urlencoded"},
            )  # fmt: skip
            assert reply.status == 200
            answer = reply.body
    assert without_seconds(json.loads(answer)) == without_seconds(json.loads(printed.stdout))


# --- routes -------------------------------------------------------------------------------
def test_summarize_info_and_request_ids() -> None:
    with http_server() as server:
        reply = call(server, "POST", "/v1/summarize", cluster(*COUNCIL), {"X-Request-Id": "r-1"})
        assert reply.status == 200, reply.body
        assert reply.headers["content-type"] == "application/json"
        assert reply.headers["x-request-id"] == "r-1"
        summary = reply.json()
        assert summary["sentences"] and summary["stats"]["documents"] == 2
        for sentence in summary["sentences"]:
            first = sentence["citations"][0]  # an extractive sentence cites itself first
            text = COUNCIL[int(first["document"][1:])]
            assert text[first["start"] : first["end"]].split() == sentence["text"].split()
        # Options given: used.
        one = {**cluster(*COUNCIL), "options": {"max_sentences": 1}}
        budget = call(server, "POST", "/v1/summarize", one)
        assert budget.status == 200 and len(budget.json()["sentences"]) == 1
        info = call(server, "GET", "/v1/info")
        assert info.status == 200
        assert info.json()["default_max_words"] == server.settings.max_words
        assert info.json()["limits"]["max_receive_bytes"] == server.settings.max_receive_mb << 20
        assert len(call(server, "GET", "/v1/info").headers["x-request-id"]) == 16


def test_batch_streams_each_line_as_its_cluster_finishes() -> None:
    """A bad line is answered while the other cluster is still held in the model."""
    embedder = GatedEmbedder()
    with http_server(embedder) as server:
        embedder.gate.clear()
        body = "not json\n" + json.dumps(cluster(*COUNCIL, cluster_id="good")) + "\n"
        connection = connect(server)
        connection.request("POST", "/v1/summarize:batch", body=body.encode())
        reply = connection.getresponse()
        assert reply.status == 200
        assert reply.getheader("content-type").startswith("application/x-ndjson")
        first = json.loads(reply.readline())
        assert first["line"] == 1 and first["error"]["reason"] == "invalid_input"
        assert first["error"]["field"] == "request"
        wait_for(lambda: embedder.waiting > 0)  # the good cluster is still in the model
        embedder.gate.set()
        second = json.loads(reply.readline())
        assert second["id"] == "good" and second["sentences"]
        assert reply.read() == b""
        connection.close()


def test_batch_lines_are_those_of_newsfuse_batch(tmp_path: Path, monkeypatch, capsys) -> None:
    lines = [
        json.dumps(cluster(*COUNCIL, cluster_id="a")),
        json.dumps(cluster(COUNCIL[0], cluster_id="b")),
        json.dumps({"documents": [{"id": "x", "text": "No id."}]}),
        json.dumps(cluster(COUNCIL[1], cluster_id="a")),
        '{"id": "c", "documents": [{"id": "x", "text": "Hi."}], "options": {"max_word": 3}}',
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = HashingEmbedder()
    monkeypatch.setattr(
        Pipeline, "load", classmethod(lambda cls, settings: Pipeline(settings, model))
    )
    out = tmp_path / "out.jsonl"
    assert cli.main(["batch", str(source), "-o", str(out), "--quiet"]) == 10
    capsys.readouterr()
    expected = [json.loads(line) for line in out.read_text().splitlines()]
    with http_server(factory=lambda settings: Pipeline(settings, model)) as server:
        reply = call(server, "POST", "/v1/summarize:batch", source.read_bytes())
    assert reply.status == 200
    got = reply.lines()

    def key(record: dict) -> tuple:
        return (record["id"] or "", record.get("line", 0))

    def normal(record: dict) -> dict:
        return without_seconds(record) if "stats" in record else record

    assert sorted(map(normal, got), key=key) == sorted(map(normal, expected), key=key)
    assert {r.get("error", {}).get("field") for r in got} >= {"id", "options.max_word"}


def test_batch_with_no_clusters_is_bad_input() -> None:
    with http_server() as server:
        reply = call(server, "POST", "/v1/summarize:batch", b"\n \n")
    assert reply.status == 400
    assert reply.json()["field"] == "request" and "--data-binary" in reply.json()["message"]


def test_unknown_routes_and_methods_answer_json() -> None:
    with http_server() as server:
        missing = call(server, "GET", "/v2/nothing")
        wrong = call(server, "GET", "/v1/summarize")
    assert missing.status == 404 and missing.json()["reason"] == "not_found"
    assert wrong.status == 405 and wrong.json()["reason"] == "method_not_allowed"


# --- limits, auth, overload ---------------------------------------------------------------
def test_bad_requests_name_the_field() -> None:
    with http_server(max_documents=2) as server:
        cases = {
            b"{not json": (400, "invalid_input", "request"),
            b'{"documents": []}': (400, "invalid_input", "documents"),
            b'{"documents": [{"id": "a"}]}': (400, "invalid_input", "documents[0].text"),
            b'{"documents": [{"id": "a", "text": "x"}], "options": {"max_word": 3}}': (
                400, "invalid_input", "options.max_word",
            ),
            json.dumps(cluster("a.", "b.", "c.")).encode(): (413, "limit_exceeded", "documents"),
            b"\xff\xfe": (400, "invalid_input", "request"),
        }  # fmt: skip
        for body, (status, reason, field) in cases.items():
            reply = call(server, "POST", "/v1/summarize", body)
            assert reply.status == status, (body, reply.body)
            assert reply.json()["reason"] == reason and reply.json()["field"] == field
            assert reply.json()["retryable"] is False
        # The server took it all in its stride.
        assert call(server, "POST", "/v1/summarize", cluster(*COUNCIL)).status == 200


def test_body_over_max_receive_mb_is_413_declared_or_streamed() -> None:
    big = json.dumps(cluster("word " * 250_000)).encode()  # 1.25 MB
    with http_server(max_receive_mb=1) as server:
        declared = call(server, "POST", "/v1/summarize", big)
        # Chunked: no length up front, counted while read.
        connection = connect(server)
        connection.request(
            "POST", "/v1/summarize", body=iter([big[:600_000], big[600_000:]]),
            encode_chunked=True,
        )  # fmt: skip
        reply = connection.getresponse()
        streamed = (reply.status, json.loads(reply.read()))
        connection.close()
        after = call(server, "POST", "/v1/summarize", cluster(*COUNCIL))
    assert declared.status == 413 and declared.json()["reason"] == "limit_exceeded"
    assert declared.json()["field"] == "request"
    assert "max_receive_mb 1" in declared.json()["message"]
    assert streamed[0] == 413 and streamed[1]["reason"] == "limit_exceeded"
    assert after.status == 200


def test_bearer_token_guards_the_api_not_health_or_the_page() -> None:
    with http_server(auth_token="s3cret") as server:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            reply = call(server, "POST", "/v1/summarize", cluster(*COUNCIL), headers)
            assert reply.status == 401
            assert reply.json() == {
                "reason": "unauthenticated",
                "message": "missing or wrong bearer token",
                "retryable": False,
            }
            assert reply.headers["www-authenticate"].startswith("Bearer")
        for path in ("/v1/info", "/openapi.json"):
            assert call(server, "GET", path).status == 401
        good = {"Authorization": "Bearer s3cret"}
        assert call(server, "POST", "/v1/summarize", cluster(*COUNCIL), good).status == 200
        assert call(server, "GET", "/v1/info", headers=good).status == 200
        for path in ("/healthz", "/readyz", "/", "/assets/reader.js"):
            assert call(server, "GET", path).status == 200, path
        assert metric(server, "newsfuse_http_requests_total", route=SUMMARIZE, status="401") == 3


def test_calls_beyond_workers_and_queue_are_overloaded() -> None:
    embedder = GatedEmbedder()
    with http_server(embedder, workers=1, max_queue=1) as server:
        embedder.gate.clear()
        held = []
        threads = [
            threading.Thread(
                target=lambda: held.append(call(server, "POST", "/v1/summarize", cluster(*COUNCIL)))
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        wait_for(lambda: server.metrics.inflight_calls() == 2)
        refused = call(server, "POST", "/v1/summarize", cluster(*COUNCIL))
        embedder.gate.set()
        for thread in threads:
            thread.join(30)
    assert refused.status == 429
    assert refused.json()["reason"] == "overloaded" and refused.json()["retryable"] is True
    assert refused.headers["retry-after"] == "1"
    assert [r.status for r in held] == [200, 200]


def test_a_client_that_goes_away_cancels_its_call() -> None:
    embedder = GatedEmbedder()
    with http_server(embedder) as server:
        embedder.gate.clear()
        body = json.dumps(cluster(*COUNCIL)).encode()
        with socket.create_connection(("127.0.0.1", server.http_port)) as raw:
            raw.sendall(
                b"POST /v1/summarize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
            )
            wait_for(lambda: embedder.waiting > 0)
        # Answered 499 (cancelled) to nobody, while the model is still held.
        cancelled = {"route": SUMMARIZE, "status": "499"}
        wait_for(lambda: metric(server, "newsfuse_http_requests_total", **cancelled) == 1)
        assert server.metrics.inflight_calls() == 0
        embedder.gate.set()
        assert call(server, "POST", "/v1/summarize", cluster(*COUNCIL)).status == 200


# --- health, readiness and the drain ------------------------------------------------------
def test_readyz_follows_grpc_health_through_loading_serving_and_draining() -> None:
    loading = threading.Event()
    embedder = GatedEmbedder()

    def factory(settings):
        loading.wait(30)
        return Pipeline(settings, embedder)

    with running_server(factory=factory, wait=False, http_port=0) as server:
        assert grpc_health(server) == "NOT_SERVING"
        ready = call(server, "GET", "/readyz")
        assert (ready.status, ready.json()) == (503, {"status": "NOT_SERVING", "state": "loading"})
        assert call(server, "GET", "/healthz").status == 200
        early = call(server, "POST", "/v1/summarize", cluster(*COUNCIL))
        assert early.status == 503 and early.json()["retryable"] is True
        assert early.json()["message"] == "the models are still loading"

        loading.set()
        assert server.wait_ready(30)
        assert grpc_health(server) == "SERVING"
        ready = call(server, "GET", "/readyz")
        assert (ready.status, ready.json()) == (200, {"status": "SERVING", "state": "serving"})

        embedder.gate.clear()
        in_flight: list = []

        def summarize() -> None:
            in_flight.append(call(server, "POST", "/v1/summarize", cluster(*COUNCIL)))

        caller = threading.Thread(target=summarize)
        caller.start()
        wait_for(lambda: embedder.waiting > 0)
        stopper = threading.Thread(target=server.stop, args=(20.0,))
        stopper.start()
        wait_for(lambda: server.service.state is ServiceState.DRAINING)
        assert grpc_health(server) == "NOT_SERVING"
        assert grpc_health(server, LIVENESS_SERVICE_NAME) == "SERVING"
        ready = call(server, "GET", "/readyz")
        assert (ready.status, ready.json()["state"]) == (503, "draining")
        alive = call(server, "GET", "/healthz")
        assert (alive.status, alive.json()["state"]) == (200, "draining")
        refused = call(server, "POST", "/v1/summarize", cluster(*COUNCIL))
        assert refused.status == 503 and refused.json()["reason"] == "unavailable"
        assert refused.json()["retryable"] is True and "draining" in refused.json()["message"]

        embedder.gate.set()  # the call in flight finishes, then the server stops
        caller.join(30)
        stopper.join(30)
        assert [r.status for r in in_flight] == [200]
        assert not stopper.is_alive()
        with pytest.raises(OSError):
            call(server, "GET", "/healthz")


def test_http_port_taken_fails_the_start() -> None:
    with http_server() as first:
        with pytest.raises(OSError, match="cannot serve HTTP"):
            with running_server(http_port=first.http_port):
                pass


# --- metrics, the page, OpenAPI -----------------------------------------------------------
def test_metrics_count_requests_by_route_and_status() -> None:
    with http_server() as server:
        call(server, "POST", "/v1/summarize", cluster(*COUNCIL))
        call(server, "POST", "/v1/summarize", b"[]")
        call(server, "GET", "/readyz")
        # A request is counted once its response has gone out (as gRPC calls are), which
        # can be a moment after the client has read it: scrape until the last one shows.
        deadline = time.monotonic() + 10
        text = scrape(server)
        while 'route="GET /readyz"' not in text and time.monotonic() < deadline:
            time.sleep(0.05)
            text = scrape(server)
    assert f'newsfuse_http_requests_total{{route="{SUMMARIZE}",status="200"}} 1.0' in text
    assert f'newsfuse_http_requests_total{{route="{SUMMARIZE}",status="400"}} 1.0' in text
    assert 'newsfuse_http_requests_total{route="GET /readyz",status="200"} 1.0' in text
    assert f'newsfuse_http_request_seconds_count{{route="{SUMMARIZE}"}} 2.0' in text
    assert "newsfuse_inflight_requests 0.0" in text


def test_the_page_and_its_assets_are_served_from_the_package() -> None:
    from newsfuse.reader import ASSETS, asset, page_html

    with http_server() as server:
        page = call(server, "GET", "/")
        assert page.status == 200 and page.headers["content-type"].startswith("text/html")
        assert page.body.decode() == page_html()
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "connect-src 'self'" in policy
        for name, media in ASSETS.items():
            reply = call(server, "GET", f"/assets/{name}")
            assert (reply.status, reply.headers["content-type"]) == (200, media)
            assert reply.body == asset(name)
            assert f"assets/{name}" in page_html()
        assert call(server, "GET", "/assets/../cli.py").status == 404
        assert call(server, "GET", "/assets/nope.js").status == 404
    # Nothing the page loads comes from elsewhere.
    for text in (page_html(), asset("reader.css").decode(), asset("reader.js").decode()):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


def test_tls_serves_https(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    import http.client
    import ssl

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    with http_server(tls_cert=str(cert), tls_key=str(key)) as server:
        context = ssl.create_default_context(cafile=str(cert))
        connection = http.client.HTTPSConnection(
            "127.0.0.1", server.http_port, context=context, timeout=30
        )
        connection.request("GET", "/readyz")
        assert connection.getresponse().status == 200
        connection.close()
