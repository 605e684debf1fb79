"""The walking network and the nearest-facility engine, checked by hand and against networkx."""

from __future__ import annotations

import bz2
import gzip
import math
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from xiaoqu.lifecircle.engine import Facility, nearest_by_type
from xiaoqu.lifecircle.network import (
    EARTH_RADIUS_M,
    Network,
    NetworkError,
    load_network,
    read_network,
    walkable,
)

# Copies of the shared OpenStreetMap extracts (ODbL, see tests/data/README.md).
DATA = Path(__file__).resolve().parents[1] / "data" / "osm"
GUIXI = DATA / "guixi-jiangxi.osm"
HELSINKI = DATA / "helsinki-test.osm.pbf"
# One degree of longitude on the equator, and a thousandth of it, on the project's sphere.
DEG = EARTH_RADIUS_M * math.pi / 180
STEP = DEG / 1000


def write_osm(
    path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[list[int], dict]]
) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lat, lon) in nodes.items():
        lines.append(f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, (refs, tags) in enumerate(ways, start=1):
        lines.append(f'<way id="{wid}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def tiny(tmp_path):
    """A street along the equator, 1 → 2 → 3 → 4, each 0.001° (111.195 m) apart; a footpath
    from 2 north to 5; a motorway 1 → 6 and a private road 4 → 7 that do not count; a
    separate little loop 8-9 that is not the largest component.
    """
    nodes = {
        1: (0.0, 0.0),
        2: (0.0, 0.001),
        3: (0.0, 0.002),
        4: (0.0, 0.003),
        5: (0.001, 0.001),
        6: (0.0, -0.001),
        7: (0.0, 0.004),
        8: (0.01, 0.01),
        9: (0.01, 0.011),
    }
    ways = [
        ([1, 2, 3, 4], {"highway": "residential"}),
        ([2, 5], {"highway": "footway"}),
        ([1, 6], {"highway": "motorway"}),
        ([4, 7], {"highway": "service", "access": "private"}),
        ([8, 9], {"highway": "path"}),
    ]
    return read_network(write_osm(tmp_path / "tiny.osm", nodes, ways))


def test_walkability_rules():
    assert walkable({"highway": "footway"})
    assert not walkable({"highway": "motorway"})
    assert not walkable({"highway": "trunk_link"})
    assert not walkable({"highway": "residential", "foot": "no"})
    assert not walkable({"highway": "service", "access": "private"})
    assert walkable({"highway": "service", "access": "private", "foot": "designated"})
    assert not walkable({"highway": "pedestrian", "area": "yes"})
    assert not walkable({"building": "yes"})


def test_tiny_network_by_hand(tiny):
    """Five nodes in the largest component; each edge 111.195 m; motorway and private road out."""
    assert tiny.nodes == 5 and tiny.edges == 4
    assert set(tiny.osm_ids.tolist()) == {1, 2, 3, 4, 5}
    assert np.allclose(tiny.weights, STEP, atol=1e-6)


def test_nearest_on_the_tiny_network_by_hand(tiny):
    """An origin at node 5's place to a school at node 4: 5→2→3→4 = 3 steps; a clinic near
    node 1, 0.0001° south of it, adds its snap distance (11.12 m)."""
    facilities = [
        Facility("school-a", "school", 0.0, 0.003),
        Facility("clinic-a", "clinic", -0.0001, 0.0),
    ]
    result = nearest_by_type(tiny, [0.001], [0.001], facilities)
    group, near = result["school"]
    assert group[near.facility[0]].id == "school-a"
    assert near.distance[0] == pytest.approx(3 * STEP, abs=1e-6)
    group, near = result["clinic"]
    assert near.distance[0] == pytest.approx(2 * STEP + STEP / 10, abs=1e-6)


def test_the_nearer_of_two_facilities_wins_and_the_limit_applies(tiny):
    facilities = [Facility("far", "school", 0.0, 0.003), Facility("near", "school", 0.0, 0.0)]
    group, near = nearest_by_type(tiny, [0.0], [0.0005], facilities)["school"]
    assert group[near.facility[0]].id == "near"
    _, limited = nearest_by_type(tiny, [0.001], [0.001], facilities[:1], max_distance=200)["school"]
    assert limited.facility[0] == -1 and math.isinf(limited.distance[0])


def _networkx_distances(network: Network, origins, facilities) -> dict[str, np.ndarray]:
    graph = nx.Graph()
    m = network.matrix().tocoo()
    for a, b, w in zip(m.row.tolist(), m.col.tolist(), m.data.tolist(), strict=True):
        graph.add_edge(a, b, weight=w)
    o_node, o_snap = network.snap(origins[0], origins[1])
    out = {}
    for kind in sorted({f.type for f in facilities}):
        group = [f for f in facilities if f.type == kind]
        f_node, f_snap = network.snap([f.lat for f in group], [f.lon for f in group])
        g = graph.copy()
        for i, (node, snap) in enumerate(zip(f_node.tolist(), f_snap.tolist(), strict=True)):
            g.add_edge(("facility", i), node, weight=snap)
        dist = nx.multi_source_dijkstra_path_length(
            g, [("facility", i) for i in range(len(group))], weight="weight"
        )
        out[kind] = np.array(
            [dist.get(int(n), np.inf) + s for n, s in zip(o_node, o_snap, strict=True)]
        )
    return out


@pytest.mark.parametrize("path", [GUIXI, HELSINKI], ids=["guixi.osm", "helsinki.pbf"])
def test_agrees_with_networkx(path):
    """Random origins and facilities over the extract: every distance within 0.01 m of networkx."""
    network = read_network(path)
    rng = np.random.default_rng(7)
    lat = rng.uniform(network.lat.min(), network.lat.max(), 200)
    lon = rng.uniform(network.lon.min(), network.lon.max(), 200)
    kinds = ["school", "clinic", "bus_stop"]
    facilities = [
        Facility(
            f"f{i}",
            kinds[i % 3],
            float(rng.uniform(network.lat.min(), network.lat.max())),
            float(rng.uniform(network.lon.min(), network.lon.max())),
        )
        for i in range(30)
    ]
    ours = nearest_by_type(network, lat, lon, facilities)
    reference = _networkx_distances(network, (lat, lon), facilities)
    for kind, (_group, near) in ours.items():
        assert np.max(np.abs(near.distance - reference[kind])) <= 0.01


def test_compressed_files_read_the_same(tmp_path):
    plain = read_network(GUIXI)
    gz = tmp_path / "guixi.osm.gz"
    with open(GUIXI, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    bz = tmp_path / "guixi.osm.bz2"
    with open(GUIXI, "rb") as src, bz2.open(bz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    for path in (gz, bz):
        other = read_network(path)
        assert other.nodes == plain.nodes and np.allclose(
            np.sort(other.weights), np.sort(plain.weights)
        )


def test_the_network_is_cached_and_reused(tmp_path):
    first = load_network(GUIXI, tmp_path)
    cached = list(tmp_path.glob("network-*.npz"))
    assert len(cached) == 1
    again = load_network(GUIXI, tmp_path)
    assert again.nodes == first.nodes and np.array_equal(again.indices, first.indices)


def test_empty_and_corrupt_files_get_a_clear_message(tmp_path):
    empty = tmp_path / "empty.osm"
    empty.write_bytes(b"")
    with pytest.raises(NetworkError, match="空的"):
        read_network(empty)
    corrupt = tmp_path / "corrupt.osm.pbf"
    corrupt.write_bytes(b"\x00\x00\x00\x0dnot really a pbf file at all")
    with pytest.raises(NetworkError, match="无法读取"):
        read_network(corrupt)
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lat='0' lon='0'", encoding="utf-8")
    with pytest.raises(NetworkError):
        read_network(broken)
    roads_free = write_osm(
        tmp_path / "noroads.osm", {1: (0, 0), 2: (0, 1)}, [([1, 2], {"building": "yes"})]
    )
    with pytest.raises(NetworkError, match="没有可步行的道路"):
        read_network(roads_free)
    with pytest.raises(NetworkError, match="文件类型"):
        read_network(tmp_path / "map.txt")
