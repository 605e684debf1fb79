"""Reads for the life-circle maps: the street network an analysis read, as lines for a zoom,
and the payloads of the region map and of an estate's report-card map (core.maps; the payload
and the sizes are in docs/maps.md)."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoqu.core import maps
from xiaoqu.lifecircle import network_lines
from xiaoqu.lifecircle.models import AnalysisRun, EstateAccess, Facility, FacilityType, RunStatus
from xiaoqu.lifecircle.network_lines import Polylines
from xiaoqu.lifecircle.selectors import GapTable
from xiaoqu.lifecircle.standard import GAP_CATEGORY
from xiaoqu.registry.models import Estate, Region, RenovationStage

logger = logging.getLogger(__name__)

# Facilities drawn around a region's estates: within this many degrees (about 1.5 km, beyond
# the longest walk of the standard) of one of them, and at most this many.
FACILITY_MARGIN_DEG = 0.015
MAX_FACILITIES = 2000
# Facility types are coloured by group (23 colours could not be told apart); a type of no
# group (one an administrator added) is "other".
FACILITY_GROUPS = {
    "childcare": gettext_lazy("托育与教育"),
    "health": gettext_lazy("医疗卫生"),
    "elderly_care": gettext_lazy("养老服务"),
    "convenience": gettext_lazy("便民服务"),
    "community_space": gettext_lazy("文体与公共服务"),
    "other": gettext_lazy("其他设施"),
}
GROUP_COLOURS = dict(zip(FACILITY_GROUPS, maps.CATEGORY_PALETTE, strict=False))


# --- the street network as lines ------------------------------------------------------------


def network_run(*, region: Region) -> AnalysisRun | None:
    """The newest finished analysis of the region or of a region containing it: the network
    it read covers the region's estates."""
    chain = [int(pk) for pk in region.path.strip("/").split("/") if pk] or [region.pk]
    return (
        AnalysisRun.objects.filter(region_id__in=chain, status=RunStatus.DONE)
        .exclude(osm_file="")
        .order_by("-created_at", "-pk")
        .first()
    )


def _cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "cache" / "osm"


@functools.lru_cache(maxsize=4)
def _merged(path: str, size: int, mtime_ns: int) -> Polylines:
    """The network of a map file as polylines (kept per process; the key changes with the
    file)."""
    from xiaoqu.lifecircle.network import load_network

    return network_lines.merge(load_network(path, _cache_dir()))


@functools.lru_cache(maxsize=64)
def _zoomed(path: str, size: int, mtime_ns: int, zoom: int) -> Polylines:
    return network_lines.for_zoom(_merged(path, size, mtime_ns), zoom)


def network_geojson(
    *, region: Region, zoom: int, bbox: tuple[float, float, float, float] | None
) -> dict[str, Any]:
    """The lines of the network the region's newest finished analysis read, simplified for
    ``zoom`` and limited to the polylines meeting ``bbox`` (west, south, east, north, as seen
    on the map), as a GeoJSON FeatureCollection in display coordinates.

    No analysis, or a network file that cannot be read any more, gives no lines.
    """
    run = network_run(region=region)
    empty: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    if run is None or not run.osm_file:
        return empty
    gcj = maps.display_gcj02()
    try:
        path = run.osm_file.path
        stat = os.stat(path)
        lines = _zoomed(path, stat.st_size, stat.st_mtime_ns, zoom)
    except (OSError, ValueError):
        # ValueError covers NetworkError: the file was read once by the analysis.
        logger.warning("street network of analysis %s cannot be drawn", run.pk, exc_info=True)
        return empty
    lines = network_lines.within(lines, maps.stored_bbox(bbox, gcj=gcj) if bbox else None)
    if gcj and lines.points:
        lat, lon = maps.display_arrays(lines.lat, lines.lon, gcj=True)
        lines = Polylines(lat, lon, lines.starts)
    document = network_lines.geojson(lines, zoom, {"kind": "walking_network"})
    document["attribution"] = maps.OSM_ATTRIBUTION
    document["crs_display"] = "gcj02" if gcj else "wgs84"
    return document


# --- payloads of the pages ------------------------------------------------------------------


def stage_legend(stages: Iterable[str]) -> list[dict[str, str]]:
    colours = maps.stage_colours(RenovationStage.choices)
    present = set(stages)
    return [
        maps.legend_entry("estate", colours[value], str(label))
        for value, label in RenovationStage.choices
        if value in present
    ]


def _estate_point(estate: Estate, tip: str) -> dict[str, Any]:
    colours = maps.stage_colours(RenovationStage.choices)
    return {
        "lat": estate.latitude,
        "lon": estate.longitude,
        "name": estate.name,
        "url": reverse("lifecircle:estate_card", kwargs={"estate_id": estate.pk}),
        "stage": estate.stage,
        "colour": colours.get(estate.stage, maps.STAGE_PALETTE[0]),
        "tip": tip,
    }


def _group(facility_type: FacilityType) -> str:
    return GAP_CATEGORY.get(facility_type.code, "other")


def _facility_point(facility: Facility, extra: str = "") -> dict[str, Any]:
    kind = facility.type
    label = f"{kind.name}：{facility.name}" if facility.name else kind.name
    return {
        "lat": facility.latitude,
        "lon": facility.longitude,
        "name": facility.name,
        "type": kind.code,
        "colour": GROUP_COLOURS[_group(kind)],
        "tip": label + extra,
    }


def _facility_legend(types: Iterable[FacilityType]) -> list[dict[str, str]]:
    names: dict[str, list[str]] = {}
    for t in sorted(set(types), key=lambda t: (t.distance_m, t.code)):
        names.setdefault(_group(t), []).append(t.name)
    return [
        maps.legend_entry("facility", GROUP_COLOURS[g], f"{label}（{'、'.join(names[g])}）")
        for g, label in FACILITY_GROUPS.items()
        if g in names
    ]


def _gap_point(estate: Estate, missing: list[str]) -> dict[str, Any]:
    return {
        "lat": estate.latitude,
        "lon": estate.longitude,
        "name": estate.name,
        "tip": _("%(e)s：缺少%(t)s") % {"e": estate.name, "t": "、".join(missing)},
    }


def _facilities_near(estates: list[Estate]) -> list[Facility]:
    """Active-type facilities within the margin of the box around the estates."""
    located = [e for e in estates if e.latitude is not None and e.longitude is not None]
    if not located:
        return []
    m = Decimal(str(FACILITY_MARGIN_DEG))
    lats = [e.latitude for e in located if e.latitude is not None]
    lons = [e.longitude for e in located if e.longitude is not None]
    return list(
        Facility.objects.filter(
            type__active=True,
            latitude__gte=min(lats) - m,
            latitude__lte=max(lats) + m,
            longitude__gte=min(lons) - m,
            longitude__lte=max(lons) + m,
        )
        .select_related("type")
        .order_by("type__distance_m", "type__code", "pk")[:MAX_FACILITIES]
    )


def lines_url(region_id: int, run: AnalysisRun | None) -> str | None:
    """The network endpoint of the region; ``run`` names the analysis, so that a browser's
    cached lines are not taken for a newer analysis's."""
    if run is None:
        return None
    url = reverse("lifecircle:region_network", kwargs={"region_id": region_id})
    return f"{url}?run={run.pk}"


def region_map(*, region: Region, table: GapTable) -> dict[str, Any]:
    """The region page's map: the network read, the estates of the gap table (those the
    reader may see) coloured by stage, rings on those with gaps, the facilities around."""
    estates, gaps = [], []
    for row in table.rows:
        e = row.estate
        stage = e.get_stage_display()
        if row.gaps:
            tip = _("%(e)s · %(s)s · 缺口 %(n)d 项") % {"e": e.name, "s": stage, "n": len(row.gaps)}
            gaps.append(_gap_point(e, [g.type.name for g in row.gaps]))
        else:
            tip = _("%(e)s · %(s)s · 全部达标") % {"e": e.name, "s": stage}
        estates.append(_estate_point(e, tip))
    facilities = _facilities_near([row.estate for row in table.rows])
    legend = stage_legend(row.estate.stage for row in table.rows)
    legend += _facility_legend(f.type for f in facilities)
    if gaps:
        legend.append(maps.legend_entry("gap", maps.GAP_COLOUR, _("有缺口的小区")))
    run = network_run(region=region)
    return maps.map_payload(
        lines=lines_url(region.pk, run),
        estates=estates,
        facilities=[_facility_point(f) for f in facilities],
        gaps=gaps,
        legend=legend,
        osm=run is not None,
    )


def estate_map(*, estate: Estate, rows: list[EstateAccess]) -> dict[str, Any] | None:
    """The report card's map: the estate, the nearest facility of each type found, a ring if
    it has gaps, and the network around it; None for an estate without a position."""
    if estate.latitude is None or estate.longitude is None:
        return None
    missing = [r.type.name for r in rows if not r.within]
    stage = estate.get_stage_display()
    facilities = []
    for r in rows:
        if r.facility is not None:
            r.facility.type = r.type
            distance = (
                _("，步行约 %(m)d 米") % {"m": int(r.distance_m)}
                if r.distance_m is not None
                else ""
            )
            facilities.append(_facility_point(r.facility, distance))
    legend = stage_legend([estate.stage])
    legend += _facility_legend(r.type for r in rows if r.facility is not None)
    if missing:
        legend.append(maps.legend_entry("gap", maps.GAP_COLOUR, _("有缺口的小区")))
    run = network_run(region=estate.community)
    return maps.map_payload(
        lines=lines_url(estate.community_id, run),
        estates=[_estate_point(estate, f"{estate.name} · {stage}")],
        facilities=facilities,
        gaps=[_gap_point(estate, missing)] if missing else [],
        legend=legend,
        osm=run is not None,
    )
