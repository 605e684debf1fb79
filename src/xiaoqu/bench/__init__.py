"""Xiaoqu's benchmark suite, run by ``xiaoqu bench [NAME ...]``.

The package sits above every app: it may import any of them, and none of them (nor
``xiaoqu.core``) imports it, so nothing of benchmarking ships inside the runtime apps.

* ``harness`` is the one harness: it runs a benchmark's work in a child process with
  production settings (DEBUG off) on a database of its own, reports that child's wall time,
  CPU time and peak RSS, computes percentiles, and makes scratch databases (SQLite files in a
  temporary folder, or databases on the PostgreSQL server given with ``--database``) that are
  dropped afterwards.
* One module per benchmark, each with a ``run(options)`` that returns the rows of its table
  (dicts of column → value). ``options`` holds the command's options; ``options["database"]``
  is the URL given with ``--database`` (or ``XIAOQU_BENCH_DATABASE``), else None. Each
  module's docstring states its workload, its baseline measured in the same run, and its goal.

To add a benchmark, write ``xiaoqu/bench/<name>.py`` with ``run(options)`` that measures
through the harness, and name it in ``BENCHMARKS`` below, whose order is the order
``xiaoqu bench`` runs and lists them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]
Benchmark = Callable[[dict[str, Any]], list[Row]]

# Benchmark name → module holding its ``run(options)``; in the lifecycle's order.
BENCHMARKS: dict[str, str] = {
    "register": "xiaoqu.bench.register",
    "national": "xiaoqu.bench.national",
    "pages": "xiaoqu.bench.pages",
    "needs": "xiaoqu.bench.needs",
    "needs-record": "xiaoqu.bench.needs_record",
    "votes": "xiaoqu.bench.votes",
    "notify": "xiaoqu.bench.notify",
    "lifecircle": "xiaoqu.bench.lifecircle",
    "renovation": "xiaoqu.bench.renovation",
    "stewardship": "xiaoqu.bench.stewardship",
    "insights": "xiaoqu.bench.insights",
    "workbench": "xiaoqu.bench.workbench",
    "backup": "xiaoqu.bench.backup",
    "replica": "xiaoqu.bench.replica",
    "load": "xiaoqu.bench.load",
}


def benchmark(name: str) -> Benchmark:
    """The ``run`` function of the benchmark called ``name`` (a key of ``BENCHMARKS``)."""
    run: Benchmark = importlib.import_module(BENCHMARKS[name]).run
    return run
