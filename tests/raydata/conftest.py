"""Fixtures of the Ray tests: Ray kept local, and the helpers of ``ray_support`` importable.

Set before anything imports ray (these variables are read at import and inherited by Ray's
processes): a Ray started by a test keeps every connection on loopback instead of the
host's address, and writes no token to the home directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

# The helpers live in a module of their own (test modules never import a conftest).
sys.path.insert(0, str(Path(__file__).resolve().parent))
