"""Party members' responsibility zones (党员责任区) and teams (党员突击队)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.organization.models import PartyMember, ResponsibilityZone, Team
from xiaoqu.organization.rules import MANAGE_PARTY
from xiaoqu.organization.services.checks import (
    building_label,
    buildings_with_estates,
    check_members_in_region,
    in_region,
)
from xiaoqu.registry.models import Building, Estate, Region, RegionLevel

# --- Responsibility zones --------------------------------------------------------------


def _check_zone_scope(*, region: Region, estates: list[Estate], buildings: list[Building]) -> None:
    if region.level not in (RegionLevel.STREET, RegionLevel.COMMUNITY):
        raise DomainError(_("责任区须属于街道或社区"), code="zone_region_level")
    outside = [e.name for e in estates if not in_region(region, e.region_path)] + [
        building_label(b) for b in buildings if not in_region(region, b.estate.region_path)
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
    actor: Actor,
) -> ResponsibilityZone:
    """A numbered zone of a street or community of the actor's scope, over its estates and
    buildings."""
    MANAGE_PARTY.require(actor, region)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写责任区名称"), code="zone_name_required")
    if number < 1:
        raise DomainError(_("责任区编号须为正整数"), code="zone_number_invalid")
    estate_list, building_list = list(estates), buildings_with_estates(buildings)
    _check_zone_scope(region=region, estates=estate_list, buildings=building_list)
    if leader is not None:
        check_members_in_region([leader], region)
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
    actor: Actor,
) -> ResponsibilityZone:
    """Change a zone of the actor's scope (``estates`` and ``buildings`` replace the sets)."""
    MANAGE_PARTY.require(actor, zone)
    estate_list = list(estates) if estates is not None else list(zone.estates.all())
    building_list = (
        buildings_with_estates(buildings)
        if buildings is not None
        else list(zone.buildings.select_related("estate"))
    )
    _check_zone_scope(region=zone.region, estates=estate_list, buildings=building_list)
    if leader is not None:
        check_members_in_region([leader], zone.region)
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


# --- Teams -----------------------------------------------------------------------------


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
    actor: Actor,
) -> Team:
    """A 党员突击队 of a region of the actor's scope; the leader is always one of its members."""
    MANAGE_PARTY.require(actor, region)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写突击队名称"), code="team_name_required")
    if Team.objects.filter(region=region, name=name).exists():
        raise DomainError(_("该区划下已有同名突击队"), code="team_name_taken")
    member_list = [leader, *members]
    check_members_in_region(member_list, region)
    with transaction.atomic():
        team = Team.objects.create(region=region, name=name, leader=leader)
        team.members.set({m.pk for m in member_list})
        audit_record(actor=actor, action="team.create", obj=team, after=_team_snapshot(team))
    return team


def team_update(
    *,
    team: Team,
    name: str | None = None,
    leader: PartyMember | None = None,
    members: Iterable[PartyMember] | None = None,
    actor: Actor,
) -> Team:
    """Change a team of the actor's scope (``members`` replaces the set; the leader stays in)."""
    MANAGE_PARTY.require(actor, team)
    member_list = list(members) if members is not None else None
    check_members_in_region([*([leader] if leader else []), *(member_list or [])], team.region)
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
            {m.pk for m in member_list}
            if member_list is not None
            else set(team.members.values_list("pk", flat=True))
        )
        team.members.set(member_ids | {team.leader_id})
        audit_record(
            actor=actor, action="team.update", obj=team, before=before, after=_team_snapshot(team)
        )
    return team
