"""``newsfuse serve`` and ``newsfuse health`` (registered into the main command line)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from newsfuse.cli import add_pipeline_flags, add_tls_options, pipeline_overrides
from newsfuse.settings import Settings

_LOGGER = logging.getLogger(__name__)

# flag -> (type, help); the Settings field is the flag's name. Every flag overrides
# NEWSFUSE_<FIELD>; help texts end with the field's default, taken from Settings.
_SERVE_FLAGS: tuple[tuple[str, type, str], ...] = (
    ("--host", str, "address to listen on"),
    ("--port", int, "gRPC port, 0 for any free one"),
    ("--metrics-port", int, "Prometheus /metrics port, 0 for any free one"),
    (
        "--http-port",
        int,
        "HTTP/JSON API and web page port, 0 for any free one; unset: no HTTP",
    ),
    ("--model", str, "local seq2seq checkpoint directory; unset: extractive only"),
    ("--device", str, "auto, cpu, cuda or cuda:N"),
    ("--threads", int, "torch CPU threads (0: one per core)"),
    ("--max-batch-size", int, "requests per model batch; 1 turns batching off"),
    ("--max-wait-ms", float, "longest wait for a batch to fill"),
    ("--max-queue", int, "queued requests per stage before RESOURCE_EXHAUSTED"),
    ("--workers", int, "threads serving calls"),
    ("--max-receive-mb", int, "largest accepted request message"),
    ("--grace-seconds", float, "how long calls in flight may finish on SIGTERM"),
    (
        "--batch-timeout-seconds",
        float,
        "longest a model batch may run before its calls fail, 0 for no limit",
    ),
    ("--tls-cert", str, "PEM certificate chain; with --tls-key serves TLS"),
    ("--tls-key", str, "PEM private key"),
)


def _field(flag: str) -> str:
    return flag[2:].replace("-", "_")


def _with_default(flag: str, text: str) -> str:
    default = getattr(Settings(), _field(flag))
    if isinstance(default, float):
        default = f"{default:g}"
    shown = "unset" if default is None else default
    return f"{text} (env NEWSFUSE_{_field(flag).upper()}; default {shown})"


def register(subparsers: Any) -> None:
    """Add the ``serve`` and ``health`` subcommands."""
    serve = subparsers.add_parser(
        "serve",
        help="run the gRPC server (and the HTTP/JSON API and web page with --http-port)",
        description="Run the newsfuse gRPC server, and with --http-port the HTTP/JSON API and "
        "the web page beside it, on the same models and batches. Every flag overrides its "
        "NEWSFUSE_* environment variable (e.g. --max-queue: NEWSFUSE_MAX_QUEUE). The bearer token "
        "is only read from NEWSFUSE_AUTH_TOKEN, so it never shows in a process list.",
        epilog="exit codes:\n    0  stopped by SIGTERM or SIGINT after draining the calls in "
        "flight\n    1  the models could not be loaded, or a port is taken",
    )
    for flag, kind, text in _SERVE_FLAGS:
        metavar = "DIR" if flag == "--model" else ("FILE" if flag.startswith("--tls") else None)
        serve.add_argument(flag, type=kind, help=_with_default(flag, text), metavar=metavar)
    add_pipeline_flags(serve)
    serve.set_defaults(func=_serve)

    check = subparsers.add_parser(
        "health",
        help="ask a server whether it is SERVING (exit 0) or not (exit 1)",
        description="Ask a server's grpc.health.v1 service whether it is SERVING. Exit 0 when "
        "it is, 1 when it is not or cannot be reached (as Docker's HEALTHCHECK expects).",
        epilog="exit codes:\n    0  SERVING\n    1  NOT_SERVING, unknown, or no answer",
    )
    check.add_argument(
        "--address",
        default="127.0.0.1:50051",
        metavar="HOST:PORT",
        help="the server to ask (default 127.0.0.1:50051)",
    )
    check.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    check.add_argument(
        "--service", default="", help="service name (default: empty, the whole server)"
    )
    add_tls_options(check)
    check.set_defaults(func=_health)


def _serve(args: argparse.Namespace) -> int:
    from newsfuse.server.app import NewsfuseServer

    overrides = {_field(flag): getattr(args, _field(flag)) for flag, _, _ in _SERVE_FLAGS}
    overrides.update(pipeline_overrides(args))
    settings = Settings.from_env(**overrides)
    # A server logs every call (ids, counts, timings) even without -v.
    package = logging.getLogger("newsfuse")
    package.setLevel(min(package.getEffectiveLevel(), logging.INFO))
    code = NewsfuseServer(settings).run()
    # Every call has been answered. Model threads given up on at the end of a drain may still
    # be inside torch, and tearing the interpreter down around them is slow and can abort the
    # process (SIGABRT seen under load): flush and leave at once with the drain's exit code.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _health(args: argparse.Namespace) -> int:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    if args.tls or args.tls_ca:
        roots = Path(args.tls_ca).read_bytes() if args.tls_ca else None
        channel = grpc.secure_channel(args.address, grpc.ssl_channel_credentials(roots))
    else:
        channel = grpc.insecure_channel(args.address)
    with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(
                health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout
            )
        except grpc.RpcError as exc:
            print(f"{args.address}: {exc.code().name} {exc.details() or ''}".rstrip())
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{args.address}: {status}")
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1
