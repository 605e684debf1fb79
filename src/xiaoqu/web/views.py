from django.shortcuts import redirect
from django.templatetags.static import static

from xiaoqu.core.policy import WORKBENCH_ROLES, has_any_role, is_global_admin


def home(request):
    """Staff land on the workbench, residents on their own home page."""
    user = request.user
    if is_global_admin(user) or has_any_role(user, WORKBENCH_ROLES):
        return redirect("registry:workbench")
    return redirect("registry:resident_home")


def favicon(request):
    """Browsers (and the admin pages) ask for /favicon.ico; ours is an SVG in static files."""
    return redirect(static("web/favicon.svg"), permanent=True)
