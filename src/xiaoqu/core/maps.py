"""What the shared map component (web/templates/web/_map.html and web/static/web/map.js) is
given, built in one place so that every map converts, labels and attributes the same way.

A page builds its payload with :func:`map_payload` from WGS-84 positions, as stored. The base
layer is the street network we hold (drawn by the script from ``lines``); a tile service is
used only when ``XIAOQU_MAP_TILES`` is set, and when its tiles are in GCJ-02 every position
of the payload (and of the network endpoint's lines) is converted here for display, so the
script never converts anything. Names come from imported data: the script shows them as
text only. See docs/maps.md for the payload.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from xiaoqu.core import gcj02

# The Open Database License asks for this wherever data from OpenStreetMap is shown.
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
# Ordered stages (viridis, colour-blind safe, dark to light), after a grey for "not started".
STAGE_PALETTE = (
    "#9e9e9e",
    "#440154",
    "#46327e",
    "#365c8d",
    "#277f8e",
    "#1fa187",
    "#4ac16d",
    "#a0da39",
)
# Kinds without an order (Tableau 10).
CATEGORY_PALETTE = (
    "#f28e2b",
    "#b07aa1",
    "#4e79a7",
    "#9c755f",
    "#76b7b2",
    "#edc948",
    "#ff9da7",
    "#59a14f",
    "#bab0ac",
    "#e15759",
)
GAP_COLOUR = "#d62728"
OUTLINE_COLOUR = "#555555"
LINE_COLOUR = "#8c8c8c"


@dataclass(frozen=True)
class Tiles:
    url: str
    attribution: str
    subdomains: str
    gcj02: bool


def map_tiles() -> Tiles | None:
    """The configured tile service, or None (the default: no tile server is ever asked)."""
    url = getattr(settings, "XIAOQU_MAP_TILES", "") or ""
    if not url:
        return None
    if not url.startswith(("https://", "http://", "/")) or any(
        f"{{{part}}}" not in url for part in "zxy"
    ):
        raise ImproperlyConfigured(
            "XIAOQU_MAP_TILES must be an http(s) URL or a path starting with / that holds "
            f"{{z}}, {{x}} and {{y}}: {url!r}"
        )
    unknown = set(re.findall(r"\{([^}]*)\}", url)) - {"z", "x", "y", "s", "r"}
    if unknown:
        raise ImproperlyConfigured(
            f"XIAOQU_MAP_TILES has placeholders Leaflet does not fill: {sorted(unknown)}"
        )
    return Tiles(
        url=url,
        attribution=getattr(settings, "XIAOQU_MAP_ATTRIBUTION", "") or "",
        subdomains=getattr(settings, "XIAOQU_MAP_TILES_SUBDOMAINS", "abc") or "abc",
        gcj02=bool(getattr(settings, "XIAOQU_MAP_TILES_GCJ02", True)),
    )


def display_gcj02() -> bool:
    """Whether positions are drawn in GCJ-02 (tiles are on and in GCJ-02)."""
    tiles = map_tiles()
    return tiles is not None and tiles.gcj02


def display_arrays(
    lat: np.ndarray, lon: np.ndarray, *, gcj: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Stored (WGS-84) positions as drawn on the map."""
    if gcj is None:
        gcj = display_gcj02()
    return gcj02.wgs_to_gcj_arrays(lat, lon) if gcj else (lat, lon)


def stored_bbox(
    bbox: tuple[float, float, float, float], *, gcj: bool | None = None
) -> tuple[float, float, float, float]:
    """A (west, south, east, north) box seen on the map, in stored (WGS-84) coordinates."""
    if gcj is None:
        gcj = display_gcj02()
    if not gcj:
        return bbox
    west, south, east, north = bbox
    lat, lon = gcj02.gcj_to_wgs_arrays(np.array([south, north]), np.array([west, east]))
    return float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])


def legend_entry(kind: str, colour: str, label: str) -> dict[str, str]:
    """A legend row: ``kind`` is line, estate, facility, gap or outline (how its swatch is
    drawn)."""
    return {"kind": kind, "colour": colour, "label": str(label)}


def stage_colours(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Colours of ordered stages (``TextChoices.choices``), first one grey."""
    return {
        value: STAGE_PALETTE[min(i, len(STAGE_PALETTE) - 1)]
        for i, (value, _label) in enumerate(choices)
    }


def _converted(items: Sequence[Mapping[str, Any]], gcj: bool) -> list[dict[str, Any]]:
    """Items with float ``lat``/``lon`` moved for display; those without a position left out."""
    placed = [dict(i) for i in items if i.get("lat") is not None and i.get("lon") is not None]
    if not placed:
        return []
    lat = np.array([float(i["lat"]) for i in placed])
    lon = np.array([float(i["lon"]) for i in placed])
    lat, lon = display_arrays(lat, lon, gcj=gcj)
    for item, a, b in zip(placed, lat.tolist(), lon.tolist(), strict=True):
        item["lat"], item["lon"] = round(a, 6), round(b, 6)
    return placed


def _rings(outline: Mapping[str, Any], gcj: bool) -> dict[str, Any]:
    rings = []
    for ring in outline["rings"]:
        lat = np.array([float(p[0]) for p in ring])
        lon = np.array([float(p[1]) for p in ring])
        lat, lon = display_arrays(lat, lon, gcj=gcj)
        rings.append([[round(a, 6), round(b, 6)] for a, b in zip(lat, lon, strict=True)])
    return {**outline, "rings": rings}


def basemap_caption(tiles: Tiles | None, *, lines: bool) -> str:
    """What the map's caption says about its base layer: the truth about what is asked of
    whom (no tile server at all by default; else the configured one, named by its host)."""
    if tiles is not None:
        host = urlsplit(tiles.url).hostname or _("本网站")
        return _("底图瓦片来自配置的地图服务（%(host)s）。") % {"host": host}
    if lines:
        return _("没有在线底图：图上的道路是本平台保存的步行路网，不向任何地图服务器请求。")
    return _("没有在线底图：只显示位置，不向任何地图服务器请求。")


def map_payload(
    *,
    lines: str | dict[str, Any] | None = None,
    estates: Sequence[Mapping[str, Any]] = (),
    facilities: Sequence[Mapping[str, Any]] = (),
    gaps: Sequence[Mapping[str, Any]] = (),
    outlines: Sequence[Mapping[str, Any]] = (),
    legend: Sequence[Mapping[str, str]] = (),
    osm: bool = False,
) -> dict[str, Any]:
    """The one JSON document a map is drawn from (its keys: docs/maps.md#the-payload).

    ``lines``: the URL of a network endpoint (the script adds ``zoom`` and ``bbox``) or a
    GeoJSON FeatureCollection already in display coordinates. Points carry WGS-84 ``lat`` and
    ``lon`` and a text ``tip``; estates a ``url`` and ``colour``, facilities a ``colour``;
    ``osm`` says that OpenStreetMap data is drawn (its attribution is then shown).
    """
    tiles = map_tiles()
    gcj = tiles is not None and tiles.gcj02
    rows = [legend_entry("line", LINE_COLOUR, _("步行路网"))] if lines else []
    return {
        "lines": lines,
        "outlines": [_rings(o, gcj) for o in outlines],
        "estates": _converted(estates, gcj),
        "facilities": _converted(facilities, gcj),
        "gaps": _converted(gaps, gcj),
        "legend": rows + [dict(e) for e in legend],
        "colours": {"line": LINE_COLOUR, "gap": GAP_COLOUR, "outline": OUTLINE_COLOUR},
        "tiles": None
        if tiles is None
        else {"url": tiles.url, "attribution": tiles.attribution, "subdomains": tiles.subdomains},
        "attribution": OSM_ATTRIBUTION if osm else "",
        "basemap": basemap_caption(tiles, lines=bool(lines)),
        "crs": "gcj02" if gcj else "wgs84",
        "texts": {
            "linesFailed": _("路网线条加载失败，地图只显示点位。"),
            "noPoints": _("没有可显示的位置。"),
        },
    }
