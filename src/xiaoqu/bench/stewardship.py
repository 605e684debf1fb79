"""``xiaoqu bench stewardship``: work-order deadlines on China's working calendar.

Rows, in one run, in a child process on one core:

* Baseline, same run: the same deadlines found by walking the calendar day by day (the plain
  way a spreadsheet or a first version would do it), on a tenth of the sample.
* The calculator (``stewardship.sla``): 200,000 deadlines from random starts in 2025–2026
  (any minute, weekends and holidays included) and 1–72 working hours in quarter-hours;
  goal ≥ 100,000 a second. Every result of the baseline's sample is checked against it.
* ``xiaoqu sla due``, the whole command (Python's start-up included).

The escalation sweep (``stewardship.services.orders.escalation_sweep``), on a scratch database
(SQLite, or the PostgreSQL server given with ``--database``), in a child process:

* 1,000,000 open work orders of 1,000 estates, all past their deadline, spread evenly over
  the managing body, the community, the street and the housing bureau; one user of each
  party above the managing body to notify.
* Baseline, same run: a plain ``UPDATE`` of the same rows (a new deadline), rolled back.
* The sweep: every order one level up (the housing bureau's marked overdue), an event row
  each, the users told (a digest each here, since each receives far more than a few dozen
  orders), new deadlines; goal ≤ 10 s. Then the same sweep again at the same
  time, which must change nothing (idempotence), and the rows are counted.

Open311 under load (``/open311/v2/``), on a scratch database (SQLite, or the PostgreSQL server
given with ``--database``):

* A district of 1,000 estates (WGS-84 positions about 660 m apart), 3,000 buildings, a
  property manager per street, 5,000 work orders of the last 60 days in every state and
  channel with their events, and an Open311 key (``build_open311``, in a child process).
* ``xiaoqu serve`` (gunicorn with its default workers, 2 × cores + 1 up to 8, and the
  background worker) on a free port of 127.0.0.1, as in production.
* locust, headless in a process of its own (``bench/open311_load.py``), 50 clients for 30 s
  each scenario: ``GET requests.json`` with an outside system's filters three times in four,
  ``POST requests.json`` once in four. First each client pauses about a second between
  requests (50 busy outside systems; goal p99 < 200 ms), then none at all (the server's
  capacity). Throughput and p50/p99 per kind of request. Without locust installed the row
  says so and nothing is measured.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import (
    Scratch,
    child_env,
    measure_xiaoqu,
    run_in_child,
    served,
    tree_cpu_seconds,
)

SAMPLE = 200_000
BASELINE_SHARE = 10
SWEEP_ORDERS = 1_000_000
SWEEP_ESTATES = 1_000
OPEN311_ESTATES = 1_000
OPEN311_ORDERS = 5_000
LOAD_USERS = 50
LOCUST_FILE = Path(__file__).with_name("open311_load.py")
LOAD_SECONDS = 30
WARM_UP_SECONDS = 10
# (mean pause between a client's requests in seconds, how the row names it, the goal)
LOAD_SCENARIOS: tuple[tuple[float, str, str], ...] = (
    (1.0, "with ~1 s pause", "p99 < 200 ms"),
    (0.0, "without pause (capacity)", ""),
)


def _starts(n: int, seed: int = 12345) -> list[tuple[dt.datetime, Decimal]]:
    rng = random.Random(seed)
    first = dt.datetime(2025, 1, 1)
    minutes = (dt.datetime(2026, 12, 1) - first).days * 24 * 60
    return [
        (first + dt.timedelta(minutes=rng.randrange(minutes)), Decimal(rng.randint(4, 288)) / 4)
        for _ in range(n)
    ]


def _walk(calendar: Any, start: dt.datetime, hours: Decimal) -> dt.datetime:
    """The baseline: day by day, period by period."""
    from xiaoqu.stewardship import sla

    seconds = int(hours * 3600)
    day, t = start.date(), start.hour * 3600 + start.minute * 60 + start.second
    while True:
        if calendar.is_working_day(day):
            for a, b in sla.PERIODS:
                begin = max(a, t)
                if begin < b:
                    if seconds <= b - begin:
                        midnight = dt.datetime.combine(day, dt.time(), sla.SHANGHAI)
                        return midnight + dt.timedelta(seconds=begin + seconds)
                    seconds -= b - begin
        day, t = day + dt.timedelta(days=1), 0


def _in_child() -> dict[str, Any]:
    from xiaoqu.stewardship.sla import WorkingCalendar

    calendar = WorkingCalendar()
    cases = _starts(SAMPLE)
    calendar.due(cases[0][0], cases[0][1])  # builds the table of working days
    began = time.perf_counter()
    results = [calendar.due(start, hours).at for start, hours in cases]
    fast = time.perf_counter() - began
    sample = cases[: SAMPLE // BASELINE_SHARE]
    began = time.perf_counter()
    walked = [_walk(calendar, start, hours) for start, hours in sample]
    slow = time.perf_counter() - began
    wrong = sum(1 for a, b in zip(results, walked, strict=False) if a != b)
    return {"fast": fast, "slow": slow, "baseline_n": len(sample), "wrong": wrong}


def run(options: dict[str, Any]) -> list[Row]:
    server = options.get("database")
    return _deadline_rows() + _sweep_rows(server, SWEEP_ORDERS) + _open311_rows(server)


def _deadline_rows() -> list[Row]:
    r, _usage = run_in_child(_in_child, env=child_env(), django=False, one_core=True)
    command = measure_xiaoqu(
        child_env(), "sla", "due", "--start", "2026-09-30T16:00", "--hours", "8"
    )
    rate = SAMPLE / r["fast"]
    baseline_rate = r["baseline_n"] / r["slow"]
    return [
        {
            "step": f"baseline: walk the calendar day by day ({r['baseline_n']:,} deadlines)",
            "per second": f"{baseline_rate:,.0f}",
        },
        {
            "step": f"deadline calculator, in process ({SAMPLE:,} deadlines)",
            "per second": f"{rate:,.0f}",
            "vs baseline": f"{rate / baseline_rate:.1f}×",
            "target": "≥ 100,000/s",
            "disagreements": r["wrong"],
        },
        {
            "step": "xiaoqu sla due, whole command",
            "seconds": round(command.seconds, 2),
            "peak RSS MB": round(command.peak_rss_mb),
        },
    ]


# --- the escalation sweep ---------------------------------------------------------------------


def _sweep_rows(server: str | None, orders: int) -> list[Row]:
    with Scratch(server, "xiaoqu-bench-sweep-") as scratch:
        url = scratch.database("sweep")
        r, usage = run_in_child(measure_sweep, env=scratch.env(url), orders=orders)
    return sweep_rows(r, scratch.engine, usage.peak_rss_mb)


def sweep_rows(r: dict[str, Any], engine: str, rss_mb: float) -> list[Row]:
    n = r["orders"]
    return [
        {
            "step": f"build {n:,} open, overdue work orders ({engine}, bulk insert)",
            "seconds": round(r["build"], 1),
        },
        {
            "step": f"baseline: plain UPDATE of the same {r['updated']:,} rows ({engine})",
            "seconds": round(r["update"], 2),
        },
        {
            "step": f"escalation sweep over {n:,} orders ({engine})",
            "seconds": round(r["sweep"], 2),
            "vs baseline": f"{r['sweep'] / max(r['update'], 1e-9):.1f}×",
            "target": "≤ 10 s",
            "escalated": f"{r['escalated']:,}",
            "events": f"{r['events']:,}",
            "notices": f"{r['notices']:,}",
            "peak RSS MB": round(rss_mb),
        },
        {
            "step": f"the same sweep again at the same time ({engine})",
            "seconds": round(r["again"], 2),
            "escalated": f"{r['again_escalated']:,}",
            "target": "0 (idempotent)",
        },
    ]


def build_orders(orders: int, estates: int, now: dt.datetime) -> None:
    """Estates of one community, one user per party above the managing body, and ``orders``
    open orders due an hour before ``now``, a quarter at each level (bulk inserts)."""
    import uuid

    from django.db import connection, transaction

    from xiaoqu.accounts.models import Role, RoleAssignment, User
    from xiaoqu.registry.models import Estate, Region, RegionLevel
    from xiaoqu.stewardship.models import WorkOrder, WorkOrderCategory
    from xiaoqu.stewardship.services.orders import categories_ensure

    categories_ensure()
    parent = None
    chain = []
    for name, level in zip(
        ("贵州省", "贵阳市", "云岩区", "基准街道", "基准社区"), list(RegionLevel), strict=False
    ):
        parent = Region.objects.create(parent=parent, name=name, level=level)
        chain.append(parent)
    community = chain[-1]
    Estate.objects.bulk_create(
        Estate(
            code=f"B{i:06d}", name=f"基准小区{i}", community=community, region_path=community.path
        )
        for i in range(estates)
    )
    estate_ids = list(Estate.objects.values_list("pk", flat=True))
    for role, region in (
        (Role.COMMUNITY_STAFF, chain[4]),
        (Role.STREET_STAFF, chain[3]),
        (Role.HOUSING_BUREAU, chain[2]),
    ):
        user = User.objects.create_user(phone=f"199{len(role):08d}", password=None, name=role)
        RoleAssignment.objects.create(user=user, role=role, region=region)
    categories = list(WorkOrderCategory.objects.values_list("pk", flat=True))
    parties = ("manager", "community", "street", "housing")
    # One INSERT executed for many rows (what bulk_create sends, without building a model
    # object per row, which took two and a half minutes for a million on this machine).
    key = WorkOrder._meta.get_field("client_key")
    due = connection.ops.adapt_datetimefield_value(now - dt.timedelta(hours=1))
    columns = (
        "estate_id, category_id, text, place, channel, client_key, reporter_name,"
        " reporter_phone, contact_ok, attributes, status, party, escalations, due_at,"
        " reject_reason, rating_comment, created_at"
    )
    statement = (
        f"INSERT INTO {WorkOrder._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * 17)})"
    )
    batch = 50_000
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, orders, batch):
            cursor.executemany(
                statement,
                [
                    (
                        estate_ids[i % len(estate_ids)],
                        categories[i % len(categories)],
                        "楼道灯不亮",
                        "",
                        "hotline",
                        key.get_db_prep_value(uuid.uuid4(), connection),
                        "",
                        "",
                        False,
                        "{}",
                        "accepted" if i % 2 else "submitted",
                        parties[i % 4],
                        i % 4,
                        due,
                        "",
                        "",
                        due,
                    )
                    for i in range(start, min(orders, start + batch))
                ],
            )


def measure_sweep(orders: int = SWEEP_ORDERS, estates: int = SWEEP_ESTATES) -> dict[str, Any]:
    """Runs in the child process (Django set up on an empty migrated database)."""
    from django.db import transaction
    from django.utils import timezone

    from xiaoqu.stewardship.models import OPEN_STATUSES, Notice, WorkOrder, WorkOrderEvent
    from xiaoqu.stewardship.services.orders import escalation_sweep

    now = timezone.now()
    began = time.perf_counter()
    build_orders(orders, estates, now)
    out: dict[str, Any] = {"orders": orders, "build": time.perf_counter() - began}

    with transaction.atomic():
        began = time.perf_counter()
        out["updated"] = WorkOrder.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now).update(
            due_at=now + dt.timedelta(hours=8)
        )
        out["update"] = time.perf_counter() - began
        transaction.set_rollback(True)

    began = time.perf_counter()
    done = escalation_sweep(now=now)
    out["sweep"] = time.perf_counter() - began
    out["escalated"] = done["escalated"] + done["overdue"]
    began = time.perf_counter()
    again = escalation_sweep(now=now)
    out["again"] = time.perf_counter() - began
    out["again_escalated"] = again["escalated"] + again["overdue"]
    out["events"] = WorkOrderEvent.objects.count()
    out["notices"] = Notice.objects.count()
    return out


# --- Open311 under load -----------------------------------------------------------------------


def _open311_rows(server: str | None) -> list[Row]:
    if importlib.util.find_spec("locust") is None:
        return [
            {
                "step": "Open311 under load: skipped, locust is not installed "
                "(it is in the test extra: pip install -e '.[test]')",
            }
        ]
    with Scratch(server, "xiaoqu-bench-open311-") as scratch:
        url = scratch.database("open311")
        env = scratch.env(url)
        data, _usage = run_in_child(
            build_open311, env=env, estates=OPEN311_ESTATES, orders=OPEN311_ORDERS
        )
        data_file = scratch.folder / "open311.json"
        data_file.write_text(json.dumps(data), encoding="utf-8")
        serve_env = {
            **env,
            "XIAOQU_ALLOWED_HOSTS": "127.0.0.1",
            "XIAOQU_VAR_DIR": str(scratch.folder / "var"),
        }
        rows: list[Row] = []
        with served(serve_env) as (base, pid):
            # Unmeasured: every worker's first requests load translations, the calendar…
            _locust(base, data_file, 1.0, scratch.folder / "warm-up", seconds=WARM_UP_SECONDS)
            for pause, label, goal in LOAD_SCENARIOS:
                load = os.getloadavg()[0]
                cpu = tree_cpu_seconds(pid)
                stats = _locust(base, data_file, pause, scratch.folder / f"load-{pause}")
                used = tree_cpu_seconds(pid) - cpu
                rows += _load_rows(stats, label, goal, scratch.engine, used, load)
    return rows


def _load_rows(
    stats: dict[str, dict[str, str]],
    label: str,
    goal: str,
    engine: str,
    server_cpu: float,
    load: float,
) -> list[Row]:
    """One row per kind of request; the server's CPU per request (all kinds together) and
    the machine's load average when the scenario started are on the first."""
    rows: list[Row] = []
    total = int(stats.get("Aggregated", {}).get("Request Count", 0)) or 1
    for name in ("GET requests.json", "POST requests.json"):
        found = stats.get(name)
        if found is None:
            continue
        rows.append(
            {
                "step": f"Open311 {name}, {LOAD_USERS} clients {label} ({engine}, xiaoqu serve)",
                "requests": int(found["Request Count"]),
                "failures": int(found["Failure Count"]),
                "per second": round(float(found["Requests/s"]), 1),
                "p50 ms": round(float(found["50%"])),
                "p99 ms": round(float(found["99%"])),
                "target": goal,
            }
        )
    if rows:
        rows[0]["server CPU ms/request"] = round(server_cpu * 1000 / total, 1)
        rows[0]["locust CPU %"] = int(stats.get("locust", {}).get("cpu_percent", 0))
        rows[0]["load avg before"] = round(load, 2)
    return rows


def _locust(
    base: str, data_file: Path, pause: float, prefix: Path, seconds: int = 0
) -> dict[str, dict[str, str]]:
    """Run locust headless against ``base`` for ``seconds`` (default LOAD_SECONDS); its
    statistics by request name."""
    seconds = seconds or LOAD_SECONDS
    env = {**os.environ, "XIAOQU_O311_DATA": str(data_file), "XIAOQU_O311_PAUSE": str(pause)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUST_FILE),
            "--headless",
            "--users",
            str(LOAD_USERS),
            "--spawn-rate",
            str(LOAD_USERS),
            "--run-time",
            f"{seconds}s",
            "--host",
            base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=seconds + 120,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    with open(f"{prefix}_stats.csv", encoding="utf-8", newline="") as stats:
        found = {row["Name"]: row for row in csv.DictReader(stats)}
    found["locust"] = {"cpu_percent": f"{cpu / seconds * 100:.0f}"}
    return found


def build_open311(estates: int = OPEN311_ESTATES, orders: int = OPEN311_ORDERS) -> dict[str, Any]:
    """Runs in a child process (Django set up on an empty migrated database): a district of
    ten streets and fifty communities, ``estates`` estates on a grid about 660 m apart around
    Guiyang (WGS-84), three buildings each, a property manager per street, ``orders`` work
    orders of the last 60 days in every state and channel with their events, and an Open311
    key of the district. Returns what the load needs (the key, estate positions, order ids,
    service codes)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from xiaoqu.accounts.models import Role, RoleAssignment, User
    from xiaoqu.registry.models import Building, Estate, Region, RegionLevel
    from xiaoqu.stewardship.models import WorkOrder, WorkOrderCategory, WorkOrderEvent
    from xiaoqu.stewardship.services.open311 import open311_key_create
    from xiaoqu.stewardship.services.orders import categories_ensure

    rng = random.Random(311)
    now = timezone.now()
    categories_ensure()
    with transaction.atomic():
        province = Region.objects.create(name="贵州省", level=RegionLevel.PROVINCE, code="52")
        city = Region.objects.create(
            parent=province, name="贵阳市", level=RegionLevel.CITY, code="5201"
        )
        district = Region.objects.create(
            parent=city, name="云岩区", level=RegionLevel.DISTRICT, code="520103"
        )
        streets = [
            Region.objects.create(parent=district, name=f"基准街道{i}", level=RegionLevel.STREET)
            for i in range(10)
        ]
        communities = [
            Region.objects.create(parent=s, name=f"{s.name}社区{j}", level=RegionLevel.COMMUNITY)
            for s in streets
            for j in range(5)
        ]
        side = math.ceil(math.sqrt(estates))
        Estate.objects.bulk_create(
            Estate(
                code=f"O{i:06d}",
                name=f"基准小区{i}",
                community=communities[i % len(communities)],
                region_path=communities[i % len(communities)].path,
                year_built=1990 + i % 10,
                households=120,
                latitude=Decimal(f"{26.52 + (i // side) * 0.006:.6f}"),
                longitude=Decimal(f"{106.65 + (i % side) * 0.006:.6f}"),
            )
            for i in range(estates)
        )
        estate_rows = list(Estate.objects.values_list("pk", "latitude", "longitude"))
        Building.objects.bulk_create(
            Building(estate_id=pk, number=str(b), storeys=6)
            for pk, _lat, _lon in estate_rows
            for b in range(1, 4)
        )
        buildings: dict[int, list[int]] = {}
        for pk, estate_id in Building.objects.values_list("pk", "estate_id"):
            buildings.setdefault(estate_id, []).append(pk)
        for i, street in enumerate(streets):
            user = User.objects.create_user(phone=f"1990000{i:04d}", password=None, name=f"物业{i}")
            RoleAssignment.objects.create(user=user, role=Role.PROPERTY_MANAGER, region=street)
        categories = list(WorkOrderCategory.objects.values_list("pk", "code", "hours"))
        made = WorkOrder.objects.bulk_create(
            _bench_order(rng, now, estate_rows, buildings, categories) for _ in range(orders)
        )
        events = [
            WorkOrderEvent(
                order=o, kind="submitted", to_status="submitted", party=o.party, at=o.created_at
            )
            for o in made
        ]
        events += [
            WorkOrderEvent(
                order=o,
                kind="resolve",
                from_status="in_progress",
                to_status="resolved",
                party=o.party,
                note="已处理",
                at=o.resolved_at,
            )
            for o in made
            if o.resolved_at is not None
        ]
        WorkOrderEvent.objects.bulk_create(events, batch_size=5_000)
    _key, raw = open311_key_create(name="基准12345热线", region=district)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # a live database has its statistics; a fresh load not
    recent = sorted(made, key=lambda o: o.created_at)[-500:]
    return {
        "key": raw,
        "points": [
            [float(lat or 0), float(lon or 0)] for _pk, lat, lon in rng.sample(estate_rows, 200)
        ],
        "ids": [o.pk for o in recent],
        "codes": [code for _pk, code, _hours in categories],
        "orders": len(made),
        "estates": len(estate_rows),
    }


def _bench_order(
    rng: random.Random,
    now: dt.datetime,
    estates: list[tuple[int, Any, Any]],
    buildings: dict[int, list[int]],
    categories: list[tuple[int, str, Decimal]],
) -> Any:
    """One work order of the last 60 days: about three in five open, the others resolved,
    confirmed or rejected; reported from phones, hotlines and Open311."""
    from xiaoqu.stewardship.models import WorkOrder

    estate_id = rng.choice(estates)[0]
    category_id, _code, hours = rng.choice(categories)
    created = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 60))
    status = rng.choices(
        ["submitted", "accepted", "dispatched", "in_progress", "resolved", "confirmed", "rejected"],
        weights=[15, 15, 15, 15, 15, 20, 5],
    )[0]
    closed = status in ("confirmed", "rejected")
    return WorkOrder(
        estate_id=estate_id,
        category_id=category_id,
        text="3楼楼道灯不亮",
        building_id=rng.choice(buildings[estate_id]),
        channel=rng.choice(["resident", "hotline", "open311"]),
        reporter_name="热线来电",
        status=status,
        party="manager",
        due_at=created + dt.timedelta(hours=float(hours)),
        reject_reason="不属于维修范围" if status == "rejected" else "",
        created_at=created,
        resolved_at=created + dt.timedelta(hours=4)
        if status in ("resolved", "confirmed")
        else None,
        closed_at=created + dt.timedelta(hours=30) if closed else None,
    )
