"""Dashboard pages: a region's figures at every level with charts, tables, drill-down and
exports; an estate's summary panel (docs/insights.md)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core import maps
from xiaoqu.core.policy import Lookup, requires
from xiaoqu.core.spreadsheets import xlsx_row
from xiaoqu.insights import selectors, tables
from xiaoqu.insights.rules import VIEW_INSIGHTS
from xiaoqu.lifecircle import map_selectors
from xiaoqu.registry.models import Estate, Region, RenovationStage
from xiaoqu.registry.selectors import region_roots
from xiaoqu.renovation.report_xlsx import attachment

REGION = Lookup(Region, "region_id")
ESTATE = Lookup(Estate, "estate_id", select_related=("community",))


@require_GET
@requires(VIEW_INSIGHTS)
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The dashboard of the user's region; with several, the list to choose from."""
    roots = region_roots(user=request.user)
    if len(roots) == 1:
        return redirect("insights:region", region_id=roots[0].region.pk)
    return render(request, "insights/home.html", {"roots": roots})


def _crumbs(user: object, region: Region) -> list[tuple[str, str | None]]:
    """Ancestors the user may open, as links; the ones above the scope as plain names."""
    visible = set(VIEW_INSIGHTS.scoped(user, region.ancestors()).values_list("pk", flat=True))
    return [
        (
            r.name,
            reverse("insights:region", kwargs={"region_id": r.pk}) if r.pk in visible else None,
        )
        for r in region.ancestors()
        if r.pk != region.pk
    ]


# Above this many estates the map is left out (a province's 6,000 dots help nobody).
MAP_ESTATES = 2000


def _map(region: Region) -> dict[str, Any]:
    """Estates of the region coloured by stage on the street network the newest life-circle
    analysis covering the region read (docs/maps.md)."""
    colours = maps.stage_colours(RenovationStage.choices)
    labels = {v: str(label) for v, label in RenovationStage.choices}
    base = reverse("insights:estate", kwargs={"estate_id": 0}).removesuffix("0/")
    rows = Estate.objects.filter(
        region_path__startswith=region.path, latitude__isnull=False, longitude__isnull=False
    ).values_list("pk", "name", "stage", "latitude", "longitude")
    estates: list[dict[str, Any]] = [
        {
            "lat": lat,
            "lon": lon,
            "name": name,
            "stage": stage,
            "colour": colours.get(stage, maps.STAGE_PALETTE[0]),
            "tip": f"{name} · {labels.get(stage, stage)}",
            "url": f"{base}{pk}/",
        }
        for pk, name, stage, lat, lon in rows[:MAP_ESTATES]
    ]
    run = map_selectors.network_run(region=region)
    return maps.map_payload(
        lines=map_selectors.lines_url(region.pk, run),
        estates=estates,
        legend=map_selectors.stage_legend(e["stage"] for e in estates),
        osm=run is not None,
    )


@require_GET
@requires(VIEW_INSIGHTS, find=REGION)
def region(request: AuthenticatedRequest, region: Region) -> HttpResponse:
    figures, kids = selectors.region_figures(region)
    shown = tables.region_tables(figures, kids)
    small = 0 < figures.estates <= MAP_ESTATES
    return render(
        request,
        "insights/region.html",
        {
            "region": region,
            "figures": figures,
            "tables": shown,
            "charts": [t.chart_json() for t in shown],
            "crumbs": _crumbs(request.user, region),
            "map": _map(region) if small else None,
            "map_left_out": figures.estates > MAP_ESTATES,
        },
    )


def _xlsx(name: str, shown: list[tables.Table], only: str | None) -> HttpResponse:
    book = Workbook(write_only=True)
    picked = [t for t in shown if only in (None, "", t.key)]
    for table in picked:
        sheet = book.create_sheet(table.title[:31].replace("/", "、"))
        sheet.append(xlsx_row(sheet, [name]))
        sheet.append(xlsx_row(sheet, table.columns))
        for row in table.rows:
            sheet.append(xlsx_row(sheet, row))
        if table.note:
            sheet.append(xlsx_row(sheet, [table.note]))
    out = BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    suffix = f"-{picked[0].key}" if only and picked else ""
    response["Content-Disposition"] = attachment(
        f"{name}{_('汇总')}{suffix}.xlsx", f"rollup{suffix}.xlsx"
    )
    return response


@require_GET
@requires(VIEW_INSIGHTS, find=REGION)
def region_export(request: AuthenticatedRequest, region: Region) -> HttpResponse:
    """The region's tables as one workbook, or the one named by ``?table=``."""
    figures, kids = selectors.region_figures(region)
    shown = tables.region_tables(figures, kids)
    only = request.GET.get("table") or None
    if only is not None and all(t.key != only for t in shown):
        return HttpResponse(_("没有这张表。"), status=404, content_type="text/plain; charset=utf-8")
    return _xlsx(region.name, shown, only)


def _estate_context(estate: Estate) -> dict[str, object]:
    figures = selectors.estate_figures(estate)
    shown = tables.estate_tables(figures)
    return {
        "estate": estate,
        "figures": figures,
        "tables": shown,
        "charts": [t.chart_json() for t in shown],
        "panel": selectors.estate_panel(estate),
    }


@require_GET
@requires(VIEW_INSIGHTS, find=ESTATE)
def estate(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """The estate's summary panel; the bare panel for htmx (the estate's register page loads
    it), the whole page with its charts otherwise."""
    context = _estate_context(estate)
    if request.headers.get("HX-Request"):
        return render(request, "insights/_estate_panel.html", context)
    context["crumbs"] = _crumbs(request.user, estate.community) + [
        (
            estate.community.name,
            reverse("insights:region", kwargs={"region_id": estate.community_id})
            if VIEW_INSIGHTS.has(request.user, estate.community)
            else None,
        )
    ]
    return render(request, "insights/estate.html", context)


@require_GET
@requires(VIEW_INSIGHTS, find=ESTATE)
def estate_export(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    shown = tables.estate_tables(selectors.estate_figures(estate))
    only = request.GET.get("table") or None
    if only is not None and all(t.key != only for t in shown):
        return HttpResponse(_("没有这张表。"), status=404, content_type="text/plain; charset=utf-8")
    return _xlsx(estate.name, shown, only)
