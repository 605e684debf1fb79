"""``xiaoqu bench replica``: pages read from a streaming replica, and the replica's lag.

PostgreSQL only (``--database postgres://…`` or ``XIAOQU_BENCH_DATABASE``; on SQLite it
reports that it was skipped). The benchmark makes its own pair rather than using the server
``--database`` names, so that the replica copies the benchmark's database alone and both
servers run with PostgreSQL's default, durable settings: a primary cluster (``initdb`` in a
temporary folder, on a free port), migrated, and the Guizhou preset of the register
generator imported into it (5,601 estates, 901,400 dwellings, as ``bench pages`` uses; the run
takes about four minutes); then a streaming replica made from it with ``pg_basebackup -R`` and
started as a hot standby (docs/deployment.md, "The read replica").

Reads: in a child process with production settings (DEBUG off) and ``XIAOQU_REPLICA_URL`` set,
a street-office user scoped to the whole province opens the register's summary page
(``registry:workbench``, 概况) and the pages of random estates through Django's test client,
from two clients in turn: one that has just written (a form posted, so pinned to the primary
for the run) and one that has not (its reads go to the replica). 20 warm-up requests, then 200
per case and client; p50, p95, the slowest, and the queries one request sends to each server.

Baseline, same run: the client pinned to the primary, whose requests alternate with the
replica's in the same process. For reference, the same pages in a child without
``XIAOQU_REPLICA_URL`` just before (no router, no middleware: the platform on one database).

Lag: a row inserted on the primary (autocommit, so committed when the insert returns), then the
replica polled until the row is there: the time until a write is visible, 200 times with the
primary idle and 200 times while another connection keeps rewriting dwellings (batches of 5,000
rows, each committed).

Goal: reads on the replica within 1.25× the primary's p95 (the two servers share this
machine's two cores, so the replica adds no capacity here; on a machine of its own it takes
these reads off the primary), and a lag whose p95 stays well under the default pin of
``XIAOQU_REPLICA_PIN_SECONDS`` (5 s) with the primary busy.

``XIAOQU_BENCH_REPLICA_ESTATES`` and ``XIAOQU_BENCH_REPLICA_DWELLINGS`` set a smaller register
(the preset's regions with fewer estates and dwellings), to try the benchmark quickly.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from xiaoqu.bench import Row
from xiaoqu.bench.harness import child_env, percentile, run_in_child, run_xiaoqu
from xiaoqu.bench.pgcluster import Cluster, bindir

REQUESTS = 200
WARM_UP = 20
LAG_SAMPLES = 200
ESTATES = 5601
DWELLINGS = 901_400
GOAL_FACTOR = 1.25
PIN_SECONDS = 5.0


def wait_replayed(primary: str, replica: str, timeout: float = 120) -> float:
    """Wait until the replica has replayed all the primary wrote so far; the seconds taken."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(primary, autocommit=True) as conn:
        row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
        assert row is not None
        target = row[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(replica, autocommit=True) as conn:
        while True:
            done = conn.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
            ).fetchone()
            if done is not None and done[0]:
                return time.perf_counter() - started
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica did not replay up to {target} in {timeout} s")
            time.sleep(0.01)


# --- reads ----------------------------------------------------------------------------------


def _queries(client: Any, url: str) -> dict[str, int]:
    """The reads one request sends to each database, and its writes (the personal-information
    access log a page writes goes to the primary whoever reads)."""
    from contextlib import ExitStack

    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with ExitStack() as stack:
        captured = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in connections
        }
        client.get(url)
    counts = {"reads_primary": 0, "reads_replica": 0, "writes": 0}
    for alias, queries in captured.items():
        for query in queries:
            verb = query["sql"].lstrip().split(" ", 1)[0].upper()
            if verb == "SELECT":
                counts["reads_replica" if alias == "replica" else "reads_primary"] += 1
            elif verb in {"INSERT", "UPDATE", "DELETE"}:
                counts["writes"] += 1
    return counts


def reading_clients(user: Any) -> dict[str, Any]:
    """With a replica: a client that has just written (pinned to the primary) and one that
    has not; without: one client."""
    from django.db import connections
    from django.test import Client
    from django.urls import reverse

    if "replica" not in connections:
        alone = Client()
        alone.force_login(user)
        return {"primary, no replica configured (baseline)": alone}
    primary, replica = os.environ["DATABASE_URL"], os.environ["XIAOQU_REPLICA_URL"]
    wait_replayed(primary, replica)
    pinned, reader = Client(), Client()
    pinned.force_login(user)
    reader.force_login(user)
    answer = pinned.post(reverse("notify:read_all"))
    if "xiaoqu_primary" not in answer.cookies:
        raise SystemExit("posting a form did not pin the client to the primary")
    wait_replayed(primary, replica)  # the sessions, on the replica too
    return {"primary (client that wrote)": pinned, "replica": reader}


def timed_in_turns(
    clients: dict[str, Any], url_of: Any, requests: int, warm_up: int
) -> dict[str, list[float]]:
    """Milliseconds of ``requests`` requests per client, the clients taking turns."""
    for client in clients.values():
        for _ in range(warm_up):
            client.get(url_of())
    samples: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(requests):
        for name, client in clients.items():
            url = url_of()
            start = time.perf_counter()
            response = client.get(url)
            samples[name].append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
    return samples


def reads_in_child(requests: int = REQUESTS, seed: int = 1, warm_up: int = WARM_UP) -> list[Row]:
    """In a child with Django set up on a database holding a register: time the pages, from
    a pinned and an unpinned client when a replica is configured, else from one client."""
    from django.urls import reverse

    from xiaoqu.accounts.models import Role, RoleAssignment, User
    from xiaoqu.registry.models import Estate, Region, RegionLevel

    province = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("pk").first()
    if province is None:
        raise SystemExit("the database holds no province: load a register first")
    user, _ = User.objects.get_or_create(phone="19900000020", defaults={"name": "基准备库"})
    RoleAssignment.objects.get_or_create(user=user, role=Role.STREET_STAFF, region=province)
    clients = reading_clients(user)
    rng = random.Random(seed)
    estate_ids = list(Estate.objects.values_list("pk", flat=True))
    cases = {
        "register summary (概况)": lambda: reverse("registry:workbench"),
        "estate page (random estate)": lambda: reverse(
            "registry:estate_detail", args=[rng.choice(estate_ids)]
        ),
    }
    rows: list[Row] = []
    for case, url_of in cases.items():
        samples = timed_in_turns(clients, url_of, requests, warm_up)
        for name, client in clients.items():
            sent = _queries(client, url_of())
            rows.append(
                {
                    "case": case,
                    "reads from": name,
                    "requests": requests,
                    "p50_ms": round(statistics.median(samples[name]), 1),
                    "p95_ms": round(percentile(samples[name], 0.95), 1),
                    "max_ms": round(max(samples[name]), 1),
                    **sent,
                }
            )
    return rows


# --- lag ------------------------------------------------------------------------------------


def _rewrite_dwellings(primary: str, stop: threading.Event, counts: list[int]) -> None:
    """Keep the primary writing: dwellings rewritten in committed batches of 5,000 rows."""
    import psycopg

    with psycopg.connect(primary, autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM registry_dwelling"
        ).fetchone()
        assert row is not None
        low, high = row
        at = low
        while not stop.is_set():
            cursor = conn.execute(
                "UPDATE registry_dwelling SET area = area WHERE id >= %s AND id < %s",
                (at, at + 5000),
            )
            counts.append(cursor.rowcount)
            at = low if at + 5000 > high else at + 5000


def measure_lag(
    primary: str, replica: str, *, samples: int = LAG_SAMPLES, busy: bool = False
) -> Row:
    """The time from a committed insert on the primary until the replica shows the row."""
    import psycopg

    with psycopg.connect(primary, autocommit=True) as writer:
        writer.execute(
            "CREATE TABLE IF NOT EXISTS bench_replica_lag (n integer PRIMARY KEY, at timestamptz"
            " NOT NULL DEFAULT now())"
        )
        row = writer.execute("SELECT coalesce(max(n), 0) FROM bench_replica_lag").fetchone()
        assert row is not None
        first = row[0] + 1
    wait_replayed(primary, replica)
    stop = threading.Event()
    rewritten: list[int] = []
    load = threading.Thread(target=_rewrite_dwellings, args=(primary, stop, rewritten), daemon=True)
    if busy:
        load.start()
        time.sleep(1.0)
    lags: list[float] = []
    started = time.perf_counter()
    try:
        with (
            psycopg.connect(primary, autocommit=True) as writer,
            psycopg.connect(replica, autocommit=True) as reader,
        ):
            for n in range(first, first + samples):
                writer.execute("INSERT INTO bench_replica_lag (n) VALUES (%s)", (n,))
                committed = time.perf_counter()
                while (
                    reader.execute("SELECT 1 FROM bench_replica_lag WHERE n = %s", (n,)).fetchone()
                    is None
                ):
                    time.sleep(0.0002)
                lags.append((time.perf_counter() - committed) * 1000)
    finally:
        stop.set()
        if busy:
            load.join(timeout=60)
    elapsed = time.perf_counter() - started
    p95 = percentile(lags, 0.95)
    return {
        "case": "replication lag, primary busy rewriting dwellings"
        if busy
        else "replication lag, primary idle",
        "samples": samples,
        "p50_ms": round(statistics.median(lags), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(max(lags), 2),
        "load_rows_per_s": round(sum(rewritten) / elapsed) if busy else None,
        "goal": f"p95 well under the {PIN_SECONDS:.0f} s pin",
        "met": p95 < PIN_SECONDS * 1000 / 10,
    }


# --- the run --------------------------------------------------------------------------------


def _sizes() -> tuple[int, int]:
    return (
        int(os.environ.get("XIAOQU_BENCH_REPLICA_ESTATES", ESTATES)),
        int(os.environ.get("XIAOQU_BENCH_REPLICA_DWELLINGS", DWELLINGS)),
    )


def _data_mb(cluster: Cluster) -> float:
    import psycopg

    with psycopg.connect(cluster.url("xiaoqu"), autocommit=True) as conn:
        row = conn.execute("SELECT pg_database_size('xiaoqu')").fetchone()
    return round((row[0] if row else 0) / 1024**2, 1)


def compare(rows: list[Row]) -> list[Row]:
    """Each replica row's p95 against the same case read from the primary."""
    primary = {
        r["case"]: r["p95_ms"] for r in rows if str(r.get("reads from", "")).startswith("primary (")
    }
    for row in rows:
        if row.get("reads from") == "replica" and primary.get(row["case"]):
            ratio = row["p95_ms"] / primary[row["case"]]
            row["vs_primary"] = round(ratio, 2)
            row["goal"] = f"p95 ≤ {GOAL_FACTOR}× primary"
            row["met"] = ratio <= GOAL_FACTOR
    return rows


def run(options: dict[str, Any]) -> list[Row]:
    server = options.get("database") or ""
    if not urlparse(server).scheme.startswith("postgres"):
        return [{"case": "skipped: needs PostgreSQL (--database postgres://…)"}]
    if bindir() is None:
        return [
            {"case": "skipped: PostgreSQL's server programs (initdb, pg_ctl) are not installed"}
        ]
    estates, dwellings = _sizes()
    with tempfile.TemporaryDirectory(prefix="xiaoqu-bench-replica-") as folder:
        return _run(Path(folder), estates, dwellings)


def _run(folder: Path, estates: int, dwellings: int) -> list[Row]:
    import psycopg

    from xiaoqu.registry.generator import generate_register

    rows: list[Row] = []
    register = folder / "register"
    generate_register(register, estates=estates, dwellings=dwellings, seed=1, preset="guizhou")
    # The clusters' folders are the postgres user's: made apart from this one (see Cluster).
    primary = Cluster(Path(tempfile.mkdtemp(prefix="xiaoqu-bench-primary-"))).init()
    standby: Cluster | None = None
    try:
        primary.start(durable=True)
        with psycopg.connect(primary.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE xiaoqu")
        url = primary.url("xiaoqu")
        run_xiaoqu(url, "migrate", "--no-input", "--verbosity", "0")
        started = time.perf_counter()
        run_xiaoqu(url, "import", str(register))
        imported = time.perf_counter() - started
        started = time.perf_counter()
        standby = primary.replica(Path(tempfile.mkdtemp(prefix="xiaoqu-bench-standby-")))
        copied = time.perf_counter() - started
        standby.start(durable=True)
        replica_url = standby.url("xiaoqu")
        caught_up = wait_replayed(url, replica_url)
        rows.append(
            {
                "case": "pair made",
                "estates": estates,
                "dwellings": dwellings,
                "import_s": round(imported, 1),
                "database_mb": _data_mb(primary),
                "pg_basebackup_s": round(copied, 1),
                "streaming_after_start_s": round(caught_up, 2),
            }
        )
        media = str(folder / "media")
        alone = child_env(url, XIAOQU_MEDIA_ROOT=media)
        # The client that wrote stays pinned to the primary for the whole run.
        with_replica = child_env(
            url,
            XIAOQU_MEDIA_ROOT=media,
            XIAOQU_REPLICA_URL=replica_url,
            XIAOQU_REPLICA_PIN_SECONDS="3600",
        )
        rows += run_in_child(reads_in_child, env=alone, requests=REQUESTS)[0]
        rows += run_in_child(reads_in_child, env=with_replica, requests=REQUESTS)[0]
        compare(rows)
        rows.append(measure_lag(url, replica_url))
        rows.append(measure_lag(url, replica_url, busy=True))
    finally:
        if standby is not None:
            standby.remove()
        primary.remove()
    for row in rows:
        row["database"] = "PostgreSQL 15, primary + streaming replica"
    return rows
