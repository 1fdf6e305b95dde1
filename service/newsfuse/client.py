"""Python clients of a newsfuse server: ``Client`` (blocking) and ``AsyncClient`` (asyncio).

    with Client("127.0.0.1:50051") as client:
        summary = client.summarize(documents, SummaryOptions(max_words=100), timeout=30)

Both return the same ``newsfuse.types.Summary`` a local ``Pipeline`` returns and raise the
same typed errors the server raised, by the error table (``InvalidInput`` with its ``field``,
``LimitExceeded``, ``Overloaded``, ``Unavailable``, ``DeadlineExceeded``, ``Cancelled``,
``Unauthenticated``; anything else is a ``ServerError``, an ``Internal``). Calls that fail
with ``Unavailable`` (server starting, restarting or draining) are retried with exponential
backoff within the call's deadline. ``Client.stream`` summarizes an unbounded iterable of
clusters through ``SummarizeBatch`` calls, a bounded window of clusters in flight.

The client depends on the generated proto code, ``newsfuse.wire`` and the core types only.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import grpc.aio

from newsfuse.api import ClusterRequest, ClusterResult, ServiceInfo
from newsfuse.errors import Internal, LimitExceeded, NewsfuseError, Unavailable
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.types import Document, Summary, SummaryOptions
from newsfuse.wire import (
    REQUEST_ID_KEY,
    ServerError,
    cluster_to_proto,
    error_of_rpc,
    info_from_proto,
    request_to_proto,
    result_from_proto,
    summary_from_proto,
)

__all__ = [
    "AsyncClient",
    "BatchResult",
    "Client",
    "ClusterRequest",
    "ClusterResult",
    "RetryPolicy",
    "ServerError",
    "ServerInfo",
]

_LOGGER = logging.getLogger(__name__)

ServerInfo = ServiceInfo
"""What ``info()`` returns (the core's ``ServiceInfo``)."""
BatchResult = ClusterResult
"""What ``summarize_many`` yields (the core's ``ClusterResult``; ``id`` is the cluster id)."""


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


error_from_rpc = error_of_rpc
"""The typed error of a failed call (works for blocking and asyncio calls)."""


@dataclass(frozen=True, slots=True)
class _Pending:
    """A cluster of ``Client.stream`` on its way: its position, id and message."""

    index: int
    id: str
    message: pb.SummarizeRequest


class _ActiveCalls:
    """The streaming calls of one ``Client.stream``, cancelled together when it ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: set[Any] = set()
        self.cancelled = False

    @contextlib.contextmanager
    def active(self, call: Any) -> Iterator[None]:
        with self._lock:
            if self.cancelled:
                call.cancel()
            self._calls.add(call)
        try:
            yield
        finally:
            with self._lock:
                self._calls.discard(call)

    def cancel_all(self) -> None:
        with self._lock:
            self.cancelled = True
            calls, self._calls = self._calls, set()
        for call in calls:
            call.cancel()


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
        self._max_message = max_message_mb * 1024 * 1024
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

    def _next_delay(self, error: NewsfuseError, attempt: int, deadline: float) -> float | None:
        """Seconds to wait before retrying, or None when the error is final."""
        if type(error) is not Unavailable or attempt >= self.retry.attempts:
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
                error = error_of_rpc(exc)
                delay = self._next_delay(error, attempt, deadline)
                if delay is None:
                    raise error from None
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
                    yield result_from_proto(msg)
                return
            except grpc.RpcError as exc:
                # Only a stream that delivered nothing can be repeated without duplicates.
                error = error_of_rpc(exc)
                delay = None if received else self._next_delay(error, attempt, deadline)
                if delay is None:
                    raise error from None
            time.sleep(delay)

    def stream(
        self,
        requests: Iterable[ClusterRequest | ClusterResult],
        *,
        window: int = 32,
        group: int | None = None,
        timeout: float | None = None,
        request_id: str | None = None,
    ) -> Iterator[ClusterResult]:
        """Summarize an iterable of clusters, yielding each result as it finishes.

        Clusters go out in ``SummarizeBatch`` calls of ``group`` clusters (default
        ``window // 4``; fewer when the message would pass half the channel's limit) with
        at most ``window`` clusters in flight, so ``requests`` may be lazy and unbounded.
        A result's ``index`` is the position in ``requests``; a cluster's own failure is
        its result's ``error`` (an item that already is a ``ClusterResult`` is passed on).
        A call that fails with ``Unavailable`` is sent again for the clusters it has not
        answered yet (backoff as for any call); any other failure of a call, or one still
        failing after the retries, is raised and ends the iteration.
        ``timeout`` is the deadline of each call (default: the client's).
        """
        window = max(1, window)
        group = max(1, min(window, group or window // 4))
        results: queue.Queue[ClusterResult | BaseException | None] = queue.Queue()
        calls = _ActiveCalls()
        request_id = request_id or uuid.uuid4().hex[:16]
        todo = enumerate(requests)
        in_flight = sent = 0
        with ThreadPoolExecutor(-(-window // group), thread_name_prefix="stream") as pool:
            try:
                while True:
                    while in_flight < window:
                        batch, ready = self._next_group(
                            todo, min(group, window - in_flight), results
                        )
                        in_flight += ready
                        if not batch:
                            if ready:
                                continue
                            break
                        in_flight += len(batch)
                        sent += 1
                        label = f"{request_id}-{sent}"
                        pool.submit(self._run_group, batch, results, calls, timeout, label)
                    if in_flight == 0:
                        return
                    item = results.get()
                    if isinstance(item, BaseException):
                        raise item
                    if item is not None:
                        in_flight -= 1
                        yield item
            finally:
                calls.cancel_all()

    def _next_group(
        self,
        todo: Iterator[tuple[int, ClusterRequest | ClusterResult]],
        most: int,
        results: queue.Queue[ClusterResult | BaseException | None],
    ) -> tuple[list[_Pending], int]:
        """Up to ``most`` clusters for one call, and how many ready results went straight out."""
        batch: list[_Pending] = []
        ready = size = 0
        for index, request in todo:
            if isinstance(request, ClusterResult):  # failed before it got here: pass it on
                results.put(dataclasses.replace(request, index=index))
                ready += 1
                if ready >= most:
                    break
                continue
            msg = cluster_to_proto(request)
            batch.append(_Pending(index, request.id, msg))
            size += msg.ByteSize()
            if len(batch) + ready >= most or size >= self._max_message // 2:
                break
        return batch, ready

    def _run_group(
        self,
        batch: list[_Pending],
        results: queue.Queue[ClusterResult | BaseException | None],
        calls: _ActiveCalls,
        timeout: float | None,
        request_id: str,
    ) -> None:
        """One group's ``SummarizeBatch`` calls; every outcome goes to ``results``."""
        try:
            self._send_group(batch, results, calls, timeout, request_id)
        except BaseException as exc:  # noqa: BLE001 - the consumer raises it
            results.put(exc)
        finally:
            results.put(None)  # wakes the consumer up to send more

    def _send_group(
        self,
        batch: list[_Pending],
        results: queue.Queue[ClusterResult | BaseException | None],
        calls: _ActiveCalls,
        timeout: float | None,
        request_id: str,
    ) -> None:
        remaining = {pending.index: pending for pending in batch}
        attempt = 0
        while remaining and not calls.cancelled:
            attempt += 1
            order = list(remaining)
            message = pb.SummarizeBatchRequest(requests=[remaining[i].message for i in order])
            deadline = self._deadline(timeout)
            try:
                replies = self._stub.SummarizeBatch(
                    message,
                    timeout=deadline - time.monotonic(),
                    metadata=self._metadata(request_id),
                )
                with calls.active(replies):
                    for reply in replies:
                        pending = remaining.pop(order[reply.index])
                        result = result_from_proto(reply)
                        results.put(
                            dataclasses.replace(result, index=pending.index, id=pending.id)
                        )
                if remaining:
                    raise Internal(f"the server left {len(remaining)} clusters unanswered")
            except grpc.RpcError as exc:
                error = error_of_rpc(exc)
                if isinstance(error, LimitExceeded) and error.field == "request":
                    # The message is over the server's limit: each cluster alone, and one
                    # still over it is that cluster's own error.
                    if len(remaining) == 1:
                        (pending,) = remaining.values()
                        results.put(ClusterResult(pending.index, pending.id, error=error))
                        return
                    for pending in remaining.values():
                        self._send_group([pending], results, calls, timeout, request_id)
                    return
                delay = self._next_delay(error, attempt, deadline)
                if delay is None:
                    raise error from None
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
                error = error_of_rpc(exc)
                delay = self._next_delay(error, attempt, deadline)
                if delay is None:
                    raise error from None
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
                    yield result_from_proto(msg)
                return
            except grpc.RpcError as exc:
                error = error_of_rpc(exc)
                delay = None if received else self._next_delay(error, attempt, deadline)
                if delay is None:
                    raise error from None
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
