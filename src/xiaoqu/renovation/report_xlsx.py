"""The monthly report and the project list as xlsx workbooks.

Money is written as exact decimal numbers of yuan (two decimals, from integer fen), rates as
percentages with one decimal, every text through ``core.spreadsheets`` so that a name such
as "=HYPERLINK(…)" stays text.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.styles import Font

from xiaoqu.core.spreadsheets import xlsx_row
from xiaoqu.renovation.models import FundSource
from xiaoqu.renovation.reports import MonthlyReport, ProjectRow, ReportLine

YUAN_FORMAT = "#,##0.00"
RATE_FORMAT = '0.0"%"'

REPORT_COLUMNS = (
    gettext_noop("区划"),
    gettext_noop("计划小区数"),
    gettext_noop("楼栋数"),
    gettext_noop("户数"),
    gettext_noop("估算投资（元）"),
    gettext_noop("已开工小区数"),
    gettext_noop("开工率（%）"),
    gettext_noop("已完工小区数"),
    gettext_noop("完工率（%）"),
    gettext_noop("计划投资（元）"),
    gettext_noop("资金到位（元）"),
    gettext_noop("已支付（元）"),
)
SOURCE_COLUMNS = (
    gettext_noop("区划"),
    gettext_noop("资金来源"),
    gettext_noop("计划（元）"),
    gettext_noop("到位（元）"),
    gettext_noop("已支付（元）"),
)
PROJECT_COLUMNS = (
    gettext_noop("项目编号"),
    gettext_noop("项目名称"),
    gettext_noop("小区"),
    gettext_noop("户数"),
    gettext_noop("阶段"),
    gettext_noop("年度计划"),
    gettext_noop("施工单位"),
    gettext_noop("预算（元）"),
    gettext_noop("已支付（元）"),
    gettext_noop("完成比例（%）"),
)


def yuan_number(fen: int) -> Decimal:
    """Integer fen as an exact decimal number of yuan."""
    return Decimal(fen) / 100


def attachment(filename: str, ascii_name: str) -> str:
    """A Content-Disposition value with the Chinese file name (RFC 6266 / 5987)."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _header(sheet: Any, columns: Sequence[str]) -> None:
    sheet.append(xlsx_row(sheet, [_(c) for c in columns]))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _formats(sheet: Any, row: int, money: Sequence[int], rates: Sequence[int] = ()) -> None:
    for col in money:
        sheet.cell(row=row, column=col).number_format = YUAN_FORMAT
    for col in rates:
        sheet.cell(row=row, column=col).number_format = RATE_FORMAT


def report_title(report: MonthlyReport) -> str:
    what = report.batch.name if report.batch else _("%(year)d 年度改造计划") % {"year": report.year}
    return _("%(region)s老旧小区改造月度进展（%(what)s，截至 %(date)s）") % {
        "region": report.region.name,
        "what": what,
        "date": report.as_of.isoformat(),
    }


def _line_values(line: ReportLine) -> list[Any]:
    return [
        line.name,
        line.estates,
        line.buildings,
        line.households,
        yuan_number(line.estimated_fen),
        line.started,
        line.start_rate,
        line.completed,
        line.completion_rate,
        yuan_number(line.planned_fen),
        yuan_number(line.received_fen),
        yuan_number(line.paid_fen),
    ]


def report_xlsx(report: MonthlyReport) -> bytes:
    """Sheet 进度: one row per line and the total; sheet 资金来源: each line's money by source."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("进度")
    sheet.append(xlsx_row(sheet, [report_title(report)]))
    sheet["A1"].font = Font(bold=True, size=13)
    _header(sheet, REPORT_COLUMNS)
    for line in [*report.lines, report.total]:
        sheet.append(xlsx_row(sheet, _line_values(line)))
        _formats(sheet, sheet.max_row, money=(5, 10, 11, 12), rates=(7, 9))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 24
    for letter in "BCDEFGHIJKL":
        sheet.column_dimensions[letter].width = 14
    sheet.freeze_panes = "B3"

    sources = book.create_sheet(_("资金来源"))
    _header(sources, SOURCE_COLUMNS)
    labels = dict(FundSource.choices)
    for line in [*report.lines, report.total]:
        for source in report.sources(line):
            sources.append(
                xlsx_row(
                    sources,
                    [
                        line.name,
                        str(labels[source.source]),
                        yuan_number(source.planned_fen),
                        yuan_number(source.received_fen),
                        yuan_number(source.paid_fen),
                    ],
                )
            )
            _formats(sources, sources.max_row, money=(3, 4, 5))
    sources.column_dimensions["A"].width = 24
    sources.column_dimensions["B"].width = 12
    for letter in "CDE":
        sources.column_dimensions[letter].width = 16
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def project_list_xlsx(rows: Sequence[ProjectRow]) -> bytes:
    """One row per project (a write-only workbook: a province has thousands)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("改造项目"))
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 30
    sheet.column_dimensions["C"].width = 30
    sheet.append(xlsx_row(sheet, [_(c) for c in PROJECT_COLUMNS]))
    for row in rows:
        project = row.project
        sheet.append(
            xlsx_row(
                sheet,
                [
                    project.code,
                    project.name,
                    "、".join(row.estates),
                    row.households,
                    str(project.get_stage_display()),
                    project.batch.name if project.batch else "",
                    project.builder.name if project.builder else "",
                    yuan_number(row.budget_fen),
                    yuan_number(row.paid_fen),
                    row.percent,
                ],
            )
        )
    out = BytesIO()
    book.save(out)
    return out.getvalue()
