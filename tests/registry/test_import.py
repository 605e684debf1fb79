"""The register import: all or nothing, row-level Chinese errors, re-import updates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.registry.fixtures.register import base_register, id_number, write_register
from xiaoqu.core.models import AuditLog
from xiaoqu.core.pii import hash_id_number
from xiaoqu.registry.importing import (
    ImportFailed,
    RegisterSourceError,
    RowError,
    import_register,
)
from xiaoqu.registry.models import (
    Building,
    Dwelling,
    Entrance,
    Estate,
    Ownership,
    Person,
    Region,
    Residency,
)

pytestmark = pytest.mark.django_db

E = "520103006001-01"
MODELS = (Region, Estate, Building, Entrance, Dwelling, Person, Ownership, Residency)


def _counts() -> list[int]:
    return [m.objects.count() for m in MODELS]


def _rejected(folder: Path) -> list[str]:
    """Import ``folder`` expecting failure; check nothing was written; the error lines."""
    before = _counts()
    audits = AuditLog.objects.filter(action="registry.import").count()
    with pytest.raises(ImportFailed) as caught:
        import_register(folder)
    assert _counts() == before
    assert AuditLog.objects.filter(action="registry.import").count() == audits
    return [str(e) for e in caught.value.errors]


def _with(tmp_path: Path, sheet: str, row: int, col: int, value: str) -> Path:
    """The base register with one cell changed (row and col count from 0 in the data)."""
    data = base_register()
    data[sheet][row][col] = value
    return write_register(tmp_path / "reg", data)


def test_a_valid_register_imports_every_entity(tmp_path):
    """Every sheet's rows are created, with regions, estate and dwellings linked correctly."""
    folder = write_register(tmp_path, base_register())
    report = import_register(folder)
    assert report.created == {
        "regions": 5,
        "estates": 1,
        "buildings": 1,
        "entrances": 1,
        "dwellings": 4,
        "people": 3,
        "ownerships": 4,
        "residencies": 2,
    }
    community = Region.objects.get(code="520103006001")
    province = Region.objects.get(code="520000")
    assert community.path.startswith(province.path)
    assert community.depth == 4
    estate = Estate.objects.get(code=E)
    assert estate.region_path == community.path
    assert estate.latitude == Decimal("26.583245")
    assert estate.management_mode == "self_managed"
    dwelling = Dwelling.objects.get(number="601")
    assert dwelling.estate_id == estate.pk
    assert dwelling.building.number == "1"
    assert dwelling.use == "commercial"
    assert Residency.objects.get(person__ref="P001").since == dt.date(2015, 5, 22)


def test_estate_households_is_the_number_of_its_dwellings(tmp_path):
    """After an import each estate's household count equals its dwellings."""
    import_register(write_register(tmp_path, base_register()))
    assert Estate.objects.get(code=E).households == 4


def test_import_records_an_audit_row_with_the_actor(tmp_path):
    """A successful import leaves one audit row with its counts."""
    import_register(write_register(tmp_path, base_register()))
    row = AuditLog.objects.get(action="registry.import")
    assert row.after["created"]["dwellings"] == 4


def test_row_error_reads_like_excel(tmp_path):
    """A row error names the sheet, the Excel row (header is row 1) and the column."""
    error = RowError("房屋", 12, "专有面积", "必须大于0")
    assert str(error) == "房屋 第12行 专有面积：必须大于0"


def test_missing_required_column_is_reported_on_the_header_row(tmp_path):
    """A sheet without a required column is refused at row 1."""
    data = base_register()
    headers = {"dwellings": ["小区编号", "楼栋号", "单元号", "房号", "楼层", "用途", "登记状态"]}
    data["dwellings"] = [r[:5] + r[6:] for r in data["dwellings"]]
    folder = write_register(tmp_path, data, headers=headers)
    assert _rejected(folder) == ["房屋 第1行 专有面积：缺少必填列"]


def test_english_headers_are_accepted(tmp_path):
    """The English column names of the format work as well as the Chinese ones."""
    data = base_register()
    headers = {
        "buildings": ["estate_code", "building", "storeys", "has_elevator", "structure"],
    }
    import_register(write_register(tmp_path, data, headers=headers))
    assert Building.objects.get().storeys == 6


def test_unknown_parent_region_code_is_an_error(tmp_path):
    """A region whose 上级代码 names no region is refused."""
    lines = _rejected(_with(tmp_path, "regions", 1, 3, "529900"))
    assert "区划 第3行 上级代码：未找到区划“529900”" in lines


def test_estate_must_belong_to_a_community(tmp_path):
    """An estate whose 社区代码 is a street, not a community, is refused."""
    lines = _rejected(_with(tmp_path, "estates", 0, 2, "520103006"))
    assert lines == ["小区 第2行 社区代码：“520103006”是街道，不是社区"]


def test_estate_with_unknown_community_code_is_an_error(tmp_path):
    """An estate naming a region code that exists nowhere is refused."""
    lines = _rejected(_with(tmp_path, "estates", 0, 2, "520103006999"))
    assert lines == ["小区 第2行 社区代码：未找到区划“520103006999”"]


def test_building_of_unknown_estate_is_an_error(tmp_path):
    """A building row naming an estate not in the file or the database is refused."""
    lines = _rejected(_with(tmp_path, "buildings", 0, 0, "NOPE"))
    assert "楼栋 第2行 小区编号：未找到小区“NOPE”" in lines


def test_entrance_of_unknown_building_is_an_error(tmp_path):
    """An entrance row naming a building the estate does not have is refused."""
    lines = _rejected(_with(tmp_path, "entrances", 0, 1, "9"))
    assert f"单元 第2行 楼栋号：小区“{E}”中没有楼栋“9”" in lines


def test_dwelling_in_unknown_entrance_is_an_error(tmp_path):
    """A dwelling row naming an entrance that does not exist is refused."""
    lines = _rejected(_with(tmp_path, "dwellings", 2, 2, "3"))
    assert f"房屋 第4行 单元号：小区“{E}”1栋中没有单元“3”" in lines


def test_ownership_of_unknown_dwelling_is_an_error(tmp_path):
    """An ownership row naming a dwelling that does not exist is refused."""
    lines = _rejected(_with(tmp_path, "ownerships", 3, 4, "999"))
    assert lines == [f"产权 第5行 房号：未找到房屋：{E}小区1栋1单元999"]


def test_ownership_of_unknown_person_is_an_error(tmp_path):
    """An ownership row naming a 人员编号 that is nowhere is refused."""
    lines = _rejected(_with(tmp_path, "ownerships", 0, 0, "P404"))
    assert lines == ["产权 第2行 人员编号：未找到人员“P404”"]


def test_duplicate_natural_key_in_the_file_is_an_error(tmp_path):
    """Two rows for the same dwelling are refused, naming the first one."""
    data = base_register()
    data["dwellings"].append(list(data["dwellings"][1]))
    lines = _rejected(write_register(tmp_path, data))
    assert lines == ["房屋 第6行 房号：与第3行重复"]


def test_duplicate_person_number_is_an_error(tmp_path):
    """Two people with the same 人员编号 are refused."""
    data = base_register()
    data["people"].append(["P002", "重复", "", ""])
    assert _rejected(write_register(tmp_path, data)) == ["人员 第5行 人员编号：与第3行重复"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "必须大于0"),
        ("0", "必须大于0"),
        ("", "必填，不能为空"),
        ("八十", "必须是数字，而不是“八十”"),
        ("52.961", "最多2位小数"),
    ],
    ids=["negative", "zero", "missing", "not-a-number", "three-decimals"],
)
def test_bad_area_is_an_error(tmp_path, value, message):
    """专有面积 must be a number greater than zero with at most two decimals."""
    lines = _rejected(_with(tmp_path, "dwellings", 0, 5, value))
    assert lines == [f"房屋 第2行 专有面积：{message}"]


def test_trailing_zeros_do_not_count_as_decimals(tmp_path):
    """52.900 is two decimals' worth and is accepted as 52.90."""
    import_register(_with(tmp_path, "dwellings", 0, 5, "52.900"))
    assert Dwelling.objects.get(number="101").area == Decimal("52.90")


def test_floor_zero_is_an_error(tmp_path):
    """There is no floor 0 (basements are negative)."""
    lines = _rejected(_with(tmp_path, "dwellings", 0, 4, "0"))
    assert lines == ["房屋 第2行 楼层：不能为0（地下层用负数）"]


def test_floor_above_the_building_is_an_error(tmp_path):
    """A dwelling cannot be above its building's 层数."""
    lines = _rejected(_with(tmp_path, "dwellings", 3, 4, "7"))
    assert lines == ["房屋 第5行 楼层：7层高于楼栋的层数（6层）"]


def test_non_integer_floor_is_an_error(tmp_path):
    """楼层 must be a whole number."""
    lines = _rejected(_with(tmp_path, "dwellings", 0, 4, "1.5"))
    assert lines == ["房屋 第2行 楼层：必须是整数，而不是“1.5”"]


def test_non_integer_storeys_is_an_error(tmp_path):
    """层数 must be a whole number; the building's dwellings are not reported again."""
    lines = _rejected(_with(tmp_path, "buildings", 0, 2, "六"))
    assert lines == ["楼栋 第2行 层数：必须是整数，而不是“六”"]


def test_bad_enum_value_is_an_error(tmp_path):
    """A 登记状态 outside the format's words is refused, listing the accepted ones."""
    lines = _rejected(_with(tmp_path, "dwellings", 0, 7, "出租"))
    assert lines == ["房屋 第2行 登记状态：“出租”不是有效的值，应为：已登记、未售出、未交付"]


def test_english_enum_codes_are_accepted(tmp_path):
    """The English codes (unsold, ...) are accepted too."""
    import_register(_with(tmp_path, "dwellings", 0, 7, "unsold"))
    assert Dwelling.objects.get(number="101").status == "unsold"


def test_id_number_with_wrong_check_digit_is_an_error(tmp_path):
    """An 18-character ID number whose check digit is wrong is refused."""
    good = id_number(1)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    lines = _rejected(_with(tmp_path, "people", 0, 3, bad))
    assert lines == ["人员 第2行 证件号码：证件号码无效（应为18位且校验位正确，或15位数字）"]


def test_bad_phone_is_an_error(tmp_path):
    """A 手机号 that is not eleven digits starting with 1 is refused."""
    lines = _rejected(_with(tmp_path, "people", 0, 2, "0851-1234"))
    assert lines == ["人员 第2行 手机号：“0851-1234”不是有效的手机号（应为1开头的11位数字）"]


def test_phone_with_country_code_is_accepted(tmp_path):
    """+86 in front of a mobile number is dropped."""
    import_register(_with(tmp_path, "people", 0, 2, "+86 138 0000 0009"))
    assert Person.objects.get(ref="P001").phone == "13800000009"


def test_latitude_out_of_range_is_an_error(tmp_path):
    """纬度 must be within -90..90."""
    lines = _rejected(_with(tmp_path, "estates", 0, 5, "126.5"))
    assert lines == ["小区 第2行 纬度：必须在-90到90之间"]


def test_longitude_out_of_range_is_an_error(tmp_path):
    """经度 must be within -180..180."""
    lines = _rejected(_with(tmp_path, "estates", 0, 6, "-206.7"))
    assert lines == ["小区 第2行 经度：必须在-180到180之间"]


def test_year_built_in_the_future_is_an_error(tmp_path):
    """建成年份 cannot be after this year."""
    year = dt.date.today().year
    lines = _rejected(_with(tmp_path, "estates", 0, 4, str(year + 1)))
    assert lines == [f"小区 第2行 建成年份：不能晚于今年（{year}）"]


@pytest.mark.parametrize("value", ["2015-02-30", "99999999999999999999-1-1", "2015-1-99999999999"])
def test_an_impossible_date_is_an_error_not_a_crash(tmp_path, value):
    """入住日期 that is no day, or a year too large for any calendar, is reported on its row."""
    lines = _rejected(_with(tmp_path, "residencies", 0, 6, value))
    assert len(lines) == 1
    assert "第2行 入住日期：日期格式应为 2020-01-31" in lines[0]


def test_every_error_is_reported_not_only_the_first(tmp_path):
    """Errors in several sheets are all listed, in file order."""
    data = base_register()
    data["dwellings"][0][5] = "-1"
    data["people"][1][2] = "123"
    lines = _rejected(write_register(tmp_path, data))
    assert [line.split(" ")[0] for line in lines] == ["房屋", "人员"]


def test_gbk_csv_is_accepted(tmp_path):
    """A csv saved in GBK (Excel's default on Chinese Windows) imports."""
    import_register(write_register(tmp_path, base_register(), encoding="gbk"))
    assert Estate.objects.get().name == "金仓路市政宿舍"


def test_utf8_with_bom_is_accepted(tmp_path):
    """A csv with a UTF-8 BOM (Excel's "CSV UTF-8") imports, BOM not part of the header."""
    import_register(write_register(tmp_path, base_register(), encoding="utf-8-sig"))
    assert Region.objects.count() == 5


def test_a_binary_file_is_refused_with_a_clear_message(tmp_path):
    """A csv that is neither UTF-8 nor GBK text is refused and nothing is written."""
    folder = write_register(tmp_path, base_register())
    (folder / "people.csv").write_bytes(bytes(range(256)) * 8)
    lines = _rejected(folder)
    assert len(lines) == 1
    assert lines[0].startswith("人员：无法识别文件“people.csv”的编码")


def test_utf16_file_is_refused(tmp_path):
    """UTF-16 text (Excel's "Unicode text") is refused too."""
    folder = write_register(tmp_path, base_register(), encoding="utf-16")
    assert "无法识别文件" in _rejected(folder)[0]


def test_xlsx_workbook_imports(tmp_path):
    """An .xlsx with one sheet per entity imports like the csv folder."""
    from openpyxl import Workbook

    from tests.registry.fixtures.register import HEADERS

    book = Workbook()
    book.remove(book.active)
    labels = {
        "regions": "区划",
        "estates": "小区",
        "buildings": "楼栋",
        "entrances": "单元",
        "dwellings": "房屋",
        "people": "人员",
        "ownerships": "产权",
        "residencies": "居住",
    }
    for key, rows in base_register().items():
        ws = book.create_sheet(labels[key])
        ws.append(HEADERS[key])
        for row in rows:
            # Numbers as a spreadsheet stores them.
            ws.append([int(c) if c.isdigit() and len(c) < 6 else c for c in row])
    path = tmp_path / "register.xlsx"
    book.save(path)
    report = import_register(path)
    assert report.created["dwellings"] == 4
    assert Building.objects.get().storeys == 6


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    """A second import of the same file creates and updates nothing."""
    folder = write_register(tmp_path, base_register())
    import_register(folder)
    before = _counts()
    report = import_register(folder)
    assert report.total_created == 0
    assert report.total_updated == 0
    assert _counts() == before


def test_reimport_updates_changed_rows_instead_of_duplicating(tmp_path):
    """A changed area and name update the existing rows, matched by natural key."""
    data = base_register()
    import_register(write_register(tmp_path / "a", data))
    data["dwellings"][0][5] = "55.50"
    data["people"][1][1] = "罗小雪"
    report = import_register(write_register(tmp_path / "b", data))
    assert report.created == dict.fromkeys(report.created, 0)
    assert report.updated["dwellings"] == 1
    assert report.updated["people"] == 1
    assert Dwelling.objects.count() == 4
    assert Dwelling.objects.get(number="101").area == Decimal("55.50")
    assert Person.objects.get(ref="P002").name == "罗小雪"


def test_reimport_adds_new_rows_next_to_existing_ones(tmp_path):
    """A second file with one more dwelling adds just that one and recounts households."""
    data = base_register()
    import_register(write_register(tmp_path / "a", data))
    data["dwellings"].append([E, "1", "1", "202", "2", "60.00", "住宅", "已登记"])
    report = import_register(write_register(tmp_path / "b", data))
    assert report.created["dwellings"] == 1
    assert Estate.objects.get().households == 5


def test_file_may_refer_to_rows_already_in_the_database(tmp_path):
    """A dwellings-only file can name an estate and entrance imported earlier."""
    data = base_register()
    import_register(write_register(tmp_path / "a", data))
    extra = {"dwellings": [[E, "1", "1", "301", "3", "70.00", "住宅", "已登记"]]}
    import_register(write_register(tmp_path / "b", extra))
    dwelling = Dwelling.objects.get(number="301")
    assert dwelling.estate.code == E
    assert Estate.objects.get().households == 5


def test_co_owners_and_a_person_with_several_dwellings(tmp_path):
    """A dwelling may have two owners with shares; one person may own two dwellings."""
    import_register(write_register(tmp_path, base_register()))
    owners = Ownership.objects.filter(dwelling__number="101")
    assert sorted(o.person.ref for o in owners) == ["P001", "P002"]
    assert {o.share for o in owners} == {Decimal("0.5")}
    assert sorted(
        Person.objects.get(ref="P001").ownerships.values_list("dwelling__number", flat=True)
    ) == [
        "101",
        "102",
    ]


def test_id_number_is_stored_only_as_hash_and_last_four(tmp_path):
    """The raw ID number is nowhere in the person row: only its keyed hash and last four."""
    import_register(write_register(tmp_path, base_register()))
    person = Person.objects.get(ref="P001")
    raw = id_number(1)
    assert person.id_hash == hash_id_number(raw)
    assert person.id_last4 == raw[-4:]
    values = [str(v) for v in Person.objects.filter(pk=person.pk).values().get().values()]
    assert raw not in values
    assert not any(raw in v for v in values)


def test_same_id_number_for_two_people_is_an_error(tmp_path):
    """Two people in the file with one ID number are refused."""
    data = base_register()
    data["people"][2][3] = data["people"][0][3]
    assert _rejected(write_register(tmp_path, data)) == [
        "人员 第4行 证件号码：与第2行的证件号码相同"
    ]


def test_50000_dwellings_with_one_bad_row_import_nothing(tmp_path):
    """A large file with one bad row in the middle writes nothing and names that row."""
    data = base_register()
    data["buildings"] = [[E, str(b), "20", "否", "砖混结构"] for b in range(1, 51)]
    data["entrances"] = [[E, str(b), str(u)] for b in range(1, 51) for u in (1, 2)]
    data["dwellings"] = [
        [E, str(b), str(u), f"{f}{k:02d}", str(f), "60.50", "住宅", "已登记"]
        for b in range(1, 51)
        for u in (1, 2)
        for f in range(1, 21)
        for k in range(1, 26)
    ]
    assert len(data["dwellings"]) == 50_000
    data["dwellings"][25_000][5] = "-60.50"
    del data["ownerships"], data["residencies"]
    lines = _rejected(write_register(tmp_path, data))
    assert lines == ["房屋 第25002行 专有面积：必须大于0"]


def test_unusable_path_raises_source_error(tmp_path):
    """A path that does not exist is not a register at all."""
    with pytest.raises(RegisterSourceError):
        import_register(tmp_path / "missing")


def test_import_command_exits_1_with_the_report(tmp_path, capsys):
    """xiaoqu import prints the Chinese report on stderr and exits 1 on errors."""
    folder = _with(tmp_path, "dwellings", 0, 5, "0")
    with pytest.raises(SystemExit) as caught:
        call_command("import", str(folder))
    assert caught.value.code == 1
    assert "房屋 第2行 专有面积：必须大于0" in capsys.readouterr().err


def test_import_command_exits_2_for_a_missing_path(tmp_path, capsys):
    """xiaoqu import exits 2 when the path is unusable."""
    with pytest.raises(SystemExit) as caught:
        call_command("import", str(tmp_path / "nothing-here"))
    assert caught.value.code == 2
    assert "找不到" in capsys.readouterr().err


def test_import_command_prints_a_summary(tmp_path, capsys):
    """On success xiaoqu import prints what it created."""
    call_command("import", str(write_register(tmp_path, base_register())))
    out = capsys.readouterr().out
    assert "导入完成" in out
    assert "房屋：新增 4" in out


def test_reimport_moving_a_street_carries_its_communities_and_estates(tmp_path):
    """A street given another district on re-import moves its whole subtree's paths."""
    data = base_register()
    import_register(write_register(tmp_path / "a", data))
    data["regions"].append(["520102", "南明区", "区县", "520100"])
    data["regions"][3][3] = "520102"
    del data["estates"]
    import_register(write_register(tmp_path / "b", {"regions": data["regions"]}))
    nanming = Region.objects.get(code="520102")
    community = Region.objects.get(code="520103006001")
    assert community.path.startswith(nanming.path)
    assert Estate.objects.get().region_path == community.path
    assert list(Estate.objects.in_region(nanming)) == [Estate.objects.get()]


def test_region_parent_must_be_of_a_higher_level(tmp_path):
    """A community whose 上级代码 is another community is refused."""
    data = base_register()
    data["regions"].append(["520103006002", "吉祥社区", "社区", "520103006001"])
    lines = _rejected(write_register(tmp_path, data))
    assert lines == ["区划 第7行 上级代码：上级区划“520103006001”是社区，级别必须高于本级（社区）"]


def test_gbk_detected_even_after_a_long_ascii_start(tmp_path):
    """A GBK file whose first megabyte is plain ASCII is still read as GBK."""
    data = base_register()
    data["people"] = [[f"P{i:06d}", "Li Lei", "", ""] for i in range(60_000)]
    data["people"].append(["P999999", "张三", "", ""])
    data["ownerships"] = data["residencies"] = []
    import_register(write_register(tmp_path, data, encoding="gbk"))
    assert Person.objects.get(ref="P999999").name == "张三"


def test_error_report_is_capped_with_a_count_of_the_rest(tmp_path):
    """More than 1,000 errors: the first 1,000 are listed and the rest counted."""
    data = base_register()
    data["people"] = [[f"P{i:05d}", "某人", "12", ""] for i in range(1_200)]
    data["ownerships"] = data["residencies"] = []
    with pytest.raises(ImportFailed) as caught:
        import_register(write_register(tmp_path, data))
    assert len(caught.value.errors) == 1000
    assert caught.value.more == 200
    assert caught.value.lines()[-1] == "……另有200处错误未列出"


def test_id_number_of_a_person_already_in_the_database_is_an_error(tmp_path):
    """A new 人员编号 carrying someone else's stored ID number is refused."""
    import_register(write_register(tmp_path / "a", base_register()))
    extra = {"people": [["P009", "冒名", "", id_number(1)]]}
    lines = _rejected(write_register(tmp_path / "b", extra))
    assert lines == ["人员 第2行 证件号码：该证件号码已属于系统中的另一人（人员编号P001）"]


def test_reimport_of_links_updates_shares_and_keeps_columns_the_file_leaves_out(tmp_path):
    """A changed share updates the ownership; a file without 份额 or 入住日期 keeps the stored ones."""
    data = base_register()
    import_register(write_register(tmp_path / "a", data))

    data["ownerships"][0][5] = "0.6"
    data["ownerships"][1][5] = "0.4"
    report = import_register(write_register(tmp_path / "b", data))
    assert report.updated["ownerships"] == 2
    assert report.created["ownerships"] == 0

    links = {
        "ownerships": [row[:5] for row in data["ownerships"]],
        "residencies": [row[:6] for row in data["residencies"]],
    }
    headers = {
        "ownerships": ["人员编号", "小区编号", "楼栋号", "单元号", "房号"],
        "residencies": ["人员编号", "小区编号", "楼栋号", "单元号", "房号", "关系"],
    }
    report = import_register(write_register(tmp_path / "c", links, headers=headers))

    assert report.total_created == 0 and report.total_updated == 0
    owner = Person.objects.get(ref="P001")
    assert Ownership.objects.get(person=owner, dwelling__number="101").share == Decimal("0.6")
    assert Residency.objects.get(person=owner).since == dt.date(2015, 5, 22)
    assert Ownership.objects.count() == 4 and Residency.objects.count() == 2


# --- spreadsheet bombs (the 2026-12-01 probe) ---------------------------------------------------


def test_import_command_refuses_the_probes_workbook_of_16_million_empty_rows(tmp_path, capsys):
    """145 KB of empty <row/> elements: exit 2 at the default row bound, never gigabytes."""
    from tests.core.bombs import memory_ceiling, rows_bomb

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(rows_bomb(title="房屋"))
    before = _counts()
    with memory_ceiling(), pytest.raises(SystemExit) as caught:
        call_command("import", str(path))
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "bomb.xlsx" in err and "10,000,000" in err
    assert _counts() == before


def test_import_command_refuses_a_two_gigabyte_shared_string_with_a_reason(tmp_path, capsys):
    """A 2 MB workbook holding one 2 GB string: refused with the bound named, not an empty reason."""
    from tests.core.bombs import memory_ceiling, shared_string_bomb

    path = tmp_path / "text.xlsx"
    path.write_bytes(shared_string_bomb(title="房屋"))
    with memory_ceiling(), pytest.raises(SystemExit) as caught:
        call_command("import", str(path))
    assert caught.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "text.xlsx" in err and "256 MB" in err
    assert not err.endswith("：")


def test_a_csv_of_blank_lines_is_refused_at_the_row_bound(tmp_path, settings):
    """Empty lines are rows: a csv of blank lines is refused like empty <row/> elements."""
    settings.XIAOQU_SHEET_MAX_ROWS = 1000
    data = base_register()
    folder = write_register(tmp_path / "reg", data)
    with (folder / "dwellings.csv").open("a") as fh:
        fh.write("\n" * 5000)
    with pytest.raises(RegisterSourceError) as caught:
        import_register(folder)
    assert "dwellings.csv" in caught.value.message and "1,000" in caught.value.message


def test_a_bound_crossed_in_the_middle_of_an_import_writes_nothing(tmp_path, settings):
    """Regions and estates read before the refusal are rolled back with the rest."""
    settings.XIAOQU_SHEET_MAX_CELL_CHARS = 40
    data = base_register()
    data["people"][0][1] = "名" * 41
    before = _counts()
    with pytest.raises(RegisterSourceError) as caught:
        import_register(write_register(tmp_path / "reg", data))
    assert "people.csv" in caught.value.message and "第 2 行" in caught.value.message
    assert _counts() == before


# --- defects found when the import became one specification -------------------------------


def test_a_region_code_given_twice_is_reported_as_a_duplicate(tmp_path):
    """A 代码 repeated in the 区划 sheet is one error on the repeat (it used to crash the import)."""
    data = base_register()
    data["regions"].append(list(data["regions"][4]))
    assert _rejected(write_register(tmp_path, data)) == ["区划 第7行 代码：与第6行重复"]


def test_a_region_code_given_twice_on_reimport_does_not_blame_the_first_row(tmp_path):
    """On re-import, only the repeat is reported, not the first row as its own namesake."""
    data = base_register()
    import_register(write_register(tmp_path / "a", data))
    data["regions"].append(list(data["regions"][3]))
    lines = _rejected(write_register(tmp_path / "b", {"regions": data["regions"]}))
    assert lines == ["区划 第7行 代码：与第5行重复"]


def test_an_area_with_more_digits_than_a_decimal_holds_is_an_error(tmp_path):
    """1e30 as 专有面积 is reported as too large (it used to crash the import)."""
    lines = _rejected(_with(tmp_path, "dwellings", 0, 5, "1e30"))
    assert lines == ["房屋 第2行 专有面积：数值过大"]


def test_imported_rows_carry_the_time_of_the_import(tmp_path):
    """Rows written by the import are stamped with the import's time, created and updated."""
    from django.utils import timezone

    before = timezone.now()
    import_register(write_register(tmp_path, base_register()))
    after = timezone.now()
    for model in MODELS:
        for created, updated in model.objects.values_list("created_at", "updated_at"):
            assert before <= created == updated <= after, model.__name__
