"""Writes for Party leadership on a project (党建引领): the project Party branch or temporary
Party group, the responsibility zones and 党员突击队 of the organisation capability assigned to
the project's estates, and the members' duty roster (site duty, traffic guidance on market
days, residents' reception).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.organization.models import PartyMember, PartyOrganization, ResponsibilityZone, Team
from xiaoqu.registry.models import Region
from xiaoqu.renovation.models import DutyShift, DutyType, Project
from xiaoqu.renovation.rules import MANAGE_PROJECTS
from xiaoqu.renovation.services.projects import record_event


def _region_paths(project: Project) -> list[str]:
    """The paths of the project's communities (an organisation above one of them, or at it,
    may lead the project)."""
    return list(
        Region.objects.filter(estates__project_entries__project=project)
        .values_list("path", flat=True)
        .distinct()
    )


def _covers(region_path: str, paths: list[str]) -> bool:
    return any(p.startswith(region_path) for p in paths)


def project_set_party(
    *,
    project: Project,
    actor: Actor,
    organization: PartyOrganization | None,
    zones: Iterable[ResponsibilityZone] = (),
    teams: Iterable[Team] = (),
) -> Project:
    """The project's Party organisation, zones and teams: each of a region that is, or is
    above, a community of the project's estates; a zone must cover one of its estates."""
    MANAGE_PROJECTS.require(actor, project)
    paths = _region_paths(project)
    zones, teams = list(zones), list(teams)
    if organization is not None and not _covers(organization.region.path, paths):
        raise DomainError(
            _("“%(name)s”不是本项目所在社区或其上级的党组织。") % {"name": organization.name},
            code="organization",
        )
    estate_ids = set(project.project_estates.values_list("estate_id", flat=True))
    for zone in zones:
        if (
            not estate_ids & set(zone.estates.values_list("pk", flat=True))
            and not set(zone.buildings.values_list("estate_id", flat=True)) & estate_ids
        ):
            raise DomainError(_("“%(zone)s”不覆盖本项目的小区。") % {"zone": zone}, code="zone")
    for team in teams:
        if not _covers(team.region.path, paths):
            raise DomainError(
                _("“%(name)s”不在本项目所在的街道或社区。") % {"name": team.name}, code="team"
            )
    with transaction.atomic():
        project.party_organization = organization
        project.save(update_fields=["party_organization", "updated_at"])
        project.zones.set(zones)
        project.teams.set(teams)
        note = "；".join(
            [
                organization.name if organization else "",
                *(str(z) for z in zones),
                *(t.name for t in teams),
            ]
        ).strip("；")
        record_event(project, "party", actor, note=note)
        audit_record(
            actor=actor,
            action="renovation.project_set_party",
            obj=project,
            after={
                "organization": organization.pk if organization else None,
                "zones": [z.pk for z in zones],
                "teams": [t.pk for t in teams],
            },
        )
    return project


def project_party_members(project: Project) -> QuerySet[PartyMember]:
    """The members who may be put on duty: of the project's Party organisation (and the ones
    below it), its teams, and its zones' leaders."""
    q = Q(pk__in=[])
    organization = project.party_organization
    if organization is not None:
        q |= Q(organization__path__startswith=organization.path)
    q |= Q(teams__in=project.teams.all()) | Q(led_teams__in=project.teams.all())
    q |= Q(led_zones__in=project.zones.all())
    return PartyMember.objects.filter(q).select_related("person").distinct()


def duty_add(
    *,
    project: Project,
    actor: Actor,
    member: PartyMember,
    duty: str,
    date: dt.date,
    starts: dt.time,
    ends: dt.time,
    place: str = "",
) -> DutyShift:
    """Put a member on duty; a member is on one shift at a time."""
    MANAGE_PROJECTS.require(actor, project)
    if duty not in DutyType.values:
        raise DomainError(_("请选择值守类型。"), code="duty")
    if ends <= starts:
        raise DomainError(_("结束时间应晚于开始时间。"), code="times")
    if not project_party_members(project).filter(pk=member.pk).exists():
        raise DomainError(_("只能安排本项目党组织、突击队或责任区的党员值守。"), code="member")
    clash = DutyShift.objects.filter(
        member=member, date=date, starts__lt=ends, ends__gt=starts
    ).first()
    if clash is not None:
        raise DomainError(
            _("%(name)s 在 %(date)s %(a)s—%(b)s 已有值守安排。")
            % {
                "name": member.person.name,
                "date": date,
                "a": clash.starts.strftime("%H:%M"),
                "b": clash.ends.strftime("%H:%M"),
            },
            code="clash",
        )
    with transaction.atomic():
        shift = DutyShift.objects.create(
            project=project,
            member=member,
            duty=duty,
            date=date,
            starts=starts,
            ends=ends,
            place=place.strip()[:200],
        )
        audit_record(
            actor=actor,
            action="renovation.duty_add",
            obj=shift,
            after={"member": member.pk, "duty": duty, "date": date.isoformat()},
        )
    return shift


def duty_remove(*, shift: DutyShift, actor: Actor) -> None:
    MANAGE_PROJECTS.require(actor, shift.project)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="renovation.duty_remove",
            obj=shift,
            before={"member": shift.member_id, "duty": shift.duty, "date": shift.date.isoformat()},
        )
        shift.delete()
