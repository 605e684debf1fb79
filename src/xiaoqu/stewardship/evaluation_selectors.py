"""Reads of the monthly evaluation (业委评议) and the monthly reports: which body a month
evaluates, the month's work-order figures, the reports of an estate, what residents see, and
the ranking of a street's estates. The arithmetic is ``stewardship.evaluation_score``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoqu.registry.models import Estate, Region, RegionLevel
from xiaoqu.stewardship import evaluation_score as score
from xiaoqu.stewardship.models import (
    Evaluation,
    EvaluationCriterion,
    ManagementBody,
    MonthlyReport,
    Party,
    WorkOrder,
    WorkOrderEvent,
)
from xiaoqu.stewardship.rules import VIEW_RANKINGS
from xiaoqu.stewardship.services.bodies import COMMITTEE_KINDS

REPORT_RELATED = (
    "estate",
    "body",
    "evaluation",
    "evaluation__body",
    "evaluation__evaluated_by",
    "published_by",
)
# How the pages name the parts of the composite score.
PART_LABELS = {
    score.EVALUATION: _("业委评议得分率"),
    score.ON_TIME: _("按时办结率"),
    score.REOPEN: _("一次办好率"),
    score.RATINGS: _("居民评价"),
}


def evaluating_party(body: ManagementBody) -> str:
    """Who evaluates ``body``: 业委评议, or 社区落实 when the body is itself a 自管会 or 业委会
    (a committee does not score itself)."""
    return Party.COMMUNITY if body.kind in COMMITTEE_KINDS else Party.OWNERS


def this_month() -> dt.date:
    return score.first_day(timezone.localdate())


def bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return score.month_bounds(month, timezone.get_default_timezone())


def _overlapping(month: dt.date) -> Q:
    """Bodies that managed on at least one day of the month."""
    return Q(started_on__lte=score.last_day(month)) & (
        Q(ended_on=None) | Q(ended_on__gte=score.first_day(month))
    )


def month_body(estate: Estate, month: dt.date) -> ManagementBody | None:
    """The body a month's evaluation and report are about: the one managing on the month's
    last day (for the current month: today); if none managed then, the last one that managed
    during the month; None when no body managed the estate in the month."""
    month = score.first_day(month)
    day = min(score.last_day(month), timezone.localdate())
    bodies = list(
        ManagementBody.objects.filter(_overlapping(month), estate=estate, started_on__lte=day)
        .select_related("estate")
        .order_by("-started_on")
    )
    for body in bodies:
        if body.ended_on is None or body.ended_on >= day:
            return body
    return bodies[0] if bodies else None


def estates_managed_in(month: dt.date) -> QuerySet[Estate]:
    """The estates some body managed during the month."""
    estate_ids = ManagementBody.objects.filter(_overlapping(month)).values("estate_id")
    return Estate.objects.filter(pk__in=estate_ids).order_by("pk")


def active_criteria() -> list[EvaluationCriterion]:
    return list(EvaluationCriterion.objects.filter(active=True).order_by("order", "code"))


def evaluation_of(estate: Estate, month: dt.date) -> Evaluation | None:
    return (
        Evaluation.objects.filter(estate=estate, month=score.first_day(month))
        .select_related("body", "evaluated_by")
        .first()
    )


def report_of(estate: Estate, month: dt.date) -> MonthlyReport | None:
    return (
        MonthlyReport.objects.filter(estate=estate, month=score.first_day(month))
        .select_related(*REPORT_RELATED)
        .first()
    )


def score_lines(evaluation: Evaluation | None) -> list[dict[str, Any]]:
    """The evaluation's lines in the form's order: name, points given, full points."""
    if evaluation is None:
        return []
    lines = [
        {"code": code, **line} for code, line in evaluation.scores.items() if isinstance(line, dict)
    ]
    return sorted(lines, key=lambda line: (line.get("order", 0), line["code"]))


# --- the month's work orders ------------------------------------------------------------------


def month_figures(estate: Estate, month: dt.date) -> score.Figures:
    """The work-order figures of the estate's month (definitions: ``evaluation_score``)."""
    start, end = bounds(month)
    kinds = score.EVENT_KINDS
    touched = WorkOrderEvent.objects.filter(
        order__estate=estate, kind__in=kinds, at__gte=start, at__lt=end
    ).values("order_id")
    orders = [
        score.OrderRow(*row)
        for row in WorkOrder.objects.filter(estate=estate)
        .filter(
            Q(created_at__gte=start, created_at__lt=end)
            | Q(resolved_at__gte=start, resolved_at__lt=end)
            | Q(pk__in=touched)
        )
        .order_by()
        .values_list("pk", "created_at", "due_at", "resolved_at", "rating")
    ]
    events = [
        score.EventRow(*row)
        for row in WorkOrderEvent.objects.filter(
            order_id__in=[o.id for o in orders], kind__in=kinds, at__lt=end
        )
        .order_by()
        .values_list("order_id", "kind", "at")
    ]
    return score.order_figures(orders, events, start, end)


def report_composite(report: MonthlyReport) -> score.Composite:
    """The parts and score of a stored report (what the score rests on, for the pages)."""
    evaluation = report.evaluation
    return score.composite(
        evaluation_total=evaluation.total if evaluation else None,
        evaluation_full=evaluation.full if evaluation else None,
        closed=report.orders_closed,
        on_time=report.orders_on_time,
        reopened=report.orders_reopened,
        ratings=report.ratings,
        rating_average=report.rating_average,
    )


# --- lists --------------------------------------------------------------------------------------


def reports_of(estate: Estate) -> QuerySet[MonthlyReport]:
    return MonthlyReport.objects.filter(estate=estate).select_related(*REPORT_RELATED)


def published_reports(estate: Estate, limit: int = 12) -> list[MonthlyReport]:
    """What residents see: the estate's published reports, the latest first."""
    return list(reports_of(estate).filter(published_at__isnull=False).order_by("-month")[:limit])


def months_to_evaluate(estate: Estate, count: int = 12) -> list[dt.date]:
    """The months a form offers, the latest first: up to ``count`` months back from the
    current one, none before the estate's first body."""
    first = (
        ManagementBody.objects.filter(estate=estate)
        .order_by("started_on")
        .values_list("started_on", flat=True)
        .first()
    )
    months: list[dt.date] = []
    month = this_month()
    while first is not None and len(months) < count and month >= score.first_day(first):
        months.append(month)
        month = score.previous_month(month)
    return months


def street_of(estate: Estate) -> Region | None:
    """The street (街道) above the estate's community, if the tree has one."""
    ids = [int(part) for part in estate.region_path.strip("/").split("/") if part]
    return Region.objects.filter(pk__in=ids, level=RegionLevel.STREET).first()


def streets_for(user: Any) -> QuerySet[Region]:
    """The streets whose ranking the user may read (a scope holding the whole street)."""
    streets = Region.objects.filter(level=RegionLevel.STREET).order_by("path")
    return VIEW_RANKINGS.scoped(user, streets)


@dataclass
class RankRow:
    estate: Estate
    report: MonthlyReport | None
    rank: int | None
    composite: score.Composite | None


def ranking(street: Region, month: dt.date) -> list[RankRow]:
    """The estates of the street with their report of the month, ranked by score (the highest
    first; equal scores share a rank; estates without a score last, by name)."""
    estates = list(Estate.objects.filter(region_path__startswith=street.path).order_by("name"))
    reports = {
        r.estate_id: r
        for r in MonthlyReport.objects.filter(
            estate__in=estates, month=score.first_day(month)
        ).select_related("body", "evaluation")
    }
    rows = [
        RankRow(
            estate=e,
            report=reports.get(e.pk),
            rank=None,
            composite=report_composite(reports[e.pk]) if e.pk in reports else None,
        )
        for e in estates
    ]
    scores = [row.report.score if row.report else None for row in rows]
    for row, place in zip(rows, score.rank(scores), strict=True):
        row.rank = place
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.estate.name, r.estate.pk))


# --- a report as the pages show it --------------------------------------------------------------


@dataclass
class ReportView:
    report: MonthlyReport
    composite: score.Composite
    lines: list[dict[str, Any]]
    # The party that evaluated (residents see the party, never a person).
    evaluator: str
    parts: list[dict[str, Any]]


def report_view(report: MonthlyReport) -> ReportView:
    composite = report_composite(report)
    evaluation = report.evaluation
    evaluator = str(Party(evaluating_party(evaluation.body)).label) if evaluation else ""
    parts = [
        {
            "name": part.name,
            "label": PART_LABELS[part.name],
            "weight": part.weight,
            "percent": part.percent,
            "present": part.present,
        }
        for part in composite.parts
    ]
    return ReportView(report, composite, score_lines(evaluation), evaluator, parts)


def public_reports(estate: Estate, limit: int = 12) -> list[ReportView]:
    """The estate's published reports as residents read them, the latest first."""
    return [report_view(r) for r in published_reports(estate, limit)]
