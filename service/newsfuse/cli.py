"""Command line: ``newsfuse summarize``, ``serve``, ``health`` and ``models``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

from newsfuse import __version__
from newsfuse.errors import NewsfuseError
from newsfuse.types import Document, SummaryOptions

_LOGGER = logging.getLogger(__name__)

EXIT_USAGE = 2


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


def read_documents(paths: Sequence[str]) -> list[Document]:
    """Read each file as UTF-8; the document id is the path exactly as given."""
    documents = []
    seen: set[str] = set()
    for path in paths:
        if path in seen:
            raise CliError(f"{path}: given twice")
        seen.add(path)
        try:
            # newline="" keeps \r\n as is, so offsets index the file's own characters.
            with open(path, encoding="utf-8", newline="") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise CliError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise CliError(f"{path}: is a directory, not a file") from None
        except PermissionError:
            raise CliError(f"{path}: permission denied") from None
        except UnicodeDecodeError as exc:
            raise CliError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start})") from None
        except OSError as exc:
            raise CliError(f"{path}: cannot read ({exc.strerror or exc})") from None
        if not text.strip():
            raise CliError(f"{path}: empty file")
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


def _summarize(args: argparse.Namespace) -> int:
    from newsfuse.output import render_human, summary_to_dict
    from newsfuse.settings import Settings

    documents = read_documents(args.files)
    quiet_model_loading()
    settings = Settings.from_env(model=args.model, device=args.device, threads=args.threads)
    options = SummaryOptions(
        max_words=args.max_words if args.max_words is not None else settings.max_words,
        max_sentences=args.max_sentences,
        mode=args.mode,
    )
    if args.server:
        from newsfuse.client import Client

        with Client(args.server, token=settings.auth_token) as client:
            summary = client.summarize(documents, options, timeout=args.timeout)
    else:
        from newsfuse.pipeline import Pipeline

        summary = Pipeline.load(settings).summarize(documents, options)
    if args.json:
        json.dump(summary_to_dict(summary), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(render_human(summary))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``newsfuse`` command."""
    parser = argparse.ArgumentParser(
        prog="newsfuse", description="Fused, cited summaries of clusters of news articles."
    )
    parser.add_argument("--version", action="version", version=f"newsfuse {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("summarize", help="summarize article files (locally or via a server)")
    p.add_argument("files", nargs="+", metavar="FILE", help="UTF-8 text files, one article each")
    p.add_argument("--max-words", type=_positive_int, help="word budget (default 150)")
    p.add_argument("--max-sentences", type=_positive_int, help="sentence budget (default none)")
    p.add_argument(
        "--mode",
        choices=("auto", "extractive", "abstractive"),
        default="auto",
        help="auto: the seq2seq model when one is configured, else extractive",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--model", metavar="DIR", help="local seq2seq checkpoint (NEWSFUSE_MODEL)")
    p.add_argument("--device", help="auto, cpu, cuda or cuda:N (NEWSFUSE_DEVICE)")
    p.add_argument("--threads", type=int, help="torch CPU threads (NEWSFUSE_THREADS)")
    p.add_argument("--server", metavar="HOST:PORT", help="summarize through a newsfuse server")
    p.add_argument("--timeout", type=float, default=120.0, help="server call deadline, seconds")
    p.set_defaults(func=_summarize)

    for module in ("newsfuse.server.cli", "newsfuse.model_store"):
        try:
            register = __import__(module, fromlist=["register"]).register
        except ImportError as exc:
            # A missing optional part must not break summarize; say why it is missing.
            _LOGGER.debug("subcommands of %s unavailable: %s", module, exc)
            continue
        register(sub)
    return parser


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
    except CliError as exc:
        print(f"newsfuse: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (NewsfuseError, ValueError) as exc:
        print(f"newsfuse: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``newsfuse ... | head``): not an error worth a traceback.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
