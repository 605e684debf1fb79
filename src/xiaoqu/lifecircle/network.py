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
the format from the file name). The result is a compact ``Network`` (coordinates and a CSR
adjacency in numpy arrays) that can be saved to and loaded from an ``.npz`` file.
"""

from __future__ import annotations

import hashlib
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
SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf")


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


def check_osm_file(path: Path) -> None:
    """Refuse, with a message for people, a path that is not a non-empty OSM file."""
    name = path.name.lower()
    if not any(name.endswith(s) for s in SUFFIXES):
        raise NetworkError(
            f"不认识的地图文件类型：{path.name}（应为 .osm、.osm.gz、.osm.bz2 或 .osm.pbf）"
        )
    if not path.is_file():
        raise NetworkError(f"找不到地图文件：{path}")
    if path.stat().st_size == 0:
        raise NetworkError(f"地图文件是空的：{path}")


def read_ways(path: Path | str) -> tuple[dict[int, tuple[float, float]], list[list[int]]]:
    """Node coordinates and the node lists of the walkable ways of an OSM file."""
    import osmium

    path = Path(path)
    check_osm_file(path)
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
