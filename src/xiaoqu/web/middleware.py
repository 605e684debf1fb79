"""The friendly "page not found" also with ``XIAOQU_DEBUG`` on (docs/configuration.md).

With DEBUG off Django answers a 404 with ``404.html`` (web/templates). With DEBUG on, which
is how the demo runs, it shows its technical page instead: the URL patterns and the settings'
names, a puzzle for the residents and staff trying the demo. This middleware gives browsers
the friendly page in debug mode too; requests that do not ask for HTML (the API, scripts,
``Accept: application/json``) keep Django's answer, and a server error keeps the traceback.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.defaults import page_not_found

# Machine interfaces answer 404 in their own format (docs/api.md, docs/stewardship.md).
MACHINE_PREFIXES = ("/api/", "/open311/")


def wants_page(request: HttpRequest) -> bool:
    """A browser asking for a page: HTML accepted, not a machine interface, not htmx."""
    if request.path.startswith(MACHINE_PREFIXES) or request.headers.get("HX-Request"):
        return False
    return "text/html" in request.headers.get("Accept", "")


class FriendlyNotFoundMiddleware:
    """In debug mode, answer a browser's 404 with ``404.html`` instead of the technical page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No view matched the URL: Django made its technical page before any view ran.
        if (
            settings.DEBUG
            and response.status_code == 404
            and request.resolver_match is None
            and wants_page(request)
        ):
            return page_not_found(request, Http404())
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A view raised Http404 (missing, or out of the reader's scope: the same answer)."""
        if settings.DEBUG and isinstance(exception, Http404) and wants_page(request):
            return page_not_found(request, exception)
        return None
