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

from django.db.models import F, QuerySet

from xiaoqu.core.spreadsheets import csv_row, xlsx_row
from xiaoqu.registry.importing.schema import (
    BUILDINGS,
    DWELLINGS,
    ENTRANCES,
    ESTATES,
    LEVEL_LABELS,
    OWNERSHIPS,
    PEOPLE,
    REGIONS,
    RESIDENCIES,
    Sheet,
    labels,
)
from xiaoqu.registry.models import (
    Building,
    Dwelling,
    DwellingUse,
    Entrance,
    Estate,
    ManagementMode,
    Ownership,
    Person,
    Region,
    RegisterStatus,
    Relation,
    RenovationStage,
    Residency,
    Structure,
)

CHUNK = 5000


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _iter(qs: QuerySet, *fields: str) -> Iterator[tuple]:
    return qs.values_list(*fields).iterator(chunk_size=CHUNK)


def _regions() -> Iterator[list[str]]:
    rows = _iter(
        Region.objects.exclude(code__isnull=True).exclude(code="").order_by("depth", "code"),
        "code",
        "name",
        "level",
        "parent__code",
    )
    for code, name, level, parent in rows:
        yield [code, name, LEVEL_LABELS[level], parent or ""]


def _estates() -> Iterator[list[str]]:
    modes, stages = labels(ManagementMode), labels(RenovationStage)
    rows = _iter(
        Estate.objects.order_by("code"),
        "code",
        "name",
        "community__code",
        "address",
        "year_built",
        "latitude",
        "longitude",
        "land_area",
        "management_mode",
        "stage",
    )
    for code, name, community, address, year, lat, lon, land, mode, stage in rows:
        yield [
            code,
            name,
            community or "",
            address,
            _cell(year),
            _cell(lat),
            _cell(lon),
            _cell(land),
            modes[mode],
            stages[stage],
        ]


def _buildings() -> Iterator[list[str]]:
    structures = labels(Structure)
    rows = _iter(
        Building.objects.order_by("id"),
        "estate__code",
        "number",
        "storeys",
        "has_elevator",
        "structure",
    )
    for code, number, storeys, lift, structure in rows:
        yield [code, number, str(storeys), _cell(bool(lift)), structures[structure]]


def _entrances() -> Iterator[list[str]]:
    rows = _iter(
        Entrance.objects.order_by("id"), "building__estate__code", "building__number", "number"
    )
    for row in rows:
        yield list(row)


def _dwellings() -> Iterator[list[str]]:
    uses, statuses = labels(DwellingUse), labels(RegisterStatus)
    rows = _iter(
        Dwelling.objects.order_by("id"),
        "estate__code",
        "building__number",
        "entrance__number",
        "number",
        "floor",
        "area",
        "use",
        "status",
    )
    for code, bnum, enum, number, floor, area, use, status in rows:
        yield [code, bnum, enum, number, str(floor), str(area), uses[use], statuses[status]]


def _people() -> Iterator[list[str]]:
    for pk, ref, name, phone in _iter(Person.objects.order_by("id"), "id", "ref", "name", "phone"):
        yield [ref or f"#{pk}", name, phone, ""]


_DWELLING_KEY = (
    "dwelling__estate__code",
    "dwelling__building__number",
    "dwelling__entrance__number",
    "dwelling__number",
)


def _ownerships() -> Iterator[list[str]]:
    qs = Ownership.objects.order_by("id").annotate(pid=F("person_id"))
    for pid, ref, code, bnum, enum, number, share in _iter(
        qs, "pid", "person__ref", *_DWELLING_KEY, "share"
    ):
        yield [ref or f"#{pid}", code, bnum, enum, number, _cell(share)]


def _residencies() -> Iterator[list[str]]:
    relations = labels(Relation)
    qs = Residency.objects.order_by("id").annotate(pid=F("person_id"))
    for pid, ref, code, bnum, enum, number, relation, since in _iter(
        qs, "pid", "person__ref", *_DWELLING_KEY, "relation", "since"
    ):
        yield [
            ref or f"#{pid}",
            code,
            bnum,
            enum,
            number,
            relations[relation],
            since.isoformat() if since else "",
        ]


SHEET_ROWS: tuple[tuple[Sheet, Callable[[], Iterator[list[str]]]], ...] = (
    (REGIONS, _regions),
    (ESTATES, _estates),
    (BUILDINGS, _buildings),
    (ENTRANCES, _entrances),
    (DWELLINGS, _dwellings),
    (PEOPLE, _people),
    (OWNERSHIPS, _ownerships),
    (RESIDENCIES, _residencies),
)


def export_register(
    path: Path, *, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Write the whole register to ``path``; returns the number of rows per sheet."""
    path = Path(path)
    counts: dict[str, int] = {}
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        for sheet, rows in SHEET_ROWS:
            ws = book.create_sheet(sheet.label)
            ws.append([c.label for c in sheet.columns])

            def append(row: list[str], ws: Any = ws) -> None:
                ws.append(xlsx_row(ws, row))

            counts[sheet.key] = _copy(sheet, rows(), append, progress)
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
        return counts
    path.mkdir(parents=True, exist_ok=True)
    for sheet, rows in SHEET_ROWS:
        with (path / sheet.filename).open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([c.label for c in sheet.columns])

            def write(row: list[str], writer: Any = writer) -> None:
                writer.writerow(csv_row(row))

            counts[sheet.key] = _copy(sheet, rows(), write, progress)
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
