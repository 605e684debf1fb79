"""``xiaoqu bench national``: the national programme on PostgreSQL, whether partitioning by
province pays off, and reads on a streaming replica.

Workload: ``xiaoqu generate --preset national`` — 220,000 estates and 38 million dwellings in
31 province folders — scaled by ``XIAOQU_BENCH_NATIONAL_SCALE`` (default 1; 0.1 gives 22,000
estates and 3.8 million dwellings), generated in the bench process (timed).

PostgreSQL only (``--database postgres://...`` says so): like ``bench replica`` the benchmark
makes a cluster of its own (``initdb`` in a temporary folder, durable), so that the replica it
makes copies this database alone, started with the settings docs/deployment.md gives for the
database of a province or of the country (``server_settings``;
``XIAOQU_BENCH_NATIONAL_PG=defaults`` for PostgreSQL's own). Measured:

* the import: every province with ``xiaoqu import``, one after another into one database, in
  one measured child process (wall time, rows/s, the slowest province, peak RSS);
* the province roll-up: ``xiaoqu rollup --check`` (every estate's figures counted again from
  the register) and the province dashboard of the largest province; the estate page of random
  estates — a housing-bureau user of that province, 200 requests each after 5 warm-ups, p50
  and p95 — first on the plain tables;
* then reads on a replica: a streaming replica of the loaded cluster made with
  ``pg_basebackup -R`` (timed) and started as a hot standby, the same pages from a client
  that has written (pinned to the primary) and one reading the replica, taking turns;
* then with ``registry_dwelling`` and ``registry_ownership`` partitioned by province (``LIST``
  on the first two digits of the community's code), the same queries reaching the
  partitioned copies through ``search_path``.

Baseline, same run, measured last: a raw ``COPY`` of the very same rows (every table dumped
from the imported database to a file, untimed, and that database dropped) into a second
fresh database in one transaction, timing the ``COPY FROM`` and the commit; the import's
rows/s is reported against it.

At scale 1 the database takes about 30 GB and its WAL 16 GB, on a disk with some 80 GB
free: the register's files are removed once imported, the partitioned copies once measured,
the primary is restarted with 1 GB of WAL before its replica is made (``_restart``) and with
16 GB again for the baseline, and the replica is removed before the baseline.

Goal: the whole import ≤ 45 min at scale 1 on a 2-core machine; partitioning is kept only
where the same pages are faster with it; the replica's p95 within 1.25× the primary's.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from xiaoqu.bench import Row
from xiaoqu.bench.harness import (
    Scratch,
    child_env,
    measure_xiaoqu,
    percentile,
    run_in_child,
)
from xiaoqu.bench.pgcluster import Cluster, bindir
from xiaoqu.bench.register import TABLES  # the register's tables, parents first
from xiaoqu.bench.replica import compare, reading_clients, timed_in_turns

REQUESTS = 200
WARM_UP = 5
PARTITIONED = "xiaoqu_partitioned"


def _note(line: str) -> None:
    """A step's figure on stderr as soon as it is known (a run at scale 1 takes hours)."""
    print(f"[bench national {time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def server_settings(max_wal_size: str = "16GB") -> str:
    """The benchmark cluster's settings: those docs/deployment.md gives for the database of a
    province or of the country, sized by this machine's memory (a quarter for PostgreSQL's
    buffers, WAL enough for a province's load between checkpoints); with
    ``XIAOQU_BENCH_NATIONAL_PG=defaults``, PostgreSQL's own (128 MB of buffers, 1 GB of WAL)."""
    if os.environ.get("XIAOQU_BENCH_NATIONAL_PG", "") == "defaults":
        return ""
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024**2
    return (
        f"-c shared_buffers={memory_mb // 4}MB -c effective_cache_size={memory_mb // 2}MB"
        f" -c max_wal_size={max_wal_size} -c checkpoint_timeout=15min"
        " -c maintenance_work_mem=1GB"
    )


def _restart(primary: Cluster, max_wal_size: str) -> None:
    """``primary`` stopped at once and started again with ``max_wal_size``. After the import
    its WAL fills the 16 GB the settings allow, and every checkpoint, a clean stop's too, keeps
    those files for reuse; the checkpoint that ends the recovery after an immediate stop
    removes what the new bound does not keep. With 1 GB, a copy of the database (the replica)
    fits beside it on a disk that holds the database about twice."""
    import psycopg

    primary.stop("immediate")
    primary.start(durable=True, settings=server_settings(max_wal_size), timeout=3600)
    with psycopg.connect(primary.url(), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def _scale() -> float:
    return float(os.environ.get("XIAOQU_BENCH_NATIONAL_SCALE", "1"))


def _pages(requests: int, seed: int) -> list[Row]:
    """Runs in the child: the dashboard of the largest province and random estate pages; with
    ``XIAOQU_REPLICA_URL``, from a client that has written (pinned to the primary) and one
    reading the replica, taking turns (``bench replica``'s clients)."""
    from django.db.models import Count
    from django.urls import reverse

    from xiaoqu.accounts.models import Role, RoleAssignment, User
    from xiaoqu.registry.models import Estate, Region, RegionLevel

    sizes = (
        Estate.objects.values("community__code")
        .annotate(n=Count("pk"))
        .values_list("community__code", "n")
    )
    by_province: dict[str, int] = {}
    for code, n in sizes:
        prefix = str(code)[:2]
        by_province[prefix] = by_province.get(prefix, 0) + n
    largest = max(by_province, key=lambda code: by_province[code])
    province = Region.objects.get(level=RegionLevel.PROVINCE, code=f"{largest}0000")
    user, _created = User.objects.get_or_create(phone="19900000001", defaults={"name": "基准"})
    RoleAssignment.objects.get_or_create(user=user, role=Role.HOUSING_BUREAU, region=province)
    clients = reading_clients(user)
    rng = random.Random(seed)
    estates = list(
        Estate.objects.filter(community__code__startswith=largest).values_list("pk", flat=True)
    )
    cases = {
        f"province dashboard ({province.name}, {by_province[largest]:,} estates)": lambda: reverse(
            "insights:region", args=[province.pk]
        ),
        "estate page (random estate of that province)": lambda: reverse(
            "registry:estate_detail", args=[rng.choice(estates)]
        ),
    }
    rows: list[Row] = []
    for name, url_of in cases.items():
        samples = timed_in_turns(clients, url_of, requests, WARM_UP)
        for reads_from, taken in samples.items():
            rows.append(
                {
                    "case": name,
                    "reads from": reads_from,
                    "p50_ms": round(statistics.median(taken), 1),
                    "p95_ms": round(percentile(taken, 0.95), 1),
                }
            )
    return rows


def _import_provinces(folders: list[str]) -> list[float]:
    """Runs in the child: ``xiaoqu import`` of each folder in turn; the seconds of each."""
    from django.core.management import call_command

    seconds = []
    for folder in folders:
        started = time.perf_counter()
        call_command("import", folder, "--no-progress")
        seconds.append(time.perf_counter() - started)
    return seconds


def _import_all(scratch: Scratch, register: Path, url: str) -> tuple[list[float], Any]:
    """Every province folder imported in order, in one measured child process (the provinces
    one after another as an operator's loop would, without 31 interpreter start-ups)."""
    folders = [str(p) for p in sorted(register.iterdir()) if p.is_dir()]
    seconds, usage = run_in_child(_import_provinces, env=scratch.env(url), folders=folders)
    return seconds, usage


def _dump(scratch: Scratch, source: str) -> tuple[list[tuple[str, Path]], int]:
    """Every register table of ``source`` written with ``COPY TO`` into a file of its own (the
    baseline's input, untimed); the files, parents first, and the rows."""
    files, rows = [], 0
    with scratch.connect(source) as conn, conn.cursor() as cursor:
        for table in TABLES:
            path = scratch.folder / f"{table}.copy"
            with (
                open(path, "wb") as out,
                cursor.copy(f'COPY (SELECT * FROM "{table}" ORDER BY "id") TO STDOUT') as copy,
            ):
                for block in copy:
                    out.write(block)
            rows += cursor.rowcount
            files.append((table, path))
    return files, rows


def _raw_copy(scratch: Scratch, files: list[tuple[str, Path]], target: str) -> float:
    """The dumped rows loaded with ``COPY FROM`` into ``target`` in one transaction, timed
    with the commit; each file removed once loaded."""
    spent = 0.0
    with scratch.connect(target) as conn, conn.cursor() as cursor:
        for table, path in files:
            started = time.perf_counter()
            with open(path, "rb") as data, cursor.copy(f'COPY "{table}" FROM STDIN') as copy:
                while block := data.read(1 << 20):
                    copy.write(block)
            spent += time.perf_counter() - started
            path.unlink()
        started = time.perf_counter()
        conn.commit()
        spent += time.perf_counter() - started
    return spent


_PARTITION_SQL = """
CREATE SCHEMA {schema};
CREATE TABLE {schema}.registry_dwelling (LIKE public.registry_dwelling INCLUDING DEFAULTS,
    province smallint NOT NULL) PARTITION BY LIST (province);
CREATE TABLE {schema}.registry_ownership (LIKE public.registry_ownership INCLUDING DEFAULTS,
    province smallint NOT NULL) PARTITION BY LIST (province);
"""


def _partition(scratch: Scratch, url: str) -> float:
    """Partitioned copies of the dwellings and ownerships, by province; seconds taken."""
    started = time.perf_counter()
    with scratch.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(_PARTITION_SQL.format(schema=PARTITIONED))
        cursor.execute(
            "SELECT DISTINCT left(code, 2)::smallint FROM registry_region WHERE level = 'province'"
        )
        for (code,) in cursor.fetchall():
            for table in ("registry_dwelling", "registry_ownership"):
                cursor.execute(
                    f"CREATE TABLE {PARTITIONED}.{table}_{code} PARTITION OF "
                    f"{PARTITIONED}.{table} FOR VALUES IN ({code})"
                )
        cursor.execute(
            f"INSERT INTO {PARTITIONED}.registry_dwelling SELECT d.*, left(r.code, 2)::smallint"
            " FROM registry_dwelling d JOIN registry_estate e ON e.id = d.estate_id"
            " JOIN registry_region r ON r.id = e.community_id"
        )
        cursor.execute(
            f"INSERT INTO {PARTITIONED}.registry_ownership SELECT o.*, d.province"
            f" FROM registry_ownership o JOIN {PARTITIONED}.registry_dwelling d"
            " ON d.id = o.dwelling_id"
        )
        # The indexes the plain tables have, on the partitioned ones (each partition its own).
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            " AND tablename IN ('registry_dwelling', 'registry_ownership')"
        )
        for table, definition in cursor.fetchall():
            unique = definition.startswith("CREATE UNIQUE")
            columns, rest = _columns(definition)
            if unique:  # a unique index of a partitioned table holds the partition key
                columns += ", province"
            kind = "UNIQUE INDEX" if unique else "INDEX"
            cursor.execute(f"CREATE {kind} ON {PARTITIONED}.{table} ({columns}){rest}")
        conn.commit()
    with scratch.connect(url) as conn:
        conn.autocommit = True
        conn.execute(f"ANALYZE {PARTITIONED}.registry_dwelling")
        conn.execute(f"ANALYZE {PARTITIONED}.registry_ownership")
    return time.perf_counter() - started


def _columns(definition: str) -> tuple[str, str]:
    """The column list of ``CREATE INDEX … USING btree (<columns>) <rest>`` and the rest (a
    partial index's ``WHERE``)."""
    start = definition.index(" USING ") + len(" USING ")
    start = definition.index("(", start) + 1
    depth = 1
    for end in range(start, len(definition)):
        depth += {"(": 1, ")": -1}.get(definition[end], 0)
        if depth == 0:
            return definition[start:end], definition[end + 1 :]
    raise ValueError(definition)


def _on_search_path(url: str, schema: str) -> str:
    """``url`` whose connections look in ``schema`` first (libpq's ``options``)."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-c search_path={schema},public')}"


def run(options: dict[str, Any]) -> list[Row]:
    server = options.get("database") or ""
    if not server.startswith("postgres"):
        return [{"step": "national scale", "note": "PostgreSQL only: give --database"}]
    if bindir() is None:
        note = "needs PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup)"
        return [{"step": "national scale", "note": note}]
    # A cluster of the benchmark's own (durable, server_settings), so that its replica
    # copies this database alone; its folder is the postgres user's (see Cluster).
    primary = Cluster(Path(tempfile.mkdtemp(prefix="xiaoqu-bench-national-pg-"))).init()
    try:
        primary.start(durable=True, settings=server_settings())
        return _run(primary)
    finally:
        primary.remove()


def _on_replica(primary: Cluster, url: str) -> tuple[float, list[Row]]:
    """A streaming replica of ``primary`` (``pg_basebackup -R``, timed), and the pages read
    through it; the replica removed at the end."""
    started = time.perf_counter()
    standby = primary.replica(
        Path(tempfile.mkdtemp(prefix="xiaoqu-bench-national-standby-")), timeout=6 * 3600
    )
    copied = time.perf_counter() - started
    try:
        standby.start(durable=True, settings=server_settings())
        env = child_env(
            url,
            XIAOQU_REPLICA_URL=standby.url(urlparse(url).path.lstrip("/")),
            XIAOQU_REPLICA_PIN_SECONDS="3600",  # the client that wrote stays pinned
        )
        rows = run_in_child(_pages, env=env, requests=REQUESTS, seed=1)[0]
    finally:
        standby.remove()
    return copied, compare(rows)


def _run(primary: Cluster) -> list[Row]:
    from xiaoqu.registry.generator import generate_register

    scale = _scale()
    estates, dwellings = max(31, round(220_000 * scale)), max(62, round(38_000_000 * scale))
    with Scratch(primary.url(), "xiaoqu-bench-national-") as scratch:
        register = scratch.folder / "national"
        started = time.perf_counter()
        summary = generate_register(
            register, preset="national", estates=estates, dwellings=dwellings, seed=1
        )
        generated = time.perf_counter() - started
        rows = sum(summary.as_dict().values())
        url = scratch.database("national")
        raw_url = scratch.clone(url, "raw")
        _note(f"generated {rows:,} rows in {generated:.1f} s")
        per_province, usage = _import_all(scratch, register, url)
        import_seconds = usage.seconds
        _note(f"imported in {import_seconds:.1f} s ({rows / import_seconds:,.0f} rows/s)")
        shutil.rmtree(register)  # at scale 1 the files and three databases do not fit at once
        # The pages and the replica before the baseline: at scale 1 a run takes longer than
        # most sittings, and these are the figures the baseline does not give.
        rollup = measure_xiaoqu(scratch.env(url), "rollup", "--check")
        plain = run_in_child(_pages, env=child_env(url), requests=REQUESTS, seed=1)[0]
        _note(f"rollup --check {rollup.seconds:.1f} s; plain pages {plain}")
        partition_seconds = _partition(scratch, url)
        parted_url = _on_search_path(url, PARTITIONED)
        parted_rollup = measure_xiaoqu(scratch.env(parted_url), "rollup", "--check")
        parted = run_in_child(_pages, env=child_env(parted_url), requests=REQUESTS, seed=1)[0]
        _note(f"partitioned in {partition_seconds:.1f} s; rollup {parted_rollup.seconds:.1f} s")
        with scratch.connect(url) as conn:
            conn.execute(f"DROP SCHEMA {PARTITIONED} CASCADE")
            conn.commit()
        _restart(primary, "1GB")
        copied, replicated = _on_replica(primary, url)
        _note(f"pg_basebackup {copied:.1f} s; pages with the replica {replicated}")
        _restart(primary, "16GB")
        # The baseline last: every table dumped, then the imported database dropped, so that
        # the raw copy does not need the disk for two databases at once.
        files, raw_rows = _dump(scratch, url)
        scratch.drop(url)
        raw_seconds = _raw_copy(scratch, files, raw_url)
        scratch.drop(raw_url)
        _note(f"raw COPY in {raw_seconds:.1f} s ({raw_rows / raw_seconds:,.0f} rows/s)")
    label = f"{estates:,} estates, {dwellings:,} dwellings (scale {scale:g})"
    out: list[Row] = [
        {"step": "PostgreSQL settings", "note": server_settings() or "PostgreSQL's defaults"},
        {"step": f"generate ({label})", "rows": rows, "seconds": round(generated, 1)},
        {
            "step": "xiaoqu import, 31 provinces one after another",
            "rows": rows,
            "seconds": round(import_seconds, 1),
            "rows/s": round(rows / import_seconds),
            "slowest province s": round(max(per_province), 1),
            "peak RSS MB": round(usage.peak_rss_mb),
            "target": "≤ 2,700 s at scale 1",
        },
        {
            "step": "raw COPY of the same rows (baseline)",
            "rows": raw_rows,
            "seconds": round(raw_seconds, 1),
            "rows/s": round(raw_rows / raw_seconds),
        },
        {"step": "import / raw COPY", "ratio": round(raw_seconds / import_seconds, 2)},
        {
            "step": "xiaoqu rollup --check (plain / partitioned)",
            "seconds": f"{rollup.seconds:.1f} / {parted_rollup.seconds:.1f}",
        },
        {"step": "partitioned copies made", "seconds": round(partition_seconds, 1)},
    ]
    for before, after in zip(plain, parted, strict=True):
        out.append(
            {
                "step": before["case"],
                "p50 ms (plain / partitioned)": f"{before['p50_ms']} / {after['p50_ms']}",
                "p95 ms (plain / partitioned)": f"{before['p95_ms']} / {after['p95_ms']}",
            }
        )
    out.append({"step": "pg_basebackup -R of the loaded primary", "seconds": round(copied, 1)})
    for row in replicated:
        out.append(
            {
                "step": f"{row['case']}, {row['reads from']}",
                "p50 ms": row["p50_ms"],
                "p95 ms": row["p95_ms"],
                "replica p95 / primary p95": row.get("vs_primary", ""),
            }
        )
    return out
