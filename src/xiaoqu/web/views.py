import sys

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.defaults import server_error as django_server_error
from django.views.i18n import set_language as django_set_language

from xiaoqu.accounts.roles import is_staff_member
from xiaoqu.core.errors import database_unavailable, storage_full
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
    # Not ``redirect()``: it reads a bare word such as "0" as a URL name to reverse.
    response = HttpResponseRedirect(_back(request))
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


# --- server errors ---------------------------------------------------------------------------

# How long a client should wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 15


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's ``handler500``. While the database is unreachable: 503 with a page (or, for
    the machine interfaces, an error in their own shape) that says so and when to try again.
    When the disk for uploads is full: 507, saying that nothing was saved (the change's
    transaction was undone and ``core.storage`` kept no part of the file). Any other failure:
    the plain ``500.html``. None of these pages touches the database. Persistent connections
    are checked before reuse (``CONN_HEALTH_CHECKS``), so the site recovers by itself once the
    database is back (docs/operations.md, "Faults")."""
    exc = sys.exc_info()[1]
    if database_unavailable(exc):
        status, code = 503, "database_unavailable"
        message = _(
            "数据库暂时连接不上，可能正在重启或维护。请稍等片刻再试，您刚才的操作没有保存。"
        )
    elif storage_full(exc):
        status, code = 507, "storage_full"
        message = _(
            "服务器存储空间已满，文件和您刚才提交的内容都没有保存。请告诉系统管理员，稍后再试。"
        )
    else:
        return django_server_error(request)
    response: HttpResponse
    if request.path.startswith("/open311/"):
        response = JsonResponse(
            [{"code": status, "description": message}], safe=False, status=status
        )
    elif request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "code": code}, status=status)
    else:
        body = loader.get_template("503.html").render(
            {"message": message, "database": status == 503}
        )
        response = HttpResponse(body, status=status)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
