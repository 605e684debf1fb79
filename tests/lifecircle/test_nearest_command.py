"""`xiaoqu lifecircle nearest`: the contract in docs/cli.md, run as the real command."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "osm"
GUIXI = DATA / "guixi-jiangxi.osm"


def run(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XIAOQU_DEBUG": "1", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "xiaoqu.cli", "lifecircle", "nearest", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture
def files(tmp_path):
    origins = tmp_path / "origins.csv"
    origins.write_text(
        "id,lat,lon\n东风小区,28.300,117.220\n金仓小区,28.290,117.205\n", encoding="utf-8"
    )
    facilities = tmp_path / "facilities.csv"
    facilities.write_text(
        "id,type,lat,lon\nschool-1,school,28.301,117.221\nclinic-1,clinic,28.295,117.240\n"
        "school-2,school,28.310,117.200\n",
        encoding="utf-8",
    )
    return origins, facilities, tmp_path


def test_one_row_per_origin_and_type_in_input_order(files):
    origins, facilities, tmp = files
    done = run(
        "--osm",
        str(GUIXI),
        "--origins",
        str(origins),
        "--facilities",
        str(facilities),
        env_extra={"XIAOQU_VAR_DIR": str(tmp / "var")},
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["origin_id", "type", "facility_id", "distance_m"]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("东风小区", "clinic"),
        ("东风小区", "school"),
        ("金仓小区", "clinic"),
        ("金仓小区", "school"),
    ]
    assert all(r[2] and float(r[3]) > 0 for r in rows[1:])
    assert list((tmp / "var" / "cache" / "osm").glob("network-*.npz"))


def test_max_distance_leaves_far_facilities_empty_and_out_writes_a_file(files):
    origins, facilities, tmp = files
    out = tmp / "out.csv"
    done = run(
        "--osm",
        str(GUIXI),
        "--origins",
        str(origins),
        "--facilities",
        str(facilities),
        "--max-distance",
        "500",
        "--out",
        str(out),
        "--no-cache",
    )
    assert done.returncode == 0 and done.stdout == ""
    rows = list(csv.reader(out.open(encoding="utf-8")))
    far = [r for r in rows[1:] if r[1] == "clinic"]
    assert far and all(r[2] == "" and r[3] == "" for r in far)


@pytest.mark.parametrize(
    ("origins_text", "facilities_text", "needle"),
    [
        ("id,lat\n1,28.3\n", None, "缺少列：lon"),
        (
            "id,lat,lon\n1,28.3,117.22\n",
            "id,type,lat,lon\nf,spaceport,28.3,117.22\n",
            "未知的设施类型",
        ),
        ("id,lat,lon\nfar,39.9,116.4\n", None, "不在地图范围内"),
        ("id,lat,lon\n1,abc,117.2\n", None, "不是数字"),
        ("id,lat,lon\n", None, "没有数据"),
        ("id,lat,lon\n1,28.3,117.22\n1,28.3,117.22\n", None, "重复"),
    ],
)
def test_bad_input_exits_2_with_a_message(files, origins_text, facilities_text, needle):
    origins, facilities, tmp = files
    origins.write_text(origins_text, encoding="utf-8")
    if facilities_text:
        facilities.write_text(facilities_text, encoding="utf-8")
    done = run(
        "--osm",
        str(GUIXI),
        "--origins",
        str(origins),
        "--facilities",
        str(facilities),
        "--no-cache",
    )
    assert done.returncode == 2 and needle in done.stderr and done.stdout == ""


def test_corrupt_and_empty_osm_files(files):
    origins, facilities, tmp = files
    empty = tmp / "empty.osm.pbf"
    empty.write_bytes(b"")
    corrupt = tmp / "corrupt.osm"
    corrupt.write_text("this is not xml", encoding="utf-8")
    for path, needle in ((empty, "空的"), (corrupt, "无法读取"), (tmp / "missing.osm", "找不到")):
        done = run(
            "--osm",
            str(path),
            "--origins",
            str(origins),
            "--facilities",
            str(facilities),
            "--no-cache",
        )
        assert done.returncode == 2 and needle in done.stderr


def test_manage_py_reaches_the_same_command(files):
    """`manage.py lifecircle nearest` (Django started) writes what the fast path writes."""
    from django.core.management import call_command

    origins, facilities, tmp = files
    out = tmp / "via-django.csv"
    args = ["--osm", str(GUIXI), "--origins", str(origins), "--facilities", str(facilities)]
    call_command("lifecircle", "nearest", *args, "--out", str(out), "--no-cache")
    fast = run(*args, "--no-cache")
    assert out.read_text(encoding="utf-8") == fast.stdout


@pytest.mark.parametrize(
    ("text", "read", "needle"),
    [
        ("id,lat,lon\n\n1,28.3,117.22\n\n\n2,abc,117.2\n", "origins", "起点第 6 行"),
        ("id,lat,lon\n1,28.3,117.22\n,,\n1,28.3,117.22\n", "origins", "起点第 4 行"),
        ('id,lat,lon\n"a\nb",28.3,117.22\n\n,28.3,1\n', "origins", "起点第 5 行"),
        ("id,type,lat,lon\n\nf,spaceport,28.3,117.22\n", "facilities", "设施第 3 行"),
        ("id,lat,lon\n\n1,28.3\n", "origins", "起点第 3 行：lat/lon 不是数字"),
    ],
)
def test_an_error_names_the_files_own_line_after_blank_lines(tmp_path, text, read, needle):
    from xiaoqu.lifecircle import nearest_cli

    path = tmp_path / "input.csv"
    path.write_text(text, encoding="utf-8")
    reader = nearest_cli.read_origins if read == "origins" else nearest_cli.read_facilities
    with pytest.raises(nearest_cli.InputError) as error:
        reader(str(path))
    assert needle in str(error.value)
