"""Fixtures of the HTTP tests: real servers (gRPC and HTTP in one process) on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The gRPC tests' helpers (servers on port 0, the gated embedder) serve these tests too.
sys.path.insert(0, str(HERE.parent / "grpc"))
sys.path.insert(0, str(HERE))
