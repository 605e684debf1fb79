"""API authentication: bearer tokens for machines, the session for pages."""

from __future__ import annotations

from django.utils import timezone
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from xiaoqu.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = ApiToken.lookup(token)
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        return found.user


class TokenHeaderAuth(APIKeyHeader):
    param_name = "X-Api-Token"

    def authenticate(self, request, key):
        return TokenAuth().authenticate(request, key) if key else None


auth_methods = [TokenAuth(), TokenHeaderAuth(), django_auth]
