"""Benchmark of the register pages on a province-sized database.

``bench_pages()`` builds (or reuses) a database holding the Guizhou preset, then measures,
in a fresh process with production settings (DEBUG off), the estate list with and without
filters, a deep page of it, the region tree, the workbench and the estate page of random
estates, as a province-wide street-office user would open them. The baseline measured in
the same run is the login page, which renders the same base layout without any register
query. Run: ``xiaoqu bench pages`` or ``python -m xiaoqu.registry.pagebench --database URL``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from xiaoqu.registry.benchmarks import child_env, run_xiaoqu


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _measure(requests: int, seed: int) -> list[dict[str, Any]]:
    """Runs inside the benchmark process (Django set up on the target database)."""
    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse

    from xiaoqu.accounts.models import RoleAssignment, User
    from xiaoqu.registry.models import Estate, Region, RegionLevel

    province = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("pk").first()
    if province is None:
        raise SystemExit("the database holds no province: load a register first")
    user, _ = User.objects.get_or_create(phone="19900000000", defaults={"name": "基准测试"})
    RoleAssignment.objects.get_or_create(user=user, role="street_staff", region=province)
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
    rows: list[dict[str, Any]] = []
    for name, url_of in cases.items():
        anonymous = name.startswith("login")
        c = Client() if anonymous else client
        for _ in range(5):  # warm-up: templates, connection, caches
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
                "p95_ms": round(_percentile(samples, 0.95), 2),
                "max_ms": round(max(samples), 2),
            }
        )
    base = float(rows[0]["p95_ms"]) or 1.0
    for row in rows:
        row["p95_vs_baseline"] = round(float(row["p95_ms"]) / base, 2)
    return rows


def build_preset_database(workdir: Path) -> str:
    """A fresh SQLite database with the Guizhou preset imported; returns its URL."""
    from xiaoqu.registry.generator import generate_register

    out = workdir / "guizhou"
    generate_register(out, estates=5601, dwellings=901_400, seed=1, preset="guizhou")
    url = f"sqlite:///{workdir / 'pages.sqlite3'}"
    run_xiaoqu(url, "migrate", "--verbosity", "0")
    run_xiaoqu(url, "import", str(out))
    return url


def bench_pages(
    database_url: str | None = None, requests: int = 200, seed: int = 1
) -> list[dict[str, Any]]:
    """Measure the register pages; builds a preset database when none is given."""
    with tempfile.TemporaryDirectory(prefix="xiaoqu-pagebench-") as tmp:
        url = database_url or build_preset_database(Path(tmp))
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "xiaoqu.registry.pagebench",
                "--measure",
                "--requests",
                str(requests),
                "--seed",
                str(seed),
            ],
            env=child_env(url),
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(result.stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="database URL already holding a register")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(_measure(args.requests, args.seed), ensure_ascii=False))
        return
    rows = bench_pages(args.database, args.requests, args.seed)
    print(json.dumps(rows, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
