"""The walking network as lines to draw, simplified for a map's zoom (pure: no Django).

A ``Network`` (lifecircle.network) is a graph of street nodes; a map wants polylines. Edges
are chained into polylines through every node where exactly two edges meet, so a polyline
runs from junction (or dead end) to junction. For a zoom level each polyline is simplified
by Douglas–Peucker with a tolerance of one screen pixel at that zoom (Web Mercator, 256-pixel
tiles), polylines shorter than a pixel are left out, and coordinates are rounded to half a
pixel: what is dropped could not be seen. See docs/maps.md for the payload sizes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from xiaoqu.lifecircle.network import EARTH_RADIUS_M, Network

# Metres per pixel at zoom 0 on the equator (Web Mercator, 256-pixel tiles).
METRES_PER_PIXEL_Z0 = 2 * math.pi * 6378137.0 / 256
MIN_ZOOM = 3
MAX_ZOOM = 19


@dataclass
class Polylines:
    """Polylines in flat arrays: polyline i is ``lat[starts[i]:starts[i + 1]]`` (and lon)."""

    lat: np.ndarray
    lon: np.ndarray
    starts: np.ndarray  # int64, len = count + 1

    @property
    def count(self) -> int:
        return int(self.starts.shape[0] - 1)

    @property
    def points(self) -> int:
        return int(self.lat.shape[0])

    def parts(self) -> list[tuple[np.ndarray, np.ndarray]]:
        s = self.starts
        return [(self.lat[s[i] : s[i + 1]], self.lon[s[i] : s[i + 1]]) for i in range(self.count)]

    @classmethod
    def of(cls, parts: list[tuple[np.ndarray, np.ndarray]]) -> Polylines:
        sizes = [len(p[0]) for p in parts]
        starts = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum(sizes, out=starts[1:])
        if not parts:
            empty = np.zeros(0, dtype=np.float64)
            return cls(empty, empty.copy(), starts)
        return cls(
            np.concatenate([p[0] for p in parts]).astype(np.float64),
            np.concatenate([p[1] for p in parts]).astype(np.float64),
            starts,
        )


def _reverse_entries(indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """For each CSR entry u→v, the position of the entry v→u (the graph is symmetric)."""
    n = indptr.shape[0] - 1
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    cols = indices.astype(np.int64)
    keys = rows * n + cols
    order = np.argsort(keys, kind="stable")
    found = np.searchsorted(keys[order], cols * n + rows)
    return order[found]


def _walk(
    start: int, entry: int, indptr: np.ndarray, indices: np.ndarray, deg: np.ndarray, used: Any
) -> list[int]:
    """Node indices of the polyline leaving ``start`` by CSR ``entry``, up to the next node
    where other than two edges meet (or back to ``start`` round a loop)."""
    line = [start]
    rev = used.reverse
    e = entry
    while True:
        used.mark[e] = True
        used.mark[rev[e]] = True
        v = int(indices[e])
        line.append(v)
        if deg[v] != 2 or v == start:
            return line
        a = int(indptr[v])
        e = a if not used.mark[a] else a + 1
        if used.mark[e]:
            return line


@dataclass
class _Used:
    mark: np.ndarray
    reverse: np.ndarray


def merge(network: Network) -> Polylines:
    """The network's edges chained into polylines between junctions and dead ends."""
    indptr = network.indptr.astype(np.int64)
    indices = network.indices.astype(np.int64)
    deg = np.diff(indptr)
    used = _Used(np.zeros(indices.shape[0], dtype=bool), _reverse_entries(indptr, indices))
    lines: list[list[int]] = []
    # Junctions and dead ends first; what is left then are rings of nodes that all have two
    # edges (a closed street).
    starts = np.concatenate((np.flatnonzero(deg != 2), np.flatnonzero(deg == 2))).tolist()
    for u in starts:
        for e in range(int(indptr[u]), int(indptr[u + 1])):
            if not used.mark[e]:
                lines.append(_walk(u, e, indptr, indices, deg, used))
    return Polylines.of([(network.lat[line], network.lon[line]) for line in lines])


def metres_per_pixel(zoom: int, lat: float) -> float:
    return METRES_PER_PIXEL_Z0 * math.cos(math.radians(lat)) / (2**zoom)


def decimals(zoom: int) -> int:
    """Decimal places of degrees that keep a point within half a pixel at ``zoom``."""
    half_pixel_deg = 360.0 / (256 * 2**zoom) / 2
    return max(4, min(7, math.ceil(-math.log10(half_pixel_deg))))


def simplify(x: np.ndarray, y: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas–Peucker: a mask of the points to keep so that no dropped point is farther than
    ``tolerance`` from the simplified line (planar coordinates, same unit as ``tolerance``).

    The ends are always kept; distances are to the segment, so a closed ring keeps the point
    farthest from its start.
    """
    m = x.shape[0]
    keep = np.zeros(m, dtype=bool)
    if m == 0:
        return keep
    keep[0] = keep[m - 1] = True
    stack = [(0, m - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        px, py = x[i + 1 : j], y[i + 1 : j]
        ax, ay, bx, by = x[i], y[i], x[j], y[j]
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        if length2 == 0.0:
            d2 = (px - ax) ** 2 + (py - ay) ** 2
        else:
            t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
            d2 = (px - (ax + t * dx)) ** 2 + (py - (ay + t * dy)) ** 2
        k = int(np.argmax(d2))
        if d2[k] > tolerance * tolerance:
            idx = i + 1 + k
            keep[idx] = True
            stack.append((i, idx))
            stack.append((idx, j))
    return keep


def for_zoom(lines: Polylines, zoom: int) -> Polylines:
    """The polylines as they can be seen at ``zoom``: simplified to a pixel, those smaller
    than a pixel left out."""
    if lines.points == 0:
        return lines
    lat0 = float(np.mean(lines.lat))
    tolerance = metres_per_pixel(zoom, lat0)
    # A local plane in metres around the network's middle latitude.
    k = math.pi / 180 * EARTH_RADIUS_M
    x_all = lines.lon * (k * math.cos(math.radians(lat0)))
    y_all = lines.lat * k
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    s = lines.starts
    for i in range(lines.count):
        a, b = int(s[i]), int(s[i + 1])
        x, y = x_all[a:b], y_all[a:b]
        if max(np.ptp(x), np.ptp(y)) < tolerance:
            continue
        mask = simplify(x, y, tolerance)
        kept.append((lines.lat[a:b][mask], lines.lon[a:b][mask]))
    return Polylines.of(kept)


def within(lines: Polylines, bbox: tuple[float, float, float, float] | None) -> Polylines:
    """The polylines whose extent meets ``bbox`` (west, south, east, north), whole."""
    if bbox is None or lines.count == 0:
        return lines
    west, south, east, north = bbox
    s = lines.starts[:-1]
    lat_min = np.minimum.reduceat(lines.lat, s)
    lat_max = np.maximum.reduceat(lines.lat, s)
    lon_min = np.minimum.reduceat(lines.lon, s)
    lon_max = np.maximum.reduceat(lines.lon, s)
    meets = (lat_max >= south) & (lat_min <= north) & (lon_max >= west) & (lon_min <= east)
    parts = lines.parts()
    return Polylines.of([p for p, ok in zip(parts, meets, strict=True) if ok])


def geojson(lines: Polylines, zoom: int, properties: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of one MultiLineString ([lon, lat] pairs, rounded for
    ``zoom``); an empty network gives no feature."""
    digits = decimals(zoom)
    lat = np.round(lines.lat, digits).tolist()
    lon = np.round(lines.lon, digits).tolist()
    s = lines.starts.tolist()
    coordinates = [[[lon[j], lat[j]] for j in range(s[i], s[i + 1])] for i in range(lines.count)]
    features = []
    if coordinates:
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {"type": "MultiLineString", "coordinates": coordinates},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def dumps(document: dict[str, Any]) -> str:
    """Compact JSON, as sent to browsers."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
