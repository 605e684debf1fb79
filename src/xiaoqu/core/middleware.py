"""Enforces URL_POLICY on every request: undeclared URLs are refused."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404

from xiaoqu.core.policy import ADMIN_SITE, API, AUTHENTICATED, PUBLIC, policy_for


class PolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None:
            return None
        if settings.STATIC_URL and request.path.startswith(settings.STATIC_URL):
            return None
        rule = policy_for(match.view_name)
        if rule is None:
            raise ImproperlyConfigured(f"URL {match.view_name!r} is not declared in URL_POLICY")
        if rule in (PUBLIC, API, ADMIN_SITE):
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if rule == AUTHENTICATED:
            return None
        if not request.user.has_perm(rule):
            raise Http404
        return None
