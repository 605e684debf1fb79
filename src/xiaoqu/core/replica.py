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
  a login), and covers anonymous visitors too. A client that keeps no cookies is pinned in
  the cache instead (shared by every app server with ``XIAOQU_REDIS_URL``), under a digest of
  its credential — the ``Authorization`` header, the ``X-Api-Token`` header or an Open311
  ``api_key`` — or, with no session cookie and no credential, of its address
  (``core.client``); a cookieless client's write marks its address too, so that an Open311
  system reading back without its ``api_key`` is pinned.
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
from django.core.exceptions import BadRequest, MiddlewareNotUsed, SuspiciousOperation
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.http import HttpRequest, HttpResponseBase
from django.http.multipartparser import MultiPartParserError

from xiaoqu.core.client import client_address

logger = logging.getLogger(__name__)

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A replica found unreachable is not tried again, in this process, for this long.
RETRY_SECONDS = 10.0
# The cookie that pins a client to the primary, and the salt of its signature.
PIN_COOKIE = "xiaoqu_primary"
PIN_SALT = "xiaoqu.core.replica.pin"
_PIN_CACHE_PREFIX = "replica-pin:"
# The bodies a posted api_key is read from (Open311 posts a form).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
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


def _cache_key(kind: str, value: str) -> str:
    """A pin's key in the cache: a digest, never the credential or address itself."""
    return f"{_PIN_CACHE_PREFIX}{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def _credential(request: HttpRequest) -> str:
    """The credential an API client sends instead of cookies: the ``Authorization`` header,
    else the ``X-Api-Token`` header, else an Open311 ``api_key`` (in the query, or in a posted
    form). The body is read only for a form, and only as ``request.POST``, which the view has
    read already or would read the same way."""
    credential = request.META.get("HTTP_AUTHORIZATION") or request.META.get("HTTP_X_API_TOKEN")
    if credential:
        return str(credential)
    api_key = request.GET.get("api_key", "")
    if not api_key and request.method == "POST" and request.content_type in FORM_TYPES:
        try:
            api_key = request.POST.get("api_key", "")
        except (BadRequest, SuspiciousOperation, MultiPartParserError, OSError):
            return ""  # a body that cannot be read (the view answered it with an error)
    return api_key


def _address_key(request: HttpRequest) -> str | None:
    """The cache key pinning a client by its address, for one without a session cookie (a
    client that keeps cookies is pinned by its signed cookie), if it has an address."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    address = client_address(request)
    return _cache_key("address", address) if address else None


def _credential_key(request: HttpRequest) -> str | None:
    """The cache key pinning the client that sends this credential (``_credential``), or,
    sending none, the one pinning its address (``_address_key``)."""
    credential = _credential(request)
    if credential:
        return _cache_key("credential", credential)
    return _address_key(request)


def _pinned(request: HttpRequest) -> bool:
    """Whether the client wrote within the pin period (its signed cookie, or its credential's
    or its address's mark in the cache)."""
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
    # A cookieless client is pinned by its address as well as its credential: an Open311
    # system posts with its api_key and reads the request back without it (reads are public).
    keys = {key for key in (_credential_key(request), _address_key(request)) if key}
    if keys:
        try:
            cache.set_many(dict.fromkeys(keys, 1), seconds)
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
