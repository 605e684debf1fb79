"""What of the stored register an import needs to know: the estates and people its file names.

A row of the file is matched with the stored row of the same natural key (and updates it), and
an ID number must not already be someone else's. The import used to learn every stored row of
every table for that; with the national register (38 million dwellings, loaded province by
province; docs/register.md#the-national-register) that would be the whole database, read and
held in memory for every province. Only the rows under the estates the file names, and the
people it names by 人员编号 or ID number, can match a row of the file, so before the sheets are
loaded one quick pass reads those columns (``named_in``) and the steps read the stored rows of
that scope alone (``Scope``). A database with no register yet needs no pass.

The people a file names only by an ID number that is new to it are not looked up at first:
each lookup is a random read of a country-sized index, and the unique index on the number's
hash refuses a taken number anyway. An import that does not go through is run again with
those people looked up (``careful``), so that a taken number is reported on its row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from xiaoqu.core.pii import IdNumberHasher
from xiaoqu.registry.importing import values as v
from xiaoqu.registry.importing.reading import positions
from xiaoqu.registry.importing.sources import SheetSource
from xiaoqu.registry.models import Dwelling, Estate, Person

# Ids or keys per query: well under SQLite's 32,766 bound variables.
CHUNK = 5000
# Sheets whose rows name an estate, and the column that names it.
_ESTATE_COLUMN = {
    "estates": "code",
    "buildings": "estate_code",
    "entrances": "estate_code",
    "dwellings": "estate_code",
    "ownerships": "estate_code",
    "residencies": "estate_code",
}
# Sheets whose rows name a person by 人员编号.
_PERSON_SHEETS = ("people", "ownerships", "residencies")


@dataclass
class Named:
    """What the file names: estate codes, 人员编号, the keyed hashes of its ID numbers."""

    estate_codes: set[str] = field(default_factory=set)
    refs: set[str] = field(default_factory=set)
    id_hashes: set[bytes] = field(default_factory=set)


def named_in(sources: Iterable[SheetSource], *, careful: bool) -> Named | None:
    """The estates and people the sheets name (by ID number too when ``careful``), or None
    when a sheet cannot be read (the import then learns every stored row, as the loading pass
    reports what is wrong)."""
    named = Named()
    hash_id = IdNumberHasher()
    try:
        for source in sources:
            sheet = source.sheet
            header, rows = source.open()
            pos = positions(sheet, header)
            estate = pos.get(_ESTATE_COLUMN.get(sheet.key, ""), -1)
            ref = pos.get("ref", -1) if sheet.key in _PERSON_SHEETS else -1
            id_number = pos.get("id_number", -1) if careful and sheet.key == "people" else -1
            parse_id = sheet.parser(sheet.column("id_number")) if id_number >= 0 else None
            for row in rows:
                if 0 <= estate < len(row):
                    named.estate_codes.add(row[estate].strip())
                if 0 <= ref < len(row):
                    named.refs.add(row[ref].strip())
                if parse_id is not None and id_number < len(row) and row[id_number].strip():
                    try:
                        number = parse_id(row[id_number].strip())
                    except v.Bad:
                        continue
                    named.id_hashes.add(hash_id(number))
    except Exception:  # noqa: BLE001 - an unreadable sheet is reported by the loading pass
        return None
    named.estate_codes.discard("")
    named.refs.discard("")
    return named


class Scope:
    """The stored rows the steps read: all of them (``everything``), or those under the
    estates and of the people the file names."""

    def __init__(self, named: Named | None) -> None:
        self.named = named
        self._estate_ids: list[int] | None = None

    @classmethod
    def for_sources(cls, sources: list[SheetSource], *, careful: bool = True) -> Scope:
        """The scope of an import of ``sources``: nothing to narrow on an empty register."""
        if not (Estate.objects.exists() or Person.objects.exists()):
            return cls(None)
        return cls(named_in(sources, careful=careful))

    def estate_ids(self, estate_by_code: dict[str, int]) -> list[int] | None:
        """The stored estates the file names (None: every estate), from the stored estates'
        codes (the Estates step learns them all: a few hundred thousand at most)."""
        if self.named is None:
            return None
        if self._estate_ids is None:
            codes = self.named.estate_codes
            self._estate_ids = sorted(
                {estate_by_code[c] for c in codes if estate_by_code.get(c, 0) > 0}
            )
        return self._estate_ids

    def estate_filters(
        self, estate_by_code: dict[str, int], column: str
    ) -> Iterator[tuple[str, list[int]]]:
        """``(where, params)`` pairs that together select the rows whose ``column`` (quoted
        by the caller) is one of the file's stored estates; a single empty filter for all."""
        ids = self.estate_ids(estate_by_code)
        yield from in_chunks(column, ids)

    def dwelling_filters(
        self, estate_by_code: dict[str, int], column: str
    ) -> Iterator[tuple[str, list[int]]]:
        """As ``estate_filters`` for rows that name a dwelling in ``column``."""
        ids = self.estate_ids(estate_by_code)
        if ids is None:
            yield "", []
            return
        qn = connection.ops.quote_name
        dwellings = qn(Dwelling._meta.db_table)
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(part))
            yield (
                f" WHERE {column} IN (SELECT {qn('id')} FROM {dwellings}"
                f" WHERE {qn('estate_id')} IN ({marks}))",
                part,
            )

    def person_filters(self) -> Iterator[tuple[str, list[Any]]]:
        """Filters for the stored people the file names by 人员编号 (``#<id>`` for one stored
        without it, as the export writes) or, when looked up, whose ID number's hash it holds."""
        if self.named is None:
            yield "", []
            return
        qn = connection.ops.quote_name
        refs = sorted(self.named.refs)
        ids = sorted({int(r[1:]) for r in refs if r.startswith("#") and r[1:].isdigit()})
        for column, values in (
            ("ref", refs),
            ("id_hash", sorted(self.named.id_hashes)),
            ("id", ids),
        ):
            for start in range(0, len(values), CHUNK):
                part = values[start : start + CHUNK]
                yield f" WHERE {qn(column)} IN ({', '.join(['%s'] * len(part))})", part


def in_chunks(column: str, ids: list[int] | None) -> Iterator[tuple[str, list[int]]]:
    if ids is None:
        yield "", []
        return
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        yield f" WHERE {column} IN ({', '.join(['%s'] * len(part))})", part
