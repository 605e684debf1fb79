"""What the decisions pages share: ids from forms."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from xiaoqu.accounts.models import User
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Permission, find_permitted

M = TypeVar("M", bound=Model)


def permitted_or_error(
    user: User, permission: Permission, queryset: QuerySet[M], pk: Any, message: str
) -> M:
    """The object ``pk`` of ``queryset`` the user holds ``permission`` for, like
    ``find_permitted``; a missing or forbidden id (or no number at all) is bad input of a form
    and gets ``message`` — the same for both, so ids cannot be probed."""
    try:
        return find_permitted(user, permission, queryset, pk)
    except Http404:
        raise DomainError(message) from None
