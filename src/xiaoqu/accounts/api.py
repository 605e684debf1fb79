"""API authentication (bearer tokens for machines, the session for pages) and ``/me``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from xiaoqu.accounts.models import ApiToken
from xiaoqu.core.pii import mask_phone
from xiaoqu.core.policy import home_estates

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


class RoleOut(Schema):
    role: str
    region_id: int | None
    estate_id: int | None


class MeOut(Schema):
    id: int
    name: str
    phone: str
    roles: list[RoleOut]
    home_estate_ids: list[int]


router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, operation_id="me", url_name="me", summary="当前用户")
def me(request: HttpRequest) -> dict[str, Any]:
    """Who the token or session belongs to, with the roles that decide their scope."""
    user: Any = request.user
    return {
        "id": user.pk,
        "name": user.name,
        "phone": mask_phone(user.phone),
        "roles": list(user.roles.order_by("pk").values("role", "region_id", "estate_id")),
        "home_estate_ids": sorted(home_estates(user).values_list("pk", flat=True)),
    }
