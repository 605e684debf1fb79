"""``xiaoqu sla due``: when a deadline of so many working hours falls, without Django.

``xiaoqu.cli`` runs this before Django starts (the computation needs no database);
``manage.py sla due`` reaches the same function. The contract is in docs/cli.md: one JSON
object on stdout; any input error exits with code 2 and one message on stderr, nothing on
stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from xiaoqu.stewardship.sla import SlaError, WorkingCalendar, parse_start


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="xiaoqu sla due",
        description="计算工作时限的截止时间：工作日 09:00–12:00、13:30–17:30（北京时间），"
        "按国务院公布的节假日和调休；--clock 为全天候计时（紧急事项）。",
    )
    p.add_argument("--start", required=True, metavar="DATETIME", help="开始时间（ISO 8601）")
    p.add_argument("--hours", required=True, metavar="H", help="时限（小时，可为小数）")
    p.add_argument("--clock", action="store_true", help="按自然小时全天候计时")
    return p


def compute(start: str, hours: str, clock: bool) -> dict[str, str]:
    return WorkingCalendar().due(parse_start(start), hours, clock=clock).as_dict()


def run(argv: list[str], stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), printed by argparse
        return int(exc.code or 0)
    try:
        result = compute(args.start, args.hours, args.clock)
    except SlaError as exc:
        print(f"错误：{exc}", file=err)
        return 2
    print(json.dumps(result, ensure_ascii=False), file=out)
    return 0
