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
  and a notice each, new deadlines; goal ≤ 10 s. Then the same sweep again at the same
  time, which must change nothing (idempotence), and the rows are counted.

Open311 under load joins this benchmark later.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import Scratch, child_env, measure_xiaoqu, run_in_child

SAMPLE = 200_000
BASELINE_SHARE = 10
SWEEP_ORDERS = 1_000_000
SWEEP_ESTATES = 1_000


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
    return _deadline_rows() + _sweep_rows(options.get("database"), SWEEP_ORDERS)


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
