"""The register import: validate every row, then write all of it or nothing.

One streaming pass per sheet, in the order of the specification (regions → estates →
buildings → entrances → dwellings → people → ownerships → residencies), each sheet loaded by
its step (``places``, ``people``) through the one loader of ``loading``. Natural keys resolve
to ids through plain dicts (loaded from the database with one query per table, extended with
the rows of the file), so validation needs no query per row. Rows are written in large
batches while the file is read; the first error switches writing off and the whole
transaction is rolled back at the end, so a bad file leaves the database as it was while
every error still gets reported.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core import figures
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.registry.importing.loading import Keys, Step
from xiaoqu.registry.importing.people import Ownerships, People, Residencies
from xiaoqu.registry.importing.places import Buildings, Dwellings, Entrances, Estates, Regions
from xiaoqu.registry.importing.reading import Progress, SheetRows
from xiaoqu.registry.importing.scope import Scope, in_chunks
from xiaoqu.registry.importing.sources import EncodingRefused, SheetSource, open_register
from xiaoqu.registry.importing.spec import ENTITIES, Sheet
from xiaoqu.registry.importing.writer import Sender, Table, lock_tables, now

__all__ = ["ENTITIES", "ImportFailed", "ImportReport", "RowError", "import_register"]

MAX_ERRORS = 1000
# Tables that grew or changed by more rows than this get fresh planner statistics.
ANALYZE_THRESHOLD = 10_000


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
    path: Path, *, actor: Actor | None = None, progress: Progress | None = None
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
        try:
            report = _import(path, sources, actor, progress, careful=False)
        except _LookAgain:
            # Rolled back; again, with every person the file names by ID number looked up,
            # so that a number already someone else's is reported on its row (scope).
            report = _import(path, sources, actor, progress, careful=True)
    finally:
        if collecting:
            gc.enable()
    _refresh_planner_statistics(report)
    report.seconds = time.perf_counter() - started
    return report


class _LookAgain(Exception):
    """The import did not go through, and it took ID numbers as new without looking."""


def _import(
    path: Path,
    sources: list[SheetSource],
    actor: Actor | None,
    progress: Progress | None,
    *,
    careful: bool,
) -> ImportReport:
    with transaction.atomic():
        run = Run(progress, careful=careful)
        report = run.execute(sources)
        # Bulk rows make no save signals: the register figures of every estate the file
        # named are recounted.
        figures.changed(run.changed_estates(), "register")
        audit_record(
            actor=actor,
            action="registry.import",
            object_type="registry.register",
            object_id=Path(path).name[:64],
            after={"created": report.created, "updated": report.updated},
        )
    return report


def _refresh_planner_statistics(report: ImportReport) -> None:
    """Refresh the query planner's statistics after a bulk load.

    Right after a large COPY, PostgreSQL has no statistics for the new rows until
    autovacuum gets to them, and its plans for the register pages can be hundreds of
    times slower (a hash join over every person to show one estate's owners).
    """
    changed = [
        step.sheet.model
        for step in STEPS
        if report.created[step.sheet.key] + report.updated[step.sheet.key] > ANALYZE_THRESHOLD
    ]
    if not changed:
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in changed:
                cursor.execute(f"ANALYZE {qn(model._meta.db_table)}")
        elif connection.vendor == "sqlite":
            # Bounded sampling: cheap even on a million-row table.
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("PRAGMA optimize")


# One step per sheet, in the order of the specification's sheets.
STEPS: tuple[type[Step], ...] = (
    Regions,
    Estates,
    Buildings,
    Entrances,
    Dwellings,
    People,
    Ownerships,
    Residencies,
)


class Run:
    """One import: the steps, their tables, the natural keys, and the errors found so far."""

    def __init__(self, progress: Progress | None, *, careful: bool = True) -> None:
        self.progress = progress
        self.careful = careful
        self.errors: list[RowError] = []
        self.more = 0
        self.rows = 0
        self.writing = True
        # Set when a sheet's header or encoding is unusable: later sheets would only repeat
        # "not found" for everything that sheet holds, so they are not read.
        self.unreadable = False
        self.keys = Keys()
        # Every stored row until ``load`` knows what the file names (``scope``).
        self.scope = Scope(None)
        self.started = now()
        lock_tables(connection, [step.sheet.model._meta.db_table for step in STEPS])
        self.tables: list[Table] = []
        self.sender = Sender(connection)
        self.steps = {step.sheet.key: step(self) for step in STEPS}

    def table(self, step: Step) -> Table:
        """The table ``step`` writes: its key fields on insert, its values on insert and update."""
        extra = getattr(step, "extra", ())
        table = Table(
            connection,
            step.sheet.model,
            [*step.key, *step.values, *extra],
            list(step.values),
            self.started,
            self.sender if self.sender.pool is not None else None,
        )
        self.tables.append(table)
        return table

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

    def changed_estates(self) -> list[int] | None:
        """The estates whose rows the import may have changed (None: any of them)."""
        if self.keys.changed_paths:  # a community moved: its estates moved with it
            return None
        return self.scope.estate_ids(self.keys.estate_by_code)

    def report(self) -> ImportReport:
        report = ImportReport(rows=self.rows)
        for key, step in self.steps.items():
            report.created[key] = step.table.created
            report.updated[key] = step.table.updated
        return report

    def execute(self, sources: list[SheetSource]) -> ImportReport:
        """Load every sheet of ``sources``; raises ``ImportFailed`` when any row is wrong."""
        with _sqlite_cache():
            try:
                self.load(sources)
                if self.errors or self.more:
                    raise ImportFailed(self.errors, self.more)
                self.finish()
            except (ImportFailed, IntegrityError) as failed:
                self.sender.close(failed=True)
                if self.took_numbers_unseen():
                    raise _LookAgain from failed
                raise
            except BaseException:
                self.sender.close(failed=True)
                raise
            self.sender.close()
        return self.report()

    def took_numbers_unseen(self) -> bool:
        """Whether ID numbers were taken as new without looking for their holders."""
        people = self.steps["people"]
        assert isinstance(people, People)
        return not self.careful and self.scope.named is not None and people.new_numbers > 0

    def load(self, sources: list[SheetSource]) -> None:
        self.scope = Scope.for_sources(sources, careful=self.careful)
        by_key = {s.sheet.key: s for s in sources}
        steps = self.steps
        links = "ownerships" in by_key or "residencies" in by_key
        for key, step in steps.items():
            step.load()
            source = by_key.get(key)
            if source is not None:
                self.step(step, source)
            elif links:
                step.load_keys()
            step.done()

    def step(self, step: Step, source: SheetSource) -> None:
        step.table.expect(source.total)
        rows = self.open(source)
        if rows is not None:
            step.accept(rows)
            self.rows += rows.count
        # A sheet's rows are all written before the next sheet's: rows whose parents are not
        # yet written would count as pending foreign-key violations, and SQLite then checks
        # every later parent row against the child tables.
        step.table.flush()

    def open(self, source: SheetSource) -> SheetRows | None:
        """The sheet's rows, or None when its header or encoding is unusable (reported)."""
        if self.unreadable:
            return None
        try:
            rows = SheetRows(source, self.progress, self.error)
        except EncodingRefused as refused:
            self.unreadable = True
            self.error(
                source.sheet,
                None,
                "",
                # A file that decodes as GBK into nonsense (Big5, EUC-KR…) gets the reader's
                # own message, which names the likely encoding.
                refused.message
                if refused.guess
                else _(
                    "无法识别文件“%(name)s”的编码：只接受 UTF-8（可带 BOM）或 GBK/GB18030 "
                    "编码的 CSV 文本文件，请在 Excel 中“另存为 CSV UTF-8”"
                )
                % {"name": source.name},
            )
            return None
        for header in rows.missing:
            self.error(source.sheet, 1, header, _("缺少必填列"))
        if rows.missing:
            self.unreadable = True
            return None
        return rows

    def finish(self) -> None:
        """Write what is left, recount households, and move the sequences past the new ids."""
        stage = _("写入数据库")
        if self.progress:
            self.progress(stage, 0, 1)
        for table in self.tables:
            table.finish()
        _count_households(self.steps, self.changed_estates())
        if self.progress:
            self.progress(stage, 1, 1)
        if connection.vendor == "postgresql":
            for table in self.tables:
                table.reset_sequence()


class _sqlite_cache:
    """On SQLite, a larger page cache for the import: a province's index pages need it."""

    def __enter__(self) -> None:
        self.size = None
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                self.size = cursor.fetchone()[0]
                cursor.execute("PRAGMA cache_size = -524288")

    def __exit__(self, *exc: object) -> None:
        if self.size is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(self.size)}")


def _count_households(steps: dict[str, Step], estate_ids: list[int] | None) -> None:
    """Estate.households is the number of dwellings; only estates whose count moved change.
    ``estate_ids`` are the estates the file named (None: all of them)."""
    if not steps["dwellings"].table.created and not steps["estates"].table.created:
        return
    qn = connection.ops.quote_name
    e = qn(steps["estates"].sheet.model._meta.db_table)
    d = qn(steps["dwellings"].sheet.model._meta.db_table)
    counts: dict[int, int] = {}
    stored: list[tuple[int, int]] = []
    with connection.cursor() as cursor:
        for where, params in in_chunks(qn("estate_id"), estate_ids):
            cursor.execute(
                f"SELECT {qn('estate_id')}, COUNT(*) FROM {d}{where} GROUP BY {qn('estate_id')}",
                params,
            )
            counts.update(cursor.fetchall())
        for where, params in in_chunks(qn("id"), estate_ids):
            cursor.execute(f"SELECT {qn('id')}, {qn('households')} FROM {e}{where}", params)
            stored += cursor.fetchall()
        changes = [
            (counts.get(pk, 0), pk) for pk, households in stored if counts.get(pk, 0) != households
        ]
        if changes:
            cursor.executemany(
                f"UPDATE {e} SET {qn('households')} = %s WHERE {qn('id')} = %s", changes
            )
