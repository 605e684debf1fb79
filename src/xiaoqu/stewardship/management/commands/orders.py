"""xiaoqu orders: the work orders' housekeeping.

* ``xiaoqu orders sweep [--at ISO]``: escalate every open order past its deadline (see
  ``stewardship.services.orders.escalation_sweep``); idempotent, so a deployment runs it
  from cron every few minutes (docs/stewardship.md).
* ``xiaoqu orders categories``: create the usual work-order categories that are missing.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.stewardship.services.orders import categories_ensure, escalation_sweep
from xiaoqu.stewardship.sla import SlaError, parse_start


class Command(BaseCommand):
    help = _("工单：逾期升级、常用类别")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help=_("逾期工单逐级升级（可重复运行）"))
        sweep.add_argument("--at", default="", help=_("按此时间检查（ISO 8601，默认现在）"))
        sub.add_parser("categories", help=_("建立缺少的常用工单类别"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "categories":
            created = categories_ensure()
            self.stdout.write(json.dumps({"created": created}))
            return
        now = None
        if options["at"]:
            try:
                now = parse_start(options["at"])
            except SlaError as exc:
                raise CommandError(str(exc), returncode=2) from exc
        done = escalation_sweep(now=now)
        self.stdout.write(json.dumps(done, ensure_ascii=False))
