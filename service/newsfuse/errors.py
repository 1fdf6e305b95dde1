"""Domain errors and the one table that maps each to every transport's terms.

Code raises these; transports never decide on their own how an error looks to a caller.
``ERROR_TABLE`` gives, for each error, the gRPC status, the HTTP status, the exit code of the
command line and whether the same request may succeed if sent again. gRPC (``newsfuse.wire``
and ``newsfuse.server.status``), the client, the CLI and ``newsfuse batch`` all read it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

_LOGGER = logging.getLogger(__name__)


class NewsfuseError(Exception):
    """Base class of every error newsfuse raises on purpose."""


class InvalidInput(NewsfuseError):
    """The request itself is wrong; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class LimitExceeded(InvalidInput):
    """The request is larger than a configured limit allows."""


class ModelLoadError(NewsfuseError):
    """A model directory is missing, broken or not the kind of model expected."""


class Overloaded(NewsfuseError):
    """The work queue is full; the caller should back off and retry."""


class Unavailable(NewsfuseError):
    """The service is not ready (still loading) or is shutting down."""


class DeadlineExceeded(NewsfuseError):
    """The caller's deadline passed before the work could be done."""


class Cancelled(NewsfuseError):
    """The caller went away before the work could be done."""


class Unauthenticated(NewsfuseError):
    """The server requires a bearer token and the call had none or a wrong one."""


class Internal(NewsfuseError):
    """An unexpected failure. The message is generic; the trace is in the server's log."""


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """How one kind of error looks on every transport."""

    reason: str
    """Stable machine name, e.g. ``limit_exceeded`` (JSON ``error.reason``, gRPC metadata
    ``newsfuse-error``, ``Status.reason`` of a batch result)."""
    grpc: str
    """Name of the ``grpc.StatusCode`` (``INVALID_ARGUMENT``...)."""
    http: int
    """HTTP status code."""
    exit_code: int
    """Exit code of the ``newsfuse`` command."""
    retryable: bool
    """The same request may succeed when sent again later (or with a longer deadline)."""
    meaning: str
    """One line for help texts and docs."""


EXIT_OK = 0
EXIT_PARTIAL = 10
"""``newsfuse batch`` finished, and some clusters have an error line instead of a summary."""
EXIT_INTERRUPTED = 130

# Most specific first: ``LimitExceeded`` is an ``InvalidInput``. ``Internal`` is last and
# also stands for every exception not listed (bugs, or a NewsfuseError subclass not listed).
ERROR_TABLE: dict[type[NewsfuseError], ErrorSpec] = {
    LimitExceeded: ErrorSpec(
        "limit_exceeded", "INVALID_ARGUMENT", 413, 3, False,
        "the request is over a size limit (documents, characters, sentences)",
    ),
    InvalidInput: ErrorSpec(
        "invalid_input", "INVALID_ARGUMENT", 400, 2, False,
        "bad input (or usage); the message starts with the offending field",
    ),
    ModelLoadError: ErrorSpec(
        "model_load_error", "UNAVAILABLE", 503, 4, False,
        "a model directory is missing or broken",
    ),
    Overloaded: ErrorSpec(
        "overloaded", "RESOURCE_EXHAUSTED", 429, 5, True,
        "the work queue is full: back off and retry",
    ),
    Unavailable: ErrorSpec(
        "unavailable", "UNAVAILABLE", 503, 6, True,
        "the service is loading, shutting down or out of reach: retry",
    ),
    DeadlineExceeded: ErrorSpec(
        "deadline_exceeded", "DEADLINE_EXCEEDED", 504, 7, True,
        "the deadline passed before the work was done",
    ),
    Cancelled: ErrorSpec(
        "cancelled", "CANCELLED", 499, 8, False,
        "the caller went away",
    ),
    Unauthenticated: ErrorSpec(
        "unauthenticated", "UNAUTHENTICATED", 401, 9, False,
        "missing or wrong bearer token (NEWSFUSE_AUTH_TOKEN)",
    ),
    Internal: ErrorSpec(
        "internal", "INTERNAL", 500, 1, False,
        "an unexpected failure (its trace is logged under the request id)",
    ),
}  # fmt: skip

_BY_REASON: dict[str, type[NewsfuseError]] = {
    **{spec.reason: kind for kind, spec in ERROR_TABLE.items()},
    # Class names, as servers before the reason names sent them.
    **{kind.__name__: kind for kind in ERROR_TABLE},
}


def error_kind(exc: BaseException) -> type[NewsfuseError]:
    """The table row of ``exc``: its own class or nearest listed base, else ``Internal``."""
    for kind in type(exc).__mro__:
        if kind in ERROR_TABLE:
            return kind  # type: ignore[return-value]
    return Internal


def error_spec(exc: BaseException) -> ErrorSpec:
    """How ``exc`` looks on every transport (``Internal``'s row for anything unlisted)."""
    return ERROR_TABLE[error_kind(exc)]


def public_error(exc: BaseException, request_id: str) -> NewsfuseError:
    """The error a caller may see: ``exc`` itself when the table lists it, else ``Internal``.

    Anything else is a bug: it is logged with its trace here, once, and the caller gets a
    generic message that carries the request id to find that trace.
    """
    if isinstance(exc, NewsfuseError) and error_kind(exc) is not Internal:
        return exc
    if isinstance(exc, Internal):
        return exc  # already made public (the service logged its cause)
    _LOGGER.error("request %s: unexpected error", request_id, exc_info=exc)
    return Internal(f"internal error (request id {request_id})")


def error_field(exc: BaseException) -> str:
    """The offending field of an ``InvalidInput``, else ``""``."""
    return exc.field if isinstance(exc, InvalidInput) else ""


def error_from_reason(reason: str, message: str, field: str = "") -> NewsfuseError | None:
    """Rebuild the error a server reported (``None`` for an unknown reason).

    ``message`` is the full message as sent (``str(exc)``); for ``InvalidInput`` it starts
    with ``field: ``, which is taken off again.
    """
    kind = _BY_REASON.get(reason)
    if kind is None:
        return None
    return build_error(kind, message, field)


def build_error(kind: type[NewsfuseError], message: str, field: str = "") -> NewsfuseError:
    """An instance of ``kind`` from a message as sent on the wire (``str(exc)``)."""
    if issubclass(kind, InvalidInput):
        field = field or message.split(":", 1)[0]
        return kind(field, message.removeprefix(f"{field}: "))
    return kind(message)


def exit_codes_help() -> str:
    """The exit codes of the ``newsfuse`` command, for ``--help``."""
    lines = ["exit codes:", f"  {EXIT_OK:>3}  success"]
    rows = sorted(ERROR_TABLE.values(), key=lambda s: s.exit_code)
    lines += [f"  {s.exit_code:>3}  {s.reason}: {s.meaning}" for s in rows]
    lines.append(f"  {EXIT_PARTIAL:>3}  batch: finished; some clusters failed (their error lines)")
    lines.append(f"  {EXIT_INTERRUPTED:>3}  interrupted (Ctrl-C)")
    return "\n".join(lines)
