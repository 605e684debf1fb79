"""Reading a register: an .xlsx workbook or a folder of csv files, as rows of strings."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from xiaoqu.core.errors import DomainError
from xiaoqu.registry.importing.schema import SHEETS, Sheet


class RegisterSourceError(DomainError):
    """The path cannot be read as a register at all (missing, wrong kind of file)."""

    code = "unusable_source"


class EncodingRefused(Exception):
    """A csv file that is neither UTF-8 nor GBK/GB18030 text."""


@dataclass
class SheetSource:
    sheet: Sheet
    name: str  # file or worksheet name, for messages
    reader: Any  # callable returning (header, rows iterator)
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
        raise RegisterSourceError(_("找不到文件或文件夹：%(path)s") % {"path": path})
    if path.is_dir():
        found = _csv_folder(path)
    elif path.suffix.lower() == ".xlsx":
        found = _workbook(path)
    elif path.suffix.lower() == ".csv":
        sheet = _sheet_for(path.stem)
        if sheet is None:
            raise RegisterSourceError(
                _("无法判断“%(name)s”是哪一类数据：文件名应为 %(names)s 之一")
                % {"name": path.name, "names": "、".join(s.filename for s in SHEETS)}
            )
        found = {sheet.key: _csv_source(sheet, path)}
    else:
        raise RegisterSourceError(
            _("不支持的文件类型“%(name)s”：请提供 .xlsx 工作簿或 csv 文件所在的文件夹")
            % {"name": path.name}
        )
    if not found:
        raise RegisterSourceError(
            _("“%(path)s”中没有可导入的数据：应有名为 %(names)s 的工作表或文件")
            % {
                "path": path,
                "names": "、".join(f"{s.label}（{s.filename}）" for s in SHEETS),
            }
        )
    return [found[s.key] for s in SHEETS if s.key in found]


def _csv_folder(folder: Path) -> dict[str, SheetSource]:
    found: dict[str, SheetSource] = {}
    for file in sorted(folder.iterdir()):
        if file.suffix.lower() != ".csv" or not file.is_file():
            continue
        sheet = _sheet_for(file.stem)
        if sheet is not None and sheet.key not in found:
            found[sheet.key] = _csv_source(sheet, file)
    return found


def _count_lines(file: Path) -> int:
    count = 0
    with file.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            count += chunk.count(b"\n")
    return max(count - 1, 0)


def detect_encoding(file: Path) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK); anything else is refused.

    Decided on the first megabyte that holds non-ASCII bytes (a file may start with a
    megabyte of codes and numbers before its first Chinese name).
    """
    with file.open("rb") as fh:
        head = fh.read(1 << 20)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
            raise EncodingRefused
        sample = head
        while sample.isascii():
            more = fh.read(1 << 20)
            if not more:
                return "utf-8"
            # Keep a few bytes before so a character split at the boundary stays whole.
            sample = sample[-8:] + more
            if b"\x00" in more:
                raise EncodingRefused
    start = 0 if sample is head else _char_start(sample)
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample[start:], final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise EncodingRefused


def _char_start(sample: bytes) -> int:
    """Skip the bytes before the first ASCII byte: a multi-byte character may be cut there."""
    for i, byte in enumerate(sample[:8]):
        if byte < 0x80:
            return i
    return 0


def _csv_source(sheet: Sheet, file: Path) -> SheetSource:
    def reader() -> tuple[list[str], Iterator[list[str]]]:
        encoding = detect_encoding(file)
        fh = file.open(encoding=encoding, newline="")
        rows = csv.reader(fh)
        try:
            header = next(rows)
        except StopIteration:
            fh.close()
            return [], iter(())

        def gen() -> Iterator[list[str]]:
            with fh:
                yield from rows

        return header, gen()

    return SheetSource(sheet, file.name, reader, _count_lines(file))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _workbook(file: Path) -> dict[str, SheetSource]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RegisterSourceError(
            _("无法读取工作簿“%(name)s”：%(error)s") % {"name": file.name, "error": exc}
        ) from exc
    found: dict[str, SheetSource] = {}
    for title in book.sheetnames:
        sheet = _sheet_for(title)
        if sheet is None or sheet.key in found:
            continue
        ws = book[title]

        def reader(ws=ws) -> tuple[list[str], Iterator[list[str]]]:
            rows = ws.iter_rows(values_only=True)
            try:
                header = [_cell(v) for v in next(rows)]
            except StopIteration:
                return [], iter(())
            return header, ([_cell(v) for v in row] for row in rows)

        total = (ws.max_row or 1) - 1
        found[sheet.key] = SheetSource(sheet, title, reader, total)
    return found
