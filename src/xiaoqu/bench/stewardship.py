"""``xiaoqu bench stewardship``: work-order deadlines on China's working calendar.

Rows, in one run, in a child process on one core:

* Baseline, same run: the same deadlines found by walking the calendar day by day (the plain
  way a spreadsheet or a first version would do it), on a tenth of the sample.
* The calculator (``stewardship.sla``): 200,000 deadlines from random starts in 2025–2026
  (any minute, weekends and holidays included) and 1–72 working hours in quarter-hours;
  goal ≥ 100,000 a second. Every result of the baseline's sample is checked against it.
* ``xiaoqu sla due``, the whole command (Python's start-up included).

The escalation sweep and Open311 under load join this benchmark with the work orders.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import child_env, measure_xiaoqu, run_in_child

SAMPLE = 200_000
BASELINE_SHARE = 10


def _starts(n: int, seed: int = 12345) -> list[tuple[dt.datetime, Decimal]]:
    rng = random.Random(seed)
    first = dt.datetime(2025, 1, 1)
    minutes = (dt.datetime(2026, 12, 1) - first).days * 24 * 60
    return [
        (first + dt.timedelta(minutes=rng.randrange(minutes)), Decimal(rng.randint(4, 288)) / 4)
        for _ in range(n)
    ]


def _walk(calendar: Any, start: dt.datetime, hours: Decimal) -> dt.datetime:
    """The baseline: day by day, period by period."""
    from xiaoqu.stewardship import sla

    seconds = int(hours * 3600)
    day, t = start.date(), start.hour * 3600 + start.minute * 60 + start.second
    while True:
        if calendar.is_working_day(day):
            for a, b in sla.PERIODS:
                begin = max(a, t)
                if begin < b:
                    if seconds <= b - begin:
                        midnight = dt.datetime.combine(day, dt.time(), sla.SHANGHAI)
                        return midnight + dt.timedelta(seconds=begin + seconds)
                    seconds -= b - begin
        day, t = day + dt.timedelta(days=1), 0


def _in_child() -> dict[str, Any]:
    from xiaoqu.stewardship.sla import WorkingCalendar

    calendar = WorkingCalendar()
    cases = _starts(SAMPLE)
    calendar.due(cases[0][0], cases[0][1])  # builds the table of working days
    began = time.perf_counter()
    results = [calendar.due(start, hours).at for start, hours in cases]
    fast = time.perf_counter() - began
    sample = cases[: SAMPLE // BASELINE_SHARE]
    began = time.perf_counter()
    walked = [_walk(calendar, start, hours) for start, hours in sample]
    slow = time.perf_counter() - began
    wrong = sum(1 for a, b in zip(results, walked, strict=False) if a != b)
    return {"fast": fast, "slow": slow, "baseline_n": len(sample), "wrong": wrong}


def run(options: dict[str, Any]) -> list[Row]:
    r, _usage = run_in_child(_in_child, env=child_env(), django=False, one_core=True)
    command = measure_xiaoqu(
        child_env(), "sla", "due", "--start", "2026-09-30T16:00", "--hours", "8"
    )
    rate = SAMPLE / r["fast"]
    baseline_rate = r["baseline_n"] / r["slow"]
    return [
        {
            "step": f"baseline: walk the calendar day by day ({r['baseline_n']:,} deadlines)",
            "per second": f"{baseline_rate:,.0f}",
        },
        {
            "step": f"deadline calculator, in process ({SAMPLE:,} deadlines)",
            "per second": f"{rate:,.0f}",
            "vs baseline": f"{rate / baseline_rate:.1f}×",
            "target": "≥ 100,000/s",
            "disagreements": r["wrong"],
        },
        {
            "step": "xiaoqu sla due, whole command",
            "seconds": round(command.seconds, 2),
            "peak RSS MB": round(command.peak_rss_mb),
        },
    ]
