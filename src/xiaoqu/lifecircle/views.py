"""Life-circle pages: the standard, a region's analysis (progress, gap table, map), an
estate's report card with "turn this gap into a demand"."""

from __future__ import annotations

import math

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.accounts.models import Role
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, find_permitted, requires
from xiaoqu.lifecircle import map_selectors, network_lines, selectors, services
from xiaoqu.lifecircle.models import EstateAccess, FacilityType, RunStatus
from xiaoqu.lifecircle.rules import ANALYSIS_ROLES, RUN_ANALYSIS, VIEW_LIFE_CIRCLE
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
    # A region without an analysis of its own shows its part of one of a region above it.
    covering = selectors.covering_run(region=region) if run is None else None
    run = run or covering
    if request.headers.get("HX-Request") and request.GET.get("part") == "progress":
        return render(request, "lifecircle/_progress.html", {"run": run, "region": region})
    table = None
    gap_map = None
    left_out: list[selectors.LeftOutRow] = []
    if run is not None and run.status == RunStatus.DONE:
        estates = VIEW_LIFE_CIRCLE.scoped(
            request.user, Estate.objects.filter(region_path__startswith=region.path)
        )
        table = selectors.gap_table(run=run, estates=estates)
        left_out = selectors.left_out(run=run, estates=estates)
        gap_map = map_selectors.region_map(region=region, table=table)
    return render(
        request,
        "lifecircle/region.html",
        {
            "region": region,
            "run": run,
            "covering": covering,
            "table": table,
            "gap_map": gap_map,
            "left_out": left_out,
            "can_run": RUN_ANALYSIS.has(request.user, region),
            # A region's subtree lies in the scope of anyone who may see the region.
            "children": list(region.children.order_by("code", "name").only("pk", "name")),
        },
    )


@require_GET
@requires(VIEW_LIFE_CIRCLE, find=REGION)
@gzip_page
def region_network(request: AuthenticatedRequest, region: Region) -> HttpResponse:
    """The street network the region's newest finished analysis read, as GeoJSON lines
    simplified for ``zoom`` and limited to ``bbox`` (west,south,east,north as on the map)."""
    try:
        zoom = _zoom(request.GET.get("zoom"))
        bbox = _bbox(request.GET.get("bbox"))
    except ValueError as error:
        return JsonResponse({"error": str(error), "code": "invalid"}, status=400)
    document = map_selectors.network_geojson(region=region, zoom=zoom, bbox=bbox)
    response = JsonResponse(document, json_dumps_params={"separators": (",", ":")})
    response["Cache-Control"] = "private, max-age=600"
    return response


def _zoom(value: str | None) -> int:
    """The zoom level asked for (13 when not given), within the levels the maps use."""
    if value is None or value == "":
        return 13
    try:
        zoom = int(value)
    except ValueError:
        raise ValueError(_("zoom 应为整数")) from None
    lowest, highest = network_lines.MIN_ZOOM, network_lines.MAX_ZOOM
    if not lowest <= zoom <= highest:
        raise ValueError(_("zoom 应在 %(a)d 到 %(b)d 之间") % {"a": lowest, "b": highest})
    return zoom


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """west,south,east,north in degrees, or None when not given."""
    if value is None or value == "":
        return None
    message = _("bbox 应为“西,南,东,北”四个经纬度数值")
    parts = value.split(",")
    if len(parts) != 4:
        raise ValueError(message)
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise ValueError(message) from None
    finite = all(math.isfinite(v) for v in (west, south, east, north))
    if not finite or not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise ValueError(message)
    return west, south, east, north


@require_POST
@requires(RUN_ANALYSIS, find=REGION)
def analysis_start(request: AuthenticatedRequest, region: Region) -> HttpResponse:
    osm = request.FILES.get("osm")
    if osm is None:
        messages.error(request, _("请选择路网文件（OpenStreetMap 导出或 GeoJSON 道路图层）。"))
        return redirect("lifecircle:region_analysis", region_id=region.pk)
    try:
        services.analysis_start(region=region, osm=osm, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("lifecircle:region_analysis", region_id=region.pk)


@require_POST
@requires(RUN_ANALYSIS, find=REGION)
def facilities_import(request: AuthenticatedRequest, region: Region) -> HttpResponse:
    """A facility spreadsheet (id, type, lat, lon, name) for the region's analyses."""
    sheet = request.FILES.get("facilities")
    if sheet is None:
        messages.error(request, _("请选择设施表格（.xlsx 或 .csv）。"))
        return redirect("lifecircle:region_analysis", region_id=region.pk)
    try:
        result = services.facilities_import_file(upload=sheet, actor=request.user, region=region)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("设施导入完成：新增 %(c)d 处，更新 %(u)d 处。重新分析后计入结果。")
            % {"c": result.created, "u": result.updated},
        )
    return redirect("lifecircle:region_analysis", region_id=region.pk)


@require_GET
@requires(VIEW_LIFE_CIRCLE, find=ESTATE)
def estate_card(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    run, rows = selectors.report_card(estate=estate)
    card_map = map_selectors.estate_map(estate=estate, rows=rows) if run is not None else None
    # With no analysis yet: where to start one, for those who may; who to ask, for the rest.
    community = estate.community
    can_run = run is None and RUN_ANALYSIS.has(request.user, community)
    return render(
        request,
        "lifecircle/estate_card.html",
        {
            "estate": estate,
            "run": run,
            "rows": rows,
            "card_map": card_map,
            "run_region": community if can_run else None,
            "analysts": _("、").join(str(Role(r).label) for r in Role if r in ANALYSIS_ROLES),
            "can_demand": MANAGE_DEMANDS.has(request.user, estate),
            "demanded": selectors.demanded_gaps(estate=estate, rows=rows),
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
