"""``xiaoqu bench renovation``: choosing a province's annual batch.

Rows, all in one run, on a province of Guizhou's size: 5,601 candidate estates in 88 counties
(households 30–1,200, a cost of 7,000–30,000 yuan per household, a need weight 0.2–3.0, 2 % of
the estates must be in), a budget of 35 % of the total cost, and per county at most 45 % of its
estates and half of its cost.

* Baseline, same run: the greedy choice (must-haves, then by households × need per yuan).
* The optimiser (scipy's ``milp``, HiGHS, gap 0.01 %) in process: seconds, its objective, and
  its gain over the greedy choice.
* The whole ``xiaoqu plan optimise`` command on the CSV files (Python's start-up, reading,
  greedy and optimiser); goal ≤ 10 s.

The province's monthly progress report is to join this benchmark with the projects it reports.
"""

from __future__ import annotations

import csv
import math
import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import child_env, measure_xiaoqu, run_in_child

ESTATES = 5_601
COUNTIES = 88
BUDGET_SHARE = Decimal("0.35")


def write_province(folder: Path, seed: int = 2025) -> tuple[Path, Path, Decimal]:
    """The candidates and quotas files of a Guizhou-sized province; returns the budget too."""
    rng = random.Random(seed)
    counties = [f"5201{n:02d}" for n in range(COUNTIES)]
    estates: dict[str, int] = dict.fromkeys(counties, 0)
    spent: dict[str, Decimal] = dict.fromkeys(counties, Decimal(0))
    candidates = folder / "candidates.csv"
    with candidates.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "county", "households", "cost", "need", "must"])
        for i in range(ESTATES):
            county = counties[i % COUNTIES]
            households = min(1_200, max(30, int(rng.lognormvariate(5.0, 0.7))))
            cost = Decimal(households * rng.randint(7_000, 30_000))  # whole yuan
            need = round(rng.uniform(0.2, 3.0), 2)
            must = "1" if rng.random() < 0.02 else ""
            writer.writerow([f"E{i:05d}", county, households, cost, need, must])
            estates[county] += 1
            spent[county] += cost
    quotas = folder / "quotas.csv"
    with quotas.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["county", "max_estates", "max_cost"])
        for county in counties:
            limit = (spent[county] / 2).quantize(Decimal("0.01"))
            writer.writerow([county, math.ceil(estates[county] * 0.45), limit])
    budget = sum(spent.values(), Decimal(0)) * BUDGET_SHARE
    return candidates, quotas, budget.quantize(Decimal("0.01"))


def _in_child(candidates: str, quotas: str, budget: str) -> dict[str, Any]:
    """Runs in the child process (no Django): greedy and optimiser timed on the same input."""
    from xiaoqu.renovation import optimiser

    people = optimiser.parse_candidates(Path(candidates).read_text(encoding="utf-8"))
    limits = optimiser.parse_quotas(Path(quotas).read_text(encoding="utf-8"))
    amount = Decimal(budget)
    started = time.perf_counter()
    chosen = optimiser.greedy(people, amount, limits)
    greedy_s = time.perf_counter() - started
    started = time.perf_counter()
    choice = optimiser.optimise(people, amount, limits)
    return {
        "greedy_s": greedy_s,
        "greedy_selected": len(chosen or ()),
        "optimise_s": time.perf_counter() - started,
        "status": choice.status,
        "objective": choice.objective,
        "greedy_objective": choice.greedy_objective,
        "selected": len(choice.chosen),
    }


def run(options: dict[str, Any]) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="xiaoqu-bench-renovation-") as tmp:
        candidates, quotas, budget = write_province(Path(tmp))
        r, _usage = run_in_child(
            _in_child,
            env=child_env(),
            django=False,
            candidates=str(candidates),
            quotas=str(quotas),
            budget=str(budget),
        )
        command = measure_xiaoqu(
            child_env(),
            *("plan", "optimise", "--candidates", str(candidates), "--budget", str(budget)),
            *("--quotas", str(quotas)),
        )
    gain = (r["objective"] / r["greedy_objective"] - 1) * 100 if r["greedy_objective"] else 0
    size = f"{ESTATES:,} estates, {COUNTIES} county quotas"
    return [
        {
            "step": f"baseline: greedy choice ({size})",
            "seconds": round(r["greedy_s"], 3),
            "selected": r["greedy_selected"],
            "objective": round(r["greedy_objective"]),
        },
        {
            "step": "optimiser (milp, HiGHS, gap 0.01 %), in process",
            "seconds": round(r["optimise_s"], 2),
            "selected": r["selected"],
            "objective": round(r["objective"]),
            "gain over greedy": f"{gain:.2f} %",
        },
        {
            "step": "xiaoqu plan optimise, whole command",
            "seconds": round(command.seconds, 2),
            "peak RSS MB": round(command.peak_rss_mb),
            "target": "≤ 10 s",
        },
    ]
