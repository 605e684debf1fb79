"""The monthly evaluation (业委评议) and reports: the evaluation form of an estate and month,
the estate's reports for staff (compute, publish), one report, and the ranking of a street's
estates. What residents see of published reports is on the estate's 谁在管理 page
(``views.bodies.estate_manager_public``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, find_permitted, requires
from xiaoqu.registry.models import Estate, Region
from xiaoqu.stewardship import evaluation_score as score
from xiaoqu.stewardship import evaluation_selectors as selectors
from xiaoqu.stewardship.models import EvaluationCriterion, MonthlyReport, Party
from xiaoqu.stewardship.rules import (
    EVALUATE,
    PUBLISH_REPORTS,
    VIEW_MANAGEMENT,
    VIEW_RANKINGS,
)
from xiaoqu.stewardship.services import evaluation as services

ESTATE = Lookup(Estate, "estate_id")
REPORT = Lookup(MonthlyReport, "report_id", select_related=selectors.REPORT_RELATED)


def _month(value: str | None, default: dt.date) -> dt.date:
    try:
        return score.parse_month(value or "")
    except ValueError:
        return default


def _default_month(months: list[dt.date]) -> dt.date:
    """Last month when the form offers it (evaluations are made early in the next month)."""
    last = score.previous_month(selectors.this_month())
    return last if last in months else selectors.this_month()


# --- the evaluation form ------------------------------------------------------------------------


def _form(
    request: AuthenticatedRequest,
    estate: Estate,
    month: dt.date,
    *,
    values: dict[str, Any] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    months = selectors.months_to_evaluate(estate)
    body = selectors.month_body(estate, month) if month <= selectors.this_month() else None
    evaluation = selectors.evaluation_of(estate, month)
    report = selectors.report_of(estate, month)
    given = {line["code"]: line["score"] for line in selectors.score_lines(evaluation)}
    comment = evaluation.comment if evaluation else ""
    if values is not None:
        given = {
            code[len("score-") :]: v for code, v in values.items() if code.startswith("score-")
        }
        comment = values.get("comment", "")
    criteria = [
        {"criterion": c, "value": given.get(c.code, "")} for c in selectors.active_criteria()
    ]
    may = body is not None and services.may_evaluate(user, estate, body)
    context = {
        "estate": estate,
        "month": month,
        "month_key": score.month_key(month),
        "months": [(score.month_key(m), m) for m in months],
        "body": body,
        "party": Party(selectors.evaluating_party(body)).label if body else "",
        "may": may,
        "why": services.refusal(user, estate, body) if body is not None and not may else "",
        "criteria": criteria,
        "full": sum(c.points for c in selectors.active_criteria()),
        "comment": comment,
        "evaluation": evaluation,
        "frozen": bool(report and report.published_at),
        "error": error,
        "can_view_reports": VIEW_MANAGEMENT.has(user, estate),
    }
    return render(request, "stewardship/evaluation/evaluation_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires(EVALUATE, find=ESTATE)
def evaluation_form(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """业委评议 — score the managing body for a month, criterion by criterion (phone-usable)."""
    if not EvaluationCriterion.objects.exists():
        services.criteria_ensure()
    if request.method != "POST":
        months = selectors.months_to_evaluate(estate)
        return _form(request, estate, _month(request.GET.get("month"), _default_month(months)))
    data = request.POST
    try:
        month = score.parse_month(data.get("month", ""))
    except ValueError:
        return _form(
            request,
            estate,
            selectors.this_month(),
            values=data.dict(),
            error=_("请选择评议的月份。"),
            status=400,
        )
    scores = {
        key[len("score-") :]: value for key, value in data.items() if key.startswith("score-")
    }
    try:
        services.evaluation_submit(
            estate=estate,
            month=month,
            scores=scores,
            comment=data.get("comment", ""),
            actor=request.user,
        )
    except DomainError as error:
        return _form(request, estate, month, values=data.dict(), error=error.message, status=400)
    messages.success(
        request,
        _("已提交 %(month)s 的评议。报告公开前可以修改。") % {"month": score.month_key(month)},
    )
    url = reverse("stewardship:evaluation_form", kwargs={"estate_id": estate.pk})
    return redirect(f"{url}?month={score.month_key(month)}")


# --- the estate's reports (staff) ---------------------------------------------------------------


@require_GET
@requires(VIEW_MANAGEMENT, find=ESTATE)
def estate_reports(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    user = request.user
    street = selectors.street_of(estate)
    rows = [selectors.report_view(r) for r in selectors.reports_of(estate).order_by("-month")]
    months = selectors.months_to_evaluate(estate)
    return render(
        request,
        "stewardship/evaluation/estate_reports.html",
        {
            "estate": estate,
            "rows": rows,
            "months": [(score.month_key(m), m) for m in months],
            "default_month": score.month_key(_default_month(months)),
            "can_compute": PUBLISH_REPORTS.has(user, estate),
            "can_evaluate": EVALUATE.has(user, estate),
            "street": street if street and VIEW_RANKINGS.has(user, street) else None,
        },
    )


@require_GET
@requires(VIEW_MANAGEMENT, find=REPORT)
def report_detail(request: AuthenticatedRequest, report: MonthlyReport) -> HttpResponse:
    user = request.user
    view = selectors.report_view(report)
    street = selectors.street_of(report.estate)
    return render(
        request,
        "stewardship/evaluation/report_detail.html",
        {
            "estate": report.estate,
            "view": view,
            "report": report,
            "month_key": score.month_key(report.month),
            "month_over": report.month < selectors.this_month(),
            "can_publish": PUBLISH_REPORTS.has(user, report),
            "can_evaluate": EVALUATE.has(user, report.estate),
            "street": street if street and VIEW_RANKINGS.has(user, street) else None,
        },
    )


@require_POST
@requires(PUBLISH_REPORTS, find=ESTATE)
def report_compute(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    try:
        month = score.parse_month(request.POST.get("month", ""))
    except ValueError:
        messages.error(request, _("请选择月份。"))
        return redirect("stewardship:estate_reports", estate_id=estate.pk)
    try:
        report = services.report_compute(estate=estate, month=month)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("stewardship:estate_reports", estate_id=estate.pk)
    messages.success(
        request, _("已统计 %(month)s 的管理报告。") % {"month": score.month_key(month)}
    )
    return redirect("stewardship:report_detail", report_id=report.pk)


@require_POST
@requires(PUBLISH_REPORTS, find=REPORT)
def report_publish(request: AuthenticatedRequest, report: MonthlyReport) -> HttpResponse:
    try:
        services.report_publish(report=report, actor=request.user)
        messages.success(request, _("报告已向本小区居民公开，评议和统计数据不再变动。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("stewardship:report_detail", report_id=report.pk)


# --- the street's ranking -----------------------------------------------------------------------


@require_GET
@requires(VIEW_RANKINGS)
def street_ranking(request: AuthenticatedRequest) -> HttpResponse:
    """The estates of a street ranked by the month's score (street staff and above)."""
    user = request.user
    streets = list(selectors.streets_for(user).select_related("parent"))
    chosen = request.GET.get("street")
    street: Region | None
    if chosen:
        street = find_permitted(user, VIEW_RANKINGS, selectors.streets_for(user), chosen)
    else:
        street = streets[0] if streets else None
    month = _month(request.GET.get("month"), score.previous_month(selectors.this_month()))
    month = min(month, selectors.this_month())
    months = [selectors.this_month()]
    while len(months) < 12:
        months.append(score.previous_month(months[-1]))
    return render(
        request,
        "stewardship/evaluation/street_ranking.html",
        {
            "streets": streets,
            "street": street,
            "month": month,
            "month_key": score.month_key(month),
            "months": [(score.month_key(m), m) for m in months],
            "rows": selectors.ranking(street, month) if street else [],
        },
    )
