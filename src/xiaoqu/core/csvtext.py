"""Records of a plain csv text within a bound on each cell, for the commands that read csv
without Django (``xiaoqu plan optimise``, ``xiaoqu lifecircle nearest``).

Python's csv module refuses a field over its own limit (131,072 characters) with
``_csv.Error: field larger than field limit``, which a command would show as a traceback.
Here every cell is held to ``MAX_CELL_CHARS`` (the most a spreadsheet cell holds, as for
imports: xiaoqu.core.spreadsheets), and a cell over it, like any record the csv module cannot
read, comes back as ``CsvRecordRefused`` with the line of the file, for the command to say in
its own words.
No Django here: the commands run before Django starts.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

MAX_CELL_CHARS = 32_767


class CsvRecordRefused(ValueError):
    """A record that cannot be read: ``line`` is where it starts (the header is line 1);
    ``too_long`` when a cell is over the bound, else ``reason`` says what is wrong."""

    def __init__(self, line: int, *, too_long: bool = False, reason: str = "") -> None:
        super().__init__(f"line {line}: {'cell too long' if too_long else reason}")
        self.line = line
        self.too_long = too_long
        self.reason = reason


def ensure_field_limit(max_chars: int) -> None:
    """Let the csv module read cells up to ``max_chars`` characters, so that the check of
    cell lengths, not the module, decides (the limit is only ever raised, never lowered)."""
    if csv.field_size_limit() <= max_chars:
        csv.field_size_limit(max_chars + 1)


def records(
    lines: Iterable[str], *, max_chars: int = MAX_CELL_CHARS
) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of each non-blank record of ``lines`` (an open text file or a list of
    lines): the line the record starts on, however many blank lines came before it or lines a
    quoted value spans. Raises ``CsvRecordRefused`` for a cell over ``max_chars`` or a record
    the csv module cannot read."""
    ensure_field_limit(max_chars)
    reader = csv.reader(lines)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger" in str(error):
                raise CsvRecordRefused(start, too_long=True) from None
            raise CsvRecordRefused(start, reason=str(error)) from None
        if any(len(cell) > max_chars for cell in cells):
            raise CsvRecordRefused(start, too_long=True)
        if cells:
            yield start, cells
