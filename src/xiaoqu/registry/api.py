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

from xiaoqu.core.policy import access_region
from xiaoqu.registry import api_selectors as sel
from xiaoqu.registry.schemas import (
    BuildingPageOut,
    DwellingOut,
    DwellingPageOut,
    EntrancePageOut,
    EstateDetailOut,
    EstateFilterIn,
    EstatePageOut,
    PageIn,
    RegionFilterIn,
    RegionOut,
    RegionPageOut,
)

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
        parent = access_region(request.user, filters.parent)
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
def region_detail(request: HttpRequest, region_id: int) -> Any:
    return access_region(request.user, region_id)


@router.get(
    "/regions/{region_id}/children",
    response=RegionPageOut,
    operation_id="region_children",
    url_name="region_children",
    summary="下级区划",
)
def region_children(request: HttpRequest, region_id: int, page: Query[PageIn]) -> dict[str, Any]:
    region = access_region(request.user, region_id)
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
def estate_detail(request: HttpRequest, estate_id: int) -> dict[str, Any]:
    access = sel.api_access_estate(request.user, estate_id)
    return {**sel.estate_row(access.estate), **sel.estate_counts(access.estate)}


@router.get(
    "/estates/{estate_id}/buildings",
    response=BuildingPageOut,
    operation_id="estate_buildings",
    url_name="estate_buildings",
    summary="小区的楼栋",
)
def estate_buildings(request: HttpRequest, estate_id: int, page: Query[PageIn]) -> dict[str, Any]:
    access = sel.api_access_estate(request.user, estate_id)
    return _page(sel.estate_buildings(access), page)


@router.get(
    "/estates/{estate_id}/dwellings",
    response=DwellingPageOut,
    operation_id="estate_dwellings",
    url_name="estate_dwellings",
    summary="小区的房屋与业主",
)
def estate_dwellings(request: HttpRequest, estate_id: int, page: Query[PageIn]) -> dict[str, Any]:
    """All dwellings for staff; a resident's own dwellings only. Owners masked per role."""
    access = sel.api_access_estate(request.user, estate_id)
    disclosure = sel.Disclosure.for_estate(request.user, access)
    qs = sel.dwellings_for(user=request.user, access=access)
    return _page(qs, page, lambda d: sel.dwelling_row(d, disclosure))


@router.get(
    "/buildings/{building_id}/entrances",
    response=EntrancePageOut,
    operation_id="building_entrances",
    url_name="building_entrances",
    summary="楼栋的单元",
)
def building_entrances(
    request: HttpRequest, building_id: int, page: Query[PageIn]
) -> dict[str, Any]:
    building, _access = sel.api_access_building(request.user, building_id)
    return _page(sel.building_entrances(building), page)


@router.get(
    "/entrances/{entrance_id}/dwellings",
    response=DwellingPageOut,
    operation_id="entrance_dwellings",
    url_name="entrance_dwellings",
    summary="单元的房屋与业主",
)
def entrance_dwellings(
    request: HttpRequest, entrance_id: int, page: Query[PageIn]
) -> dict[str, Any]:
    entrance, access = sel.api_access_entrance(request.user, entrance_id)
    disclosure = sel.Disclosure.for_estate(request.user, access)
    qs = sel.dwellings_for(user=request.user, access=access, entrance=entrance)
    return _page(qs, page, lambda d: sel.dwelling_row(d, disclosure))


@router.get(
    "/dwellings/{dwelling_id}",
    response=DwellingOut,
    operation_id="dwelling_detail",
    url_name="dwelling_detail",
    summary="房屋详情",
)
def dwelling_detail(request: HttpRequest, dwelling_id: int) -> dict[str, Any]:
    dwelling, access = sel.api_access_dwelling(request.user, dwelling_id)
    return sel.dwelling_row(dwelling, sel.Disclosure.for_estate(request.user, access))
