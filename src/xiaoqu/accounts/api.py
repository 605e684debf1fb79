"""API authentication: bearer tokens for machines, the session for pages."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from xiaoqu.accounts.models import ApiToken

# Recording every use would turn each read into a write; a minute's precision is enough
# to tell a live token from a forgotten one.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer xq_…``: a live token of an active user."""

    def authenticate(self, request, token):
        found = ApiToken.lookup(token)
        if found is None:
            return None
        now = timezone.now()
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION),
            pk=found.pk,
        ).update(last_used_at=now)
        request.user = found.user
        return found.user


class TokenHeaderAuth(APIKeyHeader):
    """``X-Api-Token: xq_…`` for clients that cannot set an Authorization header."""

    param_name = "X-Api-Token"

    def authenticate(self, request, key):
        return TokenAuth().authenticate(request, key) if key else None


auth_methods = [TokenAuth(), TokenHeaderAuth(), django_auth]
