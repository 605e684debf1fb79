"""WGS-84 → GCJ-02 against points other implementations publish, and the inverse."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoqu.core.gcj02 import (
    CHINA_BOX,
    gcj_to_wgs,
    gcj_to_wgs_arrays,
    out_of_china,
    wgs_to_gcj,
    wgs_to_gcj_arrays,
)

EARTH_RADIUS_M = 6_371_008.8

# (WGS-84 lat, lon, GCJ-02 lat, lon, where the pair is published).
PUBLISHED = [
    # eviltransform, python/test.py and go/transform_test.go (github.com/googollee/eviltransform)
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215, "eviltransform: Shanghai"),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363, "eviltransform: Shenzhen"),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657, "eviltransform: Beijing"),
    # coordtransform's README, wgs84togcj02(116.404, 39.915) (github.com/wandergis/coordtransform)
    (39.915, 116.404, 39.91640428150164, 116.41024449916938, "coordtransform README"),
    # asesgeo, tests/testthat/test_tranform_coord.R, "wgs 2 gcj" (github.com/madlogos/asesgeo),
    # given to 8 decimals (about a millimetre)
    (39.90734, 116.39089, 39.90874107, 116.39713094, "asesgeo: Tiananmen"),
]


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@pytest.mark.parametrize(("lat", "lon", "glat", "glon", "source"), PUBLISHED)
def test_wgs_to_gcj_matches_the_published_points_within_half_a_metre(lat, lon, glat, glon, source):
    """Each published WGS-84 → GCJ-02 pair is reproduced to within 0.5 m."""
    assert metres(*wgs_to_gcj(lat, lon), glat, glon) < 0.5, source


@pytest.mark.parametrize(("lat", "lon", "glat", "glon", "source"), PUBLISHED)
def test_gcj_to_wgs_returns_the_published_wgs_point_within_half_a_metre(
    lat, lon, glat, glon, source
):
    """The inverse of each published GCJ-02 point is its WGS-84 point to within 0.5 m (the
    precision eviltransform's gcj2wgs_exact is tested to)."""
    assert metres(*gcj_to_wgs(glat, glon), lat, lon) < 0.5, source


def test_amaps_own_conversion_of_tiananmen_is_within_a_metre():
    """asesgeo records what AMap's conversion service answered for the same point
    (39.90874539, 116.39713623): the published algorithm is within a metre of it (0.66 m)."""
    assert metres(*wgs_to_gcj(39.90734, 116.39089), 39.90874539, 116.39713623) < 1.0


def test_asesgeo_inverse_point():
    """asesgeo's "gcj 2 wgs": (39.908746, 116.397131) → (39.90734493, 116.39089006)."""
    assert metres(*gcj_to_wgs(39.908746, 116.397131), 39.90734493, 116.39089006) < 0.5


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (0.0, 0.0),  # asesgeo: "outside China" is left as it is
        (60.1699, 24.9384),  # Helsinki
        (37.8, -122.4),  # San Francisco
        (-33.87, 151.21),  # Sydney
        (56.0, 100.0),  # north of the box
        (30.0, 71.9),  # west of the box
        (30.0, 137.9),  # east of the box
        (0.8, 110.0),  # south of the box
    ],
)
def test_points_outside_china_are_unchanged(lat, lon):
    """Outside China's box (lon 72.004–137.8347, lat 0.8293–55.8271) nothing moves, either way."""
    assert out_of_china(lat, lon)
    assert wgs_to_gcj(lat, lon) == (lat, lon)
    assert gcj_to_wgs(lat, lon) == (lat, lon)
    glat, glon = wgs_to_gcj_arrays(np.array([lat]), np.array([lon]))
    assert (glat[0], glon[0]) == (lat, lon)


def test_the_box_edges_are_inside():
    """The box is closed: its corners are converted (moved some hundreds of metres)."""
    west, east, south, north = CHINA_BOX
    for lat, lon in ((south, west), (north, east)):
        assert not out_of_china(lat, lon)
        assert metres(*wgs_to_gcj(lat, lon), lat, lon) > 10


def test_arrays_and_single_points_agree():
    lat = np.array([p[0] for p in PUBLISHED] + [60.0])
    lon = np.array([p[1] for p in PUBLISHED] + [24.0])
    glat, glon = wgs_to_gcj_arrays(lat, lon)
    for i in range(lat.size):
        assert (glat[i], glon[i]) == pytest.approx(wgs_to_gcj(lat[i], lon[i]), abs=1e-12)
    wlat, wlon = gcj_to_wgs_arrays(glat, glon)
    assert np.allclose(wlat, lat, atol=1e-8) and np.allclose(wlon, lon, atol=1e-8)


# Mainland China, inland enough that a converted point stays inside the box.
china_lat = st.floats(min_value=18.2, max_value=53.5)
china_lon = st.floats(min_value=73.6, max_value=134.7)


@given(china_lat, china_lon)
def test_inverse_of_forward_is_within_a_centimetre(lat, lon):
    """gcj_to_wgs(wgs_to_gcj(p)) is p to well within a few metres (in fact a centimetre)."""
    assert metres(*gcj_to_wgs(*wgs_to_gcj(lat, lon)), lat, lon) < 0.01


@given(china_lat, china_lon)
def test_the_offset_is_under_a_kilometre(lat, lon):
    """The GCJ-02 offset inside China is some hundreds of metres, never more than a kilometre,
    so a point drawn on a GCJ-02 map is never far from where it is stored."""
    assert metres(*wgs_to_gcj(lat, lon), lat, lon) < 1000
