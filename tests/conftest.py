import os
import tempfile

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation

os.environ.setdefault("XIAOQU_DEBUG", "1")

# Tests run background tasks at once, inside the code that queues them, so they need no worker
# (tests/lifecircle/test_pages.py checks that the default queues them for the worker instead).
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True, scope="session")
def suite_settings():
    """Settings every test runs with. pytest-django reads the settings before this file loads,
    so they are overridden here rather than set in the environment."""
    # Uploaded photos, ballot scans and street networks go to a scratch folder, never to var/.
    # Passwords are hashed with the cheap hasher: the suite makes hundreds of users, and at
    # about 0.2 s each PBKDF2 took a sixth of its time while testing nothing of its own.
    with override_settings(
        MEDIA_ROOT=tempfile.mkdtemp(prefix="xiaoqu-test-media-"),
        TASKS=IMMEDIATE_TASKS,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        CACHES=_worker_caches(),
    ):
        yield


def _worker_caches() -> dict:
    """With Redis (XIAOQU_REDIS_URL), each test process gets a database of its own: the
    throttles count per address in the cache and every test client has the same address, and
    clearing the cache before a test (``fresh_cache``) empties the whole Redis database — the
    parallel processes must not count, or clear, each other's."""
    caches = {alias: dict(config) for alias, config in settings.CACHES.items()}
    default = caches["default"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if "redis" in default["BACKEND"].lower() and worker.startswith("gw"):
        location = default["LOCATION"]
        base, _sep, db = location.rpartition("/")
        if not db.isdigit():  # redis://host:port, no database named: database 0
            base, db = location.rstrip("/"), "0"
        default["LOCATION"] = f"{base}/{(int(db) + int(worker[2:] or 0)) % 16}"
    return caches


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: the login and SMS-code throttles count in it
    (accounts.throttle), and every test client comes from the same address."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a page requested in English leaves English
    active in the thread (the locale middleware never switches back), which must not decide
    how a later test's code runs."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def seeded_standard():
    """The facility types the migration seeds. A transactional test (the browser tests are)
    runs on tables that an earlier transactional test may have flushed, so it seeds them again
    (the seed is idempotent)."""
    import importlib

    from django.apps import apps

    importlib.import_module("xiaoqu.lifecircle.migrations.0002_standard_types").seed(apps, None)


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
