"""Project pages: the list in the user's scope, a project's page (the hub every other part of
the works hangs on), creating a project from an estate's published plan, and one URL and form
per staff action (stage, parties, party staff, votes behind items).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.accounts.models import Role, User
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, permitted_or_error, requires
from xiaoqu.decisions.models import Vote
from xiaoqu.decisions.rules import VIEW_VOTES
from xiaoqu.registry.models import Estate
from xiaoqu.renovation import selectors
from xiaoqu.renovation.models import (
    Batch,
    Company,
    CompanyKind,
    Project,
    ProjectItem,
    ProjectStage,
)
from xiaoqu.renovation.rules import MANAGE_PROJECTS, READ_PROJECTS, VIEW_PROJECTS
from xiaoqu.renovation.services import projects as services

PROJECT = Lookup(Project, "project_id", select_related=("builder", "supervisor", "designer"))
ESTATE = Lookup(Estate, "estate_id")


@require_GET
@requires(VIEW_PROJECTS)
def project_list(request: AuthenticatedRequest) -> HttpResponse:
    """The projects in the user's scope, filterable by stage, 50 a page."""
    stage = request.GET.get("stage", "")
    projects: QuerySet[Project] = VIEW_PROJECTS.scoped(request.user, Project.objects.all())
    if stage in ProjectStage.values:
        projects = projects.filter(stage=stage)
    page = Paginator(
        projects.select_related("batch", "builder")
        .prefetch_related("estates")
        .order_by("-created_at", "-pk"),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "renovation/project_list.html",
        {"page": page, "stages": ProjectStage.choices, "stage": stage},
    )


@require_GET
@requires(VIEW_PROJECTS, find=PROJECT)
def project_detail(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    user = request.user
    manages = MANAGE_PROJECTS.has(user, project)
    estates = list(project.estates.all())
    context = {
        "project": project,
        "view": selectors.project_view(project),
        "estates": estates,
        "can_manage": manages,
        "blockers": services.stage_blockers(project),
        "next_stage": services.next_stage(project.stage),
        "stages": selectors.stage_steps(project),
        "events": project.events.select_related("actor", "item").order_by("-at", "-pk")[:30],
    }
    if manages:
        context |= {
            "builders": Company.objects.filter(kind=CompanyKind.BUILDER),
            "supervisors": Company.objects.filter(kind=CompanyKind.SUPERVISOR),
            "designers": Company.objects.filter(kind=CompanyKind.DESIGNER),
            "candidates": _member_candidates(user, project),
            "votes": VIEW_VOTES.scoped(user, Vote.objects.filter(estate__in=estates)).order_by(
                "-opens_at"
            ),
        }
    return render(request, "renovation/project_detail.html", context)


def _member_candidates(user: User, project: Project) -> QuerySet[User]:
    """Contractor and supervisor users assigned in the project's estates, not yet on it."""
    estates = project.estates.values("pk")
    return (
        User.objects.filter(
            roles__role__in=[Role.CONTRACTOR, Role.SUPERVISOR], roles__estate__in=estates
        )
        .exclude(renovation_projects__project=project)
        .distinct()
        .order_by("name")
    )


@require_GET
@requires(READ_PROJECTS, find=PROJECT)
def project_public(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """The project as residents see it: items, progress, who to call."""
    return render(
        request,
        "renovation/project_public.html",
        {
            "project": project,
            "view": selectors.project_view(project),
            "stages": selectors.stage_steps(project),
        },
    )


# --- creating a project ----------------------------------------------------------------------


@require_GET
@requires(VIEW_PROJECTS, find=ESTATE)
def estate_projects(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """An estate's projects, and for those who manage them, a new project from its latest
    published plan (in a batch that holds the estate, if any)."""
    manages = MANAGE_PROJECTS.has(request.user, estate)
    return render(
        request,
        "renovation/estate_projects.html",
        {
            "estate": estate,
            "projects": VIEW_PROJECTS.scoped(
                request.user, Project.objects.filter(project_estates__estate=estate)
            ).order_by("-created_at"),
            "can_manage": manages,
            "plan": services.latest_published_plan(estate) if manages else None,
            "batches": Batch.objects.filter(entries__estate=estate).order_by("-year")
            if manages
            else [],
        },
    )


@require_POST
@requires(MANAGE_PROJECTS, find=ESTATE)
def project_new(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """A project of one estate from its latest published plan (optionally in a batch)."""
    data = request.POST
    try:
        batch = None
        if data.get("batch"):
            batch = permitted_or_error(
                request.user,
                VIEW_PROJECTS,
                Batch.objects.filter(entries__estate=estate),
                data["batch"],
                _("这个小区不在所选的年度计划中。"),
            )
        project = services.project_create(
            estates=[estate],
            name=data.get("name", ""),
            code=data.get("code", ""),
            batch=batch,
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("registry:estate_detail", estate_id=estate.pk)
    messages.success(request, _("已从公布的改造方案建立项目。"))
    return redirect("renovation:project_detail", project_id=project.pk)


# --- one URL and form per staff action --------------------------------------------------------


def _back(project: Project) -> HttpResponse:
    return redirect("renovation:project_detail", project_id=project.pk)


@require_POST
@requires(MANAGE_PROJECTS, find=PROJECT)
def project_advance(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """Move the project to its next stage; what stops it is said in the message."""
    if request.POST.get("from") != project.stage:
        messages.error(request, _("项目阶段已经变化，请刷新后再试。"))
        return _back(project)
    try:
        project = services.project_advance(
            project=project, actor=request.user, note=request.POST.get("note", "")
        )
        messages.success(
            request, _("项目已进入“%(stage)s”阶段。") % {"stage": project.get_stage_display()}
        )
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


def _company(request: AuthenticatedRequest, field: str, kind: str) -> Company | None:
    value = request.POST.get(field, "")
    if not value:
        return None
    try:
        return Company.objects.get(pk=int(value), kind=kind)
    except (ValueError, Company.DoesNotExist):
        raise DomainError(_("所选单位不存在。"), code="company") from None


@require_POST
@requires(MANAGE_PROJECTS, find=PROJECT)
def project_parties(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    try:
        services.project_set_parties(
            project=project,
            actor=request.user,
            builder=_company(request, "builder", CompanyKind.BUILDER),
            supervisor=_company(request, "supervisor", CompanyKind.SUPERVISOR),
            designer=_company(request, "designer", CompanyKind.DESIGNER),
            site_manager_name=request.POST.get("site_manager_name"),
            site_manager_phone=request.POST.get("site_manager_phone"),
        )
        messages.success(request, _("已保存参建单位。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


@require_POST
@requires(MANAGE_PROJECTS, find=PROJECT)
def project_member_add(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    try:
        user = _candidate(request, project)
        services.project_member_add(project=project, user=user, actor=request.user)
        messages.success(request, _("已添加参建人员。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


def _candidate(request: AuthenticatedRequest, project: Project) -> User:
    try:
        return _member_candidates(request.user, project).get(pk=int(request.POST.get("user", "")))
    except (ValueError, User.DoesNotExist):
        raise DomainError(_("只能添加本项目小区的施工或监理人员。"), code="member") from None


@require_POST
@requires(MANAGE_PROJECTS, find=PROJECT)
def item_vote(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """Link the owners' vote that decides an item."""
    try:
        item = permitted_or_error(
            request.user,
            MANAGE_PROJECTS,
            ProjectItem.objects.filter(project=project),
            request.POST.get("item"),
            _("条目不存在。"),
        )
        vote = permitted_or_error(
            request.user,
            VIEW_VOTES,
            Vote.objects.filter(estate=item.estate),
            request.POST.get("vote"),
            _("表决不存在或不是本小区的。"),
        )
        services.item_link_vote(item=item, vote=vote, actor=request.user)
        messages.success(request, _("已关联业主表决。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)
