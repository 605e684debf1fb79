"""The load benchmark (``xiaoqu bench load``), tiny: its people, its mix under ``xiaoqu serve``,
its bounds, and how it chooses the worker count.

The live test builds a small world on the suite's own database (a file copy of it on SQLite,
whose test database lives in this process's memory), serves it with ``xiaoqu serve`` on
127.0.0.1 and runs locust for a few seconds: every kind of request of the mix must have been
asked and none may have failed; then a run with a request cap must stop at the cap long
before its time. Performance itself is measured by ``xiaoqu bench load``, never here.
"""

from __future__ import annotations

import json
import sqlite3
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from xiaoqu.bench.harness import child_env
from xiaoqu.bench.load import (
    ALL,
    LOCUST_SLACK,
    REQUEST_TYPES,
    Plan,
    Result,
    build_load_world,
    chosen,
    load_rows,
    load_runs,
)
from xiaoqu.registry.generator import generate_register


def _served_database(folder: Path) -> str:
    """The suite's database as another process opens it: on PostgreSQL the test database
    itself (a transactional test commits its rows); on SQLite a file copy of the in-memory
    test database."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
        return f"postgres://{db.get('USER') or 'postgres'}{password}@{host}:{port}/{db['NAME']}"
    connection.ensure_connection()
    copy = folder / "served.sqlite3"
    with sqlite3.connect(copy) as target:
        connection.connection.backup(target)
    return f"sqlite:///{copy}"


def _server_env(url: str, folder: Path) -> dict[str, str]:
    """Production settings on ``url``, with this process's secret key (the sessions were
    signed with it) and its cache (the Redis database of this test process, if any)."""
    env = child_env(
        url,
        XIAOQU_SECRET_KEY=settings.SECRET_KEY,
        XIAOQU_ALLOWED_HOSTS="127.0.0.1",
        XIAOQU_VAR_DIR=str(folder / "var"),
        XIAOQU_MEDIA_ROOT=str(folder / "media"),
    )
    cache = settings.CACHES["default"]
    if "redis" in cache["BACKEND"].lower():
        env["XIAOQU_REDIS_URL"] = cache["LOCATION"]
    else:
        env.pop("XIAOQU_REDIS_URL", None)
    return env


@pytest.mark.django_db(transaction=True)
def test_the_mix_asks_every_kind_of_request_without_error_and_each_run_stops_by_itself(
    tmp_path,
):
    """Given a small register with the benchmark's people and their stored sessions, when
    locust runs the mix for 20 s against ``xiaoqu serve`` (long enough for a cold server's
    first visit, which loads the classifier, on a busy machine), then every kind of request was
    asked, none failed and the run ended at its time; and a run capped at 60 requests ends
    at the cap, long before its 60 s."""
    generate_register(tmp_path / "register", estates=6, dwellings=300, seed=3)
    call_command("import", str(tmp_path / "register"), "--no-progress", stdout=StringIO())
    data = build_load_world(owners=100, residents=10, grids=2, staff=2)
    data_file = tmp_path / "load.json"
    data_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    env = _server_env(_served_database(tmp_path), tmp_path)
    deadline = time.monotonic() + 600
    mix = Plan(workers=(2,), users=(12,), seconds=20, warm_up=0, pause=0.2, p95_ms=1e9)

    [run] = load_runs(
        env=env,
        data_file=data_file,
        folder=tmp_path,
        plan=mix,
        deadline=deadline,
        background_worker=False,
    )

    kinds = run.kinds()
    assert set(REQUEST_TYPES) <= set(kinds), set(REQUEST_TYPES) - set(kinds)
    assert kinds[ALL]["errors"] == 0, run.report["error_samples"]
    assert run.report["stopped_by"] == "time"
    assert run.wall < mix.seconds + LOCUST_SLACK

    capped = Plan(workers=(1,), users=(6,), seconds=60, warm_up=0, pause=0, p95_ms=1e9, cap=60)
    [stopped] = load_runs(
        env=env,
        data_file=data_file,
        folder=tmp_path / "capped",
        plan=capped,
        deadline=deadline,
        background_worker=False,
        owner_start=int(run.report["owners_drawn"]),
    )

    assert stopped.report["stopped_by"] == "cap"
    assert capped.cap <= stopped.report["total"] <= capped.cap + 6
    assert stopped.wall < capped.seconds
    assert stopped.kinds()[ALL]["errors"] == 0, stopped.report["error_samples"]


def _result(workers: int, users: int, ms: float, errors: int = 0, n: int = 100) -> Result:
    """A finished run whose ``n`` requests each took ``ms`` over 10 s."""
    return Result(
        workers,
        users,
        report={
            "times": {"staff: to-do": [ms] * n},
            "errors": {"staff: to-do": errors} if errors else {},
            "error_samples": {},
            "total": n,
            "seconds": 10.0,
            "stopped_by": "time",
            "owners_drawn": 0,
        },
    )


def test_the_chosen_worker_count_has_the_best_sustained_throughput():
    """The busiest run within the bound and without errors is chosen; a faster run over the
    p95 bound or with an error is not, and of two equal runs the fewer workers win."""
    runs = [
        _result(1, 10, 100, n=100),
        _result(1, 20, 900, n=190),  # over the bound
        _result(2, 20, 200, n=180),
        _result(2, 40, 300, errors=1, n=350),  # an error
        _result(3, 20, 200, n=180),  # as fast as 2 workers
    ]

    best = chosen(runs, p95_ms=500)

    assert best is not None
    assert (best.workers, best.users) == (2, 20)


def test_no_level_sustained_is_said_and_nothing_is_chosen():
    """When every run failed the bound, the table says that no level was sustained."""
    runs = [_result(1, 10, 800), _result(2, 10, 100, errors=3)]

    rows = load_rows(runs, Plan(p95_ms=500))

    assert chosen(runs, p95_ms=500) is None
    assert rows[-1]["case"].startswith("no level sustained")


def test_runs_past_the_time_budget_are_skipped_without_starting_a_server(tmp_path):
    """With the deadline already past, every worker count is reported skipped, none run."""
    results = load_runs(
        env={},
        data_file=tmp_path / "none.json",
        folder=tmp_path,
        plan=Plan(workers=(1, 2), users=(5,)),
        deadline=time.monotonic(),
    )

    assert [(r.workers, r.skipped) for r in results] == [
        (1, "past the time budget"),
        (2, "past the time budget"),
    ]


def test_the_plan_is_read_from_the_environment():
    """Worker counts, levels and durations come from XIAOQU_BENCH_LOAD_*; the rest defaults."""
    plan = Plan.from_env(
        {
            "XIAOQU_BENCH_LOAD_WORKERS": "2,4",
            "XIAOQU_BENCH_LOAD_USERS": "5, 10",
            "XIAOQU_BENCH_LOAD_SECONDS": "12",
            "XIAOQU_BENCH_LOAD_P95_MS": "300",
        }
    )

    assert plan.workers == (2, 4)
    assert plan.users == (5, 10)
    assert plan.seconds == 12
    assert plan.p95_ms == 300.0
    assert plan.owners == Plan().owners
