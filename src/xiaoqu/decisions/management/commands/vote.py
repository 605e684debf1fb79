"""xiaoqu vote: owner votes from the command line.

* ``xiaoqu vote evaluate FILE.json | -``: evaluate one owner vote under Art. 278, no
  database. The work is done by ``xiaoqu.decisions.evaluate_cli`` (which ``xiaoqu`` runs
  before Django starts); this command makes the same available as ``manage.py vote
  evaluate``.
* ``xiaoqu vote remind [--at ISO]``: remind the owners who have not voted of every open vote
  closing within ``XIAOQU_VOTE_REMINDER_HOURS`` (``decisions.services.reminders``);
  idempotent, run from cron (docs/notifications.md).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
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
        remind = sub.add_parser("remind", help=_("提醒快截止的表决中还没投票的业主（可重复运行）"))
        remind.add_argument("--at", default="", help=_("按此时间检查（ISO 8601，默认现在）"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "remind":
            self._remind(options["at"])
            return
        try:
            result = evaluate_source(options["file"], options.get("stdin") or sys.stdin)
        except CliError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _remind(self, at: str) -> None:
        from xiaoqu.decisions.services.reminders import vote_reminders_queue

        now = None
        if at:
            now = _parse_at(at)
            if now is None:
                raise CommandError(
                    _("无法识别的时间：%(at)s（应为 ISO 8601，如 2026-09-30T16:00）") % {"at": at},
                    returncode=2,
                )
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        self.stdout.write(json.dumps({"reminded": vote_reminders_queue(now=now)}))


def _parse_at(text: str) -> dt.datetime | None:
    """An ISO 8601 time, or a date alone (its midnight); None when it is neither."""
    try:
        found = parse_datetime(text)
        if found is None:
            day = parse_date(text)
            found = dt.datetime.combine(day, dt.time()) if day else None
    except ValueError:
        return None
    return found
