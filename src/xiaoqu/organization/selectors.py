"""Reads for the organisation app: coverage figures computed in the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from xiaoqu.accounts.models import User
from xiaoqu.organization.models import (
    Grid,
    GridBuilding,
    GridWorkerAssignment,
    IronTriangle,
    LiaisonHousehold,
    MemberMark,
    PartyMember,
    PartyMemberMark,
    ResponsibilityZone,
    Team,
)
from xiaoqu.registry.models import Dwelling, Estate, Region


def _complete_q() -> Q:
    """Grids whose iron triangle has a group leader, a current worker and a liaison member."""
    worker = GridWorkerAssignment.objects.filter(grid=OuterRef("pk"), ended_on__isnull=True)
    triangle = IronTriangle.objects.filter(
        grid=OuterRef("pk"),
        group_leader__isnull=False,
        liaison_members__isnull=False,
    )
    return Q(Exists(worker)) & Q(Exists(triangle))


def grids_with_completeness(grids: QuerySet[Grid]) -> QuerySet[Grid]:
    """``grids`` annotated with ``is_complete`` (bool), one query."""
    return grids.annotate(is_complete=_complete_q())


def grids_in(*, region: Region | None = None, estate: Estate | None = None) -> QuerySet[Grid]:
    """Grids of a region's communities, or grids covering at least one building of an estate."""
    if estate is not None:
        return Grid.objects.filter(
            pk__in=GridBuilding.objects.filter(building__estate=estate).values("grid_id")
        )
    if region is not None:
        return Grid.objects.filter(community__path__startswith=region.path)
    return Grid.objects.all()


def _dwellings_in(*, region: Region | None, estate: Estate | None) -> QuerySet[Dwelling]:
    if estate is not None:
        return Dwelling.objects.filter(estate=estate)
    if region is not None:
        return Dwelling.objects.filter(estate__region_path__startswith=region.path)
    return Dwelling.objects.all()


def _members_in(*, region: Region | None, estate: Estate | None) -> QuerySet[PartyMember]:
    """Members of organisations attached to the estate, or inside the region's subtree."""
    if estate is not None:
        return PartyMember.objects.filter(organization__estate=estate)
    if region is not None:
        return PartyMember.objects.filter(organization__region__path__startswith=region.path)
    return PartyMember.objects.all()


def members_by_mark(
    *, region: Region | None = None, estate: Estate | None = None
) -> dict[str, int]:
    """Number of members holding each mark (every mark listed, zero included)."""
    members = _members_in(region=region, estate=estate)
    counts = dict(
        PartyMemberMark.objects.filter(member__in=members.values("pk"))
        .values_list("mark")
        .annotate(n=Count("pk"))
        .values_list("mark", "n")
    )
    return {mark: counts.get(mark, 0) for mark in MemberMark.values}


def zones_in(
    *, region: Region | None = None, estate: Estate | None = None
) -> QuerySet[ResponsibilityZone]:
    if estate is not None:
        return ResponsibilityZone.objects.filter(
            Q(estates=estate) | Q(buildings__estate=estate)
        ).distinct()
    qs = ResponsibilityZone.objects.all()
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    return qs.select_related("region", "leader__person")


def teams_in(*, region: Region | None = None, estate: Estate | None = None) -> QuerySet[Team]:
    """Teams of the region's subtree, or of the estate's community and the regions above it."""
    if estate is not None:
        ancestors = [int(p) for p in estate.region_path.strip("/").split("/") if p]
        qs = Team.objects.filter(region_id__in=ancestors)
    elif region is not None:
        qs = Team.objects.filter(region__path__startswith=region.path)
    else:
        qs = Team.objects.all()
    return qs.select_related("region", "leader__person").annotate(member_count=Count("members"))


def coverage(*, region: Region | None = None, estate: Estate | None = None) -> dict[str, Any]:
    """Coverage figures for a region or an estate, all computed as aggregates.

    ``liaison_share`` is dwellings with a liaison member / dwellings; ``triangle_share``
    is grids with a complete iron triangle / grids. Shares are None when the base is 0.
    """
    dwellings = _dwellings_in(region=region, estate=estate)
    if estate is not None:
        linked_qs = LiaisonHousehold.objects.filter(dwelling__estate=estate)
    elif region is not None:
        linked_qs = LiaisonHousehold.objects.filter(
            dwelling__estate__region_path__startswith=region.path
        )
    else:
        linked_qs = LiaisonHousehold.objects.all()
    total = dwellings.count()
    linked = linked_qs.count()
    grid_figures = grids_with_completeness(grids_in(region=region, estate=estate)).aggregate(
        total=Count("pk"), complete=Count("pk", filter=Q(is_complete=True))
    )
    return {
        "dwellings": total,
        "dwellings_with_liaison": linked,
        "liaison_share": (linked / total) if total else None,
        "grids": grid_figures["total"],
        "grids_complete": grid_figures["complete"],
        "triangle_share": (
            grid_figures["complete"] / grid_figures["total"] if grid_figures["total"] else None
        ),
        "members": _members_in(region=region, estate=estate).count(),
        "members_by_mark": members_by_mark(region=region, estate=estate),
        "zones": zones_in(region=region, estate=estate).count(),
        "teams": teams_in(region=region, estate=estate).count(),
    }


# --- who looks after a dwelling ----------------------------------------------------------------

LIAISON = "liaison"
GRID_WORKER = "grid_worker"


@dataclass(frozen=True)
class Carer:
    """A login of someone who looks after a dwelling: its liaison member (联户) or the current
    worker of its building's grid."""

    user_id: int
    kind: str  # LIAISON or GRID_WORKER


def dwelling_carers(*, dwellings: QuerySet[Dwelling]) -> dict[int, list[Carer]]:
    """The logins that look after each of ``dwellings``, nearest first: the liaison member who
    keeps in touch with the household, then the grid worker of its building.

    A person reaches a login through the user's ``person`` link; a grid worker's assignment
    may also name its login directly. Active logins only. Four queries, whatever the number
    of dwellings.
    """
    liaison = list(
        LiaisonHousehold.objects.filter(dwelling__in=dwellings.values("pk")).values_list(
            "dwelling_id", "member__person_id"
        )
    )
    building_of = dict(dwellings.values_list("pk", "building_id"))
    by_building: dict[int, list[tuple[int, int | None]]] = {}
    for building_id, person_id, user_id in (
        GridWorkerAssignment.objects.filter(
            ended_on__isnull=True, grid__grid_buildings__building__in=set(building_of.values())
        )
        .order_by("pk")
        .values_list("grid__grid_buildings__building_id", "person_id", "user_id")
    ):
        by_building.setdefault(building_id, []).append((person_id, user_id))
    workers = [
        (dwelling_id, person_id, user_id)
        for dwelling_id, building_id in building_of.items()
        for person_id, user_id in by_building.get(building_id, [])
    ]
    person_ids = {p for _d, p in liaison} | {p for _d, p, _u in workers}
    named_users = {u for _d, _p, u in workers if u}
    by_person: dict[int, list[int]] = {}
    active: set[int] = set()
    for pk, person_id in User.objects.filter(
        Q(person_id__in=person_ids) | Q(pk__in=named_users), is_active=True
    ).values_list("pk", "person_id"):
        active.add(pk)
        if person_id:
            by_person.setdefault(person_id, []).append(pk)
    carers: dict[int, list[Carer]] = {}

    def add(dwelling_id: int, user_id: int, kind: str) -> None:
        found = carers.setdefault(dwelling_id, [])
        if user_id in active and all(c.user_id != user_id for c in found):
            found.append(Carer(user_id, kind))

    for dwelling_id, member_person in liaison:
        for pk in sorted(by_person.get(member_person, [])):
            add(dwelling_id, pk, LIAISON)
    for dwelling_id, worker_person, named in workers:
        logins = [named] if named is not None else sorted(by_person.get(worker_person, []))
        for pk in logins:
            add(dwelling_id, pk, GRID_WORKER)
    return carers
