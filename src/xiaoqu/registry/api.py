"""Register endpoints: read-only, scoped, paginated.

Scope rules are described in ``api_selectors``; every object endpoint answers 404 for an
id that is missing or outside the caller's scope alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router

from xiaoqu.core.pii import mask_phone
from xiaoqu.core.policy import find_permitted
from xiaoqu.registry import api_selectors as sel
from xiaoqu.registry.models import Building, Dwelling, Entrance, Estate, Region
from xiaoqu.registry.rules import READ_REGISTER, VIEW_WORKBENCH
from xiaoqu.registry.schemas import (
    BuildingPageOut,
    DwellingOut,
    DwellingPageOut,
    EntrancePageOut,
    EstateDetailOut,
    EstateFilterIn,
    EstatePageOut,
    Id,
    MeOut,
    PageIn,
    RegionFilterIn,
    RegionOut,
    RegionPageOut,
)
from xiaoqu.registry.scope import home_estate_ids

router = Router(tags=["registry"])


def _page(
    qs: QuerySet[Any], page: PageIn, row: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    items: Iterable[Any] = qs[page.offset : page.offset + page.limit]
    return {
        "count": qs.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": [row(obj) for obj in items] if row else list(items),
    }


@router.get(
    "/me", response=MeOut, operation_id="me", url_name="me", summary="当前用户", tags=["accounts"]
)
def me(request: HttpRequest) -> dict[str, Any]:
    """Who the token or session belongs to, with the roles that decide their scope and the
    estates where they own or live in a dwelling."""
    user: Any = request.user
    return {
        "id": user.pk,
        "name": user.name,
        "phone": mask_phone(user.phone),
        "roles": list(user.roles.order_by("pk").values("role", "region_id", "estate_id")),
        "home_estate_ids": sorted(home_estate_ids(user)),
    }


def _estate(request: HttpRequest, estate_id: int) -> Estate:
    return find_permitted(
        request.user, READ_REGISTER, Estate.objects.select_related("community"), estate_id
    )


@router.get(
    "/regions",
    response=RegionPageOut,
    operation_id="region_list",
    url_name="region_list",
    summary="区划列表",
)
def region_list(
    request: HttpRequest, filters: Query[RegionFilterIn], page: Query[PageIn]
) -> dict[str, Any]:
    """Regions in the caller's scope, in tree order; ``parent`` lists one node's children."""
    qs = sel.api_regions(request.user)
    if filters.parent is not None:
        parent = find_permitted(request.user, VIEW_WORKBENCH, Region.objects.all(), filters.parent)
        qs = qs.filter(parent=parent)
    if filters.level:
        qs = qs.filter(level=filters.level)
    return _page(qs, page)


@router.get(
    "/regions/{region_id}",
    response=RegionOut,
    operation_id="region_detail",
    url_name="region_detail",
    summary="区划详情",
)
def region_detail(request: HttpRequest, region_id: Id) -> Any:
    return find_permitted(request.user, VIEW_WORKBENCH, Region.objects.all(), region_id)


@router.get(
    "/regions/{region_id}/children",
    response=RegionPageOut,
    operation_id="region_children",
    url_name="region_children",
    summary="下级区划",
)
def region_children(request: HttpRequest, region_id: Id, page: Query[PageIn]) -> dict[str, Any]:
    region = find_permitted(request.user, VIEW_WORKBENCH, Region.objects.all(), region_id)
    return _page(sel.api_regions(request.user).filter(parent=region), page)


@router.get(
    "/estates",
    response=EstatePageOut,
    operation_id="estate_list",
    url_name="estate_list",
    summary="小区列表",
)
def estate_list(
    request: HttpRequest, filters: Query[EstateFilterIn], page: Query[PageIn]
) -> dict[str, Any]:
    """Estates in the caller's scope (staff) or their home estates (residents), by code."""
    qs = sel.estate_list(
        user=request.user,
        region_id=filters.region,
        year_built_min=filters.year_built_min,
        year_built_max=filters.year_built_max,
        eligible=filters.eligible,
        stage=filters.stage,
        q=filters.q,
    )
    return _page(qs, page, sel.estate_row)


@router.get(
    "/estates/{estate_id}",
    response=EstateDetailOut,
    operation_id="estate_detail",
    url_name="estate_detail",
    summary="小区详情",
)
def estate_detail(request: HttpRequest, estate_id: Id) -> dict[str, Any]:
    estate = _estate(request, estate_id)
    return {**sel.estate_row(estate), **sel.estate_counts(estate)}


@router.get(
    "/estates/{estate_id}/buildings",
    response=BuildingPageOut,
    operation_id="estate_buildings",
    url_name="estate_buildings",
    summary="小区的楼栋",
)
def estate_buildings(request: HttpRequest, estate_id: Id, page: Query[PageIn]) -> dict[str, Any]:
    estate = _estate(request, estate_id)
    return _page(sel.estate_buildings(request.user, estate), page)


@router.get(
    "/estates/{estate_id}/dwellings",
    response=DwellingPageOut,
    operation_id="estate_dwellings",
    url_name="estate_dwellings",
    summary="小区的房屋与业主",
)
def estate_dwellings(request: HttpRequest, estate_id: Id, page: Query[PageIn]) -> dict[str, Any]:
    """All dwellings for staff; a resident's own dwellings only. Owners masked per role."""
    estate = _estate(request, estate_id)
    disclosure = sel.Disclosure.for_estate(request.user, estate.pk)
    qs = sel.dwellings_for(user=request.user, estate=estate)
    return _page(qs, page, lambda d: sel.dwelling_row(d, disclosure))


@router.get(
    "/buildings/{building_id}/entrances",
    response=EntrancePageOut,
    operation_id="building_entrances",
    url_name="building_entrances",
    summary="楼栋的单元",
)
def building_entrances(
    request: HttpRequest, building_id: Id, page: Query[PageIn]
) -> dict[str, Any]:
    building = find_permitted(request.user, READ_REGISTER, Building.objects.all(), building_id)
    return _page(sel.building_entrances(building), page)


@router.get(
    "/entrances/{entrance_id}/dwellings",
    response=DwellingPageOut,
    operation_id="entrance_dwellings",
    url_name="entrance_dwellings",
    summary="单元的房屋与业主",
)
def entrance_dwellings(
    request: HttpRequest, entrance_id: Id, page: Query[PageIn]
) -> dict[str, Any]:
    entrance = find_permitted(
        request.user, READ_REGISTER, Entrance.objects.select_related("building"), entrance_id
    )
    estate = Estate(pk=entrance.building.estate_id)
    disclosure = sel.Disclosure.for_estate(request.user, estate.pk)
    qs = sel.dwellings_for(user=request.user, estate=estate, entrance=entrance)
    return _page(qs, page, lambda d: sel.dwelling_row(d, disclosure))


@router.get(
    "/dwellings/{dwelling_id}",
    response=DwellingOut,
    operation_id="dwelling_detail",
    url_name="dwelling_detail",
    summary="房屋详情",
)
def dwelling_detail(request: HttpRequest, dwelling_id: Id) -> dict[str, Any]:
    dwelling = find_permitted(
        request.user,
        READ_REGISTER,
        sel.with_owners(Dwelling.objects.all()),
        dwelling_id,
    )
    return sel.dwelling_row(dwelling, sel.Disclosure.for_estate(request.user, dwelling.estate_id))
