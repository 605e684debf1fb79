"""How many submissions of one person a time window admits (residents' opinions, comments).

A rate is written ``COUNT/WINDOW``: ``10/h`` is ten an hour, ``30/15m`` thirty in a quarter of
an hour, ``100/d`` a hundred a day (units ``s``, ``m``, ``h``, ``d``); an empty value or ``off``
sets no limit. The settings that hold rates are listed in docs/configuration.md.

The count is of the rows the person has written within the window, read from the database:
it holds across app servers and restarts with no cache to share, and costs one indexed count
per submission. Two submissions sent at the very same moment may both pass at the edge of the
limit; the limit is against floods, not an exact quota.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.translation import ngettext

from xiaoqu.core.errors import DomainError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", re.IGNORECASE)

# The settings holding rates, with their defaults (checked when the project starts).
RATE_SETTINGS = {"XIAOQU_OPINION_RATE": "10/h", "XIAOQU_PLAN_COMMENT_RATE": "20/h"}


@dataclass(frozen=True)
class Rate:
    count: int
    window: dt.timedelta

    def window_text(self) -> str:
        """The window in words: 1 小时, 15 分钟, 1 天."""
        seconds = int(self.window.total_seconds())
        for size, one in ((86400, "d"), (3600, "h"), (60, "m")):
            if seconds % size == 0:
                return _duration(seconds // size, one)
        return _duration(seconds, "s")


def _duration(n: int, unit: str) -> str:
    if unit == "d":
        return ngettext("%(n)d 天", "%(n)d 天", n) % {"n": n}
    if unit == "h":
        return ngettext("%(n)d 小时", "%(n)d 小时", n) % {"n": n}
    if unit == "m":
        return ngettext("%(n)d 分钟", "%(n)d 分钟", n) % {"n": n}
    return ngettext("%(n)d 秒", "%(n)d 秒", n) % {"n": n}


def parse_rate(value: str) -> Rate | None:
    """``"10/h"`` → ten per hour; ``""`` or ``"off"`` → None (no limit)."""
    text = (value or "").strip()
    if not text or text.lower() == "off":
        return None
    found = _RATE.fullmatch(text)
    if found is None:
        raise ValueError(f"not a rate (COUNT/WINDOW such as 10/h): {value!r}")
    count, size, unit = int(found.group(1)), int(found.group(2) or 1), found.group(3).lower()
    if count < 1 or size < 1:
        raise ValueError(f"a rate needs a count and a window of at least 1: {value!r}")
    return Rate(count, dt.timedelta(seconds=size * _UNITS[unit]))


def rate_setting(name: str) -> Rate | None:
    """The rate a setting holds (its default when it is not set)."""
    value = getattr(settings, name, RATE_SETTINGS.get(name, ""))
    try:
        return parse_rate(str(value))
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}") from None


class RateLimited(DomainError):
    """Too many submissions within the window; pages answer 429 with the message."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def wait_needed(
    rate: Rate | None, recent: QuerySet[Any], time_field: str, now: dt.datetime
) -> dt.timedelta | None:
    """How long the person must wait before one more submission fits ``rate``, given
    ``recent``, their submissions (with their times in ``time_field``); None when it fits."""
    if rate is None:
        return None
    since = now - rate.window
    times = list(
        recent.filter(**{f"{time_field}__gt": since})
        .order_by(f"-{time_field}")
        .values_list(time_field, flat=True)[: rate.count]
    )
    if len(times) < rate.count:
        return None
    # The oldest of the last ``count`` leaves the window first.
    return max(times[-1] + rate.window - now, dt.timedelta(seconds=1))


def wait_text(wait: dt.timedelta) -> str:
    """A wait in words, rounded up to whole minutes (a minute at least)."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    if minutes >= 120:
        return _duration(math.ceil(minutes / 60), "h")
    return _duration(minutes, "m")


@register()
def check_rate_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    """A rate setting that cannot be read stops the project at start, not a resident's post."""
    errors = []
    for name in RATE_SETTINGS:
        try:
            rate_setting(name)
        except ImproperlyConfigured as error:
            errors.append(Error(str(error), id="xiaoqu.rates.E001"))
    return errors
