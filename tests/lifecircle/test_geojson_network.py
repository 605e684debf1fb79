"""GeoJSON road layers (as overpass-turbo exports them) read into the same walking network as
the same ways in OSM XML; bad GeoJSON refused with a message a clerk understands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from tests.lifecircle.test_network_and_engine import write_osm as write_osm_file
from xiaoqu.lifecircle.engine import Facility, nearest_by_type
from xiaoqu.lifecircle.network import (
    NetworkError,
    check_osm_file,
    load_network,
    read_network,
)

SHIPPED = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "xiaoqu"
    / "demo"
    / "data"
    / "guiyang-central-roads.geojson"
)

# A few streets of a made-up block in Guiyang, at OpenStreetMap's precision (7 decimals).
NODES: dict[int, tuple[float, float]] = {
    1: (26.6000000, 106.7000000),
    2: (26.6000000, 106.7010000),
    3: (26.6000000, 106.7020000),
    4: (26.6010000, 106.7010000),
    5: (26.6010000, 106.7020000),
    6: (26.6005123, 106.7031234),
    7: (26.6020000, 106.7010000),
    8: (26.5990000, 106.6990000),
    9: (26.5995000, 106.7025000),
    10: (26.5995000, 106.7015000),
    11: (26.6009000, 106.7040000),
}
# (node ids, tags): junctions at 2, 3, 4 and 5; a footway; a motorway and a private road that
# do not count; a pedestrian square drawn as an area (not a way one walks along).
WAYS: list[tuple[list[int], dict[str, str]]] = [
    ([1, 2, 3], {"highway": "residential", "name": "金仓路"}),
    ([2, 4, 5], {"highway": "residential", "name": "盐务街"}),
    ([3, 5, 6], {"highway": "tertiary"}),
    ([4, 7], {"highway": "footway"}),
    ([1, 8], {"highway": "motorway"}),
    ([6, 11], {"highway": "service", "access": "private"}),
    ([3, 9, 10, 3], {"highway": "pedestrian", "area": "yes", "name": "大十字广场"}),
]


def write_osm(path: Path) -> Path:
    """The block's ways as OSM XML (the same ways ``geojson_pair`` writes as GeoJSON)."""
    return write_osm_file(path, NODES, WAYS)


def position(node: int) -> list[float]:
    lat, lon = NODES[node]
    return [lon, lat]


def feature(geometry: dict | None, properties: dict) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write_geojson(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def geojson_pair(path: Path) -> Path:
    """The same ways as overpass-turbo writes them: LineStrings with their tags and ``@id``,
    the third way split into a MultiLineString, the square as a Polygon, and a bus stop point."""
    features = []
    for wid, (refs, tags) in enumerate(WAYS, start=1):
        props = {"@id": f"way/{wid}", **tags}
        if tags.get("area") == "yes":
            geometry = {"type": "Polygon", "coordinates": [[position(r) for r in refs]]}
        elif wid == 3:
            geometry = {
                "type": "MultiLineString",
                "coordinates": [[position(3), position(5)], [position(5), position(6)]],
            }
        else:
            geometry = {"type": "LineString", "coordinates": [position(r) for r in refs]}
            props["@relations"] = [{"role": "", "rel": 1, "reltags": {"route": "bus"}}]
        features.append(feature(geometry, props))
    features.append(feature({"type": "Point", "coordinates": position(2)}, {"highway": "bus_stop"}))
    return write_geojson(
        path, {"type": "FeatureCollection", "generator": "overpass-turbo", "features": features}
    )


def distances_by_place(network) -> dict[tuple[tuple[float, float], tuple[float, float]], float]:
    """Shortest walking distance between every two nodes, keyed by their coordinates."""
    dist = dijkstra(network.matrix(), directed=False)
    places = list(zip(network.lat.tolist(), network.lon.tolist(), strict=True))
    return {(a, b): float(dist[i, j]) for i, a in enumerate(places) for j, b in enumerate(places)}


def test_a_geojson_layer_gives_the_network_of_the_same_ways_in_osm_xml(tmp_path):
    """Same nodes, same edges, same shortest distances between the same places: the motorway,
    the private road and the square are out, the footway is in, ways meet at shared points."""
    from_osm = read_network(write_osm(tmp_path / "block.osm"))
    from_geojson = read_network(geojson_pair(tmp_path / "block.geojson"))
    assert from_osm.nodes == from_geojson.nodes == 7
    assert from_osm.edges == from_geojson.edges == 7
    assert np.array_equal(np.sort(from_osm.weights), np.sort(from_geojson.weights))
    ours, theirs = distances_by_place(from_geojson), distances_by_place(from_osm)
    assert ours.keys() == theirs.keys()
    for pair, metres in theirs.items():
        assert ours[pair] == pytest.approx(metres, abs=1e-9)


def test_nearest_facilities_are_as_far_in_either_format(tmp_path):
    """The engine answers the same distances from either file."""
    origins = ([26.6002, 26.6019, 26.6006], [106.7001, 106.7011, 106.7029])
    facilities = [
        Facility("k1", "kindergarten", 26.6011, 106.7021),
        Facility("c1", "clinic", 26.5999, 106.7000),
    ]
    results = [
        nearest_by_type(read_network(path), *origins, facilities)
        for path in (write_osm(tmp_path / "b.osm"), geojson_pair(tmp_path / "b.geojson"))
    ]
    for kind in ("kindergarten", "clinic"):
        a, b = results[0][kind][1], results[1][kind][1]
        assert np.allclose(a.distance, b.distance, rtol=0, atol=1e-9)
        assert np.all(np.isfinite(a.distance))


def test_a_geojson_file_named_osm_is_read_by_its_content(tmp_path):
    renamed = tmp_path / "export.osm"
    renamed.write_text(geojson_pair(tmp_path / "b.geojson").read_text("utf-8"), "utf-8")
    assert read_network(renamed).nodes == 7


def test_geojson_networks_are_cached_like_osm_files(tmp_path):
    path = geojson_pair(tmp_path / "b.json")
    first = load_network(path, tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("network-*.npz"))) == 1
    again = load_network(path, tmp_path / "cache")
    assert again.nodes == first.nodes and np.array_equal(again.weights, first.weights)


def line(*points: tuple[float, float], **tags: str) -> dict:
    return feature(
        {"type": "LineString", "coordinates": [list(p) for p in points]},
        {"highway": "residential", **tags},
    )


ROAD = line((106.70, 26.60), (106.71, 26.60))


def collection(*features: dict, **extra: object) -> dict:
    return {"type": "FeatureCollection", **extra, "features": list(features)}


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"type": "FeatureCollection", "features": [', "不是有效的 GeoJSON"),
        ("<html>not json</html>", "不是有效的 GeoJSON"),
        (json.dumps(ROAD), "不是 GeoJSON 要素集（FeatureCollection）（文件里是 Feature）"),
        (json.dumps([ROAD]), "不是 GeoJSON 要素集"),
        (json.dumps({"type": "FeatureCollection"}), "没有 features 列表"),
        (json.dumps({"version": 0.6, "elements": []}), "这是 Overpass 的 JSON 结果，不是 GeoJSON"),
        (
            json.dumps(
                collection(
                    feature({"type": "Point", "coordinates": [106.7, 26.6]}, {"amenity": "bank"}),
                    feature(
                        {
                            "type": "Polygon",
                            "coordinates": [[[106.7, 26.6], [106.71, 26.6], [106.7, 26.61]]],
                        },
                        {"highway": "pedestrian", "area": "yes"},
                    ),
                )
            ),
            "没有线要素（LineString），不是道路网",
        ),
        (
            json.dumps(collection(ROAD, feature(None, {"@id": "way/42", "highway": "footway"}))),
            "第 2 个要素（way/42）没有坐标",
        ),
        (
            json.dumps(collection(feature({"type": "LineString", "coordinates": []}, {}))),
            "第 1 个要素没有坐标",
        ),
        (
            json.dumps(collection(line((106.7, 26.6)))),
            "坐标格式不对",
        ),
        (
            json.dumps(collection(line((106.7, 26.6), ("106.71", "26.6")))),
            "坐标格式不对",
        ),
        (
            json.dumps(
                collection(
                    ROAD, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
                )
            ),
            "坐标系是 urn:ogc:def:crs:EPSG::3857，不是 WGS-84 经纬度",
        ),
        (
            json.dumps(collection(ROAD, crs={"type": "link", "properties": ["odd"]})),
            "不是 WGS-84 经纬度",
        ),
        (
            json.dumps(collection(line((11878000.0, 3059000.0), (11878100.0, 3059000.0)))),
            "超出经纬度范围，像是投影坐标",
        ),
        (
            json.dumps(collection(line((26.60, 106.70), (26.60, 106.71)))),
            "纬度写在了前面",
        ),
        (
            json.dumps(collection(line((106.70, 26.60), (106.71, 26.60), highway="motorway"))),
            "没有可步行的道路",
        ),
    ],
    ids=[
        "truncated",
        "not-json",
        "a-feature",
        "a-list",
        "no-features",
        "overpass-json",
        "not-lines",
        "no-geometry",
        "empty-coordinates",
        "one-point",
        "text-coordinates",
        "wrong-crs",
        "unreadable-crs",
        "projected-metres",
        "lat-lon-swapped",
        "nothing-walkable",
    ],
)
def test_bad_geojson_is_refused_with_a_clear_message(tmp_path, content, needle):
    path = tmp_path / "roads.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NetworkError) as error:
        read_network(path)
    assert needle in str(error.value)
    assert "roads.geojson" in str(error.value) or "没有可步行的道路" in str(error.value)


@pytest.mark.parametrize(
    "name",
    ["EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326"],
)
def test_a_crs_naming_wgs84_is_accepted(tmp_path, name):
    crs = {"type": "name", "properties": {"name": name}}
    path = write_geojson(tmp_path / "roads.geojson", collection(ROAD, crs=crs))
    assert read_network(path).nodes == 2


def test_a_geojson_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "roads.geojson"
    path.write_bytes(json.dumps(collection(ROAD), ensure_ascii=False).encode() + "道".encode("gbk"))
    with pytest.raises(NetworkError, match="不是 UTF-8"):
        read_network(path)


def test_an_unknown_file_type_names_geojson_among_the_accepted_ones(tmp_path):
    with pytest.raises(NetworkError, match=r"\.osm\.pbf 或 \.geojson"):
        check_osm_file(tmp_path / "roads.shp")


def test_the_shipped_guiyang_layer_reads_into_a_plausible_network():
    """1,046 ways of central Guiyang: several thousand nodes in one large component, inside the
    layer's stated extent, with edges of plausible lengths."""
    network = read_network(SHIPPED)
    assert 5_000 < network.nodes < 8_000
    assert network.nodes <= network.edges < 2 * network.nodes
    assert network.lat.min() >= 26.490 and network.lat.max() <= 26.612
    assert network.lon.min() >= 106.656 and network.lon.max() <= 106.771
    assert network.weights.min() > 0 and network.weights.max() < 1_000
    total_km = network.weights.sum() / 2 / 1000
    assert 150 < total_km < 600


def nearest_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xiaoqu.cli", "lifecircle", "nearest", *args, "--no-cache"],
        capture_output=True,
        text=True,
        env={**os.environ, "XIAOQU_DEBUG": "1"},
        check=False,
    )


def test_the_nearest_command_takes_a_geojson_layer_as_its_osm_file(tmp_path):
    """`xiaoqu lifecircle nearest --osm roads.geojson` keeps its contract: the same CSV as from
    the same ways in OSM XML; a bad layer exits 2 with one message."""
    origins = tmp_path / "origins.csv"
    origins.write_text("id,lat,lon\nA,26.6002,106.7001\nB,26.6019,106.7011\n", encoding="utf-8")
    facilities = tmp_path / "facilities.csv"
    facilities.write_text("id,type,lat,lon\nk1,kindergarten,26.6011,106.7021\n", encoding="utf-8")
    files = ("--origins", str(origins), "--facilities", str(facilities))
    from_geojson = nearest_command("--osm", str(geojson_pair(tmp_path / "b.geojson")), *files)
    from_osm = nearest_command("--osm", str(write_osm(tmp_path / "b.osm")), *files)
    assert from_geojson.returncode == 0, from_geojson.stderr
    assert from_geojson.stdout == from_osm.stdout
    assert from_geojson.stdout.splitlines()[1].startswith("A,kindergarten,k1,")
    bad = write_geojson(tmp_path / "bad.geojson", collection(line((26.6, 106.7), (26.6, 106.71))))
    refused = nearest_command("--osm", str(bad), *files)
    assert refused.returncode == 2 and refused.stdout == ""
    assert (
        refused.stderr.startswith("错误：地图文件 bad.geojson")
        and "纬度写在了前面" in refused.stderr
    )
