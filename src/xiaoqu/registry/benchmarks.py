"""Benchmarks of the register: the province-sized import against a raw bulk insert.

``register``: generate the Guizhou preset (5,601 estates, 901,400 dwellings), import it with
``xiaoqu import`` into a fresh, migrated database in a child process (wall time, CPU time and
peak RSS of that process alone), then insert the very same rows, read back from the imported
database, into a second fresh database with plain ``executemany`` and no validation, in one
transaction, timing only the inserts and the commit. The ratio is the import's rows per second
over the raw insert's. SQLite files in a temporary folder by default; with ``--database
postgres://...`` two scratch databases are created on that server and dropped afterwards.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

TABLES = (
    "registry_region",
    "registry_estate",
    "registry_building",
    "registry_entrance",
    "registry_dwelling",
    "registry_person",
    "registry_ownership",
    "registry_residency",
)


def child_env(url: str) -> dict[str, str]:
    """Environment of a benchmark's child process: production settings on ``url``."""
    env = dict(os.environ)
    env["DATABASE_URL"] = url
    env["DJANGO_SETTINGS_MODULE"] = "xiaoqu.config.settings"
    # Production settings: no query log. The test client's host is allowed.
    env["XIAOQU_DEBUG"] = "0"
    env.setdefault("XIAOQU_SECRET_KEY", "xiaoqu-benchmark-only")
    env["XIAOQU_ALLOWED_HOSTS"] = "testserver"
    return env


def run_xiaoqu(url: str, *args: str) -> None:
    """Run ``xiaoqu ARGS`` on ``url`` in a child process."""
    subprocess.run(
        [sys.executable, "-m", "xiaoqu.cli", *args],
        env=child_env(url),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _measured(url: str, *args: str) -> dict[str, float]:
    """Run ``xiaoqu ARGS`` under a small wrapper that reports its child's resources."""
    out = subprocess.run(
        [sys.executable, "-m", "xiaoqu.registry.benchmarks", "--measure", "--", *args],
        env=child_env(url),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _measure_child(args: list[str]) -> None:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "xiaoqu.cli", *args], stdout=sys.stderr)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(done.returncode)
    print(
        json.dumps(
            {
                "seconds": wall,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "peak_rss_mb": usage.ru_maxrss / 1024,
            }
        )
    )


class _Server:
    """Where the two databases live: SQLite files, or scratch databases on PostgreSQL."""

    def __init__(self, base: str | None, folder: Path) -> None:
        self.base = base
        self.folder = folder
        self.created: list[str] = []
        self.postgres = bool(base) and urlparse(base or "").scheme.startswith("postgres")

    def fresh(self, name: str) -> str:
        if not self.postgres:
            return f"sqlite:///{self.folder / (name + '.sqlite3')}"
        import psycopg

        dbname = f"xiaoqu_bench_{name}"
        with psycopg.connect(self._admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}"')
        self.created.append(dbname)
        parts = urlparse(self.base or "")
        return urlunparse(parts._replace(path=f"/{dbname}"))

    def _admin_url(self) -> str:
        parts = urlparse(self.base or "")
        return urlunparse(parts._replace(path="/postgres"))

    def connect(self, url: str) -> Any:
        if self.postgres:
            import psycopg

            return psycopg.connect(url)
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        # The same settings the application's connections use (config/settings.py) and the
        # importer's page cache, so only the work differs.
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("PRAGMA cache_size = -524288")
        return conn

    def drop_all(self) -> None:
        if not self.postgres:
            return
        import psycopg

        with psycopg.connect(self._admin_url(), autocommit=True) as conn:
            for dbname in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _raw_insert(server: _Server, source_url: str, target_url: str) -> tuple[int, float]:
    """Copy every register row with plain executemany; returns (rows, seconds inserting)."""
    src = server.connect(source_url)
    dst = server.connect(target_url)
    mark = "%s" if server.postgres else "?"
    rows_total = 0
    spent = 0.0
    try:
        if not server.postgres:
            dst.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            cur = src.execute(f'SELECT * FROM "{table}" ORDER BY "id"')
            columns = [d[0] for d in cur.description]
            rows = cur.fetchall()
            sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
                table, ", ".join(f'"{c}"' for c in columns), ", ".join([mark] * len(columns))
            )
            started = time.perf_counter()
            if server.postgres:
                with dst.cursor() as cursor:
                    cursor.executemany(sql, rows)
            else:
                dst.executemany(sql, rows)
            spent += time.perf_counter() - started
            rows_total += len(rows)
            del rows
        started = time.perf_counter()
        if server.postgres:
            dst.commit()
        else:
            dst.execute("COMMIT")
        spent += time.perf_counter() - started
    finally:
        src.close()
        dst.close()
    return rows_total, spent


def bench_register(options: dict[str, Any]) -> list[dict[str, Any]]:
    from xiaoqu.registry.generator import generate_register

    with tempfile.TemporaryDirectory(prefix="xiaoqu-bench-register-") as tmp:
        folder = Path(tmp)
        server = _Server(options.get("database"), folder)
        try:
            started = time.perf_counter()
            summary = generate_register(folder / "register", preset="guizhou")
            generated = time.perf_counter() - started
            rows = sum(summary.as_dict().values())

            target = server.fresh("import")
            run_xiaoqu(target, "migrate", "--no-input")
            run = _measured(target, "import", str(folder / "register"), "--no-progress")

            raw_url = server.fresh("raw")
            run_xiaoqu(raw_url, "migrate", "--no-input")
            raw_rows, raw_seconds = _raw_insert(server, target, raw_url)
        finally:
            server.drop_all()
    engine = "PostgreSQL" if server.postgres else "SQLite"
    import_rate = rows / run["seconds"]
    raw_rate = raw_rows / raw_seconds
    return [
        {
            "step": "generate (guizhou preset)",
            "database": "",
            "rows": rows,
            "seconds": generated,
            "rows/s": round(rows / generated),
        },
        {
            "step": "xiaoqu import",
            "database": engine,
            "rows": rows,
            "seconds": run["seconds"],
            "cpu s": run["cpu_seconds"],
            "rows/s": round(import_rate),
            "peak RSS MB": round(run["peak_rss_mb"]),
        },
        {
            "step": "raw executemany (no validation)",
            "database": engine,
            "rows": raw_rows,
            "seconds": raw_seconds,
            "rows/s": round(raw_rate),
        },
        {
            "step": "import / raw",
            "database": engine,
            "ratio": round(import_rate / raw_rate, 2),
            "target": "≥ 0.5; import ≤ 60 s (ceiling 120 s), ≤ 2048 MB",
        },
    ]


def _bench_pages(options: dict[str, Any]) -> list[dict[str, Any]]:
    from xiaoqu.registry.pagebench import bench_pages

    return bench_pages(options.get("database"))


BENCHMARKS = {"register": bench_register, "pages": _bench_pages}


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        _measure_child(sys.argv[3:] if sys.argv[2] == "--" else sys.argv[2:])
