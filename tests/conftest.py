import os
import tempfile

import pytest

os.environ.setdefault("XIAOQU_DEBUG", "1")
# Uploaded photos and ballot scans written by tests go to a scratch folder, never to var/.
os.environ.setdefault("XIAOQU_MEDIA_ROOT", tempfile.mkdtemp(prefix="xiaoqu-test-media-"))


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL (row locks, concurrent transactions): on any
    other database they are reported as skipped with that reason, never passed unseen."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    needs_postgres = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://… (CI runs the suite on both)"
    )
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(needs_postgres)
