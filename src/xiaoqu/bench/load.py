"""``xiaoqu bench load``: a working day's mix under ``xiaoqu serve``, and how many workers.

Workload, on a scratch database (SQLite, or the PostgreSQL server given with ``--database``;
the cache in Redis when ``XIAOQU_REDIS_URL`` is set, as a deployment runs):

* a fifth of the Guizhou preset of the register generator (1,120 estates, 180,280 dwellings
  with their owners), with the activity of ``bench workbench`` for every estate (a project,
  opinions and demands, a meeting, a closed vote, work orders in every state, and what the
  to-do page lists: urgent opinions, open votes closing within the week, objections, ended
  consultations, late works);
* an estate of 4,000 dwellings, one owner each with a login, and an estate-wide vote opened
  through ``vote_open`` (its electorate frozen: 4,000 owners);
* 2,000 residents of the register's estates with a login; 40 grids over the largest estates
  (every building), each with a grid worker, and an active door-knocking campaign over them;
  20 staff (street staff of the 10 streets with the most estates, community staff of the 10
  largest communities); an Open311 key of the province;
* a session for every one of these people, stored beforehand as the login form would store
  it (``build_load_world``): the login form is throttled per address, and every simulated
  person comes from 127.0.0.1 (docs/security.md).

Then for each worker count W (1, 2, 3, 5): ``xiaoqu serve --workers W`` (gunicorn, with its
background worker) on 127.0.0.1, a 15 s warm-up (unmeasured, at five times the pace, so
that every worker has loaded its translations, the classifier, the calendar), and locust (``bench/load_mix.py``, headless, its
own process on the same two cores) at rising numbers of simulated people — 10, 20, 30, 40, 60 —
for 30 s each, each person waiting about a second between requests: residents opening their
feed, owners casting their ballot (each owner once), grid workers posting visits, staff on
the to-do workbench and the register's lists, Open311 clients reading and posting requests
(the mix is ``load_mix.py``'s docstring). A level is *sustained* when no request failed and
the p95 of all requests is at most 500 ms; the levels of one W stop rising at the first that
is not.

Rows: per W and level, requests a second, p50/p95/p99 of all requests, errors, server CPU a
request (gunicorn and the background worker; not the database's), the machine's CPU use and
locust's own; per W, every kind of request at its highest sustained level (or at its lowest
level when none was sustained) with its p50 at the lowest level beside it; the dataset; and
the choice: the W with the most requests a
second at a sustained level (the fewer workers on a tie).

Baseline, same run: each W's lowest level, where the server is least busy, is what each kind
of request costs with little contention; the levels above it show what queueing adds.

Goal: a sustained level with 0 errors, and the worker count chosen by that measurement
(docs/operations.md). Bounded: every locust run stops itself after its time and after a
request cap, and the whole benchmark skips what would end past its budget (15 min by
default, preparation included).

Options (environment): ``XIAOQU_BENCH_LOAD_WORKERS`` (``1,2,3,5``), ``_USERS`` (``10,20,30,40,60``),
``_SECONDS`` (30), ``_WARM_UP`` (15), ``_PAUSE`` (1.0 s), ``_P95_MS`` (500), ``_BUDGET`` (900 s),
``_ESTATES`` (1120), ``_DWELLINGS`` (180280), ``_OWNERS`` (4000; a multiple of 100).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import (
    ChildFailed,
    Scratch,
    percentile,
    run_in_child,
    run_xiaoqu,
    served,
    tree_cpu_seconds,
)

LOCUST_FILE = Path(__file__).with_name("load_mix.py")
# Every kind of request of the mix, by the name locust reports it under (load_mix.py).
REQUEST_TYPES = (
    "resident: home (feed)",
    "owner: ballot page",
    "owner: choose",
    "owner: cast ballot",
    "grid: visit form",
    "grid: post visit",
    "staff: to-do",
    "staff: estate list",
    "staff: estate page",
    "GET services.json",
    "GET requests.json",
    "POST requests.json",
)
ALL = "all requests"
# Seconds a run of locust may take beyond its run time (its start, its users' stop) before
# it is killed, and what starting a server and its workers may take.
LOCUST_SLACK = 60
SERVE_SECONDS = 20
# Seconds between a warm-up person's requests at most.
WARM_UP_PAUSE = 0.2


@dataclass(frozen=True)
class Plan:
    """What one run of the benchmark measures: the defaults of the module's docstring, each
    of them changed by its ``XIAOQU_BENCH_LOAD_*`` variable (``from_env``)."""

    workers: tuple[int, ...] = (1, 2, 3, 5)
    users: tuple[int, ...] = (10, 20, 30, 40, 60)
    seconds: int = 30
    warm_up: int = 15
    pause: float = 1.0
    p95_ms: float = 500.0
    budget: float = 900.0
    estates: int = 1120
    dwellings: int = 180_280
    owners: int = 4_000
    residents: int = 2_000
    grids: int = 40
    staff: int = 20
    # A run's request cap; 0: ``max_requests`` works it out.
    cap: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Plan:
        def get(name: str) -> str | None:
            return env.get(f"XIAOQU_BENCH_LOAD_{name}") or None

        def numbers(name: str) -> tuple[int, ...] | None:
            raw = get(name)
            return tuple(int(v) for v in raw.split(",") if v.strip()) if raw else None

        values: dict[str, Any] = {
            "workers": numbers("WORKERS"),
            "users": numbers("USERS"),
            **{
                key: int(raw)
                for key in ("seconds", "warm_up", "estates", "dwellings", "owners")
                if (raw := get(key.upper()))
            },
            **{
                key: float(raw)
                for key in ("pause", "p95_ms", "budget")
                if (raw := get(key.upper()))
            },
        }
        return cls(**{k: v for k, v in values.items() if v is not None})

    def max_requests(self, users: int, seconds: int, pause: float) -> int:
        """A run's request cap (``cap`` when set): well above what ``users`` people pausing
        ``pause`` seconds can ask in ``seconds`` (each asks at most one request per half
        pause), so it binds only when something is wrong — or when there is no pause."""
        if self.cap:
            return self.cap
        per_user_second = 2 / pause if pause > 0 else 200
        return max(100, math.ceil(users * seconds * per_user_second * 1.5))


# --- the dataset ------------------------------------------------------------------------------


def build_load_world(
    *,
    owners: int,
    residents: int,
    grids: int,
    staff: int,
    opinions: int = 200,
    seed: int = 14,
) -> dict[str, Any]:
    """On a database holding a register (Django set up): the activity of ``bench workbench``
    and the people of the mix, each with a stored session. Returns what ``load_mix.py``
    needs (JSON): session keys, the vote, grids and their dwellings, staff and their estates,
    the Open311 key and positions, opinions to say."""
    from django.conf import settings
    from django.db import connection

    from xiaoqu.bench.workbench import build_todo_world
    from xiaoqu.bench.workloads import synthetic_opinions
    from xiaoqu.registry.models import Region, RegionLevel
    from xiaoqu.stewardship.services.open311 import open311_key_create

    rng = random.Random(seed)
    actor, made = build_todo_world()
    resident_users = _residents(residents, rng)  # before the vote's owners are made
    vote_id, owner_users = _open_vote(owners, actor)
    _send_queued_messages()
    workers = _grid_workers(grids, actor, rng)
    members = _staff(staff)
    province = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("pk").first()
    _key, raw_key = open311_key_create(name="基准12345热线", region=province)
    open311 = _open311_data(rng)
    owner_keys = _sessions(owner_users)
    resident_keys = _sessions(resident_users)
    for row, key in zip(workers, _sessions([w.pop("user") for w in workers]), strict=True):
        row["session"] = key
    for row, key in zip(members, _sessions([m.pop("user") for m in members]), strict=True):
        row["session"] = key
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # a live database has its statistics; a fresh load not
    return {
        "made": made,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "vote": vote_id,
        "owners": [[key, vote_id] for key in owner_keys],
        "residents": resident_keys,
        "grid_workers": workers,
        "staff": members,
        "opinions": synthetic_opinions(opinions, seed=seed),
        "key": raw_key,
        **open311,
    }


def _open_vote(owners: int, actor: Any) -> tuple[int, list[Any]]:
    """An estate of ``owners`` dwellings (buildings of 100), one owner each with a login, and
    an estate-wide vote opened through ``vote_open``."""
    import datetime as dt

    from django.utils import timezone

    from xiaoqu.accounts.models import User
    from xiaoqu.bench.workloads import estate_with_dwellings
    from xiaoqu.decisions.services import votes
    from xiaoqu.registry.models import Dwelling, Ownership, Person

    estate = estate_with_dwellings("表决小区", "LOAD-VOTE", owners)
    dwellings = list(Dwelling.objects.filter(estate=estate).values_list("pk", flat=True))
    Person.objects.bulk_create(
        Person(name=f"业主{i}", phone=f"137{i:08d}", ref=f"LOAD-O-{i}")
        for i in range(len(dwellings))
    )
    people = list(Person.objects.filter(ref__startswith="LOAD-O-").order_by("pk"))
    Ownership.objects.bulk_create(
        Ownership(person=p, dwelling_id=d) for p, d in zip(people, dwellings, strict=True)
    )
    User.objects.bulk_create(
        User(phone=f"1360{i:07d}", name=p.name, person=p) for i, p in enumerate(people)
    )
    users = list(User.objects.filter(phone__startswith="1360").order_by("pk"))
    now = timezone.now()
    vote = votes.vote_create(
        estate=estate,
        matter=2,
        title="修改管理规约",
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(days=7),
        actor=actor,
    )
    votes.vote_open(vote=vote, actor=actor)
    return vote.pk, users


def _send_queued_messages() -> None:
    """Send what opening the vote queued (its notice to every owner) through the memory
    backends, so that each server starts with an empty queue rather than spending its
    first minute on thousands of messages."""
    from xiaoqu.notify.channels import MemorySmsBackend, MemoryWechatBackend
    from xiaoqu.notify.models import Channel
    from xiaoqu.notify.services import deliveries_send

    backends: dict[str, Any] = {
        Channel.SMS: MemorySmsBackend(),
        Channel.WECHAT: MemoryWechatBackend(),
    }
    while deliveries_send(limit=500, backends=backends)["more"]:
        pass
    MemorySmsBackend.outbox.clear()
    MemoryWechatBackend.outbox.clear()


def _residents(n: int, rng: random.Random) -> list[Any]:
    """``n`` owners of the register's dwellings, drawn at random, each given a login."""
    from xiaoqu.accounts.models import User
    from xiaoqu.registry.models import Person

    ids = sorted(set(Person.objects.filter(ownerships__isnull=False).values_list("pk", flat=True)))
    chosen = rng.sample(ids, min(n, len(ids)))
    User.objects.bulk_create(
        User(phone=f"1350{i:07d}", name=f"居民{i}", person_id=pk) for i, pk in enumerate(chosen)
    )
    return list(User.objects.filter(phone__startswith="1350").order_by("pk"))


def _grid_workers(n: int, actor: Any, rng: random.Random) -> list[dict[str, Any]]:
    """A grid over every building of each of the ``n`` largest estates of the register, its
    grid worker with a login, and one active door-knocking campaign over those estates."""
    import datetime as dt

    from django.utils import timezone

    from xiaoqu.accounts.models import User
    from xiaoqu.needs.services import campaign_create
    from xiaoqu.organization.services.grids import grid_create, grid_worker_assign
    from xiaoqu.registry.models import Building, Dwelling, Estate, Person

    estates = list(
        Estate.objects.exclude(code="LOAD-VOTE")
        .filter(buildings__isnull=False)
        .distinct()
        .order_by("-households", "pk")[:n]
    )
    rows: list[dict[str, Any]] = []
    for i, estate in enumerate(estates):
        grid = grid_create(
            code=f"LOAD{i:04d}",
            name=f"基准网格{i}",
            community=estate.community,
            buildings=Building.objects.filter(estate=estate),
            actor=actor,
        )
        person = Person.objects.create(name=f"网格员{i}", phone=f"1370000{i:04d}")
        user = User.objects.create_user(
            phone=f"1370000{i:04d}", password=None, name=person.name, person=person
        )
        grid_worker_assign(grid=grid, person=person, user=user, actor=actor)
        dwellings = list(Dwelling.objects.filter(estate=estate).values_list("pk", flat=True))
        rows.append(
            {
                "user": user,
                "estate": estate.pk,
                "dwellings": rng.sample(dwellings, min(len(dwellings), 500)),
            }
        )
    today = timezone.localdate()
    campaign = campaign_create(
        name="基准入户走访",
        estates=estates,
        starts_on=today - dt.timedelta(days=7),
        ends_on=today + dt.timedelta(days=30),
        actor=actor,
    )
    for row in rows:
        row["campaign"] = campaign.pk
    return rows


def _largest_regions(level: str, k: int) -> list[Any]:
    """The ``k`` regions of ``level`` (community or street) holding the most estates."""
    from django.db.models import Count

    from xiaoqu.registry.models import Estate, Region, RegionLevel

    depth = 0 if level == RegionLevel.COMMUNITY else 1
    counts: dict[str, int] = {}
    for path, n in (
        Estate.objects.order_by()
        .values("region_path")
        .annotate(n=Count("pk"))
        .values_list("region_path", "n")
    ):
        parts = path.rstrip("/").split("/")
        key = "/".join(parts[: len(parts) - depth]) + "/"
        counts[key] = counts.get(key, 0) + n
    top = sorted(counts, key=lambda p: (-counts[p], p))[:k]
    regions = {r.path: r for r in Region.objects.filter(path__in=top, level=level)}
    return [regions[p] for p in top if p in regions]


def _staff(n: int) -> list[dict[str, Any]]:
    """Street staff of the streets with the most estates and community staff of the largest
    communities (half each), with the estates of their scope."""
    from xiaoqu.accounts.models import Role, RoleAssignment, User
    from xiaoqu.registry.models import Estate, RegionLevel
    from xiaoqu.registry.views import ESTATES_PER_PAGE

    rows: list[dict[str, Any]] = []
    for role, level, k in (
        (Role.STREET_STAFF, RegionLevel.STREET, (n + 1) // 2),
        (Role.COMMUNITY_STAFF, RegionLevel.COMMUNITY, n // 2),
    ):
        for region in _largest_regions(level, k):
            user = User.objects.create_user(
                phone=f"1380000{len(rows):04d}", password=None, name=f"{region.name}工作人员"
            )
            RoleAssignment.objects.create(user=user, role=role, region=region)
            estates = list(
                Estate.objects.filter(region_path__startswith=region.path)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            rows.append(
                {
                    "user": user,
                    "estates": estates[:200],
                    "pages": max(1, math.ceil(len(estates) / ESTATES_PER_PAGE)),
                }
            )
    return rows


def _open311_data(rng: random.Random) -> dict[str, Any]:
    """What ``open311_load.py``'s clients need besides the key: estate positions, recent
    order ids, service codes."""
    from xiaoqu.registry.models import Estate
    from xiaoqu.stewardship.models import WorkOrder, WorkOrderCategory

    points = [
        [float(lat), float(lon)]
        for lat, lon in Estate.objects.values_list("latitude", "longitude")
        if lat is not None and lon is not None
    ]
    return {
        "points": rng.sample(points, min(len(points), 200)),
        "ids": list(WorkOrder.objects.order_by("-created_at").values_list("pk", flat=True)[:500]),
        "codes": list(WorkOrderCategory.objects.values_list("code", flat=True)),
    }


def _sessions(users: Sequence[Any]) -> list[str]:
    """A stored session for each user, as ``django.contrib.auth.login`` leaves it after the
    login form (the same three keys, through the configured session engine); the keys."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import transaction

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    backend = "xiaoqu.accounts.backends.PhonePasswordBackend"
    keys: list[str] = []
    with transaction.atomic():
        for user in users:
            store = store_class()
            store[SESSION_KEY] = user._meta.pk.value_to_string(user)
            store[BACKEND_SESSION_KEY] = backend
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            keys.append(store.session_key)
    return keys


# --- running the load -------------------------------------------------------------------------


@dataclass
class Result:
    """One run of locust against one server: who, how many, and what came back."""

    workers: int
    users: int
    report: dict[str, Any] = field(default_factory=dict)
    wall: float = 0.0
    server_cpu: float = 0.0
    locust_cpu: float = 0.0
    machine_cpu: float = 0.0
    load_before: float = 0.0
    skipped: str = ""

    def kinds(self) -> dict[str, dict[str, float]]:
        """Figures of each kind of request, and of all together under ``ALL``."""
        times: dict[str, list[float]] = self.report.get("times", {})
        errors: dict[str, int] = self.report.get("errors", {})
        seconds = max(float(self.report.get("seconds", 0)), 1e-9)
        out = {name: _figures(t, errors.get(name, 0), seconds) for name, t in times.items()}
        every = [ms for t in times.values() for ms in t]
        out[ALL] = _figures(every, sum(errors.values()), seconds)
        return out

    def sustained(self, p95_ms: float) -> bool:
        """No request failed and the p95 of all requests is at most ``p95_ms``. (Each kind's
        p95 is reported, not judged: at the lower levels some kinds have a handful of
        requests, whose p95 is their slowest.)"""
        if self.skipped or not self.report.get("total"):
            return False
        every = self.kinds()[ALL]
        return every["errors"] == 0 and every["p95"] <= p95_ms


def _figures(times: list[float], errors: int, seconds: float) -> dict[str, float]:
    if not times:
        return {"requests": 0, "errors": errors, "per_second": 0.0, "p50": 0, "p95": 0, "p99": 0}
    return {
        "requests": len(times),
        "errors": errors,
        "per_second": len(times) / seconds,
        "p50": percentile(times, 0.50),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
    }


def load_runs(
    *,
    env: Mapping[str, str],
    data_file: Path,
    folder: Path,
    plan: Plan,
    deadline: float,
    background_worker: bool = True,
    owner_start: int = 0,
) -> list[Result]:
    """For each worker count of ``plan``: serve, warm up, then run the mix at each level of
    users until one is not sustained. Runs that would end after ``deadline`` (a
    ``time.monotonic()`` value) are skipped and say so. The owners who vote are taken from
    ``owner_start`` on, each once across all runs."""
    results: list[Result] = []
    folder.mkdir(parents=True, exist_ok=True)
    for workers in plan.workers:
        needed = SERVE_SECONDS + plan.warm_up + plan.seconds + LOCUST_SLACK // 2
        if time.monotonic() + needed > deadline:
            results.append(Result(workers, plan.users[0], skipped="past the time budget"))
            continue
        log = folder / f"serve-{workers}.log"
        with served(env, workers=workers, background_worker=background_worker, log=log) as (
            base,
            pid,
        ):
            if plan.warm_up:
                # Faster than measured, so that every worker, whichever connections the
                # kernel hands it, has answered each kind of request (its first visit loads
                # the classifier, its first page the translations) before the measurement.
                warm = _locust(
                    base,
                    data_file,
                    folder / f"warm-{workers}",
                    plan,
                    plan.users[0],
                    plan.warm_up,
                    owner_start,
                    pause=min(plan.pause, WARM_UP_PAUSE),
                )
                owner_start += int(warm.get("owners_drawn", 0))
            for users in plan.users:
                if time.monotonic() + plan.seconds + LOCUST_SLACK // 2 > deadline:
                    results.append(Result(workers, users, skipped="past the time budget"))
                    break
                result = _measured(base, pid, data_file, folder, plan, workers, users, owner_start)
                owner_start += int(result.report.get("owners_drawn", 0))
                results.append(result)
                if not result.sustained(plan.p95_ms):
                    break
    return results


def _measured(
    base: str,
    pid: int,
    data_file: Path,
    folder: Path,
    plan: Plan,
    workers: int,
    users: int,
    owner_start: int,
) -> Result:
    """One measured run of locust, with the CPU the server, locust and the machine used."""
    import psutil

    load = os.getloadavg()[0]
    server_before = tree_cpu_seconds(pid)
    machine_before = psutil.cpu_times()
    locust_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    report = _locust(
        base, data_file, folder / f"load-{workers}-{users}", plan, users, plan.seconds, owner_start
    )
    wall = time.monotonic() - started
    locust_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine_after = psutil.cpu_times()
    total = sum(machine_after) - sum(machine_before)
    idle = (machine_after.idle + machine_after.iowait) - (
        machine_before.idle + machine_before.iowait
    )
    return Result(
        workers,
        users,
        report=report,
        wall=wall,
        server_cpu=tree_cpu_seconds(pid) - server_before,
        locust_cpu=(locust_after.ru_utime + locust_after.ru_stime)
        - (locust_before.ru_utime + locust_before.ru_stime),
        machine_cpu=(total - idle) / total if total > 0 else 0.0,
        load_before=load,
    )


def _locust(
    base: str,
    data_file: Path,
    prefix: Path,
    plan: Plan,
    users: int,
    seconds: int,
    owner_start: int,
    pause: float | None = None,
) -> dict[str, Any]:
    """Run the mix headless against ``base``: ``users`` people for ``seconds`` pausing
    ``pause`` (default the plan's), at most ``plan.max_requests`` requests; the report
    ``load_mix.py`` wrote."""
    report_file = prefix.with_suffix(".json")
    pause = plan.pause if pause is None else pause
    env = {
        **os.environ,
        "XIAOQU_LOAD_DATA": str(data_file),
        "XIAOQU_O311_DATA": str(data_file),
        "XIAOQU_LOAD_PAUSE": str(pause),
        "XIAOQU_LOAD_MAX_REQUESTS": str(plan.max_requests(users, seconds, pause)),
        "XIAOQU_LOAD_OWNER_START": str(owner_start),
        "XIAOQU_LOAD_REPORT": str(report_file),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUST_FILE),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--host",
            base,
            "--only-summary",
            "--loglevel",
            "ERROR",
            # Errors are counted in the report, not told by the exit code.
            "--exit-code-on-error",
            "0",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=seconds + LOCUST_SLACK,
    )
    if done.returncode or not report_file.exists():
        tail = "\n".join((done.stderr or "").strip().splitlines()[-20:])
        raise ChildFailed(f"locust exited with {done.returncode} and no report\n{tail}")
    report: dict[str, Any] = json.loads(report_file.read_text(encoding="utf-8"))
    return report


# --- the table --------------------------------------------------------------------------------


def chosen(results: Sequence[Result], p95_ms: float) -> Result | None:
    """The run with the most requests a second among the sustained ones (fewer workers on a
    tie), or None when no level was sustained."""
    best: Result | None = None
    for result in results:
        if not result.sustained(p95_ms):
            continue
        rate = result.kinds()[ALL]["per_second"]
        if best is None or rate > best.kinds()[ALL]["per_second"] + 1e-9:
            best = result
    return best


def load_rows(results: Sequence[Result], plan: Plan) -> list[Row]:
    """The benchmark's table: each run, then each kind of request at each W's best level,
    then the choice."""
    rows: list[Row] = []
    for workers in dict.fromkeys(r.workers for r in results):
        runs = [r for r in results if r.workers == workers]
        for result in runs:
            rows.append(_run_row(result, plan))
        done = [r for r in runs if not r.skipped]
        if not done:
            continue
        sustained = [r for r in done if r.sustained(plan.p95_ms)]
        shown = sustained[-1] if sustained else done[0]
        lowest = done[0].kinds()
        for name, k in sorted(shown.kinds().items(), key=lambda item: _order(item[0])):
            if name == ALL:
                continue
            row: Row = {
                "workers": workers,
                "users": shown.users,
                "case": f"  {name}",
                "requests": int(k["requests"]),
                "per second": round(k["per_second"], 1),
                "p50 ms": round(k["p50"]),
                "p95 ms": round(k["p95"]),
                "p99 ms": round(k["p99"]),
                "errors": int(k["errors"]),
            }
            if name in lowest and shown is not done[0]:
                row[f"p50 ms at {done[0].users}"] = round(lowest[name]["p50"])
            samples = shown.report.get("error_samples", {}).get(name)
            if samples:
                row["first error"] = samples[0][:120]
            rows.append(row)
    best = chosen(results, plan.p95_ms)
    if best is None:
        rows.append({"case": f"no level sustained (p95 ≤ {plan.p95_ms:.0f} ms, 0 errors)"})
    else:
        k = best.kinds()[ALL]
        rows.append(
            {
                "workers": best.workers,
                "users": best.users,
                "case": f"chosen: {best.workers} workers, sustained {best.users} people",
                "per second": round(k["per_second"], 1),
                "p50 ms": round(k["p50"]),
                "p95 ms": round(k["p95"]),
                "p99 ms": round(k["p99"]),
                "errors": int(k["errors"]),
                "target": f"p95 ≤ {plan.p95_ms:.0f} ms, 0 errors",
            }
        )
    return rows


def _order(name: str) -> int:
    return REQUEST_TYPES.index(name) if name in REQUEST_TYPES else len(REQUEST_TYPES)


def _run_row(result: Result, plan: Plan) -> Row:
    if result.skipped:
        return {"workers": result.workers, "users": result.users, "case": result.skipped}
    k = result.kinds()[ALL]
    total = max(int(k["requests"]), 1)
    seconds = max(float(result.report.get("seconds", 0)), 1e-9)
    return {
        "workers": result.workers,
        "users": result.users,
        "case": ALL,
        "requests": int(k["requests"]),
        "per second": round(k["per_second"], 1),
        "p50 ms": round(k["p50"]),
        "p95 ms": round(k["p95"]),
        "p99 ms": round(k["p99"]),
        "errors": int(k["errors"]),
        "server CPU ms/request": round(result.server_cpu * 1000 / total, 1),
        "machine CPU %": round(result.machine_cpu * 100),
        "locust CPU %": round(result.locust_cpu / seconds * 100),
        "load avg before": round(result.load_before, 2),
        "stopped by": result.report.get("stopped_by", ""),
        "sustained": "yes" if result.sustained(plan.p95_ms) else "no",
    }


# --- the benchmark ----------------------------------------------------------------------------


def run(options: dict[str, Any]) -> list[Row]:
    if importlib.util.find_spec("locust") is None:
        return [{"case": "skipped: locust is not installed (pip install -e '.[test]')"}]
    from xiaoqu.registry.generator import generate_register

    plan = Plan.from_env()
    started = time.monotonic()
    deadline = started + plan.budget
    with Scratch(options.get("database"), "xiaoqu-bench-load-") as scratch:
        register = scratch.folder / "register"
        generate_register(
            register, estates=plan.estates, dwellings=plan.dwellings, seed=1, preset="guizhou"
        )
        url = scratch.database("load")
        run_xiaoqu(url, "import", str(register))
        env = scratch.env(url)
        data, _usage = run_in_child(
            build_load_world,
            env=env,
            owners=plan.owners,
            residents=plan.residents,
            grids=plan.grids,
            staff=plan.staff,
        )
        data_file = scratch.folder / "load.json"
        data_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        prepared = time.monotonic() - started
        serve_env = {
            **env,
            "XIAOQU_ALLOWED_HOSTS": "127.0.0.1",
            "XIAOQU_VAR_DIR": str(scratch.folder / "var"),
        }
        results = load_runs(
            env=serve_env, data_file=data_file, folder=scratch.folder, plan=plan, deadline=deadline
        )
    cache = "Redis" if os.environ.get("XIAOQU_REDIS_URL") else "in-process cache"
    dataset: Row = {
        "case": f"dataset ({scratch.engine}, {cache}): {plan.estates:,} estates, "
        f"{plan.dwellings:,} dwellings, a vote of {plan.owners:,} owners, "
        f"{len(data['residents']):,} residents, {len(data['grid_workers'])} grid workers, "
        f"{len(data['staff'])} staff",
        "prepared in s": round(prepared),
        "total s": round(time.monotonic() - started),
    }
    return [dataset, *load_rows(results, plan)]
