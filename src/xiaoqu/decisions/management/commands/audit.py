"""xiaoqu audit verify: re-check every ballot chain and its audit rows; exit 1 on any break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.core.dbcheck import ensure_migrated
from xiaoqu.decisions.verify import verify_all


class Command(BaseCommand):
    help = _("核验：重新计算每次表决的选票哈希链和操作记录")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help=_("核验全部选票链，发现问题时以非零状态退出"))

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_migrated()
        votes, ballots, problems = verify_all()
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(
                _("核验未通过：%(n)d 处问题（%(votes)d 次表决，%(ballots)d 张选票）")
                % {"n": len(problems), "votes": votes, "ballots": ballots},
                returncode=1,
            )
        self.stdout.write(
            _("核验通过：%(votes)d 次表决，%(ballots)d 张选票，哈希链完整。")
            % {"votes": votes, "ballots": ballots}
        )
