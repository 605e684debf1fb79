"""The large-text preference (大字) a browser keeps in a cookie; see docs/development.md,
"Accessibility". A cookie rather than a stored setting: it holds before login, on shared
phones per browser, and is set by a plain form, with no JavaScript."""

from __future__ import annotations

from django.http import HttpRequest

COOKIE = "xiaoqu_text"
LARGE = "large"


def wants_large_text(request: HttpRequest | None) -> bool:
    return request is not None and request.COOKIES.get(COOKIE) == LARGE
