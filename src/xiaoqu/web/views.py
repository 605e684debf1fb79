from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from xiaoqu.accounts.roles import is_staff_member
from xiaoqu.core.policy import AUTHENTICATED, PUBLIC, requires
from xiaoqu.web import text_size


@requires(AUTHENTICATED)
def home(request):
    """Staff land on their to-do workbench, residents on their own home page."""
    if is_staff_member(request.user):
        return redirect("daily:todo")
    return redirect("daily:feed")


# Django's own view: choosing the language needs no login.
set_language = requires(PUBLIC)(django_set_language)


def _back(request: HttpRequest) -> str:
    """Where to return after a preference changes: the page that asked, on this site only."""
    for candidate in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return "/"


@require_POST
@requires(PUBLIC)
def set_text_size(request: HttpRequest) -> HttpResponse:
    """Switch between standard and large text (大字) for this browser, then go back."""
    response = redirect(_back(request))
    if request.POST.get("size") == text_size.LARGE:
        response.set_cookie(
            text_size.COOKIE,
            text_size.LARGE,
            max_age=365 * 24 * 3600,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(text_size.COOKIE, samesite="Lax")
    return response


@requires(PUBLIC)
def favicon(request):
    """Browsers (and the admin pages) ask for /favicon.ico; ours is an SVG in static files."""
    return redirect(static("web/favicon.svg"), permanent=True)
