"""Reading opinions from a spreadsheet (xlsx, or csv in UTF-8 or GBK), all or nothing.

One sheet, the header in row 1 with these Chinese column names (any order; other columns are
ignored):

    意见 (required) · 日期 · 楼栋号 · 单元号 · 房号 · 紧急 (是/否)

``read_opinion_file`` turns an uploaded file into ``OpinionInput`` items or raises
``SpreadsheetRefused`` (the file cannot be read at all, or exceeds the upload bounds of
``xiaoqu.core.spreadsheets``), ``OpinionFileRefused`` (no 意见 column, no opinions, too many)
or ``OpinionRowsRefused`` (one or more rows are wrong, each error located as a person sees it
in Excel: the header is row 1).
Nothing here writes; ``services.opinions_import`` stores the items in one transaction.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoqu.core.errors import DomainError
from xiaoqu.core.spreadsheets import upload_rows, xlsx_row
from xiaoqu.needs.models import heard_on_problem
from xiaoqu.needs.services import OpinionInput, clean_opinion_text
from xiaoqu.registry.importing import values
from xiaoqu.registry.models import Building, Dwelling, Estate

# The bounds of every uploaded spreadsheet (size, rows, cells) are xiaoqu.core.spreadsheets';
# an opinion import also takes at most MAX_ROWS opinions.
MAX_ROWS = 5000
MAX_ERRORS_LISTED = 200

COL_TEXT = "意见"
COL_DATE = "日期"
COL_BUILDING = "楼栋号"
COL_ENTRANCE = "单元号"
COL_ROOM = "房号"
COL_URGENT = "紧急"
COLUMNS = (COL_TEXT, COL_DATE, COL_BUILDING, COL_ENTRANCE, COL_ROOM, COL_URGENT)
SHEET_NAME = "意见"
URGENT_WORDS = {
    "": False,
    "是": True,
    "否": False,
    "紧急": True,
    "不紧急": False,
    "y": True,
    "n": False,
    "yes": True,
    "no": False,
    "1": True,
    "0": False,
    "true": True,
    "false": False,
}


class OpinionFileRefused(DomainError):
    """The spreadsheet holds no opinions to import (no 意见 column, empty, too many rows)."""

    code = "file_refused"


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("第%(row)d行 %(column)s：%(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("第%(row)d行：%(message)s") % {"row": self.row, "message": self.message}


class OpinionRowsRefused(DomainError):
    """Some rows are wrong; the whole file is refused and nothing is stored."""

    code = "rows_refused"

    def __init__(self, errors: list[RowError], more: int = 0) -> None:
        self.errors = errors
        self.more = more
        total = len(errors) + more
        super().__init__(
            ngettext(
                "导入失败：发现 %(n)d 处错误，整个文件未导入，请改正后重新上传。",
                "导入失败：发现 %(n)d 处错误，整个文件未导入，请改正后重新上传。",
                total,
            )
            % {"n": total}
        )

    def lines(self) -> list[str]:
        out = [str(e) for e in self.errors]
        if self.more:
            out.append(
                ngettext("……另有 %(n)d 处错误未列出", "……另有 %(n)d 处错误未列出", self.more)
                % {"n": self.more}
            )
        return out


# --- finding a dwelling by its numbers (shared with the hotline form) -----------------------


def _norm_number(value: str) -> str:
    """``"3"``, ``"3栋"``, ``"3号楼"`` and ``"3.0"`` (a number cell) all mean building 3."""
    value = value.strip()
    for suffix in ("号楼", "栋", "幢", "号", "单元", "室"):
        if value.endswith(suffix) and len(value) > len(suffix):
            value = value[: -len(suffix)]
            break
    if value.endswith(".0") and value[:-2].isdigit():
        value = value[:-2]
    return value


class Place:
    """Buildings and dwellings of one estate, looked up by the numbers people write."""

    def __init__(self, estate: Estate, buildings: Iterable[Building] | None = None) -> None:
        self.estate = estate
        qs = buildings if buildings is not None else Building.objects.filter(estate=estate)
        self.buildings = {_norm_number(b.number): b for b in qs}
        self._dwellings: dict[tuple[int, str, str], Dwelling | DomainError] = {}

    def building(self, number: str) -> Building:
        found = self.buildings.get(_norm_number(number))
        if found is None:
            raise DomainError(
                _("“%(n)s”栋不在%(estate)s内（或不在您的工作范围内）。")
                % {"n": number.strip(), "estate": self.estate.name},
                code="building_unknown",
            )
        return found

    def dwelling(self, building: Building, entrance: str, room: str) -> Dwelling:
        """The dwelling, or a DomainError naming what is missing (answers are remembered)."""
        key = (building.pk, _norm_number(entrance), _norm_number(room))
        if key not in self._dwellings:
            try:
                self._dwellings[key] = self._find(building, entrance, room)
            except DomainError as error:
                self._dwellings[key] = error
        found = self._dwellings[key]
        if isinstance(found, DomainError):
            raise found
        return found

    def _find(self, building: Building, entrance: str, room: str) -> Dwelling:
        room_n = _norm_number(room)
        qs = Dwelling.objects.filter(building=building, number=room_n).select_related(
            "entrance", "building"
        )
        entrance_n = _norm_number(entrance)
        if entrance_n:
            qs = qs.filter(entrance__number=entrance_n)
        found = list(qs[:2])
        where = f"{building.number}栋" + (f"{entrance_n}单元" if entrance_n else "") + room_n
        if not found:
            raise DomainError(
                _("%(estate)s没有 %(where)s 这户。") % {"estate": self.estate.name, "where": where},
                code="dwelling_unknown",
            )
        if len(found) > 1:
            raise DomainError(
                _("%(where)s 在几个单元都有，请填写单元号。") % {"where": where},
                code="entrance_needed",
            )
        return found[0]


# --- reading the file -----------------------------------------------------------------------


def _header_name(cell: str) -> str:
    """``"意见（必填）"`` and ``" 日期 (选填)"`` name the columns 意见 and 日期."""
    name = cell.replace(" ", "").replace("\u3000", "")
    for bracket in ("（", "("):
        name = name.split(bracket, 1)[0]
    return name


def _date(value: str) -> dt.date:
    """2026-03-05, 2026/3/5, 2026.3.5 or 2026年3月5日."""
    if "年" in value:
        value = value.replace("年", "-").replace("月", "-").rstrip("日号")
    return values.date(value)


def _parse_row(
    cells: dict[str, str], place: Place, today: dt.date
) -> tuple[OpinionInput | None, list[tuple[str, str]]]:
    """One row as an opinion, or None and its errors as (column, message), in column order."""
    errors: list[tuple[str, str]] = []
    text = _row_text(cells, errors)
    heard_on = _row_date(cells, today, errors)
    building, dwelling = _row_place(cells, place, errors)
    urgent = _row_urgent(cells, errors)
    if errors:
        return None, errors
    return (
        OpinionInput(
            text=text, heard_on=heard_on, building=building, dwelling=dwelling, urgent=urgent
        ),
        [],
    )


def _row_text(cells: dict[str, str], errors: list[tuple[str, str]]) -> str:
    text = cells.get(COL_TEXT, "")
    try:
        return clean_opinion_text(text)
    except DomainError as error:
        errors.append((COL_TEXT, error.message))
        return text


def _row_date(cells: dict[str, str], today: dt.date, errors: list[tuple[str, str]]) -> dt.date:
    """The day the opinion was heard: today when the row says nothing, never after today."""
    raw_date = cells.get(COL_DATE, "")
    if not raw_date:
        return today
    try:
        heard_on = _date(raw_date)
    except values.Bad as bad:
        errors.append((COL_DATE, str(bad)))
        return today
    problem = heard_on_problem(heard_on, today=today)
    if problem:
        errors.append((COL_DATE, problem))
    return heard_on


def _row_place(
    cells: dict[str, str], place: Place, errors: list[tuple[str, str]]
) -> tuple[Building | None, Dwelling | None]:
    """The building and dwelling the row names (a dwelling needs its building)."""
    b_no, e_no, r_no = (cells.get(c, "") for c in (COL_BUILDING, COL_ENTRANCE, COL_ROOM))
    if not b_no:
        if r_no or e_no:
            errors.append((COL_BUILDING, _("填写了单元号或房号时，楼栋号也要填写。")))
        return None, None
    try:
        building = place.building(b_no)
    except DomainError as error:
        errors.append((COL_BUILDING, error.message))
        return None, None
    if not r_no:
        return building, None
    try:
        return building, place.dwelling(building, e_no, r_no)
    except DomainError as error:
        errors.append((COL_ROOM, error.message))
        return building, None


def _row_urgent(cells: dict[str, str], errors: list[tuple[str, str]]) -> bool:
    try:
        return values.boolean(cells.get(COL_URGENT, ""), URGENT_WORDS)
    except values.Bad as bad:
        errors.append((COL_URGENT, str(bad)))
        return False


def read_opinion_file(
    upload: UploadedFile, *, estate: Estate, buildings: Iterable[Building] | None = None
) -> list[OpinionInput]:
    """The opinions of an uploaded spreadsheet, or an error listing every bad row.

    ``buildings`` limits the buildings a row may name (a grid worker's own); by default every
    building of the estate.
    """
    rows = upload_rows(upload, sheet=SHEET_NAME)
    header, header_row = _read_header(rows)
    index = {name: header.index(name) for name in COLUMNS if name in header}
    place = Place(estate, buildings)
    today = timezone.localdate()
    items: list[OpinionInput] = []
    errors: list[RowError] = []
    more = 0
    for n, row in enumerate(rows, start=header_row + 1):
        if not any(row):
            continue
        if len(items) + len(errors) + more >= MAX_ROWS:
            raise OpinionFileRefused(
                ngettext(
                    "一个文件最多 %(n)d 条意见，请分成几个文件上传。",
                    "一个文件最多 %(n)d 条意见，请分成几个文件上传。",
                    MAX_ROWS,
                )
                % {"n": MAX_ROWS},
                code="too_many_rows",
            )
        cells = {name: (row[i] if i < len(row) else "") for name, i in index.items()}
        item, row_errors = _parse_row(cells, place, today)
        if item is not None:
            items.append(item)
        more += _list_errors(errors, n, row_errors)
    if errors or more:
        raise OpinionRowsRefused(errors, more)
    if not items:
        raise OpinionFileRefused(_("文件中只有表头，没有意见。"), code="no_rows")
    return items


def _read_header(rows: Iterator[list[str]]) -> tuple[list[str], int]:
    """The column names of the first row that is not empty, and its row number.

    Reads ``rows`` up to that row; the file is refused when it has none or no 意见 column.
    """
    for n, row in enumerate(rows, start=1):
        if any(row):
            header = [_header_name(c) for c in row]
            if COL_TEXT not in header:
                raise OpinionFileRefused(
                    _("第 %(row)d 行表头中没有“意见”列。表头应为：%(cols)s（可下载模板对照）。")
                    % {"row": n, "cols": "、".join(COLUMNS)},
                    code="no_text_column",
                )
            return header, n
    raise OpinionFileRefused(_("文件是空的：没有表头，也没有意见。"), code="empty")


def _list_errors(errors: list[RowError], n: int, row_errors: list[tuple[str, str]]) -> int:
    """Add row ``n``'s errors to ``errors`` up to ``MAX_ERRORS_LISTED``; how many were not."""
    unlisted = 0
    for column, message in row_errors:
        if len(errors) < MAX_ERRORS_LISTED:
            errors.append(RowError(n, column, message))
        else:
            unlisted += 1
    return unlisted


def template_workbook() -> bytes:
    """An empty import template (.xlsx) with the headers and a sheet explaining them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet: Any = book.active
    sheet.title = SHEET_NAME
    sheet.append(xlsx_row(sheet, COLUMNS))
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F0F2F4")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
    for letter, width in zip("ABCDEF", (60, 14, 10, 10, 10, 8), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    help_sheet: Any = book.create_sheet("填写说明")
    help_rows = [
        [_("列"), _("是否必填"), _("说明"), _("示例")],
        [COL_TEXT, _("必填"), _("居民的原话，一行一条，最长 2000 字"), _("楼道灯坏了，晚上很黑")],
        [COL_DATE, _("选填"), _("收集日期，不填为今天；不能晚于今天"), "2026-03-05"],
        [COL_BUILDING, _("选填"), _("本小区的楼栋号"), "3"],
        [COL_ENTRANCE, _("选填"), _("单元号；同一楼栋几个单元有相同房号时必填"), "1"],
        [COL_ROOM, _("选填"), _("房号；填写房号时楼栋号必填"), "301"],
        [COL_URGENT, _("选填"), _("是 或 否，不填为否"), "否"],
        [],
        [_("整个文件要么全部导入，要么一条都不导入：有错误时会列出每一行的问题。")],
    ]
    for row in help_rows:
        help_sheet.append(xlsx_row(help_sheet, row))
    for cell in help_sheet[1]:
        cell.font = bold
    for letter, width in zip("ABCD", (10, 10, 44, 28), strict=True):
        help_sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
