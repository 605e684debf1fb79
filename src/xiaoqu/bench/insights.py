"""``xiaoqu bench insights``: the roll-ups on a province-sized database.

Workload: the Guizhou preset of the register generator (5,601 estates, 901,400 dwellings)
imported into a scratch database, plus synthetic data for every estate written with
``bulk_create``: a 2025 batch with a project per estate (items, funding, receipts, payments:
``bench renovation``'s world), about 20 opinions grouped into 6 demands (a third of them
addressed), a meeting, a closed vote with its published result, and 8 work orders. Then, in a
child process with production settings (DEBUG off):

* the full rebuild of the figures (``xiaoqu rollup --check --repair``), and the check that
  follows it (no differences);
* the province dashboard, a prefecture's and a street's: 5 warm-up requests, then 60 each
  through Django's test client as a housing-bureau user of the province, p50 and p95;
* four services timed with the figures' listener connected and disconnected (recording an
  opinion, accepting a work order, closing a vote, recording a receipt of a project's money;
  40 calls each, alternating): the difference is what keeping the figures current adds.

Baseline, same run: a plain ``COUNT(*)`` over the same rows — every row the rebuild reads
(dwellings, buildings, opinions, demands, meetings, votes, items, funding, ledger, orders), and
for each page the estates of its region.

Goals: each page's p95 ≤ 300 ms; the rebuild ≤ 60 s; ≤ 5 ms added to a service.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import Scratch, child_env, percentile, run_in_child, run_xiaoqu

REQUESTS = 60
WARM_UP = 5
SERVICE_CALLS = 40
OPINION_TEXTS = ("屋顶漏水", "楼道灯不亮", "想加装电梯", "下水道堵塞", "缺少停车位", "外墙脱落")


def build_needs_votes_orders(seed: int = 7) -> dict[str, int]:
    """Opinions, demands, a meeting, a closed and published vote, and work orders for every
    estate (bulk-created rows; the figures are rebuilt afterwards)."""
    from django.db import transaction
    from django.utils import timezone

    from xiaoqu.bench.stewardship import _bench_order
    from xiaoqu.decisions.models import Vote, VoteScope, VoteStatus
    from xiaoqu.meetings.models import Meeting
    from xiaoqu.needs.models import Demand, DemandStatus, Opinion
    from xiaoqu.registry.models import Building, Estate
    from xiaoqu.stewardship.models import WorkOrder, WorkOrderCategory
    from xiaoqu.stewardship.services.orders import categories_ensure

    rng = random.Random(seed)
    now = timezone.now()
    categories_ensure()
    categories = list(WorkOrderCategory.objects.values_list("pk", "code", "hours"))
    estates = list(Estate.objects.order_by("pk").values_list("pk", "households", "year_built"))
    buildings: dict[int, list[int]] = {}
    for pk, estate_id in Building.objects.values_list("pk", "estate_id"):
        buildings.setdefault(estate_id, []).append(pk)
    counts = {"opinions": 0, "demands": 0, "votes": 0, "orders": 0}
    with transaction.atomic():
        demands = Demand.objects.bulk_create(
            (
                Demand(
                    estate_id=pk,
                    category=category,
                    title=OPINION_TEXTS[i],
                    status=DemandStatus.PLANNED if i % 3 == 0 else DemandStatus.COLLECTED,
                )
                for pk, _h, _y in estates
                for i, category in enumerate(
                    ("roof_facade", "stairwell", "elevator", "drainage", "parking", "elderly_care")
                )
            ),
            batch_size=5_000,
        )
        counts["demands"] = len(demands)
        opinions = []
        for d in demands:
            for _ in range(rng.randint(1, 6)):
                opinions.append(
                    Opinion(
                        estate_id=d.estate_id,
                        channel="visit",
                        text=d.title,
                        heard_on=dt.date(2025, 3, 1),
                        category=d.category,
                        demand=d,
                    )
                )
        Opinion.objects.bulk_create(opinions, batch_size=5_000)
        counts["opinions"] = len(opinions)
        Meeting.objects.bulk_create(
            (
                Meeting(estate_id=pk, kind="courtyard", held_on=dt.date(2025, 3, 5), place="院坝")
                for pk, _h, _y in estates
            ),
            batch_size=5_000,
        )
        votes = []
        for pk, households, _y in estates:
            total = max(households, 1)
            voting = rng.randint(total // 2, total)
            votes.append(
                Vote(
                    estate_id=pk,
                    matter=7,
                    title="改造方案表决",
                    scope=VoteScope.ESTATE,
                    opens_at=now - dt.timedelta(days=40),
                    closes_at=now - dt.timedelta(days=26),
                    status=VoteStatus.CLOSED,
                    salt="bench",
                    opened_at=now - dt.timedelta(days=40),
                    closed_at=now - dt.timedelta(days=26),
                    result={
                        "passed": voting * 3 >= total * 2,
                        "total": {"owners": total, "area": "0"},
                        "participating": {"owners": voting, "area": "0"},
                        "matter": 7,
                    },
                    result_published_at=now - dt.timedelta(days=25),
                )
            )
        Vote.objects.bulk_create(votes, batch_size=5_000)
        counts["votes"] = len(votes)
        rows = [(pk, None, None) for pk, _h, _y in estates if pk in buildings]
        orders = WorkOrder.objects.bulk_create(
            (_bench_order(rng, now, rows, buildings, categories) for _ in range(8 * len(rows))),
            batch_size=5_000,
        )
        counts["orders"] = len(orders)
    return counts


def _baseline_rows() -> float:
    """Seconds of a plain COUNT(*) over every table the rebuild reads."""
    from xiaoqu.decisions.models import Vote
    from xiaoqu.meetings.models import Meeting
    from xiaoqu.needs.models import Demand, Opinion
    from xiaoqu.registry.models import Building, Dwelling
    from xiaoqu.renovation.models import ItemFunding, MoneyEntry, ProjectItem
    from xiaoqu.stewardship.models import WorkOrder

    start = time.perf_counter()
    for model in (
        Dwelling,
        Building,
        Opinion,
        Demand,
        Meeting,
        Vote,
        ProjectItem,
        ItemFunding,
        MoneyEntry,
        WorkOrder,
    ):
        model.objects.count()
    return time.perf_counter() - start


def _pages(client: Any, regions: list[tuple[str, Any]]) -> list[Row]:
    from django.urls import reverse

    from xiaoqu.registry.models import Estate

    rows: list[Row] = []
    for name, region in regions:
        url = reverse("insights:region", kwargs={"region_id": region.pk})
        for _ in range(WARM_UP):
            client.get(url)
        samples, base = [], []
        for _ in range(REQUESTS):
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            start = time.perf_counter()
            Estate.objects.filter(region_path__startswith=region.path).count()
            base.append((time.perf_counter() - start) * 1000)
        p95 = percentile(samples, 0.95)
        base95 = percentile(base, 0.95)
        rows.append(
            {
                "case": f"{name} dashboard",
                "estates": Estate.objects.filter(region_path__startswith=region.path).count(),
                "p50_ms": round(statistics.median(samples), 1),
                "p95_ms": round(p95, 1),
                "baseline_p95_ms": round(base95, 2),
                "vs_baseline": round(p95 / base95, 1) if base95 else None,
                "goal": "p95 ≤ 300 ms",
                "met": p95 <= 300,
            }
        )
    return rows


def _service_rows(actor: Any) -> list[Row]:
    """Each service timed with the figures' listener connected and without it."""
    from django.utils import timezone

    from xiaoqu.core import figures
    from xiaoqu.decisions import services as decisions
    from xiaoqu.insights import services
    from xiaoqu.needs import services as needs
    from xiaoqu.registry.models import Estate
    from xiaoqu.stewardship.models import WorkOrder
    from xiaoqu.stewardship.services import orders

    estates = list(Estate.objects.order_by("?")[: SERVICE_CALLS * 6])

    def opinion(i: int) -> None:
        needs.opinions_record(
            estate=estates[i],
            items=[needs.OpinionInput(text=OPINION_TEXTS[i % len(OPINION_TEXTS)] + "，请尽快处理")],
            channel="hotline",
            actor=actor,
        )

    submitted = list(
        WorkOrder.objects.filter(status="submitted").order_by("pk")[: SERVICE_CALLS * 2]
    )

    def accept(i: int) -> None:
        orders.order_accept(order=submitted[i], actor=actor)

    now = timezone.now()
    open_votes = []
    for e in estates[SERVICE_CALLS * 2 : SERVICE_CALLS * 4]:
        vote = decisions.vote_create(
            estate=e,
            matter=7,
            title="基准表决",
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(days=7),
            actor=actor,
        )
        open_votes.append(decisions.vote_open(vote=vote, actor=actor))

    def close(i: int) -> None:
        decisions.vote_close(vote=open_votes[i], actor=actor)

    from xiaoqu.renovation.models import Project
    from xiaoqu.renovation.services import money

    projects = list(Project.objects.order_by("?")[: SERVICE_CALLS * 2])

    def receipt(i: int) -> None:
        money.receipt_record(
            project=projects[i],
            source="central",
            amount="10000.00",
            on=timezone.localdate(),
            note="中央补助",
            document=None,
            actor=actor,
        )

    rows: list[Row] = []
    for name, call in (
        ("record an opinion", opinion),
        ("accept a work order", accept),
        ("close a vote", close),
        ("record a receipt of money", receipt),
    ):
        timings: dict[str, list[float]] = {"with": [], "without": []}
        for i in range(SERVICE_CALLS * 2):
            mode = "with" if i % 2 == 0 else "without"
            if mode == "without":
                figures.disconnect(services.refresh)
            try:
                start = time.perf_counter()
                call(i)
                timings[mode].append((time.perf_counter() - start) * 1000)
            finally:
                figures.connect(services.refresh)
        with_ms = statistics.median(timings["with"])
        without_ms = statistics.median(timings["without"])
        rows.append(
            {
                "case": f"{name}: figures kept current",
                "p50_ms": round(with_ms, 2),
                "baseline_p50_ms": round(without_ms, 2),
                "added_ms": round(with_ms - without_ms, 2),
                "goal": "≤ 5 ms added",
                "met": with_ms - without_ms <= 5,
            }
        )
    return rows


def _in_child() -> list[Row]:
    from django.db import connection
    from django.test import Client

    from xiaoqu.accounts.models import Role, RoleAssignment, User
    from xiaoqu.bench.renovation import build_report_world
    from xiaoqu.insights import services
    from xiaoqu.registry.models import Region, RegionLevel

    province = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("pk").first()
    if province is None:
        raise SystemExit("the database holds no province: load a register first")
    actor = User.objects.create_superuser(phone="19900000002", password=None, name="基准管理员")
    RoleAssignment.objects.create(user=actor, role=Role.ADMIN)
    made = build_report_world(province, actor)
    made.update(build_needs_votes_orders())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    baseline = _baseline_rows()
    started = time.perf_counter()
    services.rebuild()
    rebuild_s = time.perf_counter() - started
    check = services.check()
    rows: list[Row] = [
        {
            "case": "baseline: COUNT(*) over the rows the rebuild reads",
            "seconds": round(baseline, 2),
        },
        {
            "case": (
                f"full rebuild: {check.estates:,} estates, {made['opinions']:,} opinions, "
                f"{made['orders']:,} work orders, {made.get('items', 0):,} items"
            ),
            "seconds": round(rebuild_s, 2),
            "vs_baseline": round(rebuild_s / baseline, 1) if baseline else None,
            "goal": "≤ 60 s",
            "met": rebuild_s <= 60,
        },
        {
            "case": f"check after the rebuild: {len(check.differences)} differences",
            "seconds": round(check.seconds, 2),
            "met": not check.differences,
        },
    ]
    user = User.objects.create_user(phone="19900000003", password=None, name="基准住建")
    RoleAssignment.objects.create(user=user, role=Role.HOUSING_BUREAU, region=province)
    client = Client()
    client.force_login(user)
    city = province.children.order_by("pk").first()
    street = Region.objects.filter(path__startswith=province.path, level=RegionLevel.STREET)
    street = street.filter(path__startswith=city.path) if city is not None else street
    if city is None or street.first() is None:
        raise SystemExit("the province has no prefecture or street")
    pages = [("province", province), ("prefecture", city), ("street", street.first())]
    rows += _pages(client, pages)
    rows += _service_rows(actor)
    return rows


def run(options: dict[str, Any]) -> list[Row]:
    from xiaoqu.registry.generator import generate_register

    with Scratch(options.get("database"), "xiaoqu-bench-insights-") as scratch:
        register = scratch.folder / "guizhou"
        generate_register(register, estates=5601, dwellings=901_400, seed=1, preset="guizhou")
        url = scratch.database("insights")
        run_xiaoqu(url, "import", str(register))
        rows: list[Row] = run_in_child(_in_child, env=child_env(url))[0]
        engine = "PostgreSQL" if options.get("database") else "SQLite"
        for row in rows:
            row["database"] = engine
        return rows
