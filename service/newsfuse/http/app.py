"""HTTP routes around one ``SummarizerService``: JSON in → the core → JSON out.

A transport like the gRPC servicer: it reads the request JSON with ``jsonform`` (the form
``newsfuse summarize -`` and ``newsfuse batch`` read), answers with ``output.summary_to_dict``
(what ``summarize --json`` prints), and maps every error through ``errors.ERROR_TABLE``
(HTTP status, ``jsonform.error_to_dict`` body). The same limits as gRPC apply: the body size
(``max_receive_mb``), calls in flight (``workers + max_queue``, then 429), the bearer token
(``auth_token``; health and the page's static files stay open), and the service's own
request limits and bounded queues. Blocking work runs on this transport's own thread pool
(``workers`` threads, as gRPC has); a client that disconnects cancels its call.

Routes: ``POST /v1/summarize``, ``POST /v1/summarize:batch`` (JSON lines in, JSON lines out
as clusters finish), ``GET /v1/info``, ``GET /healthz`` (liveness), ``GET /readyz``
(readiness, as gRPC health), ``GET /openapi.json``, ``GET /`` (the reader page) and its
``/assets/``.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from newsfuse import batch as jsonl
from newsfuse.batching import Call
from newsfuse.errors import (
    InvalidInput,
    LimitExceeded,
    Overloaded,
    Unauthenticated,
    error_spec,
    public_error,
)
from newsfuse.http.openapi import openapi_document
from newsfuse.jsonform import error_to_dict, info_to_dict, parse_request
from newsfuse.output import summary_to_dict
from newsfuse.reader import ASSETS, asset, page_html
from newsfuse.server.metrics import Metrics
from newsfuse.service import SummarizerService

_LOGGER = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
NDJSON = "application/x-ndjson"

# The page loads nothing from elsewhere and talks only to this server.
PAGE_SECURITY = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}

Handler = Callable[[Request, Call], Awaitable[Response]]


class HttpApi:
    """The Starlette application (``.app``) of one server; shares its service and metrics."""

    def __init__(self, service: SummarizerService, metrics: Metrics) -> None:
        self.service = service
        self.settings = settings = service.settings
        self.metrics = metrics
        self._limit_bytes = settings.max_receive_mb * 1024 * 1024
        self._max_calls = settings.workers + settings.max_queue
        self._calls = 0  # only read and written on the event loop's thread
        self._pool = ThreadPoolExecutor(settings.workers, thread_name_prefix="http")
        self._expected = f"Bearer {settings.auth_token}".encode() if settings.auth_token else None
        self._openapi = openapi_document()
        route = self._route
        self.app = Starlette(
            routes=[
                route("POST", "/v1/summarize", self._summarize),
                route("POST", "/v1/summarize:batch", self._summarize_batch),
                route("GET", "/v1/info", self._info),
                route("GET", "/openapi.json", self._openapi_json, counted=False),
                route("GET", "/healthz", self._healthz, auth=False, counted=False),
                route("GET", "/readyz", self._readyz, auth=False, counted=False),
                route("GET", "/", self._page, auth=False, counted=False),
                route("GET", "/assets/{name}", self._asset, auth=False, counted=False),
            ],
            exception_handlers={HTTPException: self._http_exception},
        )

    def close(self) -> None:
        """Stop the thread pool (calls still running finish on their own)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- the wrapper every route runs in --------------------------------------------------
    def _route(
        self, method: str, path: str, handler: Handler, *, auth: bool = True, counted: bool = True
    ) -> Route:
        """``handler`` with auth, the in-flight limit, errors by the table, metrics and a log
        line. ``counted`` routes are summarizer calls: a drain waits for them."""
        label = f"{method} {path}"

        async def endpoint(request: Request) -> Response:
            call = self._new_call(request)
            started = time.perf_counter()
            ticket = 0
            if counted:
                ticket = self.metrics.started()
                self._calls += 1
            try:
                if auth:
                    self._authorize(request)
                if counted and self._calls > self._max_calls:
                    raise Overloaded(
                        f"{self._max_calls} HTTP calls in flight (workers + max_queue): retry later"
                    )
                response = await handler(request, call)
            except Exception as exc:  # noqa: BLE001 - every error becomes a status by the table
                response = self._error_response(exc, call)
            if counted:
                response.headers[REQUEST_ID_HEADER] = call.request_id

            def done() -> None:
                seconds = time.perf_counter() - started
                if counted:
                    self._calls -= 1
                self.metrics.http_finished(
                    label, response.status_code, seconds, counted=counted, ticket=ticket
                )
                if counted:
                    self._log(label, response.status_code, call, seconds)

            return _Finally(response, done)

        return Route(path, endpoint, methods=[method])

    def _new_call(self, request: Request) -> Call:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        # Bounded and printable: it goes into every log line of the call.
        request_id = "".join(ch for ch in given[:64] if ch.isprintable()) or uuid.uuid4().hex[:16]
        return Call(request_id, None, shutdown=self.service.shutdown)

    def _authorize(self, request: Request) -> None:
        if self._expected is None:
            return
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, self._expected):
            raise Unauthenticated("missing or wrong bearer token")

    def _error_response(self, exc: Exception, call: Call) -> Response:
        error = public_error(exc, call.request_id)
        spec = error_spec(error)
        headers = {}
        if spec.retryable and spec.http in (429, 503):
            headers["retry-after"] = "1"
        if spec.http == 401:
            headers["www-authenticate"] = 'Bearer realm="newsfuse"'
        return JSONResponse(
            error_to_dict(error, call.request_id), status_code=spec.http, headers=headers
        )

    @staticmethod
    def _log(label: str, status: int, call: Call, seconds: float) -> None:
        counts = " ".join(f"{k}={v}" for k, v in call.counts.items())
        quiet = status < 300 or status in (400, 413)
        _LOGGER.log(
            logging.INFO if quiet else logging.WARNING,
            "request %s %s %d %.3fs %s",
            call.request_id,
            label,
            status,
            seconds,
            counts,
        )

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        """Unknown paths and methods: a JSON answer in the error body's shape."""
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        reason = {404: "not_found", 405: "method_not_allowed"}.get(status, "invalid_input")
        message = f"{request.method} {request.url.path}: no such route (the API: /openapi.json)"
        return JSONResponse(
            {"reason": reason, "message": message, "retryable": False},
            status_code=status,
            headers=getattr(exc, "headers", None),
        )

    # --- request bodies and blocking work -------------------------------------------------
    async def _body(self, request: Request) -> bytes:
        """The body, at most ``max_receive_mb`` (over it: ``LimitExceeded``, 413)."""
        limit = self._limit_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(int(declared))
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                # Read on and keep nothing, so the client gets the answer, not a reset.
                chunks.clear()
                continue
            chunks.append(chunk)
        if size > limit:
            raise self._too_large(size)
        return b"".join(chunks)

    def _too_large(self, size: int) -> LimitExceeded:
        return LimitExceeded(
            "request",
            f"{size} bytes, the limit is {self._limit_bytes} bytes "
            f"(max_receive_mb {self.settings.max_receive_mb})",
        )

    async def _in_thread(self, request: Request, call: Call, fn: Callable[..., Any], *args: Any):
        """``fn(*args)`` on the pool; the call is cancelled if the client goes away."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, fn, *args)
        watcher = asyncio.ensure_future(_cancel_on_disconnect(request, call))
        try:
            return await future
        finally:
            watcher.cancel()

    # --- routes -----------------------------------------------------------------------------
    async def _summarize(self, request: Request, call: Call) -> Response:
        cluster = parse_request(await self._body(request), self.settings.max_words)
        summary = await self._in_thread(request, call, self.service.summarize, cluster, call)
        return JSONResponse(summary_to_dict(summary))

    async def _summarize_batch(self, request: Request, call: Call) -> Response:
        body = await self._body(request)
        if not body.strip():
            raise InvalidInput(
                "request",
                "no clusters: send one cluster's JSON per line (curl --data-binary @FILE)",
            )
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue()

        def put(item: str | BaseException | None) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop has closed: nobody is reading any more
                call.cancelled.set()

        # ``newsfuse batch``'s own reader and writer: the same lines, errors and checks.
        run = jsonl.Batch(
            jsonl.input_lines(io.BytesIO(body)),
            _LineWriter(put),
            default_max_words=self.settings.max_words,
        )

        def work() -> None:
            try:
                run.run(lambda items: self.service.summarize_many(items, call=call))
            except BaseException as exc:  # noqa: BLE001 - handed to the response
                put(exc)
                return
            put(None)

        self._pool.submit(work)
        watcher = asyncio.ensure_future(_cancel_on_disconnect(request, call))
        try:
            first = await queue.get()
        finally:
            watcher.cancel()  # while streaming, the response itself watches for a disconnect
        if isinstance(first, BaseException):
            raise first  # before any line (not serving, cancelled): the status tells
        counts = run.counts

        async def lines() -> AsyncIterator[str]:
            item = first
            finished = False
            try:
                while item is not None:
                    if isinstance(item, BaseException):
                        # The whole call stopped after some lines: say so as the last line.
                        error = error_to_dict(item, call.request_id)
                        yield json.dumps({"id": None, "error": error}) + "\n"
                        break
                    yield item
                    item = await queue.get()
                finished = True
            finally:
                call.counts.update(clusters=counts.done, failed=counts.failed)
                if not finished:
                    call.cancelled.set()  # the client went away: clusters still running stop

        return StreamingResponse(lines(), media_type=NDJSON)

    async def _info(self, request: Request, call: Call) -> Response:
        return JSONResponse(info_to_dict(self.service.info()))

    async def _openapi_json(self, request: Request, call: Call) -> Response:
        return JSONResponse(self._openapi)

    async def _healthz(self, request: Request, call: Call) -> Response:
        # Liveness, as gRPC's newsfuse.liveness: OK for as long as the process answers,
        # loading and draining included.
        return JSONResponse({"status": "SERVING", "state": self.service.state.value})

    async def _readyz(self, request: Request, call: Call) -> Response:
        # Readiness, as gRPC health "": both follow the service's state.
        ready = self.service.ready()
        return JSONResponse(
            {"status": "SERVING" if ready else "NOT_SERVING", "state": self.service.state.value},
            status_code=200 if ready else 503,
        )

    async def _page(self, request: Request, call: Call) -> Response:
        return Response(page_html(), media_type="text/html; charset=utf-8", headers=PAGE_SECURITY)

    async def _asset(self, request: Request, call: Call) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return await self._http_exception(request, HTTPException(404))
        return Response(asset(name), media_type=ASSETS[name], headers=PAGE_SECURITY)


class _LineWriter:
    """The ``IO[str]`` that ``batch.Batch`` writes its lines to, handing each to the loop."""

    def __init__(self, put: Callable[[str], None]) -> None:
        self._put = put

    def write(self, text: str) -> int:
        self._put(text)
        return len(text)

    def flush(self) -> None:
        pass


class _Finally:
    """An ASGI response that runs ``done`` once it has been sent (or the client left)."""

    def __init__(self, response: Response, done: Callable[[], None]) -> None:
        self.response = response
        self.done = done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.response(scope, receive, send)
        finally:
            self.done()


async def _cancel_on_disconnect(request: Request, call: Call) -> None:
    """Wait for the client to go away (the body is read by now), then cancel its call."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            call.cancelled.set()
            return
