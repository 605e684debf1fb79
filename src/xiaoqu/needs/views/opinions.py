"""Pages: opinions."""

from __future__ import annotations
