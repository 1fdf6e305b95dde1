"""Python clients of a newsfuse server: ``Client`` (blocking) and ``AsyncClient`` (asyncio).

    with Client("127.0.0.1:50051") as client:
        summary = client.summarize(documents, SummaryOptions(max_words=100), timeout=30)

Both return the same ``newsfuse.types.Summary`` a local ``Pipeline`` returns and raise the
same typed errors the server raised (``InvalidInput`` with its ``field``, ``LimitExceeded``,
``Overloaded``, ``Unavailable``, ``DeadlineExceeded``, ``Cancelled``; anything else is a
``ServerError``). Calls that fail with ``UNAVAILABLE`` (server starting, restarting or
draining) are retried with exponential backoff within the call's deadline.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import grpc.aio

from newsfuse.errors import (
    Cancelled,
    DeadlineExceeded,
    InvalidInput,
    LimitExceeded,
    NewsfuseError,
    Overloaded,
    Unavailable,
)
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.server.convert import (
    ServerInfo,
    info_from_proto,
    request_to_proto,
    summary_from_proto,
)
from newsfuse.server.status import ERROR_KEY, FIELD_KEY, REQUEST_ID_KEY
from newsfuse.types import Document, Summary, SummaryOptions

__all__ = ["AsyncClient", "BatchResult", "Client", "RetryPolicy", "ServerError", "ServerInfo"]

_LOGGER = logging.getLogger(__name__)


class ServerError(NewsfuseError):
    """A call failed with a status no more specific error describes (INTERNAL, ...)."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, for ``UNAVAILABLE`` only (always safe to repeat)."""

    attempts: int = 5
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0

    def backoff(self, attempt: int) -> float:
        """Seconds to sleep after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One cluster of ``summarize_many``: its summary or the error it failed with."""

    index: int
    cluster_id: str
    summary: Summary | None = None
    error: NewsfuseError | None = None


_ERRORS: dict[grpc.StatusCode, type[NewsfuseError]] = {
    grpc.StatusCode.RESOURCE_EXHAUSTED: Overloaded,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.CANCELLED: Cancelled,
}
_CODES = {code.value[0]: code for code in grpc.StatusCode}


def _typed_error(code: grpc.StatusCode, message: str, field: str, kind: str) -> NewsfuseError:
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        field = field or message.split(":", 1)[0]
        message = message.removeprefix(f"{field}: ")
        return (LimitExceeded if kind == "LimitExceeded" else InvalidInput)(field, message)
    error = _ERRORS.get(code)
    return error(message) if error is not None else ServerError(code, message)


def error_from_rpc(exc: grpc.RpcError) -> NewsfuseError:
    """The typed error of a failed call (works for blocking and asyncio calls)."""
    trailing = {k: v for k, v in (exc.trailing_metadata() or ()) if isinstance(v, str)}
    return _typed_error(
        exc.code(), exc.details() or "", trailing.get(FIELD_KEY, ""), trailing.get(ERROR_KEY, "")
    )


def _result_from_proto(msg: pb.SummarizeBatchResult) -> BatchResult:
    if msg.WhichOneof("result") == "error":
        code = _CODES.get(msg.error.code, grpc.StatusCode.UNKNOWN)
        error = _typed_error(code, msg.error.message, msg.error.field, "")
        return BatchResult(msg.index, msg.cluster_id, error=error)
    return BatchResult(msg.index, msg.cluster_id, summary=summary_from_proto(msg.response))


def _batch_request(
    clusters: Sequence[Sequence[Document]], options: SummaryOptions | None
) -> pb.SummarizeBatchRequest:
    return pb.SummarizeBatchRequest(
        requests=[
            request_to_proto(docs, options, cluster_id=str(i)) for i, docs in enumerate(clusters)
        ]
    )


class _Base:
    def __init__(
        self,
        address: str,
        *,
        token: str | None = None,
        tls: bool = False,
        root_certificates: bytes | str | Path | None = None,
        timeout: float = 120.0,
        retry: RetryPolicy = RetryPolicy(),
        max_message_mb: int = 64,
    ) -> None:
        """Connect to ``address`` (``host:port``); the channel connects on first use.

        Args:
            token: sent as ``authorization: Bearer <token>`` (servers with an auth token).
            tls: connect with TLS, trusting the system's roots (or ``root_certificates``).
            root_certificates: PEM bytes or file of the CA to trust; implies TLS.
            timeout: default deadline of a call in seconds, retries included.
            retry: backoff of the retries on ``UNAVAILABLE``.
            max_message_mb: largest message sent or received.
        """
        self.address = address
        self.timeout = timeout
        self.retry = retry
        self._token = token
        options = [
            ("grpc.max_receive_message_length", max_message_mb * 1024 * 1024),
            ("grpc.max_send_message_length", max_message_mb * 1024 * 1024),
        ]
        credentials = None
        if tls or root_certificates is not None:
            if isinstance(root_certificates, str | Path):
                root_certificates = Path(root_certificates).read_bytes()
            credentials = grpc.ssl_channel_credentials(root_certificates)
        self._channel = self._open(address, credentials, options)
        self._stub = pb_grpc.SummarizerStub(self._channel)

    def _open(
        self,
        address: str,
        credentials: grpc.ChannelCredentials | None,
        options: list[tuple[str, Any]],
    ) -> Any:
        raise NotImplementedError

    def _metadata(self, request_id: str | None) -> tuple[tuple[str, str], ...]:
        metadata = [(REQUEST_ID_KEY, request_id or uuid.uuid4().hex[:16])]
        if self._token:
            metadata.append(("authorization", f"Bearer {self._token}"))
        return tuple(metadata)

    def _deadline(self, timeout: float | None) -> float:
        return time.monotonic() + (self.timeout if timeout is None else timeout)

    def _next_delay(self, exc: grpc.RpcError, attempt: int, deadline: float) -> float | None:
        """Seconds to wait before retrying, or None when the error is final."""
        if exc.code() != grpc.StatusCode.UNAVAILABLE or attempt >= self.retry.attempts:
            return None
        delay = self.retry.backoff(attempt)
        if time.monotonic() + delay >= deadline:
            return None
        _LOGGER.debug("UNAVAILABLE from %s, retry %d in %.2fs", self.address, attempt, delay)
        return delay


class Client(_Base):
    """Blocking client; thread-safe (one channel, many concurrent calls)."""

    def _open(
        self,
        address: str,
        credentials: grpc.ChannelCredentials | None,
        options: list[tuple[str, Any]],
    ) -> grpc.Channel:
        if credentials is not None:
            return grpc.secure_channel(address, credentials, options)
        return grpc.insecure_channel(address, options)

    def _unary(
        self, method: Any, request: Any, timeout: float | None, request_id: str | None
    ) -> Any:
        deadline = self._deadline(timeout)
        metadata = self._metadata(request_id)
        attempt = 0
        while True:
            attempt += 1
            try:
                return method(
                    request, timeout=max(0.0, deadline - time.monotonic()), metadata=metadata
                )
            except grpc.RpcError as exc:
                delay = self._next_delay(exc, attempt, deadline)
                if delay is None:
                    raise error_from_rpc(exc) from None
            time.sleep(delay)

    def summarize(
        self,
        documents: Sequence[Document],
        options: SummaryOptions | None = None,
        *,
        timeout: float | None = None,
        request_id: str | None = None,
    ) -> Summary:
        """Summarize one cluster; ``options`` None uses the server's defaults."""
        request = request_to_proto(documents, options)
        return summary_from_proto(self._unary(self._stub.Summarize, request, timeout, request_id))

    def summarize_many(
        self,
        clusters: Sequence[Sequence[Document]],
        options: SummaryOptions | None = None,
        *,
        timeout: float | None = None,
        request_id: str | None = None,
    ) -> Iterator[BatchResult]:
        """Summarize many clusters in one call, yielding each result as it finishes."""
        request = _batch_request(clusters, options)
        deadline = self._deadline(timeout)
        metadata = self._metadata(request_id)
        attempt = 0
        while True:
            attempt += 1
            received = 0
            try:
                stream = self._stub.SummarizeBatch(
                    request, timeout=max(0.0, deadline - time.monotonic()), metadata=metadata
                )
                for msg in stream:
                    received += 1
                    yield _result_from_proto(msg)
                return
            except grpc.RpcError as exc:
                # Only a stream that delivered nothing can be repeated without duplicates.
                delay = None if received else self._next_delay(exc, attempt, deadline)
                if delay is None:
                    raise error_from_rpc(exc) from None
            time.sleep(delay)

    def info(self, *, timeout: float | None = 10.0) -> ServerInfo:
        """Version, models and limits of the server."""
        return info_from_proto(self._unary(self._stub.GetInfo, pb.GetInfoRequest(), timeout, None))

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClient(_Base):
    """asyncio client; create and use it inside one running event loop."""

    def _open(
        self,
        address: str,
        credentials: grpc.ChannelCredentials | None,
        options: list[tuple[str, Any]],
    ) -> grpc.aio.Channel:
        if credentials is not None:
            return grpc.aio.secure_channel(address, credentials, options)
        return grpc.aio.insecure_channel(address, options)

    async def _unary(
        self, method: Any, request: Any, timeout: float | None, request_id: str | None
    ) -> Any:
        deadline = self._deadline(timeout)
        metadata = self._metadata(request_id)
        attempt = 0
        while True:
            attempt += 1
            try:
                return await method(
                    request, timeout=max(0.0, deadline - time.monotonic()), metadata=metadata
                )
            except grpc.RpcError as exc:
                delay = self._next_delay(exc, attempt, deadline)
                if delay is None:
                    raise error_from_rpc(exc) from None
            await asyncio.sleep(delay)

    async def summarize(
        self,
        documents: Sequence[Document],
        options: SummaryOptions | None = None,
        *,
        timeout: float | None = None,
        request_id: str | None = None,
    ) -> Summary:
        """Summarize one cluster; ``options`` None uses the server's defaults."""
        request = request_to_proto(documents, options)
        reply = await self._unary(self._stub.Summarize, request, timeout, request_id)
        return summary_from_proto(reply)

    async def summarize_many(
        self,
        clusters: Sequence[Sequence[Document]],
        options: SummaryOptions | None = None,
        *,
        timeout: float | None = None,
        request_id: str | None = None,
    ) -> AsyncIterator[BatchResult]:
        """Summarize many clusters in one call, yielding each result as it finishes."""
        request = _batch_request(clusters, options)
        deadline = self._deadline(timeout)
        metadata = self._metadata(request_id)
        attempt = 0
        while True:
            attempt += 1
            received = 0
            try:
                stream = self._stub.SummarizeBatch(
                    request, timeout=max(0.0, deadline - time.monotonic()), metadata=metadata
                )
                async for msg in stream:
                    received += 1
                    yield _result_from_proto(msg)
                return
            except grpc.RpcError as exc:
                delay = None if received else self._next_delay(exc, attempt, deadline)
                if delay is None:
                    raise error_from_rpc(exc) from None
            await asyncio.sleep(delay)

    async def info(self, *, timeout: float | None = 10.0) -> ServerInfo:
        """Version, models and limits of the server."""
        reply = await self._unary(self._stub.GetInfo, pb.GetInfoRequest(), timeout, None)
        return info_from_proto(reply)

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
