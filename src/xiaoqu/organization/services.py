"""Writes for the organisation app; each validates, writes in one transaction, audits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Role, RoleAssignment
from xiaoqu.accounts.services import role_assign
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.organization.models import (
    TRIANGLE_KINDS,
    Grid,
    GridBuilding,
    GridWorkerAssignment,
    IronTriangle,
    LiaisonHousehold,
    MemberMark,
    PartyMember,
    PartyMemberMark,
    PartyOrganization,
    PartyOrgKind,
    ResponsibilityZone,
    Team,
)
from xiaoqu.registry.models import Building, Dwelling, Estate, Person, Region, RegionLevel

KIND_RANK = {kind.value: i for i, kind in enumerate(PartyOrgKind)}

LIAISON_SOFT_LIMIT_DEFAULT = 15
LIAISON_HARD_LIMIT_DEFAULT = 30


def liaison_limits() -> tuple[int, int]:
    """(soft, hard) number of dwellings per liaison member; settings may override."""
    soft = int(getattr(settings, "XIAOQU_LIAISON_SOFT_LIMIT", LIAISON_SOFT_LIMIT_DEFAULT))
    hard = int(getattr(settings, "XIAOQU_LIAISON_HARD_LIMIT", LIAISON_HARD_LIMIT_DEFAULT))
    return soft, hard


def _in_region(region: Region, path: str) -> bool:
    return path.startswith(region.path)


def _member_region(member: PartyMember) -> Region:
    return member.organization.region


# --- Party organisations ---------------------------------------------------------------


def _check_organization(
    *, kind: str, region: Region, estate: Estate | None, parent: PartyOrganization | None
) -> None:
    if kind not in KIND_RANK:
        raise DomainError(_("未知的党组织类型"), code="org_kind_unknown")
    if estate is not None and not _in_region(region, estate.region_path):
        raise DomainError(_("小区不在该党组织所在区划内"), code="org_estate_outside_region")
    if parent is not None:
        if KIND_RANK[kind] <= KIND_RANK[parent.kind]:
            raise DomainError(
                _("%(child)s不能设在%(parent)s之下")
                % {"child": PartyOrgKind(kind).label, "parent": parent.get_kind_display()},
                code="org_kind_order",
            )
        if not _in_region(parent.region, region.path):
            raise DomainError(_("党组织所在区划须在上级党组织的区划内"), code="org_region_outside")


def _org_snapshot(org: PartyOrganization) -> dict[str, Any]:
    return {
        "kind": org.kind,
        "name": org.name,
        "parent": org.parent_id,
        "region": org.region_id,
        "estate": org.estate_id,
    }


def party_organization_create(
    *,
    kind: str,
    name: str,
    region: Region,
    estate: Estate | None = None,
    parent: PartyOrganization | None = None,
    actor: Any,
) -> PartyOrganization:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写党组织名称"), code="org_name_required")
    _check_organization(kind=kind, region=region, estate=estate, parent=parent)
    if PartyOrganization.objects.filter(parent=parent, name=name).exists():
        raise DomainError(_("同一上级下已有同名党组织"), code="org_name_taken")
    with transaction.atomic():
        org = PartyOrganization.objects.create(
            kind=kind, name=name, region=region, estate=estate, parent=parent
        )
        audit_record(actor=actor, action="organization.create", obj=org, after=_org_snapshot(org))
    return org


def party_organization_update(
    *,
    organization: PartyOrganization,
    name: str | None = None,
    region: Region | None = None,
    estate: Estate | None = None,
    parent: PartyOrganization | None = None,
    actor: Any,
) -> PartyOrganization:
    before = _org_snapshot(organization)
    new_name = (name if name is not None else organization.name).strip()
    if not new_name:
        raise DomainError(_("请填写党组织名称"), code="org_name_required")
    new_region = region or organization.region
    new_parent = parent if parent is not None else organization.parent
    new_estate = estate if estate is not None else organization.estate
    if new_parent is not None and new_parent.path.startswith(organization.path):
        raise DomainError(_("不能把党组织移到其下级党组织之下"), code="org_cycle")
    _check_organization(
        kind=organization.kind, region=new_region, estate=new_estate, parent=new_parent
    )
    with transaction.atomic():
        organization.name = new_name
        organization.region = new_region
        organization.estate = new_estate
        organization.parent = new_parent
        try:
            with transaction.atomic():
                organization.save()
        except IntegrityError:
            raise DomainError(_("同一上级下已有同名党组织"), code="org_name_taken") from None
        audit_record(
            actor=actor,
            action="organization.update",
            obj=organization,
            before=before,
            after=_org_snapshot(organization),
        )
    return organization


# --- Party members ---------------------------------------------------------------------


def _check_marks(marks: Iterable[str]) -> list[str]:
    marks = list(dict.fromkeys(marks))
    unknown = [m for m in marks if m not in MemberMark.values]
    if unknown:
        raise DomainError(
            _("未知的党员标识：%(marks)s") % {"marks": "、".join(unknown)},
            code="member_mark_unknown",
        )
    return marks


def _member_snapshot(member: PartyMember) -> dict[str, Any]:
    return {
        "person": member.person_id,
        "organization": member.organization_id,
        "joined_on": member.joined_on.isoformat() if member.joined_on else None,
        "marks": sorted(member.marks.values_list("mark", flat=True)),
    }


def party_member_create(
    *,
    person: Person,
    organization: PartyOrganization,
    joined_on: dt.date | None = None,
    marks: Iterable[str] = (),
    actor: Any,
) -> PartyMember:
    mark_list = _check_marks(marks)
    if PartyMember.objects.filter(person=person).exists():
        raise DomainError(_("%(name)s已登记为党员") % {"name": person.name}, code="member_exists")
    with transaction.atomic():
        member = PartyMember.objects.create(
            person=person, organization=organization, joined_on=joined_on
        )
        PartyMemberMark.objects.bulk_create(
            [PartyMemberMark(member=member, mark=m) for m in mark_list]
        )
        audit_record(
            actor=actor, action="party_member.create", obj=member, after=_member_snapshot(member)
        )
    return member


def party_member_update(
    *,
    member: PartyMember,
    organization: PartyOrganization | None = None,
    joined_on: dt.date | None = None,
    marks: Iterable[str] | None = None,
    actor: Any,
) -> PartyMember:
    """Change a member's organisation, joining date or marks (``marks`` replaces the set)."""
    mark_list = _check_marks(marks) if marks is not None else None
    with transaction.atomic():
        before = _member_snapshot(member)
        if organization is not None:
            member.organization = organization
        if joined_on is not None:
            member.joined_on = joined_on
        member.save()
        if mark_list is not None:
            member.marks.exclude(mark__in=mark_list).delete()
            have = set(member.marks.values_list("mark", flat=True))
            PartyMemberMark.objects.bulk_create(
                [PartyMemberMark(member=member, mark=m) for m in mark_list if m not in have]
            )
        audit_record(
            actor=actor,
            action="party_member.update",
            obj=member,
            before=before,
            after=_member_snapshot(member),
        )
    return member


# --- Grids -----------------------------------------------------------------------------


def _building_label(building: Building) -> str:
    return f"{building.estate.name}{building.number}栋"


def _check_grid_buildings(
    *, community: Region, buildings: list[Building], grid: Grid | None
) -> None:
    outside = [b for b in buildings if b.estate.community_id != community.pk]
    if outside:
        raise DomainError(
            _("楼栋不在本网格所属社区：%(list)s")
            % {"list": "、".join(_building_label(b) for b in outside[:5])},
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
                    f"{_building_label(gb.building)}（{gb.grid.name}）" for gb in clashes
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


def _buildings(buildings: Iterable[Building]) -> list[Building]:
    ids = [b.pk for b in buildings]
    return list(Building.objects.filter(pk__in=ids).select_related("estate"))


def grid_create(
    *,
    code: str,
    name: str,
    community: Region,
    buildings: Iterable[Building] = (),
    actor: Any,
) -> Grid:
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise DomainError(_("请填写网格编号和名称"), code="grid_fields_required")
    if community.level != RegionLevel.COMMUNITY:
        raise DomainError(_("网格须属于一个社区"), code="grid_not_community")
    if Grid.objects.filter(code=code).exists():
        raise DomainError(_("网格编号%(code)s已被使用") % {"code": code}, code="grid_code_taken")
    building_list = _buildings(buildings)
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
    actor: Any,
) -> Grid:
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
            building_list = _buildings(buildings)
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
    user: Any = None,
    started_on: dt.date | None = None,
    actor: Any,
) -> GridWorkerAssignment:
    """Make ``person`` the grid's current worker, ending the previous assignment.

    With a login ``user``, the grid-scoped grid-worker role moves to that user as well.
    """
    started_on = started_on or dt.date.today()
    if user is not None and user.person_id not in (None, person.pk):
        raise DomainError(_("登录账号与网格员不是同一人"), code="grid_worker_user_mismatch")
    with transaction.atomic():
        Grid.objects.select_for_update().filter(pk=grid.pk).first()
        current = grid.worker_assignments.filter(ended_on__isnull=True).first()
        if current is not None and current.started_on > started_on:
            raise DomainError(_("上岗日期早于现任网格员的上岗日期"), code="grid_worker_date")
        if current is not None:
            current.ended_on = started_on
            current.save(update_fields=["ended_on", "updated_at"])
            if current.user_id is not None:
                RoleAssignment.objects.filter(
                    user_id=current.user_id, role=Role.GRID_WORKER, grid=grid
                ).delete()
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


# --- Iron triangles --------------------------------------------------------------------


def _check_member_in_community(member: PartyMember, community: Region) -> None:
    if not _in_region(_member_region(member), community.path):
        raise DomainError(
            _("%(name)s所在党组织不负责该社区") % {"name": member.person.name},
            code="member_outside_region",
        )


def iron_triangle_set(
    *,
    grid: Grid,
    group_leader: PartyMember | None,
    liaison_members: Iterable[PartyMember],
    actor: Any,
) -> IronTriangle:
    """Set a grid's Party group leader and liaison members (the worker is the grid's own)."""
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
        _check_member_in_community(group_leader, grid.community)
    for member in liaisons:
        _check_member_in_community(member, grid.community)
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


# --- Liaison households ----------------------------------------------------------------


@dataclass
class LiaisonResult:
    member: PartyMember
    count: int
    warnings: list[str] = field(default_factory=list)


def liaison_households_set(
    *, member: PartyMember, dwellings: Iterable[Dwelling], actor: Any
) -> LiaisonResult:
    """Replace the set of dwellings a member keeps in touch with.

    The dwellings must lie in one community inside the member's organisation's area and
    have no other liaison member. Above the soft limit a warning is returned; above the
    hard limit nothing is saved.
    """
    soft, hard = liaison_limits()
    ids = list(dict.fromkeys(d.pk for d in dwellings))
    if len(ids) > hard:
        raise DomainError(
            _("一名党员最多联系%(hard)s户，本次为%(n)s户") % {"hard": hard, "n": len(ids)},
            code="liaison_hard_limit",
        )
    rows = list(
        Dwelling.objects.filter(pk__in=ids).select_related("estate", "building", "entrance")
    )
    if len(rows) != len(ids):
        raise DomainError(_("有房屋不存在"), code="liaison_dwelling_missing")
    communities = {d.estate.community_id for d in rows}
    if len(communities) > 1:
        raise DomainError(_("联户房屋须在同一个社区内"), code="liaison_many_communities")
    if rows:
        community = Region.objects.get(pk=communities.pop())
        _check_member_in_community(member, community)
    taken = list(
        LiaisonHousehold.objects.filter(dwelling_id__in=ids)
        .exclude(member=member)
        .select_related("member__person", "dwelling__building", "dwelling__entrance")[:5]
    )
    if taken:
        raise DomainError(
            _("房屋已有联户党员：%(list)s")
            % {
                "list": "、".join(f"{lh.dwelling.label}（{lh.member.person.name}）" for lh in taken)
            },
            code="liaison_dwelling_taken",
        )
    warnings = []
    if len(ids) > soft:
        warnings.append(_("联系%(n)s户，超过通常的%(soft)s户") % {"n": len(ids), "soft": soft})
    with transaction.atomic():
        PartyMember.objects.select_for_update().filter(pk=member.pk).first()
        before = sorted(member.liaison_households.values_list("dwelling_id", flat=True))
        member.liaison_households.exclude(dwelling_id__in=ids).delete()
        have = set(member.liaison_households.values_list("dwelling_id", flat=True))
        try:
            with transaction.atomic():
                LiaisonHousehold.objects.bulk_create(
                    [
                        LiaisonHousehold(member=member, dwelling_id=pk)
                        for pk in ids
                        if pk not in have
                    ]
                )
        except IntegrityError:
            raise DomainError(_("房屋已有联户党员"), code="liaison_dwelling_taken") from None
        audit_record(
            actor=actor,
            action="liaison.set",
            obj=member,
            before={"dwellings": before},
            after={"dwellings": sorted(ids)},
        )
    return LiaisonResult(member=member, count=len(ids), warnings=warnings)


# --- Responsibility zones and teams ----------------------------------------------------


def _check_zone_scope(*, region: Region, estates: list[Estate], buildings: list[Building]) -> None:
    if region.level not in (RegionLevel.STREET, RegionLevel.COMMUNITY):
        raise DomainError(_("责任区须属于街道或社区"), code="zone_region_level")
    outside = [e.name for e in estates if not _in_region(region, e.region_path)] + [
        _building_label(b) for b in buildings if not _in_region(region, b.estate.region_path)
    ]
    if outside:
        raise DomainError(
            _("不在该街道或社区内：%(list)s") % {"list": "、".join(outside[:5])},
            code="zone_outside_region",
        )


def _zone_snapshot(zone: ResponsibilityZone) -> dict[str, Any]:
    return {
        "region": zone.region_id,
        "number": zone.number,
        "name": zone.name,
        "leader": zone.leader_id,
        "estates": sorted(zone.estates.values_list("pk", flat=True)),
        "buildings": sorted(zone.buildings.values_list("pk", flat=True)),
    }


def responsibility_zone_create(
    *,
    region: Region,
    number: int,
    name: str,
    leader: PartyMember | None = None,
    estates: Iterable[Estate] = (),
    buildings: Iterable[Building] = (),
    actor: Any,
) -> ResponsibilityZone:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写责任区名称"), code="zone_name_required")
    if number < 1:
        raise DomainError(_("责任区编号须为正整数"), code="zone_number_invalid")
    estate_list, building_list = list(estates), _buildings(buildings)
    _check_zone_scope(region=region, estates=estate_list, buildings=building_list)
    if ResponsibilityZone.objects.filter(region=region, number=number).exists():
        raise DomainError(
            _("%(region)s已有第%(n)s责任区") % {"region": region.name, "n": number},
            code="zone_number_taken",
        )
    with transaction.atomic():
        zone = ResponsibilityZone.objects.create(
            region=region, number=number, name=name, leader=leader
        )
        zone.estates.set(estate_list)
        zone.buildings.set(building_list)
        audit_record(actor=actor, action="zone.create", obj=zone, after=_zone_snapshot(zone))
    return zone


def responsibility_zone_update(
    *,
    zone: ResponsibilityZone,
    name: str | None = None,
    leader: PartyMember | None = None,
    estates: Iterable[Estate] | None = None,
    buildings: Iterable[Building] | None = None,
    actor: Any,
) -> ResponsibilityZone:
    estate_list = list(estates) if estates is not None else list(zone.estates.all())
    building_list = (
        _buildings(buildings)
        if buildings is not None
        else list(zone.buildings.select_related("estate"))
    )
    _check_zone_scope(region=zone.region, estates=estate_list, buildings=building_list)
    with transaction.atomic():
        before = _zone_snapshot(zone)
        if name is not None:
            if not name.strip():
                raise DomainError(_("请填写责任区名称"), code="zone_name_required")
            zone.name = name.strip()
        if leader is not None:
            zone.leader = leader
        zone.save()
        zone.estates.set(estate_list)
        zone.buildings.set(building_list)
        audit_record(
            actor=actor, action="zone.update", obj=zone, before=before, after=_zone_snapshot(zone)
        )
    return zone


def _team_snapshot(team: Team) -> dict[str, Any]:
    return {
        "region": team.region_id,
        "name": team.name,
        "leader": team.leader_id,
        "members": sorted(team.members.values_list("pk", flat=True)),
    }


def team_create(
    *,
    region: Region,
    name: str,
    leader: PartyMember,
    members: Iterable[PartyMember] = (),
    actor: Any,
) -> Team:
    """A 党员突击队; the leader is always one of its members."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写突击队名称"), code="team_name_required")
    if Team.objects.filter(region=region, name=name).exists():
        raise DomainError(_("该区划下已有同名突击队"), code="team_name_taken")
    with transaction.atomic():
        team = Team.objects.create(region=region, name=name, leader=leader)
        team.members.set({leader.pk, *(m.pk for m in members)})
        audit_record(actor=actor, action="team.create", obj=team, after=_team_snapshot(team))
    return team


def team_update(
    *,
    team: Team,
    name: str | None = None,
    leader: PartyMember | None = None,
    members: Iterable[PartyMember] | None = None,
    actor: Any,
) -> Team:
    with transaction.atomic():
        before = _team_snapshot(team)
        if name is not None:
            if not name.strip():
                raise DomainError(_("请填写突击队名称"), code="team_name_required")
            if Team.objects.filter(region=team.region, name=name.strip()).exclude(pk=team.pk):
                raise DomainError(_("该区划下已有同名突击队"), code="team_name_taken")
            team.name = name.strip()
        if leader is not None:
            team.leader = leader
        team.save()
        member_ids = (
            {m.pk for m in members}
            if members is not None
            else set(team.members.values_list("pk", flat=True))
        )
        team.members.set(member_ids | {team.leader_id})
        audit_record(
            actor=actor, action="team.update", obj=team, before=before, after=_team_snapshot(team)
        )
    return team
