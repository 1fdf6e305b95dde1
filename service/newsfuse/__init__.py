"""newsfuse: multi-document news summarization with sentence-level citations."""

from __future__ import annotations

__version__ = "0.1.0"
