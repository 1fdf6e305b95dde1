"""Fixtures of the reliability tests; the server helpers come from the gRPC tests."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# grpc_support (servers on port 0, GatedEmbedder, ...) and the benchmark scripts.
for folder in (HERE.parent / "grpc", HERE.parents[1] / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
