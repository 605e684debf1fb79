"""Reads behind the register API, scoped with the helpers of ``core.policy``.

Who sees what through the API:

* Staff (any role in ``WORKBENCH_ROLES``) see ``visible_estates`` and ``visible_regions``:
  every estate, building, entrance and dwelling of their scope, with owners' names and
  phones shown or masked per ``can_see_names`` / ``can_see_phone``.
* Residents and owners see their home estates (``home_estates``: where their person owns or
  lives in a dwelling) with their buildings and entrances, but only their own dwellings;
  they see no regions. Their own name and phone are shown to them, co-owners' are masked.
* A user who is both sees the union: full access to the estates of their workbench scope,
  the resident view of their other home estates.

Missing and out-of-scope objects both raise ``Http404`` so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from xiaoqu.core.pii import mask_name, mask_phone
from xiaoqu.core.policy import (
    access_estate,
    can_see_names,
    can_see_phone,
    grid_buildings_in,
    home_estates,
    is_global_admin,
    visible_estates,
    visible_regions,
)
from xiaoqu.registry.models import (
    Building,
    Dwelling,
    Entrance,
    Estate,
    Ownership,
    Region,
    RenovationStage,
)


@dataclass(frozen=True)
class EstateAccess:
    """An estate the caller may read, and how: ``full`` for staff scope, else own dwellings.

    ``buildings`` narrows a staff scope reached only through grids to the grid's buildings
    (None: the whole estate).
    """

    estate: Estate
    full: bool
    buildings: frozenset[int] | None = None


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def api_estates(user: Any) -> QuerySet[Estate]:
    """Estates the caller may read: workbench scope plus home estates."""
    if is_global_admin(user):
        return Estate.objects.all()
    work = visible_estates(user).values("pk")
    home = home_estates(user).values("pk")
    return Estate.objects.filter(Q(pk__in=work) | Q(pk__in=home))


def api_access_estate(user: Any, estate_id: Any) -> EstateAccess:
    """The estate with the caller's kind of access, or 404 (missing and out of scope alike)."""
    try:
        work = access_estate(user, estate_id)
    except Http404:
        pass
    else:
        only = grid_buildings_in(user, work)
        return EstateAccess(work, full=True, buildings=None if only is None else frozenset(only))
    estate = home_estates(user).filter(pk=_pk(estate_id)).select_related("community").first()
    if estate is None:
        raise Http404
    return EstateAccess(estate, full=False)


def api_regions(user: Any) -> QuerySet[Region]:
    return visible_regions(user).order_by("path")


def estate_list(
    *,
    user: Any,
    region_id: int | None = None,
    year_built_min: int | None = None,
    year_built_max: int | None = None,
    eligible: bool | None = None,
    stage: RenovationStage | str | None = None,
    q: str | None = None,
) -> QuerySet[Estate]:
    qs = api_estates(user).select_related("community").order_by("code")
    if region_id is not None:
        # An unknown region and one outside the scope give the same empty list.
        path = Region.objects.filter(pk=region_id).values_list("path", flat=True).first()
        qs = qs.filter(region_path__startswith=path) if path else qs.none()
    if year_built_min is not None:
        qs = qs.filter(year_built__gte=year_built_min)
    if year_built_max is not None:
        qs = qs.filter(year_built__lte=year_built_max)
    if eligible is True:
        qs = qs.eligible()  # type: ignore[attr-defined]
    elif eligible is False:
        qs = qs.ineligible()  # type: ignore[attr-defined]
    if stage:
        qs = qs.filter(stage=stage)
    if q:
        q = q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(address__icontains=q))
    return qs


def estate_counts(estate: Estate) -> dict[str, int]:
    return Estate.objects.filter(pk=estate.pk).aggregate(
        buildings=Count("buildings", distinct=True), dwellings=Count("dwellings", distinct=True)
    )


def estate_buildings(access: EstateAccess) -> QuerySet[Building]:
    qs = Building.objects.filter(estate=access.estate)
    if access.buildings is not None:
        qs = qs.filter(pk__in=access.buildings)
    return qs.order_by("number", "pk")


def _check_building(access: EstateAccess, building_id: int) -> None:
    if access.buildings is not None and building_id not in access.buildings:
        raise Http404


def api_access_building(user: Any, building_id: Any) -> tuple[Building, EstateAccess]:
    building = Building.objects.filter(pk=_pk(building_id)).first()
    if building is None:
        raise Http404
    access = api_access_estate(user, building.estate_id)
    _check_building(access, building.pk)
    return building, access


def api_access_entrance(user: Any, entrance_id: Any) -> tuple[Entrance, EstateAccess]:
    entrance = (
        Entrance.objects.filter(pk=_pk(entrance_id))
        .select_related("building")
        .only("pk", "number", "building_id", "building__estate_id")
        .first()
    )
    if entrance is None:
        raise Http404
    access = api_access_estate(user, entrance.building.estate_id)
    _check_building(access, entrance.building_id)
    return entrance, access


def building_entrances(building: Building) -> QuerySet[Entrance]:
    return Entrance.objects.filter(building=building).order_by("number", "pk")


def _own_dwellings_q(user: Any) -> Q:
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return Q(pk__in=[])
    return Q(ownerships__person_id=person_id) | Q(residencies__person_id=person_id)


def dwellings_for(
    *, user: Any, access: EstateAccess, entrance: Entrance | None = None
) -> QuerySet[Dwelling]:
    """Dwellings of an estate (or one entrance of it), with owners prefetched."""
    qs = Dwelling.objects.filter(estate=access.estate)
    if entrance is not None:
        qs = qs.filter(entrance=entrance)
    if not access.full:
        qs = qs.filter(pk__in=Dwelling.objects.filter(_own_dwellings_q(user)).values("pk"))
    elif access.buildings is not None:
        qs = qs.filter(building_id__in=access.buildings)
    return (
        qs.select_related("building", "entrance")
        .prefetch_related(
            Prefetch(
                "ownerships",
                queryset=Ownership.objects.select_related("person").order_by("pk"),
            )
        )
        .order_by("building_id", "entrance_id", "floor", "number", "pk")
    )


def api_access_dwelling(user: Any, dwelling_id: Any) -> tuple[Dwelling, EstateAccess]:
    dwelling = Dwelling.objects.filter(pk=_pk(dwelling_id)).only("pk", "estate_id").first()
    if dwelling is None:
        raise Http404
    access = api_access_estate(user, dwelling.estate_id)
    found = dwellings_for(user=user, access=access).filter(pk=dwelling.pk).first()
    if found is None:
        raise Http404
    return found, access


@dataclass(frozen=True)
class Disclosure:
    """What the caller may see of the people in one estate."""

    names: bool
    phones: bool
    person_id: int | None

    @classmethod
    def for_estate(cls, user: Any, access: EstateAccess) -> Disclosure:
        full = access.full
        return cls(
            names=full and can_see_names(user, access.estate),
            phones=full and can_see_phone(user, access.estate),
            person_id=getattr(user, "person_id", None),
        )


def owner_rows(dwelling: Dwelling, disclosure: Disclosure) -> list[dict[str, Any]]:
    rows = []
    for ownership in dwelling.ownerships.all():
        person = ownership.person
        me = disclosure.person_id is not None and person.pk == disclosure.person_id
        rows.append(
            {
                "name": person.name if (me or disclosure.names) else mask_name(person.name),
                "phone": person.phone if (me or disclosure.phones) else mask_phone(person.phone),
                "id_number": person.id_masked,
                "share": ownership.share,
                "is_me": me,
            }
        )
    return rows


def dwelling_row(dwelling: Dwelling, disclosure: Disclosure) -> dict[str, Any]:
    return {
        "id": dwelling.pk,
        "estate_id": dwelling.estate_id,
        "building_id": dwelling.building_id,
        "entrance_id": dwelling.entrance_id,
        "label": dwelling.label,
        "number": dwelling.number,
        "floor": dwelling.floor,
        "area": dwelling.area,
        "use": dwelling.use,
        "status": dwelling.status,
        "owners": owner_rows(dwelling, disclosure),
    }


def estate_row(estate: Estate) -> dict[str, Any]:
    return {
        "id": estate.pk,
        "code": estate.code,
        "name": estate.name,
        "address": estate.address,
        "community_id": estate.community_id,
        "community_name": estate.community.name,
        "year_built": estate.year_built,
        "eligible": estate.is_eligible,
        "latitude": estate.latitude,
        "longitude": estate.longitude,
        "land_area": estate.land_area,
        "households": estate.households,
        "management_mode": estate.management_mode,
        "stage": estate.stage,
    }
