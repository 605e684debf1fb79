"""``xiaoqu bench workbench``: the staff to-do workbench on a province-sized database.

Workload: the Guizhou preset of the register generator (5,601 estates, 901,400 dwellings)
imported into a scratch database, with the synthetic activity of ``bench insights`` for every
estate (a project with four items, about 20 opinions in 6 demands, a meeting whose minutes
are not published, a closed and published vote, 8 work orders in every state) and, on top, what
the to-do page lists (``build_todo_activity``): a seventh of the opinions urgent, a tenth of
the estates with an open vote closing within the week (its electorate and half of it voted),
one in twenty with an objection in its objection period, a tenth with a plan whose
consultation has ended, a quarter of the items of the works under way past their planned
finish. Then, in a child process with production settings (DEBUG off), a street-staff user
of the street with the most estates opens the to-do page (``daily:todo``) and, the baseline,
the register's workbench (``registry:workbench``, 概况) of the same scope: 5 warm-up requests,
then 200 each through Django's test client, alternating; p50, p95, the slowest request, the
median CPU time of a request (steadier than wall time on a busy machine) and the queries of
one request. For scale, the same role over the county with the most estates
opens the to-do page too (reported, no goal).

Goal: the to-do page's p95 ≤ 150 ms for the street-level user.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import Scratch, child_env, percentile, run_in_child, run_xiaoqu

REQUESTS = 200
WARM_UP = 5
GOAL_MS = 150.0


def build_todo_activity(actor: Any, seed: int = 13) -> dict[str, int]:
    """What the to-do page lists, on top of ``bench.insights.build_needs_votes_orders`` (bulk
    rows; ballots and objections are plain rows, no hash chain is checked here)."""
    from django.db import transaction
    from django.utils import timezone

    from xiaoqu.decisions.models import (
        Ballot,
        Elector,
        Objection,
        Plan,
        PlanStatus,
        Vote,
        VoteScope,
        VoteStatus,
    )
    from xiaoqu.needs.models import Opinion
    from xiaoqu.registry.models import Estate
    from xiaoqu.renovation.models import ProjectItem, ProjectStage

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    estates = list(Estate.objects.order_by("pk").values_list("pk", "households"))
    made = {"open_votes": 0, "objections": 0, "ended_plans": 0}
    with transaction.atomic():
        made["urgent_opinions"] = _every(Opinion.objects.all(), 7).update(urgent=True)
        works = ProjectItem.objects.filter(project__stage=ProjectStage.WORKS, percent__lt=100)
        made["late_items"] = _every(works, 4).update(
            planned_start=today - dt.timedelta(days=90),
            planned_finish=today - dt.timedelta(days=5),
        )
        voting = [e for e in estates if rng.random() < 0.10]
        votes = Vote.objects.bulk_create(
            Vote(
                estate_id=pk,
                matter=rng.choice([4, 5, 7, 8]),
                title="基准表决",
                scope=VoteScope.ESTATE,
                opens_at=now - dt.timedelta(days=10),
                closes_at=now + dt.timedelta(hours=rng.randint(6, 24 * 7)),
                status=VoteStatus.OPEN,
                salt="bench",
                opened_at=now - dt.timedelta(days=10),
            )
            for pk, _households in voting
        )
        made["open_votes"] = len(votes)
        for vote, (_pk, households) in zip(votes, voting, strict=True):
            _electorate(vote, min(max(households, 4), 300), actor, rng, Elector, Ballot)
        objected = list(
            _every(Vote.objects.filter(status=VoteStatus.CLOSED, title="改造方案表决"), 20)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Vote.objects.filter(pk__in=objected).update(objection_until=now + dt.timedelta(days=3))
        electors = Elector.objects.bulk_create(
            Elector(
                vote_id=pk,
                owner_key="objector",
                pseudonym="objector",
                area=80,
                area_hundredths=8_000,
                units=1,
            )
            for pk in objected
        )
        Objection.objects.bulk_create(
            Objection(vote_id=e.vote_id, elector=e, raised_by=actor, text="公示期太短")
            for e in electors
        )
        made["objections"] = len(electors)
        plans = Plan.objects.bulk_create(
            Plan(
                estate_id=pk,
                version=2000,
                title="改造方案（征求意见稿）",
                status=PlanStatus.CONSULTATION,
                consultation_starts=today - dt.timedelta(days=20),
                consultation_ends=today - dt.timedelta(days=rng.randint(1, 6)),
            )
            for pk, _households in estates
            if rng.random() < 0.10
        )
        made["ended_plans"] = len(plans)
    return made


def _every(rows: Any, n: int) -> Any:
    """The rows whose primary key is a multiple of ``n`` (one in ``n``, spread evenly)."""
    from django.db.models import F
    from django.db.models.functions import Mod

    return rows.alias(todo_mod=Mod(F("pk"), n)).filter(todo_mod=0)


def _electorate(
    vote: Any, owners: int, actor: Any, rng: random.Random, elector: Any, ballot: Any
) -> None:
    rows = elector.objects.bulk_create(
        elector(
            vote=vote,
            owner_key=f"o{i}",
            pseudonym=f"p{i}",
            area=80,
            area_hundredths=8_000 + i % 7 * 100,
            units=1,
        )
        for i in range(owners)
    )
    cast = [e for e in rows if rng.random() < 0.5]
    ballot.objects.bulk_create(
        ballot(
            vote=vote,
            elector=e,
            seq=n,
            choice="agree",
            channel="paper",
            cast_at=vote.opens_at,
            cast_by=actor,
            nonce=f"n{n}",
            prev_hash="0" * 64,
            hash=f"{n:064d}",
            receipt=f"R{n:09d}",
        )
        for n, e in enumerate(cast, start=1)
    )


def _largest(level: str) -> Any:
    """The region of ``level`` holding the most estates."""
    from django.db.models import Count

    from xiaoqu.registry.models import Estate, Region

    depth = {"street": 1, "district": 2}[level]
    counts: dict[str, int] = {}
    for path, n in (
        Estate.objects.order_by()
        .values("community__path")
        .annotate(n=Count("pk"))
        .values_list("community__path", "n")
    ):
        key = "/".join(path.rstrip("/").split("/")[:-depth]) + "/"
        counts[key] = counts.get(key, 0) + n
    path = max(counts, key=lambda p: (counts[p], p))
    return Region.objects.get(path=path)


def _user(phone: str, region: Any) -> Any:
    from xiaoqu.accounts.models import Role, RoleAssignment, User

    user, _ = User.objects.get_or_create(phone=phone, defaults={"name": "基准街道"})
    RoleAssignment.objects.get_or_create(user=user, role=Role.STREET_STAFF, region=region)
    return user


def _sample(client: Any, url: str) -> tuple[float, float]:
    """Wall and CPU milliseconds of one request (the CPU time is this process's: on SQLite
    the database's work too, on PostgreSQL not the server's)."""
    start, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    took = (time.perf_counter() - start) * 1000
    cpu_ms = (time.process_time() - cpu) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return took, cpu_ms


def _queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def _lines(user: Any) -> tuple[int, int]:
    from xiaoqu.daily.todo import todo_groups

    groups = todo_groups(user)
    return len(groups), sum(g.total for g in groups)


def build_todo_world() -> tuple[Any, dict[str, int]]:
    """On a database holding a register: an administrator (the actor of what follows), the
    activity of ``bench insights`` for every estate and what the to-do page lists on top
    (``build_todo_activity``). Returns the administrator and the counts of what was made."""
    from xiaoqu.accounts.models import Role, RoleAssignment, User
    from xiaoqu.bench.insights import build_needs_votes_orders
    from xiaoqu.bench.renovation import build_report_world
    from xiaoqu.registry.models import Region, RegionLevel

    province = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("pk").first()
    if province is None:
        raise SystemExit("the database holds no province: load a register first")
    actor = User.objects.create_superuser(phone="19900000004", password=None, name="基准")
    RoleAssignment.objects.create(user=actor, role=Role.ADMIN)
    made = build_report_world(province, actor)
    made |= build_needs_votes_orders()
    made |= build_todo_activity(actor)
    return actor, made


def measure_todo(*, requests: int = REQUESTS, build: bool = True) -> list[Row]:
    """In a process with Django set up on a database holding a register: build the activity
    (``build``), then time the to-do page against the register's workbench."""
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from xiaoqu.accounts.models import User
    from xiaoqu.registry.models import Estate

    made: dict[str, int] = {}
    if build:
        made = build_todo_world()[1]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    street, county = _largest("street"), _largest("district")
    todo_url, summary_url = reverse("daily:todo"), reverse("registry:workbench")
    rows: list[Row] = [{"case": "activity built", **made}] if made else []
    for name, region, timed in (
        ("street", street, requests),
        ("county", county, max(requests // 4, 1)),
    ):
        user = _user(f"1990000010{len(rows)}", region)
        client = Client()
        client.force_login(user)
        for _ in range(WARM_UP):
            client.get(todo_url)
            client.get(summary_url)
        todo_ms: list[float] = []
        base_ms: list[float] = []
        todo_cpu: list[float] = []
        base_cpu: list[float] = []
        for _ in range(timed):
            wall, cpu = _sample(client, todo_url)
            todo_ms.append(wall)
            todo_cpu.append(cpu)
            wall, cpu = _sample(client, summary_url)
            base_ms.append(wall)
            base_cpu.append(cpu)
        groups, lines = _lines(User.objects.get(pk=user.pk))
        estates = Estate.objects.filter(region_path__startswith=region.path).count()
        base95 = percentile(base_ms, 0.95)
        p95 = percentile(todo_ms, 0.95)
        rows.append(
            {
                "case": f"baseline: register workbench (概况), {name} staff",
                "estates": estates,
                "requests": timed,
                "p50_ms": round(statistics.median(base_ms), 1),
                "p95_ms": round(base95, 1),
                "max_ms": round(max(base_ms), 1),
                "cpu_p50_ms": round(statistics.median(base_cpu), 1),
                "queries": _queries(client, summary_url),
            }
        )
        rows.append(
            {
                "case": f"to-do page, {name} staff ({region.name})",
                "estates": estates,
                "requests": timed,
                "kinds": groups,
                "lines": lines,
                "p50_ms": round(statistics.median(todo_ms), 1),
                "p95_ms": round(p95, 1),
                "max_ms": round(max(todo_ms), 1),
                "cpu_p50_ms": round(statistics.median(todo_cpu), 1),
                "queries": _queries(client, todo_url),
                "vs_baseline": round(p95 / base95, 1) if base95 else None,
                "goal": f"p95 ≤ {GOAL_MS:.0f} ms" if name == "street" else "",
                "met": p95 <= GOAL_MS if name == "street" else None,
            }
        )
    return rows


def _in_child(requests: int) -> list[Row]:
    return measure_todo(requests=requests)


def run(options: dict[str, Any]) -> list[Row]:
    from xiaoqu.registry.generator import generate_register

    with Scratch(options.get("database"), "xiaoqu-bench-workbench-") as scratch:
        register = scratch.folder / "guizhou"
        generate_register(register, estates=5601, dwellings=901_400, seed=1, preset="guizhou")
        url = scratch.database("workbench")
        run_xiaoqu(url, "import", str(register))
        rows: list[Row] = run_in_child(_in_child, env=child_env(url), requests=REQUESTS)[0]
        engine = "PostgreSQL" if options.get("database") else "SQLite"
        for row in rows:
            row["database"] = engine
        return rows
