"""``xiaoqu bench replica`` at its smallest: pages timed from the primary and the replica, and
the replica's lag, on a primary and a streaming replica of the test's own (PostgreSQL)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.faults.pgcluster import Cluster, bindir, copy_suite_schema
from xiaoqu.bench.harness import child_env, run_in_child, run_xiaoqu
from xiaoqu.bench.replica import compare, measure_lag, reads_in_child, run


def test_the_replica_benchmark_says_it_needs_postgresql():
    assert run({"database": None}) == [
        {"case": "skipped: needs PostgreSQL (--database postgres://…)"}
    ]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_replica_benchmark_times_pages_on_both_servers_and_measures_the_lag(tmp_path):
    from xiaoqu.registry.generator import generate_register

    if bindir() is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    primary = Cluster(Path(tempfile.mkdtemp(prefix="xiaoqu-pg-primary-"))).init()
    standby = None
    try:
        primary.start()
        copy_suite_schema(primary)
        url = primary.url("xiaoqu")
        generate_register(tmp_path / "reg", estates=4, dwellings=120, seed=3, preset="guizhou")
        run_xiaoqu(url, "import", str(tmp_path / "reg"))
        standby = primary.replica(Path(tempfile.mkdtemp(prefix="xiaoqu-pg-replica-")))
        standby.start()
        env = child_env(
            url,
            XIAOQU_MEDIA_ROOT=str(tmp_path / "media"),
            XIAOQU_REPLICA_URL=standby.url("xiaoqu"),
            XIAOQU_REPLICA_PIN_SECONDS="3600",
        )
        rows = compare(run_in_child(reads_in_child, env=env, requests=2, warm_up=1)[0])
        idle = measure_lag(url, standby.url("xiaoqu"), samples=3)
        busy = measure_lag(url, standby.url("xiaoqu"), samples=3, busy=True)
    finally:
        if standby is not None:
            standby.remove()
        primary.remove()

    assert {r["case"] for r in rows} == {"register summary (概况)", "estate page (random estate)"}
    wrote = [r for r in rows if r["reads from"] == "primary (client that wrote)"]
    read = [r for r in rows if r["reads from"] == "replica"]
    assert len(wrote) == len(read) == 2
    assert all(r["reads_replica"] == 0 and r["reads_primary"] > 0 for r in wrote)
    assert all(r["reads_replica"] > 0 and r["reads_primary"] == 0 for r in read)
    assert all(r["p95_ms"] >= r["p50_ms"] > 0 and "vs_primary" in r for r in read)
    assert idle["samples"] == 3 and idle["p95_ms"] >= idle["p50_ms"] > 0
    assert busy["load_rows_per_s"] > 0
