"""TEMPORARY: the former permission policy, kept while the apps move to core.policy.requires.

Three layers:

* ``URL_POLICY`` declares, for every named URL of the project, what it needs:
  ``PUBLIC``, ``AUTHENTICATED``, ``API`` (token or session, checked by the API layer),
  ``ADMIN_SITE`` (Django admin's own staff check) or a named permission. The
  ``PolicyMiddleware`` enforces it on every request and refuses URLs that are not
  declared; a test fails if a URL pattern is missing here.
* Named permissions (``rules`` predicates) in each app's ``rules.py``.
* Scope: ``visible_estates`` / ``visible_regions`` and ``access_*`` helpers, which
  raise 404 for "missing" and "not yours" alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.http import Http404

if TYPE_CHECKING:
    from xiaoqu.registry.models import Building, Dwelling, Estate, Region

PUBLIC = "public"
AUTHENTICATED = "authenticated"
API = "api"
ADMIN_SITE = "admin_site"

# Roles that work on estates from the workbench (they see a scope of estates).
WORKBENCH_ROLES = frozenset(
    {
        "grid_worker",
        "party_member",
        "community_staff",
        "street_staff",
        "housing_bureau",
        "property_manager",
        "owners_committee",
        "contractor",
        "admin",
    }
)
# Roles whose duties need residents' full phone numbers (contacting them at home,
# sending notices, repairs). Everyone else sees 138****1234.
PHONE_ROLES = frozenset(
    {"grid_worker", "community_staff", "street_staff", "property_manager", "admin"}
)
# Roles that may see owners' names on the estate page (outside these, names are masked).
NAME_ROLES = PHONE_ROLES | {"party_member", "owners_committee", "housing_bureau"}

URL_POLICY: dict[str, str] = {
}
# Whole namespaces governed elsewhere: the admin site checks is_staff itself, the API
# checks token or session authentication and scopes every query.
NAMESPACE_POLICY: dict[str, str] = {"admin": ADMIN_SITE, "api-1.0.0": API}


def policy_for(view_name: str) -> str | None:
    if view_name in URL_POLICY:
        return URL_POLICY[view_name]
    namespace = view_name.split(":", 1)[0] if ":" in view_name else ""
    return NAMESPACE_POLICY.get(namespace)


def _assignments(user: Any) -> list[Any]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_xiaoqu_roles", None)
    if cached is None:
        cached = list(user.roles.select_related("region", "estate", "grid"))
        user._xiaoqu_roles = cached
    return cached


def user_roles(user: Any) -> set[str]:
    return {a.role for a in _assignments(user)}


def has_any_role(user: Any, roles: Iterable[str]) -> bool:
    wanted = set(roles)
    return any(a.role in wanted for a in _assignments(user))


def is_global_admin(user: Any) -> bool:
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    return any(a.role == "admin" and _is_unscoped(a) for a in _assignments(user))


def _is_unscoped(a: Any) -> bool:
    return a.region_id is None and a.estate_id is None and a.grid_id is None


def _grid_building_ids(grid_id: int) -> QuerySet[Any]:
    from xiaoqu.organization.models import GridBuilding

    return GridBuilding.objects.filter(grid_id=grid_id).values("building_id")


def _grid_estate_ids(grid_id: int) -> QuerySet[Any]:
    from xiaoqu.organization.models import GridBuilding

    return GridBuilding.objects.filter(grid_id=grid_id).values("building__estate_id")


def _scope_q(user: Any, roles: Iterable[str], region_field: str, estate_field: str) -> Q | None:
    """Q over estates for the given roles; None means everything.

    A grid scope counts every estate with at least one building in the grid.
    """
    wanted = set(roles)
    q = Q(pk__in=[])
    for a in _assignments(user):
        if a.role not in wanted:
            continue
        if _is_unscoped(a):
            return None
        if a.region_id is not None:
            q |= Q(**{f"{region_field}__startswith": a.region.path})
        elif a.estate_id is not None:
            q |= Q(**{estate_field: a.estate_id})
        else:
            q |= Q(**{f"{estate_field}__in": _grid_estate_ids(a.grid_id)})
    return q


def _unit_scope_q(user: Any, roles: Iterable[str], building_field: str) -> Q | None:
    """Q over buildings or dwellings (both carry ``estate``); None means everything.

    Region and estate scopes mean what they mean for estates; a grid scope narrows to the
    grid's own buildings.
    """
    wanted = set(roles)
    q = Q(pk__in=[])
    for a in _assignments(user):
        if a.role not in wanted:
            continue
        if _is_unscoped(a):
            return None
        if a.region_id is not None:
            q |= Q(estate__region_path__startswith=a.region.path)
        elif a.estate_id is not None:
            q |= Q(estate_id=a.estate_id)
        else:
            q |= Q(**{f"{building_field}__in": _grid_building_ids(a.grid_id)})
    return q


def visible_estates(user: Any, roles: Iterable[str] = WORKBENCH_ROLES) -> QuerySet[Estate]:
    """Estates the user works on through any of ``roles`` (empty for nobody)."""
    from xiaoqu.registry.models import Estate

    if is_global_admin(user):
        return Estate.objects.all()
    q = _scope_q(user, roles, "region_path", "pk")
    if q is None:
        return Estate.objects.all()
    return Estate.objects.filter(q)


def visible_regions(user: Any) -> QuerySet[Region]:
    """Regions inside the user's workbench scope, plus the community of each estate scope."""
    from xiaoqu.registry.models import Region

    if is_global_admin(user):
        return Region.objects.all()
    q = Q(pk__in=[])
    for a in _assignments(user):
        if a.role not in WORKBENCH_ROLES:
            continue
        if _is_unscoped(a):
            return Region.objects.all()
        if a.region_id is not None:
            q |= Q(path__startswith=a.region.path)
        elif a.estate_id is not None:
            q |= Q(pk=a.estate.community_id)
        else:
            q |= Q(pk=a.grid.community_id)
    return Region.objects.filter(q)


def visible_buildings(user: Any, roles: Iterable[str] = WORKBENCH_ROLES) -> QuerySet[Building]:
    """Buildings the user works on; a grid scope gives the grid's buildings only."""
    from xiaoqu.registry.models import Building

    if is_global_admin(user):
        return Building.objects.all()
    q = _unit_scope_q(user, roles, "pk")
    if q is None:
        return Building.objects.all()
    return Building.objects.filter(q)


def visible_dwellings(user: Any, roles: Iterable[str] = WORKBENCH_ROLES) -> QuerySet[Dwelling]:
    """Dwellings the user works on; a grid scope gives the dwellings of its buildings."""
    from xiaoqu.registry.models import Dwelling

    if is_global_admin(user):
        return Dwelling.objects.all()
    q = _unit_scope_q(user, roles, "building_id")
    if q is None:
        return Dwelling.objects.all()
    return Dwelling.objects.filter(q)


def home_estates(user: Any) -> QuerySet[Estate]:
    """Estates where the user's person owns or lives in a dwelling (resident view)."""
    from xiaoqu.registry.models import Estate

    person_id = getattr(user, "person_id", None)
    if not person_id:
        return Estate.objects.none()
    return Estate.objects.filter(
        Q(dwellings__ownerships__person_id=person_id)
        | Q(dwellings__residencies__person_id=person_id)
    ).distinct()


def grid_buildings_in(user: Any, estate: Estate) -> set[int] | None:
    """The buildings of ``estate`` a user reaches only through grid scopes, or None for all.

    None when any workbench scope of the user covers the whole estate (unscoped, its region,
    the estate itself); otherwise the ids of the estate's buildings in the user's grids, so a
    grid worker whose grid holds part of an estate sees that part only.
    """
    from xiaoqu.organization.models import GridBuilding

    if is_global_admin(user):
        return None
    grids = []
    for a in _assignments(user):
        if a.role not in WORKBENCH_ROLES:
            continue
        if (
            _is_unscoped(a)
            or a.estate_id == estate.pk
            or (a.region_id is not None and estate.region_path.startswith(a.region.path))
        ):
            return None
        if a.grid_id is not None:
            grids.append(a.grid_id)
    return set(
        GridBuilding.objects.filter(grid_id__in=grids, building__estate=estate).values_list(
            "building_id", flat=True
        )
    )


def require_estate(user: Any, estate: Estate, roles: Iterable[str]) -> None:
    """For services: the estate must be in the user's scope through one of ``roles``, else a
    DomainError (a user who is community staff in one estate and a grid worker in another may
    manage demands in the first only).
    """
    from django.utils.translation import gettext as _

    from xiaoqu.core.errors import DomainError

    if not visible_estates(user, roles).filter(pk=estate.pk).exists():
        raise DomainError(_("这个小区不在您的工作范围内。"), code="out_of_scope")


def home_dwellings(user: Any) -> QuerySet[Dwelling]:
    """Dwellings the user's person owns or lives in (a resident's own homes)."""
    from xiaoqu.registry.models import Dwelling

    person_id = getattr(user, "person_id", None)
    if not person_id:
        return Dwelling.objects.none()
    return Dwelling.objects.filter(
        Q(ownerships__person_id=person_id) | Q(residencies__person_id=person_id)
    ).distinct()


def access_estate(user: Any, estate_id: Any) -> Estate:
    """The estate if the user may work on it, else 404 (same for missing and out of scope)."""
    try:
        pk = int(estate_id)
    except (TypeError, ValueError):
        raise Http404 from None
    estate = visible_estates(user).filter(pk=pk).select_related("community").first()
    if estate is None:
        raise Http404
    return estate


def access_region(user: Any, region_id: Any) -> Region:
    try:
        pk = int(region_id)
    except (TypeError, ValueError):
        raise Http404 from None
    region = visible_regions(user).filter(pk=pk).first()
    if region is None:
        raise Http404
    return region


def _roles_for_estate(user: Any, estate: Estate) -> set[str]:
    if is_global_admin(user):
        return {"admin"}
    roles = set()
    for a in _assignments(user):
        in_grid = a.grid_id is not None and estate.pk in _grid_estates_cached(a)
        if (
            a.estate_id == estate.pk
            or (a.region_id is not None and estate.region_path.startswith(a.region.path))
            or in_grid
        ):
            roles.add(a.role)
    return roles


def _grid_estates_cached(a: Any) -> set[int]:
    cached = getattr(a, "_xiaoqu_grid_estates", None)
    if cached is None:
        cached = set(_grid_estate_ids(a.grid_id).values_list("building__estate_id", flat=True))
        a._xiaoqu_grid_estates = cached
    return cached


def can_see_phone(user: Any, estate: Estate) -> bool:
    return bool(_roles_for_estate(user, estate) & PHONE_ROLES)


def can_see_names(user: Any, estate: Estate) -> bool:
    return bool(_roles_for_estate(user, estate) & NAME_ROLES)
