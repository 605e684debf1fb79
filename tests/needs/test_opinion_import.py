"""Spreadsheet import of opinions: xlsx and csv (UTF-8, UTF-8 with BOM, GBK), all or nothing,
with a row-level list of Chinese errors; the template download; permissions and scope."""

from __future__ import annotations

import codecs
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from tests.factories import make_estate, make_user, region_chain
from xiaoqu.accounts.models import User
from xiaoqu.core.errors import DomainError
from xiaoqu.core.spreadsheets import DEFAULT_UPLOAD_MAX_BYTES
from xiaoqu.needs import services
from xiaoqu.needs.importing import COLUMNS
from xiaoqu.needs.models import Channel, Opinion

pytestmark = pytest.mark.django_db

HEADER = ["意见", "日期", "楼栋号", "单元号", "房号", "紧急"]
GOOD_ROWS = [
    ["屋顶下雨就漏水，家里墙都泡了", "2026-03-02", "1", "1", "301", "是"],
    ["楼道灯坏了，晚上上楼看不见", "2026-03-03", "2", "", "", ""],
    ["希望小区里能装几个充电桩", "", "", "", "", "否"],
]


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def estate():
    return make_estate(region_chain()[-1], name="东风小区", buildings=2, floors=3, per_floor=2)


@pytest.fixture
def other_estate():
    chain = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))
    return make_estate(chain[-1], name="远方小区", buildings=1, floors=5, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


def xlsx(rows, header=HEADER, title="意见") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8", header=HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, estate, data: bytes, name: str):
    return client.post(
        reverse("needs:opinion_import", args=[estate.pk]),
        {"file": SimpleUploadedFile(name, data)},
    )


def test_good_xlsx_imports_every_row_with_its_place_date_and_urgency(estate, staff):
    response = upload(login(staff), estate, xlsx(GOOD_ROWS), "意见.xlsx")
    assert response.status_code == 302
    assert response["Location"].endswith("?channel=import")
    roof, stairs, charging = Opinion.objects.order_by("pk")
    assert {o.channel for o in (roof, stairs, charging)} == {Channel.IMPORT}
    assert roof.dwelling.label == "1栋1单元301"
    assert roof.heard_on == dt.date(2026, 3, 2)
    assert roof.urgent and not stairs.urgent and not charging.urgent
    assert stairs.building.number == "2" and stairs.dwelling is None
    assert charging.building is None and charging.heard_on == timezone.localdate()
    assert roof.recorded_by == staff
    assert roof.category == "roof_facade"


def test_xlsx_with_real_dates_and_numbers_in_cells(estate, staff):
    """Excel stores dates as dates and numbers as numbers; both are read as people see them."""
    rows = [["屋顶漏水", dt.datetime(2026, 2, 1), 1, 1, 301, "否"]]
    response = upload(login(staff), estate, xlsx(rows), "意见.xlsx")
    assert response.status_code == 302
    opinion = Opinion.objects.get()
    assert opinion.heard_on == dt.date(2026, 2, 1)
    assert opinion.dwelling.label == "1栋1单元301"


def test_good_gbk_csv_imports(estate, staff):
    """A csv saved by Excel on a Chinese Windows is GBK."""
    data = csv_bytes(GOOD_ROWS, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    response = upload(login(staff), estate, data, "意见.csv")
    assert response.status_code == 302
    assert sorted(Opinion.objects.values_list("text", flat=True)) == sorted(r[0] for r in GOOD_ROWS)


@pytest.mark.parametrize("bom", [False, True], ids=["utf-8", "utf-8-bom"])
def test_good_utf8_csv_imports_with_or_without_bom(estate, staff, bom):
    data = csv_bytes(GOOD_ROWS)
    if bom:
        data = codecs.BOM_UTF8 + data
    response = upload(login(staff), estate, data, "opinions.csv")
    assert response.status_code == 302
    assert Opinion.objects.count() == 3


def test_columns_in_any_order_and_extra_columns_ignored(estate, staff):
    header = ["备注", "房号", "意见", "楼栋号"]
    data = csv_bytes([["随便写", "101", "楼道灯坏了", "2"]], header=header)
    assert upload(login(staff), estate, data, "a.csv").status_code == 302
    assert Opinion.objects.get().dwelling.label == "2栋1单元101"


BAD_ROWS = [
    ("empty-text", ["", "2026-03-01", "", "", "", ""], "意见", "意见内容为空"),
    ("emoji-only", ["😀😀🙏", "", "", "", "", ""], "意见", "只有表情符号无法处理"),
    ("too-long", ["漏" * 2001, "", "", "", "", ""], "意见", "意见最长 2000 字"),
    ("unknown-building", ["屋顶漏水", "", "9", "", "", ""], "楼栋号", "“9”栋不在东风小区"),
    ("unknown-dwelling", ["屋顶漏水", "", "1", "1", "909", ""], "房号", "没有 1栋1单元909"),
    # 501 exists in 远方小区 (five floors) but not in 东风小区 (three floors).
    (
        "dwelling-of-another-estate",
        ["屋顶漏水", "", "1", "1", "501", ""],
        "房号",
        "没有 1栋1单元501",
    ),
    ("room-without-building", ["屋顶漏水", "", "", "1", "301", ""], "楼栋号", "楼栋号也要填写"),
    ("bad-date", ["屋顶漏水", "3月5号", "", "", "", ""], "日期", "日期格式应为 2020-01-31"),
    ("impossible-date", ["屋顶漏水", "2026-02-30", "", "", "", ""], "日期", "日期格式"),
    ("huge-year", ["屋顶漏水", "99999999999999999999-1-1", "", "", "", ""], "日期", "日期格式"),
    (
        "huge-year-chinese",
        ["屋顶漏水", "99999999999999999999年1月1日", "", "", "", ""],
        "日期",
        "日期格式",
    ),
    ("future-date", ["屋顶漏水", "2099-01-01", "", "", "", ""], "日期", "晚于今天"),
    ("bad-urgent", ["屋顶漏水", "", "", "", "", "很急"], "紧急", "应为“是”或“否”"),
]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("case", "row", "column", "message"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS]
)
def test_a_bad_row_refuses_the_whole_file_with_its_row_and_column(
    estate, other_estate, staff, fmt, case, row, column, message
):
    rows = [GOOD_ROWS[0], row, GOOD_ROWS[1]]
    # GB18030 is GBK plus the characters GBK lacks (emoji); both are read as GB18030.
    data = xlsx(rows) if fmt == "xlsx" else csv_bytes(rows, encoding="gb18030")
    response = upload(login(staff), estate, data, f"意见.{fmt}")
    assert response.status_code == 400
    body = text_of(response)
    assert "整个文件未导入" in body
    assert f"第3行 {column}：" in body
    assert message in body
    assert not Opinion.objects.exists()


def test_every_bad_row_is_listed(estate, staff):
    rows = [["😀", "", "", "", "", ""], GOOD_ROWS[0], ["屋顶漏水", "2099-01-01", "8", "", "", ""]]
    response = upload(login(staff), estate, xlsx(rows), "a.xlsx")
    body = text_of(response)
    assert "发现 3 处错误" in body
    assert "第2行 意见" in body and "第4行 日期" in body and "第4行 楼栋号" in body
    assert not Opinion.objects.exists()


def test_blank_rows_are_skipped(estate, staff):
    rows = [GOOD_ROWS[0], ["", "", "", "", "", ""], GOOD_ROWS[1]]
    assert upload(login(staff), estate, xlsx(rows), "a.xlsx").status_code == 302
    assert Opinion.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "照片.png", "这不是电子表格文件"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x01", "意见.csv", "这不是电子表格文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "意见.xls", "旧版 .xls"),
        (b"PK\x03\x04not really a workbook", "意见.xlsx", "不是 Excel 工作簿，或已损坏"),
        (b"just text", "意见.xlsx", "内容不是 Excel 工作簿"),
        ("姓名,电话\r\n张三,13800000000\r\n".encode(), "意见.csv", "没有“意见”列"),
        ("意见,日期\r\n".encode(), "意见.csv", "只有表头，没有意见"),
        (b"\r\n\r\n", "意见.csv", "文件是空的"),
        ("意见\r\n".encode("utf-16"), "意见.csv", "这不是电子表格文件"),
    ],
    ids=[
        "png",
        "pdf",
        "xls",
        "broken-xlsx",
        "text-named-xlsx",
        "no-text-column",
        "header-only",
        "blank",
        "utf-16",
    ],
)
def test_a_file_that_is_not_an_opinion_sheet_gets_a_clear_message(
    estate, staff, data, name, message
):
    response = upload(login(staff), estate, data, name)
    assert response.status_code == 400
    assert message in text_of(response)
    assert not Opinion.objects.exists()


def test_an_empty_upload_is_refused(estate, staff):
    response = upload(login(staff), estate, b"", "a.csv")
    assert response.status_code == 400
    assert "上传的文件是空的" in text_of(response)


def test_a_file_over_five_megabytes_is_refused(estate, staff):
    data = csv_bytes([["楼道灯坏了", "", "", "", "", ""]] * 300_000)
    assert len(data) > DEFAULT_UPLOAD_MAX_BYTES
    response = upload(login(staff), estate, data, "big.csv")
    assert response.status_code == 400
    assert "文件太大" in text_of(response) and "最大 5 MB" in text_of(response)
    assert not Opinion.objects.exists()


def test_import_needs_record_opinions_and_scope(estate, other_estate, staff):
    party_member = make_user("party_member", region=estate.community)
    resident = make_user()
    url = reverse("needs:opinion_import", args=[estate.pk])
    for user in (party_member, resident):
        assert login(user).get(url).status_code == 404
        assert upload(login(user), estate, xlsx(GOOD_ROWS), "a.xlsx").status_code == 404
    assert (
        login(staff).get(reverse("needs:opinion_import", args=[other_estate.pk])).status_code == 404
    )
    assert upload(login(staff), other_estate, xlsx(GOOD_ROWS), "a.xlsx").status_code == 404
    assert not Opinion.objects.exists()
    page = login(staff).get(url)
    assert page.status_code == 200
    assert reverse("needs:opinion_import_template") in text_of(page)


def test_the_service_refuses_an_estate_outside_the_scope(other_estate, staff):
    with pytest.raises(DomainError):
        services.opinions_import(
            estate=other_estate,
            upload=SimpleUploadedFile("a.xlsx", xlsx(GOOD_ROWS)),
            actor=staff,
        )
    assert not Opinion.objects.exists()


def test_template_download_has_the_columns_and_imports_once_filled(estate, staff):
    client = login(staff)
    response = client.get(reverse("needs:opinion_import_template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["意见"]
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    assert sheet.max_row == 1  # no example rows that could be imported by mistake
    sheet.append(["小区门口路灯不亮", "2026-03-01", "2", "1", "102", "否"])
    out = io.BytesIO()
    book.save(out)
    assert upload(client, estate, out.getvalue(), "filled.xlsx").status_code == 302
    assert Opinion.objects.get().dwelling.label == "2栋1单元102"
    resident = make_user()
    assert login(resident).get(reverse("needs:opinion_import_template")).status_code == 404


def test_grid_worker_may_import_only_for_their_grids_buildings(estate):
    from tests.factories import make_grid
    from xiaoqu.accounts.models import RoleAssignment

    b1, b2 = estate.buildings.order_by("number")
    worker = make_user()
    RoleAssignment.objects.create(user=worker, role="grid_worker", grid=make_grid([b1]))
    client = login(worker)
    response = upload(client, estate, xlsx([["楼道灯坏了", "", "2", "", "", ""]]), "a.xlsx")
    assert response.status_code == 400
    assert "不在您的工作范围内" in text_of(response)
    assert (
        upload(client, estate, xlsx([["楼道灯坏了", "", "1", "", "", ""]]), "a.xlsx").status_code
        == 302
    )
    assert Opinion.objects.get().building == b1


def test_headers_with_notes_and_chinese_dates_are_understood(estate, staff):
    """ "意见（必填）" is the 意见 column; 2026年3月5日 is a date."""
    header = ["意见（必填）", "日期 (选填)", "楼栋号"]
    data = csv_bytes([["楼道灯坏了", "2026年3月5日", "2"]], header=header)
    assert upload(login(staff), estate, data, "a.csv").status_code == 302
    opinion = Opinion.objects.get()
    assert opinion.heard_on == dt.date(2026, 3, 5)
    assert opinion.building.number == "2"


# --- spreadsheet bombs (the 2026-12-01 probe) ---------------------------------------------------


def test_the_probes_workbook_of_16_million_empty_rows_is_refused_at_once(estate, staff):
    """145 KB that uncompresses to 96 MB of empty rows: refused by its size, nothing stored."""
    from tests.core.bombs import memory_ceiling, rows_bomb

    with memory_ceiling():
        response = upload(login(staff), estate, rows_bomb(), "bomb.xlsx")
    assert response.status_code == 400
    assert "bomb.xlsx" in text_of(response) and "32 MB" in text_of(response)
    assert not Opinion.objects.exists()


def test_a_workbook_of_empty_rows_within_the_size_bound_is_refused_at_the_row_bound(estate, staff):
    """A million empty rows (6 MB uncompressed) pass the size bound and stop at 100,000 rows."""
    from tests.core.bombs import memory_ceiling, rows_bomb

    with memory_ceiling():
        response = upload(login(staff), estate, rows_bomb(1_000_000), "rows.xlsx")
    assert response.status_code == 400
    assert "rows.xlsx" in text_of(response) and "100,000" in text_of(response)
    assert not Opinion.objects.exists()


def test_a_workbook_holding_a_two_gigabyte_string_is_refused_with_a_reason(estate, staff):
    """The 2 MB workbook of one 2 GB shared string is refused by the size it declares."""
    from tests.core.bombs import memory_ceiling, shared_string_bomb

    with memory_ceiling():
        response = upload(login(staff), estate, shared_string_bomb(), "text.xlsx")
    assert response.status_code == 400
    assert "text.xlsx" in text_of(response) and "2 GB" in text_of(response)
    assert not Opinion.objects.exists()


def test_a_csv_cell_longer_than_excel_allows_is_refused(estate, staff):
    """One cell of 40,000 characters is more than a spreadsheet cell may hold (32,767)."""
    data = csv_bytes([["长" * 40_000, "", "", "", "", ""]])
    response = upload(login(staff), estate, data, "long.csv")
    assert response.status_code == 400
    assert "long.csv" in text_of(response) and "32,767" in text_of(response)
    assert not Opinion.objects.exists()


def test_a_csv_of_blank_lines_is_refused_at_the_row_bound(estate, staff):
    """Blank lines count as rows: 200,000 of them are refused at 100,000."""
    data = csv_bytes([]) + b"\r\n" * 200_000
    response = upload(login(staff), estate, data, "blank.csv")
    assert response.status_code == 400
    assert "100,000" in text_of(response)


def test_the_template_holds_text_cells_only(staff):
    """The template writer stores every header and note as text, never as a formula."""
    response = login(staff).get(reverse("needs:opinion_import_template"))
    book = load_workbook(io.BytesIO(response.content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert cells and all(c.data_type == "s" for c in cells if c.value is not None)
