"""``xiaoqu bench pages``: the register pages on a province-sized database.

Workload: the Guizhou preset of the register generator (5,601 estates, 901,400 dwellings)
imported into a scratch database. In a child process with production settings (DEBUG off), a
street-office user whose scope is the whole province opens the workbench, the region tree,
the estate list (first page, filtered by district, eligibility and years, page 100) and the
pages of random estates: 5 warm-up requests, then 200 requests per case through Django's test
client; p50, p95 and the slowest request are reported.

Baseline, same run: the login page, which renders the same base layout without any register
query; each case's p95 is reported as a multiple of the baseline's.

Goal: every page's p95 under 100 ms.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import Scratch, child_env, percentile, run_in_child, run_xiaoqu

REQUESTS = 200
WARM_UP = 5


def _in_child(requests: int, seed: int) -> list[Row]:
    """Runs in the child process (Django set up on the database holding the register)."""
    from django.test import Client
    from django.urls import reverse

    from xiaoqu.accounts.models import Role, RoleAssignment, User
    from xiaoqu.registry.models import Estate, Region, RegionLevel

    province = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("pk").first()
    if province is None:
        raise SystemExit("the database holds no province: load a register first")
    user, _ = User.objects.get_or_create(phone="19900000000", defaults={"name": "基准测试"})
    RoleAssignment.objects.get_or_create(user=user, role=Role.STREET_STAFF, region=province)
    client = Client()
    client.force_login(user)

    rng = random.Random(seed)
    estate_ids = list(Estate.objects.values_list("pk", flat=True))
    district = Region.objects.filter(level=RegionLevel.DISTRICT).order_by("pk").first()
    list_url = reverse("registry:estate_list")
    cases: dict[str, Any] = {
        "login page (baseline)": lambda: reverse("accounts:login"),
        "workbench": lambda: reverse("registry:workbench"),
        "region tree": lambda: reverse("registry:region_tree"),
        "estate list, page 1": lambda: list_url,
        "estate list, filtered": lambda: (
            f"{list_url}?region={district.pk if district else ''}&eligibility=yes"
            f"&year_from=1985&year_to=2000"
        ),
        "estate list, page 100": lambda: f"{list_url}?page=100",
        "estate page (random estate)": lambda: reverse(
            "registry:estate_detail", args=[rng.choice(estate_ids)]
        ),
    }
    rows: list[Row] = []
    for name, url_of in cases.items():
        anonymous = name.startswith("login")
        c = Client() if anonymous else client
        for _ in range(WARM_UP):  # templates, connection, caches
            c.get(url_of())
        samples = []
        for _ in range(requests):
            url = url_of()
            start = time.perf_counter()
            response = c.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        rows.append(
            {
                "case": name,
                "requests": requests,
                "p50_ms": round(statistics.median(samples), 2),
                "p95_ms": round(percentile(samples, 0.95), 2),
                "max_ms": round(max(samples), 2),
            }
        )
    base = float(rows[0]["p95_ms"]) or 1.0
    for row in rows:
        row["p95_vs_baseline"] = round(float(row["p95_ms"]) / base, 2)
    return rows


def measure_pages(url: str, *, requests: int = REQUESTS, seed: int = 1) -> list[Row]:
    """Measure the register pages on ``url``, a database that already holds a register."""
    rows: list[Row] = run_in_child(_in_child, env=child_env(url), requests=requests, seed=seed)[0]
    return rows


def run(options: dict[str, Any]) -> list[Row]:
    from xiaoqu.registry.generator import generate_register

    with Scratch(options.get("database"), "xiaoqu-bench-pages-") as scratch:
        register = scratch.folder / "guizhou"
        generate_register(register, estates=5601, dwellings=901_400, seed=1, preset="guizhou")
        url = scratch.database("pages")
        run_xiaoqu(url, "import", str(register))
        return measure_pages(url)
