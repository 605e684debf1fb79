"""Reporting pages: the monthly progress report of a region (page and xlsx, with drill-down to
the child regions) and the project list as xlsx (docs/renovation.md, "Reporting").

The report is for the staff who keep a region's batches (``manage_batches``): its region is
the user's first top region or the one named by ``region`` (404 outside the scope), its
batch one of the batches holding estates of the region (404 otherwise).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import find_permitted, object_pk, requires
from xiaoqu.registry.models import Region
from xiaoqu.renovation import batches, report_xlsx, reports
from xiaoqu.renovation.models import Batch, ProjectStage
from xiaoqu.renovation.rules import MANAGE_BATCHES, VIEW_PROJECTS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ReportParams:
    region: Region
    year: int
    batch: Batch | None
    month: dt.date
    years: list[int]


def _month(value: str) -> dt.date:
    today = timezone.localdate()
    if not value:
        return today.replace(day=1)
    try:
        year, month = (int(part) for part in value.split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        raise DomainError(_("月份应为“年-月”，例如 2025-06。"), code="month") from None


def _year(value: str, years: list[int]) -> int:
    if not value:
        return years[0] if years else timezone.localdate().year
    if not value.isascii() or not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise DomainError(_("年度应在 2000 到 2100 之间。"), code="year")
    return int(value)


def _batch(region: Region, value: str) -> Batch | None:
    if not value:
        return None
    found = (
        Batch.objects.filter(entries__estate__region_path__startswith=region.path)
        .filter(pk=object_pk(value))
        .first()
    )
    if found is None:
        raise Http404
    return found


def _params(request: AuthenticatedRequest) -> ReportParams:
    """The report's region, year, batch and month; a bad year or month is said in a message
    and the default used, an id outside the scope is a 404."""
    data = request.GET
    if data.get("region"):
        region = find_permitted(request.user, MANAGE_BATCHES, Region.objects.all(), data["region"])
    else:
        found = batches.default_region(request.user)
        if found is None:
            raise Http404
        region = found
    years = reports.report_years(region)
    try:
        year = _year(data.get("year", ""), years)
    except DomainError as error:
        messages.error(request, error.message)
        year = years[0] if years else timezone.localdate().year
    try:
        month = _month(data.get("month", ""))
    except DomainError as error:
        messages.error(request, error.message)
        month = timezone.localdate().replace(day=1)
    batch = _batch(region, data.get("batch", ""))
    if batch is not None:
        year = batch.year
    return ReportParams(region, year, batch, month, years)


@require_GET
@requires(MANAGE_BATCHES)
def report(request: AuthenticatedRequest) -> HttpResponse:
    """The monthly progress report of a region, one line per child region."""
    params = _params(request)
    found = reports.monthly_report(
        region=params.region, year=params.year, batch=params.batch, month=params.month
    )
    trail = batches.batch_regions(request.user).filter(pk__in=batches.path_ids(params.region.path))
    return render(
        request,
        "renovation/reports/report.html",
        {
            "report": found,
            "params": params,
            "title": report_xlsx.report_title(found),
            "trail": list(trail.order_by("depth")),
            "years": sorted({*params.years, params.year}, reverse=True),
            "batches": reports.report_batches(params.region, params.year),
            "sources": found.sources(),
            "line_sources": [(line, found.sources(line)) for line in found.lines],
        },
    )


@require_GET
@requires(MANAGE_BATCHES)
def report_download(request: AuthenticatedRequest) -> HttpResponse:
    """The same report as an xlsx workbook."""
    params = _params(request)
    found = reports.monthly_report(
        region=params.region, year=params.year, batch=params.batch, month=params.month
    )
    response = HttpResponse(report_xlsx.report_xlsx(found), content_type=XLSX)
    name = _("%(region)s改造月报%(month)s.xlsx") % {
        "region": params.region.name,
        "month": params.month.strftime("%Y-%m"),
    }
    ascii_name = f"renovation-report-{params.region.pk}-{params.month:%Y-%m}.xlsx"
    response["Content-Disposition"] = report_xlsx.attachment(name, ascii_name)
    return response


@require_GET
@requires(VIEW_PROJECTS)
def project_list_download(request: AuthenticatedRequest) -> HttpResponse:
    """The projects in the user's scope (filtered by stage like the list) as xlsx."""
    stage = request.GET.get("stage", "")
    rows = reports.project_rows(request.user, stage if stage in ProjectStage.values else "")
    response = HttpResponse(report_xlsx.project_list_xlsx(rows), content_type=XLSX)
    today = timezone.localdate()
    response["Content-Disposition"] = report_xlsx.attachment(
        _("改造项目清单%(date)s.xlsx") % {"date": today.isoformat()},
        f"renovation-projects-{today.isoformat()}.xlsx",
    )
    return response
