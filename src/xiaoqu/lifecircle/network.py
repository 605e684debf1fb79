"""The walking network from OpenStreetMap, read offline (pure: no Django).

Definitions (the contract of ``xiaoqu lifecircle nearest``, docs/cli.md):

* walkable: every way with a ``highway`` tag except motorway, motorway_link, trunk,
  trunk_link, construction, proposed, raceway, bus_guideway, busway and escape; and except
  ways tagged ``foot=no``, ``access=private`` or ``access=no`` (unless ``foot`` is yes,
  designated or permissive), or ``area=yes``;
* every walkable way is two-way; an edge joins consecutive nodes of a way, its length the
  great-circle distance on a sphere of radius 6,371,008.8 m (duplicate edges keep the
  shortest; a way revisiting the same node adds no self-loop);
* only the largest connected component is kept: points snap to its nearest node.

``.osm``, ``.osm.gz``, ``.osm.bz2`` and ``.osm.pbf`` are read with pyosmium (libosmium picks
the format from the file name). ``.geojson`` and ``.json`` road layers (a FeatureCollection in
WGS-84, as overpass-turbo exports it) are read here: every LineString (each part of a
MultiLineString) is a way whose tags are the feature's ``properties``; ways meet where their
coordinates coincide, taken at OpenStreetMap's precision of 7 decimals (about 1 cm) exactly as
pyosmium reads OSM files, so the same ways give the same network and distances in either
format; polygons and points are skipped (docs/life-circle.md#walking-network).

The result is a compact ``Network`` (coordinates and a CSR adjacency in numpy arrays) that can
be saved to and loaded from an ``.npz`` file.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EARTH_RADIUS_M = 6_371_008.8
EXCLUDED_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "construction",
        "proposed",
        "raceway",
        "bus_guideway",
        "busway",
        "escape",
    }
)
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
OSM_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf")
GEOJSON_SUFFIXES = (".geojson", ".json")
SUFFIXES = OSM_SUFFIXES + GEOJSON_SUFFIXES
# OpenStreetMap keeps coordinates as integers of 1e-7 degree; GeoJSON points are taken the same way.
COORDINATE_PRECISION = 10_000_000
# The names a GeoJSON ``crs`` member may give WGS-84 longitude/latitude by (lower case).
WGS84_NAMES = frozenset(
    {
        "epsg:4326",
        "urn:ogc:def:crs:epsg::4326",
        "urn:ogc:def:crs:epsg:6.6:4326",
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "urn:ogc:def:crs:ogc:2:84",
        "http://www.opengis.net/def/crs/ogc/1.3/crs84",
        "http://www.opengis.net/def/crs/epsg/0/4326",
        "crs84",
        "wgs84",
        "wgs 84",
    }
)


class NetworkError(ValueError):
    """The file cannot give a walking network; the message says why, for people."""


def walkable(tags: Any) -> bool:
    """Whether a way with these tags (a mapping or pyosmium TagList) is in the network."""
    highway = tags.get("highway")
    if highway is None or highway in EXCLUDED_HIGHWAYS:
        return False
    foot = tags.get("foot")
    if foot == "no":
        return False
    if tags.get("access") in ("private", "no") and foot not in FOOT_ALLOWED:
        return False
    return tags.get("area") != "yes"


def haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in metres (numpy arrays or scalars, degrees)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass
class Network:
    """The largest connected component: node coordinates and a symmetric CSR adjacency."""

    lat: np.ndarray  # float64 degrees, one per node
    lon: np.ndarray
    osm_ids: np.ndarray  # int64 OSM node ids
    indptr: np.ndarray  # CSR of the undirected graph (both directions stored)
    indices: np.ndarray
    weights: np.ndarray  # metres

    @property
    def nodes(self) -> int:
        return int(self.lat.shape[0])

    @property
    def edges(self) -> int:
        return int(self.indices.shape[0] // 2)

    def matrix(self) -> Any:
        from scipy.sparse import csr_matrix

        n = self.nodes
        return csr_matrix((self.weights, self.indices, self.indptr), shape=(n, n))

    def save(self, path: Path | str) -> None:
        np.savez_compressed(
            path,
            lat=self.lat,
            lon=self.lon,
            osm_ids=self.osm_ids,
            indptr=self.indptr,
            indices=self.indices,
            weights=self.weights,
        )

    @classmethod
    def load(cls, path: Path | str) -> Network:
        with np.load(path) as data:
            return cls(**{k: data[k] for k in data.files})

    def snap(self, lat: Any, lon: Any) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node (by great-circle distance) of each point, and that distance in metres.

        Nearest by chord length on the unit sphere is nearest by great-circle distance, so a
        k-d tree over 3-D unit vectors finds it exactly.
        """
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        tree = self._tree()
        _, idx = tree.query(_unit_vectors(lat, lon))
        idx = np.asarray(idx, dtype=np.int64)
        return idx, haversine_m(lat, lon, self.lat[idx], self.lon[idx])

    def bounds(self, margin_deg: float = 0.0) -> tuple[float, float, float, float]:
        """South, north, west, east of the nodes, widened by ``margin_deg``."""
        return (
            float(self.lat.min()) - margin_deg,
            float(self.lat.max()) + margin_deg,
            float(self.lon.min()) - margin_deg,
            float(self.lon.max()) + margin_deg,
        )

    def placement(
        self, lat: Any, lon: Any, *, margin_deg: float, max_snap_m: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which points the network can answer for: (inside the extent widened by
        ``margin_deg``, within ``max_snap_m`` of a node, the distance to that node in metres).
        """
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        south, north, west, east = self.bounds(margin_deg)
        inside = (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)
        snap = np.full(lat.shape, np.inf)
        if inside.any():
            snap[inside] = self.snap(lat[inside], lon[inside])[1]
        return inside, inside & (snap <= max_snap_m), snap

    def drop_index(self) -> None:
        """Forget the snapping index, so that the next query builds it again."""
        self._kdtree = None

    def _tree(self) -> Any:
        tree = getattr(self, "_kdtree", None)
        if tree is None:
            from scipy.spatial import cKDTree

            tree = cKDTree(_unit_vectors(self.lat, self.lon))
            self._kdtree = tree
        return tree


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def is_geojson(path: Path) -> bool:
    """Whether the map file is a GeoJSON road layer: by its name, or, for an uncompressed
    ``.osm``, by content (a JSON object where XML was expected)."""
    name = path.name.lower()
    if name.endswith(GEOJSON_SUFFIXES):
        return True
    if name.endswith(".osm") and path.is_file():
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        return head.startswith(b"{")
    return False


def check_osm_file(path: Path, *, geojson: bool = True) -> None:
    """Refuse, with a message for people, a path that is not a non-empty map file (OSM, or
    with ``geojson`` also a GeoJSON road layer)."""
    name = path.name.lower()
    if not any(name.endswith(s) for s in (SUFFIXES if geojson else OSM_SUFFIXES)):
        kinds = ".osm、.osm.gz、.osm.bz2、.osm.pbf 或 .geojson"
        if not geojson:
            kinds = ".osm、.osm.gz、.osm.bz2 或 .osm.pbf"
        raise NetworkError(f"不认识的地图文件类型：{path.name}（应为 {kinds}）")
    if not path.is_file():
        raise NetworkError(f"找不到地图文件：{path}")
    if path.stat().st_size == 0:
        raise NetworkError(f"地图文件是空的：{path}")


def read_ways(path: Path | str) -> tuple[dict[int, tuple[float, float]], list[list[int]]]:
    """Node coordinates and the node lists of the walkable ways of a map file."""
    path = Path(path)
    check_osm_file(path)
    if is_geojson(path):
        return read_geojson_ways(path)
    return _read_osm_ways(path)


def _read_osm_ways(path: Path) -> tuple[dict[int, tuple[float, float]], list[list[int]]]:
    import osmium

    coords: dict[int, tuple[float, float]] = {}
    ways: list[list[int]] = []
    try:
        processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        for obj in processor.with_locations():
            if isinstance(obj, osmium.osm.Way) and walkable(obj.tags):
                refs = []
                for n in obj.nodes:
                    loc = n.location
                    if loc.valid():
                        coords.setdefault(n.ref, (loc.lat, loc.lon))
                        refs.append(n.ref)
                if len(refs) >= 2:
                    ways.append(refs)
    except RuntimeError as exc:  # libosmium's parse errors
        raise NetworkError(f"地图文件无法读取（{path.name}）：{exc}") from exc
    return coords, ways


def read_geojson_ways(path: Path) -> tuple[dict[int, tuple[float, float]], list[list[int]]]:
    """Node coordinates and node lists of the walkable lines of a GeoJSON road layer.

    Each distinct coordinate (at 1e-7 degree) is one node, numbered from 1 in order of first
    appearance; coordinates are kept as OpenStreetMap keeps them (1e-7 degree integers).
    """
    name = path.name
    features = _geojson_features(path)
    lines: list[tuple[dict[str, str], list[Any]]] = []  # (tags, positions) of every line
    for number, feature in enumerate(features, start=1):
        lines.extend(_feature_lines(feature, number, name))
    if not lines:
        raise NetworkError(
            f"地图文件 {name} 里没有线要素（LineString），不是道路网："
            "请导出道路（highway）的线，而不是点或面"
        )
    _check_ranges(lines, name)
    index: dict[tuple[int, int], int] = {}
    coords: dict[int, tuple[float, float]] = {}
    ways: list[list[int]] = []
    for tags, positions in lines:
        if walkable(tags):
            ways.append([_node(index, coords, position) for position in positions])
    return coords, ways


def _node(
    index: dict[tuple[int, int], int], coords: dict[int, tuple[float, float]], position: Any
) -> int:
    """The node at a [lon, lat] position, numbered when first met."""
    key = (round(position[0] * COORDINATE_PRECISION), round(position[1] * COORDINATE_PRECISION))
    node = index.get(key)
    if node is None:
        node = index[key] = len(index) + 1
        coords[node] = (key[1] / COORDINATE_PRECISION, key[0] / COORDINATE_PRECISION)
    return node


def _geojson_features(path: Path) -> list[Any]:
    """The features of a GeoJSON FeatureCollection in WGS-84, or a NetworkError saying why not."""
    name = path.name
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise NetworkError(f"地图文件 {name} 不是 UTF-8 编码的 GeoJSON 文本") from None
    except json.JSONDecodeError as exc:
        raise NetworkError(
            f"地图文件 {name} 不是有效的 GeoJSON（第 {exc.lineno} 行第 {exc.colno} 列格式有误）"
        ) from None
    except RecursionError:
        raise NetworkError(f"地图文件 {name} 不是有效的 GeoJSON（嵌套过深）") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        kind = data.get("type") if isinstance(data, dict) else None
        found = f"（文件里是 {kind}）" if isinstance(kind, str) and kind else ""
        if isinstance(data, dict) and "elements" in data:
            found = "（这是 Overpass 的 JSON 结果，不是 GeoJSON）"
        raise NetworkError(
            f"地图文件 {name} 不是 GeoJSON 要素集（FeatureCollection）{found}："
            "请导出整个道路图层（如 overpass-turbo 的“导出 → GeoJSON”）"
        )
    _check_crs(data.get("crs"), name)
    features = data.get("features")
    if not isinstance(features, list):
        raise NetworkError(f"地图文件 {name} 的要素集没有 features 列表，不是有效的 GeoJSON")
    return features


def _feature_lines(feature: Any, number: int, name: str) -> list[tuple[dict[str, str], list[Any]]]:
    """The lines of feature ``number`` as (tags, positions); polygons and points give none."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise NetworkError(f"地图文件 {name} 的第 {number} 个要素不是 GeoJSON Feature")
    properties = feature.get("properties")
    # OSM tags are strings; overpass-turbo adds others (``@relations``) that are not tags.
    tags = {
        k: v
        for k, v in (properties if isinstance(properties, dict) else {}).items()
        if isinstance(v, str)
    }
    label = _feature_label(feature, tags, number)
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or not geometry.get("coordinates"):
        if isinstance(geometry, dict) and geometry.get("type") == "GeometryCollection":
            return []
        raise NetworkError(f"地图文件 {name} 的{label}没有坐标：请重新导出（要带几何坐标）")
    kind = geometry.get("type")
    coordinates = geometry["coordinates"]
    if kind == "LineString":
        parts = [coordinates]
    elif kind == "MultiLineString":
        parts = coordinates if isinstance(coordinates, list) else [None]
    else:
        return []  # points and polygons (squares with area=yes, buildings) are not ways
    lines = []
    for part in parts:
        if not (
            isinstance(part, list)
            and len(part) >= 2
            and all(
                isinstance(p, list)
                and len(p) >= 2
                and all(isinstance(c, int | float) and not isinstance(c, bool) for c in p[:2])
                and math.isfinite(p[0])
                and math.isfinite(p[1])
                for p in part
            )
        ):
            raise NetworkError(
                f"地图文件 {name} 的{label}坐标格式不对：线要素应有至少两个 [经度, 纬度] 点"
            )
        lines.append((tags, part))
    return lines


def _feature_label(feature: dict[str, Any], tags: dict[str, Any], number: int) -> str:
    ref = tags.get("@id") or feature.get("id")
    return f"第 {number} 个要素（{ref}）" if isinstance(ref, str | int) else f"第 {number} 个要素"


def _check_crs(crs: Any, name: str) -> None:
    """Refuse a ``crs`` member (GeoJSON 2008) that names anything but WGS-84 lon/lat."""
    if crs is None:
        return
    properties = crs.get("properties") if isinstance(crs, dict) else None
    named = properties.get("name") if isinstance(properties, dict) else None
    if not isinstance(named, str):
        named = json.dumps(crs, ensure_ascii=False)[:80]
    elif named.strip().lower() in WGS84_NAMES:
        return
    raise NetworkError(
        f"地图文件 {name} 的坐标系是 {named}，不是 WGS-84 经纬度（EPSG:4326）："
        "请按 WGS-84 经纬度重新导出"
    )


def _check_ranges(lines: list[tuple[dict[str, str], list[Any]]], name: str) -> None:
    """Refuse coordinates outside longitude/latitude ranges (projected metres, say)."""
    lon = np.fromiter((p[0] for _t, part in lines for p in part), dtype=np.float64)
    lat = np.fromiter((p[1] for _t, part in lines for p in part), dtype=np.float64)
    bad = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        if np.all(np.abs(lat) <= 180) and np.all(np.abs(lon) <= 90):
            raise NetworkError(
                f"地图文件 {name} 的坐标（{lon[i]:g}, {lat[i]:g}）像是把纬度写在了前面："
                "GeoJSON 的点应为 [经度, 纬度]（WGS-84），请重新导出"
            )
        raise NetworkError(
            f"地图文件 {name} 的坐标（{lon[i]:g}, {lat[i]:g}）超出经纬度范围，"
            "像是投影坐标（以米为单位）而不是 WGS-84 经纬度：请按 WGS-84（EPSG:4326）重新导出"
        )


def build(coords: dict[int, tuple[float, float]], ways: list[list[int]]) -> Network:
    """The largest connected component of the ways as a ``Network``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not ways:
        raise NetworkError("地图文件里没有可步行的道路")
    ids = np.fromiter(coords.keys(), dtype=np.int64, count=len(coords))
    index = {int(osm_id): i for i, osm_id in enumerate(ids)}
    lat = np.fromiter((c[0] for c in coords.values()), dtype=np.float64, count=len(coords))
    lon = np.fromiter((c[1] for c in coords.values()), dtype=np.float64, count=len(coords))
    us: list[int] = []
    vs: list[int] = []
    for refs in ways:
        seq = [index[r] for r in refs]
        us.extend(seq[:-1])
        vs.extend(seq[1:])
    u = np.asarray(us, dtype=np.int64)
    v = np.asarray(vs, dtype=np.int64)
    keep = u != v
    u, v = u[keep], v[keep]
    if u.size == 0:
        raise NetworkError("地图文件里没有可步行的道路")
    w = haversine_m(lat[u], lon[u], lat[v], lon[v])
    # Undirected, duplicates reduced to the shortest.
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(a.size, dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, w = a[first], b[first], w[first]
    n = ids.size
    graph = coo_matrix((w, (a, b)), shape=(n, n)).tocsr()
    _count, labels = connected_components(graph, directed=False)
    used = np.zeros(n, dtype=bool)
    used[a] = used[b] = True
    sizes = np.bincount(labels[used])
    largest = int(np.argmax(sizes))
    keep_nodes = np.flatnonzero((labels == largest) & used)
    remap = np.full(n, -1, dtype=np.int64)
    remap[keep_nodes] = np.arange(keep_nodes.size)
    inside = (remap[a] >= 0) & (remap[b] >= 0)
    a2, b2, w2 = remap[a[inside]], remap[b[inside]], w[inside]
    m = keep_nodes.size
    sym = coo_matrix(
        (np.concatenate((w2, w2)), (np.concatenate((a2, b2)), np.concatenate((b2, a2)))),
        shape=(m, m),
    ).tocsr()
    sym.sort_indices()
    return Network(
        lat=lat[keep_nodes],
        lon=lon[keep_nodes],
        osm_ids=ids[keep_nodes],
        indptr=sym.indptr.astype(np.int64),
        indices=sym.indices.astype(np.int64),
        weights=sym.data.astype(np.float64),
    )


def read_network(path: Path | str) -> Network:
    coords, ways = read_ways(path)
    return build(coords, ways)


def file_digest(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_network(path: Path | str, cache_dir: Path | str | None = None) -> Network:
    """The network of an OSM file, from a cache of built networks when one is given.

    The cache key is the file's SHA-256, so an edited file is read again.
    """
    if cache_dir is None:
        return read_network(path)
    check_osm_file(Path(path))
    cache = Path(cache_dir)
    cached = cache / f"network-{file_digest(path)[:32]}.npz"
    if cached.exists():
        try:
            return Network.load(cached)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is rebuilt
    network = read_network(path)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp.npz")
    network.save(tmp)
    tmp.replace(cached)
    return network
