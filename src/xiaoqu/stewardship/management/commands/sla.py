"""xiaoqu sla due: when a deadline of so many working hours falls.

The work is done by ``xiaoqu.stewardship.sla_cli`` (which ``xiaoqu`` runs before Django
starts); this command makes the same available as ``manage.py sla due``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.stewardship.sla import SlaError
from xiaoqu.stewardship.sla_cli import compute


class Command(BaseCommand):
    help = _("工作时限：按工作日和调休计算截止时间")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        due = sub.add_parser("due", help=_("计算截止时间（不使用数据库）"))
        due.add_argument("--start", required=True, help=_("开始时间（ISO 8601）"))
        due.add_argument("--hours", required=True, help=_("时限（小时）"))
        due.add_argument("--clock", action="store_true", help=_("全天候计时"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = compute(options["start"], options["hours"], options["clock"])
        except SlaError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False))
