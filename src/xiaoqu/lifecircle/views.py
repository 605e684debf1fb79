"""Life-circle pages: the standard, a region's analysis (progress, gap table, map), an
estate's report card with "turn this gap into a demand"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, find_permitted, requires
from xiaoqu.lifecircle import selectors, services
from xiaoqu.lifecircle.models import EstateAccess, FacilityType, RunStatus
from xiaoqu.lifecircle.rules import RUN_ANALYSIS, VIEW_LIFE_CIRCLE
from xiaoqu.needs.rules import MANAGE_DEMANDS
from xiaoqu.registry.models import Estate, Region
from xiaoqu.registry.selectors import region_roots

REGION = Lookup(Region, "region_id")
ESTATE = Lookup(Estate, "estate_id", select_related=("community",))


@require_GET
@requires(VIEW_LIFE_CIRCLE)
def standard(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "lifecircle/standard.html",
        {
            "types": FacilityType.objects.all(),
            "can_edit": request.user.is_staff,
            "roots": region_roots(user=request.user),
        },
    )


@require_GET
@requires(VIEW_LIFE_CIRCLE, find=REGION)
def region_analysis(request: AuthenticatedRequest, region: Region) -> HttpResponse:
    run = selectors.latest_run(region=region)
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        return render(request, "lifecircle/_progress.html", {"run": run, "region": region})
    table = None
    points = []
    if run is not None and run.status == RunStatus.DONE:
        estates = VIEW_LIFE_CIRCLE.scoped(request.user, Estate.objects.all())
        table = selectors.gap_table(run=run, estates=estates)
        points = [
            {
                "name": row.estate.name,
                "lat": float(row.estate.latitude),
                "lon": float(row.estate.longitude),
                "gaps": len(row.gaps),
                "url": reverse("lifecircle:estate_card", kwargs={"estate_id": row.estate.pk}),
            }
            for row in table.rows
            if row.estate.latitude is not None and row.estate.longitude is not None
        ]
    return render(
        request,
        "lifecircle/region.html",
        {
            "region": region,
            "run": run,
            "table": table,
            "points": points,
            "can_run": RUN_ANALYSIS.has(request.user, region),
        },
    )


@require_POST
@requires(RUN_ANALYSIS, find=REGION)
def analysis_start(request: AuthenticatedRequest, region: Region) -> HttpResponse:
    osm = request.FILES.get("osm")
    if osm is None:
        messages.error(request, _("请选择路网文件（OpenStreetMap 导出）。"))
        return redirect("lifecircle:region_analysis", region_id=region.pk)
    try:
        services.analysis_start(region=region, osm=osm, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("lifecircle:region_analysis", region_id=region.pk)


@require_GET
@requires(VIEW_LIFE_CIRCLE, find=ESTATE)
def estate_card(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    run, rows = selectors.report_card(estate=estate)
    return render(
        request,
        "lifecircle/estate_card.html",
        {
            "estate": estate,
            "run": run,
            "rows": rows,
            "can_demand": MANAGE_DEMANDS.has(request.user, estate),
        },
    )


@require_POST
@requires(MANAGE_DEMANDS, find=ESTATE)
def gap_demand(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    result = find_permitted(
        request.user,
        VIEW_LIFE_CIRCLE,
        EstateAccess.objects.filter(estate=estate).select_related("type", "estate"),
        request.POST.get("result"),
    )
    try:
        demand = services.gap_to_demand(result=result, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已加入需求清单：%(t)s") % {"t": demand.title})
    return redirect("lifecircle:estate_card", estate_id=estate.pk)
