"""Grids (网格) over a community's buildings, their workers and their iron triangles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor, Role, RoleAssignment, User
from xiaoqu.accounts.services import role_assign
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.organization.models import (
    TRIANGLE_KINDS,
    Grid,
    GridBuilding,
    GridWorkerAssignment,
    IronTriangle,
    PartyMember,
)
from xiaoqu.organization.rules import MANAGE_GRIDS
from xiaoqu.organization.services.checks import (
    building_label,
    buildings_with_estates,
    check_member_in_community,
)
from xiaoqu.registry.models import Building, Person, Region, RegionLevel

# --- Grids -----------------------------------------------------------------------------


def _check_grid_buildings(
    *, community: Region, buildings: list[Building], grid: Grid | None
) -> None:
    outside = [b for b in buildings if b.estate.community_id != community.pk]
    if outside:
        raise DomainError(
            _("楼栋不在本网格所属社区：%(list)s")
            % {"list": "、".join(building_label(b) for b in outside[:5])},
            code="grid_building_outside",
        )
    taken = GridBuilding.objects.filter(building__in=buildings).select_related(
        "grid", "building__estate"
    )
    if grid is not None:
        taken = taken.exclude(grid=grid)
    clashes = list(taken[:5])
    if clashes:
        raise DomainError(
            _("楼栋已属于其他网格：%(list)s")
            % {
                "list": "、".join(
                    f"{building_label(gb.building)}（{gb.grid.name}）" for gb in clashes
                )
            },
            code="grid_building_taken",
        )


def _set_grid_buildings(grid: Grid, buildings: list[Building]) -> None:
    wanted = {b.pk for b in buildings}
    grid.grid_buildings.exclude(building_id__in=wanted).delete()
    have = set(grid.grid_buildings.values_list("building_id", flat=True))
    try:
        with transaction.atomic():
            GridBuilding.objects.bulk_create(
                [GridBuilding(grid=grid, building_id=pk) for pk in sorted(wanted - have)]
            )
    except IntegrityError:
        # Another request took one of these buildings after the check above.
        raise DomainError(_("楼栋已属于其他网格"), code="grid_building_taken") from None


def grid_create(
    *,
    code: str,
    name: str,
    community: Region,
    buildings: Iterable[Building] = (),
    actor: Actor,
) -> Grid:
    """A grid of a community of the actor's scope over buildings of that community, each
    building in one grid at most; the grid starts with an empty iron triangle."""
    MANAGE_GRIDS.require(actor, community)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise DomainError(_("请填写网格编号和名称"), code="grid_fields_required")
    if community.level != RegionLevel.COMMUNITY:
        raise DomainError(_("网格须属于一个社区"), code="grid_not_community")
    if Grid.objects.filter(code=code).exists():
        raise DomainError(_("网格编号%(code)s已被使用") % {"code": code}, code="grid_code_taken")
    building_list = buildings_with_estates(buildings)
    _check_grid_buildings(community=community, buildings=building_list, grid=None)
    with transaction.atomic():
        grid = Grid.objects.create(code=code, name=name, community=community)
        _set_grid_buildings(grid, building_list)
        IronTriangle.objects.create(grid=grid)
        audit_record(
            actor=actor,
            action="grid.create",
            obj=grid,
            after={"code": code, "name": name, "buildings": sorted(b.pk for b in building_list)},
        )
    return grid


def grid_update(
    *,
    grid: Grid,
    name: str | None = None,
    buildings: Iterable[Building] | None = None,
    actor: Actor,
) -> Grid:
    """Rename a grid of the actor's scope or replace its buildings."""
    MANAGE_GRIDS.require(actor, grid)
    before = {
        "name": grid.name,
        "buildings": sorted(grid.grid_buildings.values_list("building_id", flat=True)),
    }
    with transaction.atomic():
        if name is not None:
            if not name.strip():
                raise DomainError(_("请填写网格编号和名称"), code="grid_fields_required")
            grid.name = name.strip()
            grid.save()
        if buildings is not None:
            building_list = buildings_with_estates(buildings)
            _check_grid_buildings(community=grid.community, buildings=building_list, grid=grid)
            _set_grid_buildings(grid, building_list)
        audit_record(
            actor=actor,
            action="grid.update",
            obj=grid,
            before=before,
            after={
                "name": grid.name,
                "buildings": sorted(grid.grid_buildings.values_list("building_id", flat=True)),
            },
        )
    return grid


def grid_worker_assign(
    *,
    grid: Grid,
    person: Person,
    user: User | None = None,
    started_on: dt.date | None = None,
    actor: Actor,
) -> GridWorkerAssignment:
    """Make ``person`` the grid's current worker, ending the previous assignment.

    With a login ``user``, the grid-scoped grid-worker role moves to that user as well, so
    only those who manage the grid may give it.
    """
    MANAGE_GRIDS.require(actor, grid)
    started_on = started_on or dt.date.today()
    if user is not None and user.person_id not in (None, person.pk):
        raise DomainError(_("登录账号与网格员不是同一人"), code="grid_worker_user_mismatch")
    with transaction.atomic():
        Grid.objects.select_for_update().filter(pk=grid.pk).first()
        current = _end_current_worker(grid, on=started_on)
        assignment = GridWorkerAssignment.objects.create(
            grid=grid, person=person, user=user, started_on=started_on
        )
        if user is not None:
            role_assign(user=user, role=Role.GRID_WORKER, grid=grid, actor=actor)
        audit_record(
            actor=actor,
            action="grid.worker_assign",
            obj=assignment,
            before={"person": current.person_id if current else None},
            after={
                "grid": grid.pk,
                "person": person.pk,
                "user": getattr(user, "pk", None),
                "started_on": started_on.isoformat(),
            },
        )
    return assignment


def _end_current_worker(grid: Grid, *, on: dt.date) -> GridWorkerAssignment | None:
    """End the grid's current assignment ``on`` the new worker's first day and take the
    grid-worker role from its login; the ended assignment, or None if there was none."""
    current = grid.worker_assignments.filter(ended_on__isnull=True).first()
    if current is None:
        return None
    if current.started_on > on:
        raise DomainError(_("上岗日期早于现任网格员的上岗日期"), code="grid_worker_date")
    current.ended_on = on
    current.save(update_fields=["ended_on", "updated_at"])
    if current.user_id is not None:
        RoleAssignment.objects.filter(
            user_id=current.user_id, role=Role.GRID_WORKER, grid=grid
        ).delete()
    return current


# --- Iron triangles --------------------------------------------------------------------


def iron_triangle_set(
    *,
    grid: Grid,
    group_leader: PartyMember | None,
    liaison_members: Iterable[PartyMember],
    actor: Actor,
) -> IronTriangle:
    """Set a grid's Party group leader and liaison members (the worker is the grid's own)."""
    MANAGE_GRIDS.require(actor, grid)
    liaisons = list(
        PartyMember.objects.filter(pk__in=[m.pk for m in liaison_members]).select_related(
            "person", "organization__region"
        )
    )
    if group_leader is not None:
        if group_leader.organization.kind not in TRIANGLE_KINDS:
            raise DomainError(
                _("铁三角的党小组（党支部）负责人须是党小组或党支部的党员"),
                code="triangle_leader_kind",
            )
        check_member_in_community(group_leader, grid.community)
    for member in liaisons:
        check_member_in_community(member, grid.community)
    with transaction.atomic():
        triangle, _created = IronTriangle.objects.select_for_update().get_or_create(grid=grid)
        before = {
            "group_leader": triangle.group_leader_id,
            "liaison_members": sorted(triangle.liaison_members.values_list("pk", flat=True)),
        }
        triangle.group_leader = group_leader
        triangle.save()
        triangle.liaison_members.set(liaisons)
        audit_record(
            actor=actor,
            action="triangle.set",
            obj=triangle,
            before=before,
            after={
                "group_leader": getattr(group_leader, "pk", None),
                "liaison_members": sorted(m.pk for m in liaisons),
            },
        )
    return triangle
