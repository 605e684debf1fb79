"""``xiaoqu bench lifecircle``: the walking-distance engine against networkx and pandana.

Runs in a child process (no Django). All on the same networks and inputs in one run:

* reading ``tests/data/osm/guixi-jiangxi.osm`` into a network (goal ≤ 2 s), and loading it
  again from the ``.npz`` cache;
* nearest facility of every type for every origin, on the Guixi extract (1,000 estates) and
  on a synthetic 500 × 500 street grid (250,000 nodes) with 5,000 estates, both with 10
  facility types of 50 facilities each, every method searching the same 3 km radius (goal
  ≤ 3 s on the grid). Ours is one multi-source Dijkstra pass per type, snapping included
  (its k-d tree built inside the timing; its imports warmed beforehand, as for the others).
  Baselines, same run: networkx's ``multi_source_dijkstra_path_length`` per type (its graph
  built beforehand, not timed), also the reference for the largest difference in metres;
  and pandana's preprocessing plus ``nearest_pois`` queries, in a forked process stopped
  after 300 s (pandana is an optional benchmark-only extra, ``pip install -e '.[bench]'``;
  AGPL, never a runtime dependency). Goal: ≥ 10× faster than both.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from xiaoqu.bench import Row
from xiaoqu.bench.harness import child_env, run_in_child
from xiaoqu.lifecircle.engine import Facility, nearest_by_type
from xiaoqu.lifecircle.network import Network, haversine_m, load_network, read_network

GRID_SIDE = 500
ESTATES = 5_000
TYPES = 10
PER_TYPE = 50
# Every method searches to the same radius: three times the 15-minute walk. (pandana needs a
# search radius; with the whole network as its radius its queries never end.)
RADIUS_M = 3_000.0
# pandana's contraction-hierarchy preprocessing can take very long on a regular grid; it runs
# in a forked process and is stopped after this many seconds (reported as "> limit").
PANDANA_LIMIT_S = 300


def data_file(name: str) -> Path:
    """An OpenStreetMap extract shipped with the source tree's tests (tests/data/osm)."""
    path = Path(__file__).resolve().parents[3] / "tests" / "data" / "osm" / name
    if not path.exists():
        raise FileNotFoundError(path)
    return path


def synthetic_grid(side: int = GRID_SIDE) -> Network:
    """A side × side street grid near Guiyang, about 100 m between crossings."""
    from scipy.sparse import coo_matrix

    step = 0.0009
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    lat = (26.55 + ii * step).ravel()
    lon = (106.60 + jj * step * 1.1).ravel()
    idx = np.arange(side * side).reshape(side, side)
    a = np.concatenate((idx[:, :-1].ravel(), idx[:-1, :].ravel()))
    b = np.concatenate((idx[:, 1:].ravel(), idx[1:, :].ravel()))
    w = haversine_m(lat[a], lon[a], lat[b], lon[b])
    n = side * side
    m = coo_matrix(
        (np.concatenate((w, w)), (np.concatenate((a, b)), np.concatenate((b, a)))), shape=(n, n)
    ).tocsr()
    m.sort_indices()
    return Network(
        lat=lat,
        lon=lon,
        osm_ids=np.arange(n, dtype=np.int64),
        indptr=m.indptr.astype(np.int64),
        indices=m.indices.astype(np.int64),
        weights=m.data.astype(np.float64),
    )


def inputs(
    network: Network, estates: int, types: int, per_type: int, seed: int = 1
) -> tuple[Any, Any, list[Facility]]:
    """Random estates and facilities in the network's bounding box."""
    rng = np.random.default_rng(seed)
    box = (network.lat.min(), network.lat.max(), network.lon.min(), network.lon.max())
    lat = rng.uniform(box[0], box[1], estates)
    lon = rng.uniform(box[2], box[3], estates)
    facilities = [
        Facility(
            f"f{i}",
            f"type{i % types}",
            float(rng.uniform(box[0], box[1])),
            float(rng.uniform(box[2], box[3])),
        )
        for i in range(types * per_type)
    ]
    return lat, lon, facilities


def _ours(network: Network, lat: Any, lon: Any, facilities: list[Facility]) -> tuple[float, Any]:
    nearest_by_type(network, lat[:1], lon[:1], facilities[:1])  # imports, as for the others
    network.drop_index()  # snapping's index is part of the work
    started = time.perf_counter()
    result = nearest_by_type(network, lat, lon, facilities, max_distance=RADIUS_M)
    return time.perf_counter() - started, result


def _networkx(
    network: Network, lat: Any, lon: Any, facilities: list[Facility]
) -> tuple[float, Any]:
    import networkx as nx

    graph = nx.Graph()
    m = network.matrix().tocoo()
    graph.add_weighted_edges_from(zip(m.row.tolist(), m.col.tolist(), m.data.tolist(), strict=True))
    o_node, o_snap = network.snap(lat, lon)
    spent = 0.0
    out = {}
    for kind in sorted({f.type for f in facilities}):
        group = [f for f in facilities if f.type == kind]
        f_node, f_snap = network.snap([f.lat for f in group], [f.lon for f in group])
        g = graph.copy()
        sources = []
        for i, (node, snap) in enumerate(zip(f_node.tolist(), f_snap.tolist(), strict=True)):
            g.add_edge(("f", i), node, weight=snap)
            sources.append(("f", i))
        started = time.perf_counter()
        dist = nx.multi_source_dijkstra_path_length(g, sources, cutoff=RADIUS_M, weight="weight")
        spent += time.perf_counter() - started
        total = np.array(
            [dist.get(int(n), np.inf) + s for n, s in zip(o_node, o_snap, strict=True)]
        )
        out[kind] = np.where(total <= RADIUS_M, total, np.inf)
    return spent, out


def _pandana_child(
    network: Network, lat: Any, lon: Any, facilities: list[Facility], queue: Any
) -> None:
    queue.put(_pandana(network, lat, lon, facilities))


def _pandana_limited(network: Network, lat: Any, lon: Any, facilities: list[Facility]) -> Any:
    """pandana's time, None when it is not installed, or a string when it was stopped."""
    import multiprocessing

    try:
        import pandana  # noqa: F401
    except ImportError:
        return None
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_pandana_child, args=(network, lat, lon, facilities, queue))
    child.start()
    child.join(PANDANA_LIMIT_S)
    if child.is_alive():
        child.terminate()
        child.join()
        return f"> {PANDANA_LIMIT_S} (stopped)"
    return queue.get() if not queue.empty() else None


def _pandana(network: Network, lat: Any, lon: Any, facilities: list[Facility]) -> float | None:
    try:
        import pandana
        import pandas as pd
    except ImportError:
        return None

    m = network.matrix().tocoo()
    upper = m.row < m.col
    started = time.perf_counter()
    net = pandana.Network(
        pd.Series(network.lon),
        pd.Series(network.lat),
        pd.Series(m.row[upper]),
        pd.Series(m.col[upper]),
        pd.DataFrame({"w": m.data[upper]}),
        twoway=True,
    )
    estates = net.get_node_ids(pd.Series(lon), pd.Series(lat))
    for kind in sorted({f.type for f in facilities}):
        group = [f for f in facilities if f.type == kind]
        net.set_pois(
            kind, RADIUS_M, 1, pd.Series([f.lon for f in group]), pd.Series([f.lat for f in group])
        )
        near = net.nearest_pois(RADIUS_M, kind, num_pois=1)
        near.loc[estates.values]
    return time.perf_counter() - started


def _in_child() -> list[Row]:
    """Runs in the child process: every measurement, as the rows of the table."""
    rows: list[Row] = []
    guixi_file = data_file("guixi-jiangxi.osm")
    started = time.perf_counter()
    guixi = read_network(guixi_file)
    read_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        load_network(guixi_file, tmp)
        started = time.perf_counter()
        load_network(guixi_file, tmp)
        cached_s = time.perf_counter() - started
    rows.append(
        {
            "step": "read guixi-jiangxi.osm",
            "nodes": guixi.nodes,
            "seconds": read_s,
            "target": "≤ 2 s",
        }
    )
    rows.append(
        {"step": "load it again from the .npz cache", "nodes": guixi.nodes, "seconds": cached_s}
    )
    for label, network, estates in (
        ("Guixi extract", guixi, 1_000),
        (f"synthetic grid {GRID_SIDE}×{GRID_SIDE}", synthetic_grid(), ESTATES),
    ):
        lat, lon, facilities = inputs(network, estates, TYPES, PER_TYPE)
        ours_s, ours = _ours(network, lat, lon, facilities)
        nx_s, reference = _networkx(network, lat, lon, facilities)
        diff = 0.0
        for k in reference:
            a, b = ours[k][1].distance, reference[k]
            if np.any(np.isfinite(a) != np.isfinite(b)):
                diff = float("inf")
            elif np.isfinite(a).any():
                both = np.isfinite(a)
                diff = max(diff, float(np.max(np.abs(a[both] - b[both]))))
        pandana_s = _pandana_limited(network, lat, lon, facilities)
        common = {"network": label, "nodes": network.nodes, "estates": estates, "types": TYPES}
        rows.append(
            {
                "step": "ours: snap + one multi-source Dijkstra per type",
                **common,
                "seconds": ours_s,
                "target": "≤ 3 s" if network.nodes >= 250_000 else "",
            }
        )
        rows.append(
            {
                "step": "networkx multi_source_dijkstra per type",
                **common,
                "seconds": nx_s,
                "× ours": round(nx_s / ours_s, 1),
                "max diff m": round(diff, 6),
            }
        )
        if isinstance(pandana_s, float):
            pandana_row: Row = {"seconds": pandana_s, "× ours": round(pandana_s / ours_s, 1)}
        elif isinstance(pandana_s, str):
            pandana_row = {"seconds": pandana_s, "× ours": f"> {round(PANDANA_LIMIT_S / ours_s)}"}
        else:
            pandana_row = {"seconds": "not installed (pip install -e '.[bench]')"}
        rows.append({"step": "pandana preprocessing + nearest_pois", **common, **pandana_row})
    return rows


def run(options: dict[str, Any]) -> list[Row]:
    rows: list[Row] = run_in_child(_in_child, env=child_env(), django=False)[0]
    return rows
