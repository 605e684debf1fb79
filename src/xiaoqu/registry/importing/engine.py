"""The register import: validate every row, then write all of it or nothing.

One streaming pass per sheet, in the order regions → estates → buildings → entrances →
dwellings → people → ownerships → residencies. Natural keys resolve to ids through plain
dicts (loaded from the database with one query per table, extended with the rows of the
file), so validation needs no query per row. Rows are written in large batches while the file
is read; the first error switches writing off and the whole transaction is rolled back at the
end, so a bad file leaves the database as it was while every error still gets reported.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.registry.importing import values as v
from xiaoqu.registry.importing.schema import (
    BOOL_WORDS,
    BUILDINGS,
    CODE_LENGTHS,
    DWELLINGS,
    ENTRANCES,
    ESTATES,
    LEVEL_WORDS,
    MANAGEMENT_WORDS,
    OWNERSHIPS,
    PEOPLE,
    REGIONS,
    RELATION_WORDS,
    RESIDENCIES,
    STAGE_WORDS,
    STATUS_WORDS,
    STRUCTURE_WORDS,
    USE_WORDS,
    Sheet,
)
from xiaoqu.registry.importing.sources import EncodingRefused, SheetSource, open_register
from xiaoqu.registry.importing.writer import Table, column, lock_tables, now
from xiaoqu.registry.models import (
    LEVEL_ORDER,
    Building,
    Dwelling,
    Entrance,
    Estate,
    Ownership,
    Person,
    Region,
    RegionLevel,
    Residency,
)

MAX_ERRORS = 1000
FETCH = 50_000
PROGRESS_EVERY = 10_000
# A key whose row was wrong: references to it are not reported a second time.
BROKEN = 0

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RowError:
    """One problem in the file, located as a person sees it in Excel (header is row 1)."""

    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = self.sheet if self.row is None else f"{self.sheet} 第{self.row}行"
        if self.column:
            return f"{where} {self.column}：{self.message}"
        return f"{where}：{self.message}"


class ImportFailed(DomainError):
    """The file had errors; nothing was written."""

    code = "import_failed"

    def __init__(self, errors: list[RowError], more: int = 0) -> None:
        self.errors = errors
        self.more = more
        total = len(errors) + more
        super().__init__(_("导入失败：发现%(n)d处错误，未写入任何数据") % {"n": total})

    def lines(self) -> list[str]:
        out = [str(e) for e in self.errors]
        if self.more:
            out.append(_("……另有%(n)d处错误未列出") % {"n": self.more})
        return out


ENTITIES = (
    "regions",
    "estates",
    "buildings",
    "entrances",
    "dwellings",
    "people",
    "ownerships",
    "residencies",
)


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENTITIES, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENTITIES, 0))
    rows: int = 0
    seconds: float = 0.0

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())


def import_register(
    path: Path, *, actor: Any = None, progress: Progress | None = None
) -> ImportReport:
    """Import the register at ``path`` (an .xlsx workbook or a folder of csv files).

    All or nothing: raises ``ImportFailed`` with every error found and writes nothing, or
    writes everything in one transaction. Rows already in the database (matched by natural
    key) are updated, not duplicated. Raises ``RegisterSourceError`` when ``path`` is not a
    register at all.
    """
    started = time.perf_counter()
    sources = open_register(Path(path))
    # Millions of small tuples make the cyclic garbage collector walk the same live
    # objects again and again; the import creates no cycles worth collecting.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import(path, sources, actor, progress, started)
    finally:
        if collecting:
            gc.enable()


def _import(
    path: Path,
    sources: list[SheetSource],
    actor: Any,
    progress: Progress | None,
    started: float,
) -> ImportReport:
    with transaction.atomic():
        run = _Run(progress)
        run.execute(sources)
        if run.errors or run.more:
            raise ImportFailed(run.errors, run.more)
        report = run.report()
        audit_record(
            actor=actor,
            action="registry.import",
            object_type="registry.register",
            object_id=Path(path).name[:64],
            after={"created": report.created, "updated": report.updated},
        )
    _refresh_planner_statistics(report)
    report.seconds = time.perf_counter() - started
    return report


# Tables that grew or changed by more rows than this get fresh planner statistics.
ANALYZE_THRESHOLD = 10_000


def _refresh_planner_statistics(report: ImportReport) -> None:
    """Refresh the query planner's statistics after a bulk load.

    Right after a large COPY, PostgreSQL has no statistics for the new rows until
    autovacuum gets to them, and its plans for the register pages can be hundreds of
    times slower (a hash join over every person to show one estate's owners).
    """
    changed = [
        name for name in ENTITIES if report.created[name] + report.updated[name] > ANALYZE_THRESHOLD
    ]
    if not changed:
        return
    qn = connection.ops.quote_name
    tables = {
        "regions": Region,
        "estates": Estate,
        "buildings": Building,
        "entrances": Entrance,
        "dwellings": Dwelling,
        "people": Person,
        "ownerships": Ownership,
        "residencies": Residency,
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in changed:
                cursor.execute(f"ANALYZE {qn(tables[name]._meta.db_table)}")
        elif connection.vendor == "sqlite":
            # Bounded sampling: cheap even on a million-row table.
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("PRAGMA optimize")


def _q(model: type[models.Model], *names: str) -> str:
    """``SELECT id, <columns>`` for one model, quoted for the current database."""
    qn = connection.ops.quote_name
    meta = model._meta
    cols = ", ".join(qn(column(model, n)) for n in names)
    return f"SELECT {qn('id')}, {cols} FROM {qn(meta.db_table)}"


def _norm_decimal(value: Any, places: int) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))


def _norm_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class _Rows:
    """The data rows of one sheet with their Excel row numbers, and column positions."""

    def __init__(self, run: _Run, source: SheetSource) -> None:
        self.run = run
        self.source = source
        self.sheet: Sheet = source.sheet
        self.header, self._rows = source.open()
        self.width = len(self.header)
        self.pos: dict[str, int] = {}
        names = {}
        for col in self.sheet.columns:
            for name in col.names():
                names[_header_key(name)] = col.key
        for i, raw in enumerate(self.header):
            key = names.get(_header_key(raw))
            if key is not None and key not in self.pos:
                self.pos[key] = i
        self.ok = True
        for col in self.sheet.columns:
            if col.required and col.key not in self.pos:
                run.error(self.sheet, 1, col.label, _("缺少必填列"))
                self.ok = False

    def has(self, key: str) -> bool:
        return key in self.pos

    def index(self, key: str) -> int:
        # Absent columns read the empty cell that __iter__ appends to every row.
        return self.pos.get(key, -1)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        if not self.ok:
            return
        label = self.sheet.label
        progress = self.run.progress
        total = max(self.source.total, 1)
        width = self.width
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
                row.append("")
                yield number, row
        except UnicodeDecodeError:
            self.run.error(
                self.sheet,
                number + 1,
                "",
                _("文件“%(name)s”含有无法识别的字符：请保存为 UTF-8 或 GBK 编码的 CSV")
                % {"name": self.source.name},
            )
        if progress:
            progress(label, max(number - 1, 0), max(number - 1, 0))
        self.run.report_rows += max(number - 1, 0)


def _header_key(name: Any) -> str:
    text = str(name or "").strip().lstrip("\ufeff").rstrip("*＊").strip().lower()
    return text.replace(" ", "_")


class _Run:
    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.errors: list[RowError] = []
        self.more = 0
        self.report_rows = 0
        self.started = now()
        stamp = self.started
        lock_tables(
            connection,
            [m._meta.db_table for m in (Region, Estate, Building, Entrance, Dwelling, Person)]
            + [Ownership._meta.db_table, Residency._meta.db_table],
        )
        self.regions = Table(
            connection,
            Region,
            ["code", "name", "level", "parent", "path", "depth"],
            ["code", "name", "level", "parent", "path", "depth"],
            stamp,
        )
        self.estates = Table(
            connection,
            Estate,
            [
                "code",
                "name",
                "address",
                "community",
                "region_path",
                "year_built",
                "latitude",
                "longitude",
                "land_area",
                "households",
                "management_mode",
                "stage",
            ],
            [
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
            ],
            stamp,
        )
        self.buildings = Table(
            connection,
            Building,
            ["estate", "number", "storeys", "has_elevator", "structure"],
            ["storeys", "has_elevator", "structure"],
            stamp,
        )
        self.entrances = Table(connection, Entrance, ["building", "number"], [], stamp)
        self.dwellings = Table(
            connection,
            Dwelling,
            ["entrance", "building", "estate", "number", "floor", "area", "use", "status"],
            ["floor", "area", "use", "status"],
            stamp,
        )
        self.people = Table(
            connection,
            Person,
            ["ref", "name", "phone", "id_hash", "id_last4"],
            ["name", "phone", "id_hash", "id_last4"],
            stamp,
        )
        self.ownerships = Table(
            connection, Ownership, ["person", "dwelling", "share"], ["share"], stamp
        )
        self.residencies = Table(
            connection,
            Residency,
            ["person", "dwelling", "relation", "since"],
            ["relation", "since"],
            stamp,
        )
        self.tables = [
            self.regions,
            self.estates,
            self.buildings,
            self.entrances,
            self.dwellings,
            self.people,
            self.ownerships,
            self.residencies,
        ]
        # Natural key → what later sheets need to know about the row.
        self.region_by_code: dict[str, tuple[int, str, str]] = {}  # id, level, path
        self.estate_by_code: dict[str, int] = {}
        self.building_by_key: dict[tuple[str, str], tuple[int, int, int]] = {}
        self.entrance_by_key: dict[tuple[str, str, str], tuple[int, int, int, int]] = {}
        self.dwelling_by_key: dict[tuple[int, str], int] = {}
        self.person_by_ref: dict[str, int] = {}
        self.changed_paths: dict[int, str] = {}
        # ID hash → (person id, 人员编号, row in this file or 0 for the database).
        self.hash_owner: dict[str, tuple[int, str | None, int]] = {}
        self.writing = True
        # Set when a sheet's header or encoding is unusable: later sheets would only repeat
        # "not found" for everything that sheet holds, so they are not read.
        self.unreadable = False

    # -- bookkeeping -------------------------------------------------------------------

    def error(self, sheet: Sheet, row: int | None, column: str, message: str) -> bool:
        """Record one error; returns False so a check can end with ``ok = self.error(...)``."""
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(sheet.label, row, column, message))
        else:
            self.more += 1
        if self.writing:
            self.writing = False
            for table in self.tables:
                table.stop()
        return False

    def report(self) -> ImportReport:
        report = ImportReport(rows=self.report_rows)
        for key, table in zip(ENTITIES, self.tables, strict=True):
            report.created[key] = table.created
            report.updated[key] = table.updated
        return report

    # -- the run -----------------------------------------------------------------------

    def execute(self, sources: list[SheetSource]) -> None:
        vendor = connection.vendor
        if vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                cache_size = cursor.fetchone()[0]
                # Index pages of a province's register do not fit the default 2 MB cache.
                cursor.execute("PRAGMA cache_size = -524288")
        by_key = {s.sheet.key: s for s in sources}
        self._load_regions()
        self._step(by_key, "regions", self._regions)
        self._load_estates()
        self._step(by_key, "estates", self._estates)
        self._follow_moved_communities()
        self._load_buildings()
        self._step(by_key, "buildings", self._buildings)
        self._load_entrances()
        self._step(by_key, "entrances", self._entrances)
        self._step(by_key, "dwellings", self._dwellings)
        needs_dwellings = "ownerships" in by_key or "residencies" in by_key
        if needs_dwellings and "dwellings" not in by_key:
            self._load_dwelling_keys()
        if "people" in by_key:
            self._step(by_key, "people", self._people)
            # A million hashes are not needed any more; the ownerships need the room.
            self.hash_owner = {}
        elif needs_dwellings:
            self._load_person_keys()
        self._step(by_key, "ownerships", self._ownerships)
        self._step(by_key, "residencies", self._residencies)
        if not self.errors and not self.more:
            stage = _("写入数据库")
            if self.progress:
                self.progress(stage, 0, 1)
            for table in self.tables:
                table.finish()
            self._count_households()
            if self.progress:
                self.progress(stage, 1, 1)
            if vendor == "postgresql":
                for table in self.tables:
                    table.reset_sequence()
        if vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")

    def _step(self, by_key: dict[str, SheetSource], key: str, handler: Callable) -> None:
        source = by_key.get(key)
        if source is None:
            return
        handler(self._rows(source))
        # A sheet's rows are all written before the next sheet's: rows whose parents are not
        # yet written would count as pending foreign-key violations, and SQLite then checks
        # every later parent row against the child tables.
        self.tables[ENTITIES.index(key)].flush()

    def _rows(self, source: SheetSource) -> _Rows:
        table = self.tables[ENTITIES.index(source.sheet.key)]
        table.expect(source.total)
        if self.unreadable:
            return _EmptyRows()  # type: ignore[return-value]
        try:
            rows = _Rows(self, source)
        except EncodingRefused:
            self.unreadable = True
            self.error(
                source.sheet,
                None,
                "",
                _(
                    "无法识别文件“%(name)s”的编码：只接受 UTF-8（可带 BOM）或 GBK/GB18030 "
                    "编码的 CSV 文本文件，请在 Excel 中“另存为 CSV UTF-8”"
                )
                % {"name": source.name},
            )
            return _EmptyRows()  # type: ignore[return-value]
        if not rows.ok:
            self.unreadable = True
        return rows

    # -- regions -----------------------------------------------------------------------

    def _load_regions(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_q(Region, "code", "name", "level", "parent", "path", "depth"))
            rows = cursor.fetchall()
        # id → [code, name, level, parent_id, path, depth]
        self.region_rows: dict[int, list[Any]] = {r[0]: list(r[1:]) for r in rows}
        self._region_db = {r[0]: tuple(r[1:]) for r in rows}
        self._region_updated: set[int] = set()
        for pk, (code, _name, level, _parent, path, _depth) in self.region_rows.items():
            if code:
                self.region_by_code[code] = (pk, level, path)

    def _regions(self, rows: _Rows) -> None:
        sheet = REGIONS
        i_code, i_name, i_level, i_parent = (
            rows.index("code"),
            rows.index("name"),
            rows.index("level"),
            rows.index("parent_code"),
        )
        seen: dict[str, int] = {}
        parsed: list[tuple[int, str, str, str, str]] = []
        for number, row in rows:
            code, name = row[i_code].strip(), row[i_name].strip()
            level_text, parent = row[i_level].strip(), row[i_parent].strip()
            ok = True
            level = ""
            if not level_text:
                ok = self._missing(sheet, number, "级别")
            else:
                try:
                    level = v.word(level_text, LEVEL_WORDS)
                except v.Bad as e:
                    ok = self.error(sheet, number, "级别", str(e))
            if not code:
                ok = self._missing(sheet, number, "代码")
            else:
                try:
                    v.digits(code)
                    if level and len(code) != CODE_LENGTHS[level]:
                        raise v.Bad(
                            _("%(level)s代码应为%(n)d位数字")
                            % {"level": _level_name(level), "n": CODE_LENGTHS[level]}
                        )
                except v.Bad as e:
                    ok = self.error(sheet, number, "代码", str(e))
                if code in seen:
                    ok = self._duplicate(sheet, number, "代码", seen[code])
                else:
                    seen[code] = number
            if not name:
                ok = self._missing(sheet, number, "名称")
            elif len(name) > 100:
                ok = self.error(sheet, number, "名称", _("不能超过100个字符"))
            if parent:
                try:
                    v.digits(parent)
                except v.Bad as e:
                    ok = self.error(sheet, number, "上级代码", str(e))
            if ok:
                parsed.append((number, code, name, level, parent))
            elif code:
                self.region_by_code[code] = (BROKEN, level, "")
        # Parents before children: a parent's level is always higher.
        parsed.sort(key=lambda r: LEVEL_ORDER.index(r[3]))
        names_taken: dict[tuple[int | None, str], tuple[int, str | None]] = {
            (r[3], r[1]): (pk, r[0]) for pk, r in self.region_rows.items()
        }
        plan: list[tuple[int, int, bool]] = []  # number, id, is_new
        for number, code, name, level, parent in parsed:
            parent_id: int | None = None
            if parent:
                found = self.region_by_code.get(parent)
                if found is None:
                    self.error(sheet, number, "上级代码", _("未找到区划“%(c)s”") % {"c": parent})
                    self.region_by_code[code] = (BROKEN, level, "")
                    continue
                parent_id, parent_level, _path = found
                if parent_id == BROKEN:
                    self.region_by_code[code] = (BROKEN, level, "")
                    continue
                if LEVEL_ORDER.index(parent_level) >= LEVEL_ORDER.index(level):
                    self.region_by_code[code] = (BROKEN, level, "")
                    self.error(
                        sheet,
                        number,
                        "上级代码",
                        _("上级区划“%(c)s”是%(p)s，级别必须高于本级（%(l)s）")
                        % {"c": parent, "p": _level_name(parent_level), "l": _level_name(level)},
                    )
                    continue
            existing = self.region_by_code.get(code)
            pk = existing[0] if existing else None
            taken = names_taken.get((parent_id, name))
            if taken is not None and taken[0] != pk:
                other_code = taken[1]
                if pk is None and not other_code and taken[0] in self.region_rows:
                    # A region entered by hand without a code: this row gives it one.
                    pk = taken[0]
                else:
                    self.error(
                        sheet,
                        number,
                        "名称",
                        _("同一上级下已有同名区划“%(n)s”（代码%(c)s）")
                        % {"n": name, "c": other_code or "—"},
                    )
                    self.region_by_code[code] = (BROKEN, level, "")
                    continue
            is_new = pk is None
            if pk is None:
                pk = self.regions.new_id()
            else:
                old = self.region_rows[pk]
                names_taken.pop((old[3], old[1]), None)
            names_taken[(parent_id, name)] = (pk, code)
            self.region_rows[pk] = [code, name, level, parent_id, None, None]
            self.region_by_code[code] = (pk, level, "")
            plan.append((number, pk, is_new))
        self._region_paths(plan)

    def _region_paths(self, plan: list[tuple[int, int, bool]]) -> None:
        """Paths for every region from the final parents (a move carries its subtree)."""
        rows = self.region_rows
        old_paths = {pk: r[4] for pk, r in rows.items()}
        paths: dict[int, str] = {}
        in_file = {pk: number for number, pk, _new in plan}

        def path_of(pk: int, trail: tuple[int, ...] = ()) -> str | None:
            if pk in paths:
                return paths[pk]
            if pk in trail:
                return None
            parent = rows[pk][3]
            if parent is None:
                result: str | None = f"/{pk}/"
            else:
                above = path_of(parent, (*trail, pk)) if parent in rows else None
                result = None if above is None else f"{above}{pk}/"
            if result is not None:
                paths[pk] = result
            return result

        for pk in rows:
            path = path_of(pk)
            if path is None:
                number = in_file.get(pk)
                self.error(REGIONS, number, "上级代码", _("区划上下级形成循环"))
                continue
            rows[pk][4] = path
            rows[pk][5] = path.count("/") - 2
            code = rows[pk][0]
            if code:
                self.region_by_code[code] = (pk, rows[pk][2], path)
        for _number, pk, is_new in plan:
            code, name, level, parent, path, depth = rows[pk]
            if path is None:
                continue
            if is_new:
                self.regions.insert((pk, code, name, level, parent, path, depth))
            else:
                self._region_update(pk)
        for pk, path in paths.items():
            if pk not in in_file and old_paths.get(pk) not in (None, path):
                self._region_update(pk)

    def _region_update(self, pk: int) -> None:
        if pk in self._region_updated:
            return
        current = tuple(self.region_rows[pk])
        if current != self._region_db.get(pk):
            self._region_updated.add(pk)
            self.regions.update(pk, current)
            if current[2] == RegionLevel.COMMUNITY and current[4] != self._region_db[pk][4]:
                self.changed_paths[pk] = current[4]

    # -- estates -----------------------------------------------------------------------

    def _load_estates(self) -> None:
        fields = (
            "code",
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
        with connection.cursor() as cursor:
            cursor.execute(_q(Estate, *fields))
            rows = cursor.fetchall()
        self.estate_db: dict[str, tuple[int, tuple[Any, ...]]] = {}
        for pk, code, *vals in rows:
            vals[5] = _norm_decimal(vals[5], 6)
            vals[6] = _norm_decimal(vals[6], 6)
            vals[7] = _norm_decimal(vals[7], 2)
            self.estate_db[code] = (pk, tuple(vals))
            self.estate_by_code[code] = pk

    def _estates(self, rows: _Rows) -> None:
        sheet = ESTATES
        idx = {c.key: rows.index(c.key) for c in sheet.columns}
        present = (
            True,
            rows.has("address"),
            True,
            True,
            rows.has("year_built"),
            rows.has("latitude"),
            rows.has("longitude"),
            rows.has("land_area"),
            rows.has("management_mode"),
            rows.has("stage"),
        )
        this_year = dt.date.today().year
        seen: dict[str, int] = {}
        for number, row in rows:
            cell = {k: row[i].strip() for k, i in idx.items()}
            ok = True
            code, name, community = cell["code"], cell["name"], cell["community_code"]
            if not code:
                ok = self._missing(sheet, number, "小区编号")
            elif len(code) > 32:
                ok = self.error(sheet, number, "小区编号", _("不能超过32个字符"))
            elif code in seen:
                ok = self._duplicate(sheet, number, "小区编号", seen[code])
            else:
                seen[code] = number
            if not name:
                ok = self._missing(sheet, number, "小区名称")
            elif len(name) > 100:
                ok = self.error(sheet, number, "小区名称", _("不能超过100个字符"))
            community_id, region_path = None, ""
            if not community:
                ok = self._missing(sheet, number, "社区代码")
            else:
                found = self.region_by_code.get(community)
                if found is None:
                    ok = self.error(
                        sheet, number, "社区代码", _("未找到区划“%(c)s”") % {"c": community}
                    )
                elif found[0] == BROKEN:
                    ok = False
                elif found[1] != RegionLevel.COMMUNITY:
                    ok = self.error(
                        sheet,
                        number,
                        "社区代码",
                        _("“%(c)s”是%(l)s，不是社区")
                        % {"c": community, "l": _level_name(found[1])},
                    )
                else:
                    community_id, _lvl, region_path = found
            parsed: dict[str, Any] = {}
            for key, label, parse in (
                ("year_built", "建成年份", v.integer),
                ("latitude", "纬度", lambda s: v.coordinate(s, 90)),
                ("longitude", "经度", lambda s: v.coordinate(s, 180)),
                ("land_area", "占地面积", lambda s: v.decimal(s, 2, 12)),
                ("management_mode", "管理模式", lambda s: v.word(s, MANAGEMENT_WORDS)),
                ("stage", "改造阶段", lambda s: v.word(s, STAGE_WORDS)),
            ):
                text = cell[key]
                if not text:
                    parsed[key] = None
                    continue
                try:
                    parsed[key] = parse(text)
                except v.Bad as e:
                    ok = self.error(sheet, number, label, str(e))
            year = parsed.get("year_built")
            if year is not None and not 1000 <= year <= this_year:
                ok = self.error(
                    sheet,
                    number,
                    "建成年份",
                    _("不能晚于今年（%(y)d）") % {"y": this_year}
                    if year > this_year
                    else _("年份无效"),
                )
            address = cell["address"]
            if len(address) > 200:
                ok = self.error(sheet, number, "地址", _("不能超过200个字符"))
            if not ok:
                if code:
                    self.estate_by_code.setdefault(code, BROKEN)
                continue
            vals = (
                name,
                address,
                community_id,
                region_path,
                year,
                parsed["latitude"],
                parsed["longitude"],
                parsed["land_area"],
                parsed["management_mode"] or "none",
                parsed["stage"] or "not_started",
            )
            existing = self.estate_db.get(code)
            if existing is None:
                pk = self.estates.new_id()
                self.estates.insert((pk, code, *vals[:4], *vals[4:8], 0, *vals[8:]))
            else:
                pk, old = existing
                merged = tuple(n if p else o for n, o, p in zip(vals, old, present, strict=True))
                if merged != old:
                    self.estates.update(pk, merged)
            self.estate_by_code[code] = pk

    def _follow_moved_communities(self) -> None:
        """Estates not in the file still follow their community's new path."""
        if not self.changed_paths or self.errors:
            return
        qn = connection.ops.quote_name
        table = qn(Estate._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {qn('region_path')} = %s WHERE {qn('community_id')} = %s",
                [(path, pk) for pk, path in self.changed_paths.items()],
            )

    # -- buildings and entrances ------------------------------------------------------

    def _load_buildings(self) -> None:
        qn = connection.ops.quote_name
        b, e = qn(Building._meta.db_table), qn(Estate._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {b}.{qn('id')}, {e}.{qn('code')}, {b}.{qn('number')}, {b}.{qn('estate_id')},"
                f" {b}.{qn('storeys')}, {b}.{qn('has_elevator')}, {b}.{qn('structure')}"
                f" FROM {b} JOIN {e} ON {e}.{qn('id')} = {b}.{qn('estate_id')}"
            )
            rows = cursor.fetchall()
        self.building_db: dict[tuple[str, str], tuple[Any, ...]] = {}
        for pk, code, number, estate_id, storeys, lift, structure in rows:
            key = (code, number)
            self.building_db[key] = (pk, (storeys, bool(lift), structure))
            self.building_by_key[key] = (pk, estate_id, storeys)

    def _buildings(self, rows: _Rows) -> None:
        sheet = BUILDINGS
        i_e, i_b, i_s = rows.index("estate_code"), rows.index("building"), rows.index("storeys")
        i_l, i_t = rows.index("has_elevator"), rows.index("structure")
        present = (True, rows.has("has_elevator"), rows.has("structure"))
        seen: dict[tuple[str, str], int] = {}
        for number, row in rows:
            code, bnum = row[i_e].strip(), row[i_b].strip()
            ok = True
            estate_id = self._estate(sheet, number, code)
            if estate_id is None:
                ok = False
            if not bnum:
                ok = self._missing(sheet, number, "楼栋号")
            elif len(bnum) > 32:
                ok = self.error(sheet, number, "楼栋号", _("不能超过32个字符"))
            key = (code, bnum)
            if code and bnum:
                if key in seen:
                    ok = self._duplicate(sheet, number, "楼栋号", seen[key])
                else:
                    seen[key] = number
            storeys = None
            text = row[i_s].strip()
            if not text:
                ok = self._missing(sheet, number, "层数")
            else:
                try:
                    storeys = v.integer(text)
                    if not 1 <= storeys <= 200:
                        raise v.Bad(_("必须在1到200之间"))
                except v.Bad as e:
                    ok = self.error(sheet, number, "层数", str(e))
            lift = False
            if text := row[i_l].strip():
                try:
                    lift = v.boolean(text, BOOL_WORDS)
                except v.Bad as e:
                    ok = self.error(sheet, number, "有电梯", str(e))
            structure = "brick_concrete"
            if text := row[i_t].strip():
                try:
                    structure = v.word(text, STRUCTURE_WORDS)
                except v.Bad as e:
                    ok = self.error(sheet, number, "结构", str(e))
            if not ok or estate_id is None or storeys is None:
                self.building_by_key.setdefault(key, (BROKEN, BROKEN, 0))
                continue
            vals = (storeys, lift, structure)
            existing = self.building_db.get(key)
            if existing is None:
                pk = self.buildings.new_id()
                self.buildings.insert((pk, estate_id, bnum, *vals))
            else:
                pk, old = existing
                merged = tuple(n if p else o for n, o, p in zip(vals, old, present, strict=True))
                if merged != old:
                    self.buildings.update(pk, merged)
            self.building_by_key[key] = (pk, estate_id, storeys)

    def _load_entrances(self) -> None:
        qn = connection.ops.quote_name
        n, b, e = (
            qn(Entrance._meta.db_table),
            qn(Building._meta.db_table),
            qn(Estate._meta.db_table),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {n}.{qn('id')}, {e}.{qn('code')}, {b}.{qn('number')}, {n}.{qn('number')},"
                f" {b}.{qn('id')}, {e}.{qn('id')}"
                f" FROM {n} JOIN {b} ON {b}.{qn('id')} = {n}.{qn('building_id')}"
                f" JOIN {e} ON {e}.{qn('id')} = {b}.{qn('estate_id')}"
            )
            rows = cursor.fetchall()
        for pk, code, bnum, enum, building_id, estate_id in rows:
            storeys = self.building_by_key[(code, bnum)][2]
            self.entrance_by_key[(code, bnum, enum)] = (pk, building_id, estate_id, storeys)

    def _entrances(self, rows: _Rows) -> None:
        sheet = ENTRANCES
        i_e, i_b, i_n = rows.index("estate_code"), rows.index("building"), rows.index("entrance")
        known = self.entrance_by_key
        seen: dict[tuple[str, str, str], int] = {}
        for number, row in rows:
            code, bnum, enum = row[i_e].strip(), row[i_b].strip(), row[i_n].strip()
            ok = True
            building = self._building(sheet, number, code, bnum)
            if building is None:
                ok = False
            if not enum:
                ok = self._missing(sheet, number, "单元号")
            elif len(enum) > 32:
                ok = self.error(sheet, number, "单元号", _("不能超过32个字符"))
            key = (code, bnum, enum)
            if key in seen:
                ok = self._duplicate(sheet, number, "单元号", seen[key])
            else:
                seen[key] = number
            if not ok or building is None:
                known.setdefault(key, (BROKEN, BROKEN, BROKEN, 0))
                continue
            if key not in known:
                pk = self.entrances.new_id()
                self.entrances.insert((pk, building[0], enum))
                known[key] = (pk, building[0], building[1], building[2])

    # -- dwellings ---------------------------------------------------------------------

    def _dwellings(self, rows: _Rows) -> None:
        sheet = DWELLINGS
        ix = rows.index
        i_e, i_b, i_n, i_d = ix("estate_code"), ix("building"), ix("entrance"), ix("number")
        i_f, i_a, i_u, i_s = ix("floor"), ix("area"), ix("use"), ix("status")
        present = (True, True, rows.has("use"), rows.has("status"))
        # Existing dwellings, loaded once: (entrance_id, number) → (id, values).
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn('id')}, {qn('entrance_id')}, {qn('number')}, {qn('floor')},"
                f" {qn('area')}, {qn('use')}, {qn('status')} FROM {qn(Dwelling._meta.db_table)}"
            )
            existing = {}
            while batch := cursor.fetchmany(FETCH):
                for pk, e, n, f, a, u, s in batch:
                    existing[(e, n)] = (pk, (f, _norm_decimal(a, 2), u, s))
        by_key = self.dwelling_by_key
        for key, (pk, _vals) in existing.items():
            by_key[key] = pk
        entrances = self.entrance_by_key
        use_words, status_words = USE_WORDS, STATUS_WORDS
        decimal, integer = v.decimal, v.integer
        table = self.dwellings
        insert = table.insert
        seen: dict[tuple[int, str], int] = {}
        for number, row in rows:
            ekey = (row[i_e].strip(), row[i_b].strip(), row[i_n].strip())
            entrance = entrances.get(ekey)
            ok = True
            if entrance is None:
                self._entrance(sheet, number, ekey)
                ok = False
            elif entrance[0] == BROKEN:
                ok = False
            num = row[i_d].strip()
            if not num:
                ok = self._missing(sheet, number, "房号")
            elif len(num) > 32:
                ok = self.error(sheet, number, "房号", _("不能超过32个字符"))
            floor = None
            text = row[i_f].strip()
            if not text:
                ok = self._missing(sheet, number, "楼层")
            else:
                try:
                    floor = integer(text)
                except v.Bad as e:
                    ok = self.error(sheet, number, "楼层", str(e))
                else:
                    if floor == 0:
                        ok = self.error(sheet, number, "楼层", _("不能为0（地下层用负数）"))
                    elif entrance and entrance[0] and floor > entrance[3]:
                        ok = self.error(
                            sheet,
                            number,
                            "楼层",
                            _("%(f)d层高于楼栋的层数（%(n)d层）") % {"f": floor, "n": entrance[3]},
                        )
                    elif floor < -10:
                        ok = self.error(sheet, number, "楼层", _("地下层数不能超过10层"))
            area = None
            text = row[i_a].strip()
            if not text:
                ok = self._missing(sheet, number, "专有面积")
            else:
                try:
                    area = decimal(text, 2, 10)
                except v.Bad as e:
                    ok = self.error(sheet, number, "专有面积", str(e))
            use = "residential"
            if text := row[i_u].strip():
                use = use_words.get(text) or ""
                if not use:
                    try:
                        use = v.word(text, use_words)
                    except v.Bad as e:
                        ok = self.error(sheet, number, "用途", str(e))
            status = "owned"
            if text := row[i_s].strip():
                status = status_words.get(text) or ""
                if not status:
                    try:
                        status = v.word(text, status_words)
                    except v.Bad as e:
                        ok = self.error(sheet, number, "登记状态", str(e))
            if entrance is None:
                continue
            key = (entrance[0], num)
            if entrance[0] != BROKEN and num:
                first = seen.get(key)
                if first is not None:
                    ok = self._duplicate(sheet, number, "房号", first)
                    continue
                seen[key] = number
            if not ok:
                by_key.setdefault(key, BROKEN)
                continue
            old = existing.get(key)
            if old is None:
                pk = table.next_id
                table.next_id = pk + 1
                insert((pk, entrance[0], entrance[1], entrance[2], num, floor, area, use, status))
                by_key[key] = pk
            else:
                pk, old_vals = old
                new = (floor, area, use, status)
                merged = tuple(
                    n if p else o for n, o, p in zip(new, old_vals, present, strict=True)
                )
                if merged != old_vals:
                    table.update(pk, merged)

    def _load_dwelling_keys(self) -> None:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn('id')}, {qn('entrance_id')}, {qn('number')}"
                f" FROM {qn(Dwelling._meta.db_table)}"
            )
            for pk, entrance_id, num in cursor.fetchall():
                self.dwelling_by_key[(entrance_id, num)] = pk

    # -- people ------------------------------------------------------------------------

    def _load_person_rows(self) -> dict[str, tuple[int, tuple[Any, ...]]]:
        with connection.cursor() as cursor:
            cursor.execute(_q(Person, "ref", "name", "phone", "id_hash", "id_last4"))
            out: dict[str, tuple[int, tuple[Any, ...]]] = {}
            self.hash_owner = {}
            while rows := cursor.fetchmany(FETCH):
                for pk, ref, name, phone, id_hash, last4 in rows:
                    # People entered without a number are exported as "#<id>" (the exporter).
                    out[ref or f"#{pk}"] = (pk, (name, phone or "", id_hash, last4 or ""))
                    if id_hash:
                        self.hash_owner[id_hash] = (pk, ref, 0)
        return out

    def _load_person_keys(self) -> None:
        for ref, (pk, _vals) in self._load_person_rows().items():
            self.person_by_ref[ref] = pk

    def _people(self, rows: _Rows) -> None:
        sheet = PEOPLE
        i_r, i_n, i_p, i_i = (
            rows.index("ref"),
            rows.index("name"),
            rows.index("phone"),
            (rows.index("id_number")),
        )
        present_phone = rows.has("phone")
        existing = self._load_person_rows()
        by_ref = self.person_by_ref
        for ref, (pk, _vals) in existing.items():
            by_ref[ref] = pk
        hash_owner = self.hash_owner
        key = settings.PII_HASH_KEY.encode()
        digest = hmac.digest
        sha256 = hashlib.sha256
        table = self.people
        seen: dict[str, int] = {}
        phone_ok = v._PHONE_RE.match
        for number, row in rows:
            ref, name = row[i_r].strip(), row[i_n].strip()
            ok = True
            if not ref:
                ok = self._missing(sheet, number, "人员编号")
            elif len(ref) > 32:
                ok = self.error(sheet, number, "人员编号", _("不能超过32个字符"))
            elif ref in seen:
                ok = self._duplicate(sheet, number, "人员编号", seen[ref])
                continue
            else:
                seen[ref] = number
            if not name:
                ok = self._missing(sheet, number, "姓名")
            elif len(name) > 64:
                ok = self.error(sheet, number, "姓名", _("不能超过64个字符"))
            phone = row[i_p].strip()
            if phone and not (len(phone) == 11 and phone_ok(phone)):
                try:
                    phone = v.phone(phone)
                except v.Bad as e:
                    ok = self.error(sheet, number, "手机号", str(e))
            id_hash = last4 = None
            text = row[i_i].strip()
            if text:
                try:
                    id_number = v.id_number(text)
                except v.Bad as e:
                    ok = self.error(sheet, number, "证件号码", str(e))
                else:
                    id_hash = digest(key, id_number.encode(), sha256).hex()
                    last4 = id_number[-4:]
            old = existing.get(ref)
            if id_hash is not None:
                # One dict for the database's hashes and this file's (row number > 0).
                holder = hash_owner.get(id_hash)
                if holder is None or (not holder[2] and old is not None and holder[0] == old[0]):
                    hash_owner[id_hash] = (old[0] if old else 0, ref, number)
                elif holder[2]:
                    ok = self.error(
                        sheet,
                        number,
                        "证件号码",
                        _("与第%(n)d行的证件号码相同") % {"n": holder[2]},
                    )
                else:
                    ok = self.error(
                        sheet,
                        number,
                        "证件号码",
                        _("该证件号码已属于系统中的另一人（人员编号%(r)s）")
                        % {"r": holder[1] or f"#{holder[0]}"},
                    )
            if not ok:
                if ref:
                    by_ref.setdefault(ref, BROKEN)
                continue
            if old is None:
                pk = table.next_id
                table.next_id = pk + 1
                table.insert((pk, ref, name, phone, id_hash, last4 or ""))
                by_ref[ref] = pk
            else:
                pk, old_vals = old
                # An empty ID cell keeps the stored hash: exports never carry the number.
                vals = (
                    name,
                    phone if present_phone else old_vals[1],
                    id_hash or old_vals[2],
                    last4 or old_vals[3],
                )
                if vals != old_vals:
                    table.update(pk, vals)

    # -- ownerships and residencies -----------------------------------------------------

    def _dwelling_ref(self, sheet: Sheet, number: int, row: list[str], ix: tuple[int, ...]) -> int:
        """The dwelling id a row names, ``BROKEN`` (already reported) or -1 (reported now)."""
        ekey = (row[ix[0]].strip(), row[ix[1]].strip(), row[ix[2]].strip())
        num = row[ix[3]].strip()
        entrance = self.entrance_by_key.get(ekey)
        if entrance is None:
            self._entrance(sheet, number, ekey)
            return -1
        if entrance[0] == BROKEN:
            return BROKEN
        if not num:
            self._missing(sheet, number, "房号")
            return -1
        pk = self.dwelling_by_key.get((entrance[0], num))
        if pk is None:
            self.error(
                sheet,
                number,
                "房号",
                _("未找到房屋：%(e)s小区%(b)s栋%(u)s单元%(n)s")
                % {"e": ekey[0], "b": ekey[1], "u": ekey[2], "n": num},
            )
            return -1
        return pk

    def _person_ref(self, sheet: Sheet, number: int, ref: str) -> int:
        if not ref:
            self._missing(sheet, number, "人员编号")
            return -1
        pk = self.person_by_ref.get(ref)
        if pk is None:
            self.error(sheet, number, "人员编号", _("未找到人员“%(r)s”") % {"r": ref})
            return -1
        return pk

    def _load_links(
        self, model: type[models.Model], convert: Callable[..., Any], *fields: str
    ) -> dict[tuple[int, int], tuple[int, Any]]:
        out: dict[tuple[int, int], tuple[int, Any]] = {}
        with connection.cursor() as cursor:
            cursor.execute(_q(model, "person", "dwelling", *fields))
            while rows := cursor.fetchmany(FETCH):
                for pk, p, d, *rest in rows:
                    out[(p, d)] = (pk, convert(*rest))
        return out

    def _link_columns(self, rows: _Rows) -> tuple[int, tuple[int, int, int, int]]:
        """Column indexes of the person number and the dwelling's natural key."""
        return rows.index("ref"), (
            rows.index("estate_code"),
            rows.index("building"),
            rows.index("entrance"),
            rows.index("number"),
        )

    def _link(
        self,
        table: Table,
        existing: dict[tuple[int, int], tuple[int, Any]],
        seen: dict[tuple[int, int], int],
        sheet: Sheet,
        number: int,
        key: tuple[int, int],
        values: tuple[Any, ...],
        present: tuple[bool, ...],
    ) -> None:
        """Insert or update one person–dwelling row of a link sheet (产权, 居住).

        ``present`` says which of ``values`` the file carries: a column left out of the
        file keeps the stored value on re-import.
        """
        first = seen.get(key)
        if first is not None:
            self._duplicate(sheet, number, "人员编号", first)
            return
        seen[key] = number
        old = existing.get(key)
        if old is None:
            pk = table.next_id
            table.next_id = pk + 1
            table.insert((pk, *key, *values))
            return
        merged = tuple(
            new if has else kept for new, kept, has in zip(values, old[1], present, strict=True)
        )
        if merged != old[1]:
            table.update(old[0], merged)

    def _ownerships(self, rows: _Rows) -> None:
        sheet = OWNERSHIPS
        i_p, ix = self._link_columns(rows)
        i_s = rows.index("share")
        present = (rows.has("share"),)
        existing = self._load_links(Ownership, lambda share: (_norm_decimal(share, 4),), "share")
        table = self.ownerships
        seen: dict[tuple[int, int], int] = {}
        for number, row in rows:
            person = self._person_ref(sheet, number, row[i_p].strip())
            dwelling = self._dwelling_ref(sheet, number, row, ix)
            ok = person > 0 and dwelling > 0
            share = None
            if text := row[i_s].strip():
                try:
                    share = v.decimal(text, 4, 5)
                    if share > 1:
                        raise v.Bad(_("份额应在0到1之间"))
                except v.Bad as e:
                    ok = self.error(sheet, number, "份额", str(e))
            if ok:
                self._link(
                    table, existing, seen, sheet, number, (person, dwelling), (share,), present
                )

    def _residencies(self, rows: _Rows) -> None:
        sheet = RESIDENCIES
        i_p, ix = self._link_columns(rows)
        i_r, i_s = rows.index("relation"), rows.index("since")
        present = (True, rows.has("since"))
        existing = self._load_links(
            Residency, lambda relation, since: (relation, _norm_date(since)), "relation", "since"
        )
        table = self.residencies
        seen: dict[tuple[int, int], int] = {}
        today = dt.date.today()
        for number, row in rows:
            person = self._person_ref(sheet, number, row[i_p].strip())
            dwelling = self._dwelling_ref(sheet, number, row, ix)
            ok = person > 0 and dwelling > 0
            relation = None
            text = row[i_r].strip()
            if not text:
                ok = self._missing(sheet, number, "关系")
            else:
                try:
                    relation = v.word(text, RELATION_WORDS)
                except v.Bad as e:
                    ok = self.error(sheet, number, "关系", str(e))
            since = None
            if text := row[i_s].strip():
                try:
                    since = v.date(text)
                    if since > today:
                        raise v.Bad(_("不能晚于今天"))
                except v.Bad as e:
                    ok = self.error(sheet, number, "入住日期", str(e))
            if ok:
                self._link(
                    table,
                    existing,
                    seen,
                    sheet,
                    number,
                    (person, dwelling),
                    (relation, since),
                    present,
                )

    # -- after all sheets --------------------------------------------------------------

    def _count_households(self) -> None:
        """Estate.households is the number of dwellings; only estates whose count moved change."""
        if not self.dwellings.created and not self.estates.created:
            return
        qn = connection.ops.quote_name
        e, d = qn(Estate._meta.db_table), qn(Dwelling._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn('estate_id')}, COUNT(*) FROM {d} GROUP BY {qn('estate_id')}"
            )
            counts = dict(cursor.fetchall())
            cursor.execute(f"SELECT {qn('id')}, {qn('households')} FROM {e}")
            changes = [
                (counts.get(pk, 0), pk)
                for pk, households in cursor.fetchall()
                if counts.get(pk, 0) != households
            ]
            if changes:
                cursor.executemany(
                    f"UPDATE {e} SET {qn('households')} = %s WHERE {qn('id')} = %s", changes
                )

    # -- shared checks -----------------------------------------------------------------

    def _missing(self, sheet: Sheet, number: int, column: str) -> bool:
        self.error(sheet, number, column, _("必填，不能为空"))
        return False

    def _duplicate(self, sheet: Sheet, number: int, column: str, first: int) -> bool:
        self.error(sheet, number, column, _("与第%(n)d行重复") % {"n": first})
        return False

    def _estate(self, sheet: Sheet, number: int, code: str) -> int | None:
        if not code:
            self._missing(sheet, number, "小区编号")
            return None
        pk = self.estate_by_code.get(code)
        if pk is None:
            self.error(sheet, number, "小区编号", _("未找到小区“%(c)s”") % {"c": code})
            return None
        return pk or None

    def _building(
        self, sheet: Sheet, number: int, code: str, bnum: str
    ) -> tuple[int, int, int] | None:
        if self._estate(sheet, number, code) is None:
            return None
        if not bnum:
            self._missing(sheet, number, "楼栋号")
            return None
        found = self.building_by_key.get((code, bnum))
        if found is None:
            self.error(
                sheet,
                number,
                "楼栋号",
                _("小区“%(c)s”中没有楼栋“%(b)s”") % {"c": code, "b": bnum},
            )
            return None
        return found if found[0] else None

    def _entrance(self, sheet: Sheet, number: int, key: tuple[str, str, str]) -> None:
        """Report why ``key`` names no entrance (the caller found none)."""
        if self._building(sheet, number, key[0], key[1]) is None:
            return
        if not key[2]:
            self._missing(sheet, number, "单元号")
            return
        self.error(
            sheet,
            number,
            "单元号",
            _("小区“%(c)s”%(b)s栋中没有单元“%(u)s”") % {"c": key[0], "b": key[1], "u": key[2]},
        )


class _EmptyRows:
    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return iter(())

    def index(self, key: str) -> int:
        return -1

    def has(self, key: str) -> bool:
        return False


def _level_name(level: str) -> str:
    return {
        "province": _("省"),
        "city": _("市"),
        "district": _("区县"),
        "street": _("街道"),
        "community": _("社区"),
    }.get(level, level)
