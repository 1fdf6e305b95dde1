"""``newsfuse serve`` and ``newsfuse health`` (registered into the main command line)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)

# flag -> (Settings field, type, help); every flag overrides NEWSFUSE_<FIELD>.
_SERVE_FLAGS: tuple[tuple[str, type, str], ...] = (
    ("--host", str, "address to listen on (default 0.0.0.0)"),
    ("--port", int, "gRPC port, 0 for any free one (default 50051)"),
    ("--metrics-port", int, "Prometheus /metrics port, 0 for any free one (default 9090)"),
    ("--model", str, "local seq2seq checkpoint directory; unset: extractive only"),
    ("--device", str, "auto, cpu, cuda or cuda:N"),
    ("--threads", int, "torch CPU threads (0: one per core)"),
    ("--max-batch-size", int, "requests per model batch; 1 turns batching off (default 16)"),
    ("--max-wait-ms", float, "longest wait for a batch to fill (default 5)"),
    ("--max-queue", int, "queued requests per stage before RESOURCE_EXHAUSTED (default 256)"),
    ("--workers", int, "threads serving calls (default 32)"),
    ("--max-receive-mb", int, "largest accepted request message (default 64)"),
    ("--grace-seconds", float, "how long calls in flight may finish on SIGTERM (default 15)"),
    (
        "--batch-timeout-seconds",
        float,
        "longest a model batch may run before its calls fail, 0 for no limit (default 300)",
    ),
    ("--tls-cert", str, "PEM certificate chain; with --tls-key serves TLS"),
    ("--tls-key", str, "PEM private key"),
)


def register(subparsers: Any) -> None:
    """Add the ``serve`` and ``health`` subcommands."""
    serve = subparsers.add_parser(
        "serve",
        help="run the gRPC server",
        description="Run the newsfuse gRPC server. Every flag overrides its NEWSFUSE_* "
        "environment variable (e.g. --max-queue: NEWSFUSE_MAX_QUEUE). The bearer token "
        "is only read from NEWSFUSE_AUTH_TOKEN, so it never shows in a process list.",
    )
    for flag, kind, text in _SERVE_FLAGS:
        metavar = "DIR" if flag == "--model" else ("FILE" if flag.startswith("--tls") else None)
        serve.add_argument(flag, type=kind, help=text, metavar=metavar)
    serve.set_defaults(func=_serve)

    check = subparsers.add_parser(
        "health", help="ask a server whether it is SERVING (exit 0) or not (exit 1)"
    )
    check.add_argument("--address", default="127.0.0.1:50051", metavar="HOST:PORT")
    check.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    check.add_argument("--service", default="", help="service name; default: the whole server")
    check.add_argument("--tls-ca", metavar="FILE", help="connect with TLS, trusting this CA")
    check.set_defaults(func=_health)


def _serve(args: argparse.Namespace) -> int:
    from newsfuse.server.app import NewsfuseServer
    from newsfuse.settings import Settings

    overrides = {
        flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"))
        for flag, _, _ in _SERVE_FLAGS
    }
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

    if args.tls_ca:
        credentials = grpc.ssl_channel_credentials(Path(args.tls_ca).read_bytes())
        channel = grpc.secure_channel(args.address, credentials)
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
