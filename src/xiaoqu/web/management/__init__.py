"""Helpers shared by the web app's commands."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import connections


def ensure_local_dirs() -> None:
    """Create var/ and the SQLite database's folder: a clean clone has neither (git ignores
    var/), and SQLite cannot create a folder for its file."""
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    db = connections["default"].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3" and str(db["NAME"]) != ":memory:":
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
