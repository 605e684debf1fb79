"""Named permissions of personal-information protection (see docs/permissions.md).

* ``privacy.resolve_corrections``: residents' correction requests of the estates in scope, for
  the community's and the street's staff and administrators.
* ``privacy.read_access_log``: the personal-information access log, for administrators
  without a scope only: the log spans every estate and holds no place to scope it by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import is_global_admin
from xiaoqu.core.policy import M
from xiaoqu.registry.scope import ScopedPermission, define


@dataclass(frozen=True)
class GlobalAdminPermission(ScopedPermission):
    """Held only by an administrator without a scope (or a superuser)."""

    def has(self, user: Any, obj: Any = None) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and is_global_admin(user)

    def scoped(self, user: Any, queryset: QuerySet[M]) -> QuerySet[M]:
        return queryset if self.has(user) else queryset.none()


RESOLVE_CORRECTIONS = define(
    "privacy.resolve_corrections",
    roles={Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN},
    description="residents' requests to correct their records, in scope",
)
READ_ACCESS_LOG = define(
    "privacy.read_access_log",
    roles={Role.ADMIN},
    description="the personal-information access log (administrators without a scope)",
    kind=GlobalAdminPermission,
)
