"""Renovation plan pages: staff draw a plan up from the demand list and publish it, one URL
and form per action; residents read it, comment during the consultation and see which demands
it answers and why not.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, object_pks, permitted_or_error, requires
from xiaoqu.core.rates import RateLimited
from xiaoqu.decisions import selectors, services
from xiaoqu.decisions.forms import (
    ConsultationChangeForm,
    ConsultationForm,
    PlanBatchForm,
    PlanItemForm,
    PlanTitleForm,
)
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


def _render_list(
    request: AuthenticatedRequest,
    estate: Estate,
    form: PlanTitleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "decisions/plan_list.html",
        {
            "estate": estate,
            "plans": Plan.objects.filter(estate=estate).order_by("-version"),
            "can_manage": MANAGE_PLANS.has(request.user, estate),
            "form": form or PlanTitleForm(),
        },
        status=status,
    )


@require_GET
@requires(VIEW_PLANS, find=ESTATE)
def plan_list(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    return _render_list(request, estate)


@require_POST
@requires(MANAGE_PLANS, find=ESTATE)
def plan_new(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    form = PlanTitleForm(request.POST)
    if not form.is_valid():
        return _render_list(request, estate, form, status=400)
    try:
        plan = services.plan_create(
            estate=estate, title=form.cleaned_data["title"], actor=request.user
        )
    except DomainError as error:
        form.add_error("title", error.message)
        return _render_list(request, estate, form, status=400)
    return redirect("decisions:plan_detail", plan_id=plan.pk)


def _render_detail(
    request: AuthenticatedRequest,
    plan: Plan,
    *,
    item_form: PlanItemForm | None = None,
    consult_form: ConsultationForm | None = None,
    change_form: ConsultationChangeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The plan's page; a form that was sent with a mistake comes back with what was typed
    and its errors beside the fields (status 400)."""
    manages = MANAGE_PLANS.has(request.user, plan)
    today = timezone.localdate()
    view = selectors.plan_view(plan=plan)
    return render(
        request,
        "decisions/plan_detail.html",
        {
            "view": view,
            "can_manage": manages and plan.status != PlanStatus.PUBLISHED,
            "can_change_consultation": manages and plan.status == PlanStatus.CONSULTATION,
            "classes": DemandClass.choices,
            "comments": plan.comments.select_related("item").order_by("created_at"),
            "today": today,
            "meetings": Meeting.objects.filter(estate=plan.estate).order_by("-held_on", "-pk"),
            "discussed": set(plan.meetings.values_list("pk", flat=True)),
            "can_link_meetings": manages,
            "item_form": item_form or PlanItemForm(),
            "consult_form": consult_form
            or ConsultationForm(
                initial={
                    "starts": today,
                    "ends": today + dt.timedelta(days=settings.XIAOQU_PLAN_CONSULTATION_DAYS),
                }
            ),
            "change_form": change_form
            or ConsultationChangeForm(
                initial={"starts": plan.consultation_starts, "ends": plan.consultation_ends}
            ),
            "changes": selectors.consultation_changes(plan=plan),
            "min_days": settings.XIAOQU_PLAN_CONSULTATION_DAYS,
            "batch_candidates": len(view.unanswered) + len(view.excluded),
        },
        status=status,
    )


@require_GET
@requires(VIEW_PLANS, find=PLAN)
def plan_detail(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    return _render_detail(request, plan)


# --- one URL and form per staff action ------------------------------------------------------


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


# Which field of the item form a service error belongs to (anything else: the whole form).
ITEM_FIELDS = {
    "title": "title",
    "unit": "unit",
    "quantity": "quantity",
    "reason_required": "reason",
    "reason_long": "reason",
    "klass": "klass",
    "demand_estate": "demand",
    "demand_twice": "demand",
}


@require_POST
@requires(MANAGE_PLANS, find=PLAN)
def plan_item_add(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    """Add an item: from a demand of the list, or with the reason it is done. A mistake
    brings the page back with everything typed and the error beside its field."""
    if plan.status == PlanStatus.PUBLISHED:
        # The page shows no item form then: say it at the top instead.
        messages.error(request, _("已公布的方案不能修改，请新建一版。"))
        return _back(plan)
    form = PlanItemForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, plan, item_form=form, status=400)
    data = form.cleaned_data
    try:
        demand = _demand(request, plan, data["demand"]) if data["demand"] else None
    except DomainError as error:
        form.add_error("demand", error.message)
        return _render_detail(request, plan, item_form=form, status=400)
    try:
        services.plan_item_add(
            plan=plan,
            actor=request.user,
            title=data["title"],
            quantity=data["quantity"],
            unit=data["unit"],
            cost_yuan=data["cost"],
            funding_yuan={k: data[f"fund_{k}"] for k in FUNDING_SOURCES},
            demand=demand,
            reason=data["reason"],
            klass=data["klass"],
        )
    except DomainError as error:
        form.add_error(
            ITEM_FIELDS.get(error.code), forms.ValidationError(error.message, code=error.code)
        )
        return _render_detail(request, plan, item_form=form, status=400)
    messages.success(request, _("已添加条目。"))
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


# Which date a consultation error belongs to.
DATE_FIELDS = {
    "dates": "ends",
    "too_short": "ends",
    "ends_past": "ends",
    "started": "starts",
    "starts_past": "starts",
    "reason_required": "reason",
    "reason_long": "reason",
}


@require_POST
@requires(MANAGE_PLANS, find=PLAN)
def plan_consult(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    """Put the draft to the residents between two dates."""
    if plan.status != PlanStatus.DRAFT:
        messages.error(request, _("只有草拟中的方案可以征求意见。"))
        return _back(plan)
    form = ConsultationForm(request.POST)
    if form.is_valid():
        try:
            services.plan_open_consultation(
                plan=plan,
                starts=form.cleaned_data["starts"],
                ends=form.cleaned_data["ends"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_error(DATE_FIELDS.get(error.code), error.message)
        else:
            messages.success(request, _("方案已向居民征求意见。"))
            return _back(plan)
    return _render_detail(request, plan, consult_form=form, status=400)


@require_POST
@requires(MANAGE_PLANS, find=PLAN)
def plan_consultation_change(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    """Move the dates of the opened consultation, with the reason (shown with the plan)."""
    if plan.status != PlanStatus.CONSULTATION:
        messages.error(request, _("只有征求意见中的方案可以调整征求意见期。"))
        return _back(plan)
    form = ConsultationChangeForm(request.POST)
    if form.is_valid():
        try:
            services.plan_consultation_change(
                plan=plan,
                starts=form.cleaned_data["starts"],
                ends=form.cleaned_data["ends"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_error(DATE_FIELDS.get(error.code), error.message)
        else:
            messages.success(request, _("已调整征求意见期。"))
            return _back(plan)
    return _render_detail(request, plan, change_form=form, status=400)


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


# --- several demands at once -------------------------------------------------------------------


def _batch_candidates(plan: Plan) -> list[Demand]:
    """The estate's demands a batch may add: those the plan neither answers nor declines (left
    out with a reason or not yet dealt with), the most asked first."""
    view = selectors.plan_view(plan=plan)
    return [*view.unanswered, *(d for d, _reason in view.excluded)]


def _split_of(plan: Plan) -> dict[str, str]:
    """The plan's funding so far as a split in percent (two decimals, adding up to 100): the
    batch form's first guess; empty when the plan has no cost yet."""
    totals = {
        k: sum(getattr(i, f"fund_{k}_fen") for i in plan.items.all()) for k in FUNDING_SOURCES
    }
    total = sum(totals.values())
    if not total:
        return {}
    hundredths = services.split_fen(
        10_000, {k: Decimal(v) * 100 / total for k, v in totals.items()}
    )
    return {
        f"split_{k}": f"{Decimal(v) / 100:.2f}".rstrip("0").rstrip(".")
        for k, v in hundredths.items()
        if v
    }


def _render_batch(
    request: AuthenticatedRequest,
    plan: Plan,
    candidates: list[Demand],
    chosen: list[Demand],
    form: PlanBatchForm | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "decisions/plan_batch.html",
        {
            "plan": plan,
            "editable": plan.status != PlanStatus.PUBLISHED,
            "candidates": candidates,
            "chosen_ids": {d.pk for d in chosen},
            "form": form,
        },
        status=status,
    )


# Which field of a batch row a service error belongs to (others: beside the row).
BATCH_FIELDS = {"title": "title", "unit": "unit", "quantity": "quantity", "money": "cost"}


def _chosen(request: AuthenticatedRequest, data: Any, candidates: list[Demand]) -> list[Demand]:
    """The ticked demands (``d``) among those a batch may add, in the order of the list; a
    tick of anything else is left out with a message."""
    try:
        picked = object_pks(data.getlist("d"), _("所选需求不在可添加的需求中。"))
    except DomainError as error:
        messages.error(request, error.message)
        return []
    by_pk = {d.pk: d for d in candidates}
    if any(pk not in by_pk for pk in picked):
        messages.error(request, _("所选需求中有的已在方案中或不属于这个小区，已略去。"))
    return [by_pk[pk] for pk in picked if pk in by_pk]


def _refused(form: PlanBatchForm, chosen: list[Demand], refused: services.PlanItemsRefused) -> None:
    """Each wrong item's message beside its field, or beside its row."""
    form.add_error(None, refused.message)
    for n, error in refused.errors.items():
        field = BATCH_FIELDS.get(error.code)
        if field:
            form.add_error(f"{field}_{chosen[n].pk}", error.message)
        else:
            form.row_errors.setdefault(chosen[n].pk, []).append(error.message)


@require_http_methods(["GET", "POST"])
@requires(MANAGE_PLANS, find=PLAN)
def plan_items_batch(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    """Items for several demands at once: tick the demands (step 1), then give each its work,
    quantity and cost, and one funding split for them all (step 2); added all or nothing."""
    candidates = _batch_candidates(plan)
    if request.method != "POST":
        chosen = _chosen(request, request.GET, candidates)
        # Step 1 (tick the demands) until some are ticked, or when asked to tick again.
        if not chosen or request.GET.get("pick"):
            return _render_batch(request, plan, candidates, chosen, None)
        form = PlanBatchForm(demands=chosen, initial=_split_of(plan))
        return _render_batch(request, plan, candidates, chosen, form)
    chosen = _chosen(request, request.POST, candidates)
    form = PlanBatchForm(request.POST, demands=chosen)
    if not chosen:
        form.add_error(None, _("请至少选择一条需求。"))
    if not form.is_valid():
        return _render_batch(request, plan, candidates, chosen, form, status=400)
    items = [
        services.NewItem(
            demand=d,
            title=form.cleaned_data[f"title_{d.pk}"],
            quantity=form.cleaned_data[f"quantity_{d.pk}"],
            unit=form.cleaned_data[f"unit_{d.pk}"],
            cost_yuan=form.cleaned_data[f"cost_{d.pk}"],
        )
        for d in chosen
    ]
    try:
        added = services.plan_items_add(
            plan=plan, items=items, split=form.split(), actor=request.user
        )
    except services.PlanItemsRefused as refused:
        _refused(form, chosen, refused)
        return _render_batch(request, plan, candidates, chosen, form, status=400)
    except DomainError as error:
        form.add_error(None, error.message)
        return _render_batch(request, plan, candidates, chosen, form, status=400)
    messages.success(
        request,
        ngettext("已添加 %(n)d 个条目。", "已添加 %(n)d 个条目。", len(added)) % {"n": len(added)},
    )
    return _back(plan)


# --- residents ---------------------------------------------------------------------------------


@require_GET
@requires(READ_PLANS, find=SHOWN_PLAN)
def plan_public(request: AuthenticatedRequest, plan: Plan) -> HttpResponse:
    """The plan as residents read it, with the comment form during the consultation."""
    return _render_public(request, plan)


def _render_public(request: AuthenticatedRequest, plan: Plan, status: int = 200) -> HttpResponse:
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
            "changes": selectors.consultation_changes(plan=plan),
        },
        status=status,
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
    except RateLimited as error:
        messages.error(request, error.message)
        response = _render_public(request, plan, status=429)
        response["Retry-After"] = str(error.retry_after)
        return response
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("谢谢，您的意见已收到。"))
    return redirect("decisions:plan_public", plan_id=plan.pk)
