"""A sheet's rows as the importer reads them: the header matched against the specification.

``SheetRows`` finds each column of the sheet's specification in the file's header (by its
Chinese header, its English name or an alias; case, spaces and a trailing ``*`` do not
matter), and yields the data rows with the row numbers Excel shows (the header is row 1).
``Cell`` is a column bound to its position in the file, with the parser and the value of an
empty cell taken from the specification.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from xiaoqu.registry.importing.sources import SheetSource
from xiaoqu.registry.importing.spec import Parser, Sheet

PROGRESS_EVERY = 10_000

Progress = Callable[[str, int, int], None]
# Records one error: sheet, row number, column header, message.
Report = Callable[[Sheet, int | None, str, str], bool]


class Cell(NamedTuple):
    """A column of the specification bound to the file: where it is and how it is read."""

    position: int  # -1 when the file lacks the column: it reads the empty cell rows end with
    header: str
    parse: Parser
    required: bool
    empty: Any


def header_key(name: Any) -> str:
    """A header cell as it is matched: no BOM, no trailing ``*``, lower case, ``_`` for spaces."""
    text = str(name or "").strip().lstrip("\ufeff").rstrip("*＊").strip().lower()
    return text.replace(" ", "_")


class SheetRows:
    """The data rows of one sheet with their Excel row numbers, and its columns' positions."""

    def __init__(self, source: SheetSource, progress: Progress | None, report: Report) -> None:
        self.source = source
        self.sheet: Sheet = source.sheet
        self.progress = progress
        self.report = report
        self.header, self._rows = source.open()
        self.width = len(self.header)
        self.pos = positions(self.sheet, self.header)
        self.missing = [
            c.header for c in self.sheet.columns if c.required and c.name not in self.pos
        ]
        self.count = 0  # data rows read, empty ones included

    def has(self, name: str) -> bool:
        """Whether the file has the column whose English name is ``name``."""
        return name in self.pos

    def cells(self, *names: str) -> tuple[Cell, ...]:
        """The columns called ``names`` (English names), bound to the file, in that order."""
        sheet = self.sheet
        out = []
        for name in names:
            column = sheet.column(name)
            out.append(
                Cell(
                    self.pos.get(name, -1),
                    column.header,
                    sheet.parser(column),
                    column.required,
                    sheet.empty(column),
                )
            )
        return tuple(out)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        """``(row number, cells)`` of every row that is not empty, cells padded to the header."""
        label = self.sheet.label
        progress = self.progress
        total = max(self.source.total, 1)
        width = self.width
        # A column the file lacks reads the empty cell added at the end of every row.
        pad = len(self.pos) < len(self.sheet.columns)
        number = 1
        try:
            for row in self._rows:
                number += 1
                if progress and number % PROGRESS_EVERY == 0:
                    progress(label, number - 1, total)
                if len(row) < width:
                    row.extend([""] * (width - len(row)))
                if not any(row):
                    continue
                if pad:
                    row.append("")
                yield number, row
        except UnicodeDecodeError:
            self.report(
                self.sheet,
                number + 1,
                "",
                _("文件“%(name)s”含有无法识别的字符：请保存为 UTF-8 或 GBK 编码的 CSV")
                % {"name": self.source.name},
            )
        self.count = max(number - 1, 0)
        if progress:
            progress(label, self.count, self.count)


def positions(sheet: Sheet, header: list[str]) -> dict[str, int]:
    """English column name → its position in ``header`` (the first one when repeated)."""
    names: dict[str, str] = {}
    for column in sheet.columns:
        for accepted in column.names():
            names[header_key(accepted)] = column.name
    pos: dict[str, int] = {}
    for i, raw in enumerate(header):
        found = names.get(header_key(raw))
        if found is not None and found not in pos:
            pos[found] = i
    return pos
