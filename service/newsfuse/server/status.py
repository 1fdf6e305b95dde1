"""The wrapper every RPC handler runs in: a ``Call``, errors → statuses, metrics, one log line.

``rpc(method)`` gives each handler a ``Call`` (request id, deadline, cancellation), turns any
exception into a status through the error table (``wire.status_of``), records the request
metrics and writes one log line per call with counts and timings — never document text.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import grpc

from newsfuse.batching import Call
from newsfuse.server.metrics import Metrics
from newsfuse.wire import REQUEST_ID_KEY, Status, status_of, trailing_metadata

_LOGGER = logging.getLogger(__name__)


def new_call(context: grpc.ServicerContext, shutdown: threading.Event | None = None) -> Call:
    """The ``Call`` of an RPC: request id from metadata (or new), deadline, cancellation."""
    request_id = ""
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_KEY and isinstance(value, str):
            # Bounded and printable: it goes into every log line of the call.
            request_id = "".join(ch for ch in value[:64] if ch.isprintable())
            break
    request_id = request_id or uuid.uuid4().hex[:16]
    remaining = context.time_remaining()
    deadline = None if remaining is None else time.monotonic() + remaining
    call = Call(request_id, deadline, shutdown=shutdown)
    # Runs when the RPC terminates for any reason; only matters when it is still working.
    if not context.add_callback(call.cancelled.set):
        call.cancelled.set()  # already over
    return call


class _Observer(Protocol):
    """What the RPC wrapper needs from its servicer."""

    metrics: Metrics

    @property
    def shutdown(self) -> threading.Event: ...


def rpc(method: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a servicer method ``fn(self, request, context, call)``; works for server streams."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def stream(self: _Observer, request: Any, context: grpc.ServicerContext) -> Any:
                call, started, ticket = _begin(self, method, context)
                code = grpc.StatusCode.OK
                try:
                    yield from fn(self, request, context, call)
                except GeneratorExit:
                    code = grpc.StatusCode.CANCELLED
                    raise
                except Exception as exc:  # noqa: BLE001 - every error becomes a status
                    status = status_of(exc, call.request_id)
                    code = status.code
                    abort(context, status)
                finally:
                    _end(self, method, call, code, started, ticket)

            return stream

        @functools.wraps(fn)
        def unary(self: _Observer, request: Any, context: grpc.ServicerContext) -> Any:
            call, started, ticket = _begin(self, method, context)
            code = grpc.StatusCode.OK
            try:
                return fn(self, request, context, call)
            except Exception as exc:  # noqa: BLE001 - every error becomes a status
                status = status_of(exc, call.request_id)
                code = status.code
                abort(context, status)
            finally:
                _end(self, method, call, code, started, ticket)

        return unary

    return decorate


def _begin(
    owner: _Observer, method: str, context: grpc.ServicerContext
) -> tuple[Call, float, int]:
    call = new_call(context, owner.shutdown)
    context.send_initial_metadata(((REQUEST_ID_KEY, call.request_id),))
    ticket = owner.metrics.started()
    # The call counts as in flight until gRPC reports it over (status sent, or cancelled), not
    # just until the handler returns: a drain that waited for handlers alone could cancel an
    # answer still being sent (issue 11: "Summarize OK" logged, the client got UNAVAILABLE).
    if not context.add_callback(functools.partial(owner.metrics.ended, ticket)):
        owner.metrics.ended(ticket)
    return call, time.perf_counter(), ticket


def abort(context: grpc.ServicerContext, status: Status) -> None:
    """End the call with ``status`` and its trailing metadata (raises)."""
    context.set_trailing_metadata(trailing_metadata(status))
    context.abort(status.code, status.message)  # raises: ends the handler


def _end(
    owner: _Observer, method: str, call: Call, code: grpc.StatusCode, started: float, ticket: int
) -> None:
    seconds = time.perf_counter() - started
    owner.metrics.finished(method, code.name, seconds, ticket)
    counts = " ".join(f"{k}={v}" for k, v in call.counts.items())
    quiet = code in (grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT)
    _LOGGER.log(
        logging.INFO if quiet else logging.WARNING,
        "request %s %s %s %.3fs %s",
        call.request_id,
        method,
        code.name,
        seconds,
        counts,
    )
