"""``xiaoqu lifecircle nearest`` (pure: answered before Django starts, like ``vote evaluate``).

    xiaoqu lifecircle nearest --osm FILE --origins FILE.csv --facilities FILE.csv
                              [--max-distance METRES] [--out FILE.csv] [--no-cache]

``--osm`` is an OpenStreetMap file (.osm, .osm.gz, .osm.bz2, .osm.pbf) or a GeoJSON road layer
(.geojson, WGS-84 LineStrings with OSM tags, as overpass-turbo exports). Origins CSV
``id,lat,lon``; facilities CSV ``id,type,lat,lon`` (WGS-84, UTF-8, header row,
other columns ignored; ``type`` one of ``standard.FACILITY_TYPES``). Output CSV, one row per
origin (input order) and facility type (sorted): ``origin_id,type,facility_id,distance_m``,
the last two empty when no facility of the type is within ``--max-distance``; distances in
metres to the centimetre. Built networks are cached under ``$XIAOQU_VAR_DIR/cache/osm`` (or
``var/cache/osm``) by the file's SHA-256. Any input error exits with code 2 and one message on
stderr, and writes no output.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from xiaoqu.core import csvtext
from xiaoqu.lifecircle.engine import Facility, nearest_by_type
from xiaoqu.lifecircle.network import NetworkError, load_network
from xiaoqu.lifecircle.standard import FACILITY_TYPES

# A point farther than this outside the network's bounding box is not on the map.
OUTSIDE_MARGIN_M = 500.0


class InputError(ValueError):
    pass


def _read_csv(path: str, columns: tuple[str, ...], what: str) -> list[tuple[int, dict[str, str]]]:
    """The rows that fill any of ``columns``, each with its line in the file (header: line 1).

    A cell longer than ``csvtext.MAX_CELL_CHARS`` (or one the csv module cannot read) is an
    input error naming its line, never a traceback.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            found = csvtext.records(fh)
            first = next(found, (1, []))[1]
            header = [h.strip().lower() for h in first]
            missing = [c for c in columns if c not in header]
            if missing:
                raise InputError(
                    f"{what}文件 {path} 缺少列：{', '.join(missing)}（需要 {','.join(columns)}）"
                )
            rows = []
            for line, cells in found:
                # A short row leaves its last columns empty; cells past the header are ignored.
                clean = dict.fromkeys(header, "") | {
                    k: v.strip() for k, v in zip(header, cells, strict=False)
                }
                if any(clean.get(c) for c in columns):
                    rows.append((line, clean))
            return rows
    except OSError as exc:
        raise InputError(f"无法读取{what}文件 {path}：{exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{what}文件 {path} 不是 UTF-8 文本") from exc
    except csvtext.CsvRecordRefused as exc:
        if exc.too_long:
            raise InputError(
                f"{what}文件 {path} 第 {exc.line} 行有一格超过 {csvtext.MAX_CELL_CHARS:,} 个字符，"
                "文件未读取"
            ) from None
        raise InputError(
            f"{what}文件 {path} 第 {exc.line} 行不是有效的 CSV：{exc.reason}"
        ) from None


def _coordinate(row: dict[str, str], line: int, what: str) -> tuple[float, float]:
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except ValueError:
        raise InputError(f"{what}第 {line} 行：lat/lon 不是数字") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError(f"{what}第 {line} 行：坐标超出范围")
    return lat, lon


def read_origins(path: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    rows = _read_csv(path, ("id", "lat", "lon"), "起点")
    if not rows:
        raise InputError(f"起点文件 {path} 没有数据")
    ids, lats, lons, seen = [], [], [], set()
    for line, row in rows:
        if not row["id"]:
            raise InputError(f"起点第 {line} 行：id 为空")
        if row["id"] in seen:
            raise InputError(f"起点第 {line} 行：id {row['id']} 重复")
        seen.add(row["id"])
        lat, lon = _coordinate(row, line, "起点")
        ids.append(row["id"])
        lats.append(lat)
        lons.append(lon)
    return ids, np.asarray(lats), np.asarray(lons)


def read_facilities(path: str) -> list[Facility]:
    rows = _read_csv(path, ("id", "type", "lat", "lon"), "设施")
    out = []
    for line, row in rows:
        if not row["id"]:
            raise InputError(f"设施第 {line} 行：id 为空")
        if row["type"] not in FACILITY_TYPES:
            raise InputError(
                f"设施第 {line} 行：未知的设施类型“{row['type']}”（可用：{', '.join(FACILITY_TYPES)}）"
            )
        lat, lon = _coordinate(row, line, "设施")
        out.append(Facility(row["id"], row["type"], lat, lon))
    return out


def _check_inside(
    network: Any, ids: list[str], lat: np.ndarray, lon: np.ndarray, what: str
) -> None:
    margin_lat = OUTSIDE_MARGIN_M / 111_195.0
    lat_min, lat_max = network.lat.min() - margin_lat, network.lat.max() + margin_lat
    scale = max(math.cos(math.radians(float(np.abs(network.lat).max()))), 0.01)
    margin_lon = margin_lat / scale
    lon_min, lon_max = network.lon.min() - margin_lon, network.lon.max() + margin_lon
    outside = (lat < lat_min) | (lat > lat_max) | (lon < lon_min) | (lon > lon_max)
    if outside.any():
        bad = [ids[i] for i in np.flatnonzero(outside)[:5]]
        raise InputError(
            f"{what} {', '.join(bad)}{' 等' if outside.sum() > 5 else ''} 不在地图范围内"
            f"（道路网范围：纬度 {network.lat.min():.4f}–{network.lat.max():.4f}，"
            f"经度 {network.lon.min():.4f}–{network.lon.max():.4f}）"
        )


def cache_dir() -> Path:
    base = os.environ.get("XIAOQU_VAR_DIR") or os.path.join(
        os.environ.get("XIAOQU_HOME", "."), "var"
    )
    return Path(base) / "cache" / "osm"


def nearest_rows(
    osm: str, origins: str, facilities: str, max_distance: float | None, use_cache: bool = True
) -> list[tuple[str, str, str, str]]:
    if max_distance is not None and not (max_distance > 0 and math.isfinite(max_distance)):
        raise InputError("--max-distance 应为正数（米）")
    ids, lat, lon = read_origins(origins)
    facs = read_facilities(facilities)
    try:
        network = load_network(osm, cache_dir() if use_cache else None)
    except NetworkError as exc:
        raise InputError(str(exc)) from exc
    _check_inside(network, ids, lat, lon, "起点")
    if facs:
        _check_inside(
            network,
            [f.id for f in facs],
            np.asarray([f.lat for f in facs]),
            np.asarray([f.lon for f in facs]),
            "设施",
        )
    result = nearest_by_type(network, lat, lon, facs, max_distance)
    rows = []
    kinds = sorted(result)
    for i, origin in enumerate(ids):
        for kind in kinds:
            group, near = result[kind]
            j = int(near.facility[i])
            if j < 0:
                rows.append((origin, kind, "", ""))
            else:
                rows.append((origin, kind, group[j].id, f"{near.distance[i]:.2f}"))
    return rows


def add_options(parser: Any) -> None:
    """The command's options (shared by the fast path and ``manage.py lifecircle nearest``)."""
    parser.add_argument("--osm", required=True)
    parser.add_argument("--origins", required=True)
    parser.add_argument("--facilities", required=True)
    parser.add_argument("--max-distance", dest="max_distance", type=float, default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--no-cache", dest="no_cache", action="store_true")


def execute(options: Any, stdout: Any = None) -> int:
    try:
        rows = nearest_rows(
            options.osm,
            options.origins,
            options.facilities,
            options.max_distance,
            not options.no_cache,
        )
    except InputError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    header = ("origin_id", "type", "facility_id", "distance_m")
    if options.out:
        with open(options.out, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
    else:
        writer = csv.writer(stdout or sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return 0


def run(args: list[str], stdout: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="xiaoqu lifecircle nearest", description=__doc__.splitlines()[0]
    )
    add_options(parser)
    try:
        options = parser.parse_args(args)
    except SystemExit as exc:  # argparse has printed its message
        return 2 if exc.code else 0
    return execute(options, stdout)
