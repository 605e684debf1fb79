"""What every preset writes through: the register's files, their headers, and ID numbers.

The headers are those of the import's specification (``xiaoqu.registry.importing.spec``), so a
generated register is always in the format ``xiaoqu import`` reads.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from xiaoqu.core.pii import id_check_digit
from xiaoqu.registry.importing.spec import SHEETS

# The header of every file of the format, by sheet key (file stem), in the import's order.
HEADERS: dict[str, tuple[str, ...]] = {s.key: s.headers for s in SHEETS}
LABELS: dict[str, str] = {s.key: s.label for s in SHEETS}


class GenerateError(ValueError):
    """Bad arguments; the message is for people (Chinese)."""


@dataclass(frozen=True)
class GenerateSummary:
    """Rows written per file (``residencies`` only by the presets that write that file)."""

    regions: int
    estates: int
    buildings: int
    entrances: int
    dwellings: int
    people: int
    ownerships: int
    residencies: int | None = None

    def as_dict(self) -> dict[str, int]:
        """File stem → rows written, for the files written."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value
        return out


def with_check_digit(first17: str) -> str:
    """An 18-character ID number: ``first17`` and its GB 11643 check character."""
    return first17 + id_check_digit(first17)


def open_text(path: Path, mode: str = "w") -> IO[str]:
    """A csv file as the generator writes it: UTF-8 without BOM, a large buffer."""
    return open(path, mode, encoding="utf-8", newline="", buffering=1 << 20)  # noqa: SIM115


def write_file(
    path: Path, key: str, rows: Iterable[Sequence[Any]], *, lineterminator: str = "\r\n"
) -> int:
    """Write the file of sheet ``key``: its header, then ``rows``; returns the rows written."""
    count = 0
    with open_text(path) as fh:
        writer = csv.writer(fh, lineterminator=lineterminator)
        writer.writerow(HEADERS[key])
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def check_folder(out: Path, force: bool) -> None:
    """``out`` must be a folder that is new or empty, or ``force`` is given."""
    if out.exists() and not out.is_dir():
        raise GenerateError(_("输出路径 %(path)s 已存在且不是文件夹。") % {"path": out})
    if out.is_dir() and any(out.iterdir()) and not force:
        raise GenerateError(
            _("输出文件夹 %(path)s 不是空的；要覆盖其中的登记文件请加 --force。") % {"path": out}
        )
