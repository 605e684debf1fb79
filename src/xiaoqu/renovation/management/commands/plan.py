"""xiaoqu plan optimise: choose a year's batch of estates under a budget and county quotas.

The work is done by ``xiaoqu.renovation.optimise_cli`` (which ``xiaoqu`` runs before Django
starts); this command makes the same available as ``manage.py plan optimise``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.renovation.optimise_cli import CliError, choose, write_out


class Command(BaseCommand):
    help = _("年度改造计划：在预算和配额内选出改造小区")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        optimise = sub.add_parser("optimise", help=_("选出年度批次（不使用数据库）"))
        optimise.add_argument("--candidates", required=True, help=_("候选小区 CSV"))
        optimise.add_argument("--budget", required=True, help=_("补助预算（元）"))
        optimise.add_argument("--quotas", help=_("区县配额 CSV"))
        optimise.add_argument("--out", help=_("写出每个候选是否入选的 CSV"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            candidates, choice = choose(options["candidates"], options["budget"], options["quotas"])
            if options["out"]:
                write_out(options["out"], candidates, choice)
        except CliError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(json.dumps(choice.as_dict(), ensure_ascii=False))
