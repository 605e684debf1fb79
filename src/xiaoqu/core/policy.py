"""The one permission policy used by every page and endpoint.

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
    from xiaoqu.registry.models import Estate, Region

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
    "accounts:login": PUBLIC,
    "accounts:sms_code": PUBLIC,
    "accounts:logout": AUTHENTICATED,
    "web:home": AUTHENTICATED,
    "web:set_language": PUBLIC,
    "web:favicon": PUBLIC,
    "registry:workbench": "registry.view_workbench",
    "registry:region_tree": "registry.view_workbench",
    "registry:estate_list": "registry.view_workbench",
    "registry:estate_detail": "registry.view_workbench",
    "registry:resident_home": AUTHENTICATED,
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
        cached = list(user.roles.select_related("region", "estate"))
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
    return any(
        a.role == "admin" and a.region_id is None and a.estate_id is None
        for a in _assignments(user)
    )


def _scope_q(user: Any, roles: Iterable[str], region_field: str, estate_field: str) -> Q | None:
    """Q over estates for the given roles; None means everything."""
    wanted = set(roles)
    q = Q(pk__in=[])
    for a in _assignments(user):
        if a.role not in wanted:
            continue
        if a.region_id is None and a.estate_id is None:
            return None
        if a.region_id is not None:
            q |= Q(**{f"{region_field}__startswith": a.region.path})
        else:
            q |= Q(**{estate_field: a.estate_id})
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
        if a.region_id is None and a.estate_id is None:
            return Region.objects.all()
        if a.region_id is not None:
            q |= Q(path__startswith=a.region.path)
        else:
            q |= Q(pk=a.estate.community_id)
    return Region.objects.filter(q)


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
        if a.estate_id == estate.pk or (
            a.region_id is not None and estate.region_path.startswith(a.region.path)
        ):
            roles.add(a.role)
    return roles


def can_see_phone(user: Any, estate: Estate) -> bool:
    return bool(_roles_for_estate(user, estate) & PHONE_ROLES)


def can_see_names(user: Any, estate: Estate) -> bool:
    return bool(_roles_for_estate(user, estate) & NAME_ROLES)
