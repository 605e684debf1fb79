"""Backup and restore of the whole database and the uploaded files, in one file that does not
depend on the database (``xiaoqu backup FILE`` / ``xiaoqu restore FILE``, docs/operations.md).

The file is a zip archive:

* ``tables/NNN-app.model.jsonl`` — one member per table, in dependency order (a table after
  the tables its foreign keys point to), one JSON array per row in the order of the manifest's
  ``columns``, ordered by primary key. Values are written by the kind of their column, not by
  the database's: times as ISO 8601 in UTC, decimals and UUIDs as strings, bytes in base64,
  durations in microseconds, JSON as JSON (keys sorted). So a backup made on SQLite restores
  into PostgreSQL and the other way round, with the same primary keys.
* ``media/<name>`` — each uploaded file a row of the backup refers to (a ``FileField``).
* ``manifest.json``, written last — format and version, when and from which database, the
  migrations applied per app, and per member its rows (or size) and SHA-256.

The tables come from the app registry (``apps.get_models(include_auto_created=True)``, so
many-to-many tables too): an app added later is covered without a change here. Two tables are
left out: sessions (logins on the old server; people log in again) and the background-task
queue of ``django_tasks_db`` (work queued on the old server is not run a second time on the
new one; an analysis still queued is started again). Content types and permissions are kept
with their ids: the restore first removes those that ``migrate`` created in the target.

A backup is one snapshot: every table is read in one transaction (PostgreSQL: REPEATABLE READ,
READ ONLY; SQLite: one read transaction, which in WAL mode sees the database as it was when
it began while the platform goes on writing). Rows are streamed, never all held in memory.

A restore first reads the whole file and checks every member against the manifest, then
refuses a database that holds data, migrates the target to the backup's migrations, and
writes every row in one transaction with the same primary keys (COPY on PostgreSQL,
``executemany`` on SQLite), resets PostgreSQL's sequences and places the files; a failure
anywhere (or the process killed) leaves the database as empty as it was.

This module knows no app: it reads the app registry only. The command (``web``) checks the
ballot chains after a restore.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import json
import os
import posixpath
import shutil
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.core.errors import DomainError

FORMAT = "xiaoqu-backup"
VERSION = 1
MANIFEST = "manifest.json"
# Tables not carried over (see the module's docstring), by model label.
EXCLUDED = frozenset({"sessions.session", "django_tasks_database.dbtaskresult"})
# Tables ``migrate`` fills by itself in every database: they may hold rows in an "empty"
# target, and the restore replaces their rows with the backup's.
MIGRATE_FILLS = frozenset({"contenttypes.contenttype", "auth.permission"})
READ_CHUNK = 5000
WRITE_CHUNK = 2000

Log = Callable[[str], None]


class BackupError(DomainError):
    """A backup that cannot be made, or a file that cannot be restored (exit 2)."""

    code = "backup"


@dataclass
class Result:
    tables: int = 0
    rows: int = 0
    files: int = 0
    bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    migrated_forward: bool = False


def _quiet(_: str) -> None:
    pass


# ---------------------------------------------------------------------------------------------
# Values: how a column's value is written and read back, by the kind of its field.


def _kind(f: Any) -> str:
    """The internal type of the column's values (a foreign key's is its target's)."""
    while f.is_relation and f.target_field is not f:
        f = f.target_field
    return str(f.get_internal_type())


def _enc_datetime(v: dt.datetime) -> str:
    if timezone.is_aware(v):
        v = v.astimezone(dt.UTC)
    return v.isoformat()


def _enc_iso(v: Any) -> str:
    return str(v.isoformat())


def _enc_str(v: Any) -> str:
    return str(v)


def _enc_bytes(v: Any) -> str:
    return base64.b64encode(bytes(v)).decode("ascii")


def _enc_duration(v: dt.timedelta) -> int:
    return (v.days * 86400 + v.seconds) * 1_000_000 + v.microseconds


ENCODERS: dict[str, Callable[[Any], Any]] = {
    "DateTimeField": _enc_datetime,
    "DateField": _enc_iso,
    "TimeField": _enc_iso,
    "DecimalField": _enc_str,
    "UUIDField": _enc_str,
    "BinaryField": _enc_bytes,
    "DurationField": _enc_duration,
}


def _dec_datetime(v: str) -> dt.datetime:
    return dt.datetime.fromisoformat(v)


DECODERS: dict[str, Callable[[Any], Any]] = {
    "DateTimeField": _dec_datetime,
    "DateField": dt.date.fromisoformat,
    "TimeField": dt.time.fromisoformat,
    "DecimalField": Decimal,
    "UUIDField": uuid.UUID,
    "BinaryField": base64.b64decode,
    "DurationField": lambda v: dt.timedelta(microseconds=v),
}
# Kinds whose decoded value goes to the database as it is (no adaptation needed).
PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "URLField",
        "FileField",
        "ImageField",
        "FilePathField",
        "GenericIPAddressField",
        "IPAddressField",
        "BooleanField",
        "NullBooleanField",
        "FloatField",
    }
)


# ---------------------------------------------------------------------------------------------
# Which tables, in which order.


def _models(registry: Any) -> list[type[models.Model]]:
    """Every table the backup holds, a table after those its foreign keys point to."""
    found = [
        m
        for m in registry.get_models(include_auto_created=True)
        if m._meta.managed
        and not m._meta.proxy
        and not getattr(m._meta, "swapped", None)
        and m._meta.label_lower not in EXCLUDED
    ]
    found.sort(key=lambda m: m._meta.label_lower)
    by_label = {m._meta.label_lower: m for m in found}
    ordered: list[type[models.Model]] = []
    state: dict[str, int] = {}

    def visit(m: type[models.Model]) -> None:
        label = m._meta.label_lower
        if state.get(label):
            return  # done, or a cycle (foreign keys are checked at commit, so it is fine)
        state[label] = 1
        for f in m._meta.concrete_fields:
            if f.is_relation and f.related_model is not None:
                target = by_label.get(f.related_model._meta.label_lower)
                if target is not None and target is not m:
                    visit(target)
        state[label] = 2
        ordered.append(m)

    for m in found:
        visit(m)
    return ordered


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _applied(connection: Any) -> dict[str, list[str]]:
    recorder = MigrationRecorder(connection)
    applied: dict[str, list[str]] = {}
    for app, name in sorted(recorder.applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


# ---------------------------------------------------------------------------------------------
# Backup.


class _Member:
    """One member being written: its SHA-256 and size, and buffered writes."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.sha = hashlib.sha256()
        self.size = 0
        self.buffer: list[bytes] = []
        self.buffered = 0

    def write(self, data: bytes) -> None:
        self.buffer.append(data)
        self.buffered += len(data)
        if self.buffered >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            chunk = b"".join(self.buffer)
            self.sha.update(chunk)
            self.size += len(chunk)
            self.stream.write(chunk)
            self.buffer.clear()
            self.buffered = 0


def _snapshot(connection: Any) -> Any:
    """Enter one read transaction that sees the database as it is now."""
    if connection.vendor == "postgresql":
        atomic = transaction.atomic(using=connection.alias)
        atomic.__enter__()
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return atomic
    if connection.vendor == "sqlite":
        # A deferred BEGIN (the connection's own transactions begin IMMEDIATE, which would
        # keep every writer out for the whole backup); the first read fixes the snapshot.
        connection.ensure_connection()
        if connection.in_atomic_block:
            raise BackupError(_("备份须在事务之外进行"), code="in_transaction")
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT count(*) FROM sqlite_master")
        return None
    raise BackupError(
        _("不支持的数据库：%(vendor)s") % {"vendor": connection.vendor}, code="vendor"
    )


def _end_snapshot(connection: Any, atomic: Any) -> None:
    if atomic is not None:
        atomic.__exit__(None, None, None)
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")


def backup(
    path: str | os.PathLike[str], *, using: str = DEFAULT_DB_ALIAS, log: Log = _quiet
) -> Result:
    """Write the database ``using`` and the files its rows refer to to the zip file ``path``.

    The file appears under its name only when complete (written beside it, then renamed)."""
    connection = connections[using]
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    result = Result()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.now().astimezone(dt.UTC).isoformat(),
        "vendor": connection.vendor,
    }
    files: dict[str, Any] = {}
    try:
        with zipfile.ZipFile(
            partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True
        ) as archive:
            atomic = _snapshot(connection)
            try:
                applied = _applied(connection)
                executor = MigrationExecutor(connection)
                if executor.migration_plan(executor.loader.graph.leaf_nodes()):
                    raise BackupError(
                        _("数据库有未完成的迁移：请先运行 xiaoqu migrate，再备份"),
                        code="not_migrated",
                    )
                manifest["migrations"] = applied
                manifest["tables"] = [
                    _dump_table(archive, n, model, files, using, log)
                    for n, model in enumerate(_models(global_apps), start=1)
                ]
            finally:
                _end_snapshot(connection, atomic)
            manifest["media"] = _dump_media(archive, files, result.warnings, log)
            manifest["warnings"] = result.warnings
            archive.writestr(
                MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True)
            )
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    result.tables = len(manifest["tables"])
    result.rows = sum(t["rows"] for t in manifest["tables"])
    result.files = len(manifest["media"])
    result.bytes = target.stat().st_size
    return result


def _dump_table(
    archive: zipfile.ZipFile,
    n: int,
    model: type[models.Model],
    files: dict[str, Any],
    using: str,
    log: Log,
) -> dict[str, Any]:
    meta = model._meta
    columns = _columns(model)
    kinds = [_kind(f) for f in columns]
    encoders = [ENCODERS.get(k) for k in kinds]
    plain = all(e is None for e in encoders)
    file_columns = [(i, f) for i, f in enumerate(columns) if isinstance(f, models.FileField)]
    member = f"tables/{n:03d}-{meta.label_lower}.jsonl"
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
    rows = 0
    with archive.open(member, "w", force_zip64=True) as stream:
        out = _Member(stream)
        query = (
            model._base_manager.using(using)
            .order_by("pk")
            .values_list(*[f.attname for f in columns])
        )
        for row in query.iterator(chunk_size=READ_CHUNK):
            if not plain:
                row = tuple(
                    v if e is None or v is None else e(v)
                    for v, e in zip(row, encoders, strict=True)
                )
            for i, f in file_columns:
                if row[i]:
                    files.setdefault(row[i], f.storage)
            out.write(dumps(row).encode() + b"\n")
            rows += 1
        out.flush()
    log(f"{meta.label_lower}: {rows}")
    return {
        "model": meta.label_lower,
        "table": meta.db_table,
        "member": member,
        "columns": [f.attname for f in columns],
        "kinds": kinds,
        "rows": rows,
        "sha256": out.sha.hexdigest(),
    }


def _dump_media(
    archive: zipfile.ZipFile, files: dict[str, Any], warnings: list[str], log: Log
) -> list[dict[str, Any]]:
    """Copy each file a row refers to; a missing file is a warning, not a failure."""
    media = []
    for name in sorted(files):
        storage = files[name]
        if not _safe_name(name):
            warnings.append(_("文件名不安全，未备份：%(name)s") % {"name": name})
            continue
        try:
            source = storage.open(name, "rb")
        except (FileNotFoundError, OSError):
            warnings.append(_("数据中引用的文件不存在，未备份：%(name)s") % {"name": name})
            continue
        member = f"media/{name}"
        with (
            source,
            archive.open(
                zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), "w", force_zip64=True
            ) as stream,
        ):
            out = _Member(stream)
            while chunk := source.read(1 << 20):
                out.write(chunk)
            out.flush()
        media.append(
            {"name": name, "member": member, "size": out.size, "sha256": out.sha.hexdigest()}
        )
    log(f"media: {len(media)}")
    return media


def _safe_name(name: str) -> bool:
    """A relative path inside MEDIA_ROOT: no absolute path, no ``..``, no odd spelling."""
    return (
        bool(name)
        and not name.startswith("/")
        and "\\" not in name
        and "\x00" not in name
        and posixpath.normpath(name) == name
        and ".." not in name.split("/")
    )


# ---------------------------------------------------------------------------------------------
# Reading a file back: everything is checked before anything is written.


def _corrupt(detail: str) -> BackupError:
    return BackupError(
        _("备份文件不完整或已损坏，未恢复任何数据（%(detail)s）") % {"detail": detail},
        code="corrupt",
    )


def _open(path: str | os.PathLike[str]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise BackupError(
            _("找不到备份文件：%(path)s") % {"path": os.fspath(path)}, code="missing"
        ) from exc
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _corrupt(_("不是完整的备份文件：%(error)s") % {"error": exc}) from exc


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError as exc:
        raise _corrupt(_("缺少清单 manifest.json")) from exc
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as exc:
        raise _corrupt(_("清单无法读取：%(error)s") % {"error": exc}) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _corrupt(_("不是小区平台的备份文件"))
    if manifest.get("version") != VERSION:
        raise BackupError(
            _("备份文件格式版本 %(version)s 不受支持（本程序读取版本 %(ours)s）")
            % {"version": manifest.get("version"), "ours": VERSION},
            code="version",
        )
    try:
        for t in manifest["tables"]:
            assert isinstance(t["model"], str) and isinstance(t["table"], str)
            assert t["member"].startswith("tables/") and isinstance(t["rows"], int)
            assert len(t["columns"]) == len(t["kinds"]) and isinstance(t["sha256"], str)
        for m in manifest["media"]:
            assert _safe_name(m["name"]) and m["member"] == f"media/{m['name']}"
            assert isinstance(m["size"], int) and isinstance(m["sha256"], str)
        assert all(
            isinstance(app, str) and all(isinstance(n, str) for n in names)
            for app, names in manifest["migrations"].items()
        )
    except (AssertionError, KeyError, TypeError, AttributeError) as exc:
        raise _corrupt(_("清单内容不完整")) from exc
    return manifest


def _stream(archive: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            yield chunk


def verify(path: str | os.PathLike[str], log: Log = _quiet) -> dict[str, Any]:
    """Read the whole file and check every member against the manifest; the manifest."""
    with _open(path) as archive:
        manifest = read_manifest(archive)
        members = [(t["member"], t["sha256"], t["rows"], None) for t in manifest["tables"]]
        members += [(m["member"], m["sha256"], None, m["size"]) for m in manifest["media"]]
        for member, sha256, rows, size in members:
            digest = hashlib.sha256()
            lines = length = 0
            try:
                for chunk in _stream(archive, member):
                    digest.update(chunk)
                    lines += chunk.count(b"\n")
                    length += len(chunk)
            except KeyError as exc:
                raise _corrupt(_("缺少 %(member)s") % {"member": member}) from exc
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
                raise _corrupt(f"{member}: {exc}") from exc
            if digest.hexdigest() != sha256:
                raise _corrupt(_("%(member)s 的校验值不符") % {"member": member})
            if (rows is not None and lines != rows) or (size is not None and length != size):
                raise _corrupt(_("%(member)s 的行数或大小不符") % {"member": member})
        log(f"verified: {len(members)} members")
    return manifest


# ---------------------------------------------------------------------------------------------
# Restore.


def _tables_with_rows(connection: Any) -> list[str]:
    with connection.cursor() as cursor:
        names = [
            t.name
            for t in connection.introspection.get_table_list(cursor)
            if t.type == "t" and not t.name.startswith("sqlite_")
        ]
        found = []
        qn = connection.ops.quote_name
        for name in sorted(names):
            cursor.execute(f"SELECT 1 FROM {qn(name)} LIMIT 1")
            if cursor.fetchone() is not None:
                found.append(name)
    return found


def _tables_of(labels: Iterable[str]) -> set[str]:
    tables = set()
    for label in labels:
        with contextlib.suppress(LookupError):
            tables.add(global_apps.get_model(label)._meta.db_table)
    return tables


def check_empty(connection: Any, *, seeded: Iterable[str] = ()) -> None:
    """Refuse a database that holds data: a row in any table but those ``migrate`` fills
    (content types, permissions, ``seeded`` — tables a data migration fills, by model label),
    the migration record, and the tables a backup leaves out."""
    allowed = _tables_of([*MIGRATE_FILLS, *EXCLUDED, *seeded]) | {
        MigrationRecorder.Migration._meta.db_table
    }
    holding = [t for t in _tables_with_rows(connection) if t not in allowed]
    if holding:
        raise BackupError(
            _(
                "目标数据库已有数据（%(tables)s 等 %(n)d 张表），恢复只写入空数据库；"
                "请换一个新建的空数据库"
            )
            % {"tables": "、".join(holding[:3]), "n": len(holding)},
            code="not_empty",
        )


def _targets(loader: MigrationLoader, manifest: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The migration of each app the backup was made at; refuse a schema newer than ours."""
    backed = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(backed - set(loader.graph.nodes))
    if unknown:
        raise BackupError(
            _("备份来自更新版本的程序（本程序不认识迁移 %(names)s）：请先升级程序再恢复")
            % {"names": "、".join(f"{a}.{n}" for a, n in unknown[:3])},
            code="newer_schema",
        )
    targets: list[tuple[str, str | None]] = []
    for app in sorted(loader.migrated_apps):
        mine = {key for key in backed if key[0] == app}
        if not mine:
            targets.append((app, None))
            continue
        for key in sorted(mine):
            children = loader.graph.node_map[key].children
            if not any(child.key in mine for child in children):
                targets.append(key)
    return targets


def restore(
    path: str | os.PathLike[str],
    *,
    using: str = DEFAULT_DB_ALIAS,
    seeded: Iterable[str] = (),
    log: Log = _quiet,
) -> Result:
    """Restore the backup ``path`` into the empty database ``using`` and MEDIA_ROOT."""
    seeded = tuple(seeded)
    manifest = verify(path, log)
    connection = connections[using]
    check_empty(connection, seeded=seeded)
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    targets = _targets(loader, manifest)
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(targets)
    if plan:
        log(f"migrate: {len(plan)}")
        # In a database that held no data, every row the migrations write is theirs: the
        # restore replaces them with the backup's.
        executor.migrate(targets, plan=plan)
    nodes = [(app, name) for app, name in targets if name is not None]
    registry = loader.project_state(nodes).apps
    result = Result()
    with _open(path) as archive:
        try:
            _write_all(archive, manifest, registry, connection, result, log)
        except (
            DatabaseError,
            ValueError,
            TypeError,
            KeyError,
            zlib.error,
            zipfile.BadZipFile,
        ) as exc:
            # Rolled back: the database is as empty as it was.
            raise BackupError(
                _("恢复失败，已全部撤销，数据库未写入任何数据：%(error)s") % {"error": exc},
                code="failed",
            ) from exc
    # Content types were replaced under their cache.
    ContentType.objects.clear_cache()
    leaf = executor.loader.graph.leaf_nodes()
    executor = MigrationExecutor(connection)
    if executor.migration_plan(leaf):
        # The backup is older than the program: bring the restored data up to date.
        from django.core.management import call_command

        call_command("migrate", database=using, interactive=False, verbosity=0)
        result.migrated_forward = True
    return result


def _check_schema(manifest: dict[str, Any], by_label: dict[str, Any]) -> None:
    """Every table of the backup is a table of the migrated database, with the same columns."""
    for t in manifest["tables"]:
        model = by_label.get(t["model"])
        if (
            model is None
            or model._meta.db_table != t["table"]
            or sorted(f.attname for f in _columns(model)) != sorted(t["columns"])
        ):
            raise BackupError(
                _("备份中的表 %(table)s 与迁移后的数据库不符") % {"table": t["table"]},
                code="schema",
            )


def _clear(connection: Any, every: list[type[models.Model]]) -> None:
    """What migrate put in the target (content types, permissions, seeded tables) gives way
    to the backup's rows and ids; foreign keys are checked at the commit."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in every:
            cursor.execute(f"DELETE FROM {qn(model._meta.db_table)}")


def _place_media(
    archive: zipfile.ZipFile, media: list[dict[str, Any]], staging: Path, placed: list[Path]
) -> None:
    """Unpack the files beside MEDIA_ROOT, then move them in (a rename on one file system)."""
    media_root = Path(settings.MEDIA_ROOT)
    for m in media:
        staged = staging / m["name"]
        staged.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(m["member"]) as source, open(staged, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    for m in media:
        dest = media_root / m["name"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / m["name"], dest)
        placed.append(dest)


def _write_all(
    archive: zipfile.ZipFile,
    manifest: dict[str, Any],
    registry: Any,
    connection: Any,
    result: Result,
    log: Log,
) -> None:
    by_label = {m._meta.label_lower: m for m in _models(registry)}
    every = [
        m
        for m in registry.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]
    _check_schema(manifest, by_label)
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".xiaoqu-restore-", dir=media_root.parent))
    placed: list[Path] = []
    try:
        with transaction.atomic(using=connection.alias):
            _clear(connection, every)
            for t in manifest["tables"]:
                result.rows += _load_table(archive, t, by_label[t["model"]], connection)
                result.tables += 1
                log(f"{t['model']}: {t['rows']}")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    for sql in connection.ops.sequence_reset_sql(no_style(), every):
                        cursor.execute(sql)
            # Placed before the commit: a failure here rolls the rows back; a process killed
            # after this leaves files no row refers to, never rows without their files.
            _place_media(archive, manifest["media"], staging, placed)
            result.files = len(placed)
    except BaseException:
        for dest in placed:
            dest.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _converter(
    columns: list[models.Field[Any, Any]], kinds: list[str], connection: Any
) -> Callable[[list[Any]], tuple[Any, ...]]:
    """Turn one row as the file holds it into values for the database."""
    steps: list[tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]] = []
    for f, kind in zip(columns, kinds, strict=True):
        prep = None
        if kind not in PLAIN:
            prep = functools.partial(f.get_db_prep_save, connection=connection)
        steps.append((DECODERS.get(kind), prep))
    if all(d is None and p is None for d, p in steps):
        return tuple

    def convert(values: list[Any]) -> tuple[Any, ...]:
        out = []
        for v, (decode, prep) in zip(values, steps, strict=True):
            if v is not None:
                if decode is not None:
                    v = decode(v)
                if prep is not None:
                    v = prep(v)
            out.append(v)
        return tuple(out)

    return convert


def _load_table(
    archive: zipfile.ZipFile, t: dict[str, Any], model: type[models.Model], connection: Any
) -> int:
    # In the backup's column order (a model's fields may be listed in another order than the
    # migrations added the columns).
    by_attname = {f.attname: f for f in _columns(model)}
    columns = [by_attname[name] for name in t["columns"]]
    convert = _converter(columns, t["kinds"], connection)
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(f.column) for f in columns)
    rows = 0
    with archive.open(t["member"]) as stream, connection.cursor() as cursor:
        values = (convert(json.loads(line)) for line in stream)
        if connection.vendor == "postgresql":
            sql = f"COPY {table} ({names}) FROM STDIN"
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                for row in values:
                    copy.write_row(row)
                    rows += 1
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            while chunk := list(itertools.islice(values, WRITE_CHUNK)):
                cursor.executemany(sql, chunk)
                rows += len(chunk)
    if rows != t["rows"]:
        raise _corrupt(_("%(member)s 的行数不符") % {"member": t["member"]})
    return rows
