"""Reading a register: an .xlsx workbook or a folder of csv files, as rows of strings.

The files are read by ``xiaoqu.core.spreadsheets`` within the command line's bounds
(``command_limits``: size, rows, cell length); a file beyond them is refused with a
``RegisterSourceError`` that names the file and the bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from xiaoqu.core.spreadsheets import (
    EncodingRefused,
    SheetLimits,
    SpreadsheetRefused,
    WorkbookSheet,
    command_limits,
    csv_rows,
    open_workbook,
)
from xiaoqu.registry.importing.spec import SHEETS, Sheet

__all__ = ["EncodingRefused", "RegisterSourceError", "SheetSource", "open_register"]

# A register that cannot be read is a refused spreadsheet: one type, so that a bound crossed
# while the rows stream (mid-import) reaches the same handler as a file refused at the start.
RegisterSourceError = SpreadsheetRefused


@dataclass
class SheetSource:
    sheet: Sheet
    name: str  # file or worksheet name, for messages
    reader: Callable[[], tuple[list[str], Iterator[list[str]]]]
    total: int  # estimated data rows, for progress

    def open(self) -> tuple[list[str], Iterator[list[str]]]:
        return self.reader()


def _sheet_for(name: str) -> Sheet | None:
    stem = name.strip().lower()
    for sheet in SHEETS:
        if stem in {n.lower() for n in sheet.names()}:
            return sheet
    return None


def open_register(path: Path) -> list[SheetSource]:
    """The sheets found at ``path``, in the order the importer needs them."""
    if not path.exists():
        raise RegisterSourceError(
            _("找不到文件或文件夹：%(path)s") % {"path": path}, code="unusable_source"
        )
    limits = command_limits()
    if path.is_dir():
        found = _csv_folder(path, limits)
    elif path.suffix.lower() == ".xlsx":
        found = _workbook(path, limits)
    elif path.suffix.lower() == ".csv":
        sheet = _sheet_for(path.stem)
        if sheet is None:
            raise RegisterSourceError(
                _("无法判断“%(name)s”是哪一类数据：文件名应为 %(names)s 之一")
                % {"name": path.name, "names": "、".join(s.filename for s in SHEETS)},
                code="unusable_source",
            )
        found = {sheet.key: _csv_source(sheet, path, limits)}
    else:
        raise RegisterSourceError(
            _("不支持的文件类型“%(name)s”：请提供 .xlsx 工作簿或 csv 文件所在的文件夹")
            % {"name": path.name},
            code="unusable_source",
        )
    if not found:
        raise RegisterSourceError(
            _("“%(path)s”中没有可导入的数据：应有名为 %(names)s 的工作表或文件")
            % {
                "path": path,
                "names": "、".join(f"{s.label}（{s.filename}）" for s in SHEETS),
            },
            code="unusable_source",
        )
    return [found[s.key] for s in SHEETS if s.key in found]


def _csv_folder(folder: Path, limits: SheetLimits) -> dict[str, SheetSource]:
    found: dict[str, SheetSource] = {}
    for file in sorted(folder.iterdir()):
        if file.suffix.lower() != ".csv" or not file.is_file():
            continue
        sheet = _sheet_for(file.stem)
        if sheet is not None and sheet.key not in found:
            found[sheet.key] = _csv_source(sheet, file, limits)
    return found


def _count_lines(file: Path, limits: SheetLimits) -> int:
    count = 0
    if file.stat().st_size > limits.max_bytes:
        return 0  # refused when read
    with file.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            count += chunk.count(b"\n")
    return max(count - 1, 0)


def _csv_source(sheet: Sheet, file: Path, limits: SheetLimits) -> SheetSource:
    def reader() -> tuple[list[str], Iterator[list[str]]]:
        rows = csv_rows(file, name=file.name, limits=limits)
        try:
            header = next(rows, [])
        except UnicodeDecodeError:  # the header itself, or a file cut inside a character
            raise EncodingRefused(file.name) from None
        return header, rows

    return SheetSource(sheet, file.name, reader, _count_lines(file, limits))


def _workbook(file: Path, limits: SheetLimits) -> dict[str, SheetSource]:
    book = open_workbook(file, name=file.name, limits=limits)
    found: dict[str, SheetSource] = {}
    for ws in book.sheets:
        sheet = _sheet_for(ws.title)
        if sheet is None or sheet.key in found:
            continue

        def reader(ws: WorkbookSheet = ws) -> tuple[list[str], Iterator[list[str]]]:
            rows = ws.rows()
            return next(rows, []), rows

        found[sheet.key] = SheetSource(sheet, ws.title, reader, max(ws.estimated_rows() - 1, 0))
    return found
