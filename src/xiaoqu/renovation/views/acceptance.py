"""The joint acceptance: the staff tab (open it with the six parties, a verdict per item,
re-inspections, conclude), the record as residents read it (where the resident supervisor
signs) and the A4 record for printing."""

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
from xiaoqu.core.policy import Lookup, permitted_or_error, requires
from xiaoqu.renovation.models import (
    Acceptance,
    AcceptanceStatus,
    Project,
    ProjectItem,
    ProjectStage,
)
from xiaoqu.renovation.rules import MANAGE_PROJECTS, READ_PROJECTS, VIEW_PROJECTS
from xiaoqu.renovation.services import acceptance as services

PROJECT = Lookup(Project, "project_id", select_related=("resident_supervisor",))
ACCEPTANCE = Lookup(
    Acceptance,
    "acceptance_id",
    select_related=("project", "project__resident_supervisor", "resident_signed_by"),
)


def parse_date(value: str | None, label: str) -> dt.date:
    """A date posted in a form (YYYY-MM-DD); anything else is bad input naming the field."""
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(
            _("请填写正确的%(what)s（年-月-日）。") % {"what": label}, code="date"
        ) from None


# --- the staff tab ---------------------------------------------------------------------------


@require_GET
@requires(VIEW_PROJECTS, find=PROJECT)
def project_acceptance(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    acceptance = project.acceptances.select_related("resident_signed_by").order_by("-pk").first()
    manages = MANAGE_PROJECTS.has(request.user, project)
    return render(
        request,
        "renovation/acceptance/project.html",
        {
            "project": project,
            "tab": "acceptance",
            "record": services.acceptance_record(acceptance) if acceptance is not None else None,
            "can_manage": manages,
            "can_open": manages and acceptance is None and project.stage == ProjectStage.ACCEPTANCE,
            "parties": [(key, str(label)) for key, label in services.ACCEPTANCE_PARTIES],
            "today": timezone.localdate(),
        },
    )


def _to_tab(project_id: int) -> HttpResponse:
    return redirect("renovation:project_acceptance", project_id=project_id)


@require_POST
@requires(MANAGE_PROJECTS, find=PROJECT)
def acceptance_open(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    data = request.POST
    try:
        services.acceptance_open(
            project=project,
            held_on=parse_date(data.get("held_on"), _("验收日期")),
            participants={key: data.get(key, "") for key, _label in services.ACCEPTANCE_PARTIES},
            actor=request.user,
        )
        messages.success(request, _("已开始联合验收，请逐项填写验收结论。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _to_tab(project.pk)


def _item(request: AuthenticatedRequest, acceptance: Acceptance) -> ProjectItem:
    return permitted_or_error(
        request.user,
        MANAGE_PROJECTS,
        ProjectItem.objects.filter(project_id=acceptance.project_id),
        request.POST.get("item"),
        _("条目不存在。"),
    )


def _verdict(value: str | None) -> bool:
    if value not in ("pass", "fail"):
        raise DomainError(_("请选择合格或不合格。"), code="verdict")
    return value == "pass"


@require_POST
@requires(MANAGE_PROJECTS, find=ACCEPTANCE)
def acceptance_check(request: AuthenticatedRequest, acceptance: Acceptance) -> HttpResponse:
    """One item's verdict: passed, or failed with defects and a rectification deadline."""
    data = request.POST
    try:
        item = _item(request, acceptance)
        passed = _verdict(data.get("verdict"))
        services.acceptance_check(
            acceptance=acceptance,
            item=item,
            passed=passed,
            defects=data.get("defects", ""),
            rectify_by=None if passed else parse_date(data.get("rectify_by"), _("整改期限")),
            actor=request.user,
        )
        messages.success(request, _("已记录“%(t)s”的验收结论。") % {"t": item.title})
    except DomainError as error:
        messages.error(request, error.message)
    return _to_tab(acceptance.project_id)


@require_POST
@requires(MANAGE_PROJECTS, find=ACCEPTANCE)
def acceptance_reinspect(request: AuthenticatedRequest, acceptance: Acceptance) -> HttpResponse:
    """Re-inspect a failed item: passed, or not (with a new deadline, if given)."""
    data = request.POST
    try:
        item = _item(request, acceptance)
        passed = _verdict(data.get("verdict"))
        raw_deadline = (data.get("rectify_by") or "").strip()
        services.acceptance_reinspect(
            acceptance=acceptance,
            item=item,
            passed=passed,
            on=parse_date(data.get("on"), _("复验日期")),
            rectify_by=parse_date(raw_deadline, _("整改期限"))
            if raw_deadline and not passed
            else None,
            actor=request.user,
        )
        messages.success(request, _("已记录“%(t)s”的复验结果。") % {"t": item.title})
    except DomainError as error:
        messages.error(request, error.message)
    return _to_tab(acceptance.project_id)


@require_POST
@requires(MANAGE_PROJECTS, find=ACCEPTANCE)
def acceptance_conclude(request: AuthenticatedRequest, acceptance: Acceptance) -> HttpResponse:
    try:
        verdict = services.acceptance_conclude(
            acceptance=acceptance,
            conclusion=request.POST.get("conclusion", ""),
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if verdict.passed:
            messages.success(request, _("联合验收通过。项目可以进入“完成”阶段。"))
        else:
            messages.error(
                request, _("验收未通过，转入整改：%(m)s") % {"m": "；".join(verdict.missing)}
            )
    return _to_tab(acceptance.project_id)


# --- residents: the record and the resident supervisor's signature ----------------------------


@require_GET
@requires(READ_PROJECTS, find=ACCEPTANCE)
def acceptance_view(request: AuthenticatedRequest, acceptance: Acceptance) -> HttpResponse:
    """The record on a phone; the project's resident supervisor signs it here."""
    project = acceptance.project
    is_supervisor = (
        project.resident_supervisor_id is not None
        and request.user.person_id == project.resident_supervisor_id
    )
    return render(
        request,
        "renovation/acceptance/record.html",
        {
            "project": project,
            "record": services.acceptance_record(acceptance),
            "can_sign": is_supervisor
            and acceptance.status != AcceptanceStatus.PASSED
            and acceptance.resident_signed_at is None,
            "is_supervisor": is_supervisor,
        },
    )


@require_POST
@requires(READ_PROJECTS, find=ACCEPTANCE)
def acceptance_sign(request: AuthenticatedRequest, acceptance: Acceptance) -> HttpResponse:
    try:
        services.acceptance_sign_resident(acceptance=acceptance, actor=request.user)
        messages.success(request, _("已签字确认验收记录。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("renovation:acceptance_view", acceptance_id=acceptance.pk)


@require_GET
@requires(READ_PROJECTS, find=ACCEPTANCE)
def acceptance_print(request: AuthenticatedRequest, acceptance: Acceptance) -> HttpResponse:
    """The acceptance record laid out on A4, for signatures and the archive."""
    project = acceptance.project
    return render(
        request,
        "renovation/acceptance/print.html",
        {
            "project": project,
            "estates": list(project.estates.order_by("name")),
            "record": services.acceptance_record(acceptance),
        },
    )
