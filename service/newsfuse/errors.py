"""Domain errors. Adapters (CLI, gRPC) map these to exit codes and status codes in one place."""

from __future__ import annotations


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
