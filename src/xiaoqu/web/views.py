from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.i18n import set_language as django_set_language

from xiaoqu.accounts.roles import is_staff_member
from xiaoqu.core.policy import AUTHENTICATED, PUBLIC, requires


@requires(AUTHENTICATED)
def home(request):
    """Staff land on the workbench, residents on their own home page."""
    if is_staff_member(request.user):
        return redirect("registry:workbench")
    return redirect("registry:resident_home")


# Django's own view: choosing the language needs no login.
set_language = requires(PUBLIC)(django_set_language)


@requires(PUBLIC)
def favicon(request):
    """Browsers (and the admin pages) ask for /favicon.ico; ours is an SVG in static files."""
    return redirect(static("web/favicon.svg"), permanent=True)
