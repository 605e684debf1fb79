"""xiaoqu bench [NAME ...] [--json] [--database URL] [--list]: the benchmark suite.

Runs the named benchmarks (all of them by default, in the order of ``xiaoqu.bench.BENCHMARKS``)
and prints a table per benchmark, or one JSON object of name → rows with ``--json``. An
unknown name is a usage error: exit 2, nothing run.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.bench import BENCHMARKS, Row, benchmark


def format_table(rows: list[Row]) -> str:
    """Rows as an aligned text table: one header of every column, numbers to the right."""
    if not rows:
        return _("（没有结果）")
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:,.2f}"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return str(value)

    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append(
            "  ".join(
                v.rjust(w) if v[:1].isdigit() or v[:1] == "-" else v.ljust(w)
                for v, w in zip(r, widths, strict=True)
            )
        )
    return "\n".join(lines)


class Command(BaseCommand):
    help = _("运行性能基准测试并打印结果表")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help=_("要运行的基准名称（默认全部）"))
        parser.add_argument("--json", action="store_true", help=_("以 JSON 输出结果"))
        parser.add_argument(
            "--database",
            default=os.environ.get("XIAOQU_BENCH_DATABASE"),
            help=_("在该数据库服务器上测量（如 postgres://...），默认使用临时 SQLite 文件"),
        )
        parser.add_argument("--list", action="store_true", help=_("列出可用的基准"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for name in BENCHMARKS:
                self.stdout.write(name)
            return
        names = options["names"] or list(BENCHMARKS)
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            self.stderr.write(
                _("未知的基准：%(names)s；可用：%(available)s")
                % {"names": "、".join(unknown), "available": "、".join(BENCHMARKS)}
            )
            sys.exit(2)
        results: dict[str, list[Row]] = {}
        for name in names:
            if not options["json"]:
                self.stderr.write(_("正在运行基准 %(name)s …") % {"name": name})
            started = time.perf_counter()
            results[name] = benchmark(name)(dict(options))
            if not options["json"]:
                self.stdout.write(
                    f"\n== {name} ({time.perf_counter() - started:.0f} s) ==\n"
                    + format_table(results[name])
                )
        if options["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False, indent=2))
