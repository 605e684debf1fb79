"""A published demand list version as an xlsx workbook (for the community's files and reports).

Only the frozen items of the version are written, never live demands or opinions, so the file
says exactly what was published.
"""

from __future__ import annotations

from io import BytesIO
from urllib.parse import quote

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from xiaoqu.core.spreadsheets import xlsx_cell
from xiaoqu.needs import classifier as clf
from xiaoqu.needs.models import DemandClass, DemandList, DemandStatus

# (header, width in characters) of each column, in order.
_COLUMNS = (
    (gettext_noop("序号"), 6),
    (gettext_noop("需求"), 36),
    (gettext_noop("类别"), 14),
    (gettext_noop("分类"), 10),
    (gettext_noop("提出户数"), 10),
    (gettext_noop("占总户数比例"), 13),
    (gettext_noop("意见条数"), 10),
    (gettext_noop("最早提出"), 12),
    (gettext_noop("最近提出"), 12),
    (gettext_noop("优先分"), 9),
    (gettext_noop("状态"), 12),
    (gettext_noop("不实施原因"), 36),
)
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def xlsx_filename(demand_list: DemandList) -> str:
    """A Content-Disposition value with the Chinese file name (RFC 6266 / 5987)."""
    name = _("%(estate)s需求清单第%(v)d版.xlsx") % {
        "estate": demand_list.estate.name,
        "v": demand_list.version,
    }
    ascii_name = f"demand-list-{demand_list.estate_id}-v{demand_list.version}.xlsx"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def demand_list_xlsx(demand_list: DemandList) -> bytes:
    """The version's items, one row each with every figure, under two title rows."""
    names = clf.category_names()
    klass_labels = dict(DemandClass.choices)
    status_labels = dict(DemandStatus.choices)
    estate = demand_list.estate
    published = timezone.localtime(demand_list.published_at)

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("第%(v)d版") % {"v": demand_list.version}
    last_col = get_column_letter(len(_COLUMNS))

    # Every text goes through xlsx_cell: an estate name or an opinion such as "=HYPERLINK(…)"
    # stays text, never a formula.
    title = _("%(estate)s改造需求清单（第%(v)d版）") % {
        "estate": estate.name,
        "v": demand_list.version,
    }
    xlsx_cell(sheet, 1, 1, title).font = Font(bold=True, size=14)
    sheet.merge_cells(f"A1:{last_col}1")
    summary = _("发布日期 %(date)s；总户数 %(households)d 户；汇总居民意见 %(opinions)d 条。") % {
        "date": published.strftime("%Y-%m-%d"),
        "households": demand_list.households,
        "opinions": demand_list.opinions,
    }
    if demand_list.note:
        summary = f"{summary} {_('说明')}：{demand_list.note}"
    xlsx_cell(sheet, 2, 1, summary)
    sheet.merge_cells(f"A2:{last_col}2")
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 30

    header_row = 3
    fill = PatternFill("solid", fgColor="EEEEEE")
    for col, (header, width) in enumerate(_COLUMNS, start=1):
        cell = xlsx_cell(sheet, header_row, col, _(header))
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(col)].width = width

    row = header_row
    for item in demand_list.items.order_by("rank"):
        row += 1
        values = (
            item.rank,
            item.title,
            names.get(item.category, item.category),
            str(klass_labels.get(item.klass, item.klass)),
            item.households,
            float(item.share),
            item.opinions,
            item.first_heard,
            item.last_heard,
            float(item.priority),
            str(status_labels.get(item.status, item.status)),
            item.declined_reason,
        )
        for col, value in enumerate(values, start=1):
            cell = xlsx_cell(sheet, row, col, value)
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=col in (2, 12))
        sheet.cell(row=row, column=6).number_format = "0.0%"
        sheet.cell(row=row, column=8).number_format = "yyyy-mm-dd"
        sheet.cell(row=row, column=9).number_format = "yyyy-mm-dd"
        sheet.cell(row=row, column=10).number_format = "0.0"
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

    out = BytesIO()
    book.save(out)
    return out.getvalue()
