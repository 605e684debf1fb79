"""Reading and writing spreadsheets (.xlsx and .csv) within fixed bounds.

Every import reads its files here: the register (``xiaoqu import``), opinions and life-circle
facilities (uploaded or given to a command). A file that exceeds a bound is refused with a
``SpreadsheetRefused`` naming the file and the bound, before the rows beyond the bound are read
and without holding more than a bounded amount of memory.

Bounds (Django settings, read when a file is opened; see docs/configuration.md)::

    files named on the command line (``command_limits``)
      XIAOQU_SHEET_MAX_BYTES          4 GiB      uncompressed size of a workbook, size of a csv
      XIAOQU_SHEET_MAX_ROWS           10,000,000 rows of one sheet or csv, empty rows included
    files uploaded through the web (``upload_limits``)
      XIAOQU_UPLOAD_MAX_BYTES         5 MiB      the file as uploaded
      XIAOQU_UPLOAD_SHEET_MAX_BYTES   32 MiB     uncompressed size of a workbook, size of a csv
      XIAOQU_UPLOAD_SHEET_MAX_ROWS    100,000    rows, empty rows included
    both
      XIAOQU_SHEET_MAX_CELL_CHARS     32,767     characters in one cell (Excel's own limit)
      XIAOQU_SHEET_MAX_COLUMNS        256        columns holding a value

A workbook's shared strings (the part where Excel keeps the text of its cells, each once) are
held in memory while its sheets are read, so that part may take at most a quarter of the size
bound and never more than 256 MiB (a province's register saved by Excel needs about 120 MiB).
Guizhou's generated register (``xiaoqu generate --preset guizhou``: 901,400 dwellings,
1,048,912 people, 1,084,331 ownerships) exported by ``xiaoqu export`` is a workbook of 83 MB
that uncompresses to 0.96 GiB, with 1,084,332 rows in its largest sheet: the command line's
defaults admit a workbook about four times as large (the size bound), and a csv folder of the
largest province of the national preset at full scale (广东: 4,740,116 ownerships;
the row bound was 3 million until that preset's import at full scale met it).

Workbooks are read by a streaming parse of the zip's XML parts (``xml.parsers.expat``) rather
than by openpyxl: openpyxl's read-only reader keeps every row element it has parsed attached to
the tree (16.7 million empty ``<row/>`` elements took 1.8 GB), fills gaps in row and column
numbers without limit, and loads the shared strings without a length check. Here the zip's
directory and every part's declared size are checked before anything is decompressed, the
decompressed bytes are bounded by the declared sizes (``zipfile`` refuses a part whose real size
or checksum disagrees), text is counted while it streams, and a document type declaration
(entity expansion) is refused. Values are read as openpyxl reads them with ``data_only=True``:
cached results of formulas, numbers as written, dates (by the cell's number format) as
``YYYY-MM-DD``, booleans as 是/否.

Writing: formulas in cells
--------------------------
An xlsx writer stores every ``str`` as a text cell, never as a formula (``xlsx_cell``,
``xlsx_row``), so ``=HYPERLINK(...)`` typed by a resident stays text. A csv cell has no type,
and spreadsheet programs run a cell that begins with ``= + - @``, a tab or a carriage return as
a formula, so the csv writers pass each value through ``to_csv_cell``, which puts an apostrophe
in front of such a value (``=1+1`` is written ``'=1+1``). Negative numbers (``-12.5``) are left
as they are, and so that the apostrophe can be taken off again without doubt, a value that
already begins with an apostrophe followed by one of those characters or another apostrophe
gets one more (``'=1`` is written ``''=1``). Every csv reader here applies the reverse,
``from_csv_cell``: a cell that begins with an apostrophe followed by ``= + - @``, tab, carriage
return or an apostrophe loses that first apostrophe; any other cell is read exactly as written.
So an exported register imports back with the same names, and a value that does not begin with
an apostrophe followed by one of those characters is never changed, neither when written nor
when read (docs/register-format.md states the rule for people who edit the files).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from xiaoqu.core.csvtext import ensure_field_limit
from xiaoqu.core.errors import DomainError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

# Defaults of the settings named in the module docstring.
DEFAULT_SHEET_MAX_BYTES = 4 * GiB
DEFAULT_SHEET_MAX_ROWS = 10_000_000
DEFAULT_UPLOAD_MAX_BYTES = 5 * MiB
DEFAULT_UPLOAD_SHEET_MAX_BYTES = 32 * MiB
DEFAULT_UPLOAD_SHEET_MAX_ROWS = 100_000
DEFAULT_SHEET_MAX_CELL_CHARS = 32_767
DEFAULT_SHEET_MAX_COLUMNS = 256

# Bounds on the structure of a workbook, which no real workbook comes near.
MAX_SHARED_BYTES = 256 * MiB  # the shared strings, held in memory while sheets are read
MAX_PARTS = 10_000  # files inside the zip
MAX_DIRECTORY_BYTES = 4 * MiB  # the zip's central directory
MAX_META_BYTES = 16 * MiB  # workbook.xml, styles.xml, relationships: each
MAX_DEPTH = 64  # nesting of XML elements
MAX_TOKEN_BYTES = 1 * MiB  # one tag, comment or processing instruction
MAX_ELEMENTS = 2_000_000  # elements of a sheet besides rows, beyond 8 per cell with a value
CHUNK = 256 * KiB


@dataclass(frozen=True)
class SheetLimits:
    """The bounds a file is read within (see the module docstring for the settings)."""

    max_bytes: int  # uncompressed size of a workbook; size of a csv file
    max_rows: int  # rows of one sheet, empty rows included
    max_cell_chars: int  # characters in one cell
    max_columns: int  # columns holding a value
    max_upload_bytes: int = 0  # the uploaded file itself (uploads only)

    @property
    def max_shared_bytes(self) -> int:
        return min(self.max_bytes // 4, MAX_SHARED_BYTES)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def command_limits() -> SheetLimits:
    """Bounds for files named on the command line (a province's register must fit)."""
    return SheetLimits(
        max_bytes=_setting("XIAOQU_SHEET_MAX_BYTES", DEFAULT_SHEET_MAX_BYTES),
        max_rows=_setting("XIAOQU_SHEET_MAX_ROWS", DEFAULT_SHEET_MAX_ROWS),
        max_cell_chars=_setting("XIAOQU_SHEET_MAX_CELL_CHARS", DEFAULT_SHEET_MAX_CELL_CHARS),
        max_columns=_setting("XIAOQU_SHEET_MAX_COLUMNS", DEFAULT_SHEET_MAX_COLUMNS),
    )


def upload_limits() -> SheetLimits:
    """Bounds for files uploaded through the web, tighter than the command line's."""
    return SheetLimits(
        max_bytes=_setting("XIAOQU_UPLOAD_SHEET_MAX_BYTES", DEFAULT_UPLOAD_SHEET_MAX_BYTES),
        max_rows=_setting("XIAOQU_UPLOAD_SHEET_MAX_ROWS", DEFAULT_UPLOAD_SHEET_MAX_ROWS),
        max_cell_chars=_setting("XIAOQU_SHEET_MAX_CELL_CHARS", DEFAULT_SHEET_MAX_CELL_CHARS),
        max_columns=_setting("XIAOQU_SHEET_MAX_COLUMNS", DEFAULT_SHEET_MAX_COLUMNS),
        max_upload_bytes=_setting("XIAOQU_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES),
    )


class SpreadsheetRefused(DomainError):
    """The file is not read: too large, damaged, or not a spreadsheet; the message says which."""

    code = "spreadsheet_refused"


class EncodingRefused(SpreadsheetRefused):
    """A csv file that is neither UTF-8 nor GBK/GB18030 text. ``guess`` names the encoding
    it more likely is when the bytes would decode as GBK but do not read as mainland Chinese
    (``"Big5"``, ``"EUC-KR"``, or ``"other"`` for Japanese and Western code pages)."""

    code = "encoding"

    def __init__(self, name: str = "", guess: str = "") -> None:
        self.guess = guess
        values = {"name": name}
        if guess == "Big5":
            message = _(
                "“%(name)s”看来是繁体中文 Big5 编码，按 GBK 读取会成为乱码，文件未读取："
                "只接受 UTF-8（可带 BOM）或 GBK/GB18030 编码的 csv 文件。"
                "请在 Excel 中“另存为 CSV UTF-8”，或直接使用 .xlsx。"
            )
        elif guess:
            message = _(
                "“%(name)s”的文字不像简体中文（可能是 Big5、日文、韩文或西文编码），"
                "按 GBK 读取会成为乱码，文件未读取：只接受 UTF-8（可带 BOM）或 GBK/GB18030 "
                "编码的 csv 文件。请在 Excel 中“另存为 CSV UTF-8”，或直接使用 .xlsx。"
            )
        else:
            message = _(
                "无法识别“%(name)s”的编码：只接受 UTF-8（可带 BOM）或 GBK 编码的 csv 文件，"
                "或直接使用 .xlsx。"
            )
        super().__init__(message % values)


def _size(n: int) -> str:
    """5242880 → "5 MB" (the unit people know from their file managers)."""
    for unit, scale in (("GB", GiB), ("MB", MiB), ("KB", KiB)):
        if n >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{n} B"


def _too_many_rows(name: str, limits: SheetLimits) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("“%(name)s”超过行数上限：一张表最多 %(limit)s 行（空行也计算在内），文件未读取。")
        % {"name": name, "limit": f"{limits.max_rows:,}"},
        code="too_many_rows",
    )


def _cell_too_long(name: str, limits: SheetLimits, row: int = 0) -> SpreadsheetRefused:
    values = {"name": name, "limit": f"{limits.max_cell_chars:,}", "row": row}
    if row:
        message = _(
            "“%(name)s”第 %(row)d 行有一格超过 %(limit)s 个字符（每格最多 %(limit)s 个字符），"
            "文件未读取。"
        )
    else:
        message = _(
            "“%(name)s”中有一段文字超过 %(limit)s 个字符（每格最多 %(limit)s 个字符），文件未读取。"
        )
    return SpreadsheetRefused(message % values, code="cell_too_long")


def _line_too_long(name: str, row: int, chars: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("“%(name)s”第 %(row)d 行超过 %(limit)s 个字符，文件未读取。")
        % {"name": name, "row": row, "limit": f"{chars:,}"},
        code="cell_too_long",
    )


def _too_many_columns(name: str, limits: SheetLimits, row: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("“%(name)s”第 %(row)d 行超过 %(limit)d 列（每行最多 %(limit)d 列），文件未读取。")
        % {"name": name, "row": row, "limit": limits.max_columns},
        code="too_many_columns",
    )


def _too_large(name: str, size: int, limit: int, what: str) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("“%(name)s”%(what)s %(size)s，超过上限 %(limit)s，文件未读取。")
        % {"name": name, "what": what, "size": _size(size), "limit": _size(limit)},
        code="too_large",
    )


def _damaged(name: str, reason: str) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _(
            "无法读取工作簿“%(name)s”：它不是 Excel 工作簿，或已损坏（%(reason)s）。"
            "请在 Excel 中打开后另存为 .xlsx 再试。"
        )
        % {"name": name, "reason": reason},
        code="damaged",
    )


# --- values -----------------------------------------------------------------------------------


_RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = ("'=", "'+", "'-", "'@", "'\t", "'\r", "''")
_NEGATIVE_NUMBER = re.compile(r"-\d+(?:\.\d+)?").fullmatch


def to_csv_cell(value: str) -> str:
    """``value`` as written into a csv cell, so that no spreadsheet takes it for a formula."""
    if value.startswith(_RISKY_START):
        if _NEGATIVE_NUMBER(value):
            return value
        return "'" + value
    if value.startswith(_ESCAPED):
        return "'" + value
    return value


def from_csv_cell(cell: str) -> str:
    """The value a csv cell holds: ``to_csv_cell`` undone (ordinary cells are unchanged)."""
    if cell.startswith(_ESCAPED):
        return cell[1:]
    return cell


def csv_row(values: Sequence[str]) -> list[str]:
    """A row for ``csv.writer``, every cell through ``to_csv_cell``."""
    return [to_csv_cell(v) for v in values]


# openpyxl stores a str that begins with "=" as a formula and one of these as an error value.
_OPENPYXL_NOT_TEXT = ("=", "#")


def xlsx_cell(sheet: Any, row: int, column: int, value: Any) -> Any:
    """``sheet.cell(row, column, value)`` that keeps a str as text (never a formula)."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def xlsx_row(sheet: Any, values: Sequence[Any]) -> list[Any]:
    """``values`` ready for ``sheet.append`` (also write-only sheets), every str kept as text."""
    from openpyxl.cell.cell import Cell

    out = list(values)
    for i, value in enumerate(out):
        if isinstance(value, str) and value.startswith(_OPENPYXL_NOT_TEXT):
            # A placed cell: write-only sheets print unplaced ones in errors and fail.
            cell = Cell(sheet, row=1, column=1, value=value)
            cell.data_type = "s"
            out[i] = cell
    return out


# --- csv --------------------------------------------------------------------------------------


def detect_encoding(fh: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK); anything else is refused.

    Decided on the first megabyte that holds non-ASCII bytes (a file may start with a
    megabyte of codes and numbers before its first Chinese name). Reads from the current
    position and leaves the file there.
    """
    start_at = fh.tell()
    try:
        head = fh.read(MiB)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
            raise EncodingRefused
        sample = head
        while sample.isascii():
            more = fh.read(MiB)
            if not more:
                return "utf-8"
            # Keep a few bytes before so a character split at the boundary stays whole.
            sample = sample[-8:] + more
            if b"\x00" in more:
                raise EncodingRefused
    finally:
        fh.seek(start_at)
    start = 0 if sample is head else _char_start(sample)
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample[start:], final=False)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030":
            guess = _not_mainland(sample[start:])
            if guess:
                raise EncodingRefused(guess=guess)
        return encoding
    raise EncodingRefused


# GBK accepts almost any pair of bytes above 0x80, so text in Big5, EUC-KR, Shift-JIS or a
# Western code page usually decodes as GBK too, into nonsense. Mainland text is told apart by
# what it decodes into: its characters are nearly all those of GB2312 (the 6,763 common
# hanzi and the punctuation rows), while Big5 decoded as GBK gives about half rare characters
# (every Big5 trail byte 0x40–0x7E lands outside GB2312) and kana or Greek from the lead
# bytes 0xA4–0xA7; Japanese, and Western letters followed by ASCII, give rare characters
# and kana too. Korean (EUC-KR) decodes into common hanzi, but read as EUC-KR it is made
# mostly of the commonest Hangul syllables, which GBK text read as EUC-KR never is.
_PLAUSIBILITY_BYTES = 64 * KiB
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_FOREIGN_AT_LEAST = 3  # rare characters needed to refuse a file as not mainland text
_KOREAN_COMMON = frozenset(
    "이다는의에하고을가서지기한로리사도나자대어아를수정있인해게구보시으내부여과만국일그주전"
    "상동장라것들면제었했요니입우원거세마미화경위문무신모적비소연성중저발생"
    "김박최강조윤임오권황송류홍길군읍층호파트"  # surnames and address words
)


def _gb2312_plausible(char: str) -> bool:
    """A character of mainland text: a GB2312 hanzi (rows 0xB0–0xF7) or punctuation, digit or
    full-width letter (rows 0xA1–0xA3); not kana, Greek, Cyrillic, box drawing."""
    try:
        lead = char.encode("gb2312")[0]
    except UnicodeEncodeError:
        return False
    return 0xA1 <= lead <= 0xA3 or 0xB0 <= lead <= 0xF7


def _big5_plausible(char: str) -> bool:
    """A character of traditional Chinese text: Big5's common hanzi (lead bytes 0xA4–0xC6)
    or its punctuation (0xA1–0xA3)."""
    try:
        lead = char.encode("big5")[0]
    except UnicodeEncodeError:
        return False
    return 0xA1 <= lead <= 0xC6


def _decoded(sample: bytes, encoding: str) -> str | None:
    """The non-ASCII characters of ``sample`` decoded strictly, or None when it does not
    decode (a character cut at the end of the sample is left out)."""
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return None
    return "".join(c for c in text if c >= "\x80")


def _not_mainland(sample: bytes) -> str:
    """``""`` when ``sample`` (which decodes as GB18030) reads as mainland Chinese text; else
    the encoding it more likely is: ``"Big5"``, ``"EUC-KR"``, or ``"other"``."""
    found = _HIGH_BYTE.search(sample)
    at = found.start() if found else 0  # after an ASCII byte: a character starts there
    sample = sample[at : at + _PLAUSIBILITY_BYTES]
    text = _decoded(sample, "gb18030") or ""
    mainland = sum(1 for c in text if _gb2312_plausible(c))
    rare = len(text) - mainland
    big5 = _decoded(sample, "big5")
    if big5 and sum(1 for c in big5 if _big5_plausible(c)) > mainland:
        return "Big5"
    korean = _decoded(sample, "euc-kr")
    if korean:
        hangul = [c for c in korean if "\uac00" <= c <= "\ud7a3"]
        common = sum(1 for c in hangul if c in _KOREAN_COMMON)
        if len(hangul) >= 12 and common * 20 >= len(hangul) * 9:  # 45 % or more
            return "EUC-KR"
    if rare >= _FOREIGN_AT_LEAST and rare > mainland:
        return "other"
    return ""


def _char_start(sample: bytes) -> int:
    """Skip the bytes before the first ASCII byte: a multi-byte character may be cut there."""
    for i, byte in enumerate(sample[:8]):
        if byte < 0x80:
            return i
    return 0


def csv_rows(source: Path | bytes, *, name: str, limits: SheetLimits) -> Iterator[list[str]]:
    """The rows of a csv file (UTF-8 or GBK) as lists of str, within ``limits``.

    The size and encoding are checked when called; rows, columns and cell lengths while the
    rows stream (a refusal then ends the iteration with ``SpreadsheetRefused``). A line that
    cannot be decoded raises ``UnicodeDecodeError`` from the iteration.
    """
    raw: IO[bytes]
    if isinstance(source, bytes):
        if len(source) > limits.max_bytes:
            raise _too_large(name, len(source), limits.max_bytes, _("大小"))
        raw = io.BytesIO(source)
    else:
        size = source.stat().st_size
        if size > limits.max_bytes:
            raise _too_large(name, size, limits.max_bytes, _("大小"))
        raw = source.open("rb")
    try:
        encoding = detect_encoding(raw)
    except EncodingRefused as refused:
        raw.close()
        raise EncodingRefused(name, refused.guess) from None
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    return _csv_stream(text, name, limits)


def _csv_stream(text: io.TextIOWrapper, name: str, limits: SheetLimits) -> Iterator[list[str]]:
    """The records of ``text`` within ``limits``, cells as ``from_csv_cell`` reads them."""
    lines = _CsvLines(text, limits)
    max_rows, max_columns = limits.max_rows, limits.max_columns
    cell_chars = limits.max_cell_chars
    # The csv module's own bound (131,072) must not be the one that decides: a cell is held
    # to ``cell_chars`` below, and one over the module's bound is refused the same way.
    ensure_field_limit(cell_chars)
    number = 0  # the rows read, for the row number in a refusal
    with text:
        try:
            for number, row in enumerate(csv.reader(lines), start=1):
                if number > max_rows:
                    raise _too_many_rows(name, limits)
                if len(row) > max_columns:
                    raise _too_many_columns(name, limits, number)
                if lines.chars > cell_chars:
                    _check_cell_lengths(row, name, limits, number)
                lines.chars = 0
                if lines.quoted:
                    lines.quoted = False
                    row = [from_csv_cell(cell) for cell in row]
                yield row
        except _LineTooLong:
            raise _line_too_long(name, number + 1, lines.record_chars) from None
        except csv.Error as error:  # a field over csv's own bound, or a NUL
            raise _csv_refused(error, name, limits, number + 1) from None


class _LineTooLong(Exception):
    """A csv line is as long as a whole record may be (``_csv_stream`` names the row)."""


class _CsvLines:
    """The lines of a csv text for ``csv.reader``, none read longer than a record may be.

    While ``csv.reader`` reads one record, ``chars`` counts its characters and ``quoted`` tells
    whether it holds an apostrophe (its cells may carry ``to_csv_cell``'s prefix); the reader
    of the records sets both back after each record.
    """

    __slots__ = ("chars", "quoted", "record_chars", "text")

    def __init__(self, text: io.TextIOWrapper, limits: SheetLimits) -> None:
        self.text = text
        # A record longer than this has a cell over the bound or too many columns; lines are
        # read no longer than it, so one line without an end cannot fill the memory.
        self.record_chars = (limits.max_cell_chars + 3) * limits.max_columns + 2
        self.chars = 0
        self.quoted = False

    def __iter__(self) -> Iterator[str]:
        readline = self.text.readline
        record_chars = self.record_chars
        while line := readline(record_chars):
            chars = self.chars = self.chars + len(line)
            if chars >= record_chars:
                raise _LineTooLong
            if "'" in line:
                self.quoted = True
            yield line


def _check_cell_lengths(row: list[str], name: str, limits: SheetLimits, number: int) -> None:
    """Refuse row ``number`` when one of its cells is longer than the bound."""
    for cell in row:
        if len(cell) > limits.max_cell_chars:
            raise _cell_too_long(name, limits, number)


def _csv_refused(error: csv.Error, name: str, limits: SheetLimits, row: int) -> SpreadsheetRefused:
    """The refusal for a record ``csv.reader`` could not read (``row`` is its number)."""
    if "field larger" in str(error):
        return _cell_too_long(name, limits, row)
    return SpreadsheetRefused(
        _("“%(name)s”第 %(row)d 行无法读取：%(error)s")
        % {"name": name, "row": row, "error": error},
        code="damaged",
    )


# --- xlsx -------------------------------------------------------------------------------------


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS = " "  # expat's separator between a namespace and a local name

_ROW, _C, _V, _IS, _SI, _T, _RPH = (
    f"{_MAIN}{_NS}{tag}" for tag in ("row", "c", "v", "is", "si", "t", "rPh")
)
_NAMES = (_ROW, _C, _V, _IS, _SI, _T, _RPH)


class _Xml:
    """A streaming XML parse with no document type, bounded depth and bounded tokens."""

    def __init__(self, name: str, part: str) -> None:
        self.name = name
        self.part = part
        # Names come back as these very objects, so comparing them with == stops at identity.
        parser = expat.ParserCreate(namespace_separator=_NS, intern={name: name for name in _NAMES})
        parser.buffer_text = True
        parser.buffer_size = 64 * KiB
        parser.StartDoctypeDeclHandler = self._doctype
        self.parser = parser
        self.fed = 0

    def _doctype(self, *args: Any) -> None:
        raise _damaged(self.name, _("“%(part)s”含有文档类型声明") % {"part": self.part})

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as error:
            raise _damaged(
                self.name,
                _("“%(part)s”不是有效的 XML（%(error)s）")
                % {"part": self.part, "error": expat.errors.messages[error.code]},
            ) from None
        self.fed += len(data)
        if self.fed - self.parser.CurrentByteIndex > MAX_TOKEN_BYTES:
            raise _damaged(self.name, _("“%(part)s”中有一个标记超过 1 MB") % {"part": self.part})

    def too_deep(self) -> SpreadsheetRefused:
        return _damaged(
            self.name,
            _("“%(part)s”的层次超过 %(n)d 层") % {"part": self.part, "n": MAX_DEPTH},
        )


def _part_bytes(book: zipfile.ZipFile, name: str, part: str) -> Iterator[bytes]:
    """The decompressed bytes of ``part``, whose size and checksum ``zipfile`` verifies."""
    try:
        with book.open(part) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError) as e:
        raise _damaged(
            name,
            _("“%(part)s”已损坏或与记录的大小不符（%(error)s）")
            % {"part": part, "error": str(e) or type(e).__name__},
        ) from None


def _parse_meta(
    book: zipfile.ZipFile, name: str, part: str, start: Callable[[str, dict[str, str]], None]
) -> None:
    """Parse a small part (workbook, relationships, styles), calling ``start`` per element."""
    info = book.getinfo(part)
    if info.file_size > MAX_META_BYTES:
        raise _damaged(
            name,
            _("“%(part)s”解压后 %(size)s，超过 %(limit)s")
            % {"part": part, "size": _size(info.file_size), "limit": _size(MAX_META_BYTES)},
        )
    xml = _Xml(name, part)
    depth = 0

    def on_start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise xml.too_deep()
        start(tag, attrs)

    def on_end(tag: str) -> None:
        nonlocal depth
        depth -= 1

    xml.parser.StartElementHandler = on_start
    xml.parser.EndElementHandler = on_end
    for chunk in _part_bytes(book, name, part):
        xml.feed(chunk)
    xml.feed(b"", True)


def _relationships(book: zipfile.ZipFile, name: str, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, part path) of ``part``'s relationships; empty when it has none."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if rels not in book.NameToInfo:
        return found

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == f"{_PKG_REL}{_NS}Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(path))

    _parse_meta(book, name, rels, start)
    return found


def _check_directory(fh: IO[bytes], size: int, name: str) -> None:
    """Refuse a zip whose central directory is too large before ``zipfile`` loads it."""
    end_size = 22
    tail_size = min(size, 65535 + end_size)
    fh.seek(size - tail_size)
    tail = fh.read(tail_size)
    at = len(tail) - end_size
    if at < 0 or tail[at : at + 4] != b"PK\x05\x06":
        at = tail.rfind(b"PK\x05\x06", 0, max(at, 0))
    if at < 0:
        raise _damaged(name, _("不是 zip 文件"))
    entries, directory = struct.unpack("<HL", tail[at + 10 : at + 16])
    zip64 = at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07"
    if zip64 or entries > MAX_PARTS or directory > MAX_DIRECTORY_BYTES:
        raise _damaged(
            name,
            _("其中的文件超过 %(n)d 个或目录超过 %(size)s")
            % {"n": MAX_PARTS, "size": _size(MAX_DIRECTORY_BYTES)},
        )


class _SharedStringsParse:
    """The state of the streaming parse of a workbook's shared strings.

    expat calls ``start``, ``end`` and ``text``; ``strings`` collects the text of each string
    (its runs of rich text joined, its phonetic guides left out), each within the cell bound.
    """

    __slots__ = (
        "budget",
        "collecting",
        "depth",
        "in_rph",
        "in_si",
        "length",
        "limits",
        "max_chars",
        "name",
        "part",
        "parts",
        "strings",
    )

    def __init__(self, name: str, part: str, limits: SheetLimits) -> None:
        self.name = name
        self.part = part
        self.limits = limits
        self.max_chars = limits.max_cell_chars
        self.strings: list[str] = []
        self.parts: list[str] = []  # the text of the string being read
        self.length = 0  # its characters
        self.depth = 0
        # Elements still allowed: MAX_ELEMENTS, and 16 more with every string (runs of rich text).
        self.budget = MAX_ELEMENTS
        self.in_si = self.in_rph = self.collecting = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        self.budget -= 1
        if self.depth > MAX_DEPTH or self.budget < 0:
            raise _damaged(
                self.name, _("“%(part)s”中与文字无关的内容过多或层次过深") % {"part": self.part}
            )
        if tag == _SI:
            self.in_si, self.length = True, 0
            self.budget += 16
            self.parts.clear()
        elif tag == _T:
            self.collecting = self.in_si and not self.in_rph
        elif tag == _RPH:
            self.in_rph = True

    def end(self, tag: str) -> None:
        self.depth -= 1
        if tag == _T:
            self.collecting = False
        elif tag == _SI:
            self.in_si = False
            self.strings.append("".join(self.parts))
        elif tag == _RPH:
            self.in_rph = False

    def text(self, data: str) -> None:
        if self.collecting:
            self.length += len(data)
            if self.length > self.max_chars:
                raise _cell_too_long(self.name, self.limits)
            self.parts.append(data)


class Workbook:
    """An .xlsx workbook opened for reading: its worksheets, in order."""

    def __init__(self, book: zipfile.ZipFile, name: str, limits: SheetLimits) -> None:
        self._book = book
        self.name = name
        self.limits = limits
        self.sheets: list[WorkbookSheet] = []
        self._shared: list[str] | None = None
        self._shared_part = ""
        self._date_styles: dict[int, bool] = {}  # style index → is a duration
        self._epoch = dt.datetime(1899, 12, 30)
        self._read_structure()

    def _read_structure(self) -> None:
        workbook_part = self._workbook_part()
        rels = _relationships(self._book, self.name, workbook_part)
        titles = self._read_titles(workbook_part)
        self._read_related(rels)
        for title, rid in titles:
            kind, path = rels.get(rid, ("", ""))
            if kind.endswith("/worksheet") and path in self._book.NameToInfo:
                self.sheets.append(WorkbookSheet(self, title, path))

    def _workbook_part(self) -> str:
        """The part holding the workbook, as the package's relationships name it."""
        workbook_part = "xl/workbook.xml"
        for kind, path in _relationships(self._book, self.name, "").values():
            if kind.endswith("/officeDocument"):
                workbook_part = path
        if workbook_part not in self._book.NameToInfo:
            raise _damaged(self.name, _("找不到工作簿的主体部分"))
        return workbook_part

    def _read_titles(self, workbook_part: str) -> list[tuple[str, str]]:
        """(title, relationship id) of each sheet in order; notes a workbook counting from 1904."""
        titles: list[tuple[str, str]] = []

        def start(tag: str, attrs: dict[str, str]) -> None:
            if tag == f"{_MAIN}{_NS}sheet":
                titles.append((attrs.get("name", ""), attrs.get(f"{_REL}{_NS}id", "")))
            elif tag == f"{_MAIN}{_NS}workbookPr" and attrs.get("date1904") in ("1", "true"):
                self._epoch = dt.datetime(1904, 1, 1)

        _parse_meta(self._book, self.name, workbook_part, start)
        return titles

    def _read_related(self, rels: dict[str, tuple[str, str]]) -> None:
        """Find the shared strings (checking their size) and read the styles."""
        book = self._book
        for kind, path in rels.values():
            if kind.endswith("/sharedStrings") and path in book.NameToInfo:
                self._shared_part = path
                size = book.getinfo(path).file_size
                if size > self.limits.max_shared_bytes:
                    raise _too_large(
                        self.name, size, self.limits.max_shared_bytes, _("的文字部分解压后")
                    )
            elif kind.endswith("/styles") and path in book.NameToInfo:
                self._read_styles(path)

    def _read_styles(self, part: str) -> None:
        from openpyxl.styles.numbers import (
            BUILTIN_FORMATS,
            is_date_format,
            is_timedelta_format,
        )

        formats: dict[int, str] = dict(BUILTIN_FORMATS)
        styles: list[int] = []
        in_cell_xfs = False

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal in_cell_xfs
            if tag == f"{_MAIN}{_NS}numFmt":
                with contextlib.suppress(ValueError):
                    formats[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
            elif tag == f"{_MAIN}{_NS}cellXfs":
                in_cell_xfs = True
            elif tag == f"{_MAIN}{_NS}cellStyles":
                in_cell_xfs = False
            elif tag == f"{_MAIN}{_NS}xf" and in_cell_xfs:
                try:
                    styles.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    styles.append(0)

        _parse_meta(self._book, self.name, part, start)
        for index, number_format in enumerate(styles):
            code = formats.get(number_format)
            if is_date_format(code):
                self._date_styles[index] = is_timedelta_format(code)

    def shared_strings(self) -> list[str]:
        """The shared strings, read once, each within the cell bound."""
        if self._shared is None:
            self._shared = self._read_shared() if self._shared_part else []
        return self._shared

    def _read_shared(self) -> list[str]:
        parse = _SharedStringsParse(self.name, self._shared_part, self.limits)
        xml = _Xml(self.name, self._shared_part)
        xml.parser.StartElementHandler = parse.start
        xml.parser.EndElementHandler = parse.end
        xml.parser.CharacterDataHandler = parse.text
        for chunk in _part_bytes(self._book, self.name, self._shared_part):
            xml.feed(chunk)
        xml.feed(b"", True)
        return parse.strings

    def close(self) -> None:
        self._book.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*\d+:[A-Z]*(\d+)\"")


class WorkbookSheet:
    """One worksheet of a ``Workbook``; ``rows()`` streams its rows."""

    def __init__(self, workbook: Workbook, title: str, part: str) -> None:
        self.workbook = workbook
        self.title = title
        self.part = part

    def estimated_rows(self) -> int:
        """The row count the sheet declares (for progress only; 0 when it says nothing)."""
        try:
            with self.workbook._book.open(self.part) as fh:
                head = fh.read(4096)
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError):
            return 0
        found = _DIMENSION.search(head)
        return min(int(found.group(1)), self.workbook.limits.max_rows) if found else 0

    def rows(self) -> Iterator[list[str]]:
        """Every row from row 1 to the last one holding a value, as lists of str.

        Rows and columns the sheet leaves out are empty (a row number always is the one Excel
        shows). Raises ``SpreadsheetRefused`` when a bound is crossed.
        """
        workbook = self.workbook
        parse = _SheetParse(self)
        xml = _Xml(workbook.name, self.part)
        parser = xml.parser
        parser.StartElementHandler = parse.start
        parser.EndElementHandler = parse.end
        parser.CharacterDataHandler = parse.text
        done = parse.done
        following = 1  # the number of the next row to yield
        for chunk in chain(_part_bytes(workbook._book, workbook.name, self.part), (None,)):
            if chunk is None:
                xml.feed(b"", True)
            else:
                xml.feed(chunk)
            for at, row in done:
                while following < at:
                    following += 1
                    yield []
                following += 1
                yield row
            done.clear()


class _SheetParse:
    """The state of the streaming parse of one worksheet.

    expat calls ``start``, ``end`` and ``text``; each row that holds a value is added to
    ``done`` as (row number, cells) when it ends, for ``WorkbookSheet.rows`` to yield.
    """

    __slots__ = (
        "book_name",
        "budget",
        "cells",
        "collecting",
        "column",
        "columns",
        "date_styles",
        "depth",
        "done",
        "epoch",
        "in_cell",
        "in_inline",
        "in_rph",
        "kind",
        "length",
        "limits",
        "max_chars",
        "max_columns",
        "max_depth",
        "max_rows",
        "name",
        "number",
        "part",
        "parts",
        "shared",
        "style",
    )

    def __init__(self, sheet: WorkbookSheet) -> None:
        workbook = sheet.workbook
        self.shared = workbook.shared_strings()
        self.book_name = workbook.name  # in messages about the file's structure
        self.name = f"{workbook.name}（{sheet.title}）"  # in messages about its rows and cells
        self.part = sheet.part
        limits = self.limits = workbook.limits
        self.max_rows = limits.max_rows
        self.max_columns = limits.max_columns
        self.max_chars = limits.max_cell_chars
        self.max_depth = MAX_DEPTH
        self.date_styles = workbook._date_styles
        self.epoch = workbook._epoch
        self.done: list[tuple[int, list[str]]] = []
        self.columns: dict[str, int] = {}  # "AB" → 28, for the references met so far
        self.depth = 0
        # Elements still allowed: MAX_ELEMENTS, and more with every row and every cell holding
        # a value.
        self.budget = MAX_ELEMENTS
        self.number = 0  # the current row's number
        self.cells: list[str] = []  # its values so far
        self.column = 0  # the current cell's column
        self.kind = ""  # its type (t)
        self.style = ""  # its style (s)
        self.parts: list[str] = []  # its text so far
        self.length = 0  # the characters of that text
        self.in_cell = self.in_inline = self.in_rph = self.collecting = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        self.budget -= 1
        if self.budget < 0 or self.depth > self.max_depth:
            raise _damaged(
                self.book_name,
                _("“%(part)s”中与单元格无关的内容过多或层次过深") % {"part": self.part},
            )
        if tag == _C:
            self._open_cell(attrs)
        elif tag == _V:
            self.collecting = self.in_cell
        elif tag == _ROW:
            self._open_row(attrs)
        elif tag == _T:
            self.collecting = self.in_inline and not self.in_rph
        elif tag == _IS:
            self.in_inline = self.in_cell
        elif tag == _RPH:
            self.in_rph = True

    def end(self, tag: str) -> None:
        self.depth -= 1
        if tag == _C:
            self._close_cell()
        elif tag in (_V, _T):
            self.collecting = False
        elif tag == _ROW:
            if self.cells:
                self.done.append((self.number, self.cells))
        elif tag == _IS:
            self.in_inline = False
        elif tag == _RPH:
            self.in_rph = False

    def text(self, data: str) -> None:
        if self.collecting:
            self.length += len(data)
            if self.length > self.max_chars:
                raise _cell_too_long(self.name, self.limits, self.number)
            self.parts.append(data)

    def _open_row(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        number = self.number + 1 if ref is None else self._row_number(ref)
        if number > self.max_rows:
            raise _too_many_rows(self.name, self.limits)
        self.number = number
        self.budget += 1  # rows are bounded by max_rows, not by the element budget
        self.cells = []
        self.column = 0

    def _row_number(self, ref: str) -> int:
        """The number a row element gives itself, which must follow the previous row's."""
        try:
            at = int(ref)
        except ValueError:
            raise _damaged(self.book_name, _("行号“%(r)s”无效") % {"r": ref[:20]}) from None
        if at <= self.number:
            raise _damaged(self.book_name, _("行号顺序错乱（第 %(r)d 行）") % {"r": at})
        return at

    def _open_cell(self, attrs: dict[str, str]) -> None:
        self.in_cell = True
        ref = attrs.get("r")
        if ref:
            letters = ref.rstrip("0123456789")
            found = self.columns.get(letters)
            if found is None:
                found = self.columns[letters] = _column(letters, self.book_name)
            self.column = found
        else:
            self.column += 1
        self.kind = attrs.get("t", "n")
        self.style = attrs.get("s", "")
        self.parts.clear()
        self.length = 0

    def _close_cell(self) -> None:
        """Put the value of the cell just read, if it has one, into its column of the row."""
        self.in_cell = self.collecting = False
        if not self.parts:
            return
        value = _value(
            self.kind, "".join(self.parts), self.style, self.shared, self.date_styles, self.epoch
        )
        if not value:
            return
        column = self.column
        if column > self.max_columns:
            raise _too_many_columns(self.name, self.limits, self.number)
        self.budget += 8
        cells = self.cells
        width = len(cells)
        if column > width:
            if column > width + 1:
                cells.extend([""] * (column - 1 - width))
            cells.append(value)
        else:
            cells[column - 1] = value


def _column(letters: str, name: str) -> int:
    """``"AB"`` → 28."""
    index = 0
    for char in letters.upper():
        if not "A" <= char <= "Z" or index > 16384:  # XFD is the last column a sheet can have
            raise _damaged(name, _("单元格位置“%(r)s”无效") % {"r": letters[:20]})
        index = index * 26 + ord(char) - 64
    if not index or index > 16384:
        raise _damaged(name, _("单元格位置“%(r)s”无效") % {"r": letters[:20]})
    return index


def _value(
    kind: str,
    raw: str,
    style: str,
    shared: list[str],
    date_styles: dict[int, bool],
    epoch: dt.datetime,
) -> str:
    """A cell's value as text, as ``cell_text`` shows what openpyxl would have read."""
    if kind == "s":
        try:
            return shared[int(raw)]
        except (ValueError, IndexError):
            return ""
    if kind == "n":
        return _number_value(raw, style, date_styles, epoch)
    if kind == "b":
        return cell_text(raw.strip() in ("1", "true"))
    if kind == "d":
        from openpyxl.utils.datetime import from_ISO8601

        try:
            return cell_text(from_ISO8601(raw))
        except ValueError:
            return raw
    return raw  # inlineStr, str (a formula's text), e (an error such as #N/A)


def _number_value(raw: str, style: str, date_styles: dict[int, bool], epoch: dt.datetime) -> str:
    """A number cell's value: a date when its style has a date format, else the number."""
    try:
        number: float = float(raw) if "." in raw or "e" in raw or "E" in raw else int(raw)
    except ValueError:
        return raw
    if style and date_styles:
        try:
            duration = date_styles.get(int(style))
        except ValueError:
            duration = None
        if duration is not None:
            return _date_text(number, epoch, duration)
    return cell_text(number)


def _date_text(number: float, epoch: dt.datetime, duration: bool) -> str:
    """The date (or, for a duration format, the time span) that ``number`` stands for."""
    from openpyxl.utils.datetime import from_excel

    try:
        return cell_text(from_excel(number, epoch, timedelta=duration))
    except (OverflowError, ValueError):
        return "#VALUE!"


def cell_text(value: Any) -> str:
    """A cell value as the text an import reads (numbers without a needless ``.0``)."""
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


def open_workbook(source: Path | bytes, *, name: str, limits: SheetLimits) -> Workbook:
    """Open an .xlsx for reading after checking its zip directory and declared sizes."""
    if isinstance(source, bytes):
        size = len(source)
        _check_directory(io.BytesIO(source), size, name)
        file: Path | IO[bytes] = io.BytesIO(source)
    else:
        size = source.stat().st_size
        if size > limits.max_bytes:
            raise _too_large(name, size, limits.max_bytes, _("大小"))
        with source.open("rb") as fh:
            _check_directory(fh, size, name)
        file = source
    try:
        book = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, EOFError, ValueError, struct.error) as e:
        raise _damaged(name, _("zip 目录无法读取：%(error)s") % {"error": e}) from None
    try:
        infos = book.infolist()
        if len(infos) > MAX_PARTS:
            raise _damaged(name, _("其中的文件超过 %(n)d 个") % {"n": MAX_PARTS})
        total = sum(info.file_size for info in infos)
        if total > limits.max_bytes:
            raise _too_large(name, total, limits.max_bytes, _("解压后"))
        return Workbook(book, name, limits)
    except BaseException:
        book.close()
        raise


# --- uploads ----------------------------------------------------------------------------------


_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def upload_rows(
    upload: UploadedFile, *, sheet: str = "", limits: SheetLimits | None = None
) -> Iterator[list[str]]:
    """The rows of an uploaded .xlsx or .csv (UTF-8 or GBK), every cell stripped.

    ``sheet`` names the worksheet to read when a workbook has it (otherwise the first).
    Refusals (``SpreadsheetRefused``) say why, in words for the person who uploaded the file.
    """
    limits = limits or upload_limits()
    name = upload.name or _("上传的文件")
    size = upload.size or 0
    most = limits.max_upload_bytes
    too_big = _("文件太大（%(size)s），最大 %(limit)s。请分成几个文件上传。")
    if most and size > most:
        raise SpreadsheetRefused(
            too_big % {"size": _size(size), "limit": _size(most)}, code="file_too_large"
        )
    data = upload.read(most + 1) if most else upload.read()
    if most and len(data) > most:
        raise SpreadsheetRefused(
            too_big % {"size": _size(len(data)), "limit": _size(most)}, code="file_too_large"
        )
    lower = name.lower()
    not_a_sheet = _("这不是电子表格文件：请上传 .xlsx 或 .csv 文件（可先下载模板，按模板填写）。")
    if data.startswith(_OLE_MAGIC):
        raise SpreadsheetRefused(
            _("暂不支持旧版 .xls 文件：请在 Excel 中“另存为” .xlsx 后再上传。"), code="xls"
        )
    if data.startswith(_ZIP_MAGIC):
        if lower.endswith(".csv"):
            raise SpreadsheetRefused(not_a_sheet, code="not_a_sheet")
        book = open_workbook(data, name=name, limits=limits)
        if not book.sheets:
            book.close()
            raise _damaged(name, _("其中没有工作表"))
        chosen = next((s for s in book.sheets if s.title == sheet), book.sheets[0])
        return _stripped(chosen.rows(), name, book)
    if lower.endswith(".xlsx"):
        raise SpreadsheetRefused(
            _("这个文件名是 .xlsx，但内容不是 Excel 工作簿，请重新保存后上传。"),
            code="not_a_sheet",
        )
    # A csv is text: no NUL or other control bytes.
    if any(b < 9 or 13 < b < 32 for b in data[:65536]):
        raise SpreadsheetRefused(not_a_sheet, code="not_a_sheet")
    return _stripped(csv_rows(data, name=name, limits=limits), name)


def _stripped(
    rows: Iterator[list[str]], name: str, book: Workbook | None = None
) -> Iterator[list[str]]:
    try:
        for row in rows:
            yield [cell.strip() for cell in row]
    except UnicodeDecodeError:
        raise EncodingRefused(name) from None
    finally:
        if book is not None:
            book.close()
