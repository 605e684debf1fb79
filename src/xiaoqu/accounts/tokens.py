"""Writes for API tokens: issue and revoke, each with an audit row."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from xiaoqu.accounts.models import ApiToken, User
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError


def api_token_create(*, user: User, name: str, actor: Any = None) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; the raw value is returned once and never stored."""
    name = name.strip()
    if not name:
        raise DomainError("请为令牌填写名称", code="token_name_required")
    if len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
        raise DomainError("令牌名称过长", code="token_name_too_long")
    if not user.is_active:
        raise DomainError("该用户已停用", code="user_inactive")
    with transaction.atomic():
        token, raw = ApiToken.issue(user=user, name=name)
        audit_record(
            actor=actor,
            action="api_token_create",
            obj=token,
            after={"user": user.pk, "name": name, "prefix": token.prefix},
        )
    return token, raw


def api_token_revoke(*, token: ApiToken, actor: Any = None) -> ApiToken:
    """Revoke a token; revoking twice is harmless."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked=False).update(revoked=True)
        if updated:
            audit_record(
                actor=actor,
                action="api_token_revoke",
                obj=token,
                before={"revoked": False},
                after={"revoked": True},
            )
    token.refresh_from_db()
    return token


def api_token_find(*, key: str) -> ApiToken:
    """The live token a whole raw token or its printed prefix names; ambiguity is an error."""
    key = key.strip()
    if not key:
        raise DomainError("请给出令牌或其前缀", code="token_key_required")
    found = ApiToken.lookup(key)
    if found is not None:
        return found
    matches = list(ApiToken.objects.filter(prefix=key, revoked=False).select_related("user")[:2])
    if not matches:
        raise DomainError(f"没有前缀为 {key} 的有效令牌", code="token_not_found")
    if len(matches) > 1:
        raise DomainError(f"前缀 {key} 对应多个有效令牌，请给出完整令牌", code="token_ambiguous")
    return matches[0]
