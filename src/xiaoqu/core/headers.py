"""The Content-Security-Policy every page is sent with (docs/security.md).

Django 5.2 has no Content-Security-Policy of its own; this small middleware adds one header
built from the settings. Scripts come only from this site's static files (no inline script,
no ``eval``), nothing may frame the site, forms post only to it. Inline *styles* are allowed:
the templates carry ``style`` attributes and small ``<style>`` blocks, htmx adds its indicator
style, and Leaflet and ECharts position their elements through style attributes; a style
cannot run script, so this keeps the policy's protection against injected script whole.

A response that sets its own policy keeps it (uploaded files are served with a sandboxing
one, ``core.uploads.stored_file_response``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CSP_HEADER = "Content-Security-Policy"
CSP_REPORT_ONLY_HEADER = "Content-Security-Policy-Report-Only"


def tile_origins(template: str, subdomains: str) -> list[str]:
    """The origins a base-map tile URL template reaches (``{s}`` expanded), if any."""
    if not template or template.startswith("/"):
        return []
    parts = urlsplit(template)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return []
    hosts = (
        [parts.netloc.replace("{s}", s) for s in subdomains or "abc"]
        if "{s}" in parts.netloc
        else [parts.netloc]
    )
    return [f"{parts.scheme}://{host}" for host in dict.fromkeys(hosts)]


def content_security_policy() -> str:
    """The policy of every page, from the settings (the map tiles' origins are allowed)."""
    return _policy(settings.XIAOQU_MAP_TILES, settings.XIAOQU_MAP_TILES_SUBDOMAINS)


@functools.cache
def _policy(tiles: str, subdomains: str) -> str:
    """The policy for one tile setting, built once rather than on every response."""
    images = ["'self'", "data:", "blob:"]
    images += tile_origins(tiles, subdomains)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class ContentSecurityPolicyMiddleware:
    """Add the policy (``XIAOQU_CSP``: ``on``, ``report`` for report-only, ``off``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        mode = settings.XIAOQU_CSP
        if mode == "off" or CSP_HEADER in response or CSP_REPORT_ONLY_HEADER in response:
            return response
        header = CSP_REPORT_ONLY_HEADER if mode == "report" else CSP_HEADER
        response[header] = content_security_policy()
        return response
