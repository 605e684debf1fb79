"""The one loader's parts that every sheet shares.

A sheet is loaded by a ``Step`` (one per sheet, in ``places`` and ``people``): it reads the
rows the file has, each cell through its column of the specification (``read``), resolves
the rows it names in sheets before it (``Keys``, ``References``), and hands the row to its
``Target``, which inserts it or, when the natural key is already stored, updates the fields
the file carries. Errors go to the run's report; a row with an error is not written, and the
first error stops all writing (the import is all or nothing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import connection, models
from django.utils.translation import gettext as _

from xiaoqu.registry.importing import values as v
from xiaoqu.registry.importing.reading import Cell, SheetRows
from xiaoqu.registry.importing.spec import Sheet
from xiaoqu.registry.importing.writer import Table, column

if TYPE_CHECKING:
    from xiaoqu.registry.importing.engine import Run

FETCH = 50_000
# A key whose row was wrong: references to it are not reported a second time.
BROKEN = 0


@dataclass
class Keys:
    """Natural keys → what later sheets need to know of the row (from the database and file)."""

    region_by_code: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # id, level, path
    estate_by_code: dict[str, int] = field(default_factory=dict)
    # (小区编号, 楼栋号) → id, estate id, storeys
    building_by_key: dict[tuple[str, str], tuple[int, int, int]] = field(default_factory=dict)
    # (小区编号, 楼栋号, 单元号) → id, building id, estate id, the building's storeys
    entrance_by_key: dict[tuple[str, str, str], tuple[int, int, int, int]] = field(
        default_factory=dict
    )
    dwelling_by_key: dict[tuple[int, str], int] = field(default_factory=dict)  # (entrance id, 房号)
    person_by_ref: dict[str, int] = field(default_factory=dict)
    # Communities whose path moved: estates not in the file follow them.
    changed_paths: dict[int, str] = field(default_factory=dict)


def select(model: type[models.Model], *names: str) -> str:
    """``SELECT id, <columns>`` for one model, quoted for the current database."""
    qn = connection.ops.quote_name
    cols = ", ".join(qn(column(model, n)) for n in names)
    return f"SELECT {qn('id')}, {cols} FROM {qn(model._meta.db_table)}"


def norm_decimal(value: Any, places: int) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))


def norm_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _normaliser(model_field: models.Field) -> Any:
    """How a value read with a raw cursor becomes what the importer compares it with."""
    if isinstance(model_field, models.DecimalField):
        places = model_field.decimal_places or 0
        return lambda value: norm_decimal(value, places)
    if isinstance(model_field, models.DateField):
        return norm_date
    if isinstance(model_field, models.BooleanField):
        return bool
    if isinstance(model_field, models.BinaryField):  # a driver may give a memoryview
        return lambda value: None if value is None else bytes(value)
    return None


def stored_rows(
    model: type[models.Model],
    key: Sequence[str],
    fields: Sequence[str],
    filters: Iterable[tuple[str, Sequence[Any]]] = (("", ()),),
) -> Iterator[tuple[int, tuple[Any, ...], tuple[Any, ...]]]:
    """``(id, key values, field values)`` of the stored rows, values as the importer has
    them: every row, or those each ``(where, params)`` of ``filters`` selects (``scope``)."""
    n = len(key)
    meta = model._meta
    convert = [_normaliser(meta.get_field(f)) for f in fields]  # type: ignore[arg-type]
    plain = not any(convert)
    sql = select(model, *key, *fields)
    with connection.cursor() as cursor:
        for where, params in filters:
            cursor.execute(sql + where, params)
            while batch := cursor.fetchmany(FETCH):
                for pk, *rest in batch:
                    vals = rest[n:]
                    if not plain:
                        vals = [c(x) if c else x for c, x in zip(convert, vals, strict=True)]
                    yield pk, tuple(rest[:n]), tuple(vals)


class Target:
    """Where a sheet's rows go: inserted, or merged into the stored row with the same key.

    ``present`` says which of the values the file carries: a column left out of the file
    keeps the stored value on re-import.
    """

    def __init__(
        self,
        table: Table,
        stored: dict[Any, tuple[int, tuple[Any, ...]]],
        present: tuple[bool, ...],
        extra: tuple[Any, ...] = (),
    ) -> None:
        self.table = table
        self.stored = stored
        self.present = present
        self.complete = all(present)
        self.extra = extra

    def put(self, key: Any, row_key: tuple[Any, ...], values: tuple[Any, ...]) -> int:
        """Insert ``(id, *row_key, *values, *extra)``, or update the row stored under ``key``
        with ``values``; returns the row's id."""
        old = self.stored.get(key)
        table = self.table
        if old is None:
            pk = table.next_id
            table.next_id = pk + 1
            table.insert((pk, *row_key, *values, *self.extra))
            return pk
        pk, kept = old
        merged = values if self.complete else self.merge(values, kept)
        if merged != kept:
            table.update(pk, merged)
        return pk

    def merge(self, values: tuple[Any, ...], kept: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            new if has else old for new, old, has in zip(values, kept, self.present, strict=True)
        )


class Step:
    """Loads one sheet. Subclasses name their sheet and the fields their table writes.

    ``key`` fields are written on insert only (the natural key and the rows it names),
    ``values`` on insert and update, in this order; ``read`` gives the cells of a row.
    """

    sheet: ClassVar[Sheet]
    key: ClassVar[tuple[str, ...]] = ()
    values: ClassVar[tuple[str, ...]] = ()

    def __init__(self, run: Run) -> None:
        self.run = run
        self.keys: Keys = run.keys
        self.table: Table = run.table(self)

    def estate_filters(self, column: str) -> Iterator[tuple[str, list[int]]]:
        """Filters for the stored rows under the file's estates (``scope``), by ``column``."""
        return self.run.scope.estate_filters(self.keys.estate_by_code, column)

    def load(self) -> None:
        """Learn the stored rows later sheets may name; called whether the file has the sheet."""

    def accept(self, rows: SheetRows) -> None:
        """Check and write every row of the sheet."""
        raise NotImplementedError

    def load_keys(self) -> None:
        """Learn the stored rows' keys when the file has no such sheet but names its rows."""

    def done(self) -> None:
        """After the sheet, whether the file had it."""

    # -- reading cells ---------------------------------------------------------------------

    def cells_for(self, rows: SheetRows, *fields: str) -> tuple[Cell, ...]:
        """The bound cells of the columns that fill ``fields``, in that order."""
        by_field = {c.field: c.name for c in self.sheet.columns if c.field}
        return rows.cells(*(by_field[f] for f in fields))

    def present(self, rows: SheetRows, fields: Sequence[str]) -> tuple[bool, ...]:
        """For each field, whether the file carries it (fields no column fills always are)."""
        by_field = {c.field: c.name for c in self.sheet.columns if c.field}
        return tuple(f not in by_field or rows.has(by_field[f]) for f in fields)

    def read(self, number: int, row: list[str], cells: tuple[Cell, ...]) -> tuple[list[Any], bool]:
        """The values of ``cells`` in a row, and whether all of them were right.

        Errors are reported in the order of ``cells``; a wrong cell's value is None.
        """
        out = []
        ok = True
        for index, header, parse, required, empty in cells:
            text = row[index].strip()
            if not text:
                if required:
                    ok = self.missing(number, header)
                out.append(empty)
                continue
            try:
                out.append(parse(text))
            except v.Bad as e:
                ok = self.run.error(self.sheet, number, header, str(e))
                out.append(None)
        return out, ok

    def read_one(self, number: int, row: list[str], cell: Cell) -> tuple[Any, bool]:
        values, ok = self.read(number, row, (cell,))
        return values[0], ok

    # -- errors ----------------------------------------------------------------------------

    def error(self, number: int | None, header: str, message: str) -> bool:
        return self.run.error(self.sheet, number, header, message)

    def missing(self, number: int, header: str) -> bool:
        return self.error(number, header, _("必填，不能为空"))

    def duplicate(self, number: int, header: str, first: int) -> bool:
        return self.error(number, header, _("与第%(n)d行重复") % {"n": first})

    def first_time(self, seen: dict[Any, int], key: Any, number: int, header: str) -> bool:
        """Whether ``key`` is new in this file; a repeat is reported as a duplicate."""
        first = seen.get(key)
        if first is not None:
            return self.duplicate(number, header, first)
        seen[key] = number
        return True


class References:
    """Finds the rows a row names by their natural keys, reporting what is not found.

    Each finder returns the id, ``BROKEN`` when the row named was itself wrong (already
    reported, so not again), or None when it has just reported why nothing was found.
    """

    def __init__(self, step: Step) -> None:
        self.step = step
        self.keys = step.keys

    def estate(self, number: int, code: str) -> int | None:
        if not code:
            self.step.missing(number, "小区编号")
            return None
        pk = self.keys.estate_by_code.get(code)
        if pk is None:
            self.step.error(number, "小区编号", _("未找到小区“%(c)s”") % {"c": code})
        return pk

    def building(self, number: int, code: str, bnum: str) -> tuple[int, int, int] | None:
        """The building's (id, estate id, storeys); None when wrong or named wrongly."""
        if not self.estate(number, code):
            return None
        if not bnum:
            self.step.missing(number, "楼栋号")
            return None
        found = self.keys.building_by_key.get((code, bnum))
        if found is None:
            self.step.error(
                number, "楼栋号", _("小区“%(c)s”中没有楼栋“%(b)s”") % {"c": code, "b": bnum}
            )
            return None
        return found if found[0] else None

    def entrance(self, number: int, key: tuple[str, str, str]) -> None:
        """Report why ``key`` names no entrance (the caller found none)."""
        if self.building(number, key[0], key[1]) is None:
            return
        if not key[2]:
            self.step.missing(number, "单元号")
            return
        self.step.error(
            number,
            "单元号",
            _("小区“%(c)s”%(b)s栋中没有单元“%(u)s”") % {"c": key[0], "b": key[1], "u": key[2]},
        )

    def dwelling(self, number: int, ekey: tuple[str, str, str], num: str) -> int | None:
        """The id of the dwelling ``num`` of the entrance ``ekey``."""
        entrance = self.keys.entrance_by_key.get(ekey)
        if entrance is None:
            self.entrance(number, ekey)
            return None
        if entrance[0] == BROKEN:
            return BROKEN
        if not num:
            self.step.missing(number, "房号")
            return None
        pk = self.keys.dwelling_by_key.get((entrance[0], num))
        if pk is None:
            self.step.error(
                number,
                "房号",
                _("未找到房屋：%(e)s小区%(b)s栋%(u)s单元%(n)s")
                % {"e": ekey[0], "b": ekey[1], "u": ekey[2], "n": num},
            )
        return pk

    def person(self, number: int, ref: str) -> int | None:
        if not ref:
            self.step.missing(number, "人员编号")
            return None
        pk = self.keys.person_by_ref.get(ref)
        if pk is None:
            self.step.error(number, "人员编号", _("未找到人员“%(r)s”") % {"r": ref})
        return pk
