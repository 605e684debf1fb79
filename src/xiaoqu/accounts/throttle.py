"""Login and SMS-code throttling, counted in Django's cache (docs/security.md).

Wrong passwords and SMS codes count per phone number and per client address within
``XIAOQU_LOGIN_WINDOW_SECONDS``. Past ``XIAOQU_LOGIN_MAX_FAILURES_PER_PHONE`` failures for a
number, or ``XIAOQU_LOGIN_MAX_FAILURES_PER_ADDRESS`` from an address, every login of that
number (from that address) is refused for ``XIAOQU_LOGIN_LOCKOUT_SECONDS``, the right password
included. A successful login clears its own number's count only, so an attacker who owns
one account cannot clear the count of the address they probe others from.

SMS codes are limited per number, per address and for the whole site per hour, the same
whether or not the number belongs to anyone.

The counts live in the cache: Redis when ``XIAOQU_REDIS_URL`` is set (shared by every app
server), the process's memory otherwise (each process counts alone).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from xiaoqu.core.client import client_address

PREFIX = "throttle"


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused and how many seconds until it may be tried again."""

    code: str
    retry_after: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


class LoginThrottled(PermissionDenied):
    """Raised by the authentication backends: this login may not be tried now."""


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"{PREFIX}:{kind}:{digest}"


def _count(key: str, window: int) -> int:
    """Add one to a counter that lives ``window`` seconds from its first count."""
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def _lock(key: str, seconds: int) -> None:
    cache.set(key, time.time() + seconds, seconds)


def _locked(key: str) -> int:
    until = cache.get(key)
    if until is None:
        return 0
    return max(1, int(until - time.time()))


# --- login ------------------------------------------------------------------------------------


def login_refusal(*, phone: str, address: str) -> Refusal | None:
    """A refusal if logins of ``phone`` (or from ``address``) are locked now, else None."""
    for kind, value in (("login-lock-phone", phone), ("login-lock-addr", address)):
        if value:
            wait = _locked(_key(kind, value))
            if wait:
                return Refusal("login_throttled", wait)
    return None


def login_check(request: HttpRequest | None, phone: str) -> None:
    """Raise ``LoginThrottled`` if this login may not be tried now (the backends call it)."""
    if login_refusal(phone=phone, address=client_address(request)):
        raise LoginThrottled


def login_failed(request: HttpRequest | None, phone: str) -> None:
    """Count a wrong password or code for ``phone`` and the request's address."""
    window = settings.XIAOQU_LOGIN_WINDOW_SECONDS
    lockout = settings.XIAOQU_LOGIN_LOCKOUT_SECONDS
    if phone:
        failures = _count(_key("login-fail-phone", phone), window)
        if failures >= settings.XIAOQU_LOGIN_MAX_FAILURES_PER_PHONE:
            _lock(_key("login-lock-phone", phone), lockout)
    address = client_address(request)
    if address:
        failures = _count(_key("login-fail-addr", address), window)
        if failures >= settings.XIAOQU_LOGIN_MAX_FAILURES_PER_ADDRESS:
            _lock(_key("login-lock-addr", address), lockout)


def login_succeeded(phone: str) -> None:
    """A right password or code: the number's own count starts again (not the address's)."""
    cache.delete(_key("login-fail-phone", phone))


# --- SMS codes --------------------------------------------------------------------------------

HOUR = 3600


def sms_refusal(*, phone: str, address: str) -> Refusal | None:
    """Count one SMS-code request; a refusal if the number, the address or the site is over
    its hourly limit (counted whether or not anything is sent, whoever the number belongs to)."""
    limits = [
        ("sms-phone", phone, settings.XIAOQU_SMS_MAX_PER_PHONE_HOUR),
        ("sms-addr", address, settings.XIAOQU_SMS_MAX_PER_ADDRESS_HOUR),
        ("sms-all", "all", settings.XIAOQU_SMS_MAX_PER_HOUR),
    ]
    for kind, value, limit in limits:
        if not value:
            continue
        key = _key(kind, value)
        stamp = _key(kind + "-start", value)
        cache.add(stamp, time.time(), HOUR)
        if _count(key, HOUR) > limit:
            started = cache.get(stamp) or time.time()
            return Refusal("sms_throttled", max(1, int(started + HOUR - time.time())))
    return None
