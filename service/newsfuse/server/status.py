"""Errors → gRPC status codes, in one place, and the wrapper every RPC handler runs in.

``rpc(method)`` gives each handler a ``Call`` (request id, deadline, cancellation), maps any
exception to a status (see ``to_status``), records the request metrics and writes one log
line per call with counts and timings — never document text.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import grpc

from newsfuse.errors import (
    Cancelled,
    DeadlineExceeded,
    InvalidInput,
    ModelLoadError,
    Overloaded,
    Unavailable,
)
from newsfuse.server.batcher import Call
from newsfuse.server.metrics import Metrics

_LOGGER = logging.getLogger(__name__)

REQUEST_ID_KEY = "x-request-id"
# Trailing metadata of a failed call: the offending field and the error class, so clients
# can raise the same typed error the server raised.
FIELD_KEY = "newsfuse-field"
ERROR_KEY = "newsfuse-error"

_STATUS_OF: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    # LimitExceeded is an InvalidInput: a request over a size limit will never succeed as is.
    (InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
    (Overloaded, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (Unavailable, grpc.StatusCode.UNAVAILABLE),
    (ModelLoadError, grpc.StatusCode.UNAVAILABLE),
    (DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED),
    (Cancelled, grpc.StatusCode.CANCELLED),
)


@dataclass(frozen=True, slots=True)
class Status:
    """What a failed call (or one failed cluster of a batch) reports."""

    code: grpc.StatusCode
    message: str
    field: str = ""
    error: str = ""


def to_status(exc: BaseException, request_id: str) -> Status:
    """The status of ``exc``; unexpected errors get a generic message and a logged trace."""
    for kind, code in _STATUS_OF:
        if isinstance(exc, kind):
            field = exc.field if isinstance(exc, InvalidInput) else ""
            return Status(code, str(exc), field, type(exc).__name__)
    _LOGGER.error("request %s: unexpected error", request_id, exc_info=exc)
    return Status(grpc.StatusCode.INTERNAL, f"internal error (request id {request_id})")


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
    context.add_callback(call.cancelled.set)
    return call


class _Observer(Protocol):
    """What the RPC wrapper needs from its servicer."""

    metrics: Metrics
    shutdown: threading.Event


def rpc(method: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a servicer method ``fn(self, request, context, call)``; works for server streams."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def stream(self: _Observer, request: Any, context: grpc.ServicerContext) -> Any:
                call, started = _begin(self, method, context)
                code = grpc.StatusCode.OK
                try:
                    yield from fn(self, request, context, call)
                except GeneratorExit:
                    code = grpc.StatusCode.CANCELLED
                    raise
                except Exception as exc:  # noqa: BLE001 - every error becomes a status
                    status = to_status(exc, call.request_id)
                    code = status.code
                    _abort(context, status)
                finally:
                    _end(self, method, call, code, started)

            return stream

        @functools.wraps(fn)
        def unary(self: _Observer, request: Any, context: grpc.ServicerContext) -> Any:
            call, started = _begin(self, method, context)
            code = grpc.StatusCode.OK
            try:
                return fn(self, request, context, call)
            except Exception as exc:  # noqa: BLE001 - every error becomes a status
                status = to_status(exc, call.request_id)
                code = status.code
                _abort(context, status)
            finally:
                _end(self, method, call, code, started)

        return unary

    return decorate


def _begin(owner: _Observer, method: str, context: grpc.ServicerContext) -> tuple[Call, float]:
    call = new_call(context, owner.shutdown)
    context.send_initial_metadata(((REQUEST_ID_KEY, call.request_id),))
    owner.metrics.started()
    return call, time.perf_counter()


def _abort(context: grpc.ServicerContext, status: Status) -> None:
    if status.error:
        context.set_trailing_metadata(((FIELD_KEY, status.field), (ERROR_KEY, status.error)))
    context.abort(status.code, status.message)  # raises: ends the handler


def _end(owner: _Observer, method: str, call: Call, code: grpc.StatusCode, started: float) -> None:
    seconds = time.perf_counter() - started
    owner.metrics.finished(method, code.name, seconds)
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
