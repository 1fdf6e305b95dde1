"""Ray Data engine: ``newsfuse batch --engine ray``, and ``Summarize`` for ``map_batches``.

Needs the ``ray`` extra (``pip install 'newsfuse[ray]'``). Each Ray actor loads the models
once (``Summarize.__init__``) and summarizes a batch of clusters through the same core as
the in-process ``newsfuse batch``: ``SummarizerService.summarize_many`` with every cluster of
the batch in flight, so their model work runs in shared cross-cluster batches. A batch's rows
come back as ``newsfuse batch`` output lines, one per cluster; a cluster that fails gets its
error line and never fails the batch.

From Python, on a dataset of your own (rows with the request's fields ``id``, ``documents``,
``options``, as ``ray.data.read_json`` or ``read_parquet`` give them, or a ``request``
column holding one request's JSON text)::

    from newsfuse.ray_engine import summarize_dataset
    summaries = summarize_dataset(ray.data.read_parquet("s3://bucket/clusters/"), settings)
    summaries.write_parquet("s3://bucket/summaries/")   # columns id, error, result (JSON)

``run_batch`` is the command: it reads the input with Ray's readers (JSON lines or Parquet,
a file or a directory, local or object storage), and this process writes the results as
they arrive (one output file: JSON lines, or Parquet for a ``.parquet`` path), so progress,
``--resume`` and the one-id-once rule work as in process.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import math
import os
import posixpath
import sys
from collections.abc import Callable, Generator, Iterable, Mapping
from contextlib import ExitStack, closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from newsfuse.api import ClusterRequest, ClusterResult
from newsfuse.batch import (
    Counts,
    Done,
    Progress,
    count_clusters,
    duplicate_id,
    input_lines,
    open_output,
    parse_line,
    result_record,
)
from newsfuse.errors import InvalidInput, NewsfuseError
from newsfuse.jsonform import error_from_dict, error_to_dict
from newsfuse.settings import Settings

__all__ = [
    "RESULT_SCHEMA",
    "RayOptions",
    "Summarize",
    "read_clusters",
    "run_batch",
    "summarize_dataset",
]

_LOGGER = logging.getLogger(__name__)

SUMMARIZED, FAILED, SKIPPED, STOPPED = "summarized", "failed", "skipped", "stopped"

RESULT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("file", pa.string()),
        ("line", pa.int64()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("result", pa.string()),
    ]
)
"""Rows ``Summarize`` returns: the cluster's ``id`` (null when its line has none), where it
came from (``file`` of an input directory, ``line``), its ``status``, the error ``reason``
and ``result``, the JSON text of its ``newsfuse batch`` output line.

``status`` is ``summarized`` or ``failed`` (``result`` its summary or error line),
``skipped`` (already in the output being resumed; no ``result``) or ``stopped`` (this
actor's models failed to load, with ``report_load_error``: ``result`` is the error's JSON)."""

PARQUET_SCHEMA = pa.schema([("id", pa.string()), ("error", pa.string()), ("result", pa.string())])
"""A Parquet output file: one row per cluster, ``result`` the JSON of its output line."""

PARQUET_ROW_GROUP = 1000


class Summarize:
    """A callable class for ``ray.data.Dataset.map_batches``: one per actor, models loaded once.

    Each call summarizes a batch of clusters with all of them in flight together and returns
    a ``pyarrow.Table`` of ``RESULT_SCHEMA``, one row per input row, in the order the clusters
    finish. Give ``batch_format="pyarrow"`` (pandas and numpy batches work too).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        done: Done | None = None,
        pipeline_factory: Callable[[Settings], Any] | None = None,
        report_load_error: bool = False,
    ) -> None:
        """Load the models of ``settings`` (default ``Settings.from_env()`` of the actor).

        Args:
            done: clusters to skip (what an output file to resume already holds).
            pipeline_factory: builds the loaded ``Pipeline`` (default ``Pipeline.load``).
            report_load_error: when loading fails with a newsfuse error (a broken model
                directory), answer every call with one ``stopped`` row carrying it, instead
                of raising here. Ray reports an actor that fails to start only as text, so
                this is how ``newsfuse batch`` exits with the error's own code and message.
        """
        from newsfuse.cli import quiet_model_loading
        from newsfuse.service import SummarizerService

        quiet_model_loading()
        self.settings = settings or Settings.from_env()
        self._done = done or Done()
        self._service = None
        self._load_error: dict[str, Any] | None = None
        try:
            self._service = SummarizerService(self.settings, pipeline_factory, warmup=False).load()
        except NewsfuseError as exc:
            if not report_load_error:
                raise
            _LOGGER.error("loading the models failed: %s", exc)
            self._load_error = error_to_dict(exc)

    def __call__(self, batch: Any) -> pa.Table:
        if self._service is None:
            stopped = {"status": STOPPED, "result": json.dumps(self._load_error)}
            return pa.Table.from_pylist([stopped], schema=RESULT_SCHEMA)
        items: list[ClusterRequest | ClusterResult] = []
        where: list[tuple[int | None, str]] = []
        rows: list[dict[str, Any]] = []
        for row in _batch_rows(batch):
            line = _line_number(row.get("line"))
            file = str(row.get("file") or "")
            item = parse_line(_request_text(row), self.settings.max_words)
            if self._done.has(item.id, line, file):
                rows.append({"id": item.id or None, "file": file, "line": line, "status": SKIPPED})
                continue
            items.append(item)
            where.append((line, file))
        if items:
            for result in self._service.summarize_many(items, window=len(items)):
                line, file = where[result.index]
                record = result_record(result, line, file)
                rows.append(
                    {
                        "id": result.id or None,
                        "file": file,
                        "line": line,
                        "status": SUMMARIZED if result.error is None else FAILED,
                        "error": None if result.error is None else record["error"]["reason"],
                        "result": json.dumps(record, ensure_ascii=False),
                    }
                )
        return pa.Table.from_pylist(rows, schema=RESULT_SCHEMA)

    def __del__(self) -> None:
        service = getattr(self, "_service", None)
        if service is not None:
            service.close()


def _batch_rows(batch: Any) -> list[dict[str, Any]]:
    """The rows of a pyarrow, pandas or numpy (dict of arrays) batch, as plain dicts."""
    if isinstance(batch, pa.Table):
        return batch.to_pylist()
    if hasattr(batch, "to_dict") and hasattr(batch, "columns"):  # pandas.DataFrame
        return batch.to_dict("records")
    if isinstance(batch, Mapping):
        columns = {name: list(values) for name, values in batch.items()}
        count = len(next(iter(columns.values()), []))
        return [{name: values[i] for name, values in columns.items()} for i in range(count)]
    raise TypeError(f"unsupported batch type {type(batch).__name__}: use batch_format='pyarrow'")


def _line_number(value: Any) -> int | None:
    if value is None or isinstance(value, float) and math.isnan(value):
        return None
    return int(value)


def _request_text(row: Mapping[str, Any]) -> bytes:
    """One row as request JSON: its ``request`` text, or its fields (``id``, ``documents``...).

    Columns have no "absent": a null field is left out (the request's default), so in
    columns a word budget of 0, not null, means no limit. Dates may be Arrow dates.
    """
    raw = row.get("request")
    if raw is not None:
        return raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
    fields = {k: v for k, v in row.items() if k not in ("line", "file")}
    return json.dumps(_plain(fields), ensure_ascii=False).encode("utf-8")


def _plain(value: Any) -> Any:
    """Arrow / pandas / numpy values as the JSON values a request is made of."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if not _is_null(v)}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple) or hasattr(value, "tolist") and not _is_scalar(value):
        return [_plain(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    return value


def _is_scalar(value: Any) -> bool:
    return getattr(value, "ndim", 1) == 0


def _is_null(value: Any) -> bool:
    return value is None or isinstance(value, float) and math.isnan(value)


# --- reading ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class InputFiles:
    """The files of an input path: one file, or every file under a directory."""

    filesystem: pafs.FileSystem
    paths: tuple[str, ...]
    root: str
    """The directory the paths are relative to in records (``""``: one file, no ``file``)."""

    def relative(self, path: str) -> str:
        return posixpath.relpath(path, self.root) if self.root else ""


def input_files(path: str) -> InputFiles:
    """Resolve ``path`` (local, or a URI such as ``s3://bucket/clusters/``) to its files.

    Raises ``InvalidInput`` naming the path when it does not exist or holds no files.
    """
    filesystem, base = _filesystem(path)
    try:
        info = filesystem.get_file_info(base)
    except OSError as exc:
        raise InvalidInput(path, f"cannot read ({exc})") from None
    if info.type == pafs.FileType.NotFound:
        raise InvalidInput(path, "no such file or directory")
    if info.type != pafs.FileType.Directory:
        return InputFiles(filesystem, (base,), "")
    found = filesystem.get_file_info(pafs.FileSelector(base, recursive=True))
    paths = sorted(
        f.path for f in found if f.type == pafs.FileType.File and _data_file(f.path, base)
    )
    if not paths:
        raise InvalidInput(path, "is a directory with no input files in it")
    return InputFiles(filesystem, tuple(paths), base)


def _data_file(path: str, base: str) -> bool:
    """Hidden and bookkeeping files (``.crc``, ``_SUCCESS``) are not data."""
    return not any(part.startswith((".", "_")) for part in posixpath.relpath(path, base).split("/"))


def _filesystem(path: str) -> tuple[pafs.FileSystem, str]:
    if "://" in path:
        try:
            return pafs.FileSystem.from_uri(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InvalidInput(path, f"unsupported or unreachable location ({exc})") from None
    return pafs.LocalFileSystem(), str(Path(path).resolve())


def read_clusters(files: InputFiles) -> Any:
    """A Ray dataset of the clusters in ``files``: rows ``request`` (JSON), ``line``, ``file``.

    Ray's readers read the files in parallel, each whole; ``*.parquet`` files are read as
    Parquet (one cluster per row, its ``line`` the row number), the others as JSON lines.
    """
    import ray.data

    # Reading and splitting take no CPU of their own: they are light next to summarizing, and
    # an actor may hold every CPU of its node, which would leave them waiting for ever.
    dataset = ray.data.read_binary_files(
        list(files.paths), include_paths=True, filesystem=files.filesystem, num_cpus=0
    )
    return dataset.flat_map(_split_file, fn_kwargs={"root": files.root}, num_cpus=0)


def _split_file(row: dict[str, Any], *, root: str) -> list[dict[str, Any]]:
    data, path = row["bytes"], row["path"]
    file = posixpath.relpath(path, root) if root else ""
    if path.endswith(".parquet"):
        table = pq.read_table(pa.BufferReader(data))
        return [
            {"request": _request_text(record), "line": number, "file": file}
            for number, record in enumerate(table.to_pylist(), start=1)
        ]
    return [
        {"request": raw, "line": number, "file": file}
        for number, raw in input_lines(io.BytesIO(data))
    ]


# --- summarizing --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RayOptions:
    """How ``--engine ray`` runs: where, how many actors, what each one gets."""

    address: str = "local"
    """``local``: start a Ray for this command; ``auto``: join the cluster of this machine (or
    of ``RAY_ADDRESS``, as in a Ray job); ``HOST:PORT`` or ``ray://HOST:PORT``: join that."""
    actors: tuple[int, int | None] = (1, None)
    """Actor pool size ``(min, max)``; ``max`` None: as many as the cluster's resources fit."""
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0
    batch_size: int = 32
    """Clusters per ``map_batches`` call, summarized together (in flight at once)."""


def summarize_dataset(
    dataset: Any,
    settings: Settings,
    options: RayOptions | None = None,
    *,
    done: Done | None = None,
    pipeline_factory: Callable[[Settings], Any] | None = None,
    report_load_error: bool = False,
) -> Any:
    """``dataset.map_batches(Summarize, ...)`` on a pool of actors sized by ``options``.

    Each actor runs torch with ``settings.threads`` threads; when that is 0 (torch's
    default: one per core of the node), with its CPU share instead, so actors sharing a node
    do not oversubscribe it.
    """
    from ray.data import ActorPoolStrategy

    options = options or RayOptions()
    if settings.threads == 0:
        settings = replace(settings, threads=max(1, math.ceil(options.cpus_per_actor)))
    low, high = options.actors
    compute = (
        ActorPoolStrategy(size=low)
        if high == low
        else ActorPoolStrategy(min_size=low, max_size=high)
    )
    resources: dict[str, Any] = {"num_cpus": options.cpus_per_actor}
    if options.gpus_per_actor:
        resources["num_gpus"] = options.gpus_per_actor
    return dataset.map_batches(
        Summarize,
        fn_constructor_kwargs={
            "settings": settings,
            "done": done,
            "pipeline_factory": pipeline_factory,
            "report_load_error": report_load_error,
        },
        batch_size=options.batch_size,
        batch_format="pyarrow",
        compute=compute,
        **resources,
    )


# --- the command --------------------------------------------------------------------------
class _Sink:
    """Where the command writes results: JSON lines (a stream) or one Parquet file."""

    def __init__(self, stream: IO[str] | None, parquet: IO[bytes] | None) -> None:
        self._stream = stream
        self._writer = pq.ParquetWriter(parquet, PARQUET_SCHEMA) if parquet is not None else None
        self._rows: list[dict[str, Any]] = []

    def write(self, cluster_id: str | None, error: str | None, text: str) -> None:
        if self._stream is not None:
            self._stream.write(text + "\n")  # one write, then a flush: whole lines only
            self._stream.flush()
            return
        self._rows.append({"id": cluster_id, "error": error, "result": text})
        if len(self._rows) >= PARQUET_ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        if self._writer is not None and self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=PARQUET_SCHEMA))
            self._rows = []

    def close(self) -> None:
        self.flush()
        if self._writer is not None:
            self._writer.close()


def _open_sink(
    stack: ExitStack, output: str, *, resume: bool, overwrite: bool
) -> tuple[_Sink, Done]:
    parquet = output.endswith(".parquet")
    remote = "://" in output
    if resume and (parquet or remote):
        raise InvalidInput(
            "--resume",
            "needs a local JSON lines output file: a Parquet file or an object in storage "
            "cannot be appended to (write to a new output instead)",
        )
    if not remote and not parquet:
        out, done = open_output(output, resume=resume, overwrite=overwrite)
        if out is not sys.stdout:
            stack.enter_context(out)
        return _Sink(out, None), done
    filesystem, path = _filesystem(output)
    info = filesystem.get_file_info(path)
    if info.type == pafs.FileType.Directory:
        raise InvalidInput(output, "is a directory, not a file")
    if info.type == pafs.FileType.File and not overwrite:
        raise InvalidInput(output, "exists: add --overwrite to replace it")
    stream = stack.enter_context(filesystem.open_output_stream(path))
    if parquet:
        sink = _Sink(None, stream)
    else:
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="\n", write_through=True)
        sink = _Sink(text, None)
    stack.callback(sink.close)
    return sink, Done()


def _total(files: InputFiles) -> int | None:
    """Clusters in a local input file (the progress bar's total); None when not cheap to tell."""
    if len(files.paths) != 1 or not isinstance(files.filesystem, pafs.LocalFileSystem):
        return None
    path = files.paths[0]
    if path.endswith(".parquet"):
        return pq.ParquetFile(path).metadata.num_rows
    return count_clusters(Path(path))


def connect(address: str, *, verbose: int = 0) -> bool:
    """Start or join Ray (unless this process already has); True when it started one."""
    level = logging.INFO if verbose else logging.WARNING
    if address == "local":
        if "ray" not in sys.modules:
            # A Ray of this command only, which nobody else joins: every connection between
            # its processes stays on loopback (Ray otherwise uses the host's address). The
            # variable is read when ray is imported and inherited by its processes.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    if ray.is_initialized():
        return False
    if not verbose:
        # A local Ray turns token authentication on and says so on every run.
        logging.getLogger("ray._private.authentication").setLevel(logging.ERROR)
    if address == "local":
        ray.init(address="local", include_dashboard=False, logging_level=level)
    else:
        ray.init(address=address, logging_level=level)
    return True


def check_resources(options: RayOptions) -> None:
    """Refuse actors bigger than the whole Ray: Ray Data would wait for them for ever.

    Only for a Ray without an autoscaler (one this command started), where no node will
    come to fit them.
    """
    import ray

    total = ray.cluster_resources()
    for flag, wanted, name in (
        ("--ray-cpus-per-actor", options.cpus_per_actor, "CPU"),
        ("--ray-gpus-per-actor", options.gpus_per_actor, "GPU"),
    ):
        have = total.get(name, 0.0)
        if wanted > have:
            raise InvalidInput(
                flag, f"each actor asks for {wanted:g} {name}s; this Ray has {have:g}"
            )


def run_batch(
    source: str,
    output: str,
    settings: Settings,
    options: RayOptions,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: Progress | None = None,
    counts: Counts | None = None,
    verbose: int = 0,
) -> Counts:
    """``newsfuse batch --engine ray``: summarize every cluster of ``source`` into ``output``.

    Raises ``InvalidInput`` for a bad input or output path; a cluster that fails is an error
    line (counted in ``Counts.failed``), never an exception.
    """
    if source == "-":
        raise InvalidInput(
            "INPUT",
            "--engine ray reads files: give a path (a file or a directory, local or "
            "a URI such as s3://bucket/clusters/), not - (stdin)",
        )
    files = input_files(source)
    with ExitStack() as stack:
        sink, done = _open_sink(stack, output, resume=resume, overwrite=overwrite)
        counts = Counts(total=None) if counts is None else counts
        counts.total = _total(files)
        progress = progress or Progress(sys.stderr, enabled=False)
        started = connect(options.address, verbose=verbose)
        if started:
            stack.callback(_shutdown)
        if options.address == "local":
            check_resources(options)
        _quiet_ray_data(verbose)
        dataset = summarize_dataset(
            read_clusters(files), settings, options, done=done, report_load_error=True
        )
        # Closed before Ray is shut down (the stack unwinds in reverse), or Ray Data reports
        # its iterator's end to a Ray that is gone.
        rows = stack.enter_context(closing(_result_rows(dataset)))
        _write_results(rows, sink, counts, progress.update)
        progress.finish(counts)
    return counts


def _result_rows(dataset: Any) -> Generator[dict[str, Any], None, None]:
    for table in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
        yield from table.to_pylist()


def _write_results(
    rows: Iterable[dict[str, Any]],
    sink: _Sink,
    counts: Counts,
    on_progress: Callable[[Counts], None],
) -> None:
    """Write each row as it arrives; a second result with an id already written is turned
    into a duplicate-id error line, so each id is in the output at most once.

    Raises the error of a ``stopped`` row (an actor whose models failed to load).
    """
    first: dict[str, str] = {}
    for row in rows:
        if row["status"] == STOPPED:
            raise error_from_dict(json.loads(row["result"]))
        if row["status"] == SKIPPED:
            counts.skipped += 1
            on_progress(counts)
            continue
        text, error = row["result"], row["error"]
        cluster_id, file = row["id"], row["file"] or ""
        if cluster_id and cluster_id in first:
            failed = ClusterResult(0, cluster_id, error=duplicate_id(cluster_id, first[cluster_id]))
            record = result_record(failed, row["line"], file)
            text, error = json.dumps(record, ensure_ascii=False), record["error"]["reason"]
        elif cluster_id:
            first[cluster_id] = f"line {row['line']}" + (f" of {file}" if file else "")
        sink.write(cluster_id, error, text)
        counts.done += 1
        if error is not None:
            counts.failed += 1
        on_progress(counts)


def _quiet_ray_data(verbose: int) -> None:
    """Ray Data's own progress bars and per-run logs would garble ours on stderr."""
    from ray.data import DataContext

    context = DataContext.get_current()
    context.enable_progress_bars = False
    if not verbose:
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        # "Progress bars disabled": we disabled them, for our own.
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)


def _shutdown() -> None:
    import ray

    ray.shutdown()
