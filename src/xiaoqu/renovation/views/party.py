"""Party leadership of a project (党建引领): its Party organisation, zones and teams, and the
duty roster; the estate's works page residents open, with the "who to call" card and the
numbers of 从政府想做到群众想要 (traceability)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, object_pks, requires
from xiaoqu.organization.models import PartyMember, PartyOrganization, ResponsibilityZone, Team
from xiaoqu.registry.models import Estate
from xiaoqu.renovation import selectors
from xiaoqu.renovation.models import DutyShift, DutyType, Project
from xiaoqu.renovation.rules import MANAGE_PROJECTS, READ_PROJECTS, VIEW_PROJECTS
from xiaoqu.renovation.services import party as services

PROJECT = Lookup(Project, "project_id", select_related=("party_organization",))
ESTATE = Lookup(Estate, "estate_id")


def _candidates(project: Project) -> dict:
    """Organisations, zones and teams of the project's communities and the streets above."""
    communities = list(
        Estate.objects.filter(project_entries__project=project).values_list(
            "community__path", flat=True
        )
    )
    ancestors = {int(p) for path in communities for p in path.strip("/").split("/") if p}
    estates = project.project_estates.values("estate_id")
    return {
        "organizations": PartyOrganization.objects.filter(region__in=ancestors).order_by("path"),
        "zones": ResponsibilityZone.objects.filter(estates__in=estates)
        .select_related("leader__person")
        .distinct(),
        "teams": Team.objects.filter(region__in=ancestors).select_related("leader__person"),
    }


@require_GET
@requires(VIEW_PROJECTS, find=PROJECT)
def project_party(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    manages = MANAGE_PROJECTS.has(request.user, project)
    context = {
        "project": project,
        "tab": "party",
        "zones": project.zones.select_related("leader__person").prefetch_related("estates"),
        "teams": project.teams.select_related("leader__person").prefetch_related("members__person"),
        "duties": project.duties.select_related("member__person").order_by("date", "starts"),
        "duty_types": DutyType.choices,
        "can_manage": manages,
        "today": timezone.localdate(),
    }
    if manages:
        context["choices"] = _candidates(project)
        context["members"] = services.project_party_members(project).order_by("person__name")
    return render(request, "renovation/party.html", context)


def _back(project: Project) -> HttpResponse:
    return redirect("renovation:project_party", project_id=project.pk)


@require_POST
@requires(MANAGE_PROJECTS, find=PROJECT)
def project_party_set(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    choices = _candidates(project)
    try:
        organization = None
        if request.POST.get("organization"):
            organization = (
                choices["organizations"]
                .filter(pk__in=object_pks([request.POST["organization"]], _("党组织不存在。")))
                .first()
            )
            if organization is None:
                raise DomainError(_("党组织不存在或不在本项目所在的街道社区。"))
        zone_ids = object_pks(request.POST.getlist("zones"), _("责任区不存在。"))
        team_ids = object_pks(request.POST.getlist("teams"), _("突击队不存在。"))
        zones = list(choices["zones"].filter(pk__in=zone_ids))
        teams = list(choices["teams"].filter(pk__in=team_ids))
        if len(zones) != len(set(zone_ids)) or len(teams) != len(set(team_ids)):
            raise DomainError(_("所选责任区或突击队不在本项目所在的街道社区。"))
        services.project_set_party(
            project=project, actor=request.user, organization=organization, zones=zones, teams=teams
        )
        messages.success(request, _("已保存党建引领安排。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


def _parse_time(value: str, label: str) -> dt.time:
    try:
        return dt.time.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(_("%(f)s不是时间（如 08:30）。") % {"f": label}) from None


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(_("日期不正确。")) from None


@require_POST
@requires(MANAGE_PROJECTS, find=PROJECT)
def duty_add(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    data = request.POST
    try:
        member = _member(project, data.get("member", ""))
        services.duty_add(
            project=project,
            actor=request.user,
            member=member,
            duty=data.get("duty", ""),
            date=_parse_date(data.get("date", "")),
            starts=_parse_time(data.get("starts", ""), _("开始时间")),
            ends=_parse_time(data.get("ends", ""), _("结束时间")),
            place=data.get("place", ""),
        )
        messages.success(request, _("已排班。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


def _member(project: Project, value: str) -> PartyMember:
    try:
        return services.project_party_members(project).get(pk=int(value))
    except (ValueError, PartyMember.DoesNotExist):
        raise DomainError(
            _("只能安排本项目党组织、突击队或责任区的党员值守。"), code="member"
        ) from None


@require_POST
@requires(MANAGE_PROJECTS, find=PROJECT)
def duty_remove(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    try:
        shift = DutyShift.objects.get(pk=int(request.POST.get("shift", "")), project=project)
        services.duty_remove(shift=shift, actor=request.user)
        messages.success(request, _("已取消排班。"))
    except (ValueError, DutyShift.DoesNotExist):
        messages.error(request, _("排班不存在。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


# --- the estate's works page (residents) ------------------------------------------------------


@require_GET
@requires(READ_PROJECTS, find=ESTATE)
def estate_works(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """What residents see of their estate's works: the project and its progress, who to call,
    who is on duty today, and which items residents asked for."""
    project = selectors.current_project(estate.pk)
    return render(
        request,
        "renovation/estate_works.html",
        {
            "estate": estate,
            "project": project,
            "view": selectors.project_view(project) if project else None,
            "stages": selectors.stage_steps(project) if project else [],
            "contacts": selectors.who_to_call(estate),
            "duties": selectors.duty_today(project),
            "trace": selectors.estate_trace(estate),
        },
    )
