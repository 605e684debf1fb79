"""Loading the places: regions, estates, buildings, entrances and dwellings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from xiaoqu.registry.importing import values as v
from xiaoqu.registry.importing.loading import (
    BROKEN,
    References,
    Step,
    Target,
    stored_rows,
)
from xiaoqu.registry.importing.reading import Cell, SheetRows
from xiaoqu.registry.importing.spec import (
    BUILDINGS,
    CODE_LENGTHS,
    DWELLINGS,
    ENTRANCES,
    ESTATES,
    FIRST_YEAR,
    REGIONS,
    Parser,
)
from xiaoqu.registry.models import LEVEL_ORDER, Building, Entrance, Estate, RegionLevel

# A parsed region row: row number, code, name, level, parent code.
_Parsed = tuple[int, str, str, str, str]
# A planned region row: row number, id, whether it is new.
_Planned = tuple[int, int, bool]


def level_name(level: str) -> str:
    return {
        "province": _("省"),
        "city": _("市"),
        "district": _("区县"),
        "street": _("街道"),
        "community": _("社区"),
    }.get(level, level)


class Regions(Step):
    """区划: two passes, since a region may name a parent further down the file."""

    sheet = REGIONS
    values = ("code", "name", "level", "parent", "path", "depth")

    def load(self) -> None:
        # id → [code, name, level, parent id, path, depth], as stored and then as planned.
        self.rows: dict[int, list[Any]] = {}
        for pk, _key, vals in stored_rows(self.sheet.model, (), self.values):
            self.rows[pk] = list(vals)
        self.stored = {pk: tuple(r) for pk, r in self.rows.items()}
        self.updated: set[int] = set()
        for pk, (code, _name, level, _parent, path, _depth) in self.rows.items():
            if code:
                self.keys.region_by_code[code] = (pk, level, path)

    def accept(self, rows: SheetRows) -> None:
        parsed = self.parse(rows)
        # Parents before children: a parent's level is always higher.
        parsed.sort(key=lambda r: LEVEL_ORDER.index(r[3]))
        names_taken: dict[tuple[int | None, str], tuple[int, str | None]] = {
            (r[3], r[1]): (pk, r[0]) for pk, r in self.rows.items()
        }
        plan: list[_Planned] = []
        for item in parsed:
            planned = self.place(item, names_taken)
            if planned is not None:
                plan.append(planned)
        self.write_paths(plan)

    # -- first pass: each row on its own -----------------------------------------------------

    def parse(self, rows: SheetRows) -> list[_Parsed]:
        (self.level_cell,) = rows.cells("level")
        (self.code_cell,) = rows.cells("code")
        self.rest = rows.cells("name", "parent_code")
        seen: dict[str, int] = {}
        parsed: list[_Parsed] = []
        for number, row in rows:
            # The level first: the code's length depends on it.
            level, ok = self.read_one(number, row, self.level_cell)
            level = level or ""
            code = row[self.code_cell.position].strip()
            ok = self.check_code(number, code, level) and ok
            repeated = bool(code) and not self.first_time(seen, code, number, "代码")
            (name, parent), rest_ok = self.read(number, row, self.rest)
            if ok and rest_ok and not repeated:
                parsed.append((number, code, name, level, parent))
            elif code and not repeated:
                self.keys.region_by_code[code] = (BROKEN, level, "")
        return parsed

    def check_code(self, number: int, code: str, level: str) -> bool:
        if not code:
            return self.missing(number, "代码")
        try:
            self.code_cell.parse(code)
            if level and len(code) != CODE_LENGTHS[level]:
                raise v.Bad(
                    _("%(level)s代码应为%(n)d位数字")
                    % {"level": level_name(level), "n": CODE_LENGTHS[level]}
                )
        except v.Bad as e:
            return self.error(number, "代码", str(e))
        return True

    # -- second pass: parents and names among siblings ------------------------------------

    def place(
        self, item: _Parsed, names_taken: dict[tuple[int | None, str], tuple[int, str | None]]
    ) -> _Planned | None:
        number, code, name, level, parent = item
        by_code = self.keys.region_by_code
        parent_id = self.parent_id(number, level, parent)
        if parent_id == BROKEN:
            by_code[code] = (BROKEN, level, "")
            return None
        existing = by_code.get(code)
        pk = existing[0] if existing else None
        taken = names_taken.get((parent_id, name))
        if taken is not None and taken[0] != pk:
            if pk is None and not taken[1] and taken[0] in self.rows:
                pk = taken[0]  # a region entered by hand without a code: this row gives it one
            else:
                self.error(
                    number,
                    "名称",
                    _("同一上级下已有同名区划“%(n)s”（代码%(c)s）")
                    % {"n": name, "c": taken[1] or "—"},
                )
                by_code[code] = (BROKEN, level, "")
                return None
        is_new = pk is None
        if pk is None:
            pk = self.table.new_id()
        else:
            old = self.rows[pk]
            names_taken.pop((old[3], old[1]), None)
        names_taken[(parent_id, name)] = (pk, code)
        self.rows[pk] = [code, name, level, parent_id, None, None]
        by_code[code] = (pk, level, "")
        return number, pk, is_new

    def parent_id(self, number: int, level: str, parent: str) -> int | None:
        """The parent's id, None for a root, ``BROKEN`` when it cannot be the parent."""
        if not parent:
            return None
        found = self.keys.region_by_code.get(parent)
        if found is None:
            self.error(number, "上级代码", _("未找到区划“%(c)s”") % {"c": parent})
            return BROKEN
        parent_id, parent_level, _path = found
        if parent_id != BROKEN and LEVEL_ORDER.index(parent_level) >= LEVEL_ORDER.index(level):
            self.error(
                number,
                "上级代码",
                _("上级区划“%(c)s”是%(p)s，级别必须高于本级（%(l)s）")
                % {"c": parent, "p": level_name(parent_level), "l": level_name(level)},
            )
            return BROKEN
        return parent_id

    # -- paths ----------------------------------------------------------------------------

    def write_paths(self, plan: list[_Planned]) -> None:
        """Paths for every region from the final parents (a move carries its subtree)."""
        old_paths = {pk: r[4] for pk, r in self.rows.items()}
        in_file = {pk: number for number, pk, _new in plan}
        paths = self.paths(in_file)
        for _number, pk, is_new in plan:
            if self.rows[pk][4] is None:
                continue
            if is_new:
                self.table.insert((pk, *self.rows[pk]))
            else:
                self.update(pk)
        for pk, path in paths.items():
            if pk not in in_file and old_paths.get(pk) not in (None, path):
                self.update(pk)

    def paths(self, in_file: dict[int, int]) -> dict[int, str]:
        """Each region's path and depth; a region in a cycle is reported and gets none."""
        rows = self.rows
        paths: dict[int, str] = {}
        for pk in rows:
            path = self.path_of(pk, paths)
            if path is None:
                self.error(in_file.get(pk), "上级代码", _("区划上下级形成循环"))
                continue
            rows[pk][4] = path
            rows[pk][5] = path.count("/") - 2
            code = rows[pk][0]
            if code:
                self.keys.region_by_code[code] = (pk, rows[pk][2], path)
        return paths

    def path_of(self, pk: int, paths: dict[int, str], trail: tuple[int, ...] = ()) -> str | None:
        if pk in paths:
            return paths[pk]
        if pk in trail:
            return None
        parent = self.rows[pk][3]
        if parent is None:
            result: str | None = f"/{pk}/"
        else:
            above = self.path_of(parent, paths, (*trail, pk)) if parent in self.rows else None
            result = None if above is None else f"{above}{pk}/"
        if result is not None:
            paths[pk] = result
        return result

    def update(self, pk: int) -> None:
        if pk in self.updated:
            return
        current = tuple(self.rows[pk])
        if current != self.stored.get(pk):
            self.updated.add(pk)
            self.table.update(pk, current)
            if current[2] == RegionLevel.COMMUNITY and current[4] != self.stored[pk][4]:
                self.keys.changed_paths[pk] = current[4]


class Estates(Step):
    sheet = ESTATES
    key = ("code",)
    values = (
        "name",
        "address",
        "community",
        "region_path",
        "year_built",
        "latitude",
        "longitude",
        "land_area",
        "management_mode",
        "stage",
    )
    # Written on insert only: the count of dwellings, set after the import.
    extra = ("households",)

    def load(self) -> None:
        self.stored: dict[str, tuple[int, tuple[Any, ...]]] = {}
        for pk, (code,), vals in stored_rows(self.sheet.model, self.key, self.values):
            self.stored[code] = (pk, vals)
            self.keys.estate_by_code[code] = pk

    def accept(self, rows: SheetRows) -> None:
        (self.code_cell,) = rows.cells("code")
        (self.name_cell,) = rows.cells("name")
        (self.community_cell,) = rows.cells("community_code")
        self.parsed_cells = self.cells_for(
            rows, "year_built", "latitude", "longitude", "land_area", "management_mode", "stage"
        )
        (self.address_cell,) = rows.cells("address")
        self.target = Target(self.table, self.stored, self.present(rows, self.values), extra=(0,))
        self.this_year = dt.date.today().year
        seen: dict[str, int] = {}
        for number, row in rows:
            self.row(number, row, seen)

    def row(self, number: int, row: list[str], seen: dict[str, int]) -> None:
        code = row[self.code_cell.position].strip()
        _code, ok = self.read_one(number, row, self.code_cell)
        if ok:
            ok = self.first_time(seen, code, number, "小区编号")
        name, name_ok = self.read_one(number, row, self.name_cell)
        community = self.community(number, row[self.community_cell.position].strip())
        parsed, parsed_ok = self.read(number, row, self.parsed_cells)
        year_ok = self.check_year(number, parsed[0])
        address, address_ok = self.read_one(number, row, self.address_cell)
        if not (ok and name_ok and community and parsed_ok and year_ok and address_ok):
            if code:
                self.keys.estate_by_code.setdefault(code, BROKEN)
            return
        year, lat, lon, land, mode, stage = parsed
        values = (name, address, *community, year, lat, lon, land, mode, stage)
        self.keys.estate_by_code[code] = self.target.put(code, (code,), values)

    def community(self, number: int, code: str) -> tuple[int, str] | None:
        """The community's (id, path); None when it is missing, wrong or not a community."""
        if not code:
            self.missing(number, "社区代码")
            return None
        found = self.keys.region_by_code.get(code)
        if found is None:
            self.error(number, "社区代码", _("未找到区划“%(c)s”") % {"c": code})
            return None
        pk, level, path = found
        if pk == BROKEN:
            return None
        if level != RegionLevel.COMMUNITY:
            self.error(
                number,
                "社区代码",
                _("“%(c)s”是%(l)s，不是社区") % {"c": code, "l": level_name(level)},
            )
            return None
        return pk, path

    def check_year(self, number: int, year: int | None) -> bool:
        if year is None or FIRST_YEAR <= year <= self.this_year:
            return True
        if year > self.this_year:
            return self.error(
                number, "建成年份", _("不能晚于今年（%(y)d）") % {"y": self.this_year}
            )
        return self.error(number, "建成年份", _("年份无效"))

    def done(self) -> None:
        """Estates not in the file still follow their community's new path."""
        if not self.keys.changed_paths or self.run.errors:
            return
        qn = connection.ops.quote_name
        table = qn(Estate._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {qn('region_path')} = %s WHERE {qn('community_id')} = %s",
                [(path, pk) for pk, path in self.keys.changed_paths.items()],
            )


class Buildings(Step):
    sheet = BUILDINGS
    key = ("estate", "number")
    values = ("storeys", "has_elevator", "structure")

    def load(self) -> None:
        qn = connection.ops.quote_name
        b, e = qn(Building._meta.db_table), qn(Estate._meta.db_table)
        self.stored: dict[tuple[str, str], tuple[int, tuple[Any, ...]]] = {}
        rows = []
        with connection.cursor() as cursor:
            for where, params in self.estate_filters(f"{b}.{qn('estate_id')}"):
                cursor.execute(
                    f"SELECT {b}.{qn('id')}, {e}.{qn('code')}, {b}.{qn('number')},"
                    f" {b}.{qn('estate_id')}, {b}.{qn('storeys')}, {b}.{qn('has_elevator')},"
                    f" {b}.{qn('structure')} FROM {b}"
                    f" JOIN {e} ON {e}.{qn('id')} = {b}.{qn('estate_id')}" + where,
                    params,
                )
                rows += cursor.fetchall()
        for pk, code, number, estate_id, storeys, lift, structure in rows:
            key = (code, number)
            self.stored[key] = (pk, (storeys, bool(lift), structure))
            self.keys.building_by_key[key] = (pk, estate_id, storeys)

    def accept(self, rows: SheetRows) -> None:
        (self.estate_cell,) = rows.cells("estate_code")
        (self.number_cell,) = rows.cells("building")
        self.value_cells = self.cells_for(rows, *self.values)
        self.target = Target(self.table, self.stored, self.present(rows, self.values))
        self.references = References(self)
        seen: dict[tuple[str, str], int] = {}
        for number, row in rows:
            self.row(number, row, seen)

    def row(self, number: int, row: list[str], seen: dict[tuple[str, str], int]) -> None:
        code = row[self.estate_cell.position].strip()
        estate_id = self.references.estate(number, code)
        bnum, ok = self.read_one(number, row, self.number_cell)
        key = (code, row[self.number_cell.position].strip())
        if code and key[1]:
            ok = self.first_time(seen, key, number, "楼栋号") and ok
        values, values_ok = self.read(number, row, self.value_cells)
        storeys = values[0]
        if not (ok and values_ok and estate_id and storeys is not None):
            self.keys.building_by_key.setdefault(key, (BROKEN, BROKEN, 0))
            return
        pk = self.target.put(key, (estate_id, bnum), tuple(values))
        self.keys.building_by_key[key] = (pk, estate_id, storeys)


class Entrances(Step):
    sheet = ENTRANCES
    key = ("building", "number")

    def load(self) -> None:
        qn = connection.ops.quote_name
        n, b, e = (
            qn(Entrance._meta.db_table),
            qn(Building._meta.db_table),
            qn(Estate._meta.db_table),
        )
        rows = []
        with connection.cursor() as cursor:
            for where, params in self.estate_filters(f"{b}.{qn('estate_id')}"):
                cursor.execute(
                    f"SELECT {n}.{qn('id')}, {e}.{qn('code')}, {b}.{qn('number')},"
                    f" {n}.{qn('number')}, {b}.{qn('id')}, {e}.{qn('id')}"
                    f" FROM {n} JOIN {b} ON {b}.{qn('id')} = {n}.{qn('building_id')}"
                    f" JOIN {e} ON {e}.{qn('id')} = {b}.{qn('estate_id')}" + where,
                    params,
                )
                rows += cursor.fetchall()
        buildings = self.keys.building_by_key
        for pk, code, bnum, enum, building_id, estate_id in rows:
            storeys = buildings[(code, bnum)][2]
            self.keys.entrance_by_key[(code, bnum, enum)] = (pk, building_id, estate_id, storeys)

    def accept(self, rows: SheetRows) -> None:
        (estate_cell,) = rows.cells("estate_code")
        (building_cell,) = rows.cells("building")
        (number_cell,) = rows.cells("entrance")
        references = References(self)
        known = self.keys.entrance_by_key
        seen: dict[tuple[str, str, str], int] = {}
        for number, row in rows:
            code, bnum = row[estate_cell.position].strip(), row[building_cell.position].strip()
            building = references.building(number, code, bnum)
            enum, ok = self.read_one(number, row, number_cell)
            key = (code, bnum, row[number_cell.position].strip())
            ok = self.first_time(seen, key, number, "单元号") and ok
            if not ok or building is None:
                known.setdefault(key, (BROKEN, BROKEN, BROKEN, 0))
            elif key not in known:
                pk = self.table.new_id()
                self.table.insert((pk, building[0], enum))
                known[key] = (pk, building[0], building[1], building[2])


class Dwellings(Step):
    sheet = DWELLINGS
    key = ("entrance", "building", "estate", "number")
    values = ("floor", "area", "use", "status")

    def load(self) -> None:
        """Stored dwellings are only needed by name when the file has no 房屋 sheet."""

    def load_keys(self) -> None:
        by_key = self.keys.dwelling_by_key
        for pk, key, _vals in stored_rows(
            self.sheet.model,
            ("entrance", "number"),
            (),
            self.estate_filters(connection.ops.quote_name("estate_id")),
        ):
            by_key[key] = pk

    def accept(self, rows: SheetRows) -> None:
        stored: dict[tuple[int, str], tuple[int, tuple[Any, ...]]] = {}
        by_key = self.keys.dwelling_by_key
        for pk, key, vals in stored_rows(
            self.sheet.model,
            ("entrance", "number"),
            self.values,
            self.estate_filters(connection.ops.quote_name("estate_id")),
        ):
            stored[key] = (pk, vals)
            by_key[key] = pk
        self.ekey_index = tuple(
            c.position for c in rows.cells("estate_code", "building", "entrance")
        )
        number_cell, floor_cell, *rest = rows.cells("number", "floor", "area", "use", "status")
        self.number_index = number_cell.position
        self.cells = (number_cell, floor_cell._replace(parse=self.floor(floor_cell)), *rest)
        self.target = Target(self.table, stored, self.present(rows, self.values))
        self.references = References(self)
        seen: dict[tuple[int, str], int] = {}
        for number, row in rows:
            self.row(number, row, seen)

    def floor(self, cell: Cell) -> Parser:
        """The floor's parser, which also checks the floor against the row's building."""
        parse = cell.parse
        self.storeys = 0  # of the building the row being read names, when known

        def floor(text: str) -> int:
            n = parse(text)
            if self.storeys and n > self.storeys:
                raise v.Bad(_("%(f)d层高于楼栋的层数（%(n)d层）") % {"f": n, "n": self.storeys})
            return n

        return floor

    def row(self, number: int, row: list[str], seen: dict[tuple[int, str], int]) -> None:
        e, b, n = self.ekey_index
        ekey = (row[e].strip(), row[b].strip(), row[n].strip())
        entrance = self.keys.entrance_by_key.get(ekey)
        if entrance is None:
            self.references.entrance(number, ekey)
            self.storeys = 0
        else:
            self.storeys = entrance[3] if entrance[0] else 0
        (num, floor, area, use, status), ok = self.read(number, row, self.cells)
        if entrance is None:
            return
        key = (entrance[0], row[self.number_index].strip())
        if entrance[0] != BROKEN and key[1]:
            first = seen.get(key)
            if first is not None:
                self.duplicate(number, "房号", first)
                return
            seen[key] = number
        if not ok or entrance[0] == BROKEN:
            self.keys.dwelling_by_key.setdefault(key, BROKEN)
            return
        self.keys.dwelling_by_key[key] = self.target.put(
            key, (entrance[0], entrance[1], entrance[2], num), (floor, area, use, status)
        )
