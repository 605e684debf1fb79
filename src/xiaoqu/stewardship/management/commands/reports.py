"""xiaoqu reports: the monthly management reports (业委评议 + 工单).

* ``xiaoqu reports month [--month YYYY-MM]``: compute (or recompute) the month's report of
  every estate some body managed in it — by default last month; published reports stay as
  they are. A deployment runs it from cron early each month, and again whenever it likes
  (a report is recomputed until it is published), e.g. ``0 3 1-5 * * xiaoqu reports month``.
* ``xiaoqu reports criteria``: create the usual evaluation criteria that are missing.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.core.errors import DomainError
from xiaoqu.stewardship import evaluation_score as score
from xiaoqu.stewardship.evaluation_selectors import this_month
from xiaoqu.stewardship.services.evaluation import criteria_ensure, reports_compute_month


class Command(BaseCommand):
    help = _("月度管理报告：统计、常用评议项目")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        month = sub.add_parser("month", help=_("统计某月各小区的管理报告（默认上个月）"))
        month.add_argument("--month", default="", help=_("月份，如 2026-11（默认上个月）"))
        sub.add_parser("criteria", help=_("建立缺少的常用评议项目"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "criteria":
            self.stdout.write(json.dumps({"created": criteria_ensure()}))
            return
        if options["month"]:
            try:
                month = score.parse_month(options["month"])
            except ValueError:
                raise CommandError(
                    _("无法识别的月份：%(m)s（应为 YYYY-MM，如 2026-11）")
                    % {"m": options["month"]},
                    returncode=2,
                ) from None
        else:
            month = score.previous_month(this_month())
        try:
            done = reports_compute_month(month=month)
        except DomainError as error:
            raise CommandError(error.message, returncode=2) from None
        self.stdout.write(json.dumps(done, ensure_ascii=False))
