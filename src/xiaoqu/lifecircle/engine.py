"""Nearest facility of each type for many origins at once (pure: no Django).

Distance = origin snap + network path + facility snap (the contract of ``xiaoqu lifecircle
nearest`` in docs/cli.md). For each facility type one multi-source Dijkstra pass answers
every origin: a virtual source node per facility joins the facility's snapped node with an
edge as long as the facility's snap distance, and scipy's
``dijkstra(..., min_only=True)`` from all of them at once gives, for every node, the shortest
facility-snap + path and which facility it came from. The cost depends on the network and the
number of facilities, not on the number of origins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xiaoqu.lifecircle.network import Network


@dataclass(frozen=True)
class Facility:
    id: str
    type: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Nearest:
    """Per type: for each origin the index of the nearest facility (-1: none) and distance."""

    facility: np.ndarray  # int64 index into the type's facilities, -1 when none
    distance: np.ndarray  # float64 metres, inf when none


def nearest_by_type(
    network: Network,
    origin_lat: Sequence[float] | np.ndarray,
    origin_lon: Sequence[float] | np.ndarray,
    facilities: Sequence[Facility],
    max_distance: float | None = None,
) -> dict[str, tuple[list[Facility], Nearest]]:
    """For every facility type: its facilities and each origin's nearest one within reach."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    origin_node, origin_snap = network.snap(origin_lat, origin_lon)
    by_type: dict[str, list[int]] = {}
    for i, f in enumerate(facilities):
        by_type.setdefault(f.type, []).append(i)
    n = network.nodes
    k = len(facilities)
    out: dict[str, tuple[list[Facility], Nearest]] = {}
    if k == 0:
        return out
    fac_node, fac_snap = network.snap([f.lat for f in facilities], [f.lon for f in facilities])
    # One graph for every type: the network's CSR plus a virtual node per facility with a
    # single out-edge to its snapped node. A virtual node has no in-edge, so the other
    # types' virtual nodes never lie on a path; each type's pass starts from its own. Explicit
    # zeros count as edges in scipy's csgraph, so a facility exactly on a node is kept.
    indptr = np.concatenate((network.indptr, network.indptr[-1] + np.arange(1, k + 1)))
    indices = np.concatenate((network.indices, fac_node))
    weights = np.concatenate((network.weights, fac_snap))
    graph = csr_matrix((weights, indices, indptr), shape=(n + k, n + k))
    limit = np.inf if max_distance is None else float(max_distance)
    for kind, members in by_type.items():
        virtual = n + np.asarray(members, dtype=np.int64)
        dist, _pred, source = dijkstra(
            graph,
            directed=True,
            indices=virtual,
            min_only=True,
            return_predecessors=True,
            limit=limit,
        )
        total = dist[origin_node] + origin_snap
        src = source[origin_node]
        reached = (src >= 0) & np.isfinite(total) & (total <= limit)
        # Map the virtual node back to the facility's position within its type.
        position = np.full(n + k, -1, dtype=np.int64)
        position[virtual] = np.arange(len(members))
        facility = np.where(reached, position[np.where(src >= 0, src, 0)], -1).astype(np.int64)
        group = [facilities[i] for i in members]
        out[kind] = (group, Nearest(facility, np.where(reached, total, np.inf)))
    return out
