"""``xiaoqu bench needs-record``: recording door-knocking visits in the platform.

Workload, in a child process with production settings on a fresh database (SQLite unless
``--database`` names a PostgreSQL server): one estate of 1,000 dwellings; 2,000 visits, each
with one colloquial opinion, recorded one by one through ``visit_record`` — validation,
classification, placing the opinion into the estate's demands (which merges it with the
placed opinions of its category), audit row, one transaction each — as a grid worker's phone
sends them. Then publishing the estate's demand list.

Baseline, same run: the same visits and opinions written with plain ``objects.create`` (no
validation, classification or merging) into another estate; ``vs baseline`` is the
baseline's time over ``visit_record``'s.

Latency is reported for the first and the last 200 visits, so the cost of merging against an
estate that already holds 1,800 opinions shows; and the child's peak RSS.
"""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import Scratch, percentile, run_in_child
from xiaoqu.bench.workloads import estate_with_dwellings, synthetic_opinions

VISITS = 2_000
DWELLINGS = 1_000
SLICE = 200


def _in_child() -> dict[str, Any]:
    """Runs in the child process (Django set up on a migrated database)."""
    from django.utils import timezone

    from xiaoqu.accounts.models import Role, RoleAssignment, User
    from xiaoqu.needs import classifier as clf
    from xiaoqu.needs import services
    from xiaoqu.needs.models import Channel, Opinion, Visit

    clf.set_default(clf.load() or clf.train_shipped())
    estate = estate_with_dwellings("东风小区", "BENCH-1", DWELLINGS)
    raw_estate = estate_with_dwellings("基线小区", "BENCH-0", DWELLINGS)
    worker = User.objects.create_user(phone="13900000001", password=None, name="网格员")
    RoleAssignment.objects.create(user=worker, role=Role.GRID_WORKER, estate=estate)
    texts = synthetic_opinions(VISITS, seed=7)
    dwellings = list(estate.dwellings.order_by("pk"))
    raw_dwellings = list(raw_estate.dwellings.order_by("pk"))
    clf.classify(texts[:10])  # load the model and jieba before timing

    started = time.perf_counter()
    for i, text in enumerate(texts):
        visit = Visit.objects.create(
            estate=raw_estate,
            dwelling=raw_dwellings[i % DWELLINGS],
            visitor=worker,
            visited_at=timezone.now(),
            outcome="met",
            people_met=1,
        )
        Opinion.objects.create(
            estate=raw_estate,
            dwelling=visit.dwelling,
            channel=Channel.VISIT,
            visit=visit,
            text=text,
            heard_on=timezone.localdate(),
            category="roads",
        )
    raw_s = time.perf_counter() - started

    samples = []
    started = time.perf_counter()
    for i, text in enumerate(texts):
        t0 = time.perf_counter()
        services.visit_record(
            client_key=uuid.uuid4(),
            dwelling=dwellings[i % DWELLINGS],
            visitor=worker,
            visited_at=timezone.now(),
            outcome="met",
            opinions=[services.OpinionInput(text=text)],
        )
        samples.append(time.perf_counter() - t0)
    record_s = time.perf_counter() - started

    admin = User.objects.create_superuser(phone="13900000002", password=None, name="管理员")
    started = time.perf_counter()
    published = services.demand_list_publish(estate=estate, actor=admin)
    publish_s = time.perf_counter() - started
    first, last = samples[:SLICE], samples[-SLICE:]
    return {
        "raw_s": raw_s,
        "record_s": record_s,
        "first_p50_ms": statistics.median(first) * 1000,
        "first_p95_ms": percentile(first, 0.95) * 1000,
        "last_p50_ms": statistics.median(last) * 1000,
        "last_p95_ms": percentile(last, 0.95) * 1000,
        "demands": published.items.count(),
        "publish_s": publish_s,
    }


def run(options: dict[str, Any]) -> list[Row]:
    with Scratch(options.get("database"), "xiaoqu-bench-needs-") as scratch:
        url = scratch.database("needs_record")
        r, usage = run_in_child(_in_child, env=scratch.env(url))
    return [
        {
            "step": "baseline: plain inserts",
            "visits": VISITS,
            "seconds": r["raw_s"],
            "per second": round(VISITS / r["raw_s"]),
        },
        {
            "step": "visit_record (validate, classify, merge, audit)",
            "visits": VISITS,
            "seconds": r["record_s"],
            "per second": round(VISITS / r["record_s"]),
            "vs baseline": round(r["raw_s"] / r["record_s"], 2),
        },
        {
            "step": f"first {SLICE} visits",
            "p50 ms": round(r["first_p50_ms"], 1),
            "p95 ms": round(r["first_p95_ms"], 1),
        },
        {
            "step": f"last {SLICE} visits (estate holds {VISITS - SLICE:,} opinions)",
            "p50 ms": round(r["last_p50_ms"], 1),
            "p95 ms": round(r["last_p95_ms"], 1),
        },
        {
            "step": "publish demand list",
            "demands": r["demands"],
            "seconds": r["publish_s"],
            "peak RSS MB": round(usage.peak_rss_mb),
        },
    ]
