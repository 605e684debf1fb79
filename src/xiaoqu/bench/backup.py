"""``xiaoqu bench backup``: backup and restore of a province with its activity.

Workload: the Guizhou preset of the register generator (5,601 estates, 901,400 dwellings)
imported into a scratch database, with the synthetic activity of ``bench workbench`` (a
project per estate, opinions and demands, meetings, votes with electorates and ballots,
work orders): about 3 million rows. Then, each in a child process with production settings:
``xiaoqu backup FILE`` of that database, and a restore of the file into a new, blank database
(the restore migrates it first; the ballot-chain check the command runs afterwards is left
out, since the benchmark's ballots are bulk rows without a chain). Reported: wall time, CPU
time, peak memory, the file's size, rows per second.

Baseline, in the same run on the same database: on PostgreSQL ``pg_dump -Fc`` and
``pg_restore`` into a blank database; on SQLite the online ``.backup`` of the file (the
``sqlite3`` module's backup API) and a plain copy of the file for the restore. The baselines
copy one kind of database to the same kind; the backup's file restores into either.

Goal: backup and restore each within 10× the baseline's time, with peak memory that does not
grow with the database (rows are streamed).

``XIAOQU_BENCH_BACKUP_ESTATES`` and ``XIAOQU_BENCH_BACKUP_DWELLINGS`` set a smaller register
(the generator's default province instead of the preset), to try the benchmark quickly.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
import zipfile
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import (
    Scratch,
    Usage,
    child_env,
    measure,
    measure_xiaoqu,
    run_in_child,
    run_xiaoqu,
)

GOAL_FACTOR = 10.0


def build_activity() -> dict[str, int]:
    """In a child on the imported register: the activity of ``bench workbench``."""
    from django.db import connection

    from xiaoqu.bench.workbench import build_todo_world

    _actor, made = build_todo_world()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return made


def restore_file(path: str) -> dict[str, int]:
    """In a child on a blank database: restore ``path`` (no chain check; see the docstring)."""
    from xiaoqu.core.backup import restore

    result = restore(path)
    return {"rows": result.rows, "files": result.files}


def _row(case: str, engine: str, usage: Usage, rows: int, size: int | None) -> Row:
    return {
        "case": case,
        "database": engine,
        "rows": rows,
        "seconds": round(usage.seconds, 1),
        "cpu_s": round(usage.cpu_seconds, 1),
        "peak_rss_mb": round(usage.peak_rss_mb),
        "size_mb": round(size / 1e6, 1) if size is not None else None,
        "rows_per_s": round(rows / usage.seconds) if usage.seconds else None,
    }


def _timed(command: list[str], env: dict[str, str] | None = None) -> Usage:
    return measure(command, env or dict(os.environ))[1]


def _sqlite_backup(source: str, dest: str) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(dest) as out:
        src.backup(out)


def run(options: dict[str, Any]) -> list[Row]:
    from xiaoqu.core.backup import read_manifest
    from xiaoqu.registry.generator import generate_register

    estates = int(os.environ.get("XIAOQU_BENCH_BACKUP_ESTATES", "0"))
    dwellings = int(os.environ.get("XIAOQU_BENCH_BACKUP_DWELLINGS", "0"))
    with Scratch(options.get("database"), "xiaoqu-bench-backup-") as scratch:
        register = scratch.folder / "register"
        if estates and dwellings:
            generate_register(register, estates=estates, dwellings=dwellings, seed=1)
        else:
            generate_register(register, estates=5601, dwellings=901_400, seed=1, preset="guizhou")
        source = scratch.database("source")
        run_xiaoqu(source, "import", str(register))
        run_in_child(build_activity, env=child_env(source))
        env = scratch.env(source)
        archive = scratch.folder / "backup.zip"
        usage = measure_xiaoqu(env, "backup", str(archive))
        with zipfile.ZipFile(archive) as opened:
            manifest = read_manifest(opened)
        rows = sum(t["rows"] for t in manifest["tables"])
        size = archive.stat().st_size
        out = [_row("xiaoqu backup", scratch.engine, usage, rows, size)]

        target = scratch.database("target", migrate=False)
        restored, usage = run_in_child(restore_file, env=scratch.env(target), path=str(archive))
        out.append(
            _row(
                "xiaoqu restore (blank database, migrates)",
                scratch.engine,
                usage,
                restored["rows"],
                size,
            )
        )

        if scratch.postgres:
            dump = scratch.folder / "dump.pgc"
            usage = _timed(["pg_dump", "-Fc", "-f", str(dump), "-d", source])
            out.append(
                _row("baseline: pg_dump -Fc", scratch.engine, usage, rows, dump.stat().st_size)
            )
            blank = scratch.database("pgrestore", migrate=False)
            usage = _timed(["pg_restore", "--no-owner", "-d", blank, str(dump)])
            out.append(
                _row("baseline: pg_restore", scratch.engine, usage, rows, dump.stat().st_size)
            )
        else:
            path = source.removeprefix("sqlite:///")
            copy = scratch.folder / "copy.sqlite3"
            started = time.perf_counter(), time.process_time()
            _sqlite_backup(path, str(copy))
            usage = Usage(time.perf_counter() - started[0], time.process_time() - started[1], 0.0)
            out.append(
                _row("baseline: SQLite .backup", scratch.engine, usage, rows, copy.stat().st_size)
            )
            started = time.perf_counter(), time.process_time()
            shutil.copyfile(copy, scratch.folder / "restored.sqlite3")
            subprocess.run(["sync"], check=False)
            usage = Usage(time.perf_counter() - started[0], time.process_time() - started[1], 0.0)
            out.append(
                _row("baseline: file copy", scratch.engine, usage, rows, copy.stat().st_size)
            )
        base_backup, base_restore = out[2]["seconds"] or 0.01, out[3]["seconds"] or 0.01
        out[0]["vs_baseline"] = round(out[0]["seconds"] / base_backup, 1)
        out[1]["vs_baseline"] = round(out[1]["seconds"] / base_restore, 1)
        for row, base in ((out[0], base_backup), (out[1], base_restore)):
            row["goal"] = f"≤ {GOAL_FACTOR:.0f}× baseline"
            row["met"] = row["seconds"] <= GOAL_FACTOR * base
        return out
