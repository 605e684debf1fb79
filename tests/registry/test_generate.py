"""`xiaoqu generate`: a synthetic register in the import format (docs/register-format.md)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from xiaoqu.cli import main as xiaoqu_main
from xiaoqu.core.pii import id_number_is_valid, phone_is_valid
from xiaoqu.registry import generator
from xiaoqu.registry.generator import FILES, GenerateError, generate_register
from xiaoqu.registry.importing import import_register

GUIZHOU_PREFECTURES = {
    "520100": "贵阳市",
    "520200": "六盘水市",
    "520300": "遵义市",
    "520400": "安顺市",
    "520500": "毕节市",
    "520600": "铜仁市",
    "522300": "黔西南布依族苗族自治州",
    "522600": "黔东南苗族侗族自治州",
    "522700": "黔南布依族苗族自治州",
}


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def dwelling_key(row: dict[str, str]) -> tuple[str, str, str, str]:
    return (row["小区编号"], row["楼栋号"], row["单元号"], row["房号"])


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small") / "register"
    generate_register(out, estates=20, dwellings=1000, seed=7)
    return out


@pytest.fixture(scope="module")
def guizhou_part(tmp_path_factory) -> Path:
    """A few hundred Guizhou estates: every invariant is checked on this one."""
    out = tmp_path_factory.mktemp("guizhou_part") / "register"
    generate_register(out, estates=400, dwellings=64_000, seed=3, preset="guizhou")
    return out


@pytest.fixture(scope="module")
def guizhou(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("guizhou") / "register"
    summary = generate_register(out, preset="guizhou")
    return out, summary


def test_small_run_has_exactly_the_requested_estates_and_dwellings(small):
    """20 estates and 1,000 dwellings asked for give exactly 20 estate rows and 1,000 dwellings."""
    assert len(read(small, "estates")) == 20
    assert len(read(small, "dwellings")) == 1000


def test_summary_counts_the_rows_of_each_file(tmp_path):
    """The returned summary holds the number of data rows written to each file."""
    summary = generate_register(tmp_path / "r", estates=5, dwellings=300, seed=2)
    for name, count in summary.as_dict().items():
        assert len(read(tmp_path / "r", name)) == count


@pytest.mark.parametrize(
    ("estates", "dwellings"), [(1, 1), (7, 7), (3, 1001), (50, 50_017), (13, 4_000)]
)
def test_dwelling_total_is_exact_for_awkward_sizes(tmp_path, estates, dwellings):
    """Whatever the ratio, the dwelling total is exactly M and every estate has a dwelling."""
    generate_register(tmp_path / "r", estates=estates, dwellings=dwellings, seed=5)
    rows = read(tmp_path / "r", "dwellings")
    assert len(rows) == dwellings
    assert len({r["小区编号"] for r in rows}) == estates


def test_files_are_the_seven_register_files_with_chinese_headers(small):
    """The folder holds the seven csv files of the format, UTF-8, headers exactly as specified."""
    assert sorted(p.name for p in small.iterdir()) == sorted(f"{n}.csv" for n in FILES)
    for name, header in FILES.items():
        with open(small / f"{name}.csv", encoding="utf-8", newline="") as f:
            assert tuple(next(csv.reader(f))) == header
    assert FILES["dwellings"] == (
        "小区编号",
        "楼栋号",
        "单元号",
        "房号",
        "楼层",
        "专有面积",
        "用途",
        "登记状态",
    )


def test_same_seed_gives_byte_identical_files(tmp_path):
    """Two runs with the same arguments and seed write the same bytes."""
    generate_register(tmp_path / "a", estates=30, dwellings=3000, seed=11)
    generate_register(tmp_path / "b", estates=30, dwellings=3000, seed=11)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")


def test_parallel_workers_write_the_same_bytes_as_one_process(tmp_path):
    """Districts written by several processes give exactly the files one process writes."""
    generate_register(tmp_path / "a", estates=60, dwellings=6000, seed=5, workers=1)
    generate_register(tmp_path / "b", estates=60, dwellings=6000, seed=5, workers=2)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(f"{n}.csv" for n in FILES)


def test_different_seed_gives_different_files(tmp_path):
    """Another seed gives another register."""
    generate_register(tmp_path / "a", estates=30, dwellings=3000, seed=11)
    generate_register(tmp_path / "b", estates=30, dwellings=3000, seed=12)
    a, b = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert a["estates.csv"] != b["estates.csv"]
    assert a["people.csv"] != b["people.csv"]


def test_guizhou_preset_has_exactly_5601_estates_and_901400_dwellings(guizhou):
    """The Guizhou preset is the size of the province's programme: 5,601 estates, 901,400 homes."""
    out, summary = guizhou
    assert summary.estates == 5601
    assert summary.dwellings == 901_400
    with open(out / "dwellings.csv", encoding="utf-8") as f:
        assert sum(1 for _ in f) - 1 == 901_400
    assert len(read(out, "estates")) == 5601


def test_guizhou_preset_prefectures_are_the_nine_real_ones(guizhou):
    """The cities under 贵州省 520000 are its nine prefecture-level divisions with GB/T 2260 codes."""
    out, _summary = guizhou
    regions = read(out, "regions")
    assert [(r["代码"], r["名称"]) for r in regions if r["级别"] == "省"] == [("520000", "贵州省")]
    cities = {r["代码"]: r["名称"] for r in regions if r["级别"] == "市"}
    assert cities == GUIZHOU_PREFECTURES
    assert all(r["上级代码"] == "520000" for r in regions if r["级别"] == "市")


def test_guizhou_preset_has_the_88_counties_with_their_codes(guizhou):
    """All 88 county-level divisions are there, under the right prefecture, with real codes."""
    out, _summary = guizhou
    districts = {r["代码"]: r for r in read(out, "regions") if r["级别"] == "区县"}
    assert len(districts) == 88
    for code, name, parent in [
        ("520102", "南明区", "520100"),
        ("520103", "云岩区", "520100"),
        ("520115", "观山湖区", "520100"),
        ("520181", "清镇市", "520100"),
        ("520204", "水城区", "520200"),
        ("520281", "盘州市", "520200"),
        ("520302", "红花岗区", "520300"),
        ("520382", "仁怀市", "520300"),
        ("520403", "平坝区", "520400"),
        ("520502", "七星关区", "520500"),
        ("520581", "黔西市", "520500"),
        ("520623", "石阡县", "520600"),
        ("522301", "兴义市", "522300"),
        ("522323", "普安县", "522300"),
        ("522601", "凯里市", "522600"),
        ("522701", "都匀市", "522700"),
        ("522732", "三都水族自治县", "522700"),
    ]:
        assert (districts[code]["名称"], districts[code]["上级代码"]) == (name, parent)


def test_guizhou_estates_go_mostly_to_guiyang_then_zunyi(guizhou):
    """Estates follow population: 贵阳 has the most, then 遵义."""
    out, _summary = guizhou
    per_city = Counter(e["社区代码"][:4] for e in read(out, "estates"))
    ranked = [code for code, _n in per_city.most_common()]
    assert ranked[:2] == ["5201", "5203"]
    assert set(per_city) == {code[:4] for code in GUIZHOU_PREFECTURES}


def test_guizhou_preset_holds_the_places_of_the_seed_article(guizhou):
    """The streets and communities the Guizhou Daily report names exist, with the demo's codes."""
    out, _summary = guizhou
    regions = {r["代码"]: (r["名称"], r["上级代码"]) for r in read(out, "regions")}
    assert regions["520103006"] == ("盐务街街道", "520103")
    assert regions["520103006001"] == ("金仓社区", "520103006")
    assert regions["520103006002"] == ("吉祥社区", "520103006")
    assert regions["520623001001"] == ("大关社区", "520623001")
    assert regions["520623001"] == ("泉都街道", "520623")
    assert regions["520201002001"] == ("东风西路社区", "520201002")
    assert regions["520403001001"] == ("新城社区", "520403001")
    assert regions["520102005"] == ("兴关路街道", "520102")
    assert regions["520102003"] == ("遵义路街道", "520102")
    assert regions["522323001"] == ("盘水街道", "522323")
    names = {e["小区名称"] for e in read(out, "estates")}
    assert {"碧波水岸小区", "四通街8号院落", "阳光新城小区"} <= names


def test_guizhou_preset_shares_no_id_number_with_the_demo_register(guizhou):
    """The demo register and the preset can live in one database: no ID number is in both."""
    demo = Path(generator.DATA_DIR / "demo" / "people.csv")
    with open(demo, encoding="utf-8-sig", newline="") as f:
        demo_ids = {row["证件号码"] for row in csv.DictReader(f) if row["证件号码"]}
    out, _summary = guizhou
    assert demo_ids
    assert not demo_ids & {p["证件号码"] for p in read(out, "people")}


def test_region_codes_nest_and_names_are_unique_among_siblings(guizhou_part):
    """Street codes are the district's plus three digits, community codes the street's plus three."""
    regions = read(guizhou_part, "regions")
    by_code = {r["代码"]: r for r in regions}
    assert len(by_code) == len(regions)
    lengths = {"省": 6, "市": 6, "区县": 6, "街道": 9, "社区": 12}
    for r in regions:
        assert len(r["代码"]) == lengths[r["级别"]]
        if r["级别"] in ("街道", "社区"):
            assert r["代码"][:-3] == r["上级代码"]
    siblings = Counter((r["上级代码"], r["名称"]) for r in regions)
    assert max(siblings.values()) == 1


def test_every_id_number_is_valid_and_unique(guizhou_part):
    """Every ID number passes the GB 11643 check digit, and no two people share one."""
    ids = [p["证件号码"] for p in read(guizhou_part, "people")]
    assert all(len(i) == 18 and id_number_is_valid(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_id_numbers_carry_the_district_code_and_a_plausible_birth_date(guizhou_part):
    """An owner's ID number starts with the code of the estate's district; born 1925–2010."""
    districts = {r["代码"] for r in read(guizhou_part, "regions") if r["级别"] == "区县"}
    people = {p["人员编号"]: p["证件号码"] for p in read(guizhou_part, "people")}
    for o in read(guizhou_part, "ownerships"):
        id_number = people[o["人员编号"]]
        assert id_number[:6] == o["小区编号"][:6]
        assert id_number[:6] in districts
        assert 1925 <= int(id_number[6:10]) <= 2010


def test_phone_numbers_are_eleven_digit_mobile_numbers(guizhou_part):
    """Phones are 1[3-9] plus nine digits; a few people have none."""
    phones = [p["手机号"] for p in read(guizhou_part, "people")]
    assert all(phone_is_valid(p) and len(p) == 11 for p in phones if p)
    assert 0 < phones.count("") < len(phones) / 10


def test_floors_are_never_above_storeys_nor_zero(guizhou_part):
    """A dwelling's floor is between 1 and its building's storeys; its number starts with it."""
    storeys = {
        (b["小区编号"], b["楼栋号"]): int(b["层数"]) for b in read(guizhou_part, "buildings")
    }
    for d in read(guizhou_part, "dwellings"):
        floor = int(d["楼层"])
        assert 1 <= floor <= storeys[(d["小区编号"], d["楼栋号"])]
        assert d["房号"] == f"{floor}{d['房号'][-2:]}"


def test_areas_are_between_40_and_140_square_metres_with_two_decimals(guizhou_part):
    """Exclusive areas are decimals with two places in 40–140 m²; land areas are positive."""
    for d in read(guizhou_part, "dwellings"):
        area = Decimal(d["专有面积"])
        assert Decimal("40") <= area <= Decimal("140")
        assert area.as_tuple().exponent == -2
    assert all(Decimal(e["占地面积"]) > 0 for e in read(guizhou_part, "estates"))


def test_every_reference_resolves(guizhou_part):
    """Estates name communities; buildings, entrances, dwellings and ownerships name rows above."""
    regions = {r["代码"]: r["级别"] for r in read(guizhou_part, "regions")}
    for r in read(guizhou_part, "regions"):
        assert not r["上级代码"] or r["上级代码"] in regions
    estates = {e["小区编号"] for e in read(guizhou_part, "estates")}
    assert all(regions[e["社区代码"]] == "社区" for e in read(guizhou_part, "estates"))
    buildings = {(b["小区编号"], b["楼栋号"]) for b in read(guizhou_part, "buildings")}
    assert {b[0] for b in buildings} == estates
    entrances = {(e["小区编号"], e["楼栋号"], e["单元号"]) for e in read(guizhou_part, "entrances")}
    assert {e[:2] for e in entrances} == buildings
    keys = [dwelling_key(d) for d in read(guizhou_part, "dwellings")]
    dwellings = set(keys)
    assert len(dwellings) == len(keys)
    assert {d[:3] for d in dwellings} == entrances
    people = {p["人员编号"] for p in read(guizhou_part, "people")}
    ownerships = read(guizhou_part, "ownerships")
    assert all(o["人员编号"] in people and dwelling_key(o) in dwellings for o in ownerships)
    assert {o["人员编号"] for o in ownerships} == people


def test_only_owned_dwellings_have_owners(guizhou_part):
    """已登记 dwellings have one or two owners; 未售出 and 未交付 ones (developer-held) have none."""
    owners = Counter(dwelling_key(o) for o in read(guizhou_part, "ownerships"))
    statuses = Counter()
    for d in read(guizhou_part, "dwellings"):
        statuses[d["登记状态"]] += 1
        if d["登记状态"] == "已登记":
            assert owners[dwelling_key(d)] in (1, 2)
        else:
            assert owners[dwelling_key(d)] == 0
    assert set(statuses) == {"已登记", "未售出", "未交付"}
    assert statuses["已登记"] > 0.9 * sum(statuses.values())


def test_some_dwellings_have_co_owners_and_some_owners_hold_several(guizhou_part):
    """Couples hold jointly (two owner rows) and some people own more than one dwelling."""
    ownerships = read(guizhou_part, "ownerships")
    per_dwelling = Counter(dwelling_key(o) for o in ownerships)
    per_person = Counter(o["人员编号"] for o in ownerships)
    assert 0.1 < sum(1 for n in per_dwelling.values() if n == 2) / len(per_dwelling) < 0.4
    assert sum(1 for n in per_person.values() if n > 1) > 0
    shares = {o["份额"] for o in ownerships}
    assert shares == {"", "0.5"}


def test_buildings_are_mostly_walk_ups_with_a_few_taller_with_elevators(guizhou_part):
    """Most buildings have 5–7 storeys and no elevator; buildings above 8 storeys have one."""
    buildings = read(guizhou_part, "buildings")
    walk_ups = [b for b in buildings if 5 <= int(b["层数"]) <= 7 and b["有电梯"] == "否"]
    assert len(walk_ups) > 0.6 * len(buildings)
    assert all(b["有电梯"] == "是" for b in buildings if int(b["层数"]) > 8)
    assert Counter(b["结构"] for b in buildings).most_common(1)[0][0] == "砖混结构"


def test_build_years_straddle_the_eligibility_cutoff(guizhou_part):
    """Most estates date from 1980–2005; some are from after 2000, so eligibility varies."""
    years = [int(e["建成年份"]) for e in read(guizhou_part, "estates")]
    assert sum(1980 <= y <= 2005 for y in years) > 0.75 * len(years)
    assert any(y > 2000 for y in years)
    assert any(y <= 2000 for y in years)


def test_coordinates_lie_near_their_district(guizhou_part):
    """Estate coordinates are WGS-84 inside Guizhou (24.6–29.3 °N, 103.6–109.6 °E)."""
    for e in read(guizhou_part, "estates"):
        assert 24.6 < float(e["纬度"]) < 29.3
        assert 103.6 < float(e["经度"]) < 109.6


def test_generic_form_uses_a_small_made_up_province(small):
    """Without a preset the regions are a small province whose codes cannot clash with real ones."""
    regions = read(small, "regions")
    provinces = [r for r in regions if r["级别"] == "省"]
    assert len(provinces) == 1
    assert provinces[0]["代码"] == "990000"
    assert len([r for r in regions if r["级别"] == "区县"]) < 20


def run_cli(*args: str) -> int:
    try:
        xiaoqu_main(["generate", *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--estates", "0", "--dwellings", "10"], "小区数量至少为 1"),
        (["--estates", "10", "--dwellings", "9"], "房屋数量不能少于小区数量"),
        (["--estates", "10"], "--estates 和 --dwellings"),
        (["--estates", "2", "--dwellings", "99999999"], "平均每个小区"),
    ],
)
def test_bad_counts_exit_2_with_a_message(tmp_path, capsys, args, message):
    """Impossible counts stop with exit code 2 and a Chinese message; nothing is written."""
    assert run_cli(*args, "--out", str(tmp_path / "out")) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_non_empty_output_folder_needs_force(tmp_path, capsys):
    """An existing non-empty folder is refused with exit code 2 unless --force is given."""
    (tmp_path / "notes.txt").write_text("keep")
    assert run_cli("--estates", "2", "--dwellings", "20", "--out", str(tmp_path)) == 2
    assert "--force" in capsys.readouterr().err
    assert run_cli("--estates", "2", "--dwellings", "20", "--out", str(tmp_path), "--force") == 0
    assert (tmp_path / "notes.txt").read_text() == "keep"
    assert len(read(tmp_path, "dwellings")) == 20


def test_output_path_that_is_a_file_exits_2(tmp_path, capsys):
    """An output path naming a file is refused."""
    target = tmp_path / "register.csv"
    target.write_text("")
    assert run_cli("--estates", "2", "--dwellings", "20", "--out", str(target)) == 2
    assert "不是文件夹" in capsys.readouterr().err


def test_unknown_preset_and_non_numbers_exit_2(tmp_path, capsys):
    """Arguments argparse rejects also exit with code 2."""
    assert run_cli("--preset", "hunan", "--out", str(tmp_path / "a")) == 2
    assert run_cli("--estates", "x", "--dwellings", "5", "--out", str(tmp_path / "b")) == 2
    assert "invalid" in capsys.readouterr().err


def test_api_rejects_bad_arguments_with_generate_error(tmp_path):
    """The Python API raises GenerateError (a ValueError) for the same mistakes."""
    with pytest.raises(GenerateError):
        generate_register(tmp_path / "r", estates=5, dwellings=4)
    with pytest.raises(GenerateError):
        generate_register(tmp_path / "r", estates=5, dwellings=10, preset="atlantis")


def test_command_prints_the_counts(tmp_path):
    """The command reports the rows written per file."""
    out = io.StringIO()
    call_command(
        "generate", "--estates", "3", "--dwellings", "90", "--out", str(tmp_path / "r"), stdout=out
    )
    assert "dwellings.csv" in out.getvalue()
    assert "90" in out.getvalue()


@pytest.mark.django_db
def test_generated_register_imports_cleanly(tmp_path):
    """A generated register imports all-or-nothing without a single error."""
    from xiaoqu.registry.models import Building, Dwelling, Entrance, Estate, Ownership, Person

    summary = generate_register(tmp_path / "r", estates=12, dwellings=900, seed=4, preset="guizhou")
    import_register(tmp_path / "r")
    assert Estate.objects.count() == summary.estates
    assert Building.objects.count() == summary.buildings
    assert Entrance.objects.count() == summary.entrances
    assert Dwelling.objects.count() == summary.dwellings
    assert Person.objects.count() == summary.people
    assert Ownership.objects.count() == summary.ownerships


@pytest.mark.django_db
def test_stats_after_import_match_the_generated_counts(tmp_path):
    """`xiaoqu stats --json` after importing a generated register reports its counts."""
    summary = generate_register(tmp_path / "r", estates=10, dwellings=700, seed=9)
    import_register(tmp_path / "r")
    out = io.StringIO()
    call_command("stats", "--json", stdout=out)
    stats = json.loads(out.getvalue())
    expected = summary.as_dict()
    for key in ("regions", "estates", "buildings", "entrances", "dwellings", "people"):
        assert stats[key] == expected[key], key


# --- the demo preset -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("demo") / "register"
    return out, generate_register(out, preset="demo")


def test_demo_preset_writes_all_eight_files_of_the_format(demo):
    """The demo preset writes residencies.csv too, and counts every file."""
    out, summary = demo
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["regions.csv", "residencies.csv", *(f"{n}.csv" for n in FILES if n != "regions")]
    )
    for name, count in summary.as_dict().items():
        assert len(read(out, name)) == count
    assert summary.residencies > 0


def test_demo_preset_has_the_places_of_the_report_with_their_codes(demo):
    """Its places are fixed: the report's communities with the codes the demo logins use."""
    out, _summary = demo
    regions = {r["代码"]: r["名称"] for r in read(out, "regions")}
    assert regions["520103006001"] == "金仓社区"
    assert regions["529901001"] == "党武街道"
    estates = {e["小区编号"]: e["小区名称"] for e in read(out, "estates")}
    assert estates["520103006001-01"] == "金仓路市政宿舍"
    assert estates["522323001001-01"] == "阳光新城小区"
    assert estates["520102003001-01"] == "四通街8号院落"
    assert estates["520623001001-01"] == "碧波水岸小区"
    assert len(estates) == 30


def test_demo_preset_holds_the_people_of_the_demo_logins(demo):
    """P000001 owns two flats of 金仓路市政宿舍 and rents one out to P000002."""
    out, _summary = demo
    people = {p["人员编号"]: p for p in read(out, "people")}
    assert (people["P000001"]["姓名"], people["P000001"]["手机号"]) == ("周建国", "13800000002")
    assert (people["P000002"]["姓名"], people["P000002"]["手机号"]) == ("罗晓雪", "13800000001")
    owned = sorted(dwelling_key(o) for o in read(out, "ownerships") if o["人员编号"] == "P000001")
    assert owned == [("520103006001-01", "1", "1", "301"), ("520103006001-01", "2", "2", "502")]
    tenancy = [r for r in read(out, "residencies") if r["人员编号"] == "P000002"]
    assert [(dwelling_key(r), r["关系"]) for r in tenancy] == [(owned[1], "租户")]


def test_demo_preset_people_are_plainly_synthetic(demo):
    """Phones are in the test series 137-0000 / 136-0000 (but the logins'), IDs are valid."""
    out, _summary = demo
    people = read(out, "people")
    phones = {p["手机号"] for p in people if p["手机号"]} - {"13800000001", "13800000002"}
    assert all(p[:7] in ("1370000", "1360000") for p in phones)
    ids = [p["证件号码"] for p in people if p["证件号码"]]
    assert all(id_number_is_valid(i) for i in ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    "args", [["--estates", "3"], ["--dwellings", "30"], ["--seed", "2"]], ids=str
)
def test_demo_preset_refuses_counts_and_a_seed(tmp_path, capsys, args):
    """The demo is fixed: counts or a seed with --preset demo exit 2 and write nothing."""
    assert run_cli("--preset", "demo", *args, "--out", str(tmp_path / "out")) == 2
    assert "--preset demo" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_command_prints_every_file_the_demo_preset_writes(tmp_path):
    """`xiaoqu generate --preset demo` reports its eight files, residencies.csv included."""
    out = io.StringIO()
    call_command("generate", "--preset", "demo", "--out", str(tmp_path / "r"), stdout=out)
    printed = out.getvalue()
    assert "residencies.csv" in printed and "dwellings.csv" in printed
    assert "3,020" in printed
