"""The walking network as map lines: chained into polylines, simplified for the zoom."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from xiaoqu.lifecircle import network_lines as nl
from xiaoqu.lifecircle.network import build, read_network

GUIXI = Path(__file__).resolve().parents[1] / "data" / "osm" / "guixi-jiangxi.osm"


def edges_of(lines: nl.Polylines) -> set[tuple[tuple[float, float], tuple[float, float]]]:
    found = set()
    for lat, lon in lines.parts():
        for i in range(len(lat) - 1):
            a, b = (lat[i], lon[i]), (lat[i + 1], lon[i + 1])
            found.add((min(a, b), max(a, b)))
    return found


def test_every_edge_is_drawn_once_and_polylines_end_at_junctions():
    """Merging a real network keeps each edge exactly once; inner points have two edges."""
    network = read_network(GUIXI)
    lines = nl.merge(network)
    segments = sum(len(lat) - 1 for lat, _lon in lines.parts())
    assert segments == network.edges
    expected = set()
    for u in range(network.nodes):
        for k in range(network.indptr[u], network.indptr[u + 1]):
            v = network.indices[k]
            a, b = (network.lat[u], network.lon[u]), (network.lat[v], network.lon[v])
            expected.add((min(a, b), max(a, b)))
    assert edges_of(lines) == expected
    assert lines.count < network.edges / 2


def test_a_ring_of_two_edge_nodes_becomes_one_closed_polyline():
    """A closed street where every node has two edges is still drawn (start = end)."""
    coords = {1: (0.0, 0.0), 2: (0.0, 0.001), 3: (0.001, 0.001), 4: (0.001, 0.0)}
    lines = nl.merge(build(coords, [[1, 2, 3, 4, 1]]))
    assert lines.count == 1 and lines.points == 5
    lat, lon = lines.parts()[0]
    assert (lat[0], lon[0]) == (lat[-1], lon[-1])


def test_a_cross_gives_four_arms():
    coords = {0: (0.0, 0.0), 1: (0.001, 0.0), 2: (-0.001, 0.0), 3: (0.0, 0.001), 4: (0.0, -0.001)}
    lines = nl.merge(build(coords, [[1, 0, 2], [3, 0, 4]]))
    assert lines.count == 4 and lines.points == 8


def segment_distance(px, py, ax, ay, bx, by) -> float:
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


coordinate = st.floats(min_value=-1000, max_value=1000, allow_nan=False)


@given(
    st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=60),
    st.floats(min_value=0.01, max_value=200),
)
def test_douglas_peucker_keeps_the_ends_and_every_dropped_point_is_near(points, tolerance):
    """Every dropped point lies within the tolerance of the kept segment spanning it."""
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    keep = nl.simplify(x, y, tolerance)
    assert keep[0] and keep[-1]
    kept = np.flatnonzero(keep)
    for a, b in zip(kept[:-1], kept[1:], strict=True):
        for i in range(a + 1, b):
            d = segment_distance(x[i], y[i], x[a], y[a], x[b], y[b])
            assert d <= tolerance * (1 + 1e-9)


def test_a_straight_line_keeps_its_ends_only():
    x = np.linspace(0, 100, 11)
    assert nl.simplify(x, np.zeros(11), 0.5).tolist() == [True] + [False] * 9 + [True]


def test_lower_zooms_draw_fewer_points_and_fewer_bytes():
    lines = nl.merge(read_network(GUIXI))
    sizes = {}
    for zoom in (12, 14, 17):
        zoomed = nl.for_zoom(lines, zoom)
        sizes[zoom] = (zoomed.points, len(nl.dumps(nl.geojson(zoomed, zoom, {}))))
    assert sizes[12][0] < sizes[14][0] < sizes[17][0] <= lines.points
    assert sizes[12][1] < sizes[14][1] < sizes[17][1]


def test_pixel_sizes_and_rounding_follow_the_zoom():
    assert math.isclose(nl.metres_per_pixel(0, 0.0), 156543.03, rel_tol=1e-6)
    assert math.isclose(nl.metres_per_pixel(17, 60.0), 156543.03 / 2**17 / 2, rel_tol=1e-6)
    assert nl.decimals(10) == 4 and nl.decimals(13) == 5 and nl.decimals(17) == 6


def test_within_keeps_the_polylines_meeting_the_box():
    lines = nl.merge(read_network(GUIXI))
    lat_mid, lon_mid = float(np.median(lines.lat)), float(np.median(lines.lon))
    box = (lon_mid - 0.003, lat_mid - 0.003, lon_mid + 0.003, lat_mid + 0.003)
    inside = nl.within(lines, box)
    assert 0 < inside.count < lines.count
    for lat, lon in inside.parts():
        assert lat.max() >= box[1] and lat.min() <= box[3]
        assert lon.max() >= box[0] and lon.min() <= box[2]
    assert nl.within(lines, (0.0, 0.0, 1.0, 1.0)).count == 0
    assert nl.within(lines, None).count == lines.count


def test_geojson_is_a_feature_collection_of_lon_lat_lines():
    coords = {1: (28.3, 117.2), 2: (28.3, 117.201), 3: (28.301, 117.201)}
    lines = nl.merge(build(coords, [[1, 2, 3]]))
    document = json.loads(nl.dumps(nl.geojson(lines, 17, {"kind": "walking_network"})))
    assert document["type"] == "FeatureCollection"
    (feature,) = document["features"]
    assert feature["geometry"]["type"] == "MultiLineString"
    assert feature["geometry"]["coordinates"] == [
        [[117.2, 28.3], [117.201, 28.3], [117.201, 28.301]]
    ]
    empty = nl.geojson(nl.Polylines.of([]), 12, {})
    assert empty == {"type": "FeatureCollection", "features": []}
