"""Helpers of the HTTP tests: plain ``http.client`` calls to a real server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from grpc_support import running_server
from newsfuse.server.app import NewsfuseServer


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]


@contextlib.contextmanager
def http_server(embedder: Any = None, **overrides: Any) -> Iterator[NewsfuseServer]:
    """``running_server`` with HTTP on a free port."""
    overrides.setdefault("http_port", 0)
    with running_server(embedder, **overrides) as server:
        yield server


def connect(server: NewsfuseServer, timeout: float = 60) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=timeout)


def call(
    server: NewsfuseServer,
    method: str,
    path: str,
    body: bytes | str | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request on a fresh connection; the whole reply."""
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    connection = connect(server)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        reply = connection.getresponse()
        data = reply.read()
        return Reply(reply.status, {k.lower(): v for k, v in reply.getheaders()}, data)
    finally:
        connection.close()


def cluster(*texts: str, cluster_id: str = "") -> dict[str, Any]:
    data: dict[str, Any] = {"documents": [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)]}
    if cluster_id:
        data = {"id": cluster_id, **data}
    return data


COUNCIL = (
    "The council approved the budget on Monday. Spending on schools will rise by 4 percent.",
    "On Monday the council passed the budget. Schools will get 4 percent more, officials said.",
)
