"""Reads on a streaming replica, writes and fresh reads on the primary (docs/deployment.md,
"The read replica").

With ``XIAOQU_REPLICA_URL`` set, the settings add the database alias ``replica`` (a PostgreSQL
hot standby fed by streaming replication), :class:`PrimaryReplicaRouter` and
:class:`ReplicaMiddleware`. Without it none of this is installed and every query goes to
``default``, as before.

Where a read goes:

* Only a safe request (GET, HEAD, OPTIONS) reads from the replica. Everything else reads from
  the primary: unsafe requests, and all code outside a request — commands, imports, backups,
  the worker's tasks — which reads and then writes, and must see the latest rows.
* Inside a transaction on the primary reads stay on the primary, so a service's
  read-then-write (``select_for_update`` is routed as a write anyway) sees its own rows.
* After a write in the request (any write through the router) the rest of the request reads
  from the primary.
* Read-your-own-writes: a client whose request wrote is pinned to the primary for
  ``XIAOQU_REPLICA_PIN_SECONDS``, longer than the replica's usual lag, so that the page it is
  sent to next shows what it just did. The pin is a signed cookie: it needs no shared state
  between app servers, is read before the session (whose row may itself be the fresh write:
  a login), and covers anonymous visitors too. A client that keeps no cookies but
  authenticates with an ``Authorization`` header (API tokens) is pinned in the cache under a
  digest of that header instead (shared by every app server with ``XIAOQU_REDIS_URL``).
* When the replica cannot be reached, reads go to the primary; the replica is tried again
  after ``RETRY_SECONDS``. The site never fails because only the replica is away (a query
  already running on it when it goes away fails like any database error: a 503 page).

Writes that nobody reads back at once (the personal-information access log a page writes,
an API token's last use) do not pin the client: a staff member paging through residents'
records would otherwise never read from the replica.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.http import HttpRequest, HttpResponseBase

logger = logging.getLogger(__name__)

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A replica found unreachable is not tried again, in this process, for this long.
RETRY_SECONDS = 10.0
# The cookie that pins a client to the primary, and the salt of its signature.
PIN_COOKIE = "xiaoqu_primary"
PIN_SALT = "xiaoqu.core.replica.pin"
_PIN_CACHE_PREFIX = "replica-pin:"
# Models whose writes do not pin the client (labels in lower case; core imports no app).
UNPINNED_WRITES = frozenset({"core.accessevent", "accounts.apitoken"})


@dataclass
class _RequestState:
    """What the router needs to know of the request being served."""

    may_use_replica: bool
    wrote: bool = False
    replica_ready: bool | None = None  # checked on the first read that would go there


_current: ContextVar[_RequestState | None] = ContextVar("xiaoqu_replica_request", default=None)
_replica_down_until = 0.0


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def pin_seconds() -> int:
    return int(getattr(settings, "XIAOQU_REPLICA_PIN_SECONDS", 5))


def _in_transaction() -> bool:
    """Whether the primary's connection is inside a transaction of the code. The transaction
    a test case wraps each test in does not count (Django's ``durable`` check ignores it the
    same way), so that tests see the routing the site has."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        return False
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _replica_ready() -> bool:
    """Whether the replica answers: its kept connection passes the health check, or a new one
    opens. A failure makes this process read from the primary for ``RETRY_SECONDS``."""
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return False
    connection = connections[REPLICA]
    try:
        # The health check Django makes of a kept connection before a request's first query
        # (CONN_HEALTH_CHECKS), made here whatever the settings, so that a replica gone away
        # since the last request is noticed before a query is sent to it.
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        connection.ensure_connection()
        # Checked: Django need not check again before this request's first query.
        connection.health_check_done = True  # type: ignore[attr-defined]  # not in the stubs
    except Error:
        _replica_down_until = time.monotonic() + RETRY_SECONDS
        logger.warning(
            "the read replica cannot be reached; reading from the primary for %.0f s",
            RETRY_SECONDS,
            exc_info=True,
        )
        with contextlib.suppress(Error):
            connection.close()
        return False
    return True


def mark_replica_down(seconds: float = RETRY_SECONDS) -> None:
    """Read from the primary for ``seconds`` (0: try the replica again at once)."""
    global _replica_down_until
    _replica_down_until = time.monotonic() + seconds if seconds > 0 else 0.0


class PrimaryReplicaRouter:
    """Writes, and every read outside a safe request, to ``default``; the reads of a safe
    request to ``replica`` while it answers (see the module's docstring)."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        state = _current.get()
        if state is None or not state.may_use_replica or state.wrote or _in_transaction():
            return DEFAULT_DB_ALIAS
        if state.replica_ready is None:
            state.replica_ready = _replica_ready()
        return REPLICA if state.replica_ready else DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        state = _current.get()
        if state is not None and model._meta.label_lower not in UNPINNED_WRITES:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read from either may refer to one
        # read from the other.
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {DEFAULT_DB_ALIAS, REPLICA} else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica is read-only: it receives the primary's migrations by replication.
        return False if db == REPLICA else None


def _credential_key(request: HttpRequest) -> str | None:
    """The cache key pinning the client that sent this ``Authorization`` header, if any."""
    credential = request.META.get("HTTP_AUTHORIZATION", "")
    if not credential:
        return None
    return _PIN_CACHE_PREFIX + hashlib.sha256(credential.encode()).hexdigest()[:40]


def _pinned(request: HttpRequest) -> bool:
    """Whether the client wrote within the pin period (its signed cookie, or its credential's
    mark in the cache)."""
    seconds = pin_seconds()
    if seconds <= 0:
        return False
    if PIN_COOKIE in request.COOKIES:
        value = request.get_signed_cookie(PIN_COOKIE, default=None, salt=PIN_SALT, max_age=seconds)
        if value is not None:
            return True
    key = _credential_key(request)
    if key is None:
        return False
    try:
        return cache.get(key) is not None
    except Exception:
        # A cache that is away must not take the site with it: read from the primary.
        logger.warning("the cache cannot be read; reading from the primary", exc_info=True)
        return True


def _pin(request: HttpRequest, response: HttpResponseBase) -> None:
    seconds = pin_seconds()
    if seconds <= 0:
        return
    response.set_signed_cookie(
        PIN_COOKIE,
        "1",
        salt=PIN_SALT,
        max_age=seconds,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    key = _credential_key(request)
    if key is not None:
        try:
            cache.set(key, 1, seconds)
        except Exception:
            logger.warning("the cache cannot be written; the client is not pinned", exc_info=True)


class ReplicaMiddleware:
    """Tells the router what the request may read from, and pins a client that wrote.

    Placed before the session middleware, so that the session is read (and, after a login,
    written) under the request's routing, and after WhiteNoise, which answers static files
    without a database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        safe = request.method in SAFE_METHODS
        state = _RequestState(may_use_replica=safe and not _pinned(request))
        token = _current.set(state)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if state.wrote or not safe:
            _pin(request, response)
        return response
