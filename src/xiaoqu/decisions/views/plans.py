"""Renovation plan pages: staff draw a plan up from the demand list and publish it, one URL
and form per action; residents read it, comment during the consultation and see which demands
it answers and why not.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, object_pks, permitted_or_error, requires
from xiaoqu.decisions import selectors, services
from xiaoqu.decisions.models import FUNDING_SOURCES, Plan, PlanItem, PlanStatus
from xiaoqu.decisions.rules import (
    COMMENT_ON_PLANS,
    MANAGE_PLANS,
    READ_PLANS,
    VIEW_PLANS,
)
from xiaoqu.meetings.models import Meeting
from xiaoqu.needs.models import Demand, DemandClass
from xiaoqu.registry.models import Estate


def shown_plans() -> QuerySet[Plan]:
    """The plans residents may read: in consultation or published (drafts are for staff)."""
    return Plan.objects.exclude(status=PlanStatus.DRAFT)


ESTATE = Lookup(Estate, "estate_id")
PLAN = Lookup(Plan, "plan_id", select_related=("estate",))
SHOWN_PLAN = Lookup(shown_plans, "plan_id", select_related=("estate",))


@require_GET
@requires(VIEW_PLANS, find=ESTATE)
def plan_list(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    return render(
        request,
        "decisions/plan_list.html",
        {
            "estate": estate,
            "plans": Plan.objects.filter(estate=estate).order_by("-version"),
            "can_manage": MANAGE_PLANS.has(request.user, estate),
        },
    )


@require_POST
@requires(MANAGE_PLANS, find=ESTATE)
def plan_new(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    try:
        plan = services.plan_create(
            estate=estate, title=request.POST.get("title", ""), actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("decisions:plan_list", estate_id=estate.pk)
    return redirect("decisions:plan_detail", plan_id=plan.pk)


@require_GET
@requires(VIEW_PLANS, find=PLAN)
def plan_detail(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    manages = MANAGE_PLANS.has(request.user, plan)
    return render(
        request,
        "decisions/plan_detail.html",
        {
            "view": selectors.plan_view(plan=plan),
            "can_manage": manages and plan.status != PlanStatus.PUBLISHED,
            "classes": DemandClass.choices,
            "comments": plan.comments.select_related("item").order_by("created_at"),
            "today": timezone.localdate(),
            "meetings": Meeting.objects.filter(estate=plan.estate).order_by("-held_on", "-pk"),
            "discussed": set(plan.meetings.values_list("pk", flat=True)),
            "can_link_meetings": manages,
        },
    )


# --- one URL and form per staff action ------------------------------------------------------


# "216,000" and "1,234.5": commas only between groups of three digits.
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def _decimal(value: str, label: str) -> Decimal:
    """A number as people type it: full-width digits and commas, thousands separators, a
    trailing 元; empty is 0."""
    text = unicodedata.normalize("NFKC", value or "").strip().removesuffix("元").strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    try:
        number = Decimal(text or "0")
    except InvalidOperation:
        raise DomainError(_("%(f)s不是数字。") % {"f": label}) from None
    if not number.is_finite():
        raise DomainError(_("%(f)s不是数字。") % {"f": label})
    return number


def _date(value: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(_("%(f)s不是日期。") % {"f": label}) from None


def _demand(request: AuthenticatedRequest, plan: Plan, value: str) -> Demand:
    """A demand of the plan's estate, from a form."""
    return permitted_or_error(
        request.user,
        MANAGE_PLANS,
        Demand.objects.filter(estate=plan.estate),
        value,
        _("需求不属于这个小区。"),
    )


def _back(plan: Plan) -> HttpResponse:
    return redirect("decisions:plan_detail", plan_id=plan.pk)


@require_POST
@requires(MANAGE_PLANS, find=PLAN)
def plan_item_add(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    """Add an item: from a demand of the list, or with the reason it is done."""
    data = request.POST
    try:
        services.plan_item_add(
            plan=plan,
            actor=request.user,
            title=data.get("title", ""),
            quantity=_decimal(data.get("quantity", ""), _("数量")),
            unit=data.get("unit", ""),
            cost_yuan=_decimal(data.get("cost", ""), _("估算造价")),
            funding_yuan={
                k: _decimal(data.get(f"fund_{k}", ""), _("资金来源")) for k in FUNDING_SOURCES
            },
            demand=_demand(request, plan, data["demand"]) if data.get("demand") else None,
            reason=data.get("reason", ""),
            klass=data.get("klass", ""),
        )
        messages.success(request, _("已添加条目。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(plan)


@require_POST
@requires(MANAGE_PLANS, find=PLAN)
def plan_item_remove(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    try:
        item = permitted_or_error(
            request.user,
            MANAGE_PLANS,
            PlanItem.objects.filter(plan=plan).select_related("plan__estate"),
            request.POST.get("item"),
            _("条目不存在。"),
        )
        services.plan_item_remove(item=item, actor=request.user)
        messages.success(request, _("已删除条目。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(plan)


@require_POST
@requires(MANAGE_PLANS, find=PLAN)
def plan_exclude(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    """Say why a demand of the list is not in this plan."""
    try:
        services.plan_exclusion_set(
            plan=plan,
            demand=_demand(request, plan, request.POST.get("demand", "")),
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
        messages.success(request, _("已说明未列入的原因。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(plan)


@require_POST
@requires(MANAGE_PLANS, find=PLAN)
def plan_consult(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    """Put the draft to the residents between two dates."""
    try:
        services.plan_open_consultation(
            plan=plan,
            starts=_date(request.POST.get("starts", ""), _("开始日期")),
            ends=_date(request.POST.get("ends", ""), _("截止日期")),
            actor=request.user,
        )
        messages.success(request, _("方案已向居民征求意见。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(plan)


@require_POST
@requires(MANAGE_PLANS, find=PLAN)
def plan_publish(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    try:
        services.plan_publish(plan=plan, actor=request.user)
        messages.success(request, _("方案已公布。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(plan)


@require_POST
@requires(MANAGE_PLANS, find=PLAN)
def plan_meetings(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    """Record which of the estate's meetings discussed the plan."""
    try:
        message = _("会议不属于这个小区。")
        ids = object_pks(request.POST.getlist("meetings"), message, "meeting_estate")
        services.plan_meetings_set(plan=plan, meeting_ids=ids, actor=request.user)
        messages.success(request, _("已记录讨论过该方案的会议。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(plan)


# --- residents ---------------------------------------------------------------------------------


@require_GET
@requires(READ_PLANS, find=SHOWN_PLAN)
def plan_public(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    """The plan as residents read it, with the comment form during the consultation."""
    return render(
        request,
        "decisions/plan_public.html",
        {
            "view": selectors.plan_view(plan=plan),
            "can_comment": services.is_consulting(plan)
            and COMMENT_ON_PLANS.has(request.user, plan),
            "meetings": plan.meetings.filter(minutes_published_at__isnull=False).order_by(
                "held_on"
            ),
        },
    )


@require_POST
@requires(COMMENT_ON_PLANS, find=SHOWN_PLAN)
def plan_comment(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    try:
        item = None
        if request.POST.get("item"):
            item = permitted_or_error(
                request.user,
                COMMENT_ON_PLANS,
                PlanItem.objects.filter(plan=plan),
                request.POST["item"],
                _("条目不属于这个方案。"),
            )
        services.plan_comment(
            plan=plan, user=request.user, text=request.POST.get("text", ""), item=item
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("谢谢，您的意见已收到。"))
    return redirect("decisions:plan_public", plan_id=plan.pk)
