"""``newsfuse batch``: many clusters, JSONL in and JSONL out, in process or through a server.

Each input line is one cluster in the request JSON form (``jsonform``) with its ``id``. Each
output line is the summary JSON of ``summarize --json`` with the cluster's ``id`` first, or
``{"id", "line", "error": {"reason", "message", "field"?, "retryable"}}`` for a line that
could not be summarized (malformed JSON, missing fields, limits...): one bad cluster never
stops the run. Lines are written as clusters finish, each with one write and a flush, so an
interrupted run leaves complete lines (and at most one partial last line, which ``--resume``
drops before appending). ``--resume`` skips every id (and id-less failed line) already in
the output: an interrupted run, resumed, writes each id exactly once.

In process, the models are loaded once and ``SummarizerService.summarize_many`` keeps a
window of clusters in flight, so the model work of several clusters runs in the same
cross-request batches a server uses. With a server, ``Client.stream`` sends the clusters in
``SummarizeBatch`` calls with the same bounded window. On Ray (``ray_engine``), actors turn
lines into requests and results into lines with the same ``parse_line`` and
``result_record``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from newsfuse.api import ClusterRequest, ClusterResult
from newsfuse.errors import InvalidInput
from newsfuse.jsonform import error_to_dict, parse_request
from newsfuse.output import summary_to_dict

Backend = Callable[[Iterable[ClusterRequest | ClusterResult]], Iterator[ClusterResult]]


@dataclass(slots=True)
class Done:
    """What an output file already holds: ids, and line numbers of id-less failed lines."""

    ids: set[str] = field(default_factory=set)
    lines: set[int] = field(default_factory=set)
    file_lines: set[tuple[str, int]] = field(default_factory=set)
    """``(file, line)`` of id-less failed lines of an input directory (``--engine ray``)."""

    def __len__(self) -> int:
        return len(self.ids) + len(self.lines) + len(self.file_lines)

    def has(self, cluster_id: str, line: int | None, file: str = "") -> bool:
        """True when the output holds this cluster: by its id, else by where its line is."""
        if cluster_id:
            return cluster_id in self.ids
        if line is None:
            return False
        return (file, line) in self.file_lines if file else line in self.lines


@dataclass(slots=True)
class Counts:
    """Progress of one run."""

    total: int | None
    """Clusters in the input (None when reading from a pipe)."""
    done: int = 0
    failed: int = 0
    skipped: int = 0


def read_done(path: Path) -> Done:
    """Ids already written to ``path``; a partial last line (an interrupted write) is cut off.

    Raises ``InvalidInput`` when a complete line is not one ``newsfuse batch`` writes.
    """
    done = Done()
    if not path.exists():
        return done
    with path.open("r+b") as handle:
        data = handle.read()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            handle.truncate(end)  # the line being written when the run was stopped
    for number, raw in enumerate(data[:end].splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InvalidInput(
                str(path), f"line {number} is not JSON: not an output of newsfuse batch"
            ) from None
        if not isinstance(record, dict) or "id" not in record:
            raise InvalidInput(
                str(path), f"line {number} has no id: not an output of newsfuse batch"
            )
        if record["id"]:
            done.ids.add(str(record["id"]))
        elif isinstance(record.get("line"), int):
            if isinstance(record.get("file"), str) and record["file"]:
                done.file_lines.add((record["file"], record["line"]))
            else:
                done.lines.add(record["line"])
    return done


def input_lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """``(line number, bytes)`` of every non-blank line."""
    for number, raw in enumerate(handle, start=1):
        if raw.strip():
            yield number, raw


def parse_line(raw: bytes, default_max_words: int) -> ClusterRequest | ClusterResult:
    """One input line: its request, or a failed result (not JSON, bad fields, no ``id``)."""
    try:
        request = parse_request(raw.strip(), default_max_words)
    except InvalidInput as exc:
        return ClusterResult(0, _best_effort_id(raw), error=exc)
    if not request.id.strip():
        return ClusterResult(
            0, "", error=InvalidInput("id", "required: every line needs its cluster's id")
        )
    return request


def duplicate_id(cluster_id: str, where: str) -> InvalidInput:
    """The error of a second line with ``cluster_id`` (``where``: the first, ``line 3``)."""
    return InvalidInput("id", f"duplicate id {cluster_id!r} (also {where})")


def result_record(result: ClusterResult, line: int | None, file: str = "") -> dict[str, Any]:
    """The output line of one result, as a JSON object.

    ``{"id", **summary}`` (the JSON of ``summarize --json``), or for a failure
    ``{"id", "file"?, "line", "error"}`` (``id`` null when the line has none; ``file`` only
    for an input directory read by ``--engine ray``).
    """
    if result.error is None:
        assert result.summary is not None
        return {"id": result.id, **summary_to_dict(result.summary)}
    record: dict[str, Any] = {"id": result.id or None}
    where = f"line {line}"
    if file:
        record["file"] = file
        where = f"{file} {where}"
    record["line"] = line
    record["error"] = error_to_dict(result.error, where)
    return record


def count_clusters(path: Path) -> int:
    """Non-blank lines of an input file (for the progress bar's total)."""
    with path.open("rb") as handle:
        return sum(1 for _ in input_lines(handle))


class Batch:
    """One run: reads clusters, skips those done, writes a line per result."""

    def __init__(
        self,
        lines: Iterable[tuple[int, bytes]],
        out: IO[str],
        *,
        default_max_words: int,
        done: Done | None = None,
        counts: Counts | None = None,
        on_progress: Callable[[Counts], None] | None = None,
    ) -> None:
        self._lines = lines
        self._out = out
        self._default_max_words = default_max_words
        self._done = done or Done()
        self.counts = counts or Counts(total=None)
        self._on_progress = on_progress or (lambda counts: None)
        self._line_of: list[int] = []
        self._first_line: dict[str, int] = {}

    def requests(self) -> Iterator[ClusterRequest | ClusterResult]:
        """The clusters still to do, in input order (failed lines as ready results)."""
        for number, raw in self._lines:
            item = self._parse(number, raw)
            if item is None:
                self.counts.skipped += 1
                self._on_progress(self.counts)
                continue
            self._line_of.append(number)
            yield item

    def _parse(self, number: int, raw: bytes) -> ClusterRequest | ClusterResult | None:
        item = parse_line(raw, self._default_max_words)
        if self._done.has(item.id, number):
            return None
        if isinstance(item, ClusterResult):
            return item
        first = self._first_line.setdefault(item.id, number)
        if first != number:
            return ClusterResult(0, item.id, error=duplicate_id(item.id, f"line {first}"))
        return item

    def run(self, backend: Backend) -> Counts:
        """Summarize every cluster through ``backend``, writing each result as it comes."""
        for result in backend(self.requests()):
            self._write(result)
        return self.counts

    def _write(self, result: ClusterResult) -> None:
        record = result_record(result, self._line_of[result.index])
        if result.error is not None:
            self.counts.failed += 1
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._out.flush()
        self.counts.done += 1
        self._on_progress(self.counts)


def _best_effort_id(raw: bytes) -> str:
    """The ``id`` of a line that failed to parse as a request, when it has a usable one."""
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError:
        return ""
    if isinstance(data, dict) and isinstance(data.get("id"), str | int):
        if not isinstance(data["id"], bool):
            return str(data["id"])
    return ""


class Progress:
    """A one-line progress bar on a terminal: clusters done, clusters/s, ETA."""

    def __init__(
        self,
        stream: IO[str],
        *,
        enabled: bool,
        interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self.enabled = enabled
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._shown = -interval

    @staticmethod
    def wanted(stream: IO[str], quiet: bool) -> bool:
        """On for a terminal, off for a file or pipe and with ``--quiet``."""
        return not quiet and stream.isatty()

    def line(self, counts: Counts) -> str:
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = counts.done / elapsed
        parts = []
        if counts.total is not None:
            total = max(counts.total - counts.skipped, 0)
            filled = int(20 * counts.done / total) if total else 20
            parts.append(f"[{'#' * filled}{'.' * (20 - filled)}] {counts.done}/{total} clusters")
        else:
            parts.append(f"{counts.done} clusters")
        if counts.failed:
            parts.append(f"{counts.failed} failed")
        if counts.skipped:
            parts.append(f"{counts.skipped} skipped")
        parts.append(f"{rate:.2f}/s")
        if counts.total is not None and rate > 0:
            left = max(counts.total - counts.skipped - counts.done, 0) / rate
            parts.append(f"ETA {_clock_time(left)}")
        parts.append(f"elapsed {_clock_time(elapsed)}")
        return "  ".join(parts)

    def update(self, counts: Counts) -> None:
        if not self.enabled:
            return
        now = self._clock()
        if now - self._shown < self._interval:
            return
        self._shown = now
        self._stream.write(f"\r{self.line(counts)}\x1b[K")
        self._stream.flush()

    def finish(self, counts: Counts) -> None:
        if self.enabled:
            self._stream.write(f"\r{self.line(counts)}\x1b[K\n")
            self._stream.flush()


def _clock_time(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def open_output(path: str, *, resume: bool, overwrite: bool) -> tuple[IO[str], Done]:
    """The output stream (appending when resuming) and what it already holds."""
    if path == "-":
        if resume:
            raise InvalidInput("--resume", "needs an output file (-o FILE), not stdout")
        return sys.stdout, Done()
    target = Path(path)
    if target.is_dir():
        raise InvalidInput(path, "is a directory, not a file")
    done = Done()
    if resume:
        done = read_done(target)
    elif target.exists() and target.stat().st_size and not overwrite:
        raise InvalidInput(
            path, "exists: add --resume to continue that run, or --overwrite to start over"
        )
    handle = target.open("a" if resume else "w", encoding="utf-8", newline="\n")
    return handle, done


def same_file(a: str, b: str) -> bool:
    """True when the input and the output are one file (the output would eat its input)."""
    if a == "-" or b == "-":
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
