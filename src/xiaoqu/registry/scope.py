"""Who reaches which part of the register, and the scoped permissions built on it.

See docs/permissions.md. A role assignment covers a region's subtree, one estate, or one grid
(网格: a set of buildings of a community). A :class:`ScopedPermission` names the roles that
carry a kind of work; it holds for an object when one of *those* roles covers the object's
place (models declare their place with ``core.policy.ScopePath``), so a user who is community
staff in one estate and grid worker in another manages demands in the first only. A
permission may also admit the object's residents: people who own or live in the object's
dwelling (for objects tied to a dwelling) or in its estate.

What an assignment covers, by the kind of object:

* region-wide assignment: everything in the subtree;
* estate assignment: everything of that estate; of regions, its community;
* grid assignment: the grid's buildings and what belongs to them; objects of a whole estate
  (a demand, a vote, a plan) when the grid holds at least one building of that estate, and
  objects that belong to a building only when it is one of the grid's; of regions, the
  grid's community;
* an administrator assigned without a scope, and a superuser: everything.

Grids belong to the organisation app, a later layer: a grid assignment's buildings are read
through ``Building.grids``, the relation that app declares, so this module imports nothing of
it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import rules
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import RoleAssignment
from xiaoqu.accounts.roles import assignments, holds_role, is_global_admin, is_unscoped
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import ScopePath, register_permission, scope_path_of
from xiaoqu.registry.models import Building, Dwelling, Estate, Ownership, Residency

M = TypeVar("M", bound=Model)

NOTHING = Q(pk__in=[])


# --- what one assignment covers -------------------------------------------------------------


def grid_building_ids(assignment: RoleAssignment) -> set[int]:
    cached: set[int] | None = getattr(assignment, "_xiaoqu_buildings", None)
    if cached is None:
        cached = set(Building.objects.filter(grids=assignment.grid_id).values_list("pk", flat=True))
        assignment._xiaoqu_buildings = cached  # type: ignore[attr-defined]
    return cached


def grid_estate_ids(assignment: RoleAssignment) -> set[int]:
    cached: set[int] | None = getattr(assignment, "_xiaoqu_estates", None)
    if cached is None:
        cached = set(
            Building.objects.filter(grids=assignment.grid_id)
            .values_list("estate_id", flat=True)
            .distinct()
        )
        assignment._xiaoqu_estates = cached  # type: ignore[attr-defined]
    return cached


def _region_placed_q(a: RoleAssignment, path: ScopePath) -> Q:
    region = path.region or ""
    if a.region is not None:
        return Q(**{path.join(region, "path__startswith"): a.region.path})
    if a.estate is not None:
        return Q(**{path.join(region, "pk"): a.estate.community_id})
    if a.grid is not None:
        return Q(**{path.join(region, "pk"): a.grid.community_id})
    return NOTHING


def _estate_placed_q(a: RoleAssignment, path: ScopePath) -> Q:
    estate = path.estate or ""
    if a.region is not None:
        return Q(**{path.join(estate, "region_path__startswith"): a.region.path})
    if a.estate_id is not None:
        return Q(**{path.join(estate, "pk"): a.estate_id})
    if path.building is not None:
        return Q(**{path.join(path.building, "pk__in"): grid_building_ids(a)})
    return Q(**{path.join(estate, "pk__in"): grid_estate_ids(a)})


def assignment_q(a: RoleAssignment, path: ScopePath) -> Q | None:
    """The objects (placed by ``path``) one assignment covers; None means everything."""
    if is_unscoped(a):
        return None
    if path.region is not None:
        return _region_placed_q(a, path)
    return _estate_placed_q(a, path)


def roles_q(user: Any, roles: Iterable[str], path: ScopePath) -> Q | None:
    """The objects the user reaches through any of ``roles``; None means everything."""
    if is_global_admin(user):
        return None
    wanted = set(roles)
    q = NOTHING
    for a in assignments(user):
        if a.role not in wanted:
            continue
        covered = assignment_q(a, path)
        if covered is None:
            return None
        q |= covered
    return q


# --- residents ------------------------------------------------------------------------------


def home_dwelling_ids(user: Any) -> set[int]:
    """Dwellings the user's person owns or lives in (cached on the user)."""
    cached: set[int] | None = getattr(user, "_xiaoqu_homes", None)
    if cached is None:
        person_id = getattr(user, "person_id", None)
        cached = set()
        if person_id:
            cached |= set(
                Ownership.objects.filter(person_id=person_id).values_list("dwelling_id", flat=True)
            )
            cached |= set(
                Residency.objects.filter(person_id=person_id).values_list("dwelling_id", flat=True)
            )
        user._xiaoqu_homes = cached
    return cached


def home_estate_ids(user: Any) -> set[int]:
    cached: set[int] | None = getattr(user, "_xiaoqu_home_estates", None)
    if cached is None:
        homes = home_dwelling_ids(user)
        cached = (
            set(Dwelling.objects.filter(pk__in=homes).values_list("estate_id", flat=True))
            if homes
            else set()
        )
        user._xiaoqu_home_estates = cached
    return cached


def home_q(user: Any, path: ScopePath) -> Q:
    """The objects the user reaches as a resident: of their own dwellings where the object
    belongs to a dwelling, else of the estates they own or live in."""
    if path.region is not None or not getattr(user, "is_authenticated", False):
        return NOTHING
    if path.dwelling is not None:
        ids = home_dwelling_ids(user)
        return Q(**{path.join(path.dwelling, "pk__in"): ids}) if ids else NOTHING
    ids = home_estate_ids(user)
    return Q(**{path.join(path.estate or "", "pk__in"): ids}) if ids else NOTHING


def home_estates(user: Any) -> QuerySet[Estate]:
    return Estate.objects.filter(pk__in=home_estate_ids(user))


def home_dwellings(user: Any) -> QuerySet[Dwelling]:
    return Dwelling.objects.filter(pk__in=home_dwelling_ids(user))


# --- scoped permissions ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScopedPermission:
    """A named permission held by ``roles`` in their scope, and by residents if ``residents``.

    ``has(user)`` (no object) answers whether the user holds it anywhere; ``has(user, obj)``
    whether for that object; ``scoped(user, queryset)`` narrows a queryset to the objects the
    user holds it for; ``require(user, obj)`` is the services' form, raising a DomainError.
    """

    name: str
    roles: frozenset[str]
    residents: bool = False
    description: str = ""

    def q(self, user: Any, path: ScopePath) -> Q | None:
        """The objects placed by ``path`` the user holds this permission for (None: all)."""
        staff = roles_q(user, self.roles, path)
        if staff is None:
            return None
        return staff | self.extra_q(user, path) if self.residents else staff

    def extra_q(self, user: Any, path: ScopePath) -> Q:
        """What residents reach (overridden by permissions with a wider resident scope)."""
        return home_q(user, path)

    def scoped(self, user: Any, queryset: QuerySet[M]) -> QuerySet[M]:
        path = scope_path_of(queryset.model)
        q = self.q(user, path)
        if q is None:
            return queryset
        if path.many:
            return queryset.filter(pk__in=queryset.model._default_manager.filter(q).values("pk"))
        return queryset.filter(q)

    def has(self, user: Any, obj: Any = None) -> bool:
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
            return False
        if obj is None:
            return (
                is_global_admin(user)
                or holds_role(user, self.roles)
                or (self.residents and bool(home_dwelling_ids(user)))
            )
        if is_global_admin(user):
            return True
        model = type(obj)
        return self.scoped(user, model._default_manager.filter(pk=obj.pk)).exists()

    def require(self, user: Any, obj: Any) -> None:
        if not self.has(user, obj):
            raise DomainError(_("这不在您的工作范围内。"), code="out_of_scope")

    def predicate(self, user: Any, obj: Any = None) -> bool:
        return self.has(user, obj)


def define(
    name: str,
    *,
    roles: Iterable[str],
    residents: bool = False,
    description: str = "",
    kind: type[ScopedPermission] = ScopedPermission,
) -> ScopedPermission:
    """A scoped permission, registered with the ``rules`` package (so ``user.has_perm`` and
    templates' ``perms`` know it) and with the policy listing (docs/permissions.md)."""
    permission = kind(
        name=name, roles=frozenset(roles), residents=residents, description=description
    )
    rules.add_perm(name, rules.predicate(permission.predicate, name=name))
    register_permission(permission)
    return permission
