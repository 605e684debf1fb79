"""xiaoqu vote evaluate FILE.json | - : evaluate one owner vote under Art. 278, no database.

The work is done by ``xiaoqu.decisions.evaluate_cli`` (which ``xiaoqu`` runs before Django
starts); this command makes the same available as ``manage.py vote evaluate``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.decisions.evaluate_cli import CliError, evaluate_source


class Command(BaseCommand):
    help = _("业主共同决定：按民法典第二百七十八条计票")
    stealth_options = ("stdin",)
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help=_("计算一次表决是否通过（不使用数据库）"))
        evaluate.add_argument("file", help=_("JSON 文件，或 - 表示标准输入"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = evaluate_source(options["file"], options.get("stdin") or sys.stdin)
        except CliError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False))
