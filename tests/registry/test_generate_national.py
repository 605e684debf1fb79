"""``xiaoqu generate --preset national``: a register per province, shares by urban population."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from xiaoqu.registry.generator import DATA_DIR, GenerateError, generate_register
from xiaoqu.registry.generator.national import PROVINCES_FILE
from xiaoqu.registry.importing import import_register
from xiaoqu.registry.models import Dwelling, Estate, Region

# The provincial-level divisions of the mainland (GB/T 2260).
PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65",
}  # fmt: skip


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("national") / "register"
    summary = generate_register(out, preset="national", estates=310, dwellings=12_000, seed=2)
    return out, summary


def test_the_preset_lists_the_31_provinces_with_their_real_codes():
    data = json.loads((DATA_DIR / "national.json").read_text(encoding="utf-8"))
    assert {p["code"][:2] for p in data["provinces"]} == PROVINCE_CODES
    assert all(p["code"].endswith("0000") for p in data["provinces"])
    assert data["estates"] == 220_000 and data["dwellings"] == 38_000_000


def test_a_folder_per_province_listed_with_counts_that_sum_to_the_totals(national):
    out, summary = national
    listed = read(out / PROVINCES_FILE)
    assert len(listed) == 31
    assert {row["代码"][:2] for row in listed} == PROVINCE_CODES
    assert sum(int(row["小区"]) for row in listed) == 310 == summary.estates
    assert sum(int(row["房屋"]) for row in listed) == 12_000 == summary.dwellings
    for row in listed:
        folder = out / row["文件夹"]
        assert len(read(folder / "estates.csv")) == int(row["小区"]) >= 1
        regions = read(folder / "regions.csv")
        assert regions[0]["代码"] == row["代码"] and regions[0]["级别"] == "省"
        assert all(r["代码"].startswith(row["代码"][:2]) for r in regions)


def test_provinces_get_estates_by_urban_population(national):
    out, _summary = national
    estates = {row["名称"]: int(row["小区"]) for row in read(out / PROVINCES_FILE)}
    assert max(estates, key=estates.get) == "广东省"
    assert min(estates, key=estates.get) == "西藏自治区"
    assert estates["江苏省"] > estates["贵州省"] > estates["青海省"]


def test_guizhou_keeps_its_real_tree_and_other_capitals_their_real_codes(national):
    out, _summary = national
    guizhou = {r["代码"]: r["名称"] for r in read(out / "520000" / "regions.csv")}
    assert guizhou["520100"] == "贵阳市" and guizhou["520103"] == "云岩区"
    sichuan = {r["代码"]: r["名称"] for r in read(out / "510000" / "regions.csv")}
    assert sichuan["510100"] == "成都市"


def test_region_codes_are_unique_across_the_country(national):
    out, _summary = national
    codes: list[str] = []
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        codes += [r["代码"] for r in read(folder / "regions.csv")]
    assert len(codes) == len(set(codes))


def test_the_same_seed_writes_the_same_country(tmp_path, national):
    out, _summary = national
    again = tmp_path / "again"
    generate_register(again, preset="national", estates=310, dwellings=12_000, seed=2)
    for name in ("regions", "estates", "people"):
        first = (out / "330000" / f"{name}.csv").read_bytes()
        assert (again / "330000" / f"{name}.csv").read_bytes() == first


@pytest.mark.django_db
def test_provinces_import_one_after_another_into_one_database(national):
    out, _summary = national
    for code in ("110000", "520000"):
        import_register(out / code)
    provinces = set(Region.objects.filter(level="province").values_list("code", flat=True))
    assert provinces == {"110000", "520000"}
    listed = {row["代码"]: row for row in read(out / PROVINCES_FILE)}
    assert Estate.objects.count() == int(listed["110000"]["小区"]) + int(listed["520000"]["小区"])
    assert Dwelling.objects.count() == int(listed["110000"]["房屋"]) + int(listed["520000"]["房屋"])


def test_fewer_estates_than_provinces_are_refused(tmp_path):
    with pytest.raises(GenerateError, match="31"):
        generate_register(tmp_path / "out", preset="national", estates=30, dwellings=3000)
    assert not (tmp_path / "out").exists()


def test_the_command_writes_the_national_preset(tmp_path, capsys):
    call_command(
        "generate", "--preset", "national", "--estates", "31", "--dwellings", "310",
        "--out", str(tmp_path / "n"),
    )  # fmt: skip
    assert len(read(tmp_path / "n" / PROVINCES_FILE)) == 31
    estates_line = next(
        line for line in capsys.readouterr().out.splitlines() if "estates.csv" in line
    )
    assert estates_line.split()[-1] == "31"
