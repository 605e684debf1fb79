"""Renovation plan pages: staff draw a plan up from the demand list and publish it; residents
read it, comment during the consultation and see which demands it answers and why not.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import access_estate
from xiaoqu.decisions import selectors, services
from xiaoqu.decisions.models import Plan, PlanItem, PlanStatus
from xiaoqu.decisions.selectors import object_pk
from xiaoqu.meetings.models import Meeting
from xiaoqu.needs.models import Demand, DemandClass


def plan_list(request, estate_id):
    estate = access_estate(request.user, estate_id)
    return render(
        request,
        "decisions/plan_list.html",
        {
            "estate": estate,
            "plans": Plan.objects.filter(estate=estate).order_by("-version"),
            "can_manage": request.user.has_perm("decisions.manage_plans"),
        },
    )


@require_POST
def plan_new(request, estate_id):
    estate = access_estate(request.user, estate_id)
    try:
        plan = services.plan_create(
            estate=estate, title=request.POST.get("title", ""), actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("decisions:plan_list", estate_id=estate.pk)
    return redirect("decisions:plan_detail", plan_id=plan.pk)


def plan_detail(request, plan_id):
    plan = selectors.access_plan(request.user, plan_id)
    return render(
        request,
        "decisions/plan_detail.html",
        {
            "view": selectors.plan_view(plan=plan),
            "can_manage": request.user.has_perm("decisions.manage_plans")
            and plan.status != PlanStatus.PUBLISHED,
            "classes": DemandClass.choices,
            "comments": plan.comments.select_related("item").order_by("created_at"),
            "today": timezone.localdate(),
            "meetings": Meeting.objects.filter(estate=plan.estate).order_by("-held_on", "-pk"),
            "discussed": set(plan.meetings.values_list("pk", flat=True)),
            "can_link_meetings": request.user.has_perm("decisions.manage_plans"),
        },
    )


def _decimal(value: str, label: str) -> Decimal:
    try:
        return Decimal((value or "").strip() or "0")
    except InvalidOperation:
        raise DomainError(_("%(f)s不是数字。") % {"f": label}) from None


def _date(value: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(_("%(f)s不是日期。") % {"f": label}) from None


@require_POST
def plan_action(request, plan_id):
    """One staff action on a plan: add or remove an item, leave a demand out, consult, publish."""
    plan = selectors.access_plan(request.user, plan_id)
    data = request.POST
    action = data.get("action")
    try:
        if action == "add_item":
            demand = None
            if data.get("demand"):
                demand = Demand.objects.filter(
                    pk=object_pk(data["demand"]), estate=plan.estate
                ).first()
                if demand is None:
                    raise DomainError(_("需求不属于这个小区。"))
            services.plan_item_add(
                plan=plan,
                actor=request.user,
                title=data.get("title", ""),
                quantity=_decimal(data.get("quantity", ""), _("数量")),
                unit=data.get("unit", ""),
                cost_yuan=_decimal(data.get("cost", ""), _("估算造价")),
                funding_yuan={
                    k: _decimal(data.get(f"fund_{k}", ""), _("资金来源"))
                    for k in selectors.FUNDING_FIELDS
                },
                demand=demand,
                reason=data.get("reason", ""),
                klass=data.get("klass", ""),
            )
            messages.success(request, _("已添加条目。"))
        elif action == "remove_item":
            item = PlanItem.objects.filter(plan=plan, pk=object_pk(data.get("item"))).first()
            if item is None:
                raise DomainError(_("条目不存在。"))
            services.plan_item_remove(item=item, actor=request.user)
            messages.success(request, _("已删除条目。"))
        elif action == "exclude":
            demand = Demand.objects.filter(
                pk=object_pk(data.get("demand")), estate=plan.estate
            ).first()
            if demand is None:
                raise DomainError(_("需求不属于这个小区。"))
            services.plan_exclusion_set(
                plan=plan, demand=demand, reason=data.get("reason", ""), actor=request.user
            )
            messages.success(request, _("已说明未列入的原因。"))
        elif action == "consult":
            services.plan_open_consultation(
                plan=plan,
                starts=_date(data.get("starts", ""), _("开始日期")),
                ends=_date(data.get("ends", ""), _("截止日期")),
                actor=request.user,
            )
            messages.success(request, _("方案已向居民征求意见。"))
        elif action == "publish":
            services.plan_publish(plan=plan, actor=request.user)
            messages.success(request, _("方案已公布。"))
        elif action == "meetings":
            services.plan_meetings_set(
                plan=plan,
                meeting_ids=[object_pk(v) for v in data.getlist("meetings")],
                actor=request.user,
            )
            messages.success(request, _("已记录讨论过该方案的会议。"))
        else:
            raise DomainError(_("操作不正确。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("decisions:plan_detail", plan_id=plan.pk)


def plan_public(request, plan_id):
    """The plan as residents read it, with the comment form during the consultation."""
    plan = selectors.access_plan_public(request.user, plan_id)
    today = timezone.localdate()
    consulting = (
        plan.status == PlanStatus.CONSULTATION
        and plan.consultation_starts is not None
        and plan.consultation_ends is not None
        and plan.consultation_starts <= today <= plan.consultation_ends
    )
    return render(
        request,
        "decisions/plan_public.html",
        {
            "view": selectors.plan_view(plan=plan),
            "consulting": consulting,
            "meetings": plan.meetings.filter(minutes_published_at__isnull=False).order_by(
                "held_on"
            ),
        },
    )


@require_POST
def plan_comment(request, plan_id):
    plan = selectors.access_plan_public(request.user, plan_id)
    item = PlanItem.objects.filter(plan=plan, pk=object_pk(request.POST.get("item"))).first()
    try:
        services.plan_comment(
            plan=plan, user=request.user, text=request.POST.get("text", ""), item=item
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("谢谢，您的意见已收到。"))
    return redirect("decisions:plan_public", plan_id=plan.pk)
