"""Types of the service API, shared by the core, every transport and the client.

Light on purpose: the client imports these (and the generated proto code) and nothing of
the pipeline or the server.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from newsfuse.errors import NewsfuseError
from newsfuse.types import Document, Mode, Summary, SummaryOptions


@dataclass(frozen=True, slots=True)
class ClusterRequest:
    """One cluster to summarize: its documents, options and the caller's label."""

    documents: tuple[Document, ...]
    options: SummaryOptions | None = None
    """``None``: the service's defaults (``Settings.max_words``, mode ``auto``)."""
    id: str = ""
    """The caller's label of the cluster, echoed in its ``ClusterResult``."""


@dataclass(frozen=True, slots=True)
class ClusterResult:
    """The outcome of one cluster of many: its summary, or the error it failed with."""

    index: int
    """Position of the cluster in the caller's sequence of requests."""
    id: str
    summary: Summary | None = None
    error: NewsfuseError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ServiceState(enum.Enum):
    """Where a service is in its life; only ``SERVING`` is ready."""

    LOADING = "loading"
    SERVING = "serving"
    DRAINING = "draining"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """What a service tells about itself (gRPC ``GetInfo``, HTTP ``/v1/info``)."""

    version: str
    model: str
    """Name of the seq2seq model; ``""`` when only extractive fusion is available."""
    embedding_model: str
    device: str
    modes: tuple[Mode, ...]
    default_max_words: int
    limits: dict[str, int]
    batching: dict[str, float]
