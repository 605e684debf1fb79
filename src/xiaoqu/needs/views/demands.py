"""Pages: demands."""

from __future__ import annotations
