"""Reads behind the register API, scoped by the register's permissions (``registry.rules``).

Who sees what through the API (``registry.read_register``):

* Staff (any workbench role) see every estate, building, entrance and dwelling of their
  scope (a grid narrows an estate to the grid's buildings), and the regions of their scope;
  owners' names and phones are shown or masked per ``registry.see_names`` and
  ``registry.see_phones``.
* Residents and owners see their home estates (where their person owns or lives in a
  dwelling) with their buildings and entrances, but only their own dwellings; they see no
  regions. Their own name and phone are shown to them, co-owners' are masked.
* A user who is both sees the union.

Missing and out-of-scope objects both raise ``Http404`` so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from xiaoqu.core.access_log import FIELD_ID_LAST4, FIELD_PHONE, access_note_current
from xiaoqu.core.models import AccessAction
from xiaoqu.core.pii import mask_name, mask_phone
from xiaoqu.registry.models import (
    Building,
    Dwelling,
    Entrance,
    Estate,
    Ownership,
    Region,
    RenovationStage,
)
from xiaoqu.registry.rules import READ_REGISTER, SEE_NAMES, SEE_PHONES, VIEW_WORKBENCH


def api_estates(user: Any) -> QuerySet[Estate]:
    """Estates the caller may read: workbench scope plus home estates."""
    return READ_REGISTER.scoped(user, Estate.objects.all())


def api_regions(user: Any) -> QuerySet[Region]:
    return VIEW_WORKBENCH.scoped(user, Region.objects.all()).order_by("path")


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


def estate_buildings(user: Any, estate: Estate) -> QuerySet[Building]:
    return READ_REGISTER.scoped(user, Building.objects.filter(estate=estate)).order_by(
        "number", "pk"
    )


def building_entrances(building: Building) -> QuerySet[Entrance]:
    return Entrance.objects.filter(building=building).order_by("number", "pk")


def dwellings_for(
    *, user: Any, estate: Estate, entrance: Entrance | None = None
) -> QuerySet[Dwelling]:
    """Dwellings of an estate (or one entrance of it) the caller may read, owners prefetched."""
    qs = Dwelling.objects.filter(estate=estate)
    if entrance is not None:
        qs = qs.filter(entrance=entrance)
    return with_owners(READ_REGISTER.scoped(user, qs)).order_by(
        "building_id", "entrance_id", "floor", "number", "pk"
    )


def with_owners(qs: QuerySet[Dwelling]) -> QuerySet[Dwelling]:
    return qs.select_related("building", "entrance").prefetch_related(
        Prefetch("ownerships", queryset=Ownership.objects.select_related("person").order_by("pk"))
    )


@dataclass(frozen=True)
class Disclosure:
    """What the caller may see of the people in one estate."""

    names: bool
    phones: bool
    person_id: int | None

    @classmethod
    def for_estate(cls, user: Any, estate_id: int) -> Disclosure:
        estate = Estate(pk=estate_id)
        return cls(
            names=SEE_NAMES.has(user, estate),
            phones=SEE_PHONES.has(user, estate),
            person_id=getattr(user, "person_id", None),
        )


def owner_rows(dwelling: Dwelling, disclosure: Disclosure) -> list[dict[str, Any]]:
    rows = []
    for ownership in dwelling.ownerships.all():
        person = ownership.person
        me = disclosure.person_id is not None and person.pk == disclosure.person_id
        if not me:
            # The API shows every owner's ID tail, and full phones to the phone roles.
            if person.id_last4:
                access_note_current(
                    action=AccessAction.REVEAL, field=FIELD_ID_LAST4, subjects=[person.pk]
                )
            if disclosure.phones and person.phone:
                access_note_current(
                    action=AccessAction.REVEAL, field=FIELD_PHONE, subjects=[person.pk]
                )
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
