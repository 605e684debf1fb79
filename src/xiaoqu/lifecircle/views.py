"""Life-circle pages: the standard, a region's analysis (progress, gap table, map), an
estate's report card with "turn this gap into a demand"."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import access_estate, access_region, visible_estates
from xiaoqu.lifecircle import selectors, services
from xiaoqu.lifecircle.models import EstateAccess, FacilityType, RunStatus


def standard(request):
    from xiaoqu.registry.selectors import region_roots

    return render(
        request,
        "lifecircle/standard.html",
        {
            "types": FacilityType.objects.all(),
            "can_edit": request.user.is_staff,
            "roots": region_roots(user=request.user),
        },
    )


def region_analysis(request, region_id):
    region = access_region(request.user, region_id)
    run = selectors.latest_run(region=region)
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        return render(request, "lifecircle/_progress.html", {"run": run, "region": region})
    table = None
    points = []
    if run is not None and run.status == RunStatus.DONE:
        table = selectors.gap_table(run=run, estates=visible_estates(request.user))
        points = [
            {
                "name": row.estate.name,
                "lat": float(row.estate.latitude),
                "lon": float(row.estate.longitude),
                "gaps": len(row.gaps),
                "url": reverse("lifecircle:estate_card", kwargs={"estate_id": row.estate.pk}),
            }
            for row in table.rows
            if row.estate.latitude is not None
        ]
    return render(
        request,
        "lifecircle/region.html",
        {
            "region": region,
            "run": run,
            "table": table,
            "points": points,
            "can_run": request.user.has_perm("lifecircle.run_analysis"),
        },
    )


@require_POST
def analysis_start(request, region_id):
    region = access_region(request.user, region_id)
    osm = request.FILES.get("osm")
    if osm is None:
        messages.error(request, _("请选择路网文件（OpenStreetMap 导出）。"))
        return redirect("lifecircle:region_analysis", region_id=region.pk)
    try:
        services.analysis_start(region=region, osm=osm, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("lifecircle:region_analysis", region_id=region.pk)


def estate_card(request, estate_id):
    estate = access_estate(request.user, estate_id)
    run, rows = selectors.report_card(estate=estate)
    return render(
        request,
        "lifecircle/estate_card.html",
        {
            "estate": estate,
            "run": run,
            "rows": rows,
            "can_demand": request.user.has_perm("needs.manage_demands"),
        },
    )


@require_POST
def gap_demand(request, estate_id):
    estate = access_estate(request.user, estate_id)
    try:
        pk = int(request.POST.get("result") or 0)
    except ValueError:
        pk = 0
    result = (
        EstateAccess.objects.filter(pk=pk, estate=estate).select_related("type", "estate").first()
    )
    if result is None:
        raise Http404
    try:
        demand = services.gap_to_demand(result=result, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已加入需求清单：%(t)s") % {"t": demand.title})
    return redirect("lifecircle:estate_card", estate_id=estate.pk)
