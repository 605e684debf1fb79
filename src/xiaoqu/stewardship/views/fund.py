"""Pages of the maintenance fund: the estate's fund page for staff (balance, dwellings'
accounts, statement periods, uses with their basis, one form per action), the owners'
statement (the estate's totals for a period and the owner's own dwellings line by line) and
its A4 print for the notice board (counts and totals only).

Owners' names never appear on these pages; dwellings are named by number.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, object_pk, permitted_or_error, requires
from xiaoqu.decisions.models import Vote
from xiaoqu.decisions.rules import VIEW_VOTES
from xiaoqu.registry.models import Building, Dwelling, Entrance, Estate
from xiaoqu.stewardship import fund_selectors as selectors
from xiaoqu.stewardship.fund_ledger import Period
from xiaoqu.stewardship.models import FundWithdrawal
from xiaoqu.stewardship.rules import APPLY_FUND, MANAGE_FUND, READ_MANAGEMENT, VIEW_MANAGEMENT
from xiaoqu.stewardship.services import fund as services

ESTATE = Lookup(Estate, "estate_id")
WITHDRAWAL = Lookup(FundWithdrawal, "withdrawal_id", select_related=("estate",))


def _back(estate_id: int) -> HttpResponse:
    return redirect("stewardship:estate_fund", estate_id=estate_id)


def _posted_date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(_("请填写日期，如 2025-03-01。"), code="date") from None


def _targets(estate: Estate) -> list[tuple[str, str]]:
    """(value, label) of what a use may be charged to: the estate, a building, an entrance."""
    choices = [("estate", _("全小区"))]
    for b in Building.objects.filter(estate=estate).order_by("number"):
        choices.append((f"b{b.pk}", _("%(b)s栋") % {"b": b.number}))
    for e in Entrance.objects.filter(building__estate=estate).select_related("building"):
        choices.append(
            (f"e{e.pk}", _("%(b)s栋%(e)s单元") % {"b": e.building.number, "e": e.number})
        )
    return choices


def _target_dwellings(estate: Estate, target: str | None) -> list[Dwelling]:
    """The dwellings of the chosen target (the estate, a building ``b<id>``, an entrance
    ``e<id>``) of this estate; anything else is bad input."""
    value = (target or "").strip()
    qs = Dwelling.objects.filter(estate=estate)
    try:
        if value == "estate":
            pass
        elif value.startswith("b"):
            qs = qs.filter(building_id=object_pk(value[1:]))
        elif value.startswith("e"):
            qs = qs.filter(entrance_id=object_pk(value[1:]))
        else:
            raise ValueError
    except (ValueError, Http404):
        raise DomainError(_("请选择受益的房屋范围。"), code="target") from None
    dwellings = list(qs)
    if not dwellings:
        raise DomainError(_("请选择受益的房屋范围。"), code="target")
    return dwellings


@require_GET
@requires(VIEW_MANAGEMENT, find=ESTATE)
def estate_fund(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """The estate's fund: balance, statement periods, uses, dwellings' accounts, forms."""
    user = request.user
    totals = selectors.dwelling_totals(estate)
    labels = {
        d.pk: d
        for d in Dwelling.objects.filter(estate=estate).select_related("building", "entrance")
    }
    can_manage = MANAGE_FUND.has(user, estate)
    can_apply = APPLY_FUND.has(user, estate)
    context: dict[str, object] = {
        "estate": estate,
        "total": selectors.estate_totals(estate),
        "history": selectors.period_history(estate),
        "withdrawals": selectors.withdrawals(estate),
        "dwellings": [(labels[pk], t) for pk, t in totals.items()],
        "can_manage": can_manage,
        "can_apply": can_apply,
        "can_approve": can_manage and services.may_approve(user, estate),
        "per_year": selectors.per_year(),
        "today": timezone.localdate().isoformat(),
    }
    if can_manage or can_apply:
        context["targets"] = _targets(estate)
        context["cases"] = services.emergency_cases()
    if can_manage:
        context["votes"] = VIEW_VOTES.scoped(
            user, Vote.objects.filter(estate=estate, matter=services.FUND_USE_MATTER)
        ).order_by("-pk")
    return render(request, "stewardship/fund/estate_fund.html", context)


def _try(request: AuthenticatedRequest, done: str, action) -> None:
    try:
        action()
        messages.success(request, done)
    except DomainError as error:
        messages.error(request, error.message)


@require_POST
@requires(MANAGE_FUND, find=ESTATE)
def fund_deposits(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    data = request.POST
    _try(
        request,
        _("已按交存标准为每户记录交存。"),
        lambda: services.deposits_record(
            estate=estate,
            rate_yuan_per_m2=data.get("rate", ""),
            on=_posted_date(data.get("on")),
            note=data.get("note", ""),
            actor=request.user,
        ),
    )
    return _back(estate.pk)


@require_POST
@requires(MANAGE_FUND, find=ESTATE)
def fund_interest(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    data = request.POST
    _try(
        request,
        _("已按各户余额分配利息。"),
        lambda: services.interest_record(
            estate=estate,
            amount=data.get("amount", ""),
            rate_percent=data.get("rate_percent", ""),
            on=_posted_date(data.get("on")),
            actor=request.user,
        ),
    )
    return _back(estate.pk)


@require_POST
@requires(MANAGE_FUND, find=ESTATE)
def fund_withdraw(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    data = request.POST

    def act() -> None:
        vote = None
        if (data.get("vote") or "").strip():
            vote = permitted_or_error(
                request.user,
                VIEW_VOTES,
                Vote.objects.all(),
                data.get("vote"),
                _("表决不存在。"),
                code="vote",
            )
        services.withdrawal_by_vote(
            estate=estate,
            title=data.get("title", ""),
            amount=data.get("amount", ""),
            dwellings=_target_dwellings(estate, data.get("target")),
            vote=vote,
            on=_posted_date(data.get("on")),
            actor=request.user,
        )

    _try(request, _("已记录维修资金使用，并按专有面积分摊到受益房屋。"), act)
    return _back(estate.pk)


@require_POST
@requires(APPLY_FUND, find=ESTATE)
def fund_emergency_apply(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    data = request.POST
    _try(
        request,
        _("已提交应急使用申请，待街道或住建部门审核。"),
        lambda: services.withdrawal_emergency_apply(
            estate=estate,
            title=data.get("title", ""),
            amount=data.get("amount", ""),
            reason=data.get("reason", ""),
            actor=request.user,
        ),
    )
    return _back(estate.pk)


@require_POST
@requires(MANAGE_FUND, find=WITHDRAWAL)
def fund_emergency_approve(
    request: AuthenticatedRequest, withdrawal: FundWithdrawal
) -> HttpResponse:
    data = request.POST
    _try(
        request,
        _("已审核同意应急使用，并按专有面积分摊到受益房屋；请事后公示。"),
        lambda: services.withdrawal_emergency_approve(
            withdrawal=withdrawal,
            dwellings=_target_dwellings(withdrawal.estate, data.get("target")),
            on=_posted_date(data.get("on")),
            actor=request.user,
        ),
    )
    return _back(withdrawal.estate_id)


@require_POST
@requires(VIEW_MANAGEMENT, find=WITHDRAWAL)
def fund_withdrawal_publish(
    request: AuthenticatedRequest, withdrawal: FundWithdrawal
) -> HttpResponse:
    """Publish an approved emergency use (the service checks APPLY_FUND or MANAGE_FUND)."""
    _try(
        request,
        _("已向业主公示这项应急使用。"),
        lambda: services.withdrawal_publish(withdrawal=withdrawal, actor=request.user),
    )
    return _back(withdrawal.estate_id)


# --- owners -------------------------------------------------------------------------------------


def _statement_context(estate: Estate, period: Period) -> dict[str, object]:
    return {
        "estate": estate,
        "period": period,
        "previous": period.previous(),
        "next": None if period.end > timezone.localdate() else period.following(),
        "statement": selectors.estate_statement(estate, period),
        "withdrawals": selectors.withdrawals(estate, period, approved_only=True),
        "dwelling_count": Dwelling.objects.filter(estate=estate).count(),
        "per_year": period.per_year,
    }


@require_GET
@requires(READ_MANAGEMENT, find=ESTATE)
def fund_statement(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """The owners' statement: the estate's totals for the period and the signed-in owner's own
    dwellings line by line."""
    period = selectors.period_from(request.GET.get("period"))
    context = _statement_context(estate, period)
    context["mine"] = selectors.owner_statement(request.user, estate, period)
    return render(request, "stewardship/fund/statement.html", context)


@require_GET
@requires(READ_MANAGEMENT, find=ESTATE)
def fund_statement_print(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """The estate's statement on A4 for the notice board: counts and totals only."""
    context = _statement_context(estate, selectors.period_from(request.GET.get("period")))
    context["printed_on"] = timezone.localdate()
    return render(request, "stewardship/fund/statement_print.html", context)
