"""Benchmark of recording door-knocking visits in the platform (``xiaoqu bench needs-record``).

In a child process on a fresh SQLite database (production settings): one estate of 1,000
dwellings; 2,000 visits, each with one colloquial opinion, recorded one by one through
``visit_record`` — validation, classification, placing the opinion into the estate's demands
(which merges it with the placed opinions of its category), audit row, one transaction each —
as a grid worker's phone sends them. Baseline in the same run: the same visits and opinions
written with plain ``objects.create`` (no validation, classification or merging) into another
estate. Then publishing the estate's demand list.

Latency is reported for the first and the last 200 visits, so the cost of merging against an
estate that already holds 1,800 opinions shows.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

VISITS = 2_000
DWELLINGS = 1_000
SLICE = 200


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _estate(name: str, code: str, dwellings: int = DWELLINGS) -> Any:
    from xiaoqu.registry.models import Building, Dwelling, Entrance, Estate, Region

    parent = None
    for level, region_name in zip(
        ("province", "city", "district", "street", "community"),
        ("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"),
        strict=True,
    ):
        parent, _ = Region.objects.get_or_create(
            parent=parent, name=region_name, defaults={"level": level}
        )
    assert parent is not None
    estate = Estate.objects.create(code=code, name=name, community=parent, year_built=1995)
    per_building = 100
    for b in range(dwellings // per_building):
        building = Building.objects.create(estate=estate, number=str(b + 1), storeys=6)
        entrance = Entrance.objects.create(building=building, number="1")
        Dwelling.objects.bulk_create(
            Dwelling(
                entrance=entrance,
                building=building,
                estate=estate,
                number=f"{i // 4 + 1}{i % 4 + 1:02d}",
                floor=i // 4 + 1,
                area=80,
            )
            for i in range(per_building)
        )
    estate.households = dwellings
    estate.save()
    return estate


def _measure() -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from xiaoqu.accounts.models import RoleAssignment, User
    from xiaoqu.needs import classifier as clf
    from xiaoqu.needs import services
    from xiaoqu.needs.benchmarks import synthetic
    from xiaoqu.needs.models import Channel, Opinion, Visit

    call_command("migrate", verbosity=0)
    clf.set_default(clf.load() or clf.train_shipped())
    estate = _estate("东风小区", "BENCH-1")
    raw_estate = _estate("基线小区", "BENCH-0")
    worker = User.objects.create_user(phone="13900000001", password=None, name="网格员")
    RoleAssignment.objects.create(user=worker, role="grid_worker", estate=estate)
    texts = synthetic(VISITS, seed=7)
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
        "first_p95_ms": _percentile(first, 0.95) * 1000,
        "last_p50_ms": statistics.median(last) * 1000,
        "last_p95_ms": _percentile(last, 0.95) * 1000,
        "demands": published.items.count(),
        "publish_s": publish_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def bench_record(options: dict[str, Any]) -> list[dict[str, Any]]:
    from xiaoqu.registry.benchmarks import child_env

    with tempfile.TemporaryDirectory(prefix="xiaoqu-bench-needs-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'needs.sqlite3'}"
        env = child_env(url)
        env["XIAOQU_MEDIA_ROOT"] = str(Path(tmp) / "media")
        done = subprocess.run(
            [sys.executable, "-m", "xiaoqu.needs.recordbench", "--child"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    r = json.loads(done.stdout.strip().splitlines()[-1])
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
            "peak RSS MB": round(r["peak_rss_mb"]),
        },
    ]


if __name__ == "__main__" and "--child" in sys.argv:
    print(json.dumps(_measure()))
