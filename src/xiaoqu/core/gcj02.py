"""WGS-84 ↔ GCJ-02, the offset coordinates of Chinese base maps (pure: no Django).

Positions are stored as WGS-84 (GPS, OpenStreetMap); a base map from a Chinese tile service
(AMap, Tencent, Tianditu-based services) is drawn in GCJ-02, so whatever is drawn on such a map
is converted for display only (docs/maps.md). GCJ-02 is WGS-84 moved by a published
polynomial-plus-sine offset of (lon − 105°, lat − 35°) scaled on the Krasovsky ellipsoid
(a = 6,378,245 m, e² = 0.00669342162296594323). The offset applies inside China's bounding box
only (lon 72.004–137.8347°, lat 0.8293–55.8271°); outside it a point is left as it is. The
offset is some hundreds of metres and changes slowly, so the inverse converges by fixed-point
iteration (below 1 mm after four steps).

No package on PyPI fitted (docs/maps.md#gcj-02): this is the published algorithm, tested
against the points other implementations publish (tests/core/test_gcj02.py).

The functions take and return (lat, lon) in degrees, like the rest of the code base; the
``*_arrays`` forms take numpy arrays.
"""

from __future__ import annotations

import math

import numpy as np

KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323
# China's bounding box: (west, east, south, north), degrees.
CHINA_BOX = (72.004, 137.8347, 0.8293, 55.8271)
INVERSE_STEPS = 8


def out_of_china(lat: float, lon: float) -> bool:
    """Whether a point lies outside the box where the offset applies."""
    west, east, south, north = CHINA_BOX
    return not (west <= lon <= east and south <= lat <= north)


def _offset(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (dlat, dlon) in degrees at WGS-84 points, wherever they are."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    wave = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat = dlat + wave
    dlat = dlat + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon = dlon + wave
    dlon = dlon + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1.0 - KRASOVSKY_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * pi)
    dlon = dlon * 180.0 / (KRASOVSKY_A / sqrt_magic * np.cos(rad) * pi)
    return dlat, dlon


def _inside(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    west, east, south, north = CHINA_BOX
    return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def wgs_to_gcj_arrays(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 of WGS-84 points (arrays of degrees); points outside China are unchanged."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    dlat, dlon = _offset(lat, lon)
    inside = _inside(lat, lon)
    return np.where(inside, lat + dlat, lat), np.where(inside, lon + dlon, lon)


def gcj_to_wgs_arrays(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 of GCJ-02 points (arrays of degrees), by fixed-point iteration of the forward
    offset; a GCJ-02 point outside China's box is taken as unchanged."""
    glat = np.asarray(lat, dtype=np.float64)
    glon = np.asarray(lon, dtype=np.float64)
    inside = _inside(glat, glon)
    wlat, wlon = glat, glon
    for _step in range(INVERSE_STEPS):
        flat, flon = wgs_to_gcj_arrays(wlat, wlon)
        wlat = wlat - (flat - glat)
        wlon = wlon - (flon - glon)
    return np.where(inside, wlat, glat), np.where(inside, wlon, glon)


def wgs_to_gcj(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 (lat, lon) of a WGS-84 point; unchanged outside China."""
    if out_of_china(lat, lon):
        return lat, lon
    glat, glon = wgs_to_gcj_arrays(np.array(lat), np.array(lon))
    return float(glat), float(glon)


def gcj_to_wgs(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 (lat, lon) of a GCJ-02 point (the inverse, to well under a millimetre)."""
    if out_of_china(lat, lon):
        return lat, lon
    wlat, wlon = gcj_to_wgs_arrays(np.array(lat), np.array(lon))
    return float(wlat), float(wlon)
