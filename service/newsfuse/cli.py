"""Command line: ``newsfuse summarize``, ``batch``, ``serve``, ``health`` and ``models``.

A transport like the others: it reads files or JSON into ``ClusterRequest``, runs them
through a ``SummarizerService`` (in process) or a ``Client`` (``--server``), prints the
result, and exits with the code the error table gives each error.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from newsfuse import __version__
from newsfuse.api import ClusterRequest, ClusterResult
from newsfuse.errors import (
    ERROR_TABLE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    InvalidInput,
    NewsfuseError,
    error_spec,
    exit_codes_help,
)
from newsfuse.settings import Settings
from newsfuse.types import MODES, Document, SummaryOptions

_LOGGER = logging.getLogger(__name__)

EXIT_USAGE = ERROR_TABLE[InvalidInput].exit_code
_DEFAULTS = Settings()


def read_documents(paths: Sequence[str]) -> list[Document]:
    """Read each file as UTF-8; the document id is the path exactly as given."""
    documents = []
    seen: set[str] = set()
    for path in paths:
        if path in seen:
            raise InvalidInput(path, "given twice")
        seen.add(path)
        try:
            # newline="" keeps \r\n as is, so offsets index the file's own characters.
            with open(path, encoding="utf-8", newline="") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise InvalidInput(path, "no such file") from None
        except IsADirectoryError:
            raise InvalidInput(path, "is a directory, not a file") from None
        except PermissionError:
            raise InvalidInput(path, "permission denied") from None
        except UnicodeDecodeError as exc:
            message = f"not UTF-8 text (invalid byte at offset {exc.start})"
            raise InvalidInput(path, message) from None
        except OSError as exc:
            raise InvalidInput(path, f"cannot read ({exc.strerror or exc})") from None
        if not text.strip():
            raise InvalidInput(path, "empty file")
        documents.append(Document(id=path, text=text))
    return documents


def quiet_model_loading() -> None:
    """Keep transformers' progress bars and notices off a command's output."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _options(
    args: argparse.Namespace, settings: Settings, base: SummaryOptions | None
) -> SummaryOptions:
    """The request's options with the flags given on the command line applied on top."""
    flags = {
        key: value
        for key, value in (
            ("max_words", args.max_words),
            ("max_sentences", args.max_sentences),
            ("mode", args.mode),
        )
        if value is not None
    }
    if base is None and not flags:
        return SummaryOptions(max_words=settings.max_words)
    base = base or SummaryOptions(max_words=settings.max_words)
    return SummaryOptions(
        max_words=flags.get("max_words", base.max_words),
        max_sentences=flags.get("max_sentences", base.max_sentences),
        mode=flags.get("mode", base.mode),
        seen_ids=base.seen_ids,
        seen_documents=base.seen_documents,
    )


# flag -> help of the settings every command that runs the pipeline takes (summarize, batch,
# serve); the Settings field is the flag's name and each overrides NEWSFUSE_<FIELD>. The
# request limits' errors name these flags (settings.how_to_raise).
PIPELINE_FLAGS: tuple[tuple[str, str], ...] = (
    ("--embed-cache-mb", "size of the process' embedding cache in MB, 0 turns it off"),
    ("--max-documents", "most documents per request"),
    ("--max-document-chars", "most characters per document"),
    ("--max-request-chars", "most characters per request"),
    ("--max-sentences-per-request", "most sentences per request, after ingest"),
    ("--max-sentence-chars", "longer sentences are cut into pieces of at most this many"),
)


def add_pipeline_flags(parser: argparse.ArgumentParser) -> None:
    """Add ``PIPELINE_FLAGS`` to a subcommand (integers; the help shows the default)."""
    for flag, text in PIPELINE_FLAGS:
        field = flag[2:].replace("-", "_")
        parser.add_argument(
            flag,
            type=int,
            help=f"{text} (NEWSFUSE_{field.upper()}; default {getattr(_DEFAULTS, field)})",
        )


def pipeline_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The ``Settings`` overrides given by ``PIPELINE_FLAGS`` (``None``: not given)."""
    fields = [flag[2:].replace("-", "_") for flag, _ in PIPELINE_FLAGS]
    return {field: getattr(args, field) for field in fields}


def _summarize(args: argparse.Namespace) -> int:
    from newsfuse.jsonform import parse_request
    from newsfuse.output import render_human, summary_to_dict

    settings = Settings.from_env(
        model=args.model, device=args.device, threads=args.threads, **pipeline_overrides(args)
    )
    if "-" in args.files:
        if len(args.files) > 1:
            raise InvalidInput("-", "reads one cluster's JSON from stdin: give no files with it")
        parsed = parse_request(sys.stdin.buffer.read(), settings.max_words)
        request = ClusterRequest(
            parsed.documents, _options(args, settings, parsed.options), parsed.id
        )
    else:
        documents = read_documents(args.files)
        request = ClusterRequest(tuple(documents), _options(args, settings, None))
    if args.seen:
        seen = read_documents(args.seen)
        request = ClusterRequest(
            request.documents,
            dataclasses.replace(
                request.options, seen_documents=(*request.options.seen_documents, *seen)
            ),
            request.id,
        )
    if args.server:
        with _client(args, settings) as client:
            summary = client.summarize(
                request.documents, request.options, timeout=args.timeout
            )
    else:
        from newsfuse.service import SummarizerService

        quiet_model_loading()
        with SummarizerService(settings, warmup=False).load() as service:
            summary = service.summarize(request)
    if args.format == "json":
        text = json.dumps(summary_to_dict(summary), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "html":
        from newsfuse.reader import report_html

        text = report_html(request, summary)
    else:
        text = render_human(summary) + "\n"
    _write_output(args.output, text)
    return EXIT_OK


def _write_output(path: str, text: str) -> None:
    """``text`` to stdout (``-``) or to a file, replaced whole only once it is written."""
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    if target.is_dir():
        raise InvalidInput(path, "is a directory, not a file")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InvalidInput(path, f"cannot write ({exc.strerror or exc})") from None


def _client(args: argparse.Namespace, settings: Settings) -> Any:
    from newsfuse.client import Client

    return Client(
        args.server,
        token=settings.auth_token,
        tls=args.tls,
        root_certificates=args.tls_ca,
        timeout=args.timeout,
    )


def _batch(args: argparse.Namespace) -> int:
    from newsfuse import batch

    settings = Settings.from_env(
        model=args.model, device=args.device, threads=args.threads, **pipeline_overrides(args)
    )
    if batch.same_file(args.input, args.output):
        raise InvalidInput(args.output, "is the input file: write the output elsewhere")
    if args.engine == "ray":
        return _batch_ray(args, settings)
    for path in (args.input, args.output):
        if path.endswith(".parquet"):
            raise InvalidInput(path, "Parquet is read and written by --engine ray only")
    with ExitStack() as stack:
        if args.input == "-":
            source, total = sys.stdin.buffer, None
        else:
            try:
                source = stack.enter_context(open(args.input, "rb"))  # noqa: SIM115
            except OSError as exc:
                raise InvalidInput(args.input, f"cannot read ({exc.strerror or exc})") from None
            total = batch.count_clusters(Path(args.input))
        out, done = batch.open_output(args.output, resume=args.resume, overwrite=args.overwrite)
        if out is not sys.stdout:
            stack.enter_context(out)
        progress = batch.Progress(sys.stderr, enabled=batch.Progress.wanted(sys.stderr, args.quiet))
        counts = batch.Counts(total=total)
        run = batch.Batch(
            batch.input_lines(source),
            out,
            default_max_words=settings.max_words,
            done=done,
            counts=counts,
            on_progress=progress.update,
        )
        started = time.monotonic()
        try:
            if args.server:
                client = stack.enter_context(_client(args, settings))

                def backend(items: Iterable[ClusterRequest | ClusterResult]) -> Iterator[Any]:
                    return client.stream(items, window=args.window, timeout=args.timeout)

                run.run(backend)
            else:

                def local(items: Iterable[ClusterRequest | ClusterResult]) -> Iterator[Any]:
                    from newsfuse.service import SummarizerService

                    pending = iter(items)
                    first = next(pending, None)
                    if first is None:
                        return  # nothing left to do (a finished run resumed): load nothing
                    quiet_model_loading()
                    service = stack.enter_context(SummarizerService(settings, warmup=False).load())
                    yield from service.summarize_many(
                        itertools.chain([first], pending), window=args.window
                    )

                run.run(local)
        except (NewsfuseError, KeyboardInterrupt):
            _batch_stopped(args, counts, progress)
            raise
        progress.finish(counts)
    return _batch_done(args, counts, started)


def _batch_stopped(args: argparse.Namespace, counts: Any, progress: Any) -> None:
    progress.finish(counts)
    if args.output != "-" and not args.quiet and counts.done:
        resumable = not args.output.endswith(".parquet") and "://" not in args.output
        print(
            f"newsfuse batch: stopped after {counts.done} clusters"
            + ("; the same command with --resume continues" if resumable else ""),
            file=sys.stderr,
        )


def _batch_done(args: argparse.Namespace, counts: Any, started: float) -> int:
    if not args.quiet:
        print(
            f"newsfuse batch: {counts.done - counts.failed} summarized, {counts.failed} failed, "
            f"{counts.skipped} already done, in {time.monotonic() - started:.1f}s",
            file=sys.stderr,
        )
    return EXIT_PARTIAL if counts.failed else EXIT_OK


def _batch_ray(args: argparse.Namespace, settings: Settings) -> int:
    from newsfuse import batch

    if args.server:
        raise InvalidInput("--server", "goes with --engine local: Ray actors load the models")
    try:
        from newsfuse import ray_engine
    except ImportError as exc:
        raise InvalidInput(
            "--engine", f"ray needs the ray extra: pip install 'newsfuse[ray]' ({exc})"
        ) from None
    options = ray_engine.RayOptions(
        address=args.ray_address,
        actors=args.ray_actors,
        cpus_per_actor=args.ray_cpus_per_actor,
        gpus_per_actor=args.ray_gpus_per_actor,
        batch_size=args.ray_batch_size,
    )
    progress = batch.Progress(sys.stderr, enabled=batch.Progress.wanted(sys.stderr, args.quiet))
    counts = batch.Counts(total=None)
    started = time.monotonic()
    try:
        ray_engine.run_batch(
            args.input,
            args.output,
            settings,
            options,
            resume=args.resume,
            overwrite=args.overwrite,
            progress=progress,
            counts=counts,
            verbose=args.verbose,
        )
    except (NewsfuseError, KeyboardInterrupt):
        _batch_stopped(args, counts, progress)
        raise
    return _batch_done(args, counts, started)


def add_server_options(parser: argparse.ArgumentParser, *, timeout: float) -> None:
    """``--server`` and how to connect: TLS, deadline (the token: NEWSFUSE_AUTH_TOKEN)."""
    parser.add_argument(
        "--server",
        metavar="HOST:PORT",
        help="go through a newsfuse server instead of loading the models here (default: "
        "in process); a bearer token is read from NEWSFUSE_AUTH_TOKEN",
    )
    add_tls_options(parser)
    parser.add_argument(
        "--timeout",
        type=float,
        default=timeout,
        metavar="SECONDS",
        help=f"deadline of each server call, retries included (default {timeout:g})",
    )


def add_tls_options(parser: argparse.ArgumentParser) -> None:
    """``--tls`` and ``--tls-ca``: the same for every command that talks to a server."""
    parser.add_argument(
        "--tls",
        action="store_true",
        help="connect with TLS, trusting the system's roots (default off)",
    )
    parser.add_argument(
        "--tls-ca",
        metavar="FILE",
        help="connect with TLS, trusting this CA certificate (PEM) (default: none)",
    )


def _model_options(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    parser.add_argument(
        "--model",
        metavar="DIR",
        help="local seq2seq checkpoint (NEWSFUSE_MODEL; default: none, extractive only)",
    )
    parser.add_argument(
        "--device", help=f"auto, cpu, cuda or cuda:N (NEWSFUSE_DEVICE; default {d.device})"
    )
    parser.add_argument(
        "--threads",
        type=int,
        help=f"torch CPU threads, 0 for one per core (NEWSFUSE_THREADS; default {d.threads})",
    )


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {value}")
    return number


def _share(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return number


def _actor_pool(value: str) -> tuple[int, int | None]:
    """``N`` (a fixed pool), ``MIN:MAX`` or ``MIN:`` (autoscaling, up to what fits)."""
    low, colon, high = value.partition(":")
    try:
        size = _positive_int(low)
        if not colon:
            return size, size
        top = _positive_int(high) if high else None
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{value!r}: N, MIN:MAX or MIN: ({exc})") from None
    if top is not None and top < size:
        raise argparse.ArgumentTypeError(f"{value!r}: MAX is below MIN")
    return size, top


def _ray_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "Ray (--engine ray; needs pip install 'newsfuse[ray]')",
        "INPUT may be a directory of files (*.parquet read as Parquet, the rest as JSON lines) "
        "or a URI (s3://..., gs://...); -o FILE.parquet writes Parquet (columns id, error, "
        "result: the JSON of the output line). Each actor loads the models once and "
        "summarizes a batch of clusters at a time, batched together.",
    )
    group.add_argument(
        "--ray-address",
        default="local",
        metavar="ADDRESS",
        help="local: start a Ray for this command; auto: join the running cluster (in a "
        "Ray job too); HOST:PORT: join that one (default local)",
    )
    group.add_argument(
        "--ray-actors",
        type=_actor_pool,
        default=(1, None),
        metavar="N|MIN:MAX",
        help="actors summarizing: N, or autoscaling from MIN to MAX (MIN: up to what the "
        "cluster's CPUs and GPUs fit) (default 1:)",
    )
    group.add_argument(
        "--ray-cpus-per-actor",
        type=_positive_float,
        default=1.0,
        metavar="CPUS",
        help="CPUs each actor reserves; torch threads follow it unless --threads is set "
        "(default 1)",
    )
    group.add_argument(
        "--ray-gpus-per-actor",
        type=_share,
        default=0.0,
        metavar="GPUS",
        help="GPUs each actor reserves, fractions allowed (default 0)",
    )
    group.add_argument(
        "--ray-batch-size",
        type=_positive_int,
        default=32,
        metavar="N",
        help="clusters per actor call, summarized together (default 32)",
    )


def _budget_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-words",
        type=_positive_int,
        help=f"word budget (default: the request's, else NEWSFUSE_MAX_WORDS, else "
        f"{_DEFAULTS.max_words})",
    )
    parser.add_argument(
        "--max-sentences",
        type=_positive_int,
        help="sentence budget (default: the request's, else none)",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        type=str,
        help="auto: the seq2seq model when one is configured, else extractive "
        "(default: the request's, else auto)",
    )


_BATCH_DESCRIPTION = """\
Summarize many clusters: JSON lines in, JSON lines out.

Input (a file, or - for stdin): one cluster per line, in the JSON form of a request
  {"id": "c1", "documents": [{"id": "a", "text": "...", "title": "...", "date": "2025-10-17"}],
   "options": {"max_words": 150, "max_sentences": null, "mode": "auto"}}
('id', 'documents' with 'id' and 'text' are required; the rest is optional.)

Output (-o FILE, or stdout): one line per cluster, as clusters finish: the JSON of
'summarize --json' with the cluster's "id" first; or, for a cluster that failed (malformed
JSON, missing fields, limits...), {"id": ..., "line": N, "error": {"reason": ..., "message":
..., "field": ..., "retryable": ...}}. One bad cluster never stops the run.

--resume appends to FILE and skips every id already in it, so a run that was interrupted
continues where it stopped and writes each id exactly once. A progress bar (clusters done,
clusters/s, ETA) goes to stderr when it is a terminal.

To read one cluster's summary beside its articles, pipe its input line to
'newsfuse summarize - --format html -o FILE' (batch writes JSON lines only).
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``newsfuse`` command."""
    parser = argparse.ArgumentParser(
        prog="newsfuse",
        description="Fused, cited summaries of clusters of news articles.",
        epilog=exit_codes_help(),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsfuse {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging, -vv debug (default off)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "summarize",
        help="summarize one cluster: article files, or its JSON on stdin (-)",
        description="Summarize one cluster of articles: FILE... (one article per UTF-8 file, "
        "its path as its id) or - (the cluster's JSON on stdin, as one line of 'newsfuse "
        "batch'). In process, or through a server with --server. --format html -o report.html "
        "writes one self-contained page that shows each sentence's cited spans in the sources.",
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="UTF-8 text files, one article each; or -"
    )
    _budget_options(p)
    p.add_argument(
        "--format",
        choices=("text", "json", "html"),
        default="text",
        help="text: the summary with [n] markers and the sources; json: the machine form; "
        "html: one self-contained page showing the cited spans in the sources, to open "
        "offline (default text)",
    )
    p.add_argument(
        "--json",
        dest="format",
        action="store_const",
        const="json",
        help="the same as --format json (default off)",
    )
    p.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help="write to FILE instead of stdout (default - : stdout)",
    )
    p.add_argument(
        "--seen",
        nargs="+",
        metavar="FILE",
        default=[],
        help="articles the reader has already seen: the summary tells only what is new in "
        "FILE... and cites these only as context (default: none)",
    )
    _model_options(p)
    add_pipeline_flags(p)
    add_server_options(p, timeout=120.0)
    p.set_defaults(func=_summarize)

    p = sub.add_parser(
        "batch",
        help="summarize many clusters: JSON lines in, JSON lines out",
        description=_BATCH_DESCRIPTION,
    )
    p.add_argument("input", metavar="INPUT", help="JSONL file of clusters, or - for stdin")
    p.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="JSONL output file (default - : stdout)"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="append to FILE, skipping the ids it already holds (default: off)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing FILE (default: refuse, so no earlier run is lost)",
    )
    window = 2 * _DEFAULTS.max_batch_size
    p.add_argument(
        "--window",
        type=_positive_int,
        default=window,
        metavar="N",
        help=f"clusters in flight at once, whose model work is batched (default {window})",
    )
    p.add_argument(
        "--quiet", action="store_true", help="no progress bar or summary line (default off)"
    )
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process (or --server); ray: actors of a Ray cluster (default local)",
    )
    _model_options(p)
    add_pipeline_flags(p)
    add_server_options(p, timeout=600.0)
    _ray_options(p)
    p.set_defaults(func=_batch)

    for module in ("newsfuse.server.cli", "newsfuse.model_store"):
        try:
            register = __import__(module, fromlist=["register"]).register
        except ImportError as exc:
            # A missing optional part must not break summarize; say why it is missing.
            _LOGGER.debug("subcommands of %s unavailable: %s", module, exc)
            continue
        register(sub)
    for command in _subparsers(parser):
        if command.epilog is None:  # serve and health have their own
            command.epilog = exit_codes_help()
        command.formatter_class = HelpFormatter
    return parser


class HelpFormatter(argparse.HelpFormatter):
    """Keeps the line breaks of descriptions and epilogs; wraps only lines that are too long."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        # Consecutive plain lines are one paragraph, filled to the width; an indented line
        # (an example, an exit code) stays a line of its own, wrapped under its own text.
        units: list[str] = []
        for line in text.splitlines():
            plain = bool(line) and not line[0].isspace()
            if plain and units and units[-1] and not units[-1][0].isspace():
                units[-1] += " " + line
            else:
                units.append(line)
        lines = []
        for unit in units:
            hanging = re.match(r"\s*(\d+\s+)?", unit).group(0)  # "  2  invalid_input: ..."
            wrapped = textwrap.wrap(
                unit, width, initial_indent=indent, subsequent_indent=indent + " " * len(hanging)
            )
            lines.extend(wrapped or [""])
        return "\n".join(lines)


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every subcommand's parser, nested ones included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield child
                yield from _subparsers(child)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsfuse`` console script."""
    # Idle OpenMP threads sleep instead of spinning: torch shares the cores with the server's
    # own threads (and, in a container, with other replicas). Must precede the torch import.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except NewsfuseError as exc:
        print(f"newsfuse: error: {exc}", file=sys.stderr)
        return error_spec(exc).exit_code
    except ValueError as exc:  # settings that cannot work (Settings.validate): a usage error
        print(f"newsfuse: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``newsfuse ... | head``): not an error worth a traceback.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def run() -> None:
    """The console script: ``main``, then leave without the interpreter's native teardown.

    Everything newsfuse writes is flushed and closed by then (outputs by their ``with``
    blocks, Ray by its explicit shutdown). What ``os._exit`` skips is the destruction of
    native thread pools (torch's OpenMP teams, one per thread that ran a model), which on a
    busy machine could abort a finished run ("terminate called without an active
    exception", exit 134) after its output was complete.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    run()
