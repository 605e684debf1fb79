"""``xiaoqu bench register``: the province-sized import against a raw bulk insert.

Workload: the Guizhou preset of the register generator (5,601 estates, 901,400 dwellings,
about 3.1 million rows), generated into csv files (timed in the bench process).

Measured: ``xiaoqu import`` of those files into a fresh, migrated database, in a child
process (wall time, CPU time and peak RSS of that process alone).

Baseline, same run: the very same rows, read back from the imported database, inserted into a
second fresh database with plain ``executemany``, no validation, in one transaction, timing
only the inserts and the commit. The ratio is the import's rows per second over the raw
insert's.

Goal: ratio ≥ 0.5; the import within 60 s (ceiling 120 s) and 2 GB. SQLite files by default;
with ``--database postgres://...`` both databases are scratch databases on that server.
"""

from __future__ import annotations

import time
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import Scratch, measure_xiaoqu

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


def _raw_insert(scratch: Scratch, source_url: str, target_url: str) -> tuple[int, float]:
    """Copy every register row with plain executemany; returns (rows, seconds inserting)."""
    src = scratch.connect(source_url)
    dst = scratch.connect(target_url)
    mark = "%s" if scratch.postgres else "?"
    rows_total = 0
    spent = 0.0
    try:
        if not scratch.postgres:
            dst.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            cur = src.execute(f'SELECT * FROM "{table}" ORDER BY "id"')
            columns = [d[0] for d in cur.description]
            rows = cur.fetchall()
            sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
                table, ", ".join(f'"{c}"' for c in columns), ", ".join([mark] * len(columns))
            )
            started = time.perf_counter()
            if scratch.postgres:
                with dst.cursor() as cursor:
                    cursor.executemany(sql, rows)
            else:
                dst.executemany(sql, rows)
            spent += time.perf_counter() - started
            rows_total += len(rows)
            del rows
        started = time.perf_counter()
        if scratch.postgres:
            dst.commit()
        else:
            dst.execute("COMMIT")
        spent += time.perf_counter() - started
    finally:
        src.close()
        dst.close()
    return rows_total, spent


def run(options: dict[str, Any]) -> list[Row]:
    from xiaoqu.registry.generator import generate_register

    with Scratch(options.get("database"), "xiaoqu-bench-register-") as scratch:
        started = time.perf_counter()
        summary = generate_register(scratch.folder / "register", preset="guizhou")
        generated = time.perf_counter() - started
        rows = sum(summary.as_dict().values())

        target = scratch.database("import")
        usage = measure_xiaoqu(
            scratch.env(target), "import", str(scratch.folder / "register"), "--no-progress"
        )
        raw_url = scratch.database("raw")
        raw_rows, raw_seconds = _raw_insert(scratch, target, raw_url)
    engine = scratch.engine
    import_rate = rows / usage.seconds
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
            "seconds": usage.seconds,
            "cpu s": usage.cpu_seconds,
            "rows/s": round(import_rate),
            "peak RSS MB": round(usage.peak_rss_mb),
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
