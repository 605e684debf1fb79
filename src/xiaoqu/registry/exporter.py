"""Export of the register in the import format (docs/register-format.md).

``export_register`` writes an .xlsx workbook when the path ends in ``.xlsx``, otherwise a
folder of csv files in UTF-8 with a BOM (so Excel opens them with the right encoding).
Exporting and importing the result into an empty database gives the same register back;
importing it into the database it came from changes nothing. ID numbers are never exported
(only their hash is stored); people entered without a 人员编号 are written as ``#<id>``, which
the importer matches back to the same person.

Names are written as they are: an xlsx cell is text, never a formula, and a csv cell that a
spreadsheet would run as a formula (``=1+1``, ``+86 …``, ``@SUM(A1)``) gets an apostrophe in
front, which the importer takes off again (the rule is in ``xiaoqu.core.spreadsheets``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from xiaoqu.core.access_log import xlsx_watermark
from xiaoqu.core.spreadsheets import csv_row, xlsx_row
from xiaoqu.registry.importing.spec import SHEETS, Choice, Column, Sheet

CHUNK = 5000


def _rows(sheet: Sheet) -> QuerySet:
    """The rows of a sheet, in the order they are written."""
    rows = sheet.model._default_manager.all()
    if sheet.key == "regions":
        # Regions entered by hand without a code cannot be named in the file.
        return rows.exclude(code__isnull=True).exclude(code="").order_by("depth", "code")
    if sheet.key == "estates":
        return rows.order_by("code")
    return rows.order_by("id")


def _writer(sheet: Sheet, column: Column) -> Callable[..., str]:
    """How the exporter writes a column from the value(s) read for it."""
    kind = column.kind
    if isinstance(kind, Choice):
        field = sheet.model_field(column)
        assert field is not None
        words = kind.writer(field)
        return lambda value: words[value]
    return kind.text


def sheet_rows(sheet: Sheet) -> Iterator[list[str]]:
    """The cells of every row of ``sheet``, in the order of its columns."""
    lookups: list[str] = []
    cells: list[tuple[int, int, Callable[..., str]]] = []
    for column in sheet.columns:
        start = len(lookups)
        lookups.extend(column.lookups)
        cells.append((start, len(lookups), _writer(sheet, column)))
    for row in _rows(sheet).values_list(*lookups).iterator(chunk_size=CHUNK):
        yield [write(*row[a:b]) for a, b, write in cells]


def export_register(
    path: Path, *, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Write the whole register to ``path``; returns the number of rows per sheet."""
    path = Path(path)
    counts: dict[str, int] = {}
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        for sheet in SHEETS:
            ws = book.create_sheet(sheet.label)
            ws.append(list(sheet.headers))

            def append(row: list[str], ws: Any = ws) -> None:
                ws.append(xlsx_row(ws, row))

            counts[sheet.key] = _copy(sheet, sheet_rows(sheet), append, progress)
        # The exporter in the properties and the printed header and footer, never as a first
        # row: the file is read back by the import (docs/personal-information.md).
        xlsx_watermark(book, book.worksheets, user=None, title=str(_("房屋档案")))
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
        return counts
    path.mkdir(parents=True, exist_ok=True)
    for sheet in SHEETS:
        with (path / sheet.filename).open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(sheet.headers)

            def write(row: list[str], writer: Any = writer) -> None:
                writer.writerow(csv_row(row))

            counts[sheet.key] = _copy(sheet, sheet_rows(sheet), write, progress)
    return counts


def _copy(
    sheet: Sheet,
    rows: Iterator[list[str]],
    write: Callable[[list[str]], Any],
    progress: Callable[[str, int, int], None] | None,
) -> int:
    count = 0
    for row in rows:
        write(row)
        count += 1
        if progress and count % 10_000 == 0:
            progress(sheet.label, count, 0)
    if progress:
        progress(sheet.label, count, count)
    return count
