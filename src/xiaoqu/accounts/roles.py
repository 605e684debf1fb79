"""The roles a user holds and where (see docs/permissions.md).

A user's role assignments are read once per request and kept on the user object; every
permission check of the request reuses them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xiaoqu.accounts.models import Role, RoleAssignment

# Roles that work on estates from the workbench (they see a scope of estates).
WORKBENCH_ROLES: frozenset[Role] = frozenset(
    {
        Role.GRID_WORKER,
        Role.PARTY_MEMBER,
        Role.COMMUNITY_STAFF,
        Role.STREET_STAFF,
        Role.HOUSING_BUREAU,
        Role.PROPERTY_MANAGER,
        Role.OWNERS_COMMITTEE,
        Role.CONTRACTOR,
        Role.SUPERVISOR,
        Role.ADMIN,
    }
)


def assignments(user: Any) -> list[RoleAssignment]:
    """The user's role assignments with their scopes (cached on the user for the request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_xiaoqu_roles", None)
    if cached is None:
        cached = list(user.roles.select_related("region", "estate", "grid"))
        user._xiaoqu_roles = cached
    return cached


def is_unscoped(assignment: RoleAssignment) -> bool:
    return (
        assignment.region_id is None and assignment.estate_id is None and assignment.grid_id is None
    )


def is_global_admin(user: Any) -> bool:
    """A superuser, or an administrator assigned without a scope: sees everything."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    return any(a.role == Role.ADMIN and is_unscoped(a) for a in assignments(user))


def holds_role(user: Any, roles: Iterable[str]) -> bool:
    """Whether the user holds any of ``roles`` anywhere."""
    wanted = set(roles)
    return any(a.role in wanted for a in assignments(user))


def is_staff_member(user: Any) -> bool:
    """Whether the user works from the workbench (any workbench role, or a global admin)."""
    return is_global_admin(user) or holds_role(user, WORKBENCH_ROLES)
